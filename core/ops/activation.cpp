// Activations y = act(x): gelu (erf), gelu_tanh, quick_gelu, silu, relu; and gated units
// y = act(gate) * up: swiglu (SiLU), geglu (GELU erf), geglu_tanh. f32, any shape.
// A gated unit of one input x [.., 2n] -> [.., n] takes up and gate as the two halves of each
// row, the gate being the half named by attribute `gate` (1, default: the second, as diffusers'
// GEGLU `hidden, gate = proj(x).chunk(2, -1)`; 0: the first).
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

// Where a one-input gated unit reads: half = n (the row's half) and the gate's offset in a row.
struct GluSplit {
  uint32_t half, goff;
};
GluSplit glu_split(const OpCall& c) {
  const uint32_t half = static_cast<uint32_t>(c.output.desc.dim(-1));
  return {half, c.attr_int("gate", 1) != 0 ? half : 0u};
}

void add_glu(OpRegistry& r, const char* name, Act act) {
  r.add({
      name,
      [name](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 1, 2, node, name);
        if (in.size() == 1) {
          expect_dtype(*in[0], DType::F32, node, "input");
          auto g = attrs.find("gate");
          if (g != attrs.end() && (!std::holds_alternative<int64_t>(g->second) || std::get<int64_t>(g->second) < 0 ||
                                   std::get<int64_t>(g->second) > 1))
            throw InputError(node + ": " + name + " attribute 'gate' must be 0 (first half) or 1 (second half)");
          TensorDesc y = in[0]->desc;
          if (y.rank == 0 || y.dim(-1) % 2 != 0)
            throw InputError(node + ": " + name + " of one input needs rows of an even size (up and gate halves), got " + y.str());
          y.dims[y.rank - 1] /= 2;
          return y;
        }
        expect_dtype(*in[0], DType::F32, node, "gate");
        expect_dtype(*in[1], DType::F32, node, "up");
        if (in[0]->desc != in[1]->desc)
          throw InputError(node + ": " + name + " gate " + in[0]->desc.str() + " and up " + in[1]->desc.str() + " differ");
        return in[0]->desc;
      },
      [act](const OpCall& c, const vk::DeviceInfo& dev) {
        const bool split = c.inputs.size() == 1;
        const GluSplit s = split ? glu_split(c) : GluSplit{0, 0};
        auto texel = split && s.half % 4 != 0 ? std::nullopt : elementwise_texel_launch("core/glu", c, dev, s);
        Launch l = texel ? *texel : elementwise_launch("core/glu", c.output.desc.elements(), dev, s);
        l.spec.push_back(act);
        l.spec.push_back(split ? 1u : 0u);
        if (split) l.bindings = {0, 0, -1};  // x at the gate and up slots
        if (split && texel) l.texels[1] = VK_FORMAT_R32G32B32A32_SFLOAT;
        return l;
      },
      [act](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        if (in.size() == 2) {
          for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(activation(act, in[0][i]) * in[1][i]);
          return;
        }
        const GluSplit s = glu_split(c);
        for (size_t i = 0; i < out.size(); ++i) {
          const size_t row = i / s.half * 2 * s.half, col = i % s.half;
          out[i] = static_cast<float>(activation(act, in[0][row + s.goff + col]) * in[0][row + (s.half - s.goff) + col]);
        }
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
