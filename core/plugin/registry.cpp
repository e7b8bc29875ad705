#include "plugin/registry.hpp"

#include <boost/dll/runtime_symbol_info.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "util/error.hpp"

namespace facet::plugin {

namespace fs = std::filesystem;

static const char* kSuffix = ".so";

PluginRegistry::PluginRegistry(std::vector<std::string> search_paths) : paths_(std::move(search_paths)) {}

std::vector<std::string> PluginRegistry::default_search_paths(const std::vector<std::string>& extra) {
  std::vector<std::string> out = extra;
  if (const char* env = std::getenv("FACET_PLUGIN_PATH"); env && *env) {
    std::stringstream ss(env);
    std::string item;
    while (std::getline(ss, item, ':'))
      if (!item.empty()) out.push_back(item);
  }
  std::error_code ec;
  fs::path exe_dir = fs::path(boost::dll::program_location(ec)).parent_path();
  if (!ec) {
    out.push_back((exe_dir.parent_path() / "lib" / "facet" / "plugins").string());
  }
  // Inside libfacet (a Python process, a user's program): the plugins installed beside the library,
  // <libdir>/facet/plugins.
  std::error_code lib_ec;
  fs::path module_dir = fs::path(boost::dll::this_line_location(lib_ec)).parent_path();
  if (!lib_ec && module_dir != exe_dir) {
    const std::string beside = (module_dir / "facet" / "plugins").string();
    if (std::find(out.begin(), out.end(), beside) == out.end()) out.push_back(beside);
  }
  return out;
}

std::shared_ptr<const LoadedPlugin> PluginRegistry::get(const std::string& name) {
  if (auto it = loaded_.find(name); it != loaded_.end()) return it->second;
  if (name.empty() || name.find('/') != std::string::npos || name.find("..") != std::string::npos)
    throw PluginError("invalid plugin name '" + name + "'");
  for (const std::string& dir : paths_) {
    fs::path candidate = fs::path(dir) / (name + kSuffix);
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) {
      auto p = load_plugin(candidate.string());
      loaded_[name] = p;
      return p;
    }
  }
  std::string searched;
  for (const std::string& dir : paths_) searched += "\n  " + dir;
  throw PluginError("plugin '" + name + "' not found; searched (set [runtime] plugin_paths or FACET_PLUGIN_PATH):" + searched);
}

ScanResult PluginRegistry::scan() {
  ScanResult r;
  std::set<std::string> seen;
  for (const std::string& dir : paths_) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == kSuffix) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      std::string name = f.stem().string();
      if (!seen.insert(name).second) continue;  // shadowed by an earlier search path
      try {
        if (auto it = loaded_.find(name); it != loaded_.end()) {
          r.loaded.push_back(it->second);
        } else {
          auto p = load_plugin(f.string());
          loaded_[name] = p;
          r.loaded.push_back(p);
        }
      } catch (const Error& e) {
        r.failed.emplace_back(f.string(), e.what());
      }
    }
  }
  return r;
}

}  // namespace facet::plugin
