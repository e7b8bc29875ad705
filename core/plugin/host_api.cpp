#include "plugin/host_api.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "graph/quantize_on_load.hpp"
#include "plugin/loader.hpp"
#include "util/error.hpp"

namespace facet::plugin {

namespace {

thread_local std::string g_last_error;

template <class F>
facet_status guarded(F&& f) {
  try {
    f();
    return FACET_OK;
  } catch (const std::exception& e) {
    return to_status(e);
  }
}

void host_log(int level, const char* message) {
  spdlog::log(static_cast<spdlog::level::level_enum>(std::clamp(level, 0, 5)), "{}", message ? message : "");
}

const char* host_last_error() { return g_last_error.c_str(); }

facet_status host_weights_find(facet_weights w, const char* name, facet_tensor_desc* desc, int* found) {
  return guarded([&] {
    if (!name || !desc || !found) throw InputError("weights_find: null argument");
    *found = 0;
    if (!w) return;
    if (auto ref = w->set->find(name)) {
      *desc = to_c(ref->desc);
      *found = 1;
    }
  });
}

// A weight of the stage's weight set, as stored (dtype = the stored one) or quantized on load.
ValueId graph_weight(facet_graph g, facet_weights w, const char* name, std::optional<DType> as) {
  if (!g || !name) throw InputError("graph_weight: null argument");
  if (!w) throw InputError("stage '" + g->stage + "' has no weights but asks for tensor '" + name + "'");
  auto ref = w->set->find(name);
  if (!ref) throw InputError("stage '" + g->stage + "': tensor '" + std::string(name) + "' not found in '" + w->set->path() + "'");
  const DType dtype = as.value_or(ref->desc.dtype);
  std::string key = w->set->path() + "\n" + name + "\n" + std::string(dtype_name(dtype));
  if (auto it = g->weights.find(key); it != g->weights.end()) return it->second;
  ConstantData data{ref->data, ref->bytes, ref->keepalive};
  TensorDesc desc = ref->desc;
  if (dtype != ref->desc.dtype) {
    const DTypeInfo& q = dtype_info(dtype);
    if (desc.rank < 1 || desc.dims[desc.rank - 1] % q.block_elems != 0)
      throw InputError("stage '" + g->stage + "': tensor '" + name + "' " + desc.str() + " has rows that are not whole " +
                       std::string(dtype_name(dtype)) + " blocks");
    try {
      data = quantized_constant(data, desc.dtype, desc.elements(), dtype);
    } catch (const InputError& e) {
      throw InputError("stage '" + g->stage + "': tensor '" + name + "': " + e.what());
    }
    desc.dtype = dtype;
  }
  ValueId v = g->graph->constant(g->stage + "." + name, desc, std::move(data));
  g->weights[key] = v;
  return v;
}

facet_status host_graph_weight(facet_graph g, facet_weights w, const char* name, facet_tensor* out) {
  return guarded([&] {
    if (!out) throw InputError("graph_weight: null argument");
    *out = graph_weight(g, w, name, std::nullopt);
  });
}

facet_status host_graph_weight_as(facet_graph g, facet_weights w, const char* name, facet_dtype dtype, facet_tensor* out) {
  return guarded([&] {
    if (!out) throw InputError("graph_weight_as: null argument");
    if (static_cast<uint32_t>(dtype) > static_cast<uint32_t>(DType::Q6_K)) throw InputError("graph_weight_as: unknown dtype");
    *out = graph_weight(g, w, name, static_cast<DType>(dtype));
  });
}

facet_status host_graph_desc(facet_graph g, facet_tensor t, facet_tensor_desc* desc) {
  return guarded([&] {
    if (!g || !desc) throw InputError("graph_desc: null argument");
    *desc = to_c(g->graph->value(t).desc);
  });
}

facet_status host_graph_op(facet_graph g, const char* op, const char* node_name, const facet_tensor* inputs,
                           uint32_t n_inputs, const facet_attr* attrs, uint32_t n_attrs, facet_tensor* out) {
  return guarded([&] {
    if (!g || !op || !node_name || !out || (n_inputs && !inputs) || (n_attrs && !attrs))
      throw InputError("graph_op: null argument");
    if (std::string(op) == "dispatch") throw InputError("graph_op: use graph_dispatch for plugin kernels");
    std::vector<ValueId> ins(inputs, inputs + n_inputs);
    Attrs a;
    for (uint32_t i = 0; i < n_attrs; ++i) {
      if (!attrs[i].name) throw InputError("graph_op: attribute without a name");
      if (attrs[i].type == FACET_ATTR_INT) a[attrs[i].name] = attrs[i].i;
      else a[attrs[i].name] = attrs[i].f;
    }
    *out = g->graph->op(g->stage + "." + node_name, op, ins, a);
  });
}

facet_status host_graph_reshape(facet_graph g, facet_tensor t, const facet_tensor_desc* shape, facet_tensor* out) {
  return guarded([&] {
    if (!g || !shape || !out) throw InputError("graph_reshape: null argument");
    *out = g->graph->reshape(t, from_c(*shape));
  });
}

facet_status host_graph_dispatch(facet_graph g, const facet_dispatch_desc* d, facet_tensor* out) {
  return guarded([&] {
    if (!g || !d || !out || !d->kernel || !d->node_name || (d->n_inputs && !d->inputs) ||
        (d->push_size && !d->push_constants) || (d->n_spec_constants && !d->spec_constants))
      throw InputError("graph_dispatch: null argument");
    if (d->struct_size < sizeof(facet_dispatch_desc)) throw InputError("graph_dispatch: descriptor too small");
    std::string kernel = d->kernel;
    std::string prefix = g->plugin ? g->plugin->name + "/" : "";
    if (prefix.empty() || kernel.rfind(prefix, 0) != 0)
      throw InputError("stage '" + g->stage + "' dispatches kernel '" + kernel + "', which is not one of plugin '" +
                       (g->plugin ? g->plugin->name : "?") + "'");
    CustomDispatch cd;
    cd.kernel = kernel;
    const auto* push = static_cast<const uint8_t*>(d->push_constants);
    cd.push.assign(push, push + d->push_size);
    cd.groups = {d->groups[0], d->groups[1], d->groups[2]};
    cd.spec.assign(d->spec_constants, d->spec_constants + d->n_spec_constants);
    cd.cpu_reference = d->cpu_reference;
    cd.keepalive = g->plugin;
    std::vector<ValueId> ins(d->inputs, d->inputs + d->n_inputs);
    *out = g->graph->dispatch(g->stage + "." + d->node_name, ins, from_c(d->output), std::move(cd));
  });
}

facet_status host_graph_state(facet_graph g, const char* name, const facet_tensor_desc* desc, facet_tensor* out) {
  return guarded([&] {
    if (!g || !name || !desc || !out) throw InputError("graph_state: null argument");
    *out = g->graph->state(g->stage + "." + name, from_c(*desc));
  });
}

// Plugin-computed constants by content: equal tables share one host copy (and so one upload and
// one plan fingerprint) for as long as any graph or executor holds them.
std::shared_ptr<const std::vector<uint8_t>> intern_constant(const void* data, size_t bytes) {
  static std::mutex mutex;
  static std::map<std::pair<uint64_t, size_t>, std::weak_ptr<const std::vector<uint8_t>>> cache;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < bytes; ++i) h = (h ^ static_cast<const uint8_t*>(data)[i]) * 1099511628211ull;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[{h, bytes}];
  if (auto hit = slot.lock(); hit && std::memcmp(hit->data(), data, bytes) == 0) return hit;
  auto copy = std::make_shared<const std::vector<uint8_t>>(static_cast<const uint8_t*>(data),
                                                           static_cast<const uint8_t*>(data) + bytes);
  slot = copy;
  return copy;
}

facet_status host_graph_constant(facet_graph g, const char* name, const facet_tensor_desc* desc, const void* data,
                                 size_t bytes, facet_tensor* out) {
  return guarded([&] {
    if (!g || !name || !desc || !out || (bytes && !data)) throw InputError("graph_constant: null argument");
    TensorDesc d = from_c(*desc);
    if (bytes != d.bytes())
      throw InputError("graph_constant '" + std::string(name) + "': " + std::to_string(bytes) + " bytes for " + d.str());
    auto copy = intern_constant(data, bytes);
    *out = g->graph->constant(g->stage + "." + name, d, ConstantData{copy->data(), copy->size(), copy});
  });
}

facet_status host_weights_file(facet_weights w, const char* name, const char** data, size_t* size, int* found) {
  return guarded([&] {
    if (!name || !data || !size || !found) throw InputError("weights_file: null argument");
    *found = 0;
    *data = nullptr;
    *size = 0;
    if (!w) return;
    if (auto text = w->set->file(name)) {
      *data = text->data();
      *size = text->size();
      *found = 1;
    }
  });
}

facet_status host_weights_data(facet_weights w, const char* name, facet_tensor_desc* desc, const void** data, size_t* bytes) {
  return guarded([&] {
    if (!w || !name || !desc || !data || !bytes) throw InputError("weights_data: null argument");
    auto t = w->set->find(name);
    if (!t) throw InputError("missing weight tensor '" + std::string(name) + "' in " + w->set->path());
    *desc = to_c(t->desc);
    *data = t->data;
    *bytes = static_cast<size_t>(t->bytes);
  });
}

const facet_host_api kHostApi = {
    sizeof(facet_host_api), FACET_ABI_MAJOR, FACET_ABI_MINOR, host_log, host_last_error, host_weights_find,
    host_graph_weight, host_graph_desc, host_graph_op, host_graph_reshape, host_graph_dispatch, host_weights_file,
    host_graph_state, host_graph_constant, host_weights_data, host_graph_weight_as,
};

}  // namespace

const facet_host_api* host_api() { return &kHostApi; }

void set_last_error(const std::string& message) { g_last_error = message; }

facet_status to_status(const std::exception& e) {
  g_last_error = e.what();
  if (const auto* fe = dynamic_cast<const Error*>(&e)) {
    switch (fe->code()) {
      case ExitCode::Gpu: return FACET_ERROR_GPU;
      case ExitCode::InvalidInput:
      case ExitCode::Usage:
      case ExitCode::Plugin: return FACET_ERROR_INVALID_ARGUMENT;
      default: return FACET_ERROR_INTERNAL;
    }
  }
  return FACET_ERROR_INTERNAL;
}

facet_tensor_desc to_c(const TensorDesc& d) {
  facet_tensor_desc c{static_cast<facet_dtype>(d.dtype), d.rank, {0, 0, 0, 0}};
  for (uint32_t i = 0; i < d.rank; ++i) c.dims[i] = d.dims[i];
  return c;
}

TensorDesc from_c(const facet_tensor_desc& c) {
  if (c.rank > FACET_MAX_DIMS) throw InputError("tensor rank " + std::to_string(c.rank) + " above 4");
  if (c.dtype > FACET_DTYPE_Q6_K) throw InputError("unknown dtype code " + std::to_string(c.dtype));
  TensorDesc d;
  d.dtype = static_cast<DType>(c.dtype);
  d.rank = c.rank;
  for (uint32_t i = 0; i < c.rank; ++i) {
    if (c.dims[i] <= 0) throw InputError("tensor dimension " + std::to_string(c.dims[i]) + " is not positive");
    d.dims[i] = c.dims[i];
  }
  return d;
}

}  // namespace facet::plugin
