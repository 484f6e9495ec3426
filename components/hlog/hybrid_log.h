#pragma once
// HybridLog<Device>: the log of records, hot part in memory, cold part on a device.
//
// Regions (logical addresses grow to the right; all bounds only ever increase):
//
//   begin ......... head ........ safe_read_only .. read_only ............. tail
//   | device only   | in memory, read-only           | in memory, mutable      |
//
//   tail            next free byte; allocation is one fetch_add on (page | offset).
//   read_only       records at or above it may be updated in place. Raised by the thread that
//                   opens a new page (keeping `mutable_pages` pages mutable).
//   safe_read_only  raised by the epoch action registered when read_only was raised: once it
//                   runs, no thread can still be updating in place below it. Pages below it
//                   are then written to the device (flush).
//   flushed_until   every page below it is durable on the device (contiguous prefix).
//   head            records below it are only on the device. Raised to min(head target,
//                   flushed_until); the epoch action registered with the raise zeroes the
//                   frames of the pages it passed and hands them to their next page.
//   begin           records below it are gone (GC).
//
// Frames: `frames` page-sized buffers form a circular buffer; page p lives in frame p % frames.
// Page p may open only once page p - frames was evicted (frame_ready_[f] == p). The thread
// that finds the current page full tries to open the next one; if its frame is not ready it
// returns Busy and the caller refreshes its epoch (which runs flush/evict actions) and
// retries. No lock is taken on the operation path.
//
// Flush writes. The device needs aligned writes, but the bytes at and after a flush bound
// `until` may be being written by sessions (new records, header CASes, in-place values), so
// the device must never read them from the frame. Each page part [a, end) of a flush is one
// or two writes: the aligned blocks below end straight from the frame ([a rounded down, end
// rounded down)), and, when end is not aligned, its last partial block from a bounce buffer
// holding the bytes below end and zeros after. The device's bytes past a flushed bound are
// thus zeros (or older bytes) until the next flush of the page rewrites that block with the
// full bytes; nothing reads them: device reads use only bytes below flushed_until, recovery
// only bytes inside flushed ranges. Because the bounce write and the next range's write of
// the same block hold different bytes, writes that share a block are issued one at a time,
// in range order: the next one only when the previous one completed (issue_flushes).
//
// Memory orders are stated at each atomic below. Callers hold epoch protection for every
// address they dereference: a frame is reused only by an epoch action that runs after every
// protected thread has seen head pass it.

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "components/common/address.h"
#include "components/common/aligned_buffer.h"
#include "components/common/hash.h"
#include "components/common/result.h"
#include "components/common/status.h"
#include "components/epoch/epoch.h"
#include "components/hlog/record.h"
#include "policies/device_policy.h"

namespace rskv::hlog {

struct LogConfig {
  std::uint64_t memory_bytes = 64ull << 20;  // frames * page size never exceeds this
  std::uint32_t page_bits = 22;
  double mutable_fraction = 0.9;
  std::uint32_t max_record_bytes = 0;  // validated to fit in a page
  bool huge_pages = true;

  static constexpr std::uint32_t kMinFrames = 4;
  [[nodiscard]] std::uint64_t page_size() const { return std::uint64_t{1} << page_bits; }
  [[nodiscard]] std::uint64_t frames() const { return memory_bytes >> page_bits; }
  [[nodiscard]] Result<void> validate() const {
    if (page_bits < 12 || page_bits > 30) {
      return make_error(Status::InvalidArgument,
                        "log page_bits " + std::to_string(page_bits) + " is outside 12..30");
    }
    if (std::uint64_t{max_record_bytes} + kFirstValidAddress > page_size()) {
      return make_error(Status::InvalidArgument,
                        "log page size " + std::to_string(page_size()) +
                            " B cannot hold the largest record (" +
                            std::to_string(max_record_bytes) +
                            " B): raise page_bits or lower the key/value limits");
    }
    if (frames() < kMinFrames) {
      return make_error(Status::InvalidArgument,
                        "memory budget " + std::to_string(memory_bytes) + " B holds " +
                            std::to_string(frames()) + " pages of " + std::to_string(page_size()) +
                            " B; the minimum is " + std::to_string(kMinFrames * page_size()) +
                            " B (" + std::to_string(kMinFrames) + " pages)");
    }
    if (!(mutable_fraction > 0.0 && mutable_fraction <= 1.0)) {
      return make_error(Status::InvalidArgument, "mutable_fraction must be in (0, 1]");
    }
    return {};
  }
};

/// One write of the flush path: the logical log range [from, to) (within one page, starting at
/// a record boundary) and checksum64 over its bytes as they were written. Checkpoints persist
/// these so that recovery verifies every byte it replays.
struct FlushedRange {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  std::uint64_t checksum = 0;
  bool operator==(const FlushedRange&) const = default;
};

template <DevicePolicy Device>
class HybridLog {
 public:
  HybridLog(const LogConfig& cfg, Device& device, epoch::EpochManager& epoch)
      : page_bits_(cfg.page_bits),
        page_size_(cfg.page_size()),
        frames_(cfg.frames()),
        mutable_pages_(std::clamp<std::uint64_t>(
            static_cast<std::uint64_t>(static_cast<double>(frames_) * cfg.mutable_fraction), 1,
            frames_ - 2)),
        frames_pow2_(std::has_single_bit(frames_)),
        device_(device),
        epoch_(epoch),
        memory_(frames_ * page_size_, 4096, cfg.huge_pages),
        frame_ready_(frames_) {
    for (std::uint64_t f = 0; f < frames_; ++f) {
      frame_ready_[f].store(f, std::memory_order_relaxed);
    }
    begin_.store(kFirstValidAddress, std::memory_order_relaxed);
    head_.store(kFirstValidAddress, std::memory_order_relaxed);
    read_only_.store(kFirstValidAddress, std::memory_order_relaxed);
    safe_read_only_.store(kFirstValidAddress, std::memory_order_relaxed);
    // Nothing lies below the first valid address: it counts as flushed (a fold-over of an
    // empty log then has nothing to wait for).
    flushed_until_.store(kFirstValidAddress, std::memory_order_relaxed);
    flush_issued_until_.store(kFirstValidAddress, std::memory_order_relaxed);
  }
  /// No thread may be protected any more: run due region-shift actions and wait for every
  /// flush callback, which reference this log.
  ~HybridLog() {
    epoch_.drain();
    // A completion may issue the next write of a shared block: wait until none is left.
    do {
      device_.complete_pending(true);
    } while (ordered_writes_left());
    epoch_.drain();
  }
  HybridLog(const HybridLog&) = delete;
  HybridLog& operator=(const HybridLog&) = delete;

  // ---- addresses (acquire: a reader that sees a bound also sees what its raiser did) ----
  [[nodiscard]] [[gnu::always_inline]] std::uint64_t begin() const {
    return begin_.load(std::memory_order_acquire);
  }
  [[nodiscard]] [[gnu::always_inline]] std::uint64_t head() const {
    return head_.load(std::memory_order_acquire);
  }
  [[nodiscard]] [[gnu::always_inline]] std::uint64_t read_only() const {
    return read_only_.load(std::memory_order_acquire);
  }
  [[nodiscard]] [[gnu::always_inline]] std::uint64_t safe_read_only() const {
    return safe_read_only_.load(std::memory_order_acquire);
  }
  [[nodiscard]] std::uint64_t flushed_until() const {
    return flushed_until_.load(std::memory_order_acquire);
  }
  [[nodiscard]] std::uint64_t tail() const {
    std::uint64_t t = tail_page_offset_.load(std::memory_order_acquire);
    std::uint64_t off = std::min<std::uint64_t>(t & kOffsetMask, page_size_);
    return ((t >> 32) << page_bits_) + off;
  }
  [[nodiscard]] std::uint32_t page_bits() const { return page_bits_; }
  [[nodiscard]] std::uint64_t page_size() const { return page_size_; }
  [[nodiscard]] std::uint64_t frames() const { return frames_; }
  [[nodiscard]] std::uint64_t memory_bytes() const { return frames_ * page_size_; }
  /// Pages currently holding live data in frames (head page .. tail page).
  [[nodiscard]] std::uint64_t resident_pages() const {
    std::uint64_t tail_page = tail_page_offset_.load(std::memory_order_acquire) >> 32;
    return tail_page - (head() >> page_bits_) + 1;
  }
  [[nodiscard]] Status flush_error() const {
    return static_cast<Status>(flush_error_.load(std::memory_order_acquire));
  }
  Device& device() { return device_; }

  /// Pointer to the bytes at `address`; caller holds epoch protection and address >= head.
  [[nodiscard]] [[gnu::always_inline]] std::byte* get(std::uint64_t address) const {
    std::uint64_t page = address >> page_bits_;
    // Budgets usually give a power-of-two frame count: a mask instead of a division.
    std::uint64_t frame = frames_pow2_ ? (page & (frames_ - 1)) : (page % frames_);
    return memory_.data() + (frame << page_bits_) + (address & (page_size_ - 1));
  }

  /// Reserves `size` bytes (multiple of 8, <= max record) at the tail. Ok with *address set,
  /// or Busy when the next page's frame is not free yet: refresh the epoch, complete pending
  /// I/O, and call again. Lock-free: one fetch_add in the common case.
  Status allocate(std::uint32_t size, std::uint64_t* address) {
    for (;;) {
      // acquire: pairs with the release CAS that opened the current page.
      std::uint64_t cur = tail_page_offset_.load(std::memory_order_acquire);
      std::uint64_t page = cur >> 32;
      std::uint64_t off = cur & kOffsetMask;
      if (off + size <= page_size_) [[likely]] {
        // relaxed suffices: the reservation only claims bytes; nobody reads them until the
        // record is published through the index with a release CAS.
        std::uint64_t old = tail_page_offset_.fetch_add(size, std::memory_order_relaxed);
        std::uint64_t opage = old >> 32;
        std::uint64_t ooff = old & kOffsetMask;
        if (ooff + size <= page_size_) {
          *address = (opage << page_bits_) + ooff;
          return Status::Ok;
        }
        continue;  // overflowed: the page is full; loop to open the next one
      }
      if (!try_open_page(page + 1, cur)) return Status::Busy;
    }
  }

  /// Issues an asynchronous device read of [offset, offset + len) into buf (aligned as the
  /// device requires). cb runs once, maybe before this returns.
  Status read_async(std::uint64_t offset, void* buf, std::uint32_t len, IoCallback cb, void* ctx) {
    return device_.read_async(offset, buf, len, cb, ctx);
  }

  /// Runs flush/evict work that is due: epoch drain and device completions. For threads that
  /// wait for a frame (Busy) or for a flush.
  void help(std::uint32_t slot) {
    device_.complete_pending(false);
    epoch_.refresh(slot);
    try_shift_head();
  }

  /// Makes everything below the current tail read-only and waits until it is flushed.
  /// The caller must not hold epoch protection on `slot` other than this call's own.
  Status flush_all(std::uint32_t slot) { return flush_until(slot, tail()); }

  /// Makes [.., target) read-only (fold-over) and waits until it is flushed. Same rules as
  /// flush_all; `target` must not exceed the tail.
  Status flush_until(std::uint32_t slot, std::uint64_t target) {
    shift_read_only(target);
    epoch_.protect(slot);
    while (flushed_until() < target) {
      if (flush_error() != Status::Ok) break;
      help(slot);
    }
    epoch_.unprotect(slot);
    return flush_error();
  }

  // ---- flushed-range checksums (checkpoints and recovery) ---------------------------------

  /// The flushed ranges overlapping [from, to), in address order.
  std::vector<FlushedRange> flushed_ranges(std::uint64_t from, std::uint64_t to) const {
    std::lock_guard<std::mutex> g(ranges_mu_);
    std::vector<FlushedRange> out;
    auto it = ranges_.upper_bound(from);
    if (it != ranges_.begin()) --it;
    for (; it != ranges_.end() && it->first < to; ++it) {
      if (it->second.to > from) out.push_back(it->second);
    }
    return out;
  }
  /// Adds ranges known from a checkpoint (recovery), replacing any with the same start.
  void install_ranges(const std::vector<FlushedRange>& ranges) {
    std::lock_guard<std::mutex> g(ranges_mu_);
    for (const FlushedRange& r : ranges) ranges_[r.from] = r;
  }
  /// Forgets ranges that end at or below `address` (no checkpoint replays them any more).
  void prune_ranges_below(std::uint64_t address) {
    std::lock_guard<std::mutex> g(ranges_mu_);
    for (auto it = ranges_.begin(); it != ranges_.end() && it->second.to <= address;) {
      it = ranges_.erase(it);
    }
  }

  /// Recovery: before any other use, restarts an empty log at `fence` (page-aligned): the
  /// tail, read-only, head and flushed bounds all start there and records below it are on
  /// the device only; begin is `begin`.
  void recover_at(std::uint64_t begin, std::uint64_t fence) {
    std::uint64_t first_page = fence >> page_bits_;
    for (std::uint64_t f = 0; f < frames_; ++f) {
      // The first page at or after first_page that lives in frame f.
      std::uint64_t p = first_page + (f + frames_ - first_page % frames_) % frames_;
      frame_ready_[f].store(p, std::memory_order_relaxed);
    }
    std::uint64_t start = fence == 0 ? kFirstValidAddress : fence;
    tail_page_offset_.store((first_page << 32) | (start & (page_size_ - 1)),
                            std::memory_order_relaxed);
    begin_.store(std::max<std::uint64_t>(begin, kFirstValidAddress), std::memory_order_relaxed);
    for (auto* a : {&head_, &head_target_, &read_only_, &safe_read_only_, &flushed_until_,
                    &flush_issued_until_}) {
      a->store(start, std::memory_order_relaxed);
    }
    // release: publishes the reset to threads that start using the log afterwards.
    std::atomic_thread_fence(std::memory_order_release);
  }

 private:
  static constexpr std::uint64_t kOffsetMask = 0xffffffffull;

  static constexpr std::uint64_t kNoBlock = ~std::uint64_t{0};

  // One per issued flush write (cold path: a few per page).
  struct FlushContext {
    HybridLog* log;
    std::uint64_t from;  // logical range [from, to) this write makes durable
    std::uint64_t to;
    std::uint64_t offset;  // device range [offset, offset + len), written from src
    std::uint32_t len;
    const std::byte* src = nullptr;  // the log frame, or bounce
    // The device block this write shares with the flush range before or after it, or
    // kNoBlock. Writes of one shared block go to the device one at a time (order_).
    std::uint64_t block = kNoBlock;
    bool ready = false;      // its range's checksum is recorded and bounce filled; order_mu_
    AlignedBuffer bounce{};  // a range's last, partial block: bytes below `to`, zeros after
  };

  // ---- page opening and region shifts (cold) ----------------------------------------------

  [[gnu::noinline]] bool try_open_page(std::uint64_t next, std::uint64_t observed) {
    std::uint64_t frame = next % frames_;
    // acquire: pairs with the release store of the eviction action that zeroed the frame.
    if (frame_ready_[frame].load(std::memory_order_acquire) != next) {
      request_space(next);
      return false;
    }
    std::uint64_t desired = next << 32;
    // release: the new page's frame (zeroed) happens-before any allocation in it.
    if (tail_page_offset_.compare_exchange_strong(observed, desired, std::memory_order_acq_rel)) {
      on_page_opened(next);
    }
    return true;  // opened by us or by someone else: retry the allocation
  }

  void on_page_opened(std::uint64_t page) {
    std::uint64_t ro_page = page + 1 > mutable_pages_ ? page + 1 - mutable_pages_ : 0;
    shift_read_only(ro_page << page_bits_);
    request_space(page + 1);
  }

  // Asks for page `next`'s frame: the page that held it must be flushed and evicted.
  void request_space(std::uint64_t next) {
    if (next + 1 < frames_) return;
    std::uint64_t evict_until = (next + 1 - frames_) << page_bits_;  // head must reach this
    atomic_max(head_target_, evict_until);
    // The page to evict must be read-only before it can be flushed.
    atomic_max_and_then(read_only_, evict_until,
                        [&](std::uint64_t old) { register_read_only(old, evict_until); });
    try_shift_head();
  }

 public:
  /// Raises read_only to target (its flush follows once the epoch makes it safe).
  void shift_read_only(std::uint64_t target) {
    atomic_max_and_then(read_only_, target,
                        [&](std::uint64_t old) { register_read_only(old, target); });
  }

 private:
  void register_read_only(std::uint64_t /*old*/, std::uint64_t new_ro) {
    // After every thread has seen the new read_only bound, no in-place update can be running
    // below it: publish safe_read_only and flush.
    epoch_.bump_epoch([this, new_ro] {
      atomic_max(safe_read_only_, new_ro);
      issue_flushes(new_ro);
    });
  }

  // Writes the pages (or page parts) below `until` that have not been issued yet. Every byte
  // the device reads lies below `until` (<= safe_read_only: no session writes there any
  // more); see "Flush writes" at the top.
  void issue_flushes(std::uint64_t until) {
    // acquire: a cheap early out; the range is claimed under order_mu_.
    if (flush_issued_until_.load(std::memory_order_acquire) >= until) return;
    const std::uint64_t align = device_.alignment();
    struct Part {
      std::uint64_t from, to;
    };
    std::vector<Part> parts;
    std::vector<FlushContext*> writes;
    {
      // Claiming the range and queueing its shared-block writes under one lock keeps the
      // queue of a block in range order, whichever threads issue the ranges.
      std::lock_guard<std::mutex> g(order_mu_);
      std::uint64_t from = flush_issued_until_.load(std::memory_order_relaxed);
      if (from >= until) return;
      // release: pairs with the acquire early out above.
      flush_issued_until_.store(until, std::memory_order_release);
      for (std::uint64_t a = from; a < until;) {
        const std::uint64_t page_end = ((a >> page_bits_) + 1) << page_bits_;
        const std::uint64_t end = std::min(until, page_end);
        const std::uint64_t mid = end / align * align;  // aligned blocks of the frame below it
        parts.push_back({a, end});
        if (mid > a) {
          const std::uint64_t wfrom = a / align * align;
          // A start inside a block shares that block with the previous range's last write.
          writes.push_back(new FlushContext{.log = this,
                                            .from = a,
                                            .to = mid,
                                            .offset = wfrom,
                                            .len = static_cast<std::uint32_t>(mid - wfrom),
                                            .src = get(wfrom),
                                            .block = wfrom != a ? wfrom : kNoBlock});
        }
        if (end > mid) {
          // The last partial block, shared with the next range (and with the previous one
          // when the part lies within that one block).
          writes.push_back(new FlushContext{.log = this,
                                            .from = std::max(a, mid),
                                            .to = end,
                                            .offset = mid,
                                            .len = static_cast<std::uint32_t>(align),
                                            .block = mid});
        }
        a = end;
      }
      for (FlushContext* c : writes) {
        if (c->block != kNoBlock) order_[c->block].push_back(c);
      }
    }
    // Prepare outside the lock. A queued write is issued by nobody before it is ready.
    for (const Part& p : parts) {
      // The bytes below safe_read_only no longer change: this checksum is of what is written.
      FlushedRange r{p.from, p.to, checksum64(get(p.from), p.to - p.from)};
      std::lock_guard<std::mutex> g(ranges_mu_);
      ranges_[p.from] = r;
    }
    for (FlushContext* c : writes) {
      if (c->src != nullptr) continue;          // blocks straight from the frame
      c->bounce = AlignedBuffer(align, align);  // zeroed
      std::memcpy(c->bounce.data(), get(c->offset), c->to - c->offset);
      c->src = c->bounce.data();
    }
    std::vector<FlushContext*> now;
    {
      std::lock_guard<std::mutex> g(order_mu_);
      for (FlushContext* c : writes) {
        c->ready = true;
        // Otherwise the completion of the block's previous write issues it.
        if (c->block == kNoBlock || order_[c->block].front() == c) now.push_back(c);
      }
    }
    for (FlushContext* c : now) issue_write(c);
  }

  // Issues a prepared flush write; on a refused one, the next write of its block instead.
  void issue_write(FlushContext* c) {
    while (c != nullptr) {
      Status st = device_.write_async(c->offset, c->src, c->len, &HybridLog::on_flush_done, c);
      if (st == Status::Ok) return;  // c may be gone already (inline completion)
      record_flush_error(st);
      FlushContext* next = release_block(*c);
      delete c;
      c = next;
    }
  }

  // c's write is done (or refused): the next write of its shared block, if it is ready to go
  // (one not ready yet is issued by its own issue_flushes).
  FlushContext* release_block(const FlushContext& c) {
    if (c.block == kNoBlock) return nullptr;
    std::lock_guard<std::mutex> g(order_mu_);
    auto it = order_.find(c.block);
    it->second.pop_front();
    if (it->second.empty()) {
      order_.erase(it);
      return nullptr;
    }
    return it->second.front()->ready ? it->second.front() : nullptr;
  }

  bool ordered_writes_left() {
    std::lock_guard<std::mutex> g(order_mu_);
    return !order_.empty();
  }

  static void on_flush_done(void* context, Status status, std::size_t /*bytes*/) {
    std::unique_ptr<FlushContext> ctx(static_cast<FlushContext*>(context));
    HybridLog* log = ctx->log;
    FlushContext* next = log->release_block(*ctx);
    if (status != Status::Ok) {
      log->record_flush_error(status);
    } else {
      log->complete_flush(ctx->from, ctx->to);
    }
    ctx.reset();
    if (next != nullptr) log->issue_write(next);
    if (status == Status::Ok) log->try_shift_head();
  }

  // Flush writes may complete out of order; flushed_until_ advances over the contiguous
  // prefix of completed ranges. Cold path (a few completions per page): a mutex is fine.
  void complete_flush(std::uint64_t from, std::uint64_t to) {
    std::lock_guard<std::mutex> g(flush_mu_);
    done_ranges_[from] = to;
    std::uint64_t f = flushed_until_.load(std::memory_order_relaxed);
    for (auto it = done_ranges_.begin(); it != done_ranges_.end() && it->first <= f;) {
      f = std::max(f, it->second);
      it = done_ranges_.erase(it);
    }
    // release: a thread that sees the new bound (acquire) may evict the flushed pages.
    flushed_until_.store(f, std::memory_order_release);
  }

  void record_flush_error(Status s) {
    std::uint8_t expected = static_cast<std::uint8_t>(Status::Ok);
    flush_error_.compare_exchange_strong(expected, static_cast<std::uint8_t>(s),
                                         std::memory_order_acq_rel);
  }

 public:
  /// Raises head towards its target as far as the flushed prefix allows.
  void try_shift_head() {
    std::uint64_t target = std::min(head_target_.load(std::memory_order_acquire), flushed_until());
    atomic_max_and_then(head_, target, [&](std::uint64_t old) {
      epoch_.bump_epoch([this, old, target] { evict(old, target); });
    });
  }

 private:
  // Runs when no thread can still read [from, to) in memory: free the frames.
  void evict(std::uint64_t from, std::uint64_t to) {
    std::uint64_t first = from >> page_bits_;
    std::uint64_t last = to >> page_bits_;  // pages [first, last) are now wholly below head
    for (std::uint64_t p = first; p < last; ++p) {
      std::uint64_t frame = p % frames_;
      std::memset(memory_.data() + frame * page_size_, 0, page_size_);
      // release: the zeroed frame happens-before the open of page p + frames.
      frame_ready_[frame].store(p + frames_, std::memory_order_release);
    }
  }

  static void atomic_max(std::atomic<std::uint64_t>& a, std::uint64_t v) {
    std::uint64_t cur = a.load(std::memory_order_acquire);
    while (cur < v && !a.compare_exchange_weak(cur, v, std::memory_order_acq_rel)) {
    }
  }
  // Raises a to v; if this call raised it, runs then(old) once.
  template <class F>
  static void atomic_max_and_then(std::atomic<std::uint64_t>& a, std::uint64_t v, F&& then) {
    std::uint64_t cur = a.load(std::memory_order_acquire);
    while (cur < v) {
      if (a.compare_exchange_weak(cur, v, std::memory_order_acq_rel)) {
        then(cur);
        return;
      }
    }
  }

  const std::uint32_t page_bits_;
  const std::uint64_t page_size_;
  const std::uint64_t frames_;
  const std::uint64_t mutable_pages_;
  const bool frames_pow2_;
  Device& device_;
  epoch::EpochManager& epoch_;
  AlignedBuffer memory_;

  // tail as (page << 32 | offset in page); offset may exceed the page size transiently while
  // the page is full and the next one is not open yet.
  alignas(kCacheLineSize) std::atomic<std::uint64_t> tail_page_offset_{kFirstValidAddress};
  alignas(kCacheLineSize) std::atomic<std::uint64_t> read_only_{0};
  std::atomic<std::uint64_t> safe_read_only_{0};
  std::atomic<std::uint64_t> head_{0};
  std::atomic<std::uint64_t> head_target_{0};
  std::atomic<std::uint64_t> begin_{0};
  std::atomic<std::uint64_t> flushed_until_{0};
  std::atomic<std::uint64_t> flush_issued_until_{0};
  std::atomic<std::uint8_t> flush_error_{static_cast<std::uint8_t>(Status::Ok)};
  // frame f may host page frame_ready_[f] next (set by evict, read by try_open_page).
  std::vector<std::atomic<std::uint64_t>> frame_ready_;
  std::mutex flush_mu_;
  std::map<std::uint64_t, std::uint64_t> done_ranges_;  // guarded by flush_mu_
  mutable std::mutex ranges_mu_;
  std::map<std::uint64_t, FlushedRange> ranges_;  // guarded by ranges_mu_; key = from
  // Per shared device block, its flush writes in range order; the front one is in flight (or
  // not ready yet). Guarded by order_mu_, which also serialises claiming flush ranges.
  std::mutex order_mu_;
  std::map<std::uint64_t, std::deque<FlushContext*>> order_;
};

}  // namespace rskv::hlog
