// BufferView: a non-owning range of a VkBuffer. Allocation: an owning sub-range of an Allocator
// block, returned to its block on destruction (move-only; must not outlive its Allocator).
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <string>

namespace facet::vk {

struct BufferView {
  VkBuffer buffer = VK_NULL_HANDLE;
  uint64_t offset = 0;
  uint64_t size = 0;
  bool overlaps(const BufferView& o) const {
    return buffer == o.buffer && offset < o.offset + o.size && o.offset < offset + size;
  }
};

enum class MemoryPool { DeviceLocal, HostVisible, Staging };
const char* pool_name(MemoryPool p);

class Allocator;
struct Block;

class Allocation {
 public:
  Allocation() = default;
  ~Allocation() { reset(); }
  Allocation(Allocation&& o) noexcept { *this = std::move(o); }
  Allocation& operator=(Allocation&& o) noexcept;
  Allocation(const Allocation&) = delete;
  Allocation& operator=(const Allocation&) = delete;

  explicit operator bool() const { return block_ != nullptr; }
  BufferView view() const;
  BufferView view(uint64_t offset, uint64_t size) const;
  // Host pointer to the start of this allocation, or nullptr when its memory is not host-visible.
  void* mapped() const;
  uint64_t size() const { return size_; }
  void reset();

 private:
  friend class Allocator;
  Allocator* owner_ = nullptr;
  Block* block_ = nullptr;
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
};

}  // namespace facet::vk
