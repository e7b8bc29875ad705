#include "vk/allocator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "util/error.hpp"
#include "vk/context.hpp"
#include "vk/vk_check.hpp"

namespace facet::vk {

const char* pool_name(MemoryPool p) {
  switch (p) {
    case MemoryPool::DeviceLocal: return "device-local";
    case MemoryPool::HostVisible: return "host-visible";
    default: return "staging";
  }
}

// ---- Allocation

Allocation& Allocation::operator=(Allocation&& o) noexcept {
  if (this != &o) {
    reset();
    owner_ = o.owner_;
    block_ = o.block_;
    offset_ = o.offset_;
    size_ = o.size_;
    o.owner_ = nullptr;
    o.block_ = nullptr;
  }
  return *this;
}

BufferView Allocation::view() const { return {block_->buffer, offset_, size_}; }

BufferView Allocation::view(uint64_t offset, uint64_t size) const {
  if (offset + size > size_) throw InternalError("buffer view outside its allocation");
  return {block_->buffer, offset_ + offset, size};
}

void* Allocation::mapped() const { return block_ && block_->mapped ? block_->mapped + offset_ : nullptr; }

void Allocation::reset() {
  if (owner_ && block_) owner_->release(block_, offset_, size_);
  owner_ = nullptr;
  block_ = nullptr;
}

// ---- Allocator

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

Allocator::Allocator(Context& ctx) : ctx_(ctx) {
  vkGetPhysicalDeviceMemoryProperties(ctx.physical_device(), &props_);
  zero_copy_ = ctx.info().unified_memory && !ctx.options().disable_zero_copy;
  alignment_ = std::max<uint64_t>({ctx.info().min_storage_buffer_offset_alignment, ctx.info().min_texel_buffer_offset_alignment, 64});
}

Allocator::~Allocator() {
  for (auto& b : blocks_) {
    if (b->used) spdlog::error("allocator destroyed with {} bytes still allocated in a {} block", b->used, pool_name(b->pool));
    vkDestroyBuffer(ctx_.device(), b->buffer, nullptr);
    vkFreeMemory(ctx_.device(), b->memory, nullptr);
  }
}

uint32_t Allocator::memory_type(uint32_t type_bits, MemoryPool pool) const {
  const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  struct Pref {
    VkMemoryPropertyFlags required, preferred;
  };
  std::vector<Pref> prefs;
  switch (pool) {
    case MemoryPool::DeviceLocal:
      if (zero_copy_) prefs.push_back({VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | host, 0});
      prefs.push_back({VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0});
      prefs.push_back({0, 0});
      break;
    case MemoryPool::HostVisible:  // read back by the host: cached when possible
      prefs.push_back({host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 0});
      prefs.push_back({host, 0});
      break;
    case MemoryPool::Staging:  // written once by the host, read by the device
      prefs.push_back({host, 0});
      break;
  }
  for (const Pref& p : prefs)
    for (uint32_t t = 0; t < props_.memoryTypeCount; ++t)
      if ((type_bits & (1u << t)) && (props_.memoryTypes[t].propertyFlags & p.required) == p.required) return t;
  throw GpuError(GpuError::Kind::OutOfDeviceMemory, std::string("no memory type for the ") + pool_name(pool) + " pool");
}

Block* Allocator::new_block(uint64_t size, MemoryPool pool, const std::string& what) {
  uint64_t limit = ctx_.options().memory_limit;
  if (limit && reserved_ + size > limit)
    throw GpuError(GpuError::Kind::OutOfDeviceMemory,
                   "out of device memory allocating " + std::to_string(size) + " bytes for " + what +
                       " (memory limit " + std::to_string(limit) + " bytes, " + std::to_string(reserved_) + " in use)");
  auto block = std::make_unique<Block>();
  block->size = size;
  block->pool = pool;
  VkDevice dev = ctx_.device();
  VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bi.size = size;
  bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  check(vkCreateBuffer(dev, &bi, nullptr, &block->buffer), "vkCreateBuffer for " + what);
  VkMemoryRequirements req{};
  vkGetBufferMemoryRequirements(dev, block->buffer, &req);
  VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  ai.allocationSize = req.size;
  try {
    ai.memoryTypeIndex = memory_type(req.memoryTypeBits, pool);
    check(vkAllocateMemory(dev, &ai, nullptr, &block->memory),
          "allocating " + std::to_string(size) + " bytes of " + pool_name(pool) + " memory for " + what);
    check(vkBindBufferMemory(dev, block->buffer, block->memory, 0), "vkBindBufferMemory for " + what);
    if (props_.memoryTypes[ai.memoryTypeIndex].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
      void* p = nullptr;
      check(vkMapMemory(dev, block->memory, 0, VK_WHOLE_SIZE, 0, &p), "vkMapMemory for " + what);
      block->mapped = static_cast<uint8_t*>(p);
    }
  } catch (...) {
    if (block->memory) vkFreeMemory(dev, block->memory, nullptr);
    vkDestroyBuffer(dev, block->buffer, nullptr);
    throw;
  }
  block->free[0] = size;
  reserved_ += size;
  blocks_.push_back(std::move(block));
  return blocks_.back().get();
}

Allocation Allocator::allocate(uint64_t size, MemoryPool pool, const std::string& what) {
  const uint64_t need = align_up(std::max<uint64_t>(size, 1), alignment_);
  // First fit inside block b; returns false when no free range is large enough.
  auto take = [&](Block* b, Allocation& a) {
    for (auto it = b->free.begin(); it != b->free.end(); ++it) {
      if (it->second < need) continue;
      const uint64_t off = it->first, rest = it->second - need;
      b->free.erase(it);
      if (rest) b->free[off + need] = rest;
      b->used += need;
      a.owner_ = this;
      a.block_ = b;
      a.offset_ = off;
      a.size_ = size;
      return true;
    }
    return false;
  };
  Allocation a;
  for (auto& b : blocks_)
    if (b->pool == pool && take(b.get(), a)) return a;
  take(new_block(std::max(need, kBlockSize), pool, what), a);
  return a;
}

void Allocator::release(Block* b, uint64_t offset, uint64_t size) {
  uint64_t len = align_up(std::max<uint64_t>(size, 1), alignment_);
  b->used -= len;
  auto it = b->free.emplace(offset, len).first;
  auto next = std::next(it);
  if (next != b->free.end() && it->first + it->second == next->first) {
    it->second += next->second;
    b->free.erase(next);
  }
  if (it != b->free.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second == it->first) {
      prev->second += it->second;
      b->free.erase(it);
    }
  }
}

void Allocator::trim() {
  VkDevice dev = ctx_.device();
  std::erase_if(blocks_, [&](const std::unique_ptr<Block>& b) {
    if (b->used) return false;
    vkDestroyBuffer(dev, b->buffer, nullptr);
    vkFreeMemory(dev, b->memory, nullptr);
    reserved_ -= b->size;
    return true;
  });
}

uint64_t Allocator::bytes_in_use() const {
  uint64_t n = 0;
  for (const auto& b : blocks_) n += b->used;
  return n;
}

}  // namespace facet::vk
