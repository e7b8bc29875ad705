// Shared pieces of the facet subcommands: global options, logging set-up, formatting.
#pragma once

#include <CLI/CLI.hpp>
#include <facet/facet.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "graph/host_tensor.hpp"
#include "llm/llm_session.hpp"
#include "llm/sampler.hpp"
#include "pipeline/spec.hpp"
#include "vk/context.hpp"
#include "vk/device_info.hpp"

namespace facet::cli {

struct GlobalOptions {
  int verbosity = 0;  // -v / -vv
  bool quiet = false;
  std::string log_file;
  std::string device;  // --device selector
  std::vector<std::string> plugin_paths;
};

void setup_logging(const GlobalOptions& g);

nlohmann::json device_json(const vk::DeviceInfo& d);
std::string device_text(const vk::DeviceInfo& d);
std::string human_bytes(uint64_t bytes);
// Writes streamed model text to stdout at once (a TextCallback).
void print_text(const std::string& text);
// A short printout of a tensor: shape line, leading rows, and summary statistics.
std::string tensor_text(const std::string& name, const HostTensor& t);

// A check for a real-valued flag: a finite number in [lo, hi] (CLI::Range lets NaN through).
CLI::Validator finite_range(double lo, double hi);

// The sampling flags of generate and chat (--temperature, --top-k, --top-p, --min-p,
// --repeat-penalty, --seed).
void add_sampler_options(CLI::App* cmd, llm::SamplerOptions& s);
// The language-model flags of the commands that run one: --context, --kv-cache, --quantize, and
// with `chunk` also --chunk.
void add_session_options(CLI::App* cmd, llm::SessionOptions& s, bool chunk);
// --kv-cache and --quantize alone (facet bench llm, which sets the context itself).
void add_model_load_options(CLI::App* cmd, llm::SessionOptions& s);

// The pipeline a command names: a TOML file or a model folder, exactly one (UsageError otherwise).
pipeline::PipelineSpec load_pipeline_spec(const std::string& toml, const std::string& model);
// A model named on the command line as [NAME=]PATH (commands that compare several models). Without
// NAME=, the name is the folder's name, or a file's stem ("pipeline.toml" in folder X: X). The
// text before '=' is a name only when it has no '/' and the whole argument is not an existing path.
struct NamedModel {
  std::string name, path;
  bool is_toml() const;  // a pipeline file rather than a model folder
};
NamedModel parse_named_model(const std::string& arg);
// Each argument parsed; two models with one name are a UsageError.
std::vector<NamedModel> parse_named_models(const std::vector<std::string>& args);
// Plugin folders: --plugin-path first, then the TOML's [runtime] plugin_paths.
std::vector<std::string> plugin_search_paths(const GlobalOptions& g, const pipeline::PipelineSpec& spec);
// The device, timeout and memory limit of the TOML's [runtime], --device winning.
vk::ContextOptions context_options(const GlobalOptions& g, const pipeline::RuntimeSpec& runtime);
// The same for a host-API Device (commands built on facet::Model), with --plugin-path.
facet::DeviceOptions device_options(const GlobalOptions& g, const pipeline::RuntimeSpec& runtime);

// Validates and runs a pipeline built in code on the selected device; returns its outputs.
std::map<std::string, HostTensor> run_spec(const pipeline::PipelineSpec& spec, const GlobalOptions& g);

// Subcommand registration; each returns the CLI11 subcommand and sets `run` to its action.
using Action = std::function<int()>;
void add_devices(CLI::App& app, GlobalOptions& g, Action& run);
// `facet bench llm`, added to the `bench` subcommand.
void add_bench_llm(CLI::App* bench, GlobalOptions& g, Action& run);
// `facet bench pipeline`, added to the `bench` subcommand.
void add_bench_pipeline(CLI::App* bench, GlobalOptions& g, Action& run);
void add_bench_diffusion(CLI::App* bench, GlobalOptions& g, Action& run);
void add_chat(CLI::App& app, GlobalOptions& g, Action& run);
void add_plugins(CLI::App& app, GlobalOptions& g, Action& run);
void add_run(CLI::App& app, GlobalOptions& g, Action& run);
void add_bench(CLI::App& app, GlobalOptions& g, Action& run);
void add_preprocess(CLI::App& app, GlobalOptions& g, Action& run);
void add_embed(CLI::App& app, GlobalOptions& g, Action& run);
void add_mine_pairs(CLI::App& app, GlobalOptions& g, Action& run);
void add_tokenize(CLI::App& app, GlobalOptions& g, Action& run);
void add_embed_text(CLI::App& app, GlobalOptions& g, Action& run);
void add_classify(CLI::App& app, GlobalOptions& g, Action& run);
void add_mmvp_vlm(CLI::App& app, GlobalOptions& g, Action& run);
void add_mmvp(CLI::App& app, GlobalOptions& g, Action& run);
void add_generate(CLI::App& app, GlobalOptions& g, Action& run);
void add_ground(CLI::App& app, GlobalOptions& g, Action& run);
void add_txt2img(CLI::App& app, GlobalOptions& g, Action& run);
void add_img2img(CLI::App& app, GlobalOptions& g, Action& run);
void add_serve(CLI::App& app, GlobalOptions& g, Action& run);

}  // namespace facet::cli
