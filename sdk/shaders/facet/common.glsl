// Shared helpers for Facet compute shaders (core and plugins).
//
// Work layout. Every elementwise-style kernel takes local_size_x from constant_id 0 and a
// "contiguous" flag from constant_id 1. With contiguous = true (CPU drivers such as lavapipe)
// each invocation handles one contiguous run of `chunk` elements; otherwise (GPUs) neighbouring
// invocations handle neighbouring elements and the grid strides over the tensor. Workgroups are
// numbered over a 2D grid so that more than 65535 groups can be launched.
//
// Declare the workgroup size (layout(local_size_x_id = 0) in;) BEFORE including this file:
// glslang folds gl_WorkGroupSize to 1 in functions compiled before the declaration.
#ifndef FACET_COMMON_GLSL
#define FACET_COMMON_GLSL

#extension GL_EXT_control_flow_attributes : enable

uint facet_group_index() {
  return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}

uint facet_invocation_index() {
  return facet_group_index() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
}

uint facet_invocation_count() {
  return gl_NumWorkGroups.x * gl_NumWorkGroups.y * gl_WorkGroupSize.x;
}

// f16 stored as packed pairs in a uint array (works without 16-bit storage).
float facet_load_f16(uint word, uint index) {
  vec2 pair = unpackHalf2x16(word);
  return (index & 1u) == 0u ? pair.x : pair.y;
}

float facet_bf16_to_f32(uint bits16) { return uintBitsToFloat(bits16 << 16); }

// bf16 stored as packed pairs in a uint array.
float facet_load_bf16(uint word, uint index) {
  return uintBitsToFloat((index & 1u) == 0u ? word << 16 : word & 0xFFFF0000u);
}

#endif
