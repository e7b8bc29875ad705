// rope and get_rows: conventions checked on hand-written values, then device vs CPU reference
// on odd shapes, every table dtype, both work layouts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "graph/quant.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

class PositionalTest : public VkTest {
 protected:
  std::map<std::string, HostTensor> run_both_layouts(const std::function<void(Graph&)>& build,
                                                     const std::map<std::string, HostTensor>& inputs, double threshold) {
    Graph g(core_ops());
    build(g);
    return run_on_both_layouts(g, inputs, threshold);
  }
};

TEST_F(PositionalTest, RopeConventionsOnHandValues) {
  // One token, one head, D = 4, R = 2; position 1 of a 2-row table.
  const float c0 = 0.8f, s0 = 0.6f, c1 = 0.28f, s1 = 0.96f;
  std::map<std::string, HostTensor> in = {
      {"x", HostTensor::from_f32(TensorDesc(DType::F32, {1, 1, 4}), {1, 2, 3, 4})},
      {"pos", HostTensor::from_f32(TensorDesc(DType::I32, {1}), {1})},
      {"cos", HostTensor::from_f32(TensorDesc(DType::F32, {2, 2}), {1, 1, c0, c1})},
      {"sin", HostTensor::from_f32(TensorDesc(DType::F32, {2, 2}), {0, 0, s0, s1})}};
  auto out = run_both_layouts(
      [](Graph& g) {
        ValueId x = g.input("x", TensorDesc(DType::F32, {1, 1, 4})), p = g.input("pos", TensorDesc(DType::I32, {1}));
        ValueId c = g.input("cos", TensorDesc(DType::F32, {2, 2})), s = g.input("sin", TensorDesc(DType::F32, {2, 2}));
        g.mark_output(g.op("halves", "rope", {x, p, c, s}, {{"mode", int64_t{0}}}), "halves");
        g.mark_output(g.op("interleaved", "rope", {x, p, c, s}, {{"mode", int64_t{1}}}), "interleaved");
      },
      in, 1e-12);
  std::vector<float> halves = out.at("halves").to_f32(), inter = out.at("interleaved").to_f32();
  // Hugging Face rotate_half: pairs (0, 2) and (1, 3).
  EXPECT_FLOAT_EQ(halves[0], 1 * c0 - 3 * s0);
  EXPECT_FLOAT_EQ(halves[2], 1 * s0 + 3 * c0);
  EXPECT_FLOAT_EQ(halves[1], 2 * c1 - 4 * s1);
  EXPECT_FLOAT_EQ(halves[3], 2 * s1 + 4 * c1);
  // GGUF llama: pairs (0, 1) and (2, 3).
  EXPECT_FLOAT_EQ(inter[0], 1 * c0 - 2 * s0);
  EXPECT_FLOAT_EQ(inter[1], 1 * s0 + 2 * c0);
  EXPECT_FLOAT_EQ(inter[2], 3 * c1 - 4 * s1);
  EXPECT_FLOAT_EQ(inter[3], 3 * s1 + 4 * c1);
}

TEST_F(PositionalTest, RopeMatchesReferenceOnOddShapes) {
  const int64_t T = 7, H = 3, D = 20, R = 8, P = 11;  // partial rotation: dims 16..19 pass through
  std::vector<float> cs(P * R), sn(P * R);
  for (int64_t p = 0; p < P; ++p)
    for (int64_t i = 0; i < R; ++i) {
      float inv_freq = static_cast<float>(1.0 / std::pow(10000.0, 2.0 * i / (2 * R)));
      cs[p * R + i] = std::cos(p * inv_freq);
      sn[p * R + i] = std::sin(p * inv_freq);
    }
  std::map<std::string, HostTensor> in = {
      {"x", HostTensor::from_f32(TensorDesc(DType::F32, {T, H, D}), random_values(T * H * D, 1))},
      {"pos", HostTensor::from_f32(TensorDesc(DType::I32, {T}), {0, 3, 10, 4, 4, 1, 9})},
      {"cos", HostTensor::from_f32(TensorDesc(DType::F32, {P, R}), cs)},
      {"sin", HostTensor::from_f32(TensorDesc(DType::F32, {P, R}), sn)}};
  auto out = run_both_layouts(
      [&](Graph& g) {
        ValueId x = g.input("x", TensorDesc(DType::F32, {T, H, D})), p = g.input("pos", TensorDesc(DType::I32, {T}));
        ValueId c = g.input("cos", TensorDesc(DType::F32, {P, R})), s = g.input("sin", TensorDesc(DType::F32, {P, R}));
        for (int64_t mode : {0, 1}) g.mark_output(g.op("rope" + std::to_string(mode), "rope", {x, p, c, s}, {{"mode", mode}}), "r" + std::to_string(mode));
      },
      in, 1e-12);
  std::vector<float> x = in.at("x").to_f32(), y = out.at("r0").to_f32();
  for (int64_t e = 0; e < T * H * D; ++e) {
    if (e % D >= 2 * R) {
      ASSERT_EQ(y[e], x[e]);  // pass-through dims untouched
    }
  }
}

// period: rows of a KV cache of several sequences rotate as their position within the sequence:
// rope at rows r with period P equals rope at positions r mod P, bit for bit.
TEST_F(PositionalTest, RopePeriodTakesPositionsWithinTheSequence) {
  const int64_t T = 5, H = 2, D = 8, R = 4, P = 6;
  std::vector<float> cs(P * R), sn(P * R);
  for (int64_t p = 0; p < P; ++p)
    for (int64_t i = 0; i < R; ++i) cs[p * R + i] = std::cos(0.3f * p * (i + 1)), sn[p * R + i] = std::sin(0.3f * p * (i + 1));
  const std::vector<float> x = random_values(T * H * D, 3);
  auto run = [&](const std::vector<float>& pos, int64_t period) {
    std::map<std::string, HostTensor> in = {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {T, H, D}), x)},
                                            {"pos", HostTensor::from_f32(TensorDesc(DType::I32, {T}), pos)},
                                            {"cos", HostTensor::from_f32(TensorDesc(DType::F32, {P, R}), cs)},
                                            {"sin", HostTensor::from_f32(TensorDesc(DType::F32, {P, R}), sn)}};
    return run_both_layouts(
               [&](Graph& g) {
                 ValueId xv = g.input("x", TensorDesc(DType::F32, {T, H, D})), p = g.input("pos", TensorDesc(DType::I32, {T}));
                 ValueId c = g.input("cos", TensorDesc(DType::F32, {P, R})), s = g.input("sin", TensorDesc(DType::F32, {P, R}));
                 Attrs a = {{"mode", int64_t{0}}};
                 if (period) a["period"] = period;
                 g.mark_output(g.op("r", "rope", {xv, p, c, s}, a), "y");
               },
               in, 1e-12)
        .at("y")
        .to_f32();
  };
  EXPECT_EQ(run({0, 7, 14, 5, 23}, P), run({0, 1, 2, 5, 5}, 0));
  Graph g(core_ops());
  ValueId xv = g.input("x", TensorDesc(DType::F32, {T, H, D})), p = g.input("pos", TensorDesc(DType::I32, {T}));
  ValueId c = g.input("cos", TensorDesc(DType::F32, {P, R}));
  EXPECT_THROW(g.op("bad", "rope", {xv, p, c, c}, {{"period", int64_t{-1}}}), InputError);
}

TEST_F(PositionalTest, GetRowsEveryTableType) {
  std::mt19937 rng(4);
  std::normal_distribution<float> n(0.0f, 1.0f);
  for (DType t : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q4_K, DType::Q6_K}) {
    const int64_t V = 9, D = is_quantized(t) ? dtype_info(t).block_elems * 2 : 37;
    std::vector<float> v(V * D);
    for (float& x : v) x = n(rng);
    auto table = std::make_shared<std::vector<uint8_t>>();
    if (t == DType::Q4_K || t == DType::Q6_K) {
      // Valid super-blocks from random bytes with small finite f16 scales.
      const DTypeInfo& info = dtype_info(t);
      table->resize(static_cast<size_t>(V * D / 256) * info.block_bytes);
      for (auto& b : *table) b = static_cast<uint8_t>(rng());
      for (size_t blk = 0; blk < table->size() / info.block_bytes; ++blk) {
        uint16_t d = 0x1C00;  // 2^-8
        std::memcpy(&(*table)[blk * info.block_bytes + (t == DType::Q4_K ? 0 : 208)], &d, 2);
        if (t == DType::Q4_K) std::memcpy(&(*table)[blk * info.block_bytes + 2], &d, 2);
      }
    } else if (is_quantized(t)) {
      *table = quantize(t, v.data(), V * D);
    } else {
      *table = HostTensor::from_f32(TensorDesc(t, {V, D}), v).bytes;
    }
    SCOPED_TRACE(std::string(dtype_name(t)));
    std::map<std::string, HostTensor> in = {{"ids", HostTensor::from_f32(TensorDesc(DType::I32, {5}), {8, 0, 3, 3, 7})}};
    auto out = run_both_layouts(
        [&](Graph& g) {
          ValueId tab = g.constant("table", TensorDesc(t, {V, D}), {table->data(), table->size(), table});
          g.mark_output(g.op("embed", "get_rows", {tab, g.input("ids", TensorDesc(DType::I32, {5}))}), "rows");
        },
        in, 0.0);  // a lookup is exact
    std::vector<float> rows = out.at("rows").to_f32();
    std::vector<float> all = convert_to_f32(t, table->data(), V * D);
    for (int64_t d = 0; d < D; ++d) ASSERT_EQ(rows[0 * D + d], all[8 * D + d]);
  }
}

TEST_F(PositionalTest, ResizeBicubicMatchesPyTorch) {
  // Golden from PyTorch 1.13: x[h, w, c] = sin(0.7h + 0.3w + 1.1c), 3x4x2 grid resized to 5x3 with
  // interpolate(x.permute(2, 0, 1)[None], size=(5, 3), mode="bicubic", align_corners=False).
  const std::vector<float> expected = {
      -2.29956880e-02f, 8.99191320e-01f, 3.91171604e-01f, 1.02651227e+00f, 7.33582675e-01f, 9.65531051e-01f,
      2.60365248e-01f,  9.55061495e-01f, 6.20147645e-01f, 9.61168230e-01f, 8.66170704e-01f, 7.90959597e-01f,
      6.70407712e-01f,  9.61228728e-01f, 9.17630672e-01f, 7.82221735e-01f, 9.96524572e-01f, 4.59725231e-01f,
      9.10186589e-01f,  7.23272145e-01f, 9.82062697e-01f, 4.04613942e-01f, 8.73790681e-01f, 1.17340656e-02f,
      1.01823890e+00f,  5.27785540e-01f, 9.71082568e-01f, 1.34722754e-01f, 7.45792210e-01f, -2.83053339e-01f};
  std::vector<float> x;
  for (int h = 0; h < 3; ++h)
    for (int w = 0; w < 4; ++w)
      for (int c = 0; c < 2; ++c) x.push_back(std::sin(0.7f * h + 0.3f * w + 1.1f * c));
  auto out = run_both_layouts(
      [](Graph& g) {
        ValueId v = g.input("x", TensorDesc(DType::F32, {3, 4, 2}));
        g.mark_output(g.op("pos.resize", "resize_bicubic", {v}, {{"height", int64_t{5}}, {"width", int64_t{3}}}), "y");
      },
      {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {3, 4, 2}), x)}}, 1e-12);
  std::vector<float> y = out.at("y").to_f32();
  ASSERT_EQ(y.size(), expected.size());
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], expected[i], 2e-6f) << i;
}

TEST_F(PositionalTest, ResizeBicubicAntialiasMatchesPyTorch) {
  // Same grid; interpolate(..., antialias=True) to 5x3 (rows up, columns down) and 2x7.
  const std::map<std::pair<int64_t, int64_t>, std::vector<float>> expected = {
      {{5, 3},
       {1.02165835e-02f, 9.10889804e-01f, 3.96906495e-01f, 1.01142299e+00f, 7.25584507e-01f, 9.64126885e-01f,
        2.64339179e-01f, 9.47489381e-01f, 5.97371042e-01f, 9.43580508e-01f, 8.43091249e-01f, 8.01757872e-01f,
        6.85982406e-01f, 9.57245171e-01f, 9.08190310e-01f, 7.74174511e-01f, 9.97657239e-01f, 4.77950543e-01f,
        9.12604094e-01f, 6.94860578e-01f, 9.60815310e-01f, 3.84674281e-01f, 8.68593931e-01f, 1.82639807e-02f,
        1.01477063e+00f, 5.19415140e-01f, 9.60101306e-01f, 1.45339742e-01f, 7.65103698e-01f, -2.49978587e-01f}},
      {{2, 7},
       {1.90408170e-01f, 9.32912588e-01f, 2.84299314e-01f, 9.46044207e-01f, 4.61425692e-01f, 9.64337647e-01f,
        6.00096762e-01f, 9.45606172e-01f, 7.20715582e-01f, 8.98428380e-01f, 8.28640640e-01f, 8.07677448e-01f,
        8.82095575e-01f, 7.57091701e-01f, 8.86414230e-01f, 7.50450432e-01f, 9.13413763e-01f, 6.77313030e-01f,
        9.58402336e-01f, 5.32912731e-01f, 9.63291883e-01f, 3.87083262e-01f, 9.39203143e-01f, 2.29609311e-01f,
        8.73108029e-01f, 4.05718423e-02f, 8.35198283e-01f, -5.86482882e-02f}}};
  std::vector<float> x;
  for (int h = 0; h < 3; ++h)
    for (int w = 0; w < 4; ++w)
      for (int c = 0; c < 2; ++c) x.push_back(std::sin(0.7f * h + 0.3f * w + 1.1f * c));
  for (const auto& [size, want] : expected) {
    auto out = run_both_layouts(
        [&](Graph& g) {
          ValueId v = g.input("x", TensorDesc(DType::F32, {3, 4, 2}));
          g.mark_output(g.op("pos.resize", "resize_bicubic", {v},
                             {{"height", size.first}, {"width", size.second}, {"antialias", int64_t{1}}}),
                        "y");
        },
        {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {3, 4, 2}), x)}}, 1e-12);
    std::vector<float> y = out.at("y").to_f32();
    ASSERT_EQ(y.size(), want.size());
    for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], want[i], 2e-6f) << i;
  }
}

TEST_F(PositionalTest, ResizeBicubicOddShapesBothDirections) {
  // DINOv2's case (37x37 trained grid to 16x23) and an upscale, with channel counts that are not
  // multiples of the workgroup or subgroup size.
  for (int64_t aa : {0, 1})
    for (auto [h, w, c, oh, ow] : {std::array<int64_t, 5>{37, 37, 13, 16, 23}, std::array<int64_t, 5>{5, 7, 9, 11, 13},
                                   std::array<int64_t, 5>{1, 1, 3, 2, 1}}) {
      SCOPED_TRACE(std::to_string(h) + "x" + std::to_string(w) + " -> " + std::to_string(oh) + "x" + std::to_string(ow) +
                   " antialias " + std::to_string(aa));
      run_both_layouts(
          [&](Graph& g) {
            ValueId v = g.input("x", TensorDesc(DType::F32, {h, w, c}));
            g.mark_output(g.op("pos.resize", "resize_bicubic", {v}, {{"height", oh}, {"width", ow}, {"antialias", aa}}), "y");
          },
          {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {h, w, c}), random_values(h * w * c, 3))}}, 1e-12);
    }
}

TEST_F(PositionalTest, ResizeBicubicRejectsBadAttributes) {
  Graph g(core_ops());
  ValueId v = g.input("x", TensorDesc(DType::F32, {3, 4, 2}));
  EXPECT_THROW(g.op("r", "resize_bicubic", {v}, {{"height", int64_t{0}}, {"width", int64_t{3}}}), InputError);
  EXPECT_THROW(g.op("r", "resize_bicubic", {v}, {{"height", int64_t{3}}}), InputError);
  ValueId flat = g.input("flat", TensorDesc(DType::F32, {12}));
  EXPECT_THROW(g.op("r", "resize_bicubic", {flat}, {{"height", int64_t{3}}, {"width", int64_t{3}}}), InputError);
}

TEST_F(PositionalTest, IndexOfFindsTheFirstMatchOrTheFirstMaximum) {
  // CLIP's EOS pooling: first position of eos_token_id, or 0 when absent; legacy: first maximum.
  const std::vector<float> ids = {49406, 320, 1125, 49407, 49407, 0, 7};
  struct Case {
    int64_t mode, value;
    std::vector<float> x;
    float want;
  };
  for (const Case& c : {Case{0, 49407, ids, 3}, Case{0, 12345, ids, 0}, Case{1, 0, ids, 3}, Case{1, 0, {5}, 0},
                        Case{0, 5, {1, 2, 3, 4, 5}, 4}}) {
    const int64_t n = static_cast<int64_t>(c.x.size());
    auto out = run_both_layouts(
        [&](Graph& g) {
          ValueId x = g.input("x", TensorDesc(DType::I32, {n}));
          g.mark_output(g.op("pool.index", "index_of", {x}, {{"mode", c.mode}, {"value", c.value}}), "i");
        },
        {{"x", HostTensor::from_f32(TensorDesc(DType::I32, {n}), c.x)}}, 0.0);
    EXPECT_EQ(out.at("i").to_f32(), std::vector<float>{c.want}) << "mode " << c.mode << " value " << c.value;
  }
}

}  // namespace
}  // namespace facet::test
