#include "tools/rskv-cli/line_reader.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rskv::cli {

namespace {
constexpr std::size_t kBufferBytes = 64 * 1024;
}  // namespace

LineReader::LineReader(int fd, std::size_t max_line_bytes)
    : fd_(fd), max_line_bytes_(max_line_bytes), buffer_(kBufferBytes) {}

bool LineReader::fill() {
  if (at_end_ || error_ != 0) return false;
  begin_ = 0;
  end_ = 0;
  for (;;) {
    const ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
    if (n > 0) {
      end_ = static_cast<std::size_t>(n);
      return true;
    }
    if (n == 0) {
      at_end_ = true;
      return false;
    }
    if (errno != EINTR) {
      error_ = errno;
      return false;
    }
  }
}

LineReader::Outcome LineReader::next(std::string& line, bool* truncated) {
  line.clear();
  *truncated = false;
  bool any = false;  // saw at least one byte of this line (or its LF)
  for (;;) {
    if (begin_ == end_ && !fill()) {
      if (error_ != 0) return Outcome::kError;
      return any ? Outcome::kLine : Outcome::kEnd;
    }
    any = true;
    const char* start = buffer_.data() + begin_;
    const std::size_t available = end_ - begin_;
    const void* lf = std::memchr(start, '\n', available);
    const std::size_t take =
        lf != nullptr ? static_cast<std::size_t>(static_cast<const char*>(lf) - start) : available;
    const std::size_t room = max_line_bytes_ - line.size();
    if (take > room) *truncated = true;
    line.append(start, take < room ? take : room);
    begin_ += take;
    if (lf != nullptr) {
      ++begin_;  // the LF itself
      return Outcome::kLine;
    }
  }
}

}  // namespace rskv::cli
