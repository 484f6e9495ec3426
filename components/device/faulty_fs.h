#pragma once
// FaultyFileSystem: wraps a FileSystem (fs.h) and injects faults into named-file operations,
// and simulates a power loss by dropping everything that was not made durable.
//
// Faults (FaultSchedule, seeded or armed): write_file fails with IoError (WriteError) or
// NoSpace (NoSpace armed, or FaultConfig.space_bytes exceeded by the bytes written through
// it); sync_file / sync_dir fail with IoError (FlushError); read_file fails (ReadError);
// rename fails (RenameError, armed only). Delays sleep before the call. A failed call leaves
// the real file system untouched.
//
// Power loss (simulate_power_loss): the wrapper models POSIX durability for every path it has
// touched since construction (or since the last simulated power loss):
//   - an inode's contents are durable as of its last sync_file();
//   - a name (created, renamed to, renamed from, unlinked) is durable as of the last
//     sync_dir() of its directory;
// and rewrites the real files to the durable state: a name that is not durable disappears
// (or comes back, if its removal was not durable); a durable name gets the contents its inode
// had at its last sync (empty if never synced). Paths it never touched are left alone;
// directories are treated as durable once created. Files existing before their first touch
// count as durable.
//
// Thread-safety: every call may come from any thread; the model is guarded by one mutex
// (held across the real call, so the model and the disk change together).

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

  Result<void> create_dir(const std::string& path) override { return base_.create_dir(path); }
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

 private:
  struct Inode {
    std::optional<std::string> synced;  // contents at the last sync_file (nullopt: never)
  };
  // Starts tracking `path` (mu_ held): a file existing now counts as durable.
  Result<void> touch(const std::string& path);
  Error injected(Status code, std::string_view what, const std::string& path);
  void maybe_delay();

  FileSystem& base_;
  FaultSchedule schedule_;
  std::mutex mu_;
  std::vector<Inode> inodes_;                                  // guarded by mu_
  std::map<std::string, std::size_t> current_;                 // guarded by mu_; name -> inode
  std::map<std::string, std::optional<std::size_t>> durable_;  // guarded by mu_
  std::uint64_t bytes_written_ = 0;                            // guarded by mu_
};

}  // namespace rskv::device
