// Checkpoints and recovery through the store (CPR), typed over every persistent bundle
// (chained and cuckoo index, file and io_uring device): fold-over and snapshot checkpoints,
// index-only and log-only ones, concurrent sessions and their serials, recovery of an older
// checkpoint, idle sessions, and the failure modes FASTER-style stores have shipped.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "policies/bundles.h"
#include "tests/support/test_support.h"

namespace rskv {
namespace {

using PersistentBundles =
    ::testing::Types<ChainedFileNone, ChainedIoUringNone, CuckooFileNone, CuckooIoUringNone>;

template <class S>
class CheckpointTest : public ::testing::Test {
 protected:
  using Req = typename S::CheckpointRequest;

  void SetUp() override { dir_ = test::test_dir().string(); }

  StoreConfig config(bool recover = false) const {
    StoreConfig c = test::small_config(512 * 1024, /*deferred=*/false, 1024);
    c.page_bits = 14;  // 16 KiB pages, 32 frames: tests cross pages, flush and evict
    c.path = dir_;
    c.recover = recover;
    c.device.segment_bytes = 1 << 20;
    return c;
  }
  std::unique_ptr<S> open(bool recover, std::uint64_t checkpoint_id = 0) {
    StoreConfig c = config(recover);
    c.recover_checkpoint = checkpoint_id;
    auto s = S::open(c);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(s).value() : nullptr;
  }
  static Req req(CheckpointKind kind, bool index = true, bool log = true) {
    Req r;
    r.kind = kind;
    r.index = index;
    r.log = log;
    return r;
  }
  // Every key of `model` reads back its value and nothing else is there (keys 0..limit).
  static void expect_state(S& store, const std::map<std::string, std::string>& model, int limit) {
    auto s = std::move(store.start_session()).value();
    for (int i = 0; i < limit; ++i) {
      std::string k = test::key_of(i), v;
      Status st = s.get(k, v);
      auto it = model.find(k);
      if (it == model.end()) {
        EXPECT_EQ(st, Status::NotFound) << k;
      } else {
        ASSERT_EQ(st, Status::Ok) << k;
        EXPECT_EQ(v, it->second) << k;
      }
    }
  }

  std::string dir_;
};
TYPED_TEST_SUITE(CheckpointTest, PersistentBundles);

// Fold-over and snapshot: the recovered store equals the state at the checkpoint, the
// session's serial is its CPR point, and writes after the checkpoint are gone.
TYPED_TEST(CheckpointTest, RecoversExactlyTheCheckpointedState) {
  for (CheckpointKind kind : {CheckpointKind::FoldOver, CheckpointKind::Snapshot}) {
    SCOPED_TRACE(std::string(checkpoint_kind_name(kind)));
    std::filesystem::remove_all(this->dir_);
    std::map<std::string, std::string> model;
    std::uint64_t sid = 0, serial = 0, id = 0;
    {
      auto store = this->open(false);
      ASSERT_TRUE(store);
      auto s = std::move(store->start_session()).value();
      sid = s.id();
      for (int i = 0; i < 3000; ++i) {  // ~400 KB: part of it is on the device
        std::string v = test::value_of(i, 1, 100);
        ASSERT_EQ(s.upsert(test::key_of(i), v), Status::Ok);
        model[test::key_of(i)] = v;
      }
      for (int i = 0; i < 3000; i += 7) {
        ASSERT_EQ(s.remove(test::key_of(i)), Status::Ok);
        model.erase(test::key_of(i));
      }
      for (int i = 1; i < 3000; i += 5) {  // rmw: in place, copy-to-tail and from the device
        ASSERT_EQ(s.rmw_sync(test::key_of(i),
                             [](const std::string_view* old, ValueBuilder& out) {
                               out.assign(old ? std::string(*old) + "+" : std::string("new"));
                               return true;
                             }),
                  Status::Ok);
        auto it = model.find(test::key_of(i));
        model[test::key_of(i)] = it == model.end() ? "new" : it->second + "+";
      }
      auto info = store->checkpoint(TestFixture::req(kind), &s);
      ASSERT_TRUE(info.ok()) << info.error().message;
      id = info->id;
      serial = info->serial_of(sid);
      EXPECT_EQ(serial, s.serial());
      // After the checkpoint: none of this may survive.
      for (int i = 0; i < 3000; i += 3) ASSERT_EQ(s.upsert(test::key_of(i), "late"), Status::Ok);
      ASSERT_EQ(s.upsert("key-99999", "late"), Status::Ok);
      s.close();
      ASSERT_EQ(store->flush_log(), Status::Ok);  // even when flushed to the device
    }
    auto store = this->open(true);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->recovery().checkpoint_id, id);
    EXPECT_EQ(store->recovery().serial_of(sid), serial);
    TestFixture::expect_state(*store, model, 3000);
    auto s = std::move(store->start_session()).value();
    std::string v;
    EXPECT_EQ(s.get("key-99999", v), Status::NotFound);
    auto cont = store->continue_session(sid);
    ASSERT_TRUE(cont.ok()) << cont.error().message;
    EXPECT_EQ(cont->serial(), serial);
  }
}

// The recovered store runs on, checkpoints again, and a second recovery sees both
// generations of writes and never the stale tail of the first run.
TYPED_TEST(CheckpointTest, RecoverRunOnAndRecoverAgain) {
  std::map<std::string, std::string> model;
  {
    auto store = this->open(false);
    auto s = std::move(store->start_session()).value();
    for (int i = 0; i < 2000; ++i) {
      model[test::key_of(i)] = test::value_of(i, 1, 60);
      ASSERT_EQ(s.upsert(test::key_of(i), model[test::key_of(i)]), Status::Ok);
    }
    ASSERT_TRUE(store->checkpoint(TestFixture::req(CheckpointKind::FoldOver), &s).ok());
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(s.upsert(test::key_of(i), "stale"), Status::Ok);
    s.close();
    ASSERT_EQ(store->flush_log(), Status::Ok);
  }
  {
    auto store = this->open(true);
    TestFixture::expect_state(*store, model, 2000);
    auto s = std::move(store->start_session()).value();
    for (int i = 0; i < 2000; i += 2) {
      model[test::key_of(i)] = test::value_of(i, 2, 80);
      ASSERT_EQ(s.upsert(test::key_of(i), model[test::key_of(i)]), Status::Ok);
    }
    // Log-only: relies on the index checkpoint of the first run.
    auto info = store->checkpoint(TestFixture::req(CheckpointKind::Snapshot, false, true), &s);
    ASSERT_TRUE(info.ok()) << info.error().message;
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(s.upsert(test::key_of(i), "stale2"), Status::Ok);
  }
  auto store = this->open(true);
  TestFixture::expect_state(*store, model, 2000);
}

// Index-only, then log-only checkpoints; nothing dirty; repeated checkpoints with sessions
// opening and closing between them.
TYPED_TEST(CheckpointTest, IndexOnlyLogOnlyAndRepeated) {
  std::map<std::string, std::string> model;
  std::map<std::uint64_t, std::uint64_t> serials;
  {
    auto store = this->open(false);
    {
      auto s = std::move(store->start_session()).value();
      // Nothing written yet: the checkpoint completes (no flush to wait for).
      ASSERT_TRUE(store->checkpoint(TestFixture::req(CheckpointKind::FoldOver), &s).ok());
      ASSERT_TRUE(store->checkpoint(TestFixture::req(CheckpointKind::FoldOver), &s).ok());
    }
    for (int round = 0; round < 6; ++round) {
      auto s = std::move(store->start_session()).value();
      for (int i = 0; i < 300; ++i) {
        int k = (round * 131 + i * 7) % 1500;
        model[test::key_of(k)] = test::value_of(k, round, 50 + round);
        ASSERT_EQ(s.upsert(test::key_of(k), model[test::key_of(k)]), Status::Ok);
      }
      serials[s.id()] = s.serial();
      bool index = round % 3 == 0, log = round % 3 != 1;
      auto kind = round % 2 ? CheckpointKind::Snapshot : CheckpointKind::FoldOver;
      if (!log) {
        ASSERT_TRUE(store->checkpoint(TestFixture::req(kind, true, false), &s).ok());
        ASSERT_TRUE(store->checkpoint(TestFixture::req(kind, false, true), &s).ok());
      } else {
        ASSERT_TRUE(store->checkpoint(TestFixture::req(kind, index, true), &s).ok());
      }
      s.close();
    }
  }
  auto store = this->open(true);
  TestFixture::expect_state(*store, model, 1500);
  for (auto [id, serial] : serials) EXPECT_EQ(store->recovery().serial_of(id), serial) << id;
}

// Two sessions run mixed operations while checkpoints are taken; each session's recovered
// prefix is exactly its operations up to its serial.
TYPED_TEST(CheckpointTest, ConcurrentSessionsRecoverTheirPrefixes) {
  constexpr int kThreads = 2, kKeysPer = 400;
  // Each thread owns its keys; op n of thread t writes value "t:n". Recording the sequence
  // lets the test rebuild each thread's state after any prefix.
  std::vector<std::vector<std::pair<int, int>>> ops(kThreads);  // (key, op) ; key<0: delete
  std::vector<std::uint64_t> ids(kThreads);
  std::uint64_t ckpt_id = 0;
  std::map<std::uint64_t, std::uint64_t> ckpt_serials;
  {
    auto store = this->open(false);
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    std::vector<std::uint64_t> first_serial(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        auto s = std::move(store->start_session()).value();
        ids[t] = s.id();
        std::mt19937_64 rng(test::test_seed() + t);
        for (int n = 0; !stop.load() || n < 2000; ++n) {
          int k = static_cast<int>(rng() % kKeysPer);
          std::string key = test::key_of(t * 10000 + k);
          Status st;
          if (rng() % 8 == 0) {
            st = s.remove(key);
            ops[t].push_back({-k - 1, n});
          } else if (rng() % 4 == 0) {
            st = s.rmw_sync(key, [&](const std::string_view*, ValueBuilder& out) {
              out.assign(std::to_string(t) + ":" + std::to_string(n));
              return true;
            });
            ops[t].push_back({k, n});
          } else {
            st = s.upsert(key, std::to_string(t) + ":" + std::to_string(n));
            ops[t].push_back({k, n});
          }
          ASSERT_EQ(st, Status::Ok);
          ASSERT_EQ(s.serial(), static_cast<std::uint64_t>(n + 1));
          if (n > 200000) break;
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    for (int c = 0; c < 3; ++c) {
      auto kind = c % 2 ? CheckpointKind::Snapshot : CheckpointKind::FoldOver;
      auto info = store->checkpoint(TestFixture::req(kind));
      ASSERT_TRUE(info.ok()) << info.error().message;
      ckpt_id = info->id;
      ckpt_serials.clear();
      for (auto& ss : info->sessions) ckpt_serials[ss.id] = ss.serial;
    }
    stop = true;
    for (auto& th : threads) th.join();
  }
  auto store = this->open(true);
  ASSERT_EQ(store->recovery().checkpoint_id, ckpt_id);
  auto s = std::move(store->start_session()).value();
  for (int t = 0; t < kThreads; ++t) {
    std::uint64_t serial = store->recovery().serial_of(ids[t]);
    EXPECT_EQ(serial, ckpt_serials[ids[t]]);
    ASSERT_LE(serial, ops[t].size());
    std::map<int, std::string> state;
    for (std::uint64_t i = 0; i < serial; ++i) {
      auto [k, n] = ops[t][i];
      if (k < 0) {
        state.erase(-k - 1);
      } else {
        state[k] = std::to_string(t) + ":" + std::to_string(n);
      }
    }
    for (int k = 0; k < kKeysPer; ++k) {
      std::string v;
      Status st = s.get(test::key_of(t * 10000 + k), v);
      auto it = state.find(k);
      if (it == state.end()) {
        EXPECT_EQ(st, Status::NotFound) << "thread " << t << " key " << k << " serial " << serial;
      } else {
        ASSERT_EQ(st, Status::Ok) << "thread " << t << " key " << k << " serial " << serial;
        EXPECT_EQ(v, it->second) << "thread " << t << " key " << k;
      }
    }
  }
}

// An open but idle session does not stall a checkpoint forever: the checkpoint gives up,
// naming it; once it refreshes, the next checkpoint succeeds. In-place updates resume after
// a snapshot checkpoint.
TYPED_TEST(CheckpointTest, IdleSessionIsNamedAndSnapshotResumesInPlace) {
  auto store = this->open(false);
  auto idle = std::move(store->start_session()).value();
  auto s = std::move(store->start_session()).value();
  ASSERT_EQ(s.upsert("a", "1"), Status::Ok);
  auto req = TestFixture::req(CheckpointKind::Snapshot);
  req.wait_ms = 200;
  auto r = store->checkpoint(req, &s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Status::Busy);
  EXPECT_NE(r.error().message.find(std::to_string(idle.id())), std::string::npos)
      << r.error().message;
  idle.refresh();
  // The idle session refreshes until the checkpoint is over (however long a loaded machine
  // makes it), so the checkpoint's 200 ms waits are met.
  std::atomic<bool> over{false};
  std::thread t([&] {
    while (!over.load(std::memory_order_acquire)) {
      idle.refresh();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  auto ok = store->checkpoint(req, &s);
  over.store(true, std::memory_order_release);
  t.join();
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  // After the snapshot: the first update copies the record (other version), later ones are
  // in place (the tail does not move).
  ASSERT_EQ(s.upsert("a", "2"), Status::Ok);
  std::uint64_t tail = store->stats().tail;
  for (int i = 0; i < 100; ++i) ASSERT_EQ(s.upsert("a", std::to_string(i % 10)), Status::Ok);
  EXPECT_EQ(store->stats().tail, tail);
}

// Record versions are 12 bits. A store that recovered at version v (v + 1 dead) and ran on
// for 4096 versions writes records whose bits equal the dead version's; recovery must keep
// them (dead versions below the index checkpoint's version are not compared), and in-place
// updates and snapshots go on working across the wrap.
TYPED_TEST(CheckpointTest, VersionWrapAroundKeepsRecordsOfLiveVersions) {
  std::uint64_t dead = 0;
  {
    auto store = this->open(false);
    auto s = std::move(store->start_session()).value();
    ASSERT_EQ(s.upsert("a", "1"), Status::Ok);
    ASSERT_TRUE(store->checkpoint(TestFixture::req(CheckpointKind::FoldOver), &s).ok());
  }
  {
    auto store = this->open(true);
    dead = store->recovery().version + 1;  // records of it are dropped from now on
    ASSERT_TRUE(store->advance_version_for_test(dead + 4096 - 1));
    auto s = std::move(store->start_session()).value();
    ASSERT_EQ(s.upsert("b", "2"), Status::Ok);  // version dead + 4095
    ASSERT_TRUE(store->checkpoint(TestFixture::req(CheckpointKind::Snapshot), &s).ok());
    // Now in dead + 4096: the same 12 bits as the dead version. An index checkpoint, then
    // records in the replayed range, then a log-only checkpoint of each kind.
    ASSERT_EQ(checkpoint::record_version(store->version()), checkpoint::record_version(dead));
    ASSERT_TRUE(
        store->checkpoint(TestFixture::req(CheckpointKind::FoldOver, true, false), &s).ok());
    ASSERT_EQ(s.upsert("c", "3"), Status::Ok);
    ASSERT_EQ(s.upsert("b", "2b"), Status::Ok);
    ASSERT_TRUE(
        store->checkpoint(TestFixture::req(CheckpointKind::Snapshot, false, true), &s).ok());
    ASSERT_EQ(s.upsert("d", "4"), Status::Ok);
    ASSERT_EQ(s.upsert("d", "4b"), Status::Ok);
    ASSERT_TRUE(
        store->checkpoint(TestFixture::req(CheckpointKind::FoldOver, false, true), &s).ok());
  }
  auto store = this->open(true);
  auto s = std::move(store->start_session()).value();
  std::string v;
  for (const auto& [k, want] :
       std::map<std::string, std::string>{{"a", "1"}, {"b", "2b"}, {"c", "3"}, {"d", "4b"}}) {
    ASSERT_EQ(s.get(k, v), Status::Ok) << k;
    EXPECT_EQ(v, want) << k;
  }
}

// Recovering an older checkpoint by id invalidates the newer ones: a later plain recovery
// does not come back to them, and running on never replays the stale tail.
TYPED_TEST(CheckpointTest, RecoverOlderCheckpointAbandonsNewer) {
  std::uint64_t first = 0;
  {
    auto store = this->open(false);
    auto s = std::move(store->start_session()).value();
    ASSERT_EQ(s.upsert("k", "v1"), Status::Ok);
    first = store->checkpoint(TestFixture::req(CheckpointKind::FoldOver), &s)->id;
    ASSERT_EQ(s.upsert("k", "v2"), Status::Ok);
    ASSERT_EQ(s.upsert("j", "v2"), Status::Ok);
    ASSERT_TRUE(store->checkpoint(TestFixture::req(CheckpointKind::FoldOver), &s).ok());
  }
  {
    auto store = this->open(true, first);
    EXPECT_EQ(store->recovery().checkpoint_id, first);
    auto s = std::move(store->start_session()).value();
    std::string v;
    ASSERT_EQ(s.get("k", v), Status::Ok);
    EXPECT_EQ(v, "v1");
    EXPECT_EQ(s.get("j", v), Status::NotFound);
    ASSERT_EQ(s.upsert("m", "v3"), Status::Ok);
    ASSERT_TRUE(
        store->checkpoint(TestFixture::req(CheckpointKind::FoldOver, false, true), &s).ok());
  }
  auto store = this->open(true);
  auto s = std::move(store->start_session()).value();
  std::string v;
  ASSERT_EQ(s.get("k", v), Status::Ok);
  EXPECT_EQ(v, "v1");
  EXPECT_EQ(s.get("j", v), Status::NotFound);
  ASSERT_EQ(s.get("m", v), Status::Ok);
  EXPECT_EQ(v, "v3");
}

// Without a committed checkpoint a store recovers as empty; an existing store is refused
// without recover, naming it.
TYPED_TEST(CheckpointTest, NoCheckpointRecoversEmptyAndExistingIsRefused) {
  {
    auto store = this->open(false);
    auto s = std::move(store->start_session()).value();
    ASSERT_EQ(s.upsert("x", "1"), Status::Ok);
    s.close();
    ASSERT_EQ(store->flush_log(), Status::Ok);
  }
  {
    auto again = TypeParam::open(this->config(false));
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().message.find("recover"), std::string::npos) << again.error().message;
  }
  auto store = this->open(true);
  EXPECT_EQ(store->recovery().checkpoint_id, 0u);
  auto s = std::move(store->start_session()).value();
  std::string v;
  EXPECT_EQ(s.get("x", v), Status::NotFound);
  ASSERT_EQ(s.upsert("y", "2"), Status::Ok);
  ASSERT_TRUE(store->checkpoint(TestFixture::req(CheckpointKind::FoldOver), &s).ok());
}

}  // namespace
}  // namespace rskv
