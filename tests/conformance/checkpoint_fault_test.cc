// Checkpoints and recovery under faults, in process (issue 8, "What it must show"):
//   - power loss: a store over FaultyDevice (durability tracking) and FaultyFileSystem takes
//     checkpoints and keeps writing; at a random moment (between operations, or inside a
//     checkpoint phase through the checkpoint hook) every write not made durable is dropped;
//     recovery yields an acknowledged checkpoint's exact state;
//   - corrupting a file of a committed checkpoint (flip a byte, truncate, delete: index,
//     snapshot, log_checksums, meta) or a byte of a log segment inside the replayed range
//     yields an error naming the file or the range, or the fallback to the older checkpoint
//     with recovery().warning set, and never other data;
//   - failure modes: a checkpoint while reads are pending on the device; a fold-over right
//     after the log was flushed and evicted; an index checkpoint written with short writes;
//     recovered reads that go to the device; periodic checkpoints; a recovery whose replay
//     grows the index.
// The operation stream is the crash tests' (tests/crash/crash_stream.h): the expected state
// after serial n is replay(seed, 0, n). RSKV_SEED replays a run.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "components/device/faulty_device.h"
#include "components/device/faulty_fs.h"
#include "policies/bundles.h"
#include "tests/crash/crash_stream.h"
#include "tests/support/test_support.h"

namespace rskv {
namespace {

namespace fs = std::filesystem;
using crash::Model;
using crash::Op;
using crash::OpKind;

using PersistentBundles =
    ::testing::Types<ChainedFileNone, ChainedIoUringNone, CuckooFileNone, CuckooIoUringNone>;

// Runs operation n of session `idx`'s stream; false (with a gtest failure) when it fails.
template <class Session>
bool run_op(Session& s, std::uint64_t seed, unsigned idx, std::uint64_t n, const Model* model) {
  const Op op = crash::op_at(seed, idx, n);
  const std::string key = crash::key_name(idx, op.key);
  Status st = Status::Ok;
  std::string got;
  switch (op.kind) {
    case OpKind::Upsert:
      st = s.upsert(key, op.value);
      break;
    case OpKind::Rmw:
      st = s.rmw_sync(key, [n](const std::string_view* old, ValueBuilder& out) {
        std::string o;
        if (old != nullptr) o.assign(old->data(), old->size());
        out.assign(crash::rmw_apply(old != nullptr ? &o : nullptr, n));
        return true;
      });
      break;
    case OpKind::Delete:
      st = s.remove(key);
      break;
    case OpKind::Read:
      st = s.get(key, got);
      if (model != nullptr) {
        const auto& want = model->values[op.key];
        EXPECT_EQ(st, want ? Status::Ok : Status::NotFound) << key << " at serial " << n;
        if (want && st == Status::Ok) {
          EXPECT_EQ(got, *want) << key << " at serial " << n;
        }
      }
      if (st == Status::NotFound) st = Status::Ok;
      break;
  }
  EXPECT_EQ(st, Status::Ok) << "operation " << n << " on " << key;
  return st == Status::Ok;
}

// Every key of session idx reads exactly its value in replay(seed, idx, serial). Reads are
// issued asynchronously (device reads overlap); none may be NotFound for a present key.
template <class S>
void expect_stream_state(S& store, std::uint64_t seed, unsigned idx, std::uint64_t serial,
                         const std::string& what) {
  const Model model = crash::replay(seed, idx, serial);
  auto s = std::move(store.start_session()).value();
  std::vector<Status> status(crash::kKeysPerSession, Status::Aborted);
  std::vector<std::string> got(crash::kKeysPerSession);
  for (std::uint64_t k = 0; k < crash::kKeysPerSession; ++k) {
    Status st = s.read(crash::key_name(idx, k), [&, k](Status r, std::string_view v) {
      status[k] = r;
      got[k].assign(v.data(), v.size());
    });
    if (st != Status::Ok && st != Status::Pending) status[k] = st;
    if (k % 256 == 255) s.complete_pending(true);
  }
  s.complete_pending(true);
  int wrong = 0;
  for (std::uint64_t k = 0; k < crash::kKeysPerSession; ++k) {
    const auto& want = model.values[k];
    const bool ok =
        want ? status[k] == Status::Ok && got[k] == *want : status[k] == Status::NotFound;
    if (!ok && ++wrong <= 8) {
      ADD_FAILURE() << what << ": " << crash::key_name(idx, k) << " reads " << to_string(status[k])
                    << " '" << got[k] << "', expected "
                    << (want ? "'" + *want + "'" : std::string("NotFound")) << " (serial " << serial
                    << ")";
    }
  }
  EXPECT_EQ(wrong, 0) << what << ": keys differ from the stream's state at serial " << serial;
}

template <class S>
StoreConfig config_for(const std::string& dir, bool recover, std::uint64_t buckets = 256) {
  StoreConfig c = crash::crash_config(dir, buckets);
  c.recover = recover;
  return c;
}

// ---- power loss ---------------------------------------------------------------------------

template <class Index, class Inner>
using FaultyStore = Store<Index, device::FaultyDevice<Inner>, gc::NoGc>;

// (store over the faulty device, the plain bundle that reopens its directory)
template <class F, class P>
struct PowerLossPair {
  using Faulty = F;
  using Plain = P;
};
using PowerLossPairs = ::testing::Types<
    PowerLossPair<FaultyStore<index::ChainedIndex, device::FileDevice>, ChainedFileNone>,
    PowerLossPair<FaultyStore<index::CuckooIndex, device::IoUringDevice>, CuckooIoUringNone>>;

template <class T>
class CheckpointPowerLoss : public ::testing::Test {};
TYPED_TEST_SUITE(CheckpointPowerLoss, PowerLossPairs);

// Checkpoints of every kind while the stream runs; the power fails at a random operation or
// inside a random phase of a random checkpoint. Recovery yields the newest acknowledged
// checkpoint (or a newer one that committed just before the cut) and exactly its state.
TYPED_TEST(CheckpointPowerLoss, RecoveryYieldsAnAcknowledgedCheckpoint) {
  using F = typename TypeParam::Faulty;
  using P = typename TypeParam::Plain;
  const std::vector<std::string> phases = {"index",        "prepare",    "in-progress",
                                           "wait-pending", "wait-flush", "persistence-callback",
                                           "meta",         "rest"};
  std::mt19937_64 rng(test::test_seed());
  const std::string base = test::test_dir().string();
  int none = 0, acked = 0, newer = 0;  // what recovery found, over the rounds
  for (int round = 0; round < 12; ++round) {
    const std::uint64_t seed = rng() | 1;
    const std::string dir = base + "/" + std::to_string(round);
    // The cut: at operation cut_op, or when checkpoint number cut_ckpt enters cut_phase.
    const bool in_phase = round % 3 != 0;
    const std::uint64_t cut_op = 200 + rng() % 5000;
    const std::uint64_t cut_ckpt = rng() % 4;
    const std::string cut_phase = phases[rng() % phases.size()];
    SCOPED_TRACE("round " + std::to_string(round) + " seed " + std::to_string(seed) + ": cut " +
                 (in_phase ? "in phase " + cut_phase + " of checkpoint #" + std::to_string(cut_ckpt)
                           : "at operation " + std::to_string(cut_op)));
    device::OsFileSystem os;
    device::FaultyFileSystem ffs(os);
    std::uint64_t acked_id = 0, acked_serial = 0;
    {
      StoreConfig cfg = config_for<F>(dir, false);
      cfg.fs = &ffs;
      auto opened = F::open(cfg);
      ASSERT_TRUE(opened.ok()) << opened.error().message;
      std::unique_ptr<F> store = std::move(opened).value();
      ASSERT_EQ(store->device().stats().writes, 0u);
      device::FaultConfig track;
      track.track_durability = true;
      store->device().set_faults(track);
      bool cut = false;
      auto power_cut = [&] {
        if (cut) return;
        cut = true;
        ASSERT_EQ(store->device().simulate_power_loss(), Status::Ok);
        // The machine is off: nothing written from now on reaches the disk.
        store->device().schedule().fail_next(device::FaultKind::WriteError, 1u << 30);
        store->device().schedule().fail_next(device::FaultKind::FlushError, 1u << 30);
        ffs.crash_after(0);
      };
      std::uint64_t ckpt_no = 0;
      store->set_checkpoint_hook([&](std::string_view phase) {
        if (in_phase && ckpt_no == cut_ckpt && phase == cut_phase) power_cut();
      });
      auto s = std::move(store->start_session()).value();
      Model model;
      for (std::uint64_t n = 1; n <= 6000 && !cut; ++n) {
        if (!in_phase && n == cut_op) {
          power_cut();
          break;
        }
        ASSERT_TRUE(run_op(s, seed, 0, n, &model));
        model.apply(crash::op_at(seed, 0, n), n);
        if (n % 700 == 0) {
          typename F::CheckpointRequest req;
          const std::uint64_t h = crash::mix(seed + n);
          req.kind = (h & 1) ? CheckpointKind::Snapshot : CheckpointKind::FoldOver;
          req.index = (h >> 1) % 3 != 0;  // one in three is log-only
          auto info = store->checkpoint(req, &s);
          ++ckpt_no;
          if (info.ok()) {
            // Only the "rest" phase follows the commit: a cut there leaves it durable.
            ASSERT_TRUE(!cut || cut_phase == "rest") << "a checkpoint succeeded after the cut";
            acked_id = info->id;
            acked_serial = info->serial_of(s.id());
            ASSERT_EQ(acked_serial, n);
          } else {
            ASSERT_TRUE(cut) << info.error().message;
          }
        }
      }
      if (!cut) power_cut();
      s.close();
      store.reset();
    }
    ASSERT_TRUE(ffs.simulate_power_loss().ok());
    auto reopened = P::open(config_for<P>(dir, true));
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    auto& store = *reopened.value();
    const auto& rec = store.recovery();
    EXPECT_TRUE(rec.warning.empty()) << rec.warning;
    EXPECT_GE(rec.checkpoint_id, acked_id) << "an acknowledged checkpoint was lost";
    const std::uint64_t serial = rec.serial_of(1);
    if (rec.checkpoint_id == acked_id) {
      EXPECT_EQ(serial, acked_serial);
    }
    EXPECT_GE(serial, acked_serial);
    expect_stream_state(store, seed, 0, serial, "after the power loss");
    none += rec.checkpoint_id == 0;
    acked += rec.checkpoint_id != 0 && rec.checkpoint_id == acked_id;
    newer += rec.checkpoint_id > acked_id;
  }
  std::printf(
      "[power loss] recovered: %d no checkpoint, %d the last acknowledged one, %d one "
      "committed just before the cut\n",
      none, acked, newer);
}

// ---- corruption ---------------------------------------------------------------------------

template <class S>
class CheckpointCorruption : public ::testing::Test {};
TYPED_TEST_SUITE(CheckpointCorruption, PersistentBundles);

enum class Damage { Flip, Truncate, Delete };
const char* damage_name(Damage d) {
  return d == Damage::Flip ? "flip a byte" : d == Damage::Truncate ? "truncate" : "delete";
}

void damage_file(const fs::path& file, Damage d, std::uint64_t at) {
  ASSERT_TRUE(fs::exists(file)) << file;
  const auto size = fs::file_size(file);
  if (d == Damage::Delete) {
    fs::remove(file);
  } else if (d == Damage::Truncate) {
    fs::resize_file(file, size / 2);
  } else {
    ASSERT_GT(size, 0u);
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(at % size));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(static_cast<std::streamoff>(at % size));
    f.write(&c, 1);
  }
}

// Layout: checkpoint A (full fold-over) holds serial a; B is index-only; C (log-only snapshot,
// relying on B's index, or a full fold-over with its own index) holds serial c > a. Each file
// C relies on is damaged in each way, and a byte of the log inside C's replayed range is
// flipped. Recovery then gives A's exact state with a warning naming the file, or an error
// naming it; never C's state with damaged data, never anything else.
TYPED_TEST(CheckpointCorruption, DamagedFileIsNamedOrOlderCheckpointIsUsed) {
  using S = TypeParam;
  // Room for every key without a resize: a resize between B and C would make C capture its
  // own index (a log-only checkpoint needs the geometry of the index checkpoint it uses).
  constexpr std::uint64_t kBuckets = 4096;
  const std::uint64_t seed = test::test_seed() | 1;
  const std::string base = test::test_dir().string();
  for (bool log_only : {true, false}) {
    SCOPED_TRACE(log_only ? "C is log-only (snapshot)" : "C is a full fold-over");
    const std::string pristine = base + (log_only ? "/pristine-logonly" : "/pristine-full");
    std::uint64_t a_id = 0, a_serial = 0, b_id = 0, c_id = 0, c_serial = 0;
    std::uint64_t replay_from = 0, replay_to = 0;
    {
      auto store = std::move(S::open(config_for<S>(pristine, false, kBuckets))).value();
      auto s = std::move(store->start_session()).value();
      std::uint64_t n = 0;
      for (; n < 3000;) ASSERT_TRUE(run_op(s, seed, 0, ++n, nullptr));
      typename S::CheckpointRequest req;
      auto a = store->checkpoint(req, &s);
      ASSERT_TRUE(a.ok()) << a.error().message;
      a_id = a->id;
      a_serial = a->serial_of(s.id());
      req.log = false;
      auto b = store->checkpoint(req, &s);
      ASSERT_TRUE(b.ok()) << b.error().message;
      b_id = b->id;
      for (; n < 20000;) ASSERT_TRUE(run_op(s, seed, 0, ++n, nullptr));  // spills to the device
      req.log = true;
      req.index = !log_only;
      req.kind = log_only ? CheckpointKind::Snapshot : CheckpointKind::FoldOver;
      auto c = store->checkpoint(req, &s);
      ASSERT_TRUE(c.ok()) << c.error().message;
      c_id = c->id;
      c_serial = c->serial_of(s.id());
      ASSERT_GT(c_serial, a_serial);
      for (; n < 21000;) ASSERT_TRUE(run_op(s, seed, 0, ++n, nullptr));  // not checkpointed
      s.close();
      ASSERT_EQ(store->flush_log(), Status::Ok);
    }
    {
      // The replayed range of C: from its index checkpoint's start to its final address, and
      // the part of it that recovery reads from the log files (below the snapshot start).
      std::ifstream in(fs::path(pristine) / "checkpoints" / std::to_string(c_id) / "meta");
      std::string line;
      std::uint64_t snapshot_start = 0;
      while (std::getline(in, line)) {
        auto field = [&](const std::string& name) -> std::optional<std::uint64_t> {
          if (line.rfind(name + "=", 0) != 0) return std::nullopt;
          return std::stoull(line.substr(name.size() + 1));
        };
        if (auto v = field("index_start")) replay_from = *v;
        if (auto v = field("log_final")) replay_to = *v;
        if (auto v = field("snapshot_start")) snapshot_start = *v;
      }
      replay_to = std::min(replay_to, snapshot_start);
      if (log_only) {
        ASSERT_LT(replay_from, replay_to) << "C replays nothing from the log files";
      }
    }
    // The files C relies on.
    const fs::path index_dir = fs::path("checkpoints") / std::to_string(log_only ? b_id : c_id);
    const fs::path c_dir = fs::path("checkpoints") / std::to_string(c_id);
    std::vector<fs::path> targets = {index_dir / "index", c_dir / "log_checksums", c_dir / "meta"};
    if (log_only) targets.push_back(c_dir / "snapshot");
    std::mt19937_64 rng(seed);
    int trial = 0, errors = 0, fallbacks = 0, harmless = 0;
    // may_be_harmless: the damage may hit bytes recovery never reads (a log byte past the
    // last record of a page); then C may be recovered, but only with exactly its state.
    auto check = [&](const std::string& what, const std::string& names, bool may_be_harmless,
                     const std::function<void(const fs::path&)>& damage) {
      SCOPED_TRACE(what);
      const std::string dir = base + "/trial-" + std::to_string(trial++);
      fs::remove_all(dir);
      fs::copy(pristine, dir, fs::copy_options::recursive);
      damage(fs::path(dir));
      auto opened = S::open(config_for<S>(dir, true, kBuckets));
      if (!opened.ok()) {
        ++errors;
        EXPECT_NE(opened.error().message.find(names), std::string::npos)
            << "the error does not name `" << names << "`: " << opened.error().message;
        return;
      }
      auto& store = *opened.value();
      const auto& rec = store.recovery();
      if (may_be_harmless && rec.checkpoint_id == c_id) {
        ++harmless;
        EXPECT_TRUE(rec.warning.empty()) << rec.warning;
        expect_stream_state(store, seed, 0, c_serial, what + " (harmless)");
        return;
      }
      ASSERT_EQ(rec.checkpoint_id, a_id) << "a damaged checkpoint was used";
      ++fallbacks;
      EXPECT_NE(rec.warning.find(names), std::string::npos)
          << "the fallback warning does not name `" << names << "`: " << rec.warning;
      EXPECT_EQ(rec.serial_of(1), a_serial);
      expect_stream_state(store, seed, 0, a_serial, what);
      if (::testing::Test::HasFailure()) return;
      // The abandoned checkpoint stays abandoned.
      opened.value().reset();
      auto again = S::open(config_for<S>(dir, true, kBuckets));
      ASSERT_TRUE(again.ok()) << again.error().message;
      EXPECT_EQ(again.value()->recovery().checkpoint_id, a_id);
    };
    for (const fs::path& target : targets) {
      for (Damage d : {Damage::Flip, Damage::Truncate, Damage::Delete}) {
        const std::uint64_t at = rng();
        check(std::string(damage_name(d)) + " " + target.string(), target.string(), false,
              [&](const fs::path& dir) { damage_file(dir / target, d, at); });
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
    // A byte of a log segment inside the replayed range (a full fold-over that nothing
    // wrote past replays nothing from the log files).
    for (int k = 0; k < 3 && replay_from < replay_to; ++k) {
      const std::uint64_t segment = 1 << 20;  // crash_config's segment_bytes
      const std::uint64_t addr = replay_from + rng() % (replay_to - replay_from);
      const fs::path seg = "log." + std::to_string(addr / segment);
      check("flip log byte at " + std::to_string(addr), "log", true,
            [&](const fs::path& dir) { damage_file(dir / seg, Damage::Flip, addr % segment); });
      if (::testing::Test::HasFatalFailure()) return;
    }
    std::printf(
        "[corruption] %d damaged copies: %d errors naming the file, %d fallbacks to "
        "the older checkpoint, %d harmless log bytes\n",
        trial, errors, fallbacks, harmless);
    // Sanity: the pristine directory recovers C exactly.
    auto store = S::open(config_for<S>(pristine, true, kBuckets));
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_EQ(store.value()->recovery().checkpoint_id, c_id);
    EXPECT_TRUE(store.value()->recovery().warning.empty());
    expect_stream_state(*store.value(), seed, 0, c_serial, "pristine");
  }
}

// ---- failure modes ------------------------------------------------------------------------

template <class S>
class CheckpointFailureModes : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::test_dir().string();
    seed_ = test::test_seed() | 1;
  }
  std::unique_ptr<S> open(bool recover, const std::function<void(StoreConfig&)>& tweak = {}) {
    StoreConfig c = config_for<S>(dir_, recover);
    if (tweak) tweak(c);
    auto s = S::open(c);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(s).value() : nullptr;
  }
  // Runs operations from+1..to of the stream (session 0).
  void run(typename S::Session& s, std::uint64_t from, std::uint64_t to) {
    for (std::uint64_t n = from + 1; n <= to; ++n) ASSERT_TRUE(run_op(s, seed_, 0, n, nullptr));
  }
  std::string dir_;
  std::uint64_t seed_ = 1;
};
TYPED_TEST_SUITE(CheckpointFailureModes, PersistentBundles);

// Reads of one session are pending on the device (issued, not completed) while another
// session takes a checkpoint of each kind; the reads then complete with the right values, and
// the checkpoint recovers exactly.
TYPED_TEST(CheckpointFailureModes, CheckpointWhileReadsArePendingOnTheDevice) {
  using S = TypeParam;
  for (CheckpointKind kind : {CheckpointKind::FoldOver, CheckpointKind::Snapshot}) {
    SCOPED_TRACE(std::string(checkpoint_kind_name(kind)));
    fs::remove_all(this->dir_);
    std::uint64_t serial = 0;
    {
      auto store = this->open(false);
      ASSERT_TRUE(store);
      auto writer = std::move(store->start_session()).value();
      this->run(writer, 0, 20000);
      ASSERT_EQ(writer.serial(), 20000u);
      const Model model = crash::replay(this->seed_, 0, 20000);
      ASSERT_GT(store->stats().head, 256u * 1024) << "nothing is on the device";
      std::atomic<bool> issued{false}, done{false};
      std::atomic<int> wrong{0}, pending_seen{0};
      std::thread reader([&] {
        auto r = std::move(store->start_session()).value();
        std::vector<Status> status(crash::kKeysPerSession, Status::Aborted);
        std::vector<std::string> got(crash::kKeysPerSession);
        for (std::uint64_t k = 0; k < crash::kKeysPerSession; ++k) {
          Status st = r.read(crash::key_name(0, k), [&, k](Status x, std::string_view v) {
            status[k] = x;
            got[k].assign(v.data(), v.size());
          });
          if (st == Status::Pending) {
            pending_seen.fetch_add(1);
          } else {
            status[k] = st;
          }
        }
        issued.store(true);
        // Idle with the reads outstanding: refresh only (the checkpoint waits for it).
        while (!done.load()) {
          r.refresh();
          std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
        r.complete_pending(true);
        for (std::uint64_t k = 0; k < crash::kKeysPerSession; ++k) {
          const auto& want = model.values[k];
          const bool ok =
              want ? status[k] == Status::Ok && got[k] == *want : status[k] == Status::NotFound;
          if (!ok) wrong.fetch_add(1);
        }
      });
      while (!issued.load()) std::this_thread::yield();
      typename S::CheckpointRequest req;
      req.kind = kind;
      auto info = store->checkpoint(req, &writer);
      done.store(true);
      reader.join();
      ASSERT_TRUE(info.ok()) << info.error().message;
      EXPECT_GT(pending_seen.load(), 0) << "no read was pending on the device";
      EXPECT_EQ(wrong.load(), 0) << "pending reads delivered wrong results";
      serial = info->serial_of(writer.id());
      EXPECT_EQ(serial, 20000u);
      this->run(writer, 20000, 20500);  // not in the checkpoint
    }
    auto store = this->open(true);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->recovery().serial_of(1), serial);
    expect_stream_state(*store, this->seed_, 0, serial, "after pending reads");
  }
}

// A fold-over checkpoint right after the whole log was flushed (flush_log) and evicted, with
// nothing or a little written since: it completes and loses nothing after a restart.
TYPED_TEST(CheckpointFailureModes, FoldOverRightAfterFlushAndEvictionLosesNothing) {
  for (std::uint64_t extra : {0u, 1u, 300u}) {
    SCOPED_TRACE("operations after the flush: " + std::to_string(extra));
    fs::remove_all(this->dir_);
    std::uint64_t serial = 0;
    {
      auto store = this->open(false);
      ASSERT_TRUE(store);
      auto s = std::move(store->start_session()).value();
      this->run(s, 0, 20000);  // ~1.5 MB of log against 512 KiB of memory
      s.close();               // flush_log wants no protected session on this thread
      ASSERT_EQ(store->flush_log(), Status::Ok);
      auto st = store->stats();
      ASSERT_GT(st.head, kFirstValidAddress) << "nothing was evicted";
      s = std::move(store->continue_session(1)).value();
      ASSERT_EQ(s.serial(), 20000u);
      this->run(s, 20000, 20000 + extra);
      auto info = store->checkpoint({}, &s);
      ASSERT_TRUE(info.ok()) << info.error().message;
      serial = info->serial_of(1);
      EXPECT_EQ(serial, 20000 + extra);
      this->run(s, 20000 + extra, 20000 + extra + 200);  // lost with the restart
    }
    auto store = this->open(true);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->recovery().serial_of(1), serial);
    expect_stream_state(*store, this->seed_, 0, serial, "fold-over after flush");
  }
}

// The index checkpoint file written through a file system that cuts writes short is written
// whole (the short writes are completed), and recovery works from it.
TYPED_TEST(CheckpointFailureModes, IndexCheckpointWithShortWritesIsComplete) {
  using S = TypeParam;
  device::OsFileSystem os;
  device::FaultConfig faults;
  faults.seed = this->seed_;
  faults.short_write_one_in = 2;
  device::FaultyFileSystem ffs(os, faults);
  std::uint64_t serial = 0;
  {
    auto store = this->open(false, [&](StoreConfig& c) { c.fs = &ffs; });
    ASSERT_TRUE(store);
    auto s = std::move(store->start_session()).value();
    this->run(s, 0, 6000);
    ffs.schedule().fail_next(device::FaultKind::ShortWrite, 64);
    const std::uint64_t before = ffs.schedule().injected(device::FaultKind::ShortWrite);
    typename S::CheckpointRequest req;
    req.log = false;  // index only
    auto idx = store->checkpoint(req, &s);
    ASSERT_TRUE(idx.ok()) << idx.error().message;
    EXPECT_GT(ffs.schedule().injected(device::FaultKind::ShortWrite), before)
        << "no short write was injected into the index checkpoint";
    this->run(s, 6000, 7000);
    req.log = true;
    req.index = false;  // relies on the index file written with short writes
    auto info = store->checkpoint(req, &s);
    ASSERT_TRUE(info.ok()) << info.error().message;
    serial = info->serial_of(1);
  }
  auto store = this->open(true);
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->recovery().warning.empty()) << store->recovery().warning;
  EXPECT_EQ(store->recovery().serial_of(1), serial);
  expect_stream_state(*store, this->seed_, 0, serial, "index written with short writes");
}

// After recovery nothing is in memory: every read goes to the device and returns the value
// (never NotFound), also twice in a row (the second may hit a copy the first left at the
// tail), and a checkpoint taken after those reads recovers the same values.
TYPED_TEST(CheckpointFailureModes, RecoveredReadsFromTheDeviceReturnTheValue) {
  std::uint64_t serial = 0;
  {
    auto store = this->open(false);
    ASSERT_TRUE(store);
    auto s = std::move(store->start_session()).value();
    this->run(s, 0, 6000);
    auto info = store->checkpoint({}, &s);
    ASSERT_TRUE(info.ok()) << info.error().message;
    serial = info->serial_of(1);
  }
  {
    auto store = this->open(true);
    ASSERT_TRUE(store);
    const auto reads_before = store->stats().device.reads;
    expect_stream_state(*store, this->seed_, 0, serial, "first reads after recovery");
    EXPECT_GT(store->stats().device.reads, reads_before) << "no read went to the device";
    expect_stream_state(*store, this->seed_, 0, serial, "second reads after recovery");
    auto s = std::move(store->continue_session(1)).value();
    ASSERT_EQ(s.serial(), serial);
    auto info = store->checkpoint({}, &s);
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_EQ(info->serial_of(1), serial);
  }
  auto store = this->open(true);
  ASSERT_TRUE(store);
  expect_stream_state(*store, this->seed_, 0, serial, "after a checkpoint of the reads");
}

// Periodic checkpoints (StoreConfig::checkpoint_every_ms) are taken while a session runs;
// after the store goes away without a final checkpoint, recovery yields the newest periodic
// one exactly.
TYPED_TEST(CheckpointFailureModes, PeriodicCheckpointsHappenAndRecover) {
  std::uint64_t persisted_id = 0;
  {
    auto store = this->open(false, [](StoreConfig& c) {
      c.checkpoint_every_ms = 5;
      c.checkpoint_kind = CheckpointKind::Snapshot;
    });
    ASSERT_TRUE(store);
    auto s = std::move(store->start_session()).value();
    // Run until at least three periodic checkpoints have completed (the stream repeats its
    // keys; the bound only stops a timer that never fires).
    std::uint64_t n = 0;
    while (store->persisted_serial(1).first < 3 && n < 20'000'000) {
      ASSERT_TRUE(run_op(s, this->seed_, 0, ++n, nullptr));
    }
    ASSERT_GE(store->persisted_serial(1).first, 3u) << "the timer took no checkpoints";
    s.close();
    persisted_id = store->persisted_serial(1).first;
  }
  auto store = this->open(true);
  ASSERT_TRUE(store);
  const auto& rec = store->recovery();
  EXPECT_GE(rec.checkpoint_id, persisted_id);
  EXPECT_GT(rec.serial_of(1), 0u);
  expect_stream_state(*store, this->seed_, 0, rec.serial_of(1), "periodic checkpoint");
}

// A recovery whose replay grows the index: the replay re-creates entries the index
// checkpoint did not have. (Regression: CuckooIndex retires the replaced table through the
// epoch manager; with the recovering thread unprotected it was freed at once while
// find_or_create_slow() still used it: SIGSEGV, the freed table being mmapped here, 2 MiB.)
// Setup: a full checkpoint whose index is captured at "index" while the table is nearly empty;
// before the version changes ("prepare" hook) this thread writes enough new keys to outgrow
// that table; they are all in the checkpoint, so the replay must grow. (The chained index
// holds growth off during a checkpoint and in recovery.)
TYPED_TEST(CheckpointFailureModes, RecoveryWhoseReplayGrowsTheIndex) {
  constexpr std::uint64_t kBuckets = 1 << 15;  // 2 MiB of cuckoo buckets: an mmapped table
  constexpr std::uint64_t kKeys = 260'000;     // more than 7 * kBuckets entries
  auto tweak = [](StoreConfig& c) { c.index.initial_buckets = kBuckets; };
  std::uint64_t serial = 0;
  {
    auto store = this->open(false, tweak);
    ASSERT_TRUE(store);
    auto s = std::move(store->start_session()).value();
    ASSERT_EQ(s.upsert("first", "1"), Status::Ok);
    bool filled = false;
    store->set_checkpoint_hook([&](std::string_view phase) {
      if (phase != "prepare" || filled) return;
      filled = true;
      for (std::uint64_t i = 0; i < kKeys; ++i) {
        ASSERT_EQ(s.upsert("grow-" + std::to_string(i), std::to_string(i)), Status::Ok);
      }
    });
    auto info = store->checkpoint({}, &s);
    ASSERT_TRUE(info.ok()) << info.error().message;
    ASSERT_TRUE(filled);
    serial = info->serial_of(s.id());
    ASSERT_EQ(serial, kKeys + 1);
  }
  auto store = this->open(true, tweak);
  ASSERT_TRUE(store);
  ASSERT_EQ(store->recovery().serial_of(1), serial);
  auto s = std::move(store->start_session()).value();
  std::string v;
  ASSERT_EQ(s.get("first", v), Status::Ok);
  for (std::uint64_t i = 0; i < kKeys; i += 997) {
    ASSERT_EQ(s.get("grow-" + std::to_string(i), v), Status::Ok) << i;
    EXPECT_EQ(v, std::to_string(i));
  }
}

}  // namespace
}  // namespace rskv
