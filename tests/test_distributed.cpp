// Runs spread over several processes give the same numbers as one process. The processes are played by
// threads sharing an in-memory communicator, so this tests the engine's side (chunk assignment, export and
// import of partial results, the ordered merge) without MPI; the command-line tests run the real mpirun.
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "cxrisk/compare.h"
#include "cxrisk/output.h"
#include "helpers.h"
#include "processes.h"

using namespace cxrisk;

using test::as_processes;

TEST_CASE("A run spread over processes equals the run of one process", "[distributed]") {
  const Scenario s = load_scenario(std::string(CXRISK_SCENARIOS) + "/ecommerce.yaml");
  for (std::size_t budget : {std::size_t{256} << 20, std::size_t{0}}) {  // exact breakdowns, then sketched
    RunSettings o;
    o.trials = 1000;
    o.threads = 1;
    const Keep keep{.memory_budget = budget};
    const std::string serial = summary_json(run(s, o, keep).summary);
    for (int size : {2, 3}) {
      // What each process's summary counts (checked here: Catch2's assertions are for one thread only).
      std::vector<std::int64_t> counted(static_cast<std::size_t>(size), -1);
      const std::string spread = as_processes(size, [&](const Communicator& comm) {
        RunSettings mine = o;
        mine.communicator = &comm;
        const RunResult r = run(s, mine, keep);
        counted[static_cast<std::size_t>(comm.rank())] = r.summary.trials;
        return comm.rank() == 0 ? summary_json(r.summary) : std::string();
      });
      INFO(size << " processes, budget " << budget);
      CHECK(spread == serial);
      CHECK(counted[0] == 1000);
      for (int rank = 1; rank < size; ++rank) CHECK(counted[static_cast<std::size_t>(rank)] == 0);
    }
  }
}

TEST_CASE("A comparison spread over processes equals the comparison of one process", "[distributed]") {
  const Scenario base = load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom.yaml");
  const Scenario alt =
      load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom_first_contact_resolution.yaml");
  RunSettings o;
  o.trials = 600;
  o.threads = 1;
  const std::string serial = comparison_json(compare(base, {alt}, o));
  const std::string spread = as_processes(3, [&](const Communicator& comm) {
    RunSettings mine = o;
    mine.communicator = &comm;
    const Comparison c = compare(base, {alt}, mine);
    return comm.rank() == 0 ? comparison_json(c) : std::string();
  });
  CHECK(spread == serial);

  // With the value of information, which process 0 computes on its own.
  o.trials = 1000;
  Comparison with_voi = compare(base, {alt}, o);
  with_voi.voi = value_of_information(base, {alt}, o);
  const std::string spread_voi = as_processes(2, [&](const Communicator& comm) {
    RunSettings mine = o;
    mine.communicator = &comm;
    Comparison c = compare(base, {alt}, mine);
    c.voi = value_of_information(base, {alt}, mine);
    return comm.rank() == 0 ? comparison_json(c) : std::string();
  });
  CHECK(spread_voi == comparison_json(with_voi));
}

#include "cxrisk/batch.h"

TEST_CASE("Batches and sweeps spread over processes equal those of one process", "[distributed]") {
  const std::vector<std::string> files{std::string(CXRISK_SCENARIOS) + "/tarp_major.yaml",
                                       std::string(CXRISK_SCENARIOS) + "/ecommerce.yaml",
                                       std::string(CXRISK_TEST_DATA) + "/bad/unknown_stage.yaml",
                                       std::string(CXRISK_SCENARIOS) + "/saas_b2b.yaml"};
  RunSettings b;
  b.trials = 300;
  b.threads = 1;
  const std::string serial = batch_json(batch(files, b));
  const std::string spread = as_processes(3, [&](const Communicator& comm) {
    RunSettings mine = b;
    mine.communicator = &comm;
    const BatchResult r = batch(files, mine);
    return comm.rank() == 0 ? batch_json(r) : std::string();
  });
  CHECK(spread == serial);

  const Scenario s = load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom.yaml");
  const std::vector<SweepAxis> axes{parse_sweep_axis("problems.billing_error.complaint_rate=0.3:0.7:0.2")};
  RunSettings o;
  o.trials = 300;
  o.threads = 1;
  const std::string serial_sweep = sweep_json(sweep(s, axes, o));
  const std::string spread_sweep = as_processes(2, [&](const Communicator& comm) {
    RunSettings mine = o;
    mine.communicator = &comm;
    const Sweep w = sweep(s, axes, mine);
    return comm.rank() == 0 ? sweep_json(w) : std::string();
  });
  CHECK(spread_sweep == serial_sweep);
}

TEST_CASE("Processes that read different inputs, or could not read them, stop together", "[distributed]") {
  // What each process's agree_on_inputs did: "" when it returned, else "<status> <message>".
  const auto meet = [](const std::vector<Arrival>& arrivals) {
    std::vector<std::string> seen(arrivals.size());
    as_processes(static_cast<int>(arrivals.size()), [&](const Communicator& comm) {
      const auto r = static_cast<std::size_t>(comm.rank());
      try {
        agree_on_inputs(comm, arrivals[r]);
      } catch (const JobError& e) {
        seen[r] = std::to_string(e.status()) + " " + e.what();
      }
      return 0;
    });
    return seen;
  };
  const Arrival ready{{{"a.yaml", "1f"}, {"the command line", "run trials=10"}}, 0, {}};
  const auto same = [](const std::vector<std::string>& seen, const std::string& expected) {
    for (const auto& s : seen) CHECK(s == expected);
  };

  same(meet({ready, ready, ready}), "");
  // One process could not read its file: every process stops with its error.
  const Arrival missing{{}, 2, "a.yaml: cannot open the scenario file"};
  same(meet({ready, ready, missing}), "2 process 2: a.yaml: cannot open the scenario file");
  // Every process met the same bad file: the message once, as one process would print it.
  same(meet({missing, missing, missing}), "2 a.yaml: cannot open the scenario file");
  // The worst failure speaks, with its exit status; the others are counted, not repeated.
  const Arrival broken{{}, 1, "out of memory"};
  same(
      meet({ready, broken, missing, missing}),
      "2 process 2: a.yaml: cannot open the scenario file (and one other process failed with another error)");
  same(meet({broken, ready}), "1 out of memory");
  // Different contents, options, or lists of files.
  Arrival changed = ready;
  changed.digests[0].second = "2e";
  const std::string advice =
      "; every process must see the same files (a shared folder, or identical copies) and the same options";
  same(meet({ready, ready, changed}),
       "2 the processes read different inputs: a.yaml differs between process 0 and process 2" + advice);
  changed = ready;
  changed.digests[1].second = "run trials=11";
  same(meet({ready, changed}),
       "2 the processes read different inputs: the command line differs between process 0 and process 1" +
           advice);
  changed = ready;
  changed.digests.insert(changed.digests.begin(), {"0.yaml", "3d"});
  same(meet({ready, changed}),
       "2 the processes read different inputs: process 0 read 'a.yaml' where process 1 read '0.yaml'" +
           advice);
  changed = ready;
  changed.digests.pop_back();
  same(meet({ready, changed}),
       "2 the processes read different inputs: process 0 has 2 inputs and process 1 has 1" + advice);
  // A message with bytes that are not UTF-8 travels (replaced), as every output does.
  same(meet({ready, {{}, 2, "bad key 'x\xff'"}}), "2 process 1: bad key 'x\xef\xbf\xbd'");
  // A process on its own: ready returns, a failure comes back as the job's error.
  CHECK_NOTHROW(agree_on_inputs(serial_communicator(), ready));
  try {
    agree_on_inputs(serial_communicator(), missing);
    FAIL("no error");
  } catch (const JobError& e) {
    CHECK(e.status() == 2);
    CHECK(std::string(e.what()) == "a.yaml: cannot open the scenario file");
  }
}

#include "cxrisk/sensitivity.h"

TEST_CASE("A sensitivity analysis spread over processes equals that of one process", "[distributed]") {
  const Scenario s = load_scenario(std::string(CXRISK_SCENARIOS) + "/saas_b2b.yaml");
  RunSettings o;
  o.trials = 400;
  o.threads = 1;
  SensitivityOptions options;
  options.design_rows = 128;
  const std::string serial = sensitivity_json(sensitivity(s, o, options));
  const std::string spread = as_processes(3, [&](const Communicator& comm) {
    RunSettings mine = o;
    mine.communicator = &comm;
    const Sensitivity r = sensitivity(s, mine, options);
    return comm.rank() == 0 ? sensitivity_json(r) : std::string();
  });
  CHECK(spread == serial);
}

TEST_CASE("Designed and correlated runs spread over processes equal the run of one process",
          "[distributed]") {
  const Scenario base = load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom.yaml");
  const Scenario s = apply_changes(base, R"(
name: Telecom, correlated
correlations:
  - {between: ["problems.*.incidence", "problems.*.complaint_rate"], rank: 0.5}
)");
  for (Sampling sampling : {Sampling::lhs, Sampling::sobol}) {
    RunSettings o;
    o.trials = 2000;
    o.threads = 1;
    o.sampling = sampling;
    const std::string serial = summary_json(run(s, o).summary);
    const std::string spread = as_processes(3, [&](const Communicator& comm) {
      RunSettings mine = o;
      mine.communicator = &comm;
      const RunResult r = run(s, mine);
      return comm.rank() == 0 ? summary_json(r.summary) : std::string();
    });
    INFO(to_string(sampling));
    CHECK(spread == serial);
  }
}
