// The Vulkan context: instance (+ validation messenger), the selected device, its compute queue,
// and the per-device services (allocator, kernel cache).
//
// Ownership: Context owns every Vulkan object reachable from it and destroys them in reverse
// order of creation. Everything made from a Context (Allocations, CommandRecorders, Plans) must
// be destroyed before it. Contexts are not copyable or movable.
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "vk/device_info.hpp"

namespace facet::vk {

class Allocator;
class KernelCache;

struct ContextOptions {
  std::string device;           // selector: index, vendor, type or name substring ("" = best)
  bool validation = false;      // Khronos validation layer + synchronization validation
  uint32_t timeout_ms = 120000; // fence wait limit per submission
  bool profiling = false;       // GPU timestamps per dispatch
  uint64_t memory_limit = 0;    // refuse device allocations beyond this many bytes (0 = none)
  std::string cache_dir;        // pipeline cache folder ("" = $XDG_CACHE_HOME/facet or ~/.cache/facet)
  bool disable_zero_copy = false; // use staging copies even on unified memory (tests the discrete-GPU path)
  bool flip_work_layout = false;  // give kernels the other device kind's work layout (tests both paths)
  bool disable_fp16_arithmetic = false;  // as if the device lacked shaderFloat16 (tests the f32 kernels)
};

// Counts validation-layer messages (warnings and errors); tests fail when it is non-zero.
struct ValidationLog {
  std::atomic<uint32_t> count{0};
  std::mutex mutex;
  std::vector<std::string> messages;
};

class Context {
 public:
  explicit Context(const ContextOptions& options = {});
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Every Vulkan device on this machine (creates its own short-lived instance).
  static std::vector<DeviceInfo> list_devices();

  const DeviceInfo& info() const { return info_; }
  const ContextOptions& options() const { return options_; }
  VkDevice device() const { return device_; }
  VkPhysicalDevice physical_device() const { return physical_; }
  VkQueue queue() const { return queue_; }
  uint32_t queue_family() const { return queue_family_; }
  Allocator& allocator() { return *allocator_; }
  KernelCache& kernels() { return *kernels_; }
  PFN_vkCmdPushDescriptorSetKHR push_descriptor_fn() const { return push_descriptor_fn_; }

  uint32_t validation_message_count() const { return validation_.count.load(); }
  std::vector<std::string> validation_messages();

 private:
  void release();  // destroys everything created so far, in reverse order (destructor and failed constructor)

  ContextOptions options_;
  ValidationLog validation_;
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  DeviceInfo info_;
  PFN_vkCmdPushDescriptorSetKHR push_descriptor_fn_ = nullptr;
  std::unique_ptr<Allocator> allocator_;
  std::unique_ptr<KernelCache> kernels_;
};

// Picks a device by selector: "" (discrete > integrated > virtual > cpu), an index ("1"), a
// vendor ("nvidia", "amd", "intel", "apple", "mesa"), a type ("discrete", "integrated", "cpu"),
// or a case-insensitive substring of the name ("llvmpipe"). Throws InputError when nothing matches.
uint32_t select_device(const std::vector<DeviceInfo>& devices, const std::string& selector);

// The selector in force: the --device flag, else $FACET_DEVICE, else the TOML's [runtime] device.
std::string resolve_device_selector(const std::string& flag, const std::string& toml);

}  // namespace facet::vk
