// Accumulating per-trial results into statistics, deterministically and within a memory budget.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "bytes.h"
#include "cxrisk/design.h"
#include "cxrisk/statistics.h"

namespace cxrisk {

/// A mergeable quantile sketch with relative accuracy (the DDSketch idea of Masson, Rim and Lee, VLDB 2019):
/// values fall into logarithmic buckets [g^(i-1), g^i) with g = (1 + a) / (1 - a), so a bucket's
/// representative 2 g^i / (g + 1) is within a relative `a` of every value in it. Counts are integers, so
/// merging sketches in any order gives the same sketch: the basis of results that do not depend on threads.
class QuantileSketch {
 public:
  static constexpr double RELATIVE_ACCURACY = 1e-3;
  /// Values smaller than this in magnitude count as zero (an absolute error of at most this).
  static constexpr double ZERO = 1e-9;

  void add(double x);
  void merge(const QuantileSketch& other);
  std::int64_t count() const { return count_; }
  /// The p-quantile, interpolated between order statistics as compute_stats() does (definition 7).
  double quantile(double p) const;
  /// Mean of the worst 5% (upper tail), as compute_stats() defines cvar95.
  double cvar95() const;
  /// The value of order statistic k (0-based, ascending), within the sketch's accuracy.
  double at_rank(std::int64_t k) const { return order_statistic(k); }

  void write(ByteWriter& out) const;
  static QuantileSketch read(ByteReader& in);

 private:
  // Counts of one sign, in a window of bucket indices that grows as needed.
  struct Store {
    std::int32_t offset = 0;
    std::vector<std::uint64_t> counts;
    void add(std::int32_t index, std::uint64_t n = 1);
  };
  static std::int32_t index_of(double magnitude);
  static double value_of(std::int32_t index);
  // The value of order statistic k (0-based, ascending).
  double order_statistic(std::int64_t k) const;

  Store positive_, negative_;
  std::uint64_t zeros_ = 0;
  std::int64_t count_ = 0;
};

/// Collects the per-trial values of every series (Layout::series) of a run and turns them into statistics.
///
/// Trials come in chunks whose size depends only on the number of trials. The first `exact_series` series
/// (the totals) always keep every value, so their percentiles are exact. The others keep every value too
/// while that fits `memory_budget` bytes; past it they keep, per chunk, the moments (merged in chunk order
/// at the end, so sums round the same whatever ran the chunks) and, per worker, a QuantileSketch for the
/// percentiles and cvar95.
///
/// Besides the series, each trial may carry `extra_width` extra values kept whole (total_cost by period and
/// the investment by period, for comparisons).
///
/// With a sampling design (Latin hypercube or Sobol points), chunks are laid so that each of the design's
/// REPLICATES independent randomisations is whole chunks, and the standard error of a mean is the spread of
/// the replicates' means: the trials of one replicate are not independent, so sd / sqrt(n) would not hold.
///
/// Spread over processes, each process records its own chunks, exports them (export_part), and process 0
/// imports every other process's part (import_part) before finalize(): the result is bit-identical to one
/// process recording every chunk, since chunk moments are merged in chunk order and sketches hold counts.
class Tally {
 public:
  /// `row_width` is the length of the rows record() gets (0: n_series); the first n_series values of a
  /// row are the series this Tally keeps (only the totals, where the breakdowns are not wanted).
  Tally(std::size_t n_series, std::size_t exact_series, std::int64_t trials, int workers,
        std::size_t memory_budget, std::size_t extra_width = 0, std::size_t row_width = 0,
        Sampling sampling = Sampling::random);

  /// The number of chunks a run of `trials` trials has, and the trials of each (the last may have fewer).
  static std::int64_t chunks_of(std::int64_t trials, Sampling sampling = Sampling::random);
  static std::int64_t chunk_size(std::int64_t trials, Sampling sampling = Sampling::random);
  /// Trials per chunk, and the number of chunks.
  std::int64_t chunk_trials() const { return chunk_trials_; }
  std::int64_t n_chunks() const { return chunks_of(trials_, sampling_); }
  /// True when every series keeps every value.
  bool exact() const { return exact_all_; }
  std::int64_t trials() const { return trials_; }
  /// The values of the series kept whole from `series` on, [series][trial].
  std::span<const double> exact_column(std::size_t series) const {
    const auto n = static_cast<std::size_t>(trials_);
    return std::span<const double>(columns_).subspan(series * n, (exact_series_ - series) * n);
  }

  /// Records the rows (row_width values each, trial-major) of the trials first .. first + count - 1, which
  /// lie inside one chunk; called by `worker`, chunk by chunk, any chunk on any worker.
  void record(int worker, std::int64_t first, std::int64_t count, const double* rows,
              const double* extras = nullptr);

  /// Everything recorded for the given chunks, as bytes; and the reverse, on another process's Tally.
  std::string export_part(const std::vector<std::int64_t>& chunks) const;
  void import_part(const std::string& part);

  /// The statistics of every series; then the first `count` per-trial values of the series kept whole,
  /// [series][trial] (the totals come first).
  std::vector<Stats> finalize(int threads, const std::atomic<bool>* cancel = nullptr);
  /// The mean and its standard error (and sd) of every series alone: all the two-level estimators take from
  /// the expectations' tallies, at a fraction of finalize's cost.
  std::vector<Stats> means(int threads, const std::atomic<bool>* cancel = nullptr) const;
  std::vector<double> take_exact_columns(std::size_t count);
  /// The extra values, [trial][extra_width].
  std::vector<double> take_extras() { return std::move(extras_); }

 private:
  struct Moments {
    double n = 0, mean = 0, m2 = 0, min = 0, max = 0;
    void merge(const Moments& other);
  };

  std::size_t n_series_, exact_series_, row_width_;
  // The standard error of the mean of one series from its replicates' means (a designed run).
  double replicate_se(std::size_t series) const;

  std::int64_t trials_, chunk_trials_;
  Sampling sampling_;
  bool exact_all_;
  // [series][trial] for the series kept whole: a std::vector, so that the totals can be moved out to the
  // result without a second copy of them.
  std::vector<double> columns_;
  std::vector<Moments> chunk_moments_;                 // [chunk][series - exact_series]
  std::vector<std::vector<QuantileSketch>> sketches_;  // [worker][series - exact_series]
  std::size_t extra_width_;
  std::vector<double> extras_;  // [trial][extra_width]
};

}  // namespace cxrisk
