// Workgroup-wide sum and max for row kernels (one workgroup per row). Portable: shared memory
// only, no assumption on subgroup size. The workgroup size must be a power of two.
shared float facet_red[gl_WorkGroupSize.x];

float facet_workgroup_sum(float v) {
  facet_red[gl_LocalInvocationID.x] = v;
  barrier();
  for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1u) {
    if (gl_LocalInvocationID.x < s) facet_red[gl_LocalInvocationID.x] += facet_red[gl_LocalInvocationID.x + s];
    barrier();
  }
  float total = facet_red[0];
  barrier();
  return total;
}

float facet_workgroup_max(float v) {
  facet_red[gl_LocalInvocationID.x] = v;
  barrier();
  for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1u) {
    if (gl_LocalInvocationID.x < s)
      facet_red[gl_LocalInvocationID.x] = max(facet_red[gl_LocalInvocationID.x], facet_red[gl_LocalInvocationID.x + s]);
    barrier();
  }
  float m = facet_red[0];
  barrier();
  return m;
}

// The [begin, end) range of a row this invocation owns, with the given stride: contiguous runs
// on CPU devices, interleaved (stride = workgroup size) on GPUs.
void facet_row_range(uint cols, bool contiguous, out uint begin, out uint end, out uint stride) {
  if (contiguous) {
    uint chunk = (cols + gl_WorkGroupSize.x - 1u) / gl_WorkGroupSize.x;
    begin = min(gl_LocalInvocationID.x * chunk, cols);
    end = min(begin + chunk, cols);
    stride = 1u;
  } else {
    begin = gl_LocalInvocationID.x;
    end = cols;
    stride = gl_WorkGroupSize.x;
  }
}
