#pragma once
// The chained index's 64-byte bucket: seven entries and an overflow link.
//
// Entry word (IndexEntry):
//   63 62      61 .. 48   47 .. 0
//   [ state  | tag:14   | address:48 ]
// state:
//   00 free       the whole word is 0: nobody uses the slot
//   10 live       an entry: (tag, address); address 0 = created, no record yet
//   11 tentative  address field 0: a claim of the two-phase insert (readers skip it);
//                 address field kDeadAddress: a dead slot (see below)
//   01 frozen     a live entry of a table that growth is migrating: its final (tag, address);
//                 the word never changes again and its copy in the next table is the entry
// Growth freezes every word of an old chain (chained_index.h): live -> frozen, free and
// tentative -> dead. A dead slot is non-zero, so no insert can claim it, and a claim that was
// killed can no longer be completed (its creator's CAS expects the tentative word). Only a
// table that is being replaced holds frozen or dead words.
//
// Overflow word (HashBucket::overflow): 0 = end of the chain, kLinkFrozen = end of a frozen
// chain (no bucket can be linked any more), otherwise the 1-based index of the next bucket in
// its table's overflow arena (chained_table.h).

#include <atomic>
#include <cstdint>

#include "components/common/address.h"
#include "components/common/constants.h"

namespace rskv::index {

class IndexEntry {
 public:
  static constexpr int kTagBits = 14;
  static constexpr int kTagShift = 48;
  static constexpr std::uint64_t kTagMask = (std::uint64_t{1} << kTagBits) - 1;
  static constexpr int kStateShift = 62;
  enum State : std::uint64_t { kFree = 0, kFrozen = 1, kLive = 2, kTentative = 3 };
  /// The address field of a dead slot (state tentative). No claim has it: claims hold 0.
  static constexpr std::uint64_t kDeadAddress = 1;

  constexpr IndexEntry() = default;
  constexpr explicit IndexEntry(std::uint64_t w) : word_(w) {}
  static constexpr IndexEntry make(std::uint64_t address, std::uint16_t tag, bool tentative) {
    return IndexEntry((std::uint64_t{tentative ? kTentative : kLive} << kStateShift) |
                      ((std::uint64_t{tag} & kTagMask) << kTagShift) | (address & Address::kMask));
  }
  static constexpr IndexEntry dead() {
    return IndexEntry((std::uint64_t{kTentative} << kStateShift) | kDeadAddress);
  }

  [[nodiscard]] constexpr std::uint64_t word() const { return word_; }
  [[nodiscard]] constexpr State state() const { return static_cast<State>(word_ >> kStateShift); }
  [[nodiscard]] constexpr bool free() const { return word_ == 0; }
  [[nodiscard]] constexpr bool live() const { return state() == kLive; }
  [[nodiscard]] constexpr bool frozen() const { return state() == kFrozen; }
  /// A claim in progress or a dead slot: readers skip both.
  [[nodiscard]] constexpr bool tentative() const { return state() == kTentative; }
  [[nodiscard]] constexpr bool is_dead() const { return tentative() && address() != 0; }
  /// Live or frozen: an entry a reader may return.
  [[nodiscard]] constexpr bool entry() const { return live() || frozen(); }
  [[nodiscard]] constexpr std::uint16_t tag() const {
    return static_cast<std::uint16_t>((word_ >> kTagShift) & kTagMask);
  }
  [[nodiscard]] constexpr std::uint64_t address() const { return word_ & Address::kMask; }
  [[nodiscard]] constexpr IndexEntry with_address(std::uint64_t a) const {
    return IndexEntry((word_ & ~Address::kMask) | (a & Address::kMask));
  }
  /// A claim completed: tentative -> live, same tag and address.
  [[nodiscard]] constexpr IndexEntry without_tentative() const {
    return IndexEntry((word_ & ~(std::uint64_t{3} << kStateShift)) |
                      (std::uint64_t{kLive} << kStateShift));
  }
  /// A live entry as growth freezes it (same tag and address).
  [[nodiscard]] constexpr IndexEntry as_frozen() const {
    return IndexEntry((word_ & ~(std::uint64_t{3} << kStateShift)) |
                      (std::uint64_t{kFrozen} << kStateShift));
  }
  /// A frozen entry's copy for the next table (live, same tag and address).
  [[nodiscard]] constexpr IndexEntry as_live() const {
    return IndexEntry((word_ & ~(std::uint64_t{3} << kStateShift)) |
                      (std::uint64_t{kLive} << kStateShift));
  }

 private:
  std::uint64_t word_ = 0;
};
static_assert(sizeof(IndexEntry) == 8);
static_assert(IndexEntry::kTagShift + IndexEntry::kTagBits == IndexEntry::kStateShift);
static_assert(Address::kBits == IndexEntry::kTagShift, "the address fills the bits below the tag");
static_assert(IndexEntry::dead().is_dead() && !IndexEntry::make(0, 5, true).is_dead());
static_assert(IndexEntry::make(0, 0, false).word() != 0, "a new entry is never a free word");
static_assert(IndexEntry::make(8, 3, false).as_frozen().as_live().word() ==
              IndexEntry::make(8, 3, false).word());

struct alignas(kCacheLineSize) HashBucket {
  static constexpr int kEntries = 7;
  /// Overflow word of the last bucket of a frozen chain.
  static constexpr std::uint64_t kLinkFrozen = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kLinkIndexMask = kLinkFrozen - 1;

  // Entries: changed only by CAS (claims, finalising, back-offs, swaps, freezing, migration
  // copies); read with acquire so that a reader that sees an address also sees the record
  // written before it was published.
  std::atomic<std::uint64_t> entries[kEntries];
  // 0, kLinkFrozen, or the 1-based overflow index: set once by CAS (acq_rel) from 0, read
  // with acquire (the linked bucket is zero-filled before its chunk was published).
  std::atomic<std::uint64_t> overflow;
};
static_assert(sizeof(HashBucket) == kCacheLineSize);

}  // namespace rskv::index
