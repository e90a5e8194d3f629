// A progress bar for long runs, on standard error.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace cxrisk {

/// A progress bar on standard error, shown only when standard error is a terminal and the work lasts more
/// than a moment; repainted by a thread of its own five times a second.
class ProgressBar {
 public:
  /// `unit` names what is counted ("trials", "scenarios"); nothing is shown unless `wanted`.
  ProgressBar(bool wanted, const char* unit);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  /// Thread-safe.
  void update(std::int64_t done, std::int64_t total) {
    done_ = done;
    total_ = total;
  }
  /// Stops repainting and clears the bar.
  void finish();

 private:
  void paint_loop();

  const char* unit_;
  std::atomic<std::int64_t> done_{0}, total_{0};
  std::thread painter_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool shown_ = false;
};

}  // namespace cxrisk
