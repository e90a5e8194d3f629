#include "cxrisk/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

namespace cxrisk {

ProgressBar::ProgressBar(bool wanted, const char* unit) : unit_(unit) {
  if (wanted && ::isatty(STDERR_FILENO) != 0) painter_ = std::thread([this] { paint_loop(); });
}

ProgressBar::~ProgressBar() {
  finish();
}

void ProgressBar::finish() {
  if (!painter_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  painter_.join();
  if (shown_) std::fprintf(stderr, "\r%*s\r", 78, "");
}

void ProgressBar::paint_loop() {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_; })) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::int64_t done = std::min(done_.load(), total_.load()), total = total_;
    if (elapsed < 0.7 || total == 0) continue;  // a short run shows nothing
    const double f = static_cast<double>(done) / static_cast<double>(total);
    const int width = 30, filled = static_cast<int>(f * width);
    const double left = f > 0 ? elapsed * (1 - f) / f : 0;
    std::fprintf(stderr, "\r[%s%s] %3.0f%%  %lld/%lld %s  %.0f s left   ", std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str(), 100 * f, static_cast<long long>(done),
                 static_cast<long long>(total), unit_, left);
    std::fflush(stderr);
    shown_ = true;
  }
}

}  // namespace cxrisk
