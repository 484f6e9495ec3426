#pragma once
// The rskv-cli command loop: reads lines, parses them (protocol.h), runs them on one store
// session, and writes one reply line per command, flushed at once so that a program driving
// the shell through a pipe sees each reply before it sends the next line.
//
// Serial numbers (issue 8): every input line — blank, malformed, too long or a command —
// takes the next line number, starting at 1 in every process (line_number()). Before line
// L runs, the session's serial is set to L - 1, so the store operation of that line (if any)
// takes serial L; a `checkpoint` line sets it to L and passes the session as the checkpoint's
// caller, so the session's CPR point, and the serial the checkpoint records for it, is L:
// the checkpoint holds exactly the effects of lines 1..L. `quit` and end of input take a
// final checkpoint the same way (serial = the last line read), silently.
//
// StoreT is an rskv::Store (components/store/store.h); on a device that keeps nothing
// (DeviceType::kPersistent false) `checkpoint` replies ERR with the store's reason and no
// final checkpoint is taken. Single-threaded: the shell and its session belong to the
// thread that calls run().

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "components/common/status.h"
#include "components/store/config.h"
#include "components/store/value_builder.h"
#include "tools/rskv-cli/line_reader.h"
#include "tools/rskv-cli/protocol.h"

namespace rskv::cli {

template <class StoreT>
class Shell {
 public:
  using Session = typename StoreT::Session;
  static constexpr bool kPersistent = StoreT::DeviceType::kPersistent;

  /// report_recovery: run() first prints `RECOVERED <id> <serial>` (the store's recovered
  /// checkpoint and the serial it holds for `session`) or `RECOVERED none 0`.
  Shell(StoreT& store, Session& session, const Limits& limits, std::FILE* out, bool report_recovery)
      : store_(store),
        session_(session),
        limits_(limits),
        out_(out),
        report_recovery_(report_recovery) {}

  /// Runs commands until quit or end of input, then takes the final checkpoint. Returns the
  /// process exit status: 0, or 1 when reading input, writing a reply or the final
  /// checkpoint failed (reported on stderr).
  int run(LineReader& in) {
    if (report_recovery_ && !reply_recovery()) return output_failed();
    std::string line;
    for (;;) {
      bool truncated = false;
      const LineReader::Outcome outcome = in.next(line, &truncated);
      if (outcome == LineReader::Outcome::kEnd) return final_checkpoint();
      if (outcome == LineReader::Outcome::kError) {
        std::fprintf(stderr, "rskv-cli: cannot read standard input: %s\n",
                     std::strerror(in.error()));
        return 1;
      }
      ++line_number_;
      session_.set_serial(line_number_ - 1);  // this line's operation takes serial L
      Result<Request> request = parse_request(line, limits_, truncated);
      bool written = false;
      if (!request) {
        written = reply_error(request.error().message);
      } else if (request.value().command == Command::kQuit) {
        return final_checkpoint();
      } else {
        written = execute(request.value());
      }
      if (!written) return output_failed();
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
      case Command::kCheckpoint:
        return checkpoint(request.checkpoint);
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

  // Takes a checkpoint whose CPR point for this session is the current line; replies
  // CHECKPOINT <id> <serial> once it is durable, or ERR with the store's reason.
  bool checkpoint(CheckpointMode mode) {
    Result<typename StoreT::CheckpointInfo> info = take_checkpoint(mode);
    if (!info) return reply_error("checkpoint: " + info.error().message);
    return reply("CHECKPOINT " + std::to_string(info.value().id) + " " +
                 std::to_string(info.value().serial_of(session_.id())));
  }

  Result<typename StoreT::CheckpointInfo> take_checkpoint(CheckpointMode mode) {
    session_.set_serial(line_number_);
    typename StoreT::CheckpointRequest request;
    request.kind =
        mode == CheckpointMode::kSnapshot ? CheckpointKind::Snapshot : CheckpointKind::FoldOver;
    return store_.checkpoint(request, &session_);
  }

  // After quit or end of input: a fold-over checkpoint up to the last line read, on a
  // device that keeps data. Returns the exit status.
  int final_checkpoint() {
    if constexpr (kPersistent) {
      Result<typename StoreT::CheckpointInfo> info = take_checkpoint(CheckpointMode::kFoldOver);
      if (!info) {
        std::fprintf(stderr, "rskv-cli: the final checkpoint (serial %llu) failed: %s\n",
                     static_cast<unsigned long long>(line_number_),
                     one_line(info.error().message).c_str());
        return 1;
      }
    }
    return 0;
  }

  bool reply_recovery() {
    const auto& recovery = store_.recovery();
    if (recovery.checkpoint_id == 0) return reply("RECOVERED none 0");
    return reply("RECOVERED " + std::to_string(recovery.checkpoint_id) + " " +
                 std::to_string(recovery.serial_of(session_.id())));
  }

  static int output_failed() {
    std::fprintf(stderr, "rskv-cli: cannot write to standard output: %s\n", std::strerror(errno));
    return 1;
  }

  // Line breaks in a message from the store would split a reply line: they become spaces.
  static std::string one_line(std::string text) {
    for (char& c : text) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return text;
  }

  bool reply_status(std::string_view command, Status status) {
    std::string message =
        std::string(command) + ": the store returned " + std::string(to_string(status));
    if (status == Status::InvalidArgument) message += " (key or value over the store's limit)";
    return reply_error(message);
  }

  bool reply_error(std::string_view message) {
    return reply("ERR ", one_line(std::string(message)));
  }

  // Writes first, second and LF, then flushes; false when any of it failed.
  bool reply(std::string_view first, std::string_view second = {}) {
    return write(first) && write(second) && std::fputc('\n', out_) != EOF && std::fflush(out_) == 0;
  }

  // (An empty view may hold a null pointer, which fwrite must not be given.)
  bool write(std::string_view text) {
    return text.empty() || std::fwrite(text.data(), 1, text.size(), out_) == text.size();
  }

  StoreT& store_;
  Session& session_;
  Limits limits_;
  std::FILE* out_;
  bool report_recovery_;
  std::string value_;  // reused by get
  std::uint64_t line_number_ = 0;
};

}  // namespace rskv::cli
