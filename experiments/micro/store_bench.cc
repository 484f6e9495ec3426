// store_bench: Read, Upsert and RMW on rskv (chained index, memory device) beside oneTBB's
// concurrent_hash_map, in one program, with 8-byte keys and values.
//
//   store_bench [--benchmark_filter=...]          all cells: 4M and 16M records,
//                                                 uniform and zipfian 0.99, 1 and 2 threads
//   RSKV_BENCH_RECORDS=1000000 store_bench ...     other record counts (comma-separated)
//
// Each (system, records) pair is loaded once and shared by the cells that use it. Key
// streams are generated per thread before the timed loop. oneTBB's table is reserved for the
// record count and uses the same key hash as rskv (rskv::hash_key). With 2 cores,
// thread counts above 2 measure oversubscription.
#include <benchmark/benchmark.h>
#include <oneapi/tbb/concurrent_hash_map.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "components/common/hash.h"
#include "experiments/workload/generators.h"
#include "policies/bundles.h"

namespace {

using rskv::Status;
using Store = rskv::ChainedMemoryNone;

constexpr std::size_t kStreamLength = 1 << 20;  // pre-generated key indexes per thread

std::string_view key_bytes(const std::uint64_t& k) {
  return {reinterpret_cast<const char*>(&k), sizeof k};
}

// ---- rskv ----------------------------------------------------------------------------------
struct RskvInstance {
  std::unique_ptr<Store> store;
};

RskvInstance& rskv_for(std::uint64_t records) {
  static std::mutex mu;
  static std::map<std::uint64_t, std::unique_ptr<RskvInstance>> cache;
  std::lock_guard<std::mutex> g(mu);
  auto& slot = cache[records];
  if (slot) return *slot;
  // Free other sizes first: one large data set in memory at a time.
  for (auto& [n, inst] : cache) {
    if (n != records) inst.reset();
  }
  slot = std::make_unique<RskvInstance>();
  rskv::StoreConfig cfg;
  cfg.memory_bytes = std::bit_ceil(records * 32 * 2);  // all in memory, room for updates
  cfg.max_value_bytes = 1024;
  cfg.max_key_bytes = 64;
  cfg.index.initial_buckets = std::bit_ceil(records / 4);
  auto s = Store::open(cfg);
  if (!s) {
    std::fprintf(stderr, "store_bench: %s\n", s.error().message.c_str());
    std::exit(2);
  }
  slot->store = std::move(s).value();
  auto session = std::move(slot->store->start_session()).value();
  for (std::uint64_t k = 0; k < records; ++k) {
    std::uint64_t v = k;
    (void)session.upsert(key_bytes(k), key_bytes(v));
  }
  return *slot;
}

// ---- oneTBB --------------------------------------------------------------------------------
struct SameHash {
  static std::size_t hash(const std::uint64_t& k) { return rskv::hash_key(key_bytes(k)); }
  static bool equal(const std::uint64_t& a, const std::uint64_t& b) { return a == b; }
};
using TbbMap = oneapi::tbb::concurrent_hash_map<std::uint64_t, std::uint64_t, SameHash>;

TbbMap& tbb_for(std::uint64_t records) {
  static std::mutex mu;
  static std::map<std::uint64_t, std::unique_ptr<TbbMap>> cache;
  std::lock_guard<std::mutex> g(mu);
  auto& slot = cache[records];
  if (slot) return *slot;
  for (auto& [n, m] : cache) {
    if (n != records) m.reset();
  }
  slot = std::make_unique<TbbMap>();
  slot->rehash(records);
  for (std::uint64_t k = 0; k < records; ++k) slot->insert({k, k});
  return *slot;
}

// ---- key streams ---------------------------------------------------------------------------
std::vector<std::uint64_t> make_stream(std::uint64_t records, int dist, int thread) {
  std::vector<std::uint64_t> keys(kStreamLength);
  std::uint64_t seed = 42 + 1000 * thread;
  if (dist == 0) {
    rskv::workload::UniformGenerator g(records, seed);
    for (auto& k : keys) k = g.next();
  } else {
    rskv::workload::ScrambledZipfianGenerator g(records, 0.99, seed);
    for (auto& k : keys) k = g.next();
  }
  return keys;
}

enum class Op { kRead, kUpsert, kRmw };

void label(benchmark::State& state, std::uint64_t records, int dist) {
  std::ostringstream l;
  l << records / 1000000 << "M " << (dist == 0 ? "uniform" : "zipfian0.99");
  if (state.threads() > 2) l << " (oversubscribed: 2 cores)";
  state.SetLabel(l.str());
}

template <Op kOp>
void BM_Rskv(benchmark::State& state) {
  const auto records = static_cast<std::uint64_t>(state.range(0));
  const int dist = static_cast<int>(state.range(1));
  Store& store = *rskv_for(records).store;
  auto keys = make_stream(records, dist, state.thread_index());
  auto session = std::move(store.start_session()).value();
  std::size_t i = 0;
  std::uint64_t sink = 0;
  auto add_one = [](const std::string_view* old, rskv::ValueBuilder& out) {
    std::uint64_t v = 0;
    if (old != nullptr && old->size() == 8) std::memcpy(&v, old->data(), 8);
    ++v;
    out.assign(key_bytes(v));
    return true;
  };
  for (auto _ : state) {
    const std::uint64_t k = keys[i++ & (kStreamLength - 1)];
    if constexpr (kOp == Op::kRead) {
      Status s = session.read(key_bytes(k), [&](Status, std::string_view v) {
        std::uint64_t x;
        std::memcpy(&x, v.data(), 8);
        sink += x;
      });
      benchmark::DoNotOptimize(s);
    } else if constexpr (kOp == Op::kUpsert) {
      std::uint64_t v = k + i;
      benchmark::DoNotOptimize(session.upsert(key_bytes(k), key_bytes(v)));
    } else {
      benchmark::DoNotOptimize(session.rmw(key_bytes(k), add_one));
    }
  }
  benchmark::DoNotOptimize(sink);
  session.close();
  state.SetItemsProcessed(state.iterations());
  label(state, records, dist);
}

template <Op kOp>
void BM_Tbb(benchmark::State& state) {
  const auto records = static_cast<std::uint64_t>(state.range(0));
  const int dist = static_cast<int>(state.range(1));
  TbbMap& map = tbb_for(records);
  auto keys = make_stream(records, dist, state.thread_index());
  std::size_t i = 0;
  std::uint64_t sink = 0;
  for (auto _ : state) {
    const std::uint64_t k = keys[i++ & (kStreamLength - 1)];
    if constexpr (kOp == Op::kRead) {
      TbbMap::const_accessor a;
      if (map.find(a, k)) sink += a->second;
    } else if constexpr (kOp == Op::kUpsert) {
      TbbMap::accessor a;
      map.insert(a, k);
      a->second = k + i;
    } else {
      TbbMap::accessor a;
      map.insert(a, k);
      a->second += 1;
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
  label(state, records, dist);
}

std::vector<std::int64_t> record_counts() {
  std::vector<std::int64_t> out;
  const char* env = std::getenv("RSKV_BENCH_RECORDS");
  std::string s = env ? env : "4000000,16000000";
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoll(item));
  return out;
}

void register_all() {
  auto apply = [](benchmark::internal::Benchmark* b) {
    for (std::int64_t n : record_counts()) {
      for (int dist : {0, 1}) b->Args({n, dist});
    }
    b->Threads(1)->Threads(2)->UseRealTime()->MinTime(2.0);
  };
  // Interleave systems per operation so that both run under the same machine conditions.
  apply(benchmark::RegisterBenchmark("Read/rskv", BM_Rskv<Op::kRead>));
  apply(benchmark::RegisterBenchmark("Read/tbb_hash_map", BM_Tbb<Op::kRead>));
  apply(benchmark::RegisterBenchmark("Upsert/rskv", BM_Rskv<Op::kUpsert>));
  apply(benchmark::RegisterBenchmark("Upsert/tbb_hash_map", BM_Tbb<Op::kUpsert>));
  apply(benchmark::RegisterBenchmark("RMW/rskv", BM_Rskv<Op::kRmw>));
  apply(benchmark::RegisterBenchmark("RMW/tbb_hash_map", BM_Tbb<Op::kRmw>));
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
