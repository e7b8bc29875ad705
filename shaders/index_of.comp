#version 450
// index_of(x i32 [N]) -> i32 [1]. MODE 0: the first i with x[i] == value, 0 when there is none
// (torch's (x == value).int().argmax()); MODE 1: the first index of the maximum (torch.argmax).
// Sequences are short (token ids of one prompt): one invocation scans them.
layout(local_size_x = 1) in;
layout(constant_id = 0) const uint MODE = 0;

layout(push_constant) uniform Push { uint n; int value; } pc;
layout(std430, binding = 0) readonly buffer X { int x[]; };
layout(std430, binding = 1) writeonly buffer Y { int y[]; };

void main() {
  uint best = 0u;
  for (uint i = 0u; i < pc.n; ++i) {
    if (MODE == 0u && x[i] == pc.value) { best = i; break; }
    if (MODE == 1u && x[i] > x[best]) best = i;
  }
  y[0] = int(best);
}
