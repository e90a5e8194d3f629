#include "tally.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "studies/parallel.h"

namespace cxrisk {

namespace {
// Sets the empty `v` to `size` zeros. A large array (the per-trial columns: 65 MB for the benchmark's 20,000
// trials) is first offered to the kernel for transparent huge pages, so that its first touch takes one page
// fault per 2 MiB instead of one per 4 KiB (on a virtual machine a fault costs microseconds). Only advice:
// where huge pages are off or unavailable, nothing changes.
void assign_zeros(std::vector<double>& v, std::size_t size) {
  v.reserve(size);
#ifdef MADV_HUGEPAGE
  constexpr std::uintptr_t HUGE_PAGE = std::uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
  const std::uintptr_t end = begin + size * sizeof(double);
  const std::uintptr_t first = (begin + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1), last = end & ~(HUGE_PAGE - 1);
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
  v.assign(size, 0.0);
}

const double LOG_GAMMA =
    std::log((1 + QuantileSketch::RELATIVE_ACCURACY) / (1 - QuantileSketch::RELATIVE_ACCURACY));
}  // namespace

void QuantileSketch::Store::add(std::int32_t index, std::uint64_t n) {
  if (counts.empty()) {
    offset = index;
    counts.assign(1, 0);
  } else if (index < offset) {
    counts.insert(counts.begin(), static_cast<std::size_t>(offset - index), 0);
    offset = index;
  } else if (index >= offset + static_cast<std::int32_t>(counts.size())) {
    counts.resize(static_cast<std::size_t>(index - offset + 1), 0);
  }
  counts[static_cast<std::size_t>(index - offset)] += n;
}

std::int32_t QuantileSketch::index_of(double magnitude) {
  return static_cast<std::int32_t>(std::ceil(std::log(magnitude) / LOG_GAMMA));
}

double QuantileSketch::value_of(std::int32_t index) {
  // The point of bucket (g^(i-1), g^i] with the same relative distance to both ends: 2 g^i / (g + 1).
  const double g = std::exp(LOG_GAMMA);
  return 2 * std::exp(index * LOG_GAMMA) / (g + 1);
}

void QuantileSketch::add(double x) {
  ++count_;
  if (std::abs(x) < ZERO || !std::isfinite(x)) {
    ++zeros_;
  } else if (x > 0) {
    positive_.add(index_of(x));
  } else {
    negative_.add(index_of(-x));
  }
}

void QuantileSketch::merge(const QuantileSketch& other) {
  count_ += other.count_;
  zeros_ += other.zeros_;
  for (std::size_t i = 0; i < other.positive_.counts.size(); ++i)
    if (other.positive_.counts[i])
      positive_.add(other.positive_.offset + static_cast<std::int32_t>(i), other.positive_.counts[i]);
  for (std::size_t i = 0; i < other.negative_.counts.size(); ++i)
    if (other.negative_.counts[i])
      negative_.add(other.negative_.offset + static_cast<std::int32_t>(i), other.negative_.counts[i]);
}

double QuantileSketch::order_statistic(std::int64_t k) const {
  auto rank = static_cast<std::uint64_t>(k);
  // Ascending: the negatives from the largest magnitude down, then zeros, then the positives.
  for (std::size_t i = negative_.counts.size(); i-- > 0;) {
    if (rank < negative_.counts[i]) return -value_of(negative_.offset + static_cast<std::int32_t>(i));
    rank -= negative_.counts[i];
  }
  if (rank < zeros_) return 0;
  rank -= zeros_;
  for (std::size_t i = 0; i < positive_.counts.size(); ++i) {
    if (rank < positive_.counts[i]) return value_of(positive_.offset + static_cast<std::int32_t>(i));
    rank -= positive_.counts[i];
  }
  return positive_.counts.empty()
             ? 0
             : value_of(positive_.offset + static_cast<std::int32_t>(positive_.counts.size()) - 1);
}

double QuantileSketch::quantile(double p) const {
  if (count_ == 0) return 0;
  const double h = (static_cast<double>(count_) - 1) * p;
  const auto lo = static_cast<std::int64_t>(std::floor(h));
  const double a = order_statistic(lo);
  if (lo + 1 >= count_) return a;
  return a + (h - static_cast<double>(lo)) * (order_statistic(lo + 1) - a);
}

double QuantileSketch::cvar95() const {
  if (count_ == 0) return 0;
  // The worst k = 0.05 n values, from the top bucket down, the boundary one weighted by the fraction of k.
  const double k = 0.05 * static_cast<double>(count_);
  double left = k, sum = 0;
  auto take = [&](double value, std::uint64_t n) {
    const double used = std::min(left, static_cast<double>(n));
    sum += used * value;
    left -= used;
  };
  for (std::size_t i = positive_.counts.size(); i-- > 0 && left > 0;)
    take(value_of(positive_.offset + static_cast<std::int32_t>(i)), positive_.counts[i]);
  if (left > 0) take(0, zeros_);
  for (std::size_t i = 0; i < negative_.counts.size() && left > 0; ++i)
    take(-value_of(negative_.offset + static_cast<std::int32_t>(i)), negative_.counts[i]);
  return sum / k;
}

void QuantileSketch::write(ByteWriter& out) const {
  out.put(count_);
  out.put(zeros_);
  for (const Store* store : {&positive_, &negative_}) {
    out.put(store->offset);
    out.put_array(store->counts.data(), store->counts.size());
  }
}

QuantileSketch QuantileSketch::read(ByteReader& in) {
  QuantileSketch s;
  s.count_ = in.get<std::int64_t>();
  s.zeros_ = in.get<std::uint64_t>();
  for (Store* store : {&s.positive_, &s.negative_}) {
    store->offset = in.get<std::int32_t>();
    store->counts = in.get_array<std::uint64_t>();
  }
  return s;
}

void Tally::Moments::merge(const Moments& o) {
  if (o.n == 0) return;
  if (n == 0) {
    *this = o;
    return;
  }
  // Chan, Golub and LeVeque's pairwise update.
  const double total = n + o.n, delta = o.mean - mean;
  mean += delta * o.n / total;
  m2 += o.m2 + delta * delta * n * o.n / total;
  n = total;
  min = std::min(min, o.min);
  max = std::max(max, o.max);
}

std::int64_t Tally::chunk_size(std::int64_t trials, Sampling sampling) {
  return cxrisk::chunk_trials(trials, sampling);
}

std::int64_t Tally::chunks_of(std::int64_t trials, Sampling sampling) {
  const std::int64_t size = cxrisk::chunk_trials(trials, sampling);
  return (trials + size - 1) / size;
}

Tally::Tally(std::size_t n_series, std::size_t exact_series, std::int64_t trials, int workers,
             std::size_t memory_budget, std::size_t extra_width, std::size_t row_width, Sampling sampling)
    : n_series_(n_series),
      exact_series_(exact_series),
      row_width_(row_width ? row_width : n_series),
      trials_(trials),
      sampling_(sampling),
      extra_width_(extra_width) {
  const auto n = static_cast<std::size_t>(trials);
  exact_all_ = n_series * n * sizeof(double) <= memory_budget;
  chunk_trials_ = cxrisk::chunk_trials(trials, sampling);
  if (exact_all_) exact_series_ = n_series_;
  assign_zeros(columns_, exact_series_ * n);
  assign_zeros(extras_, extra_width_ * n);
  const std::size_t rest = n_series_ - exact_series_;
  if (rest > 0) {
    chunk_moments_.assign(static_cast<std::size_t>(n_chunks()) * rest, Moments{});
    sketches_.assign(static_cast<std::size_t>(workers), std::vector<QuantileSketch>(rest));
  }
}

void Tally::record(int worker, std::int64_t first, std::int64_t count, const double* rows,
                   const double* extras) {
  const auto n = static_cast<std::size_t>(trials_);
  if (extras)
    std::copy(extras, extras + static_cast<std::size_t>(count) * extra_width_,
              extras_.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(first) * extra_width_));
  for (std::size_t s = 0; s < exact_series_; ++s)
    for (std::int64_t t = 0; t < count; ++t)
      columns_[s * n + static_cast<std::size_t>(first + t)] =
          rows[static_cast<std::size_t>(t) * row_width_ + s];
  const std::size_t rest = n_series_ - exact_series_;
  if (rest == 0) return;
  const auto chunk = static_cast<std::size_t>(first / chunk_trials_);
  auto& sketches = sketches_[static_cast<std::size_t>(worker)];
  for (std::size_t s = 0; s < rest; ++s) {
    // Welford's update, in trial order within the chunk.
    Moments m;
    for (std::int64_t t = 0; t < count; ++t) {
      const double x = rows[static_cast<std::size_t>(t) * row_width_ + exact_series_ + s];
      m.n += 1;
      const double delta = x - m.mean;
      m.mean += delta / m.n;
      m.m2 += delta * (x - m.mean);
      m.min = m.n == 1 ? x : std::min(m.min, x);
      m.max = m.n == 1 ? x : std::max(m.max, x);
      sketches[s].add(x);
    }
    chunk_moments_[chunk * rest + s].merge(m);
  }
}

std::vector<Stats> Tally::means(int threads, const std::atomic<bool>* cancel) const {
  std::vector<Stats> stats(n_series_);
  const auto n = static_cast<std::size_t>(trials_);
  const std::size_t rest = n_series_ - exact_series_;
  const bool designed = sampling_ != Sampling::random;
  parallel_blocks(
      static_cast<std::int64_t>(n_series_), threads,
      [&](std::int64_t series, int) {
        const auto s = static_cast<std::size_t>(series);
        Stats& st = stats[s];
        if (s < exact_series_) {
          const std::span<const double> column(columns_.data() + s * n, n);
          st.mean = accurate_sum(column) / static_cast<double>(n);
          if (designed) {
            st.se = cxrisk::replicate_se(column);
          } else if (n > 1) {
            double ss = 0;
            for (double x : column) ss += (x - st.mean) * (x - st.mean);
            st.sd = std::sqrt(ss / static_cast<double>(n - 1));
            st.se = st.sd / std::sqrt(static_cast<double>(n));
          }
          return;
        }
        Moments total;
        for (std::int64_t c = 0; c < n_chunks(); ++c)
          total.merge(chunk_moments_[static_cast<std::size_t>(c) * rest + (s - exact_series_)]);
        st.mean = total.mean;
        st.sd = total.n > 1 ? std::sqrt(std::max(0.0, total.m2 / (total.n - 1))) : 0.0;
        st.se = designed ? replicate_se(s) : st.sd / std::sqrt(total.n);
      },
      cancel);
  return stats;
}

std::vector<Stats> Tally::finalize(int threads, const std::atomic<bool>* cancel) {
  std::vector<Stats> stats(n_series_);
  const auto n = static_cast<std::size_t>(trials_);
  const std::size_t rest = n_series_ - exact_series_;
  parallel_blocks(
      static_cast<std::int64_t>(n_series_), threads,
      [&](std::int64_t series, int) {
        const auto s = static_cast<std::size_t>(series);
        if (s < exact_series_) {
          const std::span<const double> column(columns_.data() + s * n, n);
          stats[s] = sampling_ == Sampling::random ? compute_stats(column) : compute_designed_stats(column);
          return;
        }
        const std::size_t k = s - exact_series_;
        Moments total;
        for (std::int64_t c = 0; c < n_chunks(); ++c)
          total.merge(chunk_moments_[static_cast<std::size_t>(c) * rest + k]);
        QuantileSketch sketch;
        for (const auto& worker : sketches_) sketch.merge(worker[k]);
        Stats& st = stats[s];
        st.mean = total.mean;
        st.sd = total.n > 1 ? std::sqrt(std::max(0.0, total.m2 / (total.n - 1))) : 0.0;
        st.se = sampling_ != Sampling::random ? replicate_se(s) : st.sd / std::sqrt(total.n);
        st.min = total.min;
        st.max = total.max;
        for (std::size_t i = 0; i < PERCENTILES.size(); ++i)
          st.percentiles[i] = std::clamp(sketch.quantile(PERCENTILES[i]), st.min, st.max);
        st.cvar95 = std::clamp(sketch.cvar95(), st.min, st.max);
        // Intervals as compute_stats makes them, from the sketch's order statistics; cvar95's would need the
        // tail's second moment, which a sketch does not keep.
        const double t = t975(sampling_ != Sampling::random ? REPLICATES - 1 : total.n - 1);
        st.mean_ci = {st.mean - t * st.se, st.mean + t * st.se};
        for (std::size_t i = 0; i < PERCENTILES.size(); ++i) {
          const auto [lo, hi] = quantile_interval_ranks(n, PERCENTILES[i]);
          st.percentile_ci[i] = {std::clamp(sketch.at_rank(static_cast<std::int64_t>(lo)), st.min, st.max),
                                 std::clamp(sketch.at_rank(static_cast<std::int64_t>(hi)), st.min, st.max)};
        }
        constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
        st.cvar95_ci = {NaN, NaN};
      },
      cancel);
  return stats;
}

double Tally::replicate_se(std::size_t s) const {
  const auto n = static_cast<std::size_t>(trials_);
  if (s < exact_series_) return cxrisk::replicate_se({columns_.data() + s * n, n});
  const std::size_t rest = n_series_ - exact_series_;
  std::vector<double> means, weights;
  for (const Replicate& r : replicates_of(trials_)) {
    Moments m;
    for (std::int64_t c = r.first / chunk_trials_; c * chunk_trials_ < r.first + r.size; ++c)
      m.merge(chunk_moments_[static_cast<std::size_t>(c) * rest + (s - exact_series_)]);
    means.push_back(m.mean);
    weights.push_back(static_cast<double>(r.size) / static_cast<double>(trials_));
  }
  return cxrisk::replicate_se(means, weights);
}

std::string Tally::export_part(const std::vector<std::int64_t>& chunks) const {
  ByteWriter out;
  const auto n = static_cast<std::size_t>(trials_);
  const std::size_t rest = n_series_ - exact_series_;
  out.put<std::uint64_t>(chunks.size());
  for (std::int64_t c : chunks) {
    const std::int64_t first = c * chunk_trials_, count = std::min(trials_, first + chunk_trials_) - first;
    const auto f = static_cast<std::size_t>(first), k = static_cast<std::size_t>(count);
    out.put(c);
    for (std::size_t s = 0; s < exact_series_; ++s) out.put_array(columns_.data() + s * n + f, k);
    out.put_array(extras_.data() + f * extra_width_, k * extra_width_);
    if (rest > 0) out.put_array(chunk_moments_.data() + static_cast<std::size_t>(c) * rest, rest);
  }
  if (rest > 0) {
    for (std::size_t s = 0; s < rest; ++s) {
      QuantileSketch merged;
      for (const auto& worker : sketches_) merged.merge(worker[s]);
      merged.write(out);
    }
  }
  return out.take();
}

void Tally::import_part(const std::string& part) {
  ByteReader in(part);
  const auto n = static_cast<std::size_t>(trials_);
  const std::size_t rest = n_series_ - exact_series_;
  const auto chunks = in.get<std::uint64_t>();
  for (std::uint64_t i = 0; i < chunks; ++i) {
    const auto c = in.get<std::int64_t>();
    const auto f = static_cast<std::size_t>(c * chunk_trials_);
    for (std::size_t s = 0; s < exact_series_; ++s) {
      const auto values = in.get_array<double>();
      std::copy(values.begin(), values.end(), columns_.begin() + static_cast<std::ptrdiff_t>(s * n + f));
    }
    const auto extras = in.get_array<double>();
    std::copy(extras.begin(), extras.end(), extras_.begin() + static_cast<std::ptrdiff_t>(f * extra_width_));
    if (rest > 0) {
      const auto moments = in.get_array<Moments>();
      std::copy(moments.begin(), moments.end(),
                chunk_moments_.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(c) * rest));
    }
  }
  if (rest > 0)
    for (std::size_t s = 0; s < rest; ++s) sketches_[0][s].merge(QuantileSketch::read(in));
}

std::vector<double> Tally::take_exact_columns(std::size_t count) {
  // Moved, not copied: when only the totals are kept whole (the usual case) nothing is reallocated, so a
  // million-trial run does not hold the columns twice.
  std::vector<double> out = std::move(columns_);
  columns_.clear();
  out.resize(std::min(count, out.size()));
  out.shrink_to_fit();
  return out;
}

}  // namespace cxrisk
