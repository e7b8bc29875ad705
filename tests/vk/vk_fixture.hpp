// Shared fixture of the Vulkan tests: one Context with the Khronos validation layer and
// synchronization validation on. Any validation warning or error fails the test. No device is
// a failure, never a skip.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <cmath>
#include <memory>
#include <random>

#include "graph/executor.hpp"
#include "graph/host_tensor.hpp"
#include "graph/quant.hpp"
#include "util/half.hpp"
#include "vk/context.hpp"

namespace facet::test {

// The f32 kernels everywhere: tests of the fp16-arithmetic variants turn it back on and set their
// own thresholds.
inline vk::ContextOptions validated_options() {
  vk::ContextOptions o;
  o.validation = true;
  o.disable_fp16_arithmetic = true;
  o.device = vk::resolve_device_selector("", "");
  o.cache_dir = ::testing::TempDir() + "/facet-pipeline-cache";
  return o;
}

class VkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      ctx_ = std::make_unique<vk::Context>(validated_options());
    } catch (const std::exception& e) {
      FAIL() << "no usable Vulkan device with validation: " << e.what();
    }
  }
  void TearDown() override {
    if (!ctx_) return;
    // Validation messages can arrive at destruction; collect them from a context kept until here.
    for (const auto& m : ctx_->validation_messages()) ADD_FAILURE() << "validation: " << m;
    EXPECT_EQ(ctx_->validation_message_count(), 0u);
  }
  vk::Context& ctx() { return *ctx_; }
  std::unique_ptr<vk::Context> ctx_;
};

inline std::vector<float> random_values(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Runs `g` in debug mode (every node against its CPU reference, normalized MSE <= threshold)
// twice, with the device's own work layout and with the other device kind's, so that the CPU and
// GPU code paths of every kernel run here; fails on any mismatch or validation message. Returns
// the outputs of the second run.
inline std::map<std::string, HostTensor> run_on_both_layouts(const Graph& g, const std::map<std::string, HostTensor>& inputs,
                                                             double threshold) {
  std::map<std::string, HostTensor> out;
  for (bool flip : {false, true}) {
    vk::ContextOptions o = validated_options();
    o.flip_work_layout = flip;
    vk::Context ctx(o);
    Executor ex(ctx, ExecOptions{true, threshold});
    out = ex.run(g, inputs);
    const RunStats& s = ex.last_stats();
    EXPECT_EQ(s.nodes_checked, g.nodes().size());
    EXPECT_FALSE(s.mismatch.has_value()) << (flip ? "flipped layout: " : "") << s.mismatch->node << " nmse " << s.mismatch->nmse;
    EXPECT_EQ(ctx.validation_message_count(), 0u);
  }
  return out;
}

// Random but well-formed blocks of every GGUF type (f16 scales kept small and finite).
inline std::vector<uint8_t> random_blocks(DType t, int64_t elements, uint32_t seed) {
  std::mt19937 rng(seed);
  if (t == DType::Q8_0 || t == DType::Q4_0 || t == DType::Q4_1) {
    std::normal_distribution<float> n(0.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(elements));
    for (float& x : v) x = n(rng);
    return quantize(t, v.data(), elements);
  }
  const DTypeInfo& info = dtype_info(t);
  std::vector<uint8_t> b(static_cast<size_t>(elements / info.block_elems) * info.block_bytes);
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& x : b) x = static_cast<uint8_t>(byte(rng));
  std::uniform_real_distribution<float> scale(0.001f, 0.02f);
  for (size_t blk = 0; blk < b.size() / info.block_bytes; ++blk) {
    uint8_t* p = &b[blk * info.block_bytes];
    uint16_t d = f32_to_f16(scale(rng)), dmin = f32_to_f16(scale(rng));
    if (t == DType::Q4_K) {
      std::memcpy(p, &d, 2);
      std::memcpy(p + 2, &dmin, 2);
    } else {
      std::memcpy(p + 208, &d, 2);
    }
  }
  return b;
}

// Normalized mean squared error: sum (a-b)^2 / sum b^2.
inline double nmse(const std::vector<float>& got, const std::vector<float>& want) {
  double e = 0, r = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    double d = double(got[i]) - want[i];
    e += d * d;
    r += double(want[i]) * want[i];
  }
  return e / std::max(r, 1e-30);
}

// The largest absolute error relative to the largest reference magnitude (sizes must agree).
inline double rel_error(const std::vector<float>& got, const std::vector<float>& want) {
  EXPECT_EQ(got.size(), want.size());
  double err = 0, scale = 0;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    err = std::max(err, std::fabs(double(got[i]) - want[i]));
    scale = std::max(scale, std::fabs(double(want[i])));
  }
  return err / scale;
}

}  // namespace facet::test
