// Pipelines built in code (model folders without TOML): a stage, a param, and the "ids" and
// "positions" inputs a language model takes.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pipeline/spec.hpp"

namespace facet::pipeline {

inline StageSpec make_stage(const std::string& id, const std::string& plugin, const std::string& component,
                            const std::string& weights, std::vector<ParamSpec> params,
                            std::vector<std::pair<std::string, std::vector<PortRef>>> inputs) {
  StageSpec s;
  s.id = id;
  s.plugin = plugin;
  s.component = component;
  s.weights = weights;
  s.params = std::move(params);
  s.inputs = std::move(inputs);
  return s;
}

inline ParamSpec make_param(const std::string& name, ParamValue v) { return ParamSpec{name, std::move(v), {}}; }

// Inputs "ids" (type tokens) and "positions" (type positions), appended to spec.inputs.
inline void add_token_inputs(PipelineSpec& spec) {
  for (auto [id, type] : {std::pair{"ids", InputType::Tokens}, std::pair{"positions", InputType::Positions}}) {
    InputSpec in;
    in.id = id;
    in.type = type;
    spec.inputs.push_back(in);
  }
}

}  // namespace facet::pipeline
