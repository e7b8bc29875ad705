// copy: a contiguous f32 copy of any (strided) view of up to 4 dimensions.
#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {
struct CopyExtra {
  uint32_t offset, d1, d2, d3, s0, s1, s2, s3;
};
}  // namespace

void register_copy(OpRegistry& r) {
  OpDef def{
      "copy",
      [](const std::vector<const Value*>& in, const Attrs&, const std::string& node) {
        expect_inputs(in, 1, 1, node, "copy");
        expect_dtype(*in[0], DType::F32, node, "input");
        TensorDesc d = in[0]->desc;
        return d;
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        const Value& x = *c.inputs[0];
        // Right-align the view's dims into 4D: missing leading dims have extent 1.
        uint32_t dims[4] = {1, 1, 1, 1}, strides[4] = {0, 0, 0, 0};
        uint32_t pad = 4 - x.desc.rank;
        for (uint32_t i = 0; i < x.desc.rank; ++i) {
          dims[pad + i] = static_cast<uint32_t>(x.desc.dims[i]);
          strides[pad + i] = static_cast<uint32_t>(x.strides[i]);
        }
        CopyExtra e{static_cast<uint32_t>(x.offset), dims[1], dims[2], dims[3], strides[0], strides[1], strides[2], strides[3]};
        return elementwise_launch("core/copy", x.desc.elements(), dev, e);
      },
      [](const OpCall&, const std::vector<std::vector<float>>& in, std::vector<float>& out) { out = in[0]; },
  };
  def.strided_inputs = true;
  r.add(std::move(def));
}

}  // namespace facet::ops
