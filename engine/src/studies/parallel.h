// Threads and processes: where work is shared out. Threads live here and nowhere else; work is handed out as
// numbered blocks (to threads) or items (to processes), and every result goes to its block's or item's own
// place, so which thread or process ran it never shows in the output.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cxrisk/communicator.h"

namespace cxrisk {

/// Calls body(block, worker) for block = 0..n_blocks-1 on `threads` workers. Rethrows the first exception
/// a worker threw; stops early (and throws Cancelled) when `cancel` becomes true.
void parallel_blocks(std::int64_t n_blocks, int threads, const std::function<void(std::int64_t, int)>& body,
                     const std::atomic<bool>* cancel);

/// The items this process computes: item i goes to process i mod size. `work(i)` returns an item's result as
/// bytes; process 0 gets every item's result, in item order; the others get an empty list. Collective.
std::vector<std::string> share_out(std::size_t items, const Communicator& comm,
                                   const std::function<std::string(std::size_t)>& work);

}  // namespace cxrisk
