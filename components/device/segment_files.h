#pragma once
// SegmentFiles: the log's on-disk layout, shared by FileDevice and IoUringDevice.
//
// The log is split into fixed-size segment files `<dir>/log.<n>` (n = offset / segment_bytes,
// decimal), so that truncation deletes whole files. Files are created on first write and
// left sparse; a missing or truncated segment reads as zeros (a hole).
//
// O_DIRECT: when cfg.direct_io is set, open() probes the directory (create a probe file with
// O_DIRECT, write one aligned block, remove it). If the file system refuses, the devices fall
// back to buffered I/O and the reason is logged to stderr once and kept in
// direct_io_fallback_reason(). alignment() is the direct-I/O alignment the kernel reports
// (statx STATX_DIOALIGN: the larger of the memory and offset alignment; 4096 if it reports
// none), or 1 for buffered I/O.
//
// Lifetime of descriptors: a Segment (its fd) is reference counted. An I/O holds a reference
// from issue to completion, so truncate_before() can unlink a file and drop it from the table
// while an I/O still uses it; the descriptor closes when the last reference goes.
//
// Durability: flush() fdatasyncs every segment written since the previous flush, and fsyncs
// the directory if a segment file was created or removed since then.
//
// Thread-safety: all members may be called concurrently. The table is guarded by a
// shared_mutex: lookups take it shared (once per I/O), creation and truncation exclusive.

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "components/common/result.h"
#include "components/common/status.h"
#include "policies/device_policy.h"

namespace rskv::device {

struct Segment {
  explicit Segment(int descriptor) : fd(descriptor) {}
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  const int fd;
  // Set (release) by every writer before it issues a write to this segment; exchanged to
  // false (acq_rel) by flush() before it fdatasyncs. A write acknowledged before flush() was
  // called set it before the exchange, so its data is covered by the fdatasync that follows.
  std::atomic<bool> dirty{false};
};

class SegmentFiles {
 public:
  /// Created and removed by the O_DIRECT probe in open(); a crash may leave it behind.
  static constexpr std::string_view kProbeFile = ".direct_io_probe";

  /// Creates cfg.path if missing, probes O_DIRECT, opens nothing else yet.
  /// `device_name` only labels log lines and error messages.
  static Result<std::unique_ptr<SegmentFiles>> open(const DeviceConfig& cfg,
                                                    std::string_view device_name);
  ~SegmentFiles();
  SegmentFiles(const SegmentFiles&) = delete;
  SegmentFiles& operator=(const SegmentFiles&) = delete;

  /// The segment holding `index`, opening (and with `create`, creating) its file. Returns
  /// nullptr for a hole (never written, or truncated) when !create. On an open failure
  /// returns nullptr and sets *error (IoError or NoSpace); a write below the truncation point
  /// yields nullptr with *error = Ok (the data is discarded, as the region is released).
  std::shared_ptr<Segment> get(std::uint64_t index, bool create, Status* error);

  Status flush();
  Status truncate_before(std::uint64_t offset);

  [[nodiscard]] std::uint64_t segment_bytes() const { return segment_bytes_; }
  [[nodiscard]] std::size_t alignment() const { return alignment_; }
  /// Whether segment files are opened with O_DIRECT. Verified with fcntl(F_GETFL) on an open
  /// segment when there is one, so a test can assert O_DIRECT is really in effect.
  [[nodiscard]] bool direct_io() const;
  /// Why O_DIRECT is not in use ("" when it is, or when cfg.direct_io was false).
  [[nodiscard]] const std::string& direct_io_fallback_reason() const { return fallback_reason_; }
  [[nodiscard]] const std::string& dir() const { return dir_; }
  /// Path of segment `index`'s file.
  [[nodiscard]] std::string segment_path(std::uint64_t index) const;

 private:
  SegmentFiles(std::string dir, std::uint64_t segment_bytes, int dir_fd)
      : dir_(std::move(dir)), segment_bytes_(segment_bytes), dir_fd_(dir_fd) {}
  void probe_direct_io(std::string_view device_name);

  const std::string dir_;
  const std::uint64_t segment_bytes_;
  const int dir_fd_;
  bool direct_ = false;        // set once in open(), read-only afterwards
  std::size_t alignment_ = 1;  // set once in open(), read-only afterwards
  std::string fallback_reason_;
  // Serialises flush(): a flush that finds a segment clean because a concurrent flush took
  // its dirty flag must not return before that flush's fdatasync is done.
  std::mutex flush_mu_;

  mutable std::shared_mutex mu_;
  std::vector<std::shared_ptr<Segment>> table_;  // guarded by mu_; index = segment number
  std::uint64_t first_kept_ = 0;                 // guarded by mu_; segments below are released
  // Set (release) when a segment file is created or unlinked; exchanged (acq_rel) by flush()
  // before it fsyncs the directory, so new names are durable once flush() returns Ok.
  std::atomic<bool> names_dirty_{false};
};

/// Maps an errno from a data I/O to the Status an operation sees.
inline Status status_from_errno(int err) {
  return (err == ENOSPC || err == EDQUOT) ? Status::NoSpace : Status::IoError;
}

}  // namespace rskv::device
