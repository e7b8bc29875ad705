// Loading one plugin library with Boost.DLL and checking its descriptor: entry symbol present,
// descriptor non-null and large enough, ABI major equal and minor not newer than the host's,
// plugin name = file stem, every component's required members and names present, kernels named
// "<plugin>/<kernel>" with SPIR-V. A LoadedPlugin owns the library: it stays loaded while any
// component instance, graph node or kernel made from it holds the shared_ptr.
#pragma once

#include <facet/abi.h>

#include <memory>
#include <string>
#include <vector>

namespace boost::dll {
class shared_library;
}

namespace facet::plugin {

struct LoadedPlugin {
  std::string name;
  std::string version;
  std::string path;
  uint32_t abi_major = 0, abi_minor = 0;
  std::shared_ptr<boost::dll::shared_library> library;
  const facet_plugin_desc* desc = nullptr;

  const facet_component_desc* component(const std::string& name) const;  // nullptr if absent
  std::vector<std::string> component_names() const;
};

// Bit i set: input port i of `c` may stay unwired (ABI 1.3; 0 for components of older plugins).
uint64_t optional_inputs(const facet_component_desc& c);

// Throws PluginError naming the file and the reason.
std::shared_ptr<const LoadedPlugin> load_plugin(const std::string& path);

// The descriptor checks alone (also used on descriptors in tests); throws PluginError.
void validate_descriptor(const facet_plugin_desc* desc, const std::string& path, const std::string& expected_name);

}  // namespace facet::plugin
