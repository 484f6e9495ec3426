#pragma once
// The tree a config is read into: YAML parsed by yaml-cpp and copied into a JSON value
// (nlohmann ordered_json, value semantics) whose scalars stay text until a key's parser
// reads them, plus the line of each dotted path for error messages. --set and sweep
// values are written into this tree before the typed cells are parsed.
// Internal to experiments/rskv-bench.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace YAML {
class Node;
}

namespace rskv::bench::config_detail {

using Json = nlohmann::ordered_json;

struct Lines {
  std::map<std::string, int> by_path;  // dotted path -> 1-based line in the file
  [[nodiscard]] std::string at(const std::string& path) const {
    auto it = by_path.find(path);
    return it == by_path.end() ? std::string() : " (line " + std::to_string(it->second) + ")";
  }
};

/// Copies a YAML node (scalars as strings), recording lines when `lines` is given.
Json to_json(const YAML::Node& node, const std::string& path, Lines* lines);
/// Parses YAML text; `what` names it in the error ("configs/x.yaml", "--set ... value").
Json parse_yaml(std::string_view text, std::string_view what, Lines* lines);
std::vector<std::string> split_dots(std::string_view key);
/// The value at a dotted path, or nullptr.
const Json* lookup(const Json& doc, std::string_view key);
/// Sets a dotted path, creating maps on the way.
void assign(Json& doc, std::string_view key, Json value);
void erase(Json& doc, std::string_view key);
/// Sets key (from --set or a sweep) and drops the key it excludes (kExclusive).
void set_key(Json& doc, std::string_view key, Json value);
/// A value as an error message shows it.
std::string show(const Json& v);

}  // namespace rskv::bench::config_detail
