#pragma once
// The results folder: results.csv (one row per run, written as runs finish), results.json
// (resolved config, machine, build, git commit and the same rows; rewritten after every
// run so that an interrupted sweep keeps what it measured) and timeline.csv.
//
// The CSV columns are a contract (issue 5): kCsvColumns in this order, then one column per
// swept key that is not already a column, then the driver's extra columns (kExtraColumns).

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "components/common/result.h"

namespace rskv::bench {

inline constexpr std::string_view kCsvColumns[] = {
    "system",         "label",   "index",   "device",   "gc",         "workload",
    "distribution",   "threads", "records", "key_size", "value_size", "batch",
    "repeat",         "ops",     "seconds", "mops",     "p50_us",     "p99_us",
    "oversubscribed", "status",  "reason"};
inline constexpr std::string_view kExtraColumns[] = {
    "cell", "load_seconds", "not_found", "device_reads_per_s", "peak_rss_bytes", "peak_rss_scope"};

// Issue 5's contract, exactly. An event row's kind and checkpoint id are in checkpoints.csv
// (same cell, repeat, label and times).
inline constexpr std::string_view kTimelineHeader = "cell,repeat,label,threads,t_ms,ops,mops,event";
// checkpoints.csv: one row per periodic checkpoint (store.checkpoint_every).
inline constexpr std::string_view kCheckpointsHeader =
    "cell,repeat,label,threads,number,id,kind,status,start_ms,end_ms,duration_ms,ops_during,"
    "mops_during,before_from_ms,ops_before,mops_before,ratio,error";

/// One run (or one skipped / failed cell) as results.csv and results.json report it.
struct ResultRow {
  std::string system, label, index, device, gc, workload, distribution;
  std::uint32_t threads = 0;
  std::uint64_t records = 0;
  std::uint32_t key_size = 0, value_size = 0, batch = 1, repeat = 1;
  std::uint64_t ops = 0;
  double seconds = 0;
  double mops = 0;
  std::optional<double> p50_us, p99_us;
  bool oversubscribed = false;
  std::string status = "ok";  // ok | skipped | failed
  std::string reason;
  /// Swept keys that are not already columns: (key, canonical value); blank for a key
  /// that does not apply to this system (rskv.* on a baseline).
  std::vector<std::pair<std::string, std::string>> swept;
  std::size_t cell = 0;  // 1-based cell of the sweep
  double load_seconds = 0;
  std::uint64_t not_found = 0;  // reads that found no value
  /// rskv: device reads completed in the measured phase per measured second (blank for
  /// baselines, which do not report their device reads).
  std::optional<double> device_reads_per_s;
  /// VmHWM at the end of the run; peak_rss_scope "run" when the kernel's mark was reset
  /// before the system was opened, "process" when the reset was refused (process_memory.h).
  std::optional<std::uint64_t> peak_rss_bytes;
  std::string peak_rss_scope;
  nlohmann::json details;  // how the system was set up (results.json only)

  [[nodiscard]] bool measured() const { return status == "ok"; }
};

/// The CSV column a swept key maps to, when it is one of kCsvColumns ("" otherwise).
std::string_view column_of_swept_key(std::string_view key);
/// The swept keys that need their own column, in sweep order.
std::vector<std::string> extra_swept_columns(const std::vector<std::string>& sweep_keys);

/// Quotes a CSV field when it holds a comma, quote or line break (RFC 4180).
std::string csv_field(std::string_view s);
/// A number as CSV text: up to 6 significant decimals, no exponent for ordinary values.
std::string csv_number(double v);

class CsvWriter {
 public:
  /// Creates path and writes the header. Error when the file cannot be created.
  static Result<CsvWriter> create(const std::string& path,
                                  const std::vector<std::string>& swept_columns);
  /// The header line (no newline).
  static std::string header(const std::vector<std::string>& swept_columns);
  /// One row (no newline).
  static std::string format(const ResultRow& row, const std::vector<std::string>& swept_columns);
  void write(const ResultRow& row);

 private:
  std::string path_;
  std::vector<std::string> swept_columns_;
  std::ofstream out_;
};

struct TimelineRow {
  std::size_t cell = 0;
  std::uint32_t repeat = 1;
  std::string label;
  std::uint32_t threads = 0;
  double t_ms = 0;                   // end of the interval, from the start of measurement
  std::optional<std::uint64_t> ops;  // blank on event rows
  std::optional<double> mops;
  std::string event;   // e.g. checkpoint_start; blank on interval rows
  std::string detail;  // e.g. "kind=foldover id=3" (kept in memory, not in timeline.csv)
};
std::string format_timeline_row(const TimelineRow& row);

/// One periodic checkpoint of a run. Times are from the start of the measurement; "during"
/// is [start, end) of the checkpoint (Store::checkpoint called .. returned durable), "before"
/// is [end of the previous checkpoint (or the measurement's start), start). Throughputs come
/// from the workers' operation counters read at those instants.
struct CheckpointRow {
  std::size_t cell = 0;
  std::uint32_t repeat = 1;
  std::string label;
  std::uint32_t threads = 0;
  std::uint32_t number = 0;  // 1-based within the run
  std::uint64_t id = 0;      // the store's checkpoint id (0 when it failed)
  std::string kind;          // foldover | snapshot
  /// ok; failed (error says why); cut: it ended after the measurement ended, so its
  /// "during" throughput is not comparable (no ratio).
  std::string status = "ok";
  double start_ms = 0, end_ms = 0;
  std::uint64_t ops_during = 0;
  double mops_during = 0;
  double before_from_ms = 0;
  std::uint64_t ops_before = 0;
  double mops_before = 0;
  std::optional<double> ratio;  // mops_during / mops_before (ok rows)
  std::string error;
};
std::string format_checkpoint_row(const CheckpointRow& row);

/// The row as a JSON object (the CSV columns with typed values, plus details).
nlohmann::ordered_json row_json(const ResultRow& row);

/// The machine, read from /proc, uname and /etc/os-release.
nlohmann::ordered_json machine_json();
/// Compiler, flags and build type (compiled in by CMake).
nlohmann::ordered_json build_json();
/// `git rev-parse HEAD` of the source tree rskv-bench was built from, or "unknown".
std::string git_commit();
/// Whether that tree has uncommitted changes to tracked files (false when unknown).
bool git_dirty();

/// Writes JSON to path through a temporary file and a rename.
Result<void> write_json_file(const std::string& path, const nlohmann::ordered_json& doc);

}  // namespace rskv::bench
