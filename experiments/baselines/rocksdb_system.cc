#include "experiments/baselines/rocksdb_system.h"

#include <chrono>
#include <thread>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

namespace rskv::bench {
namespace {

rocksdb::WriteOptions write_options() {
  rocksdb::WriteOptions w;
  w.disableWAL = true;
  return w;
}

rocksdb::Slice slice(std::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

Status to_status(const rocksdb::Status& s) {
  if (s.ok()) return Status::Ok;
  if (s.IsNotFound()) return Status::NotFound;
  if (s.IsNoSpace()) return Status::NoSpace;
  if (s.IsCorruption()) return Status::Corruption;
  if (s.IsBusy() || s.IsTryAgain()) return Status::Busy;
  return Status::IoError;
}

std::uint64_t int_property(rocksdb::DB* db, const char* name) {
  std::uint64_t v = 0;
  return db->GetIntProperty(name, &v) ? v : 0;
}

}  // namespace

RocksDbSystem::~RocksDbSystem() {
  if (db_) (void)db_->Close();
}

Result<std::unique_ptr<RocksDbSystem>> RocksDbSystem::open(const SystemOptions& opts) {
  std::unique_ptr<RocksDbSystem> sys(new RocksDbSystem());
  sys->path_ = opts.path;
  sys->block_cache_bytes_ = opts.memory_bytes;
  sys->data_bytes_ = opts.records * (static_cast<std::uint64_t>(opts.key_size) + opts.value_size);
  sys->direct_reads_ = sys->data_bytes_ > sys->block_cache_bytes_;

  rocksdb::Options options;
  options.create_if_missing = true;
  options.error_if_exists = true;
  options.use_direct_reads = sys->direct_reads_;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(static_cast<std::size_t>(opts.memory_bytes));
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  rocksdb::DB* db = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(options, opts.path, &db);
  if (!s.ok()) {
    return make_error(to_status(s),
                      "rocksdb: cannot open a database in '" + opts.path + "': " + s.ToString() +
                          (sys->direct_reads_ ? " (direct reads were on because the data exceeds "
                                                "store.memory; the file system must allow O_DIRECT)"
                                              : ""));
  }
  sys->db_.reset(db);
  return sys;
}

Result<void> RocksDbSystem::after_load() {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  rocksdb::FlushOptions flush;
  flush.wait = true;
  if (const rocksdb::Status s = db_->Flush(flush); !s.ok()) {
    return make_error(to_status(s), "rocksdb: flushing the memtable: " + s.ToString());
  }
  flushed_after_load_ = true;
  auto busy = [this] {
    rocksdb::DB* db = db_.get();
    return int_property(db, "rocksdb.mem-table-flush-pending") != 0 ||
           int_property(db, "rocksdb.num-running-flushes") != 0 ||
           int_property(db, "rocksdb.compaction-pending") != 0 ||
           int_property(db, "rocksdb.num-running-compactions") != 0;
  };
  const auto limit = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(kSettleLimitSeconds));
  while (busy()) {
    if (Clock::now() >= limit) {
      settle_limit_reached_ = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  settle_seconds_ = std::chrono::duration<double>(Clock::now() - start).count();
  return {};
}

nlohmann::json RocksDbSystem::details() const {
  rocksdb::DB* db = db_.get();
  nlohmann::json files_per_level = nlohmann::json::array();
  for (int level = 0; level < 7; ++level) {
    std::string v;
    const std::string name = "rocksdb.num-files-at-level" + std::to_string(level);
    files_per_level.push_back(db->GetProperty(name, &v) ? std::stoull(v) : 0);
  }
  return {{"engine", "RocksDB"},
          {"version", std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." +
                          std::to_string(ROCKSDB_PATCH)},
          {"wal", false},
          {"direct_reads", direct_reads_},
          {"direct_reads_rule", "on when records * (key_size + value_size) > block cache"},
          {"data_bytes", data_bytes_},
          {"block_cache_bytes", block_cache_bytes_},
          {"block_cache_usage_bytes", int_property(db, "rocksdb.block-cache-usage")},
          {"memtable_bytes", int_property(db, "rocksdb.cur-size-all-mem-tables")},
          {"table_readers_memory_bytes", int_property(db, "rocksdb.estimate-table-readers-mem")},
          {"files_per_level", files_per_level},
          {"flushed_after_load", flushed_after_load_},
          {"settle_seconds_after_load", settle_seconds_},
          {"settle_limit_reached", settle_limit_reached_},
          {"bloom_bits_per_key", 10},
          {"rmw", "Get then Put"},
          {"batch", "single operations"}};
}

Status RocksDbSystem::Worker::read(std::string_view key) {
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), slice(key), &out_);
  if (s.ok()) return Status::Ok;
  if (s.IsNotFound()) return Status::NotFound;
  return fail(to_status(s));
}

Status RocksDbSystem::Worker::upsert(std::string_view key, std::string_view value) {
  static const rocksdb::WriteOptions kWrite = write_options();
  const rocksdb::Status s = db_->Put(kWrite, slice(key), slice(value));
  return s.ok() ? Status::Ok : fail(to_status(s));
}

Status RocksDbSystem::Worker::rmw(std::string_view key, std::string_view value) {
  const Status r = read(key);
  if (r == Status::Ok) {
    bump_counter(out_.data(), out_.size());
    return upsert(key, out_);
  }
  if (r == Status::NotFound) return upsert(key, value);
  return r;
}

Status RocksDbSystem::Worker::remove(std::string_view key) {
  static const rocksdb::WriteOptions kWrite = write_options();
  const rocksdb::Status s = db_->Delete(kWrite, slice(key));
  return s.ok() ? Status::Ok : fail(to_status(s));
}

Status RocksDbSystem::Worker::scan(std::string_view key, std::uint32_t n) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  std::uint32_t seen = 0;
  for (it->Seek(slice(key)); it->Valid() && seen < n; it->Next(), ++seen) {
    const rocksdb::Slice v = it->value();
    out_.assign(v.data(), v.size());
  }
  return it->status().ok() ? Status::Ok : fail(to_status(it->status()));
}

}  // namespace rskv::bench
