#pragma once
// The deterministic operation stream of the crash tests, shared by the writer process
// (crash_writer.cc) and the test that checks what recovery produced (crash_test.cc).
//
// Session i (0 or 1) runs operation n (its serial, from 1) = op_at(seed, i, n): an upsert, an
// rmw, a delete or a read of one of session i's own keys (key_name(i, k)); sessions never
// share a key, so the state of the store after session i's serial s_i (for every i) is the
// union of replay(seed, i, s_i) — whatever the interleaving of the sessions was. A writer that
// recovers continues each session at its recovered serial with the same stream, so after any
// number of crashes and recoveries the expected state is still replay(seed, i, serial).
//
// StoreConfig: crash_config() is used by the writer and by the test's recovery (page and
// segment sizes must match the store's metadata).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "components/store/config.h"

namespace rskv::crash {

inline constexpr std::uint64_t kKeysPerSession = 2500;

inline std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

enum class OpKind : std::uint8_t { Upsert, Rmw, Delete, Read };

struct Op {
  OpKind kind = OpKind::Read;
  std::uint64_t key = 0;
  std::string value;  // upsert only
};

inline std::string key_name(unsigned session, std::uint64_t k) {
  std::string name(1, 's');  // (appends, not operator+: GCC 12 warns falsely on the latter)
  name += std::to_string(session);
  name += "-key-";
  name += std::to_string(k);
  return name;
}

/// Operation `serial` (>= 1) of session `session`.
inline Op op_at(std::uint64_t seed, unsigned session, std::uint64_t serial) {
  const std::uint64_t h = mix(seed ^ mix((std::uint64_t{session} << 48) ^ serial));
  const std::uint64_t h2 = mix(h);
  Op op;
  // Half the operations hit 64 hot keys (in-place updates, chains in memory), half spread
  // over all keys (records on the device: pending reads and rmws).
  op.key = (h & 1) ? (h2 >> 8) % 64 : (h2 >> 8) % kKeysPerSession;
  const unsigned pick = static_cast<unsigned>((h >> 1) % 100);
  if (pick < 55) {
    op.kind = OpKind::Upsert;
    static constexpr std::size_t kLens[] = {4, 8, 8, 16, 40, 100, 100, 200};
    const std::size_t len = kLens[(h >> 12) % 8];
    op.value = "v" + std::to_string(serial) + "-";
    while (op.value.size() < len) op.value += static_cast<char>('a' + (op.value.size() + h) % 26);
    op.value.resize(len);
  } else if (pick < 75) {
    op.kind = OpKind::Rmw;
  } else if (pick < 85) {
    op.kind = OpKind::Delete;
  } else {
    op.kind = OpKind::Read;
  }
  return op;
}

/// The rmw of operation `serial`: a function of the old value (nullptr when absent). Values of
/// 24 bytes or more keep their length (in-place updates); shorter ones grow (copy to tail).
inline std::string rmw_apply(const std::string* old, std::uint64_t serial) {
  if (old == nullptr) return "r" + std::to_string(serial % 1000);
  std::string v = *old;
  if (v.size() >= 24) {
    v[serial % v.size()] = static_cast<char>('a' + serial % 26);
  } else {
    v += "+" + std::to_string(serial % 10);
  }
  return v;
}

/// One session's keys: values[k] is key k's value, nullopt when absent.
struct Model {
  std::vector<std::optional<std::string>> values =
      std::vector<std::optional<std::string>>(kKeysPerSession);

  void apply(const Op& op, std::uint64_t serial) {
    std::optional<std::string>& v = values[op.key];
    switch (op.kind) {
      case OpKind::Upsert:
        v = op.value;
        break;
      case OpKind::Rmw:
        v = rmw_apply(v ? &*v : nullptr, serial);
        break;
      case OpKind::Delete:
        v.reset();
        break;
      case OpKind::Read:
        break;
    }
  }
};

/// Session `session`'s state after its operations 1..serial.
inline Model replay(std::uint64_t seed, unsigned session, std::uint64_t serial) {
  Model m;
  for (std::uint64_t n = 1; n <= serial; ++n) m.apply(op_at(seed, session, n), n);
  return m;
}

/// The store configuration of the writer and of the test's recovery: 512 KiB of log in
/// 16 KiB pages (the log spills to the device, so reads and rmws go pending and checkpoints
/// cross flushed, evicted and mutable pages), 1 MiB segments, a small index that grows.
inline StoreConfig crash_config(const std::string& dir, std::uint64_t initial_buckets = 256) {
  StoreConfig c;
  c.path = dir;
  c.memory_bytes = 512 * 1024;
  c.page_bits = 14;
  c.max_key_bytes = 256;
  c.max_value_bytes = 1024;
  c.huge_pages = false;
  c.index.initial_buckets = initial_buckets;
  c.index.huge_pages = false;
  c.device.segment_bytes = 1 << 20;
  c.device.deferred = false;
  return c;
}

}  // namespace rskv::crash
