#pragma once
// YCSB-style workloads: operation mixes, the six YCSB presets, key encoding, and the
// per-thread operation streams that rskv-bench generates before its timed region.
//
// An operation is one 64-bit word (OpWord): kind in bits 61..63, an argument in bits
// 48..60 (the scan length), the key index in bits 0..47. Insert words carry no key: the
// driver gives thread t of T its k-th insert the fresh index records + k*T + t at run time,
// so a stream replayed from its start (duration runs loop their stream) never re-inserts
// a key. generate_stream() assumes that numbering when it moves the "latest" distribution
// forward, as if all threads inserted at the same pace.
//
// Keys: index i becomes key_size bytes, the low min(8, key_size) bytes of i little-endian
// first, then fixed filler bytes (see encode_key), so that a driver can keep one key buffer
// per thread and rewrite only its first 8 bytes. Distinct indexes below 256^key_size give
// distinct keys.

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "experiments/workload/generators.h"

namespace rskv::workload {

enum class OpKind : std::uint8_t { Read = 0, Upsert, Insert, Rmw, Delete, Scan };
inline constexpr std::size_t kOpKinds = 6;
inline constexpr std::array<std::string_view, kOpKinds> kOpKindNames = {"read", "upsert", "insert",
                                                                        "rmw",  "delete", "scan"};

enum class Distribution : std::uint8_t { Uniform, Zipfian, Latest, Hotspot };
inline constexpr std::array<std::string_view, 4> kDistributionNames = {"uniform", "zipfian",
                                                                       "latest", "hotspot"};

/// Shares of each operation kind, indexed by OpKind; they sum to 1.
struct Mix {
  std::array<double, kOpKinds> share{};
  [[nodiscard]] double operator[](OpKind k) const { return share[static_cast<std::size_t>(k)]; }
  double& operator[](OpKind k) { return share[static_cast<std::size_t>(k)]; }
  [[nodiscard]] bool operator==(const Mix&) const = default;
};

struct Preset {
  std::string_view name;
  Mix mix;
  Distribution distribution;  // the key distribution YCSB's workload file names
};

inline Mix make_mix(double read, double upsert, double insert, double rmw, double del,
                    double scan) {
  return Mix{{read, upsert, insert, rmw, del, scan}};
}

/// YCSB core workloads A-F (workloads/workloada .. workloadf in YCSB).
inline const std::array<Preset, 6>& presets() {
  static const std::array<Preset, 6> kPresets = {{
      {"ycsb-a", make_mix(0.5, 0.5, 0, 0, 0, 0), Distribution::Zipfian},    // update heavy
      {"ycsb-b", make_mix(0.95, 0.05, 0, 0, 0, 0), Distribution::Zipfian},  // read mostly
      {"ycsb-c", make_mix(1, 0, 0, 0, 0, 0), Distribution::Zipfian},        // read only
      {"ycsb-d", make_mix(0.95, 0, 0.05, 0, 0, 0), Distribution::Latest},   // read latest
      {"ycsb-e", make_mix(0, 0, 0.05, 0, 0, 0.95), Distribution::Zipfian},  // short ranges
      {"ycsb-f", make_mix(0.5, 0, 0, 0.5, 0, 0), Distribution::Zipfian},    // read-modify-write
  }};
  return kPresets;
}

inline const Preset* find_preset(std::string_view name) {
  for (const auto& p : presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

/// Everything that shapes one thread's operation stream.
struct WorkloadSpec {
  std::uint64_t records = 0;  // keys 0..records-1 are loaded before the run
  Mix mix;
  Distribution distribution = Distribution::Zipfian;
  double theta = 0.99;                  // zipfian and latest
  double hot_fraction = 0.2;            // hotspot
  double hot_ops_fraction = 0.8;        // hotspot
  std::uint32_t max_scan_length = 100;  // scan lengths are uniform in [1, max] (YCSB default)
  std::uint64_t seed = 1;
};

/// One packed operation.
struct OpWord {
  static constexpr int kKindShift = 61;
  static constexpr int kArgShift = 48;
  static constexpr std::uint64_t kKeyMask = (1ull << kArgShift) - 1;
  static constexpr std::uint64_t kArgMask = (1ull << (kKindShift - kArgShift)) - 1;
  static constexpr std::uint32_t kMaxArg = static_cast<std::uint32_t>(kArgMask);
  static constexpr std::uint64_t kMaxKeyIndex = kKeyMask;

  static constexpr std::uint64_t pack(OpKind kind, std::uint64_t key, std::uint32_t arg = 0) {
    return (static_cast<std::uint64_t>(kind) << kKindShift) |
           ((static_cast<std::uint64_t>(arg) & kArgMask) << kArgShift) | (key & kKeyMask);
  }
  static constexpr OpKind kind(std::uint64_t w) { return static_cast<OpKind>(w >> kKindShift); }
  static constexpr std::uint64_t key(std::uint64_t w) { return w & kKeyMask; }
  static constexpr std::uint32_t arg(std::uint64_t w) {
    return static_cast<std::uint32_t>((w >> kArgShift) & kArgMask);
  }
};

/// Index of thread `thread`'s k-th insert (k from 0) when `threads` threads insert.
constexpr std::uint64_t insert_index(std::uint64_t records, std::uint32_t thread,
                                     std::uint32_t threads, std::uint64_t k) {
  return records + k * threads + thread;
}

/// Writes the key of `index` into out (out.size() is the key size).
inline void encode_key(std::uint64_t index, std::span<char> out) {
  std::uint64_t le = index;  // x86-64 and the other targets rskv builds on are little-endian
  const std::size_t head = std::min<std::size_t>(8, out.size());
  std::memcpy(out.data(), &le, head);
  for (std::size_t i = head; i < out.size(); ++i) {
    out[i] = static_cast<char>('a' + i % 26);
  }
}

/// The seed of thread `thread`'s generators in repeat `repeat`.
inline std::uint64_t thread_seed(std::uint64_t seed, std::uint32_t thread, std::uint32_t repeat) {
  std::uint64_t s =
      seed ^ (0x5851F42D4C957F2Dull * (thread + 1)) ^ (0x14057B7EF767814Full * repeat);
  return Rng::splitmix64(s);
}

/// Generates `count` operations for thread `thread` of `threads`.
inline std::vector<std::uint64_t> generate_stream(const WorkloadSpec& spec, std::uint32_t thread,
                                                  std::uint32_t threads, std::size_t count,
                                                  std::uint32_t repeat = 0) {
  const std::uint64_t seed = thread_seed(spec.seed, thread, repeat);
  Rng mix_rng(seed ^ 0xA5A5A5A5A5A5A5A5ull);
  using AnyGenerator =
      std::variant<UniformGenerator, ScrambledZipfianGenerator, LatestGenerator, HotspotGenerator>;
  auto make = [&]() -> AnyGenerator {
    switch (spec.distribution) {
      case Distribution::Uniform:
        return UniformGenerator(spec.records, seed);
      case Distribution::Zipfian:
        return ScrambledZipfianGenerator(spec.records, spec.theta, seed);
      case Distribution::Latest:
        return LatestGenerator(spec.records, spec.theta, seed);
      case Distribution::Hotspot:
        return HotspotGenerator(spec.records, spec.hot_fraction, spec.hot_ops_fraction, seed);
    }
    return UniformGenerator(spec.records, seed);
  };
  AnyGenerator gen = make();

  std::array<double, kOpKinds> cumulative{};
  double acc = 0;
  for (std::size_t k = 0; k < kOpKinds; ++k) cumulative[k] = (acc += spec.mix.share[k]);
  std::size_t last_kind = 0;  // the last kind with a share guards against rounding
  for (std::size_t k = 0; k < kOpKinds; ++k) {
    if (spec.mix.share[k] > 0) last_kind = k;
  }

  std::vector<std::uint64_t> ops;
  ops.reserve(count);
  std::uint64_t inserts = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const double u = mix_rng.next_double();
    std::size_t k = 0;
    while (k < last_kind && u >= cumulative[k]) ++k;
    const auto kind = static_cast<OpKind>(k);
    if (kind == OpKind::Insert) {
      ops.push_back(OpWord::pack(kind, 0));
      ++inserts;
      if (auto* latest = std::get_if<LatestGenerator>(&gen)) {
        latest->set_count(insert_index(spec.records, 0, threads, inserts));
      }
      continue;
    }
    const std::uint64_t key = std::visit([](auto& g) { return g.next(); }, gen);
    const std::uint32_t arg =
        kind == OpKind::Scan ? 1 + static_cast<std::uint32_t>(mix_rng.below(spec.max_scan_length))
                             : 0;
    ops.push_back(OpWord::pack(kind, key, arg));
  }
  return ops;
}

}  // namespace rskv::workload
