#pragma once
// Baseline: RocksDB (Debian librocksdb-dev), config name rocksdb. Set up as a user would
// for a cache-sized key-value workload: the write-ahead log off (WriteOptions::disableWAL;
// nothing here needs durability across a crash), a block cache of store.memory bytes, a
// 10-bit bloom filter, and direct reads (O_DIRECT, bypassing the page cache) when the
// loaded data exceeds the block cache, so that it is measured against the same memory
// budget as rskv. After the load (after_load()) the memtable is flushed and the driver
// waits until no flush or compaction is pending or running: the loaded data then sits in
// table files read through the block cache (not in a memtable of up to 64 MiB beside it),
// and compacting the load does not compete with the measured phase. Everything else stays
// at RocksDB's defaults (index and filter blocks outside the block cache: results.json
// reports their size as table_readers_memory_bytes). RMW is Get then Put. Scans use an
// iterator from the key onward (key order is RocksDB's byte order).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "experiments/baselines/system.h"

namespace rocksdb {
class DB;
class Iterator;
}  // namespace rocksdb

namespace rskv::bench {

class RocksDbSystem {
 public:
  static constexpr bool kSupportsBatch = false;
  static constexpr bool kSupportsScan = true;

  class Worker {
   public:
    explicit Worker(rocksdb::DB* db) : db_(db) {}
    Status read(std::string_view key);
    Status upsert(std::string_view key, std::string_view value);
    Status rmw(std::string_view key, std::string_view value);
    Status remove(std::string_view key);
    Status scan(std::string_view key, std::uint32_t n);
    Status finish() { return first_error_; }
    std::string_view value() const { return out_; }

   private:
    Status fail(Status s) {
      if (first_error_ == Status::Ok) first_error_ = s;
      return s;
    }
    rocksdb::DB* db_;
    std::string out_;
    Status first_error_ = Status::Ok;
  };

  RocksDbSystem(const RocksDbSystem&) = delete;
  RocksDbSystem& operator=(const RocksDbSystem&) = delete;
  ~RocksDbSystem();

  static Result<std::unique_ptr<RocksDbSystem>> open(const SystemOptions& opts);
  Result<Worker> worker() { return Worker(db_.get()); }
  /// Flushes the memtable and waits for flushes and compactions to settle (at most
  /// kSettleLimitSeconds; details() says when the limit was reached).
  Result<void> after_load();
  nlohmann::json details() const;

  static constexpr double kSettleLimitSeconds = 300;

 private:
  RocksDbSystem() = default;

  std::unique_ptr<rocksdb::DB> db_;
  std::string path_;
  std::uint64_t block_cache_bytes_ = 0;
  std::uint64_t data_bytes_ = 0;
  bool direct_reads_ = false;
  bool flushed_after_load_ = false;
  double settle_seconds_ = 0;
  bool settle_limit_reached_ = false;
};

static_assert(BenchSystem<RocksDbSystem>);

}  // namespace rskv::bench
