// PipelineSpec: a parsed pipeline TOML file, before anything is resolved. Every element keeps
// its position in the file so that errors say file:line:column. docs/pipelines.md is the
// reference of the format.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace facet {
struct HostTensor;
}

namespace facet::pipeline {

constexpr int64_t kSchemaVersion = 1;

struct SourcePos {
  uint32_t line = 0, column = 0;
};

using ParamValue = std::variant<int64_t, double, bool, std::string>;

struct ParamSpec {
  std::string name;
  ParamValue value;
  SourcePos pos;
};

// "id" (a pipeline input) or "stage.port".
struct PortRef {
  std::string text;
  std::string stage;  // the input id, or the stage id
  std::string port;   // empty for pipeline inputs
  SourcePos pos;
};

struct InputSpec {
  std::string id;
  std::string file;  // NPY, resolved against the TOML's folder
  // Set instead of `file` by commands that build a pipeline in code (facet embed): the tensor itself.
  std::shared_ptr<const HostTensor> tensor;
  SourcePos pos;
};

struct StageSpec {
  std::string id;
  std::string plugin;
  std::string component;  // empty: the plugin's only component
  std::string weights;    // empty: none
  std::vector<ParamSpec> params;
  std::vector<std::pair<std::string, PortRef>> inputs;  // port -> source
  SourcePos pos, plugin_pos, weights_pos, inputs_pos;
};

struct RuntimeSpec {
  std::string device;
  std::vector<std::string> plugin_paths;  // resolved against the TOML's folder
  uint32_t timeout_ms = 120000;
  bool profile = false;
  bool debug = false;
  bool validation = false;
  uint64_t memory_limit_mb = 0;
};

struct PipelineSpec {
  std::string path;  // the TOML file (used in every error)
  int64_t schema_version = 0;
  RuntimeSpec runtime;
  std::vector<InputSpec> inputs;
  std::vector<StageSpec> stages;
  std::vector<PortRef> outputs;  // empty: every stage output no other stage consumes
  SourcePos outputs_pos;

  std::string where(const SourcePos& p) const;  // "file:line:column"
};

// Parses a pipeline file; throws InputError "file:line:column: message" on syntax errors,
// unknown keys, wrong types, or unset ${VARIABLES} in paths.
PipelineSpec parse_pipeline_file(const std::string& path);
PipelineSpec parse_pipeline_text(const std::string& text, const std::string& path);

}  // namespace facet::pipeline
