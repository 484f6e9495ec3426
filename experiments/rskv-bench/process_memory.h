#pragma once
// Peak resident set size per run. rskv-bench runs every system in one process, so the
// kernel's high-water mark (VmHWM in /proc/self/status) would otherwise carry the largest
// earlier run into every later row. Before each run the runner returns freed heap to the
// kernel (malloc_trim) and resets the mark by writing "5" to /proc/self/clear_refs (Linux
// 4.0 and later); at the end of the run it reads VmHWM. When the reset is refused (an older
// kernel, a locked-down /proc), the figure is the process's peak since it started and the
// row's peak_rss_scope says "process" instead of "run".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rskv::bench {

/// A "Name:   1234 kB" field of /proc/<pid>/status text, in bytes (nullopt when absent or
/// not in kB).
std::optional<std::uint64_t> parse_status_bytes(std::string_view status_text,
                                                std::string_view field);

/// The field of /proc/self/status in bytes ("VmHWM", "VmRSS"); nullopt when unreadable.
std::optional<std::uint64_t> self_status_bytes(std::string_view field);

/// Returns freed heap to the kernel, then resets VmHWM to the current resident size.
/// "" on success, otherwise why the reset did not happen.
std::string reset_peak_rss();

/// One run's peak: reset at construction, read by peak().
class PeakRssWindow {
 public:
  PeakRssWindow();
  /// VmHWM now (bytes); nullopt when /proc/self/status cannot be read.
  [[nodiscard]] std::optional<std::uint64_t> peak() const { return self_status_bytes("VmHWM"); }
  /// "run" when the mark was reset at construction, "process" when it was not.
  [[nodiscard]] std::string_view scope() const { return reset_error_.empty() ? "run" : "process"; }
  /// Why the reset failed ("" when it worked).
  [[nodiscard]] const std::string& reset_error() const { return reset_error_; }
  /// The resident size right after the reset (what the process held before the run).
  [[nodiscard]] std::optional<std::uint64_t> rss_at_start() const { return rss_at_start_; }

 private:
  std::string reset_error_;
  std::optional<std::uint64_t> rss_at_start_;
};

}  // namespace rskv::bench
