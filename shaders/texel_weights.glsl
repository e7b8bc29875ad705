// Weight unpacking for the texel-buffer matmul kernels (matmul_texel_body.glsl,
// matvec_texel_body.glsl). Define one WEIGHTS_<type> before including; this declares sampler b
// (binding 9, slot 1), STEP (weights per step along K) and
//   LOAD_W(unit, out_)  writing the STEP weights of step `unit` of the flat weight stream (a row of
//                       w is K / STEP consecutive units) into vec4 out_[STEP / 4].
// Block types have their own kernels: texel_runs.glsl, matmul_texel_q4_k/q6_k.comp.

#if defined(WEIGHTS_F32)
layout(binding = 9) uniform samplerBuffer b;
#define STEP 4u
#define LOAD_W(unit, out_) out_[0] = texelFetch(b, unit)

#elif defined(WEIGHTS_F16) || defined(WEIGHTS_BF16)
layout(binding = 9) uniform usamplerBuffer b;  // eight packed 16-bit weights per texel
#define STEP 8u
#if defined(WEIGHTS_F16)
vec2 unpack_pair(uint p) { return unpackHalf2x16(p); }
#else
vec2 unpack_pair(uint p) { return vec2(uintBitsToFloat(p << 16), uintBitsToFloat(p & 0xFFFF0000u)); }
#endif
#define LOAD_W(unit, out_)                                         \
  {                                                                \
    uvec4 t_ = texelFetch(b, unit);                                \
    out_[0] = vec4(unpack_pair(t_.x), unpack_pair(t_.y));          \
    out_[1] = vec4(unpack_pair(t_.z), unpack_pair(t_.w));          \
  }

#else
#error "define WEIGHTS_F32, WEIGHTS_F16 or WEIGHTS_BF16 before including texel_weights.glsl"
#endif
