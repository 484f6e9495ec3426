#pragma once
// ChainedIndex: FASTER-style hash index. A power-of-two array of 64-byte buckets; a key hash
// picks a bucket with its low bits and a 14-bit tag with bits 48..61. Each bucket holds seven
// entries (address | tag | tentative) and links to overflow buckets when full. An entry
// points at the newest log record whose hash has that (bucket, tag); older records and other
// keys with the same (bucket, tag) chain behind it through record headers.
//
// Invariants:
//   - at most one non-tentative entry per (bucket chain, tag);
//   - entries are never removed while the store runs (addresses only change by CAS);
//   - overflow buckets are never freed while the index lives.
// Insert (find_or_create) is FASTER's two-phase tentative protocol: claim a free slot with a
// tentative entry, rescan the chain for any other entry with the same tag, back off (clear
// the slot and retry) if one exists, else clear the tentative bit. Two racing inserts of one
// tag therefore never both survive. Readers never block: find() is a chain of acquire loads.
//
// Thread-safety: all members may be called concurrently. set_resolver is called once, before
// concurrent use. Growth (doubling) is not implemented yet: the bucket array keeps its size
// and overflow buckets absorb the excess (lookups slow down, nothing is lost).

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "components/common/aligned_buffer.h"
#include "components/common/status.h"
#include "components/index/chained/bucket.h"
#include "policies/index_policy.h"

namespace rskv::index {

class ChainedIndex {
 public:
  static constexpr std::string_view kName = "chained";

  /// Where an entry lives and the word it held when found.
  struct Handle {
    std::atomic<std::uint64_t>* slot = nullptr;
    std::uint64_t word = 0;
    [[nodiscard]] std::uint64_t address() const { return IndexEntry(word).address(); }
  };

  explicit ChainedIndex(const IndexConfig& cfg)
      : buckets_(std::bit_ceil(std::max<std::uint64_t>(cfg.initial_buckets, 1))),
        mask_(buckets_ - 1),
        table_(buckets_ * sizeof(HashBucket), kCacheLineSize, cfg.huge_pages) {}

  ChainedIndex(const ChainedIndex&) = delete;
  ChainedIndex& operator=(const ChainedIndex&) = delete;

  void set_resolver(HashResolver resolver, void* ctx) {
    resolver_ = resolver;
    resolver_ctx_ = ctx;
  }

  static constexpr std::uint16_t tag_of(std::uint64_t hash) {
    return static_cast<std::uint16_t>((hash >> IndexEntry::kTagShift) & IndexEntry::kTagMask);
  }
  [[nodiscard]] HashBucket* bucket_of(std::uint64_t hash) const {
    return reinterpret_cast<HashBucket*>(table_.data()) + (hash & mask_);
  }
  /// Prefetches the bucket of a hash (batched operations).
  void prefetch(std::uint64_t hash) const { __builtin_prefetch(bucket_of(hash)); }

  bool find(std::uint64_t hash, Handle& h) const {
    std::uint16_t tag = tag_of(hash);
    for (HashBucket* b = bucket_of(hash); b != nullptr; b = next(b)) {
      for (auto& slot : b->entries) {
        IndexEntry e(slot.load(std::memory_order_acquire));
        if (!e.free() && !e.tentative() && e.tag() == tag) {
          h.slot = &slot;
          h.word = e.word();
          return true;
        }
      }
    }
    return false;
  }

  /// Fast path inline (the entry usually exists); the insert protocol is out of line.
  [[gnu::always_inline]] Status find_or_create(std::uint64_t hash, Handle& h) {
    if (find(hash, h)) [[likely]]
      return Status::Ok;
    return create(hash, h);
  }

 private:
  [[gnu::noinline]] Status create(std::uint64_t hash, Handle& h) {
    std::uint16_t tag = tag_of(hash);
    for (std::uint32_t attempt = 0;; ++attempt) {
      if (find(hash, h)) return Status::Ok;
      std::atomic<std::uint64_t>* slot = claim_free_slot(bucket_of(hash), tag);
      if (slot == nullptr) return Status::OutOfMemory;
      if (has_other_entry(bucket_of(hash), tag, slot)) {
        // Another insert of this tag is in flight or done: back off and look again.
        slot->store(0, std::memory_order_release);
        if (attempt > 4) std::this_thread::yield();
        continue;
      }
      IndexEntry final_entry = IndexEntry::make(0, tag, false);
      // release: publishes the entry; finders acquire it.
      slot->store(final_entry.word(), std::memory_order_release);
      h.slot = slot;
      h.word = final_entry.word();
      return Status::Ok;
    }
  }

 public:
  bool try_update(Handle& h, std::uint64_t address) {
    std::uint64_t desired = IndexEntry(h.word).with_address(address).word();
    std::uint64_t expected = h.word;
    // acq_rel: release publishes the record at `address`; acquire on failure is not needed
    // by callers (they find again), but keeps the reasoning simple.
    if (h.slot->compare_exchange_strong(expected, desired, std::memory_order_acq_rel)) {
      h.word = desired;
      return true;
    }
    return false;
  }

  [[nodiscard]] std::size_t memory_bytes() const {
    return table_.size() + chunks_allocated_.load(std::memory_order_relaxed) * kChunkBytes;
  }
  /// Entries in use (a full scan: cold path, for reports).
  [[nodiscard]] std::size_t size() const {
    std::size_t n = 0;
    for_each_bucket([&](const HashBucket& b) {
      for (const auto& s : b.entries) {
        IndexEntry e(s.load(std::memory_order_acquire));
        n += !e.free() && !e.tentative();
      }
    });
    return n;
  }
  [[nodiscard]] double load_factor() const {
    std::size_t slots =
        (buckets_ + overflow_used_.load(std::memory_order_relaxed)) * HashBucket::kEntries;
    return slots ? static_cast<double>(size()) / static_cast<double>(slots) : 0.0;
  }
  [[nodiscard]] std::uint64_t bucket_count() const { return buckets_; }
  [[nodiscard]] std::uint64_t overflow_buckets() const {
    return overflow_used_.load(std::memory_order_relaxed);
  }

  /// Calls f(address) for every non-tentative entry (addresses may change concurrently).
  template <class F>
  void for_each_entry(F&& f) const {
    for_each_bucket([&](const HashBucket& b) {
      for (const auto& s : b.entries) {
        IndexEntry e(s.load(std::memory_order_acquire));
        if (!e.free() && !e.tentative()) f(e.address());
      }
    });
  }

 private:
  static constexpr std::uint64_t kChunkBuckets = 1 << 14;
  static constexpr std::uint64_t kChunkBytes = kChunkBuckets * sizeof(HashBucket);
  static constexpr std::uint64_t kMaxChunks = 1 << 14;  // up to 2^28 overflow buckets

  [[nodiscard]] HashBucket* overflow_bucket(std::uint64_t one_based) const {
    std::uint64_t i = one_based - 1;
    // acquire: pairs with the release store that published the chunk.
    HashBucket* chunk = chunks_[i / kChunkBuckets].load(std::memory_order_acquire);
    return chunk + (i % kChunkBuckets);
  }
  [[nodiscard]] HashBucket* next(const HashBucket* b) const {
    std::uint64_t o = b->overflow.load(std::memory_order_acquire);
    return o == 0 ? nullptr : overflow_bucket(o);
  }

  // Claims a free slot in the chain with a tentative entry for tag; extends the chain when
  // every slot is taken. nullptr when the overflow arena is exhausted.
  std::atomic<std::uint64_t>* claim_free_slot(HashBucket* b, std::uint16_t tag) {
    std::uint64_t tentative = IndexEntry::make(0, tag, true).word();
    for (;;) {
      for (auto& slot : b->entries) {
        std::uint64_t expected = 0;
        if (slot.load(std::memory_order_relaxed) == 0 &&
            slot.compare_exchange_strong(expected, tentative, std::memory_order_acq_rel)) {
          return &slot;
        }
      }
      std::uint64_t o = b->overflow.load(std::memory_order_acquire);
      if (o == 0) {
        std::uint64_t fresh = allocate_overflow();
        if (fresh == 0) return nullptr;
        std::uint64_t expected = 0;
        // acq_rel: publishes the (zeroed) overflow bucket to readers of the link.
        if (b->overflow.compare_exchange_strong(expected, fresh, std::memory_order_acq_rel)) {
          o = fresh;
        } else {
          release_overflow(fresh);
          o = expected;
        }
      }
      b = overflow_bucket(o);
    }
  }

  bool has_other_entry(HashBucket* b, std::uint16_t tag, const std::atomic<std::uint64_t>* mine) {
    for (; b != nullptr; b = next(b)) {
      for (auto& slot : b->entries) {
        if (&slot == mine) continue;
        IndexEntry e(slot.load(std::memory_order_acquire));
        if (!e.free() && e.tag() == tag) return true;
      }
    }
    return false;
  }

  // Overflow arena: a bump counter over lazily allocated chunks (cold path: once per 1024
  // overflows the mutex is taken). A bucket lost in a link race goes to a one-entry spare.
  std::uint64_t allocate_overflow() {
    std::uint64_t spare = spare_.exchange(0, std::memory_order_acq_rel);
    if (spare != 0) return spare;
    std::uint64_t i = overflow_used_.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t chunk = i / kChunkBuckets;
    if (chunk >= kMaxChunks) return 0;
    if (chunks_[chunk].load(std::memory_order_acquire) == nullptr) {
      std::lock_guard<std::mutex> g(chunk_mu_);
      if (chunks_[chunk].load(std::memory_order_relaxed) == nullptr) {
        owned_chunks_[chunk] = std::make_unique<AlignedBuffer>(kChunkBytes, kCacheLineSize);
        chunks_allocated_.fetch_add(1, std::memory_order_relaxed);
        chunks_[chunk].store(reinterpret_cast<HashBucket*>(owned_chunks_[chunk]->data()),
                             std::memory_order_release);
      }
    }
    return i + 1;
  }
  void release_overflow(std::uint64_t one_based) {
    std::uint64_t expected = 0;
    spare_.compare_exchange_strong(expected, one_based, std::memory_order_acq_rel);
  }

  template <class F>
  void for_each_bucket(F&& f) const {
    const auto* main = reinterpret_cast<const HashBucket*>(table_.data());
    for (std::uint64_t i = 0; i < buckets_; ++i) {
      for (const HashBucket* b = &main[i]; b != nullptr; b = next(b)) f(*b);
    }
  }

  const std::uint64_t buckets_;
  const std::uint64_t mask_;
  AlignedBuffer table_;
  HashResolver resolver_ = nullptr;
  void* resolver_ctx_ = nullptr;
  std::atomic<std::uint64_t> overflow_used_{0};
  std::atomic<std::uint64_t> spare_{0};
  std::atomic<std::uint64_t> chunks_allocated_{0};
  std::mutex chunk_mu_;
  std::unique_ptr<std::atomic<HashBucket*>[]> chunks_ {
    new std::atomic<HashBucket*>[ kMaxChunks ]()
  };
  std::unique_ptr<std::unique_ptr<AlignedBuffer>[]> owned_chunks_ {
    new std::unique_ptr<AlignedBuffer>[ kMaxChunks ]()
  };
};

static_assert(IndexPolicy<ChainedIndex>);

}  // namespace rskv::index
