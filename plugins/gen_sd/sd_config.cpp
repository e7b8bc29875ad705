#include "sd_config.hpp"

#include <nlohmann/json.hpp>

#include "../common/hf_config.hpp"

namespace facet::plugins::sd {

namespace {

nlohmann::json config_json(const sdk::Weights& w) {
  if (!w.present()) throw sdk::Error("gen_sd needs weights: a diffusers unet/ or vae/ folder");
  (void)HfConfig::load(w);  // the file exists and is a JSON object
  std::string text;
  w.file("config.json", &text);
  return nlohmann::json::parse(text);
}

// A list of positive integers, or one integer repeated `n` times.
std::vector<int64_t> int_list(const nlohmann::json& j, const HfConfig& c, const std::string& key, size_t n) {
  const nlohmann::json& v = j.at(key);
  if (v.is_number_integer()) return std::vector<int64_t>(n, v.get<int64_t>());
  if (!v.is_array() || v.size() != n) c.fail(key, "must be an integer or a list of " + std::to_string(n));
  std::vector<int64_t> out;
  for (const auto& e : v) {
    if (!e.is_number_integer() || e.get<int64_t>() < 1) c.fail(key, "must hold positive integers");
    out.push_back(e.get<int64_t>());
  }
  return out;
}

// A list of block types; `fallback` (the class default) when absent.
std::vector<std::string> string_list(const nlohmann::json& j, const HfConfig& c, const std::string& key,
                                     std::vector<std::string> fallback) {
  if (!c.has(key)) return fallback;
  if (!j[key].is_array()) c.fail(key, "must be a list of block types");
  std::vector<std::string> out;
  for (const auto& e : j[key]) {
    if (!e.is_string()) c.fail(key, "must hold strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::vector<int64_t> channels_of(const nlohmann::json& j, const HfConfig& c, std::vector<int64_t> fallback) {
  if (!c.has("block_out_channels")) return fallback;
  if (!j["block_out_channels"].is_array() || j["block_out_channels"].empty()) c.fail("block_out_channels", "must be a non-empty list");
  return int_list(j, c, "block_out_channels", j["block_out_channels"].size());
}

}  // namespace

UnetConfig UnetConfig::load(const sdk::Weights& w) {
  const nlohmann::json j = config_json(w);
  const HfConfig c(j, "unet config.json");
  UnetConfig u;
  u.channels = channels_of(j, c, {320, 640, 1280, 1280});
  const size_t n = u.channels.size();
  const auto down = string_list(j, c, "down_block_types", {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"});
  const auto up = string_list(j, c, "up_block_types", {"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"});
  if (down.size() != n || up.size() != n) c.fail("down_block_types", "and up_block_types must have one entry per block_out_channels");
  for (size_t i = 0; i < n; ++i) {
    if (down[i] != "CrossAttnDownBlock2D" && down[i] != "DownBlock2D")
      c.fail("down_block_types", "'" + down[i] + "' is not supported (CrossAttnDownBlock2D, DownBlock2D)");
    if (up[i] != "CrossAttnUpBlock2D" && up[i] != "UpBlock2D")
      c.fail("up_block_types", "'" + up[i] + "' is not supported (CrossAttnUpBlock2D, UpBlock2D)");
    u.cross_down.push_back(down[i] == "CrossAttnDownBlock2D");
    u.cross_up.push_back(up[i] == "CrossAttnUpBlock2D");
  }
  const std::string mid = c.get_string("mid_block_type", "UNetMidBlock2DCrossAttn");
  if (mid != "UNetMidBlock2DCrossAttn") c.fail("mid_block_type", "'" + mid + "' is not supported (UNetMidBlock2DCrossAttn)");
  // diffusers' naming quirk: without num_attention_heads, attention_head_dim holds the head count.
  const std::string heads_key = c.has("num_attention_heads") ? "num_attention_heads" : "attention_head_dim";
  u.heads = c.has(heads_key) ? int_list(j, c, heads_key, n) : std::vector<int64_t>(n, 8);
  for (size_t i = 0; i < n; ++i)
    if (u.channels[i] % u.heads[i] != 0) c.fail(heads_key, "does not divide block_out_channels at level " + std::to_string(i));
  u.layers = c.get_int("layers_per_block", 2);
  u.in_channels = c.get_int("in_channels", 4);
  u.out_channels = c.get_int("out_channels", 4);
  u.cross_dim = c.get_int("cross_attention_dim", 1280);
  u.groups = c.get_int("norm_num_groups", 32);
  u.eps = c.get_positive("norm_eps", 1e-5);
  u.linear_projection = c.get_bool("use_linear_projection", false);
  u.flip_sin_to_cos = c.get_bool("flip_sin_to_cos", true);
  u.freq_shift = c.get_float("freq_shift", 0);
  for (int64_t ch : u.channels)
    if (ch % u.groups != 0) c.fail("norm_num_groups", "must divide every block_out_channels entry");
  if (c.get_int("transformer_layers_per_block", 1) != 1) c.fail("transformer_layers_per_block", "other than 1 is not supported");
  if (c.has("class_embed_type") || c.has("addition_embed_type"))
    c.fail(c.has("class_embed_type") ? "class_embed_type" : "addition_embed_type", "is not supported (SD 1.x / 2.x UNets only)");
  return u;
}

VaeConfig VaeConfig::load(const sdk::Weights& w) {
  const nlohmann::json j = config_json(w);
  const HfConfig c(j, "vae config.json");
  VaeConfig v;
  v.channels = channels_of(j, c, {64});
  v.layers = c.get_int("layers_per_block", 1);
  v.in_channels = c.get_int("in_channels", 3);
  v.out_channels = c.get_int("out_channels", 3);
  v.latent = c.get_int("latent_channels", 4);
  v.groups = c.get_int("norm_num_groups", 32);
  v.scaling_factor = c.get_positive("scaling_factor", 0.18215);
  for (int64_t ch : v.channels)
    if (ch % v.groups != 0) c.fail("norm_num_groups", "must divide every block_out_channels entry");
  return v;
}

}  // namespace facet::plugins::sd
