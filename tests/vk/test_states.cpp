// Graph states (a KV cache): set_rows writes persist across runs of one Executor, a decode step
// reuses its recorded plan, and attention over a cache filled step by step equals causal
// attention over the whole sequence.
#include <gtest/gtest.h>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "util/error.hpp"
#include "util/half.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

class StatesTest : public VkTest {};

HostTensor ids(const std::vector<float>& v) {
  return HostTensor::from_f32(TensorDesc(DType::I32, {static_cast<int64_t>(v.size())}), v);
}

TEST_F(StatesTest, SetRowsPersistsAcrossRuns) {
  const TensorDesc cache(DType::F32, {6, 2, 3});
  auto graph_for = [&](int64_t t) {
    Graph g(core_ops());
    ValueId s = g.state("kv", cache);
    ValueId y = g.op("write", "set_rows", {s, g.input("src", TensorDesc(DType::F32, {t, 2, 3})), g.input("rows", TensorDesc(DType::I32, {t}))});
    g.mark_output(y, "cache");
    return g;
  };
  Executor ex(ctx());
  std::vector<float> a = random_values(2 * 6, 1), b = random_values(6, 2), c = random_values(6, 3);
  Graph g2 = graph_for(2), g1 = graph_for(1);
  ex.run(g2, {{"src", HostTensor::from_f32(TensorDesc(DType::F32, {2, 2, 3}), a)}, {"rows", ids({0, 4})}});
  ex.run(g1, {{"src", HostTensor::from_f32(TensorDesc(DType::F32, {1, 2, 3}), b)}, {"rows", ids({2})}});
  auto out = ex.run(g1, {{"src", HostTensor::from_f32(TensorDesc(DType::F32, {1, 2, 3}), c)}, {"rows", ids({7})}});  // skipped
  EXPECT_TRUE(ex.last_stats().reused_plan);
  std::vector<float> want(36, 0.0f);
  std::copy(a.begin(), a.begin() + 6, want.begin());
  std::copy(a.begin() + 6, a.end(), want.begin() + 24);
  std::copy(b.begin(), b.end(), want.begin() + 12);
  EXPECT_EQ(out.at("cache").to_f32(), want);
  EXPECT_EQ(ex.read_state("kv").to_f32(), want);
  ex.reset_states();
  out = ex.run(g1, {{"src", HostTensor::from_f32(TensorDesc(DType::F32, {1, 2, 3}), b)}, {"rows", ids({5})}});
  std::vector<float> fresh(36, 0.0f);
  std::copy(b.begin(), b.end(), fresh.begin() + 30);
  EXPECT_EQ(out.at("cache").to_f32(), fresh);
}

TEST_F(StatesTest, CacheFilledStepByStepEqualsCausalAttention) {
  const int64_t T = 7, H = 4, Hkv = 2, D = 16, C = 12, prefill = 4;
  std::vector<float> q = random_values(T * H * D, 11, -2, 2), k = random_values(T * Hkv * D, 12, -2, 2),
                     v = random_values(T * Hkv * D, 13);
  // Reference: causal attention over all T tokens at once.
  Graph full(core_ops());
  full.mark_output(full.op("attn", "attention",
                           {full.input("q", TensorDesc(DType::F32, {T, H, D})), full.input("k", TensorDesc(DType::F32, {T, Hkv, D})),
                            full.input("v", TensorDesc(DType::F32, {T, Hkv, D}))},
                           {{"causal", int64_t{1}}}),
                   "y");
  Executor ex(ctx());
  auto slice = [&](const std::vector<float>& x, int64_t heads, int64_t from, int64_t n) {
    return HostTensor::from_f32(TensorDesc(DType::F32, {n, heads, D}),
                                std::vector<float>(x.begin() + from * heads * D, x.begin() + (from + n) * heads * D));
  };
  const std::vector<float> want = ex.run(full, {{"q", slice(q, H, 0, T)}, {"k", slice(k, Hkv, 0, T)}, {"v", slice(v, Hkv, 0, T)}}).at("y").to_f32();

  // The same with a KV cache of capacity C: a prefill of 4 tokens, then 3 decode steps.
  auto step_graph = [&](int64_t t) {
    Graph g(core_ops());
    ValueId pos = g.input("pos", TensorDesc(DType::I32, {t}));
    ValueId kc = g.op("k_write", "set_rows", {g.state("k_cache", TensorDesc(DType::F32, {C, Hkv, D})), g.input("k", TensorDesc(DType::F32, {t, Hkv, D})), pos});
    ValueId vc = g.op("v_write", "set_rows", {g.state("v_cache", TensorDesc(DType::F32, {C, Hkv, D})), g.input("v", TensorDesc(DType::F32, {t, Hkv, D})), pos});
    g.mark_output(g.op("attn", "attention", {g.input("q", TensorDesc(DType::F32, {t, H, D})), kc, vc, pos}), "y");
    return g;
  };
  Graph pre = step_graph(prefill), dec = step_graph(1);
  std::vector<float> got;
  auto run = [&](Graph& g, int64_t from, int64_t n) {
    std::vector<float> p;
    for (int64_t i = 0; i < n; ++i) p.push_back(static_cast<float>(from + i));
    auto y = ex.run(g, {{"q", slice(q, H, from, n)}, {"k", slice(k, Hkv, from, n)}, {"v", slice(v, Hkv, from, n)}, {"pos", ids(p)}})
                 .at("y")
                 .to_f32();
    got.insert(got.end(), y.begin(), y.end());
  };
  run(pre, 0, prefill);
  for (int64_t i = prefill; i < T; ++i) run(dec, i, 1);
  EXPECT_TRUE(ex.last_stats().reused_plan);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_LT(nmse(got, want), 1e-12);
  EXPECT_EQ(ctx().validation_message_count(), 0u);
}

TEST_F(StatesTest, DebugModeChecksSetRows) {
  Graph g(core_ops());
  ValueId s = g.state("cache", TensorDesc(DType::F32, {9, 5}));
  ValueId w = g.op("write", "set_rows", {s, g.input("src", TensorDesc(DType::F32, {3, 5})), g.input("rows", TensorDesc(DType::I32, {3}))});
  g.mark_output(g.op("sum", "add", {w, w}), "y");
  run_on_both_layouts(g, {{"src", HostTensor::from_f32(TensorDesc(DType::F32, {3, 5}), random_values(15, 4))}, {"rows", ids({8, 0, 3})}},
                      1e-12);
}

// A f16 state (the f16 KV cache): values rounded to nearest even as they are written, untouched
// rows stay, rows outside the state are skipped; odd row sizes are refused.
TEST_F(StatesTest, SetRowsIntoF16State) {
  const TensorDesc cache(DType::F16, {7, 3, 2});
  Graph g(core_ops());
  ValueId w = g.op("write", "set_rows", {g.state("kv", cache), g.input("src", TensorDesc(DType::F32, {3, 3, 2})),
                                         g.input("rows", TensorDesc(DType::I32, {3}))});
  g.mark_output(g.op("read", "convert", {w}, {{"dtype", static_cast<int64_t>(DType::F32)}}), "cache");
  std::vector<float> src = random_values(18, 5, -3, 3);
  src[0] = 1.0f + 1.0f / 4096.0f;  // halfway between two f16 values: rounds to even (1.0)
  src[1] = 65519.0f;               // the largest value below f16 overflow rounds to 65504
  auto out = run_on_both_layouts(g, {{"src", HostTensor::from_f32(TensorDesc(DType::F32, {3, 3, 2}), src)}, {"rows", ids({5, 0, 9})}}, 0.0);
  const std::vector<float> got = out.at("cache").to_f32();
  std::vector<float> want(42, 0.0f);
  for (int e = 0; e < 6; ++e) {
    want[5 * 6 + e] = f16_to_f32(f32_to_f16(src[e]));
    want[e] = f16_to_f32(f32_to_f16(src[6 + e]));
  }
  EXPECT_EQ(want[30], 1.0f);
  EXPECT_EQ(want[31], 65504.0f);
  EXPECT_EQ(got, want);
  Graph odd(core_ops());
  EXPECT_THROW(odd.op("w", "set_rows", {odd.state("s", TensorDesc(DType::F16, {4, 3})), odd.input("src", TensorDesc(DType::F32, {1, 3})),
                                        odd.input("r", TensorDesc(DType::I32, {1}))}),
               InputError);
}

TEST_F(StatesTest, Errors) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {4, 2}));
  ValueId r = g.input("r", TensorDesc(DType::I32, {1}));
  ValueId src = g.input("src", TensorDesc(DType::F32, {1, 2}));
  EXPECT_THROW(g.op("a", "set_rows", {x, src, r}), InputError);  // not a state
  ValueId s = g.state("s", TensorDesc(DType::F32, {4, 2}));
  EXPECT_THROW(g.state("s", TensorDesc(DType::F32, {4, 2})), InputError);  // duplicate
  EXPECT_THROW(g.op("b", "set_rows", {s, g.input("bad", TensorDesc(DType::F32, {1, 3})), r}), InputError);
  g.mark_output(g.op("c", "set_rows", {s, src, r}), "y");
  Executor ex(ctx());
  ex.run(g, {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {4, 2}), std::vector<float>(8))}, {"r", ids({1})},
             {"src", HostTensor::from_f32(TensorDesc(DType::F32, {1, 2}), {1, 2})}, {"bad", HostTensor::from_f32(TensorDesc(DType::F32, {1, 3}), {1, 2, 3})}});
  Graph other(core_ops());
  other.mark_output(other.op("c", "set_rows", {other.state("s", TensorDesc(DType::F32, {5, 2})), other.input("src", TensorDesc(DType::F32, {1, 2})),
                                               other.input("r", TensorDesc(DType::I32, {1}))}),
                    "y");
  try {
    ex.run(other, {{"src", HostTensor::from_f32(TensorDesc(DType::F32, {1, 2}), {1, 2})}, {"r", ids({0})}});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("state 's' is f32 [4, 2]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace facet::test
