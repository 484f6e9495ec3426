#include "experiments/rskv-bench/config_text.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "experiments/rskv-bench/config.h"

namespace rskv::bench {
namespace config_detail {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string format_double(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

// Splits "16M" into a number and a unit; false when the number part is not a number.
bool split_number(std::string_view text, double* number, std::string* unit) {
  std::string s;
  for (char c : text) {
    if (c != '_') s += c;  // 1_000_000 as YAML allows
  }
  s = trim(s);
  std::size_t i = 0;
  while (i < s.size() &&
         (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.' ||
          ((s[i] == 'e' || s[i] == 'E') && i + 1 < s.size() &&
           (std::isdigit(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '-' ||
            s[i + 1] == '+')) ||
          ((s[i] == '-' || s[i] == '+') && (i == 0 || s[i - 1] == 'e' || s[i - 1] == 'E')))) {
    ++i;
  }
  if (i == 0) return false;
  const std::string num = s.substr(0, i);
  double v = 0;
  auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (ec != std::errc() || end != num.data() + num.size()) return false;
  *number = v;
  *unit = trim(std::string_view(s).substr(i));
  return true;
}

}  // namespace config_detail

using config_detail::lower;
using config_detail::split_number;

Result<std::uint64_t> parse_count(std::string_view key, std::string_view text) {
  double v = 0;
  std::string unit;
  const std::string k(key);
  const auto error = [&] {
    return make_error(Status::InvalidArgument,
                      k + ": '" + std::string(text) +
                          "' is not a count; write a whole number, optionally with K, M or G "
                          "(powers of ten), e.g. 4 or 16M");
  };
  if (!split_number(text, &v, &unit) || v < 0) return error();
  double scale = 1;
  if (unit == "K" || unit == "k") {
    scale = 1e3;
  } else if (unit == "M") {
    scale = 1e6;
  } else if (unit == "G") {
    scale = 1e9;
  } else if (!unit.empty()) {
    return error();
  }
  const double total = v * scale;
  if (total != std::floor(total) || total > 1.8e19) return error();
  return static_cast<std::uint64_t>(total);
}

Result<std::uint64_t> parse_size(std::string_view key, std::string_view text) {
  double v = 0;
  std::string unit;
  const std::string k(key);
  const auto error = [&] {
    return make_error(Status::InvalidArgument,
                      k + ": '" + std::string(text) +
                          "' is not a size; write bytes with B, KiB, MiB, GiB (powers of two) or "
                          "KB, MB, GB (powers of ten), e.g. 100B, 4KiB or 1GiB");
  };
  if (!split_number(text, &v, &unit) || v < 0) return error();
  static const std::pair<std::string_view, double> kUnits[] = {{"", 1},
                                                               {"b", 1},
                                                               {"kib", 1024.0},
                                                               {"mib", 1048576.0},
                                                               {"gib", 1073741824.0},
                                                               {"tib", 1099511627776.0},
                                                               {"kb", 1e3},
                                                               {"mb", 1e6},
                                                               {"gb", 1e9},
                                                               {"tb", 1e12}};
  const std::string u = lower(unit);
  for (const auto& [name, scale] : kUnits) {
    if (u == name) {
      const double total = v * scale;
      if (total != std::floor(total) || total > 1.8e19) return error();
      return static_cast<std::uint64_t>(total);
    }
  }
  return error();
}

Result<double> parse_duration(std::string_view key, std::string_view text) {
  double v = 0;
  std::string unit;
  const auto error = [&] {
    return make_error(Status::InvalidArgument,
                      std::string(key) + ": '" + std::string(text) +
                          "' is not a duration; write a number with ms, s, min or h, e.g. 5s or "
                          "500ms");
  };
  if (!split_number(text, &v, &unit) || v < 0) return error();
  if (unit == "us") return v * 1e-6;
  if (unit == "ms") return v * 1e-3;
  if (unit == "s") return v;
  if (unit == "min" || unit == "m") return v * 60;
  if (unit == "h") return v * 3600;
  if (unit.empty() && v == 0) return 0.0;
  return error();
}

}  // namespace rskv::bench
