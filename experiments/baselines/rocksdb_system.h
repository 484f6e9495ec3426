#pragma once
// Baseline: RocksDB (Debian librocksdb-dev), config name rocksdb. Set up as a user would
// for a cache-sized key-value workload: the write-ahead log off (WriteOptions::disableWAL;
// nothing here needs durability across a crash), a block cache of store.memory bytes, a
// 10-bit bloom filter, and direct reads (O_DIRECT, bypassing the page cache) when the
// loaded data exceeds the block cache, so that it is measured against the same memory
// budget as rskv. Everything else stays at RocksDB's defaults. RMW is Get then Put.
// Scans use an iterator from the key onward (key order is RocksDB's byte order).

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
  nlohmann::json details() const;

 private:
  RocksDbSystem() = default;

  std::unique_ptr<rocksdb::DB> db_;
  std::string path_;
  std::uint64_t block_cache_bytes_ = 0;
  std::uint64_t data_bytes_ = 0;
  bool direct_reads_ = false;
};

static_assert(BenchSystem<RocksDbSystem>);

}  // namespace rskv::bench
