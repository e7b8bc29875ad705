#include "vk/device_info.hpp"

#include <cstdio>
#include <cstring>

namespace facet::vk {

const char* vendor_name(Vendor v) {
  switch (v) {
    case Vendor::Nvidia: return "nvidia";
    case Vendor::Amd: return "amd";
    case Vendor::Intel: return "intel";
    case Vendor::Apple: return "apple";
    case Vendor::Arm: return "arm";
    case Vendor::Qualcomm: return "qualcomm";
    case Vendor::Mesa: return "mesa";
    default: return "other";
  }
}

static Vendor vendor_from_id(uint32_t id) {
  switch (id) {
    case 0x10DE: return Vendor::Nvidia;
    case 0x1002: return Vendor::Amd;
    case 0x8086: return Vendor::Intel;
    case 0x106B: return Vendor::Apple;
    case 0x13B5: return Vendor::Arm;
    case 0x5143: return Vendor::Qualcomm;
    case 0x10005: return Vendor::Mesa;  // VK_VENDOR_ID_MESA (lavapipe)
    default: return Vendor::Other;
  }
}

std::vector<std::string> Quirks::names() const {
  std::vector<std::string> n;
  if (contiguous_work_layout) n.emplace_back("contiguous_work_layout");
  if (high_dispatch_overhead) n.emplace_back("high_dispatch_overhead");
  return n;
}

std::string DeviceInfo::type_name() const {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
  }
}

std::string DeviceInfo::uuid_hex() const {
  std::string s;
  char buf[3];
  for (uint8_t b : pipeline_cache_uuid) {
    std::snprintf(buf, sizeof(buf), "%02x", b);
    s += buf;
  }
  return s;
}

static bool has_extension(const std::vector<VkExtensionProperties>& exts, const char* name) {
  for (const auto& e : exts)
    if (std::strcmp(e.extensionName, name) == 0) return true;
  return false;
}

DeviceInfo query_device_info(VkPhysicalDevice pd, uint32_t index) {
  DeviceInfo info;
  info.index = index;

  uint32_t n_ext = 0;
  vkEnumerateDeviceExtensionProperties(pd, nullptr, &n_ext, nullptr);
  std::vector<VkExtensionProperties> exts(n_ext);
  vkEnumerateDeviceExtensionProperties(pd, nullptr, &n_ext, exts.data());

  VkPhysicalDeviceSubgroupProperties subgroup{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceSubgroupSizeControlProperties size_control{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES};
  VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  VkPhysicalDeviceProperties2 props2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props2.pNext = &subgroup;
  subgroup.pNext = &driver;
  bool has_size_control = has_extension(exts, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
  if (has_size_control) driver.pNext = &size_control;
  vkGetPhysicalDeviceProperties2(pd, &props2);
  const VkPhysicalDeviceProperties& p = props2.properties;

  info.name = p.deviceName;
  info.vendor_id = p.vendorID;
  info.device_id = p.deviceID;
  info.vendor = vendor_from_id(p.vendorID);
  if (info.vendor == Vendor::Other && std::strstr(p.deviceName, "llvmpipe")) info.vendor = Vendor::Mesa;
  info.type = p.deviceType;
  info.api_version = p.apiVersion;
  info.driver_version = p.driverVersion;
  info.driver_name = driver.driverName;
  info.driver_info = driver.driverInfo;
  std::memcpy(info.pipeline_cache_uuid.data(), p.pipelineCacheUUID, VK_UUID_SIZE);

  const VkPhysicalDeviceLimits& l = p.limits;
  info.max_storage_buffer_range = l.maxStorageBufferRange;
  info.min_storage_buffer_offset_alignment = l.minStorageBufferOffsetAlignment;
  info.min_texel_buffer_offset_alignment = l.minTexelBufferOffsetAlignment;
  info.max_texel_buffer_elements = l.maxTexelBufferElements;
  info.max_push_constants_size = l.maxPushConstantsSize;
  info.max_compute_shared_memory = l.maxComputeSharedMemorySize;
  info.max_workgroup_invocations = l.maxComputeWorkGroupInvocations;
  for (int i = 0; i < 3; ++i) {
    info.max_workgroup_size[i] = l.maxComputeWorkGroupSize[i];
    info.max_workgroup_count[i] = l.maxComputeWorkGroupCount[i];
  }
  info.timestamp_period_ns = l.timestampPeriod;
  info.timestamps = l.timestampComputeAndGraphics == VK_TRUE;

  info.subgroup_size = subgroup.subgroupSize;
  info.min_subgroup_size = info.max_subgroup_size = subgroup.subgroupSize;
  bool compute_stage = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) != 0;
  info.subgroup_arithmetic = compute_stage && (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
  info.subgroup_shuffle = compute_stage && (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT);

  VkPhysicalDeviceSubgroupSizeControlFeatures size_control_features{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES};
  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  VkPhysicalDeviceVulkan11Features f11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  VkPhysicalDeviceFeatures2 f2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  f2.pNext = &f11;
  f11.pNext = &f12;
  if (has_size_control) f12.pNext = &size_control_features;
  vkGetPhysicalDeviceFeatures2(pd, &f2);
  info.fp16_arithmetic = f12.shaderFloat16;
  info.int8_arithmetic = f12.shaderInt8;
  info.int16 = f2.features.shaderInt16;
  info.int64 = f2.features.shaderInt64;
  info.storage_16bit = f11.storageBuffer16BitAccess;
  info.storage_8bit = f12.storageBuffer8BitAccess;
  if (has_size_control && size_control_features.subgroupSizeControl) {
    info.subgroup_size_control = true;
    info.min_subgroup_size = size_control.minSubgroupSize;
    info.max_subgroup_size = size_control.maxSubgroupSize;
  }
  info.cooperative_matrix = has_extension(exts, "VK_KHR_cooperative_matrix");
  info.push_descriptors = has_extension(exts, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);

  VkPhysicalDeviceMemoryProperties mem{};
  vkGetPhysicalDeviceMemoryProperties(pd, &mem);
  info.heaps.resize(mem.memoryHeapCount);
  for (uint32_t h = 0; h < mem.memoryHeapCount; ++h) {
    info.heaps[h].size = mem.memoryHeaps[h].size;
    info.heaps[h].device_local = mem.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT;
  }
  for (uint32_t t = 0; t < mem.memoryTypeCount; ++t) {
    VkMemoryPropertyFlags f = mem.memoryTypes[t].propertyFlags;
    if (f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) info.heaps[mem.memoryTypes[t].heapIndex].host_visible = true;
    if ((f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) && (f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) &&
        (f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) &&
        (info.type == VK_PHYSICAL_DEVICE_TYPE_CPU || info.type == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU))
      info.unified_memory = true;
  }
  info.quirks = derive_quirks(info);
  return info;
}

Quirks derive_quirks(const DeviceInfo& info) {
  Quirks q;
  // CPU implementations run each invocation as a SIMD lane of a CPU thread: a contiguous block
  // per invocation streams through the cache; neighbouring-element layouts thrash it.
  q.contiguous_work_layout = info.type == VK_PHYSICAL_DEVICE_TYPE_CPU;
  q.high_dispatch_overhead = info.type == VK_PHYSICAL_DEVICE_TYPE_CPU;
  return q;
}

}  // namespace facet::vk
