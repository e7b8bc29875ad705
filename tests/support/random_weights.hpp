// Random f16 weights for the benchmark-model generators (facet-make-llava, facet-make-kosmos2):
// tensors ~ N(mean, std) written as safetensors entries, with helpers for the layouts Hugging
// Face models repeat (linear layers, norms). Deterministic for a seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "support/safetensors_writer.hpp"
#include "util/half.hpp"

namespace facet::test {

class RandomWeights {
 public:
  explicit RandomWeights(uint32_t seed) : rng_(seed) {}
  // std 0: every value is `mean` (norm weights 1, biases 0).
  void add(const std::string& name, std::vector<int64_t> shape, float std, float mean = 0.0f) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    StTensor t{name, "F16", std::move(shape), std::vector<uint8_t>(static_cast<size_t>(n) * 2)};
    std::normal_distribution<float> normal(mean, std);
    auto* h = reinterpret_cast<uint16_t*>(t.bytes.data());
    for (int64_t i = 0; i < n; ++i) h[i] = facet::f32_to_f16(std == 0 ? mean : normal(rng_));
    tensors.push_back(std::move(t));
    params += n;
  }
  void linear(const std::string& name, int64_t out, int64_t in, bool bias) {
    add(name + ".weight", {out, in}, 0.02f);
    if (bias) add(name + ".bias", {out}, 0.02f);
  }
  void norm(const std::string& name, int64_t d, bool bias) {
    add(name + ".weight", {d}, 0.0f, 1.0f);
    if (bias) add(name + ".bias", {d}, 0.0f);
  }
  // A CLIP vision tower (embeddings, pre-LayerNorm, `layers` encoder layers, post-LayerNorm) under `prefix`.
  void clip_vision(const std::string& prefix, int64_t dim, int64_t layers, int64_t patch, int64_t grid) {
    add(prefix + "embeddings.class_embedding", {dim}, 0.02f);
    add(prefix + "embeddings.patch_embedding.weight", {dim, 3, patch, patch}, 0.02f);
    add(prefix + "embeddings.position_embedding.weight", {grid * grid + 1, dim}, 0.02f);
    norm(prefix + "pre_layrnorm", dim, true);
    for (int64_t i = 0; i < layers; ++i) {
      const std::string l = prefix + "encoder.layers." + std::to_string(i) + ".";
      for (const char* p : {"q_proj", "k_proj", "v_proj", "out_proj"}) linear(l + "self_attn." + p, dim, dim, true);
      norm(l + "layer_norm1", dim, true);
      norm(l + "layer_norm2", dim, true);
      linear(l + "mlp.fc1", 4 * dim, dim, true);
      linear(l + "mlp.fc2", dim, 4 * dim, true);
    }
    norm(prefix + "post_layernorm", dim, true);
  }

  std::vector<StTensor> tensors;
  int64_t params = 0;

 private:
  std::mt19937 rng_;
};

}  // namespace facet::test
