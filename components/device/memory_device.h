#pragma once
// MemoryDevice: a log device held in RAM, for pure in-memory experiments and fast tests.
//
// Storage is a table of fixed-size segments allocated on first write; truncate_before()
// frees whole segments. Two completion modes:
//   inline   (default)  - the callback runs before read_async / write_async return;
//   deferred (cfg.deferred) - the I/O is performed at once but its callback is queued and
//              runs only inside complete_pending(), so tests exercise the Pending path of
//              the store without a disk.
// Thread-safety: reads and writes to distinct ranges may run concurrently; the segment
// table is guarded by a mutex (cold: taken once per segment allocation and per truncate),
// the completion queue by another. Data ranges are copied with memcpy: the hybrid log never
// reads a range that a write is still filling (it reads only flushed pages).

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "components/common/aligned_buffer.h"
#include "components/common/result.h"
#include "policies/device_policy.h"

namespace rskv::device {

class MemoryDevice {
 public:
  static constexpr std::string_view kName = "memory";
  static constexpr bool kPersistent = false;

  explicit MemoryDevice(const DeviceConfig& cfg)
      : segment_bytes_(std::bit_ceil(std::max<std::uint64_t>(cfg.segment_bytes, 1u << 16))),
        deferred_(cfg.deferred) {
    if (segment_bytes_ > (1ull << 26)) segment_bytes_ = 1ull << 26;  // 64 MiB segments in RAM
  }

  static Result<std::unique_ptr<MemoryDevice>> open(const DeviceConfig& cfg) {
    return std::make_unique<MemoryDevice>(cfg);
  }

  Status write_async(std::uint64_t offset, const void* buf, std::uint32_t len, IoCallback cb,
                     void* ctx) {
    if (offset >= truncated_.load(std::memory_order_acquire) || len == 0) {
      copy(offset, const_cast<void*>(buf), len, /*write=*/true);
    }
    writes_.fetch_add(1, std::memory_order_relaxed);
    bytes_written_.fetch_add(len, std::memory_order_relaxed);
    finish(cb, ctx, Status::Ok, len);
    return Status::Ok;
  }

  Status read_async(std::uint64_t offset, void* buf, std::uint32_t len, IoCallback cb, void* ctx) {
    copy(offset, buf, len, /*write=*/false);
    reads_.fetch_add(1, std::memory_order_relaxed);
    bytes_read_.fetch_add(len, std::memory_order_relaxed);
    finish(cb, ctx, Status::Ok, len);
    return Status::Ok;
  }

  std::size_t complete_pending(bool wait) {
    if (!deferred_) return 0;
    // Delivery is serialised by deliver_mu_ so that a waiting call, once it holds the mutex,
    // knows no other thread is still running callbacks it took from the queue: every I/O
    // accepted before the call is then either delivered or in the queue it drains. Without
    // wait, a busy deliverer means someone else is delivering: return at once.
    std::unique_lock<std::mutex> deliver(deliver_mu_, std::defer_lock);
    if (wait) {
      deliver.lock();
    } else if (!deliver.try_lock()) {
      return 0;
    }
    std::vector<Completion> batch;
    {
      std::lock_guard<std::mutex> g(queue_mu_);
      batch.swap(queue_);
    }
    for (const Completion& c : batch) {
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      c.cb(c.ctx, c.status, c.bytes);
    }
    return batch.size();
  }

  Status flush() { return Status::Ok; }  // RAM: nothing further to make durable

  Status truncate_before(std::uint64_t offset) {
    std::lock_guard<std::mutex> g(segments_mu_);
    std::uint64_t first_kept = offset / segment_bytes_;
    for (std::uint64_t s = 0; s < first_kept && s < segments_.size(); ++s) segments_[s].reset();
    std::uint64_t prev = truncated_.load(std::memory_order_relaxed);
    if (first_kept * segment_bytes_ > prev) {
      truncated_.store(first_kept * segment_bytes_, std::memory_order_release);
    }
    return Status::Ok;
  }

  [[nodiscard]] std::size_t alignment() const { return 1; }
  [[nodiscard]] std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  [[nodiscard]] DeviceStats stats() const {
    DeviceStats s;
    s.reads = reads_.load(std::memory_order_relaxed);
    s.writes = writes_.load(std::memory_order_relaxed);
    s.bytes_read = bytes_read_.load(std::memory_order_relaxed);
    s.bytes_written = bytes_written_.load(std::memory_order_relaxed);
    s.max_in_flight = max_in_flight_.load(std::memory_order_relaxed);
    return s;
  }
  /// Bytes of RAM held by segments (for tests and reports).
  [[nodiscard]] std::size_t memory_bytes() const {
    std::lock_guard<std::mutex> g(segments_mu_);
    std::size_t n = 0;
    for (const auto& s : segments_) n += s ? segment_bytes_ : 0;
    return n;
  }

 private:
  struct Completion {
    IoCallback cb;
    void* ctx;
    Status status;
    std::size_t bytes;
  };

  void finish(IoCallback cb, void* ctx, Status st, std::size_t bytes) {
    if (!deferred_) {
      cb(ctx, st, bytes);
      return;
    }
    std::size_t now = in_flight_.fetch_add(1, std::memory_order_relaxed) + 1;
    std::size_t seen = max_in_flight_.load(std::memory_order_relaxed);
    while (now > seen &&
           !max_in_flight_.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
    std::lock_guard<std::mutex> g(queue_mu_);
    queue_.push_back(Completion{cb, ctx, st, bytes});
  }

  // Returns the segment's buffer, allocating it on write; nullptr for a read of a hole.
  std::byte* segment(std::uint64_t index, bool create) {
    std::lock_guard<std::mutex> g(segments_mu_);
    if (index >= segments_.size()) {
      if (!create) return nullptr;
      segments_.resize(index + 1);
    }
    if (!segments_[index]) {
      if (!create) return nullptr;
      segments_[index] = std::make_unique<AlignedBuffer>(segment_bytes_, 64);
    }
    return segments_[index]->data();
  }

  void copy(std::uint64_t offset, void* buf, std::uint32_t len, bool write) {
    auto* p = static_cast<std::byte*>(buf);
    while (len > 0) {
      std::uint64_t seg = offset / segment_bytes_;
      std::uint64_t in = offset % segment_bytes_;
      std::uint32_t n =
          static_cast<std::uint32_t>(std::min<std::uint64_t>(len, segment_bytes_ - in));
      std::byte* base = segment(seg, write);
      if (write) {
        std::memcpy(base + in, p, n);
      } else if (base != nullptr) {
        std::memcpy(p, base + in, n);
      } else {
        std::memset(p, 0, n);
      }
      p += n;
      offset += n;
      len -= n;
    }
  }

  std::uint64_t segment_bytes_;
  bool deferred_;
  mutable std::mutex segments_mu_;
  std::vector<std::unique_ptr<AlignedBuffer>> segments_;  // guarded by segments_mu_
  std::atomic<std::uint64_t> truncated_{0};
  std::mutex deliver_mu_;  // held while a complete_pending() call runs callbacks
  std::mutex queue_mu_;
  std::vector<Completion> queue_;  // guarded by queue_mu_
  // Statistics: relaxed, counters only (nobody orders other data by them).
  std::atomic<std::uint64_t> reads_{0}, writes_{0}, bytes_read_{0}, bytes_written_{0};
  std::atomic<std::size_t> in_flight_{0}, max_in_flight_{0};
};

static_assert(DevicePolicy<MemoryDevice>);

}  // namespace rskv::device
