#include "plugin/loader.hpp"

#include <boost/dll/shared_library.hpp>

#include <cstring>
#include <fstream>
#include <filesystem>

#include "plugin/host_api.hpp"
#include "util/error.hpp"

namespace facet::plugin {

const facet_component_desc* LoadedPlugin::component(const std::string& n) const {
  for (uint32_t i = 0; i < desc->n_components; ++i)
    if (n == desc->components[i].name) return &desc->components[i];
  return nullptr;
}

std::vector<std::string> LoadedPlugin::component_names() const {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < desc->n_components; ++i) out.emplace_back(desc->components[i].name);
  return out;
}

uint64_t optional_inputs(const facet_component_desc& c) {
  return c.struct_size >= offsetof(facet_component_desc, optional_inputs) + sizeof(uint64_t) ? c.optional_inputs : 0;
}

static std::string abi_string(uint32_t major, uint32_t minor) { return std::to_string(major) + "." + std::to_string(minor); }

void validate_descriptor(const facet_plugin_desc* d, const std::string& path, const std::string& expected_name) {
  auto fail = [&](const std::string& why) { return PluginError("plugin '" + path + "': " + why); };
  if (!d) throw fail("facet_plugin_entry returned no descriptor (the plugin refused this host, ABI " +
                     abi_string(FACET_ABI_MAJOR, FACET_ABI_MINOR) + ")");
  if (d->struct_size < offsetof(facet_plugin_desc, abi_minor) + sizeof(uint32_t))
    throw fail("descriptor too small (" + std::to_string(d->struct_size) + " bytes)");
  if (d->abi_major != FACET_ABI_MAJOR)
    throw fail("built for plugin ABI " + abi_string(d->abi_major, d->abi_minor) + " but this facet provides ABI " +
               abi_string(FACET_ABI_MAJOR, FACET_ABI_MINOR) + "; rebuild the plugin against this SDK");
  if (d->abi_minor > FACET_ABI_MINOR)
    throw fail("built for plugin ABI " + abi_string(d->abi_major, d->abi_minor) + ", newer than this facet's ABI " +
               abi_string(FACET_ABI_MAJOR, FACET_ABI_MINOR) + "; upgrade facet or rebuild the plugin against this SDK");
  if (d->struct_size < sizeof(facet_plugin_desc))
    throw fail("descriptor of " + std::to_string(d->struct_size) + " bytes is smaller than ABI " +
               abi_string(FACET_ABI_MAJOR, 0) + "'s " + std::to_string(sizeof(facet_plugin_desc)));
  if (!d->name || !*d->name) throw fail("descriptor has no name");
  if (!d->version) throw fail("descriptor has no version");
  if (!expected_name.empty() && expected_name != d->name)
    throw fail("declares name '" + std::string(d->name) + "' but its file is named '" + expected_name +
               "' (the file stem must be the plugin name)");
  if (d->n_components == 0 || !d->components) throw fail("declares no components");
  for (uint32_t i = 0; i < d->n_components; ++i) {
    const facet_component_desc& c = d->components[i];
    std::string cname = c.name ? std::string(c.name) : std::string("#").append(std::to_string(i));
    if (c.struct_size < offsetof(facet_component_desc, optional_inputs)) throw fail("component '" + cname + "' descriptor too small");
    if (!c.name || !*c.name) throw fail("component #" + std::to_string(i) + " has no name");
    if (c.kind > FACET_KIND_GENERATOR) throw fail("component '" + cname + "' has an unknown kind");
    const char* missing = !c.create ? "create" : !c.infer ? "infer" : !c.build ? "build" : !c.destroy ? "destroy" : nullptr;
    if (missing) throw fail("component '" + cname + "' lacks required member '" + missing + "'");
    if ((c.n_inputs && !c.inputs) || (c.n_outputs && !c.outputs) || (c.n_params && !c.params))
      throw fail("component '" + cname + "' declares ports or params without arrays");
    if (c.n_outputs == 0) throw fail("component '" + cname + "' has no output ports");
    for (uint32_t p = 0; p < c.n_inputs; ++p)
      if (!c.inputs[p].name || c.inputs[p].contract.rank > FACET_MAX_DIMS) throw fail("component '" + cname + "' has a malformed input port");
    for (uint32_t p = 0; p < c.n_outputs; ++p)
      if (!c.outputs[p].name || c.outputs[p].contract.rank > FACET_MAX_DIMS) throw fail("component '" + cname + "' has a malformed output port");
    for (uint32_t p = 0; p < c.n_params; ++p)
      if (!c.params[p].name || c.params[p].type > FACET_PARAM_STRING) throw fail("component '" + cname + "' has a malformed param");
    if (c.n_inputs < 64 && (optional_inputs(c) >> c.n_inputs) != 0)
      throw fail("component '" + cname + "' marks optional inputs it does not have");
    for (uint32_t j = 0; j < i; ++j)
      if (std::strcmp(d->components[j].name, c.name) == 0) throw fail("component '" + cname + "' declared twice");
  }
  if (d->n_kernels && !d->kernels) throw fail("declares kernels without an array");
  std::string prefix = std::string(d->name) + "/";
  for (uint32_t i = 0; i < d->n_kernels; ++i) {
    const facet_kernel_desc& k = d->kernels[i];
    if (!k.name || std::strncmp(k.name, prefix.c_str(), prefix.size()) != 0)
      throw fail("kernel '" + std::string(k.name ? k.name : "") + "' is not named '" + prefix + "<kernel>'");
    if (!k.spirv || k.spirv_size == 0 || k.spirv_size % 4 != 0) throw fail("kernel '" + std::string(k.name) + "' has no valid SPIR-V");
  }
}

std::shared_ptr<const LoadedPlugin> load_plugin(const std::string& path) {
  {  // the loader's own message for a file that is no library is "Bad file descriptor"
    std::ifstream f(path, std::ios::binary);
    char magic[4] = {};
    if (!f.read(magic, 4) || std::memcmp(magic, "\x7f" "ELF", 4) != 0)
      throw PluginError("cannot load plugin '" + path + "': it is not a shared library (no ELF header)");
  }
  auto lib = std::make_shared<boost::dll::shared_library>();
  std::error_code ec;
  lib->load(path, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  if (ec) throw PluginError("cannot load plugin '" + path + "': " + ec.message());
  if (!lib->has(FACET_PLUGIN_ENTRY_SYMBOL))
    throw PluginError("'" + path + "' does not export " FACET_PLUGIN_ENTRY_SYMBOL " (not a Facet plugin?)");
  auto entry = lib->get<const facet_plugin_desc*(const facet_host_api*)>(FACET_PLUGIN_ENTRY_SYMBOL);
  const facet_plugin_desc* desc = nullptr;
  try {
    desc = entry(host_api());
  } catch (...) {
    throw PluginError("plugin '" + path + "': facet_plugin_entry threw an exception across the C boundary");
  }
  std::string stem = std::filesystem::path(path).stem().string();
  validate_descriptor(desc, path, stem);
  auto p = std::make_shared<LoadedPlugin>();
  p->name = desc->name;
  p->version = desc->version;
  p->path = path;
  p->abi_major = desc->abi_major;
  p->abi_minor = desc->abi_minor;
  p->library = std::move(lib);
  p->desc = desc;
  return p;
}

}  // namespace facet::plugin
