#include "vk/kernel_cache.hpp"

#include <facet/abi.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "util/error.hpp"
#include "vk/context.hpp"
#include "vk/vk_check.hpp"

extern "C" const facet_kernel_desc core_kernels[];
extern "C" const uint32_t core_kernel_count;

namespace facet::vk {

namespace fs = std::filesystem;

static std::string default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/facet";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/facet";
  return (fs::temp_directory_path() / "facet-cache").string();
}

KernelCache::KernelCache(Context& ctx) : ctx_(ctx) {
  VkDevice dev = ctx.device();
  push_descriptors_ = ctx.push_descriptor_fn() != nullptr;

  VkDescriptorSetLayoutBinding bindings[2 * kMaxBindings];
  for (uint32_t i = 0; i < kMaxBindings; ++i) {
    bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
    bindings[kMaxBindings + i] = {kTexelBase + i, VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  }
  VkDescriptorSetLayoutCreateInfo li{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  li.flags = push_descriptors_ ? VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR : 0;
  li.bindingCount = 2 * kMaxBindings;
  li.pBindings = bindings;
  check(vkCreateDescriptorSetLayout(dev, &li, nullptr, &set_layout_), "vkCreateDescriptorSetLayout");

  VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushConstantBytes};
  VkPipelineLayoutCreateInfo pi{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  pi.setLayoutCount = 1;
  pi.pSetLayouts = &set_layout_;
  pi.pushConstantRangeCount = 1;
  pi.pPushConstantRanges = &range;
  check(vkCreatePipelineLayout(dev, &pi, nullptr, &pipeline_layout_), "vkCreatePipelineLayout");

  // Pipeline cache: one file per device UUID and driver version.
  const DeviceInfo& info = ctx.info();
  std::string dir = ctx.options().cache_dir.empty() ? default_cache_dir() : ctx.options().cache_dir;
  cache_path_ = dir + "/pipelines-" + info.uuid_hex() + "-" + std::to_string(info.driver_version) + ".bin";
  std::vector<char> data;
  if (std::ifstream in(cache_path_, std::ios::binary); in) {
    data.assign(std::istreambuf_iterator<char>(in), {});
  }
  VkPipelineCacheCreateInfo ci{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  ci.initialDataSize = data.size();
  ci.pInitialData = data.empty() ? nullptr : data.data();
  if (vkCreatePipelineCache(dev, &ci, nullptr, &pipeline_cache_) != VK_SUCCESS) {
    spdlog::warn("pipeline cache {} rejected by the driver; starting empty", cache_path_);
    ci.initialDataSize = 0;
    ci.pInitialData = nullptr;
    check(vkCreatePipelineCache(dev, &ci, nullptr, &pipeline_cache_), "vkCreatePipelineCache");
  } else {
    cache_bytes_loaded_ = data.size();
  }

  for (uint32_t i = 0; i < core_kernel_count; ++i)
    add_source(core_kernels[i].name, core_kernels[i].spirv, core_kernels[i].spirv_size);
}

KernelCache::~KernelCache() {
  try {
    save();
  } catch (const std::exception& e) {
    spdlog::warn("could not save the pipeline cache: {}", e.what());
  }
  VkDevice dev = ctx_.device();
  for (auto& [k, p] : pipelines_) vkDestroyPipeline(dev, p->pipeline, nullptr);
  for (auto& [k, m] : modules_) vkDestroyShaderModule(dev, m, nullptr);
  vkDestroyPipelineCache(dev, pipeline_cache_, nullptr);
  vkDestroyPipelineLayout(dev, pipeline_layout_, nullptr);
  vkDestroyDescriptorSetLayout(dev, set_layout_, nullptr);
}

void KernelCache::save() {
  if (pipelines_built_ == 0) return;
  size_t size = 0;
  check(vkGetPipelineCacheData(ctx_.device(), pipeline_cache_, &size, nullptr), "vkGetPipelineCacheData");
  std::vector<char> data(size);
  check(vkGetPipelineCacheData(ctx_.device(), pipeline_cache_, &size, data.data()), "vkGetPipelineCacheData");
  std::error_code ec;
  fs::create_directories(fs::path(cache_path_).parent_path(), ec);
  std::string tmp = cache_path_ + ".tmp" + std::to_string(reinterpret_cast<uintptr_t>(this));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return;  // an unwritable cache folder only costs start-up time
    out.write(data.data(), static_cast<std::streamsize>(size));
  }
  fs::rename(tmp, cache_path_, ec);
}

void KernelCache::add_source(const std::string& name, const uint32_t* words, size_t bytes) {
  if (bytes == 0 || bytes % 4 != 0 || words == nullptr || words[0] != 0x07230203u)
    throw InputError("kernel '" + name + "' is not valid SPIR-V (bad size or magic number)");
  std::vector<uint32_t> code(words, words + bytes / 4);
  auto it = sources_.find(name);
  if (it != sources_.end()) {
    if (it->second != code) throw InputError("kernel '" + name + "' is registered twice with different code");
    return;
  }
  sources_.emplace(name, std::move(code));
}

const Kernel& KernelCache::get(const std::string& name, std::span<const uint32_t> spec) {
  std::string key = name;
  for (uint32_t v : spec) key.append(":").append(std::to_string(v));
  if (auto it = pipelines_.find(key); it != pipelines_.end()) return *it->second;

  auto src = sources_.find(name);
  if (src == sources_.end()) throw InputError("unknown kernel '" + name + "'");
  VkDevice dev = ctx_.device();
  VkShaderModule& module = modules_[name];
  if (!module) {
    VkShaderModuleCreateInfo mi{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    mi.codeSize = src->second.size() * 4;
    mi.pCode = src->second.data();
    check(vkCreateShaderModule(dev, &mi, nullptr, &module), "vkCreateShaderModule for kernel " + name);
  }
  std::vector<VkSpecializationMapEntry> entries(spec.size());
  for (uint32_t i = 0; i < spec.size(); ++i) entries[i] = {i, i * 4u, 4};
  VkSpecializationInfo si{static_cast<uint32_t>(entries.size()), entries.data(), spec.size() * 4, spec.data()};
  VkComputePipelineCreateInfo ci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  ci.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  ci.stage.module = module;
  ci.stage.pName = "main";
  ci.stage.pSpecializationInfo = spec.empty() ? nullptr : &si;
  ci.layout = pipeline_layout_;
  auto kernel = std::make_unique<Kernel>();
  kernel->name = name;
  check(vkCreateComputePipelines(dev, pipeline_cache_, 1, &ci, nullptr, &kernel->pipeline),
        "building the pipeline of kernel " + name);
  ++pipelines_built_;
  return *pipelines_.emplace(key, std::move(kernel)).first->second;
}

}  // namespace facet::vk
