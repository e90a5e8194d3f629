// The compiled core of the Python module: a thin layer over the cxrisk library. The public Python API is in
// cxrisk/__init__.py; this file only moves values across and turns C++ errors into Python exceptions.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>

#include "cxrisk/batch.h"
#include "cxrisk/compare.h"
#include "cxrisk/loader.h"
#include "cxrisk/output.h"
#include "cxrisk/sensitivity.h"
#include "cxrisk/simulate.h"
#include "cxrisk/sweep.h"
#include "cxrisk/version.h"

namespace py = pybind11;

namespace {

/// Runs `work(cancel)` on a worker thread with the GIL released, checking for Ctrl-C every 50 ms; an
/// interrupt cancels the run and raises KeyboardInterrupt in Python.
template <class Work>
auto interruptible(Work work) {
  std::atomic<bool> cancel{false};
  auto future = std::async(std::launch::async, [&] { return work(&cancel); });
  bool interrupted = false;
  {
    py::gil_scoped_release release;
    while (future.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
      py::gil_scoped_acquire acquire;
      if (PyErr_CheckSignals() != 0) {
        interrupted = true;
        cancel = true;
        break;
      }
    }
    if (interrupted) future.wait();
  }
  if (interrupted) {
    try {
      future.get();
    } catch (const cxrisk::Cancelled&) {
    }
    throw py::error_already_set();
  }
  return future.get();
}

/// A run's results, shared with the numpy arrays that view its samples.
struct PyRunResult {
  std::shared_ptr<cxrisk::RunResult> result;

  std::string summary_json() const { return cxrisk::summary_json(result->summary); }

  py::array_t<double> samples(const std::string& metric, py::object self) const {
    for (int m = 0; m < cxrisk::N_METRICS; ++m) {
      if (cxrisk::METRIC_NAMES[m] != metric) continue;
      const auto view = result->metric_samples(m);
      // A read-only view of the C++ array, kept alive by this result: no copy per element.
      py::array_t<double> array({static_cast<py::ssize_t>(view.size())},
                                {static_cast<py::ssize_t>(sizeof(double))}, view.data(), self);
      py::detail::array_proxy(array.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
      return array;
    }
    throw py::key_error("unknown metric '" + metric + "'");
  }
};

struct PyComparison {
  std::shared_ptr<cxrisk::Comparison> comparison;
  std::string json() const { return cxrisk::comparison_json(*comparison); }
  py::array_t<double> samples(std::size_t alternative, const std::string& what, py::object self) const {
    if (alternative >= comparison->alternatives.size()) throw py::index_error("no such alternative");
    const auto& a = comparison->alternatives[alternative];
    const std::vector<double>* v = what == "savings"       ? &a.savings_samples
                                   : what == "net_benefit" ? &a.net_benefit_samples
                                                           : nullptr;
    if (!v) throw py::key_error("samples are 'savings' or 'net_benefit'");
    return py::array_t<double>({static_cast<py::ssize_t>(v->size())},
                               {static_cast<py::ssize_t>(sizeof(double))}, v->data(), self);
  }
};

/// `text` as a Python str, bytes that are not UTF-8 decoded with `errors` ("replace" for messages that may
/// quote a bad input's bytes, "surrogateescape" for file names, as os.fsdecode does).
py::str decoded(const std::string& text, const char* errors = "replace") {
  return py::reinterpret_steal<py::str>(
      PyUnicode_DecodeUTF8(text.data(), static_cast<py::ssize_t>(text.size()), errors));
}

cxrisk::Mode mode_of(const std::string& mode) {
  return cxrisk::parse_mode(mode);  // UsageError -> ValueError
}

// The settings of run, compare and sensitivity.
cxrisk::RunSettings settings_of(std::optional<std::int64_t> trials, std::optional<std::uint64_t> seed,
                                int threads, const std::optional<std::string>& sampling,
                                const std::optional<std::vector<std::string>>& precision = {},
                                std::optional<std::int64_t> max_trials = {}, bool comparison = false,
                                std::optional<bool> variance_reduction = {}) {
  cxrisk::RunSettings o;
  o.trials = trials;
  o.seed = seed;
  o.threads = threads;
  // UsageError -> ValueError
  if (sampling) o.sampling = cxrisk::parse_sampling(*sampling);
  if (precision) {
    std::vector<cxrisk::PrecisionTarget> targets;
    for (const std::string& t : *precision) targets.push_back(cxrisk::parse_precision(t, comparison));
    o.precision = std::move(targets);
  }
  o.max_trials = max_trials;
  o.variance_reduction = variance_reduction;
  return o;
}

}  // namespace

PYBIND11_MODULE(_cxrisk, m) {
  m.doc() = "The compiled core of cxrisk; use the functions of the cxrisk package.";
  m.attr("__version__") = cxrisk::VERSION;
  m.attr("MAX_THREADS") = cxrisk::MAX_THREADS;
  m.attr("METRICS") =
      py::cast(std::vector<std::string>(cxrisk::METRIC_NAMES.begin(), cxrisk::METRIC_NAMES.end()));

  static py::exception<cxrisk::ScenarioError> scenario_error(m, "ScenarioError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const cxrisk::ScenarioError& e) {
      // A message may quote bytes of the input that are not UTF-8 (an unknown key, say).
      py::object error = py::reinterpret_borrow<py::object>(scenario_error.ptr())(decoded(e.what()));
      error.attr("file") = decoded(e.loc().file, "surrogateescape");
      error.attr("line") = e.loc().line > 0 ? py::cast(e.loc().line) : py::none();
      error.attr("column") = e.loc().column > 0 ? py::cast(e.loc().column) : py::none();
      error.attr("path") = decoded(e.path());
      error.attr("message") = decoded(e.message());
      PyErr_SetObject(scenario_error.ptr(), error.ptr());
    } catch (const cxrisk::Cancelled& e) {
      PyErr_SetObject(PyExc_KeyboardInterrupt, decoded(e.what()).ptr());
    } catch (const cxrisk::UsageError& e) {
      PyErr_SetObject(PyExc_ValueError, decoded(e.what()).ptr());
    } catch (const cxrisk::RuntimeError& e) {
      PyErr_SetObject(PyExc_RuntimeError, decoded(e.what()).ptr());
    }
  });

  py::class_<cxrisk::Scenario>(m, "Scenario", "A checked scenario (schema version 1).")
      .def_property_readonly("name", [](const cxrisk::Scenario& s) { return s.name; })
      .def_property_readonly("source",
                             [](const cxrisk::Scenario& s) { return decoded(s.source, "surrogateescape"); })
      .def_property_readonly("trials", [](const cxrisk::Scenario& s) { return s.trials; })
      .def_property_readonly("seed", [](const cxrisk::Scenario& s) { return s.seed; })
      .def_property_readonly(
          "sampling", [](const cxrisk::Scenario& s) { return std::string(cxrisk::to_string(s.sampling)); })
      .def_property_readonly("warnings",
                             [](const cxrisk::Scenario& s) {
                               std::vector<std::string> out;
                               for (const cxrisk::Warning& w : s.warnings) out.push_back(w.to_string());
                               return out;
                             })
      .def_property_readonly("segments",
                             [](const cxrisk::Scenario& s) {
                               std::vector<std::string> names;
                               for (const auto& x : s.segments) names.push_back(x.name);
                               return names;
                             })
      .def_property_readonly("problems",
                             [](const cxrisk::Scenario& s) {
                               std::vector<std::string> names;
                               for (const auto& x : s.problems) names.push_back(x.name);
                               return names;
                             })
      .def_property_readonly("stages", [](const cxrisk::Scenario& s) { return s.stages; })
      .def("to_yaml", [](const cxrisk::Scenario& s) { return cxrisk::dump_yaml(s, true); })
      .def("_to_json", [](const cxrisk::Scenario& s) { return cxrisk::dump_json(s, true); })
      .def("__eq__", [](const cxrisk::Scenario& a, const cxrisk::Scenario& b) { return a == b; })
      .def("_with_changes", [](const cxrisk::Scenario& s, const std::string& changes) {
        return cxrisk::apply_changes(s, changes, "<changes>");
      });

  m.def(
      "_load_file",
      [](const std::string& path, const std::string& confine) {
        return cxrisk::load_scenario(path, {confine});
      },
      py::arg("path"), py::arg("confine"));
  m.def(
      "_load_text",
      [](const std::string& text, const std::string& display_name, const std::string& base_dir,
         const std::string& confine) {
        return cxrisk::load_scenario_text(text, display_name, base_dir, {confine});
      },
      py::arg("text"), py::arg("display_name"), py::arg("base_dir"), py::arg("confine"));

  py::class_<PyRunResult>(m, "_RunResult")
      .def_property_readonly("trials", [](const PyRunResult& r) { return r.result->summary.trials; })
      .def("summary_json", &PyRunResult::summary_json)
      .def(
          "write",
          [](const PyRunResult& r, const std::string& dir, bool samples, bool report,
             const std::string& command, std::optional<cxrisk::Scenario> scenario, const std::string& mode,
             bool breakdown) {
            const cxrisk::Provenance p{command, {}, cxrisk::resolve_threads(0), 1};
            std::optional<cxrisk::TrialDetails> details;
            if (samples && scenario) details.emplace(*scenario, r.result->summary, mode_of(mode), breakdown);
            cxrisk::write_run(dir, *r.result, samples, nullptr,
                              {&p, report, false, details ? &*details : nullptr});
          },
          py::arg("dir"), py::arg("samples"), py::arg("report") = false, py::arg("command") = "",
          py::arg("scenario") = py::none(), py::arg("mode") = "aggregate", py::arg("breakdown") = false)
      .def("samples",
           [](py::object self, const std::string& metric) {
             return self.cast<const PyRunResult&>().samples(metric, self);
           })
      .def(
          "details",
          [](const PyRunResult& r, const cxrisk::Scenario& s, const std::string& mode, bool breakdown) {
            // Each trial's sampled inputs (and breakdowns), recomputed as `run --samples` writes them.
            const cxrisk::TrialDetails details(s, r.result->summary, mode_of(mode), breakdown);
            const auto n = static_cast<std::size_t>(r.result->summary.trials);
            const std::size_t width = details.columns().size();
            py::array_t<double> values({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(width)});
            double* out = values.mutable_data();
            interruptible([&](const std::atomic<bool>* cancel) {
              constexpr std::size_t BLOCK = 4096;
              for (std::size_t t = 0; t < n; t += BLOCK)
                details.rows(t, static_cast<int>(std::min(BLOCK, n - t)), out + t * width, cancel);
              return 0;
            });
            return std::pair{details.columns(), values};
          },
          py::arg("scenario"), py::arg("mode"), py::arg("breakdown"));

  m.def(
      "_run",
      [](const cxrisk::Scenario& s, std::optional<std::int64_t> trials, std::optional<std::uint64_t> seed,
         int threads, std::optional<std::string> sampling, std::optional<std::vector<std::string>> precision,
         std::optional<std::int64_t> max_trials, std::optional<bool> variance_reduction,
         const std::string& mode) {
        cxrisk::RunSettings o =
            settings_of(trials, seed, threads, sampling, precision, max_trials, false, variance_reduction);
        o.mode = mode_of(mode);
        auto result = interruptible([&](const std::atomic<bool>* cancel) {
          o.cancel = cancel;
          return std::make_shared<cxrisk::RunResult>(cxrisk::run(s, o));
        });
        return PyRunResult{std::move(result)};
      },
      py::arg("scenario"), py::arg("trials"), py::arg("seed"), py::arg("threads"), py::arg("sampling"),
      py::arg("precision"), py::arg("max_trials"), py::arg("variance_reduction"), py::arg("mode"));

  m.def("_expect", [](const cxrisk::Scenario& s) { return cxrisk::summary_json(cxrisk::expect(s)); });

  py::class_<PyComparison>(m, "_Comparison")
      .def("json", &PyComparison::json)
      .def("csv", [](const PyComparison& c) { return cxrisk::comparison_csv(*c.comparison); })
      .def(
          "write",
          [](const PyComparison& c, const std::string& dir, bool report, const std::string& command) {
            const cxrisk::Provenance p{command, {}, cxrisk::resolve_threads(0), 1};
            cxrisk::write_comparison(dir, *c.comparison, {&p, report});
          },
          py::arg("dir"), py::arg("report"), py::arg("command"))
      .def("samples", [](py::object self, std::size_t alternative, const std::string& what) {
        return self.cast<const PyComparison&>().samples(alternative, what, self);
      });

  m.def(
      "_compare",
      [](const cxrisk::Scenario& base, const std::vector<cxrisk::Scenario>& alternatives,
         std::optional<std::int64_t> trials, std::optional<std::uint64_t> seed, int threads,
         std::optional<std::string> sampling, std::optional<std::vector<std::string>> precision,
         std::optional<std::int64_t> max_trials, bool voi) {
        cxrisk::RunSettings o = settings_of(trials, seed, threads, sampling, precision, max_trials, true);
        auto c = interruptible([&](const std::atomic<bool>* cancel) {
          o.cancel = cancel;
          auto comparison = std::make_shared<cxrisk::Comparison>(cxrisk::compare(base, alternatives, o));
          if (voi) {
            // On the comparison's trials: those a run to a precision stopped at.
            o.trials = comparison->trials;
            o.precision = std::vector<cxrisk::PrecisionTarget>{};
            comparison->voi = cxrisk::value_of_information(base, alternatives, o);
          }
          return comparison;
        });
        return PyComparison{std::move(c)};
      },
      py::arg("base"), py::arg("alternatives"), py::arg("trials"), py::arg("seed"), py::arg("threads"),
      py::arg("sampling"), py::arg("precision"), py::arg("max_trials"), py::arg("voi"));

  m.def(
      "_batch",
      [](const std::vector<std::string>& paths, const std::string& out, bool resume,
         std::optional<std::int64_t> trials, std::optional<std::uint64_t> seed, int threads,
         std::optional<std::string> sampling, std::optional<std::vector<std::string>> precision,
         std::optional<std::int64_t> max_trials, const std::string& confine,
         const std::vector<std::string>& exclude) {
        cxrisk::RunSettings o = settings_of(trials, seed, threads, sampling, precision, max_trials);
        const std::vector<std::string> files = cxrisk::collect_scenario_files(paths, exclude);
        if (files.empty()) throw cxrisk::UsageError("no scenario files (*.yaml, *.yml) found");
        if (resume && out.empty())
          throw cxrisk::UsageError("resume needs out (the folder of the earlier batch)");
        if (!out.empty()) cxrisk::check_output_folder(out);
        const cxrisk::BatchResult result = interruptible([&](const std::atomic<bool>* cancel) {
          o.cancel = cancel;
          return cxrisk::batch(files, o, {out, resume, false}, {confine});
        });
        return std::pair{cxrisk::batch_json(result), cxrisk::batch_csv(result)};
      },
      py::arg("paths"), py::arg("out"), py::arg("resume"), py::arg("trials"), py::arg("seed"),
      py::arg("threads"), py::arg("sampling"), py::arg("precision"), py::arg("max_trials"),
      py::arg("confine"), py::arg("exclude"));

  m.def(
      "_sweep",
      [](const cxrisk::Scenario& s, const std::vector<std::string>& vary, const std::string& out,
         std::optional<std::int64_t> trials, std::optional<std::uint64_t> seed, int threads,
         std::optional<std::string> sampling, std::optional<cxrisk::Scenario> alternative) {
        cxrisk::RunSettings o = settings_of(trials, seed, threads, sampling);
        std::vector<cxrisk::SweepAxis> axes;
        for (const std::string& spec : vary) axes.push_back(cxrisk::parse_sweep_axis(spec));
        if (!out.empty()) cxrisk::check_output_folder(out);
        const cxrisk::Sweep sweep = interruptible([&](const std::atomic<bool>* cancel) {
          o.cancel = cancel;
          cxrisk::SweepOptions options;
          if (alternative) options.alternative = &*alternative;
          return cxrisk::sweep(s, axes, o, options);
        });
        const std::string json = cxrisk::sweep_json(sweep), csv = cxrisk::sweep_csv(sweep);
        if (!out.empty()) cxrisk::write_files_atomically(out, {{"sweep.csv", csv}, {"sweep.json", json}});
        return std::pair{json, csv};
      },
      py::arg("scenario"), py::arg("vary"), py::arg("out"), py::arg("trials"), py::arg("seed"),
      py::arg("threads"), py::arg("sampling"), py::arg("alternative"));

  m.def(
      "_write_with_report",
      [](const std::string& dir, const std::map<std::string, std::string>& files,
         const std::string& command) {
        const cxrisk::Provenance p{command, {}, cxrisk::resolve_threads(0), 1};
        cxrisk::write_with_report(dir, files, &p);
      },
      py::arg("dir"), py::arg("files"), py::arg("command"));

  m.def(
      "_sensitivity",
      [](const cxrisk::Scenario& s, const std::vector<std::string>& metrics, std::int64_t design,
         std::optional<std::int64_t> trials, std::optional<std::uint64_t> seed, int threads,
         std::optional<std::string> sampling) {
        cxrisk::RunSettings o = settings_of(trials, seed, threads, sampling);
        cxrisk::SensitivityOptions options;
        if (!metrics.empty()) options.metrics.clear();
        for (const std::string& name : metrics) options.metrics.push_back(cxrisk::parse_metric(name));
        options.design_rows = design;
        return interruptible([&](const std::atomic<bool>* cancel) {
          o.cancel = cancel;
          return cxrisk::sensitivity_json(cxrisk::sensitivity(s, o, options));
        });
      },
      py::arg("scenario"), py::arg("metrics"), py::arg("design"), py::arg("trials"), py::arg("seed"),
      py::arg("threads"), py::arg("sampling"));
}
