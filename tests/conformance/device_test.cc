// Device conformance: one typed suite run against every log device (memory inline and
// deferred, file, io_uring, and the faulty wrapper with faults off). Specification tests of
// the DevicePolicy contract; fault injection and implementation details live in
// device_fault_test.cc.

#include <gtest/gtest.h>

#include <barrier>
#include <memory>
#include <thread>
#include <vector>

#include "components/device/device.h"
#include "tests/conformance/device_test_util.h"

namespace rskv::test {
namespace {

using device::FaultyDevice;
using device::FileDevice;
using device::IoUringDevice;
using device::MemoryDevice;

constexpr std::uint64_t kSegmentBytes = 256 * 1024;

struct MemoryInline {
  using Device = MemoryDevice;
  static constexpr bool kPersistent = false;
  static constexpr bool kInline = true;
  static DeviceConfig config(const std::string& dir) {
    return DeviceConfig{.path = dir, .segment_bytes = kSegmentBytes};
  }
};
struct MemoryDeferred {
  using Device = MemoryDevice;
  static constexpr bool kPersistent = false;
  static constexpr bool kInline = false;
  static DeviceConfig config(const std::string& dir) {
    return DeviceConfig{.path = dir, .segment_bytes = kSegmentBytes, .deferred = true};
  }
};
struct File {
  using Device = FileDevice;
  static constexpr bool kPersistent = true;
  static constexpr bool kInline = true;
  static DeviceConfig config(const std::string& dir) {
    return DeviceConfig{.path = dir, .segment_bytes = kSegmentBytes};
  }
};
struct IoUring {
  using Device = IoUringDevice;
  static constexpr bool kPersistent = true;
  static constexpr bool kInline = false;
  static DeviceConfig config(const std::string& dir) {
    return DeviceConfig{.path = dir, .segment_bytes = kSegmentBytes, .queue_depth = 32};
  }
};
template <class Base>
struct Faulty : Base {
  using Device = FaultyDevice<typename Base::Device>;
};

static_assert(DevicePolicy<FaultyDevice<FileDevice>>);
static_assert(DevicePolicy<FaultyDevice<IoUringDevice>>);

template <class Traits>
class DeviceTest : public ::testing::Test {
 protected:
  using Device = typename Traits::Device;

  void SetUp() override { open(); }

  void open() {
    dev_.reset();
    auto r = Device::open(Traits::config(dir_.path()));
    ASSERT_TRUE(r.ok()) << r.error().message;
    dev_ = std::move(r.value());
    blk_ = std::max<std::size_t>(dev_->alignment(), 4096);
  }

  AlignedBuffer buffer(std::size_t len) const {
    return AlignedBuffer(len, std::max<std::size_t>(dev_->alignment(), 64));
  }

  void write_pattern(std::uint64_t offset, std::size_t len, std::uint64_t seed) {
    AlignedBuffer b = buffer(len);
    fill_pattern(b.data(), len, seed);
    ASSERT_EQ(write_sync(*dev_, offset, b.data(), static_cast<std::uint32_t>(len)), Status::Ok);
  }

  bool reads_pattern(std::uint64_t offset, std::size_t len, std::uint64_t seed) {
    AlignedBuffer b = buffer(len);
    EXPECT_EQ(read_sync(*dev_, offset, b.data(), static_cast<std::uint32_t>(len)), Status::Ok);
    return check_pattern(b.data(), len, seed);
  }

  bool reads_zeros(std::uint64_t offset, std::size_t len) {
    AlignedBuffer b = buffer(len);
    std::memset(b.data(), 0xAB, len);
    Completion c;
    EXPECT_EQ(dev_->read_async(offset, b.data(), static_cast<std::uint32_t>(len),
                               &Completion::callback, &c),
              Status::Ok);
    while (!c.done()) dev_->complete_pending(true);
    EXPECT_EQ(c.status, Status::Ok);
    EXPECT_LE(c.bytes, len);  // the contract allows a short count past the written end
    return all_zero(b.data(), c.bytes);
  }

  TestDir dir_;
  std::unique_ptr<Device> dev_;
  std::size_t blk_ = 4096;
};

using DeviceTypes = ::testing::Types<MemoryInline, MemoryDeferred, File, IoUring, Faulty<File>,
                                     Faulty<IoUring>, Faulty<MemoryDeferred>>;
class DeviceNames {
 public:
  template <class T>
  static std::string GetName(int) {
    if (std::is_same_v<T, MemoryInline>) return "MemoryInline";
    if (std::is_same_v<T, MemoryDeferred>) return "MemoryDeferred";
    if (std::is_same_v<T, File>) return "File";
    if (std::is_same_v<T, IoUring>) return "IoUring";
    if (std::is_same_v<T, Faulty<File>>) return "FaultyFile";
    if (std::is_same_v<T, Faulty<IoUring>>) return "FaultyIoUring";
    return "FaultyMemoryDeferred";
  }
};
TYPED_TEST_SUITE(DeviceTest, DeviceTypes, DeviceNames);

// Purpose: data written at scattered offsets reads back byte for byte.
TYPED_TEST(DeviceTest, ReadAfterWrite) {
  const std::size_t b = this->blk_;
  for (std::uint64_t i = 0; i < 16; ++i) this->write_pattern(i * 3 * b, b, 100 + i);
  for (std::uint64_t i = 0; i < 16; ++i) EXPECT_TRUE(this->reads_pattern(i * 3 * b, b, 100 + i));
  // A multi-block transfer too.
  this->write_pattern(64 * b, 8 * b, 7);
  EXPECT_TRUE(this->reads_pattern(64 * b, 8 * b, 7));
}

// Purpose: an I/O issued after a write completed sees it; a later write replaces an earlier
// one; every accepted I/O's callback runs exactly once by complete_pending(true).
TYPED_TEST(DeviceTest, Ordering) {
  const std::size_t b = this->blk_;
  this->write_pattern(0, b, 1);
  this->write_pattern(0, b, 2);
  EXPECT_TRUE(this->reads_pattern(0, b, 2));

  constexpr int kIos = 24;
  std::vector<AlignedBuffer> bufs;
  std::vector<Completion> done(kIos);
  for (int i = 0; i < kIos; ++i) {
    bufs.push_back(this->buffer(b));
    fill_pattern(bufs.back().data(), b, 500 + i);
    ASSERT_EQ(this->dev_->write_async((i + 1) * b, bufs.back().data(), b, &Completion::callback,
                                      &done[i]),
              Status::Ok);
  }
  this->dev_->complete_pending(true);
  for (int i = 0; i < kIos; ++i) {
    EXPECT_EQ(done[i].calls.load(), 1) << "write " << i;
    EXPECT_EQ(done[i].status, Status::Ok);
    EXPECT_EQ(done[i].bytes, b);
  }
  EXPECT_EQ(this->dev_->in_flight(), 0u);
  for (int i = 0; i < kIos; ++i) EXPECT_TRUE(this->reads_pattern((i + 1) * b, b, 500 + i));
}

// Purpose: alignment() is a power of two; aligned I/O works; a misaligned request on a device
// that requires alignment is refused with InvalidArgument and its callback never runs.
TYPED_TEST(DeviceTest, Alignment) {
  const std::size_t a = this->dev_->alignment();
  ASSERT_GE(a, 1u);
  ASSERT_EQ(a & (a - 1), 0u) << "alignment " << a << " is not a power of two";
  this->write_pattern(5 * a * 8, a * 8, 9);
  EXPECT_TRUE(this->reads_pattern(5 * a * 8, a * 8, 9));
  AlignedBuffer buf = this->buffer(4 * this->blk_);
  if (a == 1) {
    fill_pattern(buf.data() + 3, 77, 11);
    ASSERT_EQ(write_sync(*this->dev_, 13, buf.data() + 3, 77), Status::Ok);
    AlignedBuffer back = this->buffer(128);
    ASSERT_EQ(read_sync(*this->dev_, 13, back.data() + 1, 77), Status::Ok);
    EXPECT_TRUE(check_pattern(back.data() + 1, 77, 11));
    return;
  }
  Completion c;
  EXPECT_EQ(this->dev_->write_async(1, buf.data(), a, &Completion::callback, &c),
            Status::InvalidArgument);
  EXPECT_EQ(this->dev_->write_async(0, buf.data() + 1, a, &Completion::callback, &c),
            Status::InvalidArgument);
  EXPECT_EQ(this->dev_->read_async(0, buf.data(), a - 1, &Completion::callback, &c),
            Status::InvalidArgument);
  this->dev_->complete_pending(true);
  EXPECT_EQ(c.calls.load(), 0);
}

// Purpose: several threads write and read at once, each keeping several I/Os in flight and
// completing them itself; every block reads back with its writer's pattern.
TYPED_TEST(DeviceTest, ConcurrentReadsAndWrites) {
  constexpr int kThreads = 4;
  constexpr int kBlocks = 48;
  constexpr int kWindow = 8;
  const std::size_t b = this->blk_;
  auto& dev = *this->dev_;
  std::barrier sync(kThreads);
  std::atomic<int> bad{0};
  auto worker = [&](int t) {
    auto offset = [&](int thread, int i) { return std::uint64_t(i * kThreads + thread) * b; };
    std::vector<AlignedBuffer> bufs;
    for (int i = 0; i < kWindow; ++i) bufs.push_back(this->buffer(b));
    std::vector<Completion> done(kBlocks);
    for (int i = 0; i < kBlocks; ++i) {
      if (i >= kWindow) {
        while (!done[i - kWindow].done()) dev.complete_pending(false);
      }
      fill_pattern(bufs[i % kWindow].data(), b, t * 1000 + i);
      if (dev.write_async(offset(t, i), bufs[i % kWindow].data(), b, &Completion::callback,
                          &done[i]) != Status::Ok) {
        bad.fetch_add(1);
      }
    }
    for (int i = 0; i < kBlocks; ++i) {
      while (!done[i].done()) dev.complete_pending(true);
      if (done[i].status != Status::Ok) bad.fetch_add(1);
    }
    sync.arrive_and_wait();
    // Read everybody's blocks, kWindow at a time.
    for (int other = 0; other < kThreads; ++other) {
      for (int i = 0; i < kBlocks; i += kWindow) {
        std::vector<Completion> rd(kWindow);
        for (int k = 0; k < kWindow; ++k) {
          if (dev.read_async(offset(other, i + k), bufs[k].data(), b, &Completion::callback,
                             &rd[k]) != Status::Ok) {
            bad.fetch_add(1);
          }
        }
        for (int k = 0; k < kWindow; ++k) {
          while (!rd[k].done()) dev.complete_pending(false);
          if (rd[k].status != Status::Ok ||
              !check_pattern(bufs[k].data(), b, other * 1000 + i + k)) {
            bad.fetch_add(1);
          }
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  dev.complete_pending(true);
  EXPECT_EQ(dev.in_flight(), 0u);
  EXPECT_GE(dev.stats().writes, std::uint64_t(kThreads * kBlocks));
}

// Purpose: complete_pending(true) returns only after the callback of every I/O accepted
// before the call has run, even while other threads issue and reap I/O concurrently (and may
// reap this thread's completions).
TYPED_TEST(DeviceTest, WaitCoversEarlierIoUnderConcurrency) {
  constexpr int kThreads = 3;
  constexpr int kRounds = 150;
  const std::size_t b = this->blk_;
  auto& dev = *this->dev_;
  std::atomic<int> bad{0};
  auto worker = [&](int t) {
    AlignedBuffer buf = this->buffer(2 * b);
    fill_pattern(buf.data(), b, t);
    for (int i = 0; i < kRounds; ++i) {
      Completion w, r;
      const std::uint64_t off = std::uint64_t(t * kRounds + i) * b;
      if (dev.write_async(off, buf.data(), b, &Completion::callback, &w) != Status::Ok) {
        bad.fetch_add(1);
      }
      if (dev.read_async(off, buf.data() + b, b, &Completion::callback, &r) != Status::Ok) {
        bad.fetch_add(1);
      }
      dev.complete_pending(true);
      if (!w.done() || !r.done()) bad.fetch_add(1);
      if (i % 3 == 0) dev.complete_pending(false);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(dev.in_flight(), 0u);
}

// Purpose: flush() is the durability barrier: after it returns Ok, acknowledged writes survive
// closing and reopening the device (for devices that persist).
TYPED_TEST(DeviceTest, DurabilityBarrier) {
  const std::size_t b = this->blk_;
  for (std::uint64_t i = 0; i < 8; ++i) this->write_pattern(i * b, b, 40 + i);
  this->write_pattern(kSegmentBytes * 2, b, 50);  // a second segment file
  ASSERT_EQ(this->dev_->flush(), Status::Ok);
  ASSERT_EQ(this->dev_->flush(), Status::Ok);  // idempotent
  if (!TypeParam::kPersistent) return;
  this->open();
  for (std::uint64_t i = 0; i < 8; ++i) EXPECT_TRUE(this->reads_pattern(i * b, b, 40 + i));
  EXPECT_TRUE(this->reads_pattern(kSegmentBytes * 2, b, 50));
}

// Purpose: truncate_before releases whole segments below the offset (they read as zeros, their
// files are gone) and keeps everything from the first kept segment on.
TYPED_TEST(DeviceTest, Truncation) {
  const std::size_t b = this->blk_;
  for (std::uint64_t s = 0; s < 4; ++s) {
    this->write_pattern(s * kSegmentBytes, b, 60 + s);
    this->write_pattern(s * kSegmentBytes + kSegmentBytes / 2, b, 70 + s);
  }
  ASSERT_EQ(this->dev_->flush(), Status::Ok);
  ASSERT_EQ(this->dev_->truncate_before(2 * kSegmentBytes + b), Status::Ok);
  ASSERT_EQ(this->dev_->truncate_before(kSegmentBytes), Status::Ok);  // lower: no effect
  for (std::uint64_t s = 0; s < 2; ++s) {
    EXPECT_TRUE(this->reads_zeros(s * kSegmentBytes, b)) << "segment " << s;
  }
  for (std::uint64_t s = 2; s < 4; ++s) {
    EXPECT_TRUE(this->reads_pattern(s * kSegmentBytes, b, 60 + s)) << "segment " << s;
    EXPECT_TRUE(this->reads_pattern(s * kSegmentBytes + kSegmentBytes / 2, b, 70 + s));
  }
  if (!TypeParam::kPersistent) return;
  device::OsFileSystem fs;
  EXPECT_FALSE(fs.exists(this->dir_.sub("log.0")).value());
  EXPECT_FALSE(fs.exists(this->dir_.sub("log.1")).value());
  EXPECT_TRUE(fs.exists(this->dir_.sub("log.2")).value());
  EXPECT_TRUE(fs.exists(this->dir_.sub("log.3")).value());
}

// Purpose: reading a range never written (a gap inside a segment, a segment never created, far
// past the end) is not an error and yields zeros.
TYPED_TEST(DeviceTest, ReadingAHole) {
  const std::size_t b = this->blk_;
  EXPECT_TRUE(this->reads_zeros(0, b));  // nothing written yet
  this->write_pattern(0, b, 80);
  this->write_pattern(4 * b, b, 81);
  EXPECT_TRUE(this->reads_zeros(2 * b, b));                // a gap
  EXPECT_TRUE(this->reads_zeros(8 * b, 2 * b));            // past the end of the segment data
  EXPECT_TRUE(this->reads_zeros(100 * kSegmentBytes, b));  // a segment never created
  EXPECT_TRUE(this->reads_pattern(0, b, 80));
}

// Purpose: an I/O that crosses a segment boundary is split and completes once, whole.
TYPED_TEST(DeviceTest, CrossSegmentIo) {
  const std::size_t b = this->blk_;
  this->write_pattern(kSegmentBytes - b, 2 * b, 90);
  EXPECT_TRUE(this->reads_pattern(kSegmentBytes - b, 2 * b, 90));
  // The second half, read alone, is the tail of the same pattern.
  AlignedBuffer whole = this->buffer(2 * b);
  fill_pattern(whole.data(), 2 * b, 90);
  AlignedBuffer half = this->buffer(b);
  ASSERT_EQ(read_sync(*this->dev_, kSegmentBytes, half.data(), b), Status::Ok);
  EXPECT_EQ(std::memcmp(half.data(), whole.data() + b, b), 0);
}

// Purpose: in_flight() returns to 0 once callbacks ran; stats count I/Os and bytes; a device
// that defers completions reports at least one I/O in flight at once.
TYPED_TEST(DeviceTest, InFlightAndStats) {
  const std::size_t b = this->blk_;
  AlignedBuffer buf = this->buffer(8 * b);
  std::vector<Completion> done(8);
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(
        this->dev_->write_async(i * b, buf.data() + i * b, b, &Completion::callback, &done[i]),
        Status::Ok);
  }
  if (!TypeParam::kInline) {
    EXPECT_GE(this->dev_->in_flight() + done[0].calls.load(), 1u);
  }
  std::size_t ran = 0;
  while (ran < 8 && !std::all_of(done.begin(), done.end(), [](auto& c) { return c.done(); })) {
    ran += this->dev_->complete_pending(true);
  }
  EXPECT_EQ(this->dev_->in_flight(), 0u);
  DeviceStats s = this->dev_->stats();
  EXPECT_GE(s.writes, 8u);
  EXPECT_GE(s.bytes_written, 8 * b);
  if (!TypeParam::kInline) {
    EXPECT_GE(s.max_in_flight, 1u);
  }
}

}  // namespace
}  // namespace rskv::test
