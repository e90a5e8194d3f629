// The scenario loader: YAML in, a checked Scenario out. The parameters are read as the registry declares
// them (their keys, defaults and which are required); every structural error (wrong type, unknown or missing
// key, bad distribution parameters) is reported here with the node's position, and the rules that span
// several keys are checked by check_scenario() through the SourceMap this loader fills.
#include "cxrisk/loader.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "cxrisk/changes.h"
#include "cxrisk/limits.h"
#include "cxrisk/registry.h"
#include "cxrisk/text.h"

namespace cxrisk {

namespace fs = std::filesystem;

namespace {

std::string child_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item_path(const std::string& path, std::size_t i) {
  return fmt::format("{}[{}]", path, i);
}
// Files are opened without blocking (a FIFO named as a scenario would otherwise wait forever) and read only
// when they are regular files of at most `limit` bytes: a device or a huge file is refused, named.
std::string read_input(const fs::path& path, std::uintmax_t limit, std::string_view what,
                       const LoadOptions& options, const FileLoc& at, const std::string& key) {
  const auto fail = [&](const std::string& message) -> std::string { throw ScenarioError(at, key, message); };
  // The file is named, unless the error is located in it already.
  const std::string named =
      at.file == path.string() ? std::string(what) : fmt::format("{} '{}'", what, path.string());
  if (!options.confine.empty()) {
    std::error_code ec;
    const fs::path real = fs::weakly_canonical(path, ec), folder = fs::weakly_canonical(options.confine, ec);
    const auto [inside, rest] = std::mismatch(folder.begin(), folder.end(), real.begin(), real.end());
    if (ec || inside != folder.end())
      fail(fmt::format("the {} lies outside the folder the scenarios are confined to ('{}')", named,
                       options.confine.string()));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) fail(fmt::format("cannot open the {} ({})", named, std::strerror(errno)));
  struct FdGuard {
    int fd;
    ~FdGuard() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode))
    fail(what == "scenario file" && at.file == path.string()
             ? "is a folder, not a scenario file (`cxrisk batch` runs every scenario of a folder)"
             : fmt::format("the {} is a folder, not a file", named));
  if (!S_ISREG(st.st_mode))
    fail(fmt::format("the {} is not a regular file (a device, a pipe or a socket is not read)", named));
  if (static_cast<std::uintmax_t>(st.st_size) > limit)
    fail(fmt::format("the {} is larger than the {} MiB cxrisk reads", named, limit >> 20));
  std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(fmt::format("cannot read the {} ({})", named, std::strerror(errno)));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

// At most a short fragment of a line of a file, with what is not printable text replaced: an error about a
// values file must not print the file (it could be any file the process can read).
std::string fragment(std::string_view line) {
  constexpr std::size_t MOST = 12;
  std::string out;
  for (char c : line.substr(0, MOST)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return line.size() > MOST ? out + "..." : out;
}

// A mapping's value at `key`, looked up without adding the key (the const operator[] of yaml-cpp).
YAML::Node child(const YAML::Node& n, const std::string& key) {
  return n[key];
}

class Reader {
 public:
  Reader(std::string file, fs::path base_dir, const LoadOptions& options)
      : file_(std::move(file)), base_dir_(std::move(base_dir)), options_(options), where_(file_) {}

  /// A base scenario: every key of the schema.
  Scenario read(const YAML::Node& root);
  /// An improvement scenario's edits: `name`, `changes` and `investment` on top of `base`.
  void read_edits(Scenario& s, const YAML::Node& root, const std::vector<std::string_view>& allowed);
  /// Applies a list of `set`/`scale` changes (MODEL.md section 5) to `s`, in order.
  void apply_changes(Scenario& s, const YAML::Node& changes, const std::string& path);
  /// The `simulation` section.
  void simulation(const YAML::Node& root, Scenario& s);
  /// The schema version: a number equal to 1, the same rule for every file.
  void schema_version(const YAML::Node& root);
  SourceMap& where() { return where_; }
  /// The errors read() collected (each part of the file is read on its own: a segment, a problem, a
  /// section), and the paths of the parts that failed (what the scenario holds there is a placeholder).
  const std::vector<ScenarioError>& errors() const { return errors_; }
  const std::vector<std::string>& failed() const { return failed_; }
  FileLoc loc(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return {file_, 0, 0};
    return {file_, m.line + 1, m.column + 1};
  }

 private:
  [[noreturn]] void fail(const YAML::Node& n, const std::string& path, const std::string& message) const {
    throw ScenarioError(loc(n), path, message);
  }
  /// Reads one part of the file; its error is kept and reading goes on with the next part.
  template <class F>
  void attempt(const std::string& part, const F& read_part) {
    try {
      read_part();
    } catch (const ScenarioError& e) {
      errors_.push_back(e);
      failed_.push_back(part);
    }
  }
  void note(const std::string& path, const YAML::Node& n) { where_.set(path, loc(n)); }

  static std::string_view kind(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Map:
        return "a mapping";
      case YAML::NodeType::Sequence:
        return "a list";
      case YAML::NodeType::Null:
        return "empty";
      default:
        return "a scalar";
    }
  }
  void require_map(const YAML::Node& n, const std::string& path) const {
    if (!n.IsMap()) fail(n, path, fmt::format("must be a mapping of keys to values, got {}", kind(n)));
  }
  void require_seq(const YAML::Node& n, const std::string& path) const {
    if (!n.IsSequence()) fail(n, path, fmt::format("must be a list, got {}", kind(n)));
  }
  void check_keys(const YAML::Node& n, const std::string& path,
                  const std::vector<std::string_view>& allowed) const;
  YAML::Node need(const YAML::Node& n, const std::string& path, const std::string& key) const {
    YAML::Node v = n[key];
    if (!v) fail(n, child_path(path, key), "required key is missing");
    return v;
  }
  /// The mapping at `prefix` ("horizon", "loyalty", "wom.negative") of an object of `scope` whose own
  /// mapping `n` is at `path`, its keys checked against the registry (once); an undefined node when absent.
  YAML::Node mapping(const YAML::Node& n, const std::string& path, Scope scope, const std::string& prefix);

  double number(const YAML::Node& n, const std::string& path) const;
  std::int64_t integer(const YAML::Node& n, const std::string& path, std::int64_t lo, std::int64_t hi) const;
  std::string text(const YAML::Node& n, const std::string& path) const;
  template <class Enum, std::size_t N>
  Enum choice(const YAML::Node& n, const std::string& path,
              const std::array<std::string_view, N>& names) const;

  Quantity quantity(const YAML::Node& n, const std::string& path);
  Shares shares(const YAML::Node& n, const std::string& path);
  /// Reads every parameter of `scope` of the object whose mapping `n` is at `path`, as the registry declares
  /// them (defaults, required keys); `skip` leaves some out.
  void params(const YAML::Node& n, const std::string& path, Scope scope, Scenario& s, const Place& place,
              const std::function<bool(const ParamSpec&)>& skip = {});
  /// The mapping of a segment or problem at `path`, its keys checked: its name.
  std::string named_object(const YAML::Node& n, const std::string& path, Scope scope);
  /// Reads segment `index` (already in `s`, empty) and its parameters.
  void segment(const YAML::Node& n, const std::string& path, Scenario& s, int index);
  Tier tier(const YAML::Node& n, const std::string& path, std::size_t index);
  /// Reads problem `index` (already in `s`, empty), its tiers and their parameters.
  void problem(const YAML::Node& n, const std::string& path, Scenario& s, int index);
  std::vector<std::string> names(const YAML::Node& n, const std::string& path);
  std::vector<double> read_values_file(const YAML::Node& n, const std::string& path,
                                       const std::string& file) const;
  void investment(const YAML::Node& n, Scenario& s);
  Change change(const Scenario& s, const YAML::Node& c, const std::string& path);
  /// Reads `correlations` (a list of pairs and matrices) and adds its entries to `s`'s.
  void correlations(const YAML::Node& list, Scenario& s);

  std::string file_;
  fs::path base_dir_;
  const LoadOptions& options_;
  SourceMap where_;
  std::set<std::string> checked_;  // mappings whose keys were checked
  std::vector<ScenarioError> errors_;
  std::vector<std::string> failed_;
};

// How to write what was meant, for a number written as people write one: "45%" or "700,000".
std::string how_to_write_number(const std::string& text) {
  double x = 0;
  if (text.size() > 1 && text.back() == '%' && parse_double(text.substr(0, text.size() - 1), x))
    return fmt::format(" (write a percentage as a fraction: {} is {:g})", text, x / 100);
  std::string plain;
  for (char c : text)
    if (c != ',' && c != '_' && c != ' ' && c != '\'') plain += c;
  if (plain != text && parse_double(plain, x))
    return fmt::format(" (write it without separators: {})", plain);
  return "";
}

void Reader::check_keys(const YAML::Node& n, const std::string& path,
                        const std::vector<std::string_view>& allowed) const {
  std::vector<std::string> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->first.IsScalar()) fail(it->first, path, "keys must be plain names");
    const std::string key = it->first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string message = fmt::format("unknown key '{}'", key);
      const std::string hint = closest_name(key, allowed);
      if (!hint.empty()) message += fmt::format("; did you mean '{}'?", hint);
      // In {customers: 700,000} the comma ends the value: the digits after it become a key.
      if (!key.empty() && key.find_first_not_of("0123456789") == std::string::npos &&
          n.Style() == YAML::EmitterStyle::Flow)
        message += "; a number with a thousands separator inside { }? Write it without separators (700000)";
      fail(it->first, child_path(path, key), message);
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      fail(it->first, child_path(path, key), fmt::format("duplicate key '{}'", key));
    seen.push_back(key);
  }
}

YAML::Node Reader::mapping(const YAML::Node& n, const std::string& path, Scope scope,
                           const std::string& prefix) {
  YAML::Node node = n;
  std::string at = path, so_far;
  std::size_t start = 0;
  while (start <= prefix.size() && !prefix.empty()) {
    const auto dot = prefix.find('.', start);
    const std::string part = prefix.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    so_far = so_far.empty() ? part : so_far + "." + part;
    at = child_path(at, part);
    const YAML::Node next = child(node, part);
    if (!next) return next;
    node.reset(next);  // reset, not =: assigning a node would overwrite the one it refers to
    if (checked_.insert(at).second) {
      note(at, node);
      require_map(node, at);
      check_keys(node, at, keys_under(scope, so_far));
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node;
}

double Reader::number(const YAML::Node& n, const std::string& path) const {
  double x = 0;
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, x))
    fail(n, path,
         fmt::format("must be a number, got {}{}",
                     n.IsScalar() ? "'" + n.Scalar() + "'" : std::string(kind(n)),
                     n.IsScalar() ? how_to_write_number(n.Scalar()) : std::string()));
  if (!std::isfinite(x)) fail(n, path, "must be a finite number");
  return x;
}

std::int64_t Reader::integer(const YAML::Node& n, const std::string& path, std::int64_t lo,
                             std::int64_t hi) const {
  const double x = number(n, path);
  if (x != std::floor(x)) fail(n, path, fmt::format("must be a whole number, got {}", n.Scalar()));
  if (x < static_cast<double>(lo) || x > static_cast<double>(hi))
    fail(n, path, fmt::format("must be between {} and {}, got {}", lo, hi, n.Scalar()));
  return static_cast<std::int64_t>(x);
}

std::string Reader::text(const YAML::Node& n, const std::string& path) const {
  if (!n.IsScalar()) fail(n, path, fmt::format("must be a text, got {}", kind(n)));
  if (n.Scalar().empty()) fail(n, path, "must not be empty");
  if (!is_plain_text(n.Scalar())) fail(n, path, "must be UTF-8 text without control characters");
  return n.Scalar();
}

template <class Enum, std::size_t N>
Enum Reader::choice(const YAML::Node& n, const std::string& path,
                    const std::array<std::string_view, N>& names) const {
  const std::string s = text(n, path);
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == s) return static_cast<Enum>(i);
  std::vector<std::string_view> all(names.begin(), names.end());
  std::string message = fmt::format("must be one of {}, got '{}'", join(all, ", "), s);
  const std::string hint = closest_name(s, all);
  if (!hint.empty()) message += fmt::format("; did you mean '{}'?", hint);
  fail(n, path, message);
}

Quantity Reader::quantity(const YAML::Node& n, const std::string& path) {
  note(path, n);
  if (n.IsScalar()) {
    try {
      return Quantity::fixed(number(n, path));
    } catch (const QuantityError& e) {
      fail(n, path, e.message);
    }
  }
  if (!n.IsMap())
    fail(n, path,
         fmt::format("must be a number or a distribution ({{dist: ...}} or {{observed: .., of: ..}}), got {}",
                     kind(n)));
  QuantityForm form;
  if (n["observed"] || n["of"]) {
    form = QuantityForm::observed;
  } else if (!n["dist"]) {
    fail(n, path, "a distribution needs 'dist' (or 'observed' and 'of')");
  } else {
    static constexpr std::array<std::string_view, 7> DISTS{"beta",   "pert",      "triangular", "uniform",
                                                           "normal", "lognormal", "gamma"};
    static constexpr std::array<QuantityForm, 7> FORMS{
        QuantityForm::beta_mean_sd, QuantityForm::pert,   QuantityForm::triangular,
        QuantityForm::uniform,      QuantityForm::normal, QuantityForm::lognormal_mean_sd,
        QuantityForm::gamma_mean_sd};
    form = FORMS[static_cast<std::size_t>(choice<int>(n["dist"], child_path(path, "dist"), DISTS))];
    if (form == QuantityForm::beta_mean_sd && (n["alpha"] || n["beta"])) form = QuantityForm::beta_alpha_beta;
    if (form == QuantityForm::lognormal_mean_sd && (n["median"] || n["sigma"]))
      form = QuantityForm::lognormal_median_sigma;
    if (form == QuantityForm::gamma_mean_sd && (n["shape"] || n["scale"]))
      form = QuantityForm::gamma_shape_scale;
  }
  const auto& keys = Quantity::form_keys(form);
  std::vector<std::string_view> allowed(keys.begin(), keys.end());
  if (form != QuantityForm::observed) allowed.push_back("dist");
  allowed.push_back("factor");
  check_keys(n, path, allowed);
  std::vector<double> args;
  for (const auto& key : keys) {
    if (YAML::Node v = n[key]) {
      args.push_back(number(v, child_path(path, key)));
    } else if (Quantity::key_optional(form, key)) {
      args.push_back(std::numeric_limits<double>::quiet_NaN());
    } else {
      fail(n, child_path(path, key),
           fmt::format("required key is missing (a {} needs {})",
                       form == QuantityForm::observed ? "survey count" : n["dist"].Scalar(),
                       join(keys, ", ")));
    }
  }
  try {
    Quantity q = Quantity::make(form, args);
    if (YAML::Node f = n["factor"]) {
      const double factor = number(f, child_path(path, "factor"));
      if (factor < 0) fail(f, child_path(path, "factor"), "must be >= 0");
      q = q.scaled(factor);
    }
    return q;
  } catch (const QuantityError& e) {
    if (!e.key.empty() && n[e.key]) fail(n[e.key], child_path(path, e.key), e.message);
    fail(n, path, e.message);
  }
}

Shares Reader::shares(const YAML::Node& n, const std::string& path) {
  note(path, n);
  require_map(n, path);
  Shares s;
  s.dirichlet = static_cast<bool>(n["dist"]);
  if (s.dirichlet) {
    static constexpr std::array<std::string_view, 1> D{"dirichlet"};
    choice<int>(n["dist"], child_path(path, "dist"), D);
    check_keys(n, path, {"dist", "resolved", "mollified", "unresolved"});
  } else {
    check_keys(n, path, {"resolved", "mollified", "unresolved"});
  }
  static constexpr std::array<const char*, 3> KEYS{"resolved", "mollified", "unresolved"};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string p = child_path(path, KEYS[i]);
    if (YAML::Node v = n[KEYS[i]]) {
      s.values[i] = number(v, p);
      note(p, v);
      if (s.values[i] < 0) fail(v, p, "must be >= 0");
      if (s.dirichlet && s.values[i] > 0 && !within_shape_limits(s.values[i]))
        fail(v, p, fmt::format("a concentration must be 0 or between {:g} and {:g}", SHAPE_MIN, SHAPE_MAX));
      if (!s.dirichlet && s.values[i] > 1)
        fail(v, p, fmt::format("a share must be between 0 and 1, got {}", s.values[i]));
    } else {
      s.values[i] = 0;
    }
  }
  return s;
}

void Reader::params(const YAML::Node& n, const std::string& path, Scope scope, Scenario& s,
                    const Place& place, const std::function<bool(const ParamSpec&)>& skip) {
  for (const ParamSpec& spec : param_specs()) {
    if (spec.scope != scope || (skip && skip(spec))) continue;
    const std::string key(spec.key);
    const auto dot = key.rfind('.');
    const std::string parent = dot == std::string::npos ? std::string() : key.substr(0, dot);
    const std::string leaf = dot == std::string::npos ? key : key.substr(dot + 1);
    const YAML::Node holder = parent.empty() ? n : mapping(n, path, scope, parent);
    const bool present = holder && child(holder, leaf);
    const YAML::Node v = present ? child(holder, leaf) : holder;
    const std::string at = child_path(path, key);
    if (spec.kind == Kind::shares) {
      if (!present) fail(holder, at, "required key is missing");
      shares_at(s, place) = shares(v, at);
      continue;
    }
    Quantity& q = quantity_at(s, spec.id, place);
    if (present) {
      q = quantity(v, at);
    } else if (spec.required) {
      // Named at the first key that is missing: "problems[0].loyalty" when the whole mapping is.
      std::string missing = path;
      YAML::Node deepest = n;
      std::size_t start = 0;
      while (true) {
        const auto d = key.find('.', start);
        const std::string part = key.substr(start, d == std::string::npos ? std::string::npos : d - start);
        missing = child_path(missing, part);
        if (!child(deepest, part)) break;
        deepest.reset(child(deepest, part));
        start = d + 1;
      }
      fail(deepest, missing, "required key is missing");
    } else {
      q = Quantity::fixed(spec.default_value);
    }
  }
}

std::vector<double> Reader::read_values_file(const YAML::Node& n, const std::string& path,
                                             const std::string& file) const {
  const fs::path full = base_dir_ / file;
  const std::string text = read_input(full, MAX_VALUES_BYTES, "values file", options_, loc(n), path);
  std::vector<double> values;
  double sum = 0;
  int line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string t = trim(std::string_view(text).substr(start, end - start));
    start = end + 1;
    ++line_no;
    if (t.empty() || t[0] == '#') continue;
    double x = 0;
    const FileLoc here{full.string(), line_no, 1};
    if (!parse_double(t, x) || !std::isfinite(x) || x < 0) {
      if (values.empty() && line_no == 1 && !parse_double(t, x)) continue;  // a header line
      throw ScenarioError(here, path, fmt::format("a value must be a number >= 0, got '{}'", fragment(t)));
    }
    if (x > MAX_MONEY)
      throw ScenarioError(here, path,
                          fmt::format("a value must be at most {:g} (larger amounts want thousands or "
                                      "millions), got {}",
                                      MAX_MONEY, x));
    values.push_back(x);
    sum += x;
  }
  if (values.empty()) fail(n, path, fmt::format("the values file '{}' holds no values", full.string()));
  if (!std::isfinite(sum))
    fail(n, path, fmt::format("the values of '{}' add up to more than a double holds", full.string()));
  return values;
}

std::vector<std::string> Reader::names(const YAML::Node& n, const std::string& path) {
  note(path, n);
  require_seq(n, path);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    note(item_path(path, i), n[i]);
    out.push_back(text(n[i], item_path(path, i)));
  }
  return out;
}

std::string Reader::named_object(const YAML::Node& n, const std::string& path, Scope scope) {
  note(path, n);
  require_map(n, path);
  check_keys(n, path, keys_under(scope, ""));
  std::string name = text(need(n, path, "name"), child_path(path, "name"));
  note(child_path(path, "name"), n["name"]);
  return name;
}

void Reader::segment(const YAML::Node& n, const std::string& path, Scenario& s, int index) {
  Segment& seg = s.segments[static_cast<std::size_t>(index)];
  seg.name = named_object(n, path, Scope::segment);
  const std::string vp = child_path(path, "value");
  const YAML::Node value = need(n, path, "value");
  const bool empirical = value.IsMap() && value["empirical"];
  if (empirical) {
    note(vp, value);
    check_keys(value, vp, {"empirical"});
    const std::string p = child_path(vp, "empirical");
    note(p, value["empirical"]);
    seg.value.shape = ValueShape::empirical;
    seg.value.empirical_file = text(value["empirical"], p);
    std::error_code ec;
    seg.value.empirical_path =
        fs::absolute(base_dir_ / seg.value.empirical_file, ec).lexically_normal().string();
    seg.value.empirical = read_values_file(value["empirical"], p, seg.value.empirical_file);
    double sum = 0;
    for (double x : seg.value.empirical) sum += x;
    seg[Param::value_mean] = Quantity::fixed(sum / static_cast<double>(seg.value.empirical.size()));
  }
  params(n, path, Scope::segment, s, {index, -1, -1},
         [&](const ParamSpec& spec) { return empirical && spec.group == Group::value; });
  if (empirical) return;
  if (YAML::Node shape = value["shape"]) {
    static constexpr std::array<std::string_view, 3> SHAPES{"gamma", "lognormal", "fixed"};
    note(child_path(vp, "shape"), shape);
    seg.value.shape = choice<ValueShape>(shape, child_path(vp, "shape"), SHAPES);
  } else {
    seg.value.shape = seg[Param::value_cv].can_exceed(0) ? ValueShape::gamma : ValueShape::fixed;
  }
}

Tier Reader::tier(const YAML::Node& n, const std::string& path, std::size_t index) {
  note(path, n);
  require_map(n, path);
  check_keys(n, path, keys_under(Scope::tier, ""));
  Tier t;
  if (YAML::Node name = n["tier"]) {
    t.name = text(name, child_path(path, "tier"));
    note(child_path(path, "tier"), name);
  } else {
    t.name = fmt::format("tier{}", index + 1);
  }
  return t;
}

void Reader::problem(const YAML::Node& n, const std::string& path, Scenario& s, int index) {
  Problem& p = s.problems[static_cast<std::size_t>(index)];
  p.name = named_object(n, path, Scope::problem);
  if (YAML::Node st = n["stage"]) {
    p.stage = text(st, child_path(path, "stage"));
    note(child_path(path, "stage"), st);
  }
  if (YAML::Node c = n["cause"]) {
    note(child_path(path, "cause"), c);
    p.cause = choice<Cause>(c, child_path(path, "cause"), CAUSE_NAMES);
  }
  if (YAML::Node segs = n["segments"]) p.segments = names(segs, child_path(path, "segments"));
  const YAML::Node h = n["handling"];
  const std::string hp = child_path(path, "handling");
  if (h) {
    note(hp, h);
    require_seq(h, hp);
    if (h.size() > MAX_TIERS) fail(h, hp, fmt::format("at most {} tiers are supported", MAX_TIERS));
    for (std::size_t i = 0; i < h.size(); ++i) p.handling.push_back(tier(h[i], item_path(hp, i), i));
  }
  params(n, path, Scope::problem, s, {-1, index, -1});
  for (std::size_t i = 0; h && i < h.size(); ++i)
    params(h[i], item_path(hp, i), Scope::tier, s, {-1, index, static_cast<int>(i)});
}

void Reader::schema_version(const YAML::Node& root) {
  const YAML::Node v = need(root, "", "cxrisk");
  note("cxrisk", v);
  double version = 0;
  if (!v.IsScalar() || !YAML::convert<double>::decode(v, version) || version != 1)
    fail(v, "cxrisk",
         fmt::format("unsupported schema version {} (this cxrisk reads version 1)",
                     v.IsScalar() ? v.Scalar() : std::string(kind(v))));
}

void Reader::investment(const YAML::Node& n, Scenario& s) {
  s.has_investment = true;
  mapping(n, "", Scope::scenario, "investment");
  params(n, "", Scope::scenario, s, {},
         [](const ParamSpec& spec) { return spec.group != Group::investment; });
}

Scenario Reader::read(const YAML::Node& root) {
  if (!root || root.IsNull()) throw ScenarioError({file_, 1, 1}, "", "the scenario is empty");
  require_map(root, "");
  Scenario s;
  s.source = file_;
  // An unknown key, or a scenario-wide parameter that fails, leaves the rest of the scenario whole.
  attempt("(keys)", [&] { check_keys(root, "", keys_under(Scope::scenario, "")); });
  attempt("cxrisk", [&] { schema_version(root); });
  attempt("name", [&] {
    s.name = text(need(root, "", "name"), "name");
    note("name", root["name"]);
  });
  attempt("currency", [&] {
    if (YAML::Node c = root["currency"]) s.currency = text(c, "currency");
  });
  attempt("horizon", [&] {
    need(root, "", "horizon");
    const YAML::Node h = mapping(root, "", Scope::scenario, "horizon");
    note("horizon.periods", need(h, "horizon", "periods"));
    s.periods = static_cast<int>(integer(h["periods"], "horizon.periods", 1, 100000));
    if (YAML::Node p = h["period"]) {
      note("horizon.period", p);
      s.period = choice<PeriodUnit>(p, "horizon.period", PERIOD_UNIT_NAMES);
    }
  });
  attempt("valuation", [&] {
    if (const YAML::Node v = mapping(root, "", Scope::scenario, "valuation")) {
      if (YAML::Node m = v["method"]) {
        note("valuation.method", m);
        s.valuation = choice<ValuationMethod>(m, "valuation.method", VALUATION_METHOD_NAMES);
      }
    }
  });
  attempt("simulation", [&] { simulation(root, s); });
  attempt("(parameters)", [&] {
    params(root, "", Scope::scenario, s, {},
           [](const ParamSpec& spec) { return spec.group == Group::investment; });
  });
  bool segments_failed = false;
  attempt("segments", [&] {
    YAML::Node segs = need(root, "", "segments");
    note("segments", segs);
    require_seq(segs, "segments");
    if (segs.size() == 0) fail(segs, "segments", "needs at least one segment");
    if (segs.size() > MAX_SEGMENTS) fail(segs, "segments", fmt::format("at most {} segments", MAX_SEGMENTS));
    for (std::size_t i = 0; i < segs.size(); ++i) {
      s.segments.emplace_back();
      const std::size_t before = errors_.size();
      attempt(item_path("segments", i),
              [&] { segment(segs[i], item_path("segments", i), s, static_cast<int>(i)); });
      segments_failed = segments_failed || errors_.size() > before;
    }
  });
  bool stages_failed = false;
  attempt("stages", [&] {
    if (YAML::Node st = root["stages"]) {
      stages_failed = true;
      if (st.IsSequence() && st.size() > MAX_STAGES)
        fail(st, "stages", fmt::format("at most {} stages", MAX_STAGES));
      s.stages = names(st, "stages");
      stages_failed = false;
    }
  });
  attempt("problems", [&] {
    YAML::Node probs = need(root, "", "problems");
    note("problems", probs);
    require_seq(probs, "problems");
    if (probs.size() > MAX_PROBLEMS)
      fail(probs, "problems", fmt::format("at most {} problems", MAX_PROBLEMS));
    if (probs.size() * s.segments.size() > MAX_CELLS)
      fail(probs, "problems",
           fmt::format(
               "at most {} problems x segments ({} x {} here): each trial keeps a table of results for each "
               "pair",
               MAX_CELLS, probs.size(), s.segments.size()));
    for (std::size_t i = 0; i < probs.size(); ++i) {
      s.problems.emplace_back();
      const std::size_t before = errors_.size();
      attempt(item_path("problems", i),
              [&] { problem(probs[i], item_path("problems", i), s, static_cast<int>(i)); });
      // A problem naming a segment or a stage that failed to read follows from that error.
      if (errors_.size() > before && (segments_failed || stages_failed) &&
          (errors_.back().message().find("unknown segment") != std::string::npos ||
           errors_.back().message().find("unknown stage") != std::string::npos))
        errors_.pop_back();
    }
  });
  attempt("investment", [&] {
    if (YAML::Node inv = root["investment"]) investment(root, s);
  });
  attempt("correlations", [&] {
    if (YAML::Node c = root["correlations"]) correlations(c, s);
  });
  return s;
}

void Reader::simulation(const YAML::Node& root, Scenario& s) {
  if (const YAML::Node v = mapping(root, "", Scope::scenario, "simulation")) {
    if (YAML::Node t = v["trials"]) {
      note("simulation.trials", t);
      s.trials = integer(t, "simulation.trials", 1, std::numeric_limits<std::uint32_t>::max());
    }
    if (YAML::Node t = v["seed"]) {
      note("simulation.seed", t);
      std::uint64_t seed = 0;
      if (!t.IsScalar() || !parse_uint64(t.Scalar(), seed))
        fail(t, "simulation.seed", "must be a whole number between 0 and 18446744073709551615");
      s.seed = seed;
    }
    if (YAML::Node t = v["sampling"]) {
      note("simulation.sampling", t);
      s.sampling = choice<Sampling>(t, "simulation.sampling", SAMPLING_NAMES);
    }
    if (YAML::Node t = v["precision"]) {
      note("simulation.precision", t);
      require_seq(t, "simulation.precision");
      s.precision.clear();
      for (std::size_t i = 0; i < t.size(); ++i) {
        const std::string key = item_path("simulation.precision", i);
        try {
          s.precision.push_back(parse_precision(text(t[i], key)));
        } catch (const UsageError& e) {
          fail(t[i], key, e.what());
        }
      }
    }
    if (YAML::Node t = v["max_trials"]) {
      note("simulation.max_trials", t);
      s.max_trials =
          integer(t, "simulation.max_trials", FIRST_ROUND, std::numeric_limits<std::uint32_t>::max());
    }
    if (YAML::Node t = v["correlations"]) {
      note("simulation.correlations", t);
      static constexpr std::array<std::string_view, 2> MODES{"repair", "strict"};
      s.strict_correlations = choice<int>(t, "simulation.correlations", MODES) == 1;
    }
  }
}

void Reader::correlations(const YAML::Node& list, Scenario& s) {
  note("correlations", list);
  require_seq(list, "correlations");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node n = list[i];
    const std::string path = item_path("correlations", i);
    require_map(n, path);
    CorrelationEntry e;
    e.at = loc(n);
    e.key = path;
    e.pair = !n["inputs"];
    if (e.pair) {
      if (!n["between"])
        fail(n, path,
             "a correlation is {between: [PATH, PATH], rank: R} or {inputs: [PATH, ...], matrix: [[...], "
             "...]}");
      check_keys(n, path, {"between", "rank"});
      const YAML::Node between = n["between"];
      const std::string bp = child_path(path, "between");
      require_seq(between, bp);
      if (between.size() != 2) fail(between, bp, fmt::format("names two inputs, got {}", between.size()));
      for (std::size_t k = 0; k < 2; ++k) {
        e.inputs.push_back(text(between[k], item_path(bp, k)));
        e.input_at.push_back(loc(between[k]));
      }
      const YAML::Node rank = need(n, path, "rank");
      e.values_at = loc(rank);
      const double r = number(rank, child_path(path, "rank"));
      if (r < -1 || r > 1)
        fail(rank, child_path(path, "rank"), fmt::format("must lie in [-1, 1], got {}", r));
      e.matrix = {{1, r}, {r, 1}};
    } else {
      check_keys(n, path, {"inputs", "matrix"});
      const YAML::Node inputs = n["inputs"];
      const std::string ip = child_path(path, "inputs");
      require_seq(inputs, ip);
      if (inputs.size() < 2) fail(inputs, ip, "names at least two inputs");
      for (std::size_t k = 0; k < inputs.size(); ++k) {
        e.inputs.push_back(text(inputs[k], item_path(ip, k)));
        e.input_at.push_back(loc(inputs[k]));
      }
      const YAML::Node m = need(n, path, "matrix");
      const std::string mp = child_path(path, "matrix");
      e.values_at = loc(m);
      require_seq(m, mp);
      const std::size_t k = inputs.size();
      if (m.size() != k) fail(m, mp, fmt::format("has {} rows for {} inputs", m.size(), k));
      for (std::size_t r = 0; r < k; ++r) {
        const YAML::Node row = m[r];
        const std::string rp = item_path(mp, r);
        require_seq(row, rp);
        if (row.size() != k) fail(row, rp, fmt::format("has {} values for {} inputs", row.size(), k));
        std::vector<double> values;
        for (std::size_t c = 0; c < k; ++c) {
          const double x = number(row[c], item_path(rp, c));
          if (x < -1 || x > 1) fail(row[c], item_path(rp, c), fmt::format("must lie in [-1, 1], got {}", x));
          if (r == c && x != 1) fail(row[c], item_path(rp, c), fmt::format("the diagonal is 1, got {}", x));
          values.push_back(x);
        }
        e.matrix.push_back(std::move(values));
      }
      for (std::size_t r = 0; r < k; ++r)
        for (std::size_t c = r + 1; c < k; ++c)
          if (e.matrix[r][c] != e.matrix[c][r])
            fail(m[c][r], item_path(item_path(mp, c), r),
                 fmt::format("the matrix is symmetric: [{}][{}] is {} but [{}][{}] is {}", r, c,
                             e.matrix[r][c], c, r, e.matrix[c][r]));
    }
    s.correlations.push_back(std::move(e));
  }
}

Change Reader::change(const Scenario& s, const YAML::Node& c, const std::string& cp) {
  require_map(c, cp);
  const bool is_set = static_cast<bool>(c["set"]);
  if (!is_set && !c["scale"]) fail(c, cp, "a change is {set: PATH, to: VALUE} or {scale: PATH, by: NUMBER}");
  check_keys(
      c, cp,
      is_set ? std::vector<std::string_view>{"set", "to"} : std::vector<std::string_view>{"scale", "by"});
  const std::string verb = is_set ? "set" : "scale";
  const YAML::Node at = c[verb];
  Change out;
  out.verb = is_set ? Change::Verb::set : Change::Verb::scale;
  out.path = text(at, child_path(cp, verb));
  out.where = loc(c);
  out.path_at = loc(at);
  out.path_key = child_path(cp, verb);
  // The path is resolved here too, so that `to` is read as what it sets (shares or a quantity).
  const std::vector<ParamRef> targets = resolve_path(s, out.path, out.path_at, out.path_key);
  if (is_set) {
    const YAML::Node to = need(c, cp, "to");
    out.value_at = loc(to);
    out.value_key = child_path(cp, "to");
    out.to_shares = targets.front().spec->kind == Kind::shares;
    if (out.to_shares)
      out.shares = shares(to, out.value_key);
    else
      out.to = quantity(to, out.value_key);
  } else {
    const YAML::Node by = need(c, cp, "by");
    out.value_at = loc(by);
    out.value_key = child_path(cp, "by");
    out.by = number(by, out.value_key);
    if (out.by < 0) fail(by, out.value_key, "must be >= 0");
  }
  return out;
}

void Reader::apply_changes(Scenario& s, const YAML::Node& changes, const std::string& path) {
  note(path, changes);
  require_seq(changes, path);
  for (std::size_t i = 0; i < changes.size(); ++i)
    cxrisk::apply_changes(s, {change(s, changes[i], item_path(path, i))}, &where_);
}

void Reader::read_edits(Scenario& s, const YAML::Node& root, const std::vector<std::string_view>& allowed) {
  check_keys(root, "", allowed);
  if (YAML::Node name = root["name"]) {
    note("name", name);
    s.name = text(name, "name");
  }
  if (YAML::Node changes = root["changes"]) apply_changes(s, changes, "changes");
  if (YAML::Node inv = root["investment"]) investment(root, s);
  if (YAML::Node c = root["correlations"]) correlations(c, s);
}

/// What yaml-cpp's terse messages most likely mean, for a person who wrote the file.
std::string yaml_hint(const std::string& message, int line) {
  if (message.find("flow not found") != std::string::npos)
    return fmt::format(" (a {{ or [ opened before line {} is not closed)", line);
  if (message.find("end of sequence not found") != std::string::npos ||
      message.find("end of map not found") != std::string::npos)
    return fmt::format(
        " (check the indentation of line {}: it must line up with the other entries of its list "
        "or mapping)",
        line);
  if (message.find("illegal block entry") != std::string::npos)
    return fmt::format(
        " (a list entry '- ' cannot stand at line {}: a {{ or [ above it is not closed, or its "
        "indentation is off)",
        line);
  if (message.find("illegal map value") != std::string::npos ||
      message.find("bad indentation") != std::string::npos)
    return fmt::format(" (check the indentation of line {}, and that each colon is followed by a space)",
                       line);
  return "";
}

YAML::Node parse_yaml(const std::string& text, const std::string& display_name) {
  const auto at = [&](const YAML::Mark& m) { return FileLoc{display_name, m.line + 1, m.column + 1}; };
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(text);
    // A second document would be silently ignored: it is an error.
    if (documents.size() > 1)
      throw ScenarioError(at(documents[1].Mark()), "",
                          "a scenario file holds one YAML document; remove the `---` and what follows it");
    return documents.empty() ? YAML::Node() : documents[0];
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp stops at a fixed nesting depth with the message "bad file".
    throw ScenarioError(at(e.mark), "", "invalid YAML: nested too deeply (a scenario needs a few levels)");
  } catch (const YAML::Exception& e) {
    throw ScenarioError(at(e.mark), "", "invalid YAML: " + e.msg + yaml_hint(e.msg, e.mark.line + 1));
  }
}

/// What a load carries from file to file: its options, and the chain of files extending one another.
struct Loading {
  const LoadOptions& options;
  std::vector<fs::path> chain;
};

Scenario load_file(const fs::path& path, Loading& loading, const FileLoc& at, const std::string& key);

/// The longest chain of scenarios extending one another.
constexpr std::size_t MAX_EXTENDS_DEPTH = 64;

/// The base an improvement scenario extends, loaded (with its own base, and so on).
Scenario load_base(Reader& reader, const YAML::Node& extends, const std::string& display_name,
                   const fs::path& base_dir, Loading& loading) {
  const FileLoc at = reader.loc(extends);
  if (!extends.IsScalar() || extends.Scalar().empty())
    throw ScenarioError(at, "extends", "must be the path of the base scenario");
  const fs::path base_path = base_dir / extends.Scalar();
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(base_path, ec);
  std::vector<fs::path>& chain = loading.chain;
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    std::vector<std::string> names;
    for (auto it = std::find(chain.begin(), chain.end(), canonical); it != chain.end(); ++it)
      names.push_back(it->filename().string());
    names.push_back(canonical.filename().string());
    throw ScenarioError(at, "extends", fmt::format("extends itself: {}", join(names, " -> ")));
  }
  // Each level is read recursively: a bound keeps a runaway chain an input error rather than a stack
  // overflow.
  if (chain.size() >= MAX_EXTENDS_DEPTH)
    throw ScenarioError(
        at, "extends",
        fmt::format("more than {} scenarios extend one another ({} -> ... -> {})", MAX_EXTENDS_DEPTH,
                    chain.front().filename().string(), canonical.filename().string()));
  Scenario s = load_file(base_path, loading, at, "extends");
  s.source = display_name;
  return s;
}

/// check_scenario, with the warnings of what the check accepted but changed: shares that nearly sum to 1
/// (scaled to), a correlation matrix repaired.
void check_and_warn(Scenario& s, const SourceMap& where, const Reader* read = nullptr) {
  normalise_shares(s, where);
  if (read && !read->errors().empty()) {
    // Every error of the file at once: what the reader found, and what the checks find in the parts it
    // read whole (a part that failed holds a placeholder, whose checks would only repeat its error).
    std::vector<ScenarioError> errors = read->errors();
    for (ScenarioError& e : scenario_errors(s, where)) {
      const bool in_failed_part =
          std::any_of(read->failed().begin(), read->failed().end(), [&](const std::string& part) {
            return e.path() == part || e.path().starts_with(part + ".") || e.path().starts_with(part + "[");
          });
      if (!in_failed_part) errors.push_back(std::move(e));
    }
    // "horizon: required key is missing" follows from "horizn: unknown key; did you mean 'horizon'?".
    std::erase_if(errors, [&](const ScenarioError& missing) {
      if (missing.message() != "required key is missing") return false;
      const std::string key = missing.path().substr(missing.path().find_last_of(".]") + 1);
      return std::any_of(errors.begin(), errors.end(), [&](const ScenarioError& other) {
        return other.message().find(fmt::format("did you mean '{}'", key)) != std::string::npos;
      });
    });
    throw_scenario_errors(std::move(errors));
  }
  check_scenario(s, where);
  std::erase_if(s.warnings, [](const Warning& w) { return w.path.starts_with("correlations"); });
  const ResolvedCorrelations c = resolve_correlations(s);
  if (c.repaired.empty()) return;
  std::string list;
  for (const RepairedPair& p : c.repaired)
    list += fmt::format("\n  {} ~ {}: {} -> {:.3f}", p.a, p.b, p.asked, p.used);
  s.warnings.push_back(
      {c.at, c.key,
       "the rank correlations do not form a valid correlation matrix; the nearest valid one is "
       "used, which changes these pairs (simulation.correlations: strict makes this an "
       "error):" +
           list});
}

Scenario load_node(const YAML::Node& root, const std::string& display_name, const fs::path& base_dir,
                   Loading& loading) {
  Reader reader(display_name, base_dir, loading.options);
  if (!root || !root.IsMap() || !root["extends"]) {
    Scenario s = reader.read(root);
    check_and_warn(s, reader.where(), &reader);
    return s;
  }
  // An improvement scenario: a base, changes to it, what the improvement costs, and correlations to add.
  static const std::vector<std::string_view> ALLOWED{"cxrisk",  "name",       "extends",
                                                     "changes", "investment", "correlations"};
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (std::find(ALLOWED.begin(), ALLOWED.end(), key) == ALLOWED.end())
      throw ScenarioError(
          reader.loc(it->first), key,
          fmt::format("unknown key '{}' in a scenario that extends another (it takes cxrisk, name, "
                      "extends, changes, investment and correlations; change settings with `set`)",
                      key));
  }
  reader.schema_version(root);
  Scenario s = load_base(reader, root["extends"], display_name, base_dir, loading);
  if (!root["name"]) throw ScenarioError(reader.loc(root), "name", "required key is missing");
  reader.read_edits(s, root, ALLOWED);
  check_and_warn(s, reader.where());
  return s;
}

// `at` and `key` name where the file was named (an `extends`), or the file itself for the first one.
Scenario load_file(const fs::path& path, Loading& loading, const FileLoc& at, const std::string& key) {
  const bool base = key == "extends";
  const std::string text = read_input(path, MAX_SCENARIO_BYTES, base ? "base scenario" : "scenario file",
                                      loading.options, at, key);
  std::error_code ec;
  loading.chain.push_back(fs::weakly_canonical(path, ec));
  const fs::path dir = path.parent_path();
  Scenario s =
      load_node(parse_yaml(text, path.string()), path.string(), dir.empty() ? fs::path(".") : dir, loading);
  loading.chain.pop_back();
  return s;
}

}  // namespace

Scenario load_scenario(const std::string& path, const LoadOptions& options) {
  Loading loading{options, {}};
  return load_file(path, loading, {path, 0, 0}, "");
}

Scenario load_scenario_text(const std::string& text, const std::string& display_name,
                            const std::string& base_dir, const LoadOptions& options) {
  Loading loading{options, {}};
  return load_node(parse_yaml(text, display_name), display_name, base_dir, loading);
}

Scenario apply_changes(const Scenario& base, const std::string& changes_yaml,
                       const std::string& display_name) {
  Scenario s = base;
  const LoadOptions options;
  Reader reader(display_name, ".", options);
  const YAML::Node root = parse_yaml(changes_yaml, display_name);
  if (root.IsMap())
    reader.read_edits(s, root, {"name", "changes", "investment", "correlations"});
  else
    reader.apply_changes(s, root, "changes");
  check_and_warn(s, reader.where());
  return s;
}

}  // namespace cxrisk
