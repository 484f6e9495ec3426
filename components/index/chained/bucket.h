#pragma once
// The chained index's 64-byte bucket: seven entries and an overflow link.
//
// Entry word (IndexEntry):
//   63      62          61 .. 48    47 .. 0
//   [ used | tentative | tag:14   | address:48 ]
// A word of 0 is a free slot; `used` keeps an occupied entry non-zero even when its address
// is still 0 (just created) and its tag is 0. `tentative` marks an entry in the middle of the
// two-phase insert: readers skip it.
//
// Overflow word: 0 = no overflow bucket, otherwise the 1-based index of the next bucket in
// the overflow arena.

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
  static constexpr std::uint64_t kTentativeBit = std::uint64_t{1} << 62;
  static constexpr std::uint64_t kUsedBit = std::uint64_t{1} << 63;

  constexpr IndexEntry() = default;
  constexpr explicit IndexEntry(std::uint64_t w) : word_(w) {}
  static constexpr IndexEntry make(std::uint64_t address, std::uint16_t tag, bool tentative) {
    return IndexEntry(kUsedBit | (tentative ? kTentativeBit : 0) |
                      ((std::uint64_t{tag} & kTagMask) << kTagShift) | (address & Address::kMask));
  }
  [[nodiscard]] constexpr std::uint64_t word() const { return word_; }
  [[nodiscard]] constexpr bool free() const { return word_ == 0; }
  [[nodiscard]] constexpr bool tentative() const { return (word_ & kTentativeBit) != 0; }
  [[nodiscard]] constexpr std::uint16_t tag() const {
    return static_cast<std::uint16_t>((word_ >> kTagShift) & kTagMask);
  }
  [[nodiscard]] constexpr std::uint64_t address() const { return word_ & Address::kMask; }
  [[nodiscard]] constexpr IndexEntry with_address(std::uint64_t a) const {
    return IndexEntry((word_ & ~Address::kMask) | (a & Address::kMask));
  }
  [[nodiscard]] constexpr IndexEntry without_tentative() const {
    return IndexEntry(word_ & ~kTentativeBit);
  }

 private:
  std::uint64_t word_ = 0;
};
static_assert(sizeof(IndexEntry) == 8);

struct alignas(kCacheLineSize) HashBucket {
  static constexpr int kEntries = 7;
  // Entries: written by CAS (acq_rel) or release store; read with acquire so that a reader
  // that sees an address also sees the record written before it was published.
  std::atomic<std::uint64_t> entries[kEntries];
  // 0 or the 1-based overflow index; set once by CAS (acq_rel), read with acquire.
  std::atomic<std::uint64_t> overflow;
};
static_assert(sizeof(HashBucket) == kCacheLineSize);

}  // namespace rskv::index
