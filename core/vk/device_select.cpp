#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "util/error.hpp"
#include "vk/context.hpp"

namespace facet::vk {

static std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

static int type_rank(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
  }
}

uint32_t select_device(const std::vector<DeviceInfo>& devices, const std::string& selector) {
  if (devices.empty())
    throw GpuError(GpuError::Kind::NoDevice,
                   "no Vulkan device found (is a Vulkan driver installed? on a CPU-only machine install "
                   "mesa-vulkan-drivers for lavapipe)");
  std::string sel = lower(selector);
  if (sel.empty()) {
    auto best = std::min_element(devices.begin(), devices.end(), [](const DeviceInfo& a, const DeviceInfo& b) {
      return type_rank(a.type) < type_rank(b.type);
    });
    return best->index;
  }
  if (std::all_of(sel.begin(), sel.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (sel.size() < 6) {
      uint32_t idx = static_cast<uint32_t>(std::stoul(sel));
      if (idx < devices.size()) return idx;
    }
  } else {
    for (const DeviceInfo& d : devices)
      if (sel == vendor_name(d.vendor) || sel == d.type_name()) return d.index;
    for (const DeviceInfo& d : devices)
      if (lower(d.name).find(sel) != std::string::npos) return d.index;
  }
  std::string list;
  for (const DeviceInfo& d : devices) list += "\n  " + std::to_string(d.index) + ": " + d.name + " (" + d.type_name() + ")";
  throw InputError("no Vulkan device matches selector '" + selector + "'; devices:" + list);
}

std::string resolve_device_selector(const std::string& flag, const std::string& toml) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("FACET_DEVICE"); env && *env) return env;
  return toml;
}

}  // namespace facet::vk
