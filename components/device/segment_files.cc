// SegmentFiles: segment-file table, O_DIRECT probe, flush and truncation (segment_files.h).

#include "components/device/segment_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "components/common/aligned_buffer.h"
#include "components/device/fs.h"

namespace rskv::device {

namespace {

constexpr std::size_t kDefaultDirectAlignment = 4096;

int open_retry(const char* path, int flags) {
  int fd;
  do {
    fd = ::open(path, flags, 0644);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// The kernel's direct-I/O alignment for an open file, or 0 if it does not say.
std::size_t statx_dio_alignment(int fd) {
  struct statx st {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &st) != 0) return 0;
  if ((st.stx_mask & STATX_DIOALIGN) == 0) return 0;
  return std::max<std::size_t>(st.stx_dio_mem_align, st.stx_dio_offset_align);
}

}  // namespace

Segment::~Segment() {
  ::close(fd);
}

Result<std::unique_ptr<SegmentFiles>> SegmentFiles::open(const DeviceConfig& cfg,
                                                         std::string_view device_name) {
  if (cfg.path.empty()) {
    return make_error(Status::InvalidArgument,
                      std::string(device_name) +
                          " device: DeviceConfig.path is empty; set it to the store directory");
  }
  if (cfg.segment_bytes < 4096 || cfg.segment_bytes % 4096 != 0) {
    return make_error(Status::InvalidArgument,
                      std::string(device_name) + " device: segment_bytes " +
                          std::to_string(cfg.segment_bytes) +
                          " must be a positive multiple of 4096 (direct I/O alignment)");
  }
  OsFileSystem fs;
  if (auto r = fs.create_dir(cfg.path); !r) return r.error();
  int dir_fd = open_retry(cfg.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return os_error("cannot open log directory", cfg.path, errno);
  std::unique_ptr<SegmentFiles> files(new SegmentFiles(cfg.path, cfg.segment_bytes, dir_fd));
  if (cfg.direct_io) files->probe_direct_io(device_name);
  return files;
}

SegmentFiles::~SegmentFiles() {
  ::close(dir_fd_);
}

void SegmentFiles::probe_direct_io(std::string_view device_name) {
  const std::string probe = join_path(dir_, kProbeFile);
  int fd = open_retry(probe.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC);
  if (fd < 0) {
    fallback_reason_ = "opening `" + probe + "` with O_DIRECT failed: " + std::strerror(errno);
  } else {
    std::size_t align = statx_dio_alignment(fd);
    if (align == 0) align = kDefaultDirectAlignment;
    AlignedBuffer block(align, align);
    ssize_t n = ::pwrite(fd, block.data(), align, 0);
    if (n != static_cast<ssize_t>(align)) {
      fallback_reason_ = "an aligned O_DIRECT write to `" + probe +
                         "` failed: " + (n < 0 ? std::strerror(errno) : "short write");
    } else {
      direct_ = true;
      alignment_ = align;
    }
    ::close(fd);
  }
  ::unlink(probe.c_str());
  if (!direct_) {
    auto type = file_system_type(dir_);
    fallback_reason_ += " (file system: " + (type ? type.value() : std::string("unknown")) +
                        "); using buffered I/O, so the page cache stands in for the device";
    std::fprintf(stderr, "rskv: %.*s device in `%s`: O_DIRECT unavailable: %s\n",
                 static_cast<int>(device_name.size()), device_name.data(), dir_.c_str(),
                 fallback_reason_.c_str());
  }
}

std::string SegmentFiles::segment_path(std::uint64_t index) const {
  return join_path(dir_, "log." + std::to_string(index));
}

std::shared_ptr<Segment> SegmentFiles::get(std::uint64_t index, bool create, Status* error) {
  *error = Status::Ok;
  {
    std::shared_lock<std::shared_mutex> g(mu_);
    if (index < first_kept_) return nullptr;
    if (index < table_.size() && table_[index]) return table_[index];
  }
  std::unique_lock<std::shared_mutex> g(mu_);
  if (index < first_kept_) return nullptr;
  if (index < table_.size() && table_[index]) return table_[index];  // raced with an opener
  const std::string path = segment_path(index);
  int flags = O_RDWR | O_CLOEXEC | (direct_ ? O_DIRECT : 0);
  int fd = open_retry(path.c_str(), flags);
  if (fd < 0 && errno == ENOENT) {
    if (!create) return nullptr;  // a hole: never written
    fd = open_retry(path.c_str(), flags | O_CREAT);
    if (fd >= 0) names_dirty_.store(true, std::memory_order_release);
  }
  if (fd < 0) {
    int err = errno;
    std::fprintf(stderr, "rskv: cannot open segment `%s`: %s\n", path.c_str(), std::strerror(err));
    *error = status_from_errno(err);
    return nullptr;
  }
  if (index >= table_.size()) table_.resize(index + 1);
  table_[index] = std::make_shared<Segment>(fd);
  return table_[index];
}

Status SegmentFiles::flush() {
  std::lock_guard<std::mutex> flush_guard(flush_mu_);
  std::vector<std::shared_ptr<Segment>> segments;
  {
    std::shared_lock<std::shared_mutex> g(mu_);
    for (const auto& s : table_) {
      if (s && s->dirty.load(std::memory_order_acquire)) segments.push_back(s);
    }
  }
  for (const auto& s : segments) {
    if (!s->dirty.exchange(false, std::memory_order_acq_rel)) continue;
    if (::fdatasync(s->fd) != 0) {
      int err = errno;
      s->dirty.store(true, std::memory_order_release);  // still not durable: retry next flush
      std::fprintf(stderr, "rskv: fdatasync of a segment in `%s` failed: %s\n", dir_.c_str(),
                   std::strerror(err));
      return status_from_errno(err);
    }
  }
  if (names_dirty_.exchange(false, std::memory_order_acq_rel)) {
    if (::fsync(dir_fd_) != 0) {
      names_dirty_.store(true, std::memory_order_release);
      return status_from_errno(errno);
    }
  }
  return Status::Ok;
}

Status SegmentFiles::truncate_before(std::uint64_t offset) {
  const std::uint64_t first_kept = offset / segment_bytes_;
  std::unique_lock<std::shared_mutex> g(mu_);
  if (first_kept <= first_kept_) return Status::Ok;
  Status result = Status::Ok;
  for (std::uint64_t s = first_kept_; s < first_kept; ++s) {
    // Dropping the table's reference closes the file once in-flight I/O on it completes.
    if (s < table_.size()) table_[s].reset();
    const std::string path = segment_path(s);
    if (::unlink(path.c_str()) == 0) {
      names_dirty_.store(true, std::memory_order_release);
    } else if (errno != ENOENT) {
      std::fprintf(stderr, "rskv: cannot remove segment `%s`: %s\n", path.c_str(),
                   std::strerror(errno));
      result = Status::IoError;
    }
  }
  first_kept_ = first_kept;
  return result;
}

bool SegmentFiles::direct_io() const {
  if (!direct_) return false;
  std::shared_lock<std::shared_mutex> g(mu_);
  for (const auto& s : table_) {
    if (s) return (::fcntl(s->fd, F_GETFL) & O_DIRECT) != 0;
  }
  return true;  // no segment open yet: the probe succeeded and segments will use O_DIRECT
}

}  // namespace rskv::device
