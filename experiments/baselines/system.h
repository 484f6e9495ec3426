#pragma once
// BenchSystem: the one small concept rskv-bench drives. rskv (experiments/rskv-bench/
// rskv_system.h) and each baseline (one file per engine in this folder) model it, so the
// driver runs the same workload code against every system, dispatching once per run (a
// template instantiated per system), never per operation.
//
// A system is opened for one run, filled by the driver's load phase, and dropped. Each
// driver thread asks it for one Worker and uses that Worker alone; Workers of different
// threads run concurrently. Operations return rskv::Status: Ok, NotFound, Pending (rskv
// only: completed by the Worker itself, at the latest in finish()), or an error that fails
// the run.
//
// Shared setup rules for baselines (issue 4): reserved for the expected number of keys,
// their default allocator, and rskv's key hash (rskv::hash_key) where the engine hashes.
// With 8-byte keys and values the hash tables store std::uint64_t keys and values, as
// their users would; otherwise std::string.

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "components/common/hash.h"
#include "components/common/result.h"
#include "components/common/status.h"

namespace rskv::bench {

/// What a system is opened with.
struct SystemOptions {
  std::uint64_t records = 0;        // keys loaded before the run
  std::uint64_t expected_keys = 0;  // records plus the inserts the run may make (reserve)
  std::uint32_t key_size = 8;
  std::uint32_t value_size = 8;
  std::uint64_t memory_bytes = 1ull << 30;  // rskv: log budget; RocksDB: block cache
  std::string path;                         // a fresh, empty directory owned by this run
  std::uint32_t threads = 1;                // threads that will take a Worker
  bool copy_reads_to_tail = false;          // rskv: StoreConfig::copy_reads_to_tail
  std::uint64_t checkpoint_write_rate = 0;  // rskv: StoreConfig::checkpoint_write_bytes_per_s
};

template <class S>
concept BenchSystem = requires(S& sys, const S& csys, const SystemOptions& opts,
                               typename S::Worker& w, std::string_view key, std::string_view value,
                               std::uint32_t n) {
  // Whether Worker::scan does anything (skipped with a reason otherwise).
  { S::kSupportsScan } -> std::convertible_to<bool>;
  // Whether Worker has read_batch / upsert_batch / rmw_batch (see BatchWorker); systems
  // without them run batch > 1 cells as single operations.
  { S::kSupportsBatch } -> std::convertible_to<bool>;
  // Opens an empty system; a clear error when it cannot.
  { S::open(opts) } -> std::same_as<Result<std::unique_ptr<S>>>;
  // One Worker per thread (rskv: a session).
  { sys.worker() } -> std::same_as<Result<typename S::Worker>>;
  // Reads key and copies its value into the Worker's buffer. Ok, NotFound (, Pending).
  { w.read(key) } -> std::same_as<Status>;
  // Inserts or overwrites.
  { w.upsert(key, value) } -> std::same_as<Status>;
  // Read-modify-write: adds 1 to the counter in the value's first 8 bytes (see
  // bump_counter); an absent key gets `value` (which has the configured size).
  { w.rmw(key, value) } -> std::same_as<Status>;
  // Removes key; Ok also when absent.
  { w.remove(key) } -> std::same_as<Status>;
  // Reads up to n records from key onward (key order), copying each value.
  { w.scan(key, n) } -> std::same_as<Status>;
  // Completes everything the Worker has outstanding. Ok or the first error.
  { w.finish() } -> std::same_as<Status>;
  // The value the last successful read (or scan step) copied out.
  { std::as_const(w).value() } -> std::same_as<std::string_view>;
  // How the system was set up for this run (goes into results.json).
  { csys.details() } -> std::same_as<nlohmann::json>;
};

/// The batch operations of a system with kSupportsBatch. Each fills statuses[i] with what
/// the single operation on keys[i] would have returned and returns Ok, or the first error
/// among the elements (Pending elements complete inside the Worker, at the latest in
/// finish()).
template <class W>
concept BatchWorker = requires(W& w, std::span<const std::string_view> keys, Status* statuses,
                               std::string_view value) {
  { w.read_batch(keys, statuses) } -> std::same_as<Status>;
  // keys[i] = values[i]
  { w.upsert_batch(keys, keys, statuses) } -> std::same_as<Status>;
  // the RMW of rmw() on every key, with `value` for absent keys
  { w.rmw_batch(keys, value, statuses) } -> std::same_as<Status>;
};

/// The RMW update every system applies: the little-endian counter in the first
/// min(8, size) bytes of the value goes up by one.
inline void bump_counter(char* value, std::size_t size) noexcept {
  std::uint64_t counter = 0;
  const std::size_t n = std::min<std::size_t>(8, size);
  std::memcpy(&counter, value, n);
  ++counter;
  std::memcpy(value, &counter, n);
}

/// Reads a (possibly short) byte string as a little-endian std::uint64_t.
inline std::uint64_t load_u64(std::string_view bytes) noexcept {
  std::uint64_t v = 0;
  std::memcpy(&v, bytes.data(), std::min<std::size_t>(8, bytes.size()));
  return v;
}

/// rskv's key hash over a key held either as 8 bytes in a std::uint64_t or as a string;
/// transparent so that lookups take a std::string_view without building a std::string.
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::uint64_t key) const noexcept {
    return hash_key(std::string_view(reinterpret_cast<const char*>(&key), sizeof key));
  }
  std::size_t operator()(std::string_view key) const noexcept { return hash_key(key); }
  std::size_t operator()(const std::string& key) const noexcept { return hash_key(key); }
};

struct KeyEqual {
  using is_transparent = void;
  bool operator()(std::uint64_t a, std::uint64_t b) const noexcept { return a == b; }
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};

/// The stored representation of keys and values: fixed 8-byte words or strings.
template <bool kFixed>
struct Repr {
  using Key = std::conditional_t<kFixed, std::uint64_t, std::string>;
  using Value = std::conditional_t<kFixed, std::uint64_t, std::string>;
  /// What lookups take: the word itself, or a view of the caller's bytes.
  using Probe = std::conditional_t<kFixed, std::uint64_t, std::string_view>;

  static Probe probe(std::string_view key) noexcept {
    if constexpr (kFixed) {
      std::uint64_t word;  // kFixed: keys are exactly 8 bytes; a constant-size load
      std::memcpy(&word, key.data(), sizeof word);
      return word;
    } else {
      return key;
    }
  }
  static Key make_key(std::string_view key) { return Key(probe(key)); }
  static void assign(Value& dst, std::string_view value) {
    if constexpr (kFixed) {
      std::memcpy(&dst, value.data(), sizeof dst);  // kFixed: values are exactly 8 bytes
    } else {
      dst.assign(value.data(), value.size());
    }
  }
  static Value make_value(std::string_view value) {
    Value v{};
    assign(v, value);
    return v;
  }
  /// The bytes of a stored value.
  static std::string_view bytes(const Value& v) noexcept {
    if constexpr (kFixed) {
      return {reinterpret_cast<const char*>(&v), sizeof v};
    } else {
      return v;
    }
  }
  static void bump(Value& v) noexcept {
    if constexpr (kFixed) {
      ++v;
    } else {
      bump_counter(v.data(), v.size());
    }
  }
};

/// A short label for details(): "uint64" or "std::string".
template <bool kFixed>
constexpr std::string_view repr_name() {
  return kFixed ? "std::uint64_t" : "std::string";
}

}  // namespace rskv::bench
