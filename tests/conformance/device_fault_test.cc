// Device implementation and fault tests: fault injection through FaultyDevice and
// FaultyFileSystem, power-loss simulation, the store directory (metadata, lock held against a
// second process), O_DIRECT on ext4, io_uring queue depth and back-pressure.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "components/device/device.h"
#include "tests/conformance/device_test_util.h"

namespace rskv::test {
namespace {

using device::FaultConfig;
using device::FaultKind;
using device::FaultyDevice;
using device::FaultyFileSystem;
using device::FileDevice;
using device::IoUringDevice;
using device::MemoryDevice;
using device::OsFileSystem;
using device::StoreDir;
using device::StoreMeta;

constexpr std::uint64_t kSegmentBytes = 256 * 1024;

template <class Device>
std::unique_ptr<Device> open_device(const DeviceConfig& cfg) {
  auto r = Device::open(cfg);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r.value()) : nullptr;
}

AlignedBuffer pattern(std::size_t len, std::uint64_t seed) {
  AlignedBuffer b(len, 4096);
  fill_pattern(b.data(), len, seed);
  return b;
}

// ---- FaultyDevice ----------------------------------------------------------------------

// Purpose: an injected read error reaches the caller as IoError; other reads and writes are
// unaffected and the data is intact.
TEST(FaultyDeviceTest, ReadErrorReachesCaller) {
  TestDir dir;
  auto dev =
      open_device<FaultyDevice<FileDevice>>({.path = dir.path(), .segment_bytes = kSegmentBytes});
  ASSERT_NE(dev, nullptr);
  AlignedBuffer data = pattern(4096, 1);
  ASSERT_EQ(write_sync(*dev, 0, data.data(), 4096), Status::Ok);
  dev->schedule().fail_next(FaultKind::ReadError);
  AlignedBuffer back(4096, 4096);
  EXPECT_EQ(read_sync(*dev, 0, back.data(), 4096), Status::IoError);
  EXPECT_EQ(read_sync(*dev, 0, back.data(), 4096), Status::Ok);
  EXPECT_TRUE(check_pattern(back.data(), 4096, 1));
  EXPECT_EQ(dev->schedule().injected(FaultKind::ReadError), 1u);
  EXPECT_EQ(write_sync(*dev, 4096, data.data(), 4096), Status::Ok);
}

// Purpose: an injected write error is reported and writes nothing; the next write succeeds.
TEST(FaultyDeviceTest, WriteErrorIsReported) {
  TestDir dir;
  auto dev = open_device<FaultyDevice<IoUringDevice>>(
      {.path = dir.path(), .segment_bytes = kSegmentBytes});
  ASSERT_NE(dev, nullptr);
  AlignedBuffer data = pattern(4096, 2);
  dev->schedule().fail_next(FaultKind::WriteError);
  EXPECT_EQ(write_sync(*dev, 0, data.data(), 4096), Status::IoError);
  AlignedBuffer back(4096, 4096);
  ASSERT_EQ(read_sync(*dev, 0, back.data(), 4096), Status::Ok);
  EXPECT_TRUE(all_zero(back.data(), 4096));
  EXPECT_EQ(write_sync(*dev, 0, data.data(), 4096), Status::Ok);
  ASSERT_EQ(read_sync(*dev, 0, back.data(), 4096), Status::Ok);
  EXPECT_TRUE(check_pattern(back.data(), 4096, 2));
}

// Purpose: a full disk stops writes with NoSpace; what was written before stays readable and
// durable; reads keep working.
TEST(FaultyDeviceTest, NoSpaceStopsWritesAndKeepsData) {
  TestDir dir;
  auto dev =
      open_device<FaultyDevice<FileDevice>>({.path = dir.path(), .segment_bytes = kSegmentBytes});
  ASSERT_NE(dev, nullptr);
  dev->set_faults(FaultConfig{.space_bytes = 3 * 4096});
  std::vector<Status> results;
  for (int i = 0; i < 5; ++i) {
    AlignedBuffer data = pattern(4096, 10 + i);
    results.push_back(write_sync(*dev, i * 4096, data.data(), 4096));
  }
  EXPECT_EQ(results, (std::vector<Status>{Status::Ok, Status::Ok, Status::Ok, Status::NoSpace,
                                          Status::NoSpace}));
  EXPECT_EQ(dev->flush(), Status::Ok);
  AlignedBuffer back(4096, 4096);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(read_sync(*dev, i * 4096, back.data(), 4096), Status::Ok);
    EXPECT_TRUE(check_pattern(back.data(), 4096, 10 + i));
  }
  // The real device's errno mapping: ENOSPC is NoSpace, not a generic IoError.
  EXPECT_EQ(device::status_from_errno(ENOSPC), Status::NoSpace);
}

// Purpose: an injected flush error is reported; nothing acknowledged is lost: a later flush
// makes the same writes durable (checked across a simulated power loss).
TEST(FaultyDeviceTest, FlushErrorLosesNothingAcknowledged) {
  TestDir dir;
  const DeviceConfig cfg{.path = dir.path(), .segment_bytes = kSegmentBytes};
  auto dev = open_device<FaultyDevice<FileDevice>>(cfg);
  ASSERT_NE(dev, nullptr);
  dev->set_faults(FaultConfig{.track_durability = true});
  AlignedBuffer a = pattern(8192, 20);
  ASSERT_EQ(write_sync(*dev, 0, a.data(), 8192), Status::Ok);
  dev->schedule().fail_next(FaultKind::FlushError);
  EXPECT_EQ(dev->flush(), Status::IoError);
  EXPECT_EQ(dev->flush(), Status::Ok);  // the retry makes the write durable
  ASSERT_EQ(dev->simulate_power_loss(), Status::Ok);
  dev.reset();
  auto again = open_device<FileDevice>(cfg);
  AlignedBuffer back(8192, 4096);
  ASSERT_EQ(read_sync(*again, 0, back.data(), 8192), Status::Ok);
  EXPECT_TRUE(check_pattern(back.data(), 8192, 20));
}

// Purpose: an injected short write is completed: the caller sees one whole write and the data
// lands in full (file and io_uring inner devices).
template <class Inner>
void short_write_is_completed(const std::string& path) {
  auto dev = open_device<FaultyDevice<Inner>>({.path = path, .segment_bytes = kSegmentBytes});
  ASSERT_NE(dev, nullptr);
  AlignedBuffer data = pattern(16 * 4096, 30);
  dev->schedule().fail_next(FaultKind::ShortWrite);
  ASSERT_EQ(write_sync(*dev, 4096, data.data(), 16 * 4096), Status::Ok);
  EXPECT_EQ(dev->schedule().injected(FaultKind::ShortWrite), 1u);
  EXPECT_EQ(dev->short_writes_completed(), 1u);
  AlignedBuffer back(16 * 4096, 4096);
  ASSERT_EQ(read_sync(*dev, 4096, back.data(), 16 * 4096), Status::Ok);
  EXPECT_TRUE(check_pattern(back.data(), 16 * 4096, 30));
  EXPECT_EQ(dev->in_flight(), 0u);
}
TEST(FaultyDeviceTest, ShortWriteIsCompletedFile) {
  TestDir dir;
  short_write_is_completed<FileDevice>(dir.path());
}
TEST(FaultyDeviceTest, ShortWriteIsCompletedIoUring) {
  TestDir dir;
  short_write_is_completed<IoUringDevice>(dir.path());
}

// Purpose: the seeded schedule is deterministic: the same seed fails the same operations, a
// different seed others, at roughly the configured rate.
TEST(FaultyDeviceTest, SeededScheduleIsDeterministic) {
  auto failures = [](std::uint64_t seed) {
    auto dev = std::make_unique<FaultyDevice<MemoryDevice>>(
        std::make_unique<MemoryDevice>(DeviceConfig{}),
        FaultConfig{.seed = seed, .read_error_one_in = 10});
    std::vector<int> failed;
    AlignedBuffer buf(64, 64);
    for (int i = 0; i < 1000; ++i) {
      if (read_sync(*dev, 0, buf.data(), 64) != Status::Ok) failed.push_back(i);
    }
    return failed;
  };
  std::vector<int> a = failures(42), b = failures(42), c = failures(43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_GT(a.size(), 50u);
  EXPECT_LT(a.size(), 200u);
}

// Purpose: with delays on, I/O still completes correctly (delays only slow it down).
TEST(FaultyDeviceTest, DelaysKeepResultsCorrect) {
  TestDir dir;
  auto dev = open_device<FaultyDevice<IoUringDevice>>(
      {.path = dir.path(), .segment_bytes = kSegmentBytes});
  ASSERT_NE(dev, nullptr);
  dev->set_faults(FaultConfig{.seed = 7, .delay_one_in = 3, .delay_micros = 100});
  for (int i = 0; i < 12; ++i) {
    AlignedBuffer data = pattern(4096, 40 + i);
    ASSERT_EQ(write_sync(*dev, i * 4096, data.data(), 4096), Status::Ok);
  }
  AlignedBuffer back(4096, 4096);
  for (int i = 0; i < 12; ++i) {
    ASSERT_EQ(read_sync(*dev, i * 4096, back.data(), 4096), Status::Ok);
    EXPECT_TRUE(check_pattern(back.data(), 4096, 40 + i));
  }
  EXPECT_GT(dev->schedule().injected(FaultKind::Delay), 0u);
}

// Purpose: a simulated power loss drops every write not made durable (new data disappears,
// overwritten data comes back) and keeps every write a successful flush covered.
TEST(FaultyDeviceTest, PowerLossDropsWhatWasNotDurable) {
  TestDir dir;
  const DeviceConfig cfg{.path = dir.path(), .segment_bytes = kSegmentBytes};
  auto dev = open_device<FaultyDevice<IoUringDevice>>(cfg);
  ASSERT_NE(dev, nullptr);
  dev->set_faults(FaultConfig{.track_durability = true});
  AlignedBuffer a = pattern(4096, 50), b = pattern(4096, 51), c = pattern(4096, 52);
  ASSERT_EQ(write_sync(*dev, 0, a.data(), 4096), Status::Ok);
  ASSERT_EQ(write_sync(*dev, 4096, a.data(), 4096), Status::Ok);
  ASSERT_EQ(dev->flush(), Status::Ok);
  ASSERT_EQ(write_sync(*dev, 4096, b.data(), 4096), Status::Ok);           // overwrite, unsynced
  ASSERT_EQ(write_sync(*dev, kSegmentBytes, c.data(), 4096), Status::Ok);  // new segment, unsynced
  ASSERT_EQ(dev->simulate_power_loss(), Status::Ok);
  dev.reset();
  auto again = open_device<IoUringDevice>(cfg);
  AlignedBuffer back(4096, 4096);
  ASSERT_EQ(read_sync(*again, 0, back.data(), 4096), Status::Ok);
  EXPECT_TRUE(check_pattern(back.data(), 4096, 50));
  ASSERT_EQ(read_sync(*again, 4096, back.data(), 4096), Status::Ok);
  EXPECT_TRUE(check_pattern(back.data(), 4096, 50)) << "the unsynced overwrite survived";
  ASSERT_EQ(read_sync(*again, kSegmentBytes, back.data(), 4096), Status::Ok);
  EXPECT_TRUE(all_zero(back.data(), 4096)) << "the unsynced new write survived";
}

// Purpose: durability tracking over a device that defers completions: callbacks reaped while
// a write captures old contents still run exactly once (in complete_pending), and a power
// loss drops exactly the unflushed writes.
TEST(FaultyDeviceTest, TrackingOverDeferredDevice) {
  auto dev = std::make_unique<FaultyDevice<MemoryDevice>>(
      std::make_unique<MemoryDevice>(
          DeviceConfig{.path = "", .segment_bytes = kSegmentBytes, .deferred = true}),
      FaultConfig{.track_durability = true});
  AlignedBuffer a = pattern(8 * 4096, 90);
  std::vector<Completion> done(8);
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(
        dev->write_async(i * 4096, a.data() + i * 4096, 4096, &Completion::callback, &done[i]),
        Status::Ok);
  }
  dev->complete_pending(true);
  ASSERT_EQ(dev->flush(), Status::Ok);
  for (int i = 4; i < 8; ++i) {
    ASSERT_EQ(
        dev->write_async(i * 4096, a.data() + i * 4096, 4096, &Completion::callback, &done[i]),
        Status::Ok);
  }
  dev->complete_pending(true);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(done[i].calls.load(), 1) << "write " << i;
    EXPECT_EQ(done[i].status, Status::Ok);
  }
  EXPECT_EQ(dev->in_flight(), 0u);
  ASSERT_EQ(dev->simulate_power_loss(), Status::Ok);
  AlignedBuffer back(8 * 4096, 4096);
  ASSERT_EQ(read_sync(*dev, 0, back.data(), 8 * 4096), Status::Ok);
  EXPECT_TRUE(check_pattern(back.data(), 4 * 4096, 90));
  EXPECT_TRUE(all_zero(back.data() + 4 * 4096, 4 * 4096));
}

// ---- FaultyFileSystem ------------------------------------------------------------------

// Purpose: named files follow POSIX durability under a simulated power loss: durable writes
// stay, unsynced files and names vanish, an interrupted replace leaves the old contents.
TEST(FaultyFileSystemTest, PowerLossKeepsOnlyDurableFiles) {
  TestDir dir;
  OsFileSystem os;
  FaultyFileSystem fs(os);
  const std::string meta = dir.sub("meta"), loose = dir.sub("loose"), synced = dir.sub("synced");
  ASSERT_TRUE(device::write_file_durably(fs, meta, "v1").ok());
  ASSERT_TRUE(fs.write_file(loose, "never synced").ok());
  ASSERT_TRUE(fs.write_file(synced, "synced, name not").ok());
  ASSERT_TRUE(fs.sync_file(synced).ok());
  // A replace that fails at the rename: the target keeps v1.
  fs.schedule().fail_next(FaultKind::RenameError);
  auto r = device::write_file_durably(fs, meta, "v2");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(fs.read_file(meta).value(), "v1");
  ASSERT_TRUE(fs.simulate_power_loss().ok());
  EXPECT_EQ(fs.read_file(meta).value(), "v1");
  EXPECT_FALSE(os.exists(loose).value());
  EXPECT_FALSE(os.exists(synced).value()) << "its directory entry was never synced";
  EXPECT_FALSE(os.exists(meta + ".tmp").value());
  // A completed durable replace survives.
  ASSERT_TRUE(device::write_file_durably(fs, meta, "v3").ok());
  ASSERT_TRUE(fs.write_file(meta, "v4 unsynced in place").ok());
  ASSERT_TRUE(fs.simulate_power_loss().ok());
  EXPECT_EQ(os.read_file(meta).value(), "v3");
}

// Purpose: file-system faults are reported with the injected status: write error, ENOSPC,
// sync error, read error.
TEST(FaultyFileSystemTest, InjectedErrorsAreReported) {
  TestDir dir;
  OsFileSystem os;
  FaultyFileSystem fs(os, FaultConfig{.space_bytes = 10});
  const std::string f = dir.sub("f");
  fs.schedule().fail_next(FaultKind::WriteError);
  EXPECT_EQ(fs.write_file(f, "x").error().code, Status::IoError);
  EXPECT_FALSE(os.exists(f).value());
  EXPECT_TRUE(fs.write_file(f, "0123456789").ok());
  auto full = fs.write_file(f, "more");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, Status::NoSpace);
  fs.schedule().fail_next(FaultKind::FlushError);
  EXPECT_EQ(fs.sync_file(f).error().code, Status::IoError);
  fs.schedule().fail_next(FaultKind::ReadError);
  EXPECT_EQ(fs.read_file(f).error().code, Status::IoError);
  EXPECT_EQ(fs.read_file(f).value(), "0123456789");
}

// ---- StoreDir --------------------------------------------------------------------------

StoreMeta meta_for(std::string index, std::string device, std::string gc) {
  return StoreMeta{.index = std::move(index),
                   .device = std::move(device),
                   .gc = std::move(gc),
                   .page_bytes = 1u << 20,
                   .segment_bytes = kSegmentBytes};
}

// Purpose: a missing directory is created and reported fresh; prepare_new_store writes the
// metadata; reopening reports an existing store with its policies and refuses it clearly.
TEST(StoreDirTest, FreshThenExisting) {
  TestDir dir;
  OsFileSystem fs;
  const std::string path = dir.sub("store");
  const StoreMeta want = meta_for("chained", "file", "none");
  {
    auto d = StoreDir::open(fs, path);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_TRUE((*d)->fresh());
    ASSERT_TRUE((*d)->prepare_new_store(want).ok());
    EXPECT_EQ((*d)->kind(), StoreDir::Kind::Existing);
  }
  auto d = StoreDir::open(fs, path);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ((*d)->kind(), StoreDir::Kind::Existing);
  ASSERT_TRUE((*d)->stored().has_value());
  EXPECT_EQ(*(*d)->stored(), want);
  EXPECT_TRUE((*d)->check_compatible(want).ok());

  auto same = (*d)->prepare_new_store(want);
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.error().code, Status::InvalidArgument);
  EXPECT_NE(same.error().message.find("already holds an rskv store"), std::string::npos);
  EXPECT_NE(same.error().message.find("--recover"), std::string::npos) << same.error().message;

  auto other = (*d)->prepare_new_store(meta_for("cuckoo", "file", "compact"));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("made with other policies: index=chained device=file "
                                       "gc=none"),
            std::string::npos)
      << other.error().message;
}

// Purpose: torn or foreign metadata and a non-empty foreign directory are refused with a
// message naming the file; nothing is overwritten.
TEST(StoreDirTest, CorruptMetadataAndForeignDirectory) {
  TestDir dir;
  OsFileSystem fs;
  const std::string path = dir.sub("store");
  ASSERT_TRUE(fs.create_dir(path).ok());
  ASSERT_TRUE(fs.write_file(path + "/notes.txt", "mine").ok());
  auto foreign = StoreDir::open(fs, path);
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, Status::InvalidArgument);
  EXPECT_NE(foreign.error().message.find("notes.txt"), std::string::npos);
  EXPECT_EQ(fs.read_file(path + "/notes.txt").value(), "mine");

  std::string text = device::encode_meta(meta_for("chained", "io_uring", "truncate"));
  text[text.find("io_uring")] = 'X';  // flip a byte: the checksum must catch it
  ASSERT_TRUE(fs.write_file(path + "/rskv.meta", text).ok());
  auto torn = StoreDir::open(fs, path);
  ASSERT_FALSE(torn.ok());
  EXPECT_EQ(torn.error().code, Status::Corruption);
  EXPECT_NE(torn.error().message.find("rskv.meta"), std::string::npos);
  EXPECT_NE(torn.error().message.find("checksum"), std::string::npos);
}

// Purpose: a second opener gets the lock error naming the directory: in this process, and in
// a second process (fork); the lock goes with the StoreDir.
TEST(StoreDirTest, SecondProcessGetsLockError) {
  TestDir dir;
  OsFileSystem fs;
  const std::string path = dir.sub("store");
  auto held = StoreDir::open(fs, path);
  ASSERT_TRUE(held.ok()) << held.error().message;

  auto again = StoreDir::open(fs, path);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Status::Busy);
  EXPECT_NE(again.error().message.find(path), std::string::npos) << again.error().message;

  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child: open the same directory; report the outcome through the exit code and the
    // error message through the pipe. No gtest assertions here.
    ::close(pipe_fds[0]);
    OsFileSystem child_fs;
    auto r = StoreDir::open(child_fs, path);
    int code = r.ok() ? 1 : (r.error().code == Status::Busy ? 0 : 2);
    if (!r.ok()) {
      ssize_t n = ::write(pipe_fds[1], r.error().message.data(), r.error().message.size());
      (void)n;
    }
    ::close(pipe_fds[1]);
    ::_exit(code);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) message.append(buf, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "child could open a locked store: " << message;
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("in use"), std::string::npos) << message;

  held.value().reset();  // releases the lock
  auto after = StoreDir::open(fs, path);
  EXPECT_TRUE(after.ok()) << after.error().message;
}

// ---- file devices: O_DIRECT, io_uring queue ------------------------------------------

// Purpose: on ext4, both file-backed devices really use O_DIRECT (checked on the open segment
// descriptor) and report the kernel's direct-I/O alignment.
TEST(DirectIoTest, InEffectOnExt4) {
  TestDir dir;
  auto type = device::file_system_type(dir.path());
  ASSERT_TRUE(type.ok());
  if (type.value() != "ext4") {
    GTEST_SKIP() << dir.path() << " is on " << type.value()
                 << ", not ext4: O_DIRECT may legitimately be unavailable there";
  }
  auto file = open_device<FileDevice>({.path = dir.sub("file"), .segment_bytes = kSegmentBytes});
  auto uring =
      open_device<IoUringDevice>({.path = dir.sub("uring"), .segment_bytes = kSegmentBytes});
  ASSERT_NE(file, nullptr);
  ASSERT_NE(uring, nullptr);
  AlignedBuffer data = pattern(4096, 60);
  ASSERT_EQ(write_sync(*file, 0, data.data(), 4096), Status::Ok);
  ASSERT_EQ(write_sync(*uring, 0, data.data(), 4096), Status::Ok);
  EXPECT_TRUE(file->direct_io()) << file->direct_io_fallback_reason();
  EXPECT_TRUE(uring->direct_io()) << uring->direct_io_fallback_reason();
  EXPECT_GE(file->alignment(), 512u);
  EXPECT_GE(uring->alignment(), 512u);
  // Buffered I/O when asked for.
  auto buffered = open_device<FileDevice>(
      {.path = dir.sub("buffered"), .segment_bytes = kSegmentBytes, .direct_io = false});
  ASSERT_NE(buffered, nullptr);
  EXPECT_FALSE(buffered->direct_io());
  EXPECT_EQ(buffered->alignment(), 1u);
}

// Purpose: one thread issues 64 reads before calling complete_pending and io_uring holds at
// least 32 of them in flight; all complete with the right data.
TEST(IoUringTest, SixtyFourReadsInFlight) {
  TestDir dir;
  auto dev = open_device<IoUringDevice>(
      {.path = dir.path(), .segment_bytes = 1 << 20, .queue_depth = 128});
  ASSERT_NE(dev, nullptr);
  constexpr int kReads = 64;
  AlignedBuffer data(kReads * 4096, 4096);
  for (int i = 0; i < kReads; ++i) fill_pattern(data.data() + i * 4096, 4096, 70 + i);
  ASSERT_EQ(write_sync(*dev, 0, data.data(), kReads * 4096), Status::Ok);
  ASSERT_EQ(dev->flush(), Status::Ok);
  const std::uint64_t before = dev->stats().max_in_flight;

  AlignedBuffer back(kReads * 4096, 4096);
  std::vector<Completion> done(kReads);
  for (int i = 0; i < kReads; ++i) {
    // Reverse order so that no read is a sequential continuation of the previous one.
    const int block = kReads - 1 - i;
    ASSERT_EQ(dev->read_async(block * 4096, back.data() + block * 4096, 4096, &Completion::callback,
                              &done[block]),
              Status::Ok);
  }
  EXPECT_GE(dev->in_flight(), 32u);
  EXPECT_GE(dev->stats().max_in_flight, 32u);
  EXPECT_GE(dev->stats().max_in_flight, before);
  std::size_t ran = 0;
  while (ran < kReads) ran += dev->complete_pending(true);
  EXPECT_EQ(ran, std::size_t(kReads));
  EXPECT_EQ(dev->in_flight(), 0u);
  for (int i = 0; i < kReads; ++i) {
    EXPECT_EQ(done[i].status, Status::Ok);
    EXPECT_TRUE(check_pattern(back.data() + i * 4096, 4096, 70 + i)) << "block " << i;
  }
}

// Purpose: a full queue applies back-pressure instead of failing: with depth 4, 200 reads
// issued without completing are all accepted and all complete.
TEST(IoUringTest, FullQueueAppliesBackPressure) {
  TestDir dir;
  auto dev =
      open_device<IoUringDevice>({.path = dir.path(), .segment_bytes = 1 << 20, .queue_depth = 4});
  ASSERT_NE(dev, nullptr);
  AlignedBuffer data = pattern(16 * 4096, 80);
  ASSERT_EQ(write_sync(*dev, 0, data.data(), 16 * 4096), Status::Ok);
  constexpr int kReads = 200;
  AlignedBuffer back(kReads * 4096, 4096);
  std::vector<Completion> done(kReads);
  for (int i = 0; i < kReads; ++i) {
    ASSERT_EQ(dev->read_async((i % 16) * 4096, back.data() + i * 4096, 4096, &Completion::callback,
                              &done[i]),
              Status::Ok);
  }
  EXPECT_EQ(dev->in_flight(), std::size_t(kReads));  // accepted, callbacks not yet run
  dev->complete_pending(true);
  for (int i = 0; i < kReads; ++i) {
    ASSERT_EQ(done[i].calls.load(), 1);
    EXPECT_TRUE(std::memcmp(back.data() + i * 4096, data.data() + (i % 16) * 4096, 4096) == 0);
  }
}

// Purpose: bad device settings fail at open with a message naming the setting.
TEST(IoUringTest, BadSettingsAreClearErrors) {
  TestDir dir;
  auto r = IoUringDevice::open({.path = dir.path(), .queue_depth = 0});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("queue_depth"), std::string::npos);
  auto s = FileDevice::open({.path = dir.path(), .segment_bytes = 1000});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("segment_bytes"), std::string::npos);
  auto p = FileDevice::open({.path = ""});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("path"), std::string::npos);
}

}  // namespace
}  // namespace rskv::test
