#pragma once
// Byte copies whose one side is memory other threads may access at the same time, done with
// relaxed atomic accesses so that the copy is not a data race (no undefined behaviour, and
// ThreadSanitizer-clean) against those threads' atomic accesses of the same bytes. Uses: the
// values of records that are written in place under the record's seqlock (writer and seqlock
// reader), and the snapshot checkpoint's copy of a log range in which sessions of the next
// version may update records in place.
//
// What they guarantee:
//   - every 8-byte-aligned word of the shared side is accessed with one relaxed atomic load
//     (store): a word is never torn. The bytes before the first and after the last aligned
//     word are accessed one relaxed atomic byte at a time.
//   - nothing more. The copy as a whole is not atomic (its words may come from different
//     moments, i.e. mix two writes), and relaxed accesses order nothing: a caller that needs
//     a consistent snapshot adds its own protocol (the seqlock's counter and fences).
// A concurrent writer of the same bytes must use atomic accesses too (e.g. atomic_store_copy
// on the same 8-byte grid): an atomic load racing with a plain store is still a data race.
// On x86-64 a relaxed 8-byte load or store is a plain mov; the compiler does not merge or
// vectorise them, so these copies move one word per step (cold paths and values > 8 bytes).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace rskv {

/// Copies n bytes from src (read with relaxed atomic loads; shared) to dst (private).
inline void atomic_load_copy(void* dst, const void* src, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  // std::atomic_ref needs a non-const object; a load never writes through it.
  auto* s = static_cast<unsigned char*>(const_cast<void*>(src));
  for (; n > 0 && (reinterpret_cast<std::uintptr_t>(s) & 7u) != 0; --n) {
    *d++ = std::atomic_ref<unsigned char>(*s++).load(std::memory_order_relaxed);
  }
  for (; n >= 8; n -= 8, s += 8, d += 8) {
    const std::uint64_t w = std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(s))
                                .load(std::memory_order_relaxed);
    std::memcpy(d, &w, 8);
  }
  for (; n > 0; --n) {
    *d++ = std::atomic_ref<unsigned char>(*s++).load(std::memory_order_relaxed);
  }
}

/// Copies n bytes from src (private) to dst (written with relaxed atomic stores; shared).
inline void atomic_store_copy(void* dst, const void* src, std::size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  for (; n > 0 && (reinterpret_cast<std::uintptr_t>(d) & 7u) != 0; --n) {
    std::atomic_ref<unsigned char>(*d++).store(*s++, std::memory_order_relaxed);
  }
  for (; n >= 8; n -= 8, s += 8, d += 8) {
    std::uint64_t w;
    std::memcpy(&w, s, 8);
    std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(d))
        .store(w, std::memory_order_relaxed);
  }
  for (; n > 0; --n) {
    std::atomic_ref<unsigned char>(*d++).store(*s++, std::memory_order_relaxed);
  }
}

}  // namespace rskv
