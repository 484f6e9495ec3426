#pragma once
// Helpers shared by device_test.cc and device_fault_test.cc: a per-test temporary directory
// named after suite and case, a completion recorder, aligned patterned buffers.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>

#include "components/common/aligned_buffer.h"
#include "components/common/status.h"
#include "policies/device_policy.h"

namespace rskv::test {

/// A fresh directory for the running test: <tmp>/rskv-test/<suite>.<case> (slashes of typed
/// and parameterised names replaced), emptied at construction and removed at destruction.
class TestDir {
 public:
  TestDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    path_ = (std::filesystem::temp_directory_path() / "rskv-test" / name).string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TestDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Records the completion of one I/O.
struct Completion {
  // Written by the callback (release), read by the test thread (acquire), so the test sees
  // status, bytes and the buffer the I/O filled.
  std::atomic<int> calls{0};
  Status status = Status::Busy;
  std::size_t bytes = 0;

  static void callback(void* ctx, Status st, std::size_t n) {
    auto* c = static_cast<Completion*>(ctx);
    c->status = st;
    c->bytes = n;
    c->calls.fetch_add(1, std::memory_order_release);
  }
  [[nodiscard]] bool done() const { return calls.load(std::memory_order_acquire) > 0; }
};

/// Fills `len` bytes with a pattern derived from (seed, offset of each 8-byte word).
inline void fill_pattern(std::byte* p, std::size_t len, std::uint64_t seed) {
  for (std::size_t i = 0; i < len; ++i) {
    std::uint64_t x = (seed * 0x9E3779B97F4A7C15ull) ^ (i / 8);
    x ^= x >> 29;
    p[i] = static_cast<std::byte>((x >> ((i % 8) * 8)) & 0xFF);
  }
}

inline bool check_pattern(const std::byte* p, std::size_t len, std::uint64_t seed) {
  AlignedBuffer want(len, 64);
  fill_pattern(want.data(), len, seed);
  return std::memcmp(p, want.data(), len) == 0;
}

inline bool all_zero(const std::byte* p, std::size_t len) {
  for (std::size_t i = 0; i < len; ++i) {
    if (p[i] != std::byte{0}) return false;
  }
  return true;
}

/// Writes / reads synchronously through any device: issue, then complete_pending(true).
template <class Device>
Status write_sync(Device& dev, std::uint64_t offset, const void* buf, std::uint32_t len) {
  Completion c;
  Status st = dev.write_async(offset, buf, len, &Completion::callback, &c);
  if (st != Status::Ok) return st;
  while (!c.done()) dev.complete_pending(true);
  EXPECT_EQ(c.calls.load(), 1);
  if (c.status == Status::Ok) {
    EXPECT_EQ(c.bytes, len);
  }
  return c.status;
}

template <class Device>
Status read_sync(Device& dev, std::uint64_t offset, void* buf, std::uint32_t len) {
  Completion c;
  Status st = dev.read_async(offset, buf, len, &Completion::callback, &c);
  if (st != Status::Ok) return st;
  while (!c.done()) dev.complete_pending(true);
  EXPECT_EQ(c.calls.load(), 1);
  return c.status;
}

}  // namespace rskv::test
