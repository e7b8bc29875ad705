// im2col(x [C, H, W]), attrs kh, kw (kernel), sh, sw (stride, default 1), ph, pw (padding,
// default 0) -> f32 [OH * OW, C * kh * kw], rows in row-major output order, columns in PyTorch
// conv-weight order (c, ky, kx). A convolution is then matmul(im2col(x), weight [O, C*kh*kw]);
// a ViT patch embedding is the case kh = kw = sh = sw = patch size.
#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

struct Conv {
  int64_t c, h, w, kh, kw, sh, sw, ph, pw, oh, ow;
};

Conv conv_of(const TensorDesc& x, const Attrs& attrs, const std::string& node) {
  auto get = [&](const char* k, int64_t fallback) {
    auto it = attrs.find(k);
    if (it == attrs.end()) {
      if (fallback < 0) throw InputError(node + ": im2col needs integer attribute '" + k + "'");
      return fallback;
    }
    const int64_t* v = std::get_if<int64_t>(&it->second);
    if (!v || *v < 0 || *v > 65536) throw InputError(node + ": im2col attribute '" + k + "' must be an integer in [0, 65536]");
    return *v;
  };
  if (x.rank != 3) throw InputError(node + ": im2col needs an image [C, H, W], got " + x.str());
  Conv c{x.dims[0], x.dims[1], x.dims[2], get("kh", -1), get("kw", -1), get("sh", 1), get("sw", 1), get("ph", 0), get("pw", 0), 0, 0};
  if (c.kh == 0 || c.kw == 0 || c.sh == 0 || c.sw == 0) throw InputError(node + ": im2col kernel and stride must be positive");
  if (c.h + 2 * c.ph < c.kh || c.w + 2 * c.pw < c.kw)
    throw InputError(node + ": im2col kernel " + std::to_string(c.kh) + "x" + std::to_string(c.kw) + " is larger than the padded image " +
                     x.str());
  c.oh = (c.h + 2 * c.ph - c.kh) / c.sh + 1;
  c.ow = (c.w + 2 * c.pw - c.kw) / c.sw + 1;
  return c;
}

}  // namespace

void register_conv(OpRegistry& r) {
  r.add({
      "im2col",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 1, 1, node, "im2col");
        expect_dtype(*in[0], DType::F32, node, "image");
        Conv c = conv_of(in[0]->desc, attrs, node);
        return TensorDesc(DType::F32, {c.oh * c.ow, c.c * c.kh * c.kw});
      },
      [](const OpCall& call, const vk::DeviceInfo& dev) {
        Conv c = conv_of(call.inputs[0]->desc, call.node.attrs, call.node.name);
        struct Extra {
          uint32_t c, h, w, kh, kw, sh, sw, ph, pw, ow;
        };
        auto u = [](int64_t v) { return static_cast<uint32_t>(v); };
        return elementwise_launch("core/im2col", call.output.desc.elements(), dev,
                                  Extra{u(c.c), u(c.h), u(c.w), u(c.kh), u(c.kw), u(c.sh), u(c.sw), u(c.ph), u(c.pw), u(c.ow)});
      },
      [](const OpCall& call, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        Conv c = conv_of(call.inputs[0]->desc, call.node.attrs, call.node.name);
        size_t o = 0;
        for (int64_t oy = 0; oy < c.oh; ++oy)
          for (int64_t ox = 0; ox < c.ow; ++ox)
            for (int64_t ch = 0; ch < c.c; ++ch)
              for (int64_t ky = 0; ky < c.kh; ++ky)
                for (int64_t kx = 0; kx < c.kw; ++kx) {
                  int64_t iy = oy * c.sh - c.ph + ky, ix = ox * c.sw - c.pw + kx;
                  out[o++] = iy < 0 || ix < 0 || iy >= c.h || ix >= c.w ? 0.0f : in[0][(ch * c.h + iy) * c.w + ix];
                }
      },
  });
}

}  // namespace facet::ops
