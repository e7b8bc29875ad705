// facet-make-gguf: GGUF test models written with the project's own (test-only) writer.
//   facet-make-gguf random OUT.gguf [--type f16|q8_0|q4_0|f32] [--dim 768] [--layers 12] [--heads 12]
//                   [--kv-heads H] [--ff 2048] [--context 2048] [--seed 1]
//       A random-weight LLaMA (weights ~ N(0, 0.02), norms 1, output head tied to the embedding
//       table) with the real LLaMA-2 vocabulary of
//       tests/data/tokenizers/llama2 (so the vocabulary size is 32000); the defaults are the
//       110M-parameter benchmark shape of docs/benchmarks.md.
//   facet-make-gguf convert HF_FOLDER OUT.gguf [--type f16|q8_0|q4_0|f32]
//       A Hugging Face LLaMA/Mistral/Qwen2 folder converted as llama.cpp converts it.
#include <cstring>
#include <iostream>
#include <random>

#include "support/hf_to_gguf.hpp"

namespace {

using namespace facet;

int usage() {
  std::cerr << "usage: facet-make-gguf random OUT.gguf [--type T] [--dim N] [--layers N] [--heads N] [--kv-heads N] "
               "[--ff N] [--context N] [--seed N]\n"
               "       facet-make-gguf convert HF_FOLDER OUT.gguf [--type T]\n"
               "types: f32, f16, q8_0, q4_0\n";
  return 2;
}

void write_random(const std::string& out, DType type, int64_t dim, int64_t layers, int64_t heads, int64_t kv_heads,
                  int64_t ff, int64_t context, uint32_t seed) {
  const std::string tok_dir = std::string(FACET_SOURCE_DIR) + "/tests/data/tokenizers/llama2/";
  auto tok = test::read_json_file(tok_dir + "tokenizer.json");
  const int64_t vocab = static_cast<int64_t>(tok["model"]["vocab"].size());
  test::GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_string("general.name", "facet-random-llama");
  w.add_u32("llama.context_length", static_cast<uint32_t>(context));
  w.add_u32("llama.embedding_length", static_cast<uint32_t>(dim));
  w.add_u32("llama.block_count", static_cast<uint32_t>(layers));
  w.add_u32("llama.feed_forward_length", static_cast<uint32_t>(ff));
  w.add_u32("llama.attention.head_count", static_cast<uint32_t>(heads));
  w.add_u32("llama.attention.head_count_kv", static_cast<uint32_t>(kv_heads));
  w.add_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.add_f32("llama.rope.freq_base", 10000.0f);
  w.add_u32("llama.rope.dimension_count", static_cast<uint32_t>(dim / heads));
  test::add_gguf_tokenizer(w, tok, test::read_json_file(tok_dir + "tokenizer_config.json"));
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  auto matrix = [&](const std::string& name, int64_t rows, int64_t cols) {
    std::vector<float> v(static_cast<size_t>(rows * cols));
    for (float& x : v) x = normal(rng);
    w.add_tensor(name, io::ggml_type_of(type), {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)},
                 test::gguf_encode(type, v));
  };
  auto norm = [&](const std::string& name) {
    w.add_tensor(name, 0, {static_cast<uint64_t>(dim)}, test::gguf_encode(DType::F32, std::vector<float>(dim, 1.0f)));
  };
  const int64_t hd = dim / heads;
  matrix("token_embd.weight", vocab, dim);
  for (int64_t i = 0; i < layers; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    norm(b + "attn_norm.weight");
    matrix(b + "attn_q.weight", heads * hd, dim);
    matrix(b + "attn_k.weight", kv_heads * hd, dim);
    matrix(b + "attn_v.weight", kv_heads * hd, dim);
    matrix(b + "attn_output.weight", dim, heads * hd);
    norm(b + "ffn_norm.weight");
    matrix(b + "ffn_gate.weight", ff, dim);
    matrix(b + "ffn_up.weight", ff, dim);
    matrix(b + "ffn_down.weight", dim, ff);
  }
  norm("output_norm.weight");  // no output.weight: the head is tied to the embedding table
  w.write(out);
  const int64_t params = vocab * dim + layers * (2 * dim + 2 * heads * hd * dim + 2 * kv_heads * hd * dim + 3 * ff * dim) + dim;
  std::cout << out << ": random LLaMA, " << params << " parameters, " << dtype_name(type) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string mode = argv[1];
  int pos = 2;
  std::string in, out;
  if (mode == "convert") {
    if (argc < 4) return usage();
    in = argv[2], out = argv[3], pos = 4;
  } else if (mode == "random") {
    out = argv[2], pos = 3;
  } else {
    return usage();
  }
  DType type = DType::F16;
  int64_t dim = 768, layers = 12, heads = 12, kv_heads = 0, ff = 2048, context = 2048;
  uint32_t seed = 1;
  try {
    for (; pos < argc; pos += 2) {
      if (pos + 1 >= argc) return usage();
      const std::string flag = argv[pos], value = argv[pos + 1];
      if (flag == "--type") {
        auto t = dtype_from_name(value);
        if (!t || (*t != DType::F32 && *t != DType::F16 && *t != DType::Q8_0 && *t != DType::Q4_0)) return usage();
        type = *t;
      } else if (flag == "--dim") dim = std::stoll(value);
      else if (flag == "--layers") layers = std::stoll(value);
      else if (flag == "--heads") heads = std::stoll(value);
      else if (flag == "--kv-heads") kv_heads = std::stoll(value);
      else if (flag == "--ff") ff = std::stoll(value);
      else if (flag == "--context") context = std::stoll(value);
      else if (flag == "--seed") seed = static_cast<uint32_t>(std::stoul(value));
      else return usage();
    }
    if (mode == "convert") {
      test::GgufConvertOptions o;
      o.matrices = type;
      test::convert_hf_llama(in, out, o);
      std::cout << out << ": converted from " << in << " (" << dtype_name(type) << ")\n";
    } else {
      write_random(out, type, dim, layers, heads, kv_heads ? kv_heads : heads, ff, context, seed);
    }
  } catch (const std::exception& e) {
    std::cerr << "facet-make-gguf: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
