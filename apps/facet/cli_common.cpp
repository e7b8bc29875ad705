#include "cli_common.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "graph/executor.hpp"
#include "pipeline/model_pipeline.hpp"
#include "pipeline/pipeline.hpp"
#include "util/error.hpp"
#include "plugin/registry.hpp"
#include "vk/context.hpp"

namespace facet::cli {

CLI::Validator finite_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& in) -> std::string {
        double v = 0;
        size_t used = 0;
        try {
          v = std::stod(in, &used);
        } catch (const std::out_of_range&) {
          return "'" + in + "' is not a finite number";
        } catch (const std::exception&) {
          return "'" + in + "' is not a number";
        }
        if (used != in.size() || !std::isfinite(v)) return "'" + in + "' is not a finite number";
        if (v < lo || v > hi) return in + " is outside [" + CLI::detail::to_string(lo) + ", " + CLI::detail::to_string(hi) + "]";
        return {};
      },
      "FINITE in [" + CLI::detail::to_string(lo) + ", " + CLI::detail::to_string(hi) + "]");
}

void print_text(const std::string& text) { std::cout << text << std::flush; }

pipeline::PipelineSpec load_pipeline_spec(const std::string& toml, const std::string& model) {
  if (toml.empty() == model.empty()) throw UsageError("give a pipeline TOML file or --model DIR (one of them)");
  return toml.empty() ? pipeline::model_pipeline(pipeline::ModelFolder::open(model)) : pipeline::parse_pipeline_file(toml);
}

bool NamedModel::is_toml() const {
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".toml") == 0;
}

NamedModel parse_named_model(const std::string& arg) {
  NamedModel m{"", arg};
  const size_t eq = arg.find('=');
  std::error_code ec;
  if (eq != std::string::npos && eq > 0 && arg.find('/') > eq && !std::filesystem::exists(arg, ec)) {
    m.name = arg.substr(0, eq);
    m.path = arg.substr(eq + 1);
  }
  if (m.path.empty()) throw UsageError("'" + arg + "' names no model path");
  if (m.name.empty()) {
    std::filesystem::path p = std::filesystem::path(m.path).lexically_normal();
    if (!p.has_filename()) p = p.parent_path();
    m.name = p.filename().string();
    if (m.is_toml()) {
      m.name = p.stem().string();
      if (m.name == "pipeline" && p.has_parent_path()) m.name = p.parent_path().filename().string();
    }
  }
  return m;
}

std::vector<NamedModel> parse_named_models(const std::vector<std::string>& args) {
  std::vector<NamedModel> models;
  for (const auto& a : args) {
    models.push_back(parse_named_model(a));
    for (size_t k = 0; k + 1 < models.size(); ++k)
      if (models[k].name == models.back().name)
        throw UsageError("two models are named '" + models.back().name + "'; name them: --model NAME=PATH");
  }
  return models;
}

std::vector<std::string> plugin_search_paths(const GlobalOptions& g, const pipeline::PipelineSpec& spec) {
  std::vector<std::string> paths = g.plugin_paths;
  paths.insert(paths.end(), spec.runtime.plugin_paths.begin(), spec.runtime.plugin_paths.end());
  return plugin::PluginRegistry::default_search_paths(paths);
}

void add_model_load_options(CLI::App* cmd, llm::SessionOptions& s) {
  cmd->add_option("--kv-cache", s.kv_cache, "KV cache element type: f16 (default) or f32")->check(CLI::IsMember({"f16", "f32"}));
  cmd->add_option("--quantize", s.quantize, "Quantize the language model's f32/f16/bf16 matrices on load: q8_0 or q4_0")
      ->check(CLI::IsMember({"q8_0", "q4_0"}));
}

void add_session_options(CLI::App* cmd, llm::SessionOptions& s, bool chunk) {
  cmd->add_option("--context", s.context, "KV cache positions (default: the model's, at most 4096)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  add_model_load_options(cmd, s);
  if (chunk)
    cmd->add_option("--chunk", s.chunk, "Prompt tokens per submission (default 64)")->check(CLI::Range(int64_t{1}, int64_t{4096}));
}

vk::ContextOptions context_options(const GlobalOptions& g, const pipeline::RuntimeSpec& runtime) {
  vk::ContextOptions co;
  co.device = vk::resolve_device_selector(g.device, runtime.device);
  co.validation = runtime.validation;
  co.profiling = runtime.profile;
  co.timeout_ms = runtime.timeout_ms;
  co.memory_limit = runtime.memory_limit_mb << 20;
  return co;
}

facet::DeviceOptions device_options(const GlobalOptions& g, const pipeline::RuntimeSpec& runtime) {
  const vk::ContextOptions co = context_options(g, runtime);
  facet::DeviceOptions d;
  d.device = co.device;
  d.plugin_paths = g.plugin_paths;
  d.validation = co.validation;
  d.timeout_ms = co.timeout_ms;
  d.memory_limit = co.memory_limit;
  return d;
}

std::map<std::string, HostTensor> run_spec(const pipeline::PipelineSpec& spec, const GlobalOptions& g) {
  plugin::PluginRegistry registry(plugin_search_paths(g, spec));
  auto p = pipeline::Pipeline::load(spec, registry);  // every check before the GPU is touched
  vk::Context ctx(context_options(g, spec.runtime));
  Executor executor(ctx, ExecOptions{});
  return p->run(ctx, executor);
}

void setup_logging(const GlobalOptions& g) {
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  spdlog::level::level_enum level = g.quiet ? spdlog::level::err
                                    : g.verbosity >= 2 ? spdlog::level::debug
                                    : g.verbosity == 1 ? spdlog::level::info
                                                       : spdlog::level::warn;
  console->set_level(level);
  std::vector<spdlog::sink_ptr> sinks{console};
  if (!g.log_file.empty()) {
    std::shared_ptr<spdlog::sinks::basic_file_sink_mt> file;
    try {
      file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(g.log_file, true);  // creates missing folders
    } catch (const spdlog::spdlog_ex& e) {
      throw UsageError("--log-file '" + g.log_file + "' cannot be written: " + e.what());
    }
    file->set_level(spdlog::level::debug);
    sinks.push_back(file);
  }
  auto logger = std::make_shared<spdlog::logger>("facet", sinks.begin(), sinks.end());
  logger->set_level(g.log_file.empty() ? level : spdlog::level::debug);
  if (!g.log_file.empty()) logger->flush_on(spdlog::level::debug);  // every line reaches the file, whatever ends the run
  logger->set_pattern("[%l] %v");
  spdlog::set_default_logger(logger);
}

std::string human_bytes(uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

static const char* yes(bool b) { return b ? "yes" : "no"; }

std::string device_text(const vk::DeviceInfo& d) {
  char buf[2048];
  std::string heaps;
  for (size_t i = 0; i < d.heaps.size(); ++i)
    heaps += "\n     heap " + std::to_string(i) + ": " + human_bytes(d.heaps[i].size) +
             (d.heaps[i].device_local ? " device-local" : "") + (d.heaps[i].host_visible ? " host-visible" : "");
  std::string quirks;
  for (const auto& q : d.quirks.names()) quirks += (quirks.empty() ? "" : ", ") + q;
  std::snprintf(buf, sizeof(buf),
                "%u: %s [%s, vendor %s, driver %s %s]\n"
                "   api %u.%u.%u, subgroup %u (min %u, max %u), subgroup arithmetic %s, shuffle %s\n"
                "   fp16 %s, int8 %s, 16-bit storage %s, 8-bit storage %s, cooperative matrix %s, push descriptors %s\n"
                "   maxStorageBufferRange %s, shared memory %s, workgroup %u invocations, timestamps %s\n"
                "   memory: %s%s\n"
                "   quirks: %s",
                d.index, d.name.c_str(), d.type_name().c_str(), vk::vendor_name(d.vendor), d.driver_name.c_str(),
                d.driver_info.c_str(), VK_API_VERSION_MAJOR(d.api_version), VK_API_VERSION_MINOR(d.api_version),
                VK_API_VERSION_PATCH(d.api_version), d.subgroup_size, d.min_subgroup_size, d.max_subgroup_size,
                yes(d.subgroup_arithmetic), yes(d.subgroup_shuffle), yes(d.fp16_arithmetic), yes(d.int8_arithmetic),
                yes(d.storage_16bit), yes(d.storage_8bit), yes(d.cooperative_matrix), yes(d.push_descriptors),
                human_bytes(d.max_storage_buffer_range).c_str(), human_bytes(d.max_compute_shared_memory).c_str(),
                d.max_workgroup_invocations, yes(d.timestamps), d.unified_memory ? "unified (zero-copy uploads)" : "discrete",
                heaps.c_str(), quirks.empty() ? "none" : quirks.c_str());
  return buf;
}

nlohmann::json device_json(const vk::DeviceInfo& d) {
  nlohmann::json heaps = nlohmann::json::array();
  for (const auto& h : d.heaps) heaps.push_back({{"size", h.size}, {"device_local", h.device_local}, {"host_visible", h.host_visible}});
  return {
      {"index", d.index},
      {"name", d.name},
      {"type", d.type_name()},
      {"vendor", vk::vendor_name(d.vendor)},
      {"vendor_id", d.vendor_id},
      {"device_id", d.device_id},
      {"driver", d.driver_name},
      {"driver_info", d.driver_info},
      {"driver_version", d.driver_version},
      {"api_version", std::to_string(VK_API_VERSION_MAJOR(d.api_version)) + "." + std::to_string(VK_API_VERSION_MINOR(d.api_version)) +
                          "." + std::to_string(VK_API_VERSION_PATCH(d.api_version))},
      {"pipeline_cache_uuid", d.uuid_hex()},
      {"limits",
       {{"max_storage_buffer_range", d.max_storage_buffer_range},
        {"min_storage_buffer_offset_alignment", d.min_storage_buffer_offset_alignment},
        {"max_push_constants_size", d.max_push_constants_size},
        {"max_compute_shared_memory", d.max_compute_shared_memory},
        {"max_workgroup_invocations", d.max_workgroup_invocations},
        {"max_workgroup_size", d.max_workgroup_size},
        {"max_workgroup_count", d.max_workgroup_count},
        {"timestamp_period_ns", d.timestamp_period_ns}}},
      {"subgroup",
       {{"size", d.subgroup_size}, {"min_size", d.min_subgroup_size}, {"max_size", d.max_subgroup_size},
        {"arithmetic", d.subgroup_arithmetic}, {"shuffle", d.subgroup_shuffle}, {"size_control", d.subgroup_size_control}}},
      {"features",
       {{"fp16", d.fp16_arithmetic}, {"int8", d.int8_arithmetic}, {"int16", d.int16}, {"int64", d.int64},
        {"storage_16bit", d.storage_16bit}, {"storage_8bit", d.storage_8bit}, {"cooperative_matrix", d.cooperative_matrix},
        {"push_descriptors", d.push_descriptors}, {"timestamps", d.timestamps}}},
      {"memory", {{"unified", d.unified_memory}, {"heaps", heaps}}},
      {"quirks", d.quirks.names()},
  };
}

std::string tensor_text(const std::string& name, const HostTensor& t) {
  std::vector<float> v = t.to_f32();
  std::string s = name + ": " + t.desc.str() + "\n";
  int64_t cols = t.desc.rank ? t.desc.dims[t.desc.rank - 1] : 1;
  int64_t rows = cols ? static_cast<int64_t>(v.size()) / cols : 0;
  char buf[32];
  for (int64_t r = 0; r < std::min<int64_t>(rows, 4); ++r) {
    s += "  [";
    for (int64_t c = 0; c < std::min<int64_t>(cols, 8); ++c) {
      std::snprintf(buf, sizeof(buf), "%s%.5g", c ? ", " : "", v[r * cols + c]);
      s += buf;
    }
    s += cols > 8 ? ", ...]\n" : "]\n";
  }
  if (rows > 4) s += "  ... " + std::to_string(rows - 4) + " more rows\n";
  double sum = 0, sq = 0, lo = INFINITY, hi = -INFINITY;
  for (float x : v) {
    sum += x;
    sq += double(x) * x;
    lo = std::min<double>(lo, x);
    hi = std::max<double>(hi, x);
  }
  double n = std::max<double>(1, static_cast<double>(v.size()));
  double mean = sum / n;
  std::snprintf(buf, sizeof(buf), "%.6g", mean);
  s += "  mean " + std::string(buf);
  std::snprintf(buf, sizeof(buf), "%.6g", std::sqrt(std::max(0.0, sq / n - mean * mean)));
  s += "  std " + std::string(buf);
  std::snprintf(buf, sizeof(buf), "%.6g", lo);
  s += "  min " + std::string(buf);
  std::snprintf(buf, sizeof(buf), "%.6g", hi);
  s += "  max " + std::string(buf) + "\n";
  return s;
}

}  // namespace facet::cli
