#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "session.h"

namespace cxrisk::mpi {

namespace {

/// True when an MPI launcher started this process (Open MPI's mpirun, PMI or PMIx launchers such as srun).
bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(var)) return true;
  return false;
}

class World final : public Communicator {
 public:
  World() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  std::vector<std::string> gather(const std::string& mine) const override {
    if (mine.size() > static_cast<std::size_t>(INT_MAX))
      throw std::runtime_error("a partial result of more than 2 GiB cannot be sent; use more processes");
    int length = static_cast<int>(mine.size());
    std::vector<int> lengths(rank_ == 0 ? size_ : 0), offsets(rank_ == 0 ? size_ : 0);
    MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::vector<char> all;
    if (rank_ == 0) {
      long long total = 0;
      for (int r = 0; r < size_; ++r) {
        offsets[r] = static_cast<int>(total);
        total += lengths[r];
      }
      if (total > INT_MAX)
        throw std::runtime_error("partial results of more than 2 GiB in all; use fewer trials");
      all.resize(static_cast<std::size_t>(total));
    }
    MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0,
                MPI_COMM_WORLD);
    std::vector<std::string> out;
    for (int r = 0; rank_ == 0 && r < size_; ++r) out.emplace_back(all.data() + offsets[r], lengths[r]);
    return out;
  }

  std::string broadcast(const std::string& from_root) const override {
    unsigned long long length = from_root.size();
    MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    std::string out = rank_ == 0 ? from_root : std::string(length, '\0');
    MPI_Bcast(out.data(), static_cast<int>(length), MPI_CHAR, 0, MPI_COMM_WORLD);
    return out;
  }

  std::string host() const override {
    char name[MPI_MAX_PROCESSOR_NAME] = {};
    int length = 0;
    return MPI_Get_processor_name(name, &length) == MPI_SUCCESS ? std::string(name, length) : std::string();
  }

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace

Session::Session(int& argc, char**& argv) {
  if (!launched_by_mpi()) return;
  MPI_Init(&argc, &argv);
  initialised_ = true;
  communicator_ = std::make_unique<World>();
}

Session::~Session() {
  if (initialised_) MPI_Finalize();
}

void Session::abort(int status) const {
  if (initialised_) MPI_Abort(MPI_COMM_WORLD, status);
  std::exit(status);
}

bool available() {
  return true;
}

}  // namespace cxrisk::mpi
