// Checkpoint file layer: the file-system additions (writers, readers, directory removal and
// their fault and power-loss model), the checkpoint metadata's text form, CheckpointDir
// (commit, verification, choice, invalidation, retention) and the store metadata's latest
// checkpoint id.

#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "components/checkpoint/checkpoint_dir.h"
#include "components/checkpoint/checkpoint_meta.h"
#include "components/common/hash.h"
#include "components/device/faulty_fs.h"
#include "components/device/fs.h"
#include "components/device/store_dir.h"

namespace rskv::test {
namespace {

using checkpoint::CheckpointDir;
using checkpoint::CheckpointMeta;
using checkpoint::Chosen;
using checkpoint::FileInfo;
using device::FaultConfig;
using device::FaultKind;
using device::FaultyFileSystem;
using device::FileWriter;
using device::OsFileSystem;
using device::StoreDir;
using device::StoreMeta;

// The running test's own directory, <tmp>/rskv-tests/<suite>.<case>.<pid>: emptied at the
// start, removed at the end.
class ScopedDir {
 public:
  ScopedDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    std::replace(name.begin(), name.end(), '/', '_');
    path_ = (std::filesystem::temp_directory_path() / "rskv-tests" /
             (name + "." + std::to_string(::getpid())))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScopedDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScopedDir(const ScopedDir&) = delete;
  ScopedDir& operator=(const ScopedDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Deterministic bytes: `len` bytes derived from `seed`.
std::string bytes_of(std::size_t len, std::uint64_t seed) {
  std::string out(len, '\0');
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (std::size_t i = 0; i < len; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x & 0xFF);
  }
  return out;
}

std::string message_of(const Error& e) {
  return std::string(to_string(e.code)) + ": " + e.message;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- FileSystem additions ------------------------------------------------------------------

// Purpose: the OS writer appends, counts, syncs and closes; file_size, the streaming reader
// and remove_dir (empty only; NotFound when missing) behave as documented.
TEST(FileSystemAdditions, WriterReaderRemoveDirAndFileSize) {
  ScopedDir dir;
  OsFileSystem fs;
  const std::string f = dir.sub("data");
  const std::string payload = bytes_of(300'000, 1);
  {
    auto w = fs.open_writer(f);
    ASSERT_TRUE(w.ok()) << w.error().message;
    ASSERT_TRUE((*w)->append(payload.substr(0, 7)).ok());
    ASSERT_TRUE((*w)->append(payload.substr(7)).ok());
    EXPECT_EQ((*w)->bytes(), payload.size());
    ASSERT_TRUE((*w)->sync().ok());
    ASSERT_TRUE((*w)->close().ok());
    EXPECT_TRUE((*w)->close().ok()) << "a second close is a no-op";
    EXPECT_FALSE((*w)->append("x").ok()) << "append after close fails";
  }
  EXPECT_EQ(fs.file_size(f).value(), payload.size());
  EXPECT_EQ(fs.read_file(f).value(), payload);

  auto r = fs.open_reader(f);
  ASSERT_TRUE(r.ok());
  std::string back(payload.size() + 10, '\0');
  auto n = (*r)->read_full(std::span<char>(back.data(), back.size()));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.value(), payload.size());
  back.resize(n.value());
  EXPECT_EQ(back, payload);

  // A writer truncates an existing file.
  {
    auto w = fs.open_writer(f);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->append("short").ok());
    ASSERT_TRUE((*w)->close().ok());
  }
  EXPECT_EQ(fs.read_file(f).value(), "short");

  EXPECT_EQ(fs.file_size(dir.sub("missing")).error().code, Status::NotFound);
  EXPECT_EQ(fs.open_reader(dir.sub("missing")).error().code, Status::NotFound);
  const std::string sub = dir.sub("sub");
  ASSERT_TRUE(fs.create_dir(sub).ok());
  ASSERT_TRUE(fs.write_file(sub + "/x", "x").ok());
  auto not_empty = fs.remove_dir(sub);
  ASSERT_FALSE(not_empty.ok());
  EXPECT_TRUE(contains(not_empty.error().message, sub)) << not_empty.error().message;
  ASSERT_TRUE(fs.unlink(sub + "/x").ok());
  ASSERT_TRUE(fs.remove_dir(sub).ok());
  EXPECT_FALSE(fs.exists(sub).value());
  EXPECT_EQ(fs.remove_dir(sub).error().code, Status::NotFound);
}

// Purpose: an armed short write hands the base writer only a prefix; append() completes the
// rest, so the file holds every byte.
TEST(FileSystemAdditions, FaultyWriterShortWriteIsCompleted) {
  ScopedDir dir;
  OsFileSystem os;
  FaultyFileSystem fs(os);
  const std::string f = dir.sub("data");
  const std::string payload = bytes_of(100'000, 2);
  auto w = fs.open_writer(f);
  ASSERT_TRUE(w.ok());
  fs.schedule().fail_next(FaultKind::ShortWrite, 3);
  auto first = (*w)->write_some(payload);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.value(), payload.size() / 2) << "the short write reaches the caller";
  ASSERT_TRUE((*w)->append(std::string_view(payload).substr(first.value())).ok());
  ASSERT_TRUE((*w)->close().ok());
  EXPECT_EQ(fs.schedule().injected(FaultKind::ShortWrite), 3u);
  EXPECT_EQ(os.read_file(f).value(), payload);
}

// Purpose: write errors and a full disk surface from the writer with their status; a nearly
// full disk takes what fits and then reports NoSpace.
TEST(FileSystemAdditions, FaultyWriterErrorsSurface) {
  ScopedDir dir;
  OsFileSystem os;
  FaultyFileSystem fs(os, FaultConfig{.space_bytes = 1000});
  auto w = fs.open_writer(dir.sub("data"));
  ASSERT_TRUE(w.ok());
  fs.schedule().fail_next(FaultKind::WriteError);
  EXPECT_EQ((*w)->append("abc").error().code, Status::IoError);
  EXPECT_EQ((*w)->bytes(), 0u) << "a failed write writes nothing";
  auto full = (*w)->append(bytes_of(4096, 3));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, Status::NoSpace) << full.error().message;
  EXPECT_EQ((*w)->bytes(), 1000u) << "the part that fit was written";
  fs.set_faults(FaultConfig{});
  fs.schedule().fail_next(FaultKind::NoSpace);
  EXPECT_EQ((*w)->append("x").error().code, Status::NoSpace);
  fs.schedule().fail_next(FaultKind::FlushError);
  EXPECT_EQ((*w)->sync().error().code, Status::IoError);
  EXPECT_TRUE((*w)->sync().ok());
}

// Purpose: writer data follows the power-loss model of write_file: durable at the writer's
// sync(), the name durable at the parent's sync_dir; later appends are lost.
TEST(FileSystemAdditions, FaultyWriterPowerLoss) {
  ScopedDir dir;
  OsFileSystem os;
  FaultyFileSystem fs(os);
  const std::string kept = dir.sub("kept"), unnamed = dir.sub("unnamed");
  auto w = fs.open_writer(kept);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->append("synced part|").ok());
  ASSERT_TRUE((*w)->sync().ok());
  ASSERT_TRUE(fs.sync_dir(dir.path()).ok());
  ASSERT_TRUE((*w)->append("lost part").ok());
  auto u = fs.open_writer(unnamed);
  ASSERT_TRUE(u.ok());
  ASSERT_TRUE((*u)->append("synced, but its name never was").ok());
  ASSERT_TRUE((*u)->sync().ok());
  ASSERT_TRUE(fs.simulate_power_loss().ok());
  EXPECT_EQ(os.read_file(kept).value(), "synced part|");
  EXPECT_FALSE(os.exists(unnamed).value());
  EXPECT_FALSE((*w)->append("after").ok()) << "a writer of the dead process fails";
}

// Purpose: directories follow the model too: a creation or removal not made durable by a
// sync of the parent is undone by a power loss (a new directory vanishes with its contents,
// a removed one comes back); create_dir_durably survives.
TEST(FileSystemAdditions, FaultyDirectoriesPowerLoss) {
  ScopedDir dir;
  OsFileSystem os;
  FaultyFileSystem fs(os);
  const std::string loose = dir.sub("loose"), durable = dir.sub("a/b/c"), gone = dir.sub("gone"),
                    back = dir.sub("back");
  ASSERT_TRUE(fs.create_dir(loose).ok());
  ASSERT_TRUE(device::write_file_durably(fs, loose + "/f", "inside").ok());
  ASSERT_TRUE(device::create_dir_durably(fs, durable).ok());
  ASSERT_TRUE(device::create_dir_durably(fs, gone).ok());
  ASSERT_TRUE(device::create_dir_durably(fs, back).ok());
  ASSERT_TRUE(device::write_file_durably(fs, back + "/f", "restored").ok());
  ASSERT_TRUE(fs.remove_dir(gone).ok());
  ASSERT_TRUE(fs.sync_dir(dir.path()).ok());  // makes gone's removal durable (and loose's name)
  ASSERT_TRUE(fs.unlink(back + "/f").ok());
  ASSERT_TRUE(fs.remove_dir(back).ok());  // never synced: comes back with its file
  const std::string late = dir.sub("late");
  ASSERT_TRUE(fs.create_dir(late).ok());  // never synced: vanishes
  ASSERT_TRUE(fs.simulate_power_loss().ok());
  EXPECT_TRUE(os.exists(loose).value());
  EXPECT_EQ(os.read_file(loose + "/f").value(), "inside");
  EXPECT_TRUE(os.exists(durable).value());
  EXPECT_FALSE(os.exists(gone).value());
  EXPECT_EQ(os.read_file(back + "/f").value(), "restored");
  EXPECT_FALSE(os.exists(late).value());

  // A directory whose creation was never synced takes its durable-looking files with it.
  const std::string ghost = dir.sub("ghost");
  ASSERT_TRUE(fs.create_dir(ghost).ok());
  ASSERT_TRUE(device::write_file_durably(fs, ghost + "/meta", "committed?").ok());
  ASSERT_TRUE(fs.simulate_power_loss().ok());
  EXPECT_FALSE(os.exists(ghost).value());
}

// Purpose: the store directory survives a power loss right after it was created and its
// metadata written (StoreDir::open creates it durably).
TEST(FileSystemAdditions, NewStoreDirectorySurvivesPowerLoss) {
  ScopedDir dir;
  OsFileSystem os;
  FaultyFileSystem fs(os);
  const std::string path = dir.sub("nested/store");
  {
    auto d = StoreDir::open(fs, path);
    ASSERT_TRUE(d.ok()) << d.error().message;
    ASSERT_TRUE(
        (*d)->prepare_new_store(
                StoreMeta{.index = "chained", .device = "file", .gc = "none", .page_bytes = 4096})
            .ok());
  }
  ASSERT_TRUE(fs.simulate_power_loss().ok());
  EXPECT_TRUE(os.exists(path + "/rskv.meta").value());
}

// ---- CheckpointMeta ------------------------------------------------------------------------

CheckpointMeta full_meta() {
  CheckpointMeta m;
  m.id = 7;
  m.kind = "snapshot";
  m.has_index = true;
  m.has_log = true;
  m.version = (1ull << 40) + 3;  // 64-bit versions survive
  m.policies = "index=chained device=file gc=none";
  m.page_bytes = 1u << 22;
  m.index_checkpoint_id = 7;
  m.index_start = 64;
  m.index_end = 1 << 20;
  m.index_geometry = 1 << 16;
  m.index_version = 5;
  m.index_file = FileInfo{.name = "index", .bytes = 4096, .checksum = 0xdeadbeefcafef00dull};
  m.log_begin = 64;
  m.log_final = 123456;
  m.snapshot_start = 100000;
  m.snapshot_file = FileInfo{.name = "snapshot", .bytes = 23456, .checksum = 1};
  m.page_checksums_file = FileInfo{.name = "pages", .bytes = 48, .checksum = ~0ull};
  m.skip_ranges = {{100, 200}, {300, 4000}};
  m.sessions = {{1, 10}, {2, 0}, {99, ~0ull}};
  m.dead_versions = {4, 6};
  return m;
}

// Purpose: encode and decode are inverse for every field, lists in order.
TEST(CheckpointMetaTest, RoundTrip) {
  const CheckpointMeta m = full_meta();
  ASSERT_EQ(checkpoint::validate(m), "");
  auto back = checkpoint::decode(checkpoint::encode(m), "/x/meta");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value(), m);

  CheckpointMeta index_only;
  index_only.id = 3;
  index_only.kind = "index";
  index_only.has_index = true;
  index_only.index_checkpoint_id = 3;
  index_only.index_file = FileInfo{.name = "index", .bytes = 0, .checksum = 0};
  auto back2 = checkpoint::decode(checkpoint::encode(index_only), "/x/meta");
  ASSERT_TRUE(back2.ok()) << back2.error().message;
  EXPECT_EQ(back2.value(), index_only);
}

// Purpose: any flipped byte is Corruption naming the file (the checksum covers every byte).
TEST(CheckpointMetaTest, FlippedByteIsCorruption) {
  const std::string text = checkpoint::encode(full_meta());
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string bad = text;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto r = checkpoint::decode(bad, "/store/checkpoints/7/meta");
    ASSERT_FALSE(r.ok()) << "flip at " << i;
    EXPECT_EQ(r.error().code, Status::Corruption) << "flip at " << i;
    EXPECT_TRUE(contains(r.error().message, "/store/checkpoints/7/meta")) << r.error().message;
  }
}

// Purpose: every truncation of the text is Corruption (a torn write is never half-read).
TEST(CheckpointMetaTest, TruncatedIsCorruption) {
  const std::string text = checkpoint::encode(full_meta());
  for (std::size_t len = 0; len < text.size(); ++len) {
    auto r = checkpoint::decode(std::string_view(text).substr(0, len), "/m");
    ASSERT_FALSE(r.ok()) << "length " << len;
    EXPECT_EQ(r.error().code, Status::Corruption) << "length " << len;
  }
}

// Purpose: a newer format is refused as InvalidArgument (not Corruption); fields that
// disagree are refused by decode (Corruption) and by commit (InvalidArgument).
TEST(CheckpointMetaTest, NewerFormatAndInconsistentFields) {
  CheckpointMeta m = full_meta();
  m.format_version = CheckpointMeta::kFormatVersion + 1;
  auto newer = checkpoint::decode(checkpoint::encode(m), "/m");
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.error().code, Status::InvalidArgument);
  EXPECT_TRUE(contains(newer.error().message, "newer")) << newer.error().message;

  CheckpointMeta bad = full_meta();
  bad.kind = "index";  // index-only, but has_log is set
  EXPECT_NE(checkpoint::validate(bad), "");
  auto r = checkpoint::decode(checkpoint::encode(bad), "/m");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Status::Corruption);
  CheckpointMeta no_snapshot = full_meta();
  no_snapshot.snapshot_file.name.clear();
  EXPECT_NE(checkpoint::validate(no_snapshot), "");
  CheckpointMeta bad_name = full_meta();
  bad_name.index_file.name = "../escape";
  EXPECT_NE(checkpoint::validate(bad_name), "");
}

// ---- CheckpointDir -------------------------------------------------------------------------

// Writes and commits a checkpoint through `cd`: a foldover / snapshot / index-only / log-only
// checkpoint with the given index checkpoint. Returns its meta.
struct Spec {
  std::string kind = "foldover";
  bool has_index = true;
  std::uint64_t index_checkpoint_id = 0;  // for a log-only checkpoint
};

Result<CheckpointMeta> write_checkpoint(CheckpointDir& cd, std::uint64_t id, const Spec& spec) {
  if (auto r = cd.begin(id); !r) return r.error();
  CheckpointMeta m;
  m.id = id;
  m.kind = spec.kind;
  m.has_index = spec.has_index;
  m.has_log = spec.kind != "index";
  m.version = id;
  m.policies = "index=chained device=file gc=none";
  m.page_bytes = 4096;
  m.index_checkpoint_id = spec.has_index ? id : spec.index_checkpoint_id;
  if (spec.has_index) {
    auto f = cd.write_data(id, "index", [&](FileWriter& w) {
      // Many small appends, as an index writes bucket by bucket.
      const std::string bytes = bytes_of(70'000, id);
      for (std::size_t at = 0; at < bytes.size(); at += 64) {
        if (auto r = w.append(std::string_view(bytes).substr(at, 64)); !r) return r;
      }
      return Result<void>();
    });
    if (!f) return f.error();
    m.index_file = f.value();
  } else if (spec.index_checkpoint_id != 0) {
    auto base = cd.read_meta(spec.index_checkpoint_id);
    if (!base) return base.error();
    m.index_file = base->index_file;
  }
  if (m.has_log) {
    auto pages = cd.write_data(id, "pages",
                               [&](FileWriter& w) { return w.append(bytes_of(48, id + 1000)); });
    if (!pages) return pages.error();
    m.page_checksums_file = pages.value();
    m.log_final = id * 4096;
    m.sessions = {{1, id * 10}};
  }
  if (spec.kind == "snapshot") {
    auto snap = cd.write_data(id, "snapshot", [&](FileWriter& w) {
      return w.append(bytes_of(3 << 20, id + 2000));  // larger than the writer's buffer
    });
    if (!snap) return snap.error();
    m.snapshot_file = snap.value();
  }
  if (auto r = cd.commit(m); !r) return r.error();
  return m;
}

CheckpointDir open_dir(device::FileSystem& fs, const std::string& store) {
  auto cd = CheckpointDir::open(fs, store);
  EXPECT_TRUE(cd.ok()) << cd.error().message;
  return std::move(cd.value());
}

std::vector<std::uint64_t> committed_ids(CheckpointDir& cd) {
  auto ids = cd.committed();
  EXPECT_TRUE(ids.ok()) << ids.error().message;
  return ids.ok() ? ids.value() : std::vector<std::uint64_t>{};
}

// Purpose: write_data returns the size and checksum64 of exactly the bytes appended, through
// injected short writes (completed, not truncated); load() verifies them.
TEST(CheckpointDirTest, WriteDataWithShortWritesIsComplete) {
  ScopedDir dir;
  OsFileSystem os;
  FaultyFileSystem fs(os, FaultConfig{.seed = 5, .short_write_one_in = 2});
  CheckpointDir cd = open_dir(fs, dir.path());
  ASSERT_TRUE(cd.begin(1).ok());
  const std::string small = bytes_of(5'000, 1), large = bytes_of((2 << 20) + 123, 2);
  auto f = cd.write_data(1, "index", [&](FileWriter& w) {
    for (std::size_t at = 0; at < small.size(); at += 100) {
      if (auto r = w.append(std::string_view(small).substr(at, 100)); !r) return r;
    }
    return w.append(large);  // straight through, past the buffer
  });
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_GT(fs.schedule().injected(FaultKind::ShortWrite), 0u);
  const std::string all = small + large;
  EXPECT_EQ(f->name, "index");
  EXPECT_EQ(f->bytes, all.size());
  EXPECT_EQ(f->checksum, checksum64(all.data(), all.size()));
  EXPECT_EQ(os.read_file(cd.file_path(1, "index")).value(), all);

  CheckpointMeta m;
  m.id = 1;
  m.kind = "index";
  m.has_index = true;
  m.index_checkpoint_id = 1;
  m.index_file = f.value();
  ASSERT_TRUE(cd.commit(m).ok());
  auto loaded = cd.load(1);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value(), m);
}

// Purpose: a paced write_data (CheckpointDir::set_pacing) keeps to its rate, syncs as it
// goes (what it wrote before a failure is durable, every sync_every bytes; an unpaced one
// syncs only at the end), and writes the same bytes and checksum as an unpaced one.
TEST(CheckpointDirTest, PacedWriteDataKeepsRateAndSyncsAsItGoes) {
  ScopedDir dir;
  OsFileSystem os;
  FaultyFileSystem fs(os);
  CheckpointDir cd = open_dir(fs, dir.path());
  ASSERT_TRUE(cd.begin(1).ok());
  ASSERT_TRUE(fs.sync_dir(cd.dir_of(1)).ok());
  const std::string data = bytes_of(3 << 20, 7);
  auto produce = [&](FileWriter& w) -> Result<void> {
    for (std::size_t at = 0; at < data.size(); at += 4096) {
      if (auto r = w.append(std::string_view(data).substr(at, 4096)); !r) return r;
    }
    return make_error(Status::Aborted, "stop before the final sync");
  };
  // Unpaced: nothing was synced before the producer failed.
  ASSERT_FALSE(cd.write_data(1, "plain", produce).ok());
  ASSERT_TRUE(fs.sync_dir(cd.dir_of(1)).ok());
  // Paced at 16 MiB/s with a sync every MiB: 3 MiB take at least 3/16 s, and the first
  // 3 MiB were synced before the failure.
  cd.set_pacing({.bytes_per_s = 16u << 20, .sync_every = 1u << 20});
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_FALSE(cd.write_data(1, "paced", produce).ok());
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(took, 3.0 / 16.0 - 0.01);
  ASSERT_TRUE(fs.sync_dir(cd.dir_of(1)).ok());
  ASSERT_TRUE(fs.simulate_power_loss().ok());
  EXPECT_EQ(os.read_file(cd.file_path(1, "plain")).value(), "");
  EXPECT_EQ(os.read_file(cd.file_path(1, "paced")).value(), data);

  // A complete paced write: same size and checksum as the bytes.
  FaultyFileSystem fs2(os);
  CheckpointDir cd2 = open_dir(fs2, dir.path());
  cd2.set_pacing({.bytes_per_s = 64u << 20, .sync_every = 1u << 20});
  ASSERT_TRUE(cd2.begin(2).ok());
  auto f = cd2.write_data(2, "index", [&](FileWriter& w) { return w.append(data); });
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->bytes, data.size());
  EXPECT_EQ(f->checksum, checksum64(data.data(), data.size()));
  EXPECT_EQ(os.read_file(cd2.file_path(2, "index")).value(), data);
}

// Purpose: NoSpace and write errors from the writer surface from write_data with their
// status; a produce error is returned as is.
TEST(CheckpointDirTest, WriteDataErrorsSurface) {
  ScopedDir dir;
  OsFileSystem os;
  FaultyFileSystem fs(os, FaultConfig{.space_bytes = 1 << 20});
  CheckpointDir cd = open_dir(fs, dir.path());
  ASSERT_TRUE(cd.begin(1).ok());
  auto full = cd.write_data(1, "snapshot", [&](FileWriter& w) {
    for (int i = 0; i < 4; ++i) {
      if (auto r = w.append(bytes_of(512 << 10, i)); !r) return r;
    }
    return Result<void>();
  });
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, Status::NoSpace) << full.error().message;

  fs.set_faults(FaultConfig{});
  fs.schedule().fail_next(FaultKind::WriteError);
  auto broken = cd.write_data(1, "index", [&](FileWriter& w) { return w.append("x"); });
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, Status::IoError);

  auto refused = cd.write_data(1, "index", [&](FileWriter&) {
    return Result<void>(make_error(Status::Aborted, "producer gave up"));
  });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "producer gave up");
  EXPECT_FALSE(cd.write_data(1, "meta", [](FileWriter&) { return Result<void>(); }).ok());
  EXPECT_FALSE(cd.write_data(1, "a/b", [](FileWriter&) { return Result<void>(); }).ok());
}

// Purpose: a crash at every step of committing checkpoint 2 (each file-system call in turn,
// then a power loss) leaves checkpoint 1 or checkpoint 2 usable, never neither, never a torn
// 2; once commit returns, 2 survives a power loss.
TEST(CheckpointDirTest, CrashDuringCommitLeavesPreviousOrNew) {
  ScopedDir dir;
  OsFileSystem os;
  FaultyFileSystem fs(os);
  {
    CheckpointDir cd = open_dir(fs, dir.path());
    ASSERT_TRUE(write_checkpoint(cd, 1, {}).ok());
  }
  bool committed = false;
  int saw_previous = 0, saw_new = 0;
  for (std::uint64_t k = 0; !committed; ++k) {
    ASSERT_LT(k, 200u) << "commit never completed";
    CheckpointDir cd = open_dir(fs, dir.path());
    ASSERT_TRUE(cd.remove_uncommitted().ok());
    auto id = cd.next_id(1);
    ASSERT_TRUE(id.ok());
    fs.crash_after(k);
    auto written = write_checkpoint(cd, id.value(), {.kind = "snapshot"});
    committed = written.ok();
    EXPECT_EQ(committed, !fs.crashed()) << "k=" << k;
    ASSERT_TRUE(fs.simulate_power_loss().ok());

    CheckpointDir after = open_dir(fs, dir.path());
    auto chosen = after.choose(std::nullopt, 1);
    ASSERT_TRUE(chosen.ok()) << "k=" << k << ": " << chosen.error().message;
    ASSERT_TRUE(chosen->meta.has_value());
    EXPECT_EQ(chosen->warning, "") << "k=" << k;
    if (committed) {
      EXPECT_EQ(chosen->meta->id, id.value()) << "a committed checkpoint was lost";
      EXPECT_EQ(chosen->meta.value(), written.value());
    } else {
      EXPECT_EQ(chosen->meta->id, 1u) << "k=" << k;
    }
    (chosen->meta->id == 1 ? saw_previous : saw_new)++;
  }
  EXPECT_GT(saw_previous, 5);
  EXPECT_EQ(saw_new, 1);
}

// Purpose: a damaged data file (flipped byte, truncated, deleted) of the newest checkpoint
// makes load() fail naming the file and what is wrong, and choose() fall back to the older
// valid checkpoint with a warning naming the skipped one; a damaged meta too.
TEST(CheckpointDirTest, DamagedFilesAreNamedAndChooseFallsBack) {
  ScopedDir dir;
  OsFileSystem fs;
  CheckpointDir cd = open_dir(fs, dir.path());
  ASSERT_TRUE(write_checkpoint(cd, 1, {}).ok());
  ASSERT_TRUE(write_checkpoint(cd, 2, {.kind = "snapshot"}).ok());
  ASSERT_TRUE(cd.load(2).ok());

  struct Case {
    std::string file;
    std::string damage;  // flip, truncate, delete
    std::string expect;  // in the message
  };
  const std::vector<Case> cases = {
      {"snapshot", "flip", "fails its checksum"},
      {"snapshot", "truncate", "expected"},
      {"snapshot", "delete", "is missing"},
      {"index", "flip", "fails its checksum"},
      {"index", "truncate", "expected"},
      {"index", "delete", "is missing"},
      {"pages", "flip", "fails its checksum"},
      {"meta", "flip", "checksum"},
      {"meta", "truncate", "corrupt"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file + " " + c.damage);
    const std::string path = cd.file_path(2, c.file);
    const std::string original = fs.read_file(path).value();
    if (c.damage == "flip") {
      std::string bad = original;
      bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x40);
      ASSERT_TRUE(fs.write_file(path, bad).ok());
    } else if (c.damage == "truncate") {
      ASSERT_TRUE(fs.write_file(path, original.substr(0, original.size() / 2)).ok());
    } else {
      ASSERT_TRUE(fs.unlink(path).ok());
    }
    auto loaded = cd.load(2);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().code, Status::Corruption) << message_of(loaded.error());
    EXPECT_TRUE(contains(loaded.error().message, path)) << loaded.error().message;
    EXPECT_TRUE(contains(loaded.error().message, c.expect)) << loaded.error().message;

    auto chosen = cd.choose(std::nullopt, 2);
    ASSERT_TRUE(chosen.ok()) << chosen.error().message;
    ASSERT_TRUE(chosen->meta.has_value());
    EXPECT_EQ(chosen->meta->id, 1u);
    EXPECT_TRUE(contains(chosen->warning, "checkpoint 2")) << chosen->warning;
    EXPECT_TRUE(contains(chosen->warning, path)) << chosen->warning;
    EXPECT_TRUE(contains(chosen->warning, "checkpoint 1")) << chosen->warning;

    auto named = cd.choose(2, 2);
    ASSERT_FALSE(named.ok()) << "a named checkpoint never falls back";
    EXPECT_TRUE(contains(named.error().message, path));
    ASSERT_TRUE(fs.write_file(path, original).ok());
    ASSERT_TRUE(cd.load(2).ok());
  }

  // Both damaged: the error names the newest failing file.
  const std::string snap2 = cd.file_path(2, "snapshot"), index1 = cd.file_path(1, "index");
  ASSERT_TRUE(fs.unlink(snap2).ok());
  ASSERT_TRUE(fs.unlink(index1).ok());
  auto none = cd.choose(std::nullopt, 2);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Status::Corruption);
  EXPECT_TRUE(contains(none.error().message, snap2)) << none.error().message;
}

// Purpose: a checkpoint the store metadata records but whose directory vanished is reported,
// never taken for "no checkpoint": with an older one, a warning; without, an error.
TEST(CheckpointDirTest, MissingRecordedCheckpointIsDetected) {
  ScopedDir dir;
  OsFileSystem fs;
  CheckpointDir cd = open_dir(fs, dir.path());
  auto empty = cd.choose(std::nullopt, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->meta.has_value()) << "no checkpoint, none recorded: an empty store";
  EXPECT_EQ(empty->warning, "");

  auto lost = cd.choose(std::nullopt, 3);
  ASSERT_FALSE(lost.ok()) << "rskv.meta records checkpoint 3; there is none";
  EXPECT_TRUE(contains(lost.error().message, cd.meta_path(3))) << lost.error().message;

  ASSERT_TRUE(write_checkpoint(cd, 1, {}).ok());
  ASSERT_TRUE(write_checkpoint(cd, 2, {}).ok());
  ASSERT_TRUE(cd.remove(2).ok());
  auto fallback = cd.choose(std::nullopt, 2);
  ASSERT_TRUE(fallback.ok()) << fallback.error().message;
  EXPECT_EQ(fallback->meta->id, 1u);
  EXPECT_TRUE(contains(fallback->warning, cd.meta_path(2))) << fallback->warning;

  // A committed checkpoint newer than the recorded id (the store metadata update was lost)
  // is taken, silently.
  ASSERT_TRUE(write_checkpoint(cd, 3, {}).ok());
  auto newer = cd.choose(std::nullopt, 1);
  ASSERT_TRUE(newer.ok());
  EXPECT_EQ(newer->meta->id, 3u);
  EXPECT_EQ(newer->warning, "");
  EXPECT_EQ(cd.read_meta(9).error().code, Status::NotFound);
}

// Purpose: a log-only checkpoint relies on its index checkpoint's index file (verified in
// that directory); index-only checkpoints are never recovery points.
TEST(CheckpointDirTest, LogOnlyReliesOnIndexCheckpoint) {
  ScopedDir dir;
  OsFileSystem fs;
  CheckpointDir cd = open_dir(fs, dir.path());
  ASSERT_TRUE(write_checkpoint(cd, 1, {.kind = "index"}).ok());
  auto only_index = cd.choose(std::nullopt, 1);
  ASSERT_TRUE(only_index.ok()) << only_index.error().message;
  EXPECT_FALSE(only_index->meta.has_value()) << "an index-only checkpoint holds no data";
  auto named_index = cd.choose(1, 1);
  ASSERT_FALSE(named_index.ok());
  EXPECT_EQ(named_index.error().code, Status::InvalidArgument);

  ASSERT_TRUE(
      write_checkpoint(cd, 2, {.kind = "foldover", .has_index = false, .index_checkpoint_id = 1})
          .ok());
  auto chosen = cd.choose(std::nullopt, 2);
  ASSERT_TRUE(chosen.ok()) << chosen.error().message;
  EXPECT_EQ(chosen->meta->id, 2u);
  EXPECT_EQ(chosen->meta->index_dir_id(), 1u);

  const std::string index1 = cd.file_path(1, "index");
  const std::string original = fs.read_file(index1).value();
  ASSERT_TRUE(fs.write_file(index1, original + "x").ok());
  auto broken = cd.load(2);
  ASSERT_FALSE(broken.ok());
  EXPECT_TRUE(contains(broken.error().message, index1)) << broken.error().message;
  EXPECT_TRUE(contains(broken.error().message, "index checkpoint 1")) << broken.error().message;
  auto none = cd.choose(std::nullopt, 2);
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(contains(none.error().message, index1)) << none.error().message;
}

// Purpose: invalidate_after deletes every newer checkpoint, ids are never reused, and a
// crash at any step of it leaves either nothing changed or the newer checkpoints abandoned,
// never a fallback onto one of them.
TEST(CheckpointDirTest, InvalidateAfter) {
  ScopedDir dir;
  OsFileSystem os;
  FaultyFileSystem fs(os);
  {
    CheckpointDir cd = open_dir(fs, dir.path());
    for (std::uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(write_checkpoint(cd, id, {}).ok());
  }
  bool done = false;
  for (std::uint64_t k = 0; !done; ++k) {
    ASSERT_LT(k, 100u);
    CheckpointDir cd = open_dir(fs, dir.path());
    fs.crash_after(k);
    done = cd.invalidate_after(1).ok();
    ASSERT_TRUE(fs.simulate_power_loss().ok());
    CheckpointDir after = open_dir(fs, dir.path());
    auto chosen = after.choose(std::nullopt, 3);
    ASSERT_TRUE(chosen.ok()) << "k=" << k << ": " << chosen.error().message;
    const std::uint64_t got = chosen->meta->id;
    EXPECT_TRUE(got == 1 || got == 3) << "k=" << k << ": landed on abandoned checkpoint " << got;
    if (got == 1) {
      EXPECT_EQ(chosen->warning, "") << "an invalidated checkpoint is no failure";
    }
    if (done) {
      EXPECT_EQ(got, 1u);
    }
    if (got == 3) {
      EXPECT_EQ(committed_ids(after), (std::vector<std::uint64_t>{1, 2, 3}));
    }
  }
  CheckpointDir cd = open_dir(fs, dir.path());
  EXPECT_EQ(committed_ids(cd), (std::vector<std::uint64_t>{1}));
  EXPECT_FALSE(os.exists(cd.dir_of(2)).value());
  EXPECT_FALSE(os.exists(cd.dir_of(3)).value());
  EXPECT_EQ(cd.next_id(1).value(), 4u) << "ids of the abandoned timeline are not reused";
  EXPECT_EQ(cd.load(3).error().code, Status::InvalidArgument);
  ASSERT_TRUE(write_checkpoint(cd, 4, {}).ok());
  auto chosen = cd.choose(std::nullopt, 4);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->meta->id, 4u);
  ASSERT_TRUE(cd.invalidate_after(4).ok()) << "nothing newer: a no-op";
  EXPECT_EQ(committed_ids(cd), (std::vector<std::uint64_t>{1, 4}));
}

// Purpose: retain keeps the newest N log checkpoints, everything newer than the oldest of
// them, and the index checkpoints they rely on; older ones are deleted.
TEST(CheckpointDirTest, RetainKeepsReferencedIndexCheckpoints) {
  ScopedDir dir;
  OsFileSystem fs;
  CheckpointDir cd = open_dir(fs, dir.path());
  ASSERT_TRUE(write_checkpoint(cd, 1, {}).ok());                 // foldover + index
  ASSERT_TRUE(write_checkpoint(cd, 2, {.kind = "index"}).ok());  // index-only
  ASSERT_TRUE(write_checkpoint(cd, 3, {.has_index = false, .index_checkpoint_id = 2}).ok());
  ASSERT_TRUE(
      write_checkpoint(cd, 4, {.kind = "snapshot", .has_index = false, .index_checkpoint_id = 2})
          .ok());
  ASSERT_TRUE(write_checkpoint(cd, 5, {.kind = "index"}).ok());
  ASSERT_TRUE(write_checkpoint(cd, 6, {.has_index = false, .index_checkpoint_id = 5}).ok());
  ASSERT_TRUE(write_checkpoint(cd, 7, {.kind = "index"}).ok());  // not used yet: kept

  EXPECT_EQ(cd.retain(0).error().code, Status::InvalidArgument);
  ASSERT_TRUE(cd.retain(10).ok());
  EXPECT_EQ(committed_ids(cd), (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7}));
  ASSERT_TRUE(cd.retain(2).ok());
  EXPECT_EQ(committed_ids(cd), (std::vector<std::uint64_t>{2, 4, 5, 6, 7}));
  EXPECT_FALSE(fs.exists(cd.dir_of(1)).value());
  EXPECT_FALSE(fs.exists(cd.dir_of(3)).value());
  ASSERT_TRUE(cd.load(4).ok()) << "its index checkpoint 2 was kept";
  ASSERT_TRUE(cd.retain(1).ok());
  EXPECT_EQ(committed_ids(cd), (std::vector<std::uint64_t>{5, 6, 7}));
  ASSERT_TRUE(cd.load(6).ok());
}

// Purpose: directories without meta are ignored by committed() and choose() (never an
// error) and deleted by remove_uncommitted(); foreign entries are left alone; next_id counts
// them so an id is never handed out twice.
TEST(CheckpointDirTest, UncommittedDirectoriesIgnoredAndRemoved) {
  ScopedDir dir;
  OsFileSystem fs;
  CheckpointDir cd = open_dir(fs, dir.path());
  ASSERT_TRUE(write_checkpoint(cd, 1, {}).ok());
  ASSERT_TRUE(cd.begin(2).ok());
  ASSERT_TRUE(cd.write_data(2, "index", [](FileWriter& w) { return w.append("partial"); }).ok());
  ASSERT_TRUE(fs.write_file(cd.file_path(2, "meta.tmp"), "torn").ok());
  ASSERT_TRUE(cd.begin(3).ok());
  ASSERT_TRUE(fs.write_file(device::join_path(cd.path(), "notes"), "mine").ok());
  EXPECT_EQ(cd.begin(3).error().code, Status::InvalidArgument);

  EXPECT_EQ(committed_ids(cd), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(cd.next_id(1).value(), 4u);
  EXPECT_EQ(cd.next_id(9).value(), 10u);
  auto chosen = cd.choose(std::nullopt, 1);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->meta->id, 1u);
  EXPECT_EQ(chosen->warning, "");
  EXPECT_EQ(cd.load(2).error().code, Status::NotFound);

  ASSERT_TRUE(cd.remove_uncommitted().ok());
  EXPECT_FALSE(fs.exists(cd.dir_of(2)).value());
  EXPECT_FALSE(fs.exists(cd.dir_of(3)).value());
  EXPECT_TRUE(fs.exists(cd.dir_of(1)).value());
  EXPECT_EQ(fs.read_file(device::join_path(cd.path(), "notes")).value(), "mine");
  EXPECT_EQ(cd.next_id(1).value(), 2u);
}

// ---- StoreMeta / StoreDir ------------------------------------------------------------------

StoreMeta store_meta() {
  return StoreMeta{.index = "chained",
                   .device = "file",
                   .gc = "none",
                   .page_bytes = 1u << 20,
                   .segment_bytes = 1u << 24};
}

// Purpose: latest_checkpoint round-trips through rskv.meta; a file written before the field
// existed reads as 0.
TEST(StoreMetaCheckpoint, LatestCheckpointRoundTripAndOldFormat) {
  StoreMeta m = store_meta();
  m.latest_checkpoint = 42;
  auto back = device::decode_meta(device::encode_meta(m), "/s/rskv.meta");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value(), m);

  // The old format: the same lines without latest_checkpoint, with its own checksum.
  std::string text = device::encode_meta(store_meta());
  const std::size_t at = text.find("latest_checkpoint=");
  ASSERT_NE(at, std::string::npos);
  std::string body = text.substr(0, at);
  char sum[40];
  std::snprintf(sum, sizeof sum, "checksum=%016llx\n",
                static_cast<unsigned long long>(checksum64(body.data(), body.size())));
  auto old = device::decode_meta(body + sum, "/s/rskv.meta");
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_EQ(old->latest_checkpoint, 0u);
  EXPECT_EQ(old.value(), store_meta());
}

// Purpose: open_existing accepts the stored store (or writes a fresh one), refuses other
// policies; set_latest_checkpoint is durable; prepare_new_store's refusal names recovery.
TEST(StoreMetaCheckpoint, OpenExistingAndSetLatest) {
  ScopedDir dir;
  OsFileSystem os;
  FaultyFileSystem fs(os);
  const std::string path = dir.sub("store");
  {
    auto d = StoreDir::open(fs, path);
    ASSERT_TRUE(d.ok());
    EXPECT_FALSE((*d)->set_latest_checkpoint(1).ok()) << "no store yet";
    ASSERT_TRUE((*d)->open_existing(store_meta()).ok());
    EXPECT_EQ((*d)->kind(), StoreDir::Kind::Existing);
    ASSERT_TRUE((*d)->set_latest_checkpoint(7).ok());
  }
  ASSERT_TRUE(fs.simulate_power_loss().ok());
  auto d = StoreDir::open(fs, path);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ((*d)->stored()->latest_checkpoint, 7u);
  ASSERT_TRUE((*d)->open_existing(store_meta()).ok());
  EXPECT_EQ((*d)->stored()->latest_checkpoint, 7u) << "open_existing keeps the stored meta";
  StoreMeta other = store_meta();
  other.index = "cuckoo";
  EXPECT_EQ((*d)->open_existing(other).error().code, Status::InvalidArgument);

  auto refused = (*d)->prepare_new_store(store_meta());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Status::InvalidArgument);
  EXPECT_EQ(refused.error().message,
            "`" + path +
                "` already holds an rskv store (index=chained device=file gc=none); open it "
                "with recovery (StoreConfig::recover, rskv-cli --recover) or choose an empty "
                "directory");
}

}  // namespace
}  // namespace rskv::test
