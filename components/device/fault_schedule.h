#pragma once
// FaultSchedule: the deterministic, seeded decision of which I/O fails, shared by
// FaultyDevice and FaultyFileSystem (faulty_device.h, faulty_fs.h).
//
// Two sources of faults, both deterministic:
//   - rates: the n-th operation of a kind fails when mix(seed, kind, n) % one_in == 0. One
//     thread replays exactly; several threads draw the same set of failing operation indexes
//     (which thread gets which index depends on scheduling). The seed is in FaultConfig so a
//     failing test can print it and be rerun with it.
//   - armed faults: fail_next(kind, count) makes the next `count` operations of that kind
//     fail, for tests that need one fault at one place.
//
// Thread-safety: fires() and fail_next() may be called from any thread. configure() must not
// race with I/O (set the rates while the device is idle).

#include <atomic>
#include <cstdint>

namespace rskv::device {

struct FaultConfig {
  std::uint64_t seed = 1;
  std::uint32_t read_error_one_in = 0;   // 0 = never; reads fail with IoError
  std::uint32_t write_error_one_in = 0;  // writes fail with IoError (nothing written)
  std::uint32_t flush_error_one_in = 0;  // flush() / sync fails with IoError (nothing synced)
  std::uint32_t short_write_one_in = 0;  // a write is cut short (the wrapper completes it)
  std::uint32_t delay_one_in = 0;        // an I/O sleeps delay_micros before it is issued
  std::uint32_t delay_micros = 200;
  std::uint64_t space_bytes = 0;  // writes past this many bytes fail with NoSpace (0 = no limit)
  // Keep the old contents of every write not yet made durable, so that
  // simulate_power_loss() can drop it (costs a read per write: tests only).
  bool track_durability = false;
};

enum class FaultKind : std::uint8_t {
  ReadError,
  WriteError,
  FlushError,
  ShortWrite,
  NoSpace,
  Delay,
  RenameError,  // file-system interface only
  RemoveError,  // file-system interface only (unlink, remove_dir), armed only
  kCount,
};

class FaultSchedule {
 public:
  void configure(const FaultConfig& cfg) { cfg_ = cfg; }
  [[nodiscard]] const FaultConfig& config() const { return cfg_; }

  /// Makes the next `count` operations of `kind` fail (added to any already armed).
  void fail_next(FaultKind kind, std::uint32_t count = 1) {
    // Relaxed: the counter is its own synchronisation; tests arm before issuing the I/O.
    armed_[index(kind)].fetch_add(count, std::memory_order_relaxed);
  }

  /// Whether this operation of `kind` fails: an armed fault first, else the seeded rate.
  bool fires(FaultKind kind) {
    std::atomic<std::uint32_t>& armed = armed_[index(kind)];
    std::uint32_t left = armed.load(std::memory_order_relaxed);
    while (left > 0) {
      // Relaxed: only the count matters; each armed fault is consumed exactly once.
      if (armed.compare_exchange_weak(left, left - 1, std::memory_order_relaxed)) return true;
    }
    const std::uint32_t one_in = rate(kind);
    if (one_in == 0) return false;
    // Relaxed: a ticket dispenser; uniqueness is all that matters.
    const std::uint64_t n = counters_[index(kind)].fetch_add(1, std::memory_order_relaxed);
    return mix(cfg_.seed ^ (static_cast<std::uint64_t>(index(kind)) << 56) ^ n) % one_in == 0;
  }

  /// Counts injected faults of `kind` (for reports and tests).
  void count(FaultKind kind) { injected_[index(kind)].fetch_add(1, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t injected(FaultKind kind) const {
    return injected_[index(kind)].load(std::memory_order_relaxed);
  }

 private:
  static constexpr std::size_t kKinds = static_cast<std::size_t>(FaultKind::kCount);
  static constexpr std::size_t index(FaultKind k) { return static_cast<std::size_t>(k); }
  // splitmix64 finaliser: a good 64-bit mix for seeded decisions.
  static constexpr std::uint64_t mix(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }
  [[nodiscard]] std::uint32_t rate(FaultKind k) const {
    switch (k) {
      case FaultKind::ReadError:
        return cfg_.read_error_one_in;
      case FaultKind::WriteError:
        return cfg_.write_error_one_in;
      case FaultKind::FlushError:
        return cfg_.flush_error_one_in;
      case FaultKind::ShortWrite:
        return cfg_.short_write_one_in;
      case FaultKind::Delay:
        return cfg_.delay_one_in;
      default:
        return 0;  // NoSpace comes from space_bytes; RenameError, RemoveError are armed
    }
  }

  FaultConfig cfg_;  // written by configure() while idle; read by every fires()
  // Armed faults left, per kind: added by fail_next() (any thread), consumed by fires() with
  // a CAS. Relaxed: each count is self-contained; it orders no other data.
  std::atomic<std::uint32_t> armed_[kKinds] = {};
  // Operation tickets per kind, taken by fires() (relaxed: only uniqueness matters).
  std::atomic<std::uint64_t> counters_[kKinds] = {};
  // Injected-fault counts per kind: incremented by the injecting thread, read by tests and
  // reports (relaxed: statistics).
  std::atomic<std::uint64_t> injected_[kKinds] = {};
};

}  // namespace rskv::device
