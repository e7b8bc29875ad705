#include "graph/quantize_on_load.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

#include "graph/host_tensor.hpp"
#include "graph/quant.hpp"
#include "util/error.hpp"
#include "util/parallel.hpp"

namespace facet {

namespace {

// Identity and lifetime of one quantized view: keeps the source bytes alive.
struct Quantized {
  std::shared_ptr<const void> source;
};

}  // namespace

ConstantData quantized_constant(const ConstantData& source, DType dtype, int64_t elements, DType target) {
  if (dtype != DType::F32 && dtype != DType::F16 && dtype != DType::BF16)
    throw InputError("quantize on load reads f32, f16 or bf16 tensors, not " + std::string(dtype_name(dtype)));
  if (target != DType::Q8_0 && target != DType::Q4_0 && target != DType::Q4_1)
    throw InputError("quantize on load writes q8_0, q4_0 or q4_1, not " + std::string(dtype_name(target)));
  const DTypeInfo& q = dtype_info(target);
  if (elements % q.block_elems != 0)
    throw InputError(std::to_string(elements) + " values are not whole " + std::string(dtype_name(target)) + " blocks");
  static std::mutex mutex;
  static std::map<std::pair<const void*, DType>, std::weak_ptr<const Quantized>> cache;
  std::shared_ptr<const Quantized> id;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto& slot = cache[{source.data, target}];
    id = slot.lock();
    if (!id) slot = id = std::make_shared<const Quantized>(Quantized{source.keepalive});
  }
  const uint8_t* src = static_cast<const uint8_t*>(source.data);
  const uint64_t src_elem = dtype_info(dtype).block_bytes, block_elems = q.block_elems, block_bytes = q.block_bytes;
  ConstantData out;
  out.data = id.get();
  out.bytes = static_cast<uint64_t>(elements) / block_elems * block_bytes;
  out.keepalive = id;
  // Bytes [offset, offset + n) of the encoding: the blocks covering them, a bounded run at a time.
  out.fill = [src, dtype, target, src_elem, block_elems, block_bytes](uint64_t offset, uint64_t n, void* dst) {
    constexpr uint64_t kBlocksPerStep = 8192;
    const uint64_t first = offset / block_bytes, last = (offset + n + block_bytes - 1) / block_bytes;
    const uint64_t steps = (last - first + kBlocksPerStep - 1) / kBlocksPerStep;
    parallel_for(steps, [&](size_t step) {  // steps write disjoint ranges of dst
      const uint64_t b = first + step * kBlocksPerStep;
      const uint64_t nb = std::min(kBlocksPerStep, last - b), count = nb * block_elems;
      const std::vector<float> values = convert_to_f32(dtype, src + b * block_elems * src_elem, static_cast<int64_t>(count));
      const std::vector<uint8_t> enc = quantize(target, values.data(), static_cast<int64_t>(count));
      const uint64_t lo = std::max(offset, b * block_bytes), hi = std::min(offset + n, (b + nb) * block_bytes);
      std::memcpy(static_cast<uint8_t*>(dst) + (lo - offset), enc.data() + (lo - b * block_bytes), hi - lo);
    });
  };
  return out;
}

}  // namespace facet
