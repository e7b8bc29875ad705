#version 450
#extension GL_GOOGLE_include_directive : require
// Attention with f16 keys and values (a f16 KV cache; packed pairs, see attention_body.glsl).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(std430, binding = 1) readonly buffer K { uint k[]; };
layout(std430, binding = 2) readonly buffer V { uint v[]; };
#define LOAD_K(i) facet_load_f16(k[(i) >> 1], (i))
#define LOAD_V(i) facet_load_f16(v[(i) >> 1], (i))
#include "attention_body.glsl"
