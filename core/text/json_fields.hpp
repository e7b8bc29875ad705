// Small helpers for reading tokenizer files: typed optional fields with errors naming the
// component and field.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

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

}  // namespace facet::text
