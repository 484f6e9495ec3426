#pragma once
// Key hashing: one 64-bit hash per key, computed once per operation.
// xxHash's XXH3 (inlined) for byte strings; it is as fast as a hand-written mix for 8-byte
// keys because XXH3 has a dedicated 4-8 byte path.

#include <cstdint>
#include <string_view>

// gcc 12 warns inside its own AVX-512 intrinsics headers when XXH3's AVX-512 path is
// inlined; the AVX2 path is as fast for the short keys rskv hashes.
#if defined(__AVX2__) && !defined(XXH_VECTOR)
#define XXH_VECTOR XXH_AVX2
#endif
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace rskv {

[[nodiscard]] inline std::uint64_t hash_key(std::string_view key) noexcept {
  return XXH3_64bits(key.data(), key.size());
}

/// Checksum of a byte range (checkpoint files, log pages).
[[nodiscard]] inline std::uint64_t checksum64(const void* data, std::size_t len) noexcept {
  return XXH3_64bits(data, len);
}

}  // namespace rskv
