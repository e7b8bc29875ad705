// Positional and lookup ops:
//   rope(x [T, H, D], pos i32 [T], cos [P, R], sin [P, R]), attr mode (0: Hugging Face halves
//        (i, i + R); 1: GGUF interleaved (2i, 2i + 1)) -> x's shape; dims from 2R on pass through.
//        The model computes cos/sin tables on the CPU (as its reference does, in f32), which also
//        carries any rope scaling; the kernel only rotates. attr period (default 0 = none): the
//        position is pos mod period (positions that are rows of a KV cache of several sequences,
//        `period` rows each).
//   get_rows(table [V, D] in f32, f16, bf16, Q8_0, Q4_0, Q4_1, Q4_K or Q6_K, ids i32 [T]) -> f32 [T, D].
//        Attributes row_base and table_rows (default 0 and V) make the table rows
//        [row_base, row_base + V) of one of table_rows rows: ids are clamped to the whole table and
//        rows outside this part read as 0 (graph/split.hpp sums the parts of a split embedding).
// Positions and ids outside their tables are clamped by both the kernel and the CPU reference;
// callers validate them first.
#include <algorithm>
#include <cstdint>
#include <variant>

#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

struct RopeExtra {
  uint32_t heads, dim, pairs, table_rows, period;
};
struct RowsExtra {
  uint32_t dim, rows, base, total;
};

// get_rows' part of a split table: [base, base + rows) of total rows.
struct RowsPart {
  int64_t base, total;
};
RowsPart rows_part(const Attrs& attrs, int64_t rows) {
  auto get = [&](const char* k, int64_t def) {
    auto it = attrs.find(k);
    return it == attrs.end() ? def : std::get<int64_t>(it->second);
  };
  return {get("row_base", 0), get("table_rows", rows)};
}

int64_t clamp_index(float v, int64_t size) { return std::clamp<int64_t>(static_cast<int64_t>(v), 0, size - 1); }

}  // namespace

void register_positional(OpRegistry& r) {
  r.add({
      "rope",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 4, 4, node, "rope");
        expect_dtype(*in[0], DType::F32, node, "x");
        expect_dtype(*in[1], DType::I32, node, "positions");
        expect_dtype(*in[2], DType::F32, node, "cos");
        expect_dtype(*in[3], DType::F32, node, "sin");
        const TensorDesc &x = in[0]->desc, &pos = in[1]->desc, &c = in[2]->desc, &s = in[3]->desc;
        if (x.rank != 3 || pos.rank != 1 || pos.dims[0] != x.dims[0])
          throw InputError(node + ": rope needs x [T, H, D] and positions [T], got " + x.str() + " and " + pos.str());
        if (c.rank != 2 || c != s || c.dims[1] * 2 > x.dims[2])
          throw InputError(node + ": rope tables must be equal [P, R] with 2R <= D, got " + c.str() + " and " + s.str());
        if (c.dims[1] * 2 != x.dims[2] && attrs.count("mode") && std::get_if<int64_t>(&attrs.at("mode")) == nullptr)
          throw InputError(node + ": rope attribute mode must be an integer");
        if (attrs.count("period") && (!std::holds_alternative<int64_t>(attrs.at("period")) ||
                                      std::get<int64_t>(attrs.at("period")) < 0 || std::get<int64_t>(attrs.at("period")) > INT32_MAX))
          throw InputError(node + ": rope attribute period must be an integer >= 0");
        return x;
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        const TensorDesc& x = c.inputs[0]->desc;
        RopeExtra e{static_cast<uint32_t>(x.dims[1]), static_cast<uint32_t>(x.dims[2]),
                    static_cast<uint32_t>(c.inputs[2]->desc.dims[1]), static_cast<uint32_t>(c.inputs[2]->desc.dims[0]),
                    static_cast<uint32_t>(c.attr_int("period", 0))};
        Launch l = elementwise_launch("core/rope", x.elements(), dev, e);
        l.spec.push_back(c.attr_int("mode", 0) ? 1u : 0u);
        return l;
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const TensorDesc& x = c.inputs[0]->desc;
        const int64_t H = x.dims[1], D = x.dims[2], R = c.inputs[2]->desc.dims[1], P = c.inputs[2]->desc.dims[0];
        const bool interleaved = c.attr_int("mode", 0) != 0;
        const int64_t period = c.attr_int("period", 0);
        for (int64_t t = 0; t < x.dims[0]; ++t) {
          int64_t p = static_cast<int64_t>(in[1][t]);
          if (period > 0 && p >= 0) p %= period;
          p = std::clamp<int64_t>(p, 0, P - 1);
          for (int64_t h = 0; h < H; ++h) {
            const float* v = &in[0][(t * H + h) * D];
            float* y = &out[(t * H + h) * D];
            std::copy(v, v + D, y);
            for (int64_t i = 0; i < R; ++i) {
              int64_t a = interleaved ? 2 * i : i, b = interleaved ? 2 * i + 1 : i + R;
              float cs = in[2][p * R + i], sn = in[3][p * R + i];
              y[a] = v[a] * cs - v[b] * sn;
              y[b] = v[a] * sn + v[b] * cs;
            }
          }
        }
      },
  });

  r.add({
      "get_rows",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 2, 2, node, "get_rows");
        for (const char* k : {"row_base", "table_rows"})
          if (attrs.count(k) && !std::holds_alternative<int64_t>(attrs.at(k)))
            throw InputError(node + ": get_rows attribute " + k + " must be an integer");
        expect_dtype(*in[1], DType::I32, node, "ids");
        const TensorDesc &t = in[0]->desc, &ids = in[1]->desc;
        if (t.rank != 2 || ids.rank != 1 || t.dtype == DType::I32)
          throw InputError(node + ": get_rows needs a table [V, D] (f32, f16, bf16 or a GGUF block type) and ids [T], got " +
                           t.str() + " and " + ids.str());
        const RowsPart p = rows_part(attrs, t.dims[0]);
        if (p.base < 0 || p.total > INT32_MAX || p.base + t.dims[0] > p.total)
          throw InputError(node + ": get_rows part [" + std::to_string(p.base) + ", " + std::to_string(p.base + t.dims[0]) +
                           ") does not fit a table of " + std::to_string(p.total) + " rows");
        return TensorDesc(DType::F32, {ids.dims[0], t.dims[1]});
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        const TensorDesc& t = c.inputs[0]->desc;
        const RowsPart p = rows_part(c.node.attrs, t.dims[0]);
        return elementwise_launch("core/get_rows_" + std::string(dtype_name(t.dtype)), c.output.desc.elements(), dev,
                                  RowsExtra{static_cast<uint32_t>(t.dims[1]), static_cast<uint32_t>(t.dims[0]),
                                            static_cast<uint32_t>(p.base), static_cast<uint32_t>(p.total)});
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const int64_t V = c.inputs[0]->desc.dims[0], D = c.inputs[0]->desc.dims[1];
        const RowsPart p = rows_part(c.node.attrs, V);
        for (size_t t = 0; t < in[1].size(); ++t) {
          const int64_t row = clamp_index(in[1][t], p.total) - p.base;
          if (row < 0 || row >= V) std::fill(&out[t * D], &out[t * D] + D, 0.0f);
          else std::copy(&in[0][row * D], &in[0][row * D] + D, &out[t * D]);
        }
      },
  });
}

}  // namespace facet::ops
