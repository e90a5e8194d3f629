// The processes a run is spread over. The library never calls MPI itself: a distributed front end (the
// command line under mpirun) hands it a Communicator, and the library only exchanges bytes through it.
#pragma once

#include <string>
#include <vector>

namespace cxrisk {

/// A group of cooperating processes, numbered 0 .. size() - 1; process 0 gathers the results.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Every process's bytes, in rank order, on process 0; an empty list elsewhere. Collective.
  virtual std::vector<std::string> gather(const std::string& mine) const = 0;
  /// Process 0's bytes on every process. Collective.
  virtual std::string broadcast(const std::string& from_root) const = 0;

  bool is_root() const { return rank() == 0; }
};

/// The communicator of a process on its own (rank 0 of 1).
const Communicator& serial_communicator();

}  // namespace cxrisk
