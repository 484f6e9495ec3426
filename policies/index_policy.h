#pragma once
// IndexPolicy: the contract of a hash index from 64-bit key hashes to the log address of the
// newest record for that hash (a chain head; records chain to older ones through their
// headers). Implementations: components/index/chained, components/index/cuckoo.
//
// Entries may move (cuckoo displacement, online growth): the store never writes an entry
// itself. It finds an entry, which yields a Handle (where the entry was and what it held),
// and later asks the index to compare-and-swap that entry's address. The swap fails when the
// entry changed or moved since the Handle was taken; the store then finds it again and
// retries. An index that must rehash without the full hash can ask the store for the hash
// of the key stored at an address through the HashResolver.
//
// Thread-safety: all members may be called concurrently by threads holding epoch protection
// (components/epoch); readers (find) never block.
//
// Checkpoint and recovery members (each index documents its own details next to them):
//   std::uint64_t checkpoint_geometry() const
//       a number describing the table's shape (bucket count and whatever fixes an entry's
//       identity), saved with an index checkpoint.
//   Status prepare_recovery(std::uint64_t geometry)
//       on an empty index that no other thread uses yet: make its table match `geometry`.
//       InvalidArgument for a value no index produces (or a non-empty index), OutOfMemory.
//   template <class F> void capture(F&& f)
//       fuzzy capture: f(rep_hash, address) for every occupied, non-tentative entry, while
//       other threads run find / find_or_create / try_update. Every entry that exists for the
//       whole capture is visited at least once, with an address it held at some moment of the
//       capture (it may be visited twice); entries created meanwhile may or may not be. A
//       capture and an index growth never overlap: a capture waits for a running growth, and
//       no growth starts while a capture runs. rep_hash is a representative hash of the
//       entry's identity (see recover_entry).
//   bool recover_entry(std::uint64_t rep_hash, std::uint64_t address)
//       single-threaded recovery load on an index prepared with the saved geometry: creates the
//       entry that any key of rep_hash's identity finds (same bucket, same tag) and sets its
//       address (overwriting). false only on OutOfMemory.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "components/common/status.h"

namespace rskv {

namespace epoch {
class EpochManager;
}  // namespace epoch

/// Returns the 64-bit key hash of the record at a log address (may read the device
/// synchronously). Given by the store; used by indexes that rehash entries.
using HashResolver = std::uint64_t (*)(void* context, std::uint64_t address);

struct IndexConfig {
  std::uint64_t initial_buckets = 1ull << 20;  // rounded up to a power of two
  bool huge_pages = true;                      // madvise(MADV_HUGEPAGE) the bucket array
  std::uint32_t max_overflow_chain = 8;        // chained: grow past this chain length
  // Reclaims bucket arrays that growth replaced, once no protected thread can still read
  // them (bump_epoch). Null: replaced arrays are kept until the index is destroyed.
  epoch::EpochManager* epoch = nullptr;
};

template <class I>
concept IndexPolicy = requires(I& idx, const I& cidx, const IndexConfig& cfg, std::uint64_t hash,
                               typename I::Handle& handle, std::uint64_t address,
                               HashResolver resolver, void* ctx) {
  // The name configs use ("chained", "cuckoo").
  { I::kName } -> std::convertible_to<std::string_view>;
  // Constructed from a config (cold path; throws std::bad_alloc on allocation failure).
  requires std::constructible_from<I, const IndexConfig&>;
  // Trivially copyable token: where an entry was found and the word it held.
  requires std::is_trivially_copyable_v<typename I::Handle>;
  // The address the entry held when the handle was taken (0 = none yet).
  { handle.address() } -> std::same_as<std::uint64_t>;
  // Finds the entry for hash. true and handle filled when it exists; never blocks.
  { idx.find(hash, handle) } -> std::same_as<bool>;
  // Finds the entry for hash, creating it (address 0) when absent. Ok, or OutOfMemory.
  // Concurrent callers for one hash end with one entry, never two.
  { idx.find_or_create(hash, handle) } -> std::same_as<Status>;
  // CAS the entry from handle's observed word to one holding address. true on success (and
  // handle now reflects the new word); false when the entry changed or moved.
  { idx.try_update(handle, address) } -> std::same_as<bool>;
  // Installs the resolver used when entries must be rehashed (growth).
  {idx.set_resolver(resolver, ctx)};
  // Bytes of memory the index holds, entries in use, and entries / slots.
  { cidx.memory_bytes() } -> std::same_as<std::size_t>;
  { cidx.size() } -> std::same_as<std::size_t>;
  { cidx.load_factor() } -> std::same_as<double>;
};

}  // namespace rskv
