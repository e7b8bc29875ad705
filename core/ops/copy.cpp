// copy: a contiguous f32 copy of any (strided) view of up to 4 dimensions.
#include "ops/op_helpers.hpp"

namespace facet::ops {

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
        return strided_copy(x.desc, x.strides, x.offset, dev);
      },
      [](const OpCall&, const std::vector<std::vector<float>>& in, std::vector<float>& out) { out = in[0]; },
  };
  def.strided_inputs = true;
  r.add(std::move(def));
}

}  // namespace facet::ops
