#pragma once
// FileSystem: the small interface for named files (store metadata, the store lock, and later
// checkpoint files). Segment files of the log belong to the devices, not to this interface.
//
// Why an interface: so that FaultyFileSystem (faulty_device.h) can fail or drop named-file
// operations exactly as FaultyDevice does for the log, and so that nothing outside
// components/device/ calls the OS for files. It is a virtual interface on purpose: every call
// is cold (open, checkpoint), so one virtual call per file operation costs nothing.
//
// Durability model (what OsFileSystem provides and FaultyFileSystem simulates, POSIX rules):
//   - write_file() replaces a file's contents; they are durable only after sync_file();
//   - a new name (create, rename target) or a removed name (unlink, rename source) is durable
//     only after sync_dir() of the directory holding it;
//   - write_file_durably() does the whole dance: write a temporary, sync it, rename it over
//     the target, sync the directory. After a crash the target holds the old or the new
//     contents, never a mix.
//
// Thread-safety: OsFileSystem is stateless and may be called from any thread. Distinct
// threads must not write the same path at once (the store never does).
//
// Errors: every call returns a Result whose message names the path, the failing call and the
// errno text; ENOSPC / EDQUOT map to Status::NoSpace, everything else to Status::IoError.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "components/common/result.h"
#include "components/common/status.h"

namespace rskv::device {

/// An exclusive advisory lock (flock) on a file, held for the object's lifetime. The kernel
/// drops it when the process dies, so a killed process never leaves a stale lock.
class FileLock {
 public:
  virtual ~FileLock() = default;
  /// The locked file's path.
  [[nodiscard]] virtual const std::string& path() const = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  /// Creates the directory and any missing parents; Ok if it already exists.
  virtual Result<void> create_dir(const std::string& path) = 0;
  /// Creates or truncates `path` and writes `data` (not durable until sync_file).
  virtual Result<void> write_file(const std::string& path, std::string_view data) = 0;
  /// Makes the file's contents durable (fsync).
  virtual Result<void> sync_file(const std::string& path) = 0;
  /// Atomically renames `from` to `to`, replacing `to` (durable after sync_dir of the parent).
  virtual Result<void> rename(const std::string& from, const std::string& to) = 0;
  /// Makes the directory's entries (creations, renames, unlinks) durable.
  virtual Result<void> sync_dir(const std::string& dir) = 0;
  /// Removes the file (durable after sync_dir of the parent). NotFound if it does not exist.
  virtual Result<void> unlink(const std::string& path) = 0;
  /// Reads the whole file. NotFound if it does not exist.
  virtual Result<std::string> read_file(const std::string& path) = 0;
  /// Whether a file or directory exists at `path`.
  virtual Result<bool> exists(const std::string& path) = 0;
  /// Names of the entries in `dir` (no "." or ".."), sorted.
  virtual Result<std::vector<std::string>> list(const std::string& dir) = 0;
  /// Creates `path` if needed and takes an exclusive, non-blocking flock on it. If another
  /// open file description holds it (another process, or a second open in this one), the
  /// error has code Status::Busy.
  virtual Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) = 0;
};

/// The real file system (POSIX calls). Stateless.
class OsFileSystem final : public FileSystem {
 public:
  Result<void> create_dir(const std::string& path) override;
  Result<void> write_file(const std::string& path, std::string_view data) override;
  Result<void> sync_file(const std::string& path) override;
  Result<void> rename(const std::string& from, const std::string& to) override;
  Result<void> sync_dir(const std::string& dir) override;
  Result<void> unlink(const std::string& path) override;
  Result<std::string> read_file(const std::string& path) override;
  Result<bool> exists(const std::string& path) override;
  Result<std::vector<std::string>> list(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override;
};

/// Writes `path` so that after a crash it holds either its old or its new contents:
/// write `path`.tmp, sync it, rename over `path`, sync the parent directory.
Result<void> write_file_durably(FileSystem& fs, const std::string& path, std::string_view data);

/// `dir` + "/" + `name` (no doubled slash).
std::string join_path(std::string_view dir, std::string_view name);
/// The directory part of `path` ("." if none).
std::string parent_dir(std::string_view path);

/// The file system type holding `path`, as a lower-case name: "ext4" (reported for the
/// ext2/3/4 family, which shares one magic number), "xfs", "btrfs", "tmpfs", "overlayfs",
/// or "unknown(0x…)". Tests use it to decide whether O_DIRECT must be in effect.
Result<std::string> file_system_type(const std::string& path);

/// Error helper for the OS layer: "<what> `<path>`: <strerror(err)>" with ENOSPC/EDQUOT
/// mapped to Status::NoSpace, ENOENT to Status::NotFound, others to Status::IoError.
Error os_error(std::string_view what, std::string_view path, int err);

}  // namespace rskv::device
