// Activations y = act(x): gelu (erf), gelu_tanh, quick_gelu, silu, relu; and gated units
// y = act(gate) * up: swiglu (SiLU), geglu (GELU erf), geglu_tanh. f32, any shape.
#include <cmath>

#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

// Codes shared with sdk/shaders/facet/activations.glsl.
enum Act : uint32_t { kGelu = 0, kGeluTanh = 1, kQuickGelu = 2, kSilu = 3, kRelu = 4 };

double activation(Act act, double x) {
  switch (act) {
    case kGelu: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case kGeluTanh: return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case kQuickGelu: return x / (1.0 + std::exp(-1.702 * x));
    case kSilu: return x / (1.0 + std::exp(-x));
    default: return x > 0 ? x : 0.0;
  }
}

void add_unary(OpRegistry& r, const char* name, Act act) {
  r.add({
      name,
      [name](const std::vector<const Value*>& in, const Attrs&, const std::string& node) {
        expect_inputs(in, 1, 1, node, name);
        expect_dtype(*in[0], DType::F32, node, "input");
        return in[0]->desc;
      },
      [act](const OpCall& c, const vk::DeviceInfo& dev) {
        auto texel = elementwise_texel_launch("core/unary", c, dev, uint32_t{0});
        Launch l = texel ? *texel : elementwise_launch("core/unary", c.output.desc.elements(), dev);
        if (texel) l.push.resize(2 * sizeof(uint32_t));  // n and chunk only
        l.spec.push_back(act);
        return l;
      },
      [act](const OpCall&, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(activation(act, in[0][i]));
      },
  });
}

void add_glu(OpRegistry& r, const char* name, Act act) {
  r.add({
      name,
      [name](const std::vector<const Value*>& in, const Attrs&, const std::string& node) {
        expect_inputs(in, 2, 2, node, name);
        expect_dtype(*in[0], DType::F32, node, "gate");
        expect_dtype(*in[1], DType::F32, node, "up");
        if (in[0]->desc != in[1]->desc)
          throw InputError(node + ": " + name + " gate " + in[0]->desc.str() + " and up " + in[1]->desc.str() + " differ");
        return in[0]->desc;
      },
      [act](const OpCall& c, const vk::DeviceInfo& dev) {
        auto texel = elementwise_texel_launch("core/glu", c, dev, uint32_t{0});
        Launch l = texel ? *texel : elementwise_launch("core/glu", c.output.desc.elements(), dev);
        if (texel) l.push.resize(2 * sizeof(uint32_t));  // n and chunk only
        l.spec.push_back(act);
        return l;
      },
      [act](const OpCall&, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(activation(act, in[0][i]) * in[1][i]);
      },
  });
}

}  // namespace

void register_activation(OpRegistry& r) {
  add_unary(r, "gelu", kGelu);
  add_unary(r, "gelu_tanh", kGeluTanh);
  add_unary(r, "quick_gelu", kQuickGelu);
  add_unary(r, "silu", kSilu);
  add_unary(r, "relu", kRelu);
  add_glu(r, "swiglu", kSilu);
  add_glu(r, "geglu", kGelu);
  add_glu(r, "geglu_tanh", kGeluTanh);
}

}  // namespace facet::ops
