#pragma once
// rskv-cli's line protocol: turning one input line into a request, and the number formats
// the shell reads and writes. Pure functions over strings (no I/O, no store), so that every
// rule of the protocol is unit-tested apart from the binary (tests/cli/protocol_test.cc).
//
// The protocol (issues 3 and 8; a contract other tools rely on):
//   put K V  -> OK                      get K -> the value, or NOT_FOUND
//   del K    -> OK (also when absent)   add K N -> the new value (RMW on a decimal counter)
//   checkpoint [foldover|snapshot]      -> CHECKPOINT <id> <serial> once durable
//   quit     -> no reply, exit 0        anything else -> ERR <message>
// Fields are separated by runs of spaces and tabs (leading and trailing ones ignored); one
// trailing CR is ignored; K and V are any bytes but space, tab, CR, LF and NUL; commands are
// lower case. N is an optional sign and decimal digits whose value fits a signed 64-bit
// integer ("+5", "007" and "-0" are fine).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "components/common/result.h"

namespace rskv::cli {

/// The commands of the shell. New commands (scan, stats) are added here and in the table of
/// protocol.cc.
enum class Command { kPut, kGet, kDel, kAdd, kCheckpoint, kQuit };

/// The log checkpoint kind a `checkpoint` line asks for (the store's CheckpointKind; this
/// module does not depend on the store).
enum class CheckpointMode { kFoldOver, kSnapshot };

/// One parsed input line. key and value view into the line they were parsed from.
struct Request {
  Command command = Command::kQuit;
  std::string_view key;                                   // put, get, del, add
  std::string_view value;                                 // put
  std::int64_t delta = 0;                                 // add
  CheckpointMode checkpoint = CheckpointMode::kFoldOver;  // checkpoint (default fold-over)
};

/// The largest key and value the store was opened with (StoreConfig::max_*_bytes).
struct Limits {
  std::size_t max_key_bytes = 0;
  std::size_t max_value_bytes = 0;
};

/// Removes one trailing CR, then splits on runs of spaces and tabs. Leading and trailing
/// separators yield no empty fields; an empty or blank line yields none.
std::vector<std::string_view> split_fields(std::string_view line);

/// Parses one input line (its LF already removed). On error, the message is what the shell
/// prints after "ERR ". truncated says the line was longer than the reader keeps and `line`
/// holds only its beginning: the result is then always an error, naming the key or value
/// limit when a field already exceeds it.
Result<Request> parse_request(std::string_view line, const Limits& limits, bool truncated = false);

/// An optional '+' or '-' followed by one or more decimal digits whose value fits int64_t.
/// Anything else (empty, blanks, a lone sign, other characters, overflow) -> nullopt.
std::optional<std::int64_t> parse_int64(std::string_view text);

/// Canonical decimal text: no sign for non-negative values, no leading zeros ("-0" -> "0").
std::string format_int64(std::int64_t value);

/// Why `add` left a value unchanged.
enum class AddFailure { kNone, kStoredNotInteger, kOverflow };

/// stored (nullptr = absent, counts as 0) read as parse_int64 would, plus delta.
/// Returns the sum, or sets *failure and returns nullopt.
std::optional<std::int64_t> add_to_stored(const std::string_view* stored, std::int64_t delta,
                                          AddFailure* failure);

/// The text after "ERR " for a failed add (value unchanged).
std::string add_failure_message(AddFailure failure, std::int64_t delta);

/// A byte count with an optional suffix: KiB, MiB or GiB (powers of two), e.g. "64MiB",
/// "1GiB", "1048576". Error messages name the bad text and the accepted forms.
Result<std::uint64_t> parse_size(std::string_view text);

/// Short form: "64 MiB" when bytes is a whole number of GiB/MiB/KiB; else "4.25 MiB" (two
/// decimals, rounded down) from 1 MiB up, "1000 bytes" below.
std::string format_size(std::uint64_t bytes);

/// Exact form for limits and minimums: "65536 bytes (64 KiB)", "4456704 bytes (4.25 MiB)",
/// "1000 bytes".
std::string format_bytes(std::uint64_t bytes);

/// Text from user input made safe to echo inside a one-line message: at most max_bytes
/// bytes, bytes outside printable ASCII shown as \xHH, "..." when cut.
std::string quote_for_message(std::string_view text, std::size_t max_bytes = 40);

}  // namespace rskv::cli
