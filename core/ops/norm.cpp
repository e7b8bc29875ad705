// Row ops over the last dimension, one workgroup per row:
//   layer_norm(x, [weight, [bias]]), attr eps (default 1e-5)
//   rms_norm(x, [weight]), attr eps (default 1e-6)
//   softmax(x), attr scale (default 1): softmax(x * scale)
// x: f32 [..., cols]; weight, bias: f32 [cols].
#include <cmath>

#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

struct RowPush {
  uint32_t rows, cols;
  float value;  // eps or scale
};

constexpr uint32_t kRowWorkgroup = 64;  // a power of two (row_reduce.glsl)

Launch row_launch(const char* kernel, const TensorDesc& x, float value, const vk::DeviceInfo& dev) {
  Launch l;
  l.kernel = kernel;
  l.spec = {kRowWorkgroup, dev.quirks.contiguous_work_layout ? 1u : 0u};
  uint64_t cols = static_cast<uint64_t>(x.dim(-1)), rows = static_cast<uint64_t>(x.elements()) / cols;
  l.set_push(RowPush{static_cast<uint32_t>(rows), static_cast<uint32_t>(cols), value});
  l.groups = grid_of(rows, dev);
  return l;
}

TensorDesc infer_norm(const std::vector<const Value*>& in, const std::string& node, const char* op, size_t max_params) {
  expect_inputs(in, 1, 1 + max_params, node, op);
  expect_dtype(*in[0], DType::F32, node, "input");
  if (in[0]->desc.rank == 0 || in[0]->desc.dim(-1) == 0) throw InputError(node + ": " + op + " of an empty tensor");
  for (size_t i = 1; i < in.size(); ++i) {
    expect_dtype(*in[i], DType::F32, node, i == 1 ? "weight" : "bias");
    if (in[i]->desc.rank != 1 || in[i]->desc.dims[0] != in[0]->desc.dim(-1))
      throw InputError(node + ": " + op + " parameter '" + in[i]->name + "' must be f32 [" + std::to_string(in[0]->desc.dim(-1)) +
                       "], got " + in[i]->desc.str());
  }
  return in[0]->desc;
}

void norm_reference(const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out, bool rms,
                    double eps) {
  size_t cols = static_cast<size_t>(c.output.desc.dim(-1)), rows = out.size() / cols;
  for (size_t r = 0; r < rows; ++r) {
    const float* x = &in[0][r * cols];
    double mean = 0, var = 0;
    if (!rms) {
      for (size_t i = 0; i < cols; ++i) mean += x[i];
      mean /= static_cast<double>(cols);
    }
    for (size_t i = 0; i < cols; ++i) var += (x[i] - mean) * (x[i] - mean);
    double inv = 1.0 / std::sqrt(var / static_cast<double>(cols) + eps);
    for (size_t i = 0; i < cols; ++i) {
      double v = (x[i] - mean) * inv;
      if (in.size() > 1) v *= in[1][i];
      if (in.size() > 2) v += in[2][i];
      out[r * cols + i] = static_cast<float>(v);
    }
  }
}

void add_norm(OpRegistry& r, const char* name, bool rms, double default_eps) {
  r.add({
      name,
      [name, rms](const std::vector<const Value*>& in, const Attrs&, const std::string& node) {
        return infer_norm(in, node, name, rms ? 1 : 2);
      },
      [rms, default_eps](const OpCall& c, const vk::DeviceInfo& dev) {
        Launch l = row_launch("core/norm", c.output.desc, static_cast<float>(c.attr_float("eps", default_eps)), dev);
        bool weight = c.inputs.size() > 1, bias = c.inputs.size() > 2;
        l.spec.insert(l.spec.end(), {rms ? 1u : 0u, weight ? 1u : 0u, bias ? 1u : 0u});
        l.bindings = {0, weight ? 1 : 0, bias ? 2 : 0, -1};  // absent params bind x (unread)
        bool texels = dev.quirks.contiguous_work_layout && dev.subgroup_arithmetic && c.output.desc.dim(-1) % 4 == 0;
        for (const Value* v : c.inputs) texels = texels && texel_viewable(*v, 16, dev);
        if (texels) {
          // CPU devices: one subgroup per row reading texels, no barriers (docs/benchmarks.md).
          l.kernel = "core/norm_texel";
          l.texels = {{0, VK_FORMAT_R32G32B32A32_SFLOAT}, {1, VK_FORMAT_R32G32B32A32_SFLOAT}, {2, VK_FORMAT_R32G32B32A32_SFLOAT}};
          const uint64_t rows = static_cast<uint64_t>(c.output.desc.elements() / c.output.desc.dim(-1));
          const uint64_t per_wg = kRowWorkgroup / dev.subgroup_size;
          l.groups = grid_of((rows + per_wg - 1) / per_wg, dev);
        }
        return l;
      },
      [rms, default_eps](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        norm_reference(c, in, out, rms, c.attr_float("eps", default_eps));
      },
  });
}

}  // namespace

// group_norm(x [C, ...spatial], [weight [C], bias [C]]), attrs groups (required), eps (1e-5),
// silu (0/1: y * sigmoid(y) after the affine, the GroupNorm + SiLU pair of ResNet blocks).
TensorDesc infer_group_norm(const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
  if (in.size() != 1 && in.size() != 3) throw InputError(node + ": group_norm takes x, or x, weight and bias");
  expect_dtype(*in[0], DType::F32, node, "input");
  const TensorDesc& x = in[0]->desc;
  auto it = attrs.find("groups");
  const int64_t* g = it == attrs.end() ? nullptr : std::get_if<int64_t>(&it->second);
  if (x.rank < 2) throw InputError(node + ": group_norm needs x [C, ...], got " + x.str());
  if (!g || *g <= 0 || x.dims[0] % *g != 0)
    throw InputError(node + ": group_norm needs attribute groups dividing the " + std::to_string(x.dims[0]) + " channels");
  for (size_t i = 1; i < in.size(); ++i) {
    expect_dtype(*in[i], DType::F32, node, i == 1 ? "weight" : "bias");
    if (in[i]->desc.rank != 1 || in[i]->desc.dims[0] != x.dims[0])
      throw InputError(node + ": group_norm " + (i == 1 ? "weight" : "bias") + " must be f32 [" + std::to_string(x.dims[0]) + "]");
  }
  auto silu = attrs.find("silu");
  if (silu != attrs.end() && (!std::holds_alternative<int64_t>(silu->second) || std::get<int64_t>(silu->second) < 0 ||
                              std::get<int64_t>(silu->second) > 1))
    throw InputError(node + ": group_norm attribute 'silu' must be 0 or 1");
  return x;
}

void register_norm(OpRegistry& r) {
  r.add({
      "group_norm",
      infer_group_norm,
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        const TensorDesc& x = c.inputs[0]->desc;
        const int64_t groups = c.attr_int("groups", 1), spatial = x.elements() / x.dims[0];
        struct Push {
          uint32_t groups, group_size, spatial;
          float eps;
        };
        Launch l;
        l.kernel = "core/group_norm";
        const bool affine = c.inputs.size() == 3, silu = c.attr_int("silu", 0) != 0;
        l.spec = {kRowWorkgroup, dev.quirks.contiguous_work_layout ? 1u : 0u, affine ? 1u : 0u, silu ? 1u : 0u};
        l.set_push(Push{static_cast<uint32_t>(groups), static_cast<uint32_t>(x.elements() / groups), static_cast<uint32_t>(spatial),
                        static_cast<float>(c.attr_float("eps", 1e-5))});
        l.groups = grid_of(static_cast<uint64_t>(groups), dev);
        l.bindings = {0, affine ? 1 : 0, affine ? 2 : 0, -1};
        if (dev.quirks.contiguous_work_layout && dev.subgroup_arithmetic && spatial % 4 == 0 && texel_viewable(*c.inputs[0], 16, dev)) {
          // CPU devices: one subgroup per group reading texels, no barriers (docs/benchmarks.md).
          l.kernel = "core/group_norm_texel";
          l.texels = {{0, VK_FORMAT_R32G32B32A32_SFLOAT}};
          const uint64_t per_wg = kRowWorkgroup / dev.subgroup_size;
          l.groups = grid_of((static_cast<uint64_t>(groups) + per_wg - 1) / per_wg, dev);
        }
        return l;
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const TensorDesc& x = c.inputs[0]->desc;
        const int64_t groups = c.attr_int("groups", 1), size = x.elements() / groups, spatial = x.elements() / x.dims[0];
        const double eps = c.attr_float("eps", 1e-5);
        const bool silu = c.attr_int("silu", 0) != 0;
        for (int64_t g = 0; g < groups; ++g) {
          const float* v = &in[0][g * size];
          double mean = 0, var = 0;
          for (int64_t i = 0; i < size; ++i) mean += v[i];
          mean /= static_cast<double>(size);
          for (int64_t i = 0; i < size; ++i) var += (v[i] - mean) * (v[i] - mean);
          double inv = 1.0 / std::sqrt(var / static_cast<double>(size) + eps);
          for (int64_t i = 0; i < size; ++i) {
            double y = (v[i] - mean) * inv;
            if (in.size() == 3) {
              int64_t ch = (g * size + i) / spatial;
              y = y * in[1][ch] + in[2][ch];
            }
            if (silu) y = y / (1.0 + std::exp(-y));
            out[g * size + i] = static_cast<float>(y);
          }
        }
      },
  });
  // argmax(x [.., C]) -> i32 [..]: index of the largest value of each row (first on ties; NaN never wins).
  r.add({
      "argmax",
      [](const std::vector<const Value*>& in, const Attrs&, const std::string& node) {
        TensorDesc x = infer_norm(in, node, "argmax", 0);
        TensorDesc y = x;
        y.dtype = DType::I32;
        y.rank = x.rank > 1 ? x.rank - 1 : 1;
        if (x.rank == 1) y.dims[0] = 1;
        return y;
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        Launch l = row_launch("core/argmax", c.inputs[0]->desc, 0.0f, dev);
        l.push.resize(2 * sizeof(uint32_t));  // the kernel takes rows and cols only
        return l;
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        size_t cols = static_cast<size_t>(c.inputs[0]->desc.dim(-1));
        for (size_t r = 0; r < out.size(); ++r) {
          size_t best = 0;
          bool found = false;
          for (size_t i = 0; i < cols; ++i) {
            float v = in[0][r * cols + i];
            if (!std::isnan(v) && (!found || v > in[0][r * cols + best])) {
              best = i;
              found = true;
            }
          }
          out[r] = static_cast<float>(best);
        }
      },
  });
  add_norm(r, "layer_norm", false, 1e-5);
  add_norm(r, "rms_norm", true, 1e-6);
  r.add({
      "softmax",
      [](const std::vector<const Value*>& in, const Attrs&, const std::string& node) {
        return infer_norm(in, node, "softmax", 0);
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        return row_launch("core/softmax", c.output.desc, static_cast<float>(c.attr_float("scale", 1.0)), dev);
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        double scale = c.attr_float("scale", 1.0);
        size_t cols = static_cast<size_t>(c.output.desc.dim(-1)), rows = out.size() / cols;
        for (size_t r = 0; r < rows; ++r) {
          const float* x = &in[0][r * cols];
          double m = -INFINITY, s = 0;
          for (size_t i = 0; i < cols; ++i) m = std::max(m, x[i] * scale);
          for (size_t i = 0; i < cols; ++i) s += std::exp(x[i] * scale - m);
          for (size_t i = 0; i < cols; ++i) out[r * cols + i] = static_cast<float>(std::exp(x[i] * scale - m) / s);
        }
      },
  });
}

}  // namespace facet::ops
