#include "experiments/rskv-bench/config_tree.h"

#include <yaml-cpp/yaml.h>

#include "experiments/rskv-bench/config_keys.h"
#include "experiments/rskv-bench/config_text.h"

namespace rskv::bench::config_detail {

Json to_json(const YAML::Node& node, const std::string& path, Lines* lines) {
  if (lines && !path.empty() && node.Mark().line >= 0) {
    lines->by_path.emplace(path, node.Mark().line + 1);
  }
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return node.Scalar();
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (std::size_t i = 0; i < node.size(); ++i) {
        arr.push_back(to_json(node[i], path + "[" + std::to_string(i) + "]", lines));
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) fail(path + ": map keys must be plain names");
        const std::string key = kv.first.Scalar();
        if (obj.contains(key)) {
          fail((path.empty() ? key : path + "." + key) + " is given twice" +
               (lines ? " (line " + std::to_string(kv.first.Mark().line + 1) + ")" : ""));
        }
        obj[key] = to_json(kv.second, path.empty() ? key : path + "." + key, lines);
      }
      return obj;
    }
  }
  return nullptr;
}

Json parse_yaml(std::string_view text, std::string_view what, Lines* lines) {
  try {
    return to_json(YAML::Load(std::string(text)), "", lines);
  } catch (const YAML::Exception& e) {
    fail(std::string(what) + " is not valid YAML: " + e.what());
  }
}

std::vector<std::string> split_dots(std::string_view key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    parts.emplace_back(key.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

const Json* lookup(const Json& doc, std::string_view key) {
  const Json* cur = &doc;
  for (const auto& part : split_dots(key)) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(part);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

void assign(Json& doc, std::string_view key, Json value) {
  Json* cur = &doc;
  auto parts = split_dots(key);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    Json& next = (*cur)[parts[i]];
    if (next.is_null()) next = Json::object();
    if (!next.is_object()) fail(std::string(key) + ": '" + parts[i] + "' is not a map");
    cur = &next;
  }
  (*cur)[parts.back()] = std::move(value);
}

void erase(Json& doc, std::string_view key) {
  auto parts = split_dots(key);
  Json* cur = &doc;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!cur->is_object() || !cur->contains(parts[i])) return;
    cur = &(*cur)[parts[i]];
  }
  if (cur->is_object()) cur->erase(parts.back());
}

void set_key(Json& doc, std::string_view key, Json value) {
  for (const auto& [a, b] : kExclusive) {
    if (key == a) erase(doc, b);
    if (key == b) erase(doc, a);
  }
  assign(doc, key, std::move(value));
}

std::string show(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "(empty)";
  return v.dump();
}

}  // namespace rskv::bench::config_detail
