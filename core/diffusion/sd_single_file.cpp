#include "diffusion/sd_single_file.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "util/error.hpp"

namespace facet::diffusion {

namespace {

const char* const kUnet = "model.diffusion_model.";
const char* const kVae = "first_stage_model.";
const char* const kClip = "cond_stage_model.transformer.";
const char* const kOpenClip = "cond_stage_model.model.";

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// The checkpoint's tensors and metadata, with the errors that name the file.
struct Source {
  std::string path;
  std::shared_ptr<const io::WeightSet> set;
  std::set<std::string> names;

  bool has(const std::string& n) const { return names.count(n) != 0; }
  TensorDesc desc(const std::string& n) const {
    auto t = set->find(n);
    if (!t) throw InputError("single-file checkpoint '" + path + "' has no tensor '" + n + "'");
    return t->desc;
  }
  int64_t dim(const std::string& n, int i) const {
    const TensorDesc d = desc(n);
    if (i >= static_cast<int>(d.rank)) throw InputError("tensor '" + n + "' in '" + path + "' has rank " + std::to_string(d.rank));
    return d.dims[i];
  }
  std::optional<int64_t> meta_int(const std::string& key) const {
    auto it = set->metadata().find(key);
    if (it == set->metadata().end()) return std::nullopt;
    try {
      size_t used = 0;
      const long long v = std::stoll(it->second, &used);
      if (used == it->second.size() && v > 0 && v <= (1 << 20)) return v;
    } catch (const std::exception&) {
    }
    throw InputError("'" + path + "': metadata '" + key + "' is '" + it->second + "', not a positive integer");
  }
  std::optional<double> meta_double(const std::string& key) const {
    auto it = set->metadata().find(key);
    if (it == set->metadata().end()) return std::nullopt;
    try {
      size_t used = 0;
      const double v = std::stod(it->second, &used);
      if (used == it->second.size() && v > 0 && v < 1e6) return v;
    } catch (const std::exception&) {
    }
    throw InputError("'" + path + "': metadata '" + key + "' is '" + it->second + "', not a positive number");
  }
  // Counts n = 0, 1, ... while prefix + n + "." starts some tensor name.
  int64_t count(const std::string& prefix) const {
    int64_t n = 0;
    while (true) {
      const std::string p = prefix + std::to_string(n) + ".";
      auto it = names.lower_bound(p);
      if (it == names.end() || !starts_with(*it, p)) return n;
      ++n;
    }
  }
};

struct Views {
  std::vector<io::TensorView> tensors;
  std::set<std::string> used;  // source names taken
  void add(const std::string& name, const std::string& source) {
    tensors.push_back({name, source});
    used.insert(source);
  }
  // Every tensor under `from` (an LDM prefix) as `to` + the rest of its name.
  void add_prefix(const Source& s, const std::string& from, const std::string& to) {
    for (auto it = s.names.lower_bound(from); it != s.names.end() && starts_with(*it, from); ++it)
      add(to + it->substr(from.size()), *it);
  }
};

// ---------------------------------------------------------------------------------------------
// UNet.

const std::map<std::string, std::string> kResnet = {{"in_layers.0", "norm1"},     {"in_layers.2", "conv1"},
                                                    {"emb_layers.1", "time_emb_proj"}, {"out_layers.0", "norm2"},
                                                    {"out_layers.3", "conv2"},   {"skip_connection", "conv_shortcut"}};

void add_resnet(Views& v, const Source& s, const std::string& from, const std::string& to) {
  for (const auto& [ldm, ours] : kResnet)
    for (const char* leaf : {".weight", ".bias"})
      if (s.has(from + ldm + leaf)) v.add(to + ours + leaf, from + ldm + leaf);
}

nlohmann::json unet_views(const Source& s, bool openclip, Views& v, int64_t& sample_size, Prediction prediction) {
  const std::string u = kUnet;
  auto in = [&](int64_t k) { return u + "input_blocks." + std::to_string(k) + "."; };
  auto out = [&](int64_t k) { return u + "output_blocks." + std::to_string(k) + "."; };
  if (!s.has(in(0) + "0.weight")) throw InputError("single-file checkpoint '" + s.path + "' has no UNet (" + in(0) + "0.weight)");
  const int64_t n_in = s.count(u + "input_blocks."), n_out = s.count(u + "output_blocks.");

  // Levels: resnets until a downsampler (k.0.op); the last level has none.
  std::vector<int64_t> per_level;
  int64_t resnets = 0;
  for (int64_t k = 1; k < n_in; ++k) {
    if (s.has(in(k) + "0.op.weight")) {
      per_level.push_back(resnets);
      resnets = 0;
    } else {
      ++resnets;
    }
  }
  per_level.push_back(resnets);
  const int64_t levels = static_cast<int64_t>(per_level.size()), layers = per_level[0];
  for (int64_t r : per_level)
    if (r != layers || r < 1)
      throw InputError("single-file checkpoint '" + s.path + "': UNet levels with different numbers of ResNet blocks are not supported");
  if (n_out != levels * (layers + 1))
    throw InputError("single-file checkpoint '" + s.path + "': " + std::to_string(n_out) + " UNet output blocks, expected " +
                     std::to_string(levels * (layers + 1)));

  std::vector<int64_t> channels;
  std::vector<std::string> down_types, up_types;
  std::optional<std::string> any_attention;
  for (int64_t i = 0, k = 1; i < levels; ++i) {
    const std::string base = "down_blocks." + std::to_string(i) + ".";
    channels.push_back(s.dim(in(k) + "0.out_layers.3.weight", 0));
    const bool attn = s.has(in(k) + "1.proj_in.weight");
    down_types.push_back(attn ? "CrossAttnDownBlock2D" : "DownBlock2D");
    for (int64_t j = 0; j < layers; ++j, ++k) {
      add_resnet(v, s, in(k) + "0.", base + "resnets." + std::to_string(j) + ".");
      if (attn) {
        any_attention = in(k) + "1.";
        v.add_prefix(s, in(k) + "1.", base + "attentions." + std::to_string(j) + ".");
      }
    }
    if (i + 1 < levels) {
      for (const char* leaf : {"weight", "bias"})
        v.add(base + "downsamplers.0.conv." + leaf, in(k) + "0.op." + leaf);
      ++k;
    }
  }
  for (int64_t i = 0, k = 0; i < levels; ++i) {
    const std::string base = "up_blocks." + std::to_string(i) + ".";
    const bool attn = s.has(out(k) + "1.proj_in.weight");
    up_types.push_back(attn ? "CrossAttnUpBlock2D" : "UpBlock2D");
    for (int64_t j = 0; j <= layers; ++j, ++k) {
      add_resnet(v, s, out(k) + "0.", base + "resnets." + std::to_string(j) + ".");
      if (attn) v.add_prefix(s, out(k) + "1.", base + "attentions." + std::to_string(j) + ".");
      if (j == layers && i + 1 < levels)
        for (const char* leaf : {"weight", "bias"})
          v.add(base + "upsamplers.0.conv." + leaf, out(k) + (attn ? "2" : "1") + ".conv." + leaf);
    }
  }
  add_resnet(v, s, u + "middle_block.0.", "mid_block.resnets.0.");
  v.add_prefix(s, u + "middle_block.1.", "mid_block.attentions.0.");
  add_resnet(v, s, u + "middle_block.2.", "mid_block.resnets.1.");
  for (const auto& [ldm, ours] : std::map<std::string, std::string>{{"time_embed.0", "time_embedding.linear_1"},
                                                                     {"time_embed.2", "time_embedding.linear_2"},
                                                                     {"input_blocks.0.0", "conv_in"},
                                                                     {"out.0", "conv_norm_out"},
                                                                     {"out.2", "conv_out"}})
    for (const char* leaf : {".weight", ".bias"}) v.add(ours + leaf, u + ldm + leaf);
  for (auto it = s.names.lower_bound(u); it != s.names.end() && starts_with(*it, u); ++it)
    if (!v.used.count(*it))
      throw InputError("single-file checkpoint '" + s.path + "': UNet tensor '" + *it +
                       "' has no place in an SD 1.x / 2.x UNet (SDXL and other layouts are not supported)");
  const std::string attn = any_attention.value_or(u + "middle_block.1.");

  std::vector<int64_t> heads;
  const auto num_heads = s.meta_int("ldm.unet.num_heads"), head_channels = s.meta_int("ldm.unet.num_head_channels");
  for (int64_t ch : channels) {
    if (num_heads) heads.push_back(*num_heads);
    else if (head_channels || openclip) {
      const int64_t hc = head_channels.value_or(64);
      if (ch % hc != 0) throw InputError("'" + s.path + "': UNet width " + std::to_string(ch) + " is not a multiple of " + std::to_string(hc) + " channels per head");
      heads.push_back(ch / hc);
    } else {
      heads.push_back(8);
    }
  }
  sample_size = s.meta_int("ldm.unet.sample_size").value_or(openclip && prediction == Prediction::VPrediction ? 96 : 64);
  return {{"_class_name", "UNet2DConditionModel"},
          {"act_fn", "silu"},
          {"attention_head_dim", heads},
          {"block_out_channels", channels},
          {"cross_attention_dim", s.dim(attn + "transformer_blocks.0.attn2.to_k.weight", 1)},
          {"down_block_types", down_types},
          {"up_block_types", up_types},
          {"flip_sin_to_cos", true},
          {"freq_shift", 0},
          {"in_channels", s.dim(u + "input_blocks.0.0.weight", 1)},
          {"out_channels", s.dim(u + "out.2.weight", 0)},
          {"layers_per_block", layers},
          {"norm_eps", 1e-5},
          {"norm_num_groups", s.meta_int("ldm.unet.norm_num_groups").value_or(32)},
          {"sample_size", sample_size},
          {"transformer_layers_per_block", s.count(attn + "transformer_blocks.")},
          {"use_linear_projection", s.desc(attn + "proj_in.weight").rank == 2}};
}

// ---------------------------------------------------------------------------------------------
// VAE.

void add_vae_resnet(Views& v, const Source& s, const std::string& from, const std::string& to) {
  for (const char* part : {"norm1", "conv1", "norm2", "conv2", "nin_shortcut"})
    for (const char* leaf : {".weight", ".bias"})
      if (s.has(from + part + leaf))
        v.add(to + (std::string(part) == "nin_shortcut" ? "conv_shortcut" : part) + leaf, from + part + leaf);
}

nlohmann::json vae_views(const Source& s, Views& v) {
  const std::string f = kVae;
  if (!s.has(f + "decoder.conv_in.weight"))
    throw InputError("single-file checkpoint '" + s.path + "' has no VAE (" + f + "decoder.conv_in.weight)");
  const int64_t levels = s.count(f + "encoder.down."), layers = s.count(f + "encoder.down.0.block.");
  if (levels < 1 || layers < 1) throw InputError("single-file checkpoint '" + s.path + "' has no VAE encoder blocks");
  std::vector<int64_t> channels;
  for (int64_t l = 0; l < levels; ++l) {
    const std::string L = std::to_string(l), U = std::to_string(levels - 1 - l);
    channels.push_back(s.dim(f + "encoder.down." + L + ".block.0.conv1.weight", 0));
    for (int64_t j = 0; j < layers; ++j)
      add_vae_resnet(v, s, f + "encoder.down." + L + ".block." + std::to_string(j) + ".",
                     "encoder.down_blocks." + L + ".resnets." + std::to_string(j) + ".");
    for (int64_t j = 0; j <= layers; ++j)
      add_vae_resnet(v, s, f + "decoder.up." + L + ".block." + std::to_string(j) + ".",
                     "decoder.up_blocks." + U + ".resnets." + std::to_string(j) + ".");
    v.add_prefix(s, f + "encoder.down." + L + ".downsample.", "encoder.down_blocks." + L + ".downsamplers.0.");
    v.add_prefix(s, f + "decoder.up." + L + ".upsample.", "decoder.up_blocks." + U + ".upsamplers.0.");
  }
  for (const char* side : {"encoder", "decoder"}) {
    const std::string from = f + side + ".", to = std::string(side) + ".";
    for (const char* part : {"conv_in", "conv_out"}) v.add_prefix(s, from + part + ".", to + part + ".");
    v.add_prefix(s, from + "norm_out.", to + "conv_norm_out.");
    add_vae_resnet(v, s, from + "mid.block_1.", to + "mid_block.resnets.0.");
    add_vae_resnet(v, s, from + "mid.block_2.", to + "mid_block.resnets.1.");
    const std::string a = from + "mid.attn_1.", ours = to + "mid_block.attentions.0.";
    for (const auto& [ldm, name] : std::map<std::string, std::string>{
             {"norm", "group_norm"}, {"q", "to_q"}, {"k", "to_k"}, {"v", "to_v"}, {"proj_out", "to_out.0"}}) {
      for (const char* leaf : {".weight", ".bias"}) {
        if (!s.has(a + ldm + leaf)) continue;
        io::TensorView t{ours + name + leaf, a + ldm + leaf};
        const TensorDesc d = s.desc(t.source);
        if (ldm != "norm" && d.rank == 4) t.shape = {d.dims[0], d.dims[1]};  // a 1x1 conv as a matrix
        v.tensors.push_back(t);
        v.used.insert(t.source);
      }
    }
  }
  for (const char* conv : {"quant_conv", "post_quant_conv"}) v.add_prefix(s, f + conv + ".", std::string(conv) + ".");
  for (auto it = s.names.lower_bound(f); it != s.names.end() && starts_with(*it, f); ++it)
    if (!v.used.count(*it) && it->find(".loss.") == std::string::npos && !starts_with(*it, f + "loss."))
      throw InputError("single-file checkpoint '" + s.path + "': VAE tensor '" + *it + "' has no place in an AutoencoderKL");
  return {{"_class_name", "AutoencoderKL"},
          {"act_fn", "silu"},
          {"block_out_channels", channels},
          {"down_block_types", std::vector<std::string>(static_cast<size_t>(levels), "DownEncoderBlock2D")},
          {"up_block_types", std::vector<std::string>(static_cast<size_t>(levels), "UpDecoderBlock2D")},
          {"in_channels", s.dim(f + "encoder.conv_in.weight", 1)},
          {"out_channels", s.dim(f + "decoder.conv_out.weight", 0)},
          {"latent_channels", s.dim(f + "decoder.conv_in.weight", 1)},
          {"layers_per_block", layers},
          {"norm_num_groups", s.meta_int("ldm.vae.norm_num_groups").value_or(32)},
          {"scaling_factor", s.meta_double("ldm.vae.scaling_factor").value_or(0.18215)}};
}

// ---------------------------------------------------------------------------------------------
// Text encoder.

nlohmann::json text_views(const Source& s, bool openclip, Views& v) {
  std::string token, position, fc1, prefix;
  int64_t layers = 0;
  if (!openclip) {
    prefix = std::string(kClip) + "text_model.";
    for (auto it = s.names.lower_bound(kClip); it != s.names.end() && starts_with(*it, kClip); ++it)
      if (it->find("position_ids") == std::string::npos) v.add(it->substr(std::string(kClip).size()), *it);
    token = prefix + "embeddings.token_embedding.weight";
    position = prefix + "embeddings.position_embedding.weight";
    layers = s.count(prefix + "encoder.layers.");
    fc1 = prefix + "encoder.layers.0.mlp.fc1.weight";
  } else {
    const std::string o = kOpenClip, r = o + "transformer.resblocks.";
    token = o + "token_embedding.weight";
    position = o + "positional_embedding";
    layers = s.count(r);
    fc1 = r + "0.mlp.c_fc.weight";
    const int64_t d = s.dim(token, 1);
    v.add("text_model.embeddings.token_embedding.weight", token);
    v.add("text_model.embeddings.position_embedding.weight", position);
    v.add_prefix(s, o + "ln_final.", "text_model.final_layer_norm.");
    for (int64_t i = 0; i < layers; ++i) {
      const std::string from = r + std::to_string(i) + ".", to = "text_model.encoder.layers." + std::to_string(i) + ".";
      for (const auto& [ldm, ours] : std::map<std::string, std::string>{{"ln_1", "layer_norm1"}, {"ln_2", "layer_norm2"},
                                                                         {"mlp.c_fc", "mlp.fc1"}, {"mlp.c_proj", "mlp.fc2"},
                                                                         {"attn.out_proj", "self_attn.out_proj"}})
        v.add_prefix(s, from + ldm + ".", to + ours + ".");
      for (const char* leaf : {"weight", "bias"}) {
        const std::string fused = from + "attn.in_proj_" + leaf;
        if (s.dim(fused, 0) != 3 * d)
          throw InputError("tensor '" + fused + "' in '" + s.path + "' has " + std::to_string(s.dim(fused, 0)) + " rows, not 3 x " + std::to_string(d));
        const char* qkv[] = {"q_proj", "k_proj", "v_proj"};
        for (int64_t k = 0; k < 3; ++k) {
          v.tensors.push_back({to + "self_attn." + qkv[k] + "." + leaf, fused, k * d, (k + 1) * d});
          v.used.insert(fused);
        }
      }
    }
  }
  if (layers < 1) throw InputError("single-file checkpoint '" + s.path + "' has no text encoder layers");
  const int64_t hidden = s.dim(token, 1), vocab = s.dim(token, 0);
  const int64_t heads = s.meta_int("ldm.text.num_heads").value_or(hidden / 64);
  if (heads < 1 || hidden % heads != 0)
    throw InputError("'" + s.path + "': text width " + std::to_string(hidden) + " does not split into " + std::to_string(heads) + " heads");
  // Token ids only matter for pooling, which SD does not use: CLIP's layout puts BOS and EOS last.
  return {{"architectures", {"CLIPTextModel"}},
          {"model_type", "clip_text_model"},
          {"hidden_size", hidden},
          {"intermediate_size", s.dim(fc1, 0)},
          {"num_attention_heads", heads},
          {"num_hidden_layers", layers},
          {"max_position_embeddings", s.dim(position, 0)},
          {"vocab_size", vocab},
          {"hidden_act", openclip ? "gelu" : "quick_gelu"},
          {"layer_norm_eps", 1e-5},
          {"bos_token_id", vocab - 2},
          {"eos_token_id", vocab - 1},
          {"pad_token_id", vocab - 1},
          {"projection_dim", hidden}};
}

}  // namespace

SdSingleFile open_sd_single_file(const std::string& path) {
  Source s{path, io::WeightSet::open(path), {}};
  if (s.set->gguf()) throw InputError("'" + path + "' is a GGUF file; Stable Diffusion loads diffusers folders or .safetensors single files");
  for (const auto& n : s.set->names()) s.names.insert(n);
  SdSingleFile r;
  const bool clip = s.has(std::string(kClip) + "text_model.embeddings.token_embedding.weight");
  r.openclip = s.has(std::string(kOpenClip) + "token_embedding.weight");
  if (!clip && !r.openclip)
    throw InputError("single-file checkpoint '" + path + "' has no text encoder (" + kClip + "text_model.* or " + kOpenClip +
                     "token_embedding.weight): not an SD 1.x / 2.x checkpoint");
  auto it = s.set->metadata().find("ldm.parameterization");
  if (it == s.set->metadata().end()) r.prediction = r.openclip ? Prediction::VPrediction : Prediction::Epsilon;
  else if (it->second == "eps") r.prediction = Prediction::Epsilon;
  else if (it->second == "v") r.prediction = Prediction::VPrediction;
  else throw InputError("'" + path + "': metadata 'ldm.parameterization' is '" + it->second + "', not \"eps\" or \"v\"");

  Views unet, vae, text;
  const nlohmann::json unet_cfg = unet_views(s, r.openclip, unet, r.sample_size, r.prediction);
  const nlohmann::json vae_cfg = vae_views(s, vae);
  const nlohmann::json text_cfg = text_views(s, r.openclip, text);
  r.unet = io::WeightSet::view(path + "#unet", s.set, unet.tensors, {{"config.json", unet_cfg.dump(2)}});
  r.vae = io::WeightSet::view(path + "#vae", s.set, vae.tensors, {{"config.json", vae_cfg.dump(2)}});
  r.text = io::WeightSet::view(path + "#text_encoder", s.set, text.tensors, {{"config.json", text_cfg.dump(2)}});
  return r;
}

}  // namespace facet::diffusion
