// Unit tests of rskv-cli's command-line parsing (tools/rskv-cli/options.h) and of the
// store-directory check (tools/rskv-cli/directory.h).

#include "tools/rskv-cli/options.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "tools/rskv-cli/directory.h"

namespace rskv::cli {
namespace {

Result<Options> parse(std::vector<std::string_view> args) {
  return parse_options(args);
}

std::string error_of(std::vector<std::string_view> args) {
  Result<Options> r = parse(std::move(args));
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string() : r.error().message;
}

// Purpose: with only DIR, every option has its documented default.
TEST(ParseOptions, Defaults) {
  Result<Options> r = parse({"/tmp/store"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().dir, "/tmp/store");
  EXPECT_EQ(r.value().index, "chained");
  EXPECT_EQ(r.value().device, "file");
  EXPECT_EQ(r.value().gc, "none");
  EXPECT_EQ(r.value().memory_bytes, 64u << 20);
  EXPECT_FALSE(r.value().recover);
  EXPECT_EQ(r.value().checkpoint_id, 0u);
  EXPECT_FALSE(r.value().help);
}

// Purpose: --recover is a flag; --checkpoint ID takes a positive decimal id and needs
// --recover (in any order).
TEST(ParseOptions, RecoverAndCheckpoint) {
  Result<Options> r = parse({"--recover", "d"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r.value().recover);
  EXPECT_EQ(r.value().checkpoint_id, 0u);

  r = parse({"--checkpoint", "12", "d", "--recover"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r.value().recover);
  EXPECT_EQ(r.value().checkpoint_id, 12u);
  r = parse({"--recover", "--checkpoint=007", "d"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().checkpoint_id, 7u);

  EXPECT_EQ(error_of({"--checkpoint", "3", "d"}),
            "--checkpoint 3 needs --recover: it names the checkpoint to recover (rskv-cli "
            "--recover --checkpoint ID DIR)");
  for (std::string_view bad : {"0", "-1", "+1", "", "x", "1x", "1.0", "99999999999999999999"}) {
    const std::string message = error_of({"--recover", "--checkpoint", bad, "d"});
    EXPECT_NE(message.find("--checkpoint: '" + std::string(bad) + "' is not a checkpoint id"),
              std::string::npos)
        << message;
  }
  EXPECT_NE(error_of({"--recover", "d", "--checkpoint"}).find("--checkpoint needs a value"),
            std::string::npos);
  EXPECT_NE(error_of({"--recover=1", "d"}).find("takes no value"), std::string::npos);
}

// Purpose: --opt VALUE and --opt=VALUE both work, before or after DIR; the last one wins.
TEST(ParseOptions, BothValueForms) {
  Result<Options> r = parse({"--index", "cuckoo", "--device=file", "d", "--gc=compact", "--memory",
                             "128MiB", "--index=chained"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().dir, "d");
  EXPECT_EQ(r.value().index, "chained");
  EXPECT_EQ(r.value().device, "file");
  EXPECT_EQ(r.value().gc, "compact");
  EXPECT_EQ(r.value().memory_bytes, 128u << 20);
  EXPECT_EQ(r.value().memory_text, "128MiB");

  Result<Options> eq = parse({"--memory=4096", "d"});
  ASSERT_TRUE(eq.ok());
  EXPECT_EQ(eq.value().memory_bytes, 4096u);
  // A value may itself start with dashes or contain '='.
  Result<Options> odd = parse({"--index", "--x=y", "d"});
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd.value().index, "--x=y");
}

// Purpose: "--" ends the options, so DIR may start with a dash.
TEST(ParseOptions, DoubleDash) {
  Result<Options> r = parse({"--", "--odd-dir"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().dir, "--odd-dir");
}

// Purpose: each bad invocation has one message naming the problem.
TEST(ParseOptions, Errors) {
  EXPECT_NE(error_of({"--bogus", "d"}).find("unknown option '--bogus'"), std::string::npos);
  EXPECT_NE(error_of({"--bogus=1", "d"}).find("unknown option '--bogus'"), std::string::npos);
  EXPECT_NE(error_of({"-x", "d"}).find("unknown option '-x'"), std::string::npos);
  EXPECT_NE(error_of({}).find("missing DIR"), std::string::npos);
  EXPECT_NE(error_of({"--index", "chained"}).find("missing DIR"), std::string::npos);
  EXPECT_NE(error_of({"a", "b"}).find("more than one DIR"), std::string::npos);
  EXPECT_NE(error_of({"d", "--memory"}).find("--memory needs a value"), std::string::npos);
  EXPECT_NE(error_of({"--memory", "12XB", "d"}).find("'12XB' is not a size"), std::string::npos);
  EXPECT_NE(error_of({"--memory=", "d"}).find("is not a size"), std::string::npos);
  EXPECT_NE(error_of({"--help=yes"}).find("takes no value"), std::string::npos);
  EXPECT_NE(error_of({""}).find("empty"), std::string::npos);
}

// Purpose: --help and -h need no DIR.
TEST(ParseOptions, Help) {
  Result<Options> r = parse({"--help"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().help);
  EXPECT_TRUE(parse({"-h"}).value().help);
  const std::string text = usage();
  for (std::string_view word :
       {"--index", "--device", "--gc", "--memory", "--recover", "--checkpoint ID", "put K V",
        "add K N", "checkpoint [foldover|snapshot]", "CHECKPOINT <id> <serial>",
        "RECOVERED <id> <serial>", "RECOVERED none 0"}) {
    EXPECT_NE(text.find(word), std::string::npos) << word;
  }
}

class StoreDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    base_ = std::filesystem::temp_directory_path() /
            ("rskv-cli-options-test." + std::to_string(::getpid())) /
            (std::string(info->test_suite_name()) + "." + info->name());
    std::filesystem::remove_all(base_);
    std::filesystem::create_directories(base_);
  }
  void TearDown() override { std::filesystem::remove_all(base_.parent_path()); }
  std::filesystem::path base_;
  device::OsFileSystem fs_;
};

// Purpose: a missing directory is created with its parents and left writable and empty.
TEST_F(StoreDirectory, CreatesMissing) {
  const auto dir = base_ / "a" / "b";
  ASSERT_TRUE(prepare_store_directory(fs_, dir.string()).ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  EXPECT_TRUE(std::filesystem::is_empty(dir));                   // the probe file is gone
  EXPECT_TRUE(prepare_store_directory(fs_, dir.string()).ok());  // existing is fine
}

// Purpose: paths that cannot be a writable directory fail with a message naming the path
// (root ignores permission bits, so these use a regular file and /proc).
TEST_F(StoreDirectory, RefusesUnwritable) {
  const auto file = base_ / "file";
  std::ofstream(file) << "x";
  for (const std::string& bad :
       {(file / "sub").string(), file.string(), std::string("/proc/rskv-cli-test")}) {
    Result<void> r = prepare_store_directory(fs_, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("'" + bad + "'"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace rskv::cli
