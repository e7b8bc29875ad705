#version 450
#extension GL_GOOGLE_include_directive : require
// Embedding lookup: y[t, d] = table[ids[t], d] for a f16 table [V, D]; ids outside [0, V) are
// clamped (callers validate them). Output f32.
layout(local_size_x_id = 0) in;
#include "facet/common.glsl"

layout(push_constant) uniform Push { uint n; uint chunk; uint dim; uint rows; uint base; uint total; } pc;
layout(std430, binding = 0) readonly buffer Table { uint table[]; };

#define LOAD_TABLE(index) facet_load_f16(table[(index) >> 1], (index))
#include "get_rows_body.glsl"
