// attention(q [Tq, Hq, D], k [Tk, Hkv, D], v [Tk, Hkv, Dv]) -> [Tq, Hq, Dv]
//   attrs: scale (default 1/sqrt(D)), causal (0/1; query i sits at position Tk - Tq + i).
//   Hq must be a multiple of Hkv (grouped-query heads); Tq <= Tk when causal; D, Dv <= 256.
//   Optional 4th input positions i32 [Tq]: query i sees keys 0 .. positions[i] (clamped to Tk - 1),
//   which replaces the causal rule; a KV cache of capacity Tk holds the earlier positions, so one
//   graph (and one recorded plan) serves every decode step.
//   attr window (default 0 = none): sliding-window attention; a query at position p (its position
//   input, or Tk - Tq + i when causal) sees only keys j > p - window.
//   attr segment (default 0 = none; needs positions): the keys are sequences of `segment` rows each
//   (a KV cache of several sequences, positions being rows of it); a query sees only keys of its own
//   sequence, rows floor(p / segment) * segment .. p, so one batch decodes several sequences.
//   k and v are both f32 or both f16 (a f16 KV cache); q and the output are f32.
//   Fused: online softmax, no Tq x Tk score matrix in memory.
#include <algorithm>
#include <cmath>

#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

struct AttnPush {
  uint32_t tq, tk, hq, hkv, d, dv;
  float scale;
  uint32_t window, segment;
};

constexpr int64_t kMaxHeadDim = 256;
// Up to this many (query, head) pairs, CPU devices give each pair a subgroup that splits the keys.
constexpr uint64_t kSplitKeysTasks = 256;
// Queries per invocation of attention_block_texel, and the keys + values above which it is
// chosen (measured on lavapipe, docs/benchmarks.md: a gain at 10.5 MB, none at 5 MB or below).
constexpr uint32_t kQueryBlock = 4;
constexpr uint64_t kBlockKvBytes = 8ull << 20;

}  // namespace

void register_attention(OpRegistry& r) {
  r.add({
      "attention",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 3, 4, node, "attention");
        if (in.size() == 4) {
          expect_dtype(*in[3], DType::I32, node, "positions");
          if (in[3]->desc.rank != 1 || in[3]->desc.dims[0] != in[0]->desc.dims[0])
            throw InputError(node + ": attention positions must be i32 [Tq], got " + in[3]->desc.str());
        }
        expect_dtype(*in[0], DType::F32, node, "q");
        if (in[1]->desc.dtype != DType::F32 && in[1]->desc.dtype != DType::F16)
          throw InputError(node + ": attention keys must be f32 or f16, got " + in[1]->desc.str());
        expect_dtype(*in[2], in[1]->desc.dtype, node, "v");
        if (attrs.count("window") && (!std::holds_alternative<int64_t>(attrs.at("window")) || std::get<int64_t>(attrs.at("window")) < 0))
          throw InputError(node + ": attention window must be an integer >= 0");
        if (attrs.count("segment") && (!std::holds_alternative<int64_t>(attrs.at("segment")) ||
                                       std::get<int64_t>(attrs.at("segment")) < 0 || std::get<int64_t>(attrs.at("segment")) > INT32_MAX))
          throw InputError(node + ": attention segment must be an integer >= 0");
        if (attrs.count("segment") && std::get<int64_t>(attrs.at("segment")) > 0 && in.size() != 4)
          throw InputError(node + ": attention segment needs the positions input");
        const TensorDesc &q = in[0]->desc, &k = in[1]->desc, &v = in[2]->desc;
        if (q.rank != 3 || k.rank != 3 || v.rank != 3)
          throw InputError(node + ": attention needs q [Tq, Hq, D], k [Tk, Hkv, D], v [Tk, Hkv, Dv]");
        if (k.dims[0] != v.dims[0] || k.dims[1] != v.dims[1] || q.dims[2] != k.dims[2])
          throw InputError(node + ": attention shapes disagree: q " + q.str() + ", k " + k.str() + ", v " + v.str());
        if (q.dims[1] % k.dims[1] != 0)
          throw InputError(node + ": query heads " + std::to_string(q.dims[1]) + " are not a multiple of kv heads " +
                           std::to_string(k.dims[1]));
        if (q.dims[2] > kMaxHeadDim || v.dims[2] > kMaxHeadDim)
          throw InputError(node + ": head dimensions above " + std::to_string(kMaxHeadDim) + " are not supported");
        auto causal = attrs.find("causal");
        bool is_causal = causal != attrs.end() && std::holds_alternative<int64_t>(causal->second) &&
                         std::get<int64_t>(causal->second) != 0;
        if (is_causal && q.dims[0] > k.dims[0])
          throw InputError(node + ": causal attention with more queries (" + std::to_string(q.dims[0]) + ") than keys (" +
                           std::to_string(k.dims[0]) + ")");
        return TensorDesc(DType::F32, {q.dims[0], q.dims[1], v.dims[2]});
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        const TensorDesc &q = c.inputs[0]->desc, &k = c.inputs[1]->desc, &v = c.inputs[2]->desc;
        Launch l;
        l.kernel = k.dtype == DType::F16 ? "core/attention_f16" : "core/attention_f32";
        // CPU devices: keys and values as texel buffers (vectorized fetches), q and y as vec4s.
        const uint64_t kv_texel = k.dtype == DType::F16 ? 8 : 16;
        if (dev.quirks.contiguous_work_layout && q.dims[2] % 4 == 0 && v.dims[2] % 4 == 0 &&
            texel_viewable(*c.inputs[0], 16, dev) && texel_viewable(*c.inputs[1], kv_texel, dev) &&
            texel_viewable(*c.inputs[2], kv_texel, dev)) {
          l.kernel = "core/attention_texel";
          const VkFormat f = k.dtype == DType::F16 ? VK_FORMAT_R16G16B16A16_SFLOAT : VK_FORMAT_R32G32B32A32_SFLOAT;
          l.texels = {{1, f}, {2, f}};
        }
        constexpr uint32_t kWorkgroup = 64;
        const uint64_t tasks = static_cast<uint64_t>(q.dims[0] * q.dims[1]);
        // Few (query, head) tasks (decode: one query) leave most lanes idle and each walks every
        // key alone: there a subgroup per task splits the keys (measured on lavapipe, docs/benchmarks.md).
        const bool split = l.kernel == "core/attention_texel" && dev.subgroup_arithmetic && tasks <= kSplitKeysTasks &&
                           k.dims[0] >= 2 * static_cast<int64_t>(dev.subgroup_size) && kWorkgroup % dev.subgroup_size == 0;
        if (split) l.kernel = "core/attention_split_texel";
        // Many queries over keys and values larger than the caches (self-attention at a 64x64
        // latent: 10.5 MB), not causal: QB queries per invocation share each key and value
        // fetched, instead of each query streaming them all from memory.
        const uint32_t qb = kQueryBlock;
        const bool block = l.kernel == "core/attention_texel" && !c.attr_int("causal", 0) && c.inputs.size() == 3 &&
                           c.attr_int("window", 0) == 0 && q.dims[0] >= 2 * qb && k.bytes() + v.bytes() > kBlockKvBytes;
        if (block) l.kernel = "core/attention_block_texel";
        uint32_t dmax = std::max(q.dims[2], v.dims[2]) <= 64 ? 64 : std::max(q.dims[2], v.dims[2]) <= 128 ? 128 : 256;
        const bool positions = c.inputs.size() == 4;
        l.spec = {kWorkgroup, c.attr_int("causal", 0) ? 1u : 0u, dmax, positions ? 1u : 0u, qb};
        l.bindings = {0, 1, 2, -1, positions ? 3 : 0};  // without positions, binding 4 is unused
        float scale = static_cast<float>(c.attr_float("scale", 1.0 / std::sqrt(static_cast<double>(q.dims[2]))));
        l.set_push(AttnPush{static_cast<uint32_t>(q.dims[0]), static_cast<uint32_t>(k.dims[0]), static_cast<uint32_t>(q.dims[1]),
                            static_cast<uint32_t>(k.dims[1]), static_cast<uint32_t>(q.dims[2]), static_cast<uint32_t>(v.dims[2]),
                            scale, static_cast<uint32_t>(c.attr_int("window", 0)), static_cast<uint32_t>(c.attr_int("segment", 0))});
        const uint64_t per_group = split ? kWorkgroup / dev.subgroup_size : kWorkgroup;
        const uint64_t invocations = block ? (q.dims[0] + qb - 1) / qb * q.dims[1] : tasks;
        l.groups = grid_of((invocations + per_group - 1) / per_group, dev);
        return l;
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const TensorDesc &q = c.inputs[0]->desc, &k = c.inputs[1]->desc, &v = c.inputs[2]->desc;
        const int64_t Tq = q.dims[0], Hq = q.dims[1], D = q.dims[2], Tk = k.dims[0], Hkv = k.dims[1], Dv = v.dims[2];
        const double scale = c.attr_float("scale", 1.0 / std::sqrt(static_cast<double>(D)));
        const bool causal = c.attr_int("causal", 0) != 0, positions = in.size() == 4;
        const int64_t window = c.attr_int("window", 0), segment = c.attr_int("segment", 0);
        std::vector<double> s(static_cast<size_t>(Tk));
        for (int64_t i = 0; i < Tq; ++i)
          for (int64_t h = 0; h < Hq; ++h) {
            int64_t hk = h / (Hq / Hkv), last = causal ? Tk - Tq + i : Tk - 1;
            if (in.size() == 4) last = std::clamp<int64_t>(static_cast<int64_t>(in[3][i]), -1, Tk - 1);
            if (last < 0) {
              for (int64_t d = 0; d < Dv; ++d) out[(i * Hq + h) * Dv + d] = 0.0f;
              continue;
            }
            int64_t first = window > 0 && (causal || positions) ? std::max<int64_t>(0, last - window + 1) : 0;
            if (positions && segment > 0) first = std::max(first, last - last % segment);
            double m = -INFINITY, sum = 0;
            for (int64_t j = first; j <= last; ++j) {
              double dot = 0;
              for (int64_t d = 0; d < D; ++d) dot += double(in[0][(i * Hq + h) * D + d]) * in[1][(j * Hkv + hk) * D + d];
              s[j] = dot * scale;
              m = std::max(m, s[j]);
            }
            for (int64_t j = first; j <= last; ++j) sum += (s[j] = std::exp(s[j] - m));
            for (int64_t d = 0; d < Dv; ++d) {
              double acc = 0;
              for (int64_t j = first; j <= last; ++j) acc += s[j] * in[2][(j * Hkv + hk) * Dv + d];
              out[(i * Hq + h) * Dv + d] = static_cast<float>(acc / sum);
            }
          }
      },
  });
}

}  // namespace facet::ops
