// splice_rows(x f32 [T, D], media f32 [N, D], ids i32 [T]) -> f32 [T, D]
//   y[t] = x[t] where ids[t] >= 0, else media[-1 - ids[t]]: the rows of images (adapter outputs)
//   put in place of their placeholder tokens in a prompt's embeddings. Media rows outside [0, N)
//   are clamped by the kernel and the CPU reference alike (the session validates ids first).
#include <algorithm>

#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

struct SpliceExtra {
  uint32_t dim;
  uint32_t rows;
};

}  // namespace

void register_splice(OpRegistry& r) {
  r.add(OpDef{
      "splice_rows",
      [](const std::vector<const Value*>& in, const Attrs&, const std::string& node) {
        expect_inputs(in, 3, 3, node, "splice_rows");
        expect_dtype(*in[0], DType::F32, node, "x");
        expect_dtype(*in[1], DType::F32, node, "media");
        expect_dtype(*in[2], DType::I32, node, "ids");
        const TensorDesc &x = in[0]->desc, &m = in[1]->desc, &ids = in[2]->desc;
        if (x.rank != 2 || m.rank != 2 || m.dims[1] != x.dims[1] || ids.rank != 1 || ids.dims[0] != x.dims[0])
          throw InputError(node + ": splice_rows needs x [T, D], media [N, D] and ids i32 [T], got " + x.str() + ", " +
                           m.str() + ", " + ids.str());
        return x;
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        const TensorDesc& m = c.inputs[1]->desc;
        return elementwise_launch("core/splice_rows", c.inputs[0]->desc.elements(), dev,
                                  SpliceExtra{static_cast<uint32_t>(m.dims[1]), static_cast<uint32_t>(m.dims[0])});
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const int64_t d = c.inputs[0]->desc.dims[1], n = c.inputs[1]->desc.dims[0];
        out = in[0];
        for (size_t t = 0; t < in[2].size(); ++t) {
          const int64_t id = static_cast<int64_t>(in[2][t]);
          if (id >= 0) continue;
          const int64_t row = std::clamp<int64_t>(-1 - id, 0, n - 1);
          std::copy(&in[1][row * d], &in[1][row * d] + d, &out[t * d]);
        }
      },
  });
}

}  // namespace facet::ops
