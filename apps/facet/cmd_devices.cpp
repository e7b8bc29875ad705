// facet devices [--json]: every Vulkan device with its capabilities, limits and quirks.
#include <cstdio>
#include <iostream>

#include "cli_common.hpp"
#include "vk/context.hpp"

namespace facet::cli {

void add_devices(CLI::App& app, GlobalOptions&, Action& run) {
  auto* cmd = app.add_subcommand("devices", "List Vulkan devices and their capabilities");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([&run, json] {
    run = [json] {
      auto devices = vk::Context::list_devices();
      if (*json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& d : devices) arr.push_back(device_json(d));
        std::cout << arr.dump(2) << "\n";
      } else {
        if (devices.empty()) std::cout << "no Vulkan devices\n";
        for (const auto& d : devices) std::cout << device_text(d) << "\n";
      }
      return 0;
    };
  });
}

}  // namespace facet::cli
