// Long store test (ctest label "long", not in the default run): a 64 MiB in-memory log holds
// 20x that much data (100-byte values) on every bundle; every key reads back, with one and
// with two threads. Run with: RSKV_TEST_LABEL=long bash scripts/test.sh
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
class StoreLong : public ::testing::Test {};
TYPED_TEST_SUITE(StoreLong, test::TypesOf<AllBundles>::type);

// 64 MiB budget, 1.28 GiB of records, loaded and read back by 1 and then 2 threads.
TYPED_TEST(StoreLong, TwentyTimesTheBudget) {
  for (int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    StoreConfig c = test::small_config(64u << 20, /*deferred=*/true, 4096);
    c.path = (test::test_dir() / ("store" + std::to_string(threads))).string();
    c.device.direct_io = true;
    c.index.initial_buckets = 1 << 22;
    auto opened = TypeParam::open(c);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    auto store = std::move(opened).value();
    const int keys = static_cast<int>((20 * (64ull << 20)) / 136);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        auto s = std::move(store->start_session()).value();
        for (int i = t; i < keys; i += threads) {
          ASSERT_EQ(s.upsert(test::key_of(i), test::value_of(i, 1, 100)), Status::Ok);
        }
      });
    }
    for (auto& t : ts) t.join();
    ts.clear();
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        auto s = std::move(store->start_session()).value();
        int done = 0;
        for (int i = t; i < keys; i += threads) {
          Status r = s.read(test::key_of(i), [&, i](Status st, std::string_view v) {
            ASSERT_EQ(st, Status::Ok) << i;
            ASSERT_EQ(v, test::value_of(i, 1, 100)) << i;
            ++done;
          });
          ASSERT_TRUE(r == Status::Ok || r == Status::Pending);
          if (s.pending_count() >= 64) s.complete_pending(false);
        }
        s.complete_pending(true);
        EXPECT_EQ(done, (keys - t + threads - 1) / threads);
      });
    }
    for (auto& t : ts) t.join();
  }
}

}  // namespace
}  // namespace rskv
