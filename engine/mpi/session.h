// Distributed runs: the one module that knows about MPI. The command line opens a Session; when the process
// was started by an MPI launcher (mpirun, srun), the session initialises MPI and offers the job's
// Communicator to the library, which never calls MPI itself. Started any other way, or in a build without
// MPI (CXRISK_MPI off), the session is inert and the program runs exactly as a serial one.
#pragma once

#include <memory>

#include "cxrisk/communicator.h"

namespace cxrisk::mpi {

class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// The job's processes, or null when this process runs alone.
  const Communicator* communicator() const { return communicator_.get(); }
  /// Ends every process of the job at once (after a failure on one process that the others cannot see).
  [[noreturn]] void abort(int status) const;

 private:
  std::unique_ptr<Communicator> communicator_;
  [[maybe_unused]] bool initialised_ = false;  // used by the MPI session only
};

/// True when this build can run under MPI.
bool available();

}  // namespace cxrisk::mpi
