#pragma once
// Baseline: oneTBB's tbb::concurrent_hash_map (Debian libtbb-dev), config name tbb_hash_map.
// Set up as its users would: buckets reserved for the expected keys at construction, the
// default allocator, rskv's key hash through a HashCompare. Reads take a const_accessor
// (a reader lock on the element), writes an accessor (a writer lock). No scans.

#include <memory>
#include <string>
#include <string_view>

#include <oneapi/tbb/concurrent_hash_map.h>

#include "experiments/baselines/system.h"

namespace rskv::bench {

template <bool kFixed>
class TbbHashMapSystem {
  using R = Repr<kFixed>;
  // 8-byte keys: the plain word. String keys: transparent, so that lookups take the
  // caller's bytes without building a std::string.
  struct WordHashCompare {
    static std::size_t hash(std::uint64_t k) { return KeyHash{}(k); }
    static bool equal(std::uint64_t a, std::uint64_t b) { return a == b; }
  };
  struct StringHashCompare {
    using is_transparent = void;
    static std::size_t hash(std::string_view k) { return KeyHash{}(k); }
    static std::size_t hash(const std::string& k) { return KeyHash{}(std::string_view(k)); }
    static bool equal(std::string_view a, std::string_view b) { return a == b; }
  };
  using HashCompare = std::conditional_t<kFixed, WordHashCompare, StringHashCompare>;
  using Map = tbb::concurrent_hash_map<typename R::Key, typename R::Value, HashCompare>;

 public:
  static constexpr bool kSupportsBatch = false;
  static constexpr bool kSupportsScan = false;

  class Worker {
   public:
    explicit Worker(Map* map) : map_(map) {}

    Status read(std::string_view key) {
      typename Map::const_accessor acc;
      if (!map_->find(acc, R::probe(key))) return Status::NotFound;
      out_ = acc->second;
      return Status::Ok;
    }
    Status upsert(std::string_view key, std::string_view value) {
      typename Map::accessor acc;
      if (!find_for_write(acc, key)) map_->insert(acc, R::make_key(key));
      R::assign(acc->second, value);
      return Status::Ok;
    }
    Status rmw(std::string_view key, std::string_view value) {
      typename Map::accessor acc;
      if (find_for_write(acc, key) || !map_->insert(acc, R::make_key(key))) {
        R::bump(acc->second);
      } else {
        R::assign(acc->second, value);
      }
      return Status::Ok;
    }
    Status remove(std::string_view key) {
      if constexpr (kFixed) {
        map_->erase(R::probe(key));
      } else {
        map_->erase(R::make_key(key));
      }
      return Status::Ok;
    }
    Status scan(std::string_view, std::uint32_t) { return Status::InvalidArgument; }
    Status finish() { return Status::Ok; }
    std::string_view value() const { return R::bytes(out_); }

   private:
    // An existing key is found without building a key object (an insert would build one).
    bool find_for_write(typename Map::accessor& acc, std::string_view key) {
      return map_->find(acc, R::probe(key));
    }

    Map* map_;
    typename R::Value out_{};
  };

  explicit TbbHashMapSystem(const SystemOptions& opts) : map_(opts.expected_keys) {}

  static Result<std::unique_ptr<TbbHashMapSystem>> open(const SystemOptions& opts) {
    return std::make_unique<TbbHashMapSystem>(opts);
  }
  Result<Worker> worker() { return Worker(&map_); }

  nlohmann::json details() const {
    return {{"engine", "oneTBB concurrent_hash_map"},
            {"reserved_buckets_for", map_.bucket_count()},
            {"key_type", repr_name<kFixed>()},
            {"hash", "rskv::hash_key (splitmix64 mix of 8-byte keys, XXH3 otherwise)"},
            {"allocator", "default (tbb::tbb_allocator)"},
            {"batch", "single operations"}};
  }

 private:
  Map map_;
};

static_assert(BenchSystem<TbbHashMapSystem<true>>);
static_assert(BenchSystem<TbbHashMapSystem<false>>);

}  // namespace rskv::bench
