#include "studies/parallel.h"

#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

#include "cxrisk/error.h"
#include "stats/bytes.h"

namespace cxrisk {

namespace {
class Serial final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::vector<std::string> gather(const std::string& mine) const override { return {mine}; }
  std::string broadcast(const std::string& from_root) const override { return from_root; }
};
}  // namespace

const Communicator& serial_communicator() {
  static const Serial serial;
  return serial;
}

void parallel_blocks(std::int64_t n_blocks, int threads, const std::function<void(std::int64_t, int)>& body,
                     const std::atomic<bool>* cancel) {
  std::atomic<std::int64_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](int worker) {
    try {
      for (std::int64_t b = next++; b < n_blocks && !failed; b = next++) {
        if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
        body(b, worker);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  const int n = static_cast<int>(std::min<std::int64_t>(threads, n_blocks));
  if (n <= 1) {
    work(0);
  } else {
    // A thread the system cannot start (a process limit, an address-space cap) leaves its share to the
    // others: the calling thread takes the first worker number that has no thread.
    std::vector<std::thread> pool;
    try {
      for (int w = 0; w < n; ++w) pool.emplace_back(work, w);
    } catch (const std::system_error&) {
      work(static_cast<int>(pool.size()));
    }
    for (auto& t : pool) t.join();
  }
  if (error) std::rethrow_exception(error);
}

std::vector<std::string> share_out(std::size_t items, const Communicator& comm,
                                   const std::function<std::string(std::size_t)>& work) {
  ByteWriter mine;
  for (std::size_t i = static_cast<std::size_t>(comm.rank()); i < items;
       i += static_cast<std::size_t>(comm.size())) {
    const std::string result = work(i);
    mine.put<std::uint64_t>(i);
    mine.put_array(result.data(), result.size());
  }
  const std::vector<std::string> parts = comm.gather(mine.take());
  std::vector<std::string> out(comm.is_root() ? items : 0);
  for (const std::string& part : parts) {
    ByteReader in(part);
    while (!in.done()) {
      const auto i = in.get<std::uint64_t>();
      const std::vector<char> bytes = in.get_array<char>();
      out.at(i).assign(bytes.begin(), bytes.end());
    }
  }
  return out;
}

}  // namespace cxrisk
