// `facet bench ops` cases at Stable Diffusion 1.5 shapes (UNet at a 64x64 latent, 512 px): the
// ResNet blocks' 3x3 convolutions (320 channels at 64x64, 640 at 32x32, 1280 at 8x8), each beside
// the matmul of its im2col GEMM (same FLOPs), GroupNorm+SiLU, the nearest 2x upsample, the
// Transformer2D's channels <-> tokens transpose and GEGLU, and attention over 4096 tokens.
#include <memory>

#include "bench_ops.hpp"

namespace facet::bench {

namespace {

// conv2d of x f32 [c, side, side] with a constant weight [o, c, k, k] of dtype wt (+ bias [o]).
OpCase conv2d(const std::string& name, int64_t c, int64_t side, int64_t o, int64_t k, int64_t stride, DType wt) {
  const int64_t pad = k / 2, out = (side + 2 * pad - k) / stride + 1;
  OpCase cs;
  cs.name = name;
  cs.op = "conv2d";
  cs.shape = dims({c, side, side}) + "*" + dims({o, c, k, k}) + " s" + std::to_string(stride) + " " + std::string(dtype_name(wt));
  cs.flops = 2.0 * o * out * out * c * k * k;
  cs.bytes = 4.0 * c * side * side + static_cast<double>(TensorDesc(wt, {o, c, k, k}).bytes()) + 4.0 * o * out * out;
  cs.build = [=](Graph& g, std::map<std::string, HostTensor>& in) {
    TensorDesc xd(DType::F32, {c, side, side}), wd(wt, {o, c, k, k}), bd(DType::F32, {o});
    in["x"] = random_tensor(xd, 21);
    auto w = std::make_shared<HostTensor>(random_tensor(wd, 22));
    auto b = std::make_shared<HostTensor>(random_tensor(bd, 23));
    ValueId wc = g.constant("w", wd, {w->bytes.data(), w->bytes.size(), w});
    ValueId bc = g.constant("b", bd, {b->bytes.data(), b->bytes.size(), b});
    g.mark_output(g.op("op", "conv2d", {g.input("x", xd), wc, bc}, {{"sh", stride}, {"sw", stride}, {"ph", pad}, {"pw", pad}}),
                  "y");
  };
  return cs;
}

// One input x f32 of shape d through `op` with attributes; `params` f32 [d0] constants appended.
OpCase unary(const std::string& name, const std::string& op, const TensorDesc& d, const Attrs& attrs, int params, double flops,
             double bytes) {
  OpCase cs;
  cs.name = name;
  cs.op = op;
  cs.shape = d.str();
  cs.flops = flops;
  cs.bytes = bytes;
  cs.build = [=](Graph& g, std::map<std::string, HostTensor>& in) {
    in["x"] = random_tensor(d, 24);
    std::vector<ValueId> ins = {g.input("x", d)};
    for (int p = 0; p < params; ++p) {
      const std::string pn = "p" + std::to_string(p);
      in[pn] = random_tensor(TensorDesc(DType::F32, {d.dims[0]}), 25 + p);
      ins.push_back(g.input(pn, TensorDesc(DType::F32, {d.dims[0]})));
    }
    g.mark_output(g.op("op", op, ins, attrs), "y");
  };
  return cs;
}

}  // namespace

std::vector<OpCase> sd_op_cases() {
  const int64_t n64 = 64 * 64;
  const double e64 = 320.0 * n64;  // elements of a [320, 64, 64] activation
  return {
      conv2d("sd15.conv3x3.64", 320, 64, 320, 3, 1, DType::F16),
      matmul("sd15.conv3x3.64.gemm", n64, 320 * 9, 320, DType::F16),
      conv2d("sd15.conv3x3.64.f32", 320, 64, 320, 3, 1, DType::F32),
      matmul("sd15.conv3x3.64.f32.gemm", n64, 320 * 9, 320, DType::F32),
      conv2d("sd15.conv3x3.32", 640, 32, 640, 3, 1, DType::F16),
      matmul("sd15.conv3x3.32.gemm", 32 * 32, 640 * 9, 640, DType::F16),
      conv2d("sd15.conv3x3.8", 1280, 8, 1280, 3, 1, DType::F16),
      matmul("sd15.conv3x3.8.gemm", 8 * 8, 1280 * 9, 1280, DType::F16),
      conv2d("sd15.conv1x1.64", 320, 64, 320, 1, 1, DType::F16),
      matmul("sd15.conv1x1.64.gemm", n64, 320, 320, DType::F16),
      conv2d("sd15.downsample.64", 320, 64, 320, 3, 2, DType::F16),
      unary("sd15.group_norm_silu.64", "group_norm", TensorDesc(DType::F32, {320, 64, 64}),
            {{"groups", int64_t{32}}, {"eps", 1e-5}, {"silu", int64_t{1}}}, 2, 12.0 * e64, 8.0 * e64),
      unary("sd15.upsample.32", "upsample_nearest", TensorDesc(DType::F32, {640, 32, 32}), {}, 0, 0.0, 4.0 * 640 * 1024 * 5),
      unary("sd15.to_tokens.64", "permute", TensorDesc(DType::F32, {320, n64}), {{"p0", int64_t{1}}, {"p1", int64_t{0}}}, 0, 0.0,
            8.0 * e64),
      unary("sd15.geglu.64", "geglu", TensorDesc(DType::F32, {n64, 2 * 1280}), {}, 0, 20.0 * n64 * 1280, 12.0 * n64 * 1280),
      attention("sd15.attention.self.64", n64, n64, 8, 40, false),
      attention("sd15.attention.cross.64", n64, 77, 8, 40, false),
      attention("sd15.attention.self.32", 32 * 32, 32 * 32, 8, 80, false),
  };
}

}  // namespace facet::bench
