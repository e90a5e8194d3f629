// Processes played by threads sharing an in-memory communicator: the engine's side of a distributed run
// (chunk assignment, export and import of partial results, the ordered merge) without MPI.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cxrisk/communicator.h"

namespace cxrisk::test {

class Group {
 public:
  explicit Group(int size) : size_(size), slots_(static_cast<std::size_t>(size)) {}
  int size() const { return size_; }

  std::vector<std::string> gather(int rank, const std::string& mine) {
    slots_[static_cast<std::size_t>(rank)] = mine;
    barrier();
    std::vector<std::string> out = rank == 0 ? slots_ : std::vector<std::string>{};
    barrier();
    return out;
  }
  std::string broadcast(int rank, const std::string& from_root) {
    if (rank == 0) slots_[0] = from_root;
    barrier();
    std::string out = slots_[0];
    barrier();
    return out;
  }

 private:
  void barrier() {
    std::unique_lock<std::mutex> lock(mutex_);
    const int generation = generation_;
    if (++arrived_ == size_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation_ != generation; });
    }
  }
  int size_;
  std::vector<std::string> slots_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int arrived_ = 0, generation_ = 0;
};

class InMemory final : public Communicator {
 public:
  InMemory(Group& group, int rank) : group_(group), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return group_.size(); }
  std::vector<std::string> gather(const std::string& mine) const override {
    return group_.gather(rank_, mine);
  }
  std::string broadcast(const std::string& from_root) const override {
    return group_.broadcast(rank_, from_root);
  }

 private:
  Group& group_;
  int rank_;
};

/// Runs `work(communicator)` as `size` processes; returns what process 0 returned.
template <class Work>
auto as_processes(int size, Work work) {
  Group group(size);
  std::vector<std::thread> others;
  for (int r = 1; r < size; ++r)
    others.emplace_back([&, r] {
      InMemory comm(group, r);
      work(comm);
    });
  InMemory root(group, 0);
  auto result = work(root);
  for (auto& t : others) t.join();
  return result;
}

}  // namespace cxrisk::test
