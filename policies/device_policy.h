#pragma once
// DevicePolicy: the contract every log device (memory, file, io_uring, faulty wrapper)
// satisfies. The hybrid log writes whole pages (or aligned page ranges) to it as the
// read-only bound passes them and reads records back below the head bound.
//
// Thread-safety: every member may be called by any thread concurrently, unless noted.
// Completion: a callback runs exactly once per accepted I/O, either before the call that
// issued it returns (inline devices) or inside a later complete_pending() call on any
// thread. Callbacks must be short and must not issue blocking device calls.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "components/common/result.h"
#include "components/common/status.h"

namespace rskv {

/// Called once per completed I/O with the outcome and the bytes transferred.
using IoCallback = void (*)(void* context, Status status, std::size_t bytes);

/// Run-time settings shared by all devices (each reads the fields that concern it).
struct DeviceConfig {
  std::string path;                          // directory for segment files (file devices)
  std::uint64_t segment_bytes = 1ull << 30;  // log bytes per segment file
  bool deferred = false;            // memory device: complete I/O only inside complete_pending()
  bool direct_io = true;            // file devices: O_DIRECT where the file system allows it
  std::uint32_t queue_depth = 128;  // io_uring: submission queue entries / max in flight
};

/// Monotonic counters a device reports (snapshot).
struct DeviceStats {
  std::uint64_t reads = 0;
  std::uint64_t writes = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t max_in_flight = 0;  // largest number of I/Os outstanding at once
};

template <class D>
concept DevicePolicy = requires(D& d, const D& cd, const DeviceConfig& cfg, std::uint64_t offset,
                                void* buf, const void* cbuf, std::uint32_t len, IoCallback cb,
                                void* ctx, bool wait) {
  // The name configs use ("memory", "file", "io_uring").
  { D::kName } -> std::convertible_to<std::string_view>;
  // true when data outlives the process (the store then owns a locked store directory).
  { D::kPersistent } -> std::convertible_to<bool>;
  // Opens (creating if needed) the device described by cfg; cold path, clear error messages.
  { D::open(cfg) } -> std::same_as<Result<std::unique_ptr<D>>>;
  // Queues a write of len bytes from cbuf at offset. Returns Ok when accepted (cb will run),
  // or an error Status (cb will not run). May block briefly for back-pressure, never fails
  // because a queue is full. cbuf must stay valid until cb runs.
  { d.write_async(offset, cbuf, len, cb, ctx) } -> std::same_as<Status>;
  // Queues a read of len bytes at offset into buf; same rules as write_async. Reading past
  // the written end yields zeros or a short count, never an error.
  { d.read_async(offset, buf, len, cb, ctx) } -> std::same_as<Status>;
  // Delivers callbacks of completed I/O; returns how many ran. With wait, blocks until every
  // I/O accepted before the call has completed.
  { d.complete_pending(wait) } -> std::same_as<std::size_t>;
  // Durability barrier: every write whose callback reported Ok is durable once this returns Ok.
  { d.flush() } -> std::same_as<Status>;
  // Releases storage below offset (whole segments; may keep a partial one).
  { d.truncate_before(offset) } -> std::same_as<Status>;
  // Required alignment of offset, length and buffer address for reads and writes (1 = none).
  { cd.alignment() } -> std::same_as<std::size_t>;
  // I/Os accepted and not yet completed.
  { cd.in_flight() } -> std::same_as<std::size_t>;
  { cd.stats() } -> std::same_as<DeviceStats>;
};

}  // namespace rskv
