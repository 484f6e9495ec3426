#pragma once
// ChainedIndex's checkpoint and recovery members (declared and documented in chained_index.h,
// which includes this file at its end): the geometry saved with a checkpoint, the fuzzy
// capture, and the single-threaded recovery load.
//
// What a checkpoint holds. An entry is saved as (rep_hash, address), where rep_hash is a hash
// with the entry's identity: its bucket's low base_bits and its tag (chained_table.h). The
// identity never changes while the index lives, so rep_hash does not depend on the table's
// size: the geometry carries base_bits (which fixes identities) and the bucket count (which
// only sizes the table), and recover_entry on an index prepared with it puts each entry in the
// bucket and tag that any key of that identity finds.
//
// Capture and growth. The capture runs in the capture phase of the growth gate
// (growth_gate.h): it waits for a running growth to end and no growth starts until it is
// done. It therefore scans one table that nothing migrates or retires, holds no frozen entry,
// and needs no epoch protection. An entry never moves inside a table and is never removed, so
// an entry that exists for the whole capture sits in one slot that the scan reads once, with
// the address it held at that moment. Inserts and swaps go on meanwhile; an entry created
// after the scan passed its slot is not visited.

#include <cstdint>
#include <new>

#include "components/common/status.h"
#include "components/index/chained/chained_index.h"
#include "components/index/chained/chained_table.h"

namespace rskv::index {

inline std::uint64_t ChainedIndex::checkpoint_geometry() const {
  const ChainedTable* t = newest();
  return (static_cast<std::uint64_t>(t->base_bits()) << 8) |
         static_cast<std::uint64_t>(t->bucket_bits());
}

inline Status ChainedIndex::prepare_recovery(std::uint64_t geometry) {
  const int bucket_bits = static_cast<int>(geometry & 0xff);
  const int base_bits = static_cast<int>((geometry >> 8) & 0xff);
  // The constructor builds base_bits of 0..kMaxBucketBits; growth adds at most kTagBits.
  if ((geometry >> 16) != 0 || base_bits > ChainedTable::kMaxBucketBits ||
      bucket_bits < base_bits || bucket_bits > ChainedTable::kMaxBucketBits ||
      bucket_bits - base_bits > IndexEntry::kTagBits) {
    return Status::InvalidArgument;
  }
  // relaxed: no other thread uses the index yet (precondition).
  ChainedTable* old = current_.load(std::memory_order_relaxed);
  if (old->next_.load(std::memory_order_relaxed) != nullptr || size() != 0) {
    return Status::InvalidArgument;  // not an empty, idle index
  }
  if (old->base_bits() == base_bits && old->bucket_bits() == bucket_bits) return Status::Ok;
  ChainedTable* fresh = nullptr;
  try {
    fresh = new ChainedTable(base_bits, bucket_bits, huge_pages_, bytes_);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  // release: as a growth's switch; the threads later given the index are ordered after this
  // call by whatever hands it over, and they acquire current_ anyway.
  current_.store(fresh, std::memory_order_release);
  delete old;  // nobody can hold a pointer into it yet
  return Status::Ok;
}

template <class F>
void ChainedIndex::capture(F&& f) {
  gate_.begin_capture();
  // Ends the capture phase also when f throws.
  struct Phase {
    GrowthGate& gate;
    ~Phase() { gate.end_capture(); }
  } phase{gate_};
  // acquire: pairs with the growth's switch (also ordered by the gate's acquire).
  const ChainedTable* t = current_.load(std::memory_order_acquire);
  for (std::uint64_t i = 0; i < t->num_buckets(); ++i) {
    for (const HashBucket* b = &t->bucket(i); b != nullptr; b = t->next(*b)) {
      for (const auto& slot : b->entries) {
        // acquire: as find; the address is one the entry held during the capture.
        const IndexEntry e(slot.load(std::memory_order_acquire));
        if (e.live()) f(t->rep_hash(i, e.tag()), e.address());
      }
    }
  }
}

inline bool ChainedIndex::recover_entry(std::uint64_t rep_hash, std::uint64_t address) noexcept {
  Handle h;
  if (find_or_create(rep_hash, h) != Status::Ok) return false;
  // Single-threaded: nothing races the overwrite. release: as any publication of an entry.
  h.slot->store(IndexEntry(h.word).with_address(address).word(), std::memory_order_release);
  return true;
}

static_assert(IndexPolicy<ChainedIndex>);

}  // namespace rskv::index
