// Fault injection through the store: the faulty device wrapper under a real store. A failed
// device read reaches the operation that needed it and nothing else breaks; a failed flush
// or a full device stops writes with an error Status, never corrupting what was stored; a
// short write is completed.
#include <gtest/gtest.h>

#include <string>

#include "components/device/faulty_device.h"
#include "policies/bundles.h"
#include "tests/support/test_support.h"

namespace rskv {
namespace {

using FaultyMemory = device::FaultyDevice<device::MemoryDevice>;
using FaultyStore = Store<index::ChainedIndex, FaultyMemory, gc::NoGc>;

std::unique_ptr<FaultyStore> open_faulty() {
  StoreConfig c = test::small_config(256 * 1024, /*deferred=*/false, 512);
  c.page_bits = 15;  // 32 KiB pages, 8 frames
  auto s = FaultyStore::open(c);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return std::move(s).value();
}

void load(FaultyStore::Session& s, int from, int to, int version) {
  for (int i = from; i < to; ++i) {
    ASSERT_EQ(s.upsert(test::key_of(i), test::value_of(i, version, 100)), Status::Ok) << i;
  }
}

// An injected read error reaches exactly the read that needed the device; the next reads
// of the same and other keys succeed.
TEST(StoreFaults, ReadErrorReachesTheCaller) {
  auto store = open_faulty();
  auto s = std::move(store->start_session()).value();
  load(s, 0, 20000, 1);  // ~2.7 MB against a 256 KiB budget: key 0 is on the device
  ASSERT_GT(store->stats().head, 1u << 20);
  store->device().schedule().fail_next(device::FaultKind::ReadError);
  Status delivered = Status::Ok;
  Status r = s.read(test::key_of(0), [&](Status st, std::string_view) { delivered = st; });
  if (r == Status::Pending) s.complete_pending(true);
  EXPECT_EQ(r == Status::Pending ? delivered : r, Status::IoError);
  std::string out;
  ASSERT_EQ(s.get(test::key_of(0), out), Status::Ok);  // the next attempt reads it
  EXPECT_EQ(out, test::value_of(0, 1, 100));
  ASSERT_EQ(s.get(test::key_of(19999), out), Status::Ok);  // memory keys unaffected
  ASSERT_EQ(s.upsert("after", "still writable"), Status::Ok);
}

// Once a flush write fails the log stops accepting appends with IoError, and every record
// that was flushed before (acknowledged by flush_log) still reads back.
TEST(StoreFaults, FlushErrorStopsWritesLosesNothing) {
  auto store = open_faulty();
  auto s = std::move(store->start_session()).value();
  load(s, 0, 3000, 1);
  s.close();
  ASSERT_EQ(store->flush_log(), Status::Ok);  // 0..2999 are durable now
  s = std::move(store->start_session()).value();
  store->device().schedule().fail_next(device::FaultKind::WriteError, 1000000);
  Status st = Status::Ok;
  int i = 3000;
  for (; i < 40000 && st == Status::Ok; ++i) {
    st = s.upsert(test::key_of(i), test::value_of(i, 1, 100));
  }
  EXPECT_EQ(st, Status::IoError) << "writes did not stop after " << i;
  std::string out;
  for (int k = 0; k < 3000; k += 7) {
    ASSERT_EQ(s.get(test::key_of(k), out), Status::Ok) << k;
    ASSERT_EQ(out, test::value_of(k, 1, 100)) << k;
  }
}

// A failing durability barrier is reported by flush_log(); a later one succeeds and the
// data is intact.
TEST(StoreFaults, FailedDurabilityBarrierIsReported) {
  auto store = open_faulty();
  auto s = std::move(store->start_session()).value();
  load(s, 0, 2000, 1);
  s.close();
  store->device().schedule().fail_next(device::FaultKind::FlushError);
  EXPECT_EQ(store->flush_log(), Status::IoError);
  EXPECT_EQ(store->flush_log(), Status::Ok);
  s = std::move(store->start_session()).value();
  std::string out;
  ASSERT_EQ(s.get(test::key_of(1), out), Status::Ok);
  EXPECT_EQ(out, test::value_of(1, 1, 100));
}

// A full device (NoSpace) stops writes with NoSpace, not with corruption.
TEST(StoreFaults, FullDeviceStopsWrites) {
  auto store = open_faulty();
  device::FaultConfig f;
  f.space_bytes = 1u << 20;  // 1 MiB of device space
  store->device().set_faults(f);
  auto s = std::move(store->start_session()).value();
  Status st = Status::Ok;
  int i = 0;
  for (; i < 100000 && st == Status::Ok; ++i) {
    st = s.upsert(test::key_of(i), test::value_of(i, 1, 100));
  }
  EXPECT_EQ(st, Status::NoSpace) << "after " << i << " upserts";
  std::string out;
  // What reached the device before it filled, and what is in memory, still reads back.
  ASSERT_EQ(s.get(test::key_of(0), out), Status::Ok);
  EXPECT_EQ(out, test::value_of(0, 1, 100));
  ASSERT_EQ(s.get(test::key_of(i - 2), out), Status::Ok);
  EXPECT_EQ(out, test::value_of(i - 2, 1, 100));
}

// Short writes are completed by the device layer: every key reads back after eviction.
TEST(StoreFaults, ShortWritesAreCompleted) {
  auto store = open_faulty();
  device::FaultConfig f;
  f.short_write_one_in = 2;
  store->device().set_faults(f);
  auto s = std::move(store->start_session()).value();
  load(s, 0, 10000, 3);
  ASSERT_GT(store->stats().head, 1u << 20);
  std::string out;
  for (int k = 0; k < 10000; k += 3) {
    ASSERT_EQ(s.get(test::key_of(k), out), Status::Ok) << k;
    ASSERT_EQ(out, test::value_of(k, 3, 100)) << k;
  }
  EXPECT_GT(store->device().short_writes_completed(), 0u);
}

}  // namespace
}  // namespace rskv
