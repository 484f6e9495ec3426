// rskv-bench end to end: a tiny sweep over all four systems (in process and through the
// binary), what is skipped and why, the results folder, and the binary's exit codes.
// Runs use `ops:` so that they take milliseconds and their op counts are exact.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "experiments/rskv-bench/config.h"
#include "experiments/rskv-bench/driver.h"
#include "experiments/rskv-bench/runner.h"

namespace rb = rskv::bench;
namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string test_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir =
      fs::temp_directory_path() / ("rskv_bench_e2e-" + std::to_string(::getpid()) + "-" +
                                   info->test_suite_name() + "-" + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  out.push_back(field);
  return out;
}

// results.csv as one map per row, keyed by column.
std::vector<std::map<std::string, std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const auto f = split(line);
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < header.size() && i < f.size(); ++i) row[header[i]] = f[i];
    rows.push_back(row);
  }
  return rows;
}

rb::Catalog engine_catalog() {
  rb::Catalog c;
  c.rskv_bundles = rb::rskv_bundle_names();
  c.check_rskv = rb::check_rskv_cell;
  return c;
}

struct Exit {
  int code;
  std::string out;
  std::string err;
};

Exit run_binary(const std::string& args, const std::string& dir) {
  const std::string out = dir + "/stdout.txt";
  const std::string err = dir + "/stderr.txt";
  const std::string cmd = std::string(RSKV_BENCH_BINARY) + " " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
}

}  // namespace

// All four systems over YCSB B, D, E and F at 1 and 2 threads: every run that can run
// reports exactly its ops; scans are skipped on rskv and the hash tables with the reason;
// the store folder given by the user survives, its run folders do not.
TEST(EndToEnd, TinySweepOverAllSystems) {
  const std::string dir = test_dir();
  const std::string yaml = R"(
name: e2e
systems: [rskv, tbb_hash_map, libcuckoo, rocksdb]
store: {memory: 16MiB, path: )" +
                           dir + R"(/store}
workload: {records: 2000, ops: 20K, warmup: 0}
timeline: 10ms
sweep:
  workload.preset: [ycsb-b, ycsb-d, ycsb-e, ycsb-f]
  threads: [1, 2]
)";
  auto e = rb::parse_experiment(yaml, "e2e.yaml", {}, engine_catalog());
  ASSERT_TRUE(e.ok()) << e.error().message;
  const std::string out = dir + "/results";
  ASSERT_TRUE(rb::prepare_out_dir(out).ok());
  std::FILE* log = std::fopen((dir + "/log.txt").c_str(), "w");
  ASSERT_NE(log, nullptr);
  const int rc = rb::run_experiment(*e, out, "test", log);
  std::fclose(log);
  EXPECT_EQ(rc, 0) << read_file(dir + "/log.txt");

  const auto rows = read_csv(out + "/results.csv");
  ASSERT_EQ(rows.size(), 32u);
  std::map<std::string, int> ok_by_system;
  for (const auto& r : rows) {
    const std::string what = r.at("label") + " " + r.at("workload") + " threads " +
                             r.at("threads") + ": " + r.at("status") + " " + r.at("reason");
    if (r.at("workload") == "ycsb-e" && r.at("system") != "rocksdb") {
      EXPECT_EQ(r.at("status"), "skipped") << what;
      EXPECT_FALSE(r.at("reason").empty()) << what;
      EXPECT_EQ(r.at("mops"), "") << what;
      continue;
    }
    ASSERT_EQ(r.at("status"), "ok") << what;
    ++ok_by_system[r.at("system")];
    EXPECT_EQ(r.at("ops"), "20000") << what;
    EXPECT_GT(std::stod(r.at("mops")), 0) << what;
    EXPECT_FALSE(r.at("p50_us").empty()) << what;
    EXPECT_FALSE(r.at("p99_us").empty()) << what;
    EXPECT_EQ(r.at("batch"), "1");
    if (r.at("workload") == "ycsb-b" || r.at("workload") == "ycsb-f") {
      EXPECT_EQ(r.at("not_found"), "0") << "every read of a loaded key must find it: " << what;
    }
  }
  for (const auto& r : rows) {
    if (r.at("status") != "ok") continue;
    const std::string what = r.at("label") + " " + r.at("workload") + " threads " + r.at("threads");
    ASSERT_FALSE(r.at("peak_rss_bytes").empty()) << what;
    EXPECT_GT(std::stoull(r.at("peak_rss_bytes")), 0u) << what;
    EXPECT_TRUE(r.at("peak_rss_scope") == "run" || r.at("peak_rss_scope") == "process") << what;
    // Only rskv reports its device's reads.
    EXPECT_EQ(r.at("device_reads_per_s").empty(), r.at("system") != "rskv") << what;
  }
  EXPECT_EQ(ok_by_system["rskv"], 6);
  EXPECT_EQ(ok_by_system["tbb_hash_map"], 6);
  EXPECT_EQ(ok_by_system["libcuckoo"], 6);
  EXPECT_EQ(ok_by_system["rocksdb"], 8);

  EXPECT_TRUE(fs::is_directory(dir + "/store"));
  EXPECT_TRUE(fs::is_empty(dir + "/store"));

  const auto json = nlohmann::json::parse(read_file(out + "/results.json"));
  EXPECT_EQ(json["name"], "e2e");
  EXPECT_EQ(json["rows"].size(), 32u);
  EXPECT_FALSE(json["git_commit"].get<std::string>().empty());
  EXPECT_TRUE(json["machine"].contains("cpu_model"));
  EXPECT_TRUE(json["build"].contains("flags"));
  EXPECT_FALSE(json["finished_at"].is_null());
  EXPECT_EQ(json["systems"]["rocksdb"]["wal"], false);
  for (const auto& row : json["rows"]) {
    if (row["system"] == "rocksdb") {
      EXPECT_TRUE(row["details"].contains("direct_reads"));
    }
  }

  const std::string timeline = read_file(out + "/timeline.csv");
  EXPECT_EQ(timeline.rfind("cell,repeat,label,threads,t_ms,ops,mops,event\n", 0), 0u);
}

// Periodic checkpoints (issue 8) in a tiny run on the file device: checkpoints.csv has one
// row per checkpoint with alternating kinds, growing ids and a ratio; timeline.csv has a
// checkpoint_start and a checkpoint_end row for each, at its times, with the kind and id, in
// time order among the interval rows; the row's details sum them up; the baseline beside it
// runs without checkpoints and says so.
TEST(EndToEnd, PeriodicCheckpointsInTimeline) {
  const std::string dir = test_dir();
  auto e = rb::parse_experiment(R"(
name: ckpt
systems: [{rskv: {index: chained, device: file, gc: none}}, tbb_hash_map]
store: {memory: 4MiB, path: )" + dir +
                                    R"(/store, checkpoint_every: 300ms,
        checkpoint_kind: alternate}
threads: 2
workload: {preset: ycsb-b, records: 20K, value_size: 100, duration: 1600ms, warmup: 0}
timeline: 50ms
)",
                                "ckpt.yaml", {}, engine_catalog());
  ASSERT_TRUE(e.ok()) << e.error().message;
  const std::string out = dir + "/results";
  ASSERT_TRUE(rb::prepare_out_dir(out).ok());
  std::FILE* log = std::fopen((dir + "/log.txt").c_str(), "w");
  ASSERT_NE(log, nullptr);
  const int rc = rb::run_experiment(*e, out, "test", log);
  std::fclose(log);
  ASSERT_EQ(rc, 0) << read_file(dir + "/log.txt");

  const auto rows = read_csv(out + "/results.csv");
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& r : rows) ASSERT_EQ(r.at("status"), "ok") << r.at("label") << r.at("reason");
  EXPECT_NE(rows[1].at("reason").find("no checkpoints"), std::string::npos) << rows[1].at("reason");

  // checkpoints.csv: ticks at 300, 600, ... ms of a 1600 ms measurement, some skipped when
  // a checkpoint runs long on a busy machine; at least two, kinds alternating.
  const auto ckpts = read_csv(out + "/checkpoints.csv");
  ASSERT_GE(ckpts.size(), 2u);
  ASSERT_LE(ckpts.size(), 5u);
  std::uint64_t prev_id = 0;
  double prev_end = 0;
  for (std::size_t i = 0; i < ckpts.size(); ++i) {
    const auto& c = ckpts[i];
    EXPECT_EQ(c.at("label"), "rskv:chained/file/none");
    EXPECT_EQ(c.at("number"), std::to_string(i + 1));
    EXPECT_EQ(c.at("kind"), i % 2 == 0 ? "foldover" : "snapshot");
    EXPECT_TRUE(c.at("status") == "ok" || c.at("status") == "cut") << c.at("status");
    ASSERT_FALSE(c.at("id").empty());
    const std::uint64_t id = std::stoull(c.at("id"));
    EXPECT_GT(id, prev_id);
    prev_id = id;
    const double start = std::stod(c.at("start_ms"));
    const double end = std::stod(c.at("end_ms"));
    EXPECT_GE(start, 300.0 * static_cast<double>(i + 1) - 1);
    EXPECT_GE(end, start);
    EXPECT_DOUBLE_EQ(std::stod(c.at("before_from_ms")), prev_end);
    prev_end = end;
    if (c.at("status") == "ok" && std::stod(c.at("mops_before")) > 0 &&
        start - std::stod(c.at("before_from_ms")) >= 10) {
      ASSERT_FALSE(c.at("ratio").empty());
      EXPECT_NEAR(std::stod(c.at("ratio")),
                  std::stod(c.at("mops_during")) / std::stod(c.at("mops_before")), 1e-3);
    }
  }
  EXPECT_EQ(ckpts.front().at("status"), "ok");

  // timeline.csv: a start and an end row per checkpoint, blank ops, kind and id in detail.
  const auto timeline = read_csv(out + "/timeline.csv");
  std::vector<std::map<std::string, std::string>> events;
  std::size_t intervals = 0;
  double prev_t = -1;
  for (const auto& t : timeline) {
    if (t.at("label") != "rskv:chained/file/none") continue;
    const double when = std::stod(t.at("t_ms"));
    EXPECT_GE(when, prev_t) << "timeline rows of a run are in time order";
    prev_t = when;
    if (t.at("event").empty()) {
      ++intervals;
      EXPECT_FALSE(t.at("ops").empty());
    } else {
      EXPECT_TRUE(t.at("ops").empty());
      EXPECT_TRUE(t.at("mops").empty());
      events.push_back(t);
    }
  }
  EXPECT_GE(intervals, 20u);
  ASSERT_EQ(events.size(), 2 * ckpts.size());
  for (std::size_t i = 0; i < ckpts.size(); ++i) {
    const auto& c = ckpts[i];
    const auto& start = events[2 * i];
    const auto& end = events[2 * i + 1];
    EXPECT_EQ(start.at("event"), "checkpoint_start");
    EXPECT_EQ(start.at("t_ms"), c.at("start_ms"));
    EXPECT_EQ(end.at("event"), "checkpoint_end");
    EXPECT_EQ(end.at("t_ms"), c.at("end_ms"));
  }

  const auto json = nlohmann::json::parse(read_file(out + "/results.json"));
  const auto& d = json["rows"][0]["details"]["checkpoints"];
  EXPECT_EQ(d["taken"], ckpts.size());
  EXPECT_EQ(d["kind"], "alternate");
  EXPECT_EQ(d["failed"], 0);
  EXPECT_EQ(json["config"]["store"]["checkpoint_kind"], "alternate");
  EXPECT_FALSE(json["rows"][1]["details"].contains("checkpoints"));
}

// Larger than memory on both file devices beside RocksDB (issue 7's benchmark, tiny):
// rskv reads its device in the measured phase (device_reads_per_s, through O_DIRECT where
// the file system allows it), RocksDB reads directly with its memtable flushed after the
// load, and every row has a peak resident size taken over its own run.
TEST(EndToEnd, LargerThanMemoryColumns) {
  const std::string dir = test_dir();
  auto e = rb::parse_experiment(R"(
name: larger
systems:
  - rskv: {index: chained, device: file, gc: none}
  - rskv: {index: chained, device: io_uring, gc: none}
  - rocksdb
store: {memory: 1MiB, path: )" + dir +
                                    R"(/store}
workload: {records: 20K, value_size: 100, preset: ycsb-c, distribution: uniform, ops: 5K,
           warmup: 0}
)",
                                "larger.yaml", {}, engine_catalog());
  ASSERT_TRUE(e.ok()) << e.error().message;
  ASSERT_TRUE(rb::prepare_out_dir(dir + "/out").ok());
  std::FILE* log = std::fopen((dir + "/log.txt").c_str(), "w");
  ASSERT_NE(log, nullptr);
  const int rc = rb::run_experiment(*e, dir + "/out", "test", log);
  std::fclose(log);
  ASSERT_EQ(rc, 0) << read_file(dir + "/log.txt");
  const auto rows = read_csv(dir + "/out/results.csv");
  ASSERT_EQ(rows.size(), 3u);
  const auto json = nlohmann::json::parse(read_file(dir + "/out/results.json"));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const auto& details = json["rows"][i]["details"];
    const std::string what = r.at("label");
    ASSERT_EQ(r.at("status"), "ok") << what << ": " << r.at("reason");
    EXPECT_EQ(r.at("not_found"), "0") << what;
    EXPECT_GT(std::stoull(r.at("peak_rss_bytes")), 0u) << what;
    EXPECT_TRUE(details.contains("rss_at_open_bytes")) << what;
    EXPECT_GT(details["op_stream_bytes"].get<std::uint64_t>(), 0u) << what;
    if (r.at("system") == "rskv") {
      // 20K records of ~120 bytes against 1 MiB: most uniform reads go to the device.
      ASSERT_FALSE(r.at("device_reads_per_s").empty()) << what;
      EXPECT_GT(std::stod(r.at("device_reads_per_s")), 0) << what;
      EXPECT_GT(details["measured_device_reads"].get<std::uint64_t>(), 1000u) << what;
      EXPECT_LE(details["measured_device_reads"].get<std::uint64_t>(), 5000u) << what;
      EXPECT_TRUE(details["direct_io"].is_boolean()) << what;
    } else {
      EXPECT_EQ(r.at("device_reads_per_s"), "") << what;
      EXPECT_EQ(details["direct_reads"], true);
      EXPECT_EQ(details["block_cache_bytes"], 1u << 20);
      EXPECT_EQ(details["flushed_after_load"], true);
      EXPECT_EQ(details["settle_limit_reached"], false);
    }
  }
}

// batch > 1: rskv runs its batch API (every read of a loaded key found, exact op counts);
// baselines run single operations, with batch 1 in their rows and the reason saying so.
TEST(EndToEnd, BatchCells) {
  const std::string dir = test_dir();
  auto e = rb::parse_experiment(R"(
name: batch
systems: [rskv, libcuckoo]
store: {memory: 16MiB}
workload: {records: 1000, ops: 5K, warmup: 0}
sweep:
  workload.preset: [ycsb-c, ycsb-a, ycsb-f, ycsb-d]
  workload.batch: [8, 32]
)",
                                "batch.yaml", {}, engine_catalog());
  ASSERT_TRUE(e.ok()) << e.error().message;
  ASSERT_TRUE(rb::prepare_out_dir(dir + "/out").ok());
  std::FILE* log = std::fopen((dir + "/log.txt").c_str(), "w");
  EXPECT_EQ(rb::run_experiment(*e, dir + "/out", "test", log), 0);
  std::fclose(log);
  const auto rows = read_csv(dir + "/out/results.csv");
  // 8 cells of rskv; libcuckoo once per preset (batch does not change what it runs).
  ASSERT_EQ(rows.size(), 12u);
  int rskv_rows = 0;
  for (const auto& r : rows) {
    const std::string what = r.at("label") + " " + r.at("workload") + " batch " + r.at("batch");
    ASSERT_EQ(r.at("status"), "ok") << what << ": " << r.at("reason");
    EXPECT_EQ(r.at("ops"), "5000") << what;
    if (r.at("system") == "rskv") {
      ++rskv_rows;
      EXPECT_TRUE(r.at("batch") == "8" || r.at("batch") == "32") << what;
      EXPECT_FALSE(r.at("p50_us").empty()) << what;
      if (r.at("workload") != "ycsb-d") {
        EXPECT_EQ(r.at("not_found"), "0") << what;
      }
    } else {
      EXPECT_EQ(r.at("batch"), "1") << what;
    }
  }
  EXPECT_EQ(rskv_rows, 8);
}

// The binary: --list, --check, a run, and exit code 2 for every input error.
TEST(Binary, ExitCodesAndOutputs) {
  const std::string dir = test_dir();
  Exit list = run_binary("--list", dir);
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.out.find("chained/memory/none"), std::string::npos);
  EXPECT_NE(list.out.find("rocksdb"), std::string::npos);

  std::ofstream(dir + "/good.yaml") << R"(
name: tiny
systems: [rskv, tbb_hash_map, libcuckoo, rocksdb]
store: {memory: 16MiB}
workload: {preset: ycsb-a, records: 1000, ops: 5K, warmup: 0}
)";
  Exit check = run_binary(dir + "/good.yaml --check", dir);
  EXPECT_EQ(check.code, 0) << check.err;
  EXPECT_NE(check.out.find("config ok"), std::string::npos);

  Exit run = run_binary(dir + "/good.yaml --out " + dir + "/out --set threads=2", dir);
  EXPECT_EQ(run.code, 0) << run.err;
  const std::string csv = read_file(dir + "/out/results.csv");
  EXPECT_EQ(csv.rfind("system,label,index,device,gc,workload,distribution,threads,records,"
                      "key_size,value_size,batch,repeat,ops,seconds,mops,p50_us,p99_us,"
                      "oversubscribed,status,reason",
                      0),
            0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  EXPECT_EQ(read_csv(dir + "/out/results.csv").at(0).at("threads"), "2");
  EXPECT_TRUE(fs::exists(dir + "/out/results.json"));
  EXPECT_FALSE(fs::exists(dir + "/out/timeline.csv"));  // not asked for

  // The same folder again: not empty, refused before anything runs.
  Exit again = run_binary(dir + "/good.yaml --out " + dir + "/out", dir);
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.err.find("not empty"), std::string::npos);

  std::ofstream(dir + "/bad.yaml") << "name: bad\nsystems: [rskv]\nworkload: {records: 10, "
                                      "distribution: zipf}\n";
  Exit bad = run_binary(dir + "/bad.yaml --check", dir);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("workload.distribution: 'zipf' is not valid"), std::string::npos)
      << bad.err;
  EXPECT_NE(bad.err.find("uniform, zipfian, latest, hotspot"), std::string::npos);

  EXPECT_EQ(run_binary(dir + "/good.yaml --set threads=zero --check", dir).code, 2);
  EXPECT_EQ(run_binary(dir + "/missing.yaml", dir).code, 2);
  EXPECT_EQ(run_binary(dir + "/good.yaml --frobnicate", dir).code, 2);
  EXPECT_EQ(run_binary("", dir).code, 2);
}
