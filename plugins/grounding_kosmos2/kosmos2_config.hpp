// The fields of a Kosmos-2 config.json (Kosmos2Config) that the text decoder and the image-to-text
// connector read, with Kosmos2TextConfig's and Kosmos2VisionConfig's defaults.
#pragma once

#include <facet/nn.hpp>

#include <string>

#include "../common/hf_config.hpp"

namespace facet::plugins {

struct Kosmos2Config {
  // text_config
  int64_t dim = 2048, layers = 24, heads = 32, ffn = 8192, vocab = 65037, max_positions = 2048, pad = 1;
  double eps = 1e-5;
  std::string act = "gelu";
  bool scale_embedding = true;
  // vision_config (the connector reads the tower's width and its post_layernorm epsilon)
  int64_t vision_dim = 1024;
  double vision_eps = 1e-5;
  int64_t latents = 64;  // latent_query_num

  // Throws naming config.json and the field when the folder is not a Kosmos-2 one.
  static Kosmos2Config load(const sdk::Weights& w) {
    const HfConfig root = HfConfig::load(w);
    const std::string type = root.get_string("model_type", "");
    if (type != "kosmos-2") throw sdk::Error("config.json: model_type '" + type + "' is not a Kosmos-2 model (kosmos-2)");
    const HfConfig t = root.sub("text_config"), v = root.sub("vision_config");
    Kosmos2Config c;
    c.dim = t.get_int("embed_dim", c.dim);
    c.layers = t.get_int("layers", c.layers);
    c.heads = t.get_int("attention_heads", c.heads);
    c.ffn = t.get_int("ffn_dim", c.ffn);
    c.vocab = t.get_int("vocab_size", c.vocab);
    c.max_positions = t.get_int("max_position_embeddings", c.max_positions);
    c.pad = t.get_int("pad_token_id", c.pad, 0);
    c.eps = t.get_positive("layer_norm_eps", c.eps);
    c.act = t.get_string("activation_function", c.act);
    c.scale_embedding = t.get_bool("scale_embedding", c.scale_embedding);
    c.vision_dim = v.get_int("hidden_size", c.vision_dim);
    c.vision_eps = v.get_positive("layer_norm_eps", c.vision_eps);
    c.latents = root.get_int("latent_query_num", c.latents);
    if (!sdk::nn::known_activation(c.act)) t.fail("activation_function", "'" + c.act + "' is not supported");
    if (c.dim % c.heads != 0) t.fail("attention_heads", "must divide embed_dim");
    if (c.dim < 4) t.fail("embed_dim", "must be at least 4 (sinusoidal positions)");
    if (c.dim / c.heads > 256) t.fail("attention_heads", "leave heads of at most 256 (embed_dim / attention_heads)");
    return c;
  }
};

}  // namespace facet::plugins
