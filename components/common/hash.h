#pragma once
// Key hashing: one 64-bit hash per key, computed once per operation.
// xxHash's XXH3 (inlined) for byte strings; it is as fast as a hand-written mix for 8-byte
// keys because XXH3 has a dedicated 4-8 byte path.

#include <cstdint>
#include <string_view>

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
