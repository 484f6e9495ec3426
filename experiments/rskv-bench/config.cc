#include "experiments/rskv-bench/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "experiments/rskv-bench/config_cell.h"
#include "experiments/rskv-bench/config_keys.h"
#include "experiments/rskv-bench/config_text.h"
#include "experiments/rskv-bench/config_tree.h"

namespace rskv::bench {
namespace {

using namespace config_detail;  // NOLINT(google-build-using-namespace): this file's own parts
namespace wl = rskv::workload;

Json resolved_json(const Experiment& exp, const CellConfig& c, const Json& sweep) {
  Json systems = Json::array();
  for (const auto& s : c.systems) {
    if (s.is_rskv()) {
      systems.push_back({{"rskv", {{"index", s.index}, {"device", s.device}, {"gc", s.gc}}}});
    } else {
      systems.push_back(s.system);
    }
  }
  Json mix = Json::object();
  for (std::size_t k = 0; k < wl::kOpKinds; ++k) {
    if (c.mix.share[k] > 0) mix[std::string(wl::kOpKindNames[k])] = c.mix.share[k];
  }
  Json w = {{"preset", c.workload_name == "custom" ? Json(nullptr) : Json(c.workload_name)},
            {"mix", mix},
            {"records", c.records},
            {"key_size", c.key_size},
            {"value_size", c.value_size},
            {"distribution", wl::kDistributionNames[static_cast<int>(c.distribution)]},
            {"theta", c.theta},
            {"hot_fraction", c.hot_fraction},
            {"hot_ops_fraction", c.hot_ops_fraction},
            {"duration_s", c.duration_s ? Json(*c.duration_s) : Json(nullptr)},
            {"ops", c.ops ? Json(*c.ops) : Json(nullptr)},
            {"warmup_s", c.warmup_s},
            {"batch", c.batch},
            {"scan_length", c.scan_length},
            {"seed", c.seed}};
  return {
      {"name", exp.name},
      {"systems", systems},
      {"store",
       {{"memory_bytes", c.memory_bytes},
        {"path", c.store_path.empty() ? Json(nullptr) : Json(c.store_path)},
        {"checkpoint_every_s", c.checkpoint_every_s ? Json(*c.checkpoint_every_s) : Json(nullptr)},
        {"checkpoint_kind", kCheckpointScheduleNames[static_cast<int>(c.checkpoint_kind)]},
        {"checkpoint_write_rate",
         c.checkpoint_write_rate ? Json(c.checkpoint_write_rate) : Json(nullptr)},
        {"copy_reads_to_tail", c.copy_reads_to_tail}}},
      {"threads", c.threads},
      {"workload", w},
      {"sweep", sweep},
      {"repeats", exp.repeats},
      {"plots", exp.plots},
      {"timeline_s", c.timeline_s ? Json(*c.timeline_s) : Json(nullptr)},
      {"note", "values of swept keys above are those of cell 1"}};
}

void apply_set(Json& doc, const std::string& set) {
  const auto eq = set.find('=');
  if (eq == std::string::npos || eq == 0) {
    fail("--set '" + set + "': write KEY=VALUE, e.g. --set threads=2 or --set workload.records=1M");
  }
  const std::string key = trim(set.substr(0, eq));
  const std::string text = set.substr(eq + 1);
  Json value = parse_yaml(text, "--set " + key + " value '" + text + "'", nullptr);
  if (key.starts_with("sweep.")) {
    const std::string swept = key.substr(6);
    const KeySpec* spec = find_key(swept);
    if (!spec || !spec->sweepable) fail("--set " + key + ": '" + swept + "' cannot be swept");
    if (!doc.contains("sweep") || !doc["sweep"].is_object()) doc["sweep"] = Json::object();
    doc["sweep"][swept] = std::move(value);
    return;
  }
  if (!find_key(key)) {
    std::vector<std::string_view> keys;
    for (const auto& k : kKeys) keys.push_back(k.key);
    fail("--set " + key + ": unknown key '" + key + "'; valid keys: " + join(keys));
  }
  if (doc.contains("sweep") && doc["sweep"].is_object()) {
    doc["sweep"].erase(key);  // pins a swept key to this one value
    for (const auto& [a, b] : kExclusive) {
      if (key == a) doc["sweep"].erase(std::string(b));
      if (key == b) doc["sweep"].erase(std::string(a));
    }
  }
  set_key(doc, key, std::move(value));
}

Experiment parse(std::string_view text, std::string_view source,
                 const std::vector<std::string>& sets, const Catalog& catalog) {
  Ctx ctx{std::string(source), {}, &catalog};
  Json doc = parse_yaml(text, source.empty() ? "the config" : source, &ctx.lines);
  if (doc.is_null()) fail("the config is empty; it needs at least name, systems and workload");
  if (!doc.is_object()) fail("the config must be a map of keys (name, systems, workload, ...)");
  for (const auto& s : sets) apply_set(doc, s);

  Experiment exp;
  exp.source = std::string(source);
  // name
  const Json* name = lookup(doc, "name");
  if (!name || name->is_null()) fail("name is required: a short name for the results folder");
  if (!name->is_string() || name->get<std::string>().empty()) {
    fail("name: '" + show(*name) + "' is not valid" + ctx.lines.at("name") +
         "; expected a word of letters, digits, '.', '_', '-'");
  }
  exp.name = name->get<std::string>();
  for (char ch : exp.name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-') {
      fail("name: '" + exp.name + "' is not valid" + ctx.lines.at("name") +
           "; use letters, digits, '.', '_', '-' (it names the results folder)");
    }
  }
  // repeats
  if (const Json* r = lookup(doc, "repeats"); r && !r->is_null()) {
    std::uint64_t v = 0;
    if (r->is_string()) {
      auto c = parse_count("repeats", r->get<std::string>());
      if (c.ok()) v = c.value();
    }
    if (v < 1 || v > 1000) {
      fail("repeats: '" + show(*r) + "' is not valid" + ctx.lines.at("repeats") +
           "; expected a count in 1..1000");
    }
    exp.repeats = static_cast<std::uint32_t>(v);
  }
  // sweep
  Json sweep = Json::object();
  if (const Json* s = lookup(doc, "sweep"); s && !s->is_null()) {
    if (!s->is_object()) fail("sweep: expected a map of key: [values]" + ctx.lines.at("sweep"));
    sweep = *s;
  }
  std::vector<std::string> sweepable;
  for (const auto& k : kKeys) {
    if (k.sweepable) sweepable.emplace_back(k.key);
  }
  for (auto it = sweep.begin(); it != sweep.end(); ++it) {
    const std::string key = it.key();
    const KeySpec* spec = find_key(key);
    if (!spec || !spec->sweepable) {
      fail("sweep: '" + key + "' cannot be swept" + ctx.lines.at("sweep." + key) +
           "; sweepable keys: " + join(sweepable));
    }
    if (!it->is_array() || it->empty()) {
      fail("sweep." + key + ": expected a non-empty list of values, e.g. [1, 2]" +
           ctx.lines.at("sweep." + key));
    }
    exp.sweep_keys.push_back(key);
  }
  for (const auto& [a, b] : kExclusive) {
    if (sweep.contains(std::string(a)) && sweep.contains(std::string(b))) {
      fail("sweep lists both " + std::string(a) + " and " + std::string(b) +
           "; they exclude each other: sweep one of them");
    }
  }
  Json base = doc;
  base.erase("sweep");
  // plots (checked once; the default depends on the sweep)
  const std::vector<std::string> plot_names(std::begin(kPlotNames), std::end(kPlotNames));
  if (const Json* p = lookup(base, "plots"); p && !p->is_null()) {
    if (!p->is_array()) fail("plots: expected a list, e.g. [latency, workload_bars]");
    for (std::size_t i = 0; i < p->size(); ++i) {
      const Json& v = (*p)[i];
      if (!v.is_string() || std::find(plot_names.begin(), plot_names.end(), v.get<std::string>()) ==
                                plot_names.end()) {
        fail("plots: '" + show(v) + "' is not valid" + ctx.lines.at("plots") +
             "; choose from: " + join(plot_names));
      }
      exp.plots.push_back(v.get<std::string>());
    }
  }

  // cartesian product, first key outermost
  std::vector<std::size_t> pos(exp.sweep_keys.size(), 0);
  while (true) {
    Json cell_doc = base;
    std::string values;
    for (std::size_t k = 0; k < exp.sweep_keys.size(); ++k) {
      const Json& v = sweep[exp.sweep_keys[k]][pos[k]];
      set_key(cell_doc, exp.sweep_keys[k], v);
      values += (values.empty() ? "" : ", ") + exp.sweep_keys[k] + "=" + show(v);
    }
    CellConfig cell;
    try {
      cell = parse_cell(cell_doc, ctx);
    } catch (ConfigError& e) {
      if (!values.empty()) e.message += " [sweep cell " + values + "]";
      throw;
    }
    for (const auto& k : exp.sweep_keys) cell.swept.emplace_back(k, canonical(cell, k));
    if (catalog.check_rskv) {
      for (const auto& s : cell.systems) {
        if (!s.is_rskv()) continue;
        if (auto msg = catalog.check_rskv(cell, s)) {
          fail(*msg + (values.empty() ? "" : " [sweep cell " + values + "]"));
        }
      }
    }
    exp.cells.push_back(std::move(cell));
    // advance the odometer, last key fastest
    bool done = true;
    for (std::size_t k = exp.sweep_keys.size(); k-- > 0;) {
      if (++pos[k] < sweep[exp.sweep_keys[k]].size()) {
        done = false;
        break;
      }
      pos[k] = 0;
    }
    if (done) break;
  }

  if (exp.plots.empty()) {
    const auto swept = [&](std::string_view k) {
      return std::find(exp.sweep_keys.begin(), exp.sweep_keys.end(), k) != exp.sweep_keys.end();
    };
    if (swept("threads")) exp.plots.emplace_back("throughput_vs_threads");
    exp.plots.emplace_back("latency");
    exp.plots.emplace_back("workload_bars");
    if (exp.cells.front().timeline_s) exp.plots.emplace_back("timeline");
    if (std::any_of(exp.cells.begin(), exp.cells.end(),
                    [](const CellConfig& c) { return c.checkpoint_every_s.has_value(); })) {
      exp.plots.emplace_back("checkpoints");
    }
  }
  exp.resolved = resolved_json(exp, exp.cells.front(), sweep);
  return exp;
}

}  // namespace

// ------------------------------------------------------------------------------ public
std::string SystemEntry::label() const {
  return is_rskv() ? "rskv:" + index + "/" + device + "/" + gc : system;
}

workload::WorkloadSpec CellConfig::workload_spec() const {
  workload::WorkloadSpec s;
  s.records = records;
  s.mix = mix;
  s.distribution = distribution;
  s.theta = theta;
  s.hot_fraction = hot_fraction;
  s.hot_ops_fraction = hot_ops_fraction;
  s.max_scan_length = scan_length;
  s.seed = seed;
  return s;
}

std::string CellConfig::describe_swept() const {
  std::string out;
  for (const auto& [k, v] : swept) out += (out.empty() ? "" : " ") + k + "=" + v;
  return out;
}

Result<Experiment> parse_experiment(std::string_view yaml_text, std::string_view source,
                                    const std::vector<std::string>& sets, const Catalog& catalog) {
  try {
    return parse(yaml_text, source, sets, catalog);
  } catch (const ConfigError& e) {
    const std::string prefix = source.empty() ? "" : std::string(source) + ": ";
    return make_error(Status::InvalidArgument, prefix + e.message);
  }
}

Result<Experiment> load_experiment(const std::string& path, const std::vector<std::string>& sets,
                                   const Catalog& catalog) {
  std::ifstream in(path);
  if (!in) {
    return make_error(Status::InvalidArgument,
                      path + ": cannot read the config file (" + std::strerror(errno) +
                          "); give the path of a YAML config, e.g. configs/quickstart.yaml");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_experiment(ss.str(), path, sets, catalog);
}

std::string key_table_markdown() {
  std::string out = "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const auto& k : config_detail::kKeys) {
    out += "| `" + std::string(k.key) + "` | " + std::string(k.type) + " | " +
           std::string(k.default_text) + " | " + std::string(k.meaning) +
           (k.sweepable ? "" : " (not sweepable)") + " |\n";
  }
  return out;
}

}  // namespace rskv::bench
