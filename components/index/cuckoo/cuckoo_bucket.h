#pragma once
// The cuckoo index's words and its 64-byte bucket.
//
// Entry word (CuckooEntry, a value type; AtomicCuckooEntry is its atomic twin):
//
//   63         62          61       60 .. 48   47 .. 0
//   [ occupied | alternate | frozen | tag:13   | address:48 ]
//
//   occupied   keeps a used slot non-zero although a fresh entry holds address 0 and tag 0;
//              a word of 0 is a free slot.
//   alternate  the entry sits in the alternate bucket of its identity (0: the primary one).
//              Together with the tag and the bucket it names the entry's identity, so the
//              alternate of the primary bucket can hold the same tag for another identity.
//   frozen     the word may not change: its entry is being displaced inside the table (it is
//              briefly in both buckets, both copies frozen), or it was migrated to the next
//              table by a resize (the old copy stays frozen for good). try_update never
//              swaps a frozen word, and never expects one.
//   tag        the low bits of the identity below the bucket bits (cuckoo_table.h); a table
//              uses tag_bits() <= 13 of them, fewer after each doubling.
//
// Bucket (CuckooBucket): one cache line: a latch word and seven entry slots.
//
//   latch word: [ version:63 | lock:1 ]
//     lock     writers (creates, displacements, migration) hold it for the few stores they
//              make; readers never take it.
//     version  bumped by a displacement after the copy is in the destination bucket and
//              before the source slot is cleared; a reader that did not find an entry checks
//              that neither candidate bucket's version moved during its scan (find never
//              misses an entry that was moved from behind it to in front of it).
//
// Memory is zero-filled and never constructed: every word is a plain uint64_t accessed only
// through std::atomic_ref, so a zeroed bucket array is a valid empty table (implicit-lifetime
// types) and atomics are never mixed with plain accesses.

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>

#include "components/common/address.h"
#include "components/common/constants.h"

namespace rskv::index {

class CuckooEntry {
 public:
  static constexpr int kTagBits = 13;
  static constexpr int kTagShift = Address::kBits;
  static constexpr std::uint64_t kTagMask = ((std::uint64_t{1} << kTagBits) - 1) << kTagShift;
  static constexpr std::uint64_t kFrozenBit = std::uint64_t{1} << 61;
  static constexpr std::uint64_t kAlternateBit = std::uint64_t{1} << 62;
  static constexpr std::uint64_t kOccupiedBit = std::uint64_t{1} << 63;
  /// The bits that name an entry's identity within a bucket.
  static constexpr std::uint64_t kKeyMask = kOccupiedBit | kAlternateBit | kTagMask;

  constexpr CuckooEntry() = default;
  constexpr explicit CuckooEntry(std::uint64_t word) : word_(word) {}
  /// An occupied, unfrozen entry.
  static constexpr CuckooEntry make(std::uint64_t tag, bool alternate, std::uint64_t address) {
    return CuckooEntry(key_of(tag, alternate) | (address & Address::kMask));
  }
  /// The kKeyMask bits of an entry with this tag and placement (for matching a bucket).
  static constexpr std::uint64_t key_of(std::uint64_t tag, bool alternate) {
    return kOccupiedBit | (alternate ? kAlternateBit : 0) | ((tag << kTagShift) & kTagMask);
  }

  [[nodiscard]] constexpr std::uint64_t word() const { return word_; }
  [[nodiscard]] constexpr bool empty() const { return word_ == 0; }
  [[nodiscard]] constexpr bool occupied() const { return (word_ & kOccupiedBit) != 0; }
  [[nodiscard]] constexpr bool frozen() const { return (word_ & kFrozenBit) != 0; }
  [[nodiscard]] constexpr bool alternate() const { return (word_ & kAlternateBit) != 0; }
  [[nodiscard]] constexpr std::uint64_t tag() const { return (word_ & kTagMask) >> kTagShift; }
  [[nodiscard]] constexpr std::uint64_t address() const { return word_ & Address::kMask; }
  [[nodiscard]] constexpr std::uint64_t key() const { return word_ & kKeyMask; }

  [[nodiscard]] constexpr CuckooEntry with_address(std::uint64_t a) const {
    return CuckooEntry((word_ & ~Address::kMask) | (a & Address::kMask));
  }
  [[nodiscard]] constexpr CuckooEntry with_frozen(bool f) const {
    return CuckooEntry(f ? (word_ | kFrozenBit) : (word_ & ~kFrozenBit));
  }
  [[nodiscard]] constexpr CuckooEntry with_alternate(bool a) const {
    return CuckooEntry(a ? (word_ | kAlternateBit) : (word_ & ~kAlternateBit));
  }
  constexpr bool operator==(const CuckooEntry&) const = default;

 private:
  std::uint64_t word_ = 0;
};
static_assert(sizeof(CuckooEntry) == 8);
static_assert(CuckooEntry::kTagShift + CuckooEntry::kTagBits <= 61, "tag overlaps the flags");
static_assert((CuckooEntry::kKeyMask & Address::kMask) == 0);

/// The atomic twin of CuckooEntry: one slot of a bucket. Loads, stores and CASes whole words.
/// Writers: creators and displacers (store, under the bucket lock), try_update (CAS, no lock),
/// migration (CAS to freeze, under the lock). Readers: find (acquire, no lock).
class AtomicCuckooEntry {
 public:
  [[nodiscard]] [[gnu::always_inline]] CuckooEntry load(std::memory_order order) const {
    return CuckooEntry(std::atomic_ref<std::uint64_t>(word_).load(order));
  }
  void store(CuckooEntry e, std::memory_order order) {
    std::atomic_ref<std::uint64_t>(word_).store(e.word(), order);
  }
  /// Strong CAS; on failure `expected` receives the current word.
  bool compare_exchange(CuckooEntry& expected, CuckooEntry desired, std::memory_order success,
                        std::memory_order failure) {
    std::uint64_t w = expected.word();
    bool ok = std::atomic_ref<std::uint64_t>(word_).compare_exchange_strong(w, desired.word(),
                                                                            success, failure);
    if (!ok) expected = CuckooEntry(w);
    return ok;
  }

 private:
  // mutable: const readers build an atomic_ref (which needs a non-const object) to load.
  // No initialiser: the bucket array is zero-filled memory (see the file comment).
  mutable std::uint64_t word_;
};
static_assert(sizeof(AtomicCuckooEntry) == 8);
static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic_ref<std::uint64_t>::required_alignment <= alignof(AtomicCuckooEntry));

/// Pauses a spinning thread; after a few rounds it yields (the machine may be oversubscribed).
inline void spin_pause(int round) {
  if (round < 32) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  } else {
    std::this_thread::yield();
  }
}

/// The bucket latch: lock bit and displacement version in one word (see the file comment).
/// Writers: lock holders (CAS to lock, acquire; stores while holding it, release).
/// Readers: find (version, acquire) and would-be lockers (relaxed, then CAS).
class BucketLatch {
 public:
  static constexpr std::uint64_t kLockBit = 1;
  static constexpr std::uint64_t kVersionUnit = 2;

  void lock() {
    std::atomic_ref<std::uint64_t> w(word_);
    for (int round = 0;; ++round) {
      // relaxed: only a hint; the CAS below acquires.
      std::uint64_t c = w.load(std::memory_order_relaxed);
      if ((c & kLockBit) == 0 && w.compare_exchange_weak(c, c | kLockBit, std::memory_order_acquire,
                                                         std::memory_order_relaxed)) {
        return;
      }
      spin_pause(round);
    }
  }
  /// Precondition: the caller holds the lock. release: the slots written under the lock
  /// happen-before the next holder's acquire.
  void unlock() {
    std::atomic_ref<std::uint64_t> w(word_);
    w.store(w.load(std::memory_order_relaxed) & ~kLockBit, std::memory_order_release);
  }
  /// Precondition: the caller holds the lock (so the relaxed read sees the latest word).
  /// release: a reader that acquires the new version sees the destination copy stored before.
  void bump_version() {
    std::atomic_ref<std::uint64_t> w(word_);
    w.store(w.load(std::memory_order_relaxed) + kVersionUnit, std::memory_order_release);
  }
  /// The version without the lock bit. acquire: pairs with bump_version's release.
  [[nodiscard]] [[gnu::always_inline]] std::uint64_t version() const {
    return std::atomic_ref<std::uint64_t>(word_).load(std::memory_order_acquire) & ~kLockBit;
  }

 private:
  mutable std::uint64_t word_;  // zero-filled with its bucket, like the slots
};

struct alignas(kCacheLineSize) CuckooBucket {
  static constexpr int kSlots = 7;
  BucketLatch latch;
  AtomicCuckooEntry slots[kSlots];
};
static_assert(sizeof(CuckooBucket) == kCacheLineSize);
static_assert(std::is_trivially_copyable_v<CuckooBucket> &&
                  std::is_trivially_default_constructible_v<CuckooBucket>,
              "a zero-filled bucket array must be a valid empty table");

}  // namespace rskv::index
