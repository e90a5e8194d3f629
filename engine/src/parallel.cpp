#include "parallel.h"

#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "cxrisk/error.h"

namespace cxrisk {

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
    std::vector<std::thread> pool;
    for (int w = 0; w < n; ++w) pool.emplace_back(work, w);
    for (auto& t : pool) t.join();
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace cxrisk
