// Store tests: every operation, key and value sizes, updates in each log region, and records
// read back after eviction to the (deferred) memory device.
#include <gtest/gtest.h>

#include <charconv>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "policies/bundles.h"
#include "tests/support/test_support.h"

namespace rskv {
namespace {

// Every store test runs once per index policy (policies/bundles.h: IndexBundles).
template <class S>
class StoreTest : public ::testing::Test {};
TYPED_TEST_SUITE(StoreTest, test::TypesOf<IndexBundles>::type);

using test::key_of;
using test::small_config;
using test::value_of;

template <class TestStore>
std::unique_ptr<TestStore> open_store(const StoreConfig& cfg) {
  auto s = TestStore::open(cfg);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return std::move(s).value();
}

// Counter increment as an RMW update function: absent reads as 0.
auto increment(std::int64_t by) {
  return [by](const std::string_view* old, ValueBuilder& out) {
    std::int64_t v = 0;
    if (old != nullptr) std::from_chars(old->data(), old->data() + old->size(), v);
    out.assign(std::to_string(v + by));
    return true;
  };
}

// Upsert, read, overwrite, delete, re-insert: the basic contract of each operation.
TYPED_TEST(StoreTest, BasicOperations) {
  auto store = open_store<TypeParam>(small_config());
  auto session = store->start_session();
  ASSERT_TRUE(session.ok());
  auto& s = session.value();
  std::string out;
  EXPECT_EQ(s.get("a", out), Status::NotFound);
  EXPECT_EQ(s.upsert("a", "1"), Status::Ok);
  EXPECT_EQ(s.get("a", out), Status::Ok);
  EXPECT_EQ(out, "1");
  EXPECT_EQ(s.upsert("a", "2"), Status::Ok);  // same length: in place
  EXPECT_EQ(s.get("a", out), Status::Ok);
  EXPECT_EQ(out, "2");
  EXPECT_EQ(s.upsert("a", "three"), Status::Ok);  // new length: appended
  EXPECT_EQ(s.get("a", out), Status::Ok);
  EXPECT_EQ(out, "three");
  EXPECT_EQ(s.remove("a"), Status::Ok);
  EXPECT_EQ(s.get("a", out), Status::NotFound);
  EXPECT_EQ(s.remove("a"), Status::Ok);      // absent: still Ok
  EXPECT_EQ(s.remove("never"), Status::Ok);  // never existed
  EXPECT_EQ(s.upsert("a", "back"), Status::Ok);
  EXPECT_EQ(s.get("a", out), Status::Ok);
  EXPECT_EQ(out, "back");
  EXPECT_EQ(s.upsert("", "x"), Status::InvalidArgument);  // empty key
  EXPECT_GT(s.serial(), 10u);
}

// RMW: absent starts from nothing, in-place increments, length changes, declines.
TYPED_TEST(StoreTest, ReadModifyWrite) {
  auto store = open_store<TypeParam>(small_config());
  auto s = std::move(store->start_session()).value();
  std::string out;
  EXPECT_EQ(s.rmw_sync("c", increment(5)), Status::Ok);
  EXPECT_EQ(s.get("c", out), Status::Ok);
  EXPECT_EQ(out, "5");
  for (int i = 0; i < 20; ++i) EXPECT_EQ(s.rmw_sync("c", increment(1)), Status::Ok);
  EXPECT_EQ(s.get("c", out), Status::Ok);
  EXPECT_EQ(out, "25");  // crossed 9 -> 10 (a length change) on the way
  auto decline = [](const std::string_view*, ValueBuilder&) { return false; };
  EXPECT_EQ(s.rmw_sync("c", decline), Status::Aborted);
  EXPECT_EQ(s.get("c", out), Status::Ok);
  EXPECT_EQ(out, "25");
  EXPECT_EQ(s.remove("c"), Status::Ok);
  EXPECT_EQ(s.rmw_sync("c", increment(3)), Status::Ok);  // deleted reads as absent
  EXPECT_EQ(s.get("c", out), Status::Ok);
  EXPECT_EQ(out, "3");
}

// Keys from 1 B to 64 KiB and values from 1 B to 1 MiB round-trip; over the limit is refused.
TYPED_TEST(StoreTest, KeyAndValueSizes) {
  StoreConfig cfg = small_config(16u << 20, true, 1u << 20);
  cfg.max_key_bytes = 64 * 1024;
  auto store = open_store<TypeParam>(cfg);
  auto s = std::move(store->start_session()).value();
  std::string out;
  for (std::size_t klen : {1u, 7u, 8u, 9u, 100u, 4096u, 65536u}) {
    std::string key(klen, 'k');
    key[0] = static_cast<char>('A' + klen % 26);
    for (std::size_t vlen : {1u, 8u, 9u, 1000u, 65536u, 1u << 20}) {
      std::string value = value_of(klen, vlen, vlen);
      ASSERT_EQ(s.upsert(key, value), Status::Ok) << klen << " " << vlen;
      ASSERT_EQ(s.get(key, out), Status::Ok);
      ASSERT_EQ(out, value) << klen << " " << vlen;
    }
  }
  EXPECT_EQ(s.upsert(std::string(64 * 1024 + 1, 'k'), "v"), Status::InvalidArgument);
  EXPECT_EQ(s.upsert("k", std::string((1u << 20) + 1, 'v')), Status::InvalidArgument);
  EXPECT_EQ(s.get(std::string(64 * 1024 + 1, 'k'), out), Status::InvalidArgument);
}

// Updates hit each region: mutable (in place), read-only (copy to tail), and the device
// (pending read, then append); every key reads back its newest value.
TYPED_TEST(StoreTest, UpdatesInEveryRegion) {
  StoreConfig cfg = small_config(64 * 1024, true, 256);
  cfg.page_bits = 14;  // 16 KiB pages, 4 frames
  auto store = open_store<TypeParam>(cfg);
  auto s = std::move(store->start_session()).value();
  constexpr int kKeys = 4000;  // ~40 B records: ~160 KB of log, 2.5x the budget
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(s.upsert(key_of(i), value_of(i, 0, 8)), Status::Ok);
  auto st = store->stats();
  ASSERT_GT(st.head, kFirstValidAddress);  // the oldest pages were evicted
  // Oldest keys are now on the device; the newest are mutable.
  for (int i = 0; i < kKeys; i += 7) {
    ASSERT_EQ(s.rmw_sync(key_of(i), increment(i)), Status::Ok);
  }
  std::string out;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(s.get(key_of(i), out), Status::Ok) << i;
    if (i % 7 == 0) {
      // value_of(i,0,8) is not numeric: from_chars reads its leading digits (i) then stops.
      std::int64_t lead = 0;
      std::string v0 = value_of(i, 0, 8);
      std::from_chars(v0.data(), v0.data() + v0.size(), lead);
      EXPECT_EQ(out, std::to_string(lead + i)) << i;
    } else {
      EXPECT_EQ(out, value_of(i, 0, 8)) << i;
    }
  }
}

// Records evicted to the device are read back through Pending and complete_pending(); head
// passed each of them, the device's read counter grew, and resident frames stayed in budget.
TYPED_TEST(StoreTest, ReadBackAfterEviction) {
  StoreConfig cfg = small_config(64 * 1024, true, 512);
  cfg.page_bits = 14;
  auto store = open_store<TypeParam>(cfg);
  auto s = std::move(store->start_session()).value();
  constexpr int kKeys = 20000;  // ~ 20000 * 144 B = 2.9 MB of log against a 64 KiB budget
  std::vector<std::uint64_t> tail_before(kKeys);
  std::uint64_t max_resident = 0;
  for (int i = 0; i < kKeys; ++i) {
    tail_before[i] = store->log().tail();
    ASSERT_EQ(s.upsert(key_of(i), value_of(i, 1, 100)), Status::Ok);
    max_resident = std::max(max_resident, store->log().resident_pages());
  }
  const auto st = store->stats();
  EXPECT_LE(max_resident * st.page_size, st.log_memory_bytes);
  EXPECT_LE(st.log_memory_bytes, cfg.memory_bytes);
  const std::uint64_t reads_before = st.device.reads;
  int pending = 0, on_device = 0;
  for (int i = 0; i < kKeys; ++i) {
    bool device = tail_before[i] + 200 < store->log().head();
    on_device += device;
    std::string got;
    Status r = s.read(key_of(i), [&](Status st2, std::string_view v) {
      EXPECT_EQ(st2, Status::Ok);
      got.assign(v);
    });
    if (r == Status::Pending) {
      ++pending;
      s.complete_pending(true);
    } else {
      ASSERT_EQ(r, Status::Ok);
    }
    ASSERT_EQ(got, value_of(i, 1, 100)) << i;
  }
  EXPECT_GT(on_device, kKeys / 2);
  EXPECT_GE(pending, on_device);
  EXPECT_GT(store->stats().device.reads, reads_before + on_device - 1);
  EXPECT_EQ(s.get("absent-key", *std::make_unique<std::string>()), Status::NotFound);
}

// Many reads in flight from one session complete together in one complete_pending().
TYPED_TEST(StoreTest, ManyPendingReads) {
  StoreConfig cfg = small_config(64 * 1024, true, 512);
  cfg.page_bits = 14;
  auto store = open_store<TypeParam>(cfg);
  auto s = std::move(store->start_session()).value();
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(s.upsert(key_of(i), value_of(i, 2, 64)), Status::Ok);
  int done = 0, issued = 0;
  for (int i = 0; i < 64; ++i) {
    Status r = s.read(key_of(i), [&, i](Status st, std::string_view v) {
      EXPECT_EQ(st, Status::Ok);
      EXPECT_EQ(v, value_of(i, 2, 64));
      ++done;
    });
    ASSERT_EQ(r, Status::Pending);
    ++issued;
  }
  EXPECT_EQ(s.pending_count(), 64u);
  EXPECT_TRUE(s.complete_pending(true));
  EXPECT_EQ(done, issued);
}

// Pending RMW and delete of keys on the device; two keys in one hash chain across regions.
TYPED_TEST(StoreTest, DeviceRmwAndDelete) {
  StoreConfig cfg = small_config(64 * 1024, true, 512);
  cfg.page_bits = 14;
  cfg.index.initial_buckets = 1;  // every key shares one bucket: long shared chains
  auto store = open_store<TypeParam>(cfg);
  auto s = std::move(store->start_session()).value();
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(s.upsert(key_of(i), std::to_string(i)), Status::Ok);
  std::string out;
  bool done = false;
  Status r = s.rmw(key_of(5), increment(100), [&](Status st) {
    EXPECT_EQ(st, Status::Ok);
    done = true;
  });
  EXPECT_EQ(r, Status::Pending);
  s.complete_pending(true);
  EXPECT_TRUE(done);
  EXPECT_EQ(s.get(key_of(5), out), Status::Ok);
  EXPECT_EQ(out, "105");
  EXPECT_EQ(s.remove(key_of(6)), Status::Ok);
  EXPECT_EQ(s.get(key_of(6), out), Status::NotFound);
  EXPECT_EQ(s.rmw_sync(key_of(7), increment(1)), Status::Ok);
  EXPECT_EQ(s.get(key_of(7), out), Status::Ok);
  EXPECT_EQ(out, "8");
  for (int i = 8; i < 3000; i += 97) {
    EXPECT_EQ(s.get(key_of(i), out), Status::Ok);
    EXPECT_EQ(out, std::to_string(i));
  }
}

// Purpose: an index that starts at 64 buckets takes 4x its entry slots through two sessions
// inserting at once (growth runs under them), and every key reads back afterwards (issue 6).
TYPED_TEST(StoreTest, IndexGrowsPastInitialSize) {
  StoreConfig cfg = small_config(4u << 20);
  cfg.index.initial_buckets = 64;
  cfg.index.max_overflow_chain = 1;  // chained: grow as soon as a chain passes one overflow
  auto store = open_store<TypeParam>(cfg);
  constexpr int kThreads = 2;
  const int keys = 4 * 64 * 7;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto s = std::move(store->start_session()).value();
      for (int i = t; i < keys; i += kThreads) {
        ASSERT_EQ(s.upsert(key_of(i), value_of(i, 0, 16)), Status::Ok) << i;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GT(store->index().num_buckets(), 64u) << "the index never grew";
  auto s = std::move(store->start_session()).value();
  std::string out;
  for (int i = 0; i < keys; ++i) {
    ASSERT_EQ(s.get(key_of(i), out), Status::Ok) << "key " << i << " lost";
    ASSERT_EQ(out, value_of(i, 0, 16)) << i;
  }
  EXPECT_GE(store->index().size(), static_cast<std::size_t>(keys) * 9 / 10)
      << "about one entry per key (a few keys may share one)";
}

// A budget below the minimum is refused with a message naming the minimum.
TYPED_TEST(StoreTest, RejectsTooSmallBudget) {
  StoreConfig cfg = small_config(4096);
  auto s = TypeParam::open(cfg);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("minimum"), std::string::npos) << s.error().message;
}

// Randomized single-thread model check: the store agrees with std::map after every op.
TYPED_TEST(StoreTest, RandomOpsMatchModel) {
  StoreConfig cfg = small_config(64 * 1024, true, 300);
  cfg.page_bits = 14;
  auto store = open_store<TypeParam>(cfg);
  auto s = std::move(store->start_session()).value();
  std::mt19937_64 rng(test::test_seed());
  std::map<std::string, std::string> model;
  std::string out;
  for (int op = 0; op < 30000; ++op) {
    std::string k = key_of(rng() % 500);
    switch (rng() % 4) {
      case 0: {
        std::string v = value_of(rng() % 1000, op, 1 + rng() % 200);
        ASSERT_EQ(s.upsert(k, v), Status::Ok);
        model[k] = v;
        break;
      }
      case 1: {
        Status st = s.get(k, out);
        auto it = model.find(k);
        if (it == model.end()) {
          ASSERT_EQ(st, Status::NotFound) << k;
        } else {
          ASSERT_EQ(st, Status::Ok) << k;
          ASSERT_EQ(out, it->second) << k;
        }
        break;
      }
      case 2:
        ASSERT_EQ(s.remove(k), Status::Ok);
        model.erase(k);
        break;
      case 3: {
        auto append_x = [](const std::string_view* old, ValueBuilder& b) {
          std::string v = old ? std::string(*old) : std::string();
          if (v.size() > 250) v.resize(3);
          b.assign(v + "x");
          return true;
        };
        ASSERT_EQ(s.rmw_sync(k, append_x), Status::Ok);
        std::string& m = model[k];
        if (m.size() > 250) m.resize(3);
        m += "x";
        break;
      }
    }
  }
}

}  // namespace
}  // namespace rskv

namespace rskv {
namespace {

// Batched read/upsert/rmw give exactly the results of the same operations one by one: random
// batches with repeated keys, absent keys and keys whose records are only on the device.
TYPED_TEST(StoreTest, BatchEqualsOneByOne) {
  StoreConfig cfg = test::small_config(64 * 1024, true, 512);
  cfg.page_bits = 14;
  auto a = std::move(TypeParam::open(cfg)).value();  // batched
  auto b = std::move(TypeParam::open(cfg)).value();  // one by one
  auto sa = std::move(a->start_session()).value();
  auto sb = std::move(b->start_session()).value();
  constexpr int kKeys = 3000;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_EQ(sa.upsert(key_of(i), value_of(i, 0, 40)), Status::Ok);
    ASSERT_EQ(sb.upsert(key_of(i), value_of(i, 0, 40)), Status::Ok);
  }
  ASSERT_GT(a->stats().head, 64u * 1024);  // the oldest keys are only on the device
  std::mt19937_64 rng(test::test_seed());
  int pending_elements = 0;
  for (int round = 0; round < 300; ++round) {
    const std::size_t n = 1 + rng() % 48;
    std::vector<std::string> key_store(n), value_store(n);
    std::vector<std::string_view> keys(n), values(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t k = rng() % 8 == 0 ? kKeys + rng() % 100 : rng() % kKeys;        // some absent
      if (i > 0 && rng() % 6 == 0) k = std::stoull(key_store[rng() % i].substr(4));  // repeat
      key_store[i] = key_of(k);
      value_store[i] = value_of(k, round, 1 + rng() % 60);
      keys[i] = key_store[i];
      values[i] = value_store[i];
    }
    std::vector<Status> st(n, Status::Busy);
    switch (rng() % 3) {
      case 0: {  // reads
        std::vector<std::pair<Status, std::string>> got_a(n, {Status::NotFound, ""}), got_b = got_a;
        sa.read_batch(keys, st.data(), [&](std::size_t i, Status s, std::string_view v) {
          got_a[i] = {s, std::string(v)};
        });
        for (std::size_t i = 0; i < n; ++i) pending_elements += st[i] == Status::Pending;
        sa.complete_pending(true);
        for (std::size_t i = 0; i < n; ++i) {
          std::string out;
          Status s = sb.get(keys[i], out);
          got_b[i] = {s, s == Status::Ok ? out : ""};
          ASSERT_EQ(got_a[i], got_b[i]) << "round " << round << " element " << i;
        }
        break;
      }
      case 1: {  // upserts
        sa.upsert_batch(keys, values, st.data());
        for (std::size_t i = 0; i < n; ++i) {
          ASSERT_EQ(st[i], sb.upsert(keys[i], values[i]));
        }
        break;
      }
      default: {  // rmw: append a marker (length changes, copies from every region)
        auto update = [](const std::string_view* old, ValueBuilder& out) {
          std::string v = old ? std::string(old->substr(0, 30)) : std::string("new");
          out.assign(v + "!");
          return true;
        };
        std::vector<Status> done(n, Status::Busy);
        sa.rmw_batch(keys, update, st.data(), [&](std::size_t i, Status s) { done[i] = s; });
        sa.complete_pending(true);
        for (std::size_t i = 0; i < n; ++i) {
          Status final_a = st[i] == Status::Pending ? done[i] : st[i];
          pending_elements += st[i] == Status::Pending;
          ASSERT_EQ(final_a, sb.rmw_sync(keys[i], update)) << "round " << round;
        }
        break;
      }
    }
  }
  EXPECT_GT(pending_elements, 0);
  // Final states agree on every key.
  std::string va, vb;
  for (int i = 0; i < kKeys + 100; ++i) {
    Status x = sa.get(key_of(i), va), y = sb.get(key_of(i), vb);
    ASSERT_EQ(x, y) << i;
    if (x == Status::Ok) {
      ASSERT_EQ(va, vb) << i;
    }
  }
}

}  // namespace
}  // namespace rskv
