#include "experiments/rskv-bench/driver.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>

#include "experiments/rskv-bench/progress.h"
#include "experiments/rskv-bench/results.h"
#include "experiments/rskv-bench/runner.h"

namespace rskv::bench {
namespace {

namespace fs = std::filesystem;
namespace wl = rskv::workload;
using Json = nlohmann::ordered_json;

std::string num(double v) {
  return csv_number(v);
}

// Everything about a cell that changes what `system` does.
std::string signature(const CellConfig& c, const SystemEntry& s) {
  std::string sig = s.label() + "|" + std::to_string(c.threads) + "|" +
                    std::to_string(c.memory_bytes) + "|" + c.store_path + "|" + c.workload_name;
  for (double share : c.mix.share) sig += "|" + num(share);
  sig += "|" + std::to_string(static_cast<int>(c.distribution)) + "|" + std::to_string(c.records) +
         "|" + std::to_string(c.key_size) + "|" + std::to_string(c.value_size) + "|" +
         num(c.theta) + "|" + num(c.hot_fraction) + "|" + num(c.hot_ops_fraction) + "|" +
         (c.duration_s ? num(*c.duration_s) : "-") + "|" + (c.ops ? std::to_string(*c.ops) : "-") +
         "|" + num(c.warmup_s) + "|" + std::to_string(c.scan_length) + "|" +
         std::to_string(c.seed) + "|" + (c.timeline_s ? num(*c.timeline_s) : "-");
  if (s.is_rskv()) {
    sig += "|batch" + std::to_string(c.batch) + "|ckpt" +
           (c.checkpoint_every_s ? num(*c.checkpoint_every_s) : "-") + "/" +
           std::to_string(static_cast<int>(c.checkpoint_kind)) + "|copy" +
           (c.copy_reads_to_tail ? "1" : "0") + "|rate" + std::to_string(c.checkpoint_write_rate);
  }
  return sig;
}

std::string utc_now(const char* format) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string mix_summary(const wl::Mix& mix) {
  std::string out;
  for (std::size_t k = 0; k < wl::kOpKinds; ++k) {
    if (mix.share[k] == 0) continue;
    out += (out.empty() ? "" : " ") + std::string(wl::kOpKindNames[k]) + " " +
           num(mix.share[k] * 100) + "%";
  }
  return out;
}

std::string cell_summary(const CellConfig& c) {
  std::string s = c.workload_name + " (" + mix_summary(c.mix) + "), " +
                  std::string(wl::kDistributionNames[static_cast<int>(c.distribution)]);
  if (c.distribution == wl::Distribution::Zipfian || c.distribution == wl::Distribution::Latest) {
    s += " theta " + num(c.theta);
  }
  if (c.distribution == wl::Distribution::Hotspot) {
    s += " (" + num(c.hot_ops_fraction * 100) + "% of ops on " + num(c.hot_fraction * 100) +
         "% of keys)";
  }
  s += ", " + std::to_string(c.records) + " records, key " + std::to_string(c.key_size) +
       " B, value " + std::to_string(c.value_size) + " B, " + std::to_string(c.threads) +
       (c.threads == 1 ? " thread, " : " threads, ") +
       (c.ops ? std::to_string(*c.ops) + " ops" : num(*c.duration_s) + " s") + " after " +
       num(c.warmup_s) + " s warm-up, batch " + std::to_string(c.batch) + ", memory " +
       std::to_string(c.memory_bytes) + " B";
  if (c.timeline_s) s += ", timeline every " + num(*c.timeline_s * 1000) + " ms";
  if (c.checkpoint_every_s) {
    s += ", rskv checkpoint every " + num(*c.checkpoint_every_s) + " s (" +
         std::string(kCheckpointScheduleNames[static_cast<int>(c.checkpoint_kind)]) + ")";
  }
  return s;
}

// The folder that holds the run folders of one cell.
class StoreRoot {
 public:
  ~StoreRoot() {
    std::error_code ec;
    if (!temp_.empty()) fs::remove_all(temp_, ec);
  }
  // A fresh, empty run folder for a run of this cell.
  Result<std::string> run_dir(const CellConfig& c, std::size_t run) {
    std::string base = c.store_path;
    std::error_code ec;
    if (base.empty()) {
      if (temp_.empty()) {
        const char* tmpdir = std::getenv("TMPDIR");
        std::string pattern =
            std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/rskv-bench-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
          return make_error(Status::IoError, "cannot create a temporary folder " + pattern + ": " +
                                                 std::strerror(errno) + "; set store.path");
        }
        temp_ = pattern;
      }
      base = temp_;
    } else {
      fs::create_directories(base, ec);
      if (ec) {
        return make_error(Status::IoError,
                          "store.path: cannot create '" + base + "': " + ec.message());
      }
    }
    for (int attempt = 0;; ++attempt) {
      const std::string dir = base + "/run-" + std::to_string(::getpid()) + "-" +
                              std::to_string(run) + (attempt ? "-" + std::to_string(attempt) : "");
      if (fs::create_directory(dir, ec)) return dir;
      if (ec) {
        return make_error(Status::IoError, "store.path: cannot create the run folder '" + dir +
                                               "': " + ec.message());
      }
    }
  }

 private:
  std::string temp_;  // created by us: removed at the end
};

std::string summary(const ResultRow& r) {
  if (r.status == "skipped") return "skipped: " + r.reason;
  if (r.status == "failed") return "FAILED: " + r.reason;
  std::string s = num(r.mops) + " Mops/s (" + std::to_string(r.ops) + " ops in " + num(r.seconds) +
                  " s, load " + num(r.load_seconds) + " s)";
  if (r.p50_us) s += ", p50 " + num(*r.p50_us) + " us, p99 " + num(*r.p99_us) + " us";
  if (r.not_found) s += ", " + std::to_string(r.not_found) + " reads not found";
  if (r.device_reads_per_s) s += ", " + num(*r.device_reads_per_s) + " device reads/s";
  if (r.details.is_object() && r.details.contains("checkpoints")) {
    const auto& c = r.details["checkpoints"];
    s += ", " + std::to_string(c.value("taken", 0)) + " checkpoints";
    if (c.contains("ratio_min") && c["ratio_min"].is_number()) {
      s += " (throughput during / before: min " + num(c["ratio_min"].get<double>()) + ", mean " +
           num(c["ratio_mean"].get<double>()) + ")";
    }
  }
  if (r.peak_rss_bytes) {
    s += ", peak RSS " + num(static_cast<double>(*r.peak_rss_bytes) / (1 << 20)) + " MiB";
    if (r.peak_rss_scope != "run") s += " (" + r.peak_rss_scope + ")";
  }
  return s;
}

Json systems_json(const Experiment& exp) {
  Json out = Json::object();
  std::set<std::string> seen;
  for (const auto& cell : exp.cells) {
    for (const auto& s : cell.systems) {
      if (!seen.insert(s.system).second) continue;
      if (s.system == "rskv") {
        out["rskv"] = {{"sessions", "one per thread"},
                       {"batch",
                        "workload.batch > 1: the session's read_batch / upsert_batch / rmw_batch "
                        "over each batch's reads, upserts+inserts and RMWs"},
                       {"scans", "not yet (skipped)"}};
      } else if (s.system == "rocksdb") {
        out["rocksdb"] = {
            {"wal", false},
            {"direct_reads",
             "on when records * (key_size + value_size) > "
             "store.memory (see each row's details)"},
            {"block_cache", "store.memory"},
            {"after_load", "memtable flushed, flushes and compactions settled (in load_seconds)"},
            {"batch", "single operations"}};
      } else {
        out[s.system] = {{"batch", "single operations"},
                         {"reserved_for", "records"},
                         {"hash", "rskv::hash_key"},
                         {"allocator", "default"}};
      }
    }
  }
  return out;
}

}  // namespace

std::vector<PlannedRun> plan_runs(const Experiment& exp) {
  std::vector<PlannedRun> runs;
  for (std::uint32_t r = 1; r <= exp.repeats; ++r) {
    std::set<std::string> seen;
    for (std::size_t c = 0; c < exp.cells.size(); ++c) {
      for (const auto& s : exp.cells[c].systems) {
        if (!seen.insert(signature(exp.cells[c], s)).second) continue;
        runs.push_back({c, s, r});
      }
    }
  }
  return runs;
}

std::string default_out_dir(const Experiment& exp) {
  return "results/" + exp.name + "-" + utc_now("%Y%m%d-%H%M%S");
}

Result<void> prepare_out_dir(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return make_error(Status::InvalidArgument,
                        "--out " + dir + ": exists and is not a folder; give a new folder");
    }
    if (!fs::is_empty(dir, ec)) {
      return make_error(Status::InvalidArgument,
                        "--out " + dir +
                            ": the folder is not empty; give a new or empty folder (results are "
                            "never overwritten)");
    }
    return {};
  }
  fs::create_directories(dir, ec);
  if (ec) {
    return make_error(Status::InvalidArgument,
                      "--out " + dir + ": cannot create the folder: " + ec.message());
  }
  return {};
}

std::string describe_experiment(const Experiment& exp) {
  const auto runs = plan_runs(exp);
  std::string out = (exp.source.empty() ? std::string("config") : exp.source) + ": experiment '" +
                    exp.name + "', " + std::to_string(exp.cells.size()) +
                    (exp.cells.size() == 1 ? " cell" : " cells") + ", " +
                    std::to_string(exp.repeats) + (exp.repeats == 1 ? " repeat" : " repeats") +
                    ", " + std::to_string(runs.size()) + " runs\n";
  if (!exp.sweep_keys.empty()) {
    out += "sweep:";
    for (const auto& k : exp.sweep_keys) out += " " + k;
    out += "\n";
  }
  for (std::size_t i = 0; i < exp.cells.size(); ++i) {
    const CellConfig& c = exp.cells[i];
    out += "cell " + std::to_string(i + 1);
    if (!c.swept.empty()) out += " [" + c.describe_swept() + "]";
    out += ": " + cell_summary(c) + "\n";
    for (const auto& s : c.systems) {
      bool runs_here = false;
      for (const auto& r : runs) runs_here = runs_here || (r.cell == i && r.system == s);
      std::string why = skip_reason(c, s);
      out += "  " + s.label() + ": " +
             (!why.empty() ? "skipped (" + why + ")"
              : runs_here  ? "runs"
                           : "same as an earlier cell (runs there)") +
             "\n";
    }
  }
  out += "plots: ";
  for (std::size_t i = 0; i < exp.plots.size(); ++i) out += (i ? ", " : "") + exp.plots[i];
  out += "\n";
  return out;
}

int run_experiment(const Experiment& exp, const std::string& out_dir, const std::string& command,
                   std::FILE* log) {
  const auto runs = plan_runs(exp);
  const auto swept_columns = extra_swept_columns(exp.sweep_keys);
  Result<CsvWriter> csv = CsvWriter::create(out_dir + "/results.csv", swept_columns);
  if (!csv) {
    std::fprintf(stderr, "rskv-bench: %s\n", csv.error().message.c_str());
    return 1;
  }
  const bool want_timeline =
      std::any_of(exp.cells.begin(), exp.cells.end(), [](const auto& c) { return c.timeline_s; });
  std::ofstream timeline;
  if (want_timeline) {
    timeline.open(out_dir + "/timeline.csv");
    timeline << kTimelineHeader << '\n';
  }
  const bool want_checkpoints = std::any_of(exp.cells.begin(), exp.cells.end(), [](const auto& c) {
    return c.checkpoint_every_s.has_value();
  });
  std::ofstream checkpoints;
  if (want_checkpoints) {
    checkpoints.open(out_dir + "/checkpoints.csv");
    checkpoints << kCheckpointsHeader << '\n';
  }

  Json doc;
  doc["name"] = exp.name;
  doc["config_file"] = exp.source;
  doc["command"] = command;
  doc["started_at"] = utc_now("%Y-%m-%dT%H:%M:%SZ");
  doc["finished_at"] = nullptr;
  doc["git_commit"] = git_commit();
  doc["git_dirty"] = git_dirty();
  doc["machine"] = machine_json();
  doc["build"] = build_json();
  doc["config"] = exp.resolved;
  Json cells = Json::array();
  for (std::size_t i = 0; i < exp.cells.size(); ++i) {
    Json values = Json::object();
    for (const auto& [k, v] : exp.cells[i].swept) values[k] = v;
    cells.push_back({{"cell", i + 1}, {"values", values}, {"summary", cell_summary(exp.cells[i])}});
  }
  doc["cells"] = cells;
  doc["systems"] = systems_json(exp);
  doc["csv_columns"] = CsvWriter::header(swept_columns);
  doc["runs_planned"] = runs.size();
  doc["rows"] = Json::array();

  const std::string json_path = out_dir + "/results.json";
  bool write_failed = false;
  auto save = [&] {
    if (Result<void> w = write_json_file(json_path, doc); !w) {
      std::fprintf(stderr, "rskv-bench: %s\n", w.error().message.c_str());
      write_failed = true;
    }
  };
  save();

  const CellConfig& first = exp.cells.front();
  Progress progress(runs.size(), first.warmup_s + (first.duration_s ? *first.duration_s : 0) + 1.0,
                    log);
  StoreRoot stores;
  bool any_failed = false;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const PlannedRun& pr = runs[i];
    const CellConfig& cell = exp.cells[pr.cell];
    RunPlan plan;
    plan.cell = &cell;
    plan.cell_number = pr.cell + 1;
    plan.system = pr.system;
    plan.repeat = pr.repeat;
    plan.on_tick = [&progress](std::string_view phase, double s) { progress.tick(phase, s); };
    std::string what =
        "cell " + std::to_string(pr.cell + 1) + " of " + std::to_string(exp.cells.size());
    if (!cell.swept.empty()) what += " [" + cell.describe_swept() + "]";
    what += ", " + pr.system.label() + ", repeat " + std::to_string(pr.repeat) + " of " +
            std::to_string(exp.repeats);
    progress.start_run(i + 1, what);

    RunOutcome out;
    if (std::string why = skip_reason(cell, pr.system); !why.empty()) {
      out = run_one(plan);  // records the skip without touching the disk
    } else if (Result<std::string> dir = stores.run_dir(cell, i + 1); !dir) {
      out.row = base_row(plan);
      out.row.status = "failed";
      out.row.reason = dir.error().message;
    } else {
      plan.run_dir = dir.value();
      out = run_one(plan);
      std::error_code ec;
      std::filesystem::remove_all(plan.run_dir, ec);
    }
    any_failed = any_failed || out.row.status == "failed";
    csv->write(out.row);
    if (want_timeline) {
      for (const auto& t : out.timeline) timeline << format_timeline_row(t) << '\n';
      timeline.flush();
    }
    if (want_checkpoints) {
      for (const auto& c : out.checkpoints) checkpoints << format_checkpoint_row(c) << '\n';
      checkpoints.flush();
    }
    doc["rows"].push_back(row_json(out.row));
    save();
    progress.finish_run(summary(out.row));
  }
  progress.done();
  doc["finished_at"] = utc_now("%Y-%m-%dT%H:%M:%SZ");
  save();
  std::fprintf(log, "results: %s (results.csv, results.json%s%s)\n", out_dir.c_str(),
               want_timeline ? ", timeline.csv" : "", want_checkpoints ? ", checkpoints.csv" : "");
  if (any_failed) std::fprintf(log, "some runs failed: see the status and reason columns\n");
  return any_failed || write_failed ? 1 : 0;
}

}  // namespace rskv::bench
