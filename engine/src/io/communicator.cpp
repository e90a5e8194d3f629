#include "cxrisk/communicator.h"

#include <fmt/format.h>

#include <algorithm>

#include "io/json.h"

namespace cxrisk {

namespace {
/// "process 3 (node07)", or "process 3" when the host is not known.
std::string process_name(int rank, const std::string& host) {
  return host.empty() ? fmt::format("process {}", rank) : fmt::format("process {} ({})", rank, host);
}

/// One process's arrival, and the machine it runs on.
struct Arrived : Arrival {
  std::string host;
};

/// The verdict of process 0 on every process's arrival: {} when the job can start, else {status, message}.
std::pair<int, std::string> judge(const std::vector<Arrived>& all) {
  int worst = 0;
  for (const Arrived& a : all) worst = std::max(worst, a.status);
  if (worst != 0) {
    // The first process with the worst failure speaks for the job (its exit status goes with its message); a
    // failure of process 0 needs no name, as it is the one that prints. Others that failed with the same
    // message (the same bad file) are not repeated.
    int first = -1, others = 0;
    for (int r = 0; r < static_cast<int>(all.size()); ++r)
      if (all[r].status == worst && first < 0) first = r;
    for (int r = 0; r < static_cast<int>(all.size()); ++r)
      others += all[r].status != 0 && all[r].error != all[first].error;
    std::string message = first == 0
                              ? all[0].error
                              : fmt::format("{}: {}", process_name(first, all[first].host), all[first].error);
    if (others == 1) message += " (and one other process failed with another error)";
    if (others > 1) message += fmt::format(" (and {} other processes failed with other errors)", others);
    return {worst, message};
  }
  const InputDigests& root = all[0].digests;
  for (int r = 1; r < static_cast<int>(all.size()); ++r) {
    const InputDigests& d = all[r].digests;
    if (d == root) continue;
    // The first input that differs: by its digest, or by its name (the lists of two folders, say).
    const std::string p0 = process_name(0, all[0].host), pr = process_name(r, all[r].host);
    std::string what;
    for (std::size_t i = 0; i < std::min(d.size(), root.size()) && what.empty(); ++i)
      if (d[i].first != root[i].first)
        what = fmt::format("{} read '{}' where {} read '{}'", p0, root[i].first, pr, d[i].first);
      else if (d[i].second != root[i].second)
        what = fmt::format("{} differs between {} and {}", root[i].first, p0, pr);
    if (what.empty()) what = fmt::format("{} has {} inputs and {} has {}", p0, root.size(), pr, d.size());
    return {2, fmt::format("the processes read different inputs: {}; every process must see the same files "
                           "(a shared folder, or identical copies) and the same options",
                           what)};
  }
  return {0, {}};
}

Json to_json(const Arrival& a, const std::string& host) {
  Json digests = Json::array();
  for (const auto& [name, digest] : a.digests) digests.push_back(Json::array({name, digest}));
  return Json{{"digests", digests}, {"status", a.status}, {"error", a.error}, {"host", host}};
}

Arrived from_json(const Json& j) {
  Arrived a;
  for (const Json& d : j.at("digests")) a.digests.emplace_back(d.at(0), d.at(1));
  a.status = j.at("status");
  a.error = j.at("error");
  a.host = j.at("host");
  return a;
}
}  // namespace

void agree_on_inputs(const Communicator& comm, const Arrival& mine) {
  if (comm.size() == 1) {
    if (mine.status != 0) throw JobError(mine.status, mine.error);
    return;
  }
  // Through the JSON writer, as everywhere: a message quoting bytes that are not UTF-8 still travels.
  const std::vector<std::string> parts = comm.gather(json_text(to_json(mine, comm.host())));
  Json verdict;
  if (comm.is_root()) {
    std::vector<Arrived> all;
    for (const std::string& part : parts) all.push_back(from_json(Json::parse(part)));
    const auto [status, message] = judge(all);
    verdict = Json{{"status", status}, {"message", message}};
  }
  verdict = Json::parse(comm.broadcast(comm.is_root() ? json_text(verdict) : std::string()));
  const int status = verdict.at("status");
  if (status != 0) throw JobError(status, verdict.at("message").get<std::string>());
}

}  // namespace cxrisk
