// The session of a build without MPI: always alone.
#include <cstdlib>

#include "session.h"

namespace cxrisk::mpi {

Session::Session(int&, char**&) {}
Session::~Session() = default;
void Session::abort(int status) const {
  std::exit(status);
}
bool available() {
  return false;
}

}  // namespace cxrisk::mpi
