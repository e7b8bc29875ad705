// Fused residual adds on the device: every matmul kernel family adds r exactly as the separate
// add node does (bit-identical outputs against debug mode, which runs the graph's own nodes), with
// one dispatch fewer. Both work layouts: texel tiles, texel matrix-vector, interleaved blocks and
// row kernels on CPU devices; shared-memory tiles and subgroup matrix-vector kernels on GPUs.
#include <gtest/gtest.h>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "graph/quant.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

TEST(FusionOnDevice, ResidualEpilogueEqualsTheSeparateAdd) {
  struct Case {
    int64_t M, K, N;
    DType w;
    bool bias;
  };
  for (Case cs : {Case{1, 96, 37, DType::F16, false}, Case{5, 64, 130, DType::F32, true}, Case{3, 512, 21, DType::Q8_0, true},
                  Case{20, 512, 13, DType::Q4_0, false}, Case{1, 77, 13, DType::F32, true}, Case{2, 96, 9, DType::Q8_0, false},
                  Case{17, 40, 33, DType::BF16, false}}) {
    Graph g(core_ops());
    TensorDesc xd(DType::F32, {cs.M, cs.K}), yd(DType::F32, {cs.M, cs.N}), wd(cs.w, {cs.N, cs.K});
    std::vector<float> wv = random_values(cs.N * cs.K, 3);
    auto w = std::make_shared<std::vector<uint8_t>>(dtype_info(cs.w).block_elems > 1 ? quantize(cs.w, wv.data(), cs.N * cs.K)
                                                                                      : convert_from_f32(cs.w, wv.data(), cs.N * cs.K));
    std::vector<ValueId> ins = {g.input("x", xd), g.constant("w", wd, {w->data(), w->size(), w})};
    if (cs.bias) ins.push_back(g.input("b", TensorDesc(DType::F32, {cs.N})));
    ValueId r = g.op("pre", "silu", {g.input("r", yd)});  // an intermediate residual
    g.mark_output(g.op("res", "add", {r, g.op("mm", "matmul", ins)}), "y");
    std::map<std::string, HostTensor> inputs = {{"x", HostTensor::from_f32(xd, random_values(cs.M * cs.K, 4))},
                                                {"r", HostTensor::from_f32(yd, random_values(cs.M * cs.N, 5))}};
    if (cs.bias) inputs["b"] = HostTensor::from_f32(TensorDesc(DType::F32, {cs.N}), random_values(cs.N, 6));
    SCOPED_TRACE(std::string(dtype_name(cs.w)) + " " + std::to_string(cs.M) + "x" + std::to_string(cs.K) + "x" + std::to_string(cs.N));
    for (bool flip : {false, true}) {
      vk::ContextOptions o = validated_options();
      o.flip_work_layout = flip;
      vk::Context ctx(o);
      Executor separate(ctx, ExecOptions{true, 1e-10}), fused(ctx);
      std::vector<float> want = separate.run(g, inputs).at("y").to_f32();
      EXPECT_FALSE(separate.last_stats().mismatch.has_value());
      std::vector<float> got = fused.run(g, inputs).at("y").to_f32();
      EXPECT_EQ(got, want) << (flip ? "GPU layout" : "CPU layout");
      EXPECT_EQ(fused.last_stats().dispatches + 1, separate.last_stats().dispatches);
      EXPECT_EQ(ctx.validation_message_count(), 0u);
    }
  }
}

}  // namespace
}  // namespace facet::test
