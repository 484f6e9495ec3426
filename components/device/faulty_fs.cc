// FaultyFileSystem: fault injection and power-loss simulation for named files (faulty_fs.h).

#include "components/device/faulty_fs.h"

#include <chrono>
#include <set>
#include <thread>

namespace rskv::device {

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

Result<void> FaultyFileSystem::write_file(const std::string& path, std::string_view data) {
  maybe_delay();
  std::lock_guard<std::mutex> g(mu_);
  if (schedule_.fires(FaultKind::WriteError)) {
    schedule_.count(FaultKind::WriteError);
    return injected(Status::IoError, "write of", path);
  }
  const std::uint64_t space = schedule_.config().space_bytes;
  if (schedule_.fires(FaultKind::NoSpace) || (space != 0 && bytes_written_ + data.size() > space)) {
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

Result<void> FaultyFileSystem::sync_file(const std::string& path) {
  maybe_delay();
  std::lock_guard<std::mutex> g(mu_);
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
  if (schedule_.fires(FaultKind::FlushError)) {
    schedule_.count(FaultKind::FlushError);
    return injected(Status::IoError, "sync of directory", dir);
  }
  if (auto r = base_.sync_dir(dir); !r) return r;
  std::set<std::string> names;
  for (const auto& [name, inode] : current_) names.insert(name);
  for (const auto& [name, inode] : durable_) names.insert(name);
  for (const std::string& name : names) {
    if (parent_dir(name) != parent_dir(join_path(dir, "x"))) continue;
    auto it = current_.find(name);
    durable_[name] = it == current_.end() ? std::nullopt : std::optional<std::size_t>(it->second);
  }
  return {};
}

Result<void> FaultyFileSystem::unlink(const std::string& path) {
  maybe_delay();
  std::lock_guard<std::mutex> g(mu_);
  if (auto r = touch(path); !r) return r;
  if (auto r = base_.unlink(path); !r) return r;
  current_.erase(path);
  return {};
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
  std::set<std::string> names;
  for (const auto& [name, inode] : current_) names.insert(name);
  for (const auto& [name, inode] : durable_) names.insert(name);
  std::set<std::string> dirs;
  for (const std::string& name : names) {
    auto d = durable_.find(name);
    const bool durable_name = d != durable_.end() && d->second.has_value();
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
    dirs.insert(parent_dir(name));
  }
  for (const std::string& d : dirs) {
    if (auto r = base_.sync_dir(d); !r) return r;
  }
  // The disk now is the durable state: start a fresh model.
  inodes_.clear();
  current_.clear();
  durable_.clear();
  return {};
}

}  // namespace rskv::device
