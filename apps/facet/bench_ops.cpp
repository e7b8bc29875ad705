#include "bench_ops.hpp"

#include <memory>

#include <cstring>
#include <random>

#include "graph/quant.hpp"
#include "util/half.hpp"

namespace facet::bench {

HostTensor random_tensor(const TensorDesc& d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(d.elements()));
  for (float& x : v) x = u(rng);
  return HostTensor::from_f32(d, v);
}

std::string dims(std::initializer_list<int64_t> d) {
  std::string s = "[";
  for (int64_t x : d) s += (s.size() > 1 ? "," : "") + std::to_string(x);
  return s + "]";
}

namespace {

// Well-formed random K-quant blocks (Q4_K, Q6_K): random quant bytes, small finite f16 scales.
std::vector<uint8_t> random_k_blocks(DType t, int64_t elements, uint32_t seed) {
  const DTypeInfo& info = dtype_info(t);
  std::vector<uint8_t> b(static_cast<size_t>(elements / info.block_elems) * info.block_bytes);
  std::mt19937 rng(seed);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  const uint16_t d = f32_to_f16(0.01f);
  for (size_t blk = 0; blk < b.size() / info.block_bytes; ++blk) {
    uint8_t* p = &b[blk * info.block_bytes];
    std::memcpy(t == DType::Q4_K ? p : p + 208, &d, 2);
    if (t == DType::Q4_K) std::memcpy(p + 2, &d, 2);
  }
  return b;
}

}  // namespace

// y[M,N] = x[M,K] W[N,K]^T with W a constant of dtype wt.
OpCase matmul(const std::string& name, int64_t M, int64_t K, int64_t N, DType wt) {
  OpCase c;
  c.name = name;
  c.op = "matmul";
  c.shape = dims({M, K}) + "x" + dims({N, K}) + " " + std::string(dtype_name(wt));
  c.flops = 2.0 * M * N * K;
  c.bytes = 4.0 * M * K + static_cast<double>(TensorDesc(wt, {N, K}).bytes()) + 4.0 * M * N;
  c.build = [=](Graph& g, std::map<std::string, HostTensor>& in) {
    TensorDesc xd(DType::F32, {M, K}), wd(wt, {N, K});
    in["x"] = random_tensor(xd, 1);
    auto w = std::make_shared<HostTensor>();
    if (wt == DType::Q4_K || wt == DType::Q6_K) {
      *w = {wd, random_k_blocks(wt, N * K, 2)};
    } else if (is_quantized(wt)) {
      HostTensor f = random_tensor(TensorDesc(DType::F32, {N, K}), 2);
      std::vector<float> v = f.to_f32();
      *w = {wd, quantize(wt, v.data(), N * K)};
    } else {
      *w = random_tensor(wd, 2);
    }
    ValueId wc = g.constant("w", wd, {w->bytes.data(), w->bytes.size(), w});
    g.mark_output(g.op("op", "matmul", {g.input("x", xd), wc}), "y");
  };
  return c;
}

namespace {

// A one-input op over [rows, cols] (inputs: x, plus a [cols] weight for norms).
OpCase rowwise(const std::string& name, const std::string& op, int64_t rows, int64_t cols, int n_params, double flops_per_elem) {
  OpCase c;
  c.name = name;
  c.op = op;
  c.shape = dims({rows, cols});
  c.flops = flops_per_elem * rows * cols;
  c.bytes = 8.0 * rows * cols + 4.0 * n_params * cols;
  c.build = [=](Graph& g, std::map<std::string, HostTensor>& in) {
    TensorDesc xd(DType::F32, {rows, cols}), pd(DType::F32, {cols});
    in["x"] = random_tensor(xd, 3);
    std::vector<ValueId> ins = {g.input("x", xd)};
    for (int p = 0; p < n_params; ++p) {
      std::string pn = "p" + std::to_string(p);
      in[pn] = random_tensor(pd, 4 + p);
      ins.push_back(g.input(pn, pd));
    }
    g.mark_output(g.op("op", op, ins), "y");
  };
  return c;
}

OpCase binary(const std::string& name, const std::string& op, int64_t n) {
  OpCase c;
  c.name = name;
  c.op = op;
  c.shape = dims({n}) + " x2";
  c.flops = static_cast<double>(n);
  c.bytes = 12.0 * n;
  c.build = [=](Graph& g, std::map<std::string, HostTensor>& in) {
    TensorDesc d(DType::F32, {n});
    in["a"] = random_tensor(d, 5);
    in["b"] = random_tensor(d, 6);
    g.mark_output(g.op("op", op, {g.input("a", d), g.input("b", d)}), "y");
  };
  return c;
}

OpCase convert(const std::string& name, int64_t n, DType to) {
  OpCase c;
  c.name = name;
  c.op = "convert";
  c.shape = dims({n}) + " f32->" + std::string(dtype_name(to));
  c.bytes = 4.0 * n + static_cast<double>(TensorDesc(to, {n}).bytes());
  c.build = [=](Graph& g, std::map<std::string, HostTensor>& in) {
    TensorDesc d(DType::F32, {n});
    in["x"] = random_tensor(d, 7);
    g.mark_output(g.op("op", "convert", {g.input("x", d)}, {{"dtype", static_cast<int64_t>(to)}}), "y");
  };
  return c;
}

}  // namespace

OpCase attention(const std::string& name, int64_t tq, int64_t tk, int64_t heads, int64_t d, bool causal) {
  OpCase c;
  c.name = name;
  c.op = "attention";
  c.shape = "q" + dims({tq, heads, d}) + " kv" + dims({tk, heads, d}) + (causal ? " causal" : "");
  double pairs = causal ? static_cast<double>(tq) * (2.0 * tk - tq + 1) / 2.0 : static_cast<double>(tq) * tk;
  c.flops = 4.0 * pairs * heads * d;
  c.bytes = 4.0 * (2.0 * tq * heads * d + 2.0 * tk * heads * d);
  c.build = [=](Graph& g, std::map<std::string, HostTensor>& in) {
    TensorDesc qd(DType::F32, {tq, heads, d}), kd(DType::F32, {tk, heads, d});
    in["q"] = random_tensor(qd, 8);
    in["k"] = random_tensor(kd, 9);
    in["v"] = random_tensor(kd, 10);
    g.mark_output(g.op("op", "attention", {g.input("q", qd), g.input("k", kd), g.input("v", kd)},
                       {{"causal", int64_t{causal}}}),
                  "y");
  };
  return c;
}

namespace {

// The best k of each row of logits [rows, cols] (top_k indices).
OpCase top_k(const std::string& name, int64_t rows, int64_t cols, int64_t k) {
  OpCase c;
  c.name = name;
  c.op = "top_k";
  c.shape = dims({rows, cols}) + " k=" + std::to_string(k);
  c.bytes = 4.0 * rows * cols + 4.0 * rows * k;
  c.build = [=](Graph& g, std::map<std::string, HostTensor>& in) {
    TensorDesc d(DType::F32, {rows, cols});
    in["x"] = random_tensor(d, 11);
    g.mark_output(g.op("op", "top_k", {g.input("x", d)}, {{"k", k}}), "y");
  };
  return c;
}

// ROI-Align of `boxes` random boxes to 7 x 7 bins over a [side, side, channels] grid.
OpCase roi_align(const std::string& name, int64_t side, int64_t channels, int64_t boxes) {
  OpCase c;
  c.name = name;
  c.op = "roi_align";
  c.shape = dims({side, side, channels}) + " " + std::to_string(boxes) + " boxes 7x7";
  c.bytes = 4.0 * side * side * channels + 4.0 * boxes * 49 * channels;
  c.build = [=](Graph& g, std::map<std::string, HostTensor>& in) {
    TensorDesc xd(DType::F32, {side, side, channels}), bd(DType::F32, {boxes, 4});
    in["x"] = random_tensor(xd, 12);
    std::mt19937 rng(13);
    std::uniform_real_distribution<float> u(0.0f, static_cast<float>(side));
    std::vector<float> b;
    for (int64_t k = 0; k < boxes; ++k) {
      float x0 = u(rng), y0 = u(rng), x1 = u(rng), y1 = u(rng);
      b.insert(b.end(), {std::min(x0, x1), std::min(y0, y1), std::max(x0, x1), std::max(y0, y1)});
    }
    in["boxes"] = HostTensor::from_f32(bd, b);
    g.mark_output(g.op("op", "roi_align", {g.input("x", xd), g.input("boxes", bd)},
                       {{"height", int64_t{7}}, {"width", int64_t{7}}, {"aligned", int64_t{1}}}),
                  "y");
  };
  return c;
}

}  // namespace

std::vector<OpCase> op_cases() {
  // LLaMA of 110M parameters: dim 768, 12 heads, ff 2048, vocab 32000; prompt 128, decode 1.
  // ViT-L/14: dim 1024, ff 4096, 16 heads, 257 tokens at 224 px, 577 at 336 px.
  std::vector<OpCase> cases = {
      matmul("square.512", 512, 512, 512, DType::F32),
      matmul("llama110m.attn_q.prefill", 128, 768, 768, DType::F32),
      matmul("llama110m.ffn_up.prefill", 128, 768, 2048, DType::F16),
      matmul("llama110m.ffn_down.prefill", 128, 2048, 768, DType::F16),
      matmul("llama110m.ffn_up.decode", 1, 768, 2048, DType::F16),
      matmul("llama110m.ffn_up.decode.q8_0", 1, 768, 2048, DType::Q8_0),
      matmul("llama110m.ffn_up.decode.q4_0", 1, 768, 2048, DType::Q4_0),
      matmul("llama110m.ffn_up.prefill.q8_0", 128, 768, 2048, DType::Q8_0),
      matmul("llama110m.output.decode", 1, 768, 32000, DType::F16),
      matmul("llama110m.attn_q.decode.q8_0", 1, 768, 768, DType::Q8_0),
      matmul("llama110m.ffn_down.decode.q8_0", 1, 2048, 768, DType::Q8_0),
      matmul("llama110m.output.decode.q8_0", 1, 768, 32000, DType::Q8_0),
      matmul("llama110m.ffn_up.prefill.q4_0", 128, 768, 2048, DType::Q4_0),
      matmul("llama110m.ffn_up.decode.q4_k", 1, 768, 2048, DType::Q4_K),
      matmul("llama110m.ffn_up.prefill.q4_k", 128, 768, 2048, DType::Q4_K),
      matmul("llama110m.ffn_down.decode.q6_k", 1, 2048, 768, DType::Q6_K),
      matmul("llama110m.ffn_down.prefill.q6_k", 128, 2048, 768, DType::Q6_K),
      matmul("vitl14.fc1.224", 257, 1024, 4096, DType::F16),
      matmul("vitl14.attn_q.336", 577, 1024, 1024, DType::F16),
      rowwise("llama110m.rms_norm.prefill", "rms_norm", 128, 768, 1, 4),
      rowwise("llama110m.silu.prefill", "silu", 128, 2048, 0, 5),
      rowwise("llama110m.softmax.prefill", "softmax", 12 * 128, 128, 0, 5),
      rowwise("vitl14.layer_norm.336", "layer_norm", 577, 1024, 2, 8),
      rowwise("vitl14.quick_gelu.336", "quick_gelu", 577, 4096, 0, 6),
      rowwise("vitl14.gelu.336", "gelu", 577, 4096, 0, 20),
      rowwise("vitl14.softmax.336", "softmax", 16 * 577, 577, 0, 5),
      attention("llama110m.attention.prefill", 128, 128, 12, 64, true),
      attention("llama110m.attention.decode", 1, 128, 12, 64, true),
      attention("vitl14.attention.336", 577, 577, 16, 64, false),
      binary("elementwise.add.1m", "add", 1 << 20),
      binary("elementwise.mul.1m", "mul", 1 << 20),
      convert("convert.f16.1m", 1 << 20, DType::F16),
      top_k("llama110m.top_k.decode", 1, 32000, 40),
      roi_align("vitl14.roi_align.336", 24, 1024, 100),
  };
  for (OpCase& c : sd_op_cases()) cases.push_back(std::move(c));
  return cases;
}

}  // namespace facet::bench
