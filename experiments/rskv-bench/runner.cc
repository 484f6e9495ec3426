#include "experiments/rskv-bench/runner.h"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <thread>

#include "components/common/constants.h"
#include "experiments/baselines/libcuckoo_map.h"
#include "experiments/baselines/rocksdb_system.h"
#include "experiments/baselines/tbb_hash_map.h"
#include "experiments/rskv-bench/histogram.h"
#include "experiments/rskv-bench/process_memory.h"
#include "experiments/rskv-bench/rskv_system.h"
#include "experiments/workload/workload.h"

namespace rskv::bench {
namespace {

namespace wl = rskv::workload;
using Clock = std::chrono::steady_clock;

enum Phase : int { kLoad = 0, kWarmup, kMeasure, kStop };

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// A key buffer whose bytes past the first 8 are fixed, so setting a key is one 8-byte
/// store. The buffer holds at least 8 bytes even for shorter keys: a constant-size copy
/// compiles to one move and lets the system's 8-byte load of the key forward from it (a
/// variable-size copy here cost about 20% of a lookup in a stalled store forward).
class KeyBuffer {
 public:
  explicit KeyBuffer(std::uint32_t size)
      : size_(size), bytes_(std::max<std::size_t>(size, 8), '\0') {
    wl::encode_key(0, std::span<char>(bytes_.data(), size_));
  }
  void set(std::uint64_t index) noexcept { std::memcpy(bytes_.data(), &index, 8); }
  [[nodiscard]] std::string_view view() const noexcept { return {bytes_.data(), size_}; }

 private:
  std::size_t size_;
  std::string bytes_;
};

/// A value buffer whose first min(8, size) bytes carry a version stamp (at least 8 bytes
/// are allocated, for the same constant-size store as KeyBuffer).
class ValueBuffer {
 public:
  explicit ValueBuffer(std::uint32_t size)
      : size_(size), bytes_(std::max<std::size_t>(size, 8), 'v') {
    stamp(0);
  }
  void stamp(std::uint64_t version) noexcept { std::memcpy(bytes_.data(), &version, 8); }
  [[nodiscard]] std::string_view view() const noexcept { return {bytes_.data(), size_}; }

 private:
  std::size_t size_;
  std::string bytes_;
};

/// Written by its worker only; counted_ops is read by the coordinator (timeline).
struct alignas(kCacheLineSize) ThreadCounter {
  // Ops issued so far by this worker, all phases. Relaxed store by the owner every
  // kCheckEvery ops; relaxed loads by the coordinator, which only needs a recent value.
  std::atomic<std::uint64_t> ops{0};
};
static_assert(sizeof(ThreadCounter) == kCacheLineSize);

// Written by its worker, read by the coordinator after the join; padded so that workers
// writing their histograms do not share cache lines.
struct alignas(kCacheLineSize) ThreadResult {
  std::uint64_t measured_ops = 0;
  std::uint64_t not_found = 0;
  std::uint64_t stream_ops = 0;  // length of the pre-generated operation stream
  Clock::time_point start{};     // when this worker began counting (ops runs)
  Clock::time_point end{};
  LatencyHistogram histogram;
  std::string error;  // first failure, "" when none
};

// Optional members of a BenchSystem, used when present:
//   device_stats()  the device's counters (rskv): device reads per measured second;
//   after_load()    runs once after the load, counted in load_seconds (RocksDB: flush the
//                   memtable and let compactions settle, so that the loaded data sits in
//                   its files under the block cache budget and no background compaction of
//                   the load competes with the measured phase).
template <class S>
concept HasDeviceStats = requires(const S& s) {
  { s.device_stats() } -> std::same_as<DeviceStats>;
};
template <class S>
concept HasAfterLoad = requires(S& s) {
  { s.after_load() } -> std::same_as<Result<void>>;
};
//   checkpoint(kind)  takes a durable checkpoint of that kind (rskv): store.checkpoint_every.
template <class S>
concept HasCheckpoint = requires(S& s, CheckpointKind k) {
  { s.checkpoint(k) } -> std::same_as<Result<CheckpointTaken>>;
};

/// A checkpoint as the checkpoint thread saw it (turned into CheckpointRow afterwards).
struct RawCheckpoint {
  CheckpointKind kind = CheckpointKind::FoldOver;
  Clock::time_point start{}, end{};
  std::uint64_t ops_start = 0, ops_end = 0;
  std::uint64_t id = 0;
  std::string error;
};

bool acceptable(Status s) {
  return s == Status::Ok || s == Status::NotFound || s == Status::Pending;
}

std::size_t stream_length(const CellConfig& cell, std::uint32_t thread) {
  if (cell.ops) {
    const std::uint64_t share = *cell.ops / cell.threads + (thread < *cell.ops % cell.threads);
    return std::max<std::size_t>(share, 1);
  }
  // Duration runs loop over their stream: long enough that a loop is rare at moderate
  // speeds, and at most 2^25 operations (256 MiB) over all threads.
  const std::size_t cap = std::clamp<std::size_t>((1u << 25) / cell.threads, 1u << 16, 1u << 22);
  return std::min<std::size_t>(cap, std::max<std::uint64_t>(1u << 16, 8 * cell.records));
}

template <BenchSystem S>
class Run {
 public:
  Run(const RunPlan& plan, S* sys)
      : plan_(plan),
        cell_(*plan.cell),
        sys_(sys),
        threads_(cell_.threads),
        counters_(threads_),
        results_(threads_),
        sync_(threads_) {}

  RunOutcome execute(ResultRow row, const PeakRssWindow& rss) {
    std::vector<std::thread> workers;
    workers.reserve(threads_);
    for (std::uint32_t t = 0; t < threads_; ++t) workers.emplace_back([this, t] { body(t); });

    const auto start = Clock::now();
    wait_for(generated_, start, "generate");
    const auto load_start = Clock::now();
    wait_for(loaded_, start, "load");
    std::string after_load_error;
    if constexpr (HasAfterLoad<S>) {
      if (loaded_ok()) {
        tick("load", start);
        if (Result<void> r = sys_->after_load(); !r) after_load_error = r.error().message;
      }
    }
    const auto load_end = Clock::now();

    RunOutcome out;
    if (cell_.warmup_s > 0) {
      phase_.store(kWarmup, std::memory_order_release);
      phase_.notify_all();
      wait_until(load_end + to_duration(cell_.warmup_s), start, "warm-up", nullptr);
    }
    // The clock starts before the workers can see the measure phase.
    const auto t0 = Clock::now();
    const std::uint64_t ops_t0 = total_ops();
    [[maybe_unused]] DeviceStats dev0{};
    if constexpr (HasDeviceStats<S>) dev0 = sys_->device_stats();
    phase_.store(kMeasure, std::memory_order_release);
    phase_.notify_all();
    const auto end =
        cell_.duration_s ? t0 + to_duration(*cell_.duration_s) : Clock::time_point::max();
    std::vector<RawCheckpoint> checkpoints;
    std::uint32_t skipped_ticks = 0;
    std::thread checkpointer;
    if constexpr (HasCheckpoint<S>) {
      if (cell_.checkpoint_every_s && loaded_ok()) {
        checkpointer = std::thread([this, t0, end, &checkpoints, &skipped_ticks] {
          checkpoint_loop(t0, end, checkpoints, skipped_ticks);
        });
      }
    }
    wait_until(end, start, "measure", &out.timeline, t0);
    phase_.store(kStop, std::memory_order_release);
    const auto t_stop = Clock::now();
    {
      std::lock_guard<std::mutex> g(checkpoint_mu_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_all();
    for (auto& w : workers) w.join();
    // A checkpoint still running finishes (the store needs no session for that).
    if (checkpointer.joinable()) checkpointer.join();
    // Workers complete their outstanding operations before they leave: the reads those
    // issued belong to ops counted in the measured phase.
    [[maybe_unused]] DeviceStats dev1{};
    if constexpr (HasDeviceStats<S>) dev1 = sys_->device_stats();
    const std::optional<std::uint64_t> peak_rss = rss.peak();

    LatencyHistogram merged;
    std::string error;
    // Ops runs: from the first worker starting to count to the last one finishing (a
    // worker may finish its share before the coordinator wakes up again).
    Clock::time_point first_start = Clock::time_point::max();
    Clock::time_point last_end = Clock::time_point::min();
    for (auto& r : results_) {
      row.ops += r.measured_ops;
      row.not_found += r.not_found;
      merged.merge(r.histogram);
      if (r.measured_ops > 0) {
        first_start = std::min(first_start, r.start);
        last_end = std::max(last_end, r.end);
      }
      if (error.empty() && !r.error.empty()) error = r.error;
    }
    row.load_seconds = seconds_between(load_start, load_end);
    row.seconds = cell_.ops ? (row.ops > 0 ? seconds_between(first_start, last_end) : 0)
                            : seconds_between(t0, t_stop);
    row.mops = row.seconds > 0 ? static_cast<double>(row.ops) / row.seconds / 1e6 : 0;
    if (merged.count() > 0) {
      row.p50_us = merged.quantile_ns(0.5) / 1000;
      row.p99_us = merged.quantile_ns(0.99) / 1000;
    }
    row.details = sys_->details();
    row.details["latency_samples"] = merged.count();
    row.details["latency_sampling"] = "1 in " + std::to_string(kSampleEvery) + " operations";
    if constexpr (HasDeviceStats<S>) {
      const std::uint64_t reads = dev1.reads - dev0.reads;
      row.device_reads_per_s = row.seconds > 0
                                   ? std::optional<double>(static_cast<double>(reads) / row.seconds)
                                   : std::nullopt;
      row.details["measured_device_reads"] = reads;
      row.details["measured_device_bytes_read"] = dev1.bytes_read - dev0.bytes_read;
    }
    row.peak_rss_bytes = peak_rss;
    row.peak_rss_scope = std::string(rss.scope());
    if (rss.rss_at_start()) row.details["rss_at_open_bytes"] = *rss.rss_at_start();
    if (!rss.reset_error().empty()) row.details["peak_rss_note"] = rss.reset_error();
    std::uint64_t stream_ops = 0;
    for (const auto& r : results_) stream_ops += r.stream_ops;
    row.details["op_stream_bytes"] = stream_ops * sizeof(std::uint64_t);
    if (error.empty() && !after_load_error.empty()) error = "after the load: " + after_load_error;
    if constexpr (HasCheckpoint<S>) {
      if (cell_.checkpoint_every_s) {
        std::string ckpt_error =
            checkpoint_rows(checkpoints, skipped_ticks, t0, ops_t0, t_stop, row, out);
        if (error.empty()) error = std::move(ckpt_error);
      }
    }
    if (!error.empty()) {
      row.status = "failed";
      row.reason = error;
    }
    out.row = std::move(row);
    return out;
  }

 private:
  static Clock::duration to_duration(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }

  static CheckpointKind kind_of(CheckpointSchedule schedule, std::uint32_t n) {
    switch (schedule) {
      case CheckpointSchedule::FoldOver:
        return CheckpointKind::FoldOver;
      case CheckpointSchedule::Snapshot:
        return CheckpointKind::Snapshot;
      case CheckpointSchedule::Alternate:
        break;
    }
    return n % 2 == 0 ? CheckpointKind::FoldOver : CheckpointKind::Snapshot;
  }

  // The checkpoint thread: a checkpoint at t0 + k * period for k = 1, 2, ... while the
  // measurement runs; a tick that falls inside a running checkpoint is skipped (counted).
  void checkpoint_loop(Clock::time_point t0, Clock::time_point end, std::vector<RawCheckpoint>& out,
                       std::uint32_t& skipped) {
    if constexpr (HasCheckpoint<S>) {
      const Clock::duration period = to_duration(*cell_.checkpoint_every_s);
      Clock::rep k = 1;
      for (std::uint32_t n = 0;; ++n) {
        const Clock::time_point tick = t0 + period * k;
        if (tick >= end) return;
        {
          std::unique_lock<std::mutex> lk(checkpoint_mu_);
          if (checkpoint_cv_.wait_until(lk, tick, [this] { return checkpoint_stop_; })) return;
        }
        RawCheckpoint c;
        c.kind = kind_of(cell_.checkpoint_kind, n);
        c.ops_start = total_ops();
        c.start = Clock::now();
        Result<CheckpointTaken> r = sys_->checkpoint(c.kind);
        c.end = Clock::now();
        c.ops_end = total_ops();
        if (r) {
          c.id = r.value().id;
        } else {
          c.error = r.error().message;
        }
        out.push_back(std::move(c));
        for (++k; t0 + period * k <= out.back().end; ++k) ++skipped;
      }
    }
  }

  // Turns the checkpoint thread's records into checkpoints.csv rows, timeline event rows
  // (when the timeline is on) and a summary in the row's details. Returns the first failure
  // ("" when none).
  std::string checkpoint_rows(const std::vector<RawCheckpoint>& raw, std::uint32_t skipped_ticks,
                              Clock::time_point t0, std::uint64_t ops_t0, Clock::time_point t_stop,
                              ResultRow& row, RunOutcome& out) const {
    const auto ms = [t0](Clock::time_point t) { return seconds_between(t0, t) * 1000; };
    std::string first_error;
    Clock::time_point prev_end = t0;
    std::uint64_t prev_ops = ops_t0;
    std::uint32_t ok = 0, failed = 0, cut = 0;
    double ratio_sum = 0;
    std::optional<double> ratio_min;
    struct KindStats {
      std::uint32_t count = 0;
      double ratio_min = 0, ratio_sum = 0, duration_ms_max = 0;
    };
    std::map<std::string, KindStats> by_kind;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      const RawCheckpoint& c = raw[i];
      CheckpointRow r;
      r.cell = plan_.cell_number;
      r.repeat = plan_.repeat;
      r.label = plan_.system.label();
      r.threads = threads_;
      r.number = static_cast<std::uint32_t>(i + 1);
      r.id = c.id;
      r.kind = std::string(checkpoint_kind_name(c.kind));
      r.start_ms = ms(c.start);
      r.end_ms = ms(c.end);
      r.before_from_ms = ms(prev_end);
      const double during_s = seconds_between(c.start, c.end);
      const double before_s = seconds_between(prev_end, c.start);
      r.ops_during = c.ops_end - c.ops_start;
      r.ops_before = c.ops_start - prev_ops;
      r.mops_during = during_s > 0 ? static_cast<double>(r.ops_during) / during_s / 1e6 : 0;
      r.mops_before = before_s > 0 ? static_cast<double>(r.ops_before) / before_s / 1e6 : 0;
      if (!c.error.empty()) {
        r.status = "failed";
        r.error = c.error;
        ++failed;
        if (first_error.empty()) {
          first_error =
              "checkpoint " + std::to_string(r.number) + " (" + r.kind + ") failed: " + c.error;
        }
      } else if (c.end > t_stop) {
        r.status = "cut";
        ++cut;
      } else {
        ++ok;
        // A "before" interval under 10 ms (a checkpoint right after the previous one) has
        // too few counter updates to compare against.
        if (before_s >= 0.01 && r.mops_before > 0) {
          r.ratio = r.mops_during / r.mops_before;
          ratio_sum += *r.ratio;
          ratio_min = std::min(ratio_min.value_or(*r.ratio), *r.ratio);
          KindStats& k = by_kind[r.kind];
          k.ratio_min = k.count == 0 ? *r.ratio : std::min(k.ratio_min, *r.ratio);
          k.ratio_sum += *r.ratio;
          k.duration_ms_max = std::max(k.duration_ms_max, r.end_ms - r.start_ms);
          ++k.count;
        }
      }
      if (cell_.timeline_s) {
        const std::string what = "kind=" + r.kind + (r.id ? " id=" + std::to_string(r.id) : "");
        TimelineRow ev;
        ev.cell = r.cell;
        ev.repeat = r.repeat;
        ev.label = r.label;
        ev.threads = r.threads;
        ev.t_ms = r.start_ms;
        ev.event = "checkpoint_start";
        ev.detail = what;
        out.timeline.push_back(ev);
        ev.t_ms = r.end_ms;
        ev.event = "checkpoint_end";
        ev.detail = what + (r.status == "ok" ? "" : " status=" + r.status);
        out.timeline.push_back(std::move(ev));
      }
      out.checkpoints.push_back(std::move(r));
      prev_end = c.end;
      prev_ops = c.ops_end;
    }
    std::stable_sort(out.timeline.begin(), out.timeline.end(),
                     [](const TimelineRow& a, const TimelineRow& b) { return a.t_ms < b.t_ms; });
    nlohmann::json kinds = nlohmann::json::object();
    for (const auto& [kind, k] : by_kind) {
      kinds[kind] = {{"with_ratio", k.count},
                     {"ratio_min", k.ratio_min},
                     {"ratio_mean", k.ratio_sum / k.count},
                     {"duration_ms_max", k.duration_ms_max}};
    }
    const std::uint32_t with_ratio = [&] {
      std::uint32_t n = 0;
      for (const auto& r : out.checkpoints) n += r.ratio.has_value();
      return n;
    }();
    row.details["checkpoints"] = {
        {"every_s", *cell_.checkpoint_every_s},
        {"kind", kCheckpointScheduleNames[static_cast<int>(cell_.checkpoint_kind)]},
        {"taken", raw.size()},
        {"ok", ok},
        {"failed", failed},
        {"cut_by_the_end", cut},
        {"skipped_ticks", skipped_ticks},
        {"ratio_min", ratio_min ? nlohmann::json(*ratio_min) : nlohmann::json(nullptr)},
        {"ratio_mean",
         with_ratio ? nlohmann::json(ratio_sum / with_ratio) : nlohmann::json(nullptr)},
        {"by_kind", kinds},
        {"ratio",
         "mean throughput during each checkpoint / mean throughput since the previous one "
         "ended (the measurement's start for the first); checkpoints.csv has every one"}};
    return first_error;
  }

  // Whether every worker loaded its records (read after wait_for(loaded_)).
  bool loaded_ok() const {
    return std::all_of(results_.begin(), results_.end(),
                       [](const ThreadResult& r) { return r.error.empty(); });
  }

  void tick(std::string_view phase, Clock::time_point start) {
    if (plan_.on_tick) plan_.on_tick(phase, seconds_between(start, Clock::now()));
  }

  // Waits until every worker has counted itself in `counter`, reporting progress.
  void wait_for(const std::atomic<std::uint32_t>& counter, Clock::time_point start,
                std::string_view phase) {
    auto next_tick = Clock::now();
    while (counter.load(std::memory_order_acquire) < threads_) {
      if (Clock::now() >= next_tick) {
        tick(phase, start);
        next_tick = Clock::now() + std::chrono::milliseconds(250);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  std::uint64_t total_ops() const {
    std::uint64_t sum = 0;
    for (const auto& c : counters_) sum += c.ops.load(std::memory_order_relaxed);
    return sum;
  }

  // Sleeps until `end` or until every worker has finished, sampling the timeline (when
  // `timeline` is given and the config asks) and reporting progress.
  void wait_until(Clock::time_point end, Clock::time_point start, std::string_view phase,
                  std::vector<TimelineRow>* timeline, Clock::time_point t0 = {}) {
    const bool sample = timeline != nullptr && cell_.timeline_s.has_value();
    const auto interval = to_duration(sample ? *cell_.timeline_s : 0.25);
    auto next_sample = (sample ? t0 : Clock::now()) + interval;
    auto next_tick = Clock::now();
    std::uint64_t prev_ops = sample ? total_ops() : 0;
    auto prev_time = t0;
    auto take_sample = [&](Clock::time_point now) {
      const std::uint64_t ops = total_ops();
      const double dt = seconds_between(prev_time, now);
      TimelineRow r;
      r.cell = plan_.cell_number;
      r.repeat = plan_.repeat;
      r.label = plan_.system.label();
      r.threads = threads_;
      r.t_ms = seconds_between(t0, now) * 1000;
      r.ops = ops - prev_ops;
      r.mops = dt > 0 ? static_cast<double>(ops - prev_ops) / dt / 1e6 : 0;
      timeline->push_back(std::move(r));
      prev_ops = ops;
      prev_time = now;
    };
    while (true) {
      const auto now = Clock::now();
      if (now >= end || finished_.load(std::memory_order_acquire) == threads_) {
        // The last, possibly shorter, interval up to the end of the measurement.
        if (sample && seconds_between(prev_time, now) > 0.001) take_sample(now);
        break;
      }
      if (now >= next_tick) {
        tick(phase, start);
        next_tick = now + std::chrono::milliseconds(250);
      }
      if (sample && now >= next_sample) {
        take_sample(now);
        // After a stall (a descheduled coordinator), one longer interval covers the ticks
        // missed, rather than a burst of empty intervals at the same instant.
        while (next_sample <= now) next_sample += interval;
      }
      auto wake = std::min({end, next_tick, sample ? next_sample : Clock::time_point::max(),
                            now + std::chrono::milliseconds(5)});
      std::this_thread::sleep_until(wake);
    }
  }

  void body(std::uint32_t t) {
    ThreadResult& res = results_[t];
    std::vector<std::uint64_t> stream;
    try {
      stream = wl::generate_stream(cell_.workload_spec(), t, threads_, stream_length(cell_, t),
                                   plan_.repeat);
    } catch (const std::exception& e) {
      res.error = std::string("generating the operation stream: ") + e.what();
    }
    res.stream_ops = stream.size();
    generated_.fetch_add(1, std::memory_order_acq_rel);
    sync_.arrive_and_wait();  // every stream is ready: the load starts together
    if (res.error.empty()) load(t, res);
    loaded_.fetch_add(1, std::memory_order_acq_rel);
    phase_.wait(kLoad, std::memory_order_acquire);
    if (res.error.empty()) run(t, stream, res);
    finished_.fetch_add(1, std::memory_order_acq_rel);
  }

  void load(std::uint32_t t, ThreadResult& res) {
    try {
      Result<typename S::Worker> w = sys_->worker();
      if (!w) {
        res.error = "starting a worker: " + w.error().message;
        return;
      }
      KeyBuffer key(cell_.key_size);
      ValueBuffer value(cell_.value_size);
      const std::uint64_t begin = cell_.records * t / threads_;
      const std::uint64_t end = cell_.records * (t + 1) / threads_;
      for (std::uint64_t i = begin; i < end; ++i) {
        key.set(i);
        const Status s = w->upsert(key.view(), value.view());
        if (!acceptable(s)) {
          res.error = "load: upsert returned " + std::string(to_string(s));
          return;
        }
      }
      if (const Status s = w->finish(); s != Status::Ok) {
        res.error = "load: completing pending operations returned " + std::string(to_string(s));
      }
    } catch (const std::exception& e) {
      res.error = std::string("load: ") + e.what();
    }
  }

  void run(std::uint32_t t, const std::vector<std::uint64_t>& stream, ThreadResult& res) {
    try {
      Result<typename S::Worker> w = sys_->worker();
      if (!w) {
        res.error = "starting a worker: " + w.error().message;
        return;
      }
      if constexpr (S::kSupportsBatch) {
        static_assert(BatchWorker<typename S::Worker>);
        if (cell_.batch > 1) {
          run_loop_batch(t, *w, stream, res);
        } else {
          run_loop(t, *w, stream, res);
        }
      } else {
        run_loop(t, *w, stream, res);
      }
      if (const Status s = w->finish(); s != Status::Ok && res.error.empty()) {
        res.error = "completing pending operations returned " + std::string(to_string(s));
      }
    } catch (const std::exception& e) {
      res.error = e.what();
    }
  }

  void run_loop(std::uint32_t t, typename S::Worker& w, const std::vector<std::uint64_t>& stream,
                ThreadResult& res) {
    KeyBuffer key(cell_.key_size);
    ValueBuffer value(cell_.value_size);
    std::uint64_t version = 0;
    std::uint64_t inserts = 0;
    std::uint64_t not_found = 0;
    const std::uint64_t* ops = stream.data();
    const std::size_t n = stream.size();
    std::size_t pos = 0;
    std::uint64_t issued = 0;
    std::uint64_t measure_start = 0;
    bool measuring = phase_.load(std::memory_order_relaxed) == kMeasure;
    if (measuring) res.start = Clock::now();
    const std::uint64_t quota = cell_.ops ? n : 0;  // ops runs: this thread's share

    auto execute = [&](std::uint64_t op) -> Status {
      const std::uint64_t index = wl::OpWord::key(op);
      switch (wl::OpWord::kind(op)) {
        case wl::OpKind::Read: {
          key.set(index);
          const Status s = w.read(key.view());
          not_found += s == Status::NotFound;
          return s;
        }
        case wl::OpKind::Upsert:
          key.set(index);
          value.stamp(++version);
          return w.upsert(key.view(), value.view());
        case wl::OpKind::Insert:
          key.set(wl::insert_index(cell_.records, t, threads_, inserts++));
          value.stamp(++version);
          return w.upsert(key.view(), value.view());
        case wl::OpKind::Rmw:
          key.set(index);
          return w.rmw(key.view(), value.view());
        case wl::OpKind::Delete:
          key.set(index);
          return w.remove(key.view());
        case wl::OpKind::Scan:
          key.set(index);
          return w.scan(key.view(), wl::OpWord::arg(op));
      }
      return Status::InvalidArgument;
    };

    while (true) {
      std::uint32_t chunk = kCheckEvery;
      if (measuring && quota) {
        const std::uint64_t left = quota - (issued - measure_start);
        if (left == 0) break;
        chunk = static_cast<std::uint32_t>(std::min<std::uint64_t>(chunk, left));
      }
      // The first operation of each chunk is timed (kSampleEvery == kCheckEvery).
      const auto t_begin = Clock::now();
      Status s = execute(ops[pos]);
      if (s == Status::Pending) s = w.finish();
      const auto t_end = Clock::now();
      if (measuring) {
        res.histogram.record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(t_end - t_begin).count()));
      }
      if (++pos == n) pos = 0;
      for (std::uint32_t i = 1; i < chunk && acceptable(s); ++i) {
        s = execute(ops[pos]);
        if (++pos == n) pos = 0;
      }
      if (!acceptable(s)) {
        const auto kind = wl::OpWord::kind(ops[pos == 0 ? n - 1 : pos - 1]);
        res.error = std::string(wl::kOpKindNames[static_cast<int>(kind)]) + " returned " +
                    std::string(to_string(s));
        break;
      }
      issued += chunk;
      counters_[t].ops.store(issued, std::memory_order_relaxed);
      const int phase = phase_.load(std::memory_order_relaxed);
      if (phase == kStop) break;
      if (phase == kMeasure && !measuring) {
        measuring = true;
        res.start = Clock::now();
        measure_start = issued;
        not_found = 0;
      }
    }
    res.end = Clock::now();
    res.measured_ops = measuring ? issued - measure_start : 0;
    res.not_found = not_found;
  }

  // Batched operations (batch > 1, systems with kSupportsBatch): each batch takes the next
  // `batch` operations of the stream and issues their reads as one read_batch, their
  // upserts and inserts as one upsert_batch and their RMWs as one rmw_batch (deletes and
  // scans run singly). Every kSampleEvery operations one whole batch call is timed.
  void run_loop_batch(std::uint32_t t, typename S::Worker& w,
                      const std::vector<std::uint64_t>& stream, ThreadResult& res) {
    const std::uint32_t batch = cell_.batch;
    // One slot per element, each at least 8 bytes wide (see KeyBuffer).
    const std::size_t ks = cell_.key_size;
    const std::size_t stride = std::max<std::size_t>(ks, 8);
    std::string key_bytes(static_cast<std::size_t>(batch) * stride, '\0');
    for (std::uint32_t j = 0; j < batch; ++j) {
      wl::encode_key(0, std::span<char>(key_bytes.data() + j * stride, ks));
    }
    auto slot = [&](std::uint32_t j, std::uint64_t index) {
      std::memcpy(key_bytes.data() + j * stride, &index, 8);
      return std::string_view(key_bytes.data() + j * stride, ks);
    };
    ValueBuffer value(cell_.value_size);
    std::vector<std::string_view> reads, writes, rmws;
    reads.reserve(batch);
    writes.reserve(batch);
    rmws.reserve(batch);
    std::vector<std::string_view> values(batch);
    std::vector<Status> statuses(batch);
    const std::uint32_t sample_every = std::max<std::uint32_t>(1, kSampleEvery / batch);

    std::uint64_t version = 0, inserts = 0, not_found = 0, issued = 0, measure_start = 0;
    std::uint64_t batches = 0;
    const std::size_t n = stream.size();
    std::size_t pos = 0;
    bool measuring = phase_.load(std::memory_order_relaxed) == kMeasure;
    if (measuring) res.start = Clock::now();
    const std::uint64_t quota = cell_.ops ? n : 0;

    while (true) {
      std::uint32_t count = batch;
      if (measuring && quota) {
        const std::uint64_t left = quota - (issued - measure_start);
        if (left == 0) break;
        count = static_cast<std::uint32_t>(std::min<std::uint64_t>(count, left));
      }
      const bool sample = measuring && batches % sample_every == 0;
      const auto t_begin = Clock::now();
      reads.clear();
      writes.clear();
      rmws.clear();
      Status s = Status::Ok;
      for (std::uint32_t j = 0; j < count && acceptable(s); ++j) {
        const std::uint64_t op = stream[pos];
        if (++pos == n) pos = 0;
        switch (wl::OpWord::kind(op)) {
          case wl::OpKind::Read:
            reads.push_back(slot(j, wl::OpWord::key(op)));
            break;
          case wl::OpKind::Upsert:
            writes.push_back(slot(j, wl::OpWord::key(op)));
            break;
          case wl::OpKind::Insert:
            writes.push_back(slot(j, wl::insert_index(cell_.records, t, threads_, inserts++)));
            break;
          case wl::OpKind::Rmw:
            rmws.push_back(slot(j, wl::OpWord::key(op)));
            break;
          case wl::OpKind::Delete:
            s = w.remove(slot(j, wl::OpWord::key(op)));
            break;
          case wl::OpKind::Scan:
            s = w.scan(slot(j, wl::OpWord::key(op)), wl::OpWord::arg(op));
            break;
        }
      }
      if (acceptable(s) && !reads.empty()) {
        s = w.read_batch(reads, statuses.data());
        for (std::size_t i = 0; i < reads.size(); ++i) not_found += statuses[i] == Status::NotFound;
      }
      if (acceptable(s) && !writes.empty()) {
        value.stamp(++version);
        std::fill_n(values.begin(), writes.size(), value.view());
        s = w.upsert_batch(writes, std::span(values.data(), writes.size()), statuses.data());
      }
      if (acceptable(s) && !rmws.empty()) s = w.rmw_batch(rmws, value.view(), statuses.data());
      if (sample && acceptable(s)) {
        s = w.finish();  // a sampled batch is timed until its pending elements complete
        res.histogram.record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t_begin).count()));
      }
      if (!acceptable(s)) {
        res.error = "a batch returned " + std::string(to_string(s));
        break;
      }
      ++batches;
      issued += count;
      counters_[t].ops.store(issued, std::memory_order_relaxed);
      const int phase = phase_.load(std::memory_order_relaxed);
      if (phase == kStop) break;
      if (phase == kMeasure && !measuring) {
        measuring = true;
        res.start = Clock::now();
        measure_start = issued;
        not_found = 0;
      }
    }
    res.end = Clock::now();
    res.measured_ops = measuring ? issued - measure_start : 0;
    res.not_found = not_found;
  }

  const RunPlan& plan_;
  const CellConfig& cell_;
  S* sys_;
  std::uint32_t threads_;
  std::vector<ThreadCounter> counters_;
  std::vector<ThreadResult> results_;
  std::barrier<> sync_;  // workers only: the load starts when every stream is ready
  // Written by the coordinator (release), read by workers every kCheckEvery ops (relaxed).
  std::atomic<int> phase_{kLoad};
  // Workers past each stage: fetch_add by each worker (acq_rel), polled by the
  // coordinator (acquire), so that it sees the worker's results once the count is full.
  std::atomic<std::uint32_t> generated_{0};
  std::atomic<std::uint32_t> loaded_{0};
  std::atomic<std::uint32_t> finished_{0};
  // The checkpoint thread sleeps on checkpoint_cv_ until its next tick or until the
  // coordinator sets checkpoint_stop_ at the end of the measurement.
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_stop_ = false;  // guarded by checkpoint_mu_
};

SystemOptions system_options(const RunPlan& plan) {
  const CellConfig& c = *plan.cell;
  SystemOptions o;
  o.records = c.records;
  o.expected_keys = c.records;
  if (c.ops) {
    o.expected_keys +=
        static_cast<std::uint64_t>(static_cast<double>(*c.ops) * c.mix[wl::OpKind::Insert]);
  }
  o.key_size = c.key_size;
  o.value_size = c.value_size;
  o.memory_bytes = c.memory_bytes;
  o.path = plan.run_dir;
  o.threads = c.threads;
  o.copy_reads_to_tail = c.copy_reads_to_tail;
  o.checkpoint_write_rate = c.checkpoint_write_rate;
  return o;
}

template <BenchSystem S>
RunOutcome run_system(const RunPlan& plan, ResultRow row) {
  try {
    // Reset before the open: the system's own allocations (an index sized at open, a block
    // cache) count as much as what the load and the run add.
    const PeakRssWindow rss;
    Result<std::unique_ptr<S>> sys = S::open(system_options(plan));
    if (!sys) {
      row.status = "failed";
      row.reason = sys.error().message;
      return {std::move(row), {}, {}};
    }
    Run<S> run(plan, sys->get());
    return run.execute(std::move(row), rss);
  } catch (const std::exception& e) {
    row.status = "failed";
    row.reason = std::string("exception: ") + e.what();
    return {std::move(row), {}, {}};
  }
}

template <template <bool> class Baseline>
RunOutcome run_baseline(const RunPlan& plan, ResultRow row) {
  const bool fixed = plan.cell->key_size == 8 && plan.cell->value_size == 8;
  return fixed ? run_system<Baseline<true>>(plan, std::move(row))
               : run_system<Baseline<false>>(plan, std::move(row));
}

}  // namespace

ResultRow base_row(const RunPlan& plan) {
  const CellConfig& c = *plan.cell;
  ResultRow r;
  r.system = plan.system.system;
  r.label = plan.system.label();
  r.index = plan.system.index;
  r.device = plan.system.device;
  r.gc = plan.system.gc;
  r.workload = c.workload_name;
  r.distribution = std::string(wl::kDistributionNames[static_cast<int>(c.distribution)]);
  r.threads = c.threads;
  r.records = c.records;
  r.key_size = c.key_size;
  r.value_size = c.value_size;
  r.batch = plan.system.is_rskv() ? c.batch : 1;
  r.repeat = plan.repeat;
  r.oversubscribed = c.threads > std::max(1u, std::thread::hardware_concurrency());
  for (const auto& [k, v] : c.swept) {
    if (!column_of_swept_key(k).empty()) continue;
    const bool rskv_only = k.starts_with("rskv.");
    r.swept.emplace_back(k, rskv_only && !plan.system.is_rskv() ? "" : v);
  }
  r.cell = plan.cell_number;
  if (!plan.system.is_rskv() && c.batch > 1) {
    r.reason = "single operations (baselines have no batch API; batch " + std::to_string(c.batch) +
               " was asked)";
  }
  if (!plan.system.is_rskv() && c.checkpoint_every_s) {
    r.reason += std::string(r.reason.empty() ? "" : "; ") +
                "no checkpoints (store.checkpoint_every applies to rskv only)";
  }
  return r;
}

std::string skip_reason(const CellConfig& cell, const SystemEntry& system) {
  const bool scans = cell.mix[wl::OpKind::Scan] > 0;
  if (system.is_rskv()) {
    if (scans) return "rskv has no scan yet";
    return "";
  }
  if (scans && (system.system == "tbb_hash_map" || system.system == "libcuckoo")) {
    return system.system + " is a hash table: it has no ordered scans";
  }
  return "";
}

RunOutcome run_one(const RunPlan& plan) {
  ResultRow row = base_row(plan);
  if (std::string why = skip_reason(*plan.cell, plan.system); !why.empty()) {
    row.status = "skipped";
    row.reason = std::move(why);
    return {std::move(row), {}, {}};
  }
  const std::string& name = plan.system.system;
  if (name == "tbb_hash_map") return run_baseline<TbbHashMapSystem>(plan, std::move(row));
  if (name == "libcuckoo") return run_baseline<LibcuckooSystem>(plan, std::move(row));
  if (name == "rocksdb") return run_system<RocksDbSystem>(plan, std::move(row));
  RunOutcome out;
  bool ran = false;
  Result<void> found =
      with_bundle(plan.system.index, plan.system.device, plan.system.gc, [&](auto type) {
        using StoreT = typename decltype(type)::type;
        out = run_system<RskvSystem<StoreT>>(plan, row);
        ran = true;
      });
  if (!found || !ran) {
    row.status = "failed";
    row.reason = found ? "no rskv bundle ran" : found.error().message;
    return {std::move(row), {}, {}};
  }
  return out;
}

std::vector<std::string> rskv_bundle_names() {
  return bundle_names();
}

std::optional<std::string> check_rskv_cell(const CellConfig& cell, const SystemEntry&) {
  RunPlan plan;
  plan.cell = &cell;
  return check_rskv_options(system_options(plan));
}

}  // namespace rskv::bench
