// Unit tests of rskv-cli's protocol module (tools/rskv-cli/protocol.h): field splitting,
// request parsing with every ERR case, int64 parsing and formatting, the add arithmetic, and
// sizes. The binary itself is driven through pipes in cli_shell_test.cc.

#include "tools/rskv-cli/protocol.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace rskv::cli {
namespace {

using Fields = std::vector<std::string_view>;
constexpr Limits kLimits{64 * 1024, 1024 * 1024};
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

// 'text' (appended: g++ 12 warns falsely on "'" + std::string&&, its bug 105651).
std::string quoted(std::string_view text) {
  std::string out = "'";
  out += text;
  out += '\'';
  return out;
}

std::string error_of(std::string_view line, bool truncated = false) {
  Result<Request> r = parse_request(line, kLimits, truncated);
  EXPECT_FALSE(r.ok()) << "line parsed but should not: " << line;
  return r.ok() ? std::string() : r.error().message;
}

// Purpose: fields split on runs of spaces and tabs; ends ignored; one trailing CR dropped.
TEST(SplitFields, RunsOfSpacesAndTabs) {
  EXPECT_EQ(split_fields("put k v"), (Fields{"put", "k", "v"}));
  EXPECT_EQ(split_fields("  put \t\t k   v \t "), (Fields{"put", "k", "v"}));
  EXPECT_EQ(split_fields("get k\r"), (Fields{"get", "k"}));
  EXPECT_EQ(split_fields("get k \t\r"), (Fields{"get", "k"}));
  EXPECT_EQ(split_fields(""), Fields{});
  EXPECT_EQ(split_fields(" \t \r"), Fields{});
  // Only one CR is the line ending; another one stays in the field.
  EXPECT_EQ(split_fields("get k\r\r"), (Fields{"get", "k\r"}));
  // Any other byte belongs to a field.
  EXPECT_EQ(split_fields("put \x01\xff v\vw"), (Fields{"put", "\x01\xff", "v\vw"}));
}

// Purpose: each command parses into its request with the fields as given.
TEST(ParseRequest, EveryCommand) {
  Result<Request> put = parse_request("put key value", kLimits);
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put.value().command, Command::kPut);
  EXPECT_EQ(put.value().key, "key");
  EXPECT_EQ(put.value().value, "value");

  Result<Request> get = parse_request("\tget  key\r", kLimits);
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get.value().command, Command::kGet);
  EXPECT_EQ(get.value().key, "key");

  Result<Request> del = parse_request("del key", kLimits);
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del.value().command, Command::kDel);

  Result<Request> add = parse_request("add c -42", kLimits);
  ASSERT_TRUE(add.ok());
  EXPECT_EQ(add.value().command, Command::kAdd);
  EXPECT_EQ(add.value().key, "c");
  EXPECT_EQ(add.value().delta, -42);

  Result<Request> quit = parse_request("quit", kLimits);
  ASSERT_TRUE(quit.ok());
  EXPECT_EQ(quit.value().command, Command::kQuit);
}

// Purpose: checkpoint takes an optional kind, fold-over by default; anything else is an
// error giving the usage.
TEST(ParseRequest, Checkpoint) {
  Result<Request> plain = parse_request("checkpoint", kLimits);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain.value().command, Command::kCheckpoint);
  EXPECT_EQ(plain.value().checkpoint, CheckpointMode::kFoldOver);
  EXPECT_TRUE(plain.value().key.empty());

  Result<Request> foldover = parse_request(" checkpoint\tfoldover\r", kLimits);
  ASSERT_TRUE(foldover.ok());
  EXPECT_EQ(foldover.value().checkpoint, CheckpointMode::kFoldOver);

  Result<Request> snapshot = parse_request("checkpoint snapshot", kLimits);
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot.value().command, Command::kCheckpoint);
  EXPECT_EQ(snapshot.value().checkpoint, CheckpointMode::kSnapshot);

  EXPECT_EQ(error_of("checkpoint Snapshot"),
            "checkpoint: unknown kind 'Snapshot' (usage: checkpoint [foldover|snapshot]; the "
            "default is foldover)");
  EXPECT_EQ(error_of("checkpoint foldover now"),
            "checkpoint takes 0 or 1 arguments, got 2 (usage: checkpoint [foldover|snapshot])");
  EXPECT_NE(error_of("CHECKPOINT").find("unknown command"), std::string::npos);
  EXPECT_NE(error_of("").find("checkpoint [foldover|snapshot]"), std::string::npos);
  // The kind is not a key: no key limit applies, but it must be one of the two words.
  EXPECT_NE(
      error_of("checkpoint " + std::string(kLimits.max_key_bytes + 1, 'k')).find("unknown kind"),
      std::string::npos);
}

// Purpose: empty and blank lines, unknown and upper-case commands are errors naming them.
TEST(ParseRequest, EmptyAndUnknown) {
  EXPECT_NE(error_of("").find("empty line"), std::string::npos);
  EXPECT_NE(error_of(" \t ").find("empty line"), std::string::npos);
  EXPECT_NE(error_of("\r").find("empty line"), std::string::npos);
  EXPECT_NE(error_of("PUT k v").find("unknown command 'PUT'"), std::string::npos);
  EXPECT_NE(error_of("scan").find("unknown command 'scan'"), std::string::npos);
  // Bytes of the unknown command are echoed safely.
  EXPECT_NE(error_of(std::string_view("x\0y", 3)).find("'x\\x00y'"), std::string::npos);
}

// Purpose: each command with too few or too many fields is an error giving its usage.
TEST(ParseRequest, WrongFieldCount) {
  for (std::string_view line : {"put", "put k", "put k v w", "get", "get k v", "del", "del k v",
                                "add", "add k", "add k 1 2", "quit now", "checkpoint a b"}) {
    const std::string message = error_of(line);
    EXPECT_NE(message.find("usage:"), std::string::npos) << line << " -> " << message;
  }
  EXPECT_EQ(error_of("put k"), "put takes 2 arguments, got 1 (usage: put K V)");
  EXPECT_EQ(error_of("get a b"), "get takes 1 argument, got 2 (usage: get K)");
}

// Purpose: CR or NUL inside a key or value is refused (they are not token bytes).
TEST(ParseRequest, ForbiddenBytes) {
  EXPECT_NE(error_of("put k\rx v").find("CR or NUL"), std::string::npos);
  EXPECT_NE(error_of(std::string_view("put k v\0w", 9)).find("CR or NUL"), std::string::npos);
  EXPECT_NE(error_of(std::string_view("get \0", 5)).find("CR or NUL"), std::string::npos);
}

// Purpose: add's N must be a signed 64-bit decimal; the error names the bad text.
TEST(ParseRequest, BadN) {
  for (std::string_view n : {"x", "1.5", "0x10", "+", "-", "--1", "1e3", "9223372036854775808",
                             "-9223372036854775809", "99999999999999999999"}) {
    const std::string message = error_of("add k " + std::string(n));
    EXPECT_NE(message.find(quoted(n) + " is not a signed 64-bit decimal"), std::string::npos)
        << message;
  }
}

// Purpose: keys up to the key limit and values up to the value limit are accepted; one
// byte more is an error naming the limit.
TEST(ParseRequest, Limits) {
  const std::string key(kLimits.max_key_bytes, 'k');
  const std::string value(kLimits.max_value_bytes, 'v');
  EXPECT_TRUE(parse_request("put " + key + " " + value, kLimits).ok());
  EXPECT_TRUE(parse_request("get " + key, kLimits).ok());
  EXPECT_TRUE(parse_request("add " + key + " 1", kLimits).ok());

  EXPECT_EQ(error_of("put " + key + "k v"),
            "key is 65537 bytes; the limit is 65536 bytes (64 KiB)");
  EXPECT_EQ(error_of("get " + key + "k"), "key is 65537 bytes; the limit is 65536 bytes (64 KiB)");
  EXPECT_EQ(error_of("del " + key + "k"), "key is 65537 bytes; the limit is 65536 bytes (64 KiB)");
  EXPECT_EQ(error_of("put k " + value + "v"),
            "value is 1048577 bytes; the limit is 1048576 bytes (1 MiB)");
}

// Purpose: a truncated line is always an error, naming the limit a field already exceeds.
TEST(ParseRequest, TruncatedLine) {
  const std::string long_value(kLimits.max_value_bytes + 10, 'v');
  EXPECT_NE(error_of("put k " + long_value, true).find("value is longer than the limit of 1048576"),
            std::string::npos);
  const std::string long_key(kLimits.max_key_bytes + 10, 'k');
  EXPECT_NE(error_of("get " + long_key, true).find("key is longer than the limit of 65536"),
            std::string::npos);
  // Nothing over a limit in the kept part: the line as a whole is named.
  EXPECT_NE(error_of("put k v", true).find("line is too long"), std::string::npos);
  EXPECT_NE(error_of("", true).find("line is too long"), std::string::npos);
}

// Purpose: the N grammar: optional sign, digits, leading zeros, the int64 range exactly.
TEST(ParseInt64, Grammar) {
  EXPECT_EQ(parse_int64("0"), 0);
  EXPECT_EQ(parse_int64("-0"), 0);
  EXPECT_EQ(parse_int64("+0"), 0);
  EXPECT_EQ(parse_int64("+5"), 5);
  EXPECT_EQ(parse_int64("007"), 7);
  EXPECT_EQ(parse_int64("-007"), -7);
  EXPECT_EQ(parse_int64("9223372036854775807"), kMax);
  EXPECT_EQ(parse_int64("-9223372036854775808"), kMin);
  EXPECT_EQ(parse_int64("000000000000000000000009223372036854775807"), kMax);
  EXPECT_EQ(parse_int64("9223372036854775808"), std::nullopt);
  EXPECT_EQ(parse_int64("-9223372036854775809"), std::nullopt);
  EXPECT_EQ(parse_int64("18446744073709551616"), std::nullopt);
  for (std::string_view bad : {"", "+", "-", " 1", "1 ", "1a", "a1", "+-1", "1-", "١"}) {
    EXPECT_EQ(parse_int64(bad), std::nullopt) << bad;
  }
}

// Purpose: results print as canonical decimal text.
TEST(FormatInt64, Canonical) {
  EXPECT_EQ(format_int64(0), "0");
  EXPECT_EQ(format_int64(-7), "-7");
  EXPECT_EQ(format_int64(kMax), "9223372036854775807");
  EXPECT_EQ(format_int64(kMin), "-9223372036854775808");
  EXPECT_EQ(format_int64(*parse_int64("-0")), "0");
  EXPECT_EQ(format_int64(*parse_int64("+007")), "7");
}

// Purpose: add treats absent as 0, reads the stored text like N, and refuses non-numbers
// and overflow in both directions.
TEST(AddToStored, ArithmeticAndFailures) {
  AddFailure failure = AddFailure::kNone;
  EXPECT_EQ(add_to_stored(nullptr, 5, &failure), 5);
  const std::string_view seven = "007";
  EXPECT_EQ(add_to_stored(&seven, -10, &failure), -3);
  EXPECT_EQ(failure, AddFailure::kNone);

  const std::string_view text = "hello";
  EXPECT_EQ(add_to_stored(&text, 1, &failure), std::nullopt);
  EXPECT_EQ(failure, AddFailure::kStoredNotInteger);
  const std::string_view empty = "";
  EXPECT_EQ(add_to_stored(&empty, 1, &failure), std::nullopt);
  EXPECT_EQ(failure, AddFailure::kStoredNotInteger);

  const std::string_view max = "9223372036854775807";
  EXPECT_EQ(add_to_stored(&max, 1, &failure), std::nullopt);
  EXPECT_EQ(failure, AddFailure::kOverflow);
  EXPECT_EQ(add_to_stored(&max, 0, &failure), kMax);
  const std::string_view min = "-9223372036854775808";
  EXPECT_EQ(add_to_stored(&min, -1, &failure), std::nullopt);
  EXPECT_EQ(failure, AddFailure::kOverflow);
  EXPECT_EQ(add_to_stored(&min, kMax, &failure), -1);
  EXPECT_EQ(add_to_stored(nullptr, kMin, &failure), kMin);

  EXPECT_NE(add_failure_message(AddFailure::kOverflow, 1).find("overflows"), std::string::npos);
  EXPECT_NE(add_failure_message(AddFailure::kStoredNotInteger, 1).find("value unchanged"),
            std::string::npos);
}

// Purpose: sizes are byte counts with an optional KiB/MiB/GiB suffix; everything else is an
// error naming the text and the accepted forms.
TEST(ParseSize, SuffixesAndErrors) {
  EXPECT_EQ(parse_size("1048576").value(), 1048576u);
  EXPECT_EQ(parse_size("64KiB").value(), 64u << 10);
  EXPECT_EQ(parse_size("64MiB").value(), 64u << 20);
  EXPECT_EQ(parse_size("2GiB").value(), 2ull << 30);
  EXPECT_EQ(parse_size("0").value(), 0u);
  for (std::string_view bad : {"", "MiB", "64mib", "64 MiB", "64MB", "64M", "-1", "1.5GiB",
                               "64MiBx", "18446744073709551616", "17179869184GiB"}) {
    Result<std::uint64_t> r = parse_size(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message.find(quoted(bad)), std::string::npos) << r.error().message;
    }
  }
}

// Purpose: sizes print in the largest whole unit, or exactly with an approximation.
TEST(FormatSize, Units) {
  EXPECT_EQ(format_size(64u << 20), "64 MiB");
  EXPECT_EQ(format_size(1u << 10), "1 KiB");
  EXPECT_EQ(format_size(3ull << 30), "3 GiB");
  EXPECT_EQ(format_size(1000), "1000 bytes");
  EXPECT_EQ(format_size((4u << 20) + (1u << 18)), "4352 KiB");
  EXPECT_EQ(format_size((4u << 20) + (1u << 18) + 1), "4.25 MiB");
  EXPECT_EQ(format_bytes((4u << 20) + 3), "4194307 bytes (4.00 MiB)");
  EXPECT_EQ(format_bytes(65536), "65536 bytes (64 KiB)");
  EXPECT_EQ(format_bytes(1000), "1000 bytes");
  EXPECT_EQ(format_bytes(1), "1 byte");
}

// Purpose: echoed user text stays on one printable line and is bounded.
TEST(QuoteForMessage, EscapesAndCuts) {
  EXPECT_EQ(quote_for_message("abc"), "abc");
  EXPECT_EQ(quote_for_message(std::string_view("a\0\n'\\", 5)), "a\\x00\\x0a\\x27\\x5c");
  EXPECT_EQ(quote_for_message(std::string(50, 'x'), 4), "xxxx...");
}

}  // namespace
}  // namespace rskv::cli
