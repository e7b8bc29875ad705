// The contract shared by the conv2d kernels (core/ops/conv2d.cpp): push constants, bias (binding
// 2), output y f32 [O, OH, OW] (binding 3). x f32 [C, H, W], weight [O, C, KH, KW].
layout(push_constant) uniform Push {
  uint c; uint h; uint w; uint o; uint oh; uint ow; uint sh; uint sw; uint ph; uint pw; uint kh; uint kw;
} pc;
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };
