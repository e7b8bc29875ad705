#include "vk/context.hpp"

#include <spdlog/spdlog.h>

#include <cstring>

#include "util/error.hpp"
#include "vk/allocator.hpp"
#include "vk/kernel_cache.hpp"
#include "vk/vk_check.hpp"

namespace facet::vk {

namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                     VkDebugUtilsMessageTypeFlagsEXT,
                                                     const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
  auto* log = static_cast<ValidationLog*>(user);
  const char* text = data && data->pMessage ? data->pMessage : "(no message)";
  if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
    log->count++;
    std::lock_guard lock(log->mutex);
    log->messages.emplace_back(text);
    spdlog::error("Vulkan validation: {}", text);
  } else {
    spdlog::debug("Vulkan: {}", text);
  }
  return VK_FALSE;
}

bool has_instance_layer(const char* name) {
  uint32_t n = 0;
  vkEnumerateInstanceLayerProperties(&n, nullptr);
  std::vector<VkLayerProperties> layers(n);
  vkEnumerateInstanceLayerProperties(&n, layers.data());
  for (const auto& l : layers)
    if (std::strcmp(l.layerName, name) == 0) return true;
  return false;
}

bool has_instance_extension(const char* name) {
  uint32_t n = 0;
  vkEnumerateInstanceExtensionProperties(nullptr, &n, nullptr);
  std::vector<VkExtensionProperties> exts(n);
  vkEnumerateInstanceExtensionProperties(nullptr, &n, exts.data());
  for (const auto& e : exts)
    if (std::strcmp(e.extensionName, name) == 0) return true;
  return false;
}

// Creates an instance; with validation, also the messenger (sync validation on).
VkInstance create_instance(bool validation, ValidationLog* log, VkDebugUtilsMessengerEXT* messenger) {
  uint32_t version = VK_API_VERSION_1_1;
  vkEnumerateInstanceVersion(&version);
  if (version < VK_API_VERSION_1_2)
    throw GpuError(GpuError::Kind::NoDevice, "the Vulkan loader supports only API " + std::to_string(VK_VERSION_MAJOR(version)) +
                                                 "." + std::to_string(VK_VERSION_MINOR(version)) + "; Facet needs 1.2");
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "facet";
  app.pEngineName = "facet";
  app.apiVersion = VK_API_VERSION_1_2;

  std::vector<const char*> layers, extensions;
  VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  if (has_instance_extension(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
    extensions.push_back(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);
    ci.flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
  }
  VkValidationFeatureEnableEXT enables[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
  VkValidationFeaturesEXT features{VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT};
  features.enabledValidationFeatureCount = 1;
  features.pEnabledValidationFeatures = enables;
  VkDebugUtilsMessengerCreateInfoEXT mi{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  mi.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  mi.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                   VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  mi.pfnUserCallback = on_validation_message;
  mi.pUserData = log;
  if (validation) {
    if (!has_instance_layer(kValidationLayer))
      throw GpuError(GpuError::Kind::Other,
                     "validation requested but VK_LAYER_KHRONOS_validation is not installed (Debian: vulkan-validationlayers)");
    layers.push_back(kValidationLayer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    features.pNext = &mi;
    ci.pNext = &features;
  }
  ci.pApplicationInfo = &app;
  ci.enabledLayerCount = static_cast<uint32_t>(layers.size());
  ci.ppEnabledLayerNames = layers.data();
  ci.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  ci.ppEnabledExtensionNames = extensions.data();
  VkInstance instance = VK_NULL_HANDLE;
  VkResult r = vkCreateInstance(&ci, nullptr, &instance);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
    throw GpuError(GpuError::Kind::NoDevice, "no Vulkan driver found (install mesa-vulkan-drivers for lavapipe, or a GPU driver)");
  check(r, "vkCreateInstance");
  if (validation) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT"));
    if (!create || create(instance, &mi, nullptr, messenger) != VK_SUCCESS) {
      vkDestroyInstance(instance, nullptr);
      throw GpuError(GpuError::Kind::Other, "could not create the validation messenger");
    }
  }
  return instance;
}

std::vector<VkPhysicalDevice> physical_devices(VkInstance instance) {
  uint32_t n = 0;
  check(vkEnumeratePhysicalDevices(instance, &n, nullptr), "vkEnumeratePhysicalDevices");
  std::vector<VkPhysicalDevice> pds(n);
  check(vkEnumeratePhysicalDevices(instance, &n, pds.data()), "vkEnumeratePhysicalDevices");
  pds.resize(n);
  return pds;
}

}  // namespace

std::vector<DeviceInfo> Context::list_devices() {
  VkDebugUtilsMessengerEXT none = VK_NULL_HANDLE;
  VkInstance instance = create_instance(false, nullptr, &none);
  std::vector<DeviceInfo> out;
  try {
    auto pds = physical_devices(instance);
    for (uint32_t i = 0; i < pds.size(); ++i) out.push_back(query_device_info(pds[i], i));
  } catch (...) {
    vkDestroyInstance(instance, nullptr);
    throw;
  }
  vkDestroyInstance(instance, nullptr);
  return out;
}

Context::Context(const ContextOptions& options) : options_(options) {
  instance_ = create_instance(options.validation, &validation_, &messenger_);
  try {
    auto pds = physical_devices(instance_);
    std::vector<DeviceInfo> infos;
    for (uint32_t i = 0; i < pds.size(); ++i) infos.push_back(query_device_info(pds[i], i));
    uint32_t index = select_device(infos, options.device);
    physical_ = pds[index];
    info_ = infos[index];
    if (options.flip_work_layout) info_.quirks.contiguous_work_layout = !info_.quirks.contiguous_work_layout;
    if (options.disable_fp16_arithmetic) info_.fp16_arithmetic = false;

    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical_, &nq, nullptr);
    std::vector<VkQueueFamilyProperties> families(nq);
    vkGetPhysicalDeviceQueueFamilyProperties(physical_, &nq, families.data());
    queue_family_ = UINT32_MAX;
    for (uint32_t i = 0; i < nq && queue_family_ == UINT32_MAX; ++i)
      if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) queue_family_ = i;
    if (queue_family_ == UINT32_MAX)
      throw GpuError(GpuError::Kind::NoDevice, "device '" + info_.name + "' has no compute queue");

    float priority = 1.0f;
    VkDeviceQueueCreateInfo qi{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    qi.queueFamilyIndex = queue_family_;
    qi.queueCount = 1;
    qi.pQueuePriorities = &priority;

    std::vector<const char*> extensions;
    if (info_.push_descriptors) extensions.push_back(VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
    uint32_t n_ext = 0;
    vkEnumerateDeviceExtensionProperties(physical_, nullptr, &n_ext, nullptr);
    std::vector<VkExtensionProperties> exts(n_ext);
    vkEnumerateDeviceExtensionProperties(physical_, nullptr, &n_ext, exts.data());
    for (const auto& e : exts)
      if (std::strcmp(e.extensionName, "VK_KHR_portability_subset") == 0) extensions.push_back("VK_KHR_portability_subset");

    // Enable exactly the optional features the device reports; kernels pick variants from DeviceInfo.
    VkPhysicalDeviceVulkan11Features f11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
    VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceFeatures2 f2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    f2.pNext = &f11;
    f11.pNext = &f12;
    f11.storageBuffer16BitAccess = info_.storage_16bit;
    f12.storageBuffer8BitAccess = info_.storage_8bit;
    f12.shaderFloat16 = info_.fp16_arithmetic;
    f12.shaderInt8 = info_.int8_arithmetic;
    f2.features.shaderInt16 = info_.int16;
    f2.features.shaderInt64 = info_.int64;

    VkDeviceCreateInfo di{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    di.pNext = &f2;
    di.queueCreateInfoCount = 1;
    di.pQueueCreateInfos = &qi;
    di.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    di.ppEnabledExtensionNames = extensions.data();
    check(vkCreateDevice(physical_, &di, nullptr, &device_), "vkCreateDevice on " + info_.name);
    vkGetDeviceQueue(device_, queue_family_, 0, &queue_);
    if (info_.push_descriptors)
      push_descriptor_fn_ = reinterpret_cast<PFN_vkCmdPushDescriptorSetKHR>(
          vkGetDeviceProcAddr(device_, "vkCmdPushDescriptorSetKHR"));

    allocator_ = std::make_unique<Allocator>(*this);
    kernels_ = std::make_unique<KernelCache>(*this);
  } catch (...) {
    release();
    throw;
  }
  spdlog::info("Vulkan device {}: {} ({}, {})", info_.index, info_.name, info_.type_name(), info_.driver_name);
}

Context::~Context() { release(); }

void Context::release() {
  if (device_) vkDeviceWaitIdle(device_);
  kernels_.reset();
  allocator_.reset();
  if (device_) vkDestroyDevice(device_, nullptr);
  if (messenger_) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy) destroy(instance_, messenger_, nullptr);
  }
  if (instance_) vkDestroyInstance(instance_, nullptr);
}

std::vector<std::string> Context::validation_messages() {
  std::lock_guard lock(validation_.mutex);
  return validation_.messages;
}

}  // namespace facet::vk
