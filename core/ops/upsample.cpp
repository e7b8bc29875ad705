// upsample_nearest(x f32 [C, H, W]), attr scale (2; an integer in [1, 16]) -> f32 [C, H*scale, W*scale]:
// y[c, i, j] = x[c, i / scale, j / scale], PyTorch's interpolate(mode="nearest") at an integer
// scale factor (the Stable Diffusion UNet's Upsample2D before its 3x3 conv). Kept a separate op:
// on lavapipe it costs ~1% of the conv that follows it (docs/benchmarks.md), so folding it into
// conv2d's input indexing is not worth a second conv kernel.
#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

int64_t scale_of(const Attrs& attrs, const std::string& node) {
  auto it = attrs.find("scale");
  if (it == attrs.end()) return 2;
  const int64_t* s = std::get_if<int64_t>(&it->second);
  if (!s || *s < 1 || *s > 16) throw InputError(node + ": upsample_nearest attribute 'scale' must be an integer in [1, 16]");
  return *s;
}

}  // namespace

void register_upsample(OpRegistry& r) {
  r.add({
      "upsample_nearest",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 1, 1, node, "upsample_nearest");
        expect_dtype(*in[0], DType::F32, node, "input");
        const TensorDesc& x = in[0]->desc;
        if (x.rank != 3) throw InputError(node + ": upsample_nearest needs an image [C, H, W], got " + x.str());
        const int64_t s = scale_of(attrs, node);
        return TensorDesc(DType::F32, {x.dims[0], x.dims[1] * s, x.dims[2] * s});
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        struct Extra {
          uint32_t w, ow, scale;
        };
        const TensorDesc& y = c.output.desc;
        return elementwise_launch("core/upsample_nearest", y.elements(), dev,
                                  Extra{static_cast<uint32_t>(c.inputs[0]->desc.dims[2]), static_cast<uint32_t>(y.dims[2]),
                                        static_cast<uint32_t>(scale_of(c.node.attrs, c.node.name))});
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const TensorDesc &x = c.inputs[0]->desc, &y = c.output.desc;
        const int64_t s = scale_of(c.node.attrs, c.node.name);
        for (int64_t ch = 0; ch < y.dims[0]; ++ch)
          for (int64_t i = 0; i < y.dims[1]; ++i)
            for (int64_t j = 0; j < y.dims[2]; ++j)
              out[(ch * y.dims[1] + i) * y.dims[2] + j] = in[0][(ch * x.dims[1] + i / s) * x.dims[2] + j / s];
      },
  });
}

}  // namespace facet::ops
