// facet run PIPELINE.toml: validate the pipeline (before any GPU work), run it, print outputs.
#include <filesystem>
#include <iostream>

#include "cli_common.hpp"
#include "graph/executor.hpp"
#include "io/npy.hpp"
#include "pipeline/pipeline.hpp"
#include "util/error.hpp"
#include "vk/context.hpp"

namespace facet::cli {

namespace {
struct RunOptions {
  std::string pipeline;
  bool json = false, profile = false, debug = false, validation = false;
  std::string save_dir;
  uint32_t timeout_ms = 0;
};
}  // namespace

void add_run(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("run", "Run a pipeline from a TOML file");
  auto o = std::make_shared<RunOptions>();
  cmd->add_option("pipeline", o->pipeline, "Pipeline TOML file")->required();
  cmd->add_flag("--json", o->json, "Print outputs, stage shapes and timings as JSON");
  cmd->add_flag("--profile", o->profile, "Record GPU time per dispatch");
  cmd->add_flag("--debug", o->debug, "Check every node against its CPU reference");
  cmd->add_flag("--validation", o->validation, "Enable the Khronos validation layer");
  cmd->add_option("--timeout-ms", o->timeout_ms, "GPU wait limit per submission");
  cmd->add_option("--save", o->save_dir, "Write each output as <dir>/<stage>.<port>.npy");
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      pipeline::PipelineSpec spec = pipeline::parse_pipeline_file(o->pipeline);
      std::vector<std::string> paths = g.plugin_paths;  // --plugin-path first, then the TOML's
      paths.insert(paths.end(), spec.runtime.plugin_paths.begin(), spec.runtime.plugin_paths.end());
      plugin::PluginRegistry registry(plugin::PluginRegistry::default_search_paths(paths));
      auto p = pipeline::Pipeline::load(spec, registry);  // every check before the GPU is touched

      vk::ContextOptions co;
      co.device = vk::resolve_device_selector(g.device, spec.runtime.device);
      co.validation = o->validation || spec.runtime.validation;
      co.profiling = o->profile || spec.runtime.profile;
      co.timeout_ms = o->timeout_ms ? o->timeout_ms : spec.runtime.timeout_ms;
      co.memory_limit = spec.runtime.memory_limit_mb << 20;
      vk::Context ctx(co);
      Executor executor(ctx, ExecOptions{o->debug || spec.runtime.debug});
      auto outputs = p->run(ctx, executor);
      const RunStats& st = executor.last_stats();

      if (!o->save_dir.empty()) {
        std::filesystem::create_directories(o->save_dir);
        for (const auto& [name, t] : outputs) io::write_npy(o->save_dir + "/" + name + ".npy", t);
      }
      if (o->json) {
        nlohmann::json j{{"pipeline", o->pipeline}, {"device", ctx.info().name}, {"stages", nlohmann::json::array()},
                         {"outputs", nlohmann::json::object()}};
        for (const auto& s : p->stages()) {
          nlohmann::json outs = nlohmann::json::object();
          for (const auto& [port, d] : s.outputs) outs[port] = d.str();
          j["stages"].push_back({{"id", s.id}, {"plugin", s.plugin}, {"component", s.component}, {"outputs", outs}});
        }
        for (const auto& [name, t] : outputs) {
          std::vector<int64_t> shape(t.desc.dims.begin(), t.desc.dims.begin() + t.desc.rank);
          j["outputs"][name] = {{"shape", shape}, {"data", t.to_f32()}};
        }
        j["stats"] = {{"dispatches", st.dispatches}, {"barriers", st.barriers}, {"submissions", st.submissions},
                      {"arena_bytes", st.arena_bytes}, {"naive_arena_bytes", st.naive_bytes},
                      {"weight_bytes", st.weight_bytes}, {"wall_ms", st.wall_ms}};
        nlohmann::json timings = nlohmann::json::array();
        for (const auto& t : st.timings) timings.push_back({{"node", t.node}, {"kernel", t.kernel}, {"ms", t.ms}});
        j["timings"] = timings;
        if (executor.last_stats().mismatch) {
          const auto& m = *st.mismatch;
          j["debug_mismatch"] = {{"node", m.node}, {"op", m.op}, {"nmse", m.nmse}, {"max_abs_error", m.max_abs_error}};
        }
        std::cout << j.dump(2) << "\n";
      } else {
        std::cout << "pipeline " << o->pipeline << ": " << p->stages().size() << " stages on " << ctx.info().name << "\n";
        for (const auto& s : p->stages()) {
          std::cout << "  " << s.id << " (" << s.plugin << "/" << s.component << ")";
          for (const auto& [port, d] : s.outputs) std::cout << " -> " << port << " " << d.str();
          std::cout << "\n";
        }
        for (const auto& [name, t] : outputs) std::cout << tensor_text("output " + name, t);
        std::cout << "run: " << st.dispatches << " dispatches, " << st.barriers << " barriers, " << st.submissions
                  << " submission, arena " << human_bytes(st.arena_bytes) << " (without reuse " << human_bytes(st.naive_bytes)
                  << "), weights " << human_bytes(st.weight_bytes) << ", " << st.wall_ms << " ms\n";
        for (const auto& t : st.timings) std::cout << "  gpu " << t.node << " [" << t.kernel << "]: " << t.ms << " ms\n";
        if (o->debug || spec.runtime.debug) {
          if (st.mismatch)
            std::cout << "debug: node '" << st.mismatch->node << "' (" << st.mismatch->op << ") differs from its CPU reference: nmse "
                      << st.mismatch->nmse << ", max abs error " << st.mismatch->max_abs_error << "\n";
          else
            std::cout << "debug: all " << st.nodes_checked << " nodes match their CPU references\n";
        }
      }
      if (st.mismatch) return static_cast<int>(ExitCode::Internal);
      if (co.validation && ctx.validation_message_count()) {
        std::cerr << "error: " << ctx.validation_message_count() << " Vulkan validation messages\n";
        return static_cast<int>(ExitCode::Internal);
      }
      return 0;
    };
  });
}

}  // namespace facet::cli
