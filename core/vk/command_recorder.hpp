// CommandRecorder: the only way to dispatch. Records dispatches and copies into one command
// buffer, inserts a barrier only where an access overlaps an earlier write (read-after-write,
// write-after-write) or a write overlaps an earlier read (write-after-read) since the last
// barrier, and records GPU timestamps per dispatch when profiling is on. A recorded buffer can be
// submitted any number of times (plans reuse it across runs).
//
// Ownership: owns its command pool/buffer, fence, descriptor pools and query pool. Must be
// destroyed before its Context; destruction waits for its last submission.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vk/buffer.hpp"
#include "vk/kernel_cache.hpp"

namespace facet::vk {

class Context;

// A buffer range bound to slot i: a storage buffer at descriptor binding i, or with `texel` set
// (read only) a uniform texel buffer of that format at binding kTexelBase + i, which CPU drivers
// fetch through their vectorized sampler path.
struct Binding {
  BufferView view;
  bool write = false;
  VkFormat texel = VK_FORMAT_UNDEFINED;
};

struct Groups {
  uint32_t x = 1, y = 1, z = 1;
};

struct DispatchTiming {
  std::string label;
  std::string kernel;
  double ms = 0;
};

class CommandRecorder {
 public:
  explicit CommandRecorder(Context& ctx);
  ~CommandRecorder();
  CommandRecorder(const CommandRecorder&) = delete;
  CommandRecorder& operator=(const CommandRecorder&) = delete;

  void begin();
  // Binding i is descriptor binding i. `label` names the graph node (used in errors and timings).
  void dispatch(const Kernel& kernel, std::span<const Binding> bindings, std::span<const uint8_t> push,
                Groups groups, const std::string& label);
  void copy(const BufferView& src, const BufferView& dst, const std::string& label);
  // A full compute/transfer memory barrier: orders everything submitted before (earlier
  // submissions on the queue included) against everything recorded after.
  void barrier(const std::string& reason);
  void end();
  // Submits the recorded work and waits up to the context's timeout. Throws GpuError (Timeout,
  // DeviceLost, OutOfDeviceMemory) naming the submission's last kernel.
  void submit_and_wait();

  std::vector<DispatchTiming> timings() const;  // empty unless profiling
  uint32_t dispatch_count() const { return static_cast<uint32_t>(labels_.size()); }
  uint32_t barrier_count() const { return static_cast<uint32_t>(barrier_reasons_.size()); }
  const std::vector<std::string>& barrier_reasons() const { return barrier_reasons_; }

 private:
  struct Access {
    BufferView view;
    bool write;
    VkPipelineStageFlags stage;
    std::string label;
  };
  void sync(const std::vector<Access>& accesses);
  VkDescriptorSet allocate_set();

  Context& ctx_;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  VkQueryPool queries_ = VK_NULL_HANDLE;
  uint32_t query_capacity_ = 0;
  std::vector<VkDescriptorPool> descriptor_pools_;
  std::vector<VkBufferView> texel_views_;  // created while recording, destroyed with the recorder
  uint32_t sets_in_pool_ = 0;
  bool recording_ = false, recorded_ = false, in_flight_ = false;
  std::vector<Access> pending_;  // accesses since the last barrier
  std::vector<std::string> barrier_reasons_;
  std::vector<std::pair<std::string, std::string>> labels_;  // (node label, kernel) per dispatch
};

}  // namespace facet::vk
