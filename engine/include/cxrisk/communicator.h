// The processes a run is spread over. The library never calls MPI itself: a distributed front end (the
// command line under mpirun) hands it a Communicator, and the library only exchanges bytes through it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cxrisk/error.h"

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
  /// The machine this process runs on, to name it in messages (empty when unknown).
  virtual std::string host() const { return {}; }

  bool is_root() const { return rank() == 0; }
};

/// The communicator of a process on its own (rank 0 of 1).
const Communicator& serial_communicator();

/// What one process read for a distributed command: for each input (a scenario file, the options), its
/// name and a digest of what the numbers depend on (content_hash() for a scenario).
using InputDigests = std::vector<std::pair<std::string, std::string>>;

/// What one process brings to agree_on_inputs: its digests, or the error that stopped it from reading its
/// inputs and the exit status that error calls for (2 for bad input or usage, 1 otherwise).
struct Arrival {
  InputDigests digests;
  int status = 0;     ///< 0: ready
  std::string error;  ///< the error's message, when status != 0
};

/// Thrown alike on every process of a job that cannot start: one process could not read its inputs, or
/// the processes read different inputs. Every process throws the same error, so each can end by itself.
class JobError : public Error {
 public:
  JobError(int status, const std::string& message) : Error(message), status_(status) {}
  /// The exit status the failure calls for: 2 for bad input or usage, 1 otherwise.
  int status() const { return status_; }

 private:
  int status_;
};

/// The meeting at the start of a distributed command. Each process reads the command's files by itself
/// (nothing is sent but results), and a file can be missing on one machine or differ between two: then one
/// process would wait forever for another that has stopped, or the job would merge the results of different
/// scenarios. So before the first exchange, every process brings what it read. Collective: returns on every
/// process when all are ready with the digests of process 0; otherwise throws the same JobError on every
/// process, with the error of the first process that failed (the worst status of any), or naming the first
/// process that read differently from process 0 and the input that differs. A process on its own returns at
/// once, or throws its own error as a JobError. Processes are named with their host() in messages.
void agree_on_inputs(const Communicator& comm, const Arrival& mine);

}  // namespace cxrisk
