// add, mul: y = a (+|*) b with b the same shape as a, or broadcast along a's leading dims
// (b's dims equal a's innermost dims: a bias row, a per-channel scale). f32.
#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

TensorDesc infer_binary(const std::vector<const Value*>& in, const std::string& node, const char* op) {
  expect_inputs(in, 2, 2, node, op);
  expect_dtype(*in[0], DType::F32, node, "input a");
  expect_dtype(*in[1], DType::F32, node, "input b");
  const TensorDesc &a = in[0]->desc, &b = in[1]->desc;
  bool ok = b.rank <= a.rank && b.elements() > 0;
  for (uint32_t i = 0; ok && i < b.rank; ++i) ok = b.dims[b.rank - 1 - i] == a.dims[a.rank - 1 - i];
  if (!ok) throw InputError(node + ": op '" + op + "' cannot broadcast " + b.str() + " onto " + a.str());
  return a;
}

void add_binary(OpRegistry& r, const char* name, float (*f)(float, float)) {
  std::string kernel = std::string("core/") + name;
  r.add({
      name,
      [name](const std::vector<const Value*>& in, const Attrs&, const std::string& node) {
        return infer_binary(in, node, name);
      },
      [kernel](const OpCall& c, const vk::DeviceInfo& dev) {
        const auto nb = static_cast<uint32_t>(c.inputs[1]->desc.elements());
        if (auto l = elementwise_texel_launch(kernel, c, dev, nb)) return *l;
        return elementwise_launch(kernel, c.output.desc.elements(), dev, nb);
      },
      [f](const OpCall&, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const auto &a = in[0], &b = in[1];
        for (size_t i = 0; i < out.size(); ++i) out[i] = f(a[i], b[i % b.size()]);
      },
  });
}

}  // namespace

void register_binary(OpRegistry& r) {
  add_binary(r, "add", [](float a, float b) { return a + b; });
  add_binary(r, "mul", [](float a, float b) { return a * b; });
}

}  // namespace facet::ops
