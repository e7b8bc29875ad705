// Activation functions shared by kernels. GLSL has no erf: facet_erf uses Abramowitz & Stegun
// 7.1.26 (|error| <= 1.5e-7), well below f32 GELU's own rounding at the scales models use.
#ifndef FACET_ACTIVATIONS_GLSL
#define FACET_ACTIVATIONS_GLSL

#define FACET_ACT_GELU 0       // x * Phi(x), exact (erf) form: PyTorch gelu / HF "gelu"
#define FACET_ACT_GELU_TANH 1  // tanh approximation: HF "gelu_new", "gelu_pytorch_tanh"
#define FACET_ACT_QUICK_GELU 2 // x * sigmoid(1.702 x): CLIP's quick_gelu
#define FACET_ACT_SILU 3       // x * sigmoid(x)
#define FACET_ACT_RELU 4

float facet_erf(float x) {
  float ax = abs(x);
  float t = 1.0 / (1.0 + 0.3275911 * ax);
  float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-ax * ax);
  return x < 0.0 ? -y : y;
}

float facet_sigmoid(float x) { return 1.0 / (1.0 + exp(-x)); }

float facet_activation(uint act, float x) {
  if (act == FACET_ACT_GELU) return 0.5 * x * (1.0 + facet_erf(x * 0.70710678118654752));
  if (act == FACET_ACT_GELU_TANH) {
    float u = 0.79788456080286536 * (x + 0.044715 * x * x * x);
    // tanh(u) = 1 - 2 / (exp(2u) + 1); clamp so exp cannot overflow.
    float th = 1.0 - 2.0 / (exp(2.0 * clamp(u, -15.0, 15.0)) + 1.0);
    return 0.5 * x * (1.0 + th);
  }
  if (act == FACET_ACT_QUICK_GELU) return x * facet_sigmoid(1.702 * x);
  if (act == FACET_ACT_SILU) return x * facet_sigmoid(x);
  return max(x, 0.0);
}

#endif
