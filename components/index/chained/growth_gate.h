#pragma once
// GrowthGate: keeps the chained index's growth and its checkpoint captures apart.
//
// A growth (from the publication of the next table to the switch of the current one) and a
// capture (the scan of the current table for a fuzzy index checkpoint) never overlap, so a
// capture scans one table that nothing migrates or retires while it runs, and sees no frozen
// entry. The gate is one word, changed only by read-modify-writes, so its transitions form one
// total order and no store->load race can let both phases in:
//
//   word = (captures running << 1) | (growth running)
//   idle -(growth starter: CAS 0 -> 1)-> growing -(the same starter, when done: fetch_and)-> idle
//   no growth -(capture: CAS w -> w + 2)-> capturing -(the same capture: fetch_sub)-> ...
//
// Who waits:
//   - begin_capture (also ChainedIndex::hold_growth, which keeps growth off over a whole
//     checkpoint) waits (futex: std::atomic::wait) while a growth runs, including any time a
//     test hook holds the growth open. The growth itself never waits for anything but its
//     hook, so the wait ends.
//   - An automatic growth (a creator found a long chain) does not start while a capture runs:
//     the creator goes on without it and a later insert into a long chain tries again.
//   - An explicit grow() waits (futex) until the captures running have ended, then starts.
//   - find, find_or_create and try_update never wait for the gate.

#include <atomic>
#include <cstdint>

namespace rskv::index {

class GrowthGate {
 public:
  enum class Start { kStarted, kGrowing, kCapturing };

  /// Enters the growth phase unless a growth or a capture holds the gate. Never waits.
  Start try_begin_growth() {
    std::uint32_t expected = 0;
    // acq_rel: acquire orders this growth after the previous phase's end (release); release
    // is not needed by anyone but keeps the word's transitions symmetric.
    if (word_.compare_exchange_strong(expected, kGrowing, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      return Start::kStarted;
    }
    return (expected & kGrowing) != 0 ? Start::kGrowing : Start::kCapturing;
  }
  void end_growth() {
    // release: a capture that acquires the idle word sees the switched current table.
    word_.fetch_and(~kGrowing, std::memory_order_release);
    word_.notify_all();
  }
  /// Waits until no capture runs (the caller then tries to start its growth again).
  void wait_for_captures() {
    std::uint32_t w = word_.load(std::memory_order_acquire);
    while ((w >> 1) != 0) {
      word_.wait(w, std::memory_order_acquire);
      w = word_.load(std::memory_order_acquire);
    }
  }

  /// Enters a capture, waiting while a growth runs. Captures may overlap each other.
  void begin_capture() {
    std::uint32_t w = word_.load(std::memory_order_acquire);
    for (;;) {
      if ((w & kGrowing) != 0) {
        word_.wait(w, std::memory_order_acquire);
        w = word_.load(std::memory_order_acquire);
        continue;
      }
      // acq_rel: acquire pairs with end_growth's release (the capture then sees the current
      // table the growth installed); release orders nothing but is harmless.
      if (word_.compare_exchange_weak(w, w + kCapture, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        return;
      }
    }
  }
  void end_capture() {
    // release: a growth that starts after this capture acquires the word.
    word_.fetch_sub(kCapture, std::memory_order_release);
    word_.notify_all();
  }

  [[nodiscard]] bool growing() const {
    return (word_.load(std::memory_order_acquire) & kGrowing) != 0;
  }

 private:
  static constexpr std::uint32_t kGrowing = 1;
  static constexpr std::uint32_t kCapture = 2;
  std::atomic<std::uint32_t> word_{0};
};

}  // namespace rskv::index
