// set_rows(dst [N, ...] a graph state, src [T, ...], rows i32 [T]) -> dst with dst[rows[t]] = src[t]
//   In place: the output is a view of the state, so readers of it are ordered after the write.
//   f32 only. Rows outside [0, N) are skipped (the model validates positions first). This is how
//   a KV cache is filled: the keys of the new tokens go to their absolute positions.
#include "ops/op_helpers.hpp"

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
        expect_dtype(*in[0], DType::F32, node, "dst");
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
        Launch l = elementwise_launch("core/set_rows", c.inputs[1]->desc.elements(), dev,
                                      SetRowsExtra{static_cast<uint32_t>(row_size(dst)), static_cast<uint32_t>(dst.dims[0])});
        l.bindings = {1, 2, -1};  // src, rows, dst (the output aliases input 0)
        return l;
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const int64_t n = c.inputs[0]->desc.dims[0], row = row_size(c.inputs[0]->desc);
        out = in[0];
        for (size_t t = 0; t < in[2].size(); ++t) {
          const int64_t r = static_cast<int64_t>(in[2][t]);
          if (r < 0 || r >= n) continue;
          std::copy(&in[1][t * row], &in[1][t * row] + row, &out[r * row]);
        }
      },
  };
  def.in_place = true;
  r.add(std::move(def));
}

}  // namespace facet::ops
