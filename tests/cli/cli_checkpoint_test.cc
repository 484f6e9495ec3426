// Drives the built rskv-cli binary through pipes, as an outside tool would, and checks issue
// 8's checkpoint and recovery contract to the letter:
//   - `checkpoint [foldover|snapshot]` replies `CHECKPOINT <id> <serial>`, where <serial> is
//     the line number of the command (every input line counts, from 1 in each process) and
//     the checkpoint holds exactly the effects of lines 1..serial;
//   - `--recover` first prints `RECOVERED <id> <serial>` (repeating the CHECKPOINT line of
//     that checkpoint) or `RECOVERED none 0`; `--checkpoint ID` names an older checkpoint, and
//     recovering it abandons the newer ones;
//   - <id> grows with every checkpoint of the directory, across processes;
//   - quit and end of input take a final checkpoint silently (a failure: stderr, exit 1);
//   - the memory device: checkpoint replies ERR, --recover prints RECOVERED none 0, no final
//     checkpoint, and its directory is neither locked nor refused;
//   - without --recover a directory holding a store is refused (exit 2) naming --recover.
// A process "crashes" by SIGKILL (CliProcess's destructor), which takes no final checkpoint.
// RSKV_CLI_PATH is the binary ($<TARGET_FILE:rskv-cli>).

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/cli/cli_process.h"

namespace rskv::cli {
namespace {

using testing::CliProcess;
using testing::CliResult;
using testing::run_cli;

const std::string kCli = RSKV_CLI_PATH;

// The smallest budget the shell accepts (keys up to 64 KiB, values up to 1 MiB): 2 MiB log
// pages, so a fold-over checkpoint flushes little.
const std::vector<std::string> kSmall = {"--memory", "8MiB"};

struct Point {
  std::uint64_t id = 0;
  std::uint64_t serial = 0;
};

// Parses "<word> <id> <serial>" with decimal id >= 1 and serial; nullopt on any deviation
// (extra spaces or fields included).
std::optional<Point> parse_point(std::string_view word, const std::string& line) {
  std::istringstream in(line);
  std::string w;
  Point p;
  if (!(in >> w) || w != word || !(in >> p.id) || !(in >> p.serial) || p.id == 0) return {};
  if (line != std::string(word) + " " + std::to_string(p.id) + " " + std::to_string(p.serial)) {
    return {};
  }
  return p;
}

// The CHECKPOINT reply to `line`, which must be line number `serial` of its process.
Point checkpoint(CliProcess& cli, std::string_view line, std::uint64_t serial) {
  const std::string reply = cli.request(line);
  const std::optional<Point> p = parse_point("CHECKPOINT", reply);
  EXPECT_TRUE(p.has_value()) << "'" << line << "' -> '" << reply << "'";
  if (!p) return {};
  EXPECT_EQ(p->serial, serial) << "'" << line << "' -> '" << reply << "'";
  return *p;
}

std::string recovered(const Point& p) {
  return "RECOVERED " + std::to_string(p.id) + " " + std::to_string(p.serial);
}

std::vector<std::string> args(std::vector<std::string> front, const std::string& dir) {
  std::vector<std::string> a = kSmall;
  a.insert(a.end(), front.begin(), front.end());
  a.push_back(dir);
  return a;
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Each test case gets its own directory, named after suite and case, removed afterwards.
class CliCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = std::filesystem::temp_directory_path() /
            ("rskv-cli-checkpoint-test." + std::to_string(::getpid()));
    base_ = root_ / (std::string(info->test_suite_name()) + "." + info->name());
    std::filesystem::remove_all(base_);
    std::filesystem::create_directories(base_);
    dir_ = (base_ / "store").string();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::filesystem::path root_;
  std::filesystem::path base_;
  std::string dir_;
};

// Purpose: a checkpoint holds exactly lines 1..serial: after a crash (SIGKILL, no final
// checkpoint) --recover prints the CHECKPOINT line's id and serial, and the store has the
// puts, dels and adds before it and none of those after it.
TEST_F(CliCheckpoint, CheckpointHoldsExactlyItsLines) {
  Point point;
  {
    CliProcess cli(kCli, args({}, dir_));
    ASSERT_EQ(cli.request("put a 1"), "OK");  // 1
    ASSERT_EQ(cli.request("put b 2"), "OK");  // 2
    ASSERT_EQ(cli.request("add n 5"), "5");   // 3
    ASSERT_EQ(cli.request("del b"), "OK");    // 4
    ASSERT_EQ(cli.request("put d 4"), "OK");  // 5
    point = checkpoint(cli, "checkpoint", 6);
    ASSERT_EQ(cli.request("put a 9"), "OK");  // 7: after the checkpoint
    ASSERT_EQ(cli.request("put c 3"), "OK");  // 8
    ASSERT_EQ(cli.request("add n 1"), "6");   // 9
    ASSERT_EQ(cli.request("del d"), "OK");    // 10
    // (the shell is killed here: SIGKILL, no final checkpoint)
  }
  CliProcess cli(kCli, args({"--recover"}, dir_));
  EXPECT_EQ(cli.reply(), recovered(point));  // printed before any input
  EXPECT_EQ(cli.request("get a"), "1");
  EXPECT_EQ(cli.request("get b"), "NOT_FOUND");
  EXPECT_EQ(cli.request("get c"), "NOT_FOUND");
  EXPECT_EQ(cli.request("get n"), "5");
  EXPECT_EQ(cli.request("get d"), "4");
  const CliResult r = cli.finish();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

// Purpose: put, checkpoint, quit: quit's final checkpoint is silent and is what --recover
// finds (serial = the quit line's number; lines after quit never run); --checkpoint ID
// recovers the explicit checkpoint with exactly its CHECKPOINT line's id and serial.
TEST_F(CliCheckpoint, QuitTakesFinalCheckpointAndNamedOneRepeatsItsLine) {
  const CliResult first =
      run_cli(kCli, args({}, dir_), "put a 1\ncheckpoint\nput a 2\nquit\nput a 3\ncheckpoint\n");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.err, "");
  ASSERT_EQ(count_lines(first.out), 3u) << first.out;
  const std::string second_line = first.out.substr(3, first.out.find('\n', 3) - 3);
  const std::optional<Point> explicit_point = parse_point("CHECKPOINT", second_line);
  ASSERT_TRUE(explicit_point.has_value()) << first.out;
  EXPECT_EQ(explicit_point->serial, 2u);
  EXPECT_EQ(first.out, "OK\n" + second_line + "\nOK\n");

  {
    CliProcess cli(kCli, args({"--recover"}, dir_));
    const std::optional<Point> final_point = parse_point("RECOVERED", cli.reply());
    ASSERT_TRUE(final_point.has_value());
    EXPECT_GT(final_point->id, explicit_point->id);
    EXPECT_EQ(final_point->serial, 4u);  // the quit line
    EXPECT_EQ(cli.request("get a"), "2");
  }  // SIGKILL: no checkpoint of its own

  CliProcess cli(kCli,
                 args({"--recover", "--checkpoint", std::to_string(explicit_point->id)}, dir_));
  EXPECT_EQ(cli.reply(), recovered(*explicit_point));
  EXPECT_EQ(cli.request("get a"), "1");
}

// Purpose: every line takes the next number — blank, whitespace, malformed, over-long,
// get, a failed checkpoint — and each checkpoint (both kinds, and the default) reports its
// own line number; the recovered state has the effects of those lines only.
TEST_F(CliCheckpoint, SerialCountsEveryLine) {
  Point last;
  {
    CliProcess cli(kCli, args({}, dir_));
    EXPECT_TRUE(cli.request("").starts_with("ERR "));            // 1
    EXPECT_TRUE(cli.request(" \t ").starts_with("ERR "));        // 2
    EXPECT_TRUE(cli.request("bogus x").starts_with("ERR "));     // 3
    EXPECT_EQ(cli.request("put k v"), "OK");                     // 4
    EXPECT_EQ(cli.request("get k"), "v");                        // 5
    EXPECT_EQ(cli.request("get missing"), "NOT_FOUND");          // 6
    EXPECT_TRUE(cli.request("put k").starts_with("ERR "));       // 7
    const Point p8 = checkpoint(cli, "checkpoint", 8);           // 8
    const Point p9 = checkpoint(cli, "checkpoint snapshot", 9);  // 9
    EXPECT_GT(p9.id, p8.id);
    const std::string bad_kind = cli.request("checkpoint bogus");  // 10
    EXPECT_TRUE(bad_kind.starts_with("ERR ")) << bad_kind;
    EXPECT_NE(bad_kind.find("foldover|snapshot"), std::string::npos) << bad_kind;
    const std::string extra = cli.request("checkpoint foldover now");  // 11
    EXPECT_TRUE(extra.starts_with("ERR ")) << extra;
    EXPECT_TRUE(cli.request("\r").starts_with("ERR "));                    // 12
    const Point p13 = checkpoint(cli, " \tcheckpoint\t foldover \r", 13);  // 13
    EXPECT_GT(p13.id, p9.id);
    EXPECT_EQ(cli.request("add c 2"), "2");                                             // 14
    const std::string too_long = cli.request("put huge " + std::string(3 << 20, 'h'));  // 15
    EXPECT_TRUE(too_long.starts_with("ERR ")) << too_long.substr(0, 100);
    EXPECT_EQ(cli.request("put k w"), "OK");  // 16
    last = checkpoint(cli, "checkpoint snapshot", 17);
    EXPECT_GT(last.id, p13.id);
    EXPECT_EQ(cli.request("put k after"), "OK");  // 18, not in the checkpoint
    // (the shell is killed here: SIGKILL, no final checkpoint)
  }
  // The last checkpoint is a snapshot: recovery writes it back to the log. This process
  // numbers its own lines from 1 again: four gets, then a checkpoint on line 5.
  const CliResult r =
      run_cli(kCli, args({"--recover"}, dir_), "get k\nget c\nget huge\nget missing\ncheckpoint\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string expected_start = recovered(last) + "\nw\n2\nNOT_FOUND\nNOT_FOUND\n";
  ASSERT_TRUE(r.out.starts_with(expected_start)) << r.out;
  const std::string tail = r.out.substr(expected_start.size());
  const std::optional<Point> again =
      parse_point("CHECKPOINT", tail.substr(0, tail.empty() ? 0 : tail.size() - 1));
  ASSERT_TRUE(again.has_value()) << r.out;
  EXPECT_EQ(again->serial, 5u);
  EXPECT_GT(again->id, last.id);
  EXPECT_EQ(r.err, "");
}

// Purpose: ids grow with every checkpoint of the directory across processes (explicit and
// final ones, both kinds), each process counts its lines from 1, and each --recover repeats
// the previous process's final checkpoint and holds every round's data.
TEST_F(CliCheckpoint, IdsGrowAcrossProcesses) {
  std::uint64_t last_id = 0;
  std::optional<Point> final_point;
  for (int round = 0; round < 4; ++round) {
    CliProcess cli(kCli, args({"--recover"}, dir_));
    if (!final_point) {
      EXPECT_EQ(cli.reply(), "RECOVERED none 0");  // a missing directory
    } else {
      EXPECT_EQ(cli.reply(), recovered(*final_point));
      last_id = std::max(last_id, final_point->id);
    }
    for (int earlier = 0; earlier < round; ++earlier) {
      EXPECT_EQ(cli.request("get round" + std::to_string(earlier)), std::to_string(earlier));
    }
    const std::uint64_t base = static_cast<std::uint64_t>(round);  // lines so far
    EXPECT_EQ(cli.request("put round" + std::to_string(round) + " " + std::to_string(round)), "OK");
    const Point p =
        checkpoint(cli, round % 2 == 0 ? "checkpoint" : "checkpoint snapshot", base + 2);
    EXPECT_GT(p.id, last_id);
    last_id = p.id;
    EXPECT_EQ(cli.request("get round" + std::to_string(round)), std::to_string(round));
    const CliResult r = cli.finish();  // end of input: a final checkpoint, serial base + 3
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
    // The final checkpoint's id is only seen through the next --recover.
    CliProcess peek(kCli, args({"--recover"}, dir_));
    const std::optional<Point> seen = parse_point("RECOVERED", peek.reply());
    ASSERT_TRUE(seen.has_value());
    EXPECT_GT(seen->id, last_id);
    EXPECT_EQ(seen->serial, base + 3);
    final_point = *seen;
  }  // each peek is killed: it takes no checkpoint
}

// Purpose: end of input takes the final checkpoint with the last line's number, whatever
// that line was (here malformed and without LF); empty input checkpoints serial 0.
TEST_F(CliCheckpoint, EndOfInputTakesFinalCheckpoint) {
  CliResult r = run_cli(kCli, args({}, dir_), "put a 1\nput b 2\n\nadd a x\nget a\nnonsense");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(count_lines(r.out), 6u) << r.out;
  {
    CliProcess cli(kCli, args({"--recover"}, dir_));
    const std::optional<Point> p = parse_point("RECOVERED", cli.reply());
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->serial, 6u);
    EXPECT_EQ(cli.request("get a"), "1");
    EXPECT_EQ(cli.request("get b"), "2");
  }
  const std::string empty_dir = (base_ / "empty-input").string();
  r = run_cli(kCli, args({}, empty_dir), "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  CliProcess cli(kCli, args({"--recover"}, empty_dir));
  const std::optional<Point> p = parse_point("RECOVERED", cli.reply());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->serial, 0u);
}

// Purpose: the memory device keeps nothing: checkpoint replies ERR naming why (and the shell
// goes on), --recover prints RECOVERED none 0, no final checkpoint is written, and its
// directory is neither locked (a file store may be running there) nor refused (one may
// already be there).
TEST_F(CliCheckpoint, MemoryDevice) {
  const std::vector<std::string> memory = {"--device", "memory"};
  {
    CliProcess cli(kCli, args({"--device=memory", "--recover"}, dir_));
    EXPECT_EQ(cli.reply(), "RECOVERED none 0");
    EXPECT_EQ(cli.request("put a 1"), "OK");
    const std::string reply = cli.request("checkpoint");
    EXPECT_TRUE(reply.starts_with("ERR ")) << reply;
    EXPECT_NE(reply.find("memory"), std::string::npos) << reply;
    EXPECT_NE(reply.find("persistent"), std::string::npos) << reply;
    EXPECT_TRUE(cli.request("checkpoint snapshot").starts_with("ERR "));
    EXPECT_EQ(cli.request("get a"), "1");
    // Another memory shell on the same directory at the same time.
    const CliResult other = run_cli(kCli, args(memory, dir_), "put a 2\nget a\n");
    EXPECT_EQ(other.exit_code, 0) << other.err;
    EXPECT_EQ(other.out, "OK\n2\n");
    EXPECT_TRUE(cli.send("quit\n"));
    const CliResult r = cli.finish();
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");  // no final checkpoint, so no failure either
  }
  // Nothing was stored: a file-device shell finds a fresh directory (not refused), and its
  // --recover finds no checkpoint.
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir_) / "rskv.meta"));
  CliResult r = run_cli(kCli, args({"--recover"}, dir_), "get a\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "RECOVERED none 0\nNOT_FOUND\n");

  // Now the directory holds a file store. The memory device neither refuses it (no
  // --recover needed) nor waits for its lock while a file shell holds it.
  CliProcess file_shell(kCli, args({"--recover"}, dir_));
  const std::optional<Point> held = parse_point("RECOVERED", file_shell.reply());
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(file_shell.request("put a file"), "OK");
  r = run_cli(kCli, args(memory, dir_), "get a\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "NOT_FOUND\n");
  r = run_cli(kCli, args({"--device", "memory", "--recover", "--checkpoint", "1"}, dir_), "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "RECOVERED none 0\n");
}

// Purpose: without --recover a directory holding a store is refused with exit 2 and one
// message naming --recover — also when the other options (index policy, a --memory that
// implies another page size) differ from the stored ones; with --recover and another
// --memory the store opens with its stored page size.
TEST_F(CliCheckpoint, ExistingStoreNeedsRecover) {
  CliResult r = run_cli(kCli, args({}, dir_), "put a 1\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--memory", "64MiB"},
        std::vector<std::string>{"--index", "cuckoo"}}) {
    r = run_cli(kCli, args(extra, dir_), "get a\n");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("--recover"), std::string::npos) << r.err;
  }
  r = run_cli(kCli, {"--recover", "--memory", "64MiB", dir_}, "get a\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("RECOVERED ")) << r.out;
  EXPECT_TRUE(r.out.ends_with(" 1\n1\n")) << r.out;
}

// Purpose: --recover on a missing directory (and its parents) or an empty one prints
// RECOVERED none 0 and starts an empty store there, which later recovers normally.
TEST_F(CliCheckpoint, RecoverMissingOrEmptyDirectory) {
  const std::string nested = (base_ / "a" / "b" / "store").string();
  CliResult r = run_cli(kCli, args({"--recover"}, nested), "get a\nput a 1\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "RECOVERED none 0\nNOT_FOUND\nOK\n");
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(std::filesystem::is_directory(nested));
  r = run_cli(kCli, args({"--recover"}, nested), "get a\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("RECOVERED ")) << r.out;
  EXPECT_TRUE(r.out.ends_with(" 2\n1\n")) << r.out;

  const std::string empty = (base_ / "empty").string();
  std::filesystem::create_directories(empty);
  r = run_cli(kCli, args({"--recover"}, empty), "get a\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "RECOVERED none 0\nNOT_FOUND\n");
}

// Purpose: --checkpoint N recovers an older checkpoint; the newer one is abandoned: a later
// plain --recover comes back to N (not to the newer one, even when the process that
// recovered N died without a checkpoint of its own), the newer one cannot be named any more,
// and the next checkpoint's id is still larger than every earlier one.
TEST_F(CliCheckpoint, OlderCheckpointAbandonsNewerOnes) {
  Point older, newer;
  {
    CliProcess cli(kCli, args({}, dir_));
    ASSERT_EQ(cli.request("put a 1"), "OK");  // 1
    older = checkpoint(cli, "checkpoint", 2);
    ASSERT_EQ(cli.request("put a 2"), "OK");  // 3
    ASSERT_EQ(cli.request("put b 2"), "OK");  // 4
    newer = checkpoint(cli, "checkpoint snapshot", 5);
    ASSERT_GT(newer.id, older.id);
    // (the shell is killed here: SIGKILL, no final checkpoint)
  }
  {
    CliProcess cli(kCli, args({"--recover", "--checkpoint=" + std::to_string(older.id)}, dir_));
    EXPECT_EQ(cli.reply(), recovered(older));
    EXPECT_EQ(cli.request("get a"), "1");
    EXPECT_EQ(cli.request("get b"), "NOT_FOUND");
    EXPECT_EQ(cli.request("put z 1"), "OK");
    // (the shell is killed here: SIGKILL, no final checkpoint)
  }
  {
    CliProcess cli(kCli, args({"--recover"}, dir_));
    EXPECT_EQ(cli.reply(), recovered(older));
    EXPECT_EQ(cli.request("get a"), "1");
    EXPECT_EQ(cli.request("get b"), "NOT_FOUND");
    EXPECT_EQ(cli.request("get z"), "NOT_FOUND");
    // (the shell is killed here: SIGKILL, no final checkpoint)
  }
  CliResult r =
      run_cli(kCli, args({"--recover", "--checkpoint", std::to_string(newer.id)}, dir_), "get a\n");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(std::to_string(newer.id)), std::string::npos) << r.err;

  CliProcess cli(kCli, args({"--recover"}, dir_));
  EXPECT_EQ(cli.reply(), recovered(older));
  const Point next = checkpoint(cli, "checkpoint", 1);
  EXPECT_GT(next.id, newer.id);
}

// Purpose: a failed checkpoint replies ERR and the shell goes on; a failed final checkpoint
// is reported on stderr with exit status 1. (The store's checkpoints/ directory is replaced
// by a regular file while the shell runs.)
TEST_F(CliCheckpoint, FailedCheckpoints) {
  CliProcess cli(kCli, args({}, dir_));
  ASSERT_EQ(cli.request("put a 1"), "OK");
  checkpoint(cli, "checkpoint", 2);
  const std::filesystem::path checkpoints = std::filesystem::path(dir_) / "checkpoints";
  ASSERT_TRUE(std::filesystem::is_directory(checkpoints));
  std::filesystem::remove_all(checkpoints);
  std::ofstream(checkpoints) << "not a directory\n";
  const std::string reply = cli.request("checkpoint");
  EXPECT_TRUE(reply.starts_with("ERR checkpoint: ")) << reply;
  EXPECT_EQ(cli.request("get a"), "1");
  EXPECT_TRUE(cli.send("quit\n"));
  const CliResult r = cli.finish();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("final checkpoint"), std::string::npos) << r.err;
}

// Purpose: --checkpoint needs --recover and a positive integer; each misuse exits 2 with one
// message on stderr naming the option.
TEST_F(CliCheckpoint, CheckpointOptionMisuse) {
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"--checkpoint", "3", dir_}, "--recover"},
      {{"--checkpoint=3", dir_}, "--recover"},
      {{"--recover", "--checkpoint", "0", dir_}, "'0' is not a checkpoint id"},
      {{"--recover", "--checkpoint", "-1", dir_}, "'-1' is not a checkpoint id"},
      {{"--recover", "--checkpoint", "+1", dir_}, "'+1' is not a checkpoint id"},
      {{"--recover", "--checkpoint", "abc", dir_}, "'abc' is not a checkpoint id"},
      {{"--recover", "--checkpoint=", dir_}, "'' is not a checkpoint id"},
      {{"--recover", "--checkpoint", "99999999999999999999", dir_}, "not a checkpoint id"},
      {{"--recover", dir_, "--checkpoint"}, "--checkpoint needs a value"},
      {{"--recover=yes", dir_}, "takes no value"},
  };
  for (const Case& c : cases) {
    const CliResult r = run_cli(kCli, c.args, "get a\n");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << "'" << c.needle << "' not in " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_));  // refused before touching DIR
  // A named checkpoint the store does not have: the store's error naming it, exit 2.
  CliResult r = run_cli(kCli, args({}, dir_), "checkpoint\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli(kCli, args({"--recover", "--checkpoint", "77"}, dir_), "get a\n");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("77"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace rskv::cli
