#pragma once
// Parsing one cell: a config tree with every sweep value applied becomes a typed, fully
// validated CellConfig. Internal to experiments/rskv-bench.

#include <string>

#include "experiments/rskv-bench/config.h"
#include "experiments/rskv-bench/config_tree.h"

namespace rskv::bench::config_detail {

/// What the cell parser needs besides the tree.
struct Ctx {
  std::string source;
  Lines lines;
  const Catalog* catalog;
};

/// Parses and validates a cell; throws ConfigError naming the key, value and choices.
CellConfig parse_cell(const Json& doc, const Ctx& ctx);
/// A mix as "read=0.5;upsert=0.5" (no commas: it can be a CSV field).
std::string mix_text(const workload::Mix& mix);
/// The canonical text of a swept key's value in a parsed cell (sizes in bytes, durations
/// in seconds, counts as integers).
std::string canonical(const CellConfig& c, const std::string& key);

}  // namespace rskv::bench::config_detail
