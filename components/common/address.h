#pragma once
// Address: a 48-bit logical address into the hybrid log.
//
//   63            48 47                                   0
//   +----------------+-------------------------------------+
//   |   (unused)     |   logical log address (bytes)        |
//   +----------------+-------------------------------------+
//
// The log splits an address into page number and offset with its own page_bits (a run-time
// setting of the log, validated against the largest record), so Address itself knows only
// the 48-bit width. Address 0 is invalid: the log starts at kFirstValidAddress.

#include <compare>
#include <cstdint>

namespace rskv {

class Address {
 public:
  static constexpr int kBits = 48;
  static constexpr std::uint64_t kMask = (std::uint64_t{1} << kBits) - 1;
  static constexpr std::uint64_t kInvalid = 0;
  static constexpr std::uint64_t kMax = kMask;

  constexpr Address() = default;
  constexpr explicit Address(std::uint64_t a) : value_(a & kMask) {}

  [[nodiscard]] constexpr std::uint64_t raw() const { return value_; }
  [[nodiscard]] constexpr bool valid() const { return value_ != kInvalid; }
  [[nodiscard]] constexpr std::uint64_t page(int page_bits) const { return value_ >> page_bits; }
  [[nodiscard]] constexpr std::uint64_t offset(int page_bits) const {
    return value_ & ((std::uint64_t{1} << page_bits) - 1);
  }
  constexpr auto operator<=>(const Address&) const = default;

 private:
  std::uint64_t value_ = kInvalid;
};

/// The first address a log hands out: the first cache line stays unused so 0 is invalid.
inline constexpr std::uint64_t kFirstValidAddress = 64;

}  // namespace rskv
