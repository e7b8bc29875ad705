// conv2d and im2col (+ matmul), each checked against a direct convolution written here, and argmax.
#include <gtest/gtest.h>

#include <cmath>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

class ConvTest : public VkTest {};

struct ConvCase {
  const char* name;
  int64_t c, h, w, o, k, stride, pad;
  int64_t kw = 0;  // 0: square kernel k x k
  int64_t oh() const { return (h + 2 * pad - k) / stride + 1; }
  int64_t ow() const { return (w + 2 * pad - kwidth()) / stride + 1; }
  int64_t kwidth() const { return kw ? kw : k; }
};

// Direct convolution (PyTorch semantics) of x [C, H, W] with w [O, C, k, kw] (+ bias [O]), in
// double: y [O, OH, OW].
std::vector<float> direct_conv(const ConvCase& cc, const std::vector<float>& x, const std::vector<float>& w,
                               const std::vector<float>* bias) {
  const int64_t oh = cc.oh(), ow = cc.ow(), kw = cc.kwidth();
  std::vector<float> y(oh * ow * cc.o);
  for (int64_t o = 0; o < cc.o; ++o)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        double acc = bias ? (*bias)[o] : 0.0;
        for (int64_t c = 0; c < cc.c; ++c)
          for (int64_t ky = 0; ky < cc.k; ++ky)
            for (int64_t kx = 0; kx < kw; ++kx) {
              int64_t iy = oy * cc.stride - cc.pad + ky, ix = ox * cc.stride - cc.pad + kx;
              if (iy >= 0 && ix >= 0 && iy < cc.h && ix < cc.w)
                acc += double(x[(c * cc.h + iy) * cc.w + ix]) * w[((o * cc.c + c) * cc.k + ky) * kw + kx];
            }
        y[(o * oh + oy) * ow + ox] = static_cast<float>(acc);
      }
  return y;
}

TEST_F(ConvTest, Im2colMatmulIsAConvolution) {
  const ConvCase cases[] = {
      {"patch embedding 14x14 on 30x44 (ViT)", 3, 30, 44, 8, 14, 14, 0},
      {"3x3 same padding (diffusion)", 5, 9, 7, 4, 3, 1, 1},
      {"1x1", 2, 3, 3, 3, 1, 1, 0},
  };
  for (const ConvCase& cc : cases) {
    SCOPED_TRACE(cc.name);
    const int64_t oh = cc.oh(), ow = cc.ow();
    TensorDesc xd(DType::F32, {cc.c, cc.h, cc.w});
    std::vector<float> x = random_values(xd.elements(), 1);
    auto w = std::make_shared<std::vector<float>>(random_values(cc.o * cc.c * cc.k * cc.k, 2));  // [O, C, K, K]
    const std::vector<float> conv = direct_conv(cc, x, *w, nullptr);  // [O, OH, OW]
    std::vector<float> want(oh * ow * cc.o);  // [OH*OW, O]
    for (int64_t o = 0; o < cc.o; ++o)
      for (int64_t p = 0; p < oh * ow; ++p) want[p * cc.o + o] = conv[o * oh * ow + p];
    {
      Graph g(core_ops());
      ValueId cols = g.op("patches", "im2col", {g.input("x", xd)},
                          {{"kh", cc.k}, {"kw", cc.k}, {"sh", cc.stride}, {"sw", cc.stride}, {"ph", cc.pad}, {"pw", cc.pad}});
      ValueId wc = g.constant("w", TensorDesc(DType::F32, {cc.o, cc.c * cc.k * cc.k}), {w->data(), w->size() * 4, w});
      g.mark_output(g.op("conv", "matmul", {cols, wc}), "y");
      auto out = run_on_both_layouts(g, {{"x", HostTensor::from_f32(xd, x)}}, 1e-10);
      EXPECT_LT(nmse(out.at("y").to_f32(), want), 1e-10);
    }
  }
}

// Odd sizes: channels, outputs and rows that are no multiple of a tile, rows of whole texels (the
// CPU-device kernel) and not (the shared-memory kernel on both layouts), strides 1 and 2, 1x1, 3x3
// and 2x5 kernels, f32 and f16 weights, with and without bias.
TEST_F(ConvTest, Conv2dMatchesADirectConvolution) {
  const ConvCase cases[] = {
      {"3x3 same, 36 wide (two pixel tiles and a part)", 8, 5, 36, 13, 3, 1, 1},
      {"3x3 stride 2 (downsample), 10 outputs a row", 16, 9, 20, 11, 3, 2, 1},
      {"3x3 stride 2, no padding, 4 outputs a row", 8, 7, 8, 9, 3, 2, 0},
      {"1x1, 12 wide", 24, 3, 12, 7, 1, 1, 0},
      {"3x3 on rows of 7 (not whole texels)", 8, 6, 7, 5, 3, 1, 1},
      {"3x3 with 3 channels (not whole weight texels)", 3, 6, 8, 5, 3, 1, 1},
      {"2x5, padding 2", 8, 6, 16, 3, 2, 1, 2, 5},
  };
  for (const ConvCase& cc : cases)
    for (DType wt : {DType::F32, DType::F16})
      for (bool with_bias : {true, false}) {
        SCOPED_TRACE(std::string(cc.name) + (wt == DType::F16 ? " f16" : " f32") + (with_bias ? " bias" : ""));
        TensorDesc xd(DType::F32, {cc.c, cc.h, cc.w}), wd(wt, {cc.o, cc.c, cc.k, cc.kwidth()}), bd(DType::F32, {cc.o});
        std::vector<float> x = random_values(xd.elements(), 3);
        auto w = std::make_shared<HostTensor>(HostTensor::from_f32(wd, random_values(wd.elements(), 4)));
        auto b = std::make_shared<HostTensor>(HostTensor::from_f32(bd, random_values(cc.o, 5)));
        const std::vector<float> wf = w->to_f32(), bf = b->to_f32();  // the weights as stored
        Graph g(core_ops());
        std::vector<ValueId> ins = {g.input("x", xd), g.constant("w", wd, {w->bytes.data(), w->bytes.size(), w})};
        if (with_bias) ins.push_back(g.constant("b", bd, {b->bytes.data(), b->bytes.size(), b}));
        g.mark_output(g.op("conv", "conv2d", ins, {{"sh", cc.stride}, {"sw", cc.stride}, {"ph", cc.pad}, {"pw", cc.pad}}), "y");
        auto out = run_on_both_layouts(g, {{"x", HostTensor::from_f32(xd, x)}}, 1e-10);
        EXPECT_EQ(out.at("y").desc, TensorDesc(DType::F32, {cc.o, cc.oh(), cc.ow()}));
        EXPECT_LT(nmse(out.at("y").to_f32(), direct_conv(cc, x, wf, with_bias ? &bf : nullptr)), 1e-10);
      }
}

TEST_F(ConvTest, Conv2dShapeErrorsNameTheNode) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {4, 8, 8}));
  auto expect_error = [&](const char* node, std::vector<ValueId> ins, Attrs attrs) {
    try {
      g.op(node, "conv2d", ins, attrs);
      ADD_FAILURE() << node << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(node), std::string::npos) << e.what();
    }
  };
  expect_error("wrong_channels", {x, g.input("w1", TensorDesc(DType::F32, {2, 3, 3, 3}))}, {});
  expect_error("weight_rank", {x, g.input("w2", TensorDesc(DType::F32, {2, 36}))}, {});
  expect_error("too_large", {x, g.input("w3", TensorDesc(DType::F32, {2, 4, 9, 9}))}, {});
  expect_error("zero_stride", {x, g.input("w4", TensorDesc(DType::F32, {2, 4, 3, 3}))}, {{"sh", int64_t{0}}});
  expect_error("bad_bias", {x, g.input("w5", TensorDesc(DType::F32, {2, 4, 3, 3})), g.input("b5", TensorDesc(DType::F32, {3}))}, {});
  expect_error("q8_weight", {x, g.input("w6", TensorDesc(DType::Q8_0, {2, 4, 1, 32}))}, {});
  expect_error("float_pad", {x, g.input("w7", TensorDesc(DType::F32, {2, 4, 3, 3}))}, {{"ph", 1.5}});
}

TEST_F(ConvTest, ArgmaxFirstOnTiesAndSkipsNaN) {
  const int64_t cols = 131;
  std::vector<float> v(3 * cols, 0.0f);
  v[0 * cols + 100] = 5;  // single max
  v[1 * cols + 7] = 2;    // tie: first index wins
  v[1 * cols + 90] = 2;
  v[2 * cols + 3] = NAN;  // NaN never wins
  v[2 * cols + 130] = 1;
  Graph g(core_ops());
  g.mark_output(g.op("argmax", "argmax", {g.input("x", TensorDesc(DType::F32, {3, cols}))}), "ids");
  auto out = run_on_both_layouts(g, {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {3, cols}), v)}}, 0.0);
  EXPECT_EQ(out.at("ids").to_f32(), (std::vector<float>{100, 7, 130}));
}

TEST_F(ConvTest, Im2colAttributeErrors) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {3, 8, 8}));
  EXPECT_THROW(g.op("a", "im2col", {x}), InputError);                                            // no kernel size
  EXPECT_THROW(g.op("b", "im2col", {x}, {{"kh", int64_t{9}}, {"kw", int64_t{9}}}), InputError);  // larger than image
  EXPECT_THROW(g.op("c", "im2col", {x}, {{"kh", int64_t{2}}, {"kw", int64_t{2}}, {"sh", int64_t{0}}}), InputError);
}

}  // namespace
}  // namespace facet::test
