// set_rows(dst [N, ...] a graph state, src [T, ...], rows i32 [T]) -> dst with dst[rows[t]] = src[t]
//   In place: the output is a view of the state, so readers of it are ordered after the write.
//   src f32; dst f32, or f16 with an even row size (a f16 KV cache; values rounded to nearest
//   even). Rows outside [0, N) are skipped (the model validates positions first). This is how
//   a KV cache is filled: the keys of the new tokens go to their absolute positions.
#include "ops/op_helpers.hpp"
#include "util/half.hpp"

namespace facet::ops {

namespace {

struct SetRowsExtra {
  uint32_t row;
  uint32_t rows;
};

int64_t row_size(const TensorDesc& d) {
  int64_t n = 1;
  for (uint32_t i = 1; i < d.rank; ++i) n *= d.dims[i];
  return n;
}

}  // namespace

void register_state(OpRegistry& r) {
  OpDef def{
      "set_rows",
      [](const std::vector<const Value*>& in, const Attrs&, const std::string& node) {
        expect_inputs(in, 3, 3, node, "set_rows");
        if (in[0]->desc.dtype != DType::F32 && in[0]->desc.dtype != DType::F16)
          throw InputError(node + ": set_rows writes f32 or f16 states, got " + in[0]->desc.str());
        if (in[0]->desc.dtype == DType::F16 && row_size(in[0]->desc) % 2 != 0)
          throw InputError(node + ": set_rows into a f16 state needs an even row size, got " + in[0]->desc.str());
        expect_dtype(*in[1], DType::F32, node, "src");
        expect_dtype(*in[2], DType::I32, node, "rows");
        const TensorDesc &dst = in[0]->desc, &src = in[1]->desc, &rows = in[2]->desc;
        bool same_rows = dst.rank == src.rank && dst.rank >= 1;
        for (uint32_t i = 1; same_rows && i < dst.rank; ++i) same_rows = dst.dims[i] == src.dims[i];
        if (!same_rows || rows.rank != 1 || rows.dims[0] != src.dims[0])
          throw InputError(node + ": set_rows needs dst [N, ...], src [T, ...] with the same trailing dims and rows i32 [T], got " +
                           dst.str() + ", " + src.str() + ", " + rows.str());
        return dst;
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        const TensorDesc& dst = c.inputs[0]->desc;
        const int64_t per = dst.dtype == DType::F16 ? 2 : 1;  // the f16 kernel moves packed pairs
        Launch l = elementwise_launch(dst.dtype == DType::F16 ? "core/set_rows_f16" : "core/set_rows", c.inputs[1]->desc.elements() / per,
                                      dev, SetRowsExtra{static_cast<uint32_t>(row_size(dst) / per), static_cast<uint32_t>(dst.dims[0])});
        l.bindings = {1, 2, -1};  // src, rows, dst (the output aliases input 0)
        return l;
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const int64_t n = c.inputs[0]->desc.dims[0], row = row_size(c.inputs[0]->desc);
        const bool f16 = c.inputs[0]->desc.dtype == DType::F16;
        out = in[0];
        for (size_t t = 0; t < in[2].size(); ++t) {
          const int64_t r = static_cast<int64_t>(in[2][t]);
          if (r < 0 || r >= n) continue;
          for (int64_t e = 0; e < row; ++e) {
            const float x = in[1][t * row + e];
            out[r * row + e] = f16 ? f16_to_f32(f32_to_f16(x)) : x;
          }
        }
      },
  };
  def.in_place = true;
  r.add(std::move(def));
}

}  // namespace facet::ops
