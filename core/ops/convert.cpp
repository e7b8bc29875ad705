// convert: a tensor in another plain float type (attribute dtype: the DType / facet_dtype code
// of f32, f16 or bf16). f16 and bf16 round to nearest even.
#include "ops/op_helpers.hpp"
#include "util/half.hpp"

namespace facet::ops {

namespace {
uint32_t type_code(DType t) { return t == DType::F32 ? 0 : t == DType::F16 ? 1 : 2; }
bool convertible(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }
}  // namespace

void register_convert(OpRegistry& r) {
  r.add({
      "convert",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 1, 1, node, "convert");
        auto it = attrs.find("dtype");
        const int64_t* code = it == attrs.end() ? nullptr : std::get_if<int64_t>(&it->second);
        if (!code || *code < 0 || *code > static_cast<int64_t>(DType::Q6_K) || !convertible(static_cast<DType>(*code)))
          throw InputError(node + ": convert needs attribute dtype = f32, f16 or bf16");
        if (!convertible(in[0]->desc.dtype))
          throw InputError(node + ": convert input must be f32, f16 or bf16, got " + in[0]->desc.str());
        TensorDesc d = in[0]->desc;
        d.dtype = static_cast<DType>(*code);
        return d;
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        uint64_t count = static_cast<uint64_t>(c.output.desc.elements());
        Launch l = elementwise_launch("core/convert", (count + 1) / 2, dev, static_cast<uint32_t>(count));
        l.spec.push_back(type_code(c.inputs[0]->desc.dtype));
        l.spec.push_back(type_code(c.output.desc.dtype));
        return l;
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        DType t = c.output.desc.dtype;
        for (size_t i = 0; i < out.size(); ++i) {
          float v = in[0][i];
          out[i] = t == DType::F16 ? f16_to_f32(f32_to_f16(v)) : t == DType::BF16 ? bf16_to_f32(f32_to_bf16(v)) : v;
        }
      },
  });
}

}  // namespace facet::ops
