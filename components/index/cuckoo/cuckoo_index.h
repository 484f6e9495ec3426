#pragma once
// CuckooIndex: a concurrent bucketized cuckoo hash index from 64-bit key hashes to log
// addresses (IndexPolicy, policies/index_policy.h).
//
// Layout. Buckets of seven entry slots and a latch word, one cache line each
// (cuckoo_bucket.h). An entry's identity is the top bits of the hash; a table splits it into
// a primary bucket and a tag, and the alternate bucket is derived from the tag
// (cuckoo_table.h). Hashes with one identity share one entry by design; the store's record
// chain tells their keys apart.
//
// Operations and who may block:
//   find            lock-free: acquire loads of the two buckets' slots. A miss is confirmed by
//                   re-reading the first bucket's displacement version (retry if it moved), so
//                   a concurrent displacement never hides an entry. Never waits for a thread.
//   find_or_create  a lock-free find first; otherwise locks the identity's two buckets (in
//                   index order), looks again and fills a free slot. Under the two locks no
//                   other creator of that identity can run and the entry cannot be mid-move,
//                   so one identity never gets two entries. When both buckets are full: a
//                   bounded BFS displacement (cuckoo_path.h), or a resize.
//   try_update      one CAS on the slot the handle names, from the word the handle saw.
//                   Fails when the entry changed, was displaced (the slot was cleared or
//                   frozen) or was migrated by a resize (the old slot is frozen for good).
//
// Resize (incremental, no global stop). Triggered when a creator finds both buckets full and
// the table's load factor is at least kMaxLoadFactor, or when the displacement search finds no
// path. The starter takes the phase gate (one resize at a time, none during a capture), then
// allocates a table with twice the buckets and publishes it as the old table's next_ (from
// then on the old table takes no new entries and nothing moves inside it).
// The old table's buckets are migrated in chunks of CuckooTable::kChunkBuckets: the starter
// owns chunk 0, and every find_or_create that meets the resize claims and migrates one more
// chunk. Migrating a bucket, under its lock: freeze each entry (CAS; the frozen word is its
// final address), then insert the copy into the new table. While a resize runs:
//   - find looks in the old table; an unfrozen hit is current (no copy of it can change until
//     it is frozen). On a frozen hit or a miss it looks in the new table; a frozen hit with no
//     copy yet in the new table is current too (nothing can change an entry between its freeze
//     and its copy), but try_update refuses it, so a writer finds the entry again later;
//   - find_or_create locks the identity's buckets in the old table: an unfrozen entry is used
//     there; a frozen one was already copied (the migrator held the lock through the copy);
//     a missing one is created in the new table (the old table takes no new entries);
//   - the thread that completes the last chunk makes the new table current, retires the
//     old one and opens the gate; the old table is freed through the epoch manager once every
//     protected thread has refreshed (IndexConfig::epoch), or kept until the index is
//     destroyed when there is none.
// A Handle is valid until its holder's next epoch refresh (it may point into a retired table).
// A new table cannot start its own resize before the migration into it has finished; a
// creator that needs one helps finish it (and waits if another thread still holds a chunk).
// Creators fill the new table only up to kMaxLoadWhileMigrating of projected load while the
// migration runs (then they help finish it and wait), so the migration always finds room.
//
// Checkpoints (cuckoo_capture.h). capture() scans the current table for a fuzzy index
// checkpoint while other threads run every operation. It and a resize exclude each other
// through a gate: a capture waits for a running resize to finish, and a resize does not start
// while a capture runs (a creator that needs one displaces instead, or waits for the capture
// when no displacement path exists). Displacements go on during a capture and record what they
// move for it. Entries are saved by identity (rep_hash) with the table's geometry, so
// recover_entry on an index prepared with that geometry rebuilds the same entries.
//
// Every member may be called concurrently by threads holding epoch protection, except
// prepare_recovery and recover_entry (single-threaded recovery), and capture, which needs no
// protection.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "components/common/address.h"
#include "components/common/constants.h"
#include "components/common/status.h"
#include "components/epoch/epoch.h"
#include "components/index/cuckoo/cuckoo_bucket.h"
#include "components/index/cuckoo/cuckoo_capture.h"
#include "components/index/cuckoo/cuckoo_path.h"
#include "components/index/cuckoo/cuckoo_table.h"
#include "policies/index_policy.h"

namespace rskv::index {

class CuckooIndex {
 public:
  static constexpr std::string_view kName = "cuckoo";
  /// A creator that finds both candidate buckets full resizes instead of displacing once the
  /// table is this full (the displacement search also fails only near this load).
  static constexpr double kMaxLoadFactor = 0.95;
  /// The target of a running migration takes new entries only while its projected load
  /// (entries in it plus entries still to be migrated into it) is below this, so that every
  /// entry still to migrate finds room (a displacement path) in it; a creator past it helps
  /// finish the migration first. Without the bound, creators could fill a small new table
  /// while the starter of its resize was descheduled, and the migration would find no room.
  static constexpr double kMaxLoadWhileMigrating = 0.75;
  static constexpr int kMaxInitialBucketBits = 48;

  /// Where an entry was found and the word it held. Trivially copyable.
  class Handle {
   public:
    [[nodiscard]] std::uint64_t address() const { return CuckooEntry(word_).address(); }

   private:
    friend class CuckooIndex;
    AtomicCuckooEntry* slot_ = nullptr;
    std::uint64_t word_ = 0;
  };

  /// Test hook: runs on the thread that starts a resize, after the new table is published and
  /// before that thread migrates its first chunk, so the resize stays open while it runs.
  using ResizeHook = void (*)(void* context);

  explicit CuckooIndex(const IndexConfig& config)
      : epoch_(config.epoch), huge_pages_(config.huge_pages) {
    int bits = CuckooTable::kMinBucketBits;
    while (bits < kMaxInitialBucketBits && (std::uint64_t{1} << bits) < config.initial_buckets) {
      ++bits;
    }
    identity_bits_ = bits + CuckooEntry::kTagBits;
    retired_.reserve(64);  // one per doubling: finish_resize never allocates
    current_.store(new CuckooTable(bits, identity_bits_, huge_pages_), std::memory_order_relaxed);
  }
  ~CuckooIndex() {
    // Run the epoch actions still registered (they free replaced tables and reference this
    // index); nobody is protected any more, so all of them are due.
    if (epoch_ != nullptr) epoch_->drain();
    // No operation may run any more; a resize left open (its owner gone) still owns next_.
    CuckooTable* t = current_.load(std::memory_order_acquire);
    while (t != nullptr) {
      CuckooTable* next = t->next_.load(std::memory_order_acquire);
      delete t;
      t = next;
    }
    for (CuckooTable* r : retired_) delete r;
  }
  CuckooIndex(const CuckooIndex&) = delete;
  CuckooIndex& operator=(const CuckooIndex&) = delete;

  /// true and handle filled when hash's entry exists. Lock-free.
  [[gnu::always_inline]] bool find(std::uint64_t hash, Handle& handle) const noexcept {
    const std::uint64_t id = identity(hash);
    // acquire: a table seen as current is fully initialised (release in finish_resize).
    const CuckooTable* t = current_.load(std::memory_order_acquire);
    Handle frozen{};
    for (;;) {
      Handle h{};
      if (lookup(*t, id, h)) {
        if (!CuckooEntry(h.word_).frozen()) {
          handle = h;
          return true;
        }
        frozen = h;  // the newest frozen copy seen so far
      }
      // acquire: pairs with the release store that publishes a resize.
      const CuckooTable* next = t->next_.load(std::memory_order_acquire);
      if (next == nullptr) break;
      t = next;
    }
    if (frozen.slot_ == nullptr) return false;
    handle = frozen;
    return true;
  }

  /// Finds hash's entry or creates it with address 0. Ok, or OutOfMemory when the index
  /// cannot grow. Concurrent callers for one identity end with one entry.
  [[gnu::always_inline]] Status find_or_create(std::uint64_t hash, Handle& handle) noexcept {
    if (find(hash, handle) && !CuckooEntry(handle.word_).frozen()) return Status::Ok;
    return find_or_create_slow(identity(hash), handle);
  }

  /// CAS the handle's entry to `address`. false when the entry changed, moved or is frozen.
  bool try_update(Handle& handle, std::uint64_t address) noexcept {
    CuckooEntry expected(handle.word_);
    if (handle.slot_ == nullptr || !expected.occupied() || expected.frozen()) return false;
    const CuckooEntry desired = expected.with_address(address);
    // acq_rel on success: release publishes the record written before the swap to readers
    // that acquire the entry. relaxed on failure: the caller finds the entry again (acquire).
    if (!handle.slot_->compare_exchange(expected, desired, std::memory_order_acq_rel,
                                        std::memory_order_relaxed)) {
      return false;
    }
    handle.word_ = desired.word();
    return true;
  }

  /// Growth keeps every identity intact (cuckoo_table.h), so it never needs a key's full hash;
  /// the resolver is kept for the contract and not called.
  void set_resolver(HashResolver resolver, void* context) noexcept {
    resolver_ = resolver;
    resolver_context_ = context;
  }

  [[nodiscard]] std::size_t memory_bytes() const {
    std::size_t bytes = sizeof(*this);
    const CuckooTable* t = current_.load(std::memory_order_acquire);
    for (; t != nullptr; t = t->next_.load(std::memory_order_acquire)) bytes += t->memory_bytes();
    std::lock_guard guard(retired_mutex_);
    for (const CuckooTable* r : retired_) bytes += r->memory_bytes();
    return bytes;
  }
  /// Entries in use (exact when no operation runs; during a resize, counts each entry once).
  [[nodiscard]] std::size_t size() const {
    const CuckooTable* t = current_.load(std::memory_order_acquire);
    std::uint64_t n = t->entries();
    if (const CuckooTable* next = t->next_.load(std::memory_order_acquire)) {
      const std::uint64_t in_next = next->entries();
      const std::uint64_t migrated = next->migrated_entries_.load(std::memory_order_relaxed);
      n += in_next > migrated ? in_next - migrated : 0;  // relaxed counters may lag each other
    }
    return n;
  }
  /// size() over the slots of the table that takes new entries.
  [[nodiscard]] double load_factor() const {
    const CuckooTable* t = current_.load(std::memory_order_acquire);
    if (const CuckooTable* next = t->next_.load(std::memory_order_acquire)) t = next;
    return static_cast<double>(size()) / static_cast<double>(t->num_slots());
  }

  /// Calls f(address) once for every entry (checkpoints, reports). Exact while no operation
  /// runs, also with a resize held open; run concurrently, an entry that is moving or being
  /// migrated may be visited twice or not at all, and addresses may be stale.
  template <class F>
  void for_each_entry(F&& f) const {
    const CuckooTable* t = current_.load(std::memory_order_acquire);
    for (; t != nullptr; t = t->next_.load(std::memory_order_acquire)) {
      const bool resizing = t->next_.load(std::memory_order_acquire) != nullptr;
      for (std::uint64_t b = 0; b < t->num_buckets(); ++b) {
        for (const AtomicCuckooEntry& slot : t->bucket(b).slots) {
          const CuckooEntry e = slot.load(std::memory_order_acquire);
          // A frozen entry of a resizing table has its copy in the next table.
          if (e.occupied() && !(resizing && e.frozen())) f(e.address());
        }
      }
    }
  }

  // ---- checkpoint and recovery (defined in cuckoo_index_checkpoint.h) -------------------

  /// The geometry saved with an index checkpoint: bits 0..7 hold log2 of the bucket count of
  /// the table that takes new entries, bits 8..15 the identity width (log2 of the initial
  /// bucket count + CuckooEntry::kTagBits), which rep_hash values depend on.
  [[nodiscard]] std::uint64_t checkpoint_geometry() const;

  /// On an empty index that no other thread uses yet: takes the identity width and table size
  /// of `geometry` (checkpoint_geometry of the saved index). InvalidArgument for a value no
  /// index produces or when the index is not empty; OutOfMemory (the index is then unchanged).
  Status prepare_recovery(std::uint64_t geometry);

  /// Fuzzy capture for a checkpoint: calls f(rep_hash, address) for every occupied entry,
  /// while other threads run find, find_or_create and try_update. Every entry that exists for
  /// the whole capture is visited at least once with an address it held during the capture;
  /// entries created meanwhile may or may not be visited. Waits while a resize runs and keeps
  /// new resizes out until its scan is done (cuckoo_capture.h: who waits and for how long).
  /// f runs on the caller's thread with no lock held; it must not call into this index, and
  /// must not wait for epoch progress (a creator waiting for the capture holds protection).
  /// The caller needs no epoch protection. Captures are serialised.
  template <class F>
  void capture(F&& f);

  /// Single-threaded recovery load: creates the entry of rep_hash's identity if absent and
  /// sets its address (overwriting). false only on OutOfMemory.
  bool recover_entry(std::uint64_t rep_hash, std::uint64_t address) noexcept;

  /// Prefetches both candidate buckets of a hash (batched operations: prefetch a batch, then
  /// find each). A hint only; safe at any time under epoch protection.
  void prefetch(std::uint64_t hash) const noexcept {
    const CuckooTable* t = current_.load(std::memory_order_acquire);
    const CuckooTable::Probe p = t->probe(identity(hash));
    __builtin_prefetch(&t->bucket(p.primary));
    __builtin_prefetch(&t->bucket(p.alternate));
  }

  // ---- statistics and test hooks (not part of IndexPolicy) --------------------------------
  [[nodiscard]] std::uint64_t resize_count() const {
    return stats_resizes_.load(std::memory_order_relaxed);
  }
  /// The table's load factor when the first resize started (0 before any resize).
  [[nodiscard]] double first_resize_load_factor() const {
    return stats_first_resize_load_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t num_buckets() const {
    return current_.load(std::memory_order_acquire)->num_buckets();
  }
  [[nodiscard]] bool resize_in_progress() const {
    return current_.load(std::memory_order_acquire)->next_.load(std::memory_order_acquire) !=
           nullptr;
  }
  /// Moves the last capture replayed from its MoveLog (displacements it would have missed).
  [[nodiscard]] std::uint64_t capture_moves_replayed() const {
    return stats_capture_moves_.load(std::memory_order_relaxed);
  }
  /// Set before other threads use the index (plain fields, read by resize starters).
  void set_resize_hook(ResizeHook hook, void* context) {
    resize_hook_ = hook;
    resize_hook_context_ = context;
  }

 private:
  enum class CreateResult { kDone, kNextTable, kFull };

  [[nodiscard]] [[gnu::always_inline]] std::uint64_t identity(std::uint64_t hash) const {
    return hash >> (64 - identity_bits_);
  }
  /// A hash whose identity is `id` (its bits below the identity are zero).
  [[nodiscard]] std::uint64_t hash_of_identity(std::uint64_t id) const {
    return id << (64 - identity_bits_);
  }

  /// Scans the identity's two buckets of t. A miss is confirmed against the first bucket's
  /// displacement version (see cuckoo_path.h for why that suffices).
  [[gnu::always_inline]] static bool lookup(const CuckooTable& t, std::uint64_t id, Handle& h) {
    const CuckooTable::Probe p = t.probe(id);
    const CuckooBucket& first = t.bucket(p.primary);
    const CuckooBucket& second = t.bucket(p.alternate);
    const std::uint64_t first_key = CuckooEntry::key_of(p.tag, false);
    const std::uint64_t second_key = CuckooEntry::key_of(p.tag, true);
    // Both misses overlap: the second line is on its way while the first is scanned.
    __builtin_prefetch(&second);
    for (;;) {
      // One version suffices: every move of this identity's entry goes between these two
      // buckets and bumps both. Reading the first bucket's latch touches no extra line.
      const std::uint64_t version = first.latch.version();
      if (scan(first, first_key, h) || scan(second, second_key, h)) return true;
      if (first.latch.version() == version) return false;
    }
  }
  [[gnu::always_inline]] static bool scan(const CuckooBucket& b, std::uint64_t key, Handle& h) {
    for (const AtomicCuckooEntry& slot : b.slots) {
      // acquire: a reader that sees an address also sees the record published before it.
      const CuckooEntry e = slot.load(std::memory_order_acquire);
      if (e.key() == key) {
        h.slot_ = const_cast<AtomicCuckooEntry*>(&slot);
        h.word_ = e.word();
        return true;
      }
    }
    return false;
  }

  [[gnu::noinline]] Status find_or_create_slow(std::uint64_t id, Handle& handle) noexcept {
    CuckooTable* t = current_.load(std::memory_order_acquire);
    if (CuckooTable* next = t->next_.load(std::memory_order_acquire)) help_migrate(*t, *next, 1);
    for (;;) {
      switch (create_in(*t, id, handle)) {
        case CreateResult::kDone:
          return Status::Ok;
        case CreateResult::kNextTable: {
          CuckooTable* next = t->next_.load(std::memory_order_acquire);
          if (projected_load(*next) >= kMaxLoadWhileMigrating) finish_migration(*t, *next);
          t = next;
          break;
        }
        case CreateResult::kFull: {
          Status s = make_room(*t, id);
          if (s != Status::Ok) return s;
          break;
        }
      }
    }
  }

  /// Under the identity's two bucket locks in t: returns the entry, creates it, or says where
  /// to go on (see the file comment).
  static CreateResult create_in(CuckooTable& t, std::uint64_t id, Handle& handle) {
    const CuckooTable::Probe p = t.probe(id);
    BucketPairLock lock(t, p.primary, p.alternate);
    CuckooBucket* buckets[2] = {&t.bucket(p.primary), &t.bucket(p.alternate)};
    for (int which = 0; which < 2; ++which) {
      if (scan(*buckets[which], CuckooEntry::key_of(p.tag, which == 1), handle)) {
        // Frozen under the lock = migrated, and the copy is already in next_.
        return CuckooEntry(handle.word_).frozen() ? CreateResult::kNextTable : CreateResult::kDone;
      }
    }
    // acquire: pairs with the store that publishes a resize; from then on t takes no entries.
    if (t.next_.load(std::memory_order_acquire) != nullptr) return CreateResult::kNextTable;
    for (int which = 0; which < 2; ++which) {
      for (AtomicCuckooEntry& slot : buckets[which]->slots) {
        if (!slot.load(std::memory_order_relaxed).empty()) continue;  // locked: no race
        const CuckooEntry e = CuckooEntry::make(p.tag, which == 1, 0);
        // release: readers that acquire the slot see a complete word (nothing else to publish).
        slot.store(e, std::memory_order_release);
        t.add_entries(p.primary, 1);
        handle.slot_ = &slot;
        handle.word_ = e.word();
        return CreateResult::kDone;
      }
    }
    return CreateResult::kFull;
  }

  /// Both candidate buckets of id in t are full: displace, or grow. At the load bound it
  /// grows, unless a capture keeps resizes out: then it displaces while a path exists.
  [[gnu::noinline]] Status make_room(CuckooTable& t, std::uint64_t id) noexcept {
    if (t.next_.load(std::memory_order_acquire) != nullptr) return Status::Ok;  // create goes on
    if (projected_load(t) >= kMaxLoadFactor && !gate_.capturing_hint()) return grow(t);
    const CuckooTable::Probe p = t.probe(id);
    CuckooPath path;
    if (!path.search(t, p.primary, p.alternate)) return grow(t);
    // A failed execution met a concurrent change; the caller looks again either way.
    (void)path.execute(t, move_log_);
    return Status::Ok;
  }

  /// Entries t will hold over its slots, counting entries still to be migrated into it.
  [[nodiscard]] double projected_load(const CuckooTable& t) const {
    std::uint64_t n = t.entries();
    const CuckooTable* cur = current_.load(std::memory_order_acquire);
    if (cur != &t && cur->next_.load(std::memory_order_acquire) == &t) {
      const std::uint64_t in_cur = cur->entries();
      const std::uint64_t migrated = t.migrated_entries_.load(std::memory_order_relaxed);
      n += in_cur > migrated ? in_cur - migrated : 0;
    }
    return static_cast<double>(n) / static_cast<double>(t.num_slots());
  }

  /// Starts (or joins) a resize of t. Ok when the caller should look again.
  [[gnu::noinline, gnu::cold]] Status grow(CuckooTable& t) noexcept {
    CuckooTable* cur = current_.load(std::memory_order_acquire);
    if (&t != cur) {
      // t is stale (already resized: the caller will route on), or t is the target of a
      // resize still running: it may not resize before that one ends. Finish it.
      if (cur->next_.load(std::memory_order_acquire) == &t) finish_migration(*cur, t);
      return Status::Ok;
    }
    CuckooTable* next = t.next_.load(std::memory_order_acquire);
    if (next != nullptr) {
      help_migrate(t, *next, ~std::uint64_t{0});
      return Status::Ok;
    }
    if (t.tag_bits() == 0) return Status::OutOfMemory;  // every identity bit is a bucket bit
    switch (gate_.try_begin_resize()) {
      case PhaseGate::ResizeStart::kStarted:
        return start_resize(t);
      case PhaseGate::ResizeStart::kCapturing:
        // No displacement path and no resize: wait for the capture to end (the caller holds
        // no bucket lock), then look again.
        gate_.wait_while_capturing();
        return Status::Ok;
      case PhaseGate::ResizeStart::kResizing:
        break;
    }
    // Another starter holds the gate: it publishes t's next table at once (or, if its t was
    // stale, it lets go). Wait for either, then help.
    for (int round = 0; t.next_.load(std::memory_order_acquire) == nullptr &&
                        current_.load(std::memory_order_acquire) == &t && gate_.resizing();
         ++round) {
      spin_pause(round);
    }
    if (CuckooTable* published = t.next_.load(std::memory_order_acquire)) {
      help_migrate(t, *published, ~std::uint64_t{0});
    }
    return Status::Ok;
  }

  /// The caller holds the gate in the resizing state: publishes t's next table and migrates.
  [[gnu::noinline, gnu::cold]] Status start_resize(CuckooTable& t) noexcept {
    // A whole resize of t may have run between the caller's look and its entry to the gate.
    // Under the gate, t is current exactly when no resize of it has started.
    if (current_.load(std::memory_order_acquire) != &t) {
      gate_.end_resize();
      return Status::Ok;
    }
    CuckooTable* fresh = nullptr;
    try {
      fresh = new CuckooTable(t.bucket_bits() + 1, identity_bits_, huge_pages_);
    } catch (const std::bad_alloc&) {
      gate_.end_resize();
      return Status::OutOfMemory;
    }
    const double load = t.load_factor();
    // release: publishes the fresh table's initialised state to every thread that acquires
    // next_. A store suffices: only the gate holder publishes, and t.next_ is null (above).
    t.next_.store(fresh, std::memory_order_release);
    // relaxed: statistics, written by the starter only.
    if (stats_resizes_.fetch_add(1, std::memory_order_relaxed) == 0) {
      stats_first_resize_load_.store(load, std::memory_order_relaxed);
    }
    if (resize_hook_ != nullptr) resize_hook_(resize_hook_context_);
    migrate_chunk(t, *fresh, 0);
    help_migrate(t, *fresh, ~std::uint64_t{0});
    return Status::Ok;
  }

  /// Claims and migrates up to max_chunks chunks of from's buckets into to.
  void help_migrate(CuckooTable& from, CuckooTable& to, std::uint64_t max_chunks) {
    const std::uint64_t total = CuckooTable::chunks_of(from);
    for (std::uint64_t k = 0; k < max_chunks; ++k) {
      // relaxed: the claim only divides the work (see next_chunk_).
      const std::uint64_t chunk = to.next_chunk_.fetch_add(1, std::memory_order_relaxed);
      if (chunk >= total) return;
      migrate_chunk(from, to, chunk);
    }
  }

  /// Helps until every chunk is claimed, then waits until the last one is done.
  void finish_migration(CuckooTable& from, CuckooTable& to) {
    help_migrate(from, to, ~std::uint64_t{0});
    for (int round = 0; current_.load(std::memory_order_acquire) == &from; ++round) {
      spin_pause(round);
    }
  }

  void migrate_chunk(CuckooTable& from, CuckooTable& to, std::uint64_t chunk) {
    const std::uint64_t begin = chunk * CuckooTable::kChunkBuckets;
    const std::uint64_t end = std::min(begin + CuckooTable::kChunkBuckets, from.num_buckets());
    std::uint64_t copied = 0;
    for (std::uint64_t b = begin; b < end; ++b) {
      CuckooBucket& bucket = from.bucket(b);
      bucket.latch.lock();
      for (AtomicCuckooEntry& slot : bucket.slots) {
        CuckooEntry w = slot.load(std::memory_order_acquire);
        // acq_rel: the frozen word is the entry's final address in `from`; a failure means
        // try_update changed the address: freeze the new one.
        while (w.occupied() && !w.frozen() &&
               !slot.compare_exchange(w, w.with_frozen(true), std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        }
        // Under the lock nothing is mid-move and nothing was migrated twice: w is live.
        if (!w.occupied() || w.frozen()) continue;
        place_copy(to, from.identity_of(b, w), w.address(), move_log_);
        ++copied;
      }
      bucket.latch.unlock();
    }
    to.migrated_entries_.fetch_add(copied, std::memory_order_relaxed);  // statistic
    // acq_rel: see done_chunks_.
    if (to.done_chunks_.fetch_add(1, std::memory_order_acq_rel) + 1 ==
        CuckooTable::chunks_of(from)) {
      finish_resize(from, to);
    }
  }

  /// Inserts a migrated entry into `to` (which cannot resize while the migration runs). No
  /// copy of the identity can be in `to` yet: creators use the unfrozen original instead.
  /// (No capture runs during a migration, so `log` records nothing here.)
  static void place_copy(CuckooTable& to, std::uint64_t id, std::uint64_t address, MoveLog& log) {
    const CuckooTable::Probe p = to.probe(id);
    for (int round = 0;; ++round) {
      {
        BucketPairLock lock(to, p.primary, p.alternate);
        for (int which = 0; which < 2; ++which) {
          CuckooBucket& b = to.bucket(which == 0 ? p.primary : p.alternate);
          for (AtomicCuckooEntry& slot : b.slots) {
            if (!slot.load(std::memory_order_relaxed).empty()) continue;  // locked: no race
            // release: as in create_in.
            slot.store(CuckooEntry::make(p.tag, which == 1, address), std::memory_order_release);
            to.add_entries(p.primary, 1);
            return;
          }
        }
      }
      // Both full: displace. `to` holds at most half its slots' worth of migrated entries
      // plus what creators added meanwhile, and they stop at kMaxLoadWhileMigrating of
      // projected load (and wait for this migration), so a path exists.
      CuckooPath path;
      if (path.search(to, p.primary, p.alternate)) {
        (void)path.execute(to, log);
      } else {
        spin_pause(round);
      }
    }
  }

  /// Makes `to` current, retires `from` and opens the gate (the thread that migrated the last
  /// chunk).
  void finish_resize(CuckooTable& from, CuckooTable& to) {
    // release: readers that acquire the new current table see every migrated copy (the
    // acq_rel on done_chunks_ gathered the other migrators' writes).
    current_.store(&to, std::memory_order_release);
    CuckooTable* old = &from;
    if (epoch_ != nullptr) {
      epoch_->bump_epoch([old] { delete old; });
    } else {
      std::lock_guard guard(retired_mutex_);
      retired_.push_back(old);
    }
    gate_.end_resize();  // release: a capture let in sees `to` as current (PhaseGate)
  }

  // The table operations start from. Written (release) only by finish_resize, once per
  // resize; read (acquire) by every operation.
  std::atomic<CuckooTable*> current_{nullptr};
  // Set by the constructor, or by prepare_recovery before other threads use the index.
  int identity_bits_ = 0;
  epoch::EpochManager* const epoch_;
  const bool huge_pages_;
  HashResolver resolver_ = nullptr;  // set_resolver (before concurrent use); never called
  void* resolver_context_ = nullptr;
  ResizeHook resize_hook_ = nullptr;  // set_resize_hook (before concurrent use)
  void* resize_hook_context_ = nullptr;
  // Statistics: written relaxed by resize starters, read relaxed by reporters.
  std::atomic<std::uint64_t> stats_resizes_{0};
  std::atomic<double> stats_first_resize_load_{0.0};
  // Written relaxed by captures, read relaxed by tests and reporters.
  std::atomic<std::uint64_t> stats_capture_moves_{0};
  // Checkpoint phases (cuckoo_capture.h). The gate is written only at the edges of
  // resizes and captures: its own line keeps those writes off current_'s line.
  alignas(kCacheLineSize) PhaseGate gate_;
  MoveLog move_log_;
  // Replaced tables when there is no epoch manager (cold path: a mutex is fine).
  mutable std::mutex retired_mutex_;
  std::vector<CuckooTable*> retired_;
};

static_assert(IndexPolicy<CuckooIndex>);
static_assert(std::is_trivially_copyable_v<CuckooIndex::Handle>);

}  // namespace rskv::index

#include "components/index/cuckoo/cuckoo_index_checkpoint.h"  // IWYU pragma: export
