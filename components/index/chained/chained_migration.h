#pragma once
// ChainMigration: how the chained index's growth moves one old chain into the doubled table
// (chained_index.h says when it runs and what the other operations do meanwhile).
//
// Migrating old chain c of table `from` into `to`:
//   1. freeze every word of the chain by CAS: live -> frozen (its final address), free and
//      tentative -> dead, the last overflow link 0 -> kLinkFrozen (bucket.h). Afterwards the
//      chain is immutable: no try_update can change an address, no claim can be made or
//      completed (a creator's completing CAS expects its tentative word), no bucket can be
//      linked;
//   2. copy the frozen entries into the two buckets of `to` that split the chain (c and
//      c + from.num_buckets(); an entry's side follows from its tag: chained_table.h), each at
//      the position given by its rank among the copies of its side, in chain order. Every
//      migrator sees the same frozen chain, so positions are the same for all of them: copies
//      are placed by CAS from 0, and a migrator that finds a position taken finds the same
//      copy there (maybe updated since by try_update, which only changes its address);
//   3. set the chain's done bit in `from`.
// Any number of threads may migrate one chain at once; none waits for another, and a
// migrator that falls behind only repeats CASes that fail. Until the done bit is set only
// migrators write `to`'s two buckets of the chain (creators go there only afterwards), so a
// position is never taken by anything but its copy. After it, a rank position holds an entry
// for good (entries are never removed), and a late migrator cannot disturb it.
//
// Memory orders: freezing acquires (it reads the address a try_update released), and placing
// a copy releases it again, so a reader that acquires the copy sees the record behind it. The
// done bit is set with release after this thread placed (or, by a failed acquire CAS, saw)
// every copy; a creator that acquires the bit sees them all before it scans `to`.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>

#include "components/index/chained/bucket.h"
#include "components/index/chained/chained_table.h"

namespace rskv::index {

struct ChainMigration {
  /// Migrates old chain c (steps 1-3 above). Idempotent; returns at once when c is done.
  static void migrate_chain(ChainedTable& from, ChainedTable& to, std::uint64_t c) {
    if (from.chain_done(c)) return;
    for (HashBucket* b = &from.bucket(c); b != nullptr;) {
      for (auto& slot : b->entries) freeze(slot);
      std::uint64_t link = b->overflow.load(std::memory_order_acquire);
      // acq_rel: the frozen end is ordered after the freezes above; acquire on failure: a
      // bucket linked meanwhile is followed and frozen too.
      while (link == 0 && !b->overflow.compare_exchange_weak(link, HashBucket::kLinkFrozen,
                                                             std::memory_order_acq_rel,
                                                             std::memory_order_acquire)) {
      }
      b = from.linked(link);
    }
    Writer low(to, c), high(to, c | from.num_buckets());
    for (const HashBucket* b = &from.bucket(c); b != nullptr; b = from.next(*b)) {
      for (const auto& slot : b->entries) {
        // acquire: frozen words never change; see freeze for the record behind the address.
        const IndexEntry e(slot.load(std::memory_order_acquire));
        if (!e.frozen()) continue;
        (from.split_target(c, e.tag()) == c ? low : high).place(e.as_live());
      }
    }
    from.mark_chain_done(c);
  }

  /// Claims and migrates up to max_chunks chunks of from's chains.
  static void help(ChainedTable& from, ChainedTable& to, std::uint64_t max_chunks) {
    const std::uint64_t total = from.num_chunks();
    for (std::uint64_t k = 0; k < max_chunks; ++k) {
      // relaxed: see ChainedTable::next_chunk_.
      const std::uint64_t chunk = from.next_chunk_.fetch_add(1, std::memory_order_relaxed);
      if (chunk >= total) return;
      const std::uint64_t begin = chunk * ChainedTable::kChunkChains;
      const std::uint64_t end = std::min(begin + ChainedTable::kChunkChains, from.num_buckets());
      for (std::uint64_t c = begin; c < end; ++c) migrate_chain(from, to, c);
    }
  }

  /// Migrates every chain that is not done yet, including chains other threads claimed and
  /// may still be working on (migration is idempotent, so this never waits for them). On
  /// return every chain of `from` is done.
  static void finish(ChainedTable& from, ChainedTable& to) {
    for (std::uint64_t c = 0; c < from.num_buckets(); c += 64) {
      if (from.chain_word_done(c)) continue;
      const std::uint64_t end = std::min(c + 64, from.num_buckets());
      for (std::uint64_t k = c; k < end; ++k) migrate_chain(from, to, k);
    }
  }

 private:
  static void freeze(std::atomic<std::uint64_t>& slot) {
    std::uint64_t w = slot.load(std::memory_order_acquire);
    for (;;) {
      const IndexEntry e(w);
      if (e.frozen() || e.is_dead()) return;
      const std::uint64_t target = e.live() ? e.as_frozen().word() : IndexEntry::dead().word();
      // acq_rel: acquire makes the record behind a frozen address visible to this migrator,
      // which publishes it again with the copy (release). A failure: a swap, claim, back-off
      // or completed claim changed the word; look at it again.
      if (slot.compare_exchange_weak(w, target, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
        return;
      }
    }
  }

  /// Places copies at successive positions of one chain of the new table.
  class Writer {
   public:
    Writer(ChainedTable& t, std::uint64_t bucket) : table_(t), bucket_(&t.bucket(bucket)) {}
    void place(IndexEntry copy) {
      if (index_ == HashBucket::kEntries) {
        bucket_ = next_bucket();
        index_ = 0;
      }
      std::uint64_t expected = 0;
      // acq_rel: release publishes the copy (and the record its freeze acquired) to readers.
      // A failure: another migrator placed the same copy (maybe updated since); acquire, so
      // that this thread's done bit also covers it.
      (void)bucket_->entries[index_].compare_exchange_strong(
          expected, copy.word(), std::memory_order_acq_rel, std::memory_order_acquire);
      ++index_;
    }

   private:
    HashBucket* next_bucket() {
      for (;;) {
        std::uint64_t link = bucket_->overflow.load(std::memory_order_acquire);
        // Nothing but migrators extends this chain before the old chain is done, and nothing
        // freezes it before then: a non-zero link is a real bucket.
        if (link != 0) return table_.linked(link);
        const std::uint64_t fresh = table_.allocate_overflow();
        if (fresh == 0) {
          // The growth reserved as many overflow buckets as the old table held, which is
          // enough for its copies; only buckets linked there afterwards can need more. Wait
          // for memory rather than lose an entry.
          std::this_thread::yield();
          continue;
        }
        // acq_rel: publishes the zero-filled bucket to readers of the link; acquire on
        // failure: another migrator's bucket is the one to follow.
        if (bucket_->overflow.compare_exchange_strong(link, fresh, std::memory_order_acq_rel,
                                                      std::memory_order_acquire)) {
          return table_.linked(fresh);
        }
        table_.release_overflow(fresh);
        return table_.linked(link);
      }
    }

    ChainedTable& table_;
    HashBucket* bucket_;
    int index_ = 0;
  };
};

}  // namespace rskv::index
