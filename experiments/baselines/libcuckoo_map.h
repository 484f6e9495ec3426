#pragma once
// Baseline: libcuckoo's cuckoohash_map (Debian libcuckoo-dev), config name libcuckoo.
// Set up as its users would: reserved for the expected keys at construction, the default
// allocator, rskv's key hash. Lookups are transparent (no key object is built); writes
// use insert_or_assign and, for RMW, uprase_fn. No scans.

#include <memory>
#include <string>
#include <string_view>

#include <libcuckoo/cuckoohash_map.hh>

#include "experiments/baselines/system.h"

namespace rskv::bench {

template <bool kFixed>
class LibcuckooSystem {
  using R = Repr<kFixed>;
  using Map = libcuckoo::cuckoohash_map<typename R::Key, typename R::Value, KeyHash, KeyEqual>;

 public:
  static constexpr bool kSupportsBatch = false;
  static constexpr bool kSupportsScan = false;

  class Worker {
   public:
    explicit Worker(Map* map) : map_(map) {}

    Status read(std::string_view key) {
      const bool found =
          map_->find_fn(R::probe(key), [this](const typename R::Value& v) { out_ = v; });
      return found ? Status::Ok : Status::NotFound;
    }
    Status upsert(std::string_view key, std::string_view value) {
      if (!map_->update_fn(R::probe(key), [&](typename R::Value& v) { R::assign(v, value); })) {
        map_->insert_or_assign(R::make_key(key), R::make_value(value));
      }
      return Status::Ok;
    }
    Status rmw(std::string_view key, std::string_view value) {
      if (!map_->update_fn(R::probe(key), [](typename R::Value& v) { R::bump(v); })) {
        map_->uprase_fn(
            R::make_key(key),
            [](typename R::Value& v) {
              R::bump(v);
              return false;  // keep the entry
            },
            R::make_value(value));
      }
      return Status::Ok;
    }
    Status remove(std::string_view key) {
      map_->erase(R::probe(key));
      return Status::Ok;
    }
    Status scan(std::string_view, std::uint32_t) { return Status::InvalidArgument; }
    Status finish() { return Status::Ok; }
    std::string_view value() const { return R::bytes(out_); }

   private:
    Map* map_;
    typename R::Value out_{};
  };

  explicit LibcuckooSystem(const SystemOptions& opts) : map_(opts.expected_keys) {}

  static Result<std::unique_ptr<LibcuckooSystem>> open(const SystemOptions& opts) {
    return std::make_unique<LibcuckooSystem>(opts);
  }
  Result<Worker> worker() { return Worker(&map_); }

  nlohmann::json details() const {
    return {{"engine", "libcuckoo cuckoohash_map"},
            {"reserved_slots", map_.capacity()},
            {"key_type", repr_name<kFixed>()},
            {"hash", "rskv::hash_key (splitmix64 mix of 8-byte keys, XXH3 otherwise)"},
            {"allocator", "default (std::allocator)"},
            {"batch", "single operations"}};
  }

 private:
  Map map_;
};

static_assert(BenchSystem<LibcuckooSystem<true>>);
static_assert(BenchSystem<LibcuckooSystem<false>>);

}  // namespace rskv::bench
