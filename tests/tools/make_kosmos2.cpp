// facet-make-kosmos2 OUT_DIR [--image-size 224] [--patch 14] [--vision-dim 256] [--vision-layers 6]
//                            [--dim 512] [--layers 8] [--heads 8] [--ff 2048] [--latents 64] [--vocab 65037] [--seed 1]
//   A random-weight Kosmos2ForConditionalGeneration folder shaped like microsoft/kosmos-2-patch14-224
//   and scaled down for benchmarks (facet bench pipeline): a CLIP tower, the image-to-text connector
//   (dense + latent queries + cross-attention), the Kosmos-2 text decoder (inner_attn_ln,
//   ffn_layernorm, tied head), the Unigram tokenizer of tests/data/tokenizers/kosmos2 with Kosmos-2's
//   special tokens (the embedding has --vocab rows, as the real 65037). f16 weights ~ N(0, 0.02),
//   norms 1. Kosmos-2 itself: --vision-dim 1024 --vision-layers 24 --dim 2048 --layers 24 --heads 32
//   --ff 8192 --latents 64.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "support/random_weights.hpp"

namespace {

struct Shape {
  int64_t image = 224, patch = 14, vdim = 256, vlayers = 6, dim = 512, layers = 8, heads = 8, ff = 2048, latents = 64,
          vocab = 65037;
  uint32_t seed = 1;
};

void write_json(const std::string& path, const nlohmann::json& j) { std::ofstream(path) << j.dump(2) << "\n"; }

void write_kosmos2(const std::string& dir, const Shape& s) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const std::string tok = std::string(FACET_SOURCE_DIR) + "/tests/data/tokenizers/kosmos2/";
  fs::copy_file(tok + "tokenizer.json", dir + "/tokenizer.json", fs::copy_options::overwrite_existing);
  fs::copy_file(tok + "tokenizer_config.json", dir + "/tokenizer_config.json", fs::copy_options::overwrite_existing);
  const int64_t grid = s.image / s.patch, vheads = std::max<int64_t>(1, s.vdim / 64);
  facet::test::RandomWeights w(s.seed);
  w.clip_vision("vision_model.model.", s.vdim, s.vlayers, s.patch, grid);
  const std::string c = "image_to_text_projection.";
  w.linear(c + "dense", s.dim, s.vdim, true);
  w.add(c + "latent_query", {s.latents, s.dim}, 0.02f);
  for (const char* p : {"q_proj", "k_proj", "v_proj", "out_proj"}) w.linear(c + "x_attn." + p, s.dim, s.dim, true);
  const std::string m = "text_model.model.";
  w.add(m + "embed_tokens.weight", {s.vocab, s.dim}, 0.02f);
  for (int64_t i = 0; i < s.layers; ++i) {
    const std::string l = m + "layers." + std::to_string(i) + ".";
    for (const char* p : {"q_proj", "k_proj", "v_proj", "out_proj"}) w.linear(l + "self_attn." + p, s.dim, s.dim, true);
    w.norm(l + "self_attn.inner_attn_ln", s.dim, true);
    w.norm(l + "self_attn_layer_norm", s.dim, true);
    w.linear(l + "ffn.fc1", s.ff, s.dim, true);
    w.norm(l + "ffn.ffn_layernorm", s.ff, true);
    w.linear(l + "ffn.fc2", s.dim, s.ff, true);
    w.norm(l + "final_layer_norm", s.dim, true);
  }
  w.norm(m + "layer_norm", s.dim, true);
  facet::test::write_file(dir + "/model.safetensors", facet::test::safetensors_bytes(w.tensors));

  write_json(dir + "/config.json",
             {{"architectures", {"Kosmos2ForConditionalGeneration"}}, {"model_type", "kosmos-2"}, {"latent_query_num", s.latents},
              {"torch_dtype", "float16"},
              {"text_config", {{"model_type", "kosmos_2_text_model"}, {"embed_dim", s.dim}, {"layers", s.layers},
                               {"attention_heads", s.heads}, {"ffn_dim", s.ff}, {"vocab_size", s.vocab},
                               {"max_position_embeddings", 2048}, {"scale_embedding", true}, {"layer_norm_eps", 1e-5},
                               {"activation_function", "gelu"}, {"pad_token_id", 1}, {"bos_token_id", 0}, {"eos_token_id", 2}}},
              {"vision_config", {{"model_type", "kosmos_2_vision_model"}, {"hidden_size", s.vdim}, {"intermediate_size", 4 * s.vdim},
                                 {"num_attention_heads", vheads}, {"num_hidden_layers", s.vlayers}, {"image_size", s.image},
                                 {"patch_size", s.patch}, {"hidden_act", "quick_gelu"}, {"layer_norm_eps", 1e-5}}}});
  write_json(dir + "/preprocessor_config.json",
             {{"image_processor_type", "CLIPImageProcessor"}, {"processor_class", "Kosmos2Processor"}, {"use_square_size", true},
              {"do_resize", true}, {"size", {{"shortest_edge", s.image}}}, {"resample", 3}, {"do_center_crop", true},
              {"crop_size", {{"height", s.image}, {"width", s.image}}}, {"do_rescale", true}, {"rescale_factor", 1.0 / 255},
              {"do_normalize", true}, {"do_convert_rgb", true}, {"image_mean", {0.48145466, 0.4578275, 0.40821073}},
              {"image_std", {0.26862954, 0.26130258, 0.27577711}}});
  std::cout << dir << ": random Kosmos-2 folder, " << w.params << " parameters (f16), " << s.latents << " image tokens\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') {
    std::cerr << "usage: facet-make-kosmos2 OUT_DIR [--image-size N] [--patch N] [--vision-dim N] [--vision-layers N] "
                 "[--dim N] [--layers N] [--heads N] [--ff N] [--latents N] [--vocab N] [--seed N]\n";
    return 2;
  }
  Shape s;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const long long val = std::atoll(argv[i + 1]);
    int64_t* field = k == "--image-size" ? &s.image : k == "--patch" ? &s.patch : k == "--vision-dim" ? &s.vdim
                   : k == "--vision-layers" ? &s.vlayers : k == "--dim" ? &s.dim : k == "--layers" ? &s.layers
                   : k == "--heads" ? &s.heads : k == "--ff" ? &s.ff : k == "--latents" ? &s.latents
                   : k == "--vocab" ? &s.vocab : nullptr;
    if (val <= 0 || val > (1 << 20) || (!field && k != "--seed")) {
      std::cerr << "facet-make-kosmos2: " << k << " is not an option taking a positive integer up to 2^20\n";
      return 2;
    }
    if (field) *field = val;
    else s.seed = static_cast<uint32_t>(val);
  }
  if (argc % 2 != 0 || s.image % s.patch != 0 || s.dim % s.heads != 0 || s.vocab < 2048) {
    std::cerr << "facet-make-kosmos2: options come in pairs; --patch must divide --image-size, --heads --dim; --vocab >= 2048\n";
    return 2;
  }
  write_kosmos2(argv[1], s);
  return 0;
}
