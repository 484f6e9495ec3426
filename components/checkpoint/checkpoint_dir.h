#pragma once
// CheckpointDir: the checkpoint files of one store directory, through the FileSystem
// interface (components/device/fs.h), so FaultyFileSystem can fail or drop every step.
//
// Layout:
//
//     <store>/checkpoints/
//         <id>/            one directory per checkpoint, id = 1, 2, ... (decimal)
//             <data files> index, snapshot, page checksums: written by write_data()
//             meta         the commit record (CheckpointMeta, checkpoint_meta.h)
//         invalidated      written by invalidate_after(): "ids in (kept, through] are
//                          abandoned" (a checksummed text file)
//
// Writing a checkpoint (the store's checkpoint thread):
//
//     auto id = dir.next_id(store_dir.stored()->latest_checkpoint);
//     dir.begin(*id);                                         // mkdir, sync checkpoints/
//     auto index = dir.write_data(*id, "index", [&](FileWriter& w) { ... w.append(...) ... });
//     meta.index_file = *index; ...
//     dir.commit(meta);                                       // the checkpoint counts now
//     store_dir.set_latest_checkpoint(*id);
//     dir.retain(2);
//
// Recovering (the store's open with recovery):
//
//     auto chosen = dir.choose(wanted, store_dir.stored()->latest_checkpoint);
//     if (!chosen->warning.empty()) std::cerr << chosen->warning << "\n";
//     if (chosen->meta) { load the index, replay the log ... }
//     dir.invalidate_after(chosen id, or 0 with no checkpoint)  // before running on
//     store_dir.set_latest_checkpoint(chosen id); dir.remove_uncommitted();
//
// Crash safety: a crash (or a power loss that keeps only what was synced) at any moment
// leaves the previous checkpoint or the new one usable, never a mix:
//   - A checkpoint counts only once `<id>/meta` exists. commit() first syncs the checkpoint
//     directory (so every data file's name is durable; write_data() synced their contents),
//     then writes meta.tmp, syncs it, renames it to meta and syncs the directory
//     (write_file_durably). A crash before the rename leaves no meta: the directory is an
//     uncommitted leftover that committed() and choose() ignore and remove_uncommitted()
//     deletes; the previous checkpoint is untouched. After the rename's directory sync the new
//     checkpoint is complete; the store metadata's latest_checkpoint is rewritten after that,
//     so it is a lower bound: choose() also takes committed checkpoints newer than it.
//   - meta names each data file with its size and checksum, and load() checks them all, so a
//     torn, truncated, missing or corrupt file is reported naming the file, never half-used;
//     choose() then falls back to the newest older checkpoint that loads, and says so.
//   - The store metadata records the latest committed id, so a checkpoint whose directory or
//     meta vanished is reported as missing, never mistaken for "no checkpoint".
//   - Deleting a checkpoint (retain, invalidate_after, remove_uncommitted) removes meta first
//     and syncs the directory, so the checkpoint stops counting before any of its data goes;
//     then the data files, the directory, and a sync of checkpoints/.
//   - invalidate_after(id) first durably writes `invalidated` (kept = id, through = the newest
//     id present), which by itself abandons every checkpoint in (kept, through]: committed(),
//     choose() and load() ignore them even if a crash interrupts the deletions that follow.
//     `through` also keeps next_id() above every id ever handed out, so an id the abandoned
//     timeline used (and reported) is never reused.
//   - retain() deletes only checkpoints older than the oldest one it keeps that no kept
//     checkpoint relies on (a log-only checkpoint's index_checkpoint_id).
//
// Errors: Result messages name the file and what is wrong: "missing", "has X bytes,
// expected Y", "fails its checksum". A damaged checkpoint is Status::Corruption (a missing
// meta in load() is NotFound); file-system failures keep their code (IoError, NoSpace).
//
// Thread-safety: none; one thread (the checkpoint or recovery thread) uses a CheckpointDir
// at a time. Distinct CheckpointDirs must not share a store directory (the store's lock
// ensures it).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "components/checkpoint/checkpoint_meta.h"
#include "components/common/result.h"
#include "components/device/fs.h"

namespace rskv::checkpoint {

/// What choose() picked: the checkpoint to recover (empty: recover as an empty store) and a
/// warning naming every newer checkpoint that was skipped and why (empty if none; the caller
/// prints it to stderr).
struct Chosen {
  std::optional<CheckpointMeta> meta;
  std::string warning;
};

/// How fast CheckpointDir::write_data writes a data file. bytes_per_s == 0: as fast as the
/// file system takes it, one sync at the end. Otherwise at most bytes_per_s, with a sync every
/// sync_every bytes, so that a large index or snapshot file shares the disk with the store's
/// own reads instead of reaching it in one burst at the final sync.
struct WritePacing {
  std::uint64_t bytes_per_s = 0;
  std::uint64_t sync_every = std::uint64_t{1} << 20;
};

class CheckpointDir {
 public:
  using Chosen = checkpoint::Chosen;

  static constexpr std::string_view kDirName = "checkpoints";
  static constexpr std::string_view kMetaFile = "meta";
  static constexpr std::string_view kInvalidatedFile = "invalidated";

  /// Opens `<store_dir>/checkpoints`, creating it (durably) if missing.
  static Result<CheckpointDir> open(device::FileSystem& fs, std::string store_dir);

  /// `<store>/checkpoints`.
  [[nodiscard]] const std::string& path() const { return root_; }
  /// The pacing of later write_data() calls.
  void set_pacing(WritePacing pacing) { pacing_ = pacing; }
  /// `<store>/checkpoints/<id>`.
  [[nodiscard]] std::string dir_of(std::uint64_t id) const;
  /// `<store>/checkpoints/<id>/<name>`.
  [[nodiscard]] std::string file_path(std::uint64_t id, std::string_view name) const;
  /// `<store>/checkpoints/<id>/meta`.
  [[nodiscard]] std::string meta_path(std::uint64_t id) const;

  /// The id for a new checkpoint: 1 + the largest of `store_latest`, every id present as a
  /// directory (committed or not) and every id invalidate_after() abandoned.
  Result<std::uint64_t> next_id(std::uint64_t store_latest);
  /// Creates the checkpoint's directory and makes its name durable. InvalidArgument if it
  /// exists already (take ids from next_id()).
  Result<void> begin(std::uint64_t id);
  /// Writes the data file `name` of checkpoint `id`: opens a writer, lets `produce` append
  /// (the writer it gets buffers small appends and checksums every byte), syncs and closes
  /// it. Returns name, bytes and checksum64 of the contents, for the CheckpointMeta. On any
  /// error (produce's included) the file is left behind for remove_uncommitted().
  Result<FileInfo> write_data(std::uint64_t id, std::string name,
                              const std::function<Result<void>(device::FileWriter&)>& produce);
  /// Commits `meta` (meta.id names the checkpoint, begun with begin()): syncs the
  /// checkpoint's directory, then writes meta with write_file_durably. From its return on the
  /// checkpoint counts. InvalidArgument if validate(meta) fails.
  Result<void> commit(const CheckpointMeta& meta);

  /// Ids of the committed checkpoints (their meta exists and invalidate_after() did not
  /// abandon them), ascending.
  Result<std::vector<std::uint64_t>> committed();
  /// Deletes (durably) every checkpoint directory without meta, and every one abandoned by an
  /// interrupted invalidate_after().
  Result<void> remove_uncommitted();

  /// Reads and decodes `<id>/meta` without checking its data files. NotFound if it does not
  /// exist; Corruption if it is damaged or names another id.
  Result<CheckpointMeta> read_meta(std::uint64_t id);
  /// Checks every data file `meta` names (the index file in index_dir_id()'s directory, the
  /// snapshot file, the page checksums file): it exists, has the recorded size and checksum.
  /// Corruption naming the file otherwise.
  Result<void> verify_files(const CheckpointMeta& meta);
  /// read_meta(id), then verify_files. InvalidArgument for an id invalidate_after() abandoned.
  Result<CheckpointMeta> load(std::uint64_t id);

  /// Picks the checkpoint to recover.
  ///   - `wanted`: load it (its error if that fails; InvalidArgument for an index-only or an
  ///     abandoned checkpoint).
  ///   - otherwise the newest committed log checkpoint (foldover or snapshot) that loads,
  ///     newer ones than `store_latest` included (store_latest is a lower bound); index-only
  ///     checkpoints are no recovery points and are passed over. Newer checkpoints that fail
  ///     with Corruption or NotFound are skipped and named in `warning`, as is the checkpoint
  ///     `store_latest` names when it is missing altogether. Any other failure (IoError, a
  ///     newer format) is returned: falling back past a checkpoint that may be good would
  ///     abandon it.
  ///   - none loads: the newest failure's error if there was any committed log checkpoint or
  ///     store_latest > 0 (the error names the file); an empty `meta` if there is no committed
  ///     log checkpoint and store_latest == 0 (recover as an empty store).
  Result<Chosen> choose(std::optional<std::uint64_t> wanted, std::uint64_t store_latest);

  /// Abandons and durably deletes every checkpoint newer than `id` (committed or not), so
  /// that no later fallback lands on the timeline recovery just left (see the crash-safety
  /// notes above). Call it after recovering `id` (0: recovered as empty), before running on.
  Result<void> invalidate_after(std::uint64_t id);
  /// Keeps the newest `keep` (>= 1) committed log checkpoints, every checkpoint newer than the
  /// oldest of them, and every checkpoint one of them relies on (index_checkpoint_id);
  /// durably deletes the other, older committed checkpoints.
  Result<void> retain(std::size_t keep);
  /// Durably deletes checkpoint `id`: meta first (then the directory is synced), its other
  /// files, the directory, and a sync of checkpoints/. Ok if it does not exist.
  Result<void> remove(std::uint64_t id);

 private:
  // The abandoned range (kept, through] recorded by invalidate_after (0, 0 if none).
  struct Invalidated {
    std::uint64_t kept = 0, through = 0;
    [[nodiscard]] bool covers(std::uint64_t id) const { return id > kept && id <= through; }
  };

  CheckpointDir(device::FileSystem& fs, std::string root) : fs_(&fs), root_(std::move(root)) {}

  Result<Invalidated> read_invalidated();
  // Ids present as directories under checkpoints/ (committed or not), ascending.
  Result<std::vector<std::uint64_t>> present();
  Result<void> verify_file(const CheckpointMeta& meta, std::uint64_t dir_id, const FileInfo& file,
                           std::string_view what);

  device::FileSystem* fs_;
  std::string root_;  // <store>/checkpoints
  WritePacing pacing_;
};

}  // namespace rskv::checkpoint
