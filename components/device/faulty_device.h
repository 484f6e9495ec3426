#pragma once
// FaultyDevice<Inner>: a DevicePolicy wrapper around any device that injects I/O errors,
// short writes, ENOSPC and delays on a deterministic seeded schedule (fault_schedule.h), and
// simulates a power loss by dropping every write not made durable. FaultyFileSystem
// (faulty_fs.h, included here) does the same for named files.
//
// With faults off (the default FaultConfig) it behaves exactly like Inner: the conformance
// suite runs over it. Its kName is Inner's, so a store made through it reopens with Inner.
//
// Injected faults, per operation:
//   - read error  (ReadError):  the callback gets IoError; nothing is read;
//   - write error (WriteError): the callback gets IoError; nothing is written;
//   - no space    (NoSpace, or FaultConfig.space_bytes exceeded): the callback gets NoSpace;
//                 nothing is written;
//   - short write (ShortWrite): Inner is asked for the first half of the range (aligned);
//                 when it reports fewer bytes than asked, the wrapper issues the rest, so the
//                 caller sees one complete write. Any short write Inner itself reports is
//                 completed the same way;
//   - flush error (FlushError): flush() returns IoError without flushing Inner, so nothing
//                 counts as durable;
//   - delay       (Delay):      the issuing thread sleeps delay_micros first.
// Injected failures run their callback before write_async / read_async return (allowed for
// any device by the DevicePolicy contract) and are not counted in in_flight().
//
// Power loss (FaultConfig.track_durability): before each write the wrapper reads the range's
// old contents from Inner; a write stays "not durable" until a flush() that began after its
// callback ran returns Ok. simulate_power_loss() waits for all I/O, writes the old contents
// back (newest write first) and flushes Inner: the device then holds exactly what was durable.
// Assumes overlapping writes are not in flight at once (the hybrid log never issues them).
//
// Thread-safety: as Inner; the durability records are guarded by a mutex. While a write
// captures old contents it may reap Inner completions of other threads' I/O; their callbacks
// are then queued and run by the next complete_pending() (tracking mode only).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "components/common/aligned_buffer.h"
#include "components/common/result.h"
#include "components/device/fault_schedule.h"
#include "components/device/faulty_fs.h"
#include "components/device/memory_device.h"
#include "policies/device_policy.h"

namespace rskv::device {

template <DevicePolicy Inner>
class FaultyDevice {
 public:
  static constexpr std::string_view kName = Inner::kName;
  static constexpr bool kPersistent = Inner::kPersistent;

  /// Opens Inner with `cfg`; faults start off (set_faults / schedule().fail_next turn them on).
  static Result<std::unique_ptr<FaultyDevice>> open(const DeviceConfig& cfg) {
    auto inner = Inner::open(cfg);
    if (!inner) return inner.error();
    return std::make_unique<FaultyDevice>(std::move(inner.value()));
  }

  explicit FaultyDevice(std::unique_ptr<Inner> inner, const FaultConfig& faults = {})
      : inner_(std::move(inner)) {
    schedule_.configure(faults);
  }
  ~FaultyDevice() { complete_pending(true); }
  FaultyDevice(const FaultyDevice&) = delete;
  FaultyDevice& operator=(const FaultyDevice&) = delete;

  Inner& inner() { return *inner_; }
  FaultSchedule& schedule() { return schedule_; }
  /// Not to race with I/O: set while the device is idle.
  void set_faults(const FaultConfig& cfg) { schedule_.configure(cfg); }

  Status write_async(std::uint64_t offset, const void* buf, std::uint32_t len, IoCallback cb,
                     void* ctx) {
    maybe_delay();
    writes_.fetch_add(1, std::memory_order_relaxed);
    if (schedule_.fires(FaultKind::WriteError)) return fail(FaultKind::WriteError, cb, ctx);
    if (schedule_.fires(FaultKind::NoSpace) || !reserve_space(len)) {
      return fail(FaultKind::NoSpace, cb, ctx);
    }
    auto op = std::make_unique<Op>(Op{this, cb, ctx, offset, static_cast<const std::byte*>(buf),
                                      nullptr, len, 0, true, nullptr});
    if (schedule_.config().track_durability) {
      if (Status st = capture(*op); st != Status::Ok) return st;
    }
    std::uint32_t first = len;
    if (schedule_.fires(FaultKind::ShortWrite)) {
      const std::uint32_t align = static_cast<std::uint32_t>(inner_->alignment());
      const std::uint32_t half = len / 2 / align * align;
      if (half > 0) {
        first = half;
        schedule_.count(FaultKind::ShortWrite);
      }
    }
    accept();
    Op* raw = op.release();
    Status st = inner_->write_async(offset, buf, first, &FaultyDevice::on_done, raw);
    if (st != Status::Ok) {
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      drop_record(raw->record);
      delete raw;
    }
    return st;
  }

  Status read_async(std::uint64_t offset, void* buf, std::uint32_t len, IoCallback cb, void* ctx) {
    maybe_delay();
    reads_.fetch_add(1, std::memory_order_relaxed);
    if (schedule_.fires(FaultKind::ReadError)) return fail(FaultKind::ReadError, cb, ctx);
    auto* op = new Op{this, cb, ctx,   offset, nullptr, static_cast<std::byte*>(buf),
                      len,  0,  false, nullptr};
    accept();
    Status st = inner_->read_async(offset, buf, len, &FaultyDevice::on_done, op);
    if (st != Status::Ok) {
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      delete op;
    }
    return st;
  }

  std::size_t complete_pending(bool wait) {
    const std::size_t before = t_delivered;
    drain_deferred();
    inner_->complete_pending(wait);
    // Remainders of short writes issued during the wait were accepted after it began: wait
    // for them too, so that every write accepted before this call has completed.
    while (wait && (remainders_.load(std::memory_order_acquire) > 0 || has_deferred())) {
      drain_deferred();
      inner_->complete_pending(true);
    }
    return t_delivered - before;
  }

  Status flush() {
    maybe_delay();
    if (schedule_.fires(FaultKind::FlushError)) {
      schedule_.count(FaultKind::FlushError);
      return Status::IoError;
    }
    // Ids, not pointers: a covered record may be removed (truncation) and its address
    // reused by a new write while Inner flushes.
    std::vector<std::uint64_t> covered;
    {
      std::lock_guard<std::mutex> g(records_mu_);
      for (const Record& r : records_) {
        if (r.completed) covered.push_back(r.id);
      }
    }
    Status st = inner_->flush();
    if (st == Status::Ok && !covered.empty()) {
      std::lock_guard<std::mutex> g(records_mu_);
      records_.remove_if([&](const Record& r) {
        return std::binary_search(covered.begin(), covered.end(), r.id);
      });
    }
    return st;
  }

  Status truncate_before(std::uint64_t offset) {
    {
      std::lock_guard<std::mutex> g(records_mu_);
      records_.remove_if(
          [&](const Record& r) { return r.offset + r.len <= offset && r.completed; });
    }
    return inner_->truncate_before(offset);
  }

  /// Drops every write not made durable (needs FaultConfig.track_durability). Waits for all
  /// I/O first; no other thread may issue I/O meanwhile.
  Status simulate_power_loss() {
    complete_pending(true);
    std::lock_guard<std::mutex> g(records_mu_);
    for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
      if (Status st = sync_io(true, it->offset, it->old.data(), it->len); st != Status::Ok) {
        return st;
      }
    }
    records_.clear();
    return inner_->flush();
  }

  [[nodiscard]] std::size_t alignment() const { return inner_->alignment(); }
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
  /// Writes whose short count the wrapper completed by issuing the rest.
  [[nodiscard]] std::uint64_t short_writes_completed() const {
    return short_completed_.load(std::memory_order_relaxed);
  }

 private:
  // A write not yet durable and the contents its range had before it.
  struct Record {
    std::uint64_t id;  // issue order (records_ is sorted by it)
    std::uint64_t offset;
    std::uint32_t len;
    AlignedBuffer old;
    bool completed = false;  // guarded by records_mu_; set when its callback reported Ok
  };
  struct Op {
    FaultyDevice* self;
    IoCallback cb;
    void* ctx;
    std::uint64_t offset;
    const std::byte* wbuf;
    std::byte* rbuf;
    std::uint32_t len;
    std::uint32_t done;
    bool write;
    Record* record;
  };
  struct Deferred {
    IoCallback cb;
    void* ctx;
    Status status;
    std::size_t bytes;
  };

  static void on_done(void* context, Status st, std::size_t bytes) {
    auto* op = static_cast<Op*>(context);
    FaultyDevice* self = op->self;
    if (op->write && st == Status::Ok && op->done + bytes < op->len) {
      // A short write (injected or Inner's own): issue the rest.
      const bool first_time = op->done == 0;
      op->done += static_cast<std::uint32_t>(bytes);
      // Release/acquire with complete_pending's wait loop: the count covers this op until
      // its final callback has run.
      if (first_time) self->remainders_.fetch_add(1, std::memory_order_release);
      Status again = self->inner_->write_async(op->offset + op->done, op->wbuf + op->done,
                                               op->len - op->done, &FaultyDevice::on_done, op);
      if (again == Status::Ok) return;
      st = again;
    }
    if (op->done > 0) {
      self->remainders_.fetch_sub(1, std::memory_order_release);
      if (st == Status::Ok) self->short_completed_.fetch_add(1, std::memory_order_relaxed);
    }
    std::size_t reported = bytes;
    if (op->write) {
      reported = st == Status::Ok ? op->len : 0;
      if (st == Status::Ok) {
        self->bytes_written_.fetch_add(op->len, std::memory_order_relaxed);
        if (op->record != nullptr) {
          std::lock_guard<std::mutex> g(self->records_mu_);
          op->record->completed = true;
        }
      } else {
        self->drop_record(op->record);  // nothing acknowledged: nothing to drop on power loss
      }
    } else if (st == Status::Ok) {
      self->bytes_read_.fetch_add(bytes, std::memory_order_relaxed);
    }
    IoCallback cb = op->cb;
    void* ctx = op->ctx;
    delete op;
    self->deliver(cb, ctx, st, reported);
  }

  void deliver(IoCallback cb, void* ctx, Status st, std::size_t bytes) {
    if (t_capturing) {
      std::lock_guard<std::mutex> g(deferred_mu_);
      deferred_.push_back(Deferred{cb, ctx, st, bytes});
      return;
    }
    cb(ctx, st, bytes);
    ++t_delivered;
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
  }

  void drain_deferred() {
    std::vector<Deferred> batch;
    {
      std::lock_guard<std::mutex> g(deferred_mu_);
      batch.swap(deferred_);
    }
    for (const Deferred& d : batch) {
      d.cb(d.ctx, d.status, d.bytes);
      ++t_delivered;
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  bool has_deferred() {
    std::lock_guard<std::mutex> g(deferred_mu_);
    return !deferred_.empty();
  }

  Status fail(FaultKind kind, IoCallback cb, void* ctx) {
    schedule_.count(kind);
    cb(ctx, kind == FaultKind::NoSpace ? Status::NoSpace : Status::IoError, 0);
    return Status::Ok;
  }

  void maybe_delay() {
    if (schedule_.fires(FaultKind::Delay)) {
      schedule_.count(FaultKind::Delay);
      std::this_thread::sleep_for(std::chrono::microseconds(schedule_.config().delay_micros));
    }
  }

  bool reserve_space(std::uint32_t len) {
    const std::uint64_t limit = schedule_.config().space_bytes;
    if (limit == 0) return true;
    // Relaxed: a budget counter; it orders no other data.
    std::uint64_t used = space_used_.load(std::memory_order_relaxed);
    do {
      if (used + len > limit) return false;
    } while (!space_used_.compare_exchange_weak(used, used + len, std::memory_order_relaxed));
    return true;
  }

  void accept() {
    const std::size_t now = in_flight_.fetch_add(1, std::memory_order_relaxed) + 1;
    std::size_t seen = max_in_flight_.load(std::memory_order_relaxed);
    while (now > seen &&
           !max_in_flight_.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
  }

  // Reads the range's current contents into a new record (tracking mode).
  Status capture(Op& op) {
    const std::size_t align = std::max<std::size_t>(inner_->alignment(), 64);
    Record rec{0, op.offset, op.len, AlignedBuffer(std::max<std::uint32_t>(op.len, 1), align)};
    if (Status st = sync_io(false, op.offset, rec.old.data(), op.len); st != Status::Ok) {
      return st;
    }
    std::lock_guard<std::mutex> g(records_mu_);
    rec.id = next_record_id_++;
    records_.push_back(std::move(rec));
    op.record = &records_.back();
    return Status::Ok;
  }

  void drop_record(Record* rec) {
    if (rec == nullptr) return;
    std::lock_guard<std::mutex> g(records_mu_);
    records_.remove_if([&](const Record& r) { return &r == rec; });
  }

  // One I/O on Inner, waited for on this thread (tracking mode and power loss only).
  Status sync_io(bool write, std::uint64_t offset, std::byte* buf, std::uint32_t len) {
    struct Done {
      // Written once by the callback (release), polled by the issuing thread (acquire) so it
      // sees `status` and the buffer contents.
      std::atomic<bool> done{false};
      Status status = Status::Ok;
    } d;
    IoCallback cb = [](void* c, Status st, std::size_t) {
      auto* done = static_cast<Done*>(c);
      done->status = st;
      done->done.store(true, std::memory_order_release);
    };
    t_capturing = true;
    Status st = write ? inner_->write_async(offset, buf, len, cb, &d)
                      : inner_->read_async(offset, buf, len, cb, &d);
    while (st == Status::Ok && !d.done.load(std::memory_order_acquire)) {
      if (inner_->complete_pending(false) == 0) std::this_thread::yield();
    }
    t_capturing = false;
    return st == Status::Ok ? d.status : st;
  }

  // Set while this thread waits for a capture I/O: callbacks reaped meanwhile are queued.
  static inline thread_local bool t_capturing = false;
  // User callbacks this thread has run (complete_pending reports the difference).
  static inline thread_local std::size_t t_delivered = 0;

  std::unique_ptr<Inner> inner_;
  FaultSchedule schedule_;
  std::mutex records_mu_;
  std::list<Record> records_;         // guarded by records_mu_; issue order (stable addresses)
  std::uint64_t next_record_id_ = 0;  // guarded by records_mu_
  std::mutex deferred_mu_;
  std::vector<Deferred> deferred_;  // guarded by deferred_mu_
  // Short writes whose rest is in flight: incremented (release) by the callback that issues
  // the rest, decremented (release) when the write finally completes; complete_pending(true)
  // loads it (acquire) to keep waiting for them.
  std::atomic<std::uint32_t> remainders_{0};
  // Statistics, gauges and the space budget: relaxed, counters only.
  std::atomic<std::uint64_t> reads_{0}, writes_{0}, bytes_read_{0}, bytes_written_{0};
  std::atomic<std::uint64_t> short_completed_{0}, space_used_{0};
  std::atomic<std::size_t> in_flight_{0}, max_in_flight_{0};
};

static_assert(DevicePolicy<FaultyDevice<MemoryDevice>>);

}  // namespace rskv::device
