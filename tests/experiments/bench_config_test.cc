// rskv-bench configs (experiments/rskv-bench/config.h): defaults, units, --set, sweep
// expansion, and every error path, each of which must name the key, the bad value and
// what is valid. The catalog is a fixed list so that these tests do not depend on which
// policies the engine has compiled.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "experiments/rskv-bench/config.h"

namespace rb = rskv::bench;
namespace wl = rskv::workload;

namespace {

rb::Catalog test_catalog() {
  rb::Catalog c;
  c.rskv_bundles = {"chained/memory/none", "cuckoo/memory/none", "cuckoo/file/none"};
  return c;
}

constexpr const char* kMinimal = R"(
name: t
systems: [rskv, tbb_hash_map]
workload: {records: 1000}
)";

rb::Experiment parse_ok(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  auto r = rb::parse_experiment(yaml, "test.yaml", sets, test_catalog());
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return {};
  return std::move(r).value();
}

// Parses and expects an error whose message holds every fragment.
void expect_error(const std::string& yaml, const std::vector<std::string>& fragments,
                  const std::vector<std::string>& sets = {},
                  const rb::Catalog& catalog = test_catalog()) {
  auto r = rb::parse_experiment(yaml, "test.yaml", sets, catalog);
  ASSERT_FALSE(r.ok()) << "parsed although it should fail:\n" << yaml;
  const std::string& msg = r.error().message;
  EXPECT_EQ(msg.rfind("test.yaml: ", 0), 0u) << msg;
  for (const auto& f : fragments) {
    EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' missing from: " << msg;
  }
}

std::string with_workload(const std::string& workload_lines) {
  return "name: t\nsystems: [rskv, libcuckoo]\nworkload:\n  records: 1000\n" + workload_lines;
}

}  // namespace

// ------------------------------------------------------------------------------ values
// Counts take K/M/G as powers of ten.
TEST(ParseCount, PowersOfTen) {
  EXPECT_EQ(rb::parse_count("k", "16M").value(), 16'000'000u);
  EXPECT_EQ(rb::parse_count("k", "1K").value(), 1000u);
  EXPECT_EQ(rb::parse_count("k", "2G").value(), 2'000'000'000u);
  EXPECT_EQ(rb::parse_count("k", "1.5M").value(), 1'500'000u);
  EXPECT_EQ(rb::parse_count("k", "1_000").value(), 1000u);
  EXPECT_EQ(rb::parse_count("k", "42").value(), 42u);
  for (const char* bad : {"", "abc", "1Q", "1.5", "-3", "1KiB", "M"}) {
    auto r = rb::parse_count("workload.records", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("workload.records"), std::string::npos);
    EXPECT_NE(r.error().message.find("K, M or G"), std::string::npos);
  }
}

// Sizes take KiB/MiB/GiB (powers of two) and KB/MB/GB (powers of ten).
TEST(ParseSize, BinaryAndDecimalUnits) {
  EXPECT_EQ(rb::parse_size("k", "1GiB").value(), 1ull << 30);
  EXPECT_EQ(rb::parse_size("k", "64MiB").value(), 64ull << 20);
  EXPECT_EQ(rb::parse_size("k", "4KiB").value(), 4096u);
  EXPECT_EQ(rb::parse_size("k", "100KB").value(), 100'000u);
  EXPECT_EQ(rb::parse_size("k", "1MB").value(), 1'000'000u);
  EXPECT_EQ(rb::parse_size("k", "8B").value(), 8u);
  EXPECT_EQ(rb::parse_size("k", "8").value(), 8u);
  EXPECT_EQ(rb::parse_size("k", "8 B").value(), 8u);
  for (const char* bad : {"1XB", "big", "1.5B", "-1KiB"}) {
    auto r = rb::parse_size("store.memory", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("store.memory"), std::string::npos);
    EXPECT_NE(r.error().message.find("KiB"), std::string::npos);
  }
}

// Durations: 5s, 500ms, 2min; a bare number other than 0 is refused.
TEST(ParseDuration, Units) {
  EXPECT_DOUBLE_EQ(rb::parse_duration("k", "5s").value(), 5.0);
  EXPECT_DOUBLE_EQ(rb::parse_duration("k", "500ms").value(), 0.5);
  EXPECT_DOUBLE_EQ(rb::parse_duration("k", "2min").value(), 120.0);
  EXPECT_DOUBLE_EQ(rb::parse_duration("k", "0").value(), 0.0);
  for (const char* bad : {"5", "5 parsecs", "fast", "-1s"}) {
    auto r = rb::parse_duration("workload.duration", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("500ms"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------- defaults
// Only name, systems and workload.records are required; the rest has the documented default.
TEST(Config, Defaults) {
  const rb::Experiment e = parse_ok(kMinimal);
  ASSERT_EQ(e.cells.size(), 1u);
  const rb::CellConfig& c = e.cells[0];
  EXPECT_EQ(e.name, "t");
  EXPECT_EQ(e.repeats, 1u);
  EXPECT_EQ(c.memory_bytes, 1ull << 30);
  EXPECT_TRUE(c.store_path.empty());
  EXPECT_EQ(c.threads, 1u);
  EXPECT_EQ(c.workload_name, "ycsb-a");
  EXPECT_EQ(c.mix, wl::find_preset("ycsb-a")->mix);
  EXPECT_EQ(c.distribution, wl::Distribution::Zipfian);
  EXPECT_DOUBLE_EQ(c.theta, 0.99);
  EXPECT_EQ(c.key_size, 8u);
  EXPECT_EQ(c.value_size, 8u);
  ASSERT_TRUE(c.duration_s.has_value());
  EXPECT_DOUBLE_EQ(*c.duration_s, 5.0);
  EXPECT_FALSE(c.ops.has_value());
  EXPECT_DOUBLE_EQ(c.warmup_s, 1.0);
  EXPECT_EQ(c.batch, 1u);
  EXPECT_FALSE(c.timeline_s.has_value());
  ASSERT_EQ(c.systems.size(), 2u);
  EXPECT_EQ(c.systems[0].label(), "rskv:chained/memory/none");
  EXPECT_EQ(c.systems[1].label(), "tbb_hash_map");
  EXPECT_EQ(c.systems[1].index, "");
  EXPECT_EQ(e.plots, (std::vector<std::string>{"latency", "workload_bars"}));
  EXPECT_EQ(e.resolved["threads"], 1);
  EXPECT_EQ(e.resolved["workload"]["records"], 1000);
}

// Every key given explicitly lands in the cell.
TEST(Config, AllKeys) {
  const rb::Experiment e = parse_ok(R"(
name: full-1.0
systems:
  - rskv: {index: cuckoo, device: file, gc: none}
  - {rocksdb: }
store: {memory: 256MiB, path: /tmp/x}
threads: 2
workload:
  preset: ycsb-d
  records: 2M
  key_size: 16
  value_size: 1KiB
  theta: 0.8
  hot_fraction: 0.1
  hot_ops_fraction: 0.9
  ops: 10K
  warmup: 250ms
  batch: 8
  scan_length: 20
  seed: 9
repeats: 3
plots: [latency, timeline]
timeline: 100ms
)");
  const rb::CellConfig& c = e.cells.at(0);
  EXPECT_EQ(c.systems[0].label(), "rskv:cuckoo/file/none");
  EXPECT_EQ(c.systems[1].label(), "rocksdb");
  EXPECT_EQ(c.memory_bytes, 256ull << 20);
  EXPECT_EQ(c.store_path, "/tmp/x");
  EXPECT_EQ(c.threads, 2u);
  EXPECT_EQ(c.workload_name, "ycsb-d");
  EXPECT_EQ(c.distribution, wl::Distribution::Latest);  // the preset's
  EXPECT_EQ(c.records, 2'000'000u);
  EXPECT_EQ(c.key_size, 16u);
  EXPECT_EQ(c.value_size, 1024u);
  EXPECT_DOUBLE_EQ(c.theta, 0.8);
  EXPECT_DOUBLE_EQ(c.hot_fraction, 0.1);
  EXPECT_DOUBLE_EQ(c.hot_ops_fraction, 0.9);
  EXPECT_EQ(c.ops, 10'000u);
  EXPECT_FALSE(c.duration_s.has_value());
  EXPECT_DOUBLE_EQ(c.warmup_s, 0.25);
  EXPECT_EQ(c.batch, 8u);
  EXPECT_EQ(c.scan_length, 20u);
  EXPECT_EQ(c.seed, 9u);
  EXPECT_EQ(e.repeats, 3u);
  EXPECT_EQ(e.plots, (std::vector<std::string>{"latency", "timeline"}));
  EXPECT_DOUBLE_EQ(*c.timeline_s, 0.1);
}

// A mix instead of a preset: the workload is "custom"; omitted shares are 0.
TEST(Config, CustomMix) {
  const auto e = parse_ok(with_workload("  mix: {read: 0.9, rmw: 0.1}\n"));
  const auto& c = e.cells.at(0);
  EXPECT_EQ(c.workload_name, "custom");
  EXPECT_DOUBLE_EQ(c.mix[wl::OpKind::Read], 0.9);
  EXPECT_DOUBLE_EQ(c.mix[wl::OpKind::Rmw], 0.1);
  EXPECT_DOUBLE_EQ(c.mix[wl::OpKind::Upsert], 0.0);
  EXPECT_EQ(c.distribution, wl::Distribution::Zipfian);
}

// The top-level rskv map overrides index/device/gc of every rskv entry.
TEST(Config, RskvOverrideAppliesToEveryEntry) {
  const auto e = parse_ok(R"(
name: t
systems:
  - rskv: {index: chained, device: memory}
  - rskv: {index: chained, device: file}
rskv: {index: cuckoo}
workload: {records: 10}
)");
  ASSERT_EQ(e.cells.size(), 1u);
  EXPECT_EQ(e.cells[0].systems[0].index, "cuckoo");
  EXPECT_EQ(e.cells[0].systems[1].index, "cuckoo");
}

// ------------------------------------------------------------------------------- sweep
// The cartesian product, first key outermost; swept values in canonical form.
TEST(Sweep, CartesianProduct) {
  const auto e = parse_ok(R"(
name: t
systems: [rskv, tbb_hash_map]
workload: {records: 1000}
sweep:
  threads: [1, 2, 4]
  workload.distribution: [uniform, zipfian]
  store.memory: [64MiB, 1GiB]
)");
  ASSERT_EQ(e.cells.size(), 12u);
  EXPECT_EQ(e.sweep_keys,
            (std::vector<std::string>{"threads", "workload.distribution", "store.memory"}));
  EXPECT_EQ(e.cells[0].threads, 1u);
  EXPECT_EQ(e.cells[0].distribution, wl::Distribution::Uniform);
  EXPECT_EQ(e.cells[0].memory_bytes, 64ull << 20);
  EXPECT_EQ(e.cells[1].memory_bytes, 1ull << 30);
  EXPECT_EQ(e.cells[2].distribution, wl::Distribution::Zipfian);
  EXPECT_EQ(e.cells[4].threads, 2u);
  EXPECT_EQ(e.cells[11].threads, 4u);
  EXPECT_EQ(e.cells[11].describe_swept(),
            "threads=4 workload.distribution=zipfian store.memory=1073741824");
  EXPECT_EQ(e.plots.front(), "throughput_vs_threads");  // threads swept
  EXPECT_EQ(e.resolved["sweep"]["threads"].size(), 3u);
}

// Sweeping rskv.index applies to every rskv entry; a swept mix or preset replaces the
// other; mixes appear as "read=0.5;upsert=0.5".
TEST(Sweep, RskvKeysPresetsAndMixes) {
  const auto e = parse_ok(R"(
name: t
systems: [rskv]
workload: {records: 10, preset: ycsb-c}
sweep:
  rskv.index: [chained, cuckoo]
  workload.mix: [{read: 0.5, upsert: 0.5}, {upsert: 1}]
)");
  ASSERT_EQ(e.cells.size(), 4u);
  EXPECT_EQ(e.cells[0].systems[0].label(), "rskv:chained/memory/none");
  EXPECT_EQ(e.cells[3].systems[0].label(), "rskv:cuckoo/memory/none");
  EXPECT_EQ(e.cells[0].workload_name, "custom");
  EXPECT_EQ(e.cells[0].swept.back().second, "read=0.5;upsert=0.5");
  EXPECT_EQ(e.cells[1].swept.back().second, "upsert=1");
}

// --set overrides a key, pins a swept key to one value, swaps preset for mix, and can set
// a sweep.
TEST(Sweep, SetOverrides) {
  const std::string yaml = R"(
name: t
systems: [rskv]
workload: {records: 10, preset: ycsb-c, duration: 2s}
sweep:
  threads: [1, 2]
  workload.distribution: [uniform, zipfian]
)";
  auto e = parse_ok(yaml, {"threads=2", "workload.records=5K", "store.memory=128MiB"});
  ASSERT_EQ(e.cells.size(), 2u);
  EXPECT_EQ(e.sweep_keys, (std::vector<std::string>{"workload.distribution"}));
  EXPECT_EQ(e.cells[0].threads, 2u);
  EXPECT_EQ(e.cells[0].records, 5000u);
  EXPECT_EQ(e.cells[0].memory_bytes, 128ull << 20);

  e = parse_ok(yaml, {"workload.mix={read: 1}", "workload.ops=100"});
  EXPECT_EQ(e.cells[0].workload_name, "custom");
  EXPECT_EQ(e.cells[0].ops, 100u);

  e = parse_ok(yaml, {"sweep.threads=[1, 2, 3]"});
  EXPECT_EQ(e.cells.size(), 6u);

  e = parse_ok(yaml, {"rskv.index=cuckoo", "name=renamed"});
  EXPECT_EQ(e.cells[0].systems[0].index, "cuckoo");
  EXPECT_EQ(e.name, "renamed");
}

// ------------------------------------------------------------------------- error paths
TEST(ConfigErrors, NotYamlEmptyOrNotAMap) {
  expect_error("name: [unclosed", {"not valid YAML"});
  expect_error("", {"empty"});
  expect_error("- a\n- b\n", {"must be a map"});
  expect_error("name: t\nname: u\nsystems: [rskv]\nworkload: {records: 1}\n",
               {"name", "given twice"});
}

TEST(ConfigErrors, NameAndRequiredKeys) {
  expect_error("systems: [rskv]\nworkload: {records: 1}\n", {"name is required"});
  expect_error("name: 'a b'\nsystems: [rskv]\nworkload: {records: 1}\n",
               {"name", "'a b'", "letters, digits"});
  expect_error("name: t\nworkload: {records: 1}\n", {"systems is required", "tbb_hash_map"});
  expect_error("name: t\nsystems: [rskv]\n", {"workload.records is required"});
  expect_error("name: t\nsystems: [rskv]\nworkload: {preset: ycsb-a}\n",
               {"workload.records is required"});
}

TEST(ConfigErrors, UnknownKeys) {
  expect_error(std::string(kMinimal) + "thread: 2\n",
               {"unknown key 'thread'", "line", "valid keys", "threads", "workload"});
  expect_error(with_workload("  distrbution: uniform\n"),
               {"unknown key 'workload.distrbution'", "valid keys in workload", "distribution"});
  expect_error(std::string(kMinimal) + "store: {mem: 1GiB}\n",
               {"unknown key 'store.mem'", "memory", "path"});
  expect_error(with_workload("  mix: {read: 0.5, write: 0.5}\n"),
               {"unknown key 'workload.mix.write'", "upsert"});
  expect_error(std::string(kMinimal) + "store: 1GiB\n", {"store must be a map"});
}

TEST(ConfigErrors, Systems) {
  const std::string tail = "workload: {records: 1}\n";
  expect_error("name: t\nsystems: []\n" + tail, {"systems", "non-empty list"});
  expect_error("name: t\nsystems: rskv\n" + tail, {"systems", "non-empty list"});
  expect_error("name: t\nsystems: [rskv, redis]\n" + tail,
               {"systems[1]", "'redis'", "rskv, tbb_hash_map, libcuckoo, rocksdb"});
  expect_error("name: t\nsystems: [rskv, rskv]\n" + tail, {"rskv:chained/memory/none twice"});
  expect_error("name: t\nsystems: [{rskv: {index: chained, log: big}}]\n" + tail,
               {"unknown key 'log'", "index, device, gc"});
  expect_error("name: t\nsystems: [{libcuckoo: {slots: 4}}]\n" + tail,
               {"libcuckoo", "takes no options"});
  expect_error("name: t\nsystems: [{rskv: 3}]\n" + tail, {"expected a map of options"});
  expect_error("name: t\nsystems: [[rskv]]\n" + tail, {"systems[0]", "expected a system name"});
}

TEST(ConfigErrors, UnknownPolicies) {
  const std::string tail = "workload: {records: 1}\n";
  expect_error("name: t\nsystems: [{rskv: {index: robinhood}}]\n" + tail,
               {"systems[0].rskv.index", "'robinhood'", "chained, cuckoo"});
  expect_error("name: t\nsystems: [{rskv: {device: tape}}]\n" + tail, {"'tape'", "memory, file"});
  expect_error("name: t\nsystems: [{rskv: {gc: compact}}]\n" + tail, {"'compact'", "none"});
  // Each name is known, the combination is not compiled.
  expect_error("name: t\nsystems: [{rskv: {index: chained, device: file}}]\n" + tail,
               {"chained/file/none is not compiled",
                "chained/memory/none, cuckoo/memory/none, cuckoo/file/none"});
  // The top-level override is named as such.
  expect_error(std::string(kMinimal) + "rskv: {index: btree}\n", {"rskv.index", "'btree'"});
  rb::Catalog none;
  expect_error(kMinimal, {"no rskv policy bundle"}, {}, none);
}

TEST(ConfigErrors, PresetMixAndShares) {
  expect_error(with_workload("  preset: ycsb-z\n"),
               {"workload.preset", "'ycsb-z'", "ycsb-a, ycsb-b, ycsb-c, ycsb-d, ycsb-e, ycsb-f"});
  expect_error(with_workload("  preset: ycsb-a\n  mix: {read: 1}\n"),
               {"either preset or mix, not both"});
  expect_error(with_workload("  mix: {read: 0.5, upsert: 0.4}\n"),
               {"workload.mix", "sum to 0.9", "read=0.5, upsert=0.4", "1e-6"});
  expect_error(with_workload("  mix: {read: 1.5}\n"), {"workload.mix.read", "'1.5'"});
  expect_error(with_workload("  mix: {read: lots}\n"), {"workload.mix.read", "not a number"});
  expect_error(with_workload("  mix: [read]\n"), {"workload.mix", "map of shares"});
}

TEST(ConfigErrors, OpsAndDuration) {
  expect_error(with_workload("  ops: 1M\n  duration: 5s\n"), {"either duration or ops"});
  expect_error(with_workload("  duration: 5\n"), {"workload.duration", "'5'", "500ms"});
  expect_error(with_workload("  duration: 1ms\n"), {"workload.duration", "too short"});
  expect_error(with_workload("  warmup: soon\n"), {"workload.warmup", "'soon'"});
  expect_error(with_workload("  ops: 0\n"), {"workload.ops", "at least 1"});
  expect_error(std::string(kMinimal) + "timeline: 1ms\n", {"timeline", "too short", "10ms"});
}

TEST(ConfigErrors, NumbersAndRanges) {
  expect_error(std::string(kMinimal) + "threads: two\n", {"threads", "'two'", "not a count"});
  expect_error(std::string(kMinimal) + "threads: 0\n", {"threads", "out of range", "1..1024"});
  expect_error(std::string(kMinimal) + "threads: 5000\n", {"threads", "1..1024"});
  expect_error(std::string(kMinimal) + "threads: [1, 2]\n",
               {"threads", "expected a single value", "a list"});
  expect_error("name: t\nsystems: [rskv]\nworkload: {records: 1Q}\n",
               {"workload.records", "'1Q'", "not a count"});
  expect_error("name: t\nsystems: [rskv]\nworkload: {records: 0}\n",
               {"workload.records", "out of range"});
  expect_error(with_workload("  value_size: 10XB\n"), {"workload.value_size", "not a size"});
  expect_error(with_workload("  value_size: 1GiB\n"), {"workload.value_size", "out of range"});
  expect_error(with_workload("  key_size: 0\n"), {"workload.key_size", "out of range"});
  expect_error("name: t\nsystems: [rskv]\nworkload: {records: 1M, key_size: 2}\n",
               {"workload.key_size", "65536 distinct keys", "use 8"});
  expect_error(with_workload("  distribution: zipf\n"),
               {"workload.distribution", "'zipf'", "uniform, zipfian, latest, hotspot"});
  expect_error(with_workload("  theta: 1\n"), {"workload.theta", "(0, 1)", "0.99"});
  expect_error(with_workload("  theta: high\n"), {"workload.theta", "not a number"});
  expect_error(with_workload("  hot_fraction: 0\n"), {"workload.hot_fraction", "(0, 1]"});
  expect_error(with_workload("  hot_ops_fraction: 2\n"), {"workload.hot_ops_fraction", "[0, 1]"});
  expect_error(with_workload("  batch: 0\n"), {"workload.batch", "1..1024"});
  expect_error(with_workload("  scan_length: 10000\n"), {"workload.scan_length", "1..8191"});
  expect_error(std::string(kMinimal) + "store: {memory: 1KiB}\n", {"store.memory", "1MiB"});
  expect_error(std::string(kMinimal) + "store: {memory: lots}\n", {"store.memory", "not a size"});
  expect_error(std::string(kMinimal) + "repeats: 0\n", {"repeats", "1..1000"});
  expect_error(std::string(kMinimal) + "plots: [latency, pie]\n",
               {"plots", "'pie'", "throughput_vs_threads, latency, workload_bars, timeline"});
  expect_error(std::string(kMinimal) + "plots: latency\n", {"plots", "expected a list"});
}

TEST(ConfigErrors, Sweeps) {
  expect_error(std::string(kMinimal) + "sweep: {name: [a, b]}\n",
               {"sweep", "'name' cannot be swept", "sweepable keys", "threads"});
  expect_error(std::string(kMinimal) + "sweep: {workload.colour: [red]}\n",
               {"'workload.colour' cannot be swept"});
  expect_error(std::string(kMinimal) + "sweep: {threads: 2}\n",
               {"sweep.threads", "non-empty list"});
  expect_error(std::string(kMinimal) + "sweep: {threads: []}\n", {"sweep.threads"});
  expect_error(std::string(kMinimal) + "sweep: [threads]\n", {"sweep", "map"});
  expect_error(
      std::string(kMinimal) + "sweep: {workload.preset: [ycsb-a], workload.mix: [{read: 1}]}\n",
      {"both workload.preset and workload.mix"});
  // A bad value inside a sweep names the key, the value and the cell.
  expect_error(std::string(kMinimal) + "sweep: {threads: [1, zero]}\n",
               {"threads", "'zero'", "sweep cell threads=zero"});
  expect_error(std::string(kMinimal) + "sweep: {rskv.index: [chained, hopscotch]}\n",
               {"rskv.index", "'hopscotch'", "chained, cuckoo"});
}

TEST(ConfigErrors, SetOverrides) {
  expect_error(kMinimal, {"--set 'threads'", "KEY=VALUE"}, {"threads"});
  expect_error(kMinimal, {"--set thread", "unknown key 'thread'", "threads"}, {"thread=2"});
  expect_error(kMinimal, {"--set threads", "not valid YAML"}, {"threads=[1"});
  expect_error(kMinimal, {"threads", "'lots'"}, {"threads=lots"});
  expect_error(kMinimal, {"'name' cannot be swept"}, {"sweep.name=[a]"});
}

// An engine-side check (memory budget against the largest record) stops the config too.
TEST(ConfigErrors, EngineCheck) {
  rb::Catalog c = test_catalog();
  c.check_rskv = [](const rb::CellConfig& cell,
                    const rb::SystemEntry&) -> std::optional<std::string> {
    if (cell.value_size > 1000) return "store.memory: too small for value_size";
    return std::nullopt;
  };
  expect_error(with_workload("  value_size: 4KiB\n"), {"too small for value_size"}, {}, c);
  auto ok = rb::parse_experiment(with_workload("  value_size: 8\n"), "test.yaml", {}, c);
  EXPECT_TRUE(ok.ok());
}

// ----------------------------------------------------------------- periodic checkpoints
namespace {
constexpr const char* kFileRskv = R"(
name: t
systems: [{rskv: {index: cuckoo, device: file}}, tbb_hash_map]
workload: {records: 1000}
)";
}  // namespace

// Off by default; a duration turns them on, "off" and 0 leave them off; the kind defaults
// to foldover and takes alternate; the resolved config carries both.
TEST(ConfigCheckpoints, ValuesAndDefaults) {
  auto none = parse_ok(kFileRskv);
  ASSERT_EQ(none.cells.size(), 1u);
  EXPECT_FALSE(none.cells[0].checkpoint_every_s.has_value());
  EXPECT_EQ(none.cells[0].checkpoint_kind, rb::CheckpointSchedule::FoldOver);
  EXPECT_EQ(std::find(none.plots.begin(), none.plots.end(), "checkpoints"), none.plots.end());

  auto e = parse_ok(std::string(kFileRskv) +
                    "store: {checkpoint_every: 5s, checkpoint_kind: alternate}\n");
  ASSERT_EQ(e.cells.size(), 1u);
  ASSERT_TRUE(e.cells[0].checkpoint_every_s.has_value());
  EXPECT_DOUBLE_EQ(*e.cells[0].checkpoint_every_s, 5.0);
  EXPECT_EQ(e.cells[0].checkpoint_kind, rb::CheckpointSchedule::Alternate);
  EXPECT_EQ(e.resolved["store"]["checkpoint_every_s"], 5.0);
  EXPECT_EQ(e.resolved["store"]["checkpoint_kind"], "alternate");
  // The default plots add the checkpoint ratios.
  EXPECT_NE(std::find(e.plots.begin(), e.plots.end(), "checkpoints"), e.plots.end());

  auto ms = parse_ok(std::string(kFileRskv) + "store: {checkpoint_every: 500ms}\n");
  EXPECT_DOUBLE_EQ(*ms.cells[0].checkpoint_every_s, 0.5);
  auto snap = parse_ok(std::string(kFileRskv) +
                       "store: {checkpoint_every: 1s, checkpoint_kind: snapshot}\n");
  EXPECT_EQ(snap.cells[0].checkpoint_kind, rb::CheckpointSchedule::Snapshot);
  for (const char* off : {"off", "0"}) {
    auto o = parse_ok(std::string(kFileRskv) + "store: {checkpoint_every: " + off +
                      ", checkpoint_kind: snapshot}\n");
    EXPECT_FALSE(o.cells[0].checkpoint_every_s.has_value()) << off;
  }
  // --set reaches both keys.
  auto set = parse_ok(kFileRskv, {"store.checkpoint_every=2s", "store.checkpoint_kind=alternate"});
  EXPECT_DOUBLE_EQ(*set.cells[0].checkpoint_every_s, 2.0);
  EXPECT_EQ(set.cells[0].checkpoint_kind, rb::CheckpointSchedule::Alternate);
}

// Both keys sweep (a list of kinds is a sweep axis only under sweep:); a cell without
// checkpoints says off, and each swept value becomes its own results column.
TEST(ConfigCheckpoints, Sweep) {
  auto e = parse_ok(std::string(kFileRskv) + "store: {checkpoint_every: 1s}\n" +
                    "sweep: {store.checkpoint_kind: [foldover, snapshot]}\n");
  ASSERT_EQ(e.cells.size(), 2u);
  EXPECT_EQ(e.cells[0].checkpoint_kind, rb::CheckpointSchedule::FoldOver);
  EXPECT_EQ(e.cells[1].checkpoint_kind, rb::CheckpointSchedule::Snapshot);
  EXPECT_EQ(e.cells[1].describe_swept(), "store.checkpoint_kind=snapshot");
  auto every = parse_ok(std::string(kFileRskv) + "sweep: {store.checkpoint_every: [off, 2s]}\n");
  ASSERT_EQ(every.cells.size(), 2u);
  EXPECT_FALSE(every.cells[0].checkpoint_every_s.has_value());
  EXPECT_EQ(every.cells[0].describe_swept(), "store.checkpoint_every=off");
  EXPECT_EQ(every.cells[1].describe_swept(), "store.checkpoint_every=2");
}

// store.copy_reads_to_tail: off by default, true/false (also through --set and a sweep, where
// it becomes a results column); anything else is one error naming the valid values.
TEST(ConfigCopyReadsToTail, ValuesSweepAndErrors) {
  auto none = parse_ok(kFileRskv);
  EXPECT_FALSE(none.cells[0].copy_reads_to_tail);
  EXPECT_EQ(none.resolved["store"]["copy_reads_to_tail"], false);
  auto on = parse_ok(std::string(kFileRskv) + "store: {copy_reads_to_tail: true}\n");
  EXPECT_TRUE(on.cells[0].copy_reads_to_tail);
  EXPECT_EQ(on.resolved["store"]["copy_reads_to_tail"], true);
  auto set = parse_ok(kFileRskv, {"store.copy_reads_to_tail=true"});
  EXPECT_TRUE(set.cells[0].copy_reads_to_tail);
  auto sweep =
      parse_ok(std::string(kFileRskv) + "sweep: {store.copy_reads_to_tail: [false, true]}\n");
  ASSERT_EQ(sweep.cells.size(), 2u);
  EXPECT_FALSE(sweep.cells[0].copy_reads_to_tail);
  EXPECT_TRUE(sweep.cells[1].copy_reads_to_tail);
  EXPECT_EQ(sweep.cells[1].describe_swept(), "store.copy_reads_to_tail=true");
  expect_error(std::string(kFileRskv) + "store: {copy_reads_to_tail: sometimes}\n",
               {"store.copy_reads_to_tail", "'sometimes'", "true, false"});
}

// store.checkpoint_write_rate: off by default; a size is bytes per second; "off" and a
// malformed size are handled like every size key.
TEST(ConfigCheckpoints, WriteRate) {
  auto none = parse_ok(kFileRskv);
  EXPECT_EQ(none.cells[0].checkpoint_write_rate, 0u);
  EXPECT_TRUE(none.resolved["store"]["checkpoint_write_rate"].is_null());
  auto on = parse_ok(std::string(kFileRskv) +
                     "store: {checkpoint_every: 5s, checkpoint_write_rate: 128MiB}\n");
  EXPECT_EQ(on.cells[0].checkpoint_write_rate, 128u << 20);
  EXPECT_EQ(on.resolved["store"]["checkpoint_write_rate"], 128u << 20);
  auto off = parse_ok(kFileRskv, {"store.checkpoint_write_rate=off"});
  EXPECT_EQ(off.cells[0].checkpoint_write_rate, 0u);
  expect_error(std::string(kFileRskv) + "store: {checkpoint_write_rate: fast}\n",
               {"store.checkpoint_write_rate", "fast"});
}

// Every mistake is one message naming the key, the value and what is valid.
TEST(ConfigCheckpoints, Errors) {
  const std::string base = kFileRskv;
  expect_error(base + "store: {checkpoint_every: 5}\n",
               {"store.checkpoint_every", "'5'", "5s or 500ms, or off"});
  expect_error(base + "store: {checkpoint_every: often}\n",
               {"store.checkpoint_every", "'often'", "or off"});
  expect_error(base + "store: {checkpoint_every: 10ms}\n",
               {"store.checkpoint_every", "'10ms'", "too short", "100ms"});
  expect_error(base + "store: {checkpoint_every: [1s, 2s]}\n",
               {"store.checkpoint_every", "single value", "a list"});
  expect_error(base + "store: {checkpoint_every: 5s, checkpoint_kind: fold}\n",
               {"store.checkpoint_kind", "'fold'", "foldover, snapshot, alternate"});
  // A list is not a kind: the message says how to alternate and how to sweep.
  expect_error(base + "store: {checkpoint_every: 5s, checkpoint_kind: [foldover, snapshot]}\n",
               {"store.checkpoint_kind", "is a list", "alternate",
                "sweep: {store.checkpoint_kind: [foldover, snapshot]}"});
  // A kind alone would do nothing.
  expect_error(base + "store: {checkpoint_kind: snapshot}\n",
               {"store.checkpoint_kind", "'snapshot'", "without store.checkpoint_every"});
  // The memory device keeps nothing: refused, naming the entry; also through --set and a
  // sweep of the device.
  expect_error(std::string(kMinimal) + "store: {checkpoint_every: 5s}\n",
               {"store.checkpoint_every", "'5s'", "persistent", "systems[0]",
                "rskv:chained/memory/none", "file or io_uring"});
  expect_error(kFileRskv, {"store.checkpoint_every", "memory device"},
               {"store.checkpoint_every=5s", "rskv.device=memory", "rskv.index=chained"});
  expect_error(base + "store: {checkpoint_every: 5s}\n" +
                   "sweep: {rskv.device: [file, memory], rskv.index: [cuckoo]}\n",
               {"store.checkpoint_every", "memory device", "sweep cell rskv.device=memory"});
  // --set with a bad value.
  expect_error(kFileRskv, {"store.checkpoint_kind", "'both'"},
               {"store.checkpoint_every=5s", "store.checkpoint_kind=both"});
}

// The README's key table lists every key.
TEST(Config, KeyTable) {
  const std::string table = rb::key_table_markdown();
  for (const char* k : {"`name`", "`systems`", "`store.memory`", "`workload.records`",
                        "`workload.theta`", "`sweep`", "`timeline`", "`rskv.index`",
                        "`store.checkpoint_every`", "`store.checkpoint_kind`"}) {
    EXPECT_NE(table.find(k), std::string::npos) << k;
  }
}
