// facet: the command-line tool. Exit codes (DESIGN.md §4): 0 ok, 1 internal error, 2 usage,
// 3 invalid input, 4 plugin error, 5 GPU error.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli_common.hpp"
#include "util/error.hpp"

int main(int argc, char** argv) {
  using namespace facet;
  CLI::App app{"facet: multimodal LLM inference on Vulkan", "facet"};
  app.require_subcommand(1);
  cli::GlobalOptions g;
  app.add_flag("-v,--verbose", g.verbosity, "More log output (-vv for debug)");
  app.add_flag("-q,--quiet", g.quiet, "Only errors");
  app.add_option("--log-file", g.log_file, "Also write a debug log to this file");
  app.add_option("--device", g.device, "Device: index, vendor, type or name substring (else $FACET_DEVICE, else TOML)");
  app.add_option("--plugin-path", g.plugin_paths, "Extra plugin folder (repeatable), searched first");
  app.fallthrough();
  cli::Action action;
  cli::add_devices(app, g, action);
  cli::add_plugins(app, g, action);
  cli::add_run(app, g, action);
  cli::add_bench(app, g, action);
  cli::add_preprocess(app, g, action);
  cli::add_embed(app, g, action);
  cli::add_mine_pairs(app, g, action);
  cli::add_tokenize(app, g, action);
  cli::add_embed_text(app, g, action);
  cli::add_classify(app, g, action);
  cli::add_mmvp_vlm(app, g, action);
  cli::add_mmvp(app, g, action);
  cli::add_generate(app, g, action);
  cli::add_chat(app, g, action);
  cli::add_ground(app, g, action);
  cli::add_txt2img(app, g, action);
  cli::add_img2img(app, g, action);
  cli::add_serve(app, g, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n" << "run 'facet --help' for usage\n";
    return static_cast<int>(ExitCode::Usage);
  }
  try {
    cli::setup_logging(g);
    return action ? action() : static_cast<int>(ExitCode::Usage);
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::Internal);
  }
}
