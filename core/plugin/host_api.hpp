// The host side of the C ABI: the facet_host_api table handed to every plugin, and the objects
// behind its opaque handles. Host functions never throw across the boundary: they catch, store
// the message for last_error() (thread-local) and return a status.
#pragma once

#include <facet/abi.h>

#include <map>
#include <memory>
#include <string>

#include "graph/graph.hpp"
#include "io/weights.hpp"

namespace facet::plugin {
struct LoadedPlugin;
}

struct facet_weights_t {
  std::shared_ptr<const facet::io::WeightSet> set;
};

struct facet_graph_t {
  facet::Graph* graph = nullptr;
  std::string stage;                                        // node and constant names get "<stage>." prefixed
  std::shared_ptr<const facet::plugin::LoadedPlugin> plugin;  // kernels must be "<plugin>/..."
  std::map<std::string, facet::ValueId> weights;            // each weight tensor becomes one constant
};

namespace facet::plugin {

const facet_host_api* host_api();

// Runs f; on a facet::Error or std::exception stores the message and returns the matching status.
facet_status to_status(const std::exception& e);
void set_last_error(const std::string& message);

facet_tensor_desc to_c(const TensorDesc& d);
TensorDesc from_c(const facet_tensor_desc& d);  // throws InputError on bad rank/dtype

}  // namespace facet::plugin
