// roi_align(x f32 [H, W, C], boxes f32 [K, 4]) -> f32 [K, height, width, C]: torchvision's
//   ops.roi_align on one channels-last feature grid (boxes as x1, y1, x2, y2 in input
//   coordinates). attrs: height, width (bins per box, required), spatial_scale (1.0: box to grid
//   coordinates), sampling_ratio (-1: ceil(box size / bins) samples per bin side), aligned (0: boxes
//   at least 1 x 1; 1: shifted by half a pixel, detectron2's ROIAlignV2). For grounding heads that
//   pool region features from an encoder's patch grid.
#include <algorithm>
#include <cmath>

#include "ops/op_helpers.hpp"

namespace facet::ops {

namespace {

struct RoiExtra {
  uint32_t h, w, c, ph, pw;
  float scale;
  int32_t sampling;
};

// One bilinear sample of channel ch at (y, x), as torchvision computes it.
double sample(const std::vector<float>& x, int64_t H, int64_t W, int64_t C, double y, double xx, int64_t ch) {
  if (y < -1.0 || y > static_cast<double>(H) || xx < -1.0 || xx > static_cast<double>(W)) return 0.0;
  y = std::max(y, 0.0);
  xx = std::max(xx, 0.0);
  int64_t y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(xx), y1, x1;
  if (y0 >= H - 1) y0 = y1 = H - 1, y = static_cast<double>(y0);
  else y1 = y0 + 1;
  if (x0 >= W - 1) x0 = x1 = W - 1, xx = static_cast<double>(x0);
  else x1 = x0 + 1;
  const double ly = y - y0, lx = xx - x0, hy = 1 - ly, hx = 1 - lx;
  auto at = [&](int64_t r, int64_t c) { return static_cast<double>(x[(r * W + c) * C + ch]); };
  return hy * hx * at(y0, x0) + hy * lx * at(y0, x1) + ly * hx * at(y1, x0) + ly * lx * at(y1, x1);
}

}  // namespace

void register_roi_align(OpRegistry& r) {
  r.add({
      "roi_align",
      [](const std::vector<const Value*>& in, const Attrs& attrs, const std::string& node) {
        expect_inputs(in, 2, 2, node, "roi_align");
        expect_dtype(*in[0], DType::F32, node, "x");
        expect_dtype(*in[1], DType::F32, node, "boxes");
        const TensorDesc &x = in[0]->desc, &b = in[1]->desc;
        if (x.rank != 3 || x.elements() == 0 || b.rank != 2 || b.dims[1] != 4 || b.dims[0] < 1)
          throw InputError(node + ": roi_align needs x [H, W, C] and boxes [K, 4], got " + x.str() + " and " + b.str());
        int64_t size[2];
        for (int i = 0; i < 2; ++i) {
          const char* name = i == 0 ? "height" : "width";
          auto it = attrs.find(name);
          if (it == attrs.end() || !std::holds_alternative<int64_t>(it->second) || std::get<int64_t>(it->second) < 1 ||
              std::get<int64_t>(it->second) > 1024)
            throw InputError(node + ": roi_align needs an integer attribute " + name + " in 1..1024");
          size[i] = std::get<int64_t>(it->second);
        }
        if (auto it = attrs.find("spatial_scale"); it != attrs.end() && !((std::holds_alternative<double>(it->second) && std::get<double>(it->second) > 0) || (std::holds_alternative<int64_t>(it->second) && std::get<int64_t>(it->second) > 0)))
          throw InputError(node + ": roi_align spatial_scale must be a positive number");
        return TensorDesc(DType::F32, {b.dims[0], size[0], size[1], x.dims[2]});
      },
      [](const OpCall& c, const vk::DeviceInfo& dev) {
        const TensorDesc& x = c.inputs[0]->desc;
        const TensorDesc& y = c.output.desc;
        Launch l = elementwise_launch("core/roi_align", y.elements(), dev,
                                      RoiExtra{static_cast<uint32_t>(x.dims[0]), static_cast<uint32_t>(x.dims[1]),
                                               static_cast<uint32_t>(x.dims[2]), static_cast<uint32_t>(y.dims[1]),
                                               static_cast<uint32_t>(y.dims[2]), static_cast<float>(c.attr_float("spatial_scale", 1.0)),
                                               static_cast<int32_t>(c.attr_int("sampling_ratio", -1))});
        l.spec.push_back(c.attr_int("aligned", 0) ? 1u : 0u);
        return l;
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const TensorDesc &x = c.inputs[0]->desc, &y = c.output.desc;
        const int64_t H = x.dims[0], W = x.dims[1], C = x.dims[2], K = y.dims[0], PH = y.dims[1], PW = y.dims[2];
        const float scale = static_cast<float>(c.attr_float("spatial_scale", 1.0));
        const int64_t sampling = c.attr_int("sampling_ratio", -1);
        const bool aligned = c.attr_int("aligned", 0) != 0;
        for (int64_t k = 0; k < K; ++k) {
          const float* b = &in[1][k * 4];
          const float off = aligned ? 0.5f : 0.0f;
          const float sx = b[0] * scale - off, sy = b[1] * scale - off;
          float rw = b[2] * scale - off - sx, rh = b[3] * scale - off - sy;
          if (!aligned) rw = std::max(rw, 1.0f), rh = std::max(rh, 1.0f);
          const float bh = rh / static_cast<float>(PH), bw = rw / static_cast<float>(PW);
          const int64_t gh = sampling > 0 ? sampling : static_cast<int64_t>(std::ceil(rh / static_cast<float>(PH)));
          const int64_t gw = sampling > 0 ? sampling : static_cast<int64_t>(std::ceil(rw / static_cast<float>(PW)));
          for (int64_t py = 0; py < PH; ++py)
            for (int64_t px = 0; px < PW; ++px)
              for (int64_t ch = 0; ch < C; ++ch) {
                double sum = 0;
                for (int64_t iy = 0; iy < gh; ++iy) {
                  const double yy = sy + py * bh + (iy + 0.5) * bh / gh;
                  for (int64_t ix = 0; ix < gw; ++ix) sum += sample(in[0], H, W, C, yy, sx + px * bw + (ix + 0.5) * bw / gw, ch);
                }
                out[((k * PH + py) * PW + px) * C + ch] = static_cast<float>(sum / std::max<int64_t>(gh * gw, 1));
              }
        }
      },
  });
}

}  // namespace facet::ops
