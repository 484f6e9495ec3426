#include "experiments/rskv-bench/results.h"

#include <sys/utsname.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#ifndef RSKV_BENCH_SOURCE_DIR
#define RSKV_BENCH_SOURCE_DIR ""
#endif
#ifndef RSKV_BENCH_CXX_FLAGS
#define RSKV_BENCH_CXX_FLAGS "unknown"
#endif
#ifndef RSKV_BENCH_BUILD_TYPE
#define RSKV_BENCH_BUILD_TYPE "unknown"
#endif

namespace rskv::bench {
namespace {

using Json = nlohmann::ordered_json;

std::string opt_number(const std::optional<double>& v) {
  return v ? csv_number(*v) : "";
}

// Runs a command and returns its first output line ("" on failure).
std::string first_line_of(const std::string& command) {
  std::FILE* p = ::popen(command.c_str(), "r");
  if (!p) return "";
  std::array<char, 512> buf{};
  std::string line;
  if (std::fgets(buf.data(), static_cast<int>(buf.size()), p)) line = buf.data();
  const int rc = ::pclose(p);
  if (rc != 0) return "";
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

std::string quoted_source_dir() {
  std::string s = RSKV_BENCH_SOURCE_DIR;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The value of "key : value" lines in /proc files.
std::string proc_field(const std::string& path, std::string_view key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(key)) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    return v;
  }
  return "";
}

}  // namespace

std::string_view column_of_swept_key(std::string_view key) {
  if (key == "threads") return "threads";
  if (key == "rskv.index") return "index";
  if (key == "rskv.device") return "device";
  if (key == "rskv.gc") return "gc";
  if (key == "workload.preset") return "workload";
  if (key == "workload.distribution") return "distribution";
  if (key == "workload.records") return "records";
  if (key == "workload.key_size") return "key_size";
  if (key == "workload.value_size") return "value_size";
  if (key == "workload.batch") return "batch";
  return "";
}

std::vector<std::string> extra_swept_columns(const std::vector<std::string>& sweep_keys) {
  std::vector<std::string> out;
  for (const auto& k : sweep_keys) {
    if (column_of_swept_key(k).empty()) out.push_back(k);
  }
  return out;
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_number(double v) {
  if (!std::isfinite(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  std::string s = buf;
  if (s.find('e') != std::string::npos) {
    std::snprintf(buf, sizeof buf, "%.6f", v);
    s = buf;
  }
  return s;
}

Result<CsvWriter> CsvWriter::create(const std::string& path,
                                    const std::vector<std::string>& swept_columns) {
  CsvWriter w;
  w.path_ = path;
  w.swept_columns_ = swept_columns;
  w.out_.open(path, std::ios::out | std::ios::trunc);
  if (!w.out_) {
    return make_error(Status::IoError,
                      path + ": cannot create the file (" + std::strerror(errno) + ")");
  }
  w.out_ << header(swept_columns) << '\n';
  w.out_.flush();
  return w;
}

std::string CsvWriter::header(const std::vector<std::string>& swept_columns) {
  std::string h;
  for (auto c : kCsvColumns) {
    if (!h.empty()) h += ',';
    h += c;
  }
  for (const auto& c : swept_columns) {
    h += ',';
    h += csv_field(c);
  }
  for (auto c : kExtraColumns) {
    h += ',';
    h += c;
  }
  return h;
}

std::string CsvWriter::format(const ResultRow& r, const std::vector<std::string>& swept_columns) {
  std::vector<std::string> f = {
      r.system,
      r.label,
      r.index,
      r.device,
      r.gc,
      r.workload,
      r.distribution,
      std::to_string(r.threads),
      std::to_string(r.records),
      std::to_string(r.key_size),
      std::to_string(r.value_size),
      std::to_string(r.batch),
      std::to_string(r.repeat),
      r.measured() ? std::to_string(r.ops) : "",
      r.measured() ? csv_number(r.seconds) : "",
      r.measured() ? csv_number(r.mops) : "",
      opt_number(r.p50_us),
      opt_number(r.p99_us),
      r.oversubscribed ? "true" : "false",
      r.status,
      r.reason,
  };
  for (const auto& c : swept_columns) {
    std::string v;
    for (const auto& [k, val] : r.swept) {
      if (k == c) v = val;
    }
    f.push_back(v);
  }
  f.push_back(std::to_string(r.cell));
  f.push_back(r.measured() ? csv_number(r.load_seconds) : "");
  f.push_back(r.measured() ? std::to_string(r.not_found) : "");
  f.push_back(r.measured() ? opt_number(r.device_reads_per_s) : "");
  f.push_back(r.measured() && r.peak_rss_bytes ? std::to_string(*r.peak_rss_bytes) : "");
  f.push_back(r.measured() && r.peak_rss_bytes ? r.peak_rss_scope : "");
  std::string line;
  for (std::size_t i = 0; i < f.size(); ++i) line += (i ? "," : "") + csv_field(f[i]);
  return line;
}

void CsvWriter::write(const ResultRow& row) {
  out_ << format(row, swept_columns_) << '\n';
  out_.flush();
}

std::string format_timeline_row(const TimelineRow& r) {
  return std::to_string(r.cell) + "," + std::to_string(r.repeat) + "," + csv_field(r.label) + "," +
         std::to_string(r.threads) + "," + csv_number(r.t_ms) + "," +
         (r.ops ? std::to_string(*r.ops) : "") + "," + (r.mops ? csv_number(*r.mops) : "") + "," +
         csv_field(r.event);
}

std::string format_checkpoint_row(const CheckpointRow& r) {
  return std::to_string(r.cell) + "," + std::to_string(r.repeat) + "," + csv_field(r.label) + "," +
         std::to_string(r.threads) + "," + std::to_string(r.number) + "," +
         (r.id ? std::to_string(r.id) : "") + "," + csv_field(r.kind) + "," + csv_field(r.status) +
         "," + csv_number(r.start_ms) + "," + csv_number(r.end_ms) + "," +
         csv_number(r.end_ms - r.start_ms) + "," + std::to_string(r.ops_during) + "," +
         csv_number(r.mops_during) + "," + csv_number(r.before_from_ms) + "," +
         std::to_string(r.ops_before) + "," + csv_number(r.mops_before) + "," +
         opt_number(r.ratio) + "," + csv_field(r.error);
}

Json row_json(const ResultRow& r) {
  auto opt = [](const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); };
  Json j = {{"system", r.system},
            {"label", r.label},
            {"index", r.index},
            {"device", r.device},
            {"gc", r.gc},
            {"workload", r.workload},
            {"distribution", r.distribution},
            {"threads", r.threads},
            {"records", r.records},
            {"key_size", r.key_size},
            {"value_size", r.value_size},
            {"batch", r.batch},
            {"repeat", r.repeat},
            {"ops", r.measured() ? Json(r.ops) : Json(nullptr)},
            {"seconds", r.measured() ? Json(r.seconds) : Json(nullptr)},
            {"mops", r.measured() ? Json(r.mops) : Json(nullptr)},
            {"p50_us", opt(r.p50_us)},
            {"p99_us", opt(r.p99_us)},
            {"oversubscribed", r.oversubscribed},
            {"status", r.status},
            {"reason", r.reason}};
  Json swept = Json::object();
  for (const auto& [k, v] : r.swept) swept[k] = v;
  j["swept"] = swept;
  j["cell"] = r.cell;
  j["load_seconds"] = r.measured() ? Json(r.load_seconds) : Json(nullptr);
  j["not_found"] = r.measured() ? Json(r.not_found) : Json(nullptr);
  j["device_reads_per_s"] =
      r.measured() && r.device_reads_per_s ? Json(*r.device_reads_per_s) : Json(nullptr);
  j["peak_rss_bytes"] = r.measured() && r.peak_rss_bytes ? Json(*r.peak_rss_bytes) : Json(nullptr);
  j["peak_rss_scope"] = r.measured() && r.peak_rss_bytes ? Json(r.peak_rss_scope) : Json(nullptr);
  j["details"] = r.details.is_null() ? Json::object() : Json(r.details);
  return j;
}

Json machine_json() {
  Json m;
  m["cpu_model"] = proc_field("/proc/cpuinfo", "model name");
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  int processors = 0;
  while (std::getline(cpuinfo, line)) {
    if (line.starts_with("processor")) ++processors;
  }
  m["cores"] = std::thread::hardware_concurrency();
  m["processors_in_cpuinfo"] = processors;
  const std::string mem = proc_field("/proc/meminfo", "MemTotal");  // "24576000 kB"
  m["memory_bytes"] = mem.empty() ? Json(nullptr) : Json(std::stoull(mem) * 1024);
  struct utsname u {};
  if (::uname(&u) == 0) {
    m["kernel"] = std::string(u.sysname) + " " + u.release;
    m["kernel_version"] = u.version;
    m["arch"] = u.machine;
    m["hostname"] = u.nodename;
  }
  std::string os = proc_field("/etc/os-release", "PRETTY_NAME");
  if (os.empty()) {
    std::ifstream in("/etc/os-release");
    while (std::getline(in, line)) {
      if (line.starts_with("PRETTY_NAME=")) os = line.substr(12);
    }
  }
  os.erase(std::remove(os.begin(), os.end(), '"'), os.end());
  m["os"] = os;
  return m;
}

Json build_json() {
  return {{"compiler", std::string("g++ ") + __VERSION__},
          {"cxx_standard", __cplusplus},
          {"build_type", RSKV_BENCH_BUILD_TYPE},
          {"flags", RSKV_BENCH_CXX_FLAGS}};
}

std::string git_commit() {
  if (std::string_view(RSKV_BENCH_SOURCE_DIR).empty()) return "unknown";
  std::string c = first_line_of("git -C " + quoted_source_dir() + " rev-parse HEAD 2>/dev/null");
  return c.empty() ? "unknown" : c;
}

bool git_dirty() {
  if (std::string_view(RSKV_BENCH_SOURCE_DIR).empty()) return false;
  return !first_line_of("git -C " + quoted_source_dir() +
                        " status --porcelain --untracked-files=no 2>/dev/null")
              .empty();
}

Result<void> write_json_file(const std::string& path, const Json& doc) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::out | std::ios::trunc);
    if (!out) {
      return make_error(Status::IoError,
                        tmp + ": cannot create the file (" + std::strerror(errno) + ")");
    }
    out << doc.dump(2) << '\n';
    if (!out) return make_error(Status::IoError, tmp + ": write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return make_error(Status::IoError, path + ": cannot rename into place: " + ec.message());
  return {};
}

}  // namespace rskv::bench
