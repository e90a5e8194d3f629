// The rounds of a run to a precision (cxrisk/precision.h), shared by run and compare.
#pragma once

#include <string>
#include <utility>

#include "cxrisk/communicator.h"
#include "cxrisk/precision.h"
#include "cxrisk/simulate.h"

namespace cxrisk {

/// Runs rounds until the targets are met or the maximum is reached: `run_round(trials)` runs one round and
/// returns {its result, the targets' status} (the status on process 0 only). Process 0 decides the next
/// round and tells the others, so that every process runs the same rounds. Returns the last round's result;
/// `report` gets every round (on process 0).
template <class RunRound>
auto grow_to_precision(const RunSettings::Resolved& r, const Communicator& comm, PrecisionReport& report,
                       RunRound run_round) {
  std::int64_t trials = FIRST_ROUND;
  for (;;) {
    auto [result, status] = run_round(trials);
    std::int64_t next = 0;
    if (comm.is_root()) {
      next = next_round(trials, status, r.max_trials, r.sampling);
      report.rounds.push_back({trials, std::move(status)});
    }
    if (comm.size() > 1) next = std::stoll(comm.broadcast(std::to_string(next)));
    if (next == 0) return std::move(result);
    trials = next;
  }
}

}  // namespace cxrisk
