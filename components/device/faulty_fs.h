#pragma once
// FaultyFileSystem: wraps a FileSystem (fs.h) and injects faults into named-file operations,
// and simulates a power loss by dropping everything that was not made durable.
//
// Faults (FaultSchedule, seeded or armed):
//   - write_file and FileWriter::write_some fail with IoError (WriteError) or NoSpace
//     (NoSpace armed, or FaultConfig.space_bytes exceeded by the bytes written through the
//     wrapper; a writer first gets the part that still fits, as a real disk does, then
//     NoSpace);
//   - FileWriter::write_some is cut short (ShortWrite): the base writer gets only a prefix
//     and the caller sees a short count, so FileWriter::append must hand over the rest;
//   - sync_file, FileWriter::sync and sync_dir fail with IoError (FlushError);
//   - read_file and FileReader::read_some fail with IoError (ReadError);
//   - rename fails (RenameError), unlink and remove_dir fail (RemoveError), armed only.
// Delays sleep before the call. A failed call leaves the real file system untouched.
//
// Power loss (simulate_power_loss): the wrapper models POSIX durability for every path it has
// touched since construction (or since the last simulated power loss):
//   - an inode's contents are durable as of its last sync_file() or writer sync();
//   - a name (file created, renamed to, renamed from, unlinked; directory created or
//     removed) is durable as of the last sync_dir() of the directory holding it;
// and rewrites the real files to the durable state: a name that is not durable disappears
// (or comes back, if its removal was not durable); a durable name gets the contents its inode
// had at its last sync (empty if never synced); a directory whose creation was not durable
// disappears with everything in it, one whose removal was not durable comes back. Paths it
// never touched are left alone; files and directories existing before their first touch
// count as durable. Writers opened before a simulated power loss fail afterwards (their
// process "died"); close them.
//
// Thread-safety: every call may come from any thread; the model is guarded by one mutex
// (held across the real call, so the model and the disk change together).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "components/device/fault_schedule.h"
#include "components/device/fs.h"

namespace rskv::device {

class FaultyFileSystem final : public FileSystem {
 public:
  explicit FaultyFileSystem(FileSystem& base, const FaultConfig& cfg = {}) : base_(base) {
    schedule_.configure(cfg);
  }

  /// The fault schedule (arm faults with schedule().fail_next(kind)).
  FaultSchedule& schedule() { return schedule_; }
  void set_faults(const FaultConfig& cfg) { schedule_.configure(cfg); }

  /// Drops every write, creation, rename and removal not made durable (see above).
  Result<void> simulate_power_loss();

  /// Simulates the process dying after `ops` more mutating calls (create_dir, write_file,
  /// open_writer, writer appends and syncs, sync_file, sync_dir, rename, unlink, remove_dir):
  /// each later one fails with IoError and changes nothing, until clear_crash(). Tests walk a
  /// crash through every step of a protocol: crash_after(k), run it, simulate_power_loss(),
  /// check what recovery sees, for k = 0, 1, 2, ... simulate_power_loss() ends the crash
  /// (the machine restarts).
  void crash_after(std::uint64_t ops);
  void clear_crash();
  /// Whether a crash_after() point was reached (some call failed because of it).
  [[nodiscard]] bool crashed();

  Result<void> create_dir(const std::string& path) override;
  Result<void> write_file(const std::string& path, std::string_view data) override;
  Result<void> sync_file(const std::string& path) override;
  Result<void> rename(const std::string& from, const std::string& to) override;
  Result<void> sync_dir(const std::string& dir) override;
  Result<void> unlink(const std::string& path) override;
  Result<std::string> read_file(const std::string& path) override;
  Result<bool> exists(const std::string& path) override { return base_.exists(path); }
  Result<std::vector<std::string>> list(const std::string& dir) override { return base_.list(dir); }
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override {
    return base_.lock_file(path);
  }
  Result<std::unique_ptr<FileWriter>> open_writer(const std::string& path) override;
  Result<std::unique_ptr<FileReader>> open_reader(const std::string& path) override;
  Result<void> remove_dir(const std::string& path) override;
  Result<std::uint64_t> file_size(const std::string& path) override;

 private:
  class Writer;
  class Reader;

  struct Inode {
    std::optional<std::string> synced;  // contents at the last sync (nullopt: never)
  };
  // Starts tracking the file `path` (mu_ held): a file existing now counts as durable.
  Result<void> touch(const std::string& path);
  // Starts tracking the directory `path` (mu_ held): one existing now counts as durable.
  Result<void> touch_dir(const std::string& path);
  // Whether the directory survives a power loss now: it and every tracked ancestor are
  // durable (mu_ held).
  bool dir_survives(const std::string& path) const;
  // Removes `path` and everything below it from the real file system (mu_ held).
  Result<void> remove_tree(const std::string& path);
  // NoSpace check for `len` more bytes (mu_ held): how many of them still fit.
  std::uint64_t room(std::uint64_t len) const;
  Error injected(Status code, std::string_view what, const std::string& path);
  // (mu_ held) Whether the simulated process is dead: the crash_after() budget is spent.
  bool dead();
  Error dead_error(const std::string& path) const;
  void maybe_delay();

  FileSystem& base_;
  FaultSchedule schedule_;
  std::mutex mu_;
  std::vector<Inode> inodes_;                                  // guarded by mu_
  std::map<std::string, std::size_t> current_;                 // guarded by mu_; name -> inode
  std::map<std::string, std::optional<std::size_t>> durable_;  // guarded by mu_
  std::map<std::string, bool> dirs_current_;                   // guarded by mu_; dir -> exists
  std::map<std::string, bool> dirs_durable_;                   // guarded by mu_
  std::uint64_t bytes_written_ = 0;                            // guarded by mu_
  // Bumped by each simulated power loss; writers opened before it fail (guarded by mu_).
  std::uint64_t generation_ = 0;
  std::optional<std::uint64_t> ops_left_;  // guarded by mu_; crash_after() budget
  bool crashed_ = false;                   // guarded by mu_
};

}  // namespace rskv::device
