#include "experiments/rskv-bench/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace rskv::bench {

std::string format_clock(double seconds) {
  const auto s = static_cast<long>(std::max(0.0, std::round(seconds)));
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

Progress::Progress(std::size_t total_runs, double planned_seconds_per_run, std::FILE* out)
    : total_(total_runs),
      planned_per_run_(planned_seconds_per_run),
      out_(out),
      tty_(::isatty(::fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()) {}

double Progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progress::eta() const {
  const std::size_t left = total_ - finished_;
  // Measured pace once a run has finished; the configured warm-up + duration before. The
  // time already spent in the current run counts against it.
  const double per_run = finished_ > 0 ? (elapsed() - run_seconds_) / static_cast<double>(finished_)
                                       : planned_per_run_;
  if (per_run <= 0) return "?";
  const double current = finished_ < index_ ? std::min(run_seconds_, per_run) : 0;
  std::string out = "~";
  out += format_clock(per_run * static_cast<double>(left) - current);
  return out;
}

void Progress::start_run(std::size_t index, std::string what) {
  index_ = index;
  run_seconds_ = 0;
  what_ = std::move(what);
  if (!tty_) {
    std::fprintf(out_, "run %zu/%zu: %s\n", index_, total_, what_.c_str());
    std::fflush(out_);
  } else {
    draw("start");
  }
}

void Progress::tick(std::string_view phase, double run_seconds) {
  run_seconds_ = run_seconds;
  if (tty_) draw(phase);
}

void Progress::finish_run(std::string_view summary) {
  ++finished_;
  run_seconds_ = 0;
  if (tty_) clear_line();
  std::fprintf(out_, "run %zu/%zu: %s -> %.*s [elapsed %s, left %s]\n", index_, total_,
               what_.c_str(), static_cast<int>(summary.size()), summary.data(),
               format_clock(elapsed()).c_str(), eta().c_str());
  std::fflush(out_);
}

void Progress::done() {
  if (tty_) clear_line();
}

void Progress::draw(std::string_view phase) {
  char head[128];
  std::snprintf(head, sizeof head, "[run %zu of %zu | elapsed %s | left %s] %.*s: ", index_, total_,
                format_clock(elapsed()).c_str(), eta().c_str(), static_cast<int>(phase.size()),
                phase.data());
  std::string line = head + what_;
  if (line.size() > 160) line.resize(160);
  clear_line();
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
  drawn_ = line.size();
}

void Progress::clear_line() {
  if (drawn_ == 0) return;
  std::fprintf(out_, "\r%*s\r", static_cast<int>(drawn_), "");
  drawn_ = 0;
}

}  // namespace rskv::bench
