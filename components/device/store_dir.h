#pragma once
// StoreDir: the store directory the store opens for a file-backed device.
//
// A store directory holds
//   LOCK          an empty file carrying an exclusive flock for as long as a StoreDir is open
//                 (the kernel releases it when the process dies: no stale locks);
//   rskv.meta     the metadata file (format version, index / device / gc policy names, page
//                 size, segment size, latest committed checkpoint id), written durably
//                 (write, sync, rename, directory sync) and checked against a checksum when
//                 read;
//   log.<n>       the log's segment files (written by the device, not by StoreDir);
//   checkpoints/  the checkpoints (components/checkpoint/checkpoint_dir.h).
// With the memory device the store does not use a StoreDir at all: the directory holds
// nothing and is neither locked nor refused.
//
// How the store opens a directory:
//
//     device::OsFileSystem fs;                       // or a FaultyFileSystem in tests
//     auto dir = device::StoreDir::open(fs, path);   // create if missing, lock, read metadata
//     if (!dir) return dir.error();                  // e.g. "in use by another process"
//     StoreMeta want{.index = "chained", .device = "file", .gc = "none",
//                    .page_bytes = 1u << 22, .segment_bytes = 1ull << 30};
//     // A new store (refuses a directory that already holds one):
//     if (auto r = (*dir)->prepare_new_store(want); !r) return r.error();
//     // Or, to recover: accepts an existing store with the same policies (or makes a new
//     // one in a fresh directory), then recover from (*dir)->stored()->latest_checkpoint.
//     if (auto r = (*dir)->open_existing(want); !r) return r.error();
//     DeviceConfig dc{.path = (*dir)->path(), .segment_bytes = want.segment_bytes, ...};
//     ... Device::open(dc) ...; keep `dir` alive as long as the store is open (it holds the lock).
//     // After each checkpoint commits: (*dir)->set_latest_checkpoint(id).
//
// prepare_new_store() writes the metadata into a fresh directory, and refuses a directory that
// already holds a store: with other policies (the message names the stored ones), or with the
// same ones (the message names recovery: StoreConfig::recover, rskv-cli --recover).
//
// Thread-safety: a StoreDir is used by the thread that opens the store; not thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "components/common/result.h"
#include "components/device/fs.h"

namespace rskv::device {

/// What rskv.meta records about a store.
struct StoreMeta {
  static constexpr std::uint32_t kFormatVersion = 1;

  std::uint32_t format_version = kFormatVersion;
  std::string index;                // index policy name, e.g. "chained"
  std::string device;               // device policy name, e.g. "file"
  std::string gc;                   // gc policy name, e.g. "none"
  std::uint64_t page_bytes = 0;     // hybrid-log page size
  std::uint64_t segment_bytes = 0;  // device segment size (0 = not recorded)
  // The id of the latest committed checkpoint (0 = none committed yet; files written before
  // checkpoints existed read as 0). A lower bound: a checkpoint commits before this field is
  // rewritten, so a crash in between leaves a newer committed checkpoint than recorded here.
  std::uint64_t latest_checkpoint = 0;

  /// "index=chained device=file gc=none" — the form error messages use.
  [[nodiscard]] std::string policies() const;
  [[nodiscard]] bool same_policies(const StoreMeta& o) const {
    return index == o.index && device == o.device && gc == o.gc;
  }
  bool operator==(const StoreMeta&) const = default;
};

/// The metadata file's text form ("key=value" lines, closed by a checksum line) and back.
/// decode_meta names `path` in its errors (Corruption for a bad checksum or a malformed file,
/// InvalidArgument for a format version newer than this build reads).
std::string encode_meta(const StoreMeta& meta);
Result<StoreMeta> decode_meta(std::string_view text, const std::string& path);

class StoreDir {
 public:
  static constexpr std::string_view kLockFile = "LOCK";
  static constexpr std::string_view kMetaFile = "rskv.meta";
  static constexpr std::string_view kCheckpointsDir = "checkpoints";

  enum class Kind : std::uint8_t {
    Fresh,     // no store here yet (the directory was missing or empty)
    Existing,  // rskv.meta exists and is valid; stored() describes it
  };

  /// Creates `path` if missing, takes the exclusive lock and reads the metadata. Errors:
  /// Busy (another process holds the lock; the message names the directory and the lock),
  /// Corruption (torn or foreign metadata), InvalidArgument (the directory holds other files
  /// but no rskv metadata), IoError / NoSpace from the file system.
  static Result<std::unique_ptr<StoreDir>> open(FileSystem& fs, std::string path);

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] bool fresh() const { return kind_ == Kind::Fresh; }
  /// The stored metadata (set for Kind::Existing and after write_meta()).
  [[nodiscard]] const std::optional<StoreMeta>& stored() const { return stored_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string meta_path() const { return join_path(path_, kMetaFile); }

  /// Ok for a fresh directory or a store made with `want`'s policies and page size;
  /// otherwise InvalidArgument naming the stored policies.
  Result<void> check_compatible(const StoreMeta& want) const;
  /// Writes `meta` durably (write rskv.meta.tmp, sync, rename, sync directory); afterwards
  /// kind() is Existing and stored() is `meta`.
  Result<void> write_meta(const StoreMeta& meta);
  /// For a new store: check_compatible(want); then refuse an existing store
  /// (InvalidArgument, "`<dir>` already holds an rskv store (<policies>); open it with
  /// recovery ..."); then write_meta(want).
  Result<void> prepare_new_store(const StoreMeta& want);
  /// For recovery: check_compatible(want); then Ok for an existing store (stored() keeps its
  /// metadata, latest_checkpoint included), or, for a fresh directory, write_meta(want).
  Result<void> open_existing(const StoreMeta& want);
  /// Records `id` as the latest committed checkpoint: rewrites rskv.meta durably with
  /// latest_checkpoint = id. InvalidArgument if the directory holds no store yet.
  Result<void> set_latest_checkpoint(std::uint64_t id);

  StoreDir(const StoreDir&) = delete;
  StoreDir& operator=(const StoreDir&) = delete;

 private:
  StoreDir(FileSystem& fs, std::string path, std::unique_ptr<FileLock> lock)
      : fs_(fs), path_(std::move(path)), lock_(std::move(lock)) {}

  FileSystem& fs_;
  std::string path_;
  std::unique_ptr<FileLock> lock_;  // held for the StoreDir's lifetime
  Kind kind_ = Kind::Fresh;
  std::optional<StoreMeta> stored_;
};

}  // namespace rskv::device
