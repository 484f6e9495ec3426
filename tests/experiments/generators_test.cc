// Workload generators (experiments/workload): YCSB's zipfian and scrambled zipfian against
// the theoretical distribution, latest following inserts, hotspot shares, uniform spread,
// and the per-thread operation streams. Statistical checks use fixed seeds and state their
// tolerance; with these sample sizes the sampling error is below a tenth of each tolerance.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <vector>

#include "experiments/workload/generators.h"
#include "experiments/workload/workload.h"

namespace wl = rskv::workload;

namespace {

double direct_zeta(std::uint64_t n, double theta) {
  double sum = 0;
  for (std::uint64_t i = 1; i <= n; ++i) sum += std::pow(static_cast<double>(i), -theta);
  return sum;
}

}  // namespace

// zeta by Euler-Maclaurin reproduces YCSB's constant for 10^10 items at theta 0.99.
TEST(Zeta, MatchesYcsbConstant) {
  const double z = wl::zeta(wl::ScrambledZipfianGenerator::kItemCount, 0.99);
  EXPECT_NEAR(z, wl::ScrambledZipfianGenerator::kYcsbZeta, 1e-9 * z);
}

// zeta by Euler-Maclaurin agrees with the direct sum (relative 1e-10).
TEST(Zeta, MatchesDirectSum) {
  for (double theta : {0.2, 0.5, 0.8, 0.99}) {
    for (std::uint64_t n : {1ull, 2ull, 999ull, 1000ull, 5000ull, 2'000'000ull}) {
      const double direct = direct_zeta(n, theta);
      EXPECT_NEAR(wl::zeta(n, theta), direct, 1e-10 * direct) << "n=" << n << " theta=" << theta;
    }
  }
  // Extending a sum equals summing at once (what LatestGenerator relies on).
  EXPECT_NEAR(wl::zeta(1'000'000, 0.99) + wl::zeta_range(1'000'000, 3'000'000, 0.99),
              wl::zeta(3'000'000, 0.99), 1e-10 * wl::zeta(3'000'000, 0.99));
}

// Zipfian ranks: P(rank i) = (i+1)^-theta / zeta(n). Ranks 0 and 1 are exact in YCSB's
// method (within 2% relative here); beyond them it is Gray et al.'s approximation, which
// overshoots the CDF by about 0.016 at rank 10 and 0.011 at rank 100 for n = 1000 (YCSB has
// the same bias), so the CDF at ranks 10, 100 and 500 is checked within 0.025 absolute.
TEST(ZipfianGenerator, FrequenciesFollowTheory) {
  constexpr std::uint64_t kN = 1000;
  constexpr double kTheta = 0.99;
  constexpr int kDraws = 2'000'000;
  wl::ZipfianGenerator gen(kN, kTheta, 42);
  std::vector<std::uint64_t> counts(kN, 0);
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t r = gen.next();
    ASSERT_LT(r, kN);
    ++counts[r];
  }
  const double zn = direct_zeta(kN, kTheta);
  for (std::uint64_t rank : {0ull, 1ull}) {
    const double expected = std::pow(static_cast<double>(rank + 1), -kTheta) / zn;
    EXPECT_NEAR(static_cast<double>(counts[rank]) / kDraws, expected, 0.02 * expected)
        << "rank " << rank;
  }
  double cdf = 0;
  double theory = 0;
  std::uint64_t rank = 0;
  for (std::uint64_t upto : {10ull, 100ull, 500ull}) {
    for (; rank < upto; ++rank) {
      cdf += static_cast<double>(counts[rank]) / kDraws;
      theory += std::pow(static_cast<double>(rank + 1), -kTheta) / zn;
    }
    EXPECT_NEAR(cdf, theory, 0.025) << "P(rank < " << upto << ")";
  }
}

// Scrambled zipfian: the hottest key is fnv(0) % n and draws it with probability
// 1/zeta(10^10, theta) (plus ~1/n from colliding ranks), within 3% relative; popularity is
// spread over the key space rather than clustered at low indexes.
TEST(ScrambledZipfianGenerator, HottestKeyAndSpread) {
  constexpr std::uint64_t kN = 100'000;
  constexpr int kDraws = 2'000'000;
  wl::ScrambledZipfianGenerator gen(kN, 0.99, 7);
  std::unordered_map<std::uint64_t, std::uint64_t> counts;
  std::uint64_t low_half = 0;
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t k = gen.next();
    ASSERT_LT(k, kN);
    ++counts[k];
    low_half += k < kN / 2;
  }
  const auto hottest = std::max_element(counts.begin(), counts.end(),
                                        [](auto& a, auto& b) { return a.second < b.second; });
  EXPECT_EQ(hottest->first, wl::fnv_hash64(0) % kN);
  const double expected = 1.0 / wl::ScrambledZipfianGenerator::kYcsbZeta;
  EXPECT_NEAR(static_cast<double>(hottest->second) / kDraws, expected, 0.03 * expected);
  // Hot keys are scattered: about half of the draws land in each half of the key space.
  EXPECT_NEAR(static_cast<double>(low_half) / kDraws, 0.5, 0.1);
}

// fnv_hash64 drops the sign as YCSB's Math.abs does: results stay below 2^63 (or are 2^63
// for the single value whose hash is Long.MIN_VALUE).
TEST(FnvHash, NonNegativeAsInYcsb) {
  for (std::uint64_t v = 0; v < 100000; ++v) EXPECT_LE(wl::fnv_hash64(v), 1ull << 63);
  EXPECT_NE(wl::fnv_hash64(1), wl::fnv_hash64(2));
}

// Latest: the newest index is the most popular; after inserts the favourite moves to the
// new newest index, and no draw passes the count.
TEST(LatestGenerator, FollowsInserts) {
  wl::LatestGenerator gen(1000, 0.99, 3);
  auto favourite = [&](std::uint64_t count) {
    std::map<std::uint64_t, int> counts;
    for (int i = 0; i < 200'000; ++i) {
      const std::uint64_t k = gen.next();
      EXPECT_LT(k, count);
      ++counts[k];
    }
    return std::max_element(counts.begin(), counts.end(),
                            [](auto& a, auto& b) { return a.second < b.second; })
        ->first;
  };
  EXPECT_EQ(favourite(1000), 999u);
  gen.set_count(1500);
  EXPECT_EQ(gen.count(), 1500u);
  EXPECT_EQ(favourite(1500), 1499u);
  gen.set_count(1200);  // never shrinks
  EXPECT_EQ(gen.count(), 1500u);
  // The newest key's share is 1/zeta(count), within 3% relative.
  int newest = 0;
  for (int i = 0; i < 1'000'000; ++i) newest += gen.next() == 1499;
  const double expected = 1.0 / wl::zeta(1500, 0.99);
  EXPECT_NEAR(newest / 1e6, expected, 0.03 * expected);
}

// Hotspot: hot_ops_fraction of draws fall on the lowest hot_fraction of keys (within 0.005
// absolute over 10^6 draws), spread evenly over the hot set.
TEST(HotspotGenerator, Shares) {
  constexpr std::uint64_t kN = 10'000;
  wl::HotspotGenerator gen(kN, 0.2, 0.8, 11);
  EXPECT_EQ(gen.hot_count(), 2000u);
  int hot = 0;
  int hot_low_half = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    const std::uint64_t k = gen.next();
    ASSERT_LT(k, kN);
    hot += k < 2000;
    hot_low_half += k < 1000;
  }
  EXPECT_NEAR(hot / 1e6, 0.8, 0.005);
  EXPECT_NEAR(static_cast<double>(hot_low_half) / hot, 0.5, 0.01);
  // Degenerate shares still stay in range.
  wl::HotspotGenerator all_hot(kN, 1.0, 0.5, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(all_hot.next(), kN);
}

// Uniform: every decile of the key space gets a tenth of the draws (within 0.005).
TEST(UniformGenerator, Spread) {
  wl::UniformGenerator gen(1000, 5);
  std::vector<int> deciles(10, 0);
  for (int i = 0; i < 1'000'000; ++i) ++deciles[gen.next() / 100];
  for (int d : deciles) EXPECT_NEAR(d / 1e6, 0.1, 0.005);
}

// The six presets carry YCSB's standard mixes and distributions.
TEST(Presets, YcsbMixes) {
  using K = wl::OpKind;
  ASSERT_EQ(wl::presets().size(), 6u);
  const auto* a = wl::find_preset("ycsb-a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->mix[K::Read], 0.5);
  EXPECT_EQ(a->mix[K::Upsert], 0.5);
  EXPECT_EQ(wl::find_preset("ycsb-b")->mix[K::Read], 0.95);
  EXPECT_EQ(wl::find_preset("ycsb-c")->mix[K::Read], 1.0);
  EXPECT_EQ(wl::find_preset("ycsb-d")->mix[K::Insert], 0.05);
  EXPECT_EQ(wl::find_preset("ycsb-d")->distribution, wl::Distribution::Latest);
  EXPECT_EQ(wl::find_preset("ycsb-e")->mix[K::Scan], 0.95);
  EXPECT_EQ(wl::find_preset("ycsb-f")->mix[K::Rmw], 0.5);
  EXPECT_EQ(wl::find_preset("ycsb-g"), nullptr);
  for (const auto& p : wl::presets()) {
    double sum = 0;
    for (double s : p.mix.share) sum += s;
    EXPECT_NEAR(sum, 1.0, 1e-12) << p.name;
  }
}

// Streams: operation shares follow the mix (within 0.005), keys stay in range, inserts
// carry no key (the driver numbers them), scans carry a length in [1, max].
TEST(GenerateStream, MixKeysAndScans) {
  wl::WorkloadSpec spec;
  spec.records = 5000;
  spec.mix = wl::make_mix(0.3, 0.2, 0.1, 0.1, 0.1, 0.2);
  spec.distribution = wl::Distribution::Uniform;
  spec.max_scan_length = 50;
  const auto ops = wl::generate_stream(spec, 1, 2, 400'000);
  ASSERT_EQ(ops.size(), 400'000u);
  std::array<int, wl::kOpKinds> counts{};
  for (std::uint64_t op : ops) {
    const auto kind = wl::OpWord::kind(op);
    ++counts[static_cast<int>(kind)];
    if (kind == wl::OpKind::Insert) {
      EXPECT_EQ(wl::OpWord::key(op), 0u);
    } else {
      EXPECT_LT(wl::OpWord::key(op), spec.records);
    }
    if (kind == wl::OpKind::Scan) {
      EXPECT_GE(wl::OpWord::arg(op), 1u);
      EXPECT_LE(wl::OpWord::arg(op), 50u);
    }
  }
  for (std::size_t k = 0; k < wl::kOpKinds; ++k) {
    EXPECT_NEAR(counts[k] / 400'000.0, spec.mix.share[k], 0.005) << wl::kOpKindNames[k];
  }
  // Same seed, thread and repeat: same stream; another thread: another stream.
  EXPECT_EQ(ops, wl::generate_stream(spec, 1, 2, 400'000));
  EXPECT_NE(ops, wl::generate_stream(spec, 0, 2, 400'000));
}

// Latest streams move forward with the stream's own inserts: reads reach keys beyond the
// loaded records once inserts have happened, and never beyond what was inserted.
TEST(GenerateStream, LatestReadsFollowInserts) {
  wl::WorkloadSpec spec;
  spec.records = 1000;
  spec.mix = wl::find_preset("ycsb-d")->mix;
  spec.distribution = wl::Distribution::Latest;
  const std::uint32_t threads = 2;
  const auto ops = wl::generate_stream(spec, 0, threads, 100'000);
  std::uint64_t inserts = 0;
  std::uint64_t beyond = 0;
  for (std::uint64_t op : ops) {
    if (wl::OpWord::kind(op) == wl::OpKind::Insert) {
      ++inserts;
      continue;
    }
    const std::uint64_t key = wl::OpWord::key(op);
    EXPECT_LT(key, wl::insert_index(spec.records, 0, threads, inserts));
    beyond += key >= spec.records;
  }
  EXPECT_GT(inserts, 0u);
  EXPECT_GT(beyond, ops.size() / 2);  // most reads hit recently inserted keys
}

// Keys: distinct indexes give distinct keys of the asked size; the first 8 bytes are the
// index, little-endian.
TEST(EncodeKey, DistinctAndSized) {
  std::string a(16, '\0'), b(16, '\0');
  wl::encode_key(1, a);
  wl::encode_key(2, b);
  EXPECT_NE(a, b);
  std::uint64_t head = 0;
  std::memcpy(&head, a.data(), 8);
  EXPECT_EQ(head, 1u);
  EXPECT_EQ(a.substr(8), b.substr(8));  // fixed filler: only the first 8 bytes differ
  EXPECT_EQ(a.substr(8), "ijklmnop");
  std::string small(2, '\0');
  wl::encode_key(0x0102, small);
  EXPECT_EQ(small[0], 0x02);
  EXPECT_EQ(small[1], 0x01);
  EXPECT_EQ(wl::OpWord::kind(wl::OpWord::pack(wl::OpKind::Scan, 12345, 77)), wl::OpKind::Scan);
  EXPECT_EQ(wl::OpWord::key(wl::OpWord::pack(wl::OpKind::Scan, 12345, 77)), 12345u);
  EXPECT_EQ(wl::OpWord::arg(wl::OpWord::pack(wl::OpKind::Scan, 12345, 77)), 77u);
}
