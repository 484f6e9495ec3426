// IoUringDevice: striped, locked liburing rings over segment files (io_uring_device.h).

#include "components/device/io_uring_device.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace rskv::device {

namespace {

// Round-robin home-ring assignment. Relaxed: only the uniqueness of the ticket matters.
std::atomic<std::uint32_t> g_next_thread{0};

// How long a waiting complete_pending() blocks on one ring (with its lock held) before it
// looks at the next ring.
constexpr long kWaitSliceNanos = 200'000;

}  // namespace

Result<std::unique_ptr<IoUringDevice>> IoUringDevice::open(const DeviceConfig& cfg) {
  if (cfg.queue_depth == 0 || cfg.queue_depth > kMaxQueueDepth) {
    return make_error(Status::InvalidArgument,
                      "io_uring device: queue_depth " + std::to_string(cfg.queue_depth) +
                          " is out of range; use 1.." + std::to_string(kMaxQueueDepth));
  }
  auto files = SegmentFiles::open(cfg, kName);
  if (!files) return files.error();
  const std::size_t rings =
      std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, kMaxRings);
  std::unique_ptr<IoUringDevice> dev(
      new IoUringDevice(std::move(files.value()), cfg.queue_depth, rings));
  for (auto& r : dev->rings_) {
    // SUBMIT_ALL: keep submitting the batch when one SQE fails (its CQE carries the error).
    io_uring_params params{};
    params.flags = IORING_SETUP_SUBMIT_ALL;
    int rc = io_uring_queue_init_params(cfg.queue_depth, &r->ring, &params);
    if (rc == -EINVAL) {  // an older kernel without SUBMIT_ALL
      params = io_uring_params{};
      rc = io_uring_queue_init_params(cfg.queue_depth, &r->ring, &params);
    }
    if (rc < 0) {
      return make_error(Status::IoError,
                        "io_uring device: cannot create a ring of " +
                            std::to_string(cfg.queue_depth) + " entries: " + std::strerror(-rc) +
                            " (io_uring may be disabled by the kernel or a sandbox; use the file "
                            "device instead)");
    }
    r->initialised = true;
  }
  return dev;
}

IoUringDevice::IoUringDevice(std::unique_ptr<SegmentFiles> files, std::uint32_t depth,
                             std::size_t rings)
    : files_(std::move(files)), depth_(depth) {
  rings_.reserve(rings);
  for (std::size_t i = 0; i < rings; ++i) {
    auto r = std::make_unique<Ring>();
    r->slots.resize(depth);
    r->free.reserve(depth);
    for (std::uint32_t s = depth; s > 0; --s) r->free.push_back(s - 1);
    r->ready.reserve(depth);
    rings_.push_back(std::move(r));
  }
}

IoUringDevice::~IoUringDevice() {
  bool all = std::all_of(rings_.begin(), rings_.end(), [](auto& r) { return r->initialised; });
  if (all) complete_pending(true);
  for (auto& r : rings_) {
    if (r->initialised) io_uring_queue_exit(&r->ring);
  }
}

IoUringDevice::Ring& IoUringDevice::home_ring() {
  thread_local const std::uint32_t ticket = g_next_thread.fetch_add(1, std::memory_order_relaxed);
  return *rings_[ticket % rings_.size()];
}

std::uint8_t IoUringDevice::accept() {
  std::uint8_t bucket;
  for (;;) {
    const std::uint64_t g = gen_.load(std::memory_order_seq_cst);
    bucket = static_cast<std::uint8_t>(g & 1);
    pending_[bucket].fetch_add(1, std::memory_order_seq_cst);
    if (gen_.load(std::memory_order_seq_cst) == g) break;
    pending_[bucket].fetch_sub(1, std::memory_order_seq_cst);  // a waiter flipped: re-register
  }
  const std::size_t now = in_flight_.fetch_add(1, std::memory_order_relaxed) + 1;
  std::size_t seen = max_in_flight_.load(std::memory_order_relaxed);
  while (now > seen &&
         !max_in_flight_.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
  return bucket;
}

Status IoUringDevice::write_async(std::uint64_t offset, const void* buf, std::uint32_t len,
                                  IoCallback cb, void* ctx) {
  // The kernel only reads from a write's buffer; the cast serves the shared request type.
  return issue(offset, static_cast<std::byte*>(const_cast<void*>(buf)), len, true, cb, ctx);
}

Status IoUringDevice::read_async(std::uint64_t offset, void* buf, std::uint32_t len, IoCallback cb,
                                 void* ctx) {
  return issue(offset, static_cast<std::byte*>(buf), len, false, cb, ctx);
}

Status IoUringDevice::issue(std::uint64_t offset, std::byte* buf, std::uint32_t len, bool write,
                            IoCallback cb, void* ctx) {
  const std::size_t align = files_->alignment();
  if (align > 1 && ((offset | len | reinterpret_cast<std::uintptr_t>(buf)) & (align - 1)) != 0) {
    return Status::InvalidArgument;
  }
  // Split at segment boundaries and open the files before accepting, so that an open error
  // is returned (callback not run) rather than half-issued.
  const std::uint64_t seg_bytes = files_->segment_bytes();
  Part single{};
  std::vector<Part> many;  // only for an I/O that crosses a segment boundary (rare)
  std::size_t parts = 0;
  auto add = [&](Part p) {
    if (parts == 1) many.push_back(std::move(single));
    if (parts == 0) {
      single = std::move(p);
    } else {
      many.push_back(std::move(p));
    }
    ++parts;
  };
  if (len == 0) add(Part{nullptr, buf, 0, 0});
  for (std::uint64_t pos = offset, left = len; left > 0;) {
    const std::uint64_t in = pos % seg_bytes;
    const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(left, seg_bytes - in));
    Status err = Status::Ok;
    std::shared_ptr<Segment> seg = files_->get(pos / seg_bytes, write, &err);
    if (err != Status::Ok) return err;
    add(Part{std::move(seg), buf + (pos - offset), in, n});
    pos += n;
    left -= n;
  }
  Part* part_list = many.empty() ? &single : many.data();
  for (std::size_t i = 0; i < parts; ++i) {
    Part& p = part_list[i];
    if (p.segment == nullptr && !write) std::memset(p.buf, 0, p.len);  // hole: zeros
    if (p.segment != nullptr && write) p.segment->dirty.store(true, std::memory_order_release);
  }
  const std::size_t live = static_cast<std::size_t>(
      std::count_if(part_list, part_list + parts, [](const Part& p) { return p.segment; }));

  const std::uint8_t bucket = accept();
  (write ? writes_ : reads_).fetch_add(1, std::memory_order_relaxed);
  Ring& r = home_ring();
  std::lock_guard<std::mutex> guard(r.mu);
  if (live == 0) {  // nothing to transfer (empty, a hole, or a released range)
    r.ready.push_back(Ready{cb, ctx, Status::Ok, len, bucket});
    (write ? bytes_written_ : bytes_read_).fetch_add(len, std::memory_order_relaxed);
    return Status::Ok;
  }
  Join* join = parts > 1
                   ? new Join{cb, ctx, static_cast<std::uint32_t>(live), Status::Ok, len, bucket}
                   : nullptr;
  if (join != nullptr) {
    // Holes and released ranges of a multi-part I/O are done already; count their bytes.
    std::size_t idle = 0;
    for (std::size_t i = 0; i < parts; ++i) idle += part_list[i].segment ? 0 : part_list[i].len;
    (write ? bytes_written_ : bytes_read_).fetch_add(idle, std::memory_order_relaxed);
  }
  for (std::size_t i = 0; i < parts; ++i) {
    Part& p = part_list[i];
    if (p.segment == nullptr) continue;
    const std::uint32_t slot = acquire_slot(r);
    Request& q = r.slots[slot];
    q.cb = cb;
    q.ctx = ctx;
    q.segment = std::move(p.segment);
    q.buf = p.buf;
    q.file_offset = p.file_offset;
    q.len = p.len;
    q.done = 0;
    q.write = write;
    q.bucket = bucket;
    q.join = join;
    prepare(r, slot);
  }
  // Submit at once when the ring has nothing in the kernel (idle: lowest latency), or when
  // a batch is ready; otherwise the next complete_pending() submits.
  if (r.submitted == 0 || io_uring_sq_ready(&r.ring) >= kSubmitBatch) submit(r);
  return Status::Ok;
}

std::uint32_t IoUringDevice::acquire_slot(Ring& r) {
  while (r.free.empty()) {
    // Back-pressure: the ring is full. Submit what is prepared and wait for a completion;
    // its callback is queued in r.ready and runs in a later complete_pending().
    submit(r);
    if (r.submitted == 0) {
      // The kernel refused the submission for now (EAGAIN / EBUSY): nothing to wait for
      // yet, so back off briefly and submit again.
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      continue;
    }
    io_uring_cqe* cqe = nullptr;
    int rc = io_uring_wait_cqe(&r.ring, &cqe);
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN) {
      std::fprintf(stderr, "rskv: io_uring wait failed: %s\n", std::strerror(-rc));
    }
    reap(r);
  }
  const std::uint32_t slot = r.free.back();
  r.free.pop_back();
  return slot;
}

void IoUringDevice::prepare(Ring& r, std::uint32_t slot) {
  Request& q = r.slots[slot];
  io_uring_sqe* sqe = io_uring_get_sqe(&r.ring);
  while (sqe == nullptr) {  // the SQ is full of prepared entries: hand them to the kernel
    submit(r);
    sqe = io_uring_get_sqe(&r.ring);
  }
  if (q.write) {
    io_uring_prep_write(sqe, q.segment->fd, q.buf + q.done, q.len - q.done, q.file_offset + q.done);
  } else {
    io_uring_prep_read(sqe, q.segment->fd, q.buf + q.done, q.len - q.done, q.file_offset + q.done);
  }
  io_uring_sqe_set_data64(sqe, slot);
}

void IoUringDevice::submit(Ring& r) {
  while (io_uring_sq_ready(&r.ring) > 0) {
    const int n = io_uring_submit(&r.ring);
    if (n >= 0) {
      r.submitted += static_cast<std::uint32_t>(n);
      if (n > 0) continue;
    } else if (n == -EINTR) {
      continue;
    } else if (n != -EAGAIN && n != -EBUSY) {
      std::fprintf(stderr, "rskv: io_uring submit failed: %s\n", std::strerror(-n));
    }
    // EAGAIN / EBUSY (kernel short of resources) or no progress: reap what is done and let
    // the next call retry; the SQEs stay queued.
    reap(r);
    return;
  }
}

std::size_t IoUringDevice::reap(Ring& r) {
  std::size_t n = 0;
  io_uring_cqe* cqe = nullptr;
  while (io_uring_peek_cqe(&r.ring, &cqe) == 0 && cqe != nullptr) {
    const auto slot = static_cast<std::uint32_t>(io_uring_cqe_get_data64(cqe));
    const int res = cqe->res;
    io_uring_cqe_seen(&r.ring, cqe);
    --r.submitted;
    ++n;
    Request& q = r.slots[slot];
    if (res == -EAGAIN || res == -EINTR) {
      prepare(r, slot);  // transient: issue the same transfer again
    } else if (res < 0) {
      finish_part(r, slot, status_from_errno(-res));
    } else if (res == 0) {
      if (q.write) {
        finish_part(r, slot, Status::IoError);  // a write that makes no progress fails
      } else {
        std::memset(q.buf + q.done, 0, q.len - q.done);  // end of file: never written
        finish_part(r, slot, Status::Ok);
      }
    } else {
      q.done += static_cast<std::uint32_t>(res);
      if (q.done < q.len) {
        prepare(r, slot);  // short transfer: continue with the rest
      } else {
        finish_part(r, slot, Status::Ok);
      }
    }
  }
  return n;
}

void IoUringDevice::finish_part(Ring& r, std::uint32_t slot, Status st) {
  Request& q = r.slots[slot];
  if (st == Status::Ok) {
    (q.write ? bytes_written_ : bytes_read_).fetch_add(q.len, std::memory_order_relaxed);
  }
  if (Join* j = q.join) {
    if (st != Status::Ok && j->status == Status::Ok) j->status = st;
    if (--j->parts_left == 0) {
      r.ready.push_back(
          Ready{j->cb, j->ctx, j->status, j->status == Status::Ok ? j->bytes : 0, j->bucket});
      delete j;
    }
  } else {
    r.ready.push_back(Ready{q.cb, q.ctx, st, st == Status::Ok ? q.len : 0u, q.bucket});
  }
  q.segment.reset();  // may close a truncated segment's file
  q.join = nullptr;
  r.free.push_back(slot);
}

std::size_t IoUringDevice::poll(bool block) {
  thread_local std::vector<Ready> batch;
  batch.clear();
  for (auto& rp : rings_) {
    Ring& r = *rp;
    std::unique_lock<std::mutex> lock(r.mu, std::defer_lock);
    if (block) {
      lock.lock();
    } else if (!lock.try_lock()) {
      continue;  // another thread is issuing or reaping here; it will be visited next time
    }
    submit(r);
    reap(r);
    if (block && r.ready.empty() && r.submitted > 0) {
      __kernel_timespec ts{0, kWaitSliceNanos};
      io_uring_cqe* cqe = nullptr;
      (void)io_uring_wait_cqe_timeout(&r.ring, &cqe, &ts);
      reap(r);
    }
    batch.insert(batch.end(), r.ready.begin(), r.ready.end());
    r.ready.clear();
  }
  for (const Ready& c : batch) {
    c.cb(c.ctx, c.status, c.bytes);
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    pending_[c.bucket].fetch_sub(1, std::memory_order_seq_cst);
  }
  return batch.size();
}

std::size_t IoUringDevice::complete_pending(bool wait) {
  if (!wait) return poll(false);
  std::lock_guard<std::mutex> waiter(wait_mu_);
  const std::uint64_t g = gen_.fetch_add(1, std::memory_order_seq_cst);
  std::atomic<std::uint64_t>& mine = pending_[g & 1];
  std::size_t ran = 0;
  while (mine.load(std::memory_order_seq_cst) != 0) {
    const std::size_t n = poll(true);
    ran += n;
    // Nothing delivered here: another thread holds the callbacks we wait for.
    if (n == 0) std::this_thread::yield();
  }
  return ran;
}

DeviceStats IoUringDevice::stats() const {
  DeviceStats s;
  s.reads = reads_.load(std::memory_order_relaxed);
  s.writes = writes_.load(std::memory_order_relaxed);
  s.bytes_read = bytes_read_.load(std::memory_order_relaxed);
  s.bytes_written = bytes_written_.load(std::memory_order_relaxed);
  s.max_in_flight = max_in_flight_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace rskv::device
