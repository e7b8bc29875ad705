#include "vk/command_recorder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "util/error.hpp"
#include "vk/context.hpp"
#include "vk/vk_check.hpp"

namespace facet::vk {

namespace {
constexpr uint32_t kSetsPerPool = 256;
}

CommandRecorder::CommandRecorder(Context& ctx) : ctx_(ctx) {
  VkDevice dev = ctx.device();
  VkCommandPoolCreateInfo pi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pi.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pi.queueFamilyIndex = ctx.queue_family();
  check(vkCreateCommandPool(dev, &pi, nullptr, &pool_), "vkCreateCommandPool");
  VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  ai.commandPool = pool_;
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  try {
    check(vkAllocateCommandBuffers(dev, &ai, &cmd_), "vkAllocateCommandBuffers");
    check(vkCreateFence(dev, &fi, nullptr, &fence_), "vkCreateFence");
  } catch (...) {
    vkDestroyCommandPool(dev, pool_, nullptr);
    throw;
  }
}

CommandRecorder::~CommandRecorder() {
  VkDevice dev = ctx_.device();
  if (in_flight_) {
    // A timed-out submission gets a grace period (its timeout again, at least 10 s) to finish; past
    // that, destroying its objects would be undefined behaviour, so they are leaked with an error
    // instead of hanging.
    uint64_t grace_ms = std::max<uint64_t>(ctx_.options().timeout_ms, 10000);
    uint64_t timeout_ns = grace_ms * 1000000ull;
    if (vkWaitForFences(dev, 1, &fence_, VK_TRUE, timeout_ns) != VK_SUCCESS) {
      spdlog::error("a GPU submission never finished; leaking its command buffer");
      return;
    }
  }
  if (queries_) vkDestroyQueryPool(dev, queries_, nullptr);
  for (VkDescriptorPool p : descriptor_pools_) vkDestroyDescriptorPool(dev, p, nullptr);
  for (VkBufferView v : texel_views_) vkDestroyBufferView(dev, v, nullptr);
  vkDestroyFence(dev, fence_, nullptr);
  vkDestroyCommandPool(dev, pool_, nullptr);
}

void CommandRecorder::begin() {
  if (in_flight_) throw InternalError("CommandRecorder::begin while a submission is in flight");
  VkDevice dev = ctx_.device();
  check(vkResetCommandBuffer(cmd_, 0), "vkResetCommandBuffer");
  for (VkDescriptorPool p : descriptor_pools_) vkResetDescriptorPool(dev, p, 0);
  for (VkBufferView v : texel_views_) vkDestroyBufferView(dev, v, nullptr);
  texel_views_.clear();
  sets_in_pool_ = 0;
  pending_.clear();
  barrier_reasons_.clear();
  labels_.clear();
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  check(vkBeginCommandBuffer(cmd_, &bi), "vkBeginCommandBuffer");
  recording_ = true;
  recorded_ = false;
  if (ctx_.options().profiling && ctx_.info().timestamps) {
    if (!queries_) {
      query_capacity_ = 4096;
      VkQueryPoolCreateInfo qi{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
      qi.queryType = VK_QUERY_TYPE_TIMESTAMP;
      qi.queryCount = query_capacity_;
      check(vkCreateQueryPool(dev, &qi, nullptr, &queries_), "vkCreateQueryPool");
    }
    vkCmdResetQueryPool(cmd_, queries_, 0, query_capacity_);
  }
}

void CommandRecorder::sync(const std::vector<Access>& accesses) {
  // Hazards only against accesses recorded since the last barrier (earlier dispatches/copies);
  // the accesses of one command never order against each other.
  const Access* earlier = nullptr;
  const Access* now = nullptr;
  for (const Access& b : accesses) {
    for (const Access& a : pending_) {
      if ((a.write || b.write) && a.view.overlaps(b.view)) {
        earlier = &a;
        now = &b;
        break;
      }
    }
    if (earlier) break;
  }
  if (earlier) {
    // Source stages and accesses come from the pending accesses. The destination is every stage
    // the recorder uses (compute and transfer), whatever the next command is: pending_ is
    // cleared below, so this barrier must order the earlier accesses against all later ones,
    // not only against the command that triggered it.
    VkPipelineStageFlags src = 0;
    VkAccessFlags src_access = 0;
    for (const Access& a : pending_) {
      src |= a.stage;
      if (a.write) src_access |= a.stage == VK_PIPELINE_STAGE_TRANSFER_BIT ? VK_ACCESS_TRANSFER_WRITE_BIT : VK_ACCESS_SHADER_WRITE_BIT;
    }
    const VkPipelineStageFlags dst = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    const VkAccessFlags dst_access = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                                     VK_ACCESS_TRANSFER_WRITE_BIT;
    const char* kind = earlier->write ? (now->write ? "write-after-write" : "read-after-write") : "write-after-read";
    barrier_reasons_.push_back(now->label + ": " + kind + " on the range of " + earlier->label);
    VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = src_access;
    mb.dstAccessMask = dst_access;
    vkCmdPipelineBarrier(cmd_, src, dst, 0, 1, &mb, 0, nullptr, 0, nullptr);
    pending_.clear();
  }
  pending_.insert(pending_.end(), accesses.begin(), accesses.end());
}

void CommandRecorder::barrier(const std::string& reason) {
  if (!recording_) throw InternalError("CommandRecorder::barrier outside begin/end");
  const VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                     VK_ACCESS_TRANSFER_WRITE_BIT;
  vkCmdPipelineBarrier(cmd_, stages, stages, 0, 1, &mb, 0, nullptr, 0, nullptr);
  barrier_reasons_.push_back(reason);
  pending_.clear();
}

VkDescriptorSet CommandRecorder::allocate_set() {
  VkDevice dev = ctx_.device();
  if (descriptor_pools_.empty() || sets_in_pool_ == kSetsPerPool * descriptor_pools_.size()) {
    VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * kMaxBindings},
                                     {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, kSetsPerPool * kMaxBindings}};
    VkDescriptorPoolCreateInfo pi{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pi.maxSets = kSetsPerPool;
    pi.poolSizeCount = 2;
    pi.pPoolSizes = sizes;
    VkDescriptorPool pool = VK_NULL_HANDLE;
    check(vkCreateDescriptorPool(dev, &pi, nullptr, &pool), "vkCreateDescriptorPool");
    descriptor_pools_.push_back(pool);
  }
  VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  ai.descriptorPool = descriptor_pools_[sets_in_pool_ / kSetsPerPool];
  ai.descriptorSetCount = 1;
  VkDescriptorSetLayout layout = ctx_.kernels().set_layout();
  ai.pSetLayouts = &layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  check(vkAllocateDescriptorSets(dev, &ai, &set), "vkAllocateDescriptorSets");
  ++sets_in_pool_;
  return set;
}

void CommandRecorder::dispatch(const Kernel& kernel, std::span<const Binding> bindings, std::span<const uint8_t> push,
                               Groups groups, const std::string& label) {
  if (!recording_) throw InternalError("dispatch outside begin()/end()");
  if (bindings.size() > kMaxBindings) throw InternalError(label + ": more than 8 bindings");
  if (push.size() > kPushConstantBytes) throw InternalError(label + ": push constants above 128 bytes");
  const DeviceInfo& info = ctx_.info();
  if (groups.x == 0 || groups.y == 0 || groups.z == 0 || groups.x > info.max_workgroup_count[0] ||
      groups.y > info.max_workgroup_count[1] || groups.z > info.max_workgroup_count[2])
    throw InputError(label + ": workgroup count " + std::to_string(groups.x) + "x" + std::to_string(groups.y) + "x" +
                     std::to_string(groups.z) + " outside the device's limits");
  std::vector<Access> accesses;
  for (const Binding& b : bindings) {
    if (b.texel == VK_FORMAT_UNDEFINED && b.view.size > info.max_storage_buffer_range)
      throw GpuError(GpuError::Kind::Other, label + ": a binding of " + std::to_string(b.view.size) +
                                                " bytes exceeds maxStorageBufferRange (" +
                                                std::to_string(info.max_storage_buffer_range) + ")");
    accesses.push_back({b.view, b.write, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, label});
  }
  sync(accesses);

  VkDescriptorBufferInfo infos[kMaxBindings];
  VkBufferView views[kMaxBindings];
  VkWriteDescriptorSet writes[kMaxBindings];
  for (size_t i = 0; i < bindings.size(); ++i) {
    const Binding& b = bindings[i];
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].descriptorCount = 1;
    if (b.texel != VK_FORMAT_UNDEFINED) {
      if (b.write) throw InternalError(label + ": a texel-buffer binding is read only");
      const uint64_t texel_bytes = b.texel == VK_FORMAT_R16G16B16A16_SFLOAT ? 8 : 16;
      if (b.view.offset % info.min_texel_buffer_offset_alignment != 0 || b.view.size % texel_bytes != 0 ||
          b.view.size / texel_bytes > info.max_texel_buffer_elements)
        throw InternalError(label + ": binding " + std::to_string(i) + " cannot be viewed as a texel buffer");
      VkBufferViewCreateInfo vi{VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
      vi.buffer = b.view.buffer;
      vi.format = b.texel;
      vi.offset = b.view.offset;
      vi.range = b.view.size;
      check(vkCreateBufferView(ctx_.device(), &vi, nullptr, &views[i]), "vkCreateBufferView");
      texel_views_.push_back(views[i]);
      writes[i].dstBinding = kTexelBase + static_cast<uint32_t>(i);
      writes[i].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
      writes[i].pTexelBufferView = &views[i];
    } else {
      infos[i] = {b.view.buffer, b.view.offset, b.view.size};
      writes[i].dstBinding = static_cast<uint32_t>(i);
      writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      writes[i].pBufferInfo = &infos[i];
    }
  }
  KernelCache& kc = ctx_.kernels();
  vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.pipeline);
  if (kc.push_descriptors()) {
    ctx_.push_descriptor_fn()(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, kc.pipeline_layout(), 0,
                              static_cast<uint32_t>(bindings.size()), writes);
  } else {
    VkDescriptorSet set = allocate_set();
    for (size_t i = 0; i < bindings.size(); ++i) writes[i].dstSet = set;
    vkUpdateDescriptorSets(ctx_.device(), static_cast<uint32_t>(bindings.size()), writes, 0, nullptr);
    vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, kc.pipeline_layout(), 0, 1, &set, 0, nullptr);
  }
  if (!push.empty()) {
    // Push constant ranges must be multiples of 4 bytes.
    uint8_t padded[kPushConstantBytes] = {};
    std::copy(push.begin(), push.end(), padded);
    uint32_t size = static_cast<uint32_t>((push.size() + 3) / 4 * 4);
    vkCmdPushConstants(cmd_, kc.pipeline_layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, size, padded);
  }
  uint32_t q = static_cast<uint32_t>(labels_.size()) * 2;
  bool timed = queries_ && q + 1 < query_capacity_;
  if (timed) vkCmdWriteTimestamp(cmd_, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queries_, q);
  vkCmdDispatch(cmd_, groups.x, groups.y, groups.z);
  if (timed) vkCmdWriteTimestamp(cmd_, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_, q + 1);
  labels_.emplace_back(label, kernel.name);
}

void CommandRecorder::copy(const BufferView& src, const BufferView& dst, const std::string& label) {
  if (!recording_) throw InternalError("copy outside begin()/end()");
  if (src.size != dst.size) throw InternalError(label + ": copy between ranges of different sizes");
  sync({{src, false, VK_PIPELINE_STAGE_TRANSFER_BIT, label}, {dst, true, VK_PIPELINE_STAGE_TRANSFER_BIT, label}});
  VkBufferCopy region{src.offset, dst.offset, src.size};
  vkCmdCopyBuffer(cmd_, src.buffer, dst.buffer, 1, &region);
}

void CommandRecorder::end() {
  if (!recording_) throw InternalError("end() without begin()");
  // Make every write visible to the host, which reads results after the fence.
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
  check(vkEndCommandBuffer(cmd_), "vkEndCommandBuffer");
  recording_ = false;
  recorded_ = true;
  pending_.clear();
}

void CommandRecorder::submit_and_wait() {
  if (!recorded_) throw InternalError("submit before end()");
  VkDevice dev = ctx_.device();
  check(vkResetFences(dev, 1, &fence_), "vkResetFences");
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cmd_;
  std::string last = labels_.empty() ? std::string("(copies only)")
                                     : "kernel '" + labels_.back().second + "' at node '" + labels_.back().first + "'";
  std::string what = "submission of " + std::to_string(labels_.size()) + " dispatches (last: " + last + ")";
  check(vkQueueSubmit(ctx_.queue(), 1, &si, fence_), what);
  in_flight_ = true;
  uint64_t timeout_ns = static_cast<uint64_t>(ctx_.options().timeout_ms) * 1000000ull;
  VkResult r = vkWaitForFences(dev, 1, &fence_, VK_TRUE, timeout_ns);
  if (r == VK_TIMEOUT)
    throw GpuError(GpuError::Kind::Timeout, "GPU timeout after " + std::to_string(ctx_.options().timeout_ms) +
                                                " ms waiting for the " + what);
  in_flight_ = false;
  check(r, "waiting for the " + what);
}

std::vector<DispatchTiming> CommandRecorder::timings() const {
  std::vector<DispatchTiming> out;
  if (!queries_ || in_flight_ || labels_.empty()) return out;
  uint32_t n = std::min<uint32_t>(static_cast<uint32_t>(labels_.size()) * 2, query_capacity_ & ~1u);
  std::vector<uint64_t> ts(n);
  if (vkGetQueryPoolResults(ctx_.device(), queries_, 0, n, n * sizeof(uint64_t), ts.data(), sizeof(uint64_t),
                            VK_QUERY_RESULT_64_BIT) != VK_SUCCESS)
    return out;
  double period = ctx_.info().timestamp_period_ns;
  for (uint32_t i = 0; i + 1 < n; i += 2)
    out.push_back({labels_[i / 2].first, labels_[i / 2].second, static_cast<double>(ts[i + 1] - ts[i]) * period * 1e-6});
  return out;
}

}  // namespace facet::vk
