#pragma once
// Runs one system on one cell of the sweep: a fresh system, its load, a warm-up and a
// measured phase over per-thread operation streams generated beforehand.
//
// Phases, driven by one coordinator thread and seen by the workers through one atomic
// word (`phase`: release store by the coordinator, relaxed loads by the workers every
// kCheckEvery operations, since a worker only needs to notice the change soon, not in
// any order with other memory):
//   generate  each worker builds its operation stream          } not measured
//   load      each worker upserts its slice of the records     } (load_seconds)
//   warmup    operations run, uncounted
//   measure   operations counted; every kSampleEvery-th timed into a latency histogram
//   stop      workers finish outstanding operations and leave
// With store.checkpoint_every (rskv), a checkpoint thread takes a checkpoint at every
// multiple of the period after the measurement starts (kinds alternating when asked) and
// reads the operation counters at each one's start and end (checkpoints.csv).
// Duration runs loop over their stream; ops runs give each thread its share of ops.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "experiments/rskv-bench/config.h"
#include "experiments/rskv-bench/results.h"

namespace rskv::bench {

inline constexpr std::uint32_t kCheckEvery = 64;   // ops between phase checks
inline constexpr std::uint32_t kSampleEvery = 64;  // one op in this many is timed

struct RunPlan {
  const CellConfig* cell = nullptr;
  std::size_t cell_number = 1;  // 1-based
  SystemEntry system;
  std::uint32_t repeat = 1;
  std::string run_dir;  // fresh empty directory for the system's files
  /// Called by the coordinator about every 250 ms with the phase name and the seconds
  /// spent in the run so far (progress display). May be empty.
  std::function<void(std::string_view phase, double run_seconds)> on_tick;
};

struct RunOutcome {
  ResultRow row;
  std::vector<TimelineRow> timeline;       // interval rows and event rows, by t_ms
  std::vector<CheckpointRow> checkpoints;  // store.checkpoint_every (rskv)
};

/// The row fields that do not depend on the outcome (system, cell values, ...).
ResultRow base_row(const RunPlan& plan);

/// Why this system cannot run this cell (skipped), or "" when it can.
std::string skip_reason(const CellConfig& cell, const SystemEntry& system);

/// Runs the plan. Never throws: failures come back as status "failed" with the reason.
RunOutcome run_one(const RunPlan& plan);

/// rskv policy bundles compiled into this binary ("index/device/gc").
std::vector<std::string> rskv_bundle_names();
/// The engine-side check of an rskv entry in a cell (memory budget against record size).
std::optional<std::string> check_rskv_cell(const CellConfig& cell, const SystemEntry& system);

}  // namespace rskv::bench
