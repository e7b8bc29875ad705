// Body of the texel-buffer matrix-vector kernels for 32-element block types on CPU devices
// (matvec_texel_q8_0/q4_0/q4_1.comp), for few rows of x (decode). Each subgroup takes a contiguous
// run of output sets (NB outputs of one row of x), so every thread of a CPU driver streams its part
// of w in order. The lanes split K by whole blocks (lane l takes blocks l, l + S, l + 2S, ...), so
// adjacent lanes fetch adjacent texels; a block's byte offset inside its first texel differs from
// lane to lane, and align_window shifts it into place. When K is at most XITERS * S blocks, each
// lane fetches its blocks of x once and keeps them for all its sets (on CPU drivers registers and
// stack are far cheaper than texel fetches). Expects sampler a (vec4 texels of x) and what
// texel_blocks.glsl declares; K % 256 == 0.
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_basic : require
#include "matmul_texel_common.glsl"

const uint STEP_TEXELS = BLOCK_BYTES / 2u;  // 8 blocks fill a whole number of 16-byte texels
// Blocks of x each lane keeps, ceil(K / 32 / S) (0: K too long, fetch x for every set).
layout(constant_id = 4) const uint XITERS = 0;

int rows[NB];  // first texel of each weight row of the set

// acc[j] += block blk of weight row j . x (the 32 values of x of that block).
void add_block(uint blk, vec4 x[8]) {
  float xsum = 0.0;
  if (NEEDS_XSUM) [[unroll]] for (uint t = 0u; t < 8u; ++t) xsum += dot(x[t], vec4(1.0));
  uint byte = BLOCK_BYTES * (blk & 7u);  // offset in its step of 8 blocks
  int first = int((blk >> 3) * STEP_TEXELS + (byte >> 4));
  [[unroll]] for (uint j = 0u; j < NB; ++j) {
    [[unroll]] for (uint t = 0u; t < 12u; ++t) window[t] = 0u;
    [[unroll]] for (uint t = 0u; t < WINDOW_TEXELS; ++t) {
      uvec4 v = texelFetch(b, rows[j] + first + int(t));
      window[4u * t] = v.x;
      window[4u * t + 1u] = v.y;
      window[4u * t + 2u] = v.z;
      window[4u * t + 3u] = v.w;
    }
    align_window(byte & 15u);
    vec4 q[8];
    float d, mn;
    unpack_block(0u, q, d, mn);
    float dotq = 0.0;
    [[unroll]] for (uint t = 0u; t < 8u; ++t) dotq += dot(x[t], q[t]);
    acc[j] += d * dotq;
    if (NEEDS_XSUM) acc[j] += mn * xsum;
  }
}

void load_x(int arow, uint blk, out vec4 x[8]) {
  [[unroll]] for (uint t = 0u; t < 8u; ++t) x[t] = texelFetch(a, arow + int(blk * 8u + t));
}

void main() {
  uint nsets = (pc.N + NB - 1u) / NB, tasks = pc.M * nsets;
  uint subgroups = gl_NumWorkGroups.x * gl_NumWorkGroups.y * (gl_WorkGroupSize.x / gl_SubgroupSize);
  uint per = (tasks + subgroups - 1u) / subgroups;
  uint first = (facet_group_index() * (gl_WorkGroupSize.x / gl_SubgroupSize) + gl_SubgroupID) * per;
  uint last = min(first + per, tasks);
  uint lane = gl_SubgroupInvocationID, blocks = pc.K / 32u;
  const bool cached = XITERS > 0u && XITERS * gl_SubgroupSize >= blocks;
  vec4 xc[XITERS > 0u ? XITERS : 1u][8];
  uint cached_m = ~0u;
  for (uint task = first; task < last; ++task) {
    uint m = task / nsets, n0 = (task % nsets) * NB;
    int arow = int((m * pc.K) / 4u);
    [[unroll]] for (uint j = 0u; j < NB; ++j) rows[j] = int((min(n0 + j, pc.N - 1u) * pc.K) / 256u * STEP_TEXELS);
    [[unroll]] for (uint j = 0u; j < NB; ++j) acc[j] = 0.0;
    if (cached) {
      if (m != cached_m) {  // uniform: the run of sets reached a new row of x
        [[unroll]] for (uint i = 0u; i < XITERS; ++i) {
          uint blk = lane + i * gl_SubgroupSize;
          if (blk < blocks) load_x(arow, blk, xc[i]);
        }
        cached_m = m;
      }
      [[unroll]] for (uint i = 0u; i < XITERS; ++i) {
        uint blk = lane + i * gl_SubgroupSize;
        if (blk < blocks) add_block(blk, xc[i]);
      }
    } else {
      for (uint blk = lane; blk < blocks; blk += gl_SubgroupSize) {
        vec4 x[8];
        load_x(arow, blk, x);
        add_block(blk, x);
      }
    }
    [[unroll]] for (uint j = 0u; j < NB; ++j) {
      float s = subgroupAdd(acc[j]);
      uint n = n0 + j;
      if (subgroupElect() && n < pc.N) c[m * pc.N + n] = HAS_BIAS ? s + bias[n] : s;
    }
  }
}
