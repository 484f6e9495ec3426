// Store conformance: one typed suite over every compiled bundle (policies/bundles.h), so a
// new index or device runs the same store tests with no copy. Cases: larger-than-memory data
// read back from each device (1 and 2 threads), newest version in memory over older ones on
// the device, two keys sharing one hash chain across memory and device, and the store
// directory contract (lock, refusing an existing store).
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "policies/bundles.h"
#include "tests/support/test_support.h"

namespace rskv {
namespace {

template <class S>
class StoreConformance : public ::testing::Test {
 protected:
  StoreConfig config(std::uint64_t memory_bytes) {
    StoreConfig c = test::small_config(memory_bytes, /*deferred=*/true, 4096);
    c.path = (test::test_dir() / "store").string();
    c.device.segment_bytes = 64ull << 20;
    // Page cache on for speed in the default run; tests/conformance/device_fault_test.cc
    // checks that O_DIRECT is in effect where the file system allows it.
    c.device.direct_io = false;
    c.index.initial_buckets = 1 << 16;
    return c;
  }
  std::unique_ptr<S> open(const StoreConfig& c) {
    auto s = S::open(c);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(s).value() : nullptr;
  }
  // Reads keys [from, to) with up to 64 reads in flight and checks each value.
  static void read_back(typename S::Session& s, int from, int to, int version) {
    int done = 0, issued = 0;
    for (int i = from; i < to; ++i) {
      ++issued;
      Status r = s.read(test::key_of(i), [&, i](Status st, std::string_view v) {
        ASSERT_EQ(st, Status::Ok) << test::key_of(i);
        ASSERT_EQ(v, test::value_of(i, version, 100)) << test::key_of(i);
        ++done;
      });
      ASSERT_TRUE(r == Status::Ok || r == Status::Pending) << to_string(r);
      if (s.pending_count() >= 64) s.complete_pending(false);
    }
    s.complete_pending(true);
    EXPECT_EQ(done, issued);
  }
};

TYPED_TEST_SUITE_P(StoreConformance);

// An 8 MiB log holds 20x that much data (100-byte values); every key reads back, and the
// device served reads (head passed the data).
TYPED_TEST_P(StoreConformance, LargerThanMemorySingleThread) {
  auto c = this->config(8u << 20);
  auto store = this->open(c);
  ASSERT_TRUE(store);
  auto s = std::move(store->start_session()).value();
  const int keys = static_cast<int>((20 * (8u << 20)) / 136);  // 136 B per record
  for (int i = 0; i < keys; ++i)
    ASSERT_EQ(s.upsert(test::key_of(i), test::value_of(i, 1, 100)), Status::Ok);
  auto before = store->stats();
  EXPECT_GT(before.head, 19 * (8ull << 20));
  this->read_back(s, 0, keys, 1);
  if (TypeParam::DeviceType::kName != std::string_view("memory") || c.device.deferred) {
    EXPECT_GT(store->stats().device.reads, before.device.reads);
  }
}

// Two threads load disjoint halves and then read back all keys (their own and the other's).
TYPED_TEST_P(StoreConformance, LargerThanMemoryTwoThreads) {
  auto store = this->open(this->config(8u << 20));
  ASSERT_TRUE(store);
  const int keys = static_cast<int>((20 * (8u << 20)) / 136);
  std::vector<std::thread> ts;
  for (int t = 0; t < 2; ++t) {
    ts.emplace_back([&, t] {
      auto s = std::move(store->start_session()).value();
      for (int i = t; i < keys; i += 2) {
        ASSERT_EQ(s.upsert(test::key_of(i), test::value_of(i, 1, 100)), Status::Ok);
      }
    });
  }
  for (auto& t : ts) t.join();
  ts.clear();
  for (int t = 0; t < 2; ++t) {
    ts.emplace_back([&, t] {
      auto s = std::move(store->start_session()).value();
      this->read_back(s, t * keys / 2, (t + 1) * keys / 2, 1);
    });
  }
  for (auto& t : ts) t.join();
}

// A key's newest version is in memory while older ones sit on the device: reads see the
// newest; a delete in memory hides the device copies; an RMW reads the device copy.
TYPED_TEST_P(StoreConformance, NewestInMemoryOlderOnDevice) {
  auto store = this->open(this->config(8u << 20));
  ASSERT_TRUE(store);
  auto s = std::move(store->start_session()).value();
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(s.upsert(test::key_of(i), test::value_of(i, 1, 100)), Status::Ok);
  const int filler = static_cast<int>((3 * (8u << 20)) / 136);
  for (int i = 1000; i < 1000 + filler; ++i) {
    ASSERT_EQ(s.upsert(test::key_of(i), test::value_of(i, 1, 100)), Status::Ok);
  }
  ASSERT_GT(store->stats().head, 3ull << 20);  // keys 0..99 are only on the device now
  for (int i = 0; i < 100; i += 3)
    ASSERT_EQ(s.upsert(test::key_of(i), test::value_of(i, 2, 100)), Status::Ok);
  for (int i = 1; i < 100; i += 3) ASSERT_EQ(s.remove(test::key_of(i)), Status::Ok);
  std::string out;
  for (int i = 0; i < 100; ++i) {
    Status st = s.get(test::key_of(i), out);
    if (i % 3 == 0) {
      ASSERT_EQ(st, Status::Ok);
      EXPECT_EQ(out, test::value_of(i, 2, 100));
    } else if (i % 3 == 1) {
      EXPECT_EQ(st, Status::NotFound) << i;
    } else {
      ASSERT_EQ(st, Status::Ok);
      EXPECT_EQ(out, test::value_of(i, 1, 100));
    }
  }
  auto suffix = [](const std::string_view* old, ValueBuilder& b) {
    b.assign(std::string(old ? *old : std::string_view("none")) + "+");
    return true;
  };
  EXPECT_EQ(s.rmw_sync(test::key_of(2), suffix), Status::Ok);  // old value only on device
  ASSERT_EQ(s.get(test::key_of(2), out), Status::Ok);
  EXPECT_EQ(out, test::value_of(2, 1, 100) + "+");
}

// StoreConfig::copy_reads_to_tail: a value a read fetched from the device is appended at the
// tail, so the next read of the key hits memory; a write or delete that lands while the read
// is on the device is never hidden by the copy; with the option off, reads go to the device
// every time.
TYPED_TEST_P(StoreConformance, CopyReadsToTail) {
  for (bool copy : {true, false}) {
    SCOPED_TRACE(copy ? "copy_reads_to_tail" : "no copy");
    auto c = this->config(8u << 20);
    c.copy_reads_to_tail = copy;
    if (!copy) c.path += "-nocopy";
    auto store = this->open(c);
    ASSERT_TRUE(store);
    auto s = std::move(store->start_session()).value();
    for (int i = 0; i < 100; ++i)
      ASSERT_EQ(s.upsert(test::key_of(i), test::value_of(i, 1, 100)), Status::Ok);
    const int filler = static_cast<int>((3 * (8u << 20)) / 136);
    for (int i = 1000; i < 1000 + filler; ++i)
      ASSERT_EQ(s.upsert(test::key_of(i), test::value_of(i, 1, 100)), Status::Ok);
    ASSERT_GT(store->stats().head, 3ull << 20);  // keys 0..99 are only on the device now
    int delivered = 0;
    for (int i = 0; i < 100; ++i) {
      Status r = s.read(test::key_of(i), [&, i](Status st, std::string_view v) {
        EXPECT_EQ(st, Status::Ok) << i;
        EXPECT_EQ(v, test::value_of(i, 1, 100)) << i;
        ++delivered;
      });
      ASSERT_EQ(r, Status::Pending) << i;
      // While the read is on the device: overwrite every 5th key, delete every 7th.
      if (i % 5 == 0) {
        ASSERT_EQ(s.upsert(test::key_of(i), test::value_of(i, 2, 100)), Status::Ok);
      } else if (i % 7 == 0) {
        ASSERT_EQ(s.remove(test::key_of(i)), Status::Ok);
      }
    }
    s.complete_pending(true);
    EXPECT_EQ(delivered, 100);
    const auto before = store->stats().device.reads;
    for (int i = 0; i < 100; ++i) {
      std::string got;
      Status r = s.read(test::key_of(i), [&](Status st, std::string_view v) {
        ASSERT_EQ(st, Status::Ok);
        got.assign(v);
      });
      if (i % 7 == 0 && i % 5 != 0) {
        EXPECT_EQ(r, Status::NotFound) << i;  // the copy did not resurrect a deleted key
        continue;
      }
      if (i % 5 == 0 || copy) {
        ASSERT_EQ(r, Status::Ok) << i;  // in memory: the newer write, or the copy
        EXPECT_EQ(got, test::value_of(i, i % 5 == 0 ? 2 : 1, 100)) << i;
      } else {
        ASSERT_EQ(r, Status::Pending) << i;
        s.complete_pending(true);
        EXPECT_EQ(got, test::value_of(i, 1, 100)) << i;
      }
    }
    if (copy) {
      EXPECT_EQ(store->stats().device.reads, before);
    }
  }
}

// Two keys share one index entry (same bucket and tag): one record on the device, the
// other in memory; both read back, through the chain.
TYPED_TEST_P(StoreConformance, SharedChainAcrossMemoryAndDevice) {
  auto c = this->config(8u << 20);
  c.index.initial_buckets = 64;
  auto store = this->open(c);
  ASSERT_TRUE(store);
  // Find two keys whose hashes share bucket (low 6 bits) and 14-bit tag: one index entry.
  auto tag = [](const std::string& k) {
    std::uint64_t h = hash_key(k);
    return ((h >> 48) & 0x3fff) << 6 | (h & 63);
  };
  std::string a = "chain-a", b;
  for (int i = 0; b.empty(); ++i) {
    std::string k = "chain-b" + std::to_string(i);
    if (tag(k) == tag(a)) b = k;
  }
  auto s = std::move(store->start_session()).value();
  ASSERT_EQ(s.upsert(a, "value-of-a"), Status::Ok);
  const int filler = static_cast<int>((3 * (8u << 20)) / 4000);  // push a to the device
  for (int i = 0; i < filler; ++i) {
    ASSERT_EQ(s.upsert(test::key_of(i), test::value_of(i, 1, 3900)), Status::Ok);
  }
  ASSERT_GT(store->stats().head, 2ull << 20);
  ASSERT_EQ(s.upsert(b, "value-of-b"), Status::Ok);
  std::string out;
  ASSERT_EQ(s.get(b, out), Status::Ok);
  EXPECT_EQ(out, "value-of-b");
  ASSERT_EQ(s.get(a, out), Status::Ok);  // walks b's record (memory) to a's (device)
  EXPECT_EQ(out, "value-of-a");
}

// A persistent store's directory is locked while open and refused once it holds a store;
// the memory device leaves the directory alone.
TYPED_TEST_P(StoreConformance, StoreDirectoryContract) {
  auto c = this->config(8u << 20);
  auto store = this->open(c);
  ASSERT_TRUE(store);
  auto again = TypeParam::open(c);
  if (!TypeParam::DeviceType::kPersistent) {
    EXPECT_TRUE(again.ok());
    return;
  }
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Status::Busy) << again.error().message;
  store.reset();
  auto reopened = TypeParam::open(c);
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.error().message.find("already holds an rskv store"), std::string::npos)
      << reopened.error().message;
}

REGISTER_TYPED_TEST_SUITE_P(StoreConformance, LargerThanMemorySingleThread,
                            LargerThanMemoryTwoThreads, NewestInMemoryOlderOnDevice,
                            SharedChainAcrossMemoryAndDevice, CopyReadsToTail,
                            StoreDirectoryContract);
INSTANTIATE_TYPED_TEST_SUITE_P(AllBundles, StoreConformance, test::TypesOf<AllBundles>::type);

}  // namespace
}  // namespace rskv

namespace rskv {
namespace {

// One session issues 64 reads below head before complete_pending(): the io_uring device has
// at least 32 of them in flight at once, with O_DIRECT in effect on ext4-like file systems.
TEST(StoreIoUring, ManyReadsInFlightPerSession) {
  StoreConfig c = test::small_config(8u << 20, false, 4096);
  c.path = (test::test_dir() / "store").string();
  c.device.direct_io = true;
  c.device.segment_bytes = 64ull << 20;
  auto opened = ChainedIoUringNone::open(c);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto store = std::move(opened).value();
  auto s = std::move(store->start_session()).value();
  const int keys = static_cast<int>((4 * (8u << 20)) / 136);
  for (int i = 0; i < keys; ++i)
    ASSERT_EQ(s.upsert(test::key_of(i), test::value_of(i, 1, 100)), Status::Ok);
  ASSERT_GT(store->stats().head, 1u << 20);
  int done = 0;
  for (int i = 0; i < 64; ++i) {
    Status r = s.read(test::key_of(i * 7), [&, i](Status st, std::string_view v) {
      EXPECT_EQ(st, Status::Ok);
      EXPECT_EQ(v, test::value_of(i * 7, 1, 100));
      ++done;
    });
    ASSERT_EQ(r, Status::Pending) << i;
  }
  EXPECT_GE(store->device().in_flight(), 32u);
  s.complete_pending(true);
  EXPECT_EQ(done, 64);
  EXPECT_GE(store->stats().device.max_in_flight, 32u);
  if (!store->device().direct_io()) {
    GTEST_SKIP() << "O_DIRECT not in effect here: " << store->device().direct_io_fallback_reason();
  }
}

}  // namespace
}  // namespace rskv
