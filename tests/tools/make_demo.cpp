// facet-make-demo DIR: writes the demo model used by docs/pipelines/demo.toml and by tests:
//   features.npy           f32 [16, 8]   a 4x4 grid of 8-channel "image features" (seeded random)
//   projector.safetensors  weight f32 [16, 32], bias f32 [16] (seeded random, LLaVA-style names)
#include <filesystem>
#include <iostream>
#include <random>

#include "io/npy.hpp"
#include "support/safetensors_writer.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: facet-make-demo DIR\n";
    return 2;
  }
  std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  std::mt19937 rng(20240106);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto randn = [&](size_t n, float scale) {
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng) * scale;
    return v;
  };
  facet::TensorDesc fd(facet::DType::F32, {16, 8});
  facet::io::write_npy(dir + "/features.npy", facet::HostTensor::from_f32(fd, randn(16 * 8, 1.0f)));
  using facet::test::st_f32;
  facet::test::write_file(dir + "/projector.safetensors",
                          facet::test::safetensors_bytes({st_f32("mm_projector.weight", {16, 32}, randn(16 * 32, 0.18f)),
                                                          st_f32("mm_projector.bias", {16}, randn(16, 0.1f))}));
  std::cout << "demo model written to " << dir << "\n";
  return 0;
}
