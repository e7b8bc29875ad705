#include "graph/host_tensor.hpp"

#include <cstring>

#include "graph/quant.hpp"
#include "util/error.hpp"
#include "util/half.hpp"

namespace facet {

// Reads element i of type T from possibly unaligned bytes (safetensors data has no alignment).
template <class T>
static T load(const void* data, int64_t i) {
  T v;
  std::memcpy(&v, static_cast<const uint8_t*>(data) + i * sizeof(T), sizeof(T));
  return v;
}

std::vector<float> convert_to_f32(DType dtype, const void* data, int64_t count) {
  std::vector<float> out(static_cast<size_t>(count));
  switch (dtype) {
    case DType::F32:
      if (count) std::memcpy(out.data(), data, out.size() * 4);
      break;
    case DType::F16:
      for (int64_t i = 0; i < count; ++i) out[i] = f16_to_f32(load<uint16_t>(data, i));
      break;
    case DType::BF16:
      for (int64_t i = 0; i < count; ++i) out[i] = bf16_to_f32(load<uint16_t>(data, i));
      break;
    case DType::I32:
      for (int64_t i = 0; i < count; ++i) out[i] = static_cast<float>(load<int32_t>(data, i));
      break;
    default:
      dequantize(dtype, data, out.data(), count);
  }
  return out;
}

std::vector<uint8_t> convert_from_f32(DType dtype, const float* values, int64_t count) {
  std::vector<uint8_t> out;
  switch (dtype) {
    case DType::F32:
      out.resize(count * 4);
      std::memcpy(out.data(), values, out.size());
      break;
    case DType::F16:
    case DType::BF16: {
      out.resize(count * 2);
      auto* u16 = reinterpret_cast<uint16_t*>(out.data());
      for (int64_t i = 0; i < count; ++i) u16[i] = dtype == DType::F16 ? f32_to_f16(values[i]) : f32_to_bf16(values[i]);
      break;
    }
    case DType::I32: {
      out.resize(count * 4);
      auto* i32 = reinterpret_cast<int32_t*>(out.data());
      for (int64_t i = 0; i < count; ++i) i32[i] = static_cast<int32_t>(values[i]);
      break;
    }
    default:
      throw InputError(std::string("no conversion from f32 to ") + std::string(dtype_name(dtype)) + " yet");
  }
  return out;
}

HostTensor HostTensor::from_i32(const std::vector<int32_t>& values) {
  HostTensor t;
  t.desc = TensorDesc(DType::I32, {static_cast<int64_t>(values.size())});
  t.bytes.resize(values.size() * sizeof(int32_t));
  if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  return t;
}

HostTensor HostTensor::from_f32(const TensorDesc& desc, const std::vector<float>& values) {
  if (static_cast<int64_t>(values.size()) != desc.elements())
    throw InputError("value count " + std::to_string(values.size()) + " does not match " + desc.str());
  return {desc, convert_from_f32(desc.dtype, values.data(), desc.elements())};
}

std::vector<float> HostTensor::to_f32() const { return convert_to_f32(desc.dtype, bytes.data(), desc.elements()); }

}  // namespace facet
