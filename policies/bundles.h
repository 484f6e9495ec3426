#pragma once
// The named policy bundles: the one place where concrete components meet the Store. An
// experiment names a bundle at run time by its index/device/gc strings; with_bundle() maps
// them to the compiled Store type. Each bundle is instantiated once (bundles.cc), so that the
// engine is compiled once per combination, not once per program.
//
// Adding a policy: a folder in components/, a line in the type list below, and nothing else.

#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "components/common/result.h"
#include "components/device/file_device.h"
#include "components/device/io_uring_device.h"
#include "components/device/memory_device.h"
#include "components/gc/gc.h"
#include "components/index/chained/chained_index.h"
#include "components/index/cuckoo/cuckoo_index.h"
#include "components/store/store.h"

namespace rskv {

using ChainedMemoryNone = Store<index::ChainedIndex, device::MemoryDevice, gc::NoGc>;
using ChainedFileNone = Store<index::ChainedIndex, device::FileDevice, gc::NoGc>;
using ChainedIoUringNone = Store<index::ChainedIndex, device::IoUringDevice, gc::NoGc>;
using CuckooMemoryNone = Store<index::CuckooIndex, device::MemoryDevice, gc::NoGc>;
using CuckooFileNone = Store<index::CuckooIndex, device::FileDevice, gc::NoGc>;
using CuckooIoUringNone = Store<index::CuckooIndex, device::IoUringDevice, gc::NoGc>;

/// Every compiled bundle, in the order --list prints them.
using AllBundles = std::tuple<ChainedMemoryNone, ChainedFileNone, ChainedIoUringNone,
                              CuckooMemoryNone, CuckooFileNone, CuckooIoUringNone>;
/// One bundle per index policy, over the memory device: for suites typed over the index.
using IndexBundles = std::tuple<ChainedMemoryNone, CuckooMemoryNone>;

namespace detail {
template <class S>
std::string bundle_name() {
  return std::string(S::IndexType::kName) + "/" + std::string(S::DeviceType::kName) + "/" +
         std::string(S::GcType::kName);
}
template <class Tuple>
struct BundleList;
template <class... S>
struct BundleList<std::tuple<S...>> {
  static std::vector<std::string> names() { return {bundle_name<S>()...}; }
  template <class F>
  static bool visit(std::string_view index, std::string_view device, std::string_view gc, F& f) {
    return (
        (index == S::IndexType::kName && device == S::DeviceType::kName && gc == S::GcType::kName
             ? (f(std::type_identity<S>{}), true)
             : false) ||
        ...);
  }
  static std::vector<std::string> index_names() {
    return unique({std::string(S::IndexType::kName)...});
  }
  static std::vector<std::string> device_names() {
    return unique({std::string(S::DeviceType::kName)...});
  }
  static std::vector<std::string> gc_names() { return unique({std::string(S::GcType::kName)...}); }
  static std::vector<std::string> unique(std::vector<std::string> v) {
    std::vector<std::string> out;
    for (auto& s : v) {
      bool seen = false;
      for (auto& o : out) seen = seen || o == s;
      if (!seen) out.push_back(s);
    }
    return out;
  }
};
inline std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}
}  // namespace detail

/// "index/device/gc" of every compiled bundle.
inline std::vector<std::string> bundle_names() {
  return detail::BundleList<AllBundles>::names();
}
inline std::vector<std::string> index_names() {
  return detail::BundleList<AllBundles>::index_names();
}
inline std::vector<std::string> device_names() {
  return detail::BundleList<AllBundles>::device_names();
}
inline std::vector<std::string> gc_names() {
  return detail::BundleList<AllBundles>::gc_names();
}

/// Calls f(std::type_identity<StoreT>{}) for the bundle with these names, or returns an error
/// naming the bad value and listing the valid ones.
template <class F>
Result<void> with_bundle(std::string_view index, std::string_view device, std::string_view gc,
                         F&& f) {
  using L = detail::BundleList<AllBundles>;
  if (L::visit(index, device, gc, f)) return {};
  auto has = [](const std::vector<std::string>& v, std::string_view s) {
    for (const auto& x : v) {
      if (x == s) return true;
    }
    return false;
  };
  std::string msg;
  if (!has(L::index_names(), index)) {
    msg = "unknown index '" + std::string(index) + "'; valid: " + detail::join(L::index_names());
  } else if (!has(L::device_names(), device)) {
    msg = "unknown device '" + std::string(device) + "'; valid: " + detail::join(L::device_names());
  } else if (!has(L::gc_names(), gc)) {
    msg = "unknown gc '" + std::string(gc) + "'; valid: " + detail::join(L::gc_names());
  } else {
    msg = "the combination " + std::string(index) + "/" + std::string(device) + "/" +
          std::string(gc) + " is not compiled; compiled bundles: " + detail::join(L::names());
  }
  return make_error(Status::InvalidArgument, msg);
}

extern template class Store<index::ChainedIndex, device::MemoryDevice, gc::NoGc>;
extern template class Store<index::ChainedIndex, device::FileDevice, gc::NoGc>;
extern template class Store<index::ChainedIndex, device::IoUringDevice, gc::NoGc>;
extern template class Store<index::CuckooIndex, device::MemoryDevice, gc::NoGc>;
extern template class Store<index::CuckooIndex, device::FileDevice, gc::NoGc>;
extern template class Store<index::CuckooIndex, device::IoUringDevice, gc::NoGc>;

}  // namespace rskv
