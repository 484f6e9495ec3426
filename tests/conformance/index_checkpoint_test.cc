// Conformance suite for the index checkpoint members of every index policy
// (checkpoint_geometry, prepare_recovery, capture, recover_entry), written once as typed
// tests, plus the cuckoo index's own cases at the end: a capture among heavy displacement, a
// capture against a resize held open, and a capture that keeps a resize out.
//
// What a capture must do (policies/index_policy.h and the indexes' own comments): visit every
// entry that exists for the whole capture at least once, with an address it held at some
// moment during the capture; rep_hash, replayed through recover_entry on an index prepared
// with the saved geometry, must address the entry that the entry's hashes find.
//
// Addresses. Entry i's addresses encode (i, version) (address_of), so a visit names its entry
// by address alone and a test can tell which versions an entry may be visited with. Hashes are
// distinct entries in every index (distinct_hashes, as in index_test.cc).
//
// Concurrency cases run their worker threads under epoch protection and check invariants after
// each capture. No case depends on timing: where a case sleeps, it only gives another thread
// the chance to reach a blocking point, and what it then asserts holds either way. Seeds are
// printed and replayable with RSKV_SEED.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

#include "components/epoch/epoch.h"
#include "components/index/chained/chained_index.h"
#include "components/index/cuckoo/cuckoo_index.h"
#include "policies/bundles.h"
#include "policies/index_policy.h"
#include "tests/support/test_support.h"

namespace rskv::index {
namespace {

#ifdef RSKV_TSAN
constexpr std::size_t kScale = 4;  // ThreadSanitizer runs the same cases at a quarter size
#else
constexpr std::size_t kScale = 1;
#endif

constexpr int kInitialBucketBits = 10;
constexpr std::uint64_t kInitialBuckets = std::uint64_t{1} << kInitialBucketBits;
constexpr std::size_t kInitialSlots = kInitialBuckets * 7;  // both policies: seven per bucket

// ---- hashes, addresses, epoch sessions ------------------------------------------------------

/// The (bucket, tag) a chained index of kInitialBuckets gives a hash.
std::uint64_t chained_identity(std::uint64_t h) {
  return (h & (kInitialBuckets - 1)) | (((h >> 48) & 0x3fff) << kInitialBucketBits);
}

/// n hashes that are n distinct entries in both indexes at kInitialBuckets (growth only
/// refines entries): distinct top 10 + 13 bits (cuckoo) and distinct (bucket, tag) (chained).
std::vector<std::uint64_t> distinct_hashes(std::size_t n, std::uint64_t seed) {
  constexpr int kCuckooBits = kInitialBucketBits + 13;
  std::mt19937_64 rng(seed);
  std::unordered_set<std::uint64_t> cuckoo, chained;
  std::vector<std::uint64_t> out;
  out.reserve(n);
  while (out.size() < n) {
    const std::uint64_t h = rng();
    if (!cuckoo.insert(h >> (64 - kCuckooBits)).second) continue;
    if (!chained.insert(chained_identity(h)).second) {
      cuckoo.erase(h >> (64 - kCuckooBits));
      continue;
    }
    out.push_back(h);
  }
  return out;
}

constexpr int kVersionBits = 20;
constexpr std::uint64_t kMaxVersion = (std::uint64_t{1} << kVersionBits) - 1;

/// The address of version v of entry i: distinct for every (i, v), valid, 8-byte aligned.
std::uint64_t address_of(std::uint64_t i, std::uint64_t v) {
  return kFirstValidAddress + ((i << kVersionBits) | v) * 8;
}
/// (i, v) of an address made by address_of.
std::pair<std::uint64_t, std::uint64_t> decode(std::uint64_t address) {
  const std::uint64_t x = (address - kFirstValidAddress) / 8;
  return {x >> kVersionBits, x & kMaxVersion};
}

/// One thread's epoch protection for the duration of a scope.
class EpochSession {
 public:
  explicit EpochSession(epoch::EpochManager& m) : m_(m), slot_(m.acquire_slot()) {
    m_.protect(slot_);
  }
  ~EpochSession() {
    m_.unprotect(slot_);
    m_.release_slot(slot_);
  }
  EpochSession(const EpochSession&) = delete;
  EpochSession& operator=(const EpochSession&) = delete;
  /// Refreshes every 256 calls, like a store session.
  void tick() {
    if ((++ops_ & 255) == 0) m_.refresh(slot_);
  }

 private:
  epoch::EpochManager& m_;
  std::uint32_t slot_;
  std::uint64_t ops_ = 0;
};

/// Worker threads joined when the scope ends, also when an assertion of the test body returns
/// early: `stop` (if given) is set first, so that workers that loop until told finish.
class JoinOnExit {
 public:
  explicit JoinOnExit(std::atomic<bool>* stop = nullptr) : stop_(stop) {}
  ~JoinOnExit() { join(); }
  JoinOnExit(const JoinOnExit&) = delete;
  JoinOnExit& operator=(const JoinOnExit&) = delete;
  template <class Body>
  void start(Body&& body) {
    threads_.emplace_back(std::forward<Body>(body));
  }
  void join() {
    if (stop_ != nullptr) stop_->store(true);
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::atomic<bool>* stop_;
  std::vector<std::thread> threads_;
};

/// What one capture saw: every (rep_hash, address) pair in visiting order.
using Visits = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

template <class Index>
Visits capture_all(Index& index) {
  Visits visits;
  index.capture([&](std::uint64_t rep_hash, std::uint64_t address) {
    visits.emplace_back(rep_hash, address);
  });
  return visits;
}

/// Sets hash's entry (created if absent) to `address`, retrying through moves. false only when
/// the index is out of memory.
template <class Index>
bool set_address(Index& index, std::uint64_t hash, std::uint64_t address) {
  for (;;) {
    typename Index::Handle h;
    if (index.find_or_create(hash, h) != Status::Ok) return false;
    if (index.try_update(h, address)) return true;
  }
}

template <class Index>
std::unique_ptr<Index> make_index(std::uint64_t buckets, epoch::EpochManager* e) {
  IndexConfig cfg;
  cfg.initial_buckets = buckets;
  cfg.huge_pages = false;
  cfg.epoch = e;
  return std::make_unique<Index>(cfg);
}

/// A fresh index (another initial size than the saved one, on purpose) prepared with
/// `geometry` and loaded with `visits` in order, as recovery would.
template <class Index>
std::unique_ptr<Index> recover(std::uint64_t geometry, const Visits& visits) {
  auto fresh = make_index<Index>(kInitialBuckets / 4, nullptr);
  EXPECT_EQ(fresh->prepare_recovery(geometry), Status::Ok) << "geometry " << geometry;
  for (const auto& [rep_hash, address] : visits) {
    EXPECT_TRUE(fresh->recover_entry(rep_hash, address));
  }
  return fresh;
}

// ---- typed suite over every index policy ----------------------------------------------------

template <class Index>
class IndexCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override { seed_ = test::test_seed(); }
  std::unique_ptr<Index> make() { return make_index<Index>(kInitialBuckets, epoch_.get()); }

  std::unique_ptr<epoch::EpochManager> epoch_ = std::make_unique<epoch::EpochManager>();
  std::uint64_t seed_ = 0;
};

// Every index policy of the compiled bundles (policies/bundles.h: IndexBundles).
template <class Tuple>
struct IndexTypesOf;
template <class... S>
struct IndexTypesOf<std::tuple<S...>> {
  using type = ::testing::Types<typename S::IndexType...>;
};
using IndexTypes = IndexTypesOf<IndexBundles>::type;

class IndexNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::string(T::kName);
  }
};
TYPED_TEST_SUITE(IndexCheckpoint, IndexTypes, IndexNames);

// Purpose: a capture of a quiet index, replayed into a fresh index prepared with the saved
// geometry, gives every hash the address it had; an empty index captures nothing.
TYPED_TEST(IndexCheckpoint, RoundTrip) {
  auto index = this->make();
  EXPECT_TRUE(capture_all(*index).empty()) << "an empty index has nothing to capture";

  // Twice the initial slots: the cuckoo index grows, the chained index overflows.
  const std::size_t n = 2 * kInitialSlots;
  const std::vector<std::uint64_t> hashes = distinct_hashes(n, this->seed_);
  {
    EpochSession session(*this->epoch_);
    for (std::size_t i = 0; i < n; ++i) {
      session.tick();
      ASSERT_TRUE(set_address(*index, hashes[i], address_of(i, 1))) << "hash #" << i;
    }
  }
  const Visits visits = capture_all(*index);
  std::vector<int> seen(n, 0);
  for (const auto& [rep_hash, address] : visits) {
    const auto [i, v] = decode(address);
    ASSERT_LT(i, n) << "unknown address " << address;
    EXPECT_EQ(v, 1u) << "entry " << i << " visited with an address it never held";
    ++seen[i];
  }
  for (std::size_t i = 0; i < n; ++i) ASSERT_GE(seen[i], 1) << "entry " << i << " missed";

  const std::uint64_t geometry = index->checkpoint_geometry();
  auto fresh = recover<TypeParam>(geometry, visits);
  for (std::size_t i = 0; i < n; ++i) {
    typename TypeParam::Handle h;
    ASSERT_TRUE(fresh->find(hashes[i], h)) << "hash #" << i << " lost by recovery";
    EXPECT_EQ(h.address(), address_of(i, 1)) << "hash #" << i;
  }
  EXPECT_EQ(fresh->size(), index->size());

  // The recovered index is an ordinary index: it updates and creates.
  typename TypeParam::Handle h;
  ASSERT_TRUE(fresh->find(hashes[0], h));
  EXPECT_TRUE(fresh->try_update(h, address_of(0, 2)));
  const std::uint64_t extra = distinct_hashes(n + 1, this->seed_).back();
  ASSERT_TRUE(set_address(*fresh, extra, address_of(n, 1)));
  ASSERT_TRUE(fresh->find(extra, h));
  EXPECT_EQ(h.address(), address_of(n, 1));
}

// Purpose: prepare_recovery rejects a geometry no index produces and leaves the index usable.
TYPED_TEST(IndexCheckpoint, PrepareRecoveryRejectsImpossibleGeometry) {
  auto index = make_index<TypeParam>(kInitialBuckets, nullptr);
  EXPECT_EQ(index->prepare_recovery(~std::uint64_t{0}), Status::InvalidArgument);
  const std::uint64_t hash = distinct_hashes(1, this->seed_)[0];
  ASSERT_TRUE(set_address(*index, hash, address_of(0, 1)));
  typename TypeParam::Handle h;
  ASSERT_TRUE(index->find(hash, h));
  EXPECT_EQ(h.address(), address_of(0, 1));
}

// Purpose: captures run while one thread updates entries and another inserts new ones (the
// cuckoo index grows in between). Each capture visits every entry that existed before it with
// an address it held during the capture (exactly its address when it did not change), and its
// replay into a fresh index gives each such hash one of the addresses the capture visited.
TYPED_TEST(IndexCheckpoint, CaptureConcurrentWithUpdatesAndInserts) {
  auto index = this->make();
  const std::size_t pre = kInitialSlots / 2;                // present before any capture
  const std::size_t inserted = 2 * kInitialSlots / kScale;  // created while captures run
  const std::size_t n = pre + inserted;
  const std::vector<std::uint64_t> hashes = distinct_hashes(n, this->seed_ + 1);
  {
    EpochSession session(*this->epoch_);
    for (std::size_t i = 0; i < pre; ++i)
      ASSERT_TRUE(set_address(*index, hashes[i], address_of(i, 0)));
  }
  // The updater owns the even entries below `pre` and publishes each version it installed
  // (after the swap: an entry may hold version[i] + 1 before version[i] says so).
  std::vector<std::atomic<std::uint64_t>> version(pre);
  std::atomic<std::size_t> created{0};  // entries pre .. pre + created - 1 exist
  std::atomic<bool> stop{false}, inserter_done{false};
  JoinOnExit workers(&stop);
  workers.start([&] {  // the updater
    EpochSession session(*this->epoch_);
    std::mt19937_64 rng(this->seed_ + 10);
    while (!stop.load(std::memory_order_relaxed)) {
      session.tick();
      const std::size_t i = 2 * (rng() % (pre / 2));
      const std::uint64_t v = version[i].load(std::memory_order_relaxed);
      if (v + 1 >= kMaxVersion) continue;
      typename TypeParam::Handle h;
      ASSERT_TRUE(index->find(hashes[i], h));
      ASSERT_EQ(h.address(), address_of(i, v));
      if (index->try_update(h, address_of(i, v + 1))) {
        version[i].store(v + 1, std::memory_order_release);
      }
    }
  });
  workers.start([&] {  // the inserter
    EpochSession session(*this->epoch_);
    for (std::size_t i = pre; i < n && !stop.load(std::memory_order_relaxed); ++i) {
      session.tick();
      ASSERT_TRUE(set_address(*index, hashes[i], address_of(i, 0)));
      created.store(i - pre + 1, std::memory_order_release);
    }
    inserter_done.store(true);
  });

  int captures = 0;
  std::size_t recovered_checks = 0;
  std::vector<std::uint64_t> before(pre);
  for (; captures < 20 || !inserter_done.load(); ++captures) {
    // acquire: what the threads published before the capture starts exists before it.
    const std::size_t created_before = created.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < pre; i += 2) before[i] = version[i].load(std::memory_order_acquire);
    const Visits visits = capture_all(*index);
    std::vector<std::vector<std::uint64_t>> seen(n);
    for (const auto& [rep_hash, address] : visits) {
      if (address == 0) continue;  // an entry created during the capture, before its first swap
      const auto [i, v] = decode(address);
      ASSERT_LT(i, n) << "unknown address " << address;
      seen[i].push_back(address);
      if (i < pre && i % 2 == 0) {
        // An address held during the capture: a version from `before` (or later) up to one
        // past what the updater published after the capture.
        const std::uint64_t after = version[i].load(std::memory_order_acquire);
        EXPECT_GE(v, before[i]) << "entry " << i
                                << " visited with an address older than the capture";
        EXPECT_LE(v, after + 1) << "entry " << i;
      } else {
        EXPECT_EQ(v, 0u) << "entry " << i << " never changed";
      }
    }
    for (std::size_t i = 0; i < pre + created_before; ++i) {
      ASSERT_FALSE(seen[i].empty()) << "capture " << captures << " missed entry " << i;
    }
    if (captures % 2 == 0) {
      // Replay the capture: every entry present before it resolves to a visited address.
      auto fresh = recover<TypeParam>(index->checkpoint_geometry(), visits);
      for (std::size_t i = 0; i < pre + created_before; ++i) {
        typename TypeParam::Handle h;
        ASSERT_TRUE(fresh->find(hashes[i], h)) << "hash #" << i << " lost by recovery";
        bool visited = false;
        for (std::uint64_t a : seen[i]) visited = visited || a == h.address();
        EXPECT_TRUE(visited) << "hash #" << i << " recovered to an address the capture never saw";
        ++recovered_checks;
      }
    }
  }
  workers.join();
  EXPECT_GT(recovered_checks, 0u);
  std::printf("[checkpoint] %s: %d captures during updates and inserts\n",
              std::string(TypeParam::kName).c_str(), captures);
}

// ---- cuckoo index: displacement and resize -------------------------------------------------

class CuckooCapture : public ::testing::Test {
 protected:
  void SetUp() override { seed_ = test::test_seed(); }

  /// Fills entries [0, count) of hashes with version-0 addresses.
  static void fill(CuckooIndex& index, epoch::EpochManager& epoch,
                   const std::vector<std::uint64_t>& hashes, std::size_t count) {
    EpochSession session(epoch);
    for (std::size_t i = 0; i < count; ++i) {
      session.tick();
      ASSERT_TRUE(set_address(index, hashes[i], address_of(i, 0))) << "hash #" << i;
    }
  }
  /// Every entry below `count` was visited, each with its version-0 address.
  static void expect_all_visited(const Visits& visits, std::size_t count, const char* what) {
    std::vector<char> seen(count, 0);
    for (const auto& [rep_hash, address] : visits) {
      if (address == 0) continue;  // an entry created during the capture, before its first swap
      const auto [i, v] = decode(address);
      if (i < count) {
        EXPECT_EQ(v, 0u) << what << ": entry " << i;
        seen[i] = 1;
      }
    }
    std::size_t missed = 0;
    for (std::size_t i = 0; i < count; ++i) missed += seen[i] == 0;
    EXPECT_EQ(missed, 0u) << what << ": entries missed out of " << count;
  }

  /// Lets a capture callback stop once, at a chosen visit, until the test resumes it.
  struct Pause {
    std::mutex mu;
    std::condition_variable cv;
    bool paused = false;
    bool resumed = false;
    void enter() {
      std::unique_lock lock(mu);
      paused = true;
      cv.notify_all();
      cv.wait(lock, [this] { return resumed; });
    }
    void wait_paused() {
      std::unique_lock lock(mu);
      cv.wait(lock, [this] { return paused; });
    }
    void resume() {
      std::lock_guard lock(mu);
      resumed = true;
      cv.notify_all();
    }
  };

  std::uint64_t seed_ = 0;
};

// Purpose: displacements that move entries across a capture's scan position, from buckets it
// has not visited into buckets it has, do not make it miss them (the capture replays the moves
// it recorded); and captures repeated while two threads insert through the load bound, with
// resizes in between, miss nothing present before them.
TEST_F(CuckooCapture, HeavyDisplacementMissesNothing) {
  epoch::EpochManager epoch;
  auto index = make_index<CuckooIndex>(kInitialBuckets, &epoch);
  const std::size_t base = kInitialSlots * 90 / 100;     // 0.90 full: most inserts displace
  const std::size_t during = kInitialSlots * 3 / 100;    // up to 0.93, below the resize bound
  const std::size_t later = 8 * kInitialSlots / kScale;  // the concurrent part: growth
  const std::vector<std::uint64_t> hashes = distinct_hashes(base + during + later, seed_);
  fill(*index, epoch, hashes, base);
  ASSERT_EQ(index->resize_count(), 0u);

  // 1. A capture stopped half way while another thread displaces entries.
  Pause pause;
  Visits visits;
  std::thread capturer([&] {
    std::size_t count = 0;
    index->capture([&](std::uint64_t rep_hash, std::uint64_t address) {
      visits.emplace_back(rep_hash, address);
      if (++count == base / 2) pause.enter();
    });
  });
  pause.wait_paused();
  std::atomic<bool> inserts_done{false};
  std::thread inserter([&] {
    EpochSession session(epoch);
    for (std::size_t i = base; i < base + during; ++i) {
      ASSERT_TRUE(set_address(*index, hashes[i], address_of(i, 0)));
    }
    inserts_done.store(true);
  });
  // The inserts need no resize, so they finish while the capture is stopped. Should one find
  // no displacement path, it waits for the capture: resume after a bound rather than hang.
  for (int waited = 0; !inserts_done.load() && waited < 3000; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pause.resume();
  capturer.join();
  inserter.join();
  expect_all_visited(visits, base, "stopped capture");
  EXPECT_GT(index->capture_moves_replayed(), 0u) << "no displacement happened during the capture";
  std::printf("[checkpoint] stopped capture replayed %llu moves\n",
              static_cast<unsigned long long>(index->capture_moves_replayed()));

  // 2. Captures in a loop while two threads insert from 0.93 full through several resizes.
  const std::size_t first = base + during;
  std::vector<std::atomic<std::size_t>> progress(2);  // entries first + t, first + t + 2, ...
  std::atomic<int> writers_left{2};
  JoinOnExit writers;
  for (int t = 0; t < 2; ++t) {
    writers.start([&, t] {
      EpochSession session(epoch);
      std::size_t mine = 0;
      for (std::size_t i = first + t; i < first + later; i += 2) {
        session.tick();
        ASSERT_TRUE(set_address(*index, hashes[i], address_of(i, 0)));
        progress[t].store(++mine, std::memory_order_release);
      }
      writers_left.fetch_sub(1);
    });
  }
  std::uint64_t captures = 0, replayed = 0;
  while (writers_left.load() > 0) {
    std::size_t done[2];
    for (int t = 0; t < 2; ++t) done[t] = progress[t].load(std::memory_order_acquire);
    const Visits during_visits = capture_all(*index);
    ++captures;
    replayed += index->capture_moves_replayed();
    std::vector<char> seen(hashes.size(), 0);
    for (const auto& [rep_hash, address] : during_visits) {
      if (address == 0) continue;  // an entry created during the capture, before its first swap
      const auto [i, v] = decode(address);
      ASSERT_LT(i, hashes.size());
      EXPECT_EQ(v, 0u);
      seen[i] = 1;
    }
    for (std::size_t i = 0; i < first; ++i) ASSERT_TRUE(seen[i]) << "capture missed entry " << i;
    for (int t = 0; t < 2; ++t) {
      for (std::size_t k = 0; k < done[t]; ++k) {
        ASSERT_TRUE(seen[first + t + 2 * k]) << "capture missed entry " << first + t + 2 * k;
      }
    }
  }
  writers.join();
  EXPECT_GE(index->resize_count(), 1u);
  expect_all_visited(capture_all(*index), hashes.size(), "final capture");
  std::printf("[checkpoint] %llu captures during inserts, %llu moves replayed, %llu resizes\n",
              static_cast<unsigned long long>(captures), static_cast<unsigned long long>(replayed),
              static_cast<unsigned long long>(index->resize_count()));
}

// Purpose: a capture started while the resize hook holds a resize open waits for it, completes
// once the hook lets go and the resize finishes, and misses nothing.
TEST_F(CuckooCapture, WaitsForResizeHeldOpen) {
  epoch::EpochManager epoch;
  auto index = make_index<CuckooIndex>(kInitialBuckets, &epoch);
  Pause hook;
  index->set_resize_hook([](void* ctx) { static_cast<Pause*>(ctx)->enter(); }, &hook);
  const std::vector<std::uint64_t> hashes = distinct_hashes(2 * kInitialSlots, seed_);
  std::atomic<std::size_t> installed{0};
  // The filler installs hashes in order until it starts a resize and blocks in the hook.
  std::thread filler([&] {
    EpochSession session(epoch);
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      session.tick();
      ASSERT_TRUE(set_address(*index, hashes[i], address_of(i, 0)));
      installed.store(i + 1, std::memory_order_release);
    }
  });
  hook.wait_paused();
  EXPECT_TRUE(index->resize_in_progress());
  const std::size_t before = installed.load(std::memory_order_acquire);

  std::atomic<bool> captured{false};
  Visits visits;
  std::thread capturer([&] {
    visits = capture_all(*index);
    captured.store(true);
  });
  // Give the capture time to reach the gate; whatever it did meanwhile, it cannot be done.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(captured.load()) << "a capture completed while a resize was held open";
  EXPECT_TRUE(index->resize_in_progress());
  hook.resume();
  capturer.join();
  EXPECT_TRUE(captured.load());
  filler.join();
  expect_all_visited(visits, before, "capture after the held resize");
  EXPECT_GE(index->resize_count(), 1u);
  expect_all_visited(capture_all(*index), hashes.size(), "final capture");
}

// Purpose: a resize does not start while a capture runs: a creator that needs one (the table
// is full and no displacement helps) waits until the capture ends; then the resize runs and
// nothing is lost.
TEST_F(CuckooCapture, ResizeWaitsForCapture) {
  epoch::EpochManager epoch;
  auto index = make_index<CuckooIndex>(kInitialBuckets, &epoch);
  const std::size_t base = kInitialSlots / 2;
  const std::vector<std::uint64_t> hashes = distinct_hashes(2 * kInitialSlots, seed_);
  fill(*index, epoch, hashes, base);

  Pause pause;
  Visits visits;
  std::thread capturer([&] {
    bool first = true;
    index->capture([&](std::uint64_t rep_hash, std::uint64_t address) {
      visits.emplace_back(rep_hash, address);
      if (first) pause.enter();
      first = false;
    });
  });
  pause.wait_paused();
  std::atomic<bool> inserts_done{false};
  std::thread inserter([&] {
    EpochSession session(epoch);
    // More entries than the table has slots: impossible without a resize.
    for (std::size_t i = base; i < hashes.size(); ++i) {
      session.tick();
      ASSERT_TRUE(set_address(*index, hashes[i], address_of(i, 0)));
    }
    inserts_done.store(true);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(index->resize_count(), 0u) << "a resize started during a capture";
  EXPECT_FALSE(index->resize_in_progress());
  EXPECT_FALSE(inserts_done.load()) << "the table cannot hold them all without a resize";
  pause.resume();
  capturer.join();
  inserter.join();
  EXPECT_GE(index->resize_count(), 1u);
  expect_all_visited(visits, base, "the capture");
  EpochSession session(epoch);
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    CuckooIndex::Handle h;
    ASSERT_TRUE(index->find(hashes[i], h)) << "hash #" << i << " lost";
    EXPECT_EQ(h.address(), address_of(i, 0));
  }
}

// Purpose: prepare_recovery accepts exactly the geometries an index can produce, refuses a
// non-empty index, and a prepared index takes the saved identity width (a checkpoint of an
// index built with another initial size still recovers).
TEST_F(CuckooCapture, PrepareRecoveryValidatesGeometry) {
  auto index = make_index<CuckooIndex>(kInitialBuckets, nullptr);
  const std::uint64_t own = index->checkpoint_geometry();
  EXPECT_EQ(own & 0xff, static_cast<std::uint64_t>(kInitialBucketBits)) << "bucket bits";
  EXPECT_EQ(own >> 8, static_cast<std::uint64_t>(kInitialBucketBits + 13)) << "identity bits";
  auto geometry = [](std::uint64_t identity_bits, std::uint64_t bucket_bits) {
    return (identity_bits << 8) | bucket_bits;
  };
  EXPECT_EQ(index->prepare_recovery(geometry(23, 1)), Status::InvalidArgument) << "< 4 buckets";
  EXPECT_EQ(index->prepare_recovery(geometry(30, 10)), Status::InvalidArgument) << "20-bit tag";
  EXPECT_EQ(index->prepare_recovery(geometry(23, 24)), Status::InvalidArgument) << "negative tag";
  EXPECT_EQ(index->prepare_recovery(geometry(14, 2)), Status::InvalidArgument) << "identity < 15";
  EXPECT_EQ(index->prepare_recovery(own | (std::uint64_t{1} << 16)), Status::InvalidArgument);
  EXPECT_EQ(index->prepare_recovery(own), Status::Ok);

  // A saved index of 2^6 initial buckets, grown to 2^8 buckets.
  auto small = make_index<CuckooIndex>(64, nullptr);
  std::mt19937_64 rng(seed_);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> entries;
  while (small->num_buckets() < 256) {
    const std::uint64_t h = rng();
    const std::uint64_t a = address_of(entries.size(), 0);
    ASSERT_TRUE(set_address(*small, h, a));
    entries.emplace_back(h, a);
  }
  EXPECT_EQ(small->checkpoint_geometry(), geometry(6 + 13, 8));
  const Visits visits = capture_all(*small);
  ASSERT_EQ(index->prepare_recovery(small->checkpoint_geometry()), Status::Ok);
  EXPECT_EQ(index->checkpoint_geometry(), small->checkpoint_geometry());
  for (const auto& [rep_hash, address] : visits)
    ASSERT_TRUE(index->recover_entry(rep_hash, address));
  for (const auto& [hash, address] : entries) {
    // Random hashes may share an entry: the later set_address wins in both indexes.
    CuckooIndex::Handle saved, recovered;
    ASSERT_TRUE(small->find(hash, saved));
    ASSERT_TRUE(index->find(hash, recovered));
    EXPECT_EQ(recovered.address(), saved.address());
  }
  EXPECT_EQ(index->size(), small->size());
  EXPECT_EQ(index->prepare_recovery(own), Status::InvalidArgument) << "the index is not empty";
}

}  // namespace
}  // namespace rskv::index
