// conv2d(x f32 [C, H, W], weight [O, C, kh, kw] f32 or f16, optional bias f32 [O]) -> f32 [O, OH, OW]
//   attrs sh, sw (stride, 1), ph, pw (zero padding, 0): PyTorch's Conv2d on one channels-first
//   image (groups 1, dilation 1). An implicit GEMM: no im2col buffer exists (docs/ops.md).
// Kernels: CPU devices (texel fetches, a register tile of output channels x a run of pixels per
// invocation, input rows held in registers as sliding windows): conv2d_texel_<w>, when W % 4 == 0
// and C is a multiple of the channels per step; otherwise conv2d_<w> (shared-memory tiles of the
// implicit GEMM, coalesced; the GPU kernel).
#include <numeric>

#include "ops/conv_geometry.hpp"
#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

ConvGeometry conv2d_of(const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
  const TensorDesc& w = in[1]->desc;
  if (w.rank != 4) throw InputError(node + ": conv2d weight '" + in[1]->name + "' must be [O, C, kh, kw], got " + w.str());
  ConvGeometry c = conv_geometry(in[0]->desc, w.dims[2], w.dims[3], attrs, node, "conv2d");
  if (w.dims[1] != c.c)
    throw InputError(node + ": conv2d weight " + w.str() + " does not match the " + std::to_string(c.c) + " channels of x " +
                     in[0]->desc.str());
  return c;
}

struct Conv2dPush {
  uint32_t c, h, w, o, oh, ow, sh, sw, ph, pw, kh, kw;
};

}  // namespace

void register_conv2d(OpRegistry& r) {
  r.add({
      "conv2d",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 2, 3, node, "conv2d");
        expect_dtype(*in[0], DType::F32, node, "input x");
        if (in[1]->desc.dtype != DType::F32 && in[1]->desc.dtype != DType::F16)
          throw InputError(node + ": conv2d weight '" + in[1]->name + "' must be f32 or f16, got " + in[1]->desc.str());
        const ConvGeometry c = conv2d_of(in, attrs, node);
        const int64_t o = in[1]->desc.dims[0];
        if (in.size() == 3) {
          expect_dtype(*in[2], DType::F32, node, "bias");
          if (in[2]->desc.rank != 1 || in[2]->desc.dims[0] != o)
            throw InputError(node + ": conv2d bias must be f32 [" + std::to_string(o) + "], got " + in[2]->desc.str());
        }
        return TensorDesc(DType::F32, {o, c.oh, c.ow});
      },
      [](const OpCall& call, const vk::DeviceInfo& dev) {
        const ConvGeometry c = conv2d_of(call.inputs, call.node.attrs, call.node.name);
        const bool bias = call.inputs.size() == 3, f16 = call.inputs[1]->desc.dtype == DType::F16;
        const int64_t o = call.inputs[1]->desc.dims[0], taps = c.kh * c.kw;
        auto u = [](int64_t v) { return static_cast<uint32_t>(v); };
        Launch l;
        l.set_push(Conv2dPush{u(c.c), u(c.h), u(c.w), u(o), u(c.oh), u(c.ow), u(c.sh), u(c.sw), u(c.ph), u(c.pw), u(c.kh), u(c.kw)});
        l.bindings = {0, 1, bias ? 2 : 0, -1};  // without bias, x is bound (unread) at its slot
        const std::string wtype = f16 ? "f16" : "f32";
        // CPU devices: a step of the K loop is CB channels, CB * taps whole weight texels (4 f32 or
        // 8 f16 weights each), so every o-row's weights stream as aligned texels.
        const int64_t per_texel = f16 ? 8 : 4, cb = per_texel / std::gcd(taps, per_texel);
        if (dev.quirks.contiguous_work_layout && c.w % 4 == 0 && c.c % cb == 0 && taps <= 16 && c.sw <= 2 &&
            texel_viewable(*call.inputs[0], 16, dev) && texel_viewable(*call.inputs[1], 16, dev)) {
          // A tile: MB output channels x NB pixels of one output row (NB a multiple of 4, at most the
          // row, so small images waste no lanes); consecutive invocations take consecutive pixel
          // tiles of the same channels. Sizes measured on lavapipe (docs/benchmarks.md).
          // The input rows of one channel at a time (CW = 1) for 3x3: holding more made f16 slower
          // (register pressure); for 1x1 a whole step (its weights are one texel per output channel).
          const uint32_t nb = c.ow >= 16 ? 16 : c.ow >= 8 ? 8 : 4, mb = 16, wg = 32, cw = taps == 1 ? u(cb) : 1;
          l.kernel = "core/conv2d_texel_" + wtype;
          l.spec = {wg, bias ? 1u : 0u, nb, mb, u(c.kh), u(c.kw), u(c.sw), u(cb), cw, u((4 - c.pw % 4) % 4)};
          l.texels = {{0, VK_FORMAT_R32G32B32A32_SFLOAT},
                      {1, f16 ? VK_FORMAT_R32G32B32A32_UINT : VK_FORMAT_R32G32B32A32_SFLOAT}};
          const uint64_t tiles = static_cast<uint64_t>(c.oh * ((c.ow + nb - 1) / nb)) * static_cast<uint64_t>((o + mb - 1) / mb);
          l.groups = grid_of((tiles + wg - 1) / wg, dev);
          return l;
        }
        // GPUs (and CPU devices for other shapes): the implicit GEMM in shared-memory tiles of
        // TILE output channels x TILE pixels, the input gathered into the tile on the fly.
        constexpr uint32_t kTile = 16;
        l.kernel = "core/conv2d_" + wtype;
        l.spec = {kTile, bias ? 1u : 0u};
        l.groups = {u((c.oh * c.ow + kTile - 1) / kTile), u((o + kTile - 1) / kTile), 1};
        return l;
      },
      [](const OpCall& call, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const ConvGeometry c = conv2d_of(call.inputs, call.node.attrs, call.node.name);
        const int64_t o_count = call.inputs[1]->desc.dims[0];
        const std::vector<float>&x = in[0], &w = in[1];
        for (int64_t o = 0; o < o_count; ++o)
          for (int64_t oy = 0; oy < c.oh; ++oy)
            for (int64_t ox = 0; ox < c.ow; ++ox) {
              double acc = in.size() == 3 ? in[2][o] : 0.0;
              for (int64_t ch = 0; ch < c.c; ++ch)
                for (int64_t ky = 0; ky < c.kh; ++ky) {
                  const int64_t iy = conv_in_y(c, oy, ky);
                  if (iy < 0 || iy >= c.h) continue;
                  for (int64_t kx = 0; kx < c.kw; ++kx) {
                    const int64_t ix = conv_in_x(c, ox, kx);
                    if (ix >= 0 && ix < c.w)
                      acc += static_cast<double>(x[(ch * c.h + iy) * c.w + ix]) * w[((o * c.c + ch) * c.kh + ky) * c.kw + kx];
                  }
                }
              out[(o * c.oh + oy) * c.ow + ox] = static_cast<float>(acc);
            }
      },
  });
}

}  // namespace facet::ops
