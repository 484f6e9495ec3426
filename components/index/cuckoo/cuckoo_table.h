#pragma once
// One bucket array of the cuckoo index: its geometry (where an identity's two buckets are),
// entry counters, and the state of a resize that migrates *into* it.
//
// Identity. The index keys entries by the top identity_bits of the 64-bit hash (fixed when the
// index is built: log2(initial buckets) + 13). A table of 2^b buckets splits an identity into
//
//   identity = [ primary bucket : b bits | tag : identity_bits - b bits ]
//
// and the alternate bucket is primary XOR offset(tag): computed from the tag alone, so from
// either bucket, the tag and the entry's alternate bit give back the full identity. Doubling
// the table moves the tag's top bit into the bucket number (the tag shrinks by one bit); the
// identity, and therefore the set of hashes that share an entry, never changes. Record chains
// never need splitting and growth needs no hash resolver. A tag of 13 bits at the initial size
// leaves 13 - k bits after k doublings (more hashes share an entry: the store's chain walk
// sorts them out); a table whose tag has no bits left cannot double (it could hold every
// identity seven times over anyway).
//
// Thread-safety: the geometry is immutable; buckets follow cuckoo_bucket.h; the counters and
// the migration fields say who writes them next to their declarations.

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>

#include "components/common/aligned_buffer.h"
#include "components/common/constants.h"
#include "components/index/cuckoo/cuckoo_bucket.h"

namespace rskv::index {

class CuckooTable {
 public:
  static constexpr int kMinBucketBits = 2;
  /// Buckets migrated per claimed chunk of a resize (one claim = one fetch_add).
  static constexpr std::uint64_t kChunkBuckets = 64;
  static constexpr int kStripes = 64;

  /// An identity's place in this table.
  struct Probe {
    std::uint64_t primary;
    std::uint64_t alternate;
    std::uint64_t tag;
  };

  /// Zero-filled 2^bucket_bits buckets. Throws std::bad_alloc (cold path).
  CuckooTable(int bucket_bits, int identity_bits, bool huge_pages)
      : bucket_bits_(bucket_bits),
        tag_bits_(identity_bits - bucket_bits),
        mask_((std::uint64_t{1} << bucket_bits) - 1),
        storage_(sizeof(CuckooBucket) << bucket_bits, kCacheLineSize, huge_pages),
        buckets_(reinterpret_cast<CuckooBucket*>(storage_.data())) {
    assert(bucket_bits >= kMinBucketBits && tag_bits_ >= 0 && tag_bits_ <= CuckooEntry::kTagBits);
  }
  CuckooTable(const CuckooTable&) = delete;
  CuckooTable& operator=(const CuckooTable&) = delete;

  [[nodiscard]] int bucket_bits() const { return bucket_bits_; }
  [[nodiscard]] int tag_bits() const { return tag_bits_; }
  [[nodiscard]] std::uint64_t num_buckets() const { return mask_ + 1; }
  [[nodiscard]] std::uint64_t num_slots() const { return num_buckets() * CuckooBucket::kSlots; }
  [[nodiscard]] std::size_t memory_bytes() const { return storage_.size() + sizeof(*this); }
  [[nodiscard]] [[gnu::always_inline]] CuckooBucket& bucket(std::uint64_t i) const {
    assert(i <= mask_);
    return buckets_[i];
  }

  [[nodiscard]] [[gnu::always_inline]] Probe probe(std::uint64_t identity) const {
    std::uint64_t tag = identity & ((std::uint64_t{1} << tag_bits_) - 1);
    std::uint64_t primary = identity >> tag_bits_;
    return Probe{primary, primary ^ offset(tag), tag};
  }
  /// The other candidate bucket of an entry with `tag` that sits in bucket b (symmetric).
  [[nodiscard]] std::uint64_t other_bucket(std::uint64_t b, std::uint64_t tag) const {
    return b ^ offset(tag);
  }
  /// The full identity of entry e found in bucket b.
  [[nodiscard]] std::uint64_t identity_of(std::uint64_t b, CuckooEntry e) const {
    std::uint64_t primary = e.alternate() ? other_bucket(b, e.tag()) : b;
    return (primary << tag_bits_) | e.tag();
  }

  /// Counts one entry created in (or migrated into) this table. Entries are never removed.
  void add_entries(std::uint64_t bucket, std::uint64_t n) {
    // relaxed: a statistic (size, load factor); nothing is ordered by it. Striped by bucket
    // so that concurrent creators rarely share a counter's cache line.
    stripes_[bucket % kStripes].count.fetch_add(n, std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t entries() const {
    std::uint64_t n = 0;
    for (const auto& s : stripes_) n += s.count.load(std::memory_order_relaxed);
    return n;
  }
  [[nodiscard]] double load_factor() const {
    return static_cast<double>(entries()) / static_cast<double>(num_slots());
  }

  // ---- a resize from a smaller `source` table into this one -------------------------------
  // The source's next_ points here once the resize is published; chunk i covers source
  // buckets [i * kChunkBuckets, (i + 1) * kChunkBuckets).

  [[nodiscard]] static std::uint64_t chunks_of(const CuckooTable& source) {
    return (source.num_buckets() + kChunkBuckets - 1) / kChunkBuckets;
  }

  // The table a resize of this one migrates into. Written once (store, release) by the
  // thread that starts the resize, which holds the index's phase gate (cuckoo_capture.h), so
  // there is one writer; read (acquire) by every operation that must know whether this table
  // still takes new entries, so it sees the new table's initialised state.
  std::atomic<CuckooTable*> next_{nullptr};

  // Next unclaimed source chunk. Starts at 1: the starting thread owns chunk 0 before it
  // publishes the table (the test hook holds that chunk open). fetch_add by helpers
  // (relaxed: the claim only divides work; the bucket locks order the migration itself).
  std::atomic<std::uint64_t> next_chunk_{1};
  // Source chunks fully migrated. fetch_add (acq_rel) by each migrator when it finishes a
  // chunk; the one that completes the last chunk publishes this table as current, and its
  // acquire makes every other chunk's copies happen-before that publication.
  std::atomic<std::uint64_t> done_chunks_{0};
  // Entries copied in by migration (so size() does not count them twice during a resize).
  // relaxed: a statistic.
  std::atomic<std::uint64_t> migrated_entries_{0};

 private:
  [[nodiscard]] std::uint64_t offset(std::uint64_t tag) const {
    // Multiplicative hashing of the tag onto bucket_bits bits; | 1 keeps both buckets apart.
    constexpr std::uint64_t kMultiplier = 0x9e3779b97f4a7c15ull;  // 2^64 / golden ratio, odd
    return (((tag + 1) * kMultiplier) >> (64 - bucket_bits_)) | 1;
  }

  struct alignas(kCacheLineSize) Stripe {
    std::atomic<std::uint64_t> count{0};
  };

  const int bucket_bits_;
  const int tag_bits_;
  const std::uint64_t mask_;
  AlignedBuffer storage_;
  CuckooBucket* const buckets_;
  Stripe stripes_[kStripes];
};

/// Locks two distinct buckets of one table in index order (a fixed order, so two lockers of
/// overlapping pairs never wait for each other in a cycle); unlocks on destruction.
class BucketPairLock {
 public:
  BucketPairLock(const CuckooTable& t, std::uint64_t a, std::uint64_t b)
      : first_(t.bucket(std::min(a, b)).latch), second_(t.bucket(std::max(a, b)).latch) {
    assert(a != b);
    first_.lock();
    second_.lock();
  }
  ~BucketPairLock() {
    second_.unlock();
    first_.unlock();
  }
  BucketPairLock(const BucketPairLock&) = delete;
  BucketPairLock& operator=(const BucketPairLock&) = delete;

 private:
  BucketLatch& first_;
  BucketLatch& second_;
};

}  // namespace rskv::index
