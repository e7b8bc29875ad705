#version 450
#extension GL_GOOGLE_include_directive : require
// Attention with f32 keys and values (see attention_body.glsl).
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
layout(std430, binding = 1) readonly buffer K { float k[]; };
layout(std430, binding = 2) readonly buffer V { float v[]; };
#define LOAD_K(i) k[i]
#define LOAD_V(i) v[i]
#include "attention_body.glsl"
