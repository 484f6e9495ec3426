#include "experiments/rskv-bench/config_cell.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "experiments/rskv-bench/config_keys.h"
#include "experiments/rskv-bench/config_text.h"

namespace rskv::bench::config_detail {
namespace {

namespace wl = rskv::workload;

class CellParser {
 public:
  CellParser(const Json& doc, const Ctx& ctx) : doc_(doc), ctx_(ctx) {}

  CellConfig parse() {
    CellConfig c;
    check_known_keys();
    c.systems = systems();
    if (auto m = scalar("store.memory"))
      c.memory_bytes = get("store.memory", parse_size("store.memory", *m));
    if (c.memory_bytes < (1u << 20)) bad("store.memory", "at least 1MiB, e.g. 1GiB");
    if (auto p = scalar("store.path")) {
      if (p->empty()) bad("store.path", "a folder path");
      c.store_path = *p;
    }
    if (auto t = scalar("threads")) c.threads = count_in("threads", *t, 1, 1024);
    workload(c);
    if (auto t = scalar("timeline")) {
      c.timeline_s = duration_in("timeline", *t, 0.01);
    }
    checkpoints(c);
    if (auto v = scalar("store.checkpoint_write_rate"); v && *v != "off") {
      c.checkpoint_write_rate =
          get("store.checkpoint_write_rate", parse_size("store.checkpoint_write_rate", *v));
    }
    if (auto v = scalar("store.copy_reads_to_tail")) {
      c.copy_reads_to_tail = choice("store.copy_reads_to_tail", *v, {"true", "false"}) == "true";
    }
    return c;
  }

 private:
  // ---- errors
  std::string where(const std::string& key) const { return ctx_.lines.at(key); }
  [[noreturn]] void bad(const std::string& key, std::string_view expected) const {
    const Json* v = lookup(doc_, key);
    fail(key + ": '" + (v ? show(*v) : "") + "' is not valid" + where(key) + "; expected " +
         std::string(expected));
  }
  template <class T>
  T get(const std::string& key, Result<T> r) const {
    if (!r.ok()) fail(r.error().message + where(key));
    return std::move(r).value();
  }

  // ---- structure
  void check_keys_of(const Json& obj, const std::string& prefix) const {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
      const bool is_group = key == "store" || key == "workload" || key == "rskv";
      if (is_group) {
        if (!it->is_object()) fail(key + " must be a map of keys" + where(key));
        check_keys_of(*it, key);
        continue;
      }
      if (find_key(key)) continue;
      std::vector<std::string> valid;
      for (const auto& k : kKeys) {
        const std::string_view kk = k.key;
        const bool in_prefix =
            prefix.empty() ? kk.find('.') == std::string_view::npos || kk.starts_with("store.") ||
                                 kk.starts_with("workload.") || kk.starts_with("rskv.")
                           : kk.starts_with(prefix + ".");
        if (!in_prefix) continue;
        std::string shown(kk.substr(prefix.empty() ? 0 : prefix.size() + 1));
        const auto dot = shown.find('.');
        if (prefix.empty() && dot != std::string::npos) shown = shown.substr(0, dot);
        if (std::find(valid.begin(), valid.end(), shown) == valid.end()) valid.push_back(shown);
      }
      fail("unknown key '" + key + "'" + where(key) + "; valid keys" +
           (prefix.empty() ? std::string() : " in " + prefix) + ": " + join(valid));
    }
  }
  void check_known_keys() const {
    if (!doc_.is_object()) fail("the config must be a map of keys (name, systems, workload, ...)");
    check_keys_of(doc_, "");
  }

  std::optional<std::string> scalar(const std::string& key) const {
    const Json* v = lookup(doc_, key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_string()) {
      fail(key + ": expected a single value, got " + (v->is_array() ? "a list" : "a map") + " " +
           v->dump() + where(key));
    }
    return v->get<std::string>();
  }

  std::uint32_t count_in(const std::string& key, const std::string& text, std::uint64_t lo,
                         std::uint64_t hi) const {
    const std::uint64_t v = get(key, parse_count(key, text));
    if (v < lo || v > hi) {
      fail(key + ": '" + text + "' is out of range" + where(key) + "; expected " +
           std::to_string(lo) + ".." + std::to_string(hi));
    }
    return static_cast<std::uint32_t>(v);
  }
  double duration_in(const std::string& key, const std::string& text, double min_s) const {
    const double v = get(key, parse_duration(key, text));
    if (v < min_s) {
      fail(key + ": '" + text + "' is too short" + where(key) + "; expected at least " +
           format_double(min_s * 1000) + "ms");
    }
    return v;
  }
  double number_in(const std::string& key, const std::string& text, double lo, double hi,
                   bool lo_open, bool hi_open, std::string_view example) const {
    double v = 0;
    std::string unit;
    if (!split_number(text, &v, &unit) || !unit.empty()) {
      fail(key + ": '" + text + "' is not a number" + where(key) + "; expected e.g. " +
           std::string(example));
    }
    const bool below = lo_open ? v <= lo : v < lo;
    const bool above = hi_open ? v >= hi : v > hi;
    if (below || above) {
      fail(key + ": '" + text + "' is out of range" + where(key) + "; expected a number in " +
           (lo_open ? "(" : "[") + format_double(lo) + ", " + format_double(hi) +
           (hi_open ? ")" : "]") + ", e.g. " + std::string(example));
    }
    return v;
  }
  std::string choice(const std::string& key, const std::string& text,
                     const std::vector<std::string>& valid) const {
    if (std::find(valid.begin(), valid.end(), text) == valid.end()) {
      fail(key + ": '" + text + "' is not valid" + where(key) + "; choose one of: " + join(valid));
    }
    return text;
  }

  // ---- systems
  std::vector<std::string> bundle_part(int part) const {
    std::vector<std::string> out;
    for (const auto& b : ctx_.catalog->rskv_bundles) {
      auto parts = split_slash(b);
      if (parts.size() == 3 && std::find(out.begin(), out.end(), parts[part]) == out.end()) {
        out.push_back(parts[part]);
      }
    }
    return out;
  }
  static std::vector<std::string> split_slash(const std::string& s) {
    std::vector<std::string> parts;
    std::stringstream ss(s);
    std::string p;
    while (std::getline(ss, p, '/')) parts.push_back(p);
    return parts;
  }

  std::vector<SystemEntry> systems() const {
    const Json* list = lookup(doc_, "systems");
    if (!list || list->is_null()) {
      fail(
          "systems is required: list the systems under test, e.g. systems: [rskv, "
          "tbb_hash_map, libcuckoo, rocksdb]");
    }
    if (!list->is_array() || list->empty()) {
      fail("systems: expected a non-empty list" + where("systems") +
           "; valid systems: " + join(kSystemNames));
    }
    const std::vector<std::string> names(std::begin(kSystemNames), std::end(kSystemNames));
    std::vector<SystemEntry> out;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string key = "systems[" + std::to_string(i) + "]";
      const Json& e = (*list)[i];
      SystemEntry entry;
      const Json* options = nullptr;
      if (e.is_string()) {
        entry.system = choice(key, e.get<std::string>(), names);
      } else if (e.is_object() && e.size() == 1) {
        entry.system = choice(key, e.begin().key(), names);
        options = &e.begin().value();
        if (!options->is_null() && !options->is_object()) {
          fail(key + "." + entry.system + ": expected a map of options" + where(key));
        }
      } else {
        fail(key + ": '" + show(e) + "' is not valid" + where(key) +
             "; expected a system name or {rskv: {index: ..., device: ..., gc: ...}}");
      }
      if (entry.is_rskv()) {
        rskv_entry(key, options, &entry);
      } else if (options && !options->is_null() && !options->empty()) {
        fail(key + "." + entry.system + ": unknown key '" + options->begin().key() + "'" +
             where(key) + "; " + entry.system + " takes no options");
      }
      for (const auto& prev : out) {
        if (prev == entry) fail("systems lists " + entry.label() + " twice" + where(key));
      }
      out.push_back(entry);
    }
    return out;
  }

  void rskv_entry(const std::string& key, const Json* options, SystemEntry* entry) const {
    if (ctx_.catalog->rskv_bundles.empty()) {
      fail(key + ": rskv: no rskv policy bundle is compiled into this rskv-bench");
    }
    entry->index = "chained";
    entry->device = "memory";
    entry->gc = "none";
    std::string* fields[] = {&entry->index, &entry->device, &entry->gc};
    constexpr std::string_view kFields[] = {"index", "device", "gc"};
    if (options && options->is_object()) {
      for (auto it = options->begin(); it != options->end(); ++it) {
        const auto* pos = std::find(std::begin(kFields), std::end(kFields), it.key());
        if (pos == std::end(kFields)) {
          fail(key + ".rskv: unknown key '" + it.key() + "'" + where(key) +
               "; valid keys: index, device, gc");
        }
        if (!it->is_string()) fail(key + ".rskv." + it.key() + ": expected a policy name");
        *fields[pos - std::begin(kFields)] = it->get<std::string>();
      }
    }
    for (int f = 0; f < 3; ++f) {
      const std::string global = "rskv." + std::string(kFields[f]);
      std::string path = key + ".rskv." + std::string(kFields[f]);
      if (auto v = scalar(global)) {
        *fields[f] = *v;
        path = global;
      }
      choice(path, *fields[f], bundle_part(f));
    }
    const std::string combo = entry->index + "/" + entry->device + "/" + entry->gc;
    const auto& bundles = ctx_.catalog->rskv_bundles;
    if (std::find(bundles.begin(), bundles.end(), combo) == bundles.end()) {
      fail(key + ": the rskv combination " + combo +
           " is not compiled; compiled combinations (index/device/gc): " + join(bundles));
    }
  }

  // ---- periodic checkpoints
  void checkpoints(CellConfig& c) const {
    const std::string every_key = "store.checkpoint_every";
    const std::string kind_key = "store.checkpoint_kind";
    const Json* kind = lookup(doc_, kind_key);
    if (kind && kind->is_array()) {
      fail(kind_key + ": " + kind->dump() + " is a list, not a kind" + where(kind_key) +
           "; write alternate for foldover and snapshot in turn in one run, or sweep the kinds "
           "for separate runs (sweep: {store.checkpoint_kind: [foldover, snapshot]}); valid "
           "kinds: " +
           join(kCheckpointScheduleNames));
    }
    const auto every = scalar(every_key);
    if (every && *every != "off") {
      Result<double> parsed = parse_duration(every_key, *every);
      if (!parsed.ok()) bad(every_key, "a duration such as 5s or 500ms, or off");
      const double v = *parsed;
      if (v != 0) {  // 0 is off, like "off"
        if (v < 0.1) {
          fail(every_key + ": '" + *every + "' is too short" + where(every_key) +
               "; expected at least 100ms, e.g. 5s (or off)");
        }
        c.checkpoint_every_s = v;
      }
    }
    if (auto k = scalar(kind_key)) {
      if (!every) {
        fail(kind_key + ": '" + *k + "' has no effect without store.checkpoint_every" +
             where(kind_key) + "; add e.g. store: {checkpoint_every: 5s}");
      }
      const std::vector<std::string> names(std::begin(kCheckpointScheduleNames),
                                           std::end(kCheckpointScheduleNames));
      const std::string name = choice(kind_key, *k, names);
      c.checkpoint_kind = static_cast<CheckpointSchedule>(
          std::find(names.begin(), names.end(), name) - names.begin());
    }
    if (!c.checkpoint_every_s) return;
    for (std::size_t i = 0; i < c.systems.size(); ++i) {
      const SystemEntry& s = c.systems[i];
      if (s.is_rskv() && s.device == "memory") {
        fail(every_key + ": '" + *every + "' needs a persistent rskv device" + where(every_key) +
             ", but systems[" + std::to_string(i) + "] runs " + s.label() +
             ": the memory device keeps nothing to checkpoint; use device file or io_uring "
             "(rskv.device: file), or drop store.checkpoint_every");
      }
    }
  }

  // ---- workload
  void workload(CellConfig& c) const {
    const std::string preset_key = "workload.preset";
    const auto preset = scalar(preset_key);
    const Json* mix = lookup(doc_, "workload.mix");
    if (preset && mix && !mix->is_null()) {
      fail("workload: give either preset or mix, not both (preset: " + *preset + where(preset_key) +
           ", mix: " + mix->dump() + ")");
    }
    wl::Distribution default_dist = wl::Distribution::Zipfian;
    if (mix && !mix->is_null()) {
      c.workload_name = "custom";
      c.mix = parse_mix(*mix);
    } else {
      std::vector<std::string> names;
      for (const auto& p : wl::presets()) names.emplace_back(p.name);
      const std::string name = preset ? choice(preset_key, *preset, names) : "ycsb-a";
      const wl::Preset* p = wl::find_preset(name);
      c.workload_name = name;
      c.mix = p->mix;
      default_dist = p->distribution;
    }

    const auto records = scalar("workload.records");
    if (!records) {
      fail(
          "workload.records is required: the number of keys loaded before each run, e.g. "
          "workload: {records: 1M}");
    }
    c.records = get("workload.records", parse_count("workload.records", *records));
    if (c.records < 1 || c.records > (1ull << 40)) {
      fail("workload.records: '" + *records + "' is out of range" + where("workload.records") +
           "; expected 1..2^40");
    }
    if (auto v = scalar("workload.key_size")) {
      c.key_size = size_in("workload.key_size", *v, 1, 64 << 10);
    }
    if (c.key_size < 8) {
      const double distinct = std::pow(256.0, c.key_size);
      if (distinct < 2.0 * static_cast<double>(c.records)) {
        fail("workload.key_size: " + std::to_string(c.key_size) + " bytes hold " +
             format_double(distinct) + " distinct keys, too few for " + std::to_string(c.records) +
             " records and their inserts; use 8");
      }
    }
    if (auto v = scalar("workload.value_size")) {
      c.value_size = size_in("workload.value_size", *v, 1, 16 << 20);
    }
    c.distribution = default_dist;
    if (auto v = scalar("workload.distribution")) {
      std::vector<std::string> names(wl::kDistributionNames.begin(), wl::kDistributionNames.end());
      const std::string d = choice("workload.distribution", *v, names);
      c.distribution =
          static_cast<wl::Distribution>(std::find(names.begin(), names.end(), d) - names.begin());
    }
    if (auto v = scalar("workload.theta")) {
      c.theta = number_in("workload.theta", *v, 0, 1, true, true, "0.99");
    }
    if (auto v = scalar("workload.hot_fraction")) {
      c.hot_fraction = number_in("workload.hot_fraction", *v, 0, 1, true, false, "0.2");
    }
    if (auto v = scalar("workload.hot_ops_fraction")) {
      c.hot_ops_fraction = number_in("workload.hot_ops_fraction", *v, 0, 1, false, false, "0.8");
    }
    const auto ops = scalar("workload.ops");
    const auto duration = scalar("workload.duration");
    if (ops && duration) {
      fail("workload: give either duration or ops, not both (duration: " + *duration +
           where("workload.duration") + ", ops: " + *ops + ")");
    }
    if (ops) {
      c.ops = get("workload.ops", parse_count("workload.ops", *ops));
      if (*c.ops < 1) fail("workload.ops: '" + *ops + "' must be at least 1");
      c.duration_s.reset();
    } else if (duration) {
      c.duration_s = duration_in("workload.duration", *duration, 0.01);
    }
    if (auto v = scalar("workload.warmup")) c.warmup_s = duration_in("workload.warmup", *v, 0);
    if (auto v = scalar("workload.batch")) c.batch = count_in("workload.batch", *v, 1, 1024);
    if (auto v = scalar("workload.scan_length")) {
      c.scan_length = count_in("workload.scan_length", *v, 1, wl::OpWord::kMaxArg);
    }
    if (auto v = scalar("workload.seed"))
      c.seed = get("workload.seed", parse_count("workload.seed", *v));
  }

  std::uint32_t size_in(const std::string& key, const std::string& text, std::uint64_t lo,
                        std::uint64_t hi) const {
    const std::uint64_t v = get(key, parse_size(key, text));
    if (v < lo || v > hi) {
      fail(key + ": '" + text + "' is out of range" + where(key) + "; expected " +
           std::to_string(lo) + " to " + std::to_string(hi) + " bytes");
    }
    return static_cast<std::uint32_t>(v);
  }

  wl::Mix parse_mix(const Json& mix) const {
    const std::string key = "workload.mix";
    std::vector<std::string> names(wl::kOpKindNames.begin(), wl::kOpKindNames.end());
    if (!mix.is_object() || mix.empty()) {
      fail(key + ": expected a map of shares, e.g. {read: 0.5, upsert: 0.5}" + where(key) +
           "; valid shares: " + join(names));
    }
    wl::Mix out;
    double sum = 0;
    std::string shown;
    for (auto it = mix.begin(); it != mix.end(); ++it) {
      const std::string k = key + "." + it.key();
      const auto pos = std::find(names.begin(), names.end(), it.key());
      if (pos == names.end()) {
        fail("unknown key '" + k + "'" + where(k) + "; valid shares: " + join(names));
      }
      if (!it->is_string()) fail(k + ": expected a number between 0 and 1");
      const double v = number_in(k, it->get<std::string>(), 0, 1, false, false, "0.5");
      out.share[pos - names.begin()] = v;
      sum += v;
      shown += (shown.empty() ? "" : ", ") + it.key() + "=" + it->get<std::string>();
    }
    if (std::abs(sum - 1.0) > 1e-6) {
      char total[32];
      std::snprintf(total, sizeof total, "%.10g", sum);
      fail(key + ": the shares sum to " + total + ", not 1 (" + shown + ")" + where(key) +
           "; make them sum to 1 within 1e-6");
    }
    return out;
  }

  const Json& doc_;
  const Ctx& ctx_;
};

}  // namespace

CellConfig parse_cell(const Json& doc, const Ctx& ctx) {
  return CellParser(doc, ctx).parse();
}

std::string mix_text(const wl::Mix& mix) {
  std::string out;
  for (std::size_t k = 0; k < wl::kOpKinds; ++k) {
    if (mix.share[k] == 0) continue;
    if (!out.empty()) out += ';';
    out += std::string(wl::kOpKindNames[k]) + "=" + format_double(mix.share[k]);
  }
  return out;
}

std::string canonical(const CellConfig& c, const std::string& key) {
  if (key == "threads") return std::to_string(c.threads);
  if (key == "store.memory") return std::to_string(c.memory_bytes);
  if (key == "store.path") return c.store_path;
  if (key == "workload.preset") return c.workload_name;
  if (key == "workload.mix") return mix_text(c.mix);
  if (key == "workload.records") return std::to_string(c.records);
  if (key == "workload.key_size") return std::to_string(c.key_size);
  if (key == "workload.value_size") return std::to_string(c.value_size);
  if (key == "workload.distribution") {
    return std::string(wl::kDistributionNames[static_cast<int>(c.distribution)]);
  }
  if (key == "workload.theta") return format_double(c.theta);
  if (key == "workload.hot_fraction") return format_double(c.hot_fraction);
  if (key == "workload.hot_ops_fraction") return format_double(c.hot_ops_fraction);
  if (key == "workload.duration") return c.duration_s ? format_double(*c.duration_s) : "";
  if (key == "workload.ops") return c.ops ? std::to_string(*c.ops) : "";
  if (key == "workload.warmup") return format_double(c.warmup_s);
  if (key == "workload.batch") return std::to_string(c.batch);
  if (key == "workload.scan_length") return std::to_string(c.scan_length);
  if (key == "workload.seed") return std::to_string(c.seed);
  if (key == "timeline") return c.timeline_s ? format_double(*c.timeline_s) : "";
  if (key == "store.checkpoint_every") {
    return c.checkpoint_every_s ? format_double(*c.checkpoint_every_s) : "off";
  }
  if (key == "store.checkpoint_write_rate") {
    return c.checkpoint_write_rate ? std::to_string(c.checkpoint_write_rate) : "off";
  }
  if (key == "store.copy_reads_to_tail") return c.copy_reads_to_tail ? "true" : "false";
  if (key == "store.checkpoint_kind") {
    return std::string(kCheckpointScheduleNames[static_cast<int>(c.checkpoint_kind)]);
  }
  for (const auto& s : c.systems) {
    if (!s.is_rskv()) continue;
    if (key == "rskv.index") return s.index;
    if (key == "rskv.device") return s.device;
    if (key == "rskv.gc") return s.gc;
  }
  return "";
}

}  // namespace rskv::bench::config_detail
