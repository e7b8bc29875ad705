// Reading a Hugging Face config.json inside a plugin: typed fields with the config class's
// defaults when absent, and errors that name the file and the field.
#pragma once

#include <facet/plugin.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

namespace facet::plugins {

class HfConfig {
 public:
  HfConfig() = default;
  HfConfig(nlohmann::json j, std::string where) : j_(std::move(j)), where_(std::move(where)) {}

  // config.json of the stage's model folder; throws when it is absent or not a JSON object.
  static HfConfig load(const sdk::Weights& weights) {
    std::string text;
    if (!weights.file("config.json", &text)) throw sdk::Error("the model folder has no config.json");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const std::exception& e) {
      throw sdk::Error(std::string("config.json is not valid JSON: ") + e.what());
    }
    if (!j.is_object()) throw sdk::Error("config.json is not a JSON object");
    return HfConfig(std::move(j), "config.json");
  }

  bool has(const std::string& key) const { return j_.contains(key) && !j_[key].is_null(); }
  // A nested config ("vision_config"); an empty one (all defaults) when absent.
  HfConfig sub(const std::string& key) const {
    if (!has(key)) return HfConfig(nlohmann::json::object(), where_ + " " + key);
    if (!j_[key].is_object()) fail(key, "must be an object");
    return HfConfig(j_[key], where_ + " " + key);
  }
  int64_t get_int(const std::string& key, int64_t fallback, int64_t lo = 1, int64_t hi = int64_t{1} << 31) const {
    if (!has(key)) return fallback;
    if (!j_[key].is_number_integer()) fail(key, "must be an integer");
    int64_t v = j_[key].get<int64_t>();
    if (v < lo || v > hi) fail(key, "must be in " + std::to_string(lo) + ".." + std::to_string(hi));
    return v;
  }
  double get_float(const std::string& key, double fallback) const {
    if (!has(key)) return fallback;
    if (!j_[key].is_number()) fail(key, "must be a number");
    const double v = j_[key].get<double>();
    if (!std::isfinite(v)) fail(key, "must be finite");
    return v;
  }
  // A number > 0 (epsilons, rope bases, scales): zero or a negative value would silently give
  // NaN or empty outputs.
  double get_positive(const std::string& key, double fallback) const {
    const double v = get_float(key, fallback);
    if (!(v > 0)) fail(key, "must be a positive number, got " + std::to_string(v));
    return v;
  }
  bool get_bool(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!j_[key].is_boolean()) fail(key, "must be true or false");
    return j_[key].get<bool>();
  }
  std::string get_string(const std::string& key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    if (!j_[key].is_string()) fail(key, "must be a string");
    return j_[key].get<std::string>();
  }
  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw sdk::Error(where_ + ": field '" + key + "' " + why);
  }

 private:
  nlohmann::json j_ = nlohmann::json::object();
  std::string where_;
};

}  // namespace facet::plugins
