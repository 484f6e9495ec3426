#include "experiments/rskv-bench/process_memory.h"

#include <malloc.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace rskv::bench {

std::optional<std::uint64_t> parse_status_bytes(std::string_view text, std::string_view field) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.starts_with(field) || line.size() <= field.size() || line[field.size()] != ':') {
      continue;
    }
    line.remove_prefix(field.size() + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    std::uint64_t kib = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), kib);
    if (ec != std::errc() || end == line.data()) return std::nullopt;
    std::string_view unit(end, static_cast<std::size_t>(line.data() + line.size() - end));
    while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    while (!unit.empty() && (unit.back() == ' ' || unit.back() == '\r')) unit.remove_suffix(1);
    if (unit != "kB") return std::nullopt;
    return kib * 1024;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> self_status_bytes(std::string_view field) {
  std::ifstream in("/proc/self/status");
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_status_bytes(ss.str(), field);
}

std::string reset_peak_rss() {
  ::malloc_trim(0);  // freed heap of earlier runs would otherwise count as this run's
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) {
    return std::string("cannot open /proc/self/clear_refs (") + std::strerror(errno) + ")";
  }
  const bool wrote = std::fputs("5", f) >= 0;
  const int write_errno = errno;
  // The write happens at fclose (buffered); its error shows there.
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) {
    return std::string("writing 5 to /proc/self/clear_refs failed (") +
           std::strerror(wrote ? errno : write_errno) + ")";
  }
  return "";
}

PeakRssWindow::PeakRssWindow() : reset_error_(reset_peak_rss()) {
  rss_at_start_ = self_status_bytes("VmRSS");
  if (!reset_error_.empty()) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) {
      std::fprintf(stderr,
                   "rskv-bench: cannot reset the peak resident set size between runs: %s; "
                   "peak_rss_bytes is the process's peak so far (peak_rss_scope = process)\n",
                   reset_error_.c_str());
    }
  }
}

}  // namespace rskv::bench
