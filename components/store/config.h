#pragma once
// StoreConfig: every run-time setting of a store, validated once by validate(); StoreStats:
// what a store reports about itself.

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

#include "components/common/constants.h"
#include "components/common/result.h"
#include "components/device/fs.h"
#include "components/hlog/hybrid_log.h"
#include "components/hlog/record.h"
#include "policies/device_policy.h"
#include "policies/index_policy.h"

namespace rskv {

/// The two log checkpoint kinds: fold-over flushes the log to its tail and makes it read-only;
/// snapshot writes the in-memory part to a separate file and leaves it mutable.
enum class CheckpointKind : std::uint8_t { FoldOver, Snapshot };

inline std::string_view checkpoint_kind_name(CheckpointKind k) {
  return k == CheckpointKind::FoldOver ? "foldover" : "snapshot";
}

struct StoreConfig {
  std::string path;                          // store directory (unused by the memory device)
  std::uint64_t memory_bytes = 64ull << 20;  // in-memory log budget (page frames)
  std::uint32_t page_bits = 0;               // log page size 2^page_bits; 0 = automatic
  double mutable_fraction = 0.9;             // share of frames updated in place
  std::uint32_t max_key_bytes = kMaxKeyBytes;
  std::uint32_t max_value_bytes = kMaxValueBytes;
  bool huge_pages = true;  // madvise(MADV_HUGEPAGE) log frames
  // A value a read had to fetch from the device is appended at the tail again (when the key
  // did not change meanwhile), so that hot keys of a larger-than-memory store are read from
  // memory next time (a FIFO read cache inside the log). Costs log space and flush bandwidth
  // for cold reads. On YCSB-B zipfian over 3M records with a 64 MiB budget (io_uring, 2
  // threads) it raised throughput from a median 175 to 253 Kops/s in one run (device reads per
  // operation 0.50 -> 0.43); on uniform keys it only adds writes. Off by default.
  bool copy_reads_to_tail = false;
  IndexConfig index;
  DeviceConfig device;
  // Recovery and checkpoints (persistent devices).
  bool recover = false;                   // open an existing store and recover it
  std::uint64_t recover_checkpoint = 0;   // with recover: that checkpoint id (0 = latest valid)
  std::uint32_t checkpoints_kept = 2;     // committed log checkpoints kept (older ones deleted)
  std::uint32_t checkpoint_every_ms = 0;  // periodic checkpoints on a timer (0 = off)
  CheckpointKind checkpoint_kind = CheckpointKind::FoldOver;  // kind of the periodic ones
  std::uint32_t checkpoint_wait_ms = 10000;  // PREPARE waits this long for idle sessions
  // Checkpoint data files (index, snapshot) are written at most this fast, with a sync every
  // MiB, so that a checkpoint shares the disk with the operations' device reads instead of
  // flooding it (checkpoint::WritePacing). 0 = as fast as the disk takes them.
  std::uint64_t checkpoint_write_bytes_per_s = 0;
  // Named-file system for the store directory and checkpoint files (null = the OS's);
  // tests pass a device::FaultyFileSystem.
  device::FileSystem* fs = nullptr;

  /// Largest record these limits allow, in log bytes.
  [[nodiscard]] static std::uint32_t max_record_bytes(std::uint32_t max_key,
                                                      std::uint32_t max_value) {
    return hlog::record_size(max_key, max_value);
  }
  /// Smallest page that holds the largest record (and the first page's reserved line).
  [[nodiscard]] static std::uint32_t min_page_bits(std::uint32_t max_key, std::uint32_t max_value) {
    std::uint64_t need = std::uint64_t{max_record_bytes(max_key, max_value)} + kFirstValidAddress;
    return std::max<std::uint32_t>(12, static_cast<std::uint32_t>(std::bit_width(need - 1)));
  }
  /// Smallest memory budget these limits allow.
  [[nodiscard]] static std::uint64_t min_memory_bytes(std::uint32_t max_key,
                                                      std::uint32_t max_value) {
    return hlog::LogConfig::kMinFrames << min_page_bits(max_key, max_value);
  }
  [[nodiscard]] std::uint32_t effective_page_bits() const {
    if (page_bits != 0) return page_bits;
    std::uint32_t lo = min_page_bits(max_key_bytes, max_value_bytes);
    std::uint32_t bits = std::max<std::uint32_t>(25, lo);     // 32 MiB pages for large budgets
    while (bits > lo && (memory_bytes >> bits) < 16) --bits;  // aim for >= 16 frames
    return bits;
  }
  [[nodiscard]] hlog::LogConfig log_config() const {
    hlog::LogConfig c;
    c.page_bits = effective_page_bits();
    c.memory_bytes = (memory_bytes >> c.page_bits) << c.page_bits;
    c.mutable_fraction = mutable_fraction;
    c.max_record_bytes = max_record_bytes(max_key_bytes, max_value_bytes);
    c.huge_pages = huge_pages;
    return c;
  }
  [[nodiscard]] Result<void> validate() const {
    if (max_key_bytes == 0 || max_key_bytes > (1u << 24)) {
      return make_error(Status::InvalidArgument, "max_key_bytes must be in 1..16 MiB");
    }
    if (max_value_bytes > (1u << 28)) {
      return make_error(Status::InvalidArgument, "max_value_bytes must be at most 256 MiB");
    }
    std::uint64_t min = min_memory_bytes(max_key_bytes, max_value_bytes);
    if (memory_bytes < min) {
      return make_error(Status::InvalidArgument,
                        "memory budget of " + std::to_string(memory_bytes) +
                            " bytes is too small: the minimum is " + std::to_string(min) +
                            " bytes (" + std::to_string(hlog::LogConfig::kMinFrames) +
                            " log pages that each hold the largest record)");
    }
    if (checkpoints_kept == 0) {
      return make_error(Status::InvalidArgument, "checkpoints_kept must be at least 1");
    }
    if (index.initial_buckets == 0 || index.initial_buckets > (1ull << 34)) {
      return make_error(Status::InvalidArgument, "index.initial_buckets must be in 1..2^34");
    }
    return log_config().validate();
  }
};

struct StoreStats {
  std::size_t index_memory_bytes = 0;
  std::size_t index_entries = 0;
  double index_load_factor = 0;
  std::uint64_t log_memory_bytes = 0;  // page frames (the budget actually used)
  std::uint64_t page_size = 0;
  std::uint64_t begin = 0, head = 0, safe_read_only = 0, read_only = 0, tail = 0;
  std::uint64_t resident_pages = 0;
  DeviceStats device;
};

}  // namespace rskv
