// index_bench: the two index policies (cuckoo, chained) beside libcuckoo's cuckoohash_map,
// in one program: find and insert of 8-byte keys at 1M and 16M keys, 1 and 2 threads.
//
//   index_bench [--benchmark_filter=...]            every cell
//   RSKV_BENCH_KEYS=1000000,4000000 index_bench     other key counts (comma-separated)
//
// Cells:
//   BM_Find<System>/keys/threads       uniform lookups of present keys; the table is loaded
//                                      once per (system, keys) and shared by its find cells
//   BM_Insert<System>/keys/sized/...   insert every key into an empty table, split across the
//                                      threads; sized=1: built for the key count (the index
//                                      with initial_buckets for a 0.9 load, libcuckoo
//                                      reserved); sized=0: built 16x too small, so the cell
//                                      includes online growth
// Counters: load_factor and bytes_per_key of the table at the end of the cell.
//
// Work per operation is the same for every system: XXH3 of the 8 key bytes (rskv's key hash;
// libcuckoo is given it as its hasher), then one table operation. The index stores no key:
// its figures are those of a hash -> address map, which is what the store asks of it (the
// store pays a second miss for the record). Key streams are generated before timing. With 2
// cores, more than 2 threads would measure oversubscription; the cells stop at 2.

#include <benchmark/benchmark.h>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <libcuckoo/cuckoohash_map.hh>

#include "components/common/hash.h"
#include "components/index/chained/chained_index.h"
#include "components/index/cuckoo/cuckoo_index.h"
#include "experiments/workload/generators.h"
#include "policies/index_policy.h"

namespace {

constexpr std::size_t kStreamLength = 1 << 20;  // pre-generated key indexes per thread
constexpr std::uint64_t kInsertBatch = 1024;    // inserts per benchmark iteration

/// The key of index i: distinct 64-bit keys (an odd multiplier is a bijection).
std::uint64_t key_at(std::uint64_t i) {
  return (i + 1) * 0x9e3779b97f4a7c15ull;
}
std::uint64_t hash_of(std::uint64_t key) {
  return rskv::hash_key({reinterpret_cast<const char*>(&key), sizeof key});
}
/// A log address for key index i (what the store would install).
std::uint64_t address_at(std::uint64_t i) {
  return rskv::kFirstValidAddress + i * 8;
}

// ---- the compared systems -------------------------------------------------------------------
// Each offers: Table(keys, sized), find(key) -> address or 0, insert(key, address),
// load_factor(), memory_bytes().

template <class Index>
class IndexSystem {
 public:
  IndexSystem(std::uint64_t keys, bool sized) : index_(config(keys, sized)) {}

  std::uint64_t find(std::uint64_t key) const {
    typename Index::Handle h;
    return index_.find(hash_of(key), h) ? h.address() : 0;
  }
  void insert(std::uint64_t key, std::uint64_t address) {
    typename Index::Handle h;
    const std::uint64_t hash = hash_of(key);
    while (index_.find_or_create(hash, h) == rskv::Status::Ok && !index_.try_update(h, address)) {
    }
  }
  double load_factor() const { return index_.load_factor(); }
  std::size_t memory_bytes() const { return index_.memory_bytes(); }

 private:
  static rskv::IndexConfig config(std::uint64_t keys, bool sized) {
    rskv::IndexConfig cfg;
    // Seven slots per bucket at a 0.9 load; 16x fewer buckets for the growth cells. No epoch
    // manager: replaced tables are kept until the table is destroyed, so threads need no
    // protection (the cells never reclaim during timing).
    const std::uint64_t buckets = std::bit_ceil(keys * 10 / 63 + 1);
    cfg.initial_buckets = sized ? buckets : std::max<std::uint64_t>(buckets / 16, 4);
    cfg.huge_pages = true;
    return cfg;
  }
  mutable Index index_;
};

struct XxHasher {
  std::size_t operator()(std::uint64_t key) const { return hash_of(key); }
};

class LibcuckooSystem {
 public:
  using Map = libcuckoo::cuckoohash_map<std::uint64_t, std::uint64_t, XxHasher>;

  LibcuckooSystem(std::uint64_t keys, bool sized) : map_(sized ? keys : keys / 16) {}

  std::uint64_t find(std::uint64_t key) const {
    std::uint64_t out = 0;
    map_.find_fn(key, [&out](const std::uint64_t& v) { out = v; });
    return out;
  }
  void insert(std::uint64_t key, std::uint64_t address) { map_.insert_or_assign(key, address); }
  double load_factor() const { return map_.load_factor(); }
  std::size_t memory_bytes() const {
    // libcuckoo reports no memory use: each slot holds the key-value pair, a one-byte partial
    // key and an occupied flag; its lock array is small beside that.
    return map_.capacity() *
           (sizeof(std::pair<std::uint64_t, std::uint64_t>) + sizeof(std::uint8_t) + sizeof(bool));
  }

 private:
  Map map_;
};

using CuckooSystem = IndexSystem<rskv::index::CuckooIndex>;
using ChainedSystem = IndexSystem<rskv::index::ChainedIndex>;

// ---- shared tables for the find cells ------------------------------------------------------

/// One loaded table per system at a time (16M keys of three systems would not leave memory
/// for the rest of the machine's users).
template <class System>
System& loaded(std::uint64_t keys) {
  static std::mutex mu;
  static std::map<std::uint64_t, std::unique_ptr<System>> cache;
  std::lock_guard guard(mu);
  auto& slot = cache[keys];
  if (slot) return *slot;
  cache.clear();
  auto& fresh = cache[keys];
  fresh = std::make_unique<System>(keys, true);
  for (std::uint64_t i = 0; i < keys; ++i) fresh->insert(key_at(i), address_at(i));
  return *fresh;
}

std::vector<std::uint64_t> lookup_stream(std::uint64_t keys, int thread) {
  rskv::workload::UniformGenerator g(keys, 7 + 1000 * static_cast<std::uint64_t>(thread));
  std::vector<std::uint64_t> stream(kStreamLength);
  for (auto& k : stream) k = g.next();
  return stream;
}

template <class System>
void report(benchmark::State& state, const System& s, std::uint64_t keys) {
  state.counters["load_factor"] = s.load_factor();
  state.counters["bytes_per_key"] =
      static_cast<double>(s.memory_bytes()) / static_cast<double>(keys);
}

template <class System>
void BM_Find(benchmark::State& state) {
  const auto keys = static_cast<std::uint64_t>(state.range(0));
  System& table = loaded<System>(keys);
  const std::vector<std::uint64_t> stream = lookup_stream(keys, state.thread_index());
  std::size_t i = 0;
  std::uint64_t misses = 0;
  for (auto _ : state) {
    const std::uint64_t k = stream[i++ & (kStreamLength - 1)];
    const std::uint64_t a = table.find(key_at(k));
    // An index entry may be shared by keys whose hashes agree on the entry's identity (the
    // store's record chain separates them), so only a missing entry is an error here.
    misses += a == 0;
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(state.iterations());
  if (misses != 0) state.SkipWithError("a present key was not found");
  if (state.thread_index() == 0) report(state, table, keys);
}

template <class System>
void BM_Insert(benchmark::State& state) {
  const auto keys = static_cast<std::uint64_t>(state.range(0));
  const bool sized = state.range(1) != 0;
  static std::unique_ptr<System> table;  // built by thread 0 before the (barriered) loop
  if (state.thread_index() == 0) table = std::make_unique<System>(keys, sized);
  // Thread t inserts key indexes [t * share, (t + 1) * share), one batch per iteration.
  const std::uint64_t share = keys / static_cast<std::uint64_t>(state.threads());
  std::uint64_t next = share * static_cast<std::uint64_t>(state.thread_index());
  for (auto _ : state) {
    for (std::uint64_t k = 0; k < kInsertBatch; ++k, ++next) {
      table->insert(key_at(next), address_at(next));
    }
  }
  state.SetItemsProcessed(state.iterations() * kInsertBatch);
  if (state.thread_index() == 0) {
    report(state, *table, keys);
    table.reset();
  }
}

std::vector<std::int64_t> key_counts() {
  std::vector<std::int64_t> out;
  if (const char* env = std::getenv("RSKV_BENCH_KEYS")) {
    std::stringstream in(env);
    std::string item;
    while (std::getline(in, item, ',')) out.push_back(std::stoll(item));
  }
  if (out.empty()) out = {1 << 20, 1 << 24};
  return out;
}

template <class System>
void register_system(const char* name) {
  for (std::int64_t keys : key_counts()) {
    for (int threads : {1, 2}) {
      benchmark::RegisterBenchmark((std::string("BM_Find/") + name).c_str(), BM_Find<System>)
          ->Args({keys})
          ->Threads(threads)
          ->MinTime(1.0)
          ->UseRealTime();
      for (int sized : {1, 0}) {
        // Iterations are per thread: together the threads insert every key exactly once.
        const auto per_thread = static_cast<benchmark::IterationCount>(
            static_cast<std::uint64_t>(keys) / kInsertBatch / static_cast<std::uint64_t>(threads));
        benchmark::RegisterBenchmark((std::string("BM_Insert/") + name).c_str(), BM_Insert<System>)
            ->Args({keys, sized})
            ->ArgNames({"keys", "sized"})
            ->Threads(threads)
            ->Iterations(per_thread)
            ->UseRealTime();
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_system<CuckooSystem>("cuckoo");
  register_system<ChainedSystem>("chained");
  register_system<LibcuckooSystem>("libcuckoo");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
