// What a facet::Device holds (internal to libfacet): the Vulkan context, the plugin registry of
// its models, and the lock that serializes their calls (a Context is driven by one thread).
#pragma once

#include <facet/facet.hpp>

#include <mutex>

#include "plugin/registry.hpp"
#include "vk/context.hpp"

namespace facet {

struct Device::State {
  explicit State(const DeviceOptions& options);
  DeviceOptions options;
  plugin::PluginRegistry registry;
  vk::Context ctx;
  std::mutex mutex;  // held for the whole of a model call, and while a model is made or freed
};

}  // namespace facet
