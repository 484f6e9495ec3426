#pragma once
// Machine-level constants shared by every component.

#include <cstddef>
#include <cstdint>

namespace rskv {

inline constexpr std::size_t kCacheLineSize = 64;

/// Largest key and value the store accepts by default (a store config may lower them).
inline constexpr std::uint32_t kMaxKeyBytes = 64 * 1024;         // 64 KiB
inline constexpr std::uint32_t kMaxValueBytes = 4 * 1024 * 1024;  // 4 MiB

}  // namespace rskv
