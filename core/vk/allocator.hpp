// Block allocator over VkDeviceMemory. Each pool (device-local, host-visible, staging) keeps a
// list of blocks; each block is one VkDeviceMemory bound to one VkBuffer covering all of it, and
// allocations are first-fit ranges of a block's buffer, so a tensor is a (buffer, offset, size).
// On unified-memory devices (lavapipe, integrated GPUs) the device-local pool is host-visible
// too: uploads are a memcpy into the mapping (zero-copy) and no staging is needed.
//
// Ownership: the Allocator owns all blocks; Allocations return their range on destruction and
// must be destroyed before the Allocator. Not thread-safe (one Context is driven by one thread).
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vk/buffer.hpp"

namespace facet::vk {

class Context;

struct Block {
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkBuffer buffer = VK_NULL_HANDLE;
  uint64_t size = 0;
  uint8_t* mapped = nullptr;
  MemoryPool pool = MemoryPool::DeviceLocal;
  std::map<uint64_t, uint64_t> free;  // offset -> size, coalesced
  uint64_t used = 0;
};

class Allocator {
 public:
  static constexpr uint64_t kBlockSize = 64ull << 20;

  explicit Allocator(Context& ctx);
  ~Allocator();
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  // Throws GpuError(OutOfDeviceMemory) naming `what` when the memory cannot be had.
  Allocation allocate(uint64_t size, MemoryPool pool, const std::string& what);
  // Releases blocks that hold no allocation.
  void trim();

  bool zero_copy() const { return zero_copy_; }
  uint64_t bytes_in_use() const;
  uint64_t bytes_reserved() const { return reserved_; }
  size_t block_count() const { return blocks_.size(); }

 private:
  friend class Allocation;
  void release(Block* block, uint64_t offset, uint64_t size);
  Block* new_block(uint64_t size, MemoryPool pool, const std::string& what);
  uint32_t memory_type(uint32_t type_bits, MemoryPool pool) const;

  Context& ctx_;
  VkPhysicalDeviceMemoryProperties props_{};
  bool zero_copy_ = false;
  uint64_t alignment_ = 256;
  uint64_t reserved_ = 0;
  std::vector<std::unique_ptr<Block>> blocks_;
};

}  // namespace facet::vk
