// FaultyFileSystem: fault injection and power-loss simulation for named files (faulty_fs.h).

#include "components/device/faulty_fs.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>
#include <utility>

namespace rskv::device {

namespace {

// `path` without trailing slashes ("/" stays "/"): the key directories are tracked under.
std::string normalized(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

// A writer whose writes count against the space limit, may fail or be cut short, and whose
// sync() records the inode's durable contents in the model.
class FaultyFileSystem::Writer final : public FileWriter {
 public:
  Writer(FaultyFileSystem& fs, std::unique_ptr<FileWriter> base, std::size_t inode,
         std::uint64_t generation)
      : fs_(fs), base_(std::move(base)), inode_(inode), generation_(generation) {}

  Result<std::size_t> write_some(std::string_view data) override {
    fs_.maybe_delay();
    std::lock_guard<std::mutex> g(fs_.mu_);
    if (auto r = check_alive(); !r) return r.error();
    if (fs_.dead()) return fs_.dead_error(path());
    if (data.empty()) return std::size_t{0};
    if (fs_.schedule_.fires(FaultKind::WriteError)) {
      fs_.schedule_.count(FaultKind::WriteError);
      return fs_.injected(Status::IoError, "write of", path());
    }
    const std::uint64_t fits = fs_.room(data.size());
    if (fs_.schedule_.fires(FaultKind::NoSpace) || fits == 0) {
      fs_.schedule_.count(FaultKind::NoSpace);
      return fs_.injected(Status::NoSpace, "write of", path());
    }
    // A disk that is nearly full takes what fits: the caller sees a short write first and
    // NoSpace on its next call.
    data = data.substr(0, static_cast<std::size_t>(fits));
    if (data.size() > 1 && fs_.schedule_.fires(FaultKind::ShortWrite)) {
      fs_.schedule_.count(FaultKind::ShortWrite);
      data = data.substr(0, data.size() / 2);
    }
    auto n = base_->write_some(data);
    if (!n) return n;
    fs_.bytes_written_ += n.value();
    written_.append(data.substr(0, n.value()));
    return n;
  }

  Result<void> sync() override {
    fs_.maybe_delay();
    std::lock_guard<std::mutex> g(fs_.mu_);
    if (auto r = check_alive(); !r) return r;
    if (fs_.dead()) return fs_.dead_error(path());
    if (fs_.schedule_.fires(FaultKind::FlushError)) {
      fs_.schedule_.count(FaultKind::FlushError);
      return fs_.injected(Status::IoError, "sync of", path());
    }
    if (auto r = base_->sync(); !r) return r;
    fs_.inodes_[inode_].synced = written_;
    return {};
  }

  Result<void> close() override { return base_->close(); }
  [[nodiscard]] std::uint64_t bytes() const override { return base_->bytes(); }
  [[nodiscard]] const std::string& path() const override { return base_->path(); }

 private:
  // (fs_.mu_ held) A writer opened before a simulated power loss belongs to a dead process.
  Result<void> check_alive() const {
    if (generation_ == fs_.generation_) return {};
    return make_error(Status::IoError, "writer of `" + path() +
                                           "` was opened before a simulated power loss: "
                                           "close it and open the file again");
  }

  FaultyFileSystem& fs_;
  std::unique_ptr<FileWriter> base_;
  std::size_t inode_;         // the inode in fs_.inodes_ this writer fills
  std::uint64_t generation_;  // fs_.generation_ when opened
  std::string written_;       // every byte written since open (the inode's contents)
};

// A reader whose reads may fail or be delayed.
class FaultyFileSystem::Reader final : public FileReader {
 public:
  Reader(FaultyFileSystem& fs, std::unique_ptr<FileReader> base)
      : fs_(fs), base_(std::move(base)) {}

  Result<std::size_t> read_some(std::span<char> dst) override {
    fs_.maybe_delay();
    if (fs_.schedule_.fires(FaultKind::ReadError)) {
      fs_.schedule_.count(FaultKind::ReadError);
      return fs_.injected(Status::IoError, "read of", path());
    }
    return base_->read_some(dst);
  }
  [[nodiscard]] const std::string& path() const override { return base_->path(); }

 private:
  FaultyFileSystem& fs_;
  std::unique_ptr<FileReader> base_;
};

void FaultyFileSystem::crash_after(std::uint64_t ops) {
  std::lock_guard<std::mutex> g(mu_);
  ops_left_ = ops;
  crashed_ = false;
}

void FaultyFileSystem::clear_crash() {
  std::lock_guard<std::mutex> g(mu_);
  ops_left_.reset();
  crashed_ = false;
}

bool FaultyFileSystem::crashed() {
  std::lock_guard<std::mutex> g(mu_);
  return crashed_;
}

bool FaultyFileSystem::dead() {
  if (!ops_left_) return false;
  if (*ops_left_ == 0) {
    crashed_ = true;
    return true;
  }
  --*ops_left_;
  return false;
}

Error FaultyFileSystem::dead_error(const std::string& path) const {
  return make_error(Status::IoError,
                    "injected crash: the process is dead, the call on `" + path + "` did nothing");
}

Error FaultyFileSystem::injected(Status code, std::string_view what, const std::string& path) {
  return make_error(code, "injected fault: " + std::string(what) + " `" + path + "` failed (" +
                              std::string(to_string(code)) + ")");
}

void FaultyFileSystem::maybe_delay() {
  if (schedule_.fires(FaultKind::Delay)) {
    schedule_.count(FaultKind::Delay);
    std::this_thread::sleep_for(std::chrono::microseconds(schedule_.config().delay_micros));
  }
}

std::uint64_t FaultyFileSystem::room(std::uint64_t len) const {
  const std::uint64_t space = schedule_.config().space_bytes;
  if (space == 0) return len;
  if (bytes_written_ >= space) return 0;
  return std::min(len, space - bytes_written_);
}

Result<void> FaultyFileSystem::touch(const std::string& path) {
  if (current_.count(path) != 0 || durable_.count(path) != 0) return {};
  auto there = base_.exists(path);
  if (!there) return there.error();
  if (there.value()) {
    auto text = base_.read_file(path);
    if (!text) return text.error();
    inodes_.push_back(Inode{std::move(text.value())});
    current_[path] = inodes_.size() - 1;
    durable_[path] = inodes_.size() - 1;
  } else {
    durable_[path] = std::nullopt;
  }
  return {};
}

Result<void> FaultyFileSystem::touch_dir(const std::string& path) {
  if (dirs_current_.count(path) != 0) return {};
  auto there = base_.exists(path);
  if (!there) return there.error();
  dirs_current_[path] = there.value();
  dirs_durable_[path] = there.value();
  return {};
}

bool FaultyFileSystem::dir_survives(const std::string& path) const {
  for (std::string d = normalized(path);;) {
    auto it = dirs_durable_.find(d);
    if (it != dirs_durable_.end() && !it->second) return false;
    std::string up = parent_dir(d);
    if (up == d) return true;
    d = std::move(up);
  }
}

Result<void> FaultyFileSystem::remove_tree(const std::string& path) {
  auto names = base_.list(path);
  if (!names) return names.error();
  for (const std::string& n : names.value()) {
    const std::string child = join_path(path, n);
    if (base_.list(child).ok()) {  // a directory
      if (auto r = remove_tree(child); !r) return r;
    } else if (auto r = base_.unlink(child); !r) {
      return r;
    }
  }
  return base_.remove_dir(path);
}

Result<void> FaultyFileSystem::create_dir(const std::string& path) {
  maybe_delay();
  std::lock_guard<std::mutex> g(mu_);
  if (dead()) return dead_error(path);
  // Track every level of the path before it is created (mkdir -p), so a level that did not
  // exist counts as new: durable only once its parent is synced.
  const std::string norm = normalized(path);
  std::vector<std::string> levels;
  for (std::size_t pos = 1; pos <= norm.size(); ++pos) {
    if (pos == norm.size() || norm[pos] == '/') levels.push_back(norm.substr(0, pos));
  }
  for (const std::string& level : levels) {
    if (auto r = touch_dir(level); !r) return r;
  }
  if (auto r = base_.create_dir(path); !r) return r;
  for (const std::string& level : levels) dirs_current_[level] = true;
  return {};
}

Result<void> FaultyFileSystem::write_file(const std::string& path, std::string_view data) {
  maybe_delay();
  std::lock_guard<std::mutex> g(mu_);
  if (dead()) return dead_error(path);
  if (schedule_.fires(FaultKind::WriteError)) {
    schedule_.count(FaultKind::WriteError);
    return injected(Status::IoError, "write of", path);
  }
  if (schedule_.fires(FaultKind::NoSpace) || room(data.size()) < data.size()) {
    schedule_.count(FaultKind::NoSpace);
    return injected(Status::NoSpace, "write of", path);
  }
  if (auto r = touch(path); !r) return r;
  if (auto r = base_.write_file(path, data); !r) return r;
  bytes_written_ += data.size();
  if (current_.count(path) == 0) {  // a new file: a new inode, never synced
    inodes_.push_back(Inode{});
    current_[path] = inodes_.size() - 1;
  }
  return {};
}

Result<std::unique_ptr<FileWriter>> FaultyFileSystem::open_writer(const std::string& path) {
  maybe_delay();
  std::lock_guard<std::mutex> g(mu_);
  if (dead()) return dead_error(path);
  if (auto r = touch(path); !r) return r.error();
  auto base = base_.open_writer(path);
  if (!base) return base.error();
  if (current_.count(path) == 0) {  // a new file: a new inode, never synced
    inodes_.push_back(Inode{});
    current_[path] = inodes_.size() - 1;
  }
  // An existing file is truncated in place: same inode, its durable contents unchanged
  // until the writer syncs.
  return std::unique_ptr<FileWriter>(
      std::make_unique<Writer>(*this, std::move(base.value()), current_[path], generation_));
}

Result<std::unique_ptr<FileReader>> FaultyFileSystem::open_reader(const std::string& path) {
  maybe_delay();
  if (schedule_.fires(FaultKind::ReadError)) {
    schedule_.count(FaultKind::ReadError);
    return injected(Status::IoError, "open of", path);
  }
  auto base = base_.open_reader(path);
  if (!base) return base.error();
  return std::unique_ptr<FileReader>(std::make_unique<Reader>(*this, std::move(base.value())));
}

Result<void> FaultyFileSystem::sync_file(const std::string& path) {
  maybe_delay();
  std::lock_guard<std::mutex> g(mu_);
  if (dead()) return dead_error(path);
  if (schedule_.fires(FaultKind::FlushError)) {
    schedule_.count(FaultKind::FlushError);
    return injected(Status::IoError, "sync of", path);
  }
  if (auto r = touch(path); !r) return r;
  if (auto r = base_.sync_file(path); !r) return r;
  auto it = current_.find(path);
  if (it != current_.end()) {
    auto text = base_.read_file(path);
    if (!text) return text.error();
    inodes_[it->second].synced = std::move(text.value());
  }
  return {};
}

Result<void> FaultyFileSystem::rename(const std::string& from, const std::string& to) {
  maybe_delay();
  std::lock_guard<std::mutex> g(mu_);
  if (dead()) return dead_error(from);
  if (schedule_.fires(FaultKind::RenameError)) {
    schedule_.count(FaultKind::RenameError);
    return injected(Status::IoError, "rename of", from);
  }
  if (auto r = touch(from); !r) return r;
  if (auto r = touch(to); !r) return r;
  if (auto r = base_.rename(from, to); !r) return r;
  auto it = current_.find(from);
  if (it != current_.end()) {
    current_[to] = it->second;
    current_.erase(from);
  }
  return {};
}

Result<void> FaultyFileSystem::sync_dir(const std::string& dir) {
  maybe_delay();
  std::lock_guard<std::mutex> g(mu_);
  if (dead()) return dead_error(dir);
  if (schedule_.fires(FaultKind::FlushError)) {
    schedule_.count(FaultKind::FlushError);
    return injected(Status::IoError, "sync of directory", dir);
  }
  if (auto r = base_.sync_dir(dir); !r) return r;
  const std::string norm = normalized(dir);
  std::set<std::string> names;
  for (const auto& [name, inode] : current_) names.insert(name);
  for (const auto& [name, inode] : durable_) names.insert(name);
  for (const std::string& name : names) {
    if (parent_dir(name) != norm) continue;
    auto it = current_.find(name);
    durable_[name] = it == current_.end() ? std::nullopt : std::optional<std::size_t>(it->second);
  }
  for (auto& [d, there] : dirs_current_) {
    if (d != norm && parent_dir(d) == norm) dirs_durable_[d] = there;
  }
  return {};
}

Result<void> FaultyFileSystem::unlink(const std::string& path) {
  maybe_delay();
  std::lock_guard<std::mutex> g(mu_);
  if (dead()) return dead_error(path);
  if (schedule_.fires(FaultKind::RemoveError)) {
    schedule_.count(FaultKind::RemoveError);
    return injected(Status::IoError, "removal of", path);
  }
  if (auto r = touch(path); !r) return r;
  if (auto r = base_.unlink(path); !r) return r;
  current_.erase(path);
  return {};
}

Result<void> FaultyFileSystem::remove_dir(const std::string& path) {
  maybe_delay();
  std::lock_guard<std::mutex> g(mu_);
  if (dead()) return dead_error(path);
  if (schedule_.fires(FaultKind::RemoveError)) {
    schedule_.count(FaultKind::RemoveError);
    return injected(Status::IoError, "removal of directory", path);
  }
  const std::string norm = normalized(path);
  if (auto r = touch_dir(norm); !r) return r;
  if (auto r = base_.remove_dir(path); !r) return r;
  dirs_current_[norm] = false;
  return {};
}

Result<std::uint64_t> FaultyFileSystem::file_size(const std::string& path) {
  maybe_delay();
  return base_.file_size(path);
}

Result<std::string> FaultyFileSystem::read_file(const std::string& path) {
  maybe_delay();
  if (schedule_.fires(FaultKind::ReadError)) {
    schedule_.count(FaultKind::ReadError);
    return injected(Status::IoError, "read of", path);
  }
  return base_.read_file(path);
}

Result<void> FaultyFileSystem::simulate_power_loss() {
  std::lock_guard<std::mutex> g(mu_);
  std::set<std::string> to_sync;
  // 1. Directories that survive but are gone now (their removal was not durable) come back,
  //    parents first (the map is ordered, and a parent sorts before its children).
  for (const auto& [d, there] : dirs_current_) {
    if (there || !dir_survives(d)) continue;
    auto exists = base_.exists(d);
    if (!exists) return exists.error();
    if (!exists.value()) {
      if (auto r = base_.create_dir(d); !r) return r;
    }
    to_sync.insert(parent_dir(d));
  }
  // 2. Files: a durable name in a surviving directory gets its inode's synced contents;
  //    every other tracked name disappears.
  std::set<std::string> names;
  for (const auto& [name, inode] : current_) names.insert(name);
  for (const auto& [name, inode] : durable_) names.insert(name);
  for (const std::string& name : names) {
    auto d = durable_.find(name);
    const bool durable_name =
        d != durable_.end() && d->second.has_value() && dir_survives(parent_dir(name));
    if (durable_name) {
      const Inode& inode = inodes_[*d->second];
      if (auto r = base_.write_file(name, inode.synced.value_or("")); !r) return r;
      if (auto r = base_.sync_file(name); !r) return r;
    } else {
      auto there = base_.exists(name);
      if (!there) return there.error();
      if (there.value()) {
        if (auto r = base_.unlink(name); !r) return r;
      }
    }
    to_sync.insert(parent_dir(name));
  }
  // 3. Directories whose creation was not durable disappear with their contents, children
  //    first.
  for (auto it = dirs_current_.rbegin(); it != dirs_current_.rend(); ++it) {
    if (dir_survives(it->first)) continue;
    auto there = base_.exists(it->first);
    if (!there) return there.error();
    if (there.value()) {
      if (auto r = remove_tree(it->first); !r) return r;
    }
    to_sync.insert(parent_dir(it->first));
  }
  for (const std::string& d : to_sync) {
    auto there = base_.exists(d);
    if (!there) return there.error();
    if (!there.value()) continue;
    if (auto r = base_.sync_dir(d); !r) return r;
  }
  // The disk now is the durable state: start a fresh model.
  inodes_.clear();
  current_.clear();
  durable_.clear();
  dirs_current_.clear();
  dirs_durable_.clear();
  ++generation_;
  // The machine restarts: a crash_after() point no longer applies.
  ops_left_.reset();
  crashed_ = false;
  return {};
}

}  // namespace rskv::device
