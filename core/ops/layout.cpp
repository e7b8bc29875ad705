// Data movement ops (f32, rank <= 4):
//   permute(x), attrs p0..p{rank-1}: y.dims[i] = x.dims[p_i]   (a strided copy)
//   slice(x), attrs dim, start, end (end exclusive; negative counts from the end): a strided copy
//   concat(a, b), attr dim: a and b agree on every other dimension
// Interleaving token sequences (Interleaved-MoF: CLIP, DINO, CLIP, DINO, ...) is
// concat(a [T, 1, D], b [T, 1, D], dim 1) reshaped to [2T, D].
#include <algorithm>

#include "graph/strided.hpp"
#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

int64_t int_attr(const Attrs& attrs, const std::string& name, const std::string& node, const char* op) {
  auto it = attrs.find(name);
  if (it == attrs.end() || !std::holds_alternative<int64_t>(it->second))
    throw InputError(node + ": " + op + " needs integer attribute '" + name + "'");
  return std::get<int64_t>(it->second);
}

int64_t axis(int64_t dim, uint32_t rank, const std::string& node, const char* op) {
  int64_t d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= static_cast<int64_t>(rank))
    throw InputError(node + ": " + op + " dimension " + std::to_string(dim) + " outside rank " + std::to_string(rank));
  return d;
}

// Permutation from attrs p0..: validated.
std::vector<int64_t> perm_of(const Attrs& attrs, uint32_t rank, const std::string& node) {
  std::vector<int64_t> p;
  for (uint32_t i = 0; i < rank; ++i) p.push_back(int_attr(attrs, "p" + std::to_string(i), node, "permute"));
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (uint32_t i = 0; i < rank; ++i)
    if (sorted[i] != i) throw InputError(node + ": permute attributes p0..p" + std::to_string(rank - 1) + " are not a permutation");
  return p;
}

struct SliceSpec {
  int64_t dim, start, end;
};
SliceSpec slice_of(const Attrs& attrs, const TensorDesc& x, const std::string& node) {
  SliceSpec s;
  s.dim = axis(int_attr(attrs, "dim", node, "slice"), x.rank, node, "slice");
  int64_t n = x.dims[s.dim];
  s.start = int_attr(attrs, "start", node, "slice");
  s.end = int_attr(attrs, "end", node, "slice");
  if (s.start < 0) s.start += n;
  if (s.end < 0) s.end += n;
  if (s.start < 0 || s.end > n || s.start >= s.end)
    throw InputError(node + ": slice [" + std::to_string(s.start) + ", " + std::to_string(s.end) + ") of dimension " +
                     std::to_string(s.dim) + " (size " + std::to_string(n) + ") is empty or out of range");
  return s;
}

}  // namespace

void register_layout(OpRegistry& r) {
  r.add({
      "permute",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 1, 1, node, "permute");
        expect_dtype(*in[0], DType::F32, node, "input");
        TensorDesc y = in[0]->desc;
        auto p = perm_of(attrs, y.rank, node);
        for (uint32_t i = 0; i < y.rank; ++i) y.dims[i] = in[0]->desc.dims[p[i]];
        return y;
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        auto p = perm_of(c.node.attrs, c.output.desc.rank, c.node.name);
        auto xs = contiguous_strides(c.inputs[0]->desc);
        std::array<int64_t, 4> st{};
        for (uint32_t i = 0; i < c.output.desc.rank; ++i) st[i] = xs[p[i]];
        return strided_copy(c.output.desc, st, 0, dev);
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        auto p = perm_of(c.node.attrs, c.output.desc.rank, c.node.name);
        auto xs = contiguous_strides(c.inputs[0]->desc);
        std::array<int64_t, 4> st{};
        for (uint32_t i = 0; i < c.output.desc.rank; ++i) st[i] = xs[p[i]];
        gather_strided(in[0], c.output.desc, st, 0, out);
      },
  });
  r.add({
      "slice",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 1, 1, node, "slice");
        expect_dtype(*in[0], DType::F32, node, "input");
        SliceSpec s = slice_of(attrs, in[0]->desc, node);
        TensorDesc y = in[0]->desc;
        y.dims[s.dim] = s.end - s.start;
        return y;
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        SliceSpec s = slice_of(c.node.attrs, c.inputs[0]->desc, c.node.name);
        auto xs = contiguous_strides(c.inputs[0]->desc);
        return strided_copy(c.output.desc, xs, s.start * xs[s.dim], dev);
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        SliceSpec s = slice_of(c.node.attrs, c.inputs[0]->desc, c.node.name);
        auto xs = contiguous_strides(c.inputs[0]->desc);
        gather_strided(in[0], c.output.desc, xs, s.start * xs[s.dim], out);
      },
  });
  r.add({
      "concat",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 2, 2, node, "concat");
        expect_dtype(*in[0], DType::F32, node, "a");
        expect_dtype(*in[1], DType::F32, node, "b");
        const TensorDesc &a = in[0]->desc, &b = in[1]->desc;
        int64_t d = axis(int_attr(attrs, "dim", node, "concat"), a.rank, node, "concat");
        bool ok = a.rank == b.rank;
        for (uint32_t i = 0; ok && i < a.rank; ++i) ok = i == d || a.dims[i] == b.dims[i];
        if (!ok) throw InputError(node + ": cannot concat " + a.str() + " and " + b.str() + " along dimension " + std::to_string(d));
        TensorDesc y = a;
        y.dims[d] += b.dims[d];
        return y;
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        const TensorDesc &a = c.inputs[0]->desc, &b = c.inputs[1]->desc;
        int64_t d = axis(c.attr_int("dim", 0), a.rank, c.node.name, "concat");
        int64_t inner = 1;
        for (uint32_t i = static_cast<uint32_t>(d) + 1; i < a.rank; ++i) inner *= a.dims[i];
        struct Extra {
          uint32_t na, nb, inner;
        };
        return elementwise_launch("core/concat", c.output.desc.elements(), dev,
                                  Extra{static_cast<uint32_t>(a.dims[d]), static_cast<uint32_t>(b.dims[d]), static_cast<uint32_t>(inner)});
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const TensorDesc &a = c.inputs[0]->desc, &b = c.inputs[1]->desc;
        int64_t d = axis(c.attr_int("dim", 0), a.rank, c.node.name, "concat");
        int64_t inner = 1, outer = 1;
        for (uint32_t i = static_cast<uint32_t>(d) + 1; i < a.rank; ++i) inner *= a.dims[i];
        for (int64_t i = 0; i < d; ++i) outer *= a.dims[i];
        size_t o = 0;
        for (int64_t k = 0; k < outer; ++k) {
          for (int64_t e = 0; e < a.dims[d] * inner; ++e) out[o++] = in[0][k * a.dims[d] * inner + e];
          for (int64_t e = 0; e < b.dims[d] * inner; ++e) out[o++] = in[1][k * b.dims[d] * inner + e];
        }
      },
  });
}

}  // namespace facet::ops
