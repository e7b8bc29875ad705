// Sibling matmuls on the device (graph/merge.hpp): merged, they give the same outputs to the bit as
// apart, for every weight type and both work layouts, with their readers binding the parts at
// offsets (storage and texel buffers); the matmul's part layout matches its CPU reference.
#include <gtest/gtest.h>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "graph/quant.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

std::shared_ptr<std::vector<uint8_t>> weight_bytes(DType t, int64_t rows, int64_t cols, uint32_t seed) {
  if (dtype_info(t).block_elems > 1) return std::make_shared<std::vector<uint8_t>>(random_blocks(t, rows * cols, seed));
  std::vector<float> v = random_values(static_cast<size_t>(rows * cols), seed);
  return std::make_shared<std::vector<uint8_t>>(convert_from_f32(t, v.data(), rows * cols));
}

// An attention-like block: q, k, v from one normalized x (with biases), k and v into a cache,
// attention, then gate/up from another x and a SwiGLU. Readers of the parts: rope-free, but
// texel-bound adds (CPU layout), set_rows and attention.
Graph block(DType t, int64_t M, int64_t K, bool bias) {
  Graph g(core_ops());
  const int64_t head_dim = 16, heads = K / head_dim, kv_heads = heads / 2, ff = 96;
  ValueId x = g.input("x", TensorDesc(DType::F32, {M, K}));
  ValueId h = g.op("norm", "rms_norm", {x, g.input("g", TensorDesc(DType::F32, {K}))});
  auto linear = [&](const std::string& name, ValueId in, int64_t n, uint32_t seed) {
    auto w = weight_bytes(t, n, K, seed);
    std::vector<ValueId> ins = {in, g.constant(name + ".w", TensorDesc(t, {n, K}), {w->data(), w->size(), w})};
    if (bias) {
      auto b = std::make_shared<std::vector<float>>(random_values(static_cast<size_t>(n), seed + 100));
      ins.push_back(g.constant(name + ".b", TensorDesc(DType::F32, {n}), {b->data(), b->size() * 4, b}));
    }
    return g.op(name, "matmul", ins);
  };
  ValueId q = linear("q", h, heads * head_dim, 1), k = linear("k", h, kv_heads * head_dim, 2), v = linear("v", h, kv_heads * head_dim, 3);
  ValueId pos = g.input("pos", TensorDesc(DType::I32, {M}));
  const TensorDesc cache(DType::F32, {16, kv_heads, head_dim});
  ValueId kc = g.op("k_cache", "set_rows", {g.state("k_cache", cache), g.reshape(k, TensorDesc(DType::F32, {M, kv_heads, head_dim})), pos});
  ValueId vc = g.op("v_cache", "set_rows", {g.state("v_cache", cache), g.reshape(v, TensorDesc(DType::F32, {M, kv_heads, head_dim})), pos});
  ValueId a = g.op("attn", "attention", {g.reshape(q, TensorDesc(DType::F32, {M, heads, head_dim})), kc, vc, pos});
  ValueId x2 = g.op("res", "add", {x, g.reshape(a, TensorDesc(DType::F32, {M, K}))});
  ValueId gate = linear("gate", x2, ff, 4), up = linear("up", x2, ff, 5);
  g.mark_output(g.op("glu", "swiglu", {gate, up}), "ffn");
  g.mark_output(g.op("kq", "add", {k, v}), "kv");  // a texel-bound reader of two parts
  return g;
}

TEST(MergeOnDevice, MergedSiblingsEqualSeparateOnes) {
  for (DType t : {DType::F32, DType::F16, DType::Q8_0, DType::Q4_K, DType::Q6_K}) {
    for (int64_t M : {1, 5}) {
      const bool bias = M == 5;
      const int64_t K = dtype_info(t).block_elems > 32 ? 256 : 64;
      SCOPED_TRACE(std::string(dtype_name(t)) + " M=" + std::to_string(M));
      Graph g = block(t, M, K, bias);
      std::vector<int32_t> positions;
      for (int64_t i = 0; i < M; ++i) positions.push_back(static_cast<int32_t>(3 + i));
      std::map<std::string, HostTensor> inputs = {
          {"x", HostTensor::from_f32(TensorDesc(DType::F32, {M, K}), random_values(static_cast<size_t>(M * K), 7))},
          {"g", HostTensor::from_f32(TensorDesc(DType::F32, {K}), random_values(static_cast<size_t>(K), 8, 0.5f, 1.5f))},
          {"pos", HostTensor::from_i32(positions)}};
      for (bool flip : {false, true}) {
        vk::ContextOptions o = validated_options();
        o.flip_work_layout = flip;
        vk::Context ctx(o);
        ExecOptions apart_opts;
        apart_opts.merge_siblings = false;
        Executor merged(ctx), apart(ctx, apart_opts);
        auto want = apart.run(g, inputs);
        auto got = merged.run(g, inputs);
        for (const char* name : {"ffn", "kv"}) EXPECT_EQ(got.at(name).to_f32(), want.at(name).to_f32()) << name << (flip ? " GPU layout" : " CPU layout");
        EXPECT_EQ(merged.last_stats().dispatches + 3, apart.last_stats().dispatches);  // q+k+v, gate+up
        EXPECT_EQ(merged.read_state("k_cache").to_f32(), apart.read_state("k_cache").to_f32());
        EXPECT_EQ(ctx.validation_message_count(), 0u);
      }
    }
  }
}

// The part layout itself, node by node against the CPU reference (debug mode runs the graph's own
// nodes, so this is where a matmul with parts is checked): every kernel family on both layouts.
TEST(MergeOnDevice, MatmulPartsMatchTheReference) {
  struct Case {
    DType w;
    int64_t M, K, part1, part2, N;
  };
  for (Case c : {Case{DType::F32, 1, 64, 8, 24, 40}, Case{DType::F32, 6, 64, 8, 24, 40}, Case{DType::F16, 1, 64, 16, 16, 40},
                 Case{DType::Q8_0, 3, 256, 12, 20, 28}, Case{DType::Q4_K, 20, 256, 4, 36, 37}, Case{DType::Q6_K, 1, 256, 9, 10, 11}}) {
    SCOPED_TRACE(std::string(dtype_name(c.w)) + " M=" + std::to_string(c.M));
    Graph g(core_ops());
    auto w = weight_bytes(c.w, c.N, c.K, 9);
    ValueId x = g.input("x", TensorDesc(DType::F32, {c.M, c.K}));
    ValueId wc = g.constant("w", TensorDesc(c.w, {c.N, c.K}), {w->data(), w->size(), w});
    ValueId y = g.op("mm", "matmul", {x, wc, g.input("b", TensorDesc(DType::F32, {c.N}))}, {{"part1", c.part1}, {"part2", c.part2}});
    g.mark_output(y, "y");
    auto out = run_on_both_layouts(
        g,
        {{"x", HostTensor::from_f32(TensorDesc(DType::F32, {c.M, c.K}), random_values(static_cast<size_t>(c.M * c.K), 10))},
         {"b", HostTensor::from_f32(TensorDesc(DType::F32, {c.N}), random_values(static_cast<size_t>(c.N), 11))}},
        1e-10);
    EXPECT_EQ(out.at("y").desc, TensorDesc(DType::F32, {c.M, c.N}));
  }
  Graph bad(core_ops());
  ValueId x = bad.input("x", TensorDesc(DType::F32, {2, 8}));
  const Attrs decreasing = {{"part1", int64_t{4}}, {"part2", int64_t{3}}};
  EXPECT_THROW(bad.op("mm", "matmul", {x, bad.input("w", TensorDesc(DType::F32, {6, 8}))}, decreasing), InputError);
}

}  // namespace
}  // namespace facet::test
