#pragma once
// Key-index generators with YCSB's definitions (Cooper et al., "Benchmarking Cloud Serving
// Systems with YCSB", SoCC 2010, and the YCSB CoreWorkload generators):
//
//   UniformGenerator(n, seed)                 every index in [0, n) equally likely
//   ZipfianGenerator(n, theta, seed)          rank 0 most popular: P(i) ~ 1 / (i+1)^theta,
//                                             drawn with Gray et al.'s closed form (the
//                                             "Quickly generating billion-record synthetic
//                                             databases" method YCSB uses)
//   ScrambledZipfianGenerator(n, theta, seed) YCSB's scrambled zipfian: a zipfian over
//                                             10^10 items, each drawn rank FNV-1-hashed and
//                                             reduced mod n, so popular keys are spread over
//                                             the key space instead of clustered at 0
//   LatestGenerator(count, theta, seed)       YCSB's "latest": the most recently inserted
//                                             key is the most popular; call set_count()
//                                             after inserts so it follows them
//   HotspotGenerator(n, hot_fraction, hot_ops_fraction, seed)
//                                             hot_ops_fraction of draws fall uniformly on
//                                             the lowest hot_fraction * n indexes, the rest
//                                             uniformly on the others
//
// Each generator has `std::uint64_t next()`. Generators are not thread-safe: give each
// thread its own (seeded differently). They allocate nothing after construction.
//
// Zeta sums. zeta(n, theta) = sum_{i=1..n} i^-theta is summed exactly for the first 1000
// terms and by the Euler-Maclaurin formula beyond (error far below 1e-12 relative), so a
// 10^10-item zipfian costs microseconds to set up. YCSB hard-codes zeta(10^10, 0.99) =
// 26.46902820178302; the formula reproduces it (tests/experiments/generators_test.cc).

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace rskv::workload {

/// xoshiro256** (Blackman and Vigna), seeded through splitmix64. Small, fast, good enough
/// for workload generation; not for cryptography.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) noexcept {
    for (auto& word : s_) word = splitmix64(seed);
  }

  std::uint64_t next_u64() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform double in [0, 1) with 53 random bits.
  double next_double() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  /// Uniform integer in [0, n) by multiply-shift (bias below 2^-64 * n, negligible here).
  std::uint64_t below(std::uint64_t n) noexcept {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next_u64()) * n) >> 64);
  }

  static std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

/// YCSB's 64-bit FNV-1 hash of an integer's 8 bytes (low byte first), with the result's
/// sign dropped as YCSB's Math.abs does, so that `fnv_hash64(x) % n` matches YCSB.
[[nodiscard]] constexpr std::uint64_t fnv_hash64(std::uint64_t value) noexcept {
  constexpr std::uint64_t kOffsetBasis = 0xCBF29CE484222325ull;
  constexpr std::uint64_t kPrime = 1099511628211ull;
  std::uint64_t hash = kOffsetBasis;
  for (int i = 0; i < 8; ++i) {
    hash ^= value & 0xff;
    value >>= 8;
    hash *= kPrime;
  }
  const auto signed_hash = static_cast<std::int64_t>(hash);
  // Math.abs(Long.MIN_VALUE) stays negative in Java; its two's-complement bits are 2^63.
  return signed_hash < 0 ? (~hash + 1) : hash;
}

/// sum_{i=from+1..to} i^-theta, exactly (to - from small) or by Euler-Maclaurin.
[[nodiscard]] inline double zeta_range(std::uint64_t from, std::uint64_t to, double theta) {
  constexpr std::uint64_t kExactTerms = 1000;
  double sum = 0;
  std::uint64_t i = from + 1;
  for (; i <= to && (i <= kExactTerms || to - i < kExactTerms); ++i) {
    sum += std::pow(static_cast<double>(i), -theta);
  }
  if (i > to) return sum;
  // Remaining terms i..to: integral + trapezoid end corrections + two Bernoulli terms.
  const double a = static_cast<double>(i);
  const double b = static_cast<double>(to);
  auto f = [theta](double x) { return std::pow(x, -theta); };
  auto f1 = [theta](double x) { return -theta * std::pow(x, -theta - 1); };
  auto f3 = [theta](double x) {
    return -theta * (theta + 1) * (theta + 2) * std::pow(x, -theta - 3);
  };
  const double integral = (std::pow(b, 1 - theta) - std::pow(a, 1 - theta)) / (1 - theta);
  sum += integral + (f(a) + f(b)) / 2 + (f1(b) - f1(a)) / 12 - (f3(b) - f3(a)) / 720;
  return sum;
}

/// zeta(n, theta) = sum_{i=1..n} i^-theta.
[[nodiscard]] inline double zeta(std::uint64_t n, double theta) {
  return zeta_range(0, n, theta);
}

class UniformGenerator {
 public:
  UniformGenerator(std::uint64_t n, std::uint64_t seed) : n_(n), rng_(seed) {}
  std::uint64_t next() noexcept { return rng_.below(n_); }

 private:
  std::uint64_t n_;
  Rng rng_;
};

/// Zipfian over ranks [0, n): rank 0 is the most popular. Requires 0 < theta < 1.
/// The item count may grow (LatestGenerator does that); zeta(n) is then extended.
class ZipfianGenerator {
 public:
  ZipfianGenerator(std::uint64_t n, double theta, std::uint64_t seed)
      : ZipfianGenerator(n, theta, seed, zeta(n, theta)) {}

  /// With a precomputed zeta(n, theta) (YCSB passes its constant for 10^10 items).
  ZipfianGenerator(std::uint64_t n, double theta, std::uint64_t seed, double zeta_n)
      : theta_(theta),
        alpha_(1.0 / (1.0 - theta)),
        zeta2_(zeta(2, theta)),
        half_pow_theta_(std::pow(0.5, theta)),
        rng_(seed) {
    set_items(n, zeta_n);
  }

  std::uint64_t next() noexcept { return draw(rng_.next_double()); }

  /// Grows the item count to n (>= the current count), extending zeta incrementally.
  void grow(std::uint64_t n) {
    if (n > items_) set_items(n, zeta_n_ + zeta_range(items_, n, theta_));
  }

  [[nodiscard]] std::uint64_t items() const noexcept { return items_; }
  [[nodiscard]] double zeta_n() const noexcept { return zeta_n_; }
  [[nodiscard]] double theta() const noexcept { return theta_; }

  /// The rank a uniform u in [0, 1) maps to (exposed for tests).
  [[nodiscard]] std::uint64_t draw(double u) const noexcept {
    const double uz = u * zeta_n_;
    if (uz < 1.0) return 0;
    if (uz < 1.0 + half_pow_theta_) return 1;
    const auto rank = static_cast<std::uint64_t>(static_cast<double>(items_) *
                                                 std::pow(eta_ * u - eta_ + 1, alpha_));
    return std::min(rank, items_ - 1);
  }

 private:
  void set_items(std::uint64_t n, double zeta_n) {
    items_ = std::max<std::uint64_t>(n, 1);
    zeta_n_ = zeta_n;
    eta_ = (1 - std::pow(2.0 / static_cast<double>(items_), 1 - theta_)) / (1 - zeta2_ / zeta_n_);
  }

  double theta_;
  double alpha_;
  double zeta2_;
  double half_pow_theta_;
  std::uint64_t items_ = 1;
  double zeta_n_ = 1;
  double eta_ = 0;
  Rng rng_;
};

/// YCSB's scrambled zipfian over [0, n).
class ScrambledZipfianGenerator {
 public:
  static constexpr std::uint64_t kItemCount = 10'000'000'000ull;  // YCSB's ITEM_COUNT
  static constexpr double kYcsbTheta = 0.99;
  static constexpr double kYcsbZeta = 26.46902820178302;  // zeta(10^10, 0.99) as YCSB has it

  ScrambledZipfianGenerator(std::uint64_t n, double theta, std::uint64_t seed)
      : n_(n),
        zipf_(kItemCount, theta, seed, theta == kYcsbTheta ? kYcsbZeta : zeta(kItemCount, theta)) {}

  std::uint64_t next() noexcept { return fnv_hash64(zipf_.next()) % n_; }

 private:
  std::uint64_t n_;
  ZipfianGenerator zipf_;
};

/// YCSB's "latest" (SkewedLatestGenerator): index count-1 (the newest) is the most popular,
/// then count-2, ... with zipfian popularity over the current count.
class LatestGenerator {
 public:
  LatestGenerator(std::uint64_t count, double theta, std::uint64_t seed)
      : count_(std::max<std::uint64_t>(count, 1)), zipf_(count_, theta, seed) {}

  std::uint64_t next() noexcept { return count_ - 1 - zipf_.next(); }

  /// Indexes [0, count) now exist; count never shrinks.
  void set_count(std::uint64_t count) {
    if (count > count_) {
      count_ = count;
      zipf_.grow(count);
    }
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

 private:
  std::uint64_t count_;
  ZipfianGenerator zipf_;
};

/// YCSB's hotspot: the hot set is the lowest floor(n * hot_fraction) indexes.
class HotspotGenerator {
 public:
  HotspotGenerator(std::uint64_t n, double hot_fraction, double hot_ops_fraction,
                   std::uint64_t seed)
      : hot_(static_cast<std::uint64_t>(static_cast<double>(n) * hot_fraction)),
        cold_(n - hot_),
        hot_ops_fraction_(hot_ops_fraction),
        rng_(seed) {}

  std::uint64_t next() noexcept {
    const bool hot = rng_.next_double() < hot_ops_fraction_;
    if ((hot && hot_ > 0) || cold_ == 0) return rng_.below(hot_);
    return hot_ + rng_.below(cold_);
  }

  [[nodiscard]] std::uint64_t hot_count() const noexcept { return hot_; }

 private:
  std::uint64_t hot_;
  std::uint64_t cold_;
  double hot_ops_fraction_;
  Rng rng_;
};

}  // namespace rskv::workload
