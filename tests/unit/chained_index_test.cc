// Unit tests for the chained index: insert/find/CAS, overflow buckets, the tentative protocol.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "components/common/hash.h"
#include "components/index/chained/chained_index.h"

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
  ChainedIndex idx(small(1));
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
