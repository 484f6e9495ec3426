#pragma once
// Epoch protection: the only memory-reclamation and phase-change mechanism of rskv.
//
// A global epoch counter E, a table of per-session entries (one cache line each) holding the
// epoch a session last observed (0 = not protected), and a drain list of (epoch, action)
// pairs.
//
//   protect(slot)    entry[slot] = E                 (the session may now touch shared state)
//   refresh(slot)    entry[slot] = E, then drain      (every few hundred operations)
//   unprotect(slot)  entry[slot] = 0
//   bump_epoch(act)  E' = E + 1; act is registered with epoch E (the epoch before the bump)
//
// An action registered with epoch e runs once every protected entry holds an epoch > e,
// i.e. every session has refreshed since the bump: no session can still hold a pointer or
// a view of the state that existed at epoch e. That is the "safe epoch":
//   safe = min(entry[i] for protected i) - 1   (or E - 1 when nobody is protected).
// Actions run on whichever thread drains (refresh, bump_epoch, or drain()); each runs
// exactly once.
//
// Memory orders: entry[slot] is written only by its owner. The owner's store is seq_cst and
// followed by its loads of shared state; the drainer's loads of entries are seq_cst too, so a
// drainer that sees entry[i] > e knows that session's later reads observe everything written
// before the bump (the classic store->load ordering needs seq_cst on both sides).
// The global epoch is bumped with seq_cst fetch_add for the same reason.
//
// Capacity: kMaxSlots sessions may be protected at once (DESIGN: 256+ threads with sessions).

#include <atomic>
#include <cassert>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "components/common/constants.h"
#include "components/common/status.h"

namespace rskv::epoch {

class EpochManager {
 public:
  static constexpr std::uint32_t kMaxSlots = 1024;
  static constexpr std::uint32_t kDrainListSize = 256;
  static constexpr std::uint64_t kUnprotected = 0;
  using Action = std::function<void()>;  // cold path only: one per region shift / phase change

  EpochManager() {
    for (auto& d : drain_) d.epoch.store(kFree, std::memory_order_relaxed);
  }
  // Actions still registered at destruction are dropped, not run: their owners (the log,
  // the index) drain what they need in their own destructors, while they still exist.
  ~EpochManager() = default;
  EpochManager(const EpochManager&) = delete;
  EpochManager& operator=(const EpochManager&) = delete;

  /// Claims a free slot for a session; returns kMaxSlots when all are taken.
  std::uint32_t acquire_slot() {
    for (std::uint32_t i = 0; i < kMaxSlots; ++i) {
      bool expected = false;
      // acq_rel: the claim orders the new owner after the previous owner's release.
      if (!table_[i].in_use.load(std::memory_order_relaxed) &&
          table_[i].in_use.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
        return i;
      }
    }
    return kMaxSlots;
  }
  void release_slot(std::uint32_t slot) {
    assert(slot < kMaxSlots);
    table_[slot].local_epoch.store(kUnprotected, std::memory_order_seq_cst);
    table_[slot].in_use.store(false, std::memory_order_release);
  }

  /// Enters the protected state (idempotent for an already protected slot: it refreshes).
  void protect(std::uint32_t slot) {
    table_[slot].local_epoch.store(current_.load(std::memory_order_seq_cst),
                                   std::memory_order_seq_cst);
  }
  [[nodiscard]] bool is_protected(std::uint32_t slot) const {
    return table_[slot].local_epoch.load(std::memory_order_relaxed) != kUnprotected;
  }
  /// Observes the current epoch and runs whatever actions became safe.
  void refresh(std::uint32_t slot) {
    std::uint64_t e = current_.load(std::memory_order_seq_cst);
    table_[slot].local_epoch.store(e, std::memory_order_seq_cst);
    if (pending_actions_.load(std::memory_order_acquire) > 0) [[unlikely]]
      run_due_actions();
  }
  void unprotect(std::uint32_t slot) {
    table_[slot].local_epoch.store(kUnprotected, std::memory_order_seq_cst);
  }

  /// Bumps the epoch and registers `action` to run once every session has left the epoch
  /// before the bump. Thread-safe; may be called with or without protection. When the drain
  /// list is full it drains (running due actions) until a slot frees.
  void bump_epoch(Action action) {
    std::uint64_t prior = current_.fetch_add(1, std::memory_order_seq_cst);
    for (;;) {
      for (auto& d : drain_) {
        std::uint64_t expected = kFree;
        if (d.epoch.load(std::memory_order_relaxed) == kFree &&
            d.epoch.compare_exchange_strong(expected, kLocked, std::memory_order_acquire)) {
          d.action = std::move(action);
          // release: a drainer that acquires this epoch value also sees the action.
          d.epoch.store(prior, std::memory_order_release);
          pending_actions_.fetch_add(1, std::memory_order_acq_rel);
          run_due_actions();
          return;
        }
      }
      run_due_actions();
      std::this_thread::yield();
    }
  }
  /// Bumps the epoch without an action (makes later refreshes observe a new epoch).
  std::uint64_t bump_epoch() { return current_.fetch_add(1, std::memory_order_seq_cst) + 1; }

  /// Runs every action whose epoch is safe. Returns how many ran.
  std::uint32_t drain() { return run_due_actions(); }

  /// The epoch `slot` last observed (kUnprotected when it is not protected).
  [[nodiscard]] std::uint64_t local_epoch(std::uint32_t slot) const {
    return table_[slot].local_epoch.load(std::memory_order_seq_cst);
  }
  [[nodiscard]] std::uint64_t current_epoch() const {
    return current_.load(std::memory_order_seq_cst);
  }
  /// The largest epoch e such that no protected session holds an epoch <= e.
  [[nodiscard]] std::uint64_t compute_safe_epoch() const {
    std::uint64_t oldest = current_.load(std::memory_order_seq_cst);
    for (const auto& entry : table_) {
      std::uint64_t e = entry.local_epoch.load(std::memory_order_seq_cst);
      if (e != kUnprotected && e < oldest) oldest = e;
    }
    return oldest - 1;
  }
  [[nodiscard]] std::uint32_t pending_actions() const {
    return pending_actions_.load(std::memory_order_acquire);
  }
  [[nodiscard]] std::uint32_t protected_count() const {
    std::uint32_t n = 0;
    for (const auto& entry : table_) {
      n += entry.local_epoch.load(std::memory_order_relaxed) != kUnprotected;
    }
    return n;
  }

 private:
  static constexpr std::uint64_t kFree = ~std::uint64_t{0};
  static constexpr std::uint64_t kLocked = ~std::uint64_t{0} - 1;

  struct alignas(kCacheLineSize) Entry {
    // Written by the owning session only (seq_cst, see above); read by drainers.
    std::atomic<std::uint64_t> local_epoch{kUnprotected};
    // Slot ownership: CAS false->true by acquire_slot, release store by release_slot.
    std::atomic<bool> in_use{false};
  };
  static_assert(sizeof(Entry) == kCacheLineSize);

  struct DrainEntry {
    // kFree, kLocked (being filled or run), or the epoch the action was registered with.
    std::atomic<std::uint64_t> epoch;
    Action action;  // valid while epoch holds a real epoch; owned by whoever locks it
  };

  std::uint32_t run_due_actions() {
    std::uint64_t safe = compute_safe_epoch();
    std::uint32_t ran = 0;
    for (auto& d : drain_) {
      std::uint64_t e = d.epoch.load(std::memory_order_acquire);
      if (e >= kLocked || e > safe) continue;
      if (!d.epoch.compare_exchange_strong(e, kLocked, std::memory_order_acquire)) continue;
      Action act = std::move(d.action);
      d.action = nullptr;
      d.epoch.store(kFree, std::memory_order_release);
      pending_actions_.fetch_sub(1, std::memory_order_acq_rel);
      act();
      ++ran;
    }
    return ran;
  }

  alignas(kCacheLineSize) std::atomic<std::uint64_t> current_{1};
  alignas(kCacheLineSize) std::atomic<std::uint32_t> pending_actions_{0};
  Entry table_[kMaxSlots];
  DrainEntry drain_[kDrainListSize];
};

/// RAII: protects a slot for a scope (for non-session threads that touch shared state).
class ProtectGuard {
 public:
  ProtectGuard(EpochManager& m, std::uint32_t slot) : m_(m), slot_(slot) { m_.protect(slot_); }
  ~ProtectGuard() { m_.unprotect(slot_); }
  ProtectGuard(const ProtectGuard&) = delete;
  ProtectGuard& operator=(const ProtectGuard&) = delete;

 private:
  EpochManager& m_;
  std::uint32_t slot_;
};

}  // namespace rskv::epoch
