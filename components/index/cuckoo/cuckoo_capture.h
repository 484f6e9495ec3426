#pragma once
// The cuckoo index's checkpoint support: the gate that keeps a fuzzy capture and a resize
// apart (PhaseGate), and the record of displacements made while a capture scans (MoveLog).
// CuckooIndex::capture (cuckoo_index_checkpoint.h) and the resize and displacement code use
// them.
//
// Phases. A resize (from the publication of the next table to the switch of the current one)
// and a capture (the scan of the current table for a fuzzy index checkpoint) never overlap.
// The gate is one word with three states, changed only by read-modify-writes and stores of
// its holder, so the transitions form one total order and no store->load race can let both
// phases in:
//
//   idle --(resize starter: CAS)--> resizing --(thread that finishes the resize: store)--> idle
//   idle --(capture: CAS)---------> capturing --(the same capture: store)----------------> idle
//
// A capture therefore scans one table that nothing migrates or retires while it runs (it
// needs no epoch protection), and it sees no frozen entry: freezing is done by migration and,
// under both bucket locks, by a displacement in flight.
//
// Who waits, and for how long:
//   - A capture waits (futex, std::atomic::wait) while a resize runs: until the resize's
//     migrators finish it, which includes any time a test hook holds the resize open; and while
//     another capture runs (captures are serialised).
//   - A creator that needs a resize while a capture runs first displaces, even above the load
//     bound; only when no displacement path exists does it wait for the capture to end (one
//     pass over the buckets plus the capture callback's work). It holds no bucket lock then,
//     but keeps its epoch protection: a capture must not wait for epoch progress.
//   - find and try_update never wait for a capture. Creators and displacers may wait for a
//     bucket lock that the capture holds while it copies that one bucket's seven words (the
//     callback runs after the unlock).
//
// Displacement during a capture. The capture scans buckets in index order, each under its
// bucket lock. A move of an entry from bucket s to bucket d holds both locks, so it falls
// wholly before or after the capture's visit of each. The one order that hides the entry from
// the scan is: d visited before the move, s visited after it. Then the capture's unlock of d
// happens-before the move's lock of d, so the capture's start of recording (before its first
// lock) happens-before the move's check: the move sees the MoveLog active and records the
// entry's identity and (frozen, hence current) address under its locks. That record
// happens-before the move's unlock of s, hence before the capture's visit of s and its read of
// the log after the scan: the capture replays it. An entry moves only between its two buckets
// and entries are never removed, so if the scan misses one, it sat in s when d was visited and
// in d when s was visited: one of its moves went from s to d in between, in that order, and was
// recorded (whichever of the two buckets is visited first). Moves in other orders are seen by
// the scan itself; a needless record only visits an entry twice, which a capture allows.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

namespace rskv::index {

/// The resize/capture gate (see the file comment). One per index.
class PhaseGate {
 public:
  enum class ResizeStart { kStarted, kCapturing, kResizing };

  /// A resize starter: enters the resizing state unless a capture or another resize holds
  /// the gate. Never waits.
  ResizeStart try_begin_resize() {
    std::uint32_t expected = kIdle;
    // acquire: pairs with end_resize's release, so a starter that gets in sees the current
    // table the previous resize published (it re-checks which table is current).
    // relaxed on failure: the caller only learns who holds the gate.
    if (state_.compare_exchange_strong(expected, kResizing, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      return ResizeStart::kStarted;
    }
    return expected == kCapturing ? ResizeStart::kCapturing : ResizeStart::kResizing;
  }
  /// The resize is over (the new table is current), or the starter found it had nothing to do.
  /// Only the holder writes while the state is resizing, so a store suffices. release: a
  /// capture that acquires the idle state sees the new current table and every migrated copy.
  void end_resize() {
    state_.store(kIdle, std::memory_order_release);
    state_.notify_all();
  }
  /// Waits while a resize or another capture holds the gate, then holds it.
  void begin_capture() {
    std::uint32_t seen = state_.load(std::memory_order_acquire);
    for (;;) {
      // acquire: pairs with end_resize's release (see there).
      if (seen == kIdle && state_.compare_exchange_weak(seen, kCapturing, std::memory_order_acquire,
                                                        std::memory_order_acquire)) {
        return;
      }
      if (seen != kIdle) {
        state_.wait(seen, std::memory_order_acquire);
        seen = state_.load(std::memory_order_acquire);
      }
    }
  }
  /// release: the capture's reads are done before a resize may start.
  void end_capture() {
    state_.store(kIdle, std::memory_order_release);
    state_.notify_all();
  }
  /// A resize starter refused by a capture: waits until that capture ends.
  void wait_while_capturing() const {
    // acquire: orders nothing the caller relies on (it looks the table up again), but keeps
    // the waiting side symmetric with the release stores that wake it.
    state_.wait(kCapturing, std::memory_order_acquire);
  }
  /// Whether a capture holds the gate. relaxed: a hint for choosing displacement over growth;
  /// a stale answer only picks the other route, which checks the gate itself.
  [[nodiscard]] bool capturing_hint() const {
    return state_.load(std::memory_order_relaxed) == kCapturing;
  }
  /// Whether a resize holds the gate (acquire: see try_begin_resize).
  [[nodiscard]] bool resizing() const {
    return state_.load(std::memory_order_acquire) == kResizing;
  }

 private:
  static constexpr std::uint32_t kIdle = 0;
  static constexpr std::uint32_t kResizing = 1;
  static constexpr std::uint32_t kCapturing = 2;
  // 32 bits: std::atomic<uint32_t>::wait is a direct futex on Linux.
  mutable std::atomic<std::uint32_t> state_{kIdle};
};

/// Entries displaced while a capture scans (see the file comment). One per index.
class MoveLog {
 public:
  struct Move {
    std::uint64_t identity;
    std::uint64_t address;
  };

  /// The capture, before its first bucket: start recording (drops what an earlier capture
  /// left, if anything).
  void start() {
    std::lock_guard guard(mutex_);
    moves_.clear();
    // relaxed: written under mutex_; the bucket locks order it before every move that must
    // record (file comment). Movers that read it without the mutex treat it as a hint.
    active_.store(true, std::memory_order_relaxed);
  }
  /// The capture, after its last bucket: stop recording; returns what was recorded.
  std::vector<Move> stop() {
    std::lock_guard guard(mutex_);
    active_.store(false, std::memory_order_relaxed);  // relaxed: as in start()
    std::vector<Move> out;
    out.swap(moves_);
    return out;
  }
  /// A mover, holding both bucket locks and having frozen the entry: records it when a
  /// capture runs. false only when a capture runs and the record could not be allocated; the
  /// mover must then undo the move (the capture could miss the entry otherwise).
  bool record_if_capturing(std::uint64_t identity, std::uint64_t address) noexcept {
    // relaxed: a move that must record sees true (the bucket locks order the capture's store
    // before this load, file comment); a true seen late is re-checked under the mutex.
    if (!active_.load(std::memory_order_relaxed)) [[likely]]
      return true;
    std::lock_guard guard(mutex_);
    if (!active_.load(std::memory_order_relaxed)) return true;  // relaxed: under mutex_
    try {
      moves_.push_back(Move{identity, address});
    } catch (const std::bad_alloc&) {
      return false;
    }
    return true;
  }

 private:
  // Whether a capture records moves. Written by the capture under mutex_; read by movers.
  std::atomic<bool> active_{false};
  std::mutex mutex_;         // a leaf lock: taken inside two bucket locks, never the other way
  std::vector<Move> moves_;  // guarded by mutex_
};

}  // namespace rskv::index
