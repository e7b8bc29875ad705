// Kernels: SPIR-V sources registered by name ("core/add", "<plugin>/<kernel>") and compute
// pipelines built lazily on first use per (name, specialization constants). Pipelines go through
// one VkPipelineCache persisted on disk per device UUID + driver version.
//
// Every kernel shares one device-wide layout: descriptor set 0 with kMaxBindings storage buffers
// and, at kTexelBase + i, kMaxBindings uniform texel buffers (a push-descriptor layout when the
// device has VK_KHR_push_descriptor) and kPushConstantBytes of push constants. Specialization constant i is constant_id i.
//
// Ownership: KernelCache owns the layouts, the pipeline cache, shader modules and pipelines.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace facet::vk {

class Context;

constexpr uint32_t kMaxBindings = 8;
// Slot i bound as a uniform texel buffer (Binding::texel set) is descriptor binding kTexelBase + i.
constexpr uint32_t kTexelBase = kMaxBindings;
constexpr uint32_t kPushConstantBytes = 128;

struct Kernel {
  std::string name;
  VkPipeline pipeline = VK_NULL_HANDLE;
};

class KernelCache {
 public:
  explicit KernelCache(Context& ctx);
  ~KernelCache();  // saves the pipeline cache
  KernelCache(const KernelCache&) = delete;
  KernelCache& operator=(const KernelCache&) = delete;

  // Registers SPIR-V under `name`. Registering the same name again with other code is an error.
  void add_source(const std::string& name, const uint32_t* words, size_t bytes);
  bool has_source(const std::string& name) const { return sources_.count(name) != 0; }
  // The pipeline for (name, spec), built on first use. Throws InputError for unknown names.
  const Kernel& get(const std::string& name, std::span<const uint32_t> spec = {});

  VkPipelineLayout pipeline_layout() const { return pipeline_layout_; }
  VkDescriptorSetLayout set_layout() const { return set_layout_; }
  bool push_descriptors() const { return push_descriptors_; }
  size_t pipelines_built() const { return pipelines_built_; }
  size_t cache_bytes_loaded() const { return cache_bytes_loaded_; }
  const std::string& cache_path() const { return cache_path_; }
  void save();

 private:
  Context& ctx_;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout pipeline_layout_ = VK_NULL_HANDLE;
  VkPipelineCache pipeline_cache_ = VK_NULL_HANDLE;
  bool push_descriptors_ = false;
  std::string cache_path_;
  size_t cache_bytes_loaded_ = 0;
  size_t pipelines_built_ = 0;
  std::map<std::string, std::vector<uint32_t>> sources_;
  std::map<std::string, VkShaderModule> modules_;
  std::map<std::string, std::unique_ptr<Kernel>> pipelines_;  // key: name + spec
};

}  // namespace facet::vk
