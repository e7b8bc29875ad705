// The loop shared by elementwise kernels: calls ELEMENT(i) for every index this invocation owns
// (see facet/common.glsl for the two work layouts). Expects push constants `n` and `chunk`,
// and local_size_x_id = 0 declared before facet/common.glsl is included.
layout(constant_id = 1) const bool CONTIGUOUS = false;

void facet_elementwise_main() {
  uint inv = facet_invocation_index();
  if (CONTIGUOUS) {
    uint begin = inv * pc.chunk;
    uint end = min(begin + pc.chunk, pc.n);
    for (uint i = begin; i < end; ++i) ELEMENT(i);
  } else {
    uint stride = facet_invocation_count();
    for (uint i = inv; i < pc.n; i += stride) ELEMENT(i);
  }
}
