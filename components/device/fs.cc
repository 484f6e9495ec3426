// OsFileSystem: the POSIX implementation of the named-file interface (fs.h).

#include "components/device/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace rskv::device {

namespace {

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

int open_retry(const char* path, int flags, mode_t mode = 0644) {
  int fd;
  do {
    fd = ::open(path, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

class OsFileLock final : public FileLock {
 public:
  OsFileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~OsFileLock() override {
    // Closing the (only) descriptor of this open file description releases the flock.
    ::close(fd_);
  }
  [[nodiscard]] const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

Result<void> fsync_path(const std::string& path, int flags, std::string_view what) {
  Fd fd(open_retry(path.c_str(), flags | O_CLOEXEC));
  if (fd.get() < 0) return os_error(what, path, errno);
  if (::fsync(fd.get()) != 0) return os_error(what, path, errno);
  return {};
}

class OsFileWriter final : public FileWriter {
 public:
  OsFileWriter(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~OsFileWriter() override {
    if (fd_ >= 0) ::close(fd_);
  }
  OsFileWriter(const OsFileWriter&) = delete;
  OsFileWriter& operator=(const OsFileWriter&) = delete;

  Result<std::size_t> write_some(std::string_view data) override {
    if (fd_ < 0) return closed("write");
    if (data.empty()) return std::size_t{0};
    ssize_t n;
    do {
      n = ::write(fd_, data.data(), data.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return os_error("cannot write file", path_, errno);
    bytes_ += static_cast<std::uint64_t>(n);
    return static_cast<std::size_t>(n);
  }
  Result<void> sync() override {
    if (fd_ < 0) return closed("sync");
    if (::fsync(fd_) != 0) return os_error("cannot sync file", path_, errno);
    return {};
  }
  Result<void> close() override {
    if (fd_ < 0) return {};
    // close() is not retried on EINTR: on Linux the descriptor is released either way.
    if (::close(std::exchange(fd_, -1)) != 0) return os_error("cannot close file", path_, errno);
    return {};
  }
  [[nodiscard]] std::uint64_t bytes() const override { return bytes_; }
  [[nodiscard]] const std::string& path() const override { return path_; }

 private:
  Error closed(std::string_view what) const {
    return make_error(Status::InvalidArgument, "cannot " + std::string(what) + " file `" + path_ +
                                                   "`: its writer is already closed");
  }

  std::string path_;
  int fd_;
  std::uint64_t bytes_ = 0;
};

class OsFileReader final : public FileReader {
 public:
  OsFileReader(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  Result<std::size_t> read_some(std::span<char> dst) override {
    if (dst.empty()) return std::size_t{0};
    ssize_t n;
    do {
      n = ::read(fd_.get(), dst.data(), dst.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return os_error("cannot read file", path_, errno);
    return static_cast<std::size_t>(n);
  }
  [[nodiscard]] const std::string& path() const override { return path_; }

 private:
  std::string path_;
  Fd fd_;
};

}  // namespace

Result<void> FileWriter::append(std::string_view data) {
  while (!data.empty()) {
    auto n = write_some(data);
    if (!n) return n.error();
    if (n.value() == 0 || n.value() > data.size()) {
      return make_error(Status::IoError, "cannot write file `" + path() +
                                             "`: the write made no progress (" +
                                             std::to_string(n.value()) + " bytes accepted of " +
                                             std::to_string(data.size()) + ")");
    }
    // A short write: the loop hands the rest over again.
    data.remove_prefix(n.value());
  }
  return {};
}

Result<std::size_t> FileReader::read_full(std::span<char> dst) {
  std::size_t done = 0;
  while (done < dst.size()) {
    auto n = read_some(dst.subspan(done));
    if (!n) return n.error();
    if (n.value() == 0) break;  // end of file
    done += n.value();
  }
  return done;
}

Error os_error(std::string_view what, std::string_view path, int err) {
  Status code = Status::IoError;
  if (err == ENOSPC || err == EDQUOT) code = Status::NoSpace;
  if (err == ENOENT) code = Status::NotFound;
  std::string msg;
  msg.append(what).append(" `").append(path).append("`: ").append(std::strerror(err));
  if (code == Status::NoSpace) msg.append(" (the disk is full: free space and retry)");
  return make_error(code, std::move(msg));
}

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

std::string parent_dir(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

Result<void> OsFileSystem::create_dir(const std::string& path) {
  if (path.empty()) return make_error(Status::InvalidArgument, "create_dir: empty path");
  // Create each missing component in turn (mkdir -p).
  for (std::size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return os_error("cannot create directory", prefix, errno);
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return os_error("cannot stat directory", path, errno);
  if (!S_ISDIR(st.st_mode)) {
    return make_error(Status::InvalidArgument,
                      "`" + path + "` exists and is not a directory: choose a directory path");
  }
  return {};
}

Result<void> OsFileSystem::write_file(const std::string& path, std::string_view data) {
  Fd fd(open_retry(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC));
  if (fd.get() < 0) return os_error("cannot create file", path, errno);
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("cannot write file", path, errno);
    }
    // A short write is completed by the loop.
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::close(fd.release()) != 0) return os_error("cannot close file", path, errno);
  return {};
}

Result<void> OsFileSystem::sync_file(const std::string& path) {
  return fsync_path(path, O_RDONLY, "cannot sync file");
}

Result<void> OsFileSystem::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return os_error("cannot rename to `" + to + "` the file", from, errno);
  }
  return {};
}

Result<void> OsFileSystem::sync_dir(const std::string& dir) {
  return fsync_path(dir, O_RDONLY | O_DIRECTORY, "cannot sync directory");
}

Result<void> OsFileSystem::unlink(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return os_error("cannot remove file", path, errno);
  return {};
}

Result<std::string> OsFileSystem::read_file(const std::string& path) {
  Fd fd(open_retry(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return os_error("cannot open file", path, errno);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("cannot read file", path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Result<bool> OsFileSystem::exists(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return os_error("cannot stat", path, errno);
}

Result<std::vector<std::string>> OsFileSystem::list(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return os_error("cannot list directory", dir, errno);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return os_error("cannot list directory", dir, err);
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::unique_ptr<FileLock>> OsFileSystem::lock_file(const std::string& path) {
  Fd fd(open_retry(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC));
  if (fd.get() < 0) return os_error("cannot open lock file", path, errno);
  int rc;
  do {
    rc = ::flock(fd.get(), LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno == EWOULDBLOCK) {
      return make_error(Status::Busy, "`" + path + "` is locked by another open (flock held)");
    }
    return os_error("cannot lock file", path, errno);
  }
  return std::unique_ptr<FileLock>(std::make_unique<OsFileLock>(path, fd.release()));
}

Result<std::unique_ptr<FileWriter>> OsFileSystem::open_writer(const std::string& path) {
  Fd fd(open_retry(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC));
  if (fd.get() < 0) return os_error("cannot create file", path, errno);
  return std::unique_ptr<FileWriter>(std::make_unique<OsFileWriter>(path, fd.release()));
}

Result<std::unique_ptr<FileReader>> OsFileSystem::open_reader(const std::string& path) {
  Fd fd(open_retry(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return os_error("cannot open file", path, errno);
  return std::unique_ptr<FileReader>(std::make_unique<OsFileReader>(path, fd.release()));
}

Result<void> OsFileSystem::remove_dir(const std::string& path) {
  if (::rmdir(path.c_str()) != 0) return os_error("cannot remove directory", path, errno);
  return {};
}

Result<std::uint64_t> OsFileSystem::file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return os_error("cannot stat file", path, errno);
  if (S_ISDIR(st.st_mode)) {
    return make_error(Status::InvalidArgument, "`" + path + "` is a directory, not a file");
  }
  return static_cast<std::uint64_t>(st.st_size);
}

Result<void> create_dir_durably(FileSystem& fs, const std::string& path) {
  if (path.empty()) return make_error(Status::InvalidArgument, "create_dir: empty path");
  // Find the levels that do not exist yet (deepest first), create them all, then sync the
  // parent of each, top down, so every new name is durable.
  std::vector<std::string> missing;
  for (std::string p = path;;) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    auto there = fs.exists(p);
    if (!there) return there.error();
    if (there.value()) break;
    missing.push_back(p);
    std::string up = parent_dir(p);
    if (up == p) break;
    p = std::move(up);
  }
  if (auto r = fs.create_dir(path); !r) return r;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (auto r = fs.sync_dir(parent_dir(*it)); !r) return r;
  }
  return {};
}

Result<void> write_file_durably(FileSystem& fs, const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  if (auto r = fs.write_file(tmp, data); !r) return r;
  if (auto r = fs.sync_file(tmp); !r) return r;
  if (auto r = fs.rename(tmp, path); !r) return r;
  return fs.sync_dir(parent_dir(path));
}

Result<std::string> file_system_type(const std::string& path) {
  struct statfs st {};
  if (::statfs(path.c_str(), &st) != 0) return os_error("cannot statfs", path, errno);
  // Magic numbers from <linux/magic.h>, spelled out so this file needs no kernel headers.
  switch (static_cast<unsigned long>(st.f_type)) {
    case 0xEF53UL:
      return std::string("ext4");  // ext2/ext3/ext4 share the magic
    case 0x58465342UL:
      return std::string("xfs");
    case 0x9123683EUL:
      return std::string("btrfs");
    case 0x01021994UL:
      return std::string("tmpfs");
    case 0x794C7630UL:
      return std::string("overlayfs");
    case 0x6969UL:
      return std::string("nfs");
    case 0x2FC12FC1UL:
      return std::string("zfs");
    case 0x65735546UL:
      return std::string("fuse");
    default:
      break;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "unknown(0x%lx)", static_cast<unsigned long>(st.f_type));
  return std::string(buf);
}

}  // namespace rskv::device
