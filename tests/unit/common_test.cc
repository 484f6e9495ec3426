// Unit tests for components/common: Address arithmetic, Status names, Result, hashing.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "components/common/common.h"

namespace rskv {
namespace {

// Address keeps 48 bits and splits into page and offset for a given page size.
TEST(Address, PageAndOffset) {
  Address a((std::uint64_t{5} << 22) | 1234);
  EXPECT_EQ(a.page(22), 5u);
  EXPECT_EQ(a.offset(22), 1234u);
  EXPECT_TRUE(a.valid());
  EXPECT_FALSE(Address().valid());
  EXPECT_EQ(Address(~std::uint64_t{0}).raw(), Address::kMask);
  EXPECT_LT(Address(1), Address(2));
}

// Every Status has a distinct printable name.
TEST(Status, Names) {
  std::set<std::string_view> names;
  for (int s = 0; s <= static_cast<int>(Status::Busy); ++s) {
    names.insert(to_string(static_cast<Status>(s)));
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(Status::Busy) + 1);
  EXPECT_EQ(names.count("Unknown"), 0u);
}

// Result carries a value or an error message, never both.
TEST(Result, ValueOrError) {
  Result<int> ok = 7;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value(), 7);
  Result<int> bad = make_error(Status::Corruption, "file x fails its checksum");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Status::Corruption);
  EXPECT_EQ(bad.error().message, "file x fails its checksum");
  Result<void> v;
  EXPECT_TRUE(v.ok());
}

// The key hash is deterministic and spreads small keys.
TEST(Hash, DeterministicAndSpread) {
  EXPECT_EQ(hash_key("abc"), hash_key("abc"));
  std::set<std::uint64_t> low_bits;
  for (int i = 0; i < 1000; ++i) low_bits.insert(hash_key(std::to_string(i)) & 1023);
  EXPECT_GT(low_bits.size(), 500u);
}

// Aligned buffers are aligned and zeroed, large ones included.
TEST(AlignedBuffer, AlignedAndZeroed) {
  for (std::size_t size : {std::size_t{100}, std::size_t{4} << 20}) {
    AlignedBuffer b(size, 4096, true);
    ASSERT_NE(b.data(), nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % 4096, 0u);
    for (std::size_t i = 0; i < size; i += 997) ASSERT_EQ(b.data()[i], std::byte{0});
  }
}

// The atomic copies copy exactly n bytes at any alignment of either side.
TEST(AtomicCopy, CopiesAnyAlignmentAndLength) {
  alignas(8) unsigned char src[64];
  for (int i = 0; i < 64; ++i) src[i] = static_cast<unsigned char>(i * 7 + 1);
  for (std::size_t so = 0; so < 8; ++so) {
    for (std::size_t dof = 0; dof < 8; ++dof) {
      for (std::size_t n = 0; n <= 40; ++n) {
        alignas(8) unsigned char a[64] = {};
        alignas(8) unsigned char b[64] = {};
        atomic_load_copy(a + dof, src + so, n);
        atomic_store_copy(b + dof, src + so, n);
        for (std::size_t i = 0; i < 64; ++i) {
          const unsigned char want = i >= dof && i < dof + n ? src[so + i - dof] : 0;
          ASSERT_EQ(a[i], want) << so << " " << dof << " " << n << " " << i;
          ASSERT_EQ(b[i], want) << so << " " << dof << " " << n << " " << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace rskv
