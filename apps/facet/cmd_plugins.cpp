// facet plugins [--json]: every plugin in the search paths (kind, name, version, path) and every
// plugin file that failed to load, with the reason.
#include <iostream>

#include "cli_common.hpp"
#include "plugin/registry.hpp"

namespace facet::cli {

static const char* kind_name(facet_component_kind k) {
  switch (k) {
    case FACET_KIND_ENCODER: return "encoder";
    case FACET_KIND_ADAPTER: return "adapter";
    case FACET_KIND_LLM: return "llm";
    case FACET_KIND_GROUNDING: return "grounding";
    default: return "generator";
  }
}

void add_plugins(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("plugins", "List plugins found in the search paths, and load failures");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([&run, &g, json] {
    run = [&g, json] {
      plugin::PluginRegistry registry(plugin::PluginRegistry::default_search_paths(g.plugin_paths));
      plugin::ScanResult r = registry.scan();
      if (*json) {
        nlohmann::json out{{"search_paths", registry.search_paths()}, {"plugins", nlohmann::json::array()},
                           {"failed", nlohmann::json::array()}};
        for (const auto& p : r.loaded) {
          nlohmann::json comps = nlohmann::json::array();
          for (uint32_t i = 0; i < p->desc->n_components; ++i)
            comps.push_back({{"name", p->desc->components[i].name}, {"kind", kind_name(p->desc->components[i].kind)}});
          out["plugins"].push_back({{"name", p->name}, {"version", p->version}, {"path", p->path},
                                    {"abi", std::to_string(p->abi_major) + "." + std::to_string(p->abi_minor)},
                                    {"components", comps}, {"kernels", p->desc->n_kernels}});
        }
        for (const auto& [path, why] : r.failed) out["failed"].push_back({{"path", path}, {"error", why}});
        std::cout << out.dump(2) << "\n";
        return 0;
      }
      std::cout << "search paths:\n";
      for (const auto& s : registry.search_paths()) std::cout << "  " << s << "\n";
      std::cout << "plugins:\n";
      if (r.loaded.empty()) std::cout << "  (none)\n";
      for (const auto& p : r.loaded) {
        for (uint32_t i = 0; i < p->desc->n_components; ++i)
          std::cout << "  " << kind_name(p->desc->components[i].kind) << "  " << p->name << "/" << p->desc->components[i].name
                    << "  " << p->version << "  " << p->path << "\n";
      }
      if (!r.failed.empty()) {
        std::cout << "failed:\n";
        for (const auto& [path, why] : r.failed) std::cout << "  " << path << ": " << why << "\n";
      }
      return 0;
    };
  });
}

}  // namespace facet::cli
