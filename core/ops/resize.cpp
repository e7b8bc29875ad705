// resize_bicubic(x f32 [H, W, C]), attrs height, width, antialias (0) -> f32 [height, width, C].
// PyTorch's interpolate(mode="bicubic", align_corners=False) on a channels-last grid: what
// Hugging Face ViT-family models (DINOv2) use to fit their learned position grid to another
// image size. antialias 0: A = -0.75, source coordinate scale * (dst + 0.5) - 0.5, taps clamped at
// borders. antialias 1 (PyTorch antialias=True, used by DINOv2 with registers): A = -0.5, the
// filter widened by the scale when shrinking, out-of-range taps dropped and weights renormalized.
#include <cmath>

#include "ops/op_helpers.hpp"
#include "util/resample.hpp"

namespace facet::ops {

namespace {

struct ResizeExtra {
  uint32_t in_h, in_w, out_h, out_w, channels;
  float scale_h, scale_w;
};

constexpr float kA = -0.75f;

void cubic_weights(float t, float w[4]) {
  float t1 = t + 1.0f, t2 = 1.0f - t, t3 = 2.0f - t;
  w[0] = ((kA * t1 - 5.0f * kA) * t1 + 8.0f * kA) * t1 - 4.0f * kA;
  w[1] = ((kA + 2.0f) * t - (kA + 3.0f)) * t * t + 1.0f;
  w[2] = ((kA + 2.0f) * t2 - (kA + 3.0f)) * t2 * t2 + 1.0f;
  w[3] = ((kA * t3 - 5.0f * kA) * t3 + 8.0f * kA) * t3 - 4.0f * kA;
}

ResizeExtra extra_of(const OpCall& c) {
  const TensorDesc &x = c.inputs[0]->desc, &y = c.output.desc;
  return {static_cast<uint32_t>(x.dims[0]), static_cast<uint32_t>(x.dims[1]), static_cast<uint32_t>(y.dims[0]),
          static_cast<uint32_t>(y.dims[1]), static_cast<uint32_t>(x.dims[2]),
          static_cast<float>(x.dims[0]) / static_cast<float>(y.dims[0]),
          static_cast<float>(x.dims[1]) / static_cast<float>(y.dims[1])};
}

}  // namespace

void register_resize(OpRegistry& r) {
  r.add({
      "resize_bicubic",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 1, 1, node, "resize_bicubic");
        expect_dtype(*in[0], DType::F32, node, "x");
        const TensorDesc& x = in[0]->desc;
        if (x.rank != 3) throw InputError(node + ": resize_bicubic needs a grid [H, W, C], got " + x.str());
        int64_t h = 0, w = 0;
        for (auto [name, out] : {std::pair{"height", &h}, std::pair{"width", &w}}) {
          auto it = attrs.find(name);
          const int64_t* v = it == attrs.end() ? nullptr : std::get_if<int64_t>(&it->second);
          if (!v || *v < 1 || *v > 65536)
            throw InputError(node + ": resize_bicubic needs an integer attribute '" + name + "' in 1..65536");
          *out = *v;
        }
        if (auto it = attrs.find("antialias"); it != attrs.end()) {
          const int64_t* aa = std::get_if<int64_t>(&it->second);
          if (!aa || (*aa != 0 && *aa != 1)) throw InputError(node + ": resize_bicubic attribute antialias must be 0 or 1");
        }
        return TensorDesc(DType::F32, {h, w, x.dims[2]});
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        Launch l = elementwise_launch("core/resize_bicubic", c.output.desc.elements(), dev, extra_of(c));
        l.spec.push_back(c.attr_int("antialias", 0) ? 1u : 0u);
        return l;
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const ResizeExtra e = extra_of(c);
        if (c.attr_int("antialias", 0)) {
          auto filter = [](double v) { return cubic_kernel(v, -0.5); };
          auto ty = resample_taps(e.in_h, e.out_h, 2.0, filter), tx = resample_taps(e.in_w, e.out_w, 2.0, filter);
          for (uint32_t oy = 0; oy < e.out_h; ++oy)
            for (uint32_t ox = 0; ox < e.out_w; ++ox)
              for (uint32_t ch = 0; ch < e.channels; ++ch) {
                double acc = 0.0;
                for (size_t j = 0; j < ty[oy].w.size(); ++j) {
                  double row = 0.0;
                  for (size_t i = 0; i < tx[ox].w.size(); ++i)
                    row += tx[ox].w[i] * in[0][((ty[oy].start + j) * e.in_w + tx[ox].start + i) * e.channels + ch];
                  acc += ty[oy].w[j] * row;
                }
                out[(static_cast<size_t>(oy) * e.out_w + ox) * e.channels + ch] = static_cast<float>(acc);
              }
          return;
        }
        const std::vector<float>& x = in[0];
        auto clamp_to = [](int64_t v, uint32_t size) { return std::clamp<int64_t>(v, 0, int64_t{size} - 1); };
        for (uint32_t oy = 0; oy < e.out_h; ++oy) {
          float ry = e.scale_h * (static_cast<float>(oy) + 0.5f) - 0.5f, fy = std::floor(ry);
          float wy[4];
          cubic_weights(ry - fy, wy);
          for (uint32_t ox = 0; ox < e.out_w; ++ox) {
            float rx = e.scale_w * (static_cast<float>(ox) + 0.5f) - 0.5f, fx = std::floor(rx);
            float wx[4];
            cubic_weights(rx - fx, wx);
            for (uint32_t ch = 0; ch < e.channels; ++ch) {
              float acc = 0.0f;
              for (int j = 0; j < 4; ++j) {
                int64_t yy = clamp_to(static_cast<int64_t>(fy) - 1 + j, e.in_h);
                float row = 0.0f;
                for (int i = 0; i < 4; ++i) {
                  int64_t xx = clamp_to(static_cast<int64_t>(fx) - 1 + i, e.in_w);
                  row += wx[i] * x[(yy * e.in_w + xx) * e.channels + ch];
                }
                acc += wy[j] * row;
              }
              out[(static_cast<size_t>(oy) * e.out_w + ox) * e.channels + ch] = acc;
            }
          }
        }
      },
  });
}

}  // namespace facet::ops
