// im2col(x [C, H, W]), attrs kh, kw (kernel), sh, sw (stride, default 1), ph, pw (padding,
// default 0) -> f32 [OH * OW, C * kh * kw], rows in row-major output order, columns in PyTorch
// conv-weight order (c, ky, kx). A convolution is then matmul(im2col(x), weight [O, C*kh*kw]);
// a ViT patch embedding is the case kh = kw = sh = sw = patch size.
#include "ops/conv_geometry.hpp"
#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

ConvGeometry conv_of(const TensorDesc& x, const Attrs& attrs, const std::string& node) {
  return conv_geometry(x, conv_attr(attrs, "kh", -1, node, "im2col"), conv_attr(attrs, "kw", -1, node, "im2col"), attrs, node,
                       "im2col");
}

}  // namespace

void register_conv(OpRegistry& r) {
  r.add({
      "im2col",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 1, 1, node, "im2col");
        expect_dtype(*in[0], DType::F32, node, "image");
        ConvGeometry c = conv_of(in[0]->desc, attrs, node);
        return TensorDesc(DType::F32, {c.oh * c.ow, c.c * c.kh * c.kw});
      },
      [](const OpCall& call, const vk::DeviceInfo& dev) {
        ConvGeometry c = conv_of(call.inputs[0]->desc, call.node.attrs, call.node.name);
        struct Extra {
          uint32_t c, h, w, kh, kw, sh, sw, ph, pw, ow;
        };
        auto u = [](int64_t v) { return static_cast<uint32_t>(v); };
        return elementwise_launch("core/im2col", call.output.desc.elements(), dev,
                                  Extra{u(c.c), u(c.h), u(c.w), u(c.kh), u(c.kw), u(c.sh), u(c.sw), u(c.ph), u(c.pw), u(c.ow)});
      },
      [](const OpCall& call, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        ConvGeometry c = conv_of(call.inputs[0]->desc, call.node.attrs, call.node.name);
        size_t o = 0;
        for (int64_t oy = 0; oy < c.oh; ++oy)
          for (int64_t ox = 0; ox < c.ow; ++ox)
            for (int64_t ch = 0; ch < c.c; ++ch)
              for (int64_t ky = 0; ky < c.kh; ++ky)
                for (int64_t kx = 0; kx < c.kw; ++kx) {
                  int64_t iy = conv_in_y(c, oy, ky), ix = conv_in_x(c, ox, kx);
                  out[o++] = iy < 0 || ix < 0 || iy >= c.h || ix >= c.w ? 0.0f : in[0][(ch * c.h + iy) * c.w + ix];
                }
      },
  });
}

}  // namespace facet::ops
