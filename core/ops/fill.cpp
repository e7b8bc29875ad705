// fill: a new f32 tensor of attribute-given shape (dims d0..d3) with every element = value.
#include "ops/op_helpers.hpp"

namespace facet::ops {

void register_fill(OpRegistry& r) {
  r.add({
      "fill",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 0, 0, node, "fill");
        TensorDesc d;
        for (const char* key : {"d0", "d1", "d2", "d3"}) {
          auto it = attrs.find(key);
          if (it == attrs.end()) break;
          const auto* v = std::get_if<int64_t>(&it->second);
          if (!v || *v <= 0) throw InputError(node + ": fill dimension " + key + " must be a positive integer");
          d.dims[d.rank++] = *v;
        }
        if (d.rank == 0) throw InputError(node + ": fill needs at least attribute d0");
        return d;
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        return elementwise_launch("core/fill", c.output.desc.elements(), dev,
                                  static_cast<float>(c.attr_float("value", 0.0)));
      },
      [](const OpCall& c, const std::vector<std::vector<float>>&, std::vector<float>& out) {
        std::fill(out.begin(), out.end(), static_cast<float>(c.attr_float("value", 0.0)));
      },
  });
}

}  // namespace facet::ops
