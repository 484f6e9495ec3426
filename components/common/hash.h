#pragma once
// Key hashing: one 64-bit hash per key, computed once per operation.
// xxHash's XXH3 (inlined) for byte strings; it is as fast as a hand-written mix for 8-byte
// keys because XXH3 has a dedicated 4-8 byte path.

#include <cstdint>
#include <cstring>
#include <string_view>

// gcc 12 warns inside its own AVX-512 intrinsics headers when XXH3's AVX-512 path is
// inlined; the AVX2 path is as fast for the short keys rskv hashes.
#if defined(__AVX2__) && !defined(XXH_VECTOR)
#define XXH_VECTOR XXH_AVX2
#endif
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace rskv {

/// 8-byte keys (the common fixed-size case) take an inlined bijective mix of the key word
/// (the splitmix64 finalizer: xor-shift / multiply rounds with full avalanche, so both the
/// low bits that pick a bucket and the high bits that form a tag are well spread); all other
/// lengths take XXH3. Baselines in experiments/ call this same function.
[[nodiscard]] [[gnu::always_inline]] inline std::uint64_t hash_key(std::string_view key) noexcept {
  if (key.size() == 8) [[likely]] {
    std::uint64_t x;
    std::memcpy(&x, key.data(), 8);
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
  }
  return XXH3_64bits(key.data(), key.size());
}

/// Checksum of a byte range (checkpoint files, log pages).
[[nodiscard]] inline std::uint64_t checksum64(const void* data, std::size_t len) noexcept {
  return XXH3_64bits(data, len);
}

/// checksum64 computed piecewise (XXH3's streaming form): update() over consecutive pieces,
/// then digest() equals checksum64 of their concatenation. Lets a reader verify a range in
/// cache-sized steps while it parses the bytes just hashed.
class Checksum64Stream {
 public:
  Checksum64Stream() noexcept { XXH3_64bits_reset(&state_); }
  void update(const void* data, std::size_t len) noexcept {
    XXH3_64bits_update(&state_, data, len);
  }
  [[nodiscard]] std::uint64_t digest() const noexcept { return XXH3_64bits_digest(&state_); }

 private:
  XXH3_state_t state_;
};

}  // namespace rskv
