#pragma once
// FileDevice: the simple, synchronous baseline log device. Each read_async / write_async
// performs pread / pwrite on the calling thread and runs the callback before returning (an
// "inline" device: complete_pending() has nothing to deliver). Compare IoUringDevice, which
// keeps many I/Os in flight per thread.
//
// Layout and durability come from SegmentFiles (segment_files.h): fixed-size segment files
// `<cfg.path>/log.<n>`, O_DIRECT where the file system allows it (else buffered, with the
// reason logged), flush() = fdatasync of the segments written since the last flush plus a
// directory fsync when files were created or removed, truncate_before() unlinks whole files.
//
// I/O rules:
//   - with O_DIRECT, offset, length and buffer address must be multiples of alignment();
//     a misaligned request returns InvalidArgument and its callback does not run;
//   - a short pread/pwrite is continued until the whole range is done (a short write is
//     completed, never reported); a read past the written end, of a hole or of a truncated
//     segment fills zeros and reports the full length;
//   - an OS error is reported through the callback (IoError, or NoSpace for ENOSPC/EDQUOT)
//     and write_async / read_async still return Ok: the same error path as the async devices.
//
// Thread-safety: every member may be called concurrently; I/Os to distinct ranges run in
// parallel (pread/pwrite are positional, no shared file offset).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "components/common/result.h"
#include "components/device/segment_files.h"
#include "policies/device_policy.h"

namespace rskv::device {

class FileDevice {
 public:
  static constexpr std::string_view kName = "file";
  static constexpr bool kPersistent = true;

  static Result<std::unique_ptr<FileDevice>> open(const DeviceConfig& cfg);

  Status write_async(std::uint64_t offset, const void* buf, std::uint32_t len, IoCallback cb,
                     void* ctx);
  Status read_async(std::uint64_t offset, void* buf, std::uint32_t len, IoCallback cb, void* ctx);
  /// Inline device: callbacks already ran; always returns 0.
  std::size_t complete_pending(bool /*wait*/) { return 0; }
  Status flush() { return files_->flush(); }
  Status truncate_before(std::uint64_t offset) { return files_->truncate_before(offset); }

  [[nodiscard]] std::size_t alignment() const { return files_->alignment(); }
  /// Threads currently inside pread/pwrite (the I/O of an inline device is in flight only
  /// while its call runs).
  [[nodiscard]] std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  [[nodiscard]] DeviceStats stats() const;

  [[nodiscard]] bool direct_io() const { return files_->direct_io(); }
  [[nodiscard]] const std::string& direct_io_fallback_reason() const {
    return files_->direct_io_fallback_reason();
  }

  explicit FileDevice(std::unique_ptr<SegmentFiles> files) : files_(std::move(files)) {}

 private:
  // Performs the whole transfer (looping over segments and short counts).
  Status transfer(std::uint64_t offset, std::byte* buf, std::uint32_t len, bool write);
  void enter_io();

  std::unique_ptr<SegmentFiles> files_;
  // Statistics and the in-flight gauge: relaxed; counters only, nobody orders other data by
  // them. in_flight_ is incremented and decremented by each I/O's own thread.
  std::atomic<std::uint64_t> reads_{0}, writes_{0}, bytes_read_{0}, bytes_written_{0};
  std::atomic<std::size_t> in_flight_{0}, max_in_flight_{0};
};

static_assert(DevicePolicy<FileDevice>);

}  // namespace rskv::device
