#pragma once
// The rskv-cli command loop: reads lines, parses them (protocol.h), runs them on one store
// session, and writes one reply line per command, flushed at once so that a program driving
// the shell through a pipe sees each reply before it sends the next line.
//
// Every input line — blank, malformed, too long or a command — takes the next line number,
// starting at 1 (line_number()). Checkpoints (issue 8) report that number as their serial,
// so the numbering lives here, not in the store session (whose serial counts operations).
//
// Session is a store session as in components/store/store.h (get, upsert, rmw_sync, remove).
// Single-threaded: the shell and its session belong to the thread that calls run().

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "components/common/status.h"
#include "components/store/value_builder.h"
#include "tools/rskv-cli/line_reader.h"
#include "tools/rskv-cli/protocol.h"

namespace rskv::cli {

template <class Session>
class Shell {
 public:
  Shell(Session& session, const Limits& limits, std::FILE* out)
      : session_(session), limits_(limits), out_(out) {}

  /// Runs commands until quit or end of input. Returns the process exit status: 0, or 1
  /// when reading input or writing a reply failed (reported on stderr).
  int run(LineReader& in) {
    std::string line;
    for (;;) {
      bool truncated = false;
      const LineReader::Outcome outcome = in.next(line, &truncated);
      if (outcome == LineReader::Outcome::kEnd) return 0;
      if (outcome == LineReader::Outcome::kError) {
        std::fprintf(stderr, "rskv-cli: cannot read standard input: %s\n",
                     std::strerror(in.error()));
        return 1;
      }
      ++line_number_;
      Result<Request> request = parse_request(line, limits_, truncated);
      bool written = false;
      if (!request) {
        written = reply_error(request.error().message);
      } else if (request.value().command == Command::kQuit) {
        return 0;
      } else {
        written = execute(request.value());
      }
      if (!written) {
        std::fprintf(stderr, "rskv-cli: cannot write to standard output: %s\n",
                     std::strerror(errno));
        return 1;
      }
    }
  }

  /// Number of input lines read so far (the serial of the last one).
  [[nodiscard]] std::uint64_t line_number() const { return line_number_; }

 private:
  // Runs one parsed command and writes its reply; false when writing failed.
  bool execute(const Request& request) {
    switch (request.command) {
      case Command::kPut: {
        const Status status = session_.upsert(request.key, request.value);
        return status == Status::Ok ? reply("OK") : reply_status("put", status);
      }
      case Command::kGet: {
        const Status status = session_.get(request.key, value_);
        if (status == Status::Ok) return reply(value_);
        if (status == Status::NotFound) return reply("NOT_FOUND");
        return reply_status("get", status);
      }
      case Command::kDel: {
        const Status status = session_.remove(request.key);
        if (status == Status::Ok || status == Status::NotFound) return reply("OK");
        return reply_status("del", status);
      }
      case Command::kAdd:
        return add(request.key, request.delta);
      case Command::kQuit:
        break;  // handled by run()
    }
    return true;
  }

  // RMW: the update function declines (nothing written) when the stored value is not a
  // decimal int64 or the sum overflows. It may run more than once when the store retries;
  // the last run decides, and its outcome is what the captured variables hold.
  bool add(std::string_view key, std::int64_t delta) {
    AddFailure failure = AddFailure::kNone;
    std::string result;
    const Status status =
        session_.rmw_sync(key, [&](const std::string_view* old, ValueBuilder& out) -> bool {
          const std::optional<std::int64_t> sum = add_to_stored(old, delta, &failure);
          if (!sum) return false;
          result = format_int64(*sum);
          out.assign(result);
          return true;
        });
    if (status == Status::Ok) return reply(result);
    if (status == Status::Aborted && failure != AddFailure::kNone) {
      return reply_error(add_failure_message(failure, delta));
    }
    return reply_status("add", status);
  }

  bool reply_status(std::string_view command, Status status) {
    std::string message =
        std::string(command) + ": the store returned " + std::string(to_string(status));
    if (status == Status::InvalidArgument) message += " (key or value over the store's limit)";
    return reply_error(message);
  }

  bool reply_error(std::string_view message) { return reply("ERR ", message); }

  // Writes first, second and LF, then flushes; false when any of it failed.
  bool reply(std::string_view first, std::string_view second = {}) {
    return write(first) && write(second) && std::fputc('\n', out_) != EOF && std::fflush(out_) == 0;
  }

  // (An empty view may hold a null pointer, which fwrite must not be given.)
  bool write(std::string_view text) {
    return text.empty() || std::fwrite(text.data(), 1, text.size(), out_) == text.size();
  }

  Session& session_;
  Limits limits_;
  std::FILE* out_;
  std::string value_;  // reused by get
  std::uint64_t line_number_ = 0;
};

}  // namespace rskv::cli
