#pragma once
// LatencyHistogram: log-linear buckets of nanoseconds (values below 64 ns exact, above
// that 32 buckets per power of two, so a percentile is within 1/32 ~ 3% of the truth),
// up to 2^41 ns (~37 minutes). One per thread, written by its owner only, merged by the
// driver after the run; percentiles report a bucket's midpoint.

#include <array>
#include <bit>
#include <cstdint>

namespace rskv::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 5;  // 32 sub-buckets per power of two
  static constexpr int kLinear = 64;  // exact buckets below 64 ns
  static constexpr int kMaxExp = 41;
  static constexpr int kBuckets = kLinear + (kMaxExp - 6) * (1 << kSubBits);

  void record(std::uint64_t ns) noexcept {
    ++counts_[bucket_of(ns)];
    ++total_;
  }
  void merge(const LatencyHistogram& other) noexcept {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
  }
  void clear() noexcept {
    counts_.fill(0);
    total_ = 0;
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return total_; }

  /// The q-quantile (0 < q <= 1) in nanoseconds; 0 when empty.
  [[nodiscard]] double quantile_ns(double q) const noexcept {
    if (total_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return midpoint(i);
    }
    return midpoint(kBuckets - 1);
  }

  static int bucket_of(std::uint64_t ns) noexcept {
    if (ns < kLinear) return static_cast<int>(ns);
    int exp = std::bit_width(ns) - 1;  // 2^exp <= ns < 2^(exp+1), exp >= 6
    if (exp >= kMaxExp) return kBuckets - 1;
    const int sub = static_cast<int>((ns >> (exp - kSubBits)) & ((1 << kSubBits) - 1));
    return kLinear + (exp - 6) * (1 << kSubBits) + sub;
  }
  static double lower_bound(int bucket) noexcept {
    if (bucket < kLinear) return bucket;
    const int exp = 6 + (bucket - kLinear) / (1 << kSubBits);
    const int sub = (bucket - kLinear) % (1 << kSubBits);
    return static_cast<double>((1ull << exp) +
                               (static_cast<std::uint64_t>(sub) << (exp - kSubBits)));
  }
  static double midpoint(int bucket) noexcept {
    if (bucket < kLinear) return bucket;
    const int exp = 6 + (bucket - kLinear) / (1 << kSubBits);
    return lower_bound(bucket) + static_cast<double>(1ull << (exp - kSubBits)) / 2;
  }

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
};

}  // namespace rskv::bench
