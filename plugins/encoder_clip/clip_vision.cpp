// CLIP vision tower, as Hugging Face's CLIPVisionTransformer computes it:
//   patches = conv(pixels, patch_embedding, stride = patch)           // f32 [grid^2, D], no bias
//   x = concat(class_embedding, patches) + position_embedding        // f32 [1 + grid^2, D]
//   x = pre_layrnorm(x); hidden[0] = x
//   per layer: x += out_proj(attn(layer_norm1(x))); x += fc2(act(fc1(layer_norm2(x)))); hidden[i+1] = x
//   last_hidden_state = x (not normed); pooled = post_layernorm(x[0]); embeds = visual_projection(pooled)
#include "clip_vision.hpp"

#include <facet/nn.hpp>

#include "../common/hf_config.hpp"
#include "../common/weight_shape.hpp"
#include "clip_layer.hpp"

namespace facet::plugins {

using sdk::Desc;
using sdk::Error;
using sdk::Tensor;
namespace nn = sdk::nn;

namespace {

// The vision config for each folder kind that carries a CLIP tower.
HfConfig vision_config_of(const HfConfig& root) {
  const std::string type = root.get_string("model_type", "");
  if (type == "clip_vision_model") return root;
  if (type == "clip" || type == "llava" || type == "kosmos-2") return root.sub("vision_config");
  throw Error("config.json: model_type '" + type + "' is not a CLIP model (clip, clip_vision_model, llava, kosmos-2)");
}

}  // namespace

ClipVision::ClipVision(const sdk::StageConfig& cfg) : w_(cfg.weights()) {
  if (!w_.present()) throw Error("encoder_clip needs weights: a Hugging Face CLIP model folder");
  const HfConfig root = HfConfig::load(w_);
  const HfConfig vc = vision_config_of(root);
  // Kosmos-2's tower (Kosmos2VisionConfig) is CLIP's with other defaults (ViT-L/14).
  const bool kosmos2 = root.get_string("model_type", "") == "kosmos-2";
  const std::string tower = kosmos2 ? "kosmos_2_vision_model" : "clip_vision_model";
  if (vc.has("model_type") && vc.get_string("model_type", "") != tower)
    throw Error("config.json: the vision tower's model_type is '" + vc.get_string("model_type", "") + "', not " + tower);
  // CLIPVisionConfig's (or Kosmos2VisionConfig's) defaults.
  dim_ = vc.get_int("hidden_size", kosmos2 ? 1024 : 768);
  heads_ = vc.get_int("num_attention_heads", kosmos2 ? 16 : 12);
  layers_ = vc.get_int("num_hidden_layers", kosmos2 ? 24 : 12);
  image_ = vc.get_int("image_size", 224);
  patch_ = vc.get_int("patch_size", kosmos2 ? 14 : 32);
  channels_ = vc.get_int("num_channels", 3, 1, 3);
  eps_ = vc.get_positive("layer_norm_eps", 1e-5);
  act_ = vc.get_string("hidden_act", "quick_gelu");
  if (!nn::known_activation(act_)) vc.fail("hidden_act", "'" + act_ + "' is not supported");
  if (dim_ % heads_ != 0) vc.fail("num_attention_heads", "must divide hidden_size");
  if (image_ % patch_ != 0) vc.fail("patch_size", "must divide image_size");

  prefix_ = cfg.get_string("prefix");
  if (prefix_.empty()) {
    for (const char* candidate : {"vision_model.", "vision_tower.vision_model.", "model.vision_tower.vision_tower.vision_model.",
                                  "vision_model.model."})
      if (w_.has(std::string(candidate) + "embeddings.class_embedding")) prefix_ = candidate;
    if (prefix_.empty()) throw Error("no CLIP vision tower in the weights (looked for 'vision_model.embeddings.class_embedding')");
  }
  const int64_t grid = image_ / patch_;
  auto expect = [&](const std::string& name, std::initializer_list<int64_t> dims) { expect_shape(w_, name, dims); };
  expect(p("embeddings.patch_embedding.weight"), {dim_, channels_, patch_, patch_});
  expect(p("embeddings.class_embedding"), {dim_});
  expect(p("embeddings.position_embedding.weight"), {grid * grid + 1, dim_});
  for (int64_t i = 0; i < layers_; ++i) {
    const std::string l = p("encoder.layers." + std::to_string(i) + ".");
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) expect(l + "self_attn." + proj + ".weight", {dim_, dim_});
  }
  projection_ = w_.has("visual_projection.weight") ? w_.desc("visual_projection.weight").dims[0] : 0;
  out_ = VisionOutput::parse(cfg.get_string("output"), cfg.get_string("tokens"), layers_);
  if (out_.kind == VisionOutput::Kind::Embeds && projection_ == 0)
    throw Error("output 'embeds' needs 'visual_projection.weight', which this folder lacks (a CLIPVisionModel); use pooled");
}

std::vector<Desc> ClipVision::infer(const std::vector<Desc>& in) {
  const Desc& px = in[0];
  if (px.dims[0] != channels_) throw Error("pixels have " + std::to_string(px.dims[0]) + " channels, the model " + std::to_string(channels_));
  if (px.dims[1] != image_ || px.dims[2] != image_)
    throw Error("pixels are " + std::to_string(px.dims[1]) + "x" + std::to_string(px.dims[2]) + " but this CLIP model takes " +
                std::to_string(image_) + "x" + std::to_string(image_) + " (its position embeddings are not interpolated)");
  const int64_t patches = (image_ / patch_) * (image_ / patch_);
  if (out_.kind == VisionOutput::Kind::Embeds) return {Desc(FACET_DTYPE_F32, {1, projection_})};
  if (out_.kind == VisionOutput::Kind::Pooled) return {Desc(FACET_DTYPE_F32, {1, dim_})};
  return {Desc(FACET_DTYPE_F32, {out_.rows(1, patches), dim_})};
}

std::vector<Tensor> ClipVision::build(sdk::Graph& g, const std::vector<Tensor>& in) {

  // f32 [grid^2, C*p*p] patches times the conv weight viewed as [D, C*p*p].
  Tensor cols = g.op("im2col", "embeddings.patches", {in[0]},
                     {sdk::attr("kh", patch_), sdk::attr("kw", patch_), sdk::attr("sh", patch_), sdk::attr("sw", patch_)});
  Tensor wpatch = g.weight(w_, p("embeddings.patch_embedding.weight"));
  wpatch = g.reshape(wpatch, Desc(wpatch.desc().dtype, {dim_, channels_ * patch_ * patch_}));
  Tensor x = g.op("matmul", "embeddings.patch_embedding", {cols, wpatch});                     // f32 [grid^2, D]
  Tensor cls = g.reshape(nn::param(g, w_, p("embeddings.class_embedding")), Desc(FACET_DTYPE_F32, {1, dim_}));
  x = g.op("concat", "embeddings.tokens", {cls, x}, {sdk::attr("dim", int64_t{0})});           // f32 [tokens, D]
  x = g.op("add", "embeddings.positions", {x, nn::param(g, w_, p("embeddings.position_embedding.weight"))});
  x = nn::layer_norm(g, w_, p("pre_layrnorm"), x, eps_);

  const int64_t run = out_.kind == VisionOutput::Kind::Hidden ? out_.hidden : layers_;
  const ClipLayerConfig layer{heads_, eps_, act_, false};
  for (int64_t i = 0; i < run; ++i) x = clip_layer(g, w_, p("encoder.layers." + std::to_string(i) + "."), x, layer);
  if (out_.per_token()) return {out_.select(g, x, 1, "select")};
  Tensor cls_out = g.op("slice", "pooled.cls", {x}, {sdk::attr("dim", int64_t{0}), sdk::attr("start", int64_t{0}), sdk::attr("end", int64_t{1})});
  Tensor pooled = nn::layer_norm(g, w_, p("post_layernorm"), cls_out, eps_);                    // f32 [1, D]
  if (out_.kind == VisionOutput::Kind::Pooled) return {pooled};
  return {g.op("matmul", "visual_projection", {pooled, g.weight(w_, "visual_projection.weight")})};  // f32 [1, proj]
}

}  // namespace facet::plugins
