#pragma once
// Progress of a sweep on stderr: on a terminal, one line rewritten in place ("run 3 of 12,
// elapsed, estimated time left" and what runs now); otherwise one plain line per finished
// run, so that logs stay readable.

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace rskv::bench {

class Progress {
 public:
  Progress(std::size_t total_runs, double planned_seconds_per_run, std::FILE* out);

  /// A run starts: `what` names it (label, cell values, repeat).
  void start_run(std::size_t index, std::string what);
  /// The running run is in `phase` (generate, load, warm-up, measure).
  void tick(std::string_view phase, double run_seconds);
  /// A run finished with this one-line summary.
  void finish_run(std::string_view summary);
  /// Ends the display (clears the live line).
  void done();

  [[nodiscard]] bool is_tty() const { return tty_; }

 private:
  [[nodiscard]] double elapsed() const;
  [[nodiscard]] std::string eta() const;
  void draw(std::string_view phase);
  void clear_line();

  std::size_t total_;
  double planned_per_run_;
  std::FILE* out_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::size_t index_ = 0;     // 1-based index of the current run
  std::size_t finished_ = 0;  // runs finished
  double run_seconds_ = 0;    // time spent in the current run (last tick)
  std::string what_;
  std::size_t drawn_ = 0;  // characters of the live line on screen
};

/// "1:05" or "1:02:05".
std::string format_clock(double seconds);

}  // namespace rskv::bench
