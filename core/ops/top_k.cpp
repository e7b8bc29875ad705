// top_k(x f32 [..., C]) -> [..., k]: the k largest values of each row in descending order, ties to
//   the smaller index, NaN never taken. attrs: k (1..64, at most C), values (0: i32 indices,
//   1: the f32 values). A row with fewer than k values that are not NaN ends with -1 / -inf.
//   For sampling without reading the whole vocabulary back: the indices and values of the best k.
#include <algorithm>
#include <cmath>

#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

constexpr int64_t kMaxK = 64;

bool better(float v, int64_t i, float bv, int64_t bi) { return v > bv || (v == bv && i < bi); }

}  // namespace

void register_top_k(OpRegistry& r) {
  r.add({
      "top_k",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 1, 1, node, "top_k");
        expect_dtype(*in[0], DType::F32, node, "x");
        const TensorDesc& x = in[0]->desc;
        if (x.rank == 0 || x.dim(-1) == 0) throw InputError(node + ": top_k of an empty tensor");
        auto k = attrs.find("k");
        if (k == attrs.end() || !std::holds_alternative<int64_t>(k->second))
          throw InputError(node + ": top_k needs an integer attribute k");
        const int64_t kv = std::get<int64_t>(k->second);
        if (kv < 1 || kv > kMaxK || kv > x.dim(-1))
          throw InputError(node + ": top_k k = " + std::to_string(kv) + " must be in 1.." + std::to_string(std::min(kMaxK, x.dim(-1))));
        auto values = attrs.find("values");
        const bool as_values = values != attrs.end() && std::holds_alternative<int64_t>(values->second) &&
                               std::get<int64_t>(values->second) != 0;
        TensorDesc y = x;
        y.dtype = as_values ? DType::F32 : DType::I32;
        y.dims[y.rank - 1] = kv;
        return y;
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        const TensorDesc& x = c.inputs[0]->desc;
        const uint64_t rows = static_cast<uint64_t>(x.elements() / x.dim(-1));
        Launch l;
        l.kernel = "core/top_k";
        l.spec = {16u, c.attr_int("values", 0) ? 1u : 0u};
        struct Push {
          uint32_t rows, cols, k;
        };
        l.set_push(Push{static_cast<uint32_t>(rows), static_cast<uint32_t>(x.dim(-1)), static_cast<uint32_t>(c.attr_int("k", 1))});
        l.groups = grid_of(rows, dev);
        return l;
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const int64_t cols = c.inputs[0]->desc.dim(-1), k = c.attr_int("k", 1), rows = static_cast<int64_t>(in[0].size()) / cols;
        const bool values = c.attr_int("values", 0) != 0;
        for (int64_t r = 0; r < rows; ++r) {
          std::vector<int64_t> idx;
          for (int64_t i = 0; i < cols; ++i)
            if (!std::isnan(in[0][r * cols + i])) idx.push_back(i);
          const float* x = &in[0][r * cols];
          const int64_t n = std::min<int64_t>(k, static_cast<int64_t>(idx.size()));
          std::partial_sort(idx.begin(), idx.begin() + n, idx.end(), [&](int64_t a, int64_t b) { return better(x[a], a, x[b], b); });
          for (int64_t j = 0; j < k; ++j) {
            const bool found = j < n;
            out[r * k + j] = values ? (found ? x[idx[j]] : -INFINITY) : static_cast<float>(found ? idx[j] : -1);
          }
        }
      },
  });
}

}  // namespace facet::ops
