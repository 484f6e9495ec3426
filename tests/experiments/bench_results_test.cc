// rskv-bench's results (experiments/rskv-bench/results.h, driver.h): the CSV columns of the
// contract, quoting, skipped rows, the timeline format, the JSON rows and file writing, the
// latency histogram, the run order (repeats interleaved, baselines not re-run for rskv-only
// sweeps) and the results folder rules.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "experiments/rskv-bench/config.h"
#include "experiments/rskv-bench/driver.h"
#include "experiments/rskv-bench/histogram.h"
#include "experiments/rskv-bench/process_memory.h"
#include "experiments/rskv-bench/results.h"

namespace rb = rskv::bench;
namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh directory named after the running test.
std::string test_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir =
      fs::temp_directory_path() / ("rskv_bench_results_test-" + std::to_string(::getpid()) + "-" +
                                   info->test_suite_name() + "-" + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

rb::ResultRow sample_row() {
  rb::ResultRow r;
  r.system = "rskv";
  r.label = "rskv:chained/memory/none";
  r.index = "chained";
  r.device = "memory";
  r.gc = "none";
  r.workload = "ycsb-a";
  r.distribution = "zipfian";
  r.threads = 2;
  r.records = 1000;
  r.key_size = 8;
  r.value_size = 8;
  r.batch = 1;
  r.repeat = 3;
  r.ops = 123456;
  r.seconds = 1.5;
  r.mops = 0.082304;
  r.p50_us = 0.25;
  r.p99_us = 1.5;
  r.swept = {{"store.memory", "1073741824"}};
  r.cell = 4;
  r.load_seconds = 0.5;
  r.device_reads_per_s = 76543.5;
  r.peak_rss_bytes = 123456789;
  r.peak_rss_scope = "run";
  return r;
}

// Writes one byte per page through a volatile pointer, so that the pages are resident and
// the allocation cannot be optimized away.
void touch(std::vector<char>& v) {
  volatile char* p = v.data();
  for (std::size_t i = 0; i < v.size(); i += 4096) p[i] = 1;
}

rb::Catalog catalog() {
  rb::Catalog c;
  c.rskv_bundles = {"chained/memory/none", "cuckoo/memory/none"};
  return c;
}

}  // namespace

// The header is the contract's columns in order, then swept keys that are not columns,
// then the driver's extras.
TEST(Csv, HeaderFollowsContract) {
  EXPECT_EQ(rb::CsvWriter::header({}),
            "system,label,index,device,gc,workload,distribution,threads,records,key_size,"
            "value_size,batch,repeat,ops,seconds,mops,p50_us,p99_us,oversubscribed,status,"
            "reason,cell,load_seconds,not_found,device_reads_per_s,peak_rss_bytes,peak_rss_scope");
  EXPECT_EQ(rb::extra_swept_columns({"threads", "store.memory", "rskv.index", "workload.theta",
                                     "workload.preset", "workload.mix"}),
            (std::vector<std::string>{"store.memory", "workload.theta", "workload.mix"}));
  const std::string h = rb::CsvWriter::header({"store.memory"});
  EXPECT_NE(h.find("reason,store.memory,cell"), std::string::npos) << h;
}

// A measured row and a skipped row (blank numbers, the reason kept, quoted when needed).
TEST(Csv, Rows) {
  const rb::ResultRow r = sample_row();
  EXPECT_EQ(rb::CsvWriter::format(r, {"store.memory"}),
            "rskv,rskv:chained/memory/none,chained,memory,none,ycsb-a,zipfian,2,1000,8,8,1,3,"
            "123456,1.5,0.082304,0.25,1.5,false,ok,,1073741824,4,0.5,0,76543.5,123456789,run");
  // A baseline reports no device reads (blank); a peak measured without the reset says so.
  rb::ResultRow b = r;
  b.device_reads_per_s.reset();
  b.peak_rss_scope = "process";
  const std::string line = rb::CsvWriter::format(b, {"store.memory"});
  EXPECT_EQ(line.substr(line.rfind(",0,") + 1), "0,,123456789,process") << line;
  rb::ResultRow s = r;
  s.system = s.label = "libcuckoo";
  s.index = s.device = s.gc = "";
  s.status = "skipped";
  s.reason = "libcuckoo is a hash table, no scans";
  s.p50_us.reset();
  s.p99_us.reset();
  s.oversubscribed = true;
  s.swept = {{"store.memory", ""}};
  EXPECT_EQ(rb::CsvWriter::format(s, {"store.memory"}),
            "libcuckoo,libcuckoo,,,,ycsb-a,zipfian,2,1000,8,8,1,3,,,,,,true,skipped,"
            "\"libcuckoo is a hash table, no scans\",,4,,,,,");
}

TEST(Csv, Quoting) {
  EXPECT_EQ(rb::csv_field("plain"), "plain");
  EXPECT_EQ(rb::csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(rb::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(rb::csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(rb::csv_number(12.5), "12.5");
  EXPECT_EQ(rb::csv_number(1e-7), "0.000000");
  EXPECT_EQ(rb::csv_number(123456789.0), "123456789.000000");
}

// The writer creates the file with the header and appends rows as they come.
TEST(Csv, WriterAppends) {
  const std::string dir = test_dir();
  auto w = rb::CsvWriter::create(dir + "/results.csv", {});
  ASSERT_TRUE(w.ok());
  w->write(sample_row());
  w->write(sample_row());
  const std::string text = read_file(dir + "/results.csv");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_EQ(text.rfind("system,label,", 0), 0u);
  auto bad = rb::CsvWriter::create(dir + "/no/such/dir/results.csv", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("cannot create"), std::string::npos);
}

TEST(Timeline, HeaderAndRows) {
  // Issue 5's columns, exactly.
  EXPECT_EQ(rb::kTimelineHeader, "cell,repeat,label,threads,t_ms,ops,mops,event");
  rb::TimelineRow r;
  r.cell = 2;
  r.repeat = 1;
  r.label = "rskv:chained/memory/none";
  r.threads = 4;
  r.t_ms = 100;
  r.ops = 5000;
  r.mops = 0.05;
  EXPECT_EQ(rb::format_timeline_row(r), "2,1,rskv:chained/memory/none,4,100,5000,0.05,");
  rb::TimelineRow e;
  e.cell = 2;
  e.label = "rskv:chained/memory/none";
  e.threads = 4;
  e.t_ms = 250;
  e.event = "checkpoint_start";
  e.detail = "kind=foldover id=3";
  EXPECT_EQ(rb::format_timeline_row(e), "2,1,rskv:chained/memory/none,4,250,,,checkpoint_start");
}

// checkpoints.csv: one row per checkpoint; blank id when it failed, blank ratio when it has
// none, the error quoted when it holds a comma.
TEST(Checkpoints, HeaderAndRows) {
  EXPECT_EQ(rb::kCheckpointsHeader,
            "cell,repeat,label,threads,number,id,kind,status,start_ms,end_ms,duration_ms,"
            "ops_during,mops_during,before_from_ms,ops_before,mops_before,ratio,error");
  rb::CheckpointRow r;
  r.cell = 1;
  r.repeat = 2;
  r.label = "rskv:chained/file/none";
  r.threads = 2;
  r.number = 3;
  r.id = 7;
  r.kind = "snapshot";
  r.start_ms = 15000;
  r.end_ms = 15250;
  r.ops_during = 450000;
  r.mops_during = 1.8;
  r.before_from_ms = 10250;
  r.ops_before = 10000000;
  r.mops_before = 2;
  r.ratio = 0.9;
  EXPECT_EQ(rb::format_checkpoint_row(r),
            "1,2,rskv:chained/file/none,2,3,7,snapshot,ok,15000,15250,250,450000,1.8,10250,"
            "10000000,2,0.9,");
  r.id = 0;
  r.status = "failed";
  r.ratio.reset();
  r.error = "checkpoint gave up: session(s) 1, 2 did not acknowledge";
  EXPECT_EQ(rb::format_checkpoint_row(r),
            "1,2,rskv:chained/file/none,2,3,,snapshot,failed,15000,15250,250,450000,1.8,10250,"
            "10000000,2,,\"checkpoint gave up: session(s) 1, 2 did not acknowledge\"");
}

// JSON rows carry the same fields with types (numbers, null where blank) and the details.
TEST(Json, RowsAndFiles) {
  rb::ResultRow r = sample_row();
  r.details = {{"engine", "rskv"}};
  const auto j = rb::row_json(r);
  EXPECT_EQ(j["system"], "rskv");
  EXPECT_EQ(j["threads"], 2);
  EXPECT_EQ(j["ops"], 123456);
  EXPECT_DOUBLE_EQ(j["mops"].get<double>(), 0.082304);
  EXPECT_EQ(j["oversubscribed"], false);
  EXPECT_EQ(j["swept"]["store.memory"], "1073741824");
  EXPECT_EQ(j["details"]["engine"], "rskv");
  EXPECT_DOUBLE_EQ(j["device_reads_per_s"].get<double>(), 76543.5);
  EXPECT_EQ(j["peak_rss_bytes"], 123456789);
  EXPECT_EQ(j["peak_rss_scope"], "run");
  r.status = "skipped";
  r.p50_us.reset();
  const auto s = rb::row_json(r);
  EXPECT_TRUE(s["mops"].is_null());
  EXPECT_TRUE(s["p50_us"].is_null());
  EXPECT_TRUE(s["device_reads_per_s"].is_null());
  EXPECT_TRUE(s["peak_rss_bytes"].is_null());
  EXPECT_TRUE(s["peak_rss_scope"].is_null());

  const std::string dir = test_dir();
  nlohmann::ordered_json doc = {{"rows", nlohmann::ordered_json::array({j})}};
  ASSERT_TRUE(rb::write_json_file(dir + "/results.json", doc).ok());
  const auto back = nlohmann::json::parse(read_file(dir + "/results.json"));
  EXPECT_EQ(back["rows"][0]["label"], "rskv:chained/memory/none");
  EXPECT_FALSE(fs::exists(dir + "/results.json.tmp"));
  EXPECT_FALSE(rb::write_json_file(dir + "/missing/results.json", doc).ok());
}

// The machine and build sections read real values.
TEST(Json, MachineAndBuild) {
  const auto m = rb::machine_json();
  EXPECT_FALSE(m["cpu_model"].get<std::string>().empty());
  EXPECT_GE(m["cores"].get<int>(), 1);
  EXPECT_GT(m["memory_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_NE(m["kernel"].get<std::string>().find("Linux"), std::string::npos);
  const auto b = rb::build_json();
  EXPECT_NE(b["compiler"].get<std::string>().find("g++"), std::string::npos);
  EXPECT_FALSE(b["flags"].get<std::string>().empty());
  const std::string commit = rb::git_commit();
  EXPECT_TRUE(commit == "unknown" || commit.size() == 40) << commit;
}

// /proc/<pid>/status fields in bytes; anything that is not "<number> kB" is refused.
TEST(PeakRss, ParsesStatusFields) {
  const std::string status =
      "Name:\trskv-bench\nVmPeak:\t  900000 kB\nVmHWM:\t   12345 kB\nVmRSS:\t    1000 kB\n"
      "Threads:\t3\nVmSwap:\t0 kB";
  EXPECT_EQ(rb::parse_status_bytes(status, "VmHWM"), 12345ull * 1024);
  EXPECT_EQ(rb::parse_status_bytes(status, "VmRSS"), 1000ull * 1024);
  EXPECT_EQ(rb::parse_status_bytes(status, "VmSwap"), 0u);             // last line, no newline
  EXPECT_EQ(rb::parse_status_bytes(status, "Threads"), std::nullopt);  // no unit
  EXPECT_EQ(rb::parse_status_bytes(status, "VmHW"), std::nullopt);     // a prefix is not a field
  EXPECT_EQ(rb::parse_status_bytes(status, "VmLck"), std::nullopt);
  EXPECT_EQ(rb::parse_status_bytes("VmHWM:\tlots kB\n", "VmHWM"), std::nullopt);
}

// On Linux the reset works: memory touched before the window does not count, memory
// touched inside it does. (Where /proc/self/clear_refs is refused the scope says so.)
TEST(PeakRss, WindowResetsTheHighWaterMark) {
  constexpr std::size_t kBig = 96u << 20;
  {
    std::vector<char> before(kBig);  // raises VmHWM, then is freed
    touch(before);
  }
  const rb::PeakRssWindow window;
  if (window.scope() != "run") {
    GTEST_SKIP() << "the kernel refused the reset: " << window.reset_error();
  }
  ASSERT_TRUE(window.rss_at_start().has_value());
  const auto first = window.peak();
  ASSERT_TRUE(first.has_value());
  EXPECT_LT(*first, *window.rss_at_start() + kBig / 2) << "the 96 MiB freed before the reset count";
  std::vector<char> inside(kBig);
  touch(inside);
  const auto second = window.peak();
  ASSERT_TRUE(second.has_value());
  EXPECT_GE(*second, *window.rss_at_start() + kBig - (8u << 20));
}

// Percentiles from the log-linear histogram are within 1/32 of the truth.
TEST(Histogram, Quantiles) {
  rb::LatencyHistogram h;
  EXPECT_EQ(h.quantile_ns(0.5), 0.0);
  for (std::uint64_t v = 1; v <= 100000; ++v) h.record(v);
  EXPECT_NEAR(h.quantile_ns(0.5), 50000, 50000 / 32.0);
  EXPECT_NEAR(h.quantile_ns(0.99), 99000, 99000 / 32.0);
  EXPECT_NEAR(h.quantile_ns(1.0), 100000, 100000 / 32.0);
  rb::LatencyHistogram small;
  for (int i = 0; i < 10; ++i) small.record(7);
  EXPECT_EQ(small.quantile_ns(0.5), 7.0);  // exact below 64 ns
  small.merge(h);
  EXPECT_EQ(small.count(), 100010u);
  for (std::uint64_t v : {64ull, 100ull, 1000ull, 123456789ull}) {
    const int b = rb::LatencyHistogram::bucket_of(v);
    EXPECT_LE(rb::LatencyHistogram::lower_bound(b), static_cast<double>(v));
    EXPECT_GT(rb::LatencyHistogram::lower_bound(b + 1), static_cast<double>(v));
  }
  EXPECT_EQ(rb::LatencyHistogram::bucket_of(~0ull), rb::LatencyHistogram::kBuckets - 1);
}

// Repeats are interleaved: repeat 1 of every cell and system, then repeat 2. Baselines are
// not re-run for cells that differ only in rskv.* keys or batch.
TEST(Driver, RunOrderAndDedup) {
  auto e = rb::parse_experiment(R"(
name: t
systems: [rskv, tbb_hash_map]
workload: {records: 100, ops: 100}
repeats: 2
sweep:
  threads: [1, 2]
  rskv.index: [chained, cuckoo]
)",
                                "t.yaml", {}, catalog());
  ASSERT_TRUE(e.ok()) << e.error().message;
  const auto runs = rb::plan_runs(*e);
  // Per repeat: 4 cells x rskv + 2 thread counts x tbb = 6.
  ASSERT_EQ(runs.size(), 12u);
  std::vector<std::string> first;
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(runs[i].repeat, 1u);
    EXPECT_EQ(runs[i + 6].repeat, 2u);
    EXPECT_EQ(runs[i].system.label(), runs[i + 6].system.label());
    first.push_back(runs[i].system.label() + "@" + std::to_string(runs[i].cell));
  }
  EXPECT_EQ(first,
            (std::vector<std::string>{"rskv:chained/memory/none@0", "tbb_hash_map@0",
                                      "rskv:cuckoo/memory/none@1", "rskv:chained/memory/none@2",
                                      "tbb_hash_map@2", "rskv:cuckoo/memory/none@3"}));
  const std::string text = rb::describe_experiment(*e);
  EXPECT_NE(text.find("4 cells, 2 repeats, 12 runs"), std::string::npos) << text;
  EXPECT_NE(text.find("same as an earlier cell"), std::string::npos) << text;
}

// --out: a new folder is created, an empty one accepted, a non-empty one or a file refused.
TEST(Driver, OutDirRules) {
  const std::string dir = test_dir();
  EXPECT_TRUE(rb::prepare_out_dir(dir + "/new/nested").ok());
  EXPECT_TRUE(fs::is_directory(dir + "/new/nested"));
  EXPECT_TRUE(rb::prepare_out_dir(dir + "/new/nested").ok());  // empty: accepted
  std::ofstream(dir + "/new/nested/x") << "x";
  auto full = rb::prepare_out_dir(dir + "/new/nested");
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.error().message.find("not empty"), std::string::npos);
  auto file = rb::prepare_out_dir(dir + "/new/nested/x");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().message.find("not a folder"), std::string::npos);
  rb::Experiment e;
  e.name = "quick";
  EXPECT_EQ(rb::default_out_dir(e).rfind("results/quick-", 0), 0u);
}
