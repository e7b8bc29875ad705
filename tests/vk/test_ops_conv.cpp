// im2col (+ matmul = convolution, checked against a direct convolution written here) and argmax.
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
};

TEST_F(ConvTest, Im2colMatmulIsAConvolution) {
  const ConvCase cases[] = {
      {"patch embedding 14x14 on 30x44 (ViT)", 3, 30, 44, 8, 14, 14, 0},
      {"3x3 same padding (diffusion)", 5, 9, 7, 4, 3, 1, 1},
      {"1x1", 2, 3, 3, 3, 1, 1, 0},
  };
  for (const ConvCase& cc : cases) {
    SCOPED_TRACE(cc.name);
    const int64_t oh = (cc.h + 2 * cc.pad - cc.k) / cc.stride + 1, ow = (cc.w + 2 * cc.pad - cc.k) / cc.stride + 1;
    TensorDesc xd(DType::F32, {cc.c, cc.h, cc.w});
    std::vector<float> x = random_values(xd.elements(), 1);
    auto w = std::make_shared<std::vector<float>>(random_values(cc.o * cc.c * cc.k * cc.k, 2));  // [O, C, K, K]
    // Direct convolution (PyTorch semantics), output [OH*OW, O].
    std::vector<float> want(oh * ow * cc.o);
    for (int64_t o = 0; o < cc.o; ++o)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double acc = 0;
          for (int64_t c = 0; c < cc.c; ++c)
            for (int64_t ky = 0; ky < cc.k; ++ky)
              for (int64_t kx = 0; kx < cc.k; ++kx) {
                int64_t iy = oy * cc.stride - cc.pad + ky, ix = ox * cc.stride - cc.pad + kx;
                if (iy >= 0 && ix >= 0 && iy < cc.h && ix < cc.w)
                  acc += double(x[(c * cc.h + iy) * cc.w + ix]) * (*w)[((o * cc.c + c) * cc.k + ky) * cc.k + kx];
              }
          want[(oy * ow + ox) * cc.o + o] = static_cast<float>(acc);
        }
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
