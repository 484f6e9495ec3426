#pragma once
// IoUringDevice: the asynchronous log device (liburing), many I/Os in flight per thread.
//
// Layout, O_DIRECT and durability come from SegmentFiles (segment_files.h), as for
// FileDevice: fixed-size segment files, O_DIRECT where the file system allows it (else
// buffered, with the reason logged), flush() = fdatasync of written segments + directory
// fsync, truncate_before() unlinks whole files.
//
// Rings: a small fixed set of rings (one per core, at most kMaxRings), each guarded by its
// own mutex; a thread issues on its home ring (threads are spread round-robin). Why not one
// ring per thread: completions must be reapable by any thread (the DevicePolicy contract,
// and the hybrid log's flush path reaps writes issued by other sessions), so a per-thread
// ring would need a lock anyway; and 200+ sessions would mean 200+ rings of kernel memory.
// Why not one global ring: on every core a thread issues I/O, so one lock would be contended.
// Lock hold times are short: prepare an SQE, or reap the CQ; callbacks run outside the lock.
//
// Submission is batched: an SQE is submitted at once when its ring has nothing in the kernel
// (an idle device gets the lowest latency); otherwise prepared SQEs accumulate and are
// submitted together when kSubmitBatch are waiting, or by the next complete_pending().
//
// Queue depth: each ring holds at most cfg.queue_depth I/Os that are prepared, submitted or
// completed-but-not-reaped. When a ring is full, the issuing thread submits and waits for a
// completion, moves it to the ring's ready list (its callback still runs later, in
// complete_pending()) and takes the freed slot: back-pressure, never a failure.
//
// Completion: callbacks run only inside complete_pending() (any thread; every ring is
// visited: try-locked without wait, locked with wait). complete_pending(true) returns once
// every I/O accepted before the call has had its callback run. "In flight" (in_flight(),
// stats().max_in_flight) counts I/Os from acceptance until their callback has run.
//
// I/O rules: with O_DIRECT, offset, length and buffer address must be multiples of
// alignment(), else InvalidArgument (callback not run). A short transfer is resubmitted for
// the rest (a short write is completed); EAGAIN/EINTR results are retried; a read past the
// written end, of a hole or of a truncated segment yields zeros and the full length. OS
// errors reach the callback as IoError (NoSpace for ENOSPC/EDQUOT).
//
// Registered buffers are not used: the log's frames would have to be registered up front,
// and no measurement has shown a gain yet.
//
// The destructor waits for every accepted I/O and runs its callback.

#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "components/common/constants.h"
#include "components/common/result.h"
#include "components/device/segment_files.h"
#include "policies/device_policy.h"

namespace rskv::device {

class IoUringDevice {
 public:
  static constexpr std::string_view kName = "io_uring";
  static constexpr bool kPersistent = true;
  static constexpr std::uint32_t kMaxRings = 4;
  static constexpr std::uint32_t kSubmitBatch = 16;
  static constexpr std::uint32_t kMaxQueueDepth = 4096;

  static Result<std::unique_ptr<IoUringDevice>> open(const DeviceConfig& cfg);
  ~IoUringDevice();
  IoUringDevice(const IoUringDevice&) = delete;
  IoUringDevice& operator=(const IoUringDevice&) = delete;

  Status write_async(std::uint64_t offset, const void* buf, std::uint32_t len, IoCallback cb,
                     void* ctx);
  Status read_async(std::uint64_t offset, void* buf, std::uint32_t len, IoCallback cb, void* ctx);
  std::size_t complete_pending(bool wait);
  Status flush() { return files_->flush(); }
  Status truncate_before(std::uint64_t offset) { return files_->truncate_before(offset); }

  [[nodiscard]] std::size_t alignment() const { return files_->alignment(); }
  [[nodiscard]] std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  [[nodiscard]] DeviceStats stats() const;

  [[nodiscard]] bool direct_io() const { return files_->direct_io(); }
  [[nodiscard]] const std::string& direct_io_fallback_reason() const {
    return files_->direct_io_fallback_reason();
  }
  [[nodiscard]] std::size_t ring_count() const { return rings_.size(); }
  [[nodiscard]] std::uint32_t queue_depth() const { return depth_; }

 private:
  struct Join;
  struct Ready {
    IoCallback cb;
    void* ctx;
    Status status;
    std::size_t bytes;
    std::uint8_t bucket;  // which pending_ counter to release after the callback
  };
  // One transfer to one segment file (an I/O crossing a segment boundary has several).
  struct Request {
    IoCallback cb = nullptr;
    void* ctx = nullptr;
    std::shared_ptr<Segment> segment;  // keeps the fd open until completion
    std::byte* buf = nullptr;
    std::uint64_t file_offset = 0;
    std::uint32_t len = 0;
    std::uint32_t done = 0;
    bool write = false;
    std::uint8_t bucket = 0;
    Join* join = nullptr;  // set when the I/O has several parts
  };
  // The parts of one I/O, completed when the last part is (all parts are on one ring).
  struct Join {
    IoCallback cb;
    void* ctx;
    std::uint32_t parts_left;
    Status status;
    std::size_t bytes;
    std::uint8_t bucket;
  };
  struct alignas(kCacheLineSize) Ring {
    std::mutex mu;
    io_uring ring{};                  // guarded by mu
    std::vector<Request> slots;       // guarded by mu; user_data = slot index
    std::vector<std::uint32_t> free;  // guarded by mu; free slot indexes
    std::vector<Ready> ready;         // guarded by mu; reaped, callback not yet run
    std::uint32_t submitted = 0;      // guarded by mu; handed to the kernel, CQE not reaped
    bool initialised = false;
  };
  struct Part {
    std::shared_ptr<Segment> segment;  // nullptr: a hole (read) or released range (write)
    std::byte* buf;
    std::uint64_t file_offset;
    std::uint32_t len;
  };

  IoUringDevice(std::unique_ptr<SegmentFiles> files, std::uint32_t depth, std::size_t rings);
  Status issue(std::uint64_t offset, std::byte* buf, std::uint32_t len, bool write, IoCallback cb,
               void* ctx);
  std::uint8_t accept();
  Ring& home_ring();
  // The following run with ring.mu held.
  std::uint32_t acquire_slot(Ring& ring);
  void prepare(Ring& ring, std::uint32_t slot);
  void submit(Ring& ring);
  std::size_t reap(Ring& ring);
  void finish_part(Ring& ring, std::uint32_t slot, Status st);
  // Visits every ring: submits, reaps, runs the ready callbacks. Returns callbacks run.
  std::size_t poll(bool block);

  std::unique_ptr<SegmentFiles> files_;
  const std::uint32_t depth_;
  std::vector<std::unique_ptr<Ring>> rings_;

  // Waiting for "every I/O accepted before the call": each accepted I/O is counted in
  // pending_[gen_ & 1] and released after its callback. A waiter (serialised by wait_mu_)
  // increments gen_, sending new I/Os to the other counter, and waits for the old one to
  // drain. Issuers increment pending_ and then re-read gen_ (retrying on a change); the
  // waiter increments gen_ and then reads pending_. All four accesses are seq_cst so that
  // one side always sees the other (store-load ordering, which acquire/release lacks).
  std::mutex wait_mu_;
  std::atomic<std::uint64_t> gen_{0};
  std::atomic<std::uint64_t> pending_[2] = {0, 0};

  // Statistics and the in-flight gauge: relaxed, counters only (nobody orders other data by
  // them). in_flight_ is incremented by the accepting thread and decremented after the
  // callback by the thread that ran it.
  std::atomic<std::uint64_t> reads_{0}, writes_{0}, bytes_read_{0}, bytes_written_{0};
  std::atomic<std::size_t> in_flight_{0}, max_in_flight_{0};
};

static_assert(DevicePolicy<IoUringDevice>);

}  // namespace rskv::device
