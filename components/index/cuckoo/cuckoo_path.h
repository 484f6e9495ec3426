#pragma once
// Cuckoo displacement: a bounded breadth-first search for a chain of entries that can each
// step to their other bucket, ending at a bucket with a free slot, and the execution of that
// chain from its free end backwards, one locked two-bucket move at a time.
//
// The search reads without locks and is only a hint; every move re-validates under the two
// bucket locks (entry still there, unfrozen, its other bucket is the destination, destination
// has room, and the table is not being resized) and the chain is abandoned at the first
// failed check. A completed move leaves every entry reachable, so abandoning half way is safe.
//
// One move of entry w from bucket s to bucket d (both locked):
//   1. CAS s[i]: w -> frozen(w)   (retried only against try_update changing the address)
//   2. d[j] = frozen(w'), w' = w with the alternate bit flipped
//   3. bump the versions of s and d
//   4. s[i] = 0
//   5. d[j] = w'                 (unfreeze)
// While frozen, no copy can change, so a reader that sees either copy reads the current
// address. A reader that scans d before step 2 and s after step 4 missed the entry, but its
// load of s[i] = 0 (acquire) synchronises with step 4 and so its re-read of a version sees
// step 3: it retries (find in cuckoo_index.h). Had its first read of that version already
// seen step 3, its scan of d would have seen step 2. Every move of an entry goes between the
// same two buckets and bumps both, so the reader may watch either bucket's version.
//
// Between steps 1 and 2 a move records the frozen entry in the index's MoveLog when a
// checkpoint capture is scanning (cuckoo_capture.h: why that keeps the capture from missing
// it); when the record cannot be allocated the move is undone (the source word unfrozen) and
// refused.

#include <array>
#include <atomic>
#include <cstdint>

#include "components/index/cuckoo/cuckoo_bucket.h"
#include "components/index/cuckoo/cuckoo_capture.h"
#include "components/index/cuckoo/cuckoo_table.h"

namespace rskv::index {

class CuckooPath {
 public:
  /// Buckets on a path, both ends included.
  static constexpr int kMaxDepth = 6;
  /// Buckets the search may visit (a bound on its time, independent of the table size).
  static constexpr int kMaxNodes = 768;

  /// Searches from the two (full) candidate buckets. true when a bucket with a free slot is
  /// reachable within the bounds.
  bool search(const CuckooTable& t, std::uint64_t first, std::uint64_t second) {
    count_ = 0;
    nodes_[count_++] = Node{first, -1, -1, 0};
    nodes_[count_++] = Node{second, -1, -1, 0};
    for (int head = 0; head < count_; ++head) {
      const Node cur = nodes_[head];
      const CuckooBucket& b = t.bucket(cur.bucket);
      // relaxed: a hint only (see the file comment); moves re-check under the locks.
      CuckooEntry seen[CuckooBucket::kSlots];
      for (int s = 0; s < CuckooBucket::kSlots; ++s) {
        seen[s] = b.slots[s].load(std::memory_order_relaxed);
        if (seen[s].empty()) {
          target_ = head;
          return true;
        }
      }
      if (cur.depth + 1 >= kMaxDepth) continue;
      for (int s = 0; s < CuckooBucket::kSlots && count_ < kMaxNodes; ++s) {
        if (seen[s].frozen()) continue;
        nodes_[count_++] =
            Node{t.other_bucket(cur.bucket, seen[s].tag()), static_cast<std::int16_t>(head),
                 static_cast<std::int8_t>(s), static_cast<std::int8_t>(cur.depth + 1)};
      }
    }
    return false;
  }

  /// Runs the moves of the path found by search(), free end first. true when every move
  /// succeeded (a slot of the starting bucket is then free, unless a creator takes it first).
  bool execute(const CuckooTable& t, MoveLog& log) {
    int chain[kMaxDepth];
    int len = 0;
    for (int i = target_; i != -1; i = nodes_[i].parent) chain[len++] = i;
    // chain[0] is the bucket with room; chain[len - 1] is a starting bucket.
    for (int k = 0; k + 1 < len; ++k) {
      const Node& to = nodes_[chain[k]];
      const Node& from = nodes_[chain[k + 1]];
      if (!move(t, from.bucket, to.slot_in_parent, to.bucket, log)) return false;
    }
    return true;
  }

  /// Moves the entry in slot `slot` of bucket `from` to a free slot of bucket `to`, its other
  /// bucket. Refuses (false) when anything changed since the search, or when a running
  /// capture's record of the move cannot be allocated.
  static bool move(const CuckooTable& t, std::uint64_t from, int slot, std::uint64_t to,
                   MoveLog& log) {
    BucketPairLock lock(t, from, to);
    // acquire: pairs with the release store that starts a resize; once a resize is published
    // nothing moves inside this table (the migration relies on it).
    if (t.next_.load(std::memory_order_acquire) != nullptr) return false;
    CuckooBucket& src = t.bucket(from);
    CuckooBucket& dst = t.bucket(to);
    // acquire: under the lock only try_update changes the word, and only its address.
    CuckooEntry w = src.slots[slot].load(std::memory_order_acquire);
    if (!w.occupied() || w.frozen() || t.other_bucket(from, w.tag()) != to) return false;
    int free = -1;
    for (int s = 0; s < CuckooBucket::kSlots && free < 0; ++s) {
      if (dst.slots[s].load(std::memory_order_relaxed).empty()) free = s;  // locked: no race
    }
    if (free < 0) return false;
    // acq_rel: freezes the latest address; a failure means try_update changed it: retry.
    while (!src.slots[slot].compare_exchange(w, w.with_frozen(true), std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {
    }
    if (!log.record_if_capturing(t.identity_of(from, w), w.address())) [[unlikely]] {
      // release: as step 5; nothing else was written, and the locks kept the word frozen.
      src.slots[slot].store(w, std::memory_order_release);
      return false;
    }
    const CuckooEntry moved = w.with_alternate(!w.alternate());
    // release (steps 2-5): each store publishes the ones before it to a reader that acquires it.
    dst.slots[free].store(moved.with_frozen(true), std::memory_order_release);
    src.latch.bump_version();
    dst.latch.bump_version();
    src.slots[slot].store(CuckooEntry{}, std::memory_order_release);
    dst.slots[free].store(moved, std::memory_order_release);
    return true;
  }

 private:
  struct Node {
    std::uint64_t bucket;
    std::int16_t parent;         // index in nodes_, -1 for a starting bucket
    std::int8_t slot_in_parent;  // the slot of the parent whose entry moves into this bucket
    std::int8_t depth;           // 0 for a starting bucket
  };
  std::array<Node, kMaxNodes> nodes_;
  int count_ = 0;
  int target_ = -1;
};

}  // namespace rskv::index
