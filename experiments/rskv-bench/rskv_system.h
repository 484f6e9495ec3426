#pragma once
// rskv as a BenchSystem (experiments/baselines/system.h): one Store of the bundle the
// config names (policies/bundles.h), one session per Worker. Reads copy the value out in
// their callback; an operation that goes Pending (a record on the device) completes in
// complete_pending(), which the Worker calls every kPollEvery pending operations and in
// finish(). With batch > 1 the driver uses the session's batch operations.

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "components/store/store.h"
#include "experiments/baselines/system.h"
#include "policies/bundles.h"

namespace rskv::bench {

/// The store settings rskv-bench uses for a run: the config's memory budget, limits equal
/// to the workload's key and value sizes, and an index sized for the expected keys.
inline StoreConfig rskv_store_config(const SystemOptions& opts) {
  StoreConfig cfg;
  cfg.path = opts.path;
  cfg.memory_bytes = opts.memory_bytes;
  cfg.max_key_bytes = opts.key_size;
  cfg.max_value_bytes = opts.value_size;
  cfg.copy_reads_to_tail = opts.copy_reads_to_tail;
  cfg.checkpoint_write_bytes_per_s = opts.checkpoint_write_rate;
  // Four keys per bucket on average (the chained index holds seven per 64-byte bucket).
  cfg.index.initial_buckets = std::bit_ceil(std::max<std::uint64_t>(opts.expected_keys / 4, 1024));
  cfg.device.path = opts.path;
  return cfg;
}

/// A checkpoint rskv-bench took (store.checkpoint_every).
struct CheckpointTaken {
  std::uint64_t id = 0;
  std::string kind;  // foldover | snapshot
};

template <class StoreT>
class RskvSystem {
 public:
  static constexpr bool kSupportsScan = false;
  static constexpr bool kSupportsBatch = true;
  static constexpr std::uint32_t kPollEvery = 32;  // pending operations between polls

  class Worker {
   public:
    Worker(typename StoreT::Session session, std::uint32_t value_size)
        : session_(std::move(session)), out_(value_size, '\0') {}
    Worker(Worker&&) noexcept = default;

    Status read(std::string_view key) {
      return after(session_.read(key, [this](Status s, std::string_view v) {
        if (s == Status::Ok) {
          copy_out(v);
        } else if (s != Status::NotFound) {
          note_error(s);
        }
      }));
    }
    Status upsert(std::string_view key, std::string_view value) {
      return session_.upsert(key, value);
    }
    Status rmw(std::string_view key, std::string_view value) {
      return after(session_.rmw(key, make_update(value), [this](Status s) {
        if (s != Status::Ok && s != Status::NotFound) note_error(s);
      }));
    }
    Status remove(std::string_view key) { return session_.remove(key); }

    // Batches: the store's read_batch / upsert_batch / rmw_batch (hash and prefetch the
    // whole batch, then complete each element).
    Status read_batch(std::span<const std::string_view> keys, Status* statuses) {
      session_.read_batch(keys, statuses, [this](std::size_t, Status s, std::string_view v) {
        if (s == Status::Ok) {
          copy_out(v);
        } else if (s != Status::NotFound) {
          note_error(s);
        }
      });
      return after_batch(keys.size(), statuses);
    }
    Status upsert_batch(std::span<const std::string_view> keys,
                        std::span<const std::string_view> values, Status* statuses) {
      session_.upsert_batch(keys, values, statuses);
      return after_batch(keys.size(), statuses);
    }
    Status rmw_batch(std::span<const std::string_view> keys, std::string_view value,
                     Status* statuses) {
      session_.rmw_batch(keys, make_update(value), statuses, [this](std::size_t, Status s) {
        if (s != Status::Ok && s != Status::NotFound) note_error(s);
      });
      return after_batch(keys.size(), statuses);
    }
    Status scan(std::string_view, std::uint32_t) { return Status::InvalidArgument; }
    Status finish() {
      session_.complete_pending(true);
      return first_error_;
    }
    std::string_view value() const { return std::string_view(out_).substr(0, out_size_); }

   private:
    // The RMW of BenchSystem: absent keys get `value`, present ones a bumped counter.
    static auto make_update(std::string_view value) {
      return [value](const std::string_view* old, ValueBuilder& out) {
        if (old == nullptr) {
          out.assign(value);
        } else {
          char* p = out.resize(old->size());
          std::memcpy(p, old->data(), old->size());
          bump_counter(p, old->size());
        }
        return true;
      };
    }
    Status after_batch(std::size_t n, const Status* statuses) {
      Status result = Status::Ok;
      for (std::size_t i = 0; i < n; ++i) {
        const Status s = statuses[i];
        if (s == Status::Pending) {
          ++pending_;
        } else if (s != Status::Ok && s != Status::NotFound && result == Status::Ok) {
          result = s;
        }
      }
      if (pending_ >= kPollEvery) {
        pending_ = 0;
        session_.complete_pending(false);
      }
      return result;
    }
    void copy_out(std::string_view v) {
      if (v.size() == 8 && out_.size() >= 8) [[likely]] {  // one move, not a memcpy call
        std::memcpy(out_.data(), v.data(), 8);
        out_size_ = 8;
        return;
      }
      if (v.size() > out_.size()) out_.resize(v.size());
      std::memcpy(out_.data(), v.data(), v.size());
      out_size_ = v.size();
    }
    void note_error(Status s) {
      if (first_error_ == Status::Ok) first_error_ = s;
    }
    Status after(Status s) {
      if (s == Status::Pending && ++pending_ >= kPollEvery) {
        pending_ = 0;
        session_.complete_pending(false);
      }
      return s;
    }

    typename StoreT::Session session_;
    std::string out_;  // grows to the largest value read; out_size_ bytes are valid
    std::size_t out_size_ = 0;
    std::uint32_t pending_ = 0;
    Status first_error_ = Status::Ok;
  };

  static Result<std::unique_ptr<RskvSystem>> open(const SystemOptions& opts) {
    Result<std::unique_ptr<StoreT>> store = StoreT::open(rskv_store_config(opts));
    if (!store) return make_error(store.error().code, "rskv: " + store.error().message);
    auto sys = std::unique_ptr<RskvSystem>(new RskvSystem());
    sys->store_ = std::move(store).value();
    sys->value_size_ = opts.value_size;
    return sys;
  }

  Result<Worker> worker() {
    Result<typename StoreT::Session> s = store_->start_session();
    if (!s) return s.error();
    return Worker(std::move(s).value(), value_size_);
  }

  nlohmann::json details() const {
    const StoreStats s = store_->stats();
    const StoreConfig& c = store_->config();
    return {{"engine", "rskv"},
            {"bundle", std::string(StoreT::IndexType::kName) + "/" +
                           std::string(StoreT::DeviceType::kName) + "/" +
                           std::string(StoreT::GcType::kName)},
            {"log_memory_bytes", s.log_memory_bytes},
            {"page_size", s.page_size},
            {"index_memory_bytes", s.index_memory_bytes},
            {"index_entries", s.index_entries},
            {"index_load_factor", s.index_load_factor},
            {"index_initial_buckets", c.index.initial_buckets},
            {"log_addresses",
             {{"begin", s.begin}, {"head", s.head}, {"read_only", s.read_only}, {"tail", s.tail}}},
            {"device_reads", s.device.reads},
            {"device_writes", s.device.writes},
            {"device_bytes_read", s.device.bytes_read},
            {"device_bytes_written", s.device.bytes_written},
            {"device_max_in_flight", s.device.max_in_flight},
            {"direct_io", direct_io()},
            {"direct_io_fallback_reason", direct_io_fallback_reason()},
            {"batch_api", "read_batch / upsert_batch / rmw_batch when workload.batch > 1"}};
  }

  /// Takes a checkpoint of the index and the log of this kind and returns once it is durable
  /// (Store::checkpoint from a thread that holds no session; the workers' sessions keep
  /// running and refresh on their own). InvalidArgument on the memory device.
  Result<CheckpointTaken> checkpoint(CheckpointKind kind) {
    typename StoreT::CheckpointRequest req;
    req.kind = kind;
    Result<typename StoreT::CheckpointInfo> r = store_->checkpoint(req);
    if (!r) return r.error();
    return CheckpointTaken{r.value().id, r.value().kind};
  }

  /// The device's counters (relaxed loads: cheap enough to take at the measured phase's
  /// edges, unlike stats(), which scans the index).
  [[nodiscard]] DeviceStats device_stats() const { return store_->device().stats(); }

 private:
  RskvSystem() = default;
  // Whether the device bypasses the page cache: true/false for file devices, null for the
  // memory device (nothing to bypass).
  nlohmann::json direct_io() const {
    if constexpr (requires(const typename StoreT::DeviceType& d) { d.direct_io(); }) {
      return store_->device().direct_io();
    } else {
      return nullptr;
    }
  }
  std::string direct_io_fallback_reason() const {
    if constexpr (requires(const typename StoreT::DeviceType& d) {
                    d.direct_io_fallback_reason();
                  }) {
      return store_->device().direct_io_fallback_reason();
    } else {
      return "";
    }
  }
  std::unique_ptr<StoreT> store_;
  std::uint32_t value_size_ = 8;
};

/// The memory-budget check --check runs for an rskv entry (nothing when the store accepts).
inline std::optional<std::string> check_rskv_options(const SystemOptions& opts) {
  const StoreConfig cfg = rskv_store_config(opts);
  if (Result<void> v = cfg.validate(); !v) {
    return "store.memory: " + v.error().message + " (for key_size " +
           std::to_string(opts.key_size) + " and value_size " + std::to_string(opts.value_size) +
           "); raise store.memory";
  }
  return std::nullopt;
}

}  // namespace rskv::bench
