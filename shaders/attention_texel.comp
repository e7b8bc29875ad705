#version 450
#extension GL_GOOGLE_include_directive : require
// Attention for CPU devices, one invocation per (query, head): see attention_texel_body.glsl.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
#include "attention_texel_body.glsl"
