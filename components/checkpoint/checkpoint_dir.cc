// CheckpointDir: checkpoint directories, data files, commit, verification, choice and
// deletion (checkpoint_dir.h).

#include "components/checkpoint/checkpoint_dir.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <set>
#include <thread>
#include <utility>

// GCC 12 reports a false -Wmaybe-uninitialized inside its own AVX-512 intrinsics when xxHash's
// long-input path is inlined under -march=native; the pragma keeps this file warning-clean.
// hash.h brings xxHash's streaming XXH3 (XXH_INLINE_ALL); only this cold file uses it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include "components/common/hash.h"
#pragma GCC diagnostic pop

namespace rskv::checkpoint {

namespace {

constexpr std::string_view kInvalidatedMagic = "rskv-checkpoint-invalidated";
constexpr std::size_t kChunk = std::size_t{1} << 20;  // read / write buffer of data files

std::string hex64(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

// A checkpoint directory's name is its id in canonical decimal ("7", never "07").
std::optional<std::uint64_t> parse_id(std::string_view name) {
  std::uint64_t id = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (ec != std::errc() || p != name.data() + name.size() || id == 0) return std::nullopt;
  if (std::to_string(id) != name) return std::nullopt;
  return id;
}

// A data file's name: a plain file name that cannot collide with meta or its temporary.
bool data_file_name(std::string_view name) {
  if (name.empty() || name == CheckpointDir::kMetaFile || name == "." || name == ".." ||
      name.ends_with(".tmp")) {
    return false;
  }
  return name.find_first_of("/ \t\r\n") == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

// The streaming form of checksum64 (XXH3, seed 0): equal to checksum64 over all bytes fed.
class StreamingChecksum {
 public:
  StreamingChecksum() : state_(XXH3_createState()) { XXH3_64bits_reset(state_.get()); }
  void update(std::string_view bytes) {
    XXH3_64bits_update(state_.get(), bytes.data(), bytes.size());
  }
  [[nodiscard]] std::uint64_t digest() const { return XXH3_64bits_digest(state_.get()); }

 private:
  struct Free {
    void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
  };
  std::unique_ptr<XXH3_state_t, Free> state_;
};

// The writer write_data() hands to `produce`: buffers small appends into kChunk-byte writes
// (an index is appended bucket by bucket) and checksums every byte it accepts. Large appends
// go straight to the file. Short writes of the file's writer are completed by its append().
// With pacing (WritePacing::bytes_per_s > 0) it syncs every sync_every bytes written, so the
// bytes reach the disk as they are written rather than in one burst at the final sync, and
// sleeps whenever it is ahead of the rate.
class ChecksumWriter final : public device::FileWriter {
 public:
  ChecksumWriter(device::FileWriter& file, WritePacing pacing)
      : file_(file), pacing_(pacing), start_(std::chrono::steady_clock::now()) {
    buf_.reserve(kChunk);
  }

  Result<std::size_t> write_some(std::string_view data) override {
    if (data.empty()) return std::size_t{0};
    if (buf_.empty() && data.size() >= kChunk) {
      auto n = file_.write_some(data);
      if (!n) return n;
      accept(data.substr(0, n.value()));
      if (auto r = pace(n.value()); !r) return r.error();
      return n;
    }
    const std::size_t take = std::min(data.size(), kChunk - buf_.size());
    buf_.append(data.substr(0, take));
    accept(data.substr(0, take));
    if (buf_.size() == kChunk) {
      if (auto r = drain(); !r) return r.error();
    }
    return take;
  }
  Result<void> sync() override {
    if (auto r = drain(); !r) return r;
    return file_.sync();
  }
  Result<void> close() override {
    if (auto r = drain(); !r) return r;
    return file_.close();
  }
  [[nodiscard]] std::uint64_t bytes() const override { return bytes_; }
  [[nodiscard]] const std::string& path() const override { return file_.path(); }
  [[nodiscard]] std::uint64_t checksum() const { return sum_.digest(); }

 private:
  void accept(std::string_view bytes) {
    sum_.update(bytes);
    bytes_ += bytes.size();
  }
  Result<void> drain() {
    if (buf_.empty()) return {};
    auto r = file_.append(buf_);
    const std::size_t n = buf_.size();
    buf_.clear();
    if (!r) return r;
    return pace(n);
  }
  // After `n` more bytes went to the file: sync every sync_every bytes, then sleep until the
  // rate allows what was written so far.
  Result<void> pace(std::size_t n) {
    if (pacing_.bytes_per_s == 0) return {};
    written_ += n;
    unsynced_ += n;
    if (pacing_.sync_every != 0 && unsynced_ >= pacing_.sync_every) {
      unsynced_ = 0;
      if (auto r = file_.sync(); !r) return r;
    }
    const auto due =
        start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                     std::chrono::duration<double>(static_cast<double>(written_) /
                                                   static_cast<double>(pacing_.bytes_per_s)));
    std::this_thread::sleep_until(due);
    return {};
  }

  device::FileWriter& file_;
  const WritePacing pacing_;
  const std::chrono::steady_clock::time_point start_;
  std::uint64_t written_ = 0;   // bytes handed to the file (pacing)
  std::uint64_t unsynced_ = 0;  // of them, written since the last pacing sync
  std::string buf_;
  StreamingChecksum sum_;
  std::uint64_t bytes_ = 0;  // accepted (buffered or written)
};

Error damaged(const std::string& file, std::uint64_t id, std::string_view what,
              std::string_view problem) {
  return make_error(Status::Corruption,
                    "checkpoint " + std::to_string(id) + ": its " + std::string(what) + " `" +
                        file + "` " + std::string(problem) +
                        "; the checkpoint is unusable: recover an older checkpoint or restore "
                        "the file");
}

Error invalidated_corrupt(const std::string& path, std::string_view why) {
  return make_error(Status::Corruption, "checkpoint invalidation record `" + path +
                                            "` is corrupt (" + std::string(why) +
                                            "); restore it, or remove it after removing every "
                                            "checkpoint newer than the one last recovered");
}

}  // namespace

Result<CheckpointDir> CheckpointDir::open(device::FileSystem& fs, std::string store_dir) {
  if (store_dir.empty()) {
    return make_error(Status::InvalidArgument, "checkpoints: the store directory path is empty");
  }
  std::string root = device::join_path(store_dir, kDirName);
  if (auto r = device::create_dir_durably(fs, root); !r) return r.error();
  return CheckpointDir(fs, std::move(root));
}

std::string CheckpointDir::dir_of(std::uint64_t id) const {
  return device::join_path(root_, std::to_string(id));
}

std::string CheckpointDir::file_path(std::uint64_t id, std::string_view name) const {
  return device::join_path(dir_of(id), name);
}

std::string CheckpointDir::meta_path(std::uint64_t id) const {
  return file_path(id, kMetaFile);
}

Result<CheckpointDir::Invalidated> CheckpointDir::read_invalidated() {
  const std::string path = device::join_path(root_, kInvalidatedFile);
  auto text = fs_->read_file(path);
  if (!text) {
    if (text.error().code == Status::NotFound) return Invalidated{};
    return text.error();
  }
  // "rskv-checkpoint-invalidated\nkept=K\nthrough=T\nchecksum=<hex>\n"
  std::string_view t = text.value();
  const std::size_t sum_at = t.rfind("checksum=");
  if (sum_at == std::string_view::npos || t.empty() || t.back() != '\n') {
    return invalidated_corrupt(path, "the checksum line is missing");
  }
  std::string_view body = t.substr(0, sum_at);
  std::string_view sum_text = t.substr(sum_at + 9, t.size() - sum_at - 10);
  std::uint64_t sum = 0;
  auto [sp, sec] = std::from_chars(sum_text.data(), sum_text.data() + sum_text.size(), sum, 16);
  if (sec != std::errc() || sp != sum_text.data() + sum_text.size() ||
      sum != checksum64(body.data(), body.size())) {
    return invalidated_corrupt(path, "it fails its checksum");
  }
  Invalidated inv;
  unsigned fields = 0;
  bool magic = false;
  while (!body.empty()) {
    const std::size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
    if (!magic) {
      if (line != kInvalidatedMagic) return invalidated_corrupt(path, "wrong first line");
      magic = true;
      continue;
    }
    std::uint64_t* field = nullptr;
    if (line.starts_with("kept=")) {
      field = &inv.kept;
      line.remove_prefix(5);
    } else if (line.starts_with("through=")) {
      field = &inv.through;
      line.remove_prefix(8);
    } else {
      continue;
    }
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), *field);
    if (ec != std::errc() || p != line.data() + line.size()) {
      return invalidated_corrupt(path, "a field is not a number");
    }
    ++fields;
  }
  if (fields != 2 || inv.through < inv.kept) return invalidated_corrupt(path, "malformed fields");
  return inv;
}

Result<std::vector<std::uint64_t>> CheckpointDir::present() {
  auto names = fs_->list(root_);
  if (!names) return names.error();
  std::vector<std::uint64_t> ids;
  for (const std::string& n : names.value()) {
    if (auto id = parse_id(n)) ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::uint64_t> CheckpointDir::next_id(std::uint64_t store_latest) {
  auto ids = present();
  if (!ids) return ids.error();
  auto inv = read_invalidated();
  if (!inv) return inv.error();
  std::uint64_t top = std::max(store_latest, inv->through);
  if (!ids->empty()) top = std::max(top, ids->back());
  return top + 1;
}

Result<void> CheckpointDir::begin(std::uint64_t id) {
  if (id == 0) return make_error(Status::InvalidArgument, "checkpoint ids start at 1 (got 0)");
  const std::string dir = dir_of(id);
  auto there = fs_->exists(dir);
  if (!there) return there.error();
  if (there.value()) {
    return make_error(Status::InvalidArgument,
                      "checkpoint directory `" + dir +
                          "` already exists: a new checkpoint takes its id from next_id()");
  }
  if (auto r = fs_->create_dir(dir); !r) return r;
  return fs_->sync_dir(root_);
}

Result<FileInfo> CheckpointDir::write_data(
    std::uint64_t id, std::string name,
    const std::function<Result<void>(device::FileWriter&)>& produce) {
  if (!data_file_name(name)) {
    return make_error(Status::InvalidArgument,
                      "checkpoint data file name `" + name +
                          "` is not a plain file name (it must be non-empty, without '/' or "
                          "whitespace, and neither `meta` nor a `.tmp` name)");
  }
  const std::string path = file_path(id, name);
  auto file = fs_->open_writer(path);
  if (!file) return file.error();
  ChecksumWriter writer(*file.value(), pacing_);
  if (auto r = produce(writer); !r) {
    (void)file.value()->close();  // the produce error is the one to report
    return r.error();
  }
  if (auto r = writer.sync(); !r) return r.error();
  if (auto r = writer.close(); !r) return r.error();
  if (file.value()->bytes() != writer.bytes()) {
    return make_error(Status::IoError, "checkpoint data file `" + path +
                                           "`: " + std::to_string(file.value()->bytes()) +
                                           " bytes written of " + std::to_string(writer.bytes()) +
                                           " appended");
  }
  return FileInfo{.name = std::move(name), .bytes = writer.bytes(), .checksum = writer.checksum()};
}

Result<void> CheckpointDir::commit(const CheckpointMeta& meta) {
  if (std::string why = validate(meta); !why.empty()) {
    return make_error(Status::InvalidArgument,
                      "checkpoint " + std::to_string(meta.id) + " metadata is invalid: " + why);
  }
  if (meta.format_version != CheckpointMeta::kFormatVersion) {
    return make_error(Status::InvalidArgument,
                      "checkpoint metadata: this build writes format version " +
                          std::to_string(CheckpointMeta::kFormatVersion));
  }
  // The data files' names must be durable before meta can be: sync the directory first.
  if (auto r = fs_->sync_dir(dir_of(meta.id)); !r) return r;
  return device::write_file_durably(*fs_, meta_path(meta.id), encode(meta));
}

Result<std::vector<std::uint64_t>> CheckpointDir::committed() {
  auto ids = present();
  if (!ids) return ids.error();
  auto inv = read_invalidated();
  if (!inv) return inv.error();
  std::vector<std::uint64_t> out;
  for (std::uint64_t id : ids.value()) {
    if (inv->covers(id)) continue;
    auto there = fs_->exists(meta_path(id));
    if (!there) return there.error();
    if (there.value()) out.push_back(id);
  }
  return out;
}

Result<void> CheckpointDir::remove_uncommitted() {
  auto ids = present();
  if (!ids) return ids.error();
  auto inv = read_invalidated();
  if (!inv) return inv.error();
  for (std::uint64_t id : ids.value()) {
    auto there = fs_->exists(meta_path(id));
    if (!there) return there.error();
    if (!there.value() || inv->covers(id)) {
      if (auto r = remove(id); !r) return r;
    }
  }
  return {};
}

Result<void> CheckpointDir::remove(std::uint64_t id) {
  const std::string dir = dir_of(id);
  auto there = fs_->exists(dir);
  if (!there) return there.error();
  if (!there.value()) return {};
  auto names = fs_->list(dir);
  if (!names) return names.error();
  const auto& all = names.value();
  if (std::find(all.begin(), all.end(), kMetaFile) != all.end()) {
    // Uncommit first, durably: from here on the checkpoint no longer counts.
    if (auto r = fs_->unlink(meta_path(id)); !r) return r;
    if (auto r = fs_->sync_dir(dir); !r) return r;
  }
  for (const std::string& n : all) {
    if (n == kMetaFile) continue;
    if (auto r = fs_->unlink(device::join_path(dir, n)); !r) return r;
  }
  if (auto r = fs_->remove_dir(dir); !r) return r;
  return fs_->sync_dir(root_);
}

Result<CheckpointMeta> CheckpointDir::read_meta(std::uint64_t id) {
  const std::string path = meta_path(id);
  auto text = fs_->read_file(path);
  if (!text) {
    if (text.error().code != Status::NotFound) return text.error();
    return make_error(Status::NotFound, "checkpoint " + std::to_string(id) +
                                            " is not committed: its metadata `" + path +
                                            "` does not exist");
  }
  auto meta = decode(text.value(), path);
  if (!meta) return meta;
  if (meta->id != id) {
    return make_error(Status::Corruption, "checkpoint metadata `" + path + "` names checkpoint " +
                                              std::to_string(meta->id) + ", not " +
                                              std::to_string(id) +
                                              ": it was moved or copied; restore the directory");
  }
  return meta;
}

Result<void> CheckpointDir::verify_file(const CheckpointMeta& meta, std::uint64_t dir_id,
                                        const FileInfo& file, std::string_view what) {
  const std::string path = file_path(dir_id, file.name);
  std::string what_text(what);
  if (dir_id != meta.id) what_text += " (of index checkpoint " + std::to_string(dir_id) + ")";
  auto size = fs_->file_size(path);
  if (!size) {
    if (size.error().code == Status::NotFound)
      return damaged(path, meta.id, what_text, "is missing");
    return size.error();
  }
  if (size.value() != file.bytes) {
    return damaged(path, meta.id, what_text,
                   "has " + std::to_string(size.value()) + " bytes, expected " +
                       std::to_string(file.bytes) + " (truncated or torn)");
  }
  auto reader = fs_->open_reader(path);
  if (!reader) {
    if (reader.error().code == Status::NotFound) {
      return damaged(path, meta.id, what_text, "is missing");
    }
    return reader.error();
  }
  StreamingChecksum sum;
  std::string buf(kChunk, '\0');
  std::uint64_t total = 0;
  for (;;) {
    auto n = reader.value()->read_some(std::span<char>(buf.data(), buf.size()));
    if (!n) return n.error();
    if (n.value() == 0) break;
    sum.update(std::string_view(buf.data(), n.value()));
    total += n.value();
  }
  if (total != file.bytes) {
    return damaged(path, meta.id, what_text,
                   "has " + std::to_string(total) + " bytes, expected " +
                       std::to_string(file.bytes) + " (truncated or torn)");
  }
  if (sum.digest() != file.checksum) {
    return damaged(path, meta.id, what_text,
                   "fails its checksum (expected " + hex64(file.checksum) + ", found " +
                       hex64(sum.digest()) + "): its contents are corrupt");
  }
  return {};
}

Result<void> CheckpointDir::verify_files(const CheckpointMeta& meta) {
  if (const std::uint64_t index_dir = meta.index_dir_id(); index_dir != 0) {
    if (auto r = verify_file(meta, index_dir, meta.index_file, "index file"); !r) return r;
  }
  if (meta.kind == kKindSnapshot) {
    if (auto r = verify_file(meta, meta.id, meta.snapshot_file, "snapshot file"); !r) return r;
  }
  if (!meta.page_checksums_file.name.empty()) {
    if (auto r = verify_file(meta, meta.id, meta.page_checksums_file, "page checksums file"); !r) {
      return r;
    }
  }
  return {};
}

Result<CheckpointMeta> CheckpointDir::load(std::uint64_t id) {
  auto inv = read_invalidated();
  if (!inv) return inv.error();
  if (inv->covers(id)) {
    return make_error(Status::InvalidArgument,
                      "checkpoint " + std::to_string(id) + " was abandoned when checkpoint " +
                          std::to_string(inv->kept) +
                          " was recovered (its timeline was left): recover checkpoint " +
                          std::to_string(inv->kept) + " or a later one");
  }
  auto meta = read_meta(id);
  if (!meta) return meta;
  if (auto r = verify_files(meta.value()); !r) return r.error();
  return meta;
}

Result<Chosen> CheckpointDir::choose(std::optional<std::uint64_t> wanted,
                                     std::uint64_t store_latest) {
  if (wanted) {
    auto meta = load(*wanted);
    if (!meta) return meta.error();
    if (!meta->has_log) {
      return make_error(Status::InvalidArgument,
                        "checkpoint " + std::to_string(*wanted) +
                            " is index-only: it holds no log state to recover. Name a foldover "
                            "or snapshot checkpoint");
    }
    return Chosen{.meta = std::move(meta.value()), .warning = {}};
  }

  auto ids = committed();
  if (!ids) return ids.error();
  auto inv = read_invalidated();
  if (!inv) return inv.error();

  // Failures of checkpoints newer than the one chosen, newest first.
  std::vector<std::pair<std::uint64_t, Error>> failures;
  const bool latest_missing = store_latest > 0 && !inv->covers(store_latest) &&
                              !std::binary_search(ids->begin(), ids->end(), store_latest);
  if (latest_missing) {
    failures.emplace_back(
        store_latest,
        make_error(Status::Corruption,
                   "the store metadata records checkpoint " + std::to_string(store_latest) +
                       " as committed, but its metadata `" + meta_path(store_latest) +
                       "` does not exist: its files were deleted; restore them or recover an "
                       "older checkpoint"));
  }
  std::optional<CheckpointMeta> chosen;
  bool any_log = false;
  for (auto it = ids->rbegin(); it != ids->rend() && !chosen; ++it) {
    auto meta = read_meta(*it);
    if (meta && !meta->has_log) continue;  // index-only: not a recovery point
    // A log checkpoint, or one whose metadata is too damaged to tell: it must load.
    any_log = true;
    Result<void> usable = meta ? verify_files(meta.value()) : Result<void>(meta.error());
    if (!usable) {
      const Status code = usable.error().code;
      if (code != Status::Corruption && code != Status::NotFound) return usable.error();
      failures.emplace_back(*it, usable.error());
      continue;
    }
    chosen = std::move(meta.value());
  }
  std::sort(failures.begin(), failures.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });

  if (chosen) {
    std::string warning;
    for (const auto& [id, err] : failures) {
      if (id <= chosen->id) continue;
      warning += "warning: skipped checkpoint " + std::to_string(id) + ": " + err.message + "\n";
    }
    if (!warning.empty()) {
      warning +=
          "warning: recovering the older checkpoint " + std::to_string(chosen->id) + " instead";
    }
    return Chosen{.meta = std::move(chosen), .warning = std::move(warning)};
  }
  if (!failures.empty() && (any_log || store_latest > 0)) {
    Error err = failures.front().second;
    err.message += failures.size() > 1 ? " (and " + std::to_string(failures.size() - 1) +
                                             " older checkpoint(s) failed too; none is usable)"
                                       : " (no older checkpoint is usable)";
    return err;
  }
  return Chosen{};
}

Result<void> CheckpointDir::invalidate_after(std::uint64_t id) {
  auto inv = read_invalidated();
  if (!inv) return inv.error();
  auto ids = present();
  if (!ids) return ids.error();
  // Leftovers of an earlier, interrupted invalidation are abandoned already: finish them
  // before the record that abandons them is replaced.
  std::vector<std::uint64_t> newer;
  for (std::uint64_t c : ids.value()) {
    if (inv->covers(c) && c <= id) {
      if (auto r = remove(c); !r) return r;
    } else if (c > id) {
      newer.push_back(c);
    }
  }
  if (newer.empty()) return {};
  // The commit point of the invalidation: from here on (kept, through] no longer counts.
  Invalidated next{.kept = id, .through = std::max(newer.back(), inv->through)};
  std::string body;
  body.append(kInvalidatedMagic).append("\n");
  body.append("kept=").append(std::to_string(next.kept)).append("\n");
  body.append("through=").append(std::to_string(next.through)).append("\n");
  const std::uint64_t sum = checksum64(body.data(), body.size());  // before the line is added
  body.append("checksum=").append(hex64(sum)).append("\n");
  if (auto r = device::write_file_durably(*fs_, device::join_path(root_, kInvalidatedFile), body);
      !r) {
    return r;
  }
  for (auto it = newer.rbegin(); it != newer.rend(); ++it) {
    if (auto r = remove(*it); !r) return r;
  }
  return {};
}

Result<void> CheckpointDir::retain(std::size_t keep) {
  if (keep == 0) {
    return make_error(Status::InvalidArgument,
                      "checkpoint retention must keep at least 1 checkpoint (got 0)");
  }
  auto ids = committed();
  if (!ids) return ids.error();
  std::vector<std::uint64_t> kept_logs;
  std::set<std::uint64_t> relied_on;
  for (auto it = ids->rbegin(); it != ids->rend() && kept_logs.size() < keep; ++it) {
    auto meta = read_meta(*it);
    if (!meta) {
      // An unreadable checkpoint is no recovery point; an I/O failure stops retention (it
      // must not delete what it cannot read about).
      if (meta.error().code != Status::Corruption) return meta.error();
      continue;
    }
    if (!meta->has_log) continue;
    kept_logs.push_back(*it);
    if (std::uint64_t index_dir = meta->index_dir_id(); index_dir != 0) {
      relied_on.insert(index_dir);
    }
  }
  if (kept_logs.size() < keep) return {};  // fewer log checkpoints than asked to keep
  const std::uint64_t oldest_kept = kept_logs.back();
  for (std::uint64_t c : ids.value()) {
    if (c >= oldest_kept) break;
    if (relied_on.count(c) != 0) continue;
    if (auto r = remove(c); !r) return r;
  }
  return {};
}

}  // namespace rskv::checkpoint
