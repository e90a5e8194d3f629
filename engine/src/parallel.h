// Threads live here and nowhere else. Work is handed out as numbered blocks; every result is written to the
// block's own place, so which thread ran a block never shows in the output.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace cxrisk {

/// Calls body(block, worker) for block = 0..n_blocks-1 on `threads` workers. Rethrows the first exception
/// a worker threw; stops early (and throws Cancelled) when `cancel` becomes true.
void parallel_blocks(std::int64_t n_blocks, int threads, const std::function<void(std::int64_t, int)>& body,
                     const std::atomic<bool>* cancel);

}  // namespace cxrisk
