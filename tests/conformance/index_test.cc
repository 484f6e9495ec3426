// Conformance suite for every index policy (IndexPolicy, policies/index_policy.h), written
// once as typed tests, plus the cuckoo index's own resize tests at the end.
//
// Hashes. Two hashes that an index maps to one entry share it by design (the store's record
// chain tells their keys apart), so most cases draw hashes that are distinct entries in every
// index: distinct_hashes() rejects a hash whose entry identity another one already has, in
// each index's layout at kInitialBuckets (growth only refines identities):
//   cuckoo:  the top 10 + 13 bits (bucket bits at the initial size + tag bits);
//   chained: the low 10 bits (bucket) and bits 48..61 (tag).
// The tag-collision case crafts hashes from the same two layouts.
//
// Concurrency cases run every thread under epoch protection (the contract's precondition; the
// cuckoo index frees replaced tables through it) and check invariants after joining: one
// entry per hash, exactly one winner per CAS race, no lost increment, every key read back.
// Seeds are printed and replayable with RSKV_SEED.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
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
/// Entry slots of an index at kInitialBuckets (both policies use seven per bucket).
constexpr std::size_t kInitialSlots = kInitialBuckets * 7;
constexpr int kThreads = 4;  // above the machine's 2 cores on purpose: preemption mid-operation
constexpr std::uint32_t kMaxOverflowChain = 2;

std::uint64_t chained_identity(std::uint64_t h) {
  return (h & (kInitialBuckets - 1)) | (((h >> 48) & 0x3fff) << kInitialBucketBits);
}

/// n hashes that are n distinct entries in every index (see the file comment); `cuckoo_bits`
/// overrides the cuckoo identity width for a cuckoo index of another initial size.
std::vector<std::uint64_t> distinct_hashes(std::size_t n, std::uint64_t seed,
                                           int cuckoo_bits = kInitialBucketBits + 13) {
  std::mt19937_64 rng(seed);
  std::unordered_set<std::uint64_t> cuckoo, chained;
  std::vector<std::uint64_t> out;
  out.reserve(n);
  while (out.size() < n) {
    std::uint64_t h = rng();
    const std::uint64_t cuckoo_id = h >> (64 - cuckoo_bits);
    if (cuckoo.count(cuckoo_id) != 0 || chained.count(chained_identity(h)) != 0) continue;
    cuckoo.insert(cuckoo_id);
    chained.insert(chained_identity(h));
    out.push_back(h);
  }
  return out;
}

/// A distinct, valid-looking log address for (thread, i).
std::uint64_t address_of(std::uint64_t thread, std::uint64_t i) {
  return kFirstValidAddress + ((thread << 32) | i) * 8;
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

template <class Index>
class IndexConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = test::test_seed();
    main_session_ = std::make_unique<EpochSession>(*epoch_);  // the test body's own thread
  }
  void TearDown() override { main_session_.reset(); }

  std::unique_ptr<Index> make_index() {
    IndexConfig cfg;
    cfg.initial_buckets = kInitialBuckets;
    cfg.huge_pages = false;
    cfg.epoch = epoch_.get();
    // The chained index doubles once a chain passes this many overflow buckets: low enough
    // that every case filling more than the initial slots grows it, as the cuckoo index does.
    cfg.max_overflow_chain = kMaxOverflowChain;
    return std::make_unique<Index>(cfg);
  }
  /// Sets hash's entry to `address`, retrying through moves; false if it held another address.
  static bool install(Index& index, std::uint64_t hash, std::uint64_t address) {
    for (;;) {
      typename Index::Handle h;
      if (index.find_or_create(hash, h) != Status::Ok) return false;
      if (h.address() != 0) return h.address() == address;
      if (index.try_update(h, address)) return true;
    }
  }

  std::unique_ptr<epoch::EpochManager> epoch_ = std::make_unique<epoch::EpochManager>();
  std::unique_ptr<EpochSession> main_session_;
  std::uint64_t seed_ = 0;
};

// ---- the contract rejects near misses (compile time) ----------------------------------------
// A complete model, and copies that each break one requirement.
struct ModelHandle {
  std::uint64_t word = 0;
  [[nodiscard]] std::uint64_t address() const { return word; }
};
struct ModelIndex {
  static constexpr std::string_view kName = "model";
  using Handle = ModelHandle;
  explicit ModelIndex(const IndexConfig&) {}
  bool find(std::uint64_t, Handle&) { return false; }
  Status find_or_create(std::uint64_t, Handle&) { return Status::Ok; }
  bool try_update(Handle&, std::uint64_t) { return false; }
  void set_resolver(HashResolver, void*) {}
  [[nodiscard]] std::size_t memory_bytes() const { return 0; }
  [[nodiscard]] std::size_t size() const { return 0; }
  [[nodiscard]] double load_factor() const { return 0; }
};
static_assert(IndexPolicy<ModelIndex>, "the model must satisfy the contract");

struct NoTryUpdate : ModelIndex {
  using ModelIndex::ModelIndex;
  void try_update() = delete;
};
static_assert(!IndexPolicy<NoTryUpdate>, "try_update is required");

struct FindReturnsStatus : ModelIndex {
  using ModelIndex::ModelIndex;
  Status find(std::uint64_t, Handle&) { return Status::Ok; }
};
static_assert(!IndexPolicy<FindReturnsStatus>, "find returns bool");

struct HandleNotTriviallyCopyable : ModelIndex {
  using ModelIndex::ModelIndex;
  struct Handle {
    std::vector<std::uint64_t> words;
    [[nodiscard]] std::uint64_t address() const { return 0; }
  };
  bool find(std::uint64_t, Handle&) { return false; }
  Status find_or_create(std::uint64_t, Handle&) { return Status::Ok; }
  bool try_update(Handle&, std::uint64_t) { return false; }
};
static_assert(!IndexPolicy<HandleNotTriviallyCopyable>, "handles are trivially copyable");

struct NoConfigConstructor : ModelIndex {
  NoConfigConstructor() : ModelIndex(IndexConfig{}) {}
};
static_assert(!IndexPolicy<NoConfigConstructor>, "built from an IndexConfig");

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
TYPED_TEST_SUITE(IndexConformance, IndexTypes, IndexNames);

// Purpose: find, find_or_create and try_update behave as the contract says on one thread.
TYPED_TEST(IndexConformance, SingleThreadSemantics) {
  auto index = this->make_index();
  using Handle = typename TypeParam::Handle;
  static_assert(std::is_trivially_copyable_v<Handle>);
  const std::vector<std::uint64_t> hashes = distinct_hashes(kInitialSlots / 2, this->seed_);

  Handle h;
  EXPECT_FALSE(index->find(hashes[0], h));
  ASSERT_EQ(index->find_or_create(hashes[0], h), Status::Ok);
  EXPECT_EQ(h.address(), 0u) << "a new entry holds no address";
  Handle fresh = h;
  ASSERT_TRUE(index->try_update(h, address_of(0, 1)));
  EXPECT_EQ(h.address(), address_of(0, 1)) << "a successful swap updates the handle";
  EXPECT_FALSE(index->try_update(fresh, address_of(0, 2))) << "a stale handle must not swap";

  Handle again;
  ASSERT_TRUE(index->find(hashes[0], again));
  EXPECT_EQ(again.address(), address_of(0, 1));
  ASSERT_EQ(index->find_or_create(hashes[0], again), Status::Ok);
  EXPECT_EQ(again.address(), address_of(0, 1)) << "find_or_create returns the existing entry";
  EXPECT_EQ(index->size(), 1u);

  for (std::size_t i = 1; i < hashes.size(); ++i) {
    ASSERT_TRUE(this->install(*index, hashes[i], address_of(0, i))) << "hash #" << i;
  }
  for (std::size_t i = 1; i < hashes.size(); ++i) {
    Handle r;
    ASSERT_TRUE(index->find(hashes[i], r)) << "hash #" << i;
    EXPECT_EQ(r.address(), address_of(0, i)) << "hash #" << i;
    ASSERT_TRUE(index->try_update(r, address_of(1, i)));
  }
  for (std::size_t i = 1; i < hashes.size(); ++i) {
    Handle r;
    ASSERT_TRUE(index->find(hashes[i], r));
    EXPECT_EQ(r.address(), address_of(1, i));
  }
  EXPECT_EQ(index->size(), hashes.size());
}

// Purpose: threads creating overlapping hash sets end with one entry per hash; exactly one
// thread wins the first swap of each entry, and nothing is lost.
TYPED_TEST(IndexConformance, ConcurrentOverlappingCreates) {
  auto index = this->make_index();
  // Twice the initial capacity: growth (or overflow) happens while the threads race.
  const std::size_t n = 2 * kInitialSlots / kScale;
  const std::vector<std::uint64_t> hashes = distinct_hashes(n, this->seed_ + 1);
  std::vector<std::atomic<std::uint32_t>> winners(n);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      EpochSession session(*this->epoch_);
      std::mt19937_64 rng(this->seed_ + 100 + t);
      // Every thread covers every hash, half of them forwards and half backwards, from a
      // random start, so that threads meet on the same hashes at the same time.
      const std::size_t start = rng() % n;
      for (std::size_t k = 0; k < n; ++k) {
        session.tick();
        const std::size_t i = (t % 2 == 0) ? (start + k) % n : (start + n - k) % n;
        for (;;) {
          typename TypeParam::Handle h;
          ASSERT_EQ(index->find_or_create(hashes[i], h), Status::Ok);
          if (h.address() != 0) break;
          if (index->try_update(h, address_of(t, i))) {
            winners[i].fetch_add(1, std::memory_order_relaxed);
            break;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(winners[i].load(), 1u) << "hash #" << i << ": duplicate entry or lost creation";
    typename TypeParam::Handle h;
    ASSERT_TRUE(index->find(hashes[i], h)) << "hash #" << i;
    EXPECT_EQ(h.address() & 0xffffffffu, address_of(0, i) & 0xffffffffu) << "hash #" << i;
  }
  EXPECT_EQ(index->size(), n);
}

// Purpose: concurrent compare-and-swaps on shared entries lose no update (each successful swap
// increments the address by one), also while other threads grow the index underneath.
TYPED_TEST(IndexConformance, ConcurrentCasRaces) {
  auto index = this->make_index();
  const std::size_t hot = 16;
  const std::size_t filler = 3 * kInitialSlots / kScale;
  const std::vector<std::uint64_t> hashes = distinct_hashes(hot + filler, this->seed_ + 2);
  for (std::size_t i = 0; i < hot; ++i) ASSERT_TRUE(this->install(*index, hashes[i], 1));
  const std::uint64_t per_thread = 20000 / kScale;
  std::atomic<bool> stop_filler{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads - 1; ++t) {
    threads.emplace_back([&, t] {
      EpochSession session(*this->epoch_);
      std::mt19937_64 rng(this->seed_ + 200 + t);
      for (std::uint64_t done = 0; done < per_thread;) {
        session.tick();
        const std::uint64_t hash = hashes[rng() % hot];
        typename TypeParam::Handle h;
        ASSERT_TRUE(index->find(hash, h));
        if (index->try_update(h, h.address() + 1)) ++done;
      }
    });
  }
  threads.emplace_back([&] {
    EpochSession session(*this->epoch_);
    for (std::size_t i = hot; i < hashes.size() && !stop_filler.load(); ++i) {
      session.tick();
      ASSERT_TRUE(this->install(*index, hashes[i], address_of(9, i)));
    }
  });
  for (int t = 0; t < kThreads - 1; ++t) threads[t].join();
  stop_filler.store(true);
  threads.back().join();
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < hot; ++i) {
    typename TypeParam::Handle h;
    ASSERT_TRUE(index->find(hashes[i], h));
    total += h.address() - 1;
  }
  EXPECT_EQ(total, per_thread * (kThreads - 1)) << "an increment was lost or duplicated";
}

// Purpose: inserting 4x the initial capacity from several threads while one thread swaps the
// addresses of a few hot entries and another reads what is already published: growth runs
// underneath and nothing is lost, duplicated or misdirected; no swap is lost either.
TYPED_TEST(IndexConformance, GrowthUnderConcurrentLoad) {
  auto index = this->make_index();
  const std::size_t hot = 16;
  const std::size_t n = 4 * kInitialSlots;
  const std::vector<std::uint64_t> all = distinct_hashes(hot + n, this->seed_ + 3);
  const std::vector<std::uint64_t> hot_hashes(all.begin(), all.begin() + hot);
  const std::vector<std::uint64_t> hashes(all.begin() + hot, all.end());
  // Hot entries start at hot_base(i) and move up by 8 per successful swap.
  auto hot_base = [](std::size_t i) {
    return kFirstValidAddress + ((std::uint64_t{64} + i) << 40);
  };
  for (std::size_t i = 0; i < hot; ++i)
    ASSERT_TRUE(this->install(*index, hot_hashes[i], hot_base(i)));
  // progress[t]: how many of thread t's hashes (t, t + kThreads, ...) are installed.
  std::vector<std::atomic<std::size_t>> progress(kThreads);
  std::atomic<int> writers_left{kThreads};
  std::atomic<std::uint64_t> reader_checks{0}, reader_errors{0}, swaps{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      EpochSession session(*this->epoch_);
      std::size_t mine = 0;
      for (std::size_t i = t; i < n; i += kThreads) {
        session.tick();
        ASSERT_TRUE(this->install(*index, hashes[i], address_of(t, i)));
        // release: the reader that acquires the count may look the hash up.
        progress[t].store(++mine, std::memory_order_release);
      }
      writers_left.fetch_sub(1);
    });
  }
  threads.emplace_back([&] {  // updater: swaps through find (a failed swap finds again)
    EpochSession session(*this->epoch_);
    std::mt19937_64 rng(this->seed_ + 301);
    while (writers_left.load() > 0) {
      session.tick();
      typename TypeParam::Handle h;
      const std::size_t i = rng() % hot;
      if (!index->find(hot_hashes[i], h)) {
        reader_errors.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (index->try_update(h, h.address() + 8)) swaps.fetch_add(1, std::memory_order_relaxed);
    }
  });
  threads.emplace_back([&] {  // reader
    EpochSession session(*this->epoch_);
    std::mt19937_64 rng(this->seed_ + 300);
    while (writers_left.load() > 0) {
      session.tick();
      const int t = static_cast<int>(rng() % kThreads);
      const std::size_t count = progress[t].load(std::memory_order_acquire);
      if (count == 0) continue;
      const std::size_t i = t + kThreads * (rng() % count);
      typename TypeParam::Handle h;
      reader_checks.fetch_add(1, std::memory_order_relaxed);
      if (!index->find(hashes[i], h) || h.address() != address_of(t, i)) {
        reader_errors.fetch_add(1, std::memory_order_relaxed);
      }
    }
  });
  for (auto& th : threads) th.join();
  EXPECT_EQ(reader_errors.load(), 0u) << "of " << reader_checks.load() << " concurrent reads";
  EXPECT_GE(index->resize_count(), 1u) << "the index never grew";
  for (std::size_t i = 0; i < n; ++i) {
    typename TypeParam::Handle h;
    ASSERT_TRUE(index->find(hashes[i], h)) << "hash #" << i << " lost";
    ASSERT_EQ(h.address(), address_of(i % kThreads, i)) << "hash #" << i;
  }
  std::uint64_t swapped = 0;
  for (std::size_t i = 0; i < hot; ++i) {
    typename TypeParam::Handle h;
    ASSERT_TRUE(index->find(hot_hashes[i], h)) << "hot hash #" << i << " lost";
    swapped += (h.address() - hot_base(i)) / 8;
  }
  EXPECT_EQ(swapped, swaps.load()) << "a swap was lost or duplicated across a growth";
  EXPECT_EQ(index->size(), n + hot) << "duplicate entries";
  EXPECT_GT(index->load_factor(), 0.0);
  EXPECT_LE(index->load_factor(), 1.0);
}

// Purpose: 4x the initial entry slots, inserted by several threads into an index whose
// resolver (the store's hash-of-record callback) is backed by a test map, all read back with
// their addresses. An index that consults the resolver while it grows gets exact answers.
TYPED_TEST(IndexConformance, FourTimesInitialSizeLosesNothing) {
  auto index = this->make_index();
  const std::size_t n = 4 * kInitialSlots;
  const std::vector<std::uint64_t> hashes = distinct_hashes(n, this->seed_ + 8);
  struct Resolver {
    std::unordered_map<std::uint64_t, std::uint64_t> hash_at;  // address -> hash (read-only)
    std::atomic<std::uint64_t> calls{0}, unknown{0};
  } resolver;
  for (std::size_t i = 0; i < n; ++i) resolver.hash_at[address_of(i % kThreads, i)] = hashes[i];
  index->set_resolver(
      [](void* ctx, std::uint64_t address) -> std::uint64_t {
        auto* r = static_cast<Resolver*>(ctx);
        r->calls.fetch_add(1, std::memory_order_relaxed);
        const auto it = r->hash_at.find(address);
        if (it != r->hash_at.end()) return it->second;
        r->unknown.fetch_add(1, std::memory_order_relaxed);
        return 0;
      },
      &resolver);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      EpochSession session(*this->epoch_);
      for (std::size_t i = t; i < n; i += kThreads) {
        session.tick();
        ASSERT_TRUE(this->install(*index, hashes[i], address_of(t, i))) << "hash #" << i;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(resolver.unknown.load(), 0u) << "the resolver was asked about a foreign address";
  EXPECT_GE(index->resize_count(), 1u);
  for (std::size_t i = 0; i < n; ++i) {
    typename TypeParam::Handle h;
    ASSERT_TRUE(index->find(hashes[i], h)) << "hash #" << i << " lost";
    ASSERT_EQ(h.address(), address_of(i % kThreads, i)) << "hash #" << i;
  }
  EXPECT_EQ(index->size(), n);
  std::printf("[%s] %zu entries in %llu buckets, %llu growth(s), %llu resolver calls\n",
              std::string(TypeParam::kName).c_str(), n,
              static_cast<unsigned long long>(index->num_buckets()),
              static_cast<unsigned long long>(index->resize_count()),
              static_cast<unsigned long long>(resolver.calls.load()));
}

// Purpose: while a test hook holds a growth open (its starter blocked after publishing the new
// table, before migrating anything), other threads still complete find, find_or_create and
// try_update (no global stop); iteration is exact over the half-grown index; after the hook
// releases it the growth completes and nothing is lost.
TYPED_TEST(IndexConformance, OperationsCompleteWhileGrowthHeldOpen) {
  auto index = this->make_index();
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool entered = false;
    bool released = false;
  } gate;
  index->set_resize_hook(
      [](void* ctx) {
        auto* g = static_cast<Gate*>(ctx);
        std::unique_lock lock(g->mu);
        if (g->entered) return;  // hold the first growth only
        g->entered = true;
        g->cv.notify_all();
        g->cv.wait(lock, [g] { return g->released; });
      },
      &gate);

  const std::size_t limit = 4 * kInitialSlots;  // the filler's hashes: [0, limit)
  const std::size_t extra = kInitialSlots / 4;  // the workers' new hashes: [limit, limit + extra)
  const std::vector<std::uint64_t> hashes = distinct_hashes(limit + extra, this->seed_ + 9);
  std::atomic<std::size_t> installed{0};
  std::atomic<bool> stop_filler{false};
  // The filler installs hashes in order until it starts a growth and blocks in the hook.
  std::thread filler([&] {
    EpochSession session(*this->epoch_);
    for (std::size_t i = 0; i < limit && !stop_filler.load(); ++i) {
      session.tick();
      ASSERT_TRUE(this->install(*index, hashes[i], address_of(0, i)));
      installed.store(i + 1, std::memory_order_release);
    }
  });
  {
    std::unique_lock lock(gate.mu);
    ASSERT_TRUE(gate.cv.wait_for(lock, std::chrono::seconds(120), [&] { return gate.entered; }))
        << "no growth started";
  }
  stop_filler.store(true);
  ASSERT_TRUE(index->resize_in_progress());
  // The filler is blocked inside the install of hash #before; everything before it is in.
  const std::size_t before = installed.load(std::memory_order_acquire);
  std::atomic<std::uint64_t> errors{0};
  std::vector<std::thread> workers;
  for (int t = 1; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      EpochSession session(*this->epoch_);
      for (std::size_t i = t; i < before; i += kThreads) {  // find and swap old entries
        session.tick();
        typename TypeParam::Handle h;
        if (!index->find(hashes[i], h) || h.address() != address_of(0, i)) errors.fetch_add(1);
        for (;;) {
          if (!index->find(hashes[i], h)) {
            errors.fetch_add(1);
            break;
          }
          if (index->try_update(h, address_of(t, i))) break;
        }
      }
      for (std::size_t i = limit + t; i < limit + extra; i += kThreads) {  // create new ones
        session.tick();
        ASSERT_TRUE(this->install(*index, hashes[i], address_of(t, i)));
      }
    });
  }
  for (auto& w : workers) w.join();  // they finish although the growth is still open
  EXPECT_EQ(errors.load(), 0u);
  EXPECT_TRUE(index->resize_in_progress()) << "the growth must still be held open";
  std::size_t visited = 0;
  index->for_each_entry([&](std::uint64_t) { ++visited; });
  EXPECT_EQ(visited, index->size()) << "iteration over a half-grown index";
  const std::size_t created = extra - (extra + kThreads - 1) / kThreads;  // i % kThreads != 0
  // The filler's hash #before may already have its entry (chained: created before growing).
  EXPECT_GE(visited, before + created);
  EXPECT_LE(visited, before + created + 1);
  {
    std::lock_guard lock(gate.mu);
    gate.released = true;
  }
  gate.cv.notify_all();
  filler.join();
  EXPECT_FALSE(index->resize_in_progress());
  EXPECT_GE(index->resize_count(), 1u);

  const std::size_t done = installed.load();
  for (std::size_t i = 0; i < done; ++i) {
    typename TypeParam::Handle h;
    ASSERT_TRUE(index->find(hashes[i], h)) << "hash #" << i << " lost";
    const std::uint64_t owner = (i < before && i % kThreads != 0) ? i % kThreads : 0;
    EXPECT_EQ(h.address(), address_of(owner, i)) << "hash #" << i;
  }
  for (std::size_t i = limit; i < limit + extra; ++i) {
    if (i % kThreads == 0) continue;
    typename TypeParam::Handle h;
    ASSERT_TRUE(index->find(hashes[i], h)) << "hash #" << i << " lost";
    EXPECT_EQ(h.address(), address_of(i % kThreads, i));
  }
  EXPECT_EQ(index->size(), done + created);
}

// Purpose: hashes that map to one entry share it; hashes with equal tags in different buckets,
// or equal buckets with different tags, get their own entries (crafted from the layouts in the
// file comment).
TYPED_TEST(IndexConformance, TagCollisions) {
  auto index = this->make_index();
  using Handle = typename TypeParam::Handle;
  const std::uint64_t base = distinct_hashes(1, this->seed_ + 4)[0];

  // Bits 20..40 are outside every identity: the same entry.
  const std::uint64_t sharing = base ^ (std::uint64_t{0x15a5a5} << 20);
  ASSERT_TRUE(this->install(*index, base, address_of(0, 1)));
  Handle h;
  ASSERT_TRUE(index->find(sharing, h));
  EXPECT_EQ(h.address(), address_of(0, 1));
  ASSERT_TRUE(index->try_update(h, address_of(0, 2)));
  ASSERT_TRUE(index->find(base, h));
  EXPECT_EQ(h.address(), address_of(0, 2)) << "an update through one hash shows through the other";
  EXPECT_EQ(index->size(), 1u);

  // Bit 62 and bit 0 move the bucket in both layouts and leave both tags alone.
  const std::uint64_t same_tag = base ^ (std::uint64_t{1} << 62) ^ 1;
  EXPECT_FALSE(index->find(same_tag, h)) << "same tag, other bucket: not the same entry";
  ASSERT_TRUE(this->install(*index, same_tag, address_of(0, 3)));
  ASSERT_TRUE(index->find(base, h));
  EXPECT_EQ(h.address(), address_of(0, 2));

  // Bits 48..53 lie in both tags and in neither bucket: 64 entries competing for one bucket
  // (chained: an overflow chain; cuckoo: displacement into alternates).
  std::vector<std::uint64_t> same_bucket;
  for (std::uint64_t v = 1; v < 64; ++v) same_bucket.push_back(base ^ (v << 48));
  for (std::size_t i = 0; i < same_bucket.size(); ++i) {
    ASSERT_TRUE(this->install(*index, same_bucket[i], address_of(1, i))) << i;
  }
  for (std::size_t i = 0; i < same_bucket.size(); ++i) {
    ASSERT_TRUE(index->find(same_bucket[i], h)) << i;
    EXPECT_EQ(h.address(), address_of(1, i)) << i;
  }
  ASSERT_TRUE(index->find(sharing, h));
  EXPECT_EQ(h.address(), address_of(0, 2));
  EXPECT_EQ(index->size(), 2u + same_bucket.size());
}

// Purpose: iteration visits every entry exactly once with its current address.
TYPED_TEST(IndexConformance, IterationVisitsEveryEntryOnce) {
  auto index = this->make_index();
  const std::vector<std::uint64_t> hashes = distinct_hashes(2 * kInitialSlots, this->seed_ + 7);
  std::unordered_set<std::uint64_t> expected;
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    ASSERT_TRUE(this->install(*index, hashes[i], address_of(0, i)));
    expected.insert(address_of(0, i));
  }
  std::size_t visited = 0;
  std::unordered_set<std::uint64_t> seen;
  index->for_each_entry([&](std::uint64_t address) {
    ++visited;
    EXPECT_TRUE(expected.count(address) == 1) << "unknown address " << address;
    EXPECT_TRUE(seen.insert(address).second) << "address " << address << " visited twice";
  });
  EXPECT_EQ(visited, hashes.size());
}

// Purpose: memory, size and load factor are reported and track the contents.
TYPED_TEST(IndexConformance, MemoryAndLoadReporting) {
  auto index = this->make_index();
  EXPECT_EQ(index->size(), 0u);
  EXPECT_EQ(index->load_factor(), 0.0);
  const std::size_t empty_bytes = index->memory_bytes();
  EXPECT_GE(empty_bytes, kInitialBuckets * kCacheLineSize) << "the bucket array is counted";

  const std::size_t n = kInitialSlots / 2;
  for (std::uint64_t h : distinct_hashes(n, this->seed_ + 5)) {
    typename TypeParam::Handle handle;
    ASSERT_EQ(index->find_or_create(h, handle), Status::Ok);
  }
  EXPECT_EQ(index->size(), n);
  // Half of the initial slots are used (less for a policy that added overflow slots).
  EXPECT_GT(index->load_factor(), 0.4);
  EXPECT_LE(index->load_factor(), 0.51);

  for (std::uint64_t h : distinct_hashes(4 * kInitialSlots, this->seed_ + 6)) {
    typename TypeParam::Handle handle;
    ASSERT_EQ(index->find_or_create(h, handle), Status::Ok);
  }
  EXPECT_GE(index->size(), 4 * kInitialSlots);
  EXPECT_GT(index->memory_bytes(), empty_bytes) << "growth shows in the reported memory";
  EXPECT_GE(index->memory_bytes(), index->size() * sizeof(std::uint64_t));
  EXPECT_GT(index->load_factor(), 0.0);
  EXPECT_LE(index->load_factor(), 1.0);
}

// ---- cuckoo index: resize behaviour ---------------------------------------------------------

class CuckooResize : public ::testing::Test {
 protected:
  void SetUp() override { seed_ = test::test_seed(); }
  std::unique_ptr<CuckooIndex> make_index(std::uint64_t buckets, epoch::EpochManager* e) {
    IndexConfig cfg;
    cfg.initial_buckets = buckets;
    cfg.huge_pages = false;
    cfg.epoch = e;
    return std::make_unique<CuckooIndex>(cfg);
  }
  std::uint64_t seed_ = 0;
};

// Purpose: the first resize starts only once the table is at least 90% full (issue 6), at
// several sizes, single-threaded and concurrently.
TEST_F(CuckooResize, FirstResizeLoadFactorAtLeast90Percent) {
  for (std::uint64_t buckets : {std::uint64_t{64}, std::uint64_t{1024}, std::uint64_t{1} << 14}) {
    for (int threads : {1, kThreads}) {
      epoch::EpochManager epoch;
      auto index = make_index(buckets, &epoch);
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
          EpochSession session(epoch);
          std::mt19937_64 rng(seed_ + buckets + t);
          while (index->resize_count() == 0) {
            session.tick();
            CuckooIndex::Handle h;
            ASSERT_EQ(index->find_or_create(rng(), h), Status::Ok);
          }
        });
      }
      for (auto& w : workers) w.join();
      EXPECT_GE(index->first_resize_load_factor(), 0.90)
          << buckets << " buckets, " << threads << " threads";
      std::printf("[cuckoo] %llu buckets, %d thread(s): first resize at load factor %.4f\n",
                  static_cast<unsigned long long>(buckets), threads,
                  index->first_resize_load_factor());
    }
  }
}

// Purpose: while a resize is held open (its starter blocked in the test hook with a chunk
// still unmigrated), other threads complete find, find_or_create and try_update; afterwards
// nothing is lost and the resize completes.
TEST_F(CuckooResize, OperationsCompleteWhileResizeHeldOpen) {
  epoch::EpochManager epoch;
  auto index = make_index(kInitialBuckets, &epoch);
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool entered = false;
    bool released = false;
  } gate;
  index->set_resize_hook(
      [](void* ctx) {
        auto* g = static_cast<Gate*>(ctx);
        std::unique_lock lock(g->mu);
        g->entered = true;
        g->cv.notify_all();
        g->cv.wait(lock, [g] { return g->released; });
      },
      &gate);

  const std::vector<std::uint64_t> hashes = distinct_hashes(2 * kInitialSlots, seed_);
  std::atomic<std::size_t> installed{0};
  // The filler installs hashes in order until it starts a resize and blocks in the hook.
  std::thread filler([&] {
    EpochSession session(epoch);
    for (std::size_t i = 0; i < kInitialSlots; ++i) {
      session.tick();
      typename CuckooIndex::Handle h;
      ASSERT_EQ(index->find_or_create(hashes[i], h), Status::Ok);
      ASSERT_TRUE(index->try_update(h, address_of(0, i)) || h.address() == address_of(0, i));
      installed.store(i + 1, std::memory_order_release);
    }
  });
  {
    std::unique_lock lock(gate.mu);
    ASSERT_TRUE(gate.cv.wait_for(lock, std::chrono::seconds(60), [&] { return gate.entered; }))
        << "no resize started";
  }
  ASSERT_TRUE(index->resize_in_progress());
  // The filler is blocked inside find_or_create of hash #installed; everything before it is in.
  const std::size_t before = installed.load(std::memory_order_acquire);
  const std::size_t extra = kInitialSlots / 4;  // new entries while the resize is open
  std::vector<std::thread> workers;
  std::atomic<std::uint64_t> errors{0};
  for (int t = 1; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      EpochSession session(epoch);
      for (std::size_t i = t; i < before; i += kThreads) {  // find and try_update old entries
        session.tick();
        CuckooIndex::Handle h;
        if (!index->find(hashes[i], h) || h.address() != address_of(0, i)) errors.fetch_add(1);
        for (;;) {
          if (!index->find(hashes[i], h)) {
            errors.fetch_add(1);
            break;
          }
          if (index->try_update(h, address_of(t, i))) break;
        }
      }
      for (std::size_t i = kInitialSlots + t; i < kInitialSlots + extra; i += kThreads) {
        session.tick();  // find_or_create new entries
        for (;;) {
          CuckooIndex::Handle h;
          ASSERT_EQ(index->find_or_create(hashes[i], h), Status::Ok);
          if (index->try_update(h, address_of(t, i))) break;
        }
      }
    });
  }
  for (auto& w : workers) w.join();  // they finish although the resize is still open
  EXPECT_EQ(errors.load(), 0u);
  EXPECT_TRUE(index->resize_in_progress()) << "the resize must still be held open";
  std::size_t visited = 0;
  index->for_each_entry([&](std::uint64_t) { ++visited; });
  EXPECT_EQ(visited, index->size()) << "iteration over a half-migrated index";
  // The filler's entry #before is not created yet: it waits in the hook to make room for it.
  EXPECT_EQ(visited, before + extra - extra / kThreads) << "old entries and the workers' new ones";
  {
    std::lock_guard lock(gate.mu);
    gate.released = true;
  }
  gate.cv.notify_all();
  filler.join();
  EXPECT_FALSE(index->resize_in_progress());
  EXPECT_EQ(index->resize_count(), 1u);

  EpochSession session(epoch);
  for (std::size_t i = 0; i < kInitialSlots; ++i) {
    CuckooIndex::Handle h;
    ASSERT_TRUE(index->find(hashes[i], h)) << "hash #" << i << " lost";
    const std::uint64_t owner = (i < before && i % kThreads != 0) ? i % kThreads : 0;
    EXPECT_EQ(h.address(), address_of(owner, i)) << "hash #" << i;
  }
  for (std::size_t i = kInitialSlots + 1; i < kInitialSlots + extra; ++i) {
    if (i % kThreads == 0) continue;
    CuckooIndex::Handle h;
    ASSERT_TRUE(index->find(hashes[i], h)) << "hash #" << i << " lost";
    EXPECT_EQ(h.address(), address_of(i % kThreads, i));
  }
}

// Purpose: lock-free readers never miss a present entry and never read a stale address while
// writers displace entries (the table is kept near its resize bound) and resize it.
TEST_F(CuckooResize, ReadersNeverMissDuringDisplacementAndResize) {
  epoch::EpochManager epoch;
  auto index = make_index(kInitialBuckets, &epoch);
  const std::size_t base = kInitialSlots * 9 / 10;  // 0.90 full: most inserts displace
  const std::size_t extra = 2 * kInitialSlots / kScale;
  const std::vector<std::uint64_t> hashes = distinct_hashes(base + extra, seed_);
  // Entry i's addresses carry i in their top bits and a version below: a reader detects both a
  // miss and a misdirected read (another entry's address).
  auto first_address = [](std::size_t i) { return std::uint64_t{i + 1} << 24; };
  auto owner_of = [](std::uint64_t address) { return (address >> 24) - 1; };
  {
    EpochSession session(epoch);
    for (std::size_t i = 0; i < base; ++i) {
      for (;;) {
        CuckooIndex::Handle h;
        ASSERT_EQ(index->find_or_create(hashes[i], h), Status::Ok);
        if (index->try_update(h, first_address(i))) break;
      }
    }
  }
  ASSERT_EQ(index->resize_count(), 0u);
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> reads{0}, errors{0};
  // Two readers look up random base entries; the second also bumps each address it reads.
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      EpochSession session(epoch);
      std::mt19937_64 rng(seed_ + 50 + r);
      while (!done.load(std::memory_order_relaxed)) {
        session.tick();
        const std::size_t i = rng() % base;
        CuckooIndex::Handle h;
        const bool found = index->find(hashes[i], h);
        if (!found || h.address() < address_of(0, i) || (h.address() - address_of(0, i)) % 8 != 0) {
          errors.fetch_add(1, std::memory_order_relaxed);
        }
        if (r == 1 && found) (void)index->try_update(h, h.address() + 8);
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  threads.emplace_back([&] {
    EpochSession session(epoch);
    for (std::size_t i = base; i < base + extra; ++i) {
      session.tick();
      for (;;) {
        CuckooIndex::Handle h;
        ASSERT_EQ(index->find_or_create(hashes[i], h), Status::Ok);
        if (index->try_update(h, first_address(i))) break;
      }
    }
    done.store(true, std::memory_order_relaxed);
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0u) << "of " << reads.load() << " reads";
  EXPECT_GE(index->resize_count(), 1u);
  EpochSession session(epoch);
  for (std::size_t i = 0; i < base + extra; ++i) {
    CuckooIndex::Handle h;
    ASSERT_TRUE(index->find(hashes[i], h)) << "hash #" << i << " lost";
    EXPECT_EQ(owner_of(h.address()), i) << "hash #" << i;
  }
}

// Purpose: a handle taken before its entry was migrated by a resize cannot swap; finding the
// entry again gives one that can, and no epoch manager (tables kept until destruction) works.
TEST_F(CuckooResize, StaleHandleFailsAfterResize) {
  auto index = make_index(16, nullptr);
  const std::vector<std::uint64_t> hashes = distinct_hashes(16 * 7 * 4, seed_, 4 + 13);
  CuckooIndex::Handle first;
  ASSERT_EQ(index->find_or_create(hashes[0], first), Status::Ok);
  for (std::size_t i = 1; i < hashes.size(); ++i) {
    CuckooIndex::Handle h;
    ASSERT_EQ(index->find_or_create(hashes[i], h), Status::Ok);
  }
  ASSERT_GE(index->resize_count(), 1u);
  EXPECT_FALSE(index->try_update(first, address_of(0, 1))) << "the entry moved";
  CuckooIndex::Handle h;
  ASSERT_TRUE(index->find(hashes[0], h));
  EXPECT_EQ(h.address(), 0u);
  EXPECT_TRUE(index->try_update(h, address_of(0, 1)));
  EXPECT_EQ(index->size(), hashes.size());
  EXPECT_GT(index->num_buckets(), 16u);
}

// Purpose: two identities with one tag whose primary buckets are each other's alternates stay
// two entries (the entry's alternate bit tells them apart).
TEST_F(CuckooResize, SameTagInEachOthersAlternateBucket) {
  auto index = make_index(kInitialBuckets, nullptr);
  const std::uint64_t base = distinct_hashes(1, seed_)[0];
  CuckooIndex::Handle h;
  ASSERT_EQ(index->find_or_create(base, h), Status::Ok);
  ASSERT_TRUE(index->try_update(h, address_of(0, 1)));
  // Search the hash whose primary is base's alternate, with base's tag: flip bucket bits until
  // find_or_create creates a new entry in a bucket that base's entry could also use.
  const int tag_shift = 64 - (kInitialBucketBits + 13);
  const std::uint64_t tag_mask = ((std::uint64_t{1} << 13) - 1) << tag_shift;
  std::size_t created = 0;
  for (std::uint64_t b = 1; b < kInitialBuckets; ++b) {
    const std::uint64_t other = (base & tag_mask) | (b << (tag_shift + 13)) | (base & 0xff);
    if ((other >> (tag_shift + 13)) == (base >> (tag_shift + 13))) continue;
    CuckooIndex::Handle o;
    ASSERT_EQ(index->find_or_create(other, o), Status::Ok);
    EXPECT_EQ(o.address(), 0u) << "bucket " << b << " reused base's entry";
    ++created;
  }
  ASSERT_TRUE(index->find(base, h));
  EXPECT_EQ(h.address(), address_of(0, 1));
  EXPECT_EQ(index->size(), 1 + created);
}

}  // namespace
}  // namespace rskv::index
