// rskv-bench: runs a YAML experiment (configs/*.yaml) and writes a results folder.
//
//   rskv-bench CONFIG.yaml [--out DIR] [--set KEY=VALUE ...] [--check]
//   rskv-bench --list        compiled rskv policy combinations and the baselines
//   rskv-bench --keys        the config keys as a Markdown table
//
// Exit codes: 0 done (every run ok or skipped); 1 a run failed or results could not be
// written; 2 a bad config or command line (nothing ran).

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "experiments/rskv-bench/config.h"
#include "experiments/rskv-bench/driver.h"
#include "experiments/rskv-bench/runner.h"

namespace {

constexpr int kExitConfig = 2;

constexpr const char* kUsage =
    "usage: rskv-bench CONFIG.yaml [--out DIR] [--set KEY=VALUE ...] [--check]\n"
    "       rskv-bench --list | --keys | --help\n"
    "  --out DIR        results folder (default results/NAME-TIMESTAMP; must be new or empty)\n"
    "  --set KEY=VALUE  override a config key (dotted, e.g. workload.records=1M); pins a swept\n"
    "                   key to that value; sweep.KEY=[a, b] sets a sweep\n"
    "  --check          validate the config and print its cells without running them\n"
    "  --list           print the compiled rskv policy combinations and the baselines\n"
    "  --keys           print every config key with its type and default (Markdown)\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "rskv-bench: %s\n%s", message.c_str(), kUsage);
  return kExitConfig;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace rskv::bench;
  std::string config_path;
  std::string out_dir;
  std::vector<std::string> sets;
  bool check = false;
  bool list = false;
  bool keys = false;
  std::string command;
  for (int i = 0; i < argc; ++i) {
    if (i) command += ' ';
    command += argv[i];
  }

  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      const std::string prefix = std::string(flag) + "=";
      if (arg.rfind(prefix, 0) == 0) return argv[i] + prefix.size();
      if (arg != flag) return nullptr;
      if (i + 1 >= argc) return "";
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--check") {
      check = true;
    } else if (arg == "--list") {
      list = true;
    } else if (arg == "--keys") {
      keys = true;
    } else if (const char* v = value("--out")) {
      if (!*v) return usage_error("--out needs a folder");
      out_dir = v;
    } else if (const char* v = value("--set")) {
      if (!*v) return usage_error("--set needs KEY=VALUE");
      sets.emplace_back(v);
    } else if (!arg.empty() && arg[0] == '-') {
      return usage_error("unknown option '" + arg + "'");
    } else if (config_path.empty()) {
      config_path = arg;
    } else {
      return usage_error("one config file at a time (got '" + config_path + "' and '" + arg + "')");
    }
  }

  if (list) {
    std::printf("rskv policy combinations (index/device/gc), for systems: [{rskv: {...}}]:\n");
    for (const auto& b : rskv_bundle_names()) std::printf("  %s\n", b.c_str());
    std::printf("baselines:\n");
    std::printf("  tbb_hash_map  oneTBB concurrent_hash_map\n");
    std::printf("  libcuckoo     libcuckoo cuckoohash_map\n");
    std::printf("  rocksdb       RocksDB, WAL off, block cache = store.memory\n");
    return 0;
  }
  if (keys) {
    std::fputs(key_table_markdown().c_str(), stdout);
    return 0;
  }
  if (config_path.empty()) return usage_error("give a config file, e.g. configs/quickstart.yaml");

  Catalog catalog;
  catalog.rskv_bundles = rskv_bundle_names();
  catalog.check_rskv = check_rskv_cell;
  rskv::Result<Experiment> exp = load_experiment(config_path, sets, catalog);
  if (!exp) {
    std::fprintf(stderr, "rskv-bench: %s\n", exp.error().message.c_str());
    return kExitConfig;
  }
  if (check) {
    std::fputs(describe_experiment(*exp).c_str(), stdout);
    std::printf("config ok\n");
    return 0;
  }
  if (out_dir.empty()) out_dir = default_out_dir(*exp);
  if (rskv::Result<void> r = prepare_out_dir(out_dir); !r) {
    std::fprintf(stderr, "rskv-bench: %s\n", r.error().message.c_str());
    return kExitConfig;
  }
  return run_experiment(*exp, out_dir, command, stderr);
}
