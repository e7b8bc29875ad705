// GGUF block formats: hand-built blocks with values worked out from the format description
// (not from Facet's code), and quantizer round trips.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "graph/host_tensor.hpp"
#include "graph/quant.hpp"
#include "graph/quantize_on_load.hpp"
#include "util/error.hpp"
#include "util/half.hpp"

namespace facet {
namespace {

void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) { std::memcpy(&b[at], &v, 2); }

std::vector<float> dq(DType t, const std::vector<uint8_t>& b) {
  std::vector<float> out(dtype_info(t).block_elems);
  dequantize(t, b.data(), out.data(), static_cast<int64_t>(out.size()));
  return out;
}

TEST(Quant, Q8_0Block) {
  std::vector<uint8_t> b(34, 0);
  put16(b, 0, 0x3800);  // d = 0.5
  b[2] = 0xFD;          // -3
  b[33] = 127;
  auto y = dq(DType::Q8_0, b);
  EXPECT_EQ(y[0], -1.5f);
  EXPECT_EQ(y[31], 63.5f);
  EXPECT_EQ(y[5], 0.0f);
}

TEST(Quant, Q4_0AndQ4_1Blocks) {
  std::vector<uint8_t> b(18, 0x88);  // all nibbles 8 -> 0
  put16(b, 0, 0x4000);               // d = 2
  b[2] = 0x3A;                       // element 0 = low nibble 10, element 16 = high nibble 3
  auto y = dq(DType::Q4_0, b);
  EXPECT_EQ(y[0], 4.0f);
  EXPECT_EQ(y[16], -10.0f);
  EXPECT_EQ(y[1], 0.0f);

  std::vector<uint8_t> c(20, 0);
  put16(c, 0, 0x3400);  // d = 0.25
  put16(c, 2, 0xBC00);  // m = -1
  c[4] = 0xF0;
  auto z = dq(DType::Q4_1, c);
  EXPECT_EQ(z[0], -1.0f);
  EXPECT_EQ(z[16], 2.75f);
}

TEST(Quant, Q4_KBlock) {
  std::vector<uint8_t> b(144, 0);
  put16(b, 0, 0x3C00);  // d = 1
  put16(b, 2, 0x3800);  // dmin = 0.5
  uint8_t* s = &b[4];
  s[0] = 0x43;  // sub-block 0 scale 3; top bits 1 -> sub-block 4 scale high bits
  s[4] = 2;     // sub-block 0 min 2
  s[1] = 1;     // sub-block 1 scale 1
  s[5] = 4;     // sub-block 1 min 4
  s[8] = 0x21;  // sub-block 4: scale low 4 bits 1 (| 1 << 4 = 17), min low bits 2
  uint8_t* q = &b[16];
  q[0] = 0x75;
  q[64] = 0x02;
  auto y = dq(DType::Q4_K, b);
  EXPECT_EQ(y[0], 1.0f * 3 * 5 - 0.5f * 2);     // sub-block 0, low nibble of q[0]
  EXPECT_EQ(y[32], 1.0f * 1 * 7 - 0.5f * 4);    // sub-block 1, high nibble of q[0]
  EXPECT_EQ(y[128], 1.0f * 17 * 2 - 0.5f * 2);  // sub-block 4, low nibble of q[64]
}

TEST(Quant, Q6_KBlock) {
  std::vector<uint8_t> b(210, 0);
  uint8_t* ql = &b[0];
  uint8_t* qh = &b[128];
  auto* sc = reinterpret_cast<int8_t*>(&b[192]);
  put16(b, 208, 0x3800);  // d = 0.5
  ql[0] = 0x4A;
  qh[0] = 0xE6;
  ql[32] = 0x0F;
  ql[72] = 0x70;
  qh[40] = 0x30;
  sc[0] = -2;
  sc[2] = 4;
  sc[4] = 3;
  sc[12] = 1;
  auto y = dq(DType::Q6_K, b);
  EXPECT_EQ(y[0], 0.5f * -2 * ((0xA | (2 << 4)) - 32));   // quarter 0: low of ql[0], qh bits 0-1
  EXPECT_EQ(y[32], 0.5f * 4 * ((0xF | (1 << 4)) - 32));   // quarter 1: low of ql[32], qh bits 2-3
  EXPECT_EQ(y[64], 0.5f * 3 * ((0x4 | (2 << 4)) - 32));   // quarter 2: high of ql[0], qh bits 4-5
  EXPECT_EQ(y[200], 0.5f * 1 * ((0x7 | (3 << 4)) - 32));  // second half, quarter 2, l = 8
}

TEST(Quant, ReferenceQuantizersRoundTrip) {
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<float> x(32 * 64);
  for (float& v : x) v = n(rng);
  for (DType t : {DType::Q8_0, DType::Q4_0, DType::Q4_1}) {
    std::vector<uint8_t> q = quantize(t, x.data(), static_cast<int64_t>(x.size()));
    EXPECT_EQ(q.size(), x.size() / 32 * dtype_info(t).block_bytes);
    std::vector<float> y = convert_to_f32(t, q.data(), static_cast<int64_t>(x.size()));
    for (size_t blk = 0; blk < x.size() / 32; ++blk) {
      float amax = 0, lo = x[blk * 32], hi = lo;
      for (int i = 0; i < 32; ++i) {
        amax = std::max(amax, std::fabs(x[blk * 32 + i]));
        lo = std::min(lo, x[blk * 32 + i]);
        hi = std::max(hi, x[blk * 32 + i]);
      }
      // Half a quantization step, plus the f16 rounding of the scale (and min). Q4_0 maps the
      // largest magnitude to -8 and so covers [-8d, 7d]: values at the other extreme clip by up to
      // one full step.
      float step = t == DType::Q8_0 ? amax / 127 : t == DType::Q4_0 ? amax / 8 : (hi - lo) / 15;
      float bound = step * (t == DType::Q4_0 ? 1.0f : 0.5f) + amax * 2e-3f;
      for (int i = 0; i < 32; ++i) ASSERT_LE(std::fabs(y[blk * 32 + i] - x[blk * 32 + i]), bound) << dtype_name(t);
    }
  }
}

// Quantize on load: any byte range the upload asks for (chunks that cut blocks, or the whole) is
// exactly that range of quantize()'s encoding of the source, from f32, f16 and bf16 sources.
TEST(Quant, QuantizeOnLoadFillsAnyRangeExactly) {
  std::mt19937 rng(5);
  std::normal_distribution<float> n(0.0f, 1.0f);
  const int64_t count = 32 * 20000;  // more than one internal step of blocks
  std::vector<float> x(static_cast<size_t>(count));
  for (float& v : x) v = n(rng);
  for (DType src : {DType::F32, DType::F16, DType::BF16}) {
    const HostTensor t = HostTensor::from_f32(TensorDesc(src, {count}), x);
    const std::vector<float> as_stored = t.to_f32();
    auto bytes = std::make_shared<std::vector<uint8_t>>(t.bytes);  // the stored tensor
    for (DType q : {DType::Q8_0, DType::Q4_0, DType::Q4_1}) {
      SCOPED_TRACE(std::string(dtype_name(src)) + " -> " + std::string(dtype_name(q)));
      const std::vector<uint8_t> want = quantize(q, as_stored.data(), count);
      ConstantData c = quantized_constant(ConstantData{bytes->data(), bytes->size(), bytes}, src, count, q);
      ASSERT_EQ(c.bytes, want.size());
      ASSERT_TRUE(c.fill);
      std::vector<uint8_t> got(want.size());
      c.fill(0, got.size(), got.data());
      EXPECT_EQ(got, want);
      std::vector<uint8_t> chunked(want.size());
      for (uint64_t off = 0; off < chunked.size();) {  // odd chunk sizes that cut blocks
        const uint64_t len = std::min<uint64_t>(chunked.size() - off, 1 + rng() % 100000);
        c.fill(off, len, chunked.data() + off);
        off += len;
      }
      EXPECT_EQ(chunked, want);
      // One constant per (source, type): rebuilt graphs share it.
      EXPECT_EQ(quantized_constant(ConstantData{bytes->data(), bytes->size(), bytes}, src, count, q).data, c.data);
    }
  }
  auto one = std::make_shared<std::vector<uint8_t>>(4 * 40);
  EXPECT_THROW(quantized_constant(ConstantData{one->data(), one->size(), one}, DType::F32, 40, DType::Q8_0), InputError);
  EXPECT_THROW(quantized_constant(ConstantData{one->data(), one->size(), one}, DType::F32, 32, DType::Q4_K), InputError);
  EXPECT_THROW(quantized_constant(ConstantData{one->data(), one->size(), one}, DType::Q8_0, 32, DType::Q4_0), InputError);
}

}  // namespace
}  // namespace facet
