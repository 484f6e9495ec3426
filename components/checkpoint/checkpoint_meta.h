#pragma once
// CheckpointMeta: the commit record of one checkpoint, stored as `checkpoints/<id>/meta`
// (checkpoint_dir.h). A checkpoint counts once this file is durably in place; it names every
// data file the checkpoint relies on with its size and a content checksum, so recovery can
// tell a complete checkpoint from a torn, truncated or corrupt one before using any of it.
//
// Text form (like rskv.meta): a magic line, one "key=value" line per field, repeated keys for
// the lists (in order), and a last line "checksum=<16 hex digits>" = checksum64 of every byte
// before it:
//
//     rskv-checkpoint-meta
//     format_version=1
//     id=7
//     kind=foldover
//     has_index=1
//     ...
//     index_file.name=index.dat
//     index_file.bytes=1048576
//     index_file.checksum=9f0c...
//     skip_range=4096-8192
//     session=3 1200
//     dead_version=5
//     checksum=0123456789abcdef
//
// Unknown keys are ignored, so a later build may add fields without a new format version; a
// newer format_version is refused. decode() also checks the fields agree with each other
// (kind against has_index / has_log, file names): a record that fails is Corruption.
//
// Thread-safety: plain values and pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "components/common/result.h"

namespace rskv::checkpoint {

/// One data file of a checkpoint: its name (relative to a checkpoint directory), its size
/// and checksum64 over its bytes.
struct FileInfo {
  std::string name;
  std::uint64_t bytes = 0;
  std::uint64_t checksum = 0;
  bool operator==(const FileInfo&) const = default;
};

/// A half-open range of log addresses [from, to).
struct Range {
  std::uint64_t from = 0, to = 0;
  bool operator==(const Range&) const = default;
};

/// A session's id and the serial number up to which its operations are in the checkpoint.
struct SessionSerial {
  std::uint64_t id = 0;
  std::uint64_t serial = 0;
  bool operator==(const SessionSerial&) const = default;
};

/// The checkpoint kinds.
inline constexpr std::string_view kKindFoldover = "foldover";
inline constexpr std::string_view kKindSnapshot = "snapshot";
inline constexpr std::string_view kKindIndex = "index";  // index-only

struct CheckpointMeta {
  static constexpr std::uint32_t kFormatVersion = 1;

  std::uint32_t format_version = kFormatVersion;
  std::uint64_t id = 0;  // > 0, grows with every checkpoint of the store
  std::string kind;      // "foldover", "snapshot" or "index" (index-only)
  bool has_index = false, has_log = false;
  std::uint64_t version = 0;  // store version v the checkpoint captures (64-bit)
  std::string policies;       // e.g. "index=chained device=file gc=none"
  std::uint64_t page_bytes = 0;
  // Index part: for has_index, this checkpoint's own; for a log-only checkpoint, a copy of the
  // index checkpoint's it relies on (index_checkpoint_id names it; its index file lives there).
  std::uint64_t index_checkpoint_id = 0;
  std::uint64_t index_start = 0, index_end = 0, index_geometry = 0, index_version = 0;
  FileInfo index_file;  // name relative to checkpoint index_checkpoint_id's directory
  // Log part (has_log)
  std::uint64_t log_begin = 0, log_final = 0, snapshot_start = 0;
  FileInfo snapshot_file;          // name empty unless kind == "snapshot"
  FileInfo page_checksums_file;    // per flushed range checksums, binary, written by the store
  std::vector<Range> skip_ranges;  // log ranges recovery must not replay (fenced stale tails)
  std::vector<SessionSerial> sessions;
  // Versions whose records recovery drops wherever it meets them (v + 1 of every earlier
  // recovery on this timeline: those records stay on the device below the fence).
  std::vector<std::uint64_t> dead_versions;
  bool operator==(const CheckpointMeta&) const = default;

  /// The id of the checkpoint whose directory holds the index file (index_checkpoint_id;
  /// 0 when there is no index part).
  [[nodiscard]] std::uint64_t index_dir_id() const { return index_checkpoint_id; }
};

/// The text form (see above). encode() writes whatever it is given; validate() first.
std::string encode(const CheckpointMeta& meta);
/// Parses and checks the text form. Errors name `path`: Corruption for a bad checksum, a
/// malformed line or fields that disagree; InvalidArgument for a format version newer than
/// this build reads.
Result<CheckpointMeta> decode(std::string_view text, const std::string& path);
/// Whether the fields agree with each other: id > 0; kind is one of the three; "index"
/// exactly when has_index and not has_log; a snapshot names its snapshot file and no other
/// kind does; has_index names an index file; names are plain file names (no '/', no
/// whitespace, not "meta"); a checkpoint with its own index names itself as
/// index_checkpoint_id, a log-only one an older checkpoint (or 0: no index checkpoint);
/// policies has no newline. Returns "" if so, else what is wrong.
std::string validate(const CheckpointMeta& meta);

}  // namespace rskv::checkpoint
