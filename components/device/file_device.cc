// FileDevice: pread/pwrite on the calling thread over segment files (file_device.h).

#include "components/device/file_device.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rskv::device {

Result<std::unique_ptr<FileDevice>> FileDevice::open(const DeviceConfig& cfg) {
  auto files = SegmentFiles::open(cfg, kName);
  if (!files) return files.error();
  return std::make_unique<FileDevice>(std::move(files.value()));
}

void FileDevice::enter_io() {
  std::size_t now = in_flight_.fetch_add(1, std::memory_order_relaxed) + 1;
  std::size_t seen = max_in_flight_.load(std::memory_order_relaxed);
  while (now > seen &&
         !max_in_flight_.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
}

Status FileDevice::transfer(std::uint64_t offset, std::byte* buf, std::uint32_t len, bool write) {
  const std::uint64_t seg_bytes = files_->segment_bytes();
  while (len > 0) {
    const std::uint64_t index = offset / seg_bytes;
    const std::uint64_t in = offset % seg_bytes;
    const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(len, seg_bytes - in));
    Status err = Status::Ok;
    std::shared_ptr<Segment> seg = files_->get(index, write, &err);
    if (err != Status::Ok) return err;
    if (seg == nullptr) {
      if (!write) std::memset(buf, 0, n);  // a hole or a released segment reads as zeros
    } else {
      if (write) seg->dirty.store(true, std::memory_order_release);
      std::uint32_t done = 0;
      while (done < n) {
        ssize_t r = write ? ::pwrite(seg->fd, buf + done, n - done, static_cast<off_t>(in + done))
                          : ::pread(seg->fd, buf + done, n - done, static_cast<off_t>(in + done));
        if (r < 0) {
          if (errno == EINTR || errno == EAGAIN) continue;
          return status_from_errno(errno);
        }
        if (r == 0) {
          if (write) return Status::IoError;     // pwrite made no progress: treat as failure
          std::memset(buf + done, 0, n - done);  // end of file: the rest was never written
          break;
        }
        done += static_cast<std::uint32_t>(r);  // a short transfer continues from here
      }
    }
    offset += n;
    buf += n;
    len -= n;
  }
  return Status::Ok;
}

Status FileDevice::write_async(std::uint64_t offset, const void* buf, std::uint32_t len,
                               IoCallback cb, void* ctx) {
  const std::size_t align = files_->alignment();
  if (align > 1 && ((offset | len | reinterpret_cast<std::uintptr_t>(buf)) & (align - 1)) != 0) {
    return Status::InvalidArgument;
  }
  enter_io();
  // pwrite reads from the buffer only; the cast serves the shared transfer loop.
  Status st = transfer(offset, static_cast<std::byte*>(const_cast<void*>(buf)), len, true);
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  writes_.fetch_add(1, std::memory_order_relaxed);
  if (st == Status::Ok) bytes_written_.fetch_add(len, std::memory_order_relaxed);
  cb(ctx, st, st == Status::Ok ? len : 0);
  return Status::Ok;
}

Status FileDevice::read_async(std::uint64_t offset, void* buf, std::uint32_t len, IoCallback cb,
                              void* ctx) {
  const std::size_t align = files_->alignment();
  if (align > 1 && ((offset | len | reinterpret_cast<std::uintptr_t>(buf)) & (align - 1)) != 0) {
    return Status::InvalidArgument;
  }
  enter_io();
  Status st = transfer(offset, static_cast<std::byte*>(buf), len, false);
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  reads_.fetch_add(1, std::memory_order_relaxed);
  if (st == Status::Ok) bytes_read_.fetch_add(len, std::memory_order_relaxed);
  cb(ctx, st, st == Status::Ok ? len : 0);
  return Status::Ok;
}

DeviceStats FileDevice::stats() const {
  DeviceStats s;
  s.reads = reads_.load(std::memory_order_relaxed);
  s.writes = writes_.load(std::memory_order_relaxed);
  s.bytes_read = bytes_read_.load(std::memory_order_relaxed);
  s.bytes_written = bytes_written_.load(std::memory_order_relaxed);
  s.max_in_flight = max_in_flight_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace rskv::device
