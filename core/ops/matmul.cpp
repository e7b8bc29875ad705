// matmul: y[b, m, n] = sum_k x[b, m, k] * w[b', n, k] (+ bias[n]) (+ r[b, m, n]).
//   x: f32 [M, K] or [B, M, K];  bias: f32 [N];  r: f32 like y, the last input when attribute
//   `residual` is 1 (the executor's fusion of add(matmul, r), graph/fusion.hpp);
//   w: [N, K] (shared) or [B, N, K] in f32, f16, bf16, Q8_0, Q4_0, Q4_1, Q4_K or Q6_K (K a multiple of
//      the block size; blocks are dequantized inside the kernel, never copied out).
//   attributes `part1`, `part2` (0 < part1 <= part2 <= N; x and w 2D): y's columns [0, part1),
//   [part1, part2), [part2, N) are stored one after another, each a dense [M, width] matrix (r
//   too), so each is a tensor at an offset of y: sibling matmuls merged (graph/merge.hpp).
// The weight layout is PyTorch Linear's [out, in], so a Linear layer is one matmul node.
#include <optional>

#include "graph/interleave.hpp"
#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

struct MatmulPush {
  uint32_t M, N, K, a_batch, b_batch, c_batch, residual, part1, part2;
};

bool has_residual(const Attrs& attrs) {
  auto it = attrs.find("residual");
  return it != attrs.end() && std::get<int64_t>(it->second) != 0;
}

struct Dims {
  int64_t batch, M, N, K;
  bool shared_w;
  int64_t part1, part2;  // column boundaries of the output's parts (N, N: one matrix)
};

// Where output (b, m, n) is stored: row-major, or part by part (shaders/matmul_io.glsl).
int64_t out_index(const Dims& d, int64_t b, int64_t m, int64_t n) {
  const int64_t start = n < d.part1 ? 0 : n < d.part2 ? d.part1 : d.part2;
  const int64_t end = n < d.part1 ? d.part1 : n < d.part2 ? d.part2 : d.N;
  return b * d.M * d.N + start * d.M + m * (end - start) + (n - start);
}

// The texel-buffer kernel for a weight type on CPU devices: K step and w's texel format (step 0:
// none). f16/bf16 are eight packed weights per RGBA32UI texel; block types are block bytes, 256
// weights per step (8 blocks of 32, or one K-quant block). Q8_0/Q4_0/Q4_1 are uploaded in split
// runs of 8 blocks and Q6_K's 210-byte blocks padded to 224 (graph/interleave.hpp), so only
// constant weights of those types take a texel kernel (Q4_K's raw blocks are whole texels).
struct TexelWeights {
  uint32_t step;
  VkFormat format;
  uint32_t block_bytes = 0, block_stride = 0;  // blocks padded to whole texels
  uint32_t head_bytes = 0;                     // or split in runs of 8 (heads, then quants)
};

TexelWeights texel_weights(DType t) {
  switch (t) {
    case DType::F32: return {4, VK_FORMAT_R32G32B32A32_SFLOAT};
    case DType::F16:
    case DType::BF16: return {8, VK_FORMAT_R32G32B32A32_UINT};
    case DType::Q8_0: return {256, VK_FORMAT_R32G32B32A32_UINT, 34, 34, 2};
    case DType::Q4_0: return {256, VK_FORMAT_R32G32B32A32_UINT, 18, 18, 2};
    case DType::Q4_1: return {256, VK_FORMAT_R32G32B32A32_UINT, 20, 20, 4};
    case DType::Q4_K: return {256, VK_FORMAT_R32G32B32A32_UINT};
    case DType::Q6_K: return {256, VK_FORMAT_R32G32B32A32_UINT, 210, 224};
    default: return {0, VK_FORMAT_UNDEFINED};
  }
}

// The row layout a weight is bound in as texels, or nullopt where it cannot be: interleaved rows of
// the subgroup's width for a constant matrix whose layout fits a texel buffer (else plain rows),
// blocks padded or split in runs as `t` asks (constant matrices only).
std::optional<RowLayout> row_layout(const Value& w, const TexelWeights& t, const vk::DeviceInfo& dev) {
  const bool matrix = w.kind == ValueKind::Constant && w.desc.rank == 2;
  if (t.block_bytes && !matrix) return std::nullopt;
  const uint64_t rows = matrix ? static_cast<uint64_t>(w.desc.dims[0]) : 1;
  auto fits = [&](const RowLayout& l) {
    const RowInterleave layout{rows, w.desc.bytes() / rows, l};
    return layout.padded_row_bytes() % 16 == 0 && layout.bytes() / 16 <= dev.max_texel_buffer_elements &&
           layout.bytes() <= dev.max_storage_buffer_range;
  };
  const uint32_t run = t.head_bytes ? 8 : 0;
  const RowLayout interleaved{dev.subgroup_size, t.block_bytes, t.block_stride, t.head_bytes, run},
      rows_only{1, t.block_bytes, t.block_stride, t.head_bytes, run};
  if (matrix && dev.subgroup_size >= 2 && fits(interleaved)) return interleaved;
  if (!t.block_bytes) return RowLayout{};  // plain: the caller checks the texel view
  if (fits(rows_only)) return rows_only;
  return std::nullopt;
}

int64_t attr_or(const Attrs& attrs, const char* name, int64_t fallback) {
  auto it = attrs.find(name);
  return it == attrs.end() ? fallback : std::get<int64_t>(it->second);
}

Dims dims_of(const TensorDesc& x, const TensorDesc& w, const Attrs& attrs) {
  Dims d{};
  d.batch = x.rank == 3 ? x.dims[0] : 1;
  d.M = x.dim(-2);
  d.K = x.dim(-1);
  d.N = w.dim(-2);
  d.shared_w = w.rank == 2;
  d.part1 = attr_or(attrs, "part1", d.N);
  d.part2 = attr_or(attrs, "part2", d.N);
  return d;
}

}  // namespace

void register_matmul(OpRegistry& r) {
  r.add({
      "matmul",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        const bool res = has_residual(attrs);
        expect_inputs(in, res ? 3 : 2, res ? 4 : 3, node, "matmul");
        const TensorDesc &x = in[0]->desc, &w = in[1]->desc;
        expect_dtype(*in[0], DType::F32, node, "input x");
        if (w.dtype == DType::I32)
          throw InputError(node + ": matmul weight '" + in[1]->name + "' must be f32, f16, bf16 or a GGUF block type, got " + w.str());
        if ((x.rank != 2 && x.rank != 3) || (w.rank != 2 && w.rank != 3))
          throw InputError(node + ": matmul needs x [M, K] or [B, M, K] and w [N, K] or [B, N, K], got " + x.str() +
                           " and " + w.str());
        if (x.dim(-1) != w.dim(-1))
          throw InputError(node + ": matmul inner dimensions differ: x " + x.str() + ", w " + w.str());
        if (w.rank == 3 && (x.rank != 3 || w.dims[0] != x.dims[0]))
          throw InputError(node + ": batched weight " + w.str() + " needs x with the same batch, got " + x.str());
        if (in.size() == (res ? 4u : 3u)) {
          expect_dtype(*in[2], DType::F32, node, "bias");
          if (in[2]->desc.rank != 1 || in[2]->desc.dims[0] != w.dim(-2))
            throw InputError(node + ": bias must be [" + std::to_string(w.dim(-2)) + "], got " + in[2]->desc.str());
        }
        if (attrs.count("part1") || attrs.count("part2")) {
          const Dims d = dims_of(x, w, attrs);
          if (x.rank != 2 || w.rank != 2 || d.part1 < 1 || d.part1 > d.part2 || d.part2 > d.N)
            throw InputError(node + ": matmul parts need x [M, K], w [N, K] and 0 < part1 <= part2 <= N, got x " + x.str() +
                             ", w " + w.str() + ", part1 " + std::to_string(d.part1) + ", part2 " + std::to_string(d.part2));
        }
        TensorDesc y = x;
        y.dims[y.rank - 1] = w.dim(-2);
        if (res && in.back()->desc != y)
          throw InputError(node + ": matmul residual must be " + y.str() + ", got " + in.back()->desc.str());
        return y;
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        Dims d = dims_of(c.inputs[0]->desc, c.inputs[1]->desc, c.node.attrs);
        // One kernel per weight type: "core/<matmul[_texel|_rows]|matvec[_texel]>_<dtype>" (block
        // types dequantize inside).
        const std::string wtype(dtype_name(c.inputs[1]->desc.dtype));
        const bool res = has_residual(c.node.attrs);
        const bool bias = c.inputs.size() == (res ? 4u : 3u);
        Launch l;
        l.set_push(MatmulPush{static_cast<uint32_t>(d.M), static_cast<uint32_t>(d.N), static_cast<uint32_t>(d.K),
                              static_cast<uint32_t>(d.M * d.K), d.shared_w ? 0u : static_cast<uint32_t>(d.N * d.K),
                              static_cast<uint32_t>(d.M * d.N), res ? 1u : 0u, static_cast<uint32_t>(d.part1),
                              static_cast<uint32_t>(d.part2)});
        // Without bias or residual, x is bound (unread) at their slots.
        l.bindings = {0, 1, bias ? 2 : 0, -1, res ? static_cast<int>(c.inputs.size()) - 1 : 0};
        const DType wt = c.inputs[1]->desc.dtype;
        const bool matvec_type = wt == DType::F32 || wt == DType::F16 || wt == DType::BF16 || wt == DType::Q8_0 ||
                                 wt == DType::Q4_0 || wt == DType::Q4_1;
        const TexelWeights t = texel_weights(wt);
        const std::optional<RowLayout> wl = row_layout(*c.inputs[1], t, dev);
        if (dev.quirks.contiguous_work_layout && t.step && d.K % t.step == 0 && wl && texel_viewable(*c.inputs[0], 16, dev) &&
            (!wl->plain() || texel_viewable(*c.inputs[1], 16, dev))) {
          // CPU devices: x and w as texel buffers (vectorized fetches). Measured on lavapipe:
          // docs/benchmarks.md.
          l.texels = {{0, VK_FORMAT_R32G32B32A32_SFLOAT}, {1, t.format}};
          if (d.M < 4 && d.batch == 1 && t.step <= 8 && wl->plain()) {
            // Few rows (decode) of float weights in plain rows (not a constant, or too large to
            // interleave): each subgroup computes 8 outputs of a row, its lanes splitting K.
            constexpr uint32_t kWorkgroup = 64, kNb = 8;
            l.kernel = "core/matvec_texel_" + wtype;
            l.spec = {kWorkgroup, bias ? 1u : 0u, kNb};
            const uint64_t tasks = static_cast<uint64_t>(d.M) * ((d.N + kNb - 1) / kNb);
            const uint64_t per_wg = kWorkgroup / dev.subgroup_size;
            l.groups = grid_of((tasks + per_wg - 1) / per_wg, dev);
            return l;
          }
          // One invocation per register tile of MB x NB outputs (sizes measured on lavapipe): 16 x 16
          // for f32/f16/bf16 and the split-run types (Q8_0/Q4_0/Q4_1: 8 weights of x per row at a
          // time) from 16 rows of x; below that all M rows in one tile (a decode step of several
          // sequences reads each weight once: docs/benchmarks.md), x 16 from 4 rows, x 8 below;
          // Q4_K/Q6_K (whose tiles hold a block of x per row) 4 x 16 from 4 rows, else 1 x 4. Each
          // output sums over K in the same order whatever the tile, so results do not depend on M.
          const bool runs = t.head_bytes != 0, big = t.step < 256 || runs;
          uint32_t mb = big ? static_cast<uint32_t>(std::min<int64_t>(d.M, 16)) : d.M >= 4 ? 4 : 1,
                   nb = d.M >= 4 ? 16 : runs || t.step <= 8 ? 8 : 4;
          // A single row has few tiles: one subgroup per workgroup spreads them over the threads.
          const uint32_t wg = d.M >= 4 ? 32 : dev.subgroup_size;
          // Constant weights are uploaded in interleaved rows of a subgroup's width, so the lanes'
          // fetches are one contiguous run (graph/interleave.hpp; 3x the fetch bandwidth).
          const uint32_t g = wl->group;
          if (!wl->plain()) l.layouts = {{1, *wl}};
          l.kernel = "core/matmul_texel_" + wtype;
          l.spec = {wg, bias ? 1u : 0u, nb, mb, g};
          const uint64_t tiles = static_cast<uint64_t>((d.M + mb - 1) / mb) * ((d.N + nb * g - 1) / (nb * g) * g);
          l.groups = grid_of((tiles + wg - 1) / wg, dev);
          l.groups.z = static_cast<uint32_t>(d.batch);
          return l;
        }
        if (dev.subgroup_arithmetic && d.M <= 8 && d.shared_w && d.batch == 1 && d.K % 8 == 0 && matvec_type) {
          // Few rows (decode): subgroups split K (8-element units, or whole 32-element blocks for
          // Q8_0/Q4_0/Q4_1) and sum with subgroupAdd, each weight read once.
          // 8 outputs per subgroup on CPU devices (measured: 3x the row kernel on lavapipe), 4 on GPUs.
          const uint32_t nb = dev.quirks.contiguous_work_layout ? 8 : 4;
          const uint32_t wg = std::max<uint32_t>(64, dev.subgroup_size);
          l.kernel = "core/matvec_" + wtype;
          l.spec = {wg, bias ? 1u : 0u, nb};
          uint64_t tasks = static_cast<uint64_t>(d.M) * ((d.N + nb - 1) / nb);
          uint64_t per_wg = wg / dev.subgroup_size;
          uint64_t groups = (tasks + per_wg - 1) / per_wg;
          l.groups = grid_of(groups, dev);
          return l;
        }
        if (dev.quirks.contiguous_work_layout) {
          // CPU devices: one invocation per NB outputs of a row, streaming along K, no barriers.
          constexpr uint32_t kWorkgroup = 64, kNb = 4;
          l.kernel = "core/matmul_rows_" + wtype;
          l.spec = {kWorkgroup, bias ? 1u : 0u, kNb};
          uint64_t invocations = static_cast<uint64_t>(d.M) * static_cast<uint64_t>((d.N + kNb - 1) / kNb);
          uint64_t groups = (invocations + kWorkgroup - 1) / kWorkgroup;
          l.groups = grid_of(groups, dev);
          l.groups.z = static_cast<uint32_t>(d.batch);
          return l;
        }
        // GPUs: shared-memory tiles of kTile x kTile outputs (a multiple of 4). With fp16
        // arithmetic, weights of 16 bits or less take the "_fp16" build: f16 tiles, packed f16
        // dot products of 4, f32 accumulation (matmul_body.glsl).
        constexpr uint32_t kTile = 16;
        const bool fp16 = dev.fp16_arithmetic && wt != DType::F32;
        l.kernel = "core/matmul_" + wtype + (fp16 ? "_fp16" : "");
        l.spec = {kTile, bias ? 1u : 0u};
        l.groups = {static_cast<uint32_t>((d.N + kTile - 1) / kTile), static_cast<uint32_t>((d.M + kTile - 1) / kTile),
                    static_cast<uint32_t>(d.batch)};
        return l;
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        Dims d = dims_of(c.inputs[0]->desc, c.inputs[1]->desc, c.node.attrs);
        const bool res = has_residual(c.node.attrs), bias = in.size() == (res ? 4u : 3u);
        const auto &x = in[0], &w = in[1];
        for (int64_t b = 0; b < d.batch; ++b)
          for (int64_t m = 0; m < d.M; ++m)
            for (int64_t n = 0; n < d.N; ++n) {
              double acc = bias ? in[2][n] : 0.0;
              const float* xr = &x[(b * d.M + m) * d.K];
              const float* wr = &w[((d.shared_w ? 0 : b) * d.N + n) * d.K];
              for (int64_t k = 0; k < d.K; ++k) acc += static_cast<double>(xr[k]) * wr[k];
              const size_t o = static_cast<size_t>(out_index(d, b, m, n));
              out[o] = static_cast<float>(acc);
              if (res) out[o] += in.back()[o];  // in f32 after the product, as a separate add
            }
      },
  });
}

}  // namespace facet::ops
