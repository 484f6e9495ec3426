// Unit tests of rskv-cli's bounded line reader (tools/rskv-cli/line_reader.h), fed through a
// pipe by a writer thread so that lines arrive split across reads.

#include "tools/rskv-cli/line_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

namespace rskv::cli {
namespace {

struct Read {
  std::string line;
  bool truncated;
};

// Writes `input` into a pipe in chunks of `chunk` bytes and reads every line back.
std::vector<Read> read_all(const std::string& input, std::size_t max_line, std::size_t chunk) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  std::thread writer([&] {
    for (std::size_t i = 0; i < input.size(); i += chunk) {
      const std::size_t n = std::min(chunk, input.size() - i);
      EXPECT_EQ(::write(fds[1], input.data() + i, n), static_cast<ssize_t>(n));
    }
    ::close(fds[1]);
  });
  LineReader reader(fds[0], max_line);
  std::vector<Read> out;
  std::string line;
  bool truncated = false;
  LineReader::Outcome outcome;
  while ((outcome = reader.next(line, &truncated)) == LineReader::Outcome::kLine) {
    out.push_back({line, truncated});
  }
  EXPECT_EQ(outcome, LineReader::Outcome::kEnd);
  writer.join();
  ::close(fds[0]);
  return out;
}

// Purpose: lines split at LF; empty lines are lines; a last line without LF counts; bytes
// (CR, NUL) pass through unchanged.
TEST(LineReader, SplitsLines) {
  const std::string input = std::string("put a 1\n\nget a\r\nx\0y\nlast", 24);
  for (std::size_t chunk : {1u, 3u, 1000u}) {
    const std::vector<Read> lines = read_all(input, 100, chunk);
    ASSERT_EQ(lines.size(), 5u) << chunk;
    EXPECT_EQ(lines[0].line, "put a 1");
    EXPECT_EQ(lines[1].line, "");
    EXPECT_EQ(lines[2].line, "get a\r");
    EXPECT_EQ(lines[3].line, std::string("x\0y", 3));
    EXPECT_EQ(lines[4].line, "last");
    for (const Read& r : lines) EXPECT_FALSE(r.truncated);
  }
}

// Purpose: no input is end of input at once; a lone LF is one empty line.
TEST(LineReader, EmptyInput) {
  EXPECT_TRUE(read_all("", 10, 1).empty());
  const std::vector<Read> one = read_all("\n", 10, 1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].line, "");
}

// Purpose: a line over the bound keeps its beginning, is marked, and the next line is
// read intact; a line of exactly the bound is not truncated.
TEST(LineReader, TruncatesLongLines) {
  const std::string big(300000, 'v');
  const std::string input = "put k " + big + "\n0123456789\nnext\n";
  const std::vector<Read> lines = read_all(input, 10, 4096);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].line, "put k vvvv");
  EXPECT_TRUE(lines[0].truncated);
  EXPECT_EQ(lines[1].line, "0123456789");
  EXPECT_FALSE(lines[1].truncated);
  EXPECT_EQ(lines[2].line, "next");
  EXPECT_FALSE(lines[2].truncated);
}

}  // namespace
}  // namespace rskv::cli
