// StoreDir: store directory creation, locking and metadata (store_dir.h).

#include "components/device/store_dir.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <utility>
#include <vector>

// GCC 12 reports a false -Wmaybe-uninitialized inside its own AVX-512 intrinsics when xxHash's
// long-input path is inlined under -march=native; the pragma keeps this file warning-clean.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include "components/common/hash.h"
#pragma GCC diagnostic pop
#include "components/device/segment_files.h"

namespace rskv::device {

namespace {

constexpr std::string_view kMagicLine = "rskv-store-meta";

bool valid_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '=' || c == ' ') return false;
  }
  return true;
}

Error corrupt(const std::string& path, std::string_view why) {
  return make_error(Status::Corruption,
                    "store metadata `" + path + "` is corrupt (" + std::string(why) +
                        "); it was not written by this version of rskv or it is torn: restore "
                        "it from a backup or choose another directory");
}

template <class Int>
bool parse_int(std::string_view s, Int* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string StoreMeta::policies() const {
  return "index=" + index + " device=" + device + " gc=" + gc;
}

std::string encode_meta(const StoreMeta& meta) {
  std::string body;
  body.append(kMagicLine).append("\n");
  body.append("format_version=").append(std::to_string(meta.format_version)).append("\n");
  body.append("index=").append(meta.index).append("\n");
  body.append("device=").append(meta.device).append("\n");
  body.append("gc=").append(meta.gc).append("\n");
  body.append("page_bytes=").append(std::to_string(meta.page_bytes)).append("\n");
  body.append("segment_bytes=").append(std::to_string(meta.segment_bytes)).append("\n");
  body.append("latest_checkpoint=").append(std::to_string(meta.latest_checkpoint)).append("\n");
  char sum[40];
  std::snprintf(sum, sizeof sum, "checksum=%016" PRIx64 "\n", checksum64(body.data(), body.size()));
  body.append(sum);
  return body;
}

Result<StoreMeta> decode_meta(std::string_view text, const std::string& path) {
  // The checksum line is the last line; it covers every byte before it.
  if (text.empty() || text.back() != '\n') return corrupt(path, "it does not end in a newline");
  std::size_t last = text.rfind('\n', text.size() - 2);
  if (last == std::string_view::npos) return corrupt(path, "it has a single line");
  std::string_view body = text.substr(0, last + 1);
  std::string_view sum_line = text.substr(last + 1, text.size() - last - 2);
  constexpr std::string_view kSum = "checksum=";
  std::uint64_t stored_sum = 0;
  if (!sum_line.starts_with(kSum)) return corrupt(path, "the checksum line is missing");
  sum_line.remove_prefix(kSum.size());
  auto [p, ec] =
      std::from_chars(sum_line.data(), sum_line.data() + sum_line.size(), stored_sum, 16);
  if (ec != std::errc() || p != sum_line.data() + sum_line.size()) {
    return corrupt(path, "the checksum line is malformed");
  }
  if (stored_sum != checksum64(body.data(), body.size())) {
    return corrupt(path, "it fails its checksum");
  }

  StoreMeta meta;
  meta.format_version = 0;
  bool magic = false;
  while (!body.empty()) {
    std::size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    if (!magic) {
      if (line != kMagicLine) return corrupt(path, "the first line is not rskv-store-meta");
      magic = true;
      continue;
    }
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) return corrupt(path, "a line has no '='");
    std::string_view key = line.substr(0, eq);
    std::string_view value = line.substr(eq + 1);
    bool ok = true;
    if (key == "format_version") {
      ok = parse_int(value, &meta.format_version);
    } else if (key == "index") {
      meta.index = value;
    } else if (key == "device") {
      meta.device = value;
    } else if (key == "gc") {
      meta.gc = value;
    } else if (key == "page_bytes") {
      ok = parse_int(value, &meta.page_bytes);
    } else if (key == "segment_bytes") {
      ok = parse_int(value, &meta.segment_bytes);
    } else if (key == "latest_checkpoint") {
      ok = parse_int(value, &meta.latest_checkpoint);
    }  // unknown keys: ignored, so a later minor format can add fields
    if (!ok) return corrupt(path, "field " + std::string(key) + " is not a number");
  }
  if (meta.format_version == 0) return corrupt(path, "format_version is missing");
  if (meta.format_version > StoreMeta::kFormatVersion) {
    return make_error(Status::InvalidArgument, "store metadata `" + path + "` has format version " +
                                                   std::to_string(meta.format_version) +
                                                   ", newer than this build reads (" +
                                                   std::to_string(StoreMeta::kFormatVersion) +
                                                   "): open it with a newer rskv");
  }
  if (meta.index.empty() || meta.device.empty() || meta.gc.empty()) {
    return corrupt(path, "a policy name is missing");
  }
  return meta;
}

Result<std::unique_ptr<StoreDir>> StoreDir::open(FileSystem& fs, std::string path) {
  if (path.empty()) {
    return make_error(Status::InvalidArgument,
                      "the store directory path is empty: set the store's path (a directory)");
  }
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  // Durably: a store directory whose name a crash could take away would lose the store.
  if (auto r = create_dir_durably(fs, path); !r) return r.error();

  const std::string lock_path = join_path(path, kLockFile);
  auto lock = fs.lock_file(lock_path);
  if (!lock) {
    if (lock.error().code != Status::Busy) return lock.error();
    return make_error(Status::Busy,
                      "store directory `" + path +
                          "` is in use: another process (or another "
                          "open store in this process) holds the exclusive lock on `" +
                          lock_path +
                          "`. Close that store first; the lock is released automatically when its "
                          "holder exits, so no lock file needs removing.");
  }
  std::unique_ptr<StoreDir> dir(new StoreDir(fs, path, std::move(lock.value())));

  auto names = fs.list(path);
  if (!names) return names.error();
  bool has_meta = false;
  std::vector<std::string> foreign;
  for (const std::string& n : names.value()) {
    if (n == kMetaFile) {
      has_meta = true;
    } else if (n == kCheckpointsDir) {
      // An empty checkpoints/ is a leftover of an interrupted open: harmless. One holding
      // checkpoints without rskv.meta is not (its store metadata went missing).
      auto inside = fs.list(join_path(path, n));
      if (!inside || !inside.value().empty()) foreign.push_back(n);
    } else if (n != kLockFile && n != std::string(kMetaFile) + ".tmp" &&
               n != SegmentFiles::kProbeFile) {
      // rskv.meta.tmp (a metadata write cut short) and the devices' O_DIRECT probe file are
      // leftovers of an interrupted open: harmless.
      foreign.push_back(n);
    }
  }
  if (!has_meta) {
    if (!foreign.empty()) {
      std::string list;
      for (std::size_t i = 0; i < foreign.size() && i < 5; ++i) {
        list += (i ? ", " : "") + ("`" + foreign[i] + "`");
      }
      if (foreign.size() > 5) list += ", ...";
      return make_error(Status::InvalidArgument,
                        "directory `" + path + "` is not empty (" + list +
                            ") and holds no rskv metadata (`" + std::string(kMetaFile) +
                            "`): it is not an rskv store, or its creation was cut short. Choose "
                            "an empty or new directory; rskv never wipes existing files.");
    }
    return dir;  // Fresh
  }
  const std::string meta_path = dir->meta_path();
  auto text = fs.read_file(meta_path);
  if (!text) return text.error();
  auto meta = decode_meta(text.value(), meta_path);
  if (!meta) return meta.error();
  dir->kind_ = Kind::Existing;
  dir->stored_ = std::move(meta.value());
  return dir;
}

Result<void> StoreDir::check_compatible(const StoreMeta& want) const {
  if (kind_ == Kind::Fresh) return {};
  const StoreMeta& have = *stored_;
  if (!have.same_policies(want)) {
    return make_error(Status::InvalidArgument,
                      "store directory `" + path_ + "` was made with other policies: " +
                          have.policies() + " (asked for: " + want.policies() +
                          "). Open it with the stored policies, or choose another directory.");
  }
  if (want.page_bytes != 0 && have.page_bytes != want.page_bytes) {
    return make_error(Status::InvalidArgument,
                      "store directory `" + path_ + "` was made with page size " +
                          std::to_string(have.page_bytes) + " bytes (asked for " +
                          std::to_string(want.page_bytes) +
                          "). Open it with the stored page size, or choose another directory.");
  }
  if (want.segment_bytes != 0 && have.segment_bytes != 0 &&
      have.segment_bytes != want.segment_bytes) {
    return make_error(Status::InvalidArgument,
                      "store directory `" + path_ + "` was made with segment size " +
                          std::to_string(have.segment_bytes) + " bytes (asked for " +
                          std::to_string(want.segment_bytes) +
                          "). Open it with the stored segment size, or choose another "
                          "directory.");
  }
  return {};
}

Result<void> StoreDir::write_meta(const StoreMeta& meta) {
  if (!valid_name(meta.index) || !valid_name(meta.device) || !valid_name(meta.gc)) {
    return make_error(Status::InvalidArgument,
                      "store metadata: policy names must be non-empty words without spaces, "
                      "'=' or newlines (got " +
                          meta.policies() + ")");
  }
  if (meta.format_version != StoreMeta::kFormatVersion) {
    return make_error(Status::InvalidArgument, "store metadata: this build writes format version " +
                                                   std::to_string(StoreMeta::kFormatVersion));
  }
  if (auto r = write_file_durably(fs_, meta_path(), encode_meta(meta)); !r) return r;
  kind_ = Kind::Existing;
  stored_ = meta;
  return {};
}

Result<void> StoreDir::prepare_new_store(const StoreMeta& want) {
  if (auto r = check_compatible(want); !r) return r;
  if (kind_ == Kind::Existing) {
    return make_error(Status::InvalidArgument,
                      "`" + path_ + "` already holds an rskv store (" + stored_->policies() +
                          "); open it with recovery (StoreConfig::recover, rskv-cli --recover) "
                          "or choose an empty directory");
  }
  return write_meta(want);
}

Result<void> StoreDir::open_existing(const StoreMeta& want) {
  if (auto r = check_compatible(want); !r) return r;
  if (kind_ == Kind::Existing) return {};
  return write_meta(want);
}

Result<void> StoreDir::set_latest_checkpoint(std::uint64_t id) {
  if (kind_ != Kind::Existing) {
    return make_error(Status::InvalidArgument,
                      "store directory `" + path_ +
                          "` holds no store metadata yet: write it (prepare_new_store or "
                          "open_existing) before recording a checkpoint");
  }
  StoreMeta meta = *stored_;
  meta.latest_checkpoint = id;
  return write_meta(meta);
}

}  // namespace rskv::device
