#pragma once
// FileSystem: the small interface for named files (store metadata, the store lock, checkpoint
// files). Segment files of the log belong to the devices, not to this interface.
//
// Why an interface: so that FaultyFileSystem (faulty_fs.h) can fail or drop named-file
// operations exactly as FaultyDevice does for the log, and so that nothing outside
// components/device/ calls the OS for files. It is a virtual interface on purpose: every call
// is cold (open, checkpoint), so one virtual call per file operation costs nothing.
//
// Durability model (what OsFileSystem provides and FaultyFileSystem simulates, POSIX rules):
//   - write_file() replaces a file's contents; they are durable only after sync_file();
//   - a FileWriter (open_writer) streams a file's contents; they are durable only after its
//     sync();
//   - a new name (create, rename target, new directory) or a removed name (unlink, rename
//     source, remove_dir) is durable only after sync_dir() of the directory holding it;
//   - write_file_durably() does the whole dance: write a temporary, sync it, rename it over
//     the target, sync the directory. After a crash the target holds the old or the new
//     contents, never a mix; create_dir_durably() creates a directory and syncs the parent
//     of every level it created.
//
// Thread-safety: OsFileSystem is stateless and may be called from any thread. Distinct
// threads must not write the same path at once (the store never does). A FileWriter or
// FileReader belongs to one thread at a time.
//
// Errors: every call returns a Result whose message names the path, the failing call and the
// errno text; ENOSPC / EDQUOT map to Status::NoSpace, everything else to Status::IoError.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
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

/// Streams the contents of one file, opened (created or truncated) by open_writer(). Nothing
/// is durable before sync(); the destructor closes the file if close() was not called (and
/// ignores errors there: call close() to see them).
class FileWriter {
 public:
  virtual ~FileWriter() = default;

  /// Appends all of `data`: calls write_some() until every byte is written, so a short write
  /// (a signal, a nearly full disk, an injected fault) is completed, never silently dropped.
  /// Errors: NoSpace (disk full; a prefix may have been written), IoError.
  Result<void> append(std::string_view data);
  /// Writes a non-empty prefix of `data` (all of it unless the OS or a wrapper cuts it short)
  /// and returns its length; EINTR is retried. Callers normally use append().
  virtual Result<std::size_t> write_some(std::string_view data) = 0;
  /// Makes every byte appended so far durable (fsync).
  virtual Result<void> sync() = 0;
  /// Closes the file; later calls to close() are no-ops. append() after close() fails.
  virtual Result<void> close() = 0;
  /// Bytes written so far.
  [[nodiscard]] virtual std::uint64_t bytes() const = 0;
  /// The file's path.
  [[nodiscard]] virtual const std::string& path() const = 0;
};

/// Reads one file sequentially from its start (open_reader()), for files too large to hold
/// in memory at once (checkpoint index and snapshot files).
class FileReader {
 public:
  virtual ~FileReader() = default;

  /// Reads up to dst.size() bytes at the current position; returns how many (0 at the end
  /// of the file). EINTR is retried.
  virtual Result<std::size_t> read_some(std::span<char> dst) = 0;
  /// Reads until `dst` is full or the file ends; returns the bytes read (< dst.size() only
  /// at the end of the file).
  Result<std::size_t> read_full(std::span<char> dst);
  /// The file's path.
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
  /// Creates or truncates `path` and returns a writer for its contents (durable after the
  /// writer's sync(); the name after sync_dir of the parent).
  virtual Result<std::unique_ptr<FileWriter>> open_writer(const std::string& path) = 0;
  /// Opens `path` for sequential reading. NotFound if it does not exist.
  virtual Result<std::unique_ptr<FileReader>> open_reader(const std::string& path) = 0;
  /// Removes the empty directory `path` (durable after sync_dir of the parent). NotFound if
  /// it does not exist; IoError if it is not empty.
  virtual Result<void> remove_dir(const std::string& path) = 0;
  /// The size of the file in bytes. NotFound if it does not exist.
  virtual Result<std::uint64_t> file_size(const std::string& path) = 0;
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
  Result<std::unique_ptr<FileWriter>> open_writer(const std::string& path) override;
  Result<std::unique_ptr<FileReader>> open_reader(const std::string& path) override;
  Result<void> remove_dir(const std::string& path) override;
  Result<std::uint64_t> file_size(const std::string& path) override;
};

/// Writes `path` so that after a crash it holds either its old or its new contents:
/// write `path`.tmp, sync it, rename over `path`, sync the parent directory.
Result<void> write_file_durably(FileSystem& fs, const std::string& path, std::string_view data);

/// Creates `path` and any missing parents (like create_dir) and makes each new directory's
/// name durable by syncing its parent. Ok if it already exists.
Result<void> create_dir_durably(FileSystem& fs, const std::string& path);

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
