#pragma once
// ChainedIndex: FASTER-style hash index from 64-bit key hashes to log addresses (IndexPolicy,
// policies/index_policy.h). A power-of-two array of 64-byte buckets (bucket.h); a hash picks a
// bucket and a 14-bit tag (chained_table.h: the geometry). Each bucket holds seven entries
// (state | tag | address) and links to overflow buckets when full. An entry points at the
// newest log record whose hash has its identity; older records and other keys of the same
// identity chain behind it through record headers.
//
// Invariants:
//   - at most one entry (live or frozen) per identity in a table's chain;
//   - an entry is never removed; in the current table its address changes only by CAS;
//   - overflow buckets live as long as their table.
//
// Operations and who may wait:
//   find            acquire loads along the chain; never waits.
//   find_or_create  FASTER's two-phase tentative insert: claim a free slot with a tentative
//                   entry (CAS), rescan the chain for another entry of the tag, back off (CAS
//                   the claim back to 0, retry) if one exists, else complete the claim (CAS
//                   tentative -> live). Two racing inserts of one tag never both survive.
//                   Never waits for another thread (it may yield while backing off).
//   try_update      one CAS from the word the handle saw; fails on a frozen handle.
//
// Growth (doubling, FASTER's GrowIndex; no global stop). Started by grow() or by a creator
// whose claim lies more than IndexConfig::max_overflow_chain overflow buckets down its chain
// (and whose table holds enough overflow buckets that doubling pays: auto_growth_due). The
// starter enters the growth phase (growth_gate.h), allocates a table of twice the buckets
// (reserving the overflow buckets the migration will need) and publishes it as the old
// table's next_. From then on new entries go to the new table. The old table's chains are
// migrated one by one (chained_migration.h: freeze every word of the chain, copy its entries
// into the two new buckets that split it, mark it done; lock-free and idempotent). The
// starter walks them all; every creator that meets the growth migrates its own chain first
// and one chunk of 64 more. While a growth runs:
//   - find looks in the old table; a live hit is current (it cannot change without a CAS that
//     would freeze it first). On a frozen hit or a miss it looks in the new table; a frozen hit
//     with no copy seen there is current too (nothing changes between freeze and copy);
//   - find_or_create returns a live old entry; otherwise it migrates the hash's old chain and
//     creates (or finds) the entry in the new table, whose buckets of that chain only
//     migrators write until it is done: no identity gets two entries;
//   - a claim in the old table either completes before its chain is frozen (and is copied) or
//     is killed by the freeze (its completing CAS fails: the creator goes to the new table);
//   - try_update on an old live entry either lands before the freeze (and is copied) or fails
//     against it; on a frozen handle it fails, and the caller finds the entry again.
// When every chain is done the starter makes the new table current, leaves the growth phase
// and retires the old table: freed through the epoch manager once every protected thread has
// refreshed (IndexConfig::epoch), or kept until the index is destroyed when there is none.
// A Handle is valid until its holder's next epoch refresh.
//
// The growing thread migrates the whole table while keeping its epoch protection, so other
// threads' epoch actions wait for it: a doubling costs one pass over the old table (~tens of
// ns per slot), shared with the creators that meet it.
//
// Why no HashResolver: an entry keeps its identity across doublings (chained_table.h), so its
// new bucket never depends on a hash bit it does not store, and a record chain never has to be
// divided. set_resolver is kept for the contract; the resolver is never called.
//
// Checkpoints (chained_index_checkpoint.h): capture() scans the current table while other
// threads run every operation; growth and capture exclude each other (growth_gate.h).
//
// Thread-safety: every member may be called concurrently by threads holding epoch protection,
// except prepare_recovery and recover_entry (single-threaded recovery) and the setters (before
// concurrent use). capture needs no protection.

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "components/common/constants.h"
#include "components/common/status.h"
#include "components/epoch/epoch.h"
#include "components/index/chained/bucket.h"
#include "components/index/chained/chained_migration.h"
#include "components/index/chained/chained_table.h"
#include "components/index/chained/growth_gate.h"
#include "policies/index_policy.h"

namespace rskv::index {

class ChainedIndex {
 public:
  static constexpr std::string_view kName = "chained";
  /// Automatic growth also needs this share of overflow buckets (1/16 of the buckets): one
  /// long chain in an otherwise sparse table does not double it (grow() still can).
  static constexpr std::uint64_t kAutoGrowthOverflowShare = 16;

  /// Where an entry lives and the word it held when found. Trivially copyable.
  struct Handle {
    std::atomic<std::uint64_t>* slot = nullptr;
    std::uint64_t word = 0;
    [[nodiscard]] std::uint64_t address() const { return IndexEntry(word).address(); }
  };

  /// Test hook: runs on the thread that starts a growth, after the new table is published and
  /// before that thread migrates anything, so the growth stays open while it runs.
  using ResizeHook = void (*)(void* context);

  explicit ChainedIndex(const IndexConfig& cfg)
      : epoch_(cfg.epoch),
        huge_pages_(cfg.huge_pages),
        max_overflow_chain_(cfg.max_overflow_chain) {
    const std::uint64_t initial = std::clamp<std::uint64_t>(
        cfg.initial_buckets, 1, std::uint64_t{1} << ChainedTable::kMaxBucketBits);
    const int bits = std::countr_zero(std::bit_ceil(initial));
    retired_.reserve(64);  // one per doubling
    current_.store(new ChainedTable(bits, bits, huge_pages_, bytes_), std::memory_order_relaxed);
  }
  ~ChainedIndex() {
    // Run the epoch actions still registered (they free replaced tables); nobody is protected
    // any more, so all of them are due. An action that cannot run yet frees only its table.
    if (epoch_ != nullptr) epoch_->drain();
    ChainedTable* t = current_.load(std::memory_order_acquire);
    while (t != nullptr) {
      ChainedTable* next = t->next_.load(std::memory_order_acquire);
      delete t;
      t = next;
    }
    for (ChainedTable* r : retired_) delete r;
  }
  ChainedIndex(const ChainedIndex&) = delete;
  ChainedIndex& operator=(const ChainedIndex&) = delete;

  /// Kept for the contract; never called (see the file comment).
  void set_resolver(HashResolver resolver, void* ctx) {
    resolver_ = resolver;
    resolver_ctx_ = ctx;
  }
  /// Set before other threads use the index (plain fields, read by growth starters).
  void set_resize_hook(ResizeHook hook, void* context) {
    resize_hook_ = hook;
    resize_hook_context_ = context;
  }

  static constexpr std::uint16_t tag_of(std::uint64_t hash) { return ChainedTable::tag_of(hash); }

  /// Prefetches the bucket of a hash (batched operations). A hint only.
  void prefetch(std::uint64_t hash) const noexcept {
    __builtin_prefetch(&current_.load(std::memory_order_acquire)->bucket_of(hash));
  }

  /// true and h filled when hash's entry exists. Never waits.
  [[gnu::always_inline]] bool find(std::uint64_t hash, Handle& h) const noexcept {
    const std::uint16_t tag = tag_of(hash);
    // acquire: a table seen as current (or as next_) is fully initialised.
    const ChainedTable* t = current_.load(std::memory_order_acquire);
    Handle frozen{};
    for (;;) {
      Handle found;
      if (lookup(*t, hash, tag, found)) {
        if (IndexEntry(found.word).live()) [[likely]] {
          h = found;
          return true;
        }
        frozen = found;  // migrated or being migrated: prefer a copy in the next table
      }
      // acquire: pairs with the release store that publishes a growth.
      t = t->next_.load(std::memory_order_acquire);
      if (t == nullptr) break;
    }
    if (frozen.slot == nullptr) return false;
    h = frozen;
    return true;
  }

  /// Finds hash's entry or creates it with address 0. Ok, or OutOfMemory. The fast path is
  /// inline (the entry usually exists); the insert protocol is out of line.
  [[gnu::always_inline]] Status find_or_create(std::uint64_t hash, Handle& h) noexcept {
    if (find(hash, h) && IndexEntry(h.word).live()) [[likely]]
      return Status::Ok;
    return create(hash, h);
  }

  /// CAS the handle's entry to `address`. false when it changed, was frozen by a growth, or
  /// the handle is frozen (the caller finds the entry again).
  bool try_update(Handle& h, std::uint64_t address) noexcept {
    const IndexEntry seen(h.word);
    if (h.slot == nullptr || !seen.live()) return false;
    std::uint64_t expected = h.word;
    const std::uint64_t desired = seen.with_address(address).word();
    // acq_rel on success: release publishes the record at `address` to readers that acquire
    // the entry (and to a migrator whose freeze reads this word). relaxed on failure: the
    // caller finds the entry again (with acquire).
    if (h.slot->compare_exchange_strong(expected, desired, std::memory_order_acq_rel,
                                        std::memory_order_relaxed)) {
      h.word = desired;
      return true;
    }
    return false;
  }

  /// Doubles the bucket array: returns once the current table has at least twice the buckets
  /// that num_buckets() reported when the call started (a growth already running counts as
  /// the first step, and is joined rather than raced). Waits while a checkpoint capture runs,
  /// and for a running growth's starter (including a test hook holding it). Ok; OutOfMemory
  /// when an allocation fails or every tag bit is already a bucket bit. Do not call it from a
  /// capture's callback.
  Status grow() noexcept {
    const int target = newest()->bucket_bits() + 1;
    for (int round = 0;; ++round) {
      ChainedTable* t = current_.load(std::memory_order_acquire);
      if (t->bucket_bits() >= target) return Status::Ok;
      if (ChainedTable* next = t->next_.load(std::memory_order_acquire)) {
        ChainMigration::help(*t, *next, ~std::uint64_t{0});
        // The starter ends the growth (it may still sit in its hook): wait for the switch.
        while (current_.load(std::memory_order_acquire) == t) std::this_thread::yield();
        continue;
      }
      switch (start_growth(*t, /*explicit_request=*/true)) {
        case GrowthResult::kGrown:
          break;
        case GrowthResult::kFailed:
          return Status::OutOfMemory;
        case GrowthResult::kNotStarted:  // another starter got in first: join it
          if (round > 4) std::this_thread::yield();
          break;
      }
    }
  }

  /// Bytes held by the index: its tables (the current one, one being filled by a growth, and
  /// replaced ones not freed yet) and their overflow arenas.
  [[nodiscard]] std::size_t memory_bytes() const {
    return sizeof(*this) + bytes_->load(std::memory_order_relaxed);
  }
  /// Entries in use (exact when no operation runs; a migrated entry counts once).
  [[nodiscard]] std::size_t size() const {
    std::uint64_t n = 0;
    for (const auto& c : counters_) n += c.entries.load(std::memory_order_relaxed);
    return n;
  }
  /// size() over the entry slots (buckets and overflow buckets) of the table that takes new
  /// entries.
  [[nodiscard]] double load_factor() const {
    const ChainedTable* t = newest();
    const double slots =
        static_cast<double>((t->num_buckets() + t->overflow_in_use()) * HashBucket::kEntries);
    return static_cast<double>(size()) / slots;
  }

  /// Calls f(address) once for every entry (addresses may change concurrently). Exact while
  /// no operation runs, also with a growth held open; run concurrently with a growth, an entry
  /// whose chain is being migrated may be missed.
  template <class F>
  void for_each_entry(F&& f) const {
    for (const ChainedTable* t = current_.load(std::memory_order_acquire); t != nullptr;
         t = t->next_.load(std::memory_order_acquire)) {
      for (std::uint64_t i = 0; i < t->num_buckets(); ++i) {
        for (const HashBucket* b = &t->bucket(i); b != nullptr; b = t->next(*b)) {
          for (const auto& s : b->entries) {
            // A frozen entry's copy is in the next table (or about to be).
            const IndexEntry e(s.load(std::memory_order_acquire));
            if (e.live()) f(e.address());
          }
        }
      }
    }
  }

  // ---- checkpoint and recovery (defined in chained_index_checkpoint.h) ---------------------

  /// The geometry saved with an index checkpoint: bits 0..7 hold log2 of the bucket count of
  /// the table that takes new entries, bits 8..15 log2 of the initial bucket count, which
  /// fixes every entry's identity (rep_hash values depend on it and on nothing else).
  [[nodiscard]] std::uint64_t checkpoint_geometry() const;
  /// On an empty index that no other thread uses yet: takes the identity and table size of
  /// `geometry` (checkpoint_geometry of the saved index). InvalidArgument for a value no index
  /// produces or when the index is not empty and idle; OutOfMemory (the index is unchanged).
  Status prepare_recovery(std::uint64_t geometry);
  /// Fuzzy capture for a checkpoint: calls f(rep_hash, address) for every live entry of the
  /// current table while other threads run find, find_or_create and try_update. Every entry
  /// that exists for the whole capture is visited exactly once, with an address it held during
  /// the capture; entries created meanwhile may or may not be visited. Waits while a growth
  /// runs, and no growth starts until it returns (growth_gate.h). f runs on the caller's thread
  /// with no lock held; it may call find, find_or_create and try_update, but must not call
  /// grow() nor wait for epoch progress (a grow() caller waiting for the capture may hold
  /// protection). The caller needs no epoch protection.
  template <class F>
  void capture(F&& f);
  /// Single-threaded recovery load: creates the entry of rep_hash's identity if absent and
  /// sets its address (overwriting). false only on OutOfMemory.
  bool recover_entry(std::uint64_t rep_hash, std::uint64_t address) noexcept;

  /// Keeps growth off until release_growth (a checkpoint's phase discipline: the geometry it
  /// saves stays the current one). Waits while a growth runs, as capture does; then automatic
  /// growth is skipped and grow() waits. Holds nest with each other and with captures. Not
  /// needed for recovery to be correct: growth never changes an entry's identity, so
  /// rep_hash values and replayed hashes find the same entries at any bucket count.
  void hold_growth() { gate_.begin_capture(); }
  void release_growth() { gate_.end_capture(); }

  // ---- statistics and test hooks (not part of IndexPolicy) --------------------------------
  [[nodiscard]] std::uint64_t num_buckets() const { return newest()->num_buckets(); }
  [[nodiscard]] std::uint64_t overflow_buckets() const { return newest()->overflow_in_use(); }
  /// Growths started (each doubles the bucket array once it completes).
  [[nodiscard]] std::uint64_t resize_count() const {
    return stats_resizes_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] bool resize_in_progress() const {
    return current_.load(std::memory_order_acquire)->next_.load(std::memory_order_acquire) !=
           nullptr;
  }

 private:
  enum class CreateResult { kDone, kMoved, kOutOfMemory };
  enum class ClaimResult { kClaimed, kFrozen, kOutOfMemory };
  enum class GrowthResult { kGrown, kNotStarted, kFailed };

  [[nodiscard]] const ChainedTable* newest() const {
    const ChainedTable* t = current_.load(std::memory_order_acquire);
    if (const ChainedTable* next = t->next_.load(std::memory_order_acquire)) return next;
    return t;
  }

  /// The first live or frozen entry of tag in hash's chain of t.
  [[gnu::always_inline]] static bool lookup(const ChainedTable& t, std::uint64_t hash,
                                            std::uint16_t tag, Handle& h) {
    // The word's top 16 bits (state | tag) of a live and of a frozen entry of this tag.
    const std::uint64_t live_key = IndexEntry::make(0, tag, false).word() >> IndexEntry::kTagShift;
    const std::uint64_t frozen_key =
        IndexEntry::make(0, tag, false).as_frozen().word() >> IndexEntry::kTagShift;
    for (const HashBucket* b = &t.bucket_of(hash); b != nullptr; b = t.next(*b)) {
      for (const auto& slot : b->entries) {
        // acquire: a reader that sees an address also sees the record published before it.
        const std::uint64_t w = slot.load(std::memory_order_acquire);
        const std::uint64_t key = w >> IndexEntry::kTagShift;
        if (key == live_key || key == frozen_key) [[likely]] {
          h.slot = const_cast<std::atomic<std::uint64_t>*>(&slot);
          h.word = w;
          return true;
        }
      }
    }
    return false;
  }

  [[gnu::noinline]] Status create(std::uint64_t hash, Handle& h) noexcept {
    for (;;) {
      ChainedTable* t = current_.load(std::memory_order_acquire);
      if (ChainedTable* next = t->next_.load(std::memory_order_acquire)) {
        // A growth migrates t into next. New entries go to next, once the hash's old chain has
        // its copies there: migrate it now (idempotent, never waits), and one chunk more.
        ChainMigration::migrate_chain(*t, *next, t->bucket_index(hash));
        ChainMigration::help(*t, *next, 1);
        t = next;
      }
      std::uint64_t depth = 0;
      switch (create_in(*t, hash, h, depth)) {
        case CreateResult::kDone:
          if (depth > max_overflow_chain_ && auto_growth_due(*t)) [[unlikely]] {
            (void)start_growth(*t, /*explicit_request=*/false);
            continue;  // the entry may have moved: find it again for a usable handle
          }
          return Status::Ok;
        case CreateResult::kMoved:
          break;
        case CreateResult::kOutOfMemory:
          return Status::OutOfMemory;
      }
    }
  }

  /// The two-phase insert in t. kMoved when t's chain is (being) migrated: the caller goes on
  /// in the next table. depth: overflow buckets before the claimed slot's (0 when found).
  CreateResult create_in(ChainedTable& t, std::uint64_t hash, Handle& h, std::uint64_t& depth) {
    const std::uint16_t tag = tag_of(hash);
    HashBucket& head = t.bucket_of(hash);
    const std::uint64_t claim = IndexEntry::make(0, tag, true).word();
    for (std::uint32_t attempt = 0;; ++attempt) {
      depth = 0;
      Handle found;
      if (lookup(t, hash, tag, found)) {
        if (!IndexEntry(found.word).live()) return CreateResult::kMoved;
        h = found;
        return CreateResult::kDone;
      }
      std::atomic<std::uint64_t>* slot = nullptr;
      switch (claim_free_slot(t, head, claim, slot, depth)) {
        case ClaimResult::kClaimed:
          break;
        case ClaimResult::kFrozen:
          return CreateResult::kMoved;
        case ClaimResult::kOutOfMemory:
          return CreateResult::kOutOfMemory;
      }
      std::uint64_t expected = claim;
      if (has_other_entry(t, head, tag, slot)) {
        // Another insert of this tag is in flight or done: back off and look again.
        // release: orders nothing but the claim's end. A failure: a growth killed the claim.
        if (!slot->compare_exchange_strong(expected, 0, std::memory_order_release,
                                           std::memory_order_relaxed)) {
          return CreateResult::kMoved;
        }
        if (attempt > 4) std::this_thread::yield();
        continue;
      }
      const std::uint64_t entry = IndexEntry(claim).without_tentative().word();
      // acq_rel: release publishes the entry to finders. A failure: a growth killed the claim
      // (the chain is frozen), so the entry is created in the next table instead.
      if (!slot->compare_exchange_strong(expected, entry, std::memory_order_acq_rel,
                                         std::memory_order_relaxed)) {
        return CreateResult::kMoved;
      }
      // relaxed: a statistic; stripes keep creators of different buckets apart.
      counters_[t.bucket_index(hash) % kCounterStripes].entries.fetch_add(
          1, std::memory_order_relaxed);
      h.slot = slot;
      h.word = entry;
      return CreateResult::kDone;
    }
  }

  /// Claims a free slot of the chain with `claim`, linking an overflow bucket when every slot
  /// is taken. kFrozen when the chain is frozen by a growth.
  static ClaimResult claim_free_slot(ChainedTable& t, HashBucket& head, std::uint64_t claim,
                                     std::atomic<std::uint64_t>*& out, std::uint64_t& depth) {
    HashBucket* b = &head;
    for (;;) {
      for (auto& slot : b->entries) {
        std::uint64_t expected = 0;
        // acq_rel: the claim is ordered before this thread's rescan of the chain.
        if (slot.load(std::memory_order_relaxed) == 0 &&
            slot.compare_exchange_strong(expected, claim, std::memory_order_acq_rel,
                                         std::memory_order_relaxed)) {
          out = &slot;
          return ClaimResult::kClaimed;
        }
      }
      std::uint64_t link = b->overflow.load(std::memory_order_acquire);
      if (link == 0) {
        const std::uint64_t fresh = t.allocate_overflow();
        if (fresh == 0) return ClaimResult::kOutOfMemory;
        // acq_rel: publishes the zero-filled bucket to readers of the link; acquire on
        // failure: the winner's bucket (or the frozen end) is what this thread follows.
        if (b->overflow.compare_exchange_strong(link, fresh, std::memory_order_acq_rel,
                                                std::memory_order_acquire)) {
          link = fresh;
        } else {
          t.release_overflow(fresh);
        }
      }
      if (link == HashBucket::kLinkFrozen) return ClaimResult::kFrozen;
      b = t.linked(link);
      ++depth;
    }
  }

  static bool has_other_entry(const ChainedTable& t, HashBucket& head, std::uint16_t tag,
                              const std::atomic<std::uint64_t>* mine) {
    for (const HashBucket* b = &head; b != nullptr; b = t.next(*b)) {
      for (const auto& slot : b->entries) {
        if (&slot == mine) continue;
        const IndexEntry e(slot.load(std::memory_order_acquire));
        if (!e.free() && !e.is_dead() && e.tag() == tag) return true;
      }
    }
    return false;
  }

  [[nodiscard]] bool auto_growth_due(const ChainedTable& t) const {
    return t.can_double() && t.overflow_in_use() * kAutoGrowthOverflowShare >= t.num_buckets() &&
           t.next_.load(std::memory_order_acquire) == nullptr && !gate_.growing();
  }

  // ---- growth -------------------------------------------------------------------------------

  /// Doubles t if it is still current and no growth or capture runs (an explicit request
  /// waits for captures). kNotStarted when another growth holds the gate or t was replaced.
  [[gnu::noinline, gnu::cold]] GrowthResult start_growth(ChainedTable& t,
                                                         bool explicit_request) noexcept {
    for (;;) {
      const GrowthGate::Start s = gate_.try_begin_growth();
      if (s == GrowthGate::Start::kStarted) break;
      if (s == GrowthGate::Start::kGrowing || !explicit_request) return GrowthResult::kNotStarted;
      gate_.wait_for_captures();
    }
    // In the growth phase: nobody else can publish a next table. t may have been replaced by
    // a growth that ended after the caller looked.
    if (current_.load(std::memory_order_acquire) != &t) {
      gate_.end_growth();
      return GrowthResult::kNotStarted;
    }
    ChainedTable* fresh = nullptr;
    if (t.can_double()) {
      try {
        fresh = new ChainedTable(t.base_bits(), t.bucket_bits() + 1, huge_pages_, bytes_);
      } catch (const std::bad_alloc&) {
        fresh = nullptr;
      }
      // The migration needs at most as many overflow buckets as t holds: reserve them now,
      // so that it never has to wait for memory.
      if (fresh != nullptr && !fresh->reserve_overflow(t.overflow_in_use())) {
        delete fresh;
        fresh = nullptr;
      }
    }
    if (fresh == nullptr) {
      gate_.end_growth();
      return GrowthResult::kFailed;
    }
    // release: publishes the initialised table to every thread that acquires next_.
    t.next_.store(fresh, std::memory_order_release);
    stats_resizes_.fetch_add(1, std::memory_order_relaxed);  // statistic
    if (resize_hook_ != nullptr) resize_hook_(resize_hook_context_);
    ChainMigration::help(t, *fresh, ~std::uint64_t{0});
    ChainMigration::finish(t, *fresh);
    // release: a thread that acquires the new current table sees every copy (each done bit
    // was acquired above, gathering the other migrators' writes).
    current_.store(fresh, std::memory_order_release);
    gate_.end_growth();  // before retiring: bump_epoch may wait for epoch progress
    retire(&t);
    return GrowthResult::kGrown;
  }

  /// Frees a replaced table once no protected thread can hold a pointer into it.
  void retire(ChainedTable* old) {
    if (epoch_ != nullptr) {
      epoch_->bump_epoch([old] { delete old; });
    } else {
      std::lock_guard guard(retired_mutex_);
      retired_.push_back(old);
    }
  }

  static constexpr std::size_t kCounterStripes = 64;
  struct alignas(kCacheLineSize) Counter {
    std::atomic<std::uint64_t> entries{0};
  };
  static_assert(sizeof(Counter) == kCacheLineSize);

  // The table operations start from. Written (release) by the growth starter when a growth
  // ends and by prepare_recovery; read (acquire) by every operation.
  std::atomic<ChainedTable*> current_{nullptr};
  epoch::EpochManager* const epoch_;
  const bool huge_pages_;
  const std::uint64_t max_overflow_chain_;
  HashResolver resolver_ = nullptr;  // set_resolver (before concurrent use); never called
  void* resolver_ctx_ = nullptr;
  ResizeHook resize_hook_ = nullptr;  // set_resize_hook (before concurrent use)
  void* resize_hook_context_ = nullptr;
  GrowthGate gate_;
  // Table bytes (shared with the tables, which add and subtract their own): relaxed counter.
  std::shared_ptr<ChainedTable::ByteCounter> bytes_ =
      std::make_shared<ChainedTable::ByteCounter>(0);
  // Entries created, striped by bucket: relaxed increments by creators, summed by size().
  Counter counters_[kCounterStripes];
  // Statistics: written relaxed by growth starters, read relaxed by reporters.
  std::atomic<std::uint64_t> stats_resizes_{0};
  // Replaced tables when there is no epoch manager (cold path: a mutex is fine).
  std::mutex retired_mutex_;
  std::vector<ChainedTable*> retired_;
};

static_assert(std::is_trivially_copyable_v<ChainedIndex::Handle>);

}  // namespace rskv::index

#include "components/index/chained/chained_index_checkpoint.h"  // IWYU pragma: export
