#pragma once
// Text helpers of config parsing: the error the parser throws internally (turned into a
// Result at the API edge, config.cc), list joining, number formatting and splitting "16M"
// into number and unit. Internal to experiments/rskv-bench.

#include <string>
#include <string_view>

namespace rskv::bench::config_detail {

/// Thrown inside the parser; parse_experiment() returns it as an Error.
struct ConfigError {
  std::string message;
};

[[noreturn]] inline void fail(std::string message) {
  throw ConfigError{std::move(message)};
}

template <class Range>
std::string join(const Range& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += std::string_view(item);
  }
  return out;
}

std::string trim(std::string_view s);
std::string lower(std::string_view s);
/// Shortest text that reads back as v ("0.99", "1e-06").
std::string format_double(double v);
/// Splits "16M" or "1_000 KiB" into a number and a unit; false when no number leads.
bool split_number(std::string_view text, double* number, std::string* unit);

}  // namespace rskv::bench::config_detail
