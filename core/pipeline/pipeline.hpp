// Pipeline: a PipelineSpec resolved and validated before any GPU allocation: plugins and
// components found, params known and typed (defaults filled), inputs wired to existing ports,
// no cycles, files present, and every port's dtype/shape contract checked by propagating the
// input files' shapes through each component's infer(). Then run() builds one graph of all the
// stages (tensors stay on the device between them) and executes it in one submission.
//
// Ownership: holds the component instances (destroyed in reverse order) and, through them, the
// plugin libraries, which stay loaded as long as the Pipeline lives.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/executor.hpp"
#include "graph/host_tensor.hpp"
#include "pipeline/spec.hpp"
#include "plugin/registry.hpp"

namespace facet::vk {
class Context;
}

namespace facet::pipeline {

struct StageInfo {
  std::string id;
  std::string plugin;
  std::string component;
  std::vector<std::pair<std::string, TensorDesc>> outputs;  // port -> inferred desc
};

class Pipeline {
 public:
  // Throws InputError (3) or PluginError (4) with the TOML position of the offending element.
  static std::unique_ptr<Pipeline> load(const PipelineSpec& spec, plugin::PluginRegistry& plugins);
  ~Pipeline();

  const PipelineSpec& spec() const { return spec_; }
  const std::vector<StageInfo>& stages() const;
  // Builds the graph and runs it; returns the [output] tensors by "stage.port".
  std::map<std::string, HostTensor> run(vk::Context& ctx, Executor& executor);
  // The same with new values for some inputs (by input id); each must have the desc the pipeline
  // was validated with. Rebuilding the same graph reuses the executor's recorded plan.
  std::map<std::string, HostTensor> run(vk::Context& ctx, Executor& executor,
                                        const std::map<std::string, HostTensor>& inputs);

 private:
  struct Stage;
  Pipeline() = default;
  PipelineSpec spec_;
  std::vector<std::unique_ptr<Stage>> stages_;  // in topological order
  std::vector<StageInfo> info_;
  std::map<std::string, TensorDesc> input_descs_;
  std::vector<PortRef> outputs_;
};

}  // namespace facet::pipeline
