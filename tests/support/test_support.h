#pragma once
// Shared helpers for rskv tests: seeded randomness (printed, replayable through RSKV_SEED),
// per-test directories, and small store configurations.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <tuple>

#include "policies/bundles.h"

namespace rskv::test {

/// The seed of this test run: RSKV_SEED when set, else a fresh one. Printed so that a failing
/// run can be replayed with RSKV_SEED=<seed>.
inline std::uint64_t test_seed() {
  static const std::uint64_t seed = [] {
    const char* env = std::getenv("RSKV_SEED");
    std::uint64_t s = env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
    std::fprintf(stderr, "[rskv] seed %llu (replay with RSKV_SEED=%llu)\n",
                 static_cast<unsigned long long>(s), static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

namespace detail {
// Removes the directories test_dir() made for a test once it passed (a failed test keeps
// them for a look, under $TMPDIR/rskv-tests); a store directory can hold hundreds of MB.
class TestDirCleaner final : public ::testing::EmptyTestEventListener {
 public:
  static std::vector<std::filesystem::path>& dirs() {
    static std::vector<std::filesystem::path> made;
    return made;
  }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result() != nullptr && info.result()->Passed()) {
      for (const auto& d : dirs()) {
        std::error_code ec;
        std::filesystem::remove_all(d, ec);  // best effort: a leftover is no test failure
      }
    }
    dirs().clear();
  }
};
inline bool install_test_dir_cleaner() {
  ::testing::UnitTest::GetInstance()->listeners().Append(new TestDirCleaner);
  return true;
}
inline const bool kTestDirCleanerInstalled = install_test_dir_cleaner();
}  // namespace detail

/// A fresh directory named after the running test suite and case; removed when the test
/// passes.
inline std::filesystem::path test_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  auto dir = std::filesystem::temp_directory_path() / "rskv-tests" /
             (name + "." + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  detail::TestDirCleaner::dirs().push_back(dir);
  return dir;
}

/// A small in-memory store config: small pages so that tests cross page boundaries, flush
/// and evict quickly. `deferred` makes the memory device complete I/O only in
/// complete_pending(), exercising the Pending path.
inline StoreConfig small_config(std::uint64_t memory_bytes = 1u << 20, bool deferred = true,
                                std::uint32_t max_value = 16 * 1024) {
  StoreConfig c;
  c.memory_bytes = memory_bytes;
  c.max_key_bytes = 1024;
  c.max_value_bytes = max_value;
  c.index.initial_buckets = 1 << 12;
  c.index.huge_pages = false;
  c.huge_pages = false;
  c.device.deferred = deferred;
  return c;
}

/// ::testing::Types<S...> from a std::tuple<S...> (the bundle lists of policies/bundles.h).
template <class Tuple>
struct TypesOf;
template <class... S>
struct TypesOf<std::tuple<S...>> {
  using type = ::testing::Types<S...>;
};

inline std::string key_of(std::uint64_t i) {
  return "key-" + std::to_string(i);
}
inline std::string value_of(std::uint64_t i, std::uint64_t version, std::size_t len) {
  std::string v = std::to_string(i) + ":" + std::to_string(version) + ":";
  while (v.size() < len) v += static_cast<char>('a' + (v.size() * 7 + i) % 26);
  v.resize(len);
  return v;
}

}  // namespace rskv::test
