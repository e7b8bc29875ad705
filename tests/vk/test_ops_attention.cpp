// Fused attention against the materialized-softmax CPU reference: self-attention with and
// without a causal mask, grouped-query heads, a KV cache (fewer queries than keys), cross-attention
// (different lengths), odd sizes, both work layouts.
#include <gtest/gtest.h>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

class AttentionTest : public VkTest {
 protected:
  // Query i of q [Tq, hq, d] alone against rows first .. last of k and v [rows, hkv, d] (values as
  // f32), without a mask: what a masked, windowed or segmented attention must give for it.
  std::vector<float> one_query(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                               int64_t i, int64_t first, int64_t last, int64_t hq, int64_t hkv, int64_t d) {
    const int64_t n = last - first + 1;
    TensorDesc q1(DType::F32, {1, hq, d}), k1(DType::F32, {n, hkv, d});
    const size_t row = static_cast<size_t>(hkv * d);
    std::map<std::string, HostTensor> in1 = {
        {"q", HostTensor::from_f32(q1, std::vector<float>(q.begin() + i * hq * d, q.begin() + (i + 1) * hq * d))},
        {"k", HostTensor::from_f32(k1, std::vector<float>(k.begin() + first * row, k.begin() + (last + 1) * row))},
        {"v", HostTensor::from_f32(k1, std::vector<float>(v.begin() + first * row, v.begin() + (last + 1) * row))}};
    Graph g1(core_ops());
    g1.mark_output(g1.op("attn", "attention", {g1.input("q", q1), g1.input("k", k1), g1.input("v", k1)}), "y");
    return run_on_both_layouts(g1, in1, 1e-10).at("y").to_f32();
  }
};

struct Case {
  const char* name;
  int64_t tq, tk, hq, hkv, d, dv;
  bool causal;
};

TEST_F(AttentionTest, MatchesReference) {
  constexpr double kThreshold = 1e-10;  // f32 online softmax vs double reference
  const Case cases[] = {
      {"one token", 1, 1, 1, 1, 1, 1, true},
      {"self, no mask (encoder)", 17, 17, 3, 3, 40, 40, false},
      {"self, causal", 13, 13, 4, 4, 64, 64, true},
      {"grouped-query heads", 9, 9, 8, 2, 32, 32, true},
      {"kv cache: 3 new of 21", 3, 21, 6, 3, 24, 24, true},
      {"decode: 1 new of 50", 1, 50, 4, 1, 128, 128, true},
      {"cross-attention (q-former)", 32, 257, 12, 12, 64, 64, false},
      {"different value width", 5, 7, 2, 1, 16, 48, false},
      {"UNet cross-attention: 37 queries (blocks of 4 and one) over 77 keys", 37, 77, 8, 8, 40, 40, false},
      {"no mask, grouped heads, value width 12", 23, 19, 6, 2, 8, 12, false},
      // Heads of 4 dims: lavapipe stops a loop after 65535 iterations, which the GPU kernel's
      // key x dimension loop would pass with many keys of wide heads (docs/ops.md).
      {"no mask over 8.5 MB of keys and values (blocks of 4 queries and one)", 9, 2053, 130, 130, 4, 4, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TensorDesc qd(DType::F32, {c.tq, c.hq, c.d}), kd(DType::F32, {c.tk, c.hkv, c.d}), vd(DType::F32, {c.tk, c.hkv, c.dv});
    std::map<std::string, HostTensor> in = {{"q", HostTensor::from_f32(qd, random_values(qd.elements(), 1, -2, 2))},
                                            {"k", HostTensor::from_f32(kd, random_values(kd.elements(), 2, -2, 2))},
                                            {"v", HostTensor::from_f32(vd, random_values(vd.elements(), 3))}};
    Graph g(core_ops());
    g.mark_output(g.op("attn", "attention", {g.input("q", qd), g.input("k", kd), g.input("v", vd)}, {{"causal", int64_t{c.causal}}}),
                  "y");
    run_on_both_layouts(g, in, kThreshold);
  }
}

TEST_F(AttentionTest, PositionsSelectTheVisibleKeys) {
  // A KV cache of capacity 40 holding 23 valid positions; 5 queries at positions 18..22, then one
  // query at position 0 and one with a negative position (sees nothing: zeros).
  constexpr double kThreshold = 1e-10;
  struct P {
    const char* name;
    std::vector<float> pos;
  };
  for (const P& c : {P{"prefill chunk", {18, 19, 20, 21, 22}}, P{"first and none", {0, -1}}, P{"past capacity", {57}}}) {
    SCOPED_TRACE(c.name);
    const int64_t tq = static_cast<int64_t>(c.pos.size());
    TensorDesc qd(DType::F32, {tq, 6, 32}), kd(DType::F32, {40, 2, 32}), pd(DType::I32, {tq});
    std::map<std::string, HostTensor> in = {{"q", HostTensor::from_f32(qd, random_values(qd.elements(), 4, -2, 2))},
                                            {"k", HostTensor::from_f32(kd, random_values(kd.elements(), 5, -2, 2))},
                                            {"v", HostTensor::from_f32(kd, random_values(kd.elements(), 6))},
                                            {"pos", HostTensor::from_f32(pd, c.pos)}};
    Graph g(core_ops());
    g.mark_output(g.op("attn", "attention", {g.input("q", qd), g.input("k", kd), g.input("v", kd), g.input("pos", pd)}), "y");
    run_on_both_layouts(g, in, kThreshold);
  }
}

// A sliding window of W: the query at position p sees keys p - W + 1 .. p only, which is plain
// attention over that slice of the cache. Also with f16 keys and values (a f16 KV cache).
TEST_F(AttentionTest, SlidingWindowAndF16KeysAndValues) {
  constexpr int64_t W = 5, kTk = 30, kHq = 4, kHkv = 2, kD = 24;
  const std::vector<float> pos = {2, 9, 10, 23};  // the first sees fewer than W keys
  const int64_t tq = static_cast<int64_t>(pos.size());
  for (DType kv : {DType::F32, DType::F16}) {
    SCOPED_TRACE(std::string(dtype_name(kv)));
    TensorDesc qd(DType::F32, {tq, kHq, kD}), kd(kv, {kTk, kHkv, kD}), pd(DType::I32, {tq});
    const std::vector<float> q = random_values(qd.elements(), 7, -2, 2), k = random_values(kd.elements(), 8, -2, 2),
                             v = random_values(kd.elements(), 9);
    std::map<std::string, HostTensor> in = {{"q", HostTensor::from_f32(qd, q)}, {"k", HostTensor::from_f32(kd, k)},
                                            {"v", HostTensor::from_f32(kd, v)}, {"pos", HostTensor::from_f32(pd, pos)}};
    Graph g(core_ops());
    g.mark_output(g.op("attn", "attention", {g.input("q", qd), g.input("k", kd), g.input("v", kd), g.input("pos", pd)},
                       {{"window", W}}),
                  "y");
    const std::vector<float> y = run_on_both_layouts(g, in, 1e-10).at("y").to_f32();
    // Each query alone against its window's keys, without a mask.
    const std::vector<float> kr = HostTensor::from_f32(kd, k).to_f32(), vr = HostTensor::from_f32(kd, v).to_f32();
    for (int64_t i = 0; i < tq; ++i) {
      const int64_t last = static_cast<int64_t>(pos[i]), first = std::max<int64_t>(0, last - W + 1);
      const std::vector<float> want = one_query(q, kr, vr, i, first, last, kHq, kHkv, kD);
      const std::vector<float> got(y.begin() + i * kHq * kD, y.begin() + (i + 1) * kHq * kD);
      EXPECT_LT(nmse(got, want), 1e-12) << "query at position " << last;
    }
  }
}

// Segments: a cache of 3 sequences of 16 rows each, one query per sequence at rows 16 s + p (a
// batched decode step, then a prefill chunk inside one sequence): each query equals attention over
// its own sequence's rows alone. Also with a window and on the split-keys decode kernel (f16).
TEST_F(AttentionTest, SegmentsKeepSequencesApart) {
  constexpr int64_t kSeg = 16, kHq = 4, kHkv = 2, kD = 32;
  for (DType kv : {DType::F32, DType::F16})
    for (int64_t window : {int64_t{0}, int64_t{4}})
      for (const std::vector<float>& pos : {std::vector<float>{5, 16 + 11, 32 + 0}, std::vector<float>{16 + 2, 16 + 3, 16 + 4, 16 + 15}}) {
        SCOPED_TRACE(std::string(dtype_name(kv)) + " window " + std::to_string(window) + " queries " + std::to_string(pos.size()));
        const int64_t tq = static_cast<int64_t>(pos.size());
        TensorDesc qd(DType::F32, {tq, kHq, kD}), kd(kv, {3 * kSeg, kHkv, kD}), pd(DType::I32, {tq});
        const std::vector<float> q = random_values(qd.elements(), 21, -2, 2), k = random_values(kd.elements(), 22, -2, 2),
                                 v = random_values(kd.elements(), 23);
        std::map<std::string, HostTensor> in = {{"q", HostTensor::from_f32(qd, q)}, {"k", HostTensor::from_f32(kd, k)},
                                                {"v", HostTensor::from_f32(kd, v)}, {"pos", HostTensor::from_f32(pd, pos)}};
        Graph g(core_ops());
        g.mark_output(g.op("attn", "attention", {g.input("q", qd), g.input("k", kd), g.input("v", kd), g.input("pos", pd)},
                           {{"segment", kSeg}, {"window", window}}),
                      "y");
        const std::vector<float> y = run_on_both_layouts(g, in, 1e-10).at("y").to_f32();
        const std::vector<float> kr = HostTensor::from_f32(kd, k).to_f32(), vr = HostTensor::from_f32(kd, v).to_f32();
        for (int64_t i = 0; i < tq; ++i) {
          const int64_t row = static_cast<int64_t>(pos[i]), base = row - row % kSeg;
          const int64_t first = window ? std::max(base, row - window + 1) : base;
          const std::vector<float> want = one_query(q, kr, vr, i, first, row, kHq, kHkv, kD);
          const std::vector<float> got(y.begin() + i * kHq * kD, y.begin() + (i + 1) * kHq * kD);
          EXPECT_LT(nmse(got, want), 1e-12) << "query at row " << row;
        }
      }
  Graph g(core_ops());
  ValueId q = g.input("q", TensorDesc(DType::F32, {2, 4, 8})), k = g.input("k", TensorDesc(DType::F32, {6, 2, 8}));
  EXPECT_THROW(g.op("a", "attention", {q, k, k}, {{"segment", int64_t{3}}}), InputError);  // needs positions
}

// Decode on CPU devices: one query against a long f16 cache takes the kernel whose subgroups split
// the keys (lanes with 20 or 21 keys each, one lane's share cut by the cache's valid length), and
// matches the reference; the GPU layout runs the per-invocation kernel on the same graph.
TEST_F(AttentionTest, DecodeSplitsTheKeysOverASubgroup) {
  constexpr double kThreshold = 1e-10;
  TensorDesc qd(DType::F32, {1, 12, 64}), kd(DType::F16, {200, 4, 64}), pd(DType::I32, {1});
  std::map<std::string, HostTensor> in = {{"q", HostTensor::from_f32(qd, random_values(qd.elements(), 11, -2, 2))},
                                          {"k", HostTensor::from_f32(kd, random_values(kd.elements(), 12, -2, 2))},
                                          {"v", HostTensor::from_f32(kd, random_values(kd.elements(), 13))},
                                          {"pos", HostTensor::from_f32(pd, {164})}};
  Graph g(core_ops());
  g.mark_output(g.op("attn", "attention", {g.input("q", qd), g.input("k", kd), g.input("v", kd), g.input("pos", pd)}), "y");
  run_on_both_layouts(g, in, kThreshold);
  vk::ContextOptions o = validated_options();
  o.profiling = true;
  vk::Context ctx(o);
  if (!ctx.info().quirks.contiguous_work_layout || !ctx.info().subgroup_arithmetic) GTEST_SKIP() << "not a CPU device";
  Executor ex(ctx);
  ex.run(g, in);
  ASSERT_EQ(ex.last_stats().timings.size(), 1u);
  EXPECT_EQ(ex.last_stats().timings[0].kernel, "core/attention_split_texel");
}

TEST_F(AttentionTest, ShapeErrors) {
  Graph g(core_ops());
  ValueId q = g.input("q", TensorDesc(DType::F32, {4, 6, 8})), k = g.input("k", TensorDesc(DType::F32, {3, 4, 8}));
  EXPECT_THROW(g.op("a", "attention", {q, k, k}), InputError);  // 6 heads over 4 kv heads
  ValueId k2 = g.input("k2", TensorDesc(DType::F32, {3, 3, 8}));
  EXPECT_THROW(g.op("b", "attention", {q, k2, k2}, {{"causal", int64_t{1}}}), InputError);  // 4 queries, 3 keys
  ValueId k3 = g.input("k3", TensorDesc(DType::F32, {3, 2, 8})), p = g.input("p", TensorDesc(DType::I32, {3}));
  EXPECT_THROW(g.op("c", "attention", {q, k3, k3, p}), InputError);  // positions [3] for 4 queries
  ValueId kf = g.input("kf", TensorDesc(DType::F16, {3, 2, 8})), vf = g.input("vf", TensorDesc(DType::F32, {3, 2, 8}));
  EXPECT_THROW(g.op("d", "attention", {q, kf, vf}), InputError);  // f16 keys with f32 values
  EXPECT_THROW(g.op("e", "attention", {q, k3, k3}, {{"window", int64_t{-1}}}), InputError);
}

}  // namespace
}  // namespace facet::test
