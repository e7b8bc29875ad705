// VkResult -> typed errors. Out-of-device-memory and device-lost become GpuError (exit code 5).
#pragma once

#include <vulkan/vulkan.h>

#include <string>

namespace facet::vk {

const char* result_name(VkResult r);
// Throws a GpuError (OOM, device lost, other) naming `what` when r is not VK_SUCCESS.
void check(VkResult r, const std::string& what);

}  // namespace facet::vk
