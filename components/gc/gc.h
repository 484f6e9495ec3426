#pragma once
// components/gc: log garbage-collection strategies (GcPolicy in policies/gc_policy.h).
// Built so far: NoGc. Truncate and compact are not built yet.

#include <string_view>

#include "policies/gc_policy.h"

namespace rskv::gc {

/// Never reclaims log space: the log grows on the device (the default).
struct NoGc {
  static constexpr std::string_view kName = "none";
  static constexpr GcMode kMode = GcMode::kNone;
};
static_assert(GcPolicy<NoGc>);

}  // namespace rskv::gc
