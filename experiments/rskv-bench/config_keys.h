#pragma once
// The table of every config key rskv-bench accepts (dotted paths), with its type, default
// and meaning: the parser (config_cell.cc, config.cc) checks configs against it and
// `rskv-bench --keys` prints it for the README. Internal to experiments/rskv-bench.

#include <string_view>
#include <utility>

namespace rskv::bench::config_detail {

struct KeySpec {
  std::string_view key;
  std::string_view type;
  std::string_view default_text;
  std::string_view meaning;
  bool sweepable;
};

// Every key a config may hold (dotted paths). Keep in step with parse_cell() below.
inline constexpr KeySpec kKeys[] = {
    {"name", "string", "(required)", "experiment name; letters, digits, '.', '_', '-'", false},
    {"systems", "list", "(required)",
     "systems under test: rskv (or {rskv: {index, device, gc}}), tbb_hash_map, libcuckoo, rocksdb",
     false},
    {"store.memory", "size", "1GiB",
     "rskv's in-memory log budget (the index is extra and reported); RocksDB's block cache", true},
    {"store.path", "string", "a fresh temporary folder",
     "where runs keep files; each run gets a fresh subfolder, removed afterwards", true},
    {"store.checkpoint_every", "duration or off", "off",
     "rskv on a persistent device (file, io_uring; the memory device is refused): a checkpoint "
     "(index and log) this often in the measured phase, taken by a thread of rskv-bench, the "
     "first one this long after the measurement starts; a tick that falls inside a running "
     "checkpoint is skipped. Writes checkpoints.csv and, when timeline is set, "
     "checkpoint_start/checkpoint_end rows into timeline.csv. Baselines run without checkpoints",
     true},
    {"store.checkpoint_kind", "foldover, snapshot or alternate", "foldover",
     "log checkpoint kind of the periodic checkpoints; alternate takes foldover and snapshot in "
     "turn (foldover first), so each kind recurs every 2 x checkpoint_every. Needs "
     "store.checkpoint_every. A list is not a value: to compare kinds in separate runs, sweep "
     "it (sweep: {store.checkpoint_kind: [foldover, snapshot]})",
     true},
    {"store.checkpoint_write_rate", "size (per second) or off", "off",
     "rskv: checkpoint data files (index, snapshot) are written at most this many bytes per "
     "second, synced every MiB, so that a checkpoint shares the disk with the operations "
     "(StoreConfig::checkpoint_write_bytes_per_s); off writes them as fast as the disk takes "
     "them",
     true},
    {"store.copy_reads_to_tail", "true or false", "false",
     "rskv: a value that a read fetched from the device is appended at the log's tail again, "
     "so the next reads of that key hit memory (the store's read cache; "
     "StoreConfig::copy_reads_to_tail). Baselines ignore it",
     true},
    {"threads", "count", "1", "worker threads, one session each (1..1024)", true},
    {"workload.preset", "ycsb-a..ycsb-f", "ycsb-a (when no mix)",
     "YCSB mix: a 50/50 read/upsert, b 95/5, c read only, d 95 read/5 insert (latest), "
     "e 95 scan/5 insert, f 50 read/50 rmw",
     true},
    {"workload.mix", "map of shares", "(unset)",
     "instead of a preset: {read, upsert, insert, rmw, delete, scan} shares summing to 1 "
     "(within 1e-6); omitted shares are 0",
     true},
    {"workload.records", "count", "(required)", "keys loaded before the run", true},
    {"workload.key_size", "size", "8", "key bytes (1..64KiB)", true},
    {"workload.value_size", "size", "8", "value bytes (1..16MiB)", true},
    {"workload.distribution", "uniform, zipfian, latest or hotspot",
     "the preset's (zipfian; latest for ycsb-d)", "key popularity; zipfian is YCSB's scrambled",
     true},
    {"workload.theta", "number in (0,1)", "0.99", "zipfian and latest skew", true},
    {"workload.hot_fraction", "fraction", "0.2", "hotspot: share of keys that are hot", true},
    {"workload.hot_ops_fraction", "fraction", "0.8", "hotspot: share of operations on hot keys",
     true},
    {"workload.duration", "duration", "5s", "measured time per run (or ops, not both)", true},
    {"workload.ops", "count", "(unset)", "measured operations per run, over all threads", true},
    {"workload.warmup", "duration", "1s", "unmeasured time before each measurement", true},
    {"workload.batch", "count", "1",
     "operations per batch call (rskv only; baselines run single operations)", true},
    {"workload.scan_length", "count", "100", "scan lengths are uniform in 1..scan_length", true},
    {"workload.seed", "count", "1", "seed of the key and operation streams", true},
    {"rskv.index", "policy name", "chained", "index of every rskv entry (overrides entries)", true},
    {"rskv.device", "policy name", "memory", "device of every rskv entry", true},
    {"rskv.gc", "policy name", "none", "gc of every rskv entry", true},
    {"repeats", "count", "1", "runs per cell and system, interleaved across systems", false},
    {"plots", "list", "all that apply",
     "figures analysis/plot draws: throughput_vs_threads, latency, workload_bars, timeline, "
     "checkpoints",
     false},
    {"timeline", "duration", "(off)",
     "write timeline.csv: throughput per interval of this length (e.g. 100ms)", true},
    {"sweep", "map of lists", "(none)",
     "cartesian product over the listed keys (dotted paths); rskv.* applies to every rskv entry",
     false},
};

inline const KeySpec* find_key(std::string_view key) {
  for (const auto& k : kKeys) {
    if (k.key == key) return &k;
  }
  return nullptr;
}

// Keys one of which replaces the other when set by --set or a sweep.
inline constexpr std::pair<std::string_view, std::string_view> kExclusive[] = {
    {"workload.preset", "workload.mix"}, {"workload.ops", "workload.duration"}};

}  // namespace rskv::bench::config_detail
