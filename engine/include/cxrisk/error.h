// Typed errors of the cxrisk library. The library throws; only main() and the bindings turn an error into an
// exit status or a Python exception (STYLE.md, rule 8).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace cxrisk {

/// A place in an input file; line and column count from 1, 0 means "unknown".
struct FileLoc {
  std::string file;
  int line = 0;
  int column = 0;

  /// "file:line:col", or as much of it as is known.
  std::string to_string() const;
};

/// Base of every error the library throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad input: a scenario file (or dict, or change) that does not follow the schema. Exit status 2.
class ScenarioError : public Error {
 public:
  /// `path` is the key path inside the scenario, e.g. "problems[0].complaint_rate.sd".
  ScenarioError(FileLoc loc, std::string path, std::string message);

  const FileLoc& loc() const { return loc_; }
  const std::string& path() const { return path_; }
  /// The message without the location and key prefix.
  const std::string& message() const { return message_; }

 private:
  FileLoc loc_;
  std::string path_;
  std::string message_;
};

/// Several independent errors of one scenario file, in file order (`cxrisk validate` reports every one in a
/// round): the first is this error's location, key and message; what() has a line for each, every line after
/// the first beginning "error: ", as the command line prints errors.
class ScenarioErrors : public ScenarioError {
 public:
  explicit ScenarioErrors(std::vector<ScenarioError> errors);
  const std::vector<ScenarioError>& errors() const { return errors_; }
  const char* what() const noexcept override { return text_.c_str(); }

 private:
  std::vector<ScenarioError> errors_;
  std::string text_;
};

/// Throws the errors (none: returns): in file order, each once; one as a ScenarioError, several as
/// ScenarioErrors.
void throw_scenario_errors(std::vector<ScenarioError> errors);

/// Bad use of the library or the command line (an option out of range, say). Exit status 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

/// A failure while running (an output that cannot be written, an interrupted run). Exit status 1.
class RuntimeError : public Error {
 public:
  using Error::Error;
};

/// Thrown when a run is cancelled through its cancellation flag (Ctrl-C in Python, say).
class Cancelled : public RuntimeError {
 public:
  Cancelled() : RuntimeError("run cancelled") {}
};

}  // namespace cxrisk

/// Throws `type` with a streamed message when `cond` is false, in the manner of ORE's QL_REQUIRE.
#define CXRISK_REQUIRE_AS(type, cond, msg) \
  do {                                     \
    if (!(cond)) {                         \
      std::ostringstream cxrisk_os_;       \
      cxrisk_os_ << msg;                   \
      throw type(cxrisk_os_.str());        \
    }                                      \
  } while (false)

/// Throws cxrisk::UsageError when `cond` is false.
#define CXRISK_REQUIRE(cond, msg) CXRISK_REQUIRE_AS(::cxrisk::UsageError, cond, msg)
