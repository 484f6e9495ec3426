// Every BenchSystem rskv-bench drives (rskv on several bundles and the three baselines, in
// both key/value representations of the hash tables) follows the same contract: a read finds what
// an upsert wrote and copies it out, RMW adds one to the value's leading counter or inserts the
// given value, remove makes a key absent, several workers share one system. Written once as a typed
// suite.

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "experiments/baselines/libcuckoo_map.h"
#include "experiments/baselines/rocksdb_system.h"
#include "experiments/baselines/tbb_hash_map.h"
#include "experiments/rskv-bench/rskv_system.h"

namespace rb = rskv::bench;
namespace fs = std::filesystem;
using rskv::Status;

namespace {

template <class System, std::uint32_t kValueSize>
struct Case {
  using SystemType = System;
  static constexpr std::uint32_t kValue = kValueSize;
};

template <class C>
class BenchSystemTest : public ::testing::Test {
 protected:
  using S = typename C::SystemType;

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("rskv_bench_systems-" + std::to_string(::getpid()) + "-" +
                                        info->test_suite_name() + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    rb::SystemOptions o;
    o.records = 1000;
    o.expected_keys = 1000;
    o.key_size = 8;
    o.value_size = C::kValue;
    o.memory_bytes = 16ull << 20;
    o.path = dir_.string();
    o.threads = 2;
    auto sys = S::open(o);
    ASSERT_TRUE(sys.ok()) << sys.error().message;
    sys_ = std::move(sys).value();
  }
  void TearDown() override {
    sys_.reset();
    fs::remove_all(dir_);
  }

  static std::string key(std::uint64_t i) { return std::string(reinterpret_cast<char*>(&i), 8); }
  static std::string value(std::uint64_t counter) {
    std::string v(C::kValue, 'v');
    std::memcpy(v.data(), &counter, std::min<std::size_t>(8, v.size()));
    return v;
  }

  fs::path dir_;
  std::unique_ptr<S> sys_;
};

using Systems =
    ::testing::Types<Case<rb::RskvSystem<rskv::ChainedMemoryNone>, 8>,
                     Case<rb::RskvSystem<rskv::ChainedMemoryNone>, 100>,
                     Case<rb::RskvSystem<rskv::CuckooMemoryNone>, 8>,
                     Case<rb::RskvSystem<rskv::ChainedFileNone>, 100>,
                     Case<rb::RskvSystem<rskv::CuckooIoUringNone>, 100>,
                     Case<rb::TbbHashMapSystem<true>, 8>, Case<rb::TbbHashMapSystem<false>, 100>,
                     Case<rb::LibcuckooSystem<true>, 8>, Case<rb::LibcuckooSystem<false>, 100>,
                     Case<rb::RocksDbSystem, 8>, Case<rb::RocksDbSystem, 100>>;
TYPED_TEST_SUITE(BenchSystemTest, Systems);

}  // namespace

// Read after upsert returns the bytes written; an absent key is NotFound; an overwrite wins.
TYPED_TEST(BenchSystemTest, ReadYourWrites) {
  auto w = this->sys_->worker();
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->upsert(this->key(1), this->value(5)), Status::Ok);
  ASSERT_EQ(w->read(this->key(1)), Status::Ok);
  EXPECT_EQ(w->value(), this->value(5));
  EXPECT_EQ(w->read(this->key(2)), Status::NotFound);
  ASSERT_EQ(w->upsert(this->key(1), this->value(9)), Status::Ok);
  ASSERT_EQ(w->read(this->key(1)), Status::Ok);
  EXPECT_EQ(w->value(), this->value(9));
  EXPECT_EQ(w->finish(), Status::Ok);
}

// RMW inserts the given value when absent, then adds one to the leading counter.
TYPED_TEST(BenchSystemTest, RmwCounts) {
  auto w = this->sys_->worker();
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->rmw(this->key(7), this->value(100)), Status::Ok);
  ASSERT_EQ(w->rmw(this->key(7), this->value(100)), Status::Ok);
  ASSERT_EQ(w->rmw(this->key(7), this->value(100)), Status::Ok);
  ASSERT_EQ(w->finish(), Status::Ok);
  ASSERT_EQ(w->read(this->key(7)), Status::Ok);
  EXPECT_EQ(w->value(), this->value(102));
}

// Remove makes a key absent and is Ok for an absent key.
TYPED_TEST(BenchSystemTest, Remove) {
  auto w = this->sys_->worker();
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->upsert(this->key(3), this->value(1)), Status::Ok);
  EXPECT_EQ(w->remove(this->key(3)), Status::Ok);
  EXPECT_EQ(w->read(this->key(3)), Status::NotFound);
  EXPECT_EQ(w->remove(this->key(4)), Status::Ok);
}

// Two workers on two threads: RMW increments on shared keys sum exactly (RocksDB's RMW is
// Get then Put, not atomic, so it writes disjoint keys instead), and each sees the other's
// writes afterwards.
TYPED_TEST(BenchSystemTest, TwoWorkers) {
  using S = typename TestFixture::S;
  constexpr int kRounds = 2000;
  constexpr bool kAtomicRmw = !std::is_same_v<S, rb::RocksDbSystem>;
  auto body = [&](std::uint64_t first_key) {
    auto w = this->sys_->worker();
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < kRounds; ++i) {
      const std::uint64_t k = kAtomicRmw ? i % 10 : first_key + i % 10;
      ASSERT_EQ(w->rmw(this->key(k), this->value(1)), Status::Ok);
    }
    ASSERT_EQ(w->finish(), Status::Ok);
  };
  std::thread a(body, 0);
  std::thread b(body, 100);
  a.join();
  b.join();
  auto w = this->sys_->worker();
  ASSERT_TRUE(w.ok());
  if (kAtomicRmw) {
    for (std::uint64_t k = 0; k < 10; ++k) {
      ASSERT_EQ(w->read(this->key(k)), Status::Ok);
      // Each key: first rmw inserts 1, the other 2 * kRounds / 10 - 1 add one each.
      EXPECT_EQ(w->value(), this->value(2 * kRounds / 10));
    }
  } else {
    for (std::uint64_t k : {0ull, 9ull, 100ull, 109ull}) {
      ASSERT_EQ(w->read(this->key(k)), Status::Ok);
      EXPECT_EQ(w->value(), this->value(kRounds / 10));
    }
  }
}

// Scans: RocksDB reads up to n records from the key on; the others declare no scans.
TYPED_TEST(BenchSystemTest, Scans) {
  using S = typename TestFixture::S;
  auto w = this->sys_->worker();
  ASSERT_TRUE(w.ok());
  for (std::uint64_t k = 0; k < 20; ++k)
    ASSERT_EQ(w->upsert(this->key(k), this->value(k)), Status::Ok);
  if constexpr (S::kSupportsScan) {
    EXPECT_EQ(w->scan(this->key(0), 5), Status::Ok);
    EXPECT_EQ(w->value().size(), TypeParam::kValue);
  } else {
    EXPECT_FALSE(S::kSupportsScan);
  }
  EXPECT_FALSE(this->sys_->details().empty());
}

// rskv's batch operations through the Worker: per-element statuses equal what single
// operations return (absent keys, a key repeated in one batch), and values land.
TEST(RskvBatchWorker, MatchesSingleOperations) {
  using S = rb::RskvSystem<rskv::ChainedMemoryNone>;
  static_assert(rb::BatchWorker<S::Worker>);
  rb::SystemOptions o;
  o.records = 100;
  o.expected_keys = 100;
  o.memory_bytes = 16ull << 20;
  auto sys = S::open(o);
  ASSERT_TRUE(sys.ok()) << sys.error().message;
  auto w = (*sys)->worker();
  ASSERT_TRUE(w.ok());
  auto key = [](std::uint64_t i) { return std::string(reinterpret_cast<char*>(&i), 8); };
  auto value = [](std::uint64_t c) { return std::string(reinterpret_cast<char*>(&c), 8); };
  const std::vector<std::string> k = {key(1), key(2), key(3), key(1)};
  const std::vector<std::string> v = {value(10), value(20), value(30), value(11)};
  std::vector<std::string_view> kv(k.begin(), k.end()), vv(v.begin(), v.end());
  Status st[4];
  ASSERT_EQ(w->upsert_batch(kv, vv, st), Status::Ok);
  for (Status s : st) EXPECT_EQ(s, Status::Ok);
  const std::vector<std::string> rk = {key(1), key(4), key(2)};
  std::vector<std::string_view> rkv(rk.begin(), rk.end());
  ASSERT_EQ(w->read_batch(rkv, st), Status::Ok);
  EXPECT_EQ(st[0], Status::Ok);
  EXPECT_EQ(st[1], Status::NotFound);
  EXPECT_EQ(st[2], Status::Ok);
  ASSERT_EQ(w->read(key(1)), Status::Ok);
  EXPECT_EQ(w->value(), value(11));  // the later element of the batch wins
  // RMW batch with a repeated key: both increments apply; an absent key gets the value.
  const std::vector<std::string> mk = {key(2), key(2), key(9)};
  std::vector<std::string_view> mkv(mk.begin(), mk.end());
  ASSERT_EQ(w->rmw_batch(mkv, value(100), st), Status::Ok);
  ASSERT_EQ(w->finish(), Status::Ok);
  ASSERT_EQ(w->read(key(2)), Status::Ok);
  EXPECT_EQ(w->value(), value(22));
  ASSERT_EQ(w->read(key(9)), Status::Ok);
  EXPECT_EQ(w->value(), value(100));
}
