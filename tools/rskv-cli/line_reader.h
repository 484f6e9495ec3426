#pragma once
// LineReader: reads LF-terminated lines from a file descriptor (rskv-cli's standard input)
// with bounded memory. A line longer than the bound is not buffered whole: its first
// max_line_bytes bytes are kept, the rest is read and discarded, and the caller is told it
// was truncated (the shell then replies ERR naming the key or value limit). A last line
// without a final LF is still a line. Not thread-safe; one reader per descriptor.

#include <cstddef>
#include <string>
#include <vector>

namespace rskv::cli {

class LineReader {
 public:
  enum class Outcome {
    kLine,   // `line` holds the next line, without its LF
    kEnd,    // end of input, nothing more
    kError,  // read(2) failed; error() holds errno
  };

  LineReader(int fd, std::size_t max_line_bytes);

  /// Reads the next line into `line` (replacing its contents). *truncated is set when the
  /// line was longer than max_line_bytes and only its beginning is in `line`.
  Outcome next(std::string& line, bool* truncated);

  [[nodiscard]] int error() const { return error_; }

 private:
  bool fill();  // reads more input into buffer_; false at end of input or on error

  int fd_;
  std::size_t max_line_bytes_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // unconsumed bytes are buffer_[begin_, end_)
  std::size_t end_ = 0;
  bool at_end_ = false;
  int error_ = 0;
};

}  // namespace rskv::cli
