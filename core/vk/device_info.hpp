// What a Vulkan device can do, read once at start-up. Kernel selection reads only this (and the
// named quirks), never vendor ids directly.
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace facet::vk {

enum class Vendor { Nvidia, Amd, Intel, Apple, Arm, Qualcomm, Mesa, Other };
const char* vendor_name(Vendor v);

struct MemoryHeapInfo {
  uint64_t size = 0;
  bool device_local = false;
  bool host_visible = false;  // some memory type on this heap is host-visible
};

// Named behaviour differences. Set from DeviceInfo facts in derive_quirks(); ops read these.
struct Quirks {
  // Each invocation should stream its own contiguous block (CPU drivers such as lavapipe),
  // instead of the coalesced layout GPUs want.
  bool contiguous_work_layout = false;
  // Dispatches are expensive (tens of µs): prefer fused kernels and fewer, larger dispatches.
  bool high_dispatch_overhead = false;
  std::vector<std::string> names() const;
};

struct DeviceInfo {
  uint32_t index = 0;
  std::string name;
  Vendor vendor = Vendor::Other;
  uint32_t vendor_id = 0, device_id = 0;
  VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
  uint32_t api_version = 0, driver_version = 0;
  std::string driver_name, driver_info;
  std::array<uint8_t, VK_UUID_SIZE> pipeline_cache_uuid{};

  // Limits.
  uint64_t max_storage_buffer_range = 0;
  uint64_t min_storage_buffer_offset_alignment = 0;
  uint64_t min_texel_buffer_offset_alignment = 0;
  uint64_t max_texel_buffer_elements = 0;
  uint32_t max_push_constants_size = 0;
  uint32_t max_compute_shared_memory = 0;
  uint32_t max_workgroup_invocations = 0;
  std::array<uint32_t, 3> max_workgroup_size{}, max_workgroup_count{};
  float timestamp_period_ns = 0;
  bool timestamps = false;

  // Subgroups.
  uint32_t subgroup_size = 0, min_subgroup_size = 0, max_subgroup_size = 0;
  bool subgroup_arithmetic = false, subgroup_shuffle = false, subgroup_size_control = false;

  // Arithmetic and storage.
  bool fp16_arithmetic = false, int8_arithmetic = false, int16 = false, int64 = false;
  bool storage_16bit = false, storage_8bit = false;
  bool cooperative_matrix = false, push_descriptors = false;

  std::vector<MemoryHeapInfo> heaps;
  bool unified_memory = false;  // a device-local memory type is also host-visible (zero-copy)
  Quirks quirks;

  std::string type_name() const;
  std::string uuid_hex() const;
};

DeviceInfo query_device_info(VkPhysicalDevice pd, uint32_t index);
Quirks derive_quirks(const DeviceInfo& info);

}  // namespace facet::vk
