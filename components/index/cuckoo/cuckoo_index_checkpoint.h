#pragma once
// CuckooIndex's checkpoint and recovery members (declared and documented in cuckoo_index.h,
// which includes this file at its end): the geometry saved with a checkpoint, the fuzzy
// capture, and the single-threaded recovery load.
//
// What a checkpoint holds. An entry is saved as (rep_hash, address), where rep_hash is its
// identity (the top identity_bits of every hash that shares the entry, cuckoo_table.h) shifted
// back to the top of a 64-bit hash. The identity width is fixed when an index is built, so the
// geometry carries it: an index prepared with the geometry splits hashes the same way, and
// rep_hash finds the entry that any key of that identity finds. The saved bucket count only
// sizes the table; an entry's bucket is recomputed on recovery.
//
// The capture's exclusion of resizes and its handling of displacements are explained in
// cuckoo_capture.h.

#include <cstdint>
#include <new>
#include <vector>

#include "components/common/status.h"
#include "components/index/cuckoo/cuckoo_capture.h"
#include "components/index/cuckoo/cuckoo_index.h"
#include "components/index/cuckoo/cuckoo_table.h"

namespace rskv::index {

inline std::uint64_t CuckooIndex::checkpoint_geometry() const {
  // acquire: as every operation, so the table's fields are initialised.
  const CuckooTable* t = current_.load(std::memory_order_acquire);
  if (const CuckooTable* next = t->next_.load(std::memory_order_acquire)) t = next;
  return (static_cast<std::uint64_t>(identity_bits_) << 8) |
         static_cast<std::uint64_t>(t->bucket_bits());
}

inline Status CuckooIndex::prepare_recovery(std::uint64_t geometry) {
  const int bucket_bits = static_cast<int>(geometry & 0xff);
  const int identity_bits = static_cast<int>((geometry >> 8) & 0xff);
  const int tag_bits = identity_bits - bucket_bits;
  // The constructor builds identity widths of kMinBucketBits..kMaxInitialBucketBits plus the
  // tag; a table splits its identity into bucket bits and at most kTagBits tag bits.
  if ((geometry >> 16) != 0 || bucket_bits < CuckooTable::kMinBucketBits ||
      bucket_bits > kMaxInitialBucketBits || tag_bits < 0 || tag_bits > CuckooEntry::kTagBits ||
      identity_bits < CuckooTable::kMinBucketBits + CuckooEntry::kTagBits ||
      identity_bits > kMaxInitialBucketBits + CuckooEntry::kTagBits) {
    return Status::InvalidArgument;
  }
  // relaxed: no other thread uses the index yet (precondition).
  CuckooTable* old = current_.load(std::memory_order_relaxed);
  if (old->next_.load(std::memory_order_relaxed) != nullptr || old->entries() != 0) {
    return Status::InvalidArgument;  // not an empty, idle index
  }
  if (old->bucket_bits() == bucket_bits && identity_bits_ == identity_bits) return Status::Ok;
  CuckooTable* fresh = nullptr;
  try {
    fresh = new CuckooTable(bucket_bits, identity_bits, huge_pages_);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  identity_bits_ = identity_bits;
  // release: like finish_resize; the threads later given the index are ordered after this
  // call by whatever hands it over, and they acquire current_ anyway.
  current_.store(fresh, std::memory_order_release);
  delete old;  // nobody can hold a pointer into it yet
  return Status::Ok;
}

template <class F>
void CuckooIndex::capture(F&& f) {
  gate_.begin_capture();
  // Ends the phase (stops recording, opens the gate) also when f throws.
  struct Phase {
    CuckooIndex& self;
    bool open = true;
    void end() {
      if (!open) return;
      open = false;
      (void)self.move_log_.stop();
      self.gate_.end_capture();
    }
    ~Phase() { end(); }
  } phase{*this};
  // acquire: pairs with finish_resize's release (the gate's acquire already ordered it). The
  // table current when the gate let the capture in stays current, and alive, until the phase
  // ends: no resize can start before.
  const CuckooTable& t = *current_.load(std::memory_order_acquire);
  move_log_.start();  // before the first bucket lock (cuckoo_capture.h)
  for (std::uint64_t b = 0; b < t.num_buckets(); ++b) {
    CuckooBucket& bucket = t.bucket(b);
    CuckooEntry words[CuckooBucket::kSlots];
    bucket.latch.lock();  // a move is wholly before or after this visit (cuckoo_capture.h)
    for (int s = 0; s < CuckooBucket::kSlots; ++s) {
      // acquire: like find, a capture that sees an address also sees the record published
      // before it. try_update may change the word right after the copy: any address the
      // entry held while the capture ran is allowed.
      words[s] = bucket.slots[s].load(std::memory_order_acquire);
    }
    bucket.latch.unlock();
    for (const CuckooEntry& e : words) {
      if (e.occupied()) f(hash_of_identity(t.identity_of(b, e)), e.address());
    }
  }
  // Every move that could hide an entry recorded it before the visit of its source bucket,
  // which is done (cuckoo_capture.h).
  const std::vector<MoveLog::Move> moves = move_log_.stop();
  phase.end();  // resizes may start again: the replay touches no table
  // relaxed: a statistic, written by the (serialised) captures only.
  stats_capture_moves_.store(moves.size(), std::memory_order_relaxed);
  for (const MoveLog::Move& m : moves) f(hash_of_identity(m.identity), m.address);
}

inline bool CuckooIndex::recover_entry(std::uint64_t rep_hash, std::uint64_t address) noexcept {
  for (;;) {
    Handle h;
    if (find_or_create(rep_hash, h) != Status::Ok) return false;
    // Single-threaded, the swap succeeds: find_or_create returned an unfrozen entry.
    if (try_update(h, address)) return true;
  }
}

}  // namespace rskv::index
