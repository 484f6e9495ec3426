#pragma once
// One bucket array of the chained index: its geometry (which bucket a hash or an entry belongs
// to), its overflow arena, and the bookkeeping of a growth that migrates *out of* it.
//
// Identity and geometry. An entry stands for every hash with the same identity: the hash's low
// base_bits and its 14-bit tag (bits 48..61). base_bits is fixed when the index is built (log2
// of the initial bucket count). A table of 2^bucket_bits buckets (bucket_bits >= base_bits)
// puts a hash in the bucket
//
//   bucket = [ the tag's low (bucket_bits - base_bits) bits | the hash's low base_bits ]
//
// so each doubling moves the next tag bit into the bucket number. An entry stores its whole
// tag, so its bucket in the doubled table follows from the entry alone (split_target): growth
// never needs a record's key hash (the HashResolver), and the set of hashes that share an
// entry never changes, so a record chain never has to be divided between two entries. After
// kTagBits doublings every bucket holds entries of one identity only (at most one entry, no
// overflow), and the table does not double any further (can_double).
//
// Overflow arena. Overflow buckets come from chunks allocated on demand (a bump counter; a
// mutex only when a new chunk is needed) and live as long as the table; a bucket lost in a
// link race goes to a one-entry spare. Chunk size scales with the table, so that a small
// table does not pay for a large chunk and a large one has room for many overflow buckets.
//
// Thread-safety: the geometry and the bucket array are immutable after construction; every atomic
// says who writes it and the order it relies on next to its declaration.

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "components/common/aligned_buffer.h"
#include "components/common/constants.h"
#include "components/index/chained/bucket.h"

namespace rskv::index {

// Layout: the first cache line holds what every lookup reads (next_, the bucket array, the
// geometry, the chunk directory) and nothing that operations write; the counters that
// creators and migrators bump sit on lines of their own.
class alignas(kCacheLineSize) ChainedTable {
 public:
  static constexpr int kMaxBucketBits = 40;
  /// Old chains per migration claim (one claim = one fetch_add on next_chunk_).
  static constexpr std::uint64_t kChunkChains = 64;
  /// Bytes the index holds in tables, shared with every table so that a table freed by an
  /// epoch action after its index is gone still has a counter to update.
  using ByteCounter = std::atomic<std::size_t>;

  // The table the entries of this one are migrated to; null while no growth runs. Written
  // once (release) by the thread that starts the growth, which holds the growth phase
  // (growth_gate.h) and so has no rival; read (acquire) by every operation.
  std::atomic<ChainedTable*> next_{nullptr};

 private:
  static constexpr std::uint64_t kMaxChunks = 4096;

  AlignedBuffer storage_;  // the buckets
  const std::uint64_t base_mask_;
  const std::uint64_t borrowed_mask_;
  const int base_bits_;
  const int bucket_bits_;
  // Chunk pointers: written once (release) under chunk_mu_, read (acquire) by every walk.
  std::unique_ptr<std::atomic<HashBucket*>[]> chunks_;

 public:
  /// Zero-filled 2^bucket_bits buckets. Throws std::bad_alloc (cold path).
  ChainedTable(int base_bits, int bucket_bits, bool huge_pages, std::shared_ptr<ByteCounter> bytes)
      : storage_(sizeof(HashBucket) << bucket_bits, kCacheLineSize, huge_pages),
        base_mask_((std::uint64_t{1} << base_bits) - 1),
        borrowed_mask_((std::uint64_t{1} << (bucket_bits - base_bits)) - 1),
        base_bits_(base_bits),
        bucket_bits_(bucket_bits),
        chunks_(new std::atomic<HashBucket*>[kMaxChunks]()),
        chunk_shift_(std::countr_zero(std::clamp<std::uint64_t>(
            std::bit_ceil(std::max<std::uint64_t>(num_buckets() / 32, 1)), 64, 1 << 16))),
        chunk_buckets_(std::uint64_t{1} << chunk_shift_),
        done_(new std::atomic<std::uint64_t>[done_words()]()),
        bytes_(std::move(bytes)) {
    owned_chunks_.reserve(16);
    own_bytes_ = sizeof(*this) + storage_.size() + kMaxChunks * sizeof(std::atomic<HashBucket*>) +
                 done_words() * sizeof(std::uint64_t);
    bytes_->fetch_add(own_bytes_, std::memory_order_relaxed);  // statistic
  }
  ~ChainedTable() {
    std::size_t chunks = owned_chunks_.size();
    bytes_->fetch_sub(own_bytes_ + chunks * chunk_bytes(), std::memory_order_relaxed);
  }
  ChainedTable(const ChainedTable&) = delete;
  ChainedTable& operator=(const ChainedTable&) = delete;

  // ---- geometry ---------------------------------------------------------------------------
  [[nodiscard]] int base_bits() const { return base_bits_; }
  [[nodiscard]] int bucket_bits() const { return bucket_bits_; }
  [[nodiscard]] std::uint64_t num_buckets() const { return std::uint64_t{1} << bucket_bits_; }
  /// false once every tag bit is a bucket bit (or at the size limit).
  [[nodiscard]] bool can_double() const {
    return bucket_bits_ - base_bits_ < IndexEntry::kTagBits && bucket_bits_ < kMaxBucketBits;
  }
  static constexpr std::uint16_t tag_of(std::uint64_t hash) {
    return static_cast<std::uint16_t>((hash >> IndexEntry::kTagShift) & IndexEntry::kTagMask);
  }
  [[nodiscard]] [[gnu::always_inline]] std::uint64_t bucket_index(std::uint64_t hash) const {
    return (hash & base_mask_) | ((tag_of(hash) & borrowed_mask_) << base_bits_);
  }
  [[nodiscard]] HashBucket& bucket(std::uint64_t i) const { return buckets()[i]; }
  [[nodiscard]] [[gnu::always_inline]] HashBucket& bucket_of(std::uint64_t hash) const {
    return buckets()[bucket_index(hash)];
  }
  /// A hash with the identity of an entry with `tag` in bucket i (for checkpoints).
  [[nodiscard]] std::uint64_t rep_hash(std::uint64_t i, std::uint16_t tag) const {
    return (i & base_mask_) | (std::uint64_t{tag} << IndexEntry::kTagShift);
  }
  /// The bucket of a table twice this size that an entry with `tag` in bucket i belongs to.
  [[nodiscard]] std::uint64_t split_target(std::uint64_t i, std::uint16_t tag) const {
    return i | (((std::uint64_t{tag} >> (bucket_bits_ - base_bits_)) & 1) << bucket_bits_);
  }

  // ---- chains and the overflow arena ------------------------------------------------------
  /// The bucket a link word names, or nullptr at the end of a (frozen) chain.
  [[nodiscard]] [[gnu::always_inline]] HashBucket* linked(std::uint64_t link) const {
    const std::uint64_t i = link & HashBucket::kLinkIndexMask;
    return i == 0 ? nullptr : overflow_bucket(i);
  }
  [[nodiscard]] [[gnu::always_inline]] HashBucket* next(const HashBucket& b) const {
    return linked(b.overflow.load(std::memory_order_acquire));
  }
  [[nodiscard]] HashBucket* overflow_bucket(std::uint64_t one_based) const {
    const std::uint64_t i = one_based - 1;
    // acquire: pairs with the release store that published the (zero-filled) chunk.
    HashBucket* chunk = chunks_[i >> chunk_shift_].load(std::memory_order_acquire);
    return chunk + (i & (chunk_buckets_ - 1));
  }

  /// The 1-based index of a zero-filled overflow bucket; 0 when the arena is exhausted or a
  /// chunk cannot be allocated.
  std::uint64_t allocate_overflow() noexcept {
    // acq_rel: the spare was released by a thread whose link CAS failed; nothing else to order.
    const std::uint64_t spare = spare_.exchange(0, std::memory_order_acq_rel);
    if (spare != 0) return spare;
    // relaxed: the counter only hands out distinct indexes; the chunk is published below.
    const std::uint64_t i = used_.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t chunk = i >> chunk_shift_;
    if (chunk >= kMaxChunks) return 0;
    // acquire: pairs with the release in add_chunks.
    if (chunks_[chunk].load(std::memory_order_acquire) == nullptr && !add_chunks(chunk + 1)) {
      return 0;
    }
    return i + 1;
  }
  /// Allocates the chunks that hold the first `buckets` overflow buckets (growth reserves
  /// what the migration will need before it starts). false when an allocation fails.
  bool reserve_overflow(std::uint64_t buckets) noexcept {
    const std::uint64_t chunks =
        std::min(kMaxChunks, (buckets + chunk_buckets_ - 1) >> chunk_shift_);
    return chunks == 0 || add_chunks(chunks);
  }
  /// Gives back a bucket that was never linked (it is still zero-filled).
  void release_overflow(std::uint64_t one_based) noexcept {
    std::uint64_t expected = 0;
    // acq_rel: hands the bucket to the next allocator; a full spare leaks one bucket.
    spare_.compare_exchange_strong(expected, one_based, std::memory_order_acq_rel);
  }
  /// Overflow buckets handed out (an upper bound of the ones linked).
  [[nodiscard]] std::uint64_t overflow_in_use() const {
    return std::min(used_.load(std::memory_order_relaxed), kMaxChunks << chunk_shift_);
  }

  // ---- growth out of this table -----------------------------------------------------------
  [[nodiscard]] std::uint64_t num_chunks() const {
    return (num_buckets() + kChunkChains - 1) / kChunkChains;
  }
  /// true once chain c's entries all have their copies in next_.
  [[nodiscard]] bool chain_done(std::uint64_t c) const {
    // acquire: pairs with mark_chain_done, so the caller sees every copy of the chain.
    return (done_[c / 64].load(std::memory_order_acquire) >> (c % 64) & 1) != 0;
  }
  /// true when the 64 chains that share chain c's done word are all done.
  [[nodiscard]] bool chain_word_done(std::uint64_t c) const {
    const std::uint64_t first = c / 64 * 64;
    const std::uint64_t n = std::min<std::uint64_t>(64, num_buckets() - first);
    const std::uint64_t all = n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
    return done_[c / 64].load(std::memory_order_acquire) == all;
  }
  void mark_chain_done(std::uint64_t c) {
    // release: a thread that sees the bit also sees the copies this thread placed or saw.
    done_[c / 64].fetch_or(std::uint64_t{1} << (c % 64), std::memory_order_release);
  }

  // Next chunk of old chains to claim for migration. relaxed: the claim only divides the
  // work; every migration is idempotent and the starter checks every chain before it ends.
  alignas(kCacheLineSize) std::atomic<std::uint64_t> next_chunk_{0};

 private:
  /// Makes chunks [0, count) exist. false when an allocation fails.
  bool add_chunks(std::uint64_t count) noexcept {
    std::lock_guard guard(chunk_mu_);
    for (std::uint64_t c = 0; c < count; ++c) {
      // relaxed: under the mutex, which ordered every earlier publisher's store.
      if (chunks_[c].load(std::memory_order_relaxed) != nullptr) continue;
      try {
        owned_chunks_.emplace_back(chunk_bytes(), kCacheLineSize);
      } catch (const std::bad_alloc&) {
        return false;
      }
      bytes_->fetch_add(chunk_bytes(), std::memory_order_relaxed);  // statistic
      // release: whoever acquires the pointer sees the zero-filled chunk.
      chunks_[c].store(reinterpret_cast<HashBucket*>(owned_chunks_.back().data()),
                       std::memory_order_release);
    }
    return true;
  }
  [[nodiscard]] std::uint64_t done_words() const { return (num_buckets() + 63) / 64; }
  [[nodiscard]] std::size_t chunk_bytes() const { return chunk_buckets_ * sizeof(HashBucket); }

  [[nodiscard]] HashBucket* buckets() const {
    return reinterpret_cast<HashBucket*>(storage_.data());
  }

  const int chunk_shift_;
  const std::uint64_t chunk_buckets_;
  // One bit per old chain: set (release) by a thread that finished migrating the chain.
  std::unique_ptr<std::atomic<std::uint64_t>[]> done_;
  std::mutex chunk_mu_;
  std::vector<AlignedBuffer> owned_chunks_;  // guarded by chunk_mu_ (and read by ~ChainedTable)
  // Overflow buckets handed out (bump counter) and 0 or one returned bucket: bumped by
  // creators that link overflow buckets, so on a line of their own.
  alignas(kCacheLineSize) std::atomic<std::uint64_t> used_{0};
  std::atomic<std::uint64_t> spare_{0};
  std::shared_ptr<ByteCounter> bytes_;
  std::size_t own_bytes_ = 0;
};

}  // namespace rskv::index
