#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_basic : require
// Attention for CPU devices with few queries (decode), one subgroup per (query, head) splitting the
// keys: see attention_texel_body.glsl.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"
#define SPLIT_KEYS
#include "attention_texel_body.glsl"
