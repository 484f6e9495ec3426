// Drives the built rskv-cli binary through pipes and checks issue 3's protocol, which other
// tools rely on: every reply, each ERR case, the key and value limits, quit and end of input,
// and the invocation errors (exit 2, one message on stderr). After the error cases the
// earlier keys are read back unchanged. RSKV_CLI_PATH is the binary ($<TARGET_FILE:rskv-cli>).

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/cli/cli_process.h"

namespace rskv::cli {
namespace {

using testing::CliProcess;
using testing::CliResult;
using testing::run_cli;

const std::string kCli = RSKV_CLI_PATH;

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Each test case gets its own directory, named after suite and case, removed afterwards.
class CliShell : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = std::filesystem::temp_directory_path() /
            ("rskv-cli-shell-test." + std::to_string(::getpid()));
    base_ = root_ / (std::string(info->test_suite_name()) + "." + info->name());
    std::filesystem::remove_all(base_);
    std::filesystem::create_directories(base_);
    dir_ = (base_ / "store").string();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // A directory no process has used yet (a store directory, once the default device keeps
  // data, may be opened again only with --recover).
  std::string fresh_dir() { return (base_ / ("store" + std::to_string(++dirs_))).string(); }

  // Expects a bad invocation: exit 2, nothing on stdout, one line on stderr containing all
  // of `needles`. Returns stderr.
  std::string expect_usage_error(const std::vector<std::string>& args,
                                 const std::vector<std::string>& needles) {
    const CliResult r = run_cli(kCli, args, "put a 1\n");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    for (const std::string& needle : needles) {
      EXPECT_NE(r.err.find(needle), std::string::npos) << "'" << needle << "' not in: " << r.err;
    }
    return r.err;
  }

  std::filesystem::path root_;
  std::filesystem::path base_;
  std::string dir_;
  int dirs_ = 0;
};

// Purpose: every command's reply, one at a time (each reply must be flushed before the next
// line is sent, or request() times out).
TEST_F(CliShell, EveryReplyInConversation) {
  CliProcess cli(kCli, {dir_});
  EXPECT_EQ(cli.request("get a"), "NOT_FOUND");
  EXPECT_EQ(cli.request("put a hello"), "OK");
  EXPECT_EQ(cli.request("get a"), "hello");
  EXPECT_EQ(cli.request("put a world"), "OK");
  EXPECT_EQ(cli.request("get a"), "world");
  EXPECT_EQ(cli.request("del a"), "OK");
  EXPECT_EQ(cli.request("get a"), "NOT_FOUND");
  EXPECT_EQ(cli.request("del a"), "OK");          // absent: still OK
  EXPECT_EQ(cli.request("del never-set"), "OK");  // never existed
  // add: absent counts as 0; N with sign and leading zeros; canonical output.
  EXPECT_EQ(cli.request("add n 5"), "5");
  EXPECT_EQ(cli.request("add n +5"), "10");
  EXPECT_EQ(cli.request("add n 007"), "17");
  EXPECT_EQ(cli.request("add n -0"), "17");
  EXPECT_EQ(cli.request("add n -20"), "-3");
  EXPECT_EQ(cli.request("get n"), "-3");
  EXPECT_EQ(cli.request("put m 0042"), "OK");
  EXPECT_EQ(cli.request("add m 1"), "43");  // a stored "0042" reads as 42
  EXPECT_EQ(cli.request("get m"), "43");
  EXPECT_EQ(cli.request("add big 9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(cli.request("add small -9223372036854775808"), "-9223372036854775808");
  // Field splitting: runs of spaces and tabs, leading and trailing, and a trailing CR.
  EXPECT_EQ(cli.request(" \t put \t\t b   x1 \t"), "OK");
  EXPECT_EQ(cli.request("get b\r"), "x1");
  EXPECT_EQ(cli.request("\tget\tb \r"), "x1");
  // Keys and values are any bytes but separators, CR, LF and NUL.
  EXPECT_EQ(cli.request("put \x01\xfe\xff k=v:\"'\\"), "OK");
  EXPECT_EQ(cli.request("get \x01\xfe\xff"), "k=v:\"'\\");
  // A stored value NOT_FOUND reads like an absent key (a documented limit of the shell).
  EXPECT_EQ(cli.request("put weird NOT_FOUND"), "OK");
  EXPECT_EQ(cli.request("get weird"), "NOT_FOUND");
  EXPECT_TRUE(cli.send("quit\n"));
  const CliResult r = cli.finish();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

// Purpose: each ERR case replies one line starting "ERR ", the shell goes on, and the
// values touched by a failed add are unchanged; afterwards earlier keys read back unchanged.
TEST_F(CliShell, ErrCasesLeaveValuesUnchanged) {
  CliProcess cli(kCli, {dir_});
  ASSERT_EQ(cli.request("put k1 v1"), "OK");
  ASSERT_EQ(cli.request("put text hello"), "OK");
  ASSERT_EQ(cli.request("put max 9223372036854775807"), "OK");
  ASSERT_EQ(cli.request("put min -9223372036854775808"), "OK");
  ASSERT_EQ(cli.request("add c 10"), "10");

  struct Case {
    std::string line;
    std::string needle;  // part of the message
  };
  const std::vector<Case> cases = {
      {"", "empty line"},
      {"   \t ", "empty line"},
      {"\r", "empty line"},
      {"PUT k1 x", "unknown command"},
      {"Get k1", "unknown command"},
      {"frobnicate", "unknown command"},
      {"put", "put takes 2 arguments"},
      {"put k1", "put takes 2 arguments"},
      {"put k1 a b", "put takes 2 arguments"},
      {"get", "get takes 1 argument"},
      {"get k1 k2", "get takes 1 argument"},
      {"del", "del takes 1 argument"},
      {"del k1 k2", "del takes 1 argument"},
      {"add c", "add takes 2 arguments"},
      {"add c 1 2", "add takes 2 arguments"},
      {"quit now", "quit takes 0 arguments"},
      {"add c x", "not a signed 64-bit decimal"},
      {"add c 1.5", "not a signed 64-bit decimal"},
      {"add c +", "not a signed 64-bit decimal"},
      {"add c 0x10", "not a signed 64-bit decimal"},
      {"add c 9223372036854775808", "not a signed 64-bit decimal"},
      {"add c -9223372036854775809", "not a signed 64-bit decimal"},
      {"add text 1", "stored value is not a signed 64-bit decimal"},
      {"add k1 1", "stored value is not a signed 64-bit decimal"},
      {"add max 1", "overflows"},
      {"add min -1", "overflows"},
      {"put k1 a\rb", "CR or NUL"},
      {std::string("put k1 a\0b", 10), "CR or NUL"},
  };
  for (const Case& c : cases) {
    const std::string reply = cli.request(c.line);
    EXPECT_TRUE(reply.starts_with("ERR ")) << "line '" << c.line << "' -> '" << reply << "'";
    EXPECT_NE(reply.find(c.needle), std::string::npos)
        << "line '" << c.line << "' -> '" << reply << "'";
  }
  // Nothing above changed a value.
  EXPECT_EQ(cli.request("get k1"), "v1");
  EXPECT_EQ(cli.request("get text"), "hello");
  EXPECT_EQ(cli.request("get max"), "9223372036854775807");
  EXPECT_EQ(cli.request("get min"), "-9223372036854775808");
  EXPECT_EQ(cli.request("get c"), "10");
  // And the shell still works.
  EXPECT_EQ(cli.request("add c -10"), "0");
  const CliResult r = cli.finish();  // end of input exits 0 like quit
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

// Purpose: a 64 KiB key and a 1 MiB value are stored and read back exactly; one byte over
// either limit, or a line far over it, is ERR naming the limit; the earlier keys stay.
TEST_F(CliShell, KeyAndValueLimits) {
  CliProcess cli(kCli, {dir_});
  ASSERT_EQ(cli.request("put early 1"), "OK");
  std::string key(64 * 1024, 'k');
  key[0] = 'K';  // not all equal: a truncation or offset bug would show
  key.back() = 'Z';
  std::string value(1024 * 1024, 'v');
  for (std::size_t i = 0; i < value.size(); i += 4096) value[i] = static_cast<char>('a' + i % 26);
  EXPECT_EQ(cli.request("put " + key + " " + value), "OK");
  EXPECT_EQ(cli.request("get " + key), value);
  EXPECT_EQ(cli.request("add " + key + "x 1"),
            "ERR key is 65537 bytes; the limit is 65536 "
            "bytes (64 KiB)");

  const std::string over_key = "put " + key + "x v";
  std::string reply = cli.request(over_key);
  EXPECT_TRUE(reply.starts_with("ERR ")) << reply;
  EXPECT_NE(reply.find("65536"), std::string::npos) << reply;

  reply = cli.request("put big " + value + "v");
  EXPECT_EQ(reply, "ERR value is 1048577 bytes; the limit is 1048576 bytes (1 MiB)");

  // Far over: the line is cut while reading, still answered with the limit.
  reply = cli.request("put huge " + std::string(3 * 1024 * 1024, 'h'));
  EXPECT_TRUE(reply.starts_with("ERR ")) << reply.substr(0, 200);
  EXPECT_NE(reply.find("1048576"), std::string::npos) << reply.substr(0, 200);

  EXPECT_EQ(cli.request("get big"), "NOT_FOUND");
  EXPECT_EQ(cli.request("get huge"), "NOT_FOUND");
  EXPECT_EQ(cli.request("get early"), "1");
  EXPECT_EQ(cli.request("get " + key), value);
  EXPECT_TRUE(cli.send("quit\n"));
  EXPECT_EQ(cli.finish().exit_code, 0);
}

// Purpose: quit prints nothing and exits 0 without reading further; end of input does the
// same; a last line without LF still runs.
TEST_F(CliShell, QuitAndEndOfInput) {
  CliResult r = run_cli(kCli, {fresh_dir()}, "put a 1\nquit\nget a\nput b 2\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "OK\n");
  EXPECT_EQ(r.err, "");

  r = run_cli(kCli, {fresh_dir()}, "put a 1\nget a");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "OK\n1\n");

  r = run_cli(kCli, {fresh_dir()}, "");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");

  r = run_cli(kCli, {fresh_dir()}, "quit\r\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
}

// Purpose: a script sent at once (pipelined) gets exactly one reply per line, in order,
// including for blank and malformed lines; RMW counters sum exactly.
TEST_F(CliShell, PipelinedScript) {
  std::string input;
  std::string expected;
  for (int i = 1; i <= 2000; ++i) {
    input += "add counter 3\n";
    expected += std::to_string(3 * i) + "\n";
    if (i % 100 == 0) {
      input += "put key" + std::to_string(i) + " value" + std::to_string(i) + "\n\n";
      expected += "OK\n";
      expected +=
          "ERR empty line (commands: put K V, get K, del K, add K N, checkpoint "
          "[foldover|snapshot], quit)\n";
    }
  }
  for (int i = 100; i <= 2000; i += 100) {
    input += "get key" + std::to_string(i) + "\n";
    expected += "value" + std::to_string(i) + "\n";
  }
  const CliResult r = run_cli(kCli, {dir_}, input);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, expected);
  EXPECT_EQ(r.err, "");
}

// Purpose: with a log budget far smaller than the data (the 8 MiB minimum, ~18 MiB written),
// records evicted to the device are read back and updated through the shell unchanged.
TEST_F(CliShell, SmallBudgetReadsEvictedRecords) {
  constexpr int kKeys = 60;
  std::string input;
  std::vector<std::string> values;
  for (int i = 0; i < kKeys; ++i) {
    std::string value(300000, static_cast<char>('a' + i % 26));
    value.replace(0, std::to_string(i).size(), std::to_string(i));
    input += "put k" + std::to_string(i) + " " + value + "\n";
    values.push_back(std::move(value));
  }
  for (int i = 0; i < kKeys; ++i)
    input += "add c" + std::to_string(i % 7) + " " + std::to_string(i) + "\n";
  for (int i = 0; i < kKeys; ++i) input += "get k" + std::to_string(i) + "\n";
  input += "get c3\n";

  std::string expected;
  for (int i = 0; i < kKeys; ++i) expected += "OK\n";
  std::vector<long> sums(7, 0);
  for (int i = 0; i < kKeys; ++i) {
    sums[i % 7] += i;
    expected += std::to_string(sums[i % 7]) + "\n";
  }
  for (const std::string& value : values) expected += value + "\n";
  expected += std::to_string(sums[3]) + "\n";

  const CliResult r = run_cli(kCli, {"--memory", "8MiB", dir_}, input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out.size(), expected.size());
  EXPECT_TRUE(r.out == expected) << "replies differ from the expected values";
}

// Purpose: options take `--opt VALUE` and `--opt=VALUE`; the default policy names work when
// given explicitly; a missing DIR (and its parents) is created.
TEST_F(CliShell, OptionFormsAndDirectoryCreation) {
  const std::string nested = (base_ / "a" / "b" / "c").string();
  CliResult r = run_cli(
      kCli, {"--index", "chained", "--device=memory", "--gc", "none", "--memory=128MiB", nested},
      "put a 1\nget a\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "OK\n1\n");
  EXPECT_TRUE(std::filesystem::is_directory(nested));

  r = run_cli(kCli, {"--memory", "67108864", fresh_dir()}, "get a\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "NOT_FOUND\n");

  r = run_cli(kCli, {"--help"}, "");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("usage: rskv-cli"), std::string::npos);
}

// Purpose: each bad invocation exits 2 with one message on stderr naming the problem.
TEST_F(CliShell, BadInvocations) {
  expect_usage_error({"--bogus", dir_}, {"unknown option", "--bogus"});
  expect_usage_error({"--bogus=3", dir_}, {"unknown option", "--bogus"});
  expect_usage_error({"-q", dir_}, {"unknown option", "-q"});
  expect_usage_error({}, {"missing DIR"});
  expect_usage_error({dir_, "other"}, {"more than one DIR"});
  expect_usage_error({dir_, "--memory"}, {"--memory", "needs a value"});
  expect_usage_error({"--memory", "lots", dir_}, {"--memory", "'lots' is not a size"});
  expect_usage_error({"--memory=64MB", dir_}, {"'64MB' is not a size", "MiB"});
  expect_usage_error({"--memory", "1KiB", dir_}, {"--memory 1KiB is too small", "minimum"});
  expect_usage_error({"--memory=0", dir_}, {"too small", "minimum"});
  // Unknown policy names: the message names the bad value and lists the valid ones.
  expect_usage_error({"--index", "btree", dir_}, {"btree", "chained"});
  expect_usage_error({"--device=tape", dir_}, {"tape", "memory"});
  expect_usage_error({"--gc", "sometimes", dir_}, {"sometimes", "none"});
}

// Purpose: an unwritable or impossible DIR exits 2 naming it. Tests run as root, so
// permission bits would not do: a path under a regular file, a regular file itself, /proc.
TEST_F(CliShell, UnwritableDirectory) {
  const auto file = base_ / "regular-file";
  std::ofstream(file) << "not a directory\n";
  const std::string under_file = (file / "sub").string();
  expect_usage_error({under_file}, {under_file});
  expect_usage_error({file.string()}, {file.string(), "not a directory"});
  expect_usage_error({"/proc/rskv-cli-test-store"}, {"/proc/rskv-cli-test-store"});
  expect_usage_error({"/proc"}, {"/proc", "not writable"});
}

// Purpose: the memory device keeps nothing across processes; its DIR may be reused at once.
TEST_F(CliShell, MemoryDeviceKeepsNothing) {
  CliResult r = run_cli(kCli, {"--device=memory", dir_}, "put a 1\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli(kCli, {"--device=memory", dir_}, "get a\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "NOT_FOUND\n");
}

}  // namespace
}  // namespace rskv::cli
