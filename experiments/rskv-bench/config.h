#pragma once
// rskv-bench's experiment configs: the YAML format, its validation, --set overrides and
// sweep expansion. The key table (kKeys in config.cc) is the one description of every
// key: the parser checks against it and `rskv-bench --keys` prints it.
//
// Loading goes YAML text -> a JSON tree of scalars kept as text (values keep the user's
// spelling, e.g. "16M", until a key's parser reads them) -> --set applied -> the sweep
// split off -> one typed CellConfig per combination of sweep values, each validated in
// full. Any problem is one Error naming the key, the bad value and the valid choices;
// nothing runs until every cell has passed.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "components/common/result.h"
#include "experiments/workload/workload.h"

namespace rskv::bench {

inline constexpr std::string_view kSystemNames[] = {"rskv", "tbb_hash_map", "libcuckoo", "rocksdb"};
inline constexpr std::string_view kPlotNames[] = {"throughput_vs_threads", "latency",
                                                  "workload_bars", "timeline", "checkpoints"};

/// store.checkpoint_kind: the log checkpoint kind of rskv-bench's periodic checkpoints;
/// Alternate takes foldover and snapshot in turn (foldover first).
enum class CheckpointSchedule : std::uint8_t { FoldOver, Snapshot, Alternate };
inline constexpr std::string_view kCheckpointScheduleNames[] = {"foldover", "snapshot",
                                                                "alternate"};

/// One system under test, as a config entry names it.
struct SystemEntry {
  std::string system;  // one of kSystemNames
  std::string index;   // rskv only: policy names; blank for baselines
  std::string device;
  std::string gc;
  [[nodiscard]] bool is_rskv() const { return system == "rskv"; }
  /// "rskv:chained/memory/none" or the baseline's name; never contains a comma.
  [[nodiscard]] std::string label() const;
  [[nodiscard]] bool operator==(const SystemEntry&) const = default;
};

/// A fully resolved cell of the sweep: every key has its value (given or default).
struct CellConfig {
  std::vector<SystemEntry> systems;
  std::uint64_t memory_bytes = 1ull << 30;
  std::string store_path;  // empty: a fresh temporary folder
  std::uint32_t threads = 1;
  std::string workload_name = "ycsb-a";  // preset name, or "custom" for a mix
  workload::Mix mix;
  workload::Distribution distribution = workload::Distribution::Zipfian;
  std::uint64_t records = 0;
  std::uint32_t key_size = 8;
  std::uint32_t value_size = 8;
  double theta = 0.99;
  double hot_fraction = 0.2;
  double hot_ops_fraction = 0.8;
  std::optional<double> duration_s = 5.0;  // exactly one of duration_s and ops is set
  std::optional<std::uint64_t> ops;
  double warmup_s = 1.0;
  std::uint32_t batch = 1;
  std::uint32_t scan_length = 100;
  std::uint64_t seed = 1;
  std::optional<double> timeline_s;  // interval of timeline.csv rows; unset: none
  /// store.checkpoint_every: rskv-bench checkpoints an rskv store (persistent device) this
  /// often during the measured phase; unset: never.
  std::optional<double> checkpoint_every_s;
  CheckpointSchedule checkpoint_kind = CheckpointSchedule::FoldOver;
  /// store.checkpoint_write_rate (rskv): bytes per second, 0 = off.
  std::uint64_t checkpoint_write_rate = 0;
  /// store.copy_reads_to_tail (rskv): StoreConfig::copy_reads_to_tail.
  bool copy_reads_to_tail = false;
  /// The sweep values of this cell, as (dotted key, canonical text) in sweep order.
  std::vector<std::pair<std::string, std::string>> swept;

  [[nodiscard]] workload::WorkloadSpec workload_spec() const;
  /// "threads=2 workload.distribution=zipfian" (empty without a sweep).
  [[nodiscard]] std::string describe_swept() const;
};

struct Experiment {
  std::string name;
  std::string source;  // the config file ("" for text)
  std::uint32_t repeats = 1;
  std::vector<std::string> plots;       // resolved: given, or all that apply
  std::vector<std::string> sweep_keys;  // in the order the config lists them
  std::vector<CellConfig> cells;        // cartesian product, first sweep key outermost
  nlohmann::ordered_json resolved;      // the config after --set, defaults filled in
};

/// What the parser needs to know about the compiled engine: the rskv policy bundles as
/// "index/device/gc" names (policies/bundles.h's bundle_names()).
struct Catalog {
  std::vector<std::string> rskv_bundles;
  /// Optional: checks a cell's settings against the rskv engine's own limits (memory
  /// budget against the largest record, ...); returns the problem, or nothing.
  std::function<std::optional<std::string>(const CellConfig&, const SystemEntry&)> check_rskv;
};

/// Parses a config text. `sets` are "KEY=VALUE" overrides (--set).
Result<Experiment> parse_experiment(std::string_view yaml_text, std::string_view source,
                                    const std::vector<std::string>& sets, const Catalog& catalog);
/// Reads and parses a config file.
Result<Experiment> load_experiment(const std::string& path, const std::vector<std::string>& sets,
                                   const Catalog& catalog);

// Value parsers (exposed for tests). Each returns the value or an Error naming `key`.
Result<std::uint64_t> parse_count(std::string_view key, std::string_view text);
Result<std::uint64_t> parse_size(std::string_view key, std::string_view text);
Result<double> parse_duration(std::string_view key, std::string_view text);

/// The key table as Markdown (key, type, default, meaning), for the README.
std::string key_table_markdown();

}  // namespace rskv::bench
