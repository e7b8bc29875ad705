// The geometry of a 2D convolution window over a channels-first image x [C, H, W]: kernel kh x kw,
// stride sh, sw (attributes, default 1), zero padding ph, pw (default 0), output OH x OW.
// Shared by im2col (kernel size from attributes) and conv2d (from the weight).
#pragma once

#include <string>

#include "graph/op_registry.hpp"
#include "util/error.hpp"

namespace facet::ops {

struct ConvGeometry {
  int64_t c, h, w, kh, kw, sh, sw, ph, pw, oh, ow;
};

// An integer attribute in [0, 65536]; `fallback` < 0 makes it required.
inline int64_t conv_attr(const Attrs& attrs, const char* k, int64_t fallback, const std::string& node, const char* op) {
  auto it = attrs.find(k);
  if (it == attrs.end()) {
    if (fallback < 0) throw InputError(node + ": " + op + " needs integer attribute '" + k + "'");
    return fallback;
  }
  const int64_t* v = std::get_if<int64_t>(&it->second);
  if (!v || *v < 0 || *v > 65536)
    throw InputError(node + ": " + op + " attribute '" + k + "' must be an integer in [0, 65536]");
  return *v;
}

// x must be [C, H, W]; errors name the node and op.
inline ConvGeometry conv_geometry(const TensorDesc& x, int64_t kh, int64_t kw, const Attrs& attrs, const std::string& node,
                                  const char* op) {
  if (x.rank != 3) throw InputError(node + ": " + op + " needs an image [C, H, W], got " + x.str());
  ConvGeometry c{x.dims[0], x.dims[1], x.dims[2], kh, kw, conv_attr(attrs, "sh", 1, node, op), conv_attr(attrs, "sw", 1, node, op),
                 conv_attr(attrs, "ph", 0, node, op), conv_attr(attrs, "pw", 0, node, op), 0, 0};
  if (c.kh == 0 || c.kw == 0 || c.sh == 0 || c.sw == 0) throw InputError(node + ": " + op + " kernel and stride must be positive");
  if (c.h + 2 * c.ph < c.kh || c.w + 2 * c.pw < c.kw)
    throw InputError(node + ": " + op + " kernel " + std::to_string(c.kh) + "x" + std::to_string(c.kw) +
                     " is larger than the padded image " + x.str());
  c.oh = (c.h + 2 * c.ph - c.kh) / c.sh + 1;
  c.ow = (c.w + 2 * c.pw - c.kw) / c.sw + 1;
  return c;
}

// Input row and column of output (oy, ox) at tap (ky, kx); outside [0, h) x [0, w) reads 0.
inline int64_t conv_in_y(const ConvGeometry& c, int64_t oy, int64_t ky) { return oy * c.sh - c.ph + ky; }
inline int64_t conv_in_x(const ConvGeometry& c, int64_t ox, int64_t kx) { return ox * c.sw - c.pw + kx; }

}  // namespace facet::ops
