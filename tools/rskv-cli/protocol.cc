#include "tools/rskv-cli/protocol.h"

#include <array>
#include <charconv>
#include <limits>

namespace rskv::cli {
namespace {

bool is_separator(char c) {
  return c == ' ' || c == '\t';
}

struct CommandSpec {
  std::string_view name;
  Command command;
  std::size_t min_arguments;  // fields after the command name
  std::size_t max_arguments;
  std::string_view usage;  // e.g. "put K V"
};

constexpr std::array<CommandSpec, 6> kCommands{{
    {"put", Command::kPut, 2, 2, "put K V"},
    {"get", Command::kGet, 1, 1, "get K"},
    {"del", Command::kDel, 1, 1, "del K"},
    {"add", Command::kAdd, 2, 2, "add K N"},
    {"checkpoint", Command::kCheckpoint, 0, 1, "checkpoint [foldover|snapshot]"},
    {"quit", Command::kQuit, 0, 0, "quit"},
}};

constexpr std::string_view kCommandList =
    "commands: put K V, get K, del K, add K N, checkpoint [foldover|snapshot], quit";

// The commands whose first argument is a key (held to the key limit).
bool takes_key(Command command) {
  return command == Command::kPut || command == Command::kGet || command == Command::kDel ||
         command == Command::kAdd;
}

// "2 arguments", "1 argument", "0 or 1 arguments".
std::string argument_count(const CommandSpec& spec) {
  std::string text = std::to_string(spec.min_arguments);
  if (spec.max_arguments != spec.min_arguments) text += " or " + std::to_string(spec.max_arguments);
  return text + (spec.max_arguments == 1 && spec.min_arguments == 1 ? " argument" : " arguments");
}

Error err(std::string message) {
  return make_error(Status::InvalidArgument, std::move(message));
}

std::string limit_message(std::string_view what, std::size_t size, std::size_t limit) {
  return std::string(what) + " is " + std::to_string(size) + " bytes; the limit is " +
         format_bytes(limit);
}

// The limit (and its name) that field `index` of a command is held to; 0 when none.
std::size_t field_limit(const CommandSpec& spec, std::size_t index, const Limits& limits,
                        std::string_view* what) {
  if (index == 1 && takes_key(spec.command)) {
    *what = "key";
    return limits.max_key_bytes;
  }
  if (index == 2 && spec.command == Command::kPut) {
    *what = "value";
    return limits.max_value_bytes;
  }
  return 0;
}

const CommandSpec* find_command(std::string_view name) {
  for (const CommandSpec& spec : kCommands) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string_view> split_fields(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_separator(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !is_separator(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

Result<Request> parse_request(std::string_view line, const Limits& limits, bool truncated) {
  const std::vector<std::string_view> fields = split_fields(line);
  if (truncated) {
    // Only the beginning of the line is here. Name the key or value limit when a field
    // already exceeds it, else the line length in general.
    if (const CommandSpec* spec = fields.empty() ? nullptr : find_command(fields[0])) {
      for (std::size_t i = 1; i < fields.size(); ++i) {
        std::string_view what;
        const std::size_t limit = field_limit(*spec, i, limits, &what);
        if (limit != 0 && fields[i].size() > limit) {
          return err(std::string(what) + " is longer than the limit of " + format_bytes(limit));
        }
      }
    }
    return err("line is too long: keys are limited to " + format_bytes(limits.max_key_bytes) +
               " and values to " + format_bytes(limits.max_value_bytes));
  }
  if (fields.empty()) return err(std::string("empty line (") + std::string(kCommandList) + ")");

  const CommandSpec* spec = find_command(fields[0]);
  if (spec == nullptr) {
    return err("unknown command '" + quote_for_message(fields[0]) + "' (" +
               std::string(kCommandList) + ")");
  }
  if (fields.size() < spec->min_arguments + 1 || fields.size() > spec->max_arguments + 1) {
    return err(std::string(spec->name) + " takes " + argument_count(*spec) + ", got " +
               std::to_string(fields.size() - 1) + " (usage: " + std::string(spec->usage) + ")");
  }
  for (std::size_t i = 1; i < fields.size(); ++i) {
    if (fields[i].find_first_of(std::string_view("\r\0", 2)) != std::string_view::npos) {
      return err("argument " + std::to_string(i) + " of " + std::string(spec->name) +
                 " contains a CR or NUL byte, which keys and values may not");
    }
    std::string_view what;
    const std::size_t limit = field_limit(*spec, i, limits, &what);
    if (limit != 0 && fields[i].size() > limit) {
      return err(limit_message(what, fields[i].size(), limit));
    }
  }

  Request request;
  request.command = spec->command;
  if (takes_key(spec->command)) request.key = fields[1];
  if (spec->command == Command::kPut) request.value = fields[2];
  if (spec->command == Command::kAdd) {
    const std::optional<std::int64_t> delta = parse_int64(fields[2]);
    if (!delta) {
      return err("add: '" + quote_for_message(fields[2]) +
                 "' is not a signed 64-bit decimal integer (an optional sign and digits, from " +
                 std::to_string(std::numeric_limits<std::int64_t>::min()) + " to " +
                 std::to_string(std::numeric_limits<std::int64_t>::max()) + ")");
    }
    request.delta = *delta;
  }
  if (spec->command == Command::kCheckpoint && fields.size() == 2) {
    if (fields[1] == "foldover") {
      request.checkpoint = CheckpointMode::kFoldOver;
    } else if (fields[1] == "snapshot") {
      request.checkpoint = CheckpointMode::kSnapshot;
    } else {
      return err("checkpoint: unknown kind '" + quote_for_message(fields[1]) +
                 "' (usage: checkpoint [foldover|snapshot]; the default is foldover)");
    }
  }
  return request;
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
  bool negative = false;
  std::size_t i = 0;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    i = 1;
  }
  if (i == text.size()) return std::nullopt;  // empty, or a lone sign
  // The magnitude may reach 2^63 only for a negative number (INT64_MIN).
  const std::uint64_t limit =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
  std::uint64_t magnitude = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (magnitude > (limit - digit) / 10) return std::nullopt;  // magnitude*10+digit > limit
    magnitude = magnitude * 10 + digit;
  }
  if (!negative) return static_cast<std::int64_t>(magnitude);
  // -magnitude in unsigned arithmetic, then converted: exact for every value down to 2^63.
  return static_cast<std::int64_t>(~magnitude + 1);
}

std::string format_int64(std::int64_t value) {
  std::array<char, 24> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  (void)ec;  // 24 bytes always hold an int64
  return std::string(buf.data(), end);
}

std::optional<std::int64_t> add_to_stored(const std::string_view* stored, std::int64_t delta,
                                          AddFailure* failure) {
  std::int64_t base = 0;
  if (stored != nullptr) {
    const std::optional<std::int64_t> parsed = parse_int64(*stored);
    if (!parsed) {
      *failure = AddFailure::kStoredNotInteger;
      return std::nullopt;
    }
    base = *parsed;
  }
  std::int64_t sum = 0;
  if (__builtin_add_overflow(base, delta, &sum)) {
    *failure = AddFailure::kOverflow;
    return std::nullopt;
  }
  *failure = AddFailure::kNone;
  return sum;
}

std::string add_failure_message(AddFailure failure, std::int64_t delta) {
  switch (failure) {
    case AddFailure::kStoredNotInteger:
      return "add: the stored value is not a signed 64-bit decimal integer (value unchanged)";
    case AddFailure::kOverflow:
      return "add: the stored value plus " + format_int64(delta) +
             " overflows a signed 64-bit integer (value unchanged)";
    case AddFailure::kNone:
      break;
  }
  return "add: failed (value unchanged)";
}

Result<std::uint64_t> parse_size(std::string_view text) {
  // (Built by appending: g++ 12 warns falsely on "'" + std::string&&, its bug 105651.)
  std::string quoted = "'";
  quoted += quote_for_message(text);
  quoted += "'";
  const std::string help = quoted +
                           " is not a size: write a byte count with an optional KiB, MiB or GiB "
                           "suffix, e.g. 64MiB, 1GiB or 1048576";
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return err(help);
  const std::string_view suffix = text.substr(digits);
  std::uint64_t unit = 0;
  if (suffix.empty()) {
    unit = 1;
  } else if (suffix == "KiB") {
    unit = 1ull << 10;
  } else if (suffix == "MiB") {
    unit = 1ull << 20;
  } else if (suffix == "GiB") {
    unit = 1ull << 30;
  } else {
    return err(help);
  }
  std::uint64_t count = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, count);
  std::uint64_t bytes = 0;
  if (ec != std::errc() || ptr != text.data() + digits ||
      __builtin_mul_overflow(count, unit, &bytes)) {
    return err(quoted + " is too large a size (more than 2^64 bytes)");
  }
  return bytes;
}

std::string format_size(std::uint64_t bytes) {
  constexpr std::array<std::pair<std::uint64_t, std::string_view>, 3> kUnits{{
      {1ull << 30, "GiB"},
      {1ull << 20, "MiB"},
      {1ull << 10, "KiB"},
  }};
  for (const auto& [unit, name] : kUnits) {
    if (bytes != 0 && bytes % unit == 0) {
      return std::to_string(bytes / unit) + " " + std::string(name);
    }
  }
  if (bytes >= (1ull << 20)) {
    // MiB with two decimals, rounded down.
    const std::uint64_t whole = bytes >> 20;
    const std::uint64_t hundredths = ((bytes & ((1ull << 20) - 1)) * 100) >> 20;
    return std::to_string(whole) + "." + std::to_string(hundredths / 10) +
           std::to_string(hundredths % 10) + " MiB";
  }
  return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

std::string format_bytes(std::uint64_t bytes) {
  const std::string exact = std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
  const std::string short_form = format_size(bytes);
  return short_form == exact ? exact : exact + " (" + short_form + ")";
}

std::string quote_for_message(std::string_view text, std::size_t max_bytes) {
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == max_bytes) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace rskv::cli
