// recovery_bench: issue 8's recovery-speed measurement, in two processes that
// scripts/recovery_speed.sh drives (it also measures fio's sequential read bandwidth on the
// same disk and compares).
//
//   recovery_bench write DIR --info FILE [--bytes 2GiB] [--value-size 1KiB] [--memory 256MiB]
//                            [--index chained] [--device file] [--kind foldover]
//     Creates a store in DIR, takes an index-only checkpoint of the empty store, upserts
//     distinct 8-byte keys with value-size values until about `bytes` of log are written,
//     takes a log-only checkpoint, writes what it did to FILE (JSON, through a rename) and
//     then waits to be killed (the script sends SIGKILL: no clean shutdown).
//   recovery_bench recover DIR --info FILE [--memory 256MiB] [--index ..] [--device ..]
//                              [--verify N] [--json OUT]
//     Opens DIR with recovery on (the writer's FILE says what to expect), timing
//     Store::open, and reports the store's own figures: Store::recovery().replayed_bytes and
//     replay_seconds (index load + log replay), plus the whole open. Then reads N keys spread
//     over the written ones and checks their values (and that a key never written is absent).
//
// Values are deterministic: value i is a fixed pattern stamped with i in its first and last
// 8 bytes, so the reader checks them without the writer's data. Output: one JSON object on
// stdout (and in OUT); progress on stderr. Exit status 0, 1 on a failure, 2 on bad usage.

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "policies/bundles.h"

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;

constexpr std::uint32_t kKeyBytes = 8;
constexpr std::uint64_t kTailStamp = 0x5EC0'7E57'0000'0000ull;

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "recovery_bench: %s\n"
               "usage: recovery_bench write DIR --info FILE [--bytes 2GiB] [--value-size 1KiB]\n"
               "                        [--memory 256MiB] [--index chained] [--device file]\n"
               "                        [--kind foldover|snapshot]\n"
               "       recovery_bench recover DIR --info FILE [--memory 256MiB] [--index chained]\n"
               "                        [--device file] [--verify N] [--json OUT]\n",
               why.c_str());
  std::exit(2);
}

// "2GiB", "1KiB", "200MB", "4096": KiB/MiB/GiB powers of two, KB/MB/GB powers of ten.
std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  if (i == 0) return std::nullopt;
  double v = 0;
  try {
    v = std::stod(std::string(text.substr(0, i)));
  } catch (...) {
    return std::nullopt;
  }
  static const std::map<std::string, double> kUnits = {
      {"", 1},          {"B", 1},         {"KiB", 1024.0},    {"MiB", 1048576.0},
      {"GiB", 1 << 30}, {"KB", 1e3},      {"MB", 1e6},        {"GB", 1e9},
      {"K", 1024.0},    {"M", 1048576.0}, {"G", 1073741824.0}};
  auto it = kUnits.find(std::string(text.substr(i)));
  if (it == kUnits.end()) return std::nullopt;
  return static_cast<std::uint64_t>(v * it->second);
}

struct Options {
  std::string mode, dir, info, json_out;
  std::uint64_t bytes = 2ull << 30;
  std::uint64_t value_size = 1024;
  std::uint64_t memory = 256ull << 20;
  std::string index = "chained", device = "file", kind = "foldover";
  std::uint64_t verify = 10000;
};

Options parse_args(int argc, char** argv) {
  if (argc < 3) usage("give a mode (write or recover) and a store directory");
  Options o;
  o.mode = argv[1];
  o.dir = argv[2];
  if (o.mode != "write" && o.mode != "recover") usage("unknown mode '" + o.mode + "'");
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(a + " needs a value");
    const std::string v = argv[++i];
    auto size = [&](std::uint64_t* out) {
      auto s = parse_size(v);
      if (!s || *s == 0) usage(a + ": '" + v + "' is not a size (e.g. 2GiB, 1KiB, 200MB)");
      *out = *s;
    };
    if (a == "--info") {
      o.info = v;
    } else if (a == "--json") {
      o.json_out = v;
    } else if (a == "--bytes") {
      size(&o.bytes);
    } else if (a == "--value-size") {
      size(&o.value_size);
    } else if (a == "--memory") {
      size(&o.memory);
    } else if (a == "--index") {
      o.index = v;
    } else if (a == "--device") {
      o.device = v;
    } else if (a == "--kind") {
      if (v != "foldover" && v != "snapshot") usage("--kind: foldover or snapshot");
      o.kind = v;
    } else if (a == "--verify") {
      auto s = parse_size(v);
      if (!s) usage("--verify: a count of keys");
      o.verify = *s;
    } else {
      usage("unknown option '" + a + "'");
    }
  }
  if (o.info.empty()) usage("--info FILE is required");
  if (o.value_size < 16 || o.value_size > (16u << 20)) usage("--value-size: 16 B to 16 MiB");
  return o;
}

std::string key_of(std::uint64_t i) {
  std::string k(kKeyBytes, '\0');
  std::memcpy(k.data(), &i, 8);
  return k;
}

// The value of key i: a fixed byte pattern with i in its first 8 bytes and i ^ kTailStamp
// in its last 8.
void stamp_value(std::string& v, std::uint64_t i) {
  std::memcpy(v.data(), &i, 8);
  const std::uint64_t tail = i ^ kTailStamp;
  std::memcpy(v.data() + v.size() - 8, &tail, 8);
}
std::string pattern_value(std::uint64_t size) {
  std::string v(size, '\0');
  for (std::uint64_t j = 0; j < size; ++j) v[j] = static_cast<char>('a' + j % 23);
  return v;
}

rskv::StoreConfig store_config(const Options& o, std::uint64_t keys) {
  rskv::StoreConfig cfg;
  cfg.path = o.dir;
  cfg.memory_bytes = o.memory;
  cfg.max_key_bytes = kKeyBytes;
  cfg.max_value_bytes = static_cast<std::uint32_t>(o.value_size);
  cfg.index.initial_buckets = std::bit_ceil(std::max<std::uint64_t>(keys / 4, 1024));
  cfg.device.path = o.dir;
  return cfg;
}

void write_json_atomically(const std::string& path, const Json& j) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << '\n';
    if (!out) {
      std::fprintf(stderr, "recovery_bench: cannot write %s\n", tmp.c_str());
      std::exit(1);
    }
  }
  std::filesystem::rename(tmp, path);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

template <class StoreT>
int run_write(const Options& o) {
  const std::uint64_t record =
      rskv::StoreConfig::max_record_bytes(kKeyBytes, static_cast<std::uint32_t>(o.value_size));
  const std::uint64_t keys = (o.bytes + record - 1) / record;
  rskv::StoreConfig cfg = store_config(o, keys);
  auto opened = StoreT::open(cfg);
  if (!opened) {
    std::fprintf(stderr, "recovery_bench: open %s: %s\n", o.dir.c_str(),
                 opened.error().message.c_str());
    return 1;
  }
  auto& store = *opened.value();
  auto session = store.start_session();
  if (!session) {
    std::fprintf(stderr, "recovery_bench: %s\n", session.error().message.c_str());
    return 1;
  }
  // 1. An index checkpoint of the empty store: the replay later starts at its address.
  typename StoreT::CheckpointRequest index_req;
  index_req.index = true;
  index_req.log = false;
  auto index_ckpt = store.checkpoint(index_req, &session.value());
  if (!index_ckpt) {
    std::fprintf(stderr, "recovery_bench: index checkpoint: %s\n",
                 index_ckpt.error().message.c_str());
    return 1;
  }
  const std::uint64_t start_tail = store.stats().tail;
  std::fprintf(stderr, "recovery_bench: index checkpoint %llu at log address %llu\n",
               static_cast<unsigned long long>(index_ckpt->id),
               static_cast<unsigned long long>(start_tail));
  // 2. The writes: distinct keys, so that every one appends a record.
  std::string value = pattern_value(o.value_size);
  const auto t_write = Clock::now();
  std::uint64_t next_report = 256ull << 20;
  for (std::uint64_t i = 0; i < keys; ++i) {
    stamp_value(value, i);
    rskv::Status s = session->upsert(key_of(i), value);
    if (s != rskv::Status::Ok) {
      std::fprintf(stderr, "recovery_bench: upsert %llu: %s\n", static_cast<unsigned long long>(i),
                   std::string(rskv::to_string(s)).c_str());
      return 1;
    }
    if ((i + 1) * record >= next_report) {
      std::fprintf(stderr, "recovery_bench: %llu MiB written (%.1f s)\n",
                   static_cast<unsigned long long>(((i + 1) * record) >> 20),
                   seconds_since(t_write));
      next_report += 256ull << 20;
    }
  }
  session->complete_pending(true);
  const double write_seconds = seconds_since(t_write);
  // 3. A log-only checkpoint: the recovery point.
  typename StoreT::CheckpointRequest log_req;
  log_req.index = false;
  log_req.log = true;
  log_req.kind =
      o.kind == "snapshot" ? rskv::CheckpointKind::Snapshot : rskv::CheckpointKind::FoldOver;
  const auto t_ckpt = Clock::now();
  auto log_ckpt = store.checkpoint(log_req, &session.value());
  if (!log_ckpt) {
    std::fprintf(stderr, "recovery_bench: log checkpoint: %s\n", log_ckpt.error().message.c_str());
    return 1;
  }
  const double ckpt_seconds = seconds_since(t_ckpt);
  const rskv::StoreStats st = store.stats();
  Json info = {{"dir", o.dir},
               {"index", o.index},
               {"device", o.device},
               {"memory_bytes", o.memory},
               {"key_bytes", kKeyBytes},
               {"value_bytes", o.value_size},
               {"record_bytes", record},
               {"keys", keys},
               {"log_bytes_written", log_ckpt->log_final - start_tail},
               {"index_checkpoint_id", index_ckpt->id},
               {"index_checkpoint_log_address", start_tail},
               {"log_checkpoint_id", log_ckpt->id},
               {"log_checkpoint_kind", log_ckpt->kind},
               {"log_final", log_ckpt->log_final},
               {"write_seconds", write_seconds},
               {"log_checkpoint_seconds", ckpt_seconds},
               {"device_bytes_written", st.device.bytes_written},
               {"pid", static_cast<long>(::getpid())}};
  write_json_atomically(o.info, info);
  std::printf("%s\n", info.dump().c_str());
  std::fprintf(stderr,
               "recovery_bench: log checkpoint %llu durable (%.2f s); waiting to be killed\n",
               static_cast<unsigned long long>(log_ckpt->id), ckpt_seconds);
  std::fflush(stdout);
  std::fflush(stderr);
  for (;;) ::pause();  // SIGKILL ends the writer: no close, no final checkpoint
}

template <class StoreT>
int run_recover(const Options& o) {
  std::ifstream in(o.info);
  if (!in) usage("--info " + o.info + ": cannot read the writer's info file");
  Json info;
  try {
    info = Json::parse(in);
  } catch (const std::exception& e) {
    usage("--info " + o.info + ": " + e.what());
  }
  const std::uint64_t keys = info.at("keys").get<std::uint64_t>();
  Options ro = o;
  ro.value_size = info.at("value_bytes").get<std::uint64_t>();
  rskv::StoreConfig cfg = store_config(ro, keys);
  cfg.recover = true;
  const auto t_open = Clock::now();
  auto opened = StoreT::open(cfg);
  const double open_seconds = seconds_since(t_open);
  if (!opened) {
    std::fprintf(stderr, "recovery_bench: recovering %s: %s\n", o.dir.c_str(),
                 opened.error().message.c_str());
    return 1;
  }
  auto& store = *opened.value();
  const auto& rec = store.recovery();
  Json out = {
      {"dir", o.dir},
      {"bundle", o.index + "/" + o.device + "/none"},
      {"memory_bytes", o.memory},
      {"recovered_checkpoint_id", rec.checkpoint_id},
      {"expected_checkpoint_id", info.at("log_checkpoint_id")},
      {"replayed_bytes", rec.replayed_bytes},
      {"replay_seconds", rec.replay_seconds},
      {"load_seconds", rec.load_seconds},
      {"log_replay_seconds", rec.log_replay_seconds},
      {"replay_bytes_per_s",
       rec.replay_seconds > 0 ? Json(static_cast<double>(rec.replayed_bytes) / rec.replay_seconds)
                              : Json(nullptr)},
      {"open_seconds", open_seconds},
      {"open_bytes_per_s", open_seconds > 0
                               ? Json(static_cast<double>(rec.replayed_bytes) / open_seconds)
                               : Json(nullptr)},
      {"warning", rec.warning}};
  if constexpr (requires(const typename StoreT::DeviceType& d) { d.direct_io(); }) {
    out["direct_io"] = store.device().direct_io();
  }
  // Check a sample of the keys: spread evenly, first and last included.
  auto session = store.start_session();
  if (!session) {
    std::fprintf(stderr, "recovery_bench: %s\n", session.error().message.c_str());
    return 1;
  }
  std::string expected = pattern_value(ro.value_size);
  std::string got;
  const std::uint64_t n = std::min(o.verify, keys);
  std::uint64_t bad = 0;
  std::string first_bad;
  const auto t_verify = Clock::now();
  for (std::uint64_t j = 0; j < n; ++j) {
    const std::uint64_t i = n == 1 ? 0 : j * (keys - 1) / (n - 1);
    stamp_value(expected, i);
    const rskv::Status s = session->get(key_of(i), got);
    if (s != rskv::Status::Ok || got != expected) {
      if (bad++ == 0) {
        first_bad = "key " + std::to_string(i) + ": " + std::string(rskv::to_string(s)) +
                    (s == rskv::Status::Ok ? " with a wrong value" : "");
      }
    }
  }
  const rskv::Status absent = session->get(key_of(keys + 12345), got);
  out["verified_keys"] = n;
  out["verify_failures"] = bad;
  out["verify_first_failure"] = first_bad;
  out["verify_seconds"] = seconds_since(t_verify);
  out["unwritten_key_absent"] = absent == rskv::Status::NotFound;
  const bool ok = rec.checkpoint_id == info.at("log_checkpoint_id").get<std::uint64_t>() &&
                  bad == 0 && absent == rskv::Status::NotFound;
  out["ok"] = ok;
  if (!o.json_out.empty()) write_json_atomically(o.json_out, out);
  std::printf("%s\n", out.dump().c_str());
  if (!ok) {
    std::fprintf(stderr,
                 "recovery_bench: recovery check failed: checkpoint %llu (expected %llu), "
                 "%llu of %llu keys wrong%s%s, unwritten key %s\n",
                 static_cast<unsigned long long>(rec.checkpoint_id),
                 static_cast<unsigned long long>(info.at("log_checkpoint_id").get<std::uint64_t>()),
                 static_cast<unsigned long long>(bad), static_cast<unsigned long long>(n),
                 first_bad.empty() ? "" : ", first: ", first_bad.c_str(),
                 absent == rskv::Status::NotFound ? "absent" : "FOUND");
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  int rc = 1;
  rskv::Result<void> found = rskv::with_bundle(o.index, o.device, "none", [&](auto type) {
    using StoreT = typename decltype(type)::type;
    if constexpr (!StoreT::DeviceType::kPersistent) {
      usage("--device " + o.device + " keeps nothing across processes: use file or io_uring");
    } else {
      rc = o.mode == "write" ? run_write<StoreT>(o) : run_recover<StoreT>(o);
    }
  });
  if (!found) usage(found.error().message);
  return rc;
}
