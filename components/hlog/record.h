#pragma once
// Record: the unit of the hybrid log. Layout (all words little-endian, 8-byte aligned):
//
//   offset 0   header word   (RecordHeader, below)
//   offset 8   lengths word  key_len:32 (bits 0-31) | value_len:32 (bits 32-63); immutable,
//                            key_len >= 1 so this word is never 0: a 0 here marks the unused
//                            tail of a page (frames are zeroed before reuse)
//   offset 16  key bytes, padded with zeros to a multiple of 8
//   [only when value_len > 8: one seqlock word (even = stable, odd = writer inside)]
//   then       value bytes, padded to a multiple of 8
//
// For 8-byte keys and values a record is 32 bytes and its value is one aligned word, read with
// a single atomic load: no more work than a fixed-size design. Larger values are written in
// place under the seqlock so that readers never see a torn value (writers also hold the
// header lock, below, so the seqlock only serves readers).
// A record never spans pages; its value length never changes in place (an update of another
// length is appended as a new record).
//
// Header word (RecordHeader):
//   63     62       61        60          59 .. 48     47 .. 0
//   [ lock | sealed | invalid | tombstone | version:12 | previous address:48 ]
// previous address: the record this one shadows in its hash chain (0 = none); immutable once
// published. The flag bits change only by CAS on the whole word:
//   lock      held by a thread updating the value in place (mutable region only); writers
//             exclude each other with it, readers never take it;
//   sealed    the value is frozen: a thread is copying the record to the tail (copy-to-tail
//             of a record that may still be updated in place). Set only when unlocked;
//             in-place writers that find it set append instead;
//   tombstone set in place by a delete (only when neither locked nor sealed);
//   invalid   set on a record whose index CAS failed: nobody can reach it through the index.

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "components/common/address.h"

namespace rskv::hlog {

class RecordHeader {
 public:
  static constexpr int kVersionShift = 48;
  static constexpr std::uint64_t kVersionMask = 0xfff;
  static constexpr std::uint64_t kTombstoneBit = std::uint64_t{1} << 60;
  static constexpr std::uint64_t kInvalidBit = std::uint64_t{1} << 61;
  static constexpr std::uint64_t kSealedBit = std::uint64_t{1} << 62;
  static constexpr std::uint64_t kLockBit = std::uint64_t{1} << 63;

  constexpr RecordHeader() = default;
  constexpr explicit RecordHeader(std::uint64_t word) : word_(word) {}
  static constexpr RecordHeader make(std::uint64_t previous, std::uint32_t version,
                                     bool tombstone) {
    return RecordHeader((previous & Address::kMask) |
                        ((std::uint64_t{version} & kVersionMask) << kVersionShift) |
                        (tombstone ? kTombstoneBit : 0));
  }
  [[nodiscard]] constexpr std::uint64_t word() const { return word_; }
  [[nodiscard]] constexpr std::uint64_t previous() const { return word_ & Address::kMask; }
  [[nodiscard]] constexpr std::uint32_t version() const {
    return static_cast<std::uint32_t>((word_ >> kVersionShift) & kVersionMask);
  }
  [[nodiscard]] constexpr bool tombstone() const { return (word_ & kTombstoneBit) != 0; }
  [[nodiscard]] constexpr bool invalid() const { return (word_ & kInvalidBit) != 0; }
  [[nodiscard]] constexpr bool sealed() const { return (word_ & kSealedBit) != 0; }
  [[nodiscard]] constexpr bool locked() const { return (word_ & kLockBit) != 0; }

 private:
  std::uint64_t word_ = 0;
};
static_assert(sizeof(RecordHeader) == 8);

constexpr std::uint32_t pad8(std::uint32_t n) {
  return (n + 7u) & ~7u;
}

/// Bytes a record of these lengths occupies in the log.
constexpr std::uint32_t record_size(std::uint32_t key_len, std::uint32_t value_len) {
  return 16 + pad8(key_len) + (value_len > 8 ? 8 : 0) + pad8(value_len);
}
static_assert(record_size(8, 8) == 32);

/// A view of a record in memory (a log frame or an I/O buffer). Does not own the bytes.
class RecordView {
 public:
  explicit RecordView(std::byte* p) : p_(p) {}

  [[nodiscard]] [[gnu::always_inline]] std::atomic_ref<std::uint64_t> header_ref() const {
    return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(p_));
  }
  /// acquire: pairs with the release fetch_or of tombstone / invalid.
  [[nodiscard]] [[gnu::always_inline]] RecordHeader header() const {
    return RecordHeader(header_ref().load(std::memory_order_acquire));
  }
  [[nodiscard]] [[gnu::always_inline]] std::uint64_t lengths_word() const {
    return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(p_ + 8))
        .load(std::memory_order_relaxed);  // immutable once published; relaxed suffices
  }
  [[nodiscard]] [[gnu::always_inline]] std::uint32_t key_len() const {
    return static_cast<std::uint32_t>(lengths_word());
  }
  [[nodiscard]] [[gnu::always_inline]] std::uint32_t value_len() const {
    return static_cast<std::uint32_t>(lengths_word() >> 32);
  }
  [[nodiscard]] std::uint32_t size() const { return record_size(key_len(), value_len()); }
  [[nodiscard]] std::string_view key() const {
    return {reinterpret_cast<const char*>(p_ + 16), key_len()};
  }
  [[nodiscard]] [[gnu::always_inline]] bool key_equals(std::string_view k) const {
    if (key_len() != k.size()) return false;
    if (k.size() == 8) {  // the common fixed-size case: one word compare, no call
      std::uint64_t a, b;
      std::memcpy(&a, p_ + 16, 8);
      std::memcpy(&b, k.data(), 8);
      return a == b;
    }
    return std::memcmp(p_ + 16, k.data(), k.size()) == 0;
  }
  [[nodiscard]] [[gnu::always_inline]] std::byte* value_ptr() const {
    const std::uint64_t lengths = lengths_word();  // one load for both lengths
    const auto kl = static_cast<std::uint32_t>(lengths);
    const auto vl = static_cast<std::uint32_t>(lengths >> 32);
    return p_ + 16 + pad8(kl) + (vl > 8 ? 8 : 0);
  }
  /// The seqlock word of a record with value_len > 8.
  [[nodiscard]] [[gnu::always_inline]] std::atomic_ref<std::uint64_t> seqlock_ref() const {
    return std::atomic_ref<std::uint64_t>(
        *reinterpret_cast<std::uint64_t*>(p_ + 16 + pad8(key_len())));
  }
  [[nodiscard]] std::byte* data() const { return p_; }

  /// Writes a complete record (before it is published through the index).
  static void write(std::byte* p, RecordHeader h, std::string_view key, std::string_view value) {
    auto* w = reinterpret_cast<std::uint64_t*>(p);
    w[0] = h.word();
    w[1] = std::uint64_t{static_cast<std::uint32_t>(key.size())} |
           (std::uint64_t{static_cast<std::uint32_t>(value.size())} << 32);
    std::byte* kp = p + 16;
    std::uint32_t kpad = pad8(static_cast<std::uint32_t>(key.size()));
    if (key.size() == 8) {  // the common fixed-size case: one word, no library call
      std::memcpy(kp, key.data(), 8);
    } else {
      std::memset(kp + kpad - (kpad ? 8 : 0), 0, kpad ? 8 : 0);  // zero the last key word
      std::memcpy(kp, key.data(), key.size());
    }
    std::byte* vp = kp + kpad;
    if (value.size() > 8) {
      *reinterpret_cast<std::uint64_t*>(vp) = 0;  // seqlock, stable
      vp += 8;
    }
    if (value.size() == 8) {
      std::memcpy(vp, value.data(), 8);
      return;
    }
    std::uint32_t vpad = pad8(static_cast<std::uint32_t>(value.size()));
    if (vpad) std::memset(vp + vpad - 8, 0, 8);
    if (!value.empty()) std::memcpy(vp, value.data(), value.size());  // tombstones: no value
  }

 private:
  std::byte* p_;
};

}  // namespace rskv::hlog
