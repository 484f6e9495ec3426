#pragma once
// Machine-level constants shared by every component.

#include <cstddef>
#include <cstdint>

namespace rskv {

inline constexpr std::size_t kCacheLineSize = 64;

/// Default limits of a store's keys and values (StoreConfig may raise or lower them; the log
/// page size is validated against the largest record they allow).
inline constexpr std::uint32_t kMaxKeyBytes = 64 * 1024;      // 64 KiB
inline constexpr std::uint32_t kMaxValueBytes = 1024 * 1024;  // 1 MiB

}  // namespace rskv
