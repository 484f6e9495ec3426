#pragma once
// The sweep as a whole: which runs happen in which order, the results folder, and the
// store folders of the runs.
//
// Order: repeats are interleaved across systems and cells (repeat 1 of every cell and
// system, then repeat 2, ...), so that slow drift of the machine spreads over all systems.
// A baseline does not depend on rskv.* keys nor on workload.batch (it runs single
// operations): cells that differ only there run it once, in the first such cell.

#include <cstdio>
#include <string>
#include <vector>

#include "components/common/result.h"
#include "experiments/rskv-bench/config.h"

namespace rskv::bench {

struct PlannedRun {
  std::size_t cell = 0;  // 0-based index into Experiment::cells
  SystemEntry system;
  std::uint32_t repeat = 1;
};

/// Every run of the experiment, in execution order.
std::vector<PlannedRun> plan_runs(const Experiment& exp);

/// results/NAME-YYYYmmdd-HHMMSS (UTC) under the current directory.
std::string default_out_dir(const Experiment& exp);

/// Creates the results folder, or accepts an existing empty one; refuses a non-empty one
/// or a file with a clear message.
Result<void> prepare_out_dir(const std::string& dir);

/// Runs every planned run and writes the results folder. Returns the exit code: 0 when
/// every run was ok or skipped, 1 when a run failed or the results could not be written.
int run_experiment(const Experiment& exp, const std::string& out_dir, const std::string& command,
                   std::FILE* log);

/// What --check prints: the cells and systems, without running anything.
std::string describe_experiment(const Experiment& exp);

}  // namespace rskv::bench
