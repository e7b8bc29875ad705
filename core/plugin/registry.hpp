// Finds plugins by name in the search paths and keeps each loaded once. Search order: the
// pipeline's [runtime] plugin_paths, $FACET_PLUGIN_PATH (':'-separated), then <exe>/../lib/facet/plugins
// (the build tree mirrors the install tree, so this finds in-tree and installed plugins alike).
// A plugin named N is the file N.so; the first hit wins.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plugin/loader.hpp"

namespace facet::plugin {

struct ScanResult {
  std::vector<std::shared_ptr<const LoadedPlugin>> loaded;
  std::vector<std::pair<std::string, std::string>> failed;  // (path, reason)
};

class PluginRegistry {
 public:
  explicit PluginRegistry(std::vector<std::string> search_paths);
  // The default search paths with `extra` (e.g. from TOML) first.
  static std::vector<std::string> default_search_paths(const std::vector<std::string>& extra = {});

  // Loads (once) and returns plugin `name`; throws PluginError naming it and every searched folder.
  std::shared_ptr<const LoadedPlugin> get(const std::string& name);
  // Tries every plugin file in every search path.
  ScanResult scan();
  const std::vector<std::string>& search_paths() const { return paths_; }

 private:
  std::vector<std::string> paths_;
  std::map<std::string, std::shared_ptr<const LoadedPlugin>> loaded_;
};

}  // namespace facet::plugin
