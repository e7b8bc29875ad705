// facet-make-llava OUT_DIR [--image-size 224] [--patch 14] [--vision-dim 256] [--vision-layers 6]
//                          [--dim 512] [--layers 8] [--heads 8] [--ff 1408] [--seed 1]
//   A random-weight llava-hf folder (LlavaForConditionalGeneration) shaped like LLaVA-1.5 and scaled
//   down for benchmarks: a CLIP tower (quick_gelu, pre/post LayerNorms; (image/patch)^2 patch tokens),
//   the mlp2x_gelu projector, a LLaMA with the real LLaMA-2 vocabulary plus <image> and <pad> (32064
//   rows, head untied); f16 weights ~ N(0, 0.02), norms 1. LLaVA-1.5 itself: --image-size 336
//   --vision-dim 1024 --vision-layers 24 --dim 4096 --layers 32 --heads 32 --ff 11008.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include "support/random_weights.hpp"

namespace {

struct Shape {
  int64_t image = 224, patch = 14, vdim = 256, vlayers = 6, dim = 512, layers = 8, heads = 8, ff = 1408;
  uint32_t seed = 1;
};

using Writer = facet::test::RandomWeights;

void write_json(const std::string& path, const nlohmann::json& j) {
  std::ofstream(path) << j.dump(2) << "\n";
}

void write_llava(const std::string& dir, const Shape& s) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const std::string tok = std::string(FACET_SOURCE_DIR) + "/tests/data/tokenizers/llava/";
  fs::copy_file(tok + "tokenizer.json", dir + "/tokenizer.json", fs::copy_options::overwrite_existing);
  fs::copy_file(tok + "tokenizer_config.json", dir + "/tokenizer_config.json", fs::copy_options::overwrite_existing);
  const int64_t vocab = 32064, grid = s.image / s.patch, vheads = std::max<int64_t>(1, s.vdim / 64);
  Writer w(s.seed);
  const std::string v = "vision_tower.vision_model.";
  w.clip_vision(v, s.vdim, s.vlayers, s.patch, grid);
  w.linear("multi_modal_projector.linear_1", s.dim, s.vdim, true);
  w.linear("multi_modal_projector.linear_2", s.dim, s.dim, true);
  const std::string m = "language_model.model.";
  w.add(m + "embed_tokens.weight", {vocab, s.dim}, 0.02f);
  for (int64_t i = 0; i < s.layers; ++i) {
    const std::string l = m + "layers." + std::to_string(i) + ".";
    w.norm(l + "input_layernorm", s.dim, false);
    w.norm(l + "post_attention_layernorm", s.dim, false);
    for (const char* p : {"q_proj", "k_proj", "v_proj", "o_proj"}) w.linear(l + "self_attn." + p, s.dim, s.dim, false);
    w.linear(l + "mlp.gate_proj", s.ff, s.dim, false);
    w.linear(l + "mlp.up_proj", s.ff, s.dim, false);
    w.linear(l + "mlp.down_proj", s.dim, s.ff, false);
  }
  w.norm(m + "norm", s.dim, false);
  w.add("language_model.lm_head.weight", {vocab, s.dim}, 0.02f);
  facet::test::write_file(dir + "/model.safetensors", facet::test::safetensors_bytes(w.tensors));

  write_json(dir + "/config.json",
             {{"architectures", {"LlavaForConditionalGeneration"}}, {"model_type", "llava"}, {"image_token_index", 32000},
              {"pad_token_id", 32001}, {"projector_hidden_act", "gelu"}, {"vision_feature_layer", -2},
              {"vision_feature_select_strategy", "default"}, {"image_seq_length", grid * grid}, {"torch_dtype", "float16"},
              {"tie_word_embeddings", false},
              {"vision_config", {{"model_type", "clip_vision_model"}, {"hidden_size", s.vdim}, {"intermediate_size", 4 * s.vdim},
                                 {"num_attention_heads", vheads}, {"num_hidden_layers", s.vlayers}, {"image_size", s.image},
                                 {"patch_size", s.patch}, {"hidden_act", "quick_gelu"}, {"layer_norm_eps", 1e-5},
                                 {"projection_dim", 768}}},
              {"text_config", {{"model_type", "llama"}, {"hidden_size", s.dim}, {"intermediate_size", s.ff},
                               {"num_attention_heads", s.heads}, {"num_key_value_heads", s.heads},
                               {"num_hidden_layers", s.layers}, {"vocab_size", vocab}, {"max_position_embeddings", 4096},
                               {"rms_norm_eps", 1e-5}, {"rope_theta", 10000.0}, {"hidden_act", "silu"},
                               {"tie_word_embeddings", false}}}});
  write_json(dir + "/generation_config.json", {{"bos_token_id", 1}, {"eos_token_id", 2}, {"pad_token_id", 32001}});
  write_json(dir + "/preprocessor_config.json",
             {{"image_processor_type", "CLIPImageProcessor"}, {"do_resize", true}, {"size", {{"shortest_edge", s.image}}},
              {"resample", 3}, {"do_center_crop", true}, {"crop_size", {{"height", s.image}, {"width", s.image}}},
              {"do_rescale", true}, {"rescale_factor", 1.0 / 255}, {"do_normalize", true}, {"do_convert_rgb", true},
              {"image_mean", {0.48145466, 0.4578275, 0.40821073}}, {"image_std", {0.26862954, 0.26130258, 0.27577711}}});
  std::cout << dir << ": random llava-hf folder, " << w.params << " parameters (f16), " << grid * grid
            << " image tokens\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') {
    std::cerr << "usage: facet-make-llava OUT_DIR [--image-size N] [--patch N] [--vision-dim N] [--vision-layers N] "
                 "[--dim N] [--layers N] [--heads N] [--ff N] [--seed N]\n";
    return 2;
  }
  Shape s;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const long long val = std::atoll(argv[i + 1]);
    if (val <= 0) {
      std::cerr << "facet-make-llava: " << k << " needs a positive integer\n";
      return 2;
    }
    if (k == "--image-size") s.image = val;
    else if (k == "--patch") s.patch = val;
    else if (k == "--vision-dim") s.vdim = val;
    else if (k == "--vision-layers") s.vlayers = val;
    else if (k == "--dim") s.dim = val;
    else if (k == "--layers") s.layers = val;
    else if (k == "--heads") s.heads = val;
    else if (k == "--ff") s.ff = val;
    else if (k == "--seed") s.seed = static_cast<uint32_t>(val);
    else {
      std::cerr << "facet-make-llava: unknown option " << k << "\n";
      return 2;
    }
  }
  if (argc % 2 != 0 || s.image % s.patch != 0 || s.dim % s.heads != 0 || s.vdim % std::max<int64_t>(1, s.vdim / 64) != 0) {
    std::cerr << "facet-make-llava: options come in pairs; --patch must divide --image-size and --heads --dim\n";
    return 2;
  }
  write_llava(argv[1], s);
  return 0;
}
