// Unit tests for the hybrid log: allocation across page boundaries, region shifts, flush to
// the device and eviction within the frame budget.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "components/device/memory_device.h"
#include "components/epoch/epoch.h"
#include "components/hlog/hybrid_log.h"

namespace rskv::hlog {
namespace {

using Log = HybridLog<device::MemoryDevice>;

LogConfig small_log() {
  LogConfig c;
  c.page_bits = 12;  // 4 KiB pages
  c.memory_bytes = 4 * 4096;
  c.max_record_bytes = 1024;
  c.huge_pages = false;
  return c;
}

// Allocations never straddle a page, never overlap, and cross many page boundaries.
TEST(HybridLog, AllocationAcrossPages) {
  epoch::EpochManager em;
  device::MemoryDevice dev(DeviceConfig{});
  Log log(small_log(), dev, em);
  std::uint32_t slot = em.acquire_slot();
  em.protect(slot);
  std::uint64_t prev_end = 0;
  for (int i = 0; i < 2000; ++i) {
    std::uint32_t size = 8 * (1 + i % 100);
    std::uint64_t a = 0;
    Status s;
    while ((s = log.allocate(size, &a)) == Status::Busy) log.help(slot);
    ASSERT_EQ(s, Status::Ok);
    EXPECT_EQ(a >> 12, (a + size - 1) >> 12) << "record spans a page";
    EXPECT_GE(a, prev_end);
    prev_end = a + size;
  }
  EXPECT_GT(log.tail() >> 12, 30u);  // crossed dozens of pages with 4 frames
  EXPECT_LE(log.resident_pages(), log.frames());
  EXPECT_GT(log.head(), kFirstValidAddress);
  EXPECT_LE(log.head(), log.safe_read_only());
  EXPECT_LE(log.safe_read_only(), log.read_only());
  EXPECT_LE(log.read_only(), log.tail());
  em.unprotect(slot);
  em.release_slot(slot);
}

// Pages below head were written to the device with the bytes they held in memory.
TEST(HybridLog, FlushedPagesReachDevice) {
  epoch::EpochManager em;
  device::MemoryDevice dev(DeviceConfig{});
  Log log(small_log(), dev, em);
  std::uint32_t slot = em.acquire_slot();
  em.protect(slot);
  std::vector<std::uint64_t> addrs;
  for (int i = 0; i < 500; ++i) {
    std::uint64_t a = 0;
    while (log.allocate(64, &a) == Status::Busy) log.help(slot);
    std::memset(log.get(a), i & 0xff, 64);
    addrs.push_back(a);
  }
  em.unprotect(slot);
  ASSERT_EQ(log.flush_all(slot), Status::Ok);
  std::uint64_t head = log.head();
  int checked = 0;
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    if (addrs[i] + 64 > log.flushed_until()) continue;
    unsigned char buf[64];
    bool done = false;
    ASSERT_EQ(dev.read_async(
                  addrs[i], buf, 64,
                  [](void* c, Status st, std::size_t) {
                    EXPECT_EQ(st, Status::Ok);
                    *static_cast<bool*>(c) = true;
                  },
                  &done),
              Status::Ok);
    ASSERT_TRUE(done);
    for (unsigned char b : buf) ASSERT_EQ(b, i & 0xff);
    ++checked;
  }
  EXPECT_GT(checked, 400);
  EXPECT_GT(head, kFirstValidAddress);
  EXPECT_GT(dev.stats().writes, 0u);
  em.release_slot(slot);
}

// Several threads allocate concurrently: all ranges are disjoint and within one page each.
TEST(HybridLog, ConcurrentAllocation) {
  epoch::EpochManager em;
  device::MemoryDevice dev(DeviceConfig{});
  LogConfig cfg = small_log();
  cfg.memory_bytes = 8 * 4096;
  Log log(cfg, dev, em);
  constexpr int kThreads = 4, kPer = 3000;
  std::vector<std::vector<std::pair<std::uint64_t, std::uint32_t>>> got(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      std::uint32_t slot = em.acquire_slot();
      em.protect(slot);
      for (int i = 0; i < kPer; ++i) {
        std::uint32_t size = 8 * (1 + (i * 31 + t) % 60);
        std::uint64_t a = 0;
        while (log.allocate(size, &a) == Status::Busy) log.help(slot);
        std::memset(log.get(a), t + 1, size);  // touching it must be safe while protected
        got[t].push_back({a, size});
        if (i % 64 == 0) em.refresh(slot);
      }
      em.unprotect(slot);
      em.release_slot(slot);
    });
  }
  for (auto& t : ts) t.join();
  std::vector<std::pair<std::uint64_t, std::uint32_t>> all;
  for (auto& g : got) all.insert(all.end(), g.begin(), g.end());
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].first >> 12, (all[i].first + all[i].second - 1) >> 12);
    if (i > 0) {
      ASSERT_GE(all[i].first, all[i - 1].first + all[i - 1].second) << "overlap";
    }
  }
}

// A device that needs 512-byte-aligned I/O and performs a write only inside
// complete_pending(), newest first: the writes of consecutive flushes reach it in the reverse
// of their issue order, and a write reads its buffer only then.
class ReorderingDevice {
 public:
  static constexpr std::string_view kName = "reordering";
  static constexpr bool kPersistent = false;
  static constexpr std::size_t kAlign = 512;
  static Result<std::unique_ptr<ReorderingDevice>> open(const DeviceConfig&) {
    return std::make_unique<ReorderingDevice>();
  }
  Status write_async(std::uint64_t offset, const void* buf, std::uint32_t len, IoCallback cb,
                     void* ctx) {
    if (((offset | len | reinterpret_cast<std::uintptr_t>(buf)) & (kAlign - 1)) != 0) {
      return Status::InvalidArgument;
    }
    std::lock_guard<std::mutex> g(mu_);
    pending_.push_back(Write{offset, static_cast<const std::byte*>(buf), len, cb, ctx});
    ++writes_;
    return Status::Ok;
  }
  Status read_async(std::uint64_t offset, void* buf, std::uint32_t len, IoCallback cb, void* ctx) {
    {
      std::lock_guard<std::mutex> g(mu_);
      auto* out = static_cast<std::byte*>(buf);
      for (std::uint32_t i = 0; i < len; ++i) {
        out[i] = offset + i < data_.size() ? data_[offset + i] : std::byte{0};
      }
    }
    cb(ctx, Status::Ok, len);
    return Status::Ok;
  }
  std::size_t complete_pending(bool /*wait*/) {
    std::size_t n = 0;
    for (;; ++n) {
      Write w;
      {
        std::lock_guard<std::mutex> g(mu_);
        if (pending_.empty()) return n;
        w = pending_.back();
        pending_.pop_back();
        if (data_.size() < w.offset + w.len) data_.resize(w.offset + w.len);
        std::memcpy(data_.data() + w.offset, w.buf, w.len);
      }
      w.cb(w.ctx, Status::Ok, w.len);
    }
  }
  Status flush() { return Status::Ok; }
  Status truncate_before(std::uint64_t) { return Status::Ok; }
  [[nodiscard]] std::size_t alignment() const { return kAlign; }
  [[nodiscard]] std::size_t in_flight() const {
    std::lock_guard<std::mutex> g(mu_);
    return pending_.size();
  }
  [[nodiscard]] DeviceStats stats() const {
    std::lock_guard<std::mutex> g(mu_);
    DeviceStats s;
    s.writes = writes_;
    return s;
  }

 private:
  struct Write {
    std::uint64_t offset = 0;
    const std::byte* buf = nullptr;
    std::uint32_t len = 0;
    IoCallback cb = nullptr;
    void* ctx = nullptr;
  };
  mutable std::mutex mu_;
  std::vector<Write> pending_;
  std::vector<std::byte> data_;
  std::uint64_t writes_ = 0;
};
static_assert(DevicePolicy<ReorderingDevice>);

// Flush bounds that are not device-aligned: a flush writes its last partial block from a
// bounce buffer (zeros past the bound) and the next flush rewrites that block. Even when the
// device applies writes in reverse order, every flushed byte ends up on the device as it was in
// memory, and every flushed range's checksum matches the device.
TEST(HybridLog, UnalignedFlushesSurviveReorderedWrites) {
  epoch::EpochManager em;
  ReorderingDevice dev;
  HybridLog<ReorderingDevice> log(small_log(), dev, em);
  std::uint32_t slot = em.acquire_slot();
  em.protect(slot);
  auto fill = [](std::uint64_t a, std::uint32_t size, std::byte* p) {
    for (std::uint32_t i = 0; i < size; ++i) p[i] = static_cast<std::byte>((a + i) * 131 >> 3);
  };
  std::vector<std::pair<std::uint64_t, std::uint32_t>> recs;
  for (int i = 0; i < 3000; ++i) {
    const std::uint32_t size = 8 * (1 + (i * 7) % 23);
    std::uint64_t a = 0;
    while (log.allocate(size, &a) == Status::Busy) log.help(slot);
    fill(a, size, log.get(a));
    recs.push_back({a, size});
    if (i % 5 == 4) {
      // Several flushes in flight at once: issue them, complete them only now and then.
      log.shift_read_only(log.tail());
      em.refresh(slot);
      if (i % 35 == 34) dev.complete_pending(false);
    }
  }
  em.unprotect(slot);
  ASSERT_EQ(log.flush_all(slot), Status::Ok);
  const std::uint64_t flushed = log.flushed_until();
  ASSERT_EQ(flushed, log.tail());
  auto read = [&](std::uint64_t from, std::uint64_t to) {
    std::vector<std::byte> out(to - from);
    bool done = false;
    EXPECT_EQ(dev.read_async(
                  from, out.data(), static_cast<std::uint32_t>(out.size()),
                  [](void* c, Status, std::size_t) { *static_cast<bool*>(c) = true; }, &done),
              Status::Ok);
    EXPECT_TRUE(done);
    return out;
  };
  for (auto [a, size] : recs) {
    std::vector<std::byte> want(size);
    fill(a, size, want.data());
    ASSERT_EQ(read(a, a + size), want) << "record at " << a;
  }
  std::vector<FlushedRange> ranges = log.flushed_ranges(kFirstValidAddress, flushed);
  EXPECT_GT(ranges.size(), 100u);
  for (const FlushedRange& r : ranges) {
    std::vector<std::byte> got = read(r.from, r.to);
    ASSERT_EQ(checksum64(got.data(), got.size()), r.checksum) << r.from << ".." << r.to;
  }
  em.release_slot(slot);
}

// The page size is validated against the largest record and the frame count.
TEST(HybridLog, ConfigValidation) {
  LogConfig c = small_log();
  EXPECT_TRUE(c.validate().ok());
  c.max_record_bytes = 5000;
  EXPECT_FALSE(c.validate().ok());
  c = small_log();
  c.memory_bytes = 3 * 4096;
  auto r = c.validate();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("minimum"), std::string::npos);
}

}  // namespace
}  // namespace rskv::hlog
