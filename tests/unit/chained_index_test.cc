// Unit tests for the chained index: insert/find/CAS, overflow buckets, the tentative protocol,
// growth on request and its limits, and the checkpoint members (capture, recovery, and the
// exclusion of capture and growth). Cases common to every index live in the conformance suite
// (tests/conformance/index_test.cc).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "components/common/hash.h"
#include "components/epoch/epoch.h"
#include "components/index/chained/chained_index.h"
#include "tests/support/test_support.h"

namespace rskv::index {
namespace {

IndexConfig small(std::uint64_t buckets) {
  IndexConfig c;
  c.initial_buckets = buckets;
  c.huge_pages = false;
  return c;
}

// find_or_create then find returns the same entry; try_update swings its address.
TEST(ChainedIndex, InsertFindUpdate) {
  ChainedIndex idx(small(1024));
  ChainedIndex::Handle h;
  std::uint64_t hash = hash_key("k");
  EXPECT_FALSE(idx.find(hash, h));
  ASSERT_EQ(idx.find_or_create(hash, h), Status::Ok);
  EXPECT_EQ(h.address(), 0u);
  EXPECT_TRUE(idx.try_update(h, 4096));
  ChainedIndex::Handle h2;
  ASSERT_TRUE(idx.find(hash, h2));
  EXPECT_EQ(h2.address(), 4096u);
  EXPECT_EQ(h2.slot, h.slot);
  EXPECT_EQ(idx.size(), 1u);
}

// A CAS from a stale handle fails and leaves the newer address in place.
TEST(ChainedIndex, StaleHandleCasFails) {
  ChainedIndex idx(small(16));
  ChainedIndex::Handle a, b;
  std::uint64_t hash = 0x1234'5678'9abc'def0ull;
  ASSERT_EQ(idx.find_or_create(hash, a), Status::Ok);
  b = a;
  EXPECT_TRUE(idx.try_update(a, 100));
  EXPECT_FALSE(idx.try_update(b, 200));
  ChainedIndex::Handle c;
  ASSERT_TRUE(idx.find(hash, c));
  EXPECT_EQ(c.address(), 100u);
}

// One bucket, many tags: the chain grows into overflow buckets and every entry is found.
TEST(ChainedIndex, OverflowBuckets) {
  IndexConfig cfg = small(1);
  cfg.max_overflow_chain = 1000;  // no automatic growth: the chain itself is under test
  ChainedIndex idx(cfg);
  constexpr int kTags = 200;
  for (int t = 0; t < kTags; ++t) {
    std::uint64_t hash = std::uint64_t(t) << IndexEntry::kTagShift;
    ChainedIndex::Handle h;
    ASSERT_EQ(idx.find_or_create(hash, h), Status::Ok);
    ASSERT_TRUE(idx.try_update(h, 64 + 8 * t));
  }
  EXPECT_GE(idx.overflow_buckets(), static_cast<std::uint64_t>(kTags / 7 - 1));
  for (int t = 0; t < kTags; ++t) {
    ChainedIndex::Handle h;
    ASSERT_TRUE(idx.find(std::uint64_t(t) << IndexEntry::kTagShift, h));
    EXPECT_EQ(h.address(), 64u + 8 * t);
  }
  EXPECT_EQ(idx.size(), static_cast<std::size_t>(kTags));
  EXPECT_GT(idx.memory_bytes(), 64u);
}

// Same bucket and tag means the same entry (the store tells keys apart in the log).
TEST(ChainedIndex, TagCollisionSharesEntry) {
  ChainedIndex idx(small(64));
  std::uint64_t h1 = (std::uint64_t{7} << IndexEntry::kTagShift) | 5;
  std::uint64_t h2 = h1 | (std::uint64_t{1} << 20);  // differs only outside bucket and tag
  ChainedIndex::Handle a, b;
  ASSERT_EQ(idx.find_or_create(h1, a), Status::Ok);
  ASSERT_EQ(idx.find_or_create(h2, b), Status::Ok);
  EXPECT_EQ(a.slot, b.slot);
}

// Threads racing to create overlapping tags in one bucket chain end with one entry per tag.
TEST(ChainedIndex, ConcurrentCreateNoDuplicates) {
  ChainedIndex idx(small(2));
  constexpr int kThreads = 4, kTags = 300;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kTags; ++i) {
        int tag = (i * 7 + t * 13) % kTags;
        ChainedIndex::Handle h;
        ASSERT_EQ(idx.find_or_create(std::uint64_t(tag) << IndexEntry::kTagShift, h), Status::Ok);
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(idx.size(), static_cast<std::size_t>(kTags));
}

// Concurrent CAS increments through the index never lose an update.
TEST(ChainedIndex, ConcurrentCasRace) {
  ChainedIndex idx(small(8));
  std::uint64_t hash = hash_key("counter");
  ChainedIndex::Handle h0;
  ASSERT_EQ(idx.find_or_create(hash, h0), Status::Ok);
  constexpr int kThreads = 4, kIncs = 20000;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < kIncs; ++i) {
        for (;;) {
          ChainedIndex::Handle h;
          ASSERT_TRUE(idx.find(hash, h));
          if (idx.try_update(h, h.address() + 8)) break;
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  ChainedIndex::Handle h;
  ASSERT_TRUE(idx.find(hash, h));
  EXPECT_EQ(h.address(), std::uint64_t{8} * kThreads * kIncs);
}

}  // namespace
}  // namespace rskv::index

namespace rskv::index {
namespace {

/// One thread's epoch protection for a scope.
class Protected {
 public:
  explicit Protected(epoch::EpochManager& m) : m_(m), slot_(m.acquire_slot()) { m_.protect(slot_); }
  ~Protected() {
    m_.unprotect(slot_);
    m_.release_slot(slot_);
  }
  Protected(const Protected&) = delete;
  Protected& operator=(const Protected&) = delete;
  void refresh() { m_.refresh(slot_); }

 private:
  epoch::EpochManager& m_;
  std::uint32_t slot_;
};

std::uint64_t address_of(std::uint64_t i) {
  return kFirstValidAddress + 8 * i;
}

/// Creates hash's entry (if absent) and sets it to `address`.
void install(ChainedIndex& idx, std::uint64_t hash, std::uint64_t address) {
  for (;;) {
    ChainedIndex::Handle h;
    ASSERT_EQ(idx.find_or_create(hash, h), Status::Ok);
    if (idx.try_update(h, address)) return;
  }
}

/// n random hashes of n distinct entries in an index built with 2^base_bits buckets (an
/// entry's identity: the hash's low base_bits and its tag; growth keeps it).
std::vector<std::uint64_t> distinct_hashes(std::size_t n, std::uint64_t seed, int base_bits) {
  std::mt19937_64 rng(seed);
  std::unordered_set<std::uint64_t> identities;
  std::vector<std::uint64_t> out;
  while (out.size() < n) {
    const std::uint64_t h = rng();
    const std::uint64_t id = (h & ((std::uint64_t{1} << base_bits) - 1)) |
                             (std::uint64_t{ChainedIndex::tag_of(h)} << base_bits);
    if (identities.insert(id).second) out.push_back(h);
  }
  return out;
}

// Purpose: grow() doubles the bucket array on request; every entry keeps its address, a handle
// taken before the growth cannot swap (it points into the replaced array) while a fresh one
// can, memory and load factor follow the new size, and the old array is freed by the epoch.
TEST(ChainedGrowth, GrowOnRequest) {
  epoch::EpochManager epoch;
  IndexConfig cfg = small(64);
  cfg.epoch = &epoch;
  cfg.max_overflow_chain = 1000;  // only explicit growth here
  ChainedIndex idx(cfg);
  const std::vector<std::uint64_t> hashes = distinct_hashes(64 * 7 * 2, test::test_seed(), 6);
  {
    Protected p(epoch);
    for (std::size_t i = 0; i < hashes.size(); ++i) install(idx, hashes[i], address_of(i));
  }
  const std::size_t entries = idx.size();
  const double load_before = idx.load_factor();
  const std::size_t bytes_before = idx.memory_bytes();
  ChainedIndex::Handle stale;
  ASSERT_TRUE(idx.find(hashes[0], stale));

  for (int round = 1; round <= 3; ++round) {
    Protected p(epoch);
    ASSERT_EQ(idx.grow(), Status::Ok);
    EXPECT_EQ(idx.num_buckets(), std::uint64_t{64} << round);
    EXPECT_EQ(idx.resize_count(), static_cast<std::uint64_t>(round));
    EXPECT_FALSE(idx.resize_in_progress());
  }
  EXPECT_FALSE(idx.try_update(stale, address_of(999999))) << "a handle into a replaced array";
  {
    Protected p(epoch);
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      ChainedIndex::Handle h;
      ASSERT_TRUE(idx.find(hashes[i], h)) << i;
      ASSERT_EQ(h.address(), address_of(i)) << i;
    }
    ChainedIndex::Handle fresh;
    ASSERT_TRUE(idx.find(hashes[0], fresh));
    EXPECT_TRUE(idx.try_update(fresh, address_of(7)));
    std::size_t visited = 0;
    idx.for_each_entry([&](std::uint64_t) { ++visited; });
    EXPECT_EQ(visited, entries);
  }
  EXPECT_EQ(idx.size(), entries);
  // 8x the buckets: the entries over 512 buckets' slots (plus any overflow slots).
  const double ideal = static_cast<double>(entries) / (512 * HashBucket::kEntries);
  EXPECT_LE(idx.load_factor(), ideal);
  EXPECT_GT(idx.load_factor(), 0.9 * ideal);
  EXPECT_LT(idx.load_factor(), load_before);
  epoch.drain();  // nobody is protected: the replaced arrays are freed
  EXPECT_EQ(epoch.pending_actions(), 0u);
  EXPECT_GE(idx.memory_bytes(), bytes_before) << "8x the buckets";
  EXPECT_GE(idx.memory_bytes(), 512 * sizeof(HashBucket));
  EXPECT_LT(idx.memory_bytes(), 3 * 512 * sizeof(HashBucket) + bytes_before)
      << "replaced arrays are no longer counted once freed";
}

// Purpose: every doubling moves a tag bit into the bucket number; once all 14 are bucket bits
// the index cannot double (OutOfMemory) and still holds every entry.
TEST(ChainedGrowth, StopsWhenTagBitsAreUsedUp) {
  ChainedIndex idx(small(1));  // no epoch manager: replaced arrays stay until destruction
  const std::vector<std::uint64_t> hashes = distinct_hashes(500, test::test_seed() + 1, 0);
  for (std::size_t i = 0; i < hashes.size(); ++i) install(idx, hashes[i], address_of(i));
  while (idx.num_buckets() < (std::uint64_t{1} << IndexEntry::kTagBits)) {
    ASSERT_EQ(idx.grow(), Status::Ok);
  }
  EXPECT_EQ(idx.grow(), Status::OutOfMemory);
  EXPECT_EQ(idx.num_buckets(), std::uint64_t{1} << IndexEntry::kTagBits);
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    ChainedIndex::Handle h;
    ASSERT_TRUE(idx.find(hashes[i], h)) << i;
  }
  EXPECT_GT(idx.memory_bytes(), (std::uint64_t{2} << IndexEntry::kTagBits) * sizeof(HashBucket))
      << "the replaced arrays are still held (no epoch manager)";
}

// Purpose: a chain that passes max_overflow_chain overflow buckets grows the index by itself;
// every entry is kept and chains end up short.
TEST(ChainedGrowth, LongChainGrowsAutomatically) {
  IndexConfig cfg = small(1);
  cfg.max_overflow_chain = 2;
  ChainedIndex idx(cfg);
  constexpr int kTags = 2000;
  for (int t = 0; t < kTags; ++t) {
    install(idx, std::uint64_t(t) << IndexEntry::kTagShift, address_of(t));
  }
  EXPECT_GE(idx.resize_count(), 5u);
  EXPECT_GE(idx.num_buckets(), std::uint64_t{kTags} / HashBucket::kEntries / 4);
  for (int t = 0; t < kTags; ++t) {
    ChainedIndex::Handle h;
    ASSERT_TRUE(idx.find(std::uint64_t(t) << IndexEntry::kTagShift, h)) << t;
    EXPECT_EQ(h.address(), address_of(t));
  }
  EXPECT_EQ(idx.size(), static_cast<std::size_t>(kTags));
}

// Purpose: explicit grow() calls from several threads racing inserts and swaps: each call
// returns with at least twice the buckets it saw, and no entry or swap is lost.
TEST(ChainedGrowth, ConcurrentGrowCalls) {
  epoch::EpochManager epoch;
  IndexConfig cfg = small(16);
  cfg.epoch = &epoch;
  ChainedIndex idx(cfg);
  const std::vector<std::uint64_t> hashes = distinct_hashes(4000, test::test_seed() + 2, 4);
  const std::uint64_t counter = hashes[0];
  {
    Protected p(epoch);
    install(idx, counter, 0);
  }
  std::atomic<std::uint64_t> swaps{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      Protected p(epoch);
      for (std::size_t i = 1 + t; i < hashes.size(); i += 2) {
        install(idx, hashes[i], address_of(i));
        ChainedIndex::Handle h;
        if (idx.find(counter, h) && idx.try_update(h, h.address() + 8)) swaps.fetch_add(1);
        if (i % 64 == 0) p.refresh();
      }
    });
  }
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      Protected p(epoch);
      for (int k = 0; k < 3; ++k) {
        const std::uint64_t seen = idx.num_buckets();
        ASSERT_EQ(idx.grow(), Status::Ok);
        EXPECT_GE(idx.num_buckets(), 2 * seen);
        p.refresh();
      }
    });
  }
  for (auto& th : threads) th.join();
  Protected p(epoch);
  for (std::size_t i = 1; i < hashes.size(); ++i) {
    ChainedIndex::Handle h;
    ASSERT_TRUE(idx.find(hashes[i], h)) << i;
    ASSERT_EQ(h.address(), address_of(i)) << i;
  }
  ChainedIndex::Handle h;
  ASSERT_TRUE(idx.find(counter, h));
  EXPECT_EQ(h.address(), 8 * swaps.load());
  EXPECT_EQ(idx.size(), hashes.size());
  EXPECT_GE(idx.num_buckets(), 16u * 8);
}

// ---- checkpoint members -----------------------------------------------------------------

// Purpose: fill (growing on the way), capture, then a fresh index of another initial size,
// prepared with the saved geometry and loaded through recover_entry, finds every hash at its
// address, and keeps working (inserts and growth) afterwards.
TEST(ChainedIndexCheckpoint, CaptureAndRecoverRoundTrip) {
  IndexConfig cfg = small(16);
  cfg.max_overflow_chain = 2;
  ChainedIndex idx(cfg);
  const std::vector<std::uint64_t> all =
      distinct_hashes(16 * 7 * 8 + 500, test::test_seed() + 3, 4);
  const std::vector<std::uint64_t> hashes(all.begin(), all.end() - 500);
  const std::vector<std::uint64_t> more(all.end() - 500, all.end());
  for (std::size_t i = 0; i < hashes.size(); ++i) install(idx, hashes[i], address_of(i));
  ASSERT_GE(idx.resize_count(), 1u);
  ASSERT_EQ(idx.grow(), Status::Ok);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> saved;
  idx.capture([&](std::uint64_t rep, std::uint64_t a) { saved.emplace_back(rep, a); });
  EXPECT_EQ(saved.size(), idx.size()) << "each entry exactly once when nothing runs";

  ChainedIndex fresh(small(1024));
  ASSERT_EQ(fresh.prepare_recovery(idx.checkpoint_geometry()), Status::Ok);
  EXPECT_EQ(fresh.checkpoint_geometry(), idx.checkpoint_geometry());
  EXPECT_EQ(fresh.num_buckets(), idx.num_buckets());
  for (const auto& [rep, a] : saved) ASSERT_TRUE(fresh.recover_entry(rep, a));
  EXPECT_EQ(fresh.size(), idx.size());
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    ChainedIndex::Handle h;
    ASSERT_TRUE(fresh.find(hashes[i], h)) << i;
    EXPECT_EQ(h.address(), address_of(i)) << i;
  }
  ASSERT_EQ(fresh.grow(), Status::Ok);
  for (std::size_t i = 0; i < more.size(); ++i) install(fresh, more[i], address_of(100000 + i));
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    ChainedIndex::Handle h;
    ASSERT_TRUE(fresh.find(hashes[i], h)) << i;
  }
}

// Purpose: prepare_recovery refuses geometries no index produces and a non-empty index.
TEST(ChainedIndexCheckpoint, PrepareRecoveryValidates) {
  ChainedIndex idx(small(16));
  const std::uint64_t g = idx.checkpoint_geometry();
  EXPECT_EQ(g, (std::uint64_t{4} << 8) | 4);
  EXPECT_EQ(idx.prepare_recovery(g), Status::Ok);
  EXPECT_EQ(idx.prepare_recovery((std::uint64_t{5} << 8) | 4), Status::InvalidArgument)
      << "fewer bucket bits than identity bits";
  EXPECT_EQ(idx.prepare_recovery((std::uint64_t{4} << 8) | 19), Status::InvalidArgument)
      << "more doublings than tag bits";
  EXPECT_EQ(idx.prepare_recovery(std::uint64_t{1} << 20), Status::InvalidArgument);
  EXPECT_EQ(idx.prepare_recovery((std::uint64_t{2} << 8) | 6), Status::Ok);
  EXPECT_EQ(idx.num_buckets(), 64u);
  ASSERT_TRUE(idx.recover_entry(12345, address_of(1)));
  EXPECT_EQ(idx.prepare_recovery((std::uint64_t{2} << 8) | 7), Status::InvalidArgument)
      << "not empty";
}

// Purpose: a capture concurrent with swaps and inserts from other threads visits every entry
// that existed throughout, with an address it held during the capture (addresses only grow
// here, so it lies between the ones seen before and after the capture), and recovering the
// capture finds every such entry.
TEST(ChainedIndexCheckpoint, CaptureConcurrentWithUpdates) {
  epoch::EpochManager epoch;
  IndexConfig cfg = small(256);
  cfg.epoch = &epoch;
  ChainedIndex idx(cfg);
  const std::size_t n = 256 * 7;
  const std::vector<std::uint64_t> all = distinct_hashes(2 * n, test::test_seed() + 5, 8);
  const std::vector<std::uint64_t> hashes(all.begin(), all.begin() + n);
  {
    Protected p(epoch);
    for (std::size_t i = 0; i < n; ++i) install(idx, hashes[i], std::uint64_t{1} << 20);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {  // swaps: every entry's address moves up by 8, round after round
    Protected p(epoch);
    started.fetch_add(1);
    for (std::uint64_t round = 0; !stop.load(); ++round) {
      for (std::size_t i = 0; i < n; ++i) {
        ChainedIndex::Handle h;
        if (idx.find(hashes[i], h)) (void)idx.try_update(h, h.address() + 8);
      }
      p.refresh();
    }
  });
  threads.emplace_back([&] {  // inserts of new entries
    Protected p(epoch);
    started.fetch_add(1);
    for (std::size_t i = n; i < all.size() && !stop.load(); ++i) {
      install(idx, all[i], address_of(i));
      if (i % 64 == 0) p.refresh();
    }
  });
  while (started.load() < 2) std::this_thread::yield();
  std::vector<std::uint64_t> low(n), high(n);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> saved;
  {
    Protected p(epoch);
    ChainedIndex::Handle h;
    for (std::size_t i = 0; i < n; ++i) low[i] = idx.find(hashes[i], h) ? h.address() : 0;
  }
  idx.capture([&](std::uint64_t rep, std::uint64_t a) { saved.emplace_back(rep, a); });
  {
    Protected p(epoch);
    ChainedIndex::Handle h;
    for (std::size_t i = 0; i < n; ++i) high[i] = idx.find(hashes[i], h) ? h.address() : 0;
  }
  stop.store(true);
  for (auto& t : threads) t.join();

  ChainedIndex fresh(small(4));
  ASSERT_EQ(fresh.prepare_recovery(idx.checkpoint_geometry()), Status::Ok);
  for (const auto& [rep, a] : saved) ASSERT_TRUE(fresh.recover_entry(rep, a));
  for (std::size_t i = 0; i < n; ++i) {
    ChainedIndex::Handle h;
    ASSERT_TRUE(fresh.find(hashes[i], h)) << "entry #" << i << " not captured";
    EXPECT_GE(h.address(), low[i]) << i;
    EXPECT_LE(h.address(), high[i]) << i;
  }
}

struct HookGate {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false;
  bool released = false;
  static void hold(void* ctx) {
    auto* g = static_cast<HookGate*>(ctx);
    std::unique_lock lock(g->mu);
    g->entered = true;
    g->cv.notify_all();
    g->cv.wait(lock, [g] { return g->released; });
  }
  bool wait_entered() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(60), [this] { return entered; });
  }
  void release() {
    {
      std::lock_guard lock(mu);
      released = true;
    }
    cv.notify_all();
  }
};

// Purpose: a capture started while a growth is held open waits for it: it scans only the
// grown table, with no growth running (capture and growth are exclusive phases).
TEST(ChainedIndexCheckpoint, CaptureWaitsForRunningGrowth) {
  epoch::EpochManager epoch;
  IndexConfig cfg = small(64);
  cfg.epoch = &epoch;
  ChainedIndex idx(cfg);
  const std::vector<std::uint64_t> hashes = distinct_hashes(300, test::test_seed() + 6, 6);
  for (std::size_t i = 0; i < hashes.size(); ++i) install(idx, hashes[i], address_of(i));
  HookGate gate;
  idx.set_resize_hook(&HookGate::hold, &gate);
  std::thread grower([&] {
    Protected p(epoch);
    EXPECT_EQ(idx.grow(), Status::Ok);
  });
  ASSERT_TRUE(gate.wait_entered());
  std::atomic<bool> captured{false};
  std::size_t visits = 0, during_growth = 0;
  std::thread capturer([&] {
    idx.capture([&](std::uint64_t, std::uint64_t) {
      ++visits;
      if (idx.resize_in_progress() || idx.num_buckets() != 128) ++during_growth;
    });
    captured.store(true);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // give the capture a chance
  EXPECT_FALSE(captured.load()) << "the capture ran while the growth was open";
  gate.release();
  grower.join();
  capturer.join();
  EXPECT_EQ(visits, hashes.size());
  EXPECT_EQ(during_growth, 0u);
}

// Purpose: no growth starts while a capture runs: an explicit grow() waits for the capture to
// end, and an insert into a long chain does not start one (it completes without it).
TEST(ChainedIndexCheckpoint, GrowthWaitsForCapture) {
  IndexConfig cfg = small(64);
  cfg.max_overflow_chain = 1;
  ChainedIndex idx(cfg);
  const std::vector<std::uint64_t> hashes = distinct_hashes(200, test::test_seed() + 7, 6);
  for (std::size_t i = 0; i < hashes.size(); ++i) install(idx, hashes[i], address_of(i));
  ASSERT_EQ(idx.resize_count(), 0u);
  std::atomic<bool> grow_called{false};
  std::thread grower;
  bool first = true;
  std::uint64_t grown_inside = 0;
  idx.capture([&](std::uint64_t, std::uint64_t) {
    if (!first) return;
    first = false;
    grower = std::thread([&] {
      grow_called.store(true);
      EXPECT_EQ(idx.grow(), Status::Ok);
    });
    while (!grow_called.load()) std::this_thread::yield();
    // One bucket's chain far past the bound: automatic growth would start here.
    for (std::uint64_t t = 1; t < 100; ++t) install(idx, t << IndexEntry::kTagShift, address_of(t));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // give grow() a chance
    grown_inside = idx.resize_count();
  });
  grower.join();
  EXPECT_EQ(grown_inside, 0u) << "a growth started during the capture";
  EXPECT_EQ(idx.resize_count(), 1u);
  EXPECT_EQ(idx.num_buckets(), 128u);
  for (std::uint64_t t = 1; t < 100; ++t) {
    ChainedIndex::Handle h;
    ASSERT_TRUE(idx.find(t << IndexEntry::kTagShift, h)) << t;
  }
}

// Purpose: hold_growth keeps growth off until release_growth: an insert into a long chain
// completes without growing, an explicit grow() waits and then runs; captures still run.
TEST(ChainedIndexCheckpoint, HoldGrowthKeepsGrowthOff) {
  IndexConfig cfg = small(64);
  cfg.max_overflow_chain = 1;
  ChainedIndex idx(cfg);
  idx.hold_growth();
  for (std::uint64_t t = 1; t < 100; ++t) install(idx, t << IndexEntry::kTagShift, address_of(t));
  EXPECT_EQ(idx.resize_count(), 0u) << "automatic growth during a hold";
  std::atomic<bool> grown{false};
  std::thread grower([&] {
    EXPECT_EQ(idx.grow(), Status::Ok);
    grown.store(true);
  });
  std::size_t visited = 0;
  idx.capture([&](std::uint64_t, std::uint64_t) { ++visited; });  // nests with the hold
  EXPECT_EQ(visited, 99u);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // give grow() a chance
  EXPECT_FALSE(grown.load()) << "grow() ran during a hold";
  EXPECT_EQ(idx.num_buckets(), 64u);
  idx.release_growth();
  grower.join();
  EXPECT_EQ(idx.num_buckets(), 128u);
  for (std::uint64_t t = 1; t < 100; ++t) {
    ChainedIndex::Handle h;
    ASSERT_TRUE(idx.find(t << IndexEntry::kTagShift, h)) << t;
    EXPECT_EQ(h.address(), address_of(t));
  }
}

}  // namespace
}  // namespace rskv::index
