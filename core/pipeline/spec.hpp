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

// What feeds a pipeline input. `File`: an NPY file. The others are given at run time by the
// commands that run language models (facet run): `Image` the preprocessed pixels of each --image
// (the stages that depend on it run once per image), `Tokens` the prompt's token ids, `Positions`
// their positions in the KV cache, `Instruction` the user's message without its image markers,
// tokenized by the input's own tokenizer (InstructBLIP's Q-Former), `Boxes` the regions of
// --region as f32 [R, 4] (x1, y1, x2, y2 in pixels of the image the model saw; the stages that
// depend on it run once per prompt, and their rows follow the images' rows in the media).
enum class InputType { File, Image, Tokens, Positions, Instruction, Boxes };

struct InputSpec {
  std::string id;
  InputType type = InputType::File;
  std::string file;  // File: NPY, resolved against the TOML's folder
  // Image: folder holding preprocessor_config.json (or the file itself), and LLaVA-1.5's
  // image_aspect_ratio = "pad" (pad to a square of the processor's mean color first).
  std::string processor;
  bool pad_to_square = false;
  // Instruction: folder holding tokenizer.json (or the file itself).
  std::string tokenizer;
  // Set instead of `file` by commands that build a pipeline in code (facet embed): the tensor itself.
  std::shared_ptr<const HostTensor> tensor;
  SourcePos pos;
};

// The chat settings of a pipeline with a language model ([chat]).
struct ChatSpec {
  std::string template_name;  // empty: the one recognised from the LLM's tokenizer_config.json
  std::string system;         // system message; empty: none
  std::string fallback_template;  // used when the tokenizer has no template Facet recognises
  std::string prompt_layout;      // "": <image> markers (media_prompt); "kosmos2": Kosmos2Processor's (set in code)
  SourcePos pos;
};

// How the language model writes boxes ([grounding]): `facet run` parses its answer into entities
// in the original image's pixels. Empty format: the pipeline declares no grounding.
struct GroundingSpec {
  std::string format;  // a grounding::Format name ("shikra", "kosmos2", ...), checked while parsing
  SourcePos pos;
};

struct StageSpec {
  std::string id;
  std::string plugin;
  std::string component;  // empty: the plugin's only component
  std::string weights;    // empty: none
  std::vector<ParamSpec> params;
  // port -> sources: one, or several concatenated along their first dim (in this order).
  std::vector<std::pair<std::string, std::vector<PortRef>>> inputs;
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
  ChatSpec chat;
  GroundingSpec grounding;

  std::string where(const SourcePos& p) const;  // "file:line:column"
  // An input of type tokens: the pipeline ends in a language model (run by a VlmSession).
  bool has_language_model() const {
    for (const auto& in : inputs)
      if (in.type == InputType::Tokens) return true;
    return false;
  }
};

// A reference to an input ("id") or a stage port ("stage.port") made in code.
PortRef port_ref(const std::string& text);

// Parses a pipeline file; throws InputError "file:line:column: message" on syntax errors,
// unknown keys, wrong types, or unset ${VARIABLES} in paths.
PipelineSpec parse_pipeline_file(const std::string& path);
PipelineSpec parse_pipeline_text(const std::string& text, const std::string& path);

}  // namespace facet::pipeline
