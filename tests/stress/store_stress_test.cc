// Concurrency stress tests of the store. Each checks an invariant that a lost update, a torn
// or misdirected read, or a resurrected key would break:
//   - concurrent RMW increments on a shared key set sum exactly;
//   - per-thread upsert/read/delete mixes on owned keys, sharing buckets with other threads,
//     always read back what their owner last wrote;
//   - copy-to-tail (identity RMWs) racing upserts and deletes of the same keys never loses
//     the newer value and never brings a deleted key back;
//   - 256 threads, each with its own session, doing RMW increments.
// Seeded (RSKV_SEED replays a run); RSKV_STRESS_SCALE=N makes them N times longer (soak).
#include <gtest/gtest.h>

#include <atomic>
#include <charconv>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "policies/bundles.h"
#include "tests/support/test_support.h"

namespace rskv {
namespace {

// Every stress test runs once per index policy (policies/bundles.h: IndexBundles).
template <class S>
class StoreStress : public ::testing::Test {};
TYPED_TEST_SUITE(StoreStress, test::TypesOf<IndexBundles>::type);

using test::key_of;

// Sanitizer builds run ~10x slower: they run a tenth of the operations (RSKV_TSAN is set by
// the RSKV_SANITIZE=thread preset).
#ifdef RSKV_TSAN
constexpr int kDivisor = 10;
#else
constexpr int kDivisor = 1;
#endif

int scale() {
  const char* s = std::getenv("RSKV_STRESS_SCALE");
  return s ? std::max(1, std::atoi(s)) : 1;
}
int ops(int n) {
  return std::max(1, n * scale() / kDivisor);
}

template <class TestStore>
std::unique_ptr<TestStore> open_store(std::uint64_t memory, std::uint64_t buckets,
                                      std::uint32_t page_bits = 14) {
  StoreConfig cfg = test::small_config(memory, /*deferred=*/true, 256);
  cfg.page_bits = page_bits;
  cfg.index.initial_buckets = buckets;
  auto s = TestStore::open(cfg);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return std::move(s).value();
}

std::int64_t parse(std::string_view v) {
  std::int64_t x = 0;
  std::from_chars(v.data(), v.data() + v.size(), x);
  return x;
}

// Increments a decimal counter (absent = 0). Lengths change as counters grow: this exercises
// the seal-and-copy path as well as in-place updates.
struct Increment {
  std::int64_t by;
  bool operator()(const std::string_view* old, ValueBuilder& out) const {
    std::int64_t v = old ? parse(*old) : 0;
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v + by);
    out.assign(std::string_view(buf, r.ptr - buf));
    return true;
  }
};

template <class TestStore>
void run_increments(int threads, int keys, int per_thread, std::uint64_t memory) {
  auto store = open_store<TestStore>(memory, 64);
  std::vector<std::thread> ts;
  std::atomic<int> pending_seen{0};
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      auto session = store->start_session();
      ASSERT_TRUE(session.ok());
      auto& s = session.value();
      std::mt19937_64 rng(test::test_seed() + t);
      for (int i = 0; i < per_thread; ++i) {
        std::string k = key_of(rng() % keys);
        Status st = s.rmw(k, Increment{1}, [](Status done) { ASSERT_EQ(done, Status::Ok); });
        if (st == Status::Pending) {
          pending_seen.fetch_add(1, std::memory_order_relaxed);
          if (i % 8 == 0) s.complete_pending(false);
        } else {
          ASSERT_EQ(st, Status::Ok);
        }
      }
      s.complete_pending(true);
    });
  }
  for (auto& t : ts) t.join();
  auto s = std::move(store->start_session()).value();
  std::int64_t sum = 0;
  for (int k = 0; k < keys; ++k) {
    std::string v;
    Status st = s.get(key_of(k), v);
    if (st == Status::Ok) sum += parse(v);
  }
  EXPECT_EQ(sum, std::int64_t{threads} * per_thread)
      << "lost or duplicated increments; pending RMWs: " << pending_seen.load();
}

// Concurrent RMW increments on a shared key set sum exactly (2, 4 and 8 threads), with a
// log budget small enough that keys move to read-only and to the device meanwhile.
TYPED_TEST(StoreStress, RmwIncrementsSumExactly) {
  for (int threads : {2, 4, 8}) {
    SCOPED_TRACE(threads);
    run_increments<TypeParam>(threads, 500, ops(40000), 128 * 1024);
  }
}

// Each thread owns keys i % threads == t and checks, after every op, that it reads back what
// it last wrote (or NotFound after its delete), while all threads share index buckets.
TYPED_TEST(StoreStress, OwnedKeyMixes) {
  constexpr int kThreads = 4, kKeysPerThread = 200;
  auto store = open_store<TypeParam>(128 * 1024, 16);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      auto s = std::move(store->start_session()).value();
      std::mt19937_64 rng(test::test_seed() * 31 + t);
      std::vector<std::string> model(kKeysPerThread);  // "" = absent
      std::string out;
      for (int i = 0; i < ops(60000); ++i) {
        int j = static_cast<int>(rng() % kKeysPerThread);
        std::string k = key_of(j * kThreads + t);
        switch (rng() % 3) {
          case 0: {
            std::string v = test::value_of(j, i, 1 + rng() % 60);
            ASSERT_EQ(s.upsert(k, v), Status::Ok);
            model[j] = v;
            break;
          }
          case 1:
            ASSERT_EQ(s.remove(k), Status::Ok);
            model[j].clear();
            break;
          default: {
            Status st = s.get(k, out);
            if (model[j].empty()) {
              ASSERT_EQ(st, Status::NotFound) << k;
            } else {
              ASSERT_EQ(st, Status::Ok) << k;
              ASSERT_EQ(out, model[j]) << k;
            }
          }
        }
      }
    });
  }
  for (auto& t : ts) t.join();
}

// Identity RMWs (which copy records from the read-only region to the tail) race one owner
// per key that upserts increasing versions and deletes. Afterwards every key holds exactly
// its owner's last write: a copy never overwrote a newer value or revived a deleted key.
TYPED_TEST(StoreStress, CopyToTailRacesUpsertsAndDeletes) {
  constexpr int kWriters = 2, kCopiers = 2, kKeys = 300;
  auto store = open_store<TypeParam>(96 * 1024, 32);
  std::vector<std::string> final_value(kKeys);  // "" = deleted / never written
  std::atomic<bool> stop{false};
  std::vector<std::thread> ts;
  for (int w = 0; w < kWriters; ++w) {
    ts.emplace_back([&, w] {
      auto s = std::move(store->start_session()).value();
      std::mt19937_64 rng(test::test_seed() * 7 + w);
      for (int i = 0; i < ops(60000); ++i) {
        int k = static_cast<int>(rng() % (kKeys / kWriters)) * kWriters + w;
        if (rng() % 5 == 0) {
          ASSERT_EQ(s.remove(key_of(k)), Status::Ok);
          final_value[k].clear();
        } else {
          std::string v = "v" + std::to_string(i) + "-" + std::string(rng() % 40, 'x');
          ASSERT_EQ(s.upsert(key_of(k), v), Status::Ok);
          final_value[k] = v;
        }
      }
    });
  }
  for (int c = 0; c < kCopiers; ++c) {
    ts.emplace_back([&, c] {
      auto s = std::move(store->start_session()).value();
      std::mt19937_64 rng(test::test_seed() * 13 + c);
      // Rewrites the value unchanged, declining on absent keys: never creates a key.
      auto identity = [](const std::string_view* old, ValueBuilder& out) {
        if (old == nullptr) return false;
        out.assign(*old);
        return true;
      };
      while (!stop.load(std::memory_order_relaxed)) {
        Status st = s.rmw(key_of(rng() % kKeys), identity);
        ASSERT_TRUE(st == Status::Ok || st == Status::Aborted || st == Status::Pending)
            << to_string(st);
        s.complete_pending(false);
      }
      s.complete_pending(true);
    });
  }
  for (int w = 0; w < kWriters; ++w) ts[w].join();
  stop.store(true);
  for (std::size_t i = kWriters; i < ts.size(); ++i) ts[i].join();
  auto s = std::move(store->start_session()).value();
  std::string out;
  for (int k = 0; k < kKeys; ++k) {
    Status st = s.get(key_of(k), out);
    if (final_value[k].empty()) {
      EXPECT_EQ(st, Status::NotFound) << "resurrected " << key_of(k);
    } else {
      ASSERT_EQ(st, Status::Ok) << key_of(k);
      EXPECT_EQ(out, final_value[k]) << "lost newer value of " << key_of(k);
    }
  }
}

// 256 threads, each with its own session, increment shared counters; the sum is exact.
TYPED_TEST(StoreStress, TwoHundredFiftySixSessions) {
  constexpr int kThreads = 256;
  run_increments<TypeParam>(kThreads, 64, ops(1000), 256 * 1024);
}

}  // namespace
}  // namespace rskv
