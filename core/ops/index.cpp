// index_of(x i32 [N]) -> i32 [1]; attrs mode (0), value (0).
//   mode 0: the first i with x[i] == value, or 0 when none (torch: (x == value).int().argmax());
//   mode 1: the first index of the maximum (torch.argmax on integers).
// CLIP's text tower pools at the EOS token this way (mode 1 for legacy configs whose
// eos_token_id is 2, where the EOS id is the largest id).
#include "ops/op_helpers.hpp"

namespace facet::ops {

void register_index(OpRegistry& r) {
  r.add({
      "index_of",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 1, 1, node, "index_of");
        expect_dtype(*in[0], DType::I32, node, "x");
        if (in[0]->desc.rank != 1 || in[0]->desc.dims[0] < 1)
          throw InputError(node + ": index_of needs a non-empty i32 vector, got " + in[0]->desc.str());
        for (const char* name : {"mode", "value"})
          if (auto it = attrs.find(name); it != attrs.end() && !std::get_if<int64_t>(&it->second))
            throw InputError(node + ": index_of attribute " + name + " must be an integer");
        if (auto it = attrs.find("mode"); it != attrs.end() && std::get<int64_t>(it->second) != 0 && std::get<int64_t>(it->second) != 1)
          throw InputError(node + ": index_of mode must be 0 (first equal) or 1 (first maximum)");
        return TensorDesc(DType::I32, {1});
      },
      [](const OpCall& c, const vk::DeviceInfo&) {
        Launch l;
        l.kernel = "core/index_of";
        l.spec = {c.attr_int("mode", 0) ? 1u : 0u};
        struct Push {
          uint32_t n;
          int32_t value;
        };
        l.set_push(Push{static_cast<uint32_t>(c.inputs[0]->desc.dims[0]), static_cast<int32_t>(c.attr_int("value", 0))});
        l.groups = {1, 1, 1};
        return l;
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const std::vector<float>& x = in[0];
        const bool max_mode = c.attr_int("mode", 0) != 0;
        const float value = static_cast<float>(c.attr_int("value", 0));
        size_t best = 0;
        for (size_t i = 0; i < x.size(); ++i) {
          if (!max_mode && x[i] == value) {
            best = i;
            break;
          }
          if (max_mode && x[i] > x[best]) best = i;
        }
        out[0] = static_cast<float>(best);
      },
  });
}

}  // namespace facet::ops
