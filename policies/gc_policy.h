#pragma once
// GcPolicy: when and how log space below a bound is reclaimed.
//   none     - never reclaims; the log grows on the device.
//   truncate - shifts the begin address and drops whole segments: cache semantics, keys whose
//              only record lies below the new begin are gone.
//   compact  - copies records below the bound that are still the newest version of their
//              key to the tail (conditional insert), then shifts begin: no live key is lost.
// The store asks the policy what to do; the mechanisms live in components/gc and hlog.

#include <concepts>
#include <string_view>

namespace rskv {

enum class GcMode { kNone, kTruncate, kCompact };

template <class G>
concept GcPolicy = requires {
  { G::kName } -> std::convertible_to<std::string_view>;
  { G::kMode } -> std::convertible_to<GcMode>;
};

}  // namespace rskv
