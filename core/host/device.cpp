#include <facet/facet.hpp>

#include <spdlog/spdlog.h>

#include "host/device_state.hpp"
#include "util/error.hpp"

namespace facet {

namespace {

vk::ContextOptions context_options(const DeviceOptions& o) {
  vk::ContextOptions co;
  co.device = vk::resolve_device_selector(o.device, "");
  co.validation = o.validation;
  co.timeout_ms = o.timeout_ms;
  co.memory_limit = o.memory_limit;
  return co;
}

DeviceDescription describe(const vk::DeviceInfo& d) {
  DeviceDescription out{d.name, d.type_name(), d.driver_name, 0};
  for (const auto& h : d.heaps)
    if (h.device_local && h.size > out.memory_bytes) out.memory_bytes = h.size;
  return out;
}

}  // namespace

Device::State::State(const DeviceOptions& o)
    : options(o), registry(plugin::PluginRegistry::default_search_paths(o.plugin_paths)), ctx(context_options(o)) {}

Device::Device(const DeviceOptions& options) : state_(std::make_shared<State>(options)) {}
Device::~Device() = default;

DeviceDescription Device::description() const { return describe(state_->ctx.info()); }

std::vector<DeviceDescription> Device::list() {
  std::vector<DeviceDescription> out;
  for (const auto& d : vk::Context::list_devices()) out.push_back(describe(d));
  return out;
}

uint32_t Device::validation_messages() const { return state_->ctx.validation_message_count(); }

std::string version() { return FACET_VERSION; }

void set_log_level(const std::string& level) {
  const spdlog::level::level_enum l = spdlog::level::from_str(level);
  if (l == spdlog::level::off && level != "off")
    throw UsageError("unknown log level '" + level + "' (off, error, warn, info, debug, trace)");
  spdlog::set_level(l);
}

}  // namespace facet
