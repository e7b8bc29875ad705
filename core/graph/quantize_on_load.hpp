// Quantize on load: a weight constant whose bytes are the GGUF block encoding (Q8_0, Q4_0, Q4_1)
// of a float tensor (f32, f16, bf16), produced piece by piece while the executor uploads it, so
// neither a quantized nor a dequantized copy of the whole tensor is ever held in host memory.
// The blocks are quant.hpp's reference quantizers, the same bytes a GGUF file quantized offline by
// the project's writer holds.
#pragma once

#include "graph/graph.hpp"

namespace facet {

// `source`: the float tensor's bytes (of `dtype`, `elements` values, a multiple of the target's
// block size). One constant per (source bytes, target): rebuilt graphs share it, and so their
// uploads and recorded plans. InputError for a source or target type this cannot convert.
ConstantData quantized_constant(const ConstantData& source, DType dtype, int64_t elements, DType target);

}  // namespace facet
