// Where stochastic schedulers (Euler ancestral, LCM) get their Gaussian draws: a caller-given
// source, so that tests can replay a reference's draws and a generator can seed its own.
#pragma once

#include <cstdint>
#include <random>
#include <span>

namespace facet::diffusion {

class NoiseSource {
 public:
  virtual ~NoiseSource() = default;
  // Fills `out` with independent standard normal draws.
  virtual void fill(std::span<float> out) = 0;
};

// Seeded standard normal draws: std::mt19937_64 (fully specified by the C++ standard, so the
// same seed gives the same draws on every platform), two 53-bit uniforms per pair of outputs,
// Box-Muller (cos and sin branches). Not torch's generator: the draws differ from diffusers' for
// the same seed.
class GaussianNoise : public NoiseSource {
 public:
  explicit GaussianNoise(uint64_t seed) : engine_(seed) {}
  void fill(std::span<float> out) override;

 private:
  double uniform();  // in (0, 1]
  std::mt19937_64 engine_;
};

}  // namespace facet::diffusion
