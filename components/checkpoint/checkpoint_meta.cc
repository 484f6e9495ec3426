// CheckpointMeta's text form (checkpoint_meta.h).

#include "components/checkpoint/checkpoint_meta.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>

// GCC 12 reports a false -Wmaybe-uninitialized inside its own AVX-512 intrinsics when xxHash's
// long-input path is inlined under -march=native; the pragma keeps this file warning-clean.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include "components/common/hash.h"
#pragma GCC diagnostic pop

namespace rskv::checkpoint {

namespace {

constexpr std::string_view kMagicLine = "rskv-checkpoint-meta";
constexpr std::string_view kChecksumKey = "checksum=";

Error corrupt(const std::string& path, std::string_view why) {
  return make_error(Status::Corruption,
                    "checkpoint metadata `" + path + "` is corrupt (" + std::string(why) +
                        "); the checkpoint is torn or damaged: recover an older checkpoint or "
                        "restore the file");
}

template <class Int>
bool parse_int(std::string_view s, Int* out, int base = 10) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_bool(std::string_view s, bool* out) {
  if (s == "1") {
    *out = true;
  } else if (s == "0") {
    *out = false;
  } else {
    return false;
  }
  return true;
}

std::string hex64(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

// Splits "a b" at the first space into two numbers.
bool parse_pair(std::string_view s, char sep, std::uint64_t* a, std::uint64_t* b) {
  std::size_t at = s.find(sep);
  if (at == std::string_view::npos) return false;
  return parse_int(s.substr(0, at), a) && parse_int(s.substr(at + 1), b);
}

class Writer {
 public:
  void line(std::string_view key, std::string_view value) {
    out_.append(key).append("=").append(value).append("\n");
  }
  void num(std::string_view key, std::uint64_t v) { line(key, std::to_string(v)); }
  void flag(std::string_view key, bool v) { line(key, v ? "1" : "0"); }
  void file(std::string_view key, const FileInfo& f) {
    const std::string k(key);
    line(k + ".name", f.name);
    num(k + ".bytes", f.bytes);
    line(k + ".checksum", hex64(f.checksum));
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

// Applies one "key=value" line to `m`; false if the value does not parse.
bool apply(CheckpointMeta& m, std::string_view key, std::string_view value, bool* seen_id,
           bool* seen_kind) {
  auto file_field = [&](std::string_view prefix, FileInfo& f, bool* handled) {
    *handled = false;
    if (!key.starts_with(prefix) || key.size() <= prefix.size() || key[prefix.size()] != '.') {
      return true;
    }
    *handled = true;
    std::string_view field = key.substr(prefix.size() + 1);
    if (field == "name") {
      f.name = value;
      return true;
    }
    if (field == "bytes") return parse_int(value, &f.bytes);
    if (field == "checksum") return parse_int(value, &f.checksum, 16);
    return true;  // an unknown sub-field: ignored like any unknown key
  };
  bool handled = false;
  for (auto [prefix, f] : {std::pair<std::string_view, FileInfo*>{"index_file", &m.index_file},
                           {"snapshot_file", &m.snapshot_file},
                           {"page_checksums_file", &m.page_checksums_file}}) {
    bool ok = file_field(prefix, *f, &handled);
    if (handled) return ok;
  }
  if (key == "format_version") return parse_int(value, &m.format_version);
  if (key == "id") {
    *seen_id = true;
    return parse_int(value, &m.id);
  }
  if (key == "kind") {
    *seen_kind = true;
    m.kind = value;
    return true;
  }
  if (key == "has_index") return parse_bool(value, &m.has_index);
  if (key == "has_log") return parse_bool(value, &m.has_log);
  if (key == "version") return parse_int(value, &m.version);
  if (key == "policies") {
    m.policies = value;
    return true;
  }
  if (key == "page_bytes") return parse_int(value, &m.page_bytes);
  if (key == "index_checkpoint_id") return parse_int(value, &m.index_checkpoint_id);
  if (key == "index_start") return parse_int(value, &m.index_start);
  if (key == "index_end") return parse_int(value, &m.index_end);
  if (key == "index_geometry") return parse_int(value, &m.index_geometry);
  if (key == "index_version") return parse_int(value, &m.index_version);
  if (key == "log_begin") return parse_int(value, &m.log_begin);
  if (key == "log_final") return parse_int(value, &m.log_final);
  if (key == "snapshot_start") return parse_int(value, &m.snapshot_start);
  if (key == "skip_range") {
    Range r;
    if (!parse_pair(value, '-', &r.from, &r.to)) return false;
    m.skip_ranges.push_back(r);
    return true;
  }
  if (key == "dead_version") {
    std::uint64_t v = 0;
    if (!parse_int(value, &v)) return false;
    m.dead_versions.push_back(v);
    return true;
  }
  if (key == "session") {
    SessionSerial s;
    if (!parse_pair(value, ' ', &s.id, &s.serial)) return false;
    m.sessions.push_back(s);
    return true;
  }
  return true;  // unknown keys: ignored, so a later minor format can add fields
}

bool plain_file_name(std::string_view name) {
  if (name.empty() || name == "meta" || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == '\n' || c == '\r' || c == ' ' || c == '\t' || c == '\0') return false;
  }
  return true;
}

}  // namespace

std::string validate(const CheckpointMeta& m) {
  if (m.id == 0) return "id is 0 (checkpoint ids start at 1)";
  if (m.kind != kKindFoldover && m.kind != kKindSnapshot && m.kind != kKindIndex) {
    return "kind `" + m.kind + "` is not foldover, snapshot or index";
  }
  if (m.kind == kKindIndex) {
    if (!m.has_index || m.has_log)
      return "an index-only checkpoint must have has_index=1 has_log=0";
  } else if (!m.has_log) {
    return "a " + m.kind + " checkpoint must have has_log=1";
  }
  if (m.has_index && m.index_checkpoint_id != m.id) {
    return "a checkpoint with its own index must name itself as index_checkpoint_id (names " +
           std::to_string(m.index_checkpoint_id) + ")";
  }
  if (!m.has_index && m.index_checkpoint_id >= m.id) {
    return "a log-only checkpoint must rely on an older index checkpoint (index_checkpoint_id " +
           std::to_string(m.index_checkpoint_id) + ")";
  }
  if (m.index_dir_id() != 0 && !plain_file_name(m.index_file.name)) {
    return "the index file name `" + m.index_file.name + "` is empty or not a plain file name";
  }
  if (m.kind == kKindSnapshot) {
    if (!plain_file_name(m.snapshot_file.name)) {
      return "the snapshot file name `" + m.snapshot_file.name +
             "` is empty or not a plain file name";
    }
  } else if (!m.snapshot_file.name.empty()) {
    return "a " + m.kind + " checkpoint names a snapshot file";
  }
  if (!m.page_checksums_file.name.empty() && !plain_file_name(m.page_checksums_file.name)) {
    return "the page checksums file name `" + m.page_checksums_file.name +
           "` is not a plain file name";
  }
  if (m.policies.find_first_of("\n\r") != std::string::npos) return "policies holds a newline";
  for (const Range& r : m.skip_ranges) {
    if (r.from > r.to) {
      return "skip range " + std::to_string(r.from) + "-" + std::to_string(r.to) +
             " ends before it begins";
    }
  }
  return {};
}

std::string encode(const CheckpointMeta& m) {
  Writer w;
  w.out().append(kMagicLine).append("\n");
  w.num("format_version", m.format_version);
  w.num("id", m.id);
  w.line("kind", m.kind);
  w.flag("has_index", m.has_index);
  w.flag("has_log", m.has_log);
  w.num("version", m.version);
  w.line("policies", m.policies);
  w.num("page_bytes", m.page_bytes);
  w.num("index_checkpoint_id", m.index_checkpoint_id);
  w.num("index_start", m.index_start);
  w.num("index_end", m.index_end);
  w.num("index_geometry", m.index_geometry);
  w.num("index_version", m.index_version);
  w.file("index_file", m.index_file);
  w.num("log_begin", m.log_begin);
  w.num("log_final", m.log_final);
  w.num("snapshot_start", m.snapshot_start);
  w.file("snapshot_file", m.snapshot_file);
  w.file("page_checksums_file", m.page_checksums_file);
  for (const Range& r : m.skip_ranges) {
    w.line("skip_range", std::to_string(r.from) + "-" + std::to_string(r.to));
  }
  for (const SessionSerial& s : m.sessions) {
    w.line("session", std::to_string(s.id) + " " + std::to_string(s.serial));
  }
  for (std::uint64_t v : m.dead_versions) w.num("dead_version", v);
  std::string& body = w.out();
  const std::uint64_t sum = checksum64(body.data(), body.size());  // before the line is added
  body.append(kChecksumKey).append(hex64(sum)).append("\n");
  return std::move(body);
}

Result<CheckpointMeta> decode(std::string_view text, const std::string& path) {
  // The checksum line is the last line; it covers every byte before it.
  if (text.empty()) return corrupt(path, "it is empty");
  if (text.back() != '\n') return corrupt(path, "it does not end in a newline: it is truncated");
  std::size_t last = text.size() >= 2 ? text.rfind('\n', text.size() - 2) : std::string::npos;
  if (last == std::string_view::npos) return corrupt(path, "it has a single line");
  std::string_view body = text.substr(0, last + 1);
  std::string_view sum_line = text.substr(last + 1, text.size() - last - 2);
  std::uint64_t stored_sum = 0;
  if (!sum_line.starts_with(kChecksumKey)) {
    return corrupt(path, "the checksum line is missing: it is truncated");
  }
  if (!parse_int(sum_line.substr(kChecksumKey.size()), &stored_sum, 16)) {
    return corrupt(path, "the checksum line is malformed");
  }
  if (stored_sum != checksum64(body.data(), body.size())) {
    return corrupt(path, "it fails its checksum");
  }

  CheckpointMeta m;
  m.format_version = 0;
  bool magic = false, seen_id = false, seen_kind = false;
  while (!body.empty()) {
    std::size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    if (!magic) {
      if (line != kMagicLine) return corrupt(path, "the first line is not rskv-checkpoint-meta");
      magic = true;
      continue;
    }
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) return corrupt(path, "a line has no '='");
    std::string_view key = line.substr(0, eq);
    if (!apply(m, key, line.substr(eq + 1), &seen_id, &seen_kind)) {
      return corrupt(path, "field " + std::string(key) + " is malformed");
    }
  }
  if (m.format_version == 0) return corrupt(path, "format_version is missing");
  if (m.format_version > CheckpointMeta::kFormatVersion) {
    return make_error(Status::InvalidArgument,
                      "checkpoint metadata `" + path + "` has format version " +
                          std::to_string(m.format_version) + ", newer than this build reads (" +
                          std::to_string(CheckpointMeta::kFormatVersion) +
                          "): recover it with a newer rskv");
  }
  if (!seen_id || !seen_kind) return corrupt(path, "the id or kind field is missing");
  if (std::string why = validate(m); !why.empty()) return corrupt(path, why);
  return m;
}

}  // namespace rskv::checkpoint
