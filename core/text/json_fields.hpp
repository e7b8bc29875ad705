// Small helpers for reading tokenizer files: typed optional fields with errors naming the
// component and field.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace facet::text {

inline bool json_bool(const nlohmann::json& j, const char* key, bool fallback, const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_boolean()) throw InputError(where + ": field \"" + key + "\" must be true or false");
  return j[key].get<bool>();
}

inline std::string json_string(const nlohmann::json& j, const char* key, const std::string& fallback,
                               const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_string()) throw InputError(where + ": field \"" + key + "\" must be a string");
  return j[key].get<std::string>();
}

inline std::string json_type(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(where + " must be an object");
  return json_string(j, "type", "", where);
}

// The "vocab" object of a tokenizer model ({"token": id, ...}) as tokens indexed by id; ids that
// no token has stay "" (gaps).
inline std::vector<std::string> vocab_from_json(const nlohmann::json& m, const std::string& where) {
  if (!m.contains("vocab") || !m["vocab"].is_object()) throw InputError(where + ": field \"vocab\" must be an object");
  int64_t max_id = -1;
  for (const auto& [tok, id] : m["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= (int64_t{1} << 24))
      throw InputError(where + ": vocab entry \"" + tok + "\" has no valid id");
    max_id = std::max<int64_t>(max_id, id.get<int64_t>());
  }
  std::vector<std::string> tokens(static_cast<size_t>(max_id + 1));
  for (const auto& [tok, id] : m["vocab"].items()) {
    std::string& slot = tokens[id.get<size_t>()];
    if (!slot.empty())
      throw InputError(where + ": id " + std::to_string(id.get<int64_t>()) + " is given to \"" + slot + "\" and \"" + tok + "\"");
    slot = tok;
  }
  return tokens;
}

}  // namespace facet::text
