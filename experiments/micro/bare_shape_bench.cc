// bare_shape_bench: the ceiling of rskv's design on this machine, beside the real engine and
// oneTBB in one program, with 8-byte keys and values.
//
//   bare_shape_bench [--benchmark_filter=...]        all cells: 4M and 16M records, uniform and
//                                                    scrambled zipfian 0.99, 1 and 2 threads
//   RSKV_BENCH_RECORDS=4000000 bare_shape_bench ...   other record counts (comma-separated)
//   RSKV_BENCH_MIN_TIME=1 bare_shape_bench ...        seconds per cell (default 2; a per-cell
//                                                    minimum overrides --benchmark_min_time)
//
// The "bare shape" is rskv's lookup with everything but the memory layout stripped away:
// hash the key (rskv::hash_key), read one 64-byte bucket of seven tagged 8-byte entries
// (used:1 | tentative:1 | tag:14 | address:48, rskv's IndexEntry layout; the tag is bits
// 48..61 of the hash, the bucket its low bits) in a power-of-two array, then one 32-byte log
// record (header with the previous address, lengths word, key, value) in a flat log array.
// Both arrays are huge-page backed (rskv::AlignedBuffer, MADV_HUGEPAGE). No epochs, sessions,
// callbacks or variable lengths. It has as many buckets as the rskv instance beside it
// (records / 4, rounded up to a power of two), so both hold the same load per bucket. A full
// bucket sets its eighth word (rskv's overflow link) and spills into the next bucket; keys of
// one (bucket, tag) share one entry and chain through the record header, as in rskv.
//
// Cells, all on the same per-thread key streams (generated before the timed loop):
//   Read/bare            one lookup per iteration
//   Read/bare_batch{8,16,32}
//                        one batch per iteration: hash the batch and prefetch every bucket,
//                        then read the entries and prefetch every record, then compare keys and
//                        read values. items_per_second counts keys, not batches.
//   Read/rskv            rskv::ChainedMemoryNone, Session::read with a callback
//   Read/rskv_batch{8,16,32}
//                        Session::read_batch over the same batches (only when the engine has
//                        read_batch); items_per_second counts keys
//   Read/tbb_hash_map    oneTBB concurrent_hash_map::find, reserved for the record count, same
//                        key hash as rskv
// Every cell checks that every key was found; a miss fails the cell (SkipWithError).
//
// Each data set is loaded once per record count and shared by every cell that uses it; the
// previous record count's data sets are freed first. Cells run in the order records, dist,
// threads, system, so that the systems of one cell run next to each other. With
// --benchmark_enable_random_interleaving (repetitions spread across systems), run one record
// count per process, as scripts/bare_shape_report.sh does: otherwise data sets reload.
#include <benchmark/benchmark.h>
#include <oneapi/tbb/concurrent_hash_map.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "components/common/aligned_buffer.h"
#include "components/common/hash.h"
#include "experiments/workload/generators.h"
#include "policies/bundles.h"

namespace {

using rskv::Status;
using Store = rskv::ChainedMemoryNone;

// rskv's batched read, when the engine has one: Session::read_batch(keys, statuses, cb) with
// cb(std::size_t i, Status, std::string_view value). Its cells are registered only then.
template <class S>
concept HasReadBatch = requires(S& s, std::span<const std::string_view> keys, Status* statuses) {
  s.read_batch(keys, statuses, [](std::size_t, Status, std::string_view) {});
};
constexpr bool kRskvHasReadBatch = HasReadBatch<Store::Session>;

constexpr std::size_t kStreamLength = 1 << 20;  // pre-generated key indexes per thread

std::string_view key_bytes(const std::uint64_t& k) {
  return {reinterpret_cast<const char*>(&k), sizeof k};
}

std::uint64_t buckets_for(std::uint64_t records) {
  return std::bit_ceil(std::max<std::uint64_t>(records / 4, 1));
}

// ---- bare shape ------------------------------------------------------------------------------
class BareShape {
 public:
  static constexpr int kEntries = 7;
  static constexpr std::uint64_t kAddressMask = (std::uint64_t{1} << 48) - 1;
  static constexpr std::uint64_t kTagMask = (std::uint64_t{1} << 14) - 1;
  static constexpr std::uint64_t kUsedBit = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kFirstAddress = 64;  // address 0 means "none"

  struct alignas(64) Bucket {
    std::uint64_t entries[kEntries];
    std::uint64_t overflow;  // non-zero: the probe continues in the next bucket
  };
  static_assert(sizeof(Bucket) == 64);

  struct Record {
    std::uint64_t header;   // previous address in the chain (bits 0..47)
    std::uint64_t lengths;  // key_len | value_len << 32 (always 8 | 8 << 32 here)
    std::uint64_t key;
    std::uint64_t value;
  };
  static_assert(sizeof(Record) == 32);

  explicit BareShape(std::uint64_t records)
      : mask_(buckets_for(records) - 1),
        table_buf_((mask_ + 1) * sizeof(Bucket), 64, /*huge_pages=*/true),
        log_buf_(kFirstAddress + records * sizeof(Record), 64, /*huge_pages=*/true),
        table_(reinterpret_cast<Bucket*>(table_buf_.data())),
        log_(log_buf_.data()) {}

  /// Single-threaded load; key k gets value k.
  void insert(std::uint64_t key, std::uint64_t value) {
    const std::uint64_t h = rskv::hash_key(key_bytes(key));
    const std::uint64_t want = entry_prefix(h);
    Record* r = record(tail_);
    r->lengths = std::uint64_t{8} | (std::uint64_t{8} << 32);
    r->key = key;
    r->value = value;
    // The (bucket, tag) entry, if any, lies along the probe sequence before any free slot.
    for (std::uint64_t b = h & mask_;; b = (b + 1) & mask_) {
      Bucket& bucket = table_[b];
      for (std::uint64_t& e : bucket.entries) {
        if (e == 0 || (e >> 48) == want) {
          r->header = e & kAddressMask;  // 0 for a new entry: end of chain
          e = (want << 48) | tail_;
          tail_ += sizeof(Record);
          return;
        }
      }
      bucket.overflow = 1;
    }
  }

  [[nodiscard]] const Bucket* bucket_of(std::uint64_t h) const { return &table_[h & mask_]; }

  /// The entry's address for hash h, or 0. Starts at b (already the bucket of h).
  [[nodiscard]] std::uint64_t find_entry(const Bucket* b, std::uint64_t h) const {
    const std::uint64_t want = entry_prefix(h);
    for (;;) {
      for (std::uint64_t e : b->entries) {
        if ((e >> 48) == want) return e & kAddressMask;
      }
      if (b->overflow == 0) return 0;
      b = &table_[((b - table_) + 1) & mask_];
    }
  }

  /// Walks the chain from addr; true and value set when key is found.
  bool find_in_chain(std::uint64_t addr, std::uint64_t key, std::uint64_t& value) const {
    while (addr != 0) {
      const Record* r = record(addr);
      if (r->key == key) {
        value = r->value;
        return true;
      }
      addr = r->header & kAddressMask;
    }
    return false;
  }

  bool get(std::uint64_t key, std::uint64_t& value) const {
    const std::uint64_t h = rskv::hash_key(key_bytes(key));
    return find_in_chain(find_entry(bucket_of(h), h), key, value);
  }

  /// Looks up keys[0..kN); returns how many were found and adds their values to sum.
  template <std::size_t kN>
  std::size_t get_batch(const std::uint64_t* keys, std::uint64_t& sum) const {
    std::uint64_t hash[kN];
    const Bucket* bucket[kN];
    std::uint64_t addr[kN];
    for (std::size_t i = 0; i < kN; ++i) {
      hash[i] = rskv::hash_key(key_bytes(keys[i]));
      bucket[i] = bucket_of(hash[i]);
      __builtin_prefetch(bucket[i]);
    }
    for (std::size_t i = 0; i < kN; ++i) {
      addr[i] = find_entry(bucket[i], hash[i]);
      if (addr[i] != 0) __builtin_prefetch(record(addr[i]));
    }
    std::size_t found = 0;
    for (std::size_t i = 0; i < kN; ++i) {
      if (addr[i] == 0) continue;
      const Record* r = record(addr[i]);
      if (r->key == keys[i]) [[likely]] {
        sum += r->value;
        ++found;
      } else {
        std::uint64_t v;
        if (find_in_chain(r->header & kAddressMask, keys[i], v)) {
          sum += v;
          ++found;
        }
      }
    }
    return found;
  }

 private:
  // used:1 | tentative:0 | tag:14, the top 16 bits of a live entry for hash h.
  static std::uint64_t entry_prefix(std::uint64_t h) {
    return (kUsedBit >> 48) | ((h >> 48) & kTagMask);
  }
  [[nodiscard]] const Record* record(std::uint64_t addr) const {
    return reinterpret_cast<const Record*>(log_ + addr);
  }
  [[nodiscard]] Record* record(std::uint64_t addr) {
    return reinterpret_cast<Record*>(log_ + addr);
  }

  const std::uint64_t mask_;
  rskv::AlignedBuffer table_buf_;
  rskv::AlignedBuffer log_buf_;
  Bucket* table_;
  std::byte* log_;
  std::uint64_t tail_ = kFirstAddress;
};

// ---- oneTBB ----------------------------------------------------------------------------------
struct SameHash {
  static std::size_t hash(const std::uint64_t& k) { return rskv::hash_key(key_bytes(k)); }
  static bool equal(const std::uint64_t& a, const std::uint64_t& b) { return a == b; }
};
using TbbMap = oneapi::tbb::concurrent_hash_map<std::uint64_t, std::uint64_t, SameHash>;

// ---- the data sets of one record count, loaded once --------------------------------------------
struct DataSets {
  std::unique_ptr<BareShape> bare;
  std::unique_ptr<Store> rskv;
  std::unique_ptr<TbbMap> tbb;
};

enum class System { kBare, kRskv, kTbb };

std::mutex g_data_mu;
std::uint64_t g_data_records = 0;
DataSets g_data;

// The data set of `system` for `records`, loaded on first use. Data sets of another record
// count are freed first: one record count in memory at a time.
DataSets& data_for(std::uint64_t records, System system) {
  std::lock_guard<std::mutex> g(g_data_mu);
  if (g_data_records != records) {
    g_data = DataSets{};
    g_data_records = records;
  }
  if (system == System::kBare && !g_data.bare) {
    g_data.bare = std::make_unique<BareShape>(records);
    for (std::uint64_t k = 0; k < records; ++k) g_data.bare->insert(k, k);
  } else if (system == System::kRskv && !g_data.rskv) {
    rskv::StoreConfig cfg;  // as store_bench: all in memory, room for updates
    cfg.memory_bytes = std::bit_ceil(records * 32 * 2);
    cfg.max_value_bytes = 1024;
    cfg.max_key_bytes = 64;
    cfg.index.initial_buckets = buckets_for(records);
    auto s = Store::open(cfg);
    if (!s) {
      std::fprintf(stderr, "bare_shape_bench: %s\n", s.error().message.c_str());
      std::exit(2);
    }
    g_data.rskv = std::move(s).value();
    auto session = std::move(g_data.rskv->start_session()).value();
    for (std::uint64_t k = 0; k < records; ++k) {
      const std::uint64_t v = k;
      if (session.upsert(key_bytes(k), key_bytes(v)) != Status::Ok) {
        std::fprintf(stderr, "bare_shape_bench: rskv load failed at key %llu\n",
                     static_cast<unsigned long long>(k));
        std::exit(2);
      }
    }
    session.close();
  } else if (system == System::kTbb && !g_data.tbb) {
    g_data.tbb = std::make_unique<TbbMap>();
    g_data.tbb->rehash(records);
    for (std::uint64_t k = 0; k < records; ++k) g_data.tbb->insert({k, k});
  }
  return g_data;
}

// ---- key streams -----------------------------------------------------------------------------
// The same seeds per (records, dist, thread) for every system.
std::vector<std::uint64_t> make_stream(std::uint64_t records, int dist, int thread) {
  std::vector<std::uint64_t> keys(kStreamLength);
  const std::uint64_t seed = 42 + 1000 * static_cast<std::uint64_t>(thread);
  if (dist == 0) {
    rskv::workload::UniformGenerator g(records, seed);
    for (auto& k : keys) k = g.next();
  } else {
    rskv::workload::ScrambledZipfianGenerator g(records, 0.99, seed);
    for (auto& k : keys) k = g.next();
  }
  return keys;
}

void finish(benchmark::State& state, std::uint64_t records, int dist, std::uint64_t items,
            std::uint64_t found, std::uint64_t sink) {
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(static_cast<std::int64_t>(items));
  std::ostringstream l;
  if (records % 1000000 == 0) {
    l << records / 1000000 << "M";
  } else {
    l << records;
  }
  l << " " << (dist == 0 ? "uniform" : "zipfian0.99");
  state.SetLabel(l.str());
  if (found != items) state.SkipWithError("a key that was loaded was not found");
}

// ---- cells -----------------------------------------------------------------------------------
void BM_Bare(benchmark::State& state) {
  const auto records = static_cast<std::uint64_t>(state.range(0));
  const int dist = static_cast<int>(state.range(1));
  const BareShape& bare = *data_for(records, System::kBare).bare;
  const auto keys = make_stream(records, dist, state.thread_index());
  std::size_t i = 0;
  std::uint64_t sink = 0;
  std::uint64_t found = 0;
  for (auto _ : state) {
    std::uint64_t v = 0;
    if (bare.get(keys[i++ & (kStreamLength - 1)], v)) {
      sink += v;
      ++found;
    }
  }
  finish(state, records, dist, state.iterations(), found, sink);
}

template <std::size_t kN>
void BM_BareBatch(benchmark::State& state) {
  static_assert(kStreamLength % kN == 0);
  const auto records = static_cast<std::uint64_t>(state.range(0));
  const int dist = static_cast<int>(state.range(1));
  const BareShape& bare = *data_for(records, System::kBare).bare;
  const auto keys = make_stream(records, dist, state.thread_index());
  std::size_t i = 0;
  std::uint64_t sink = 0;
  std::uint64_t found = 0;
  for (auto _ : state) {
    found += bare.get_batch<kN>(&keys[i], sink);
    i = (i + kN) & (kStreamLength - 1);
  }
  finish(state, records, dist, state.iterations() * kN, found, sink);
}

void BM_Rskv(benchmark::State& state) {
  const auto records = static_cast<std::uint64_t>(state.range(0));
  const int dist = static_cast<int>(state.range(1));
  Store& store = *data_for(records, System::kRskv).rskv;
  const auto keys = make_stream(records, dist, state.thread_index());
  auto session = std::move(store.start_session()).value();
  std::size_t i = 0;
  std::uint64_t sink = 0;
  std::uint64_t found = 0;
  for (auto _ : state) {
    const std::uint64_t k = keys[i++ & (kStreamLength - 1)];
    const Status s = session.read(key_bytes(k), [&](Status, std::string_view v) {
      std::uint64_t x;
      std::memcpy(&x, v.data(), 8);
      sink += x;
    });
    found += s == Status::Ok;
  }
  session.close();
  finish(state, records, dist, state.iterations(), found, sink);
}

template <std::size_t kN>
void BM_RskvBatch(benchmark::State& state) {
  if constexpr (kRskvHasReadBatch) {
    static_assert(kStreamLength % kN == 0);
    const auto records = static_cast<std::uint64_t>(state.range(0));
    const int dist = static_cast<int>(state.range(1));
    Store& store = *data_for(records, System::kRskv).rskv;
    const auto keys = make_stream(records, dist, state.thread_index());
    auto session = std::move(store.start_session()).value();
    std::size_t i = 0;
    std::uint64_t sink = 0;
    std::uint64_t found = 0;
    std::string_view views[kN];
    Status statuses[kN];
    for (auto _ : state) {
      for (std::size_t j = 0; j < kN; ++j) views[j] = key_bytes(keys[i + j]);
      session.read_batch(std::span<const std::string_view>(views, kN), statuses,
                         [&](std::size_t, Status, std::string_view v) {
                           std::uint64_t x;
                           std::memcpy(&x, v.data(), 8);
                           sink += x;
                         });
      for (Status s : statuses) found += s == Status::Ok;
      i = (i + kN) & (kStreamLength - 1);
    }
    session.close();
    finish(state, records, dist, state.iterations() * kN, found, sink);
  } else {
    state.SkipWithError("this rskv has no Session::read_batch");
  }
}

void BM_Tbb(benchmark::State& state) {
  const auto records = static_cast<std::uint64_t>(state.range(0));
  const int dist = static_cast<int>(state.range(1));
  const TbbMap& map = *data_for(records, System::kTbb).tbb;
  const auto keys = make_stream(records, dist, state.thread_index());
  std::size_t i = 0;
  std::uint64_t sink = 0;
  std::uint64_t found = 0;
  for (auto _ : state) {
    TbbMap::const_accessor a;
    if (map.find(a, keys[i++ & (kStreamLength - 1)])) {
      sink += a->second;
      ++found;
    }
  }
  finish(state, records, dist, state.iterations(), found, sink);
}

std::vector<std::int64_t> record_counts() {
  std::vector<std::int64_t> out;
  const char* env = std::getenv("RSKV_BENCH_RECORDS");
  const std::string s = env ? env : "4000000,16000000";
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(std::stoll(item));
  }
  return out;
}

void register_all() {
  struct Cell {
    const char* name;
    void (*fn)(benchmark::State&);
  };
  const Cell cells[] = {
      {"Read/bare", BM_Bare},
      {"Read/bare_batch8", BM_BareBatch<8>},
      {"Read/bare_batch16", BM_BareBatch<16>},
      {"Read/bare_batch32", BM_BareBatch<32>},
      {"Read/rskv", BM_Rskv},
      {"Read/rskv_batch8", kRskvHasReadBatch ? BM_RskvBatch<8> : nullptr},
      {"Read/rskv_batch16", kRskvHasReadBatch ? BM_RskvBatch<16> : nullptr},
      {"Read/rskv_batch32", kRskvHasReadBatch ? BM_RskvBatch<32> : nullptr},
      {"Read/tbb_hash_map", BM_Tbb},
  };
  const char* mt = std::getenv("RSKV_BENCH_MIN_TIME");
  const double min_time = mt != nullptr ? std::stod(mt) : 2.0;
  // One registration per (records, dist, threads, system): Google Benchmark runs them in
  // registration order, so each data set loads once and the systems of a cell run together.
  for (std::int64_t n : record_counts()) {
    for (int dist : {0, 1}) {
      for (int threads : {1, 2}) {
        for (const Cell& c : cells) {
          if (c.fn == nullptr) continue;
          benchmark::RegisterBenchmark(c.name, c.fn)
              ->Args({n, dist})
              ->ArgNames({"records", "dist"})
              ->Threads(threads)
              ->UseRealTime()
              ->MinTime(min_time);
        }
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
