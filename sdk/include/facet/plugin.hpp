// Header-only C++ layer over the Facet C ABI (facet/abi.h).
//
// A component is a class deriving from facet::sdk::Component with static descriptors (name,
// kind, doc, inputs, outputs, params), a constructor taking a StageConfig, and infer()/build().
// FACET_PLUGIN(name, version, facet::sdk::component<MyComponent>(), ...) defines the exported
// entry point; exceptions thrown by a component become status codes with their message.
// See sdk/template for a complete plugin and docs/writing-a-plugin.md for a walkthrough.
#pragma once

#include <facet/abi.h>

#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace facet::sdk {

// An error with the status it maps to at the boundary.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, facet_status status = FACET_ERROR_INVALID_ARGUMENT)
      : std::runtime_error(message), status_(status) {}
  facet_status status() const { return status_; }

 private:
  facet_status status_;
};

namespace detail {
inline const facet_host_api*& host_slot() {
  static const facet_host_api* host = nullptr;
  return host;
}
inline void check(facet_status status, const char* what) {
  if (status != FACET_OK) {
    const char* msg = host_slot() ? host_slot()->last_error() : "";
    throw Error(std::string(what) + ": " + (msg ? msg : ""), status);
  }
}
inline void write_error(facet_error* error, const char* message) {
  if (!error) return;
  std::snprintf(error->message, sizeof(error->message), "%s", message);
}
// Runs f, turning exceptions into a status and a message.
template <class F>
facet_status guard(facet_error* error, F&& f) {
  try {
    f();
    return FACET_OK;
  } catch (const Error& e) {
    write_error(error, e.what());
    return e.status();
  } catch (const std::exception& e) {
    write_error(error, e.what());
    return FACET_ERROR_INTERNAL;
  } catch (...) {
    write_error(error, "unknown exception in plugin");
    return FACET_ERROR_INTERNAL;
  }
}
}  // namespace detail

inline const facet_host_api& host() { return *detail::host_slot(); }

inline void log_info(const std::string& message) { host().log(2, message.c_str()); }

// A tensor descriptor with value semantics and helpers.
struct Desc : facet_tensor_desc {
  Desc() : facet_tensor_desc{FACET_DTYPE_F32, 0, {0, 0, 0, 0}} {}
  Desc(const facet_tensor_desc& d) : facet_tensor_desc(d) {}  // NOLINT: implicit by design
  Desc(facet_dtype type, std::initializer_list<int64_t> shape) : Desc() {
    if (shape.size() > FACET_MAX_DIMS) throw Error("tensor rank above 4");
    dtype = type;
    rank = static_cast<uint32_t>(shape.size());
    uint32_t i = 0;
    for (int64_t d : shape) dims[i++] = d;
  }
  int64_t dim(int i) const { return dims[i < 0 ? static_cast<int>(rank) + i : i]; }
  // An unwired optional input (ABI 1.3) as infer() sees it.
  bool absent() const { return dtype == FACET_DTYPE_ANY && rank == 0; }
  int64_t elements() const {
    int64_t n = 1;
    for (uint32_t i = 0; i < rank; ++i) n *= dims[i];
    return n;
  }
};

// A value in the graph being built.
struct Tensor {
  facet_graph graph = nullptr;
  facet_tensor id = 0;
  // False for an unwired optional input (ABI 1.3).
  bool present() const { return id != FACET_NO_TENSOR; }
  Desc desc() const {
    facet_tensor_desc d{};
    detail::check(host().graph_desc(graph, id, &d), "graph_desc");
    return d;
  }
};

inline facet_attr attr(const char* name, int64_t value) { return {name, FACET_ATTR_INT, value, 0.0}; }
inline facet_attr attr(const char* name, double value) { return {name, FACET_ATTR_FLOAT, 0, value}; }

class Weights {
 public:
  explicit Weights(facet_weights w = nullptr) : w_(w) {}
  bool present() const { return w_ != nullptr; }
  facet_weights handle() const { return w_; }
  bool has(const std::string& name) const {
    facet_tensor_desc d{};
    int found = 0;
    detail::check(host().weights_find(w_, name.c_str(), &d, &found), "weights_find");
    return found != 0;
  }
  // The tensor's desc; throws naming the tensor when it is missing.
  Desc desc(const std::string& name) const {
    if (!w_) throw Error("stage has no weights but needs tensor '" + name + "'");
    facet_tensor_desc d{};
    int found = 0;
    detail::check(host().weights_find(w_, name.c_str(), &d, &found), "weights_find");
    if (!found) throw Error("missing weight tensor '" + name + "'");
    return d;
  }
  // An auxiliary file of the model folder ("config.json", ...); false when absent.
  bool file(const std::string& name, std::string* text) const {
    if (!w_) return false;
    const char* data = nullptr;
    size_t size = 0;
    int found = 0;
    detail::check(host().weights_file(w_, name.c_str(), &data, &size, &found), name.c_str());
    if (found) text->assign(data, size);
    return found != 0;
  }
  // Quantize on load (ABI 1.4): Graph::weight gives 2-D float tensors whose rows are whole blocks
  // as `dtype` (FACET_DTYPE_Q8_0, Q4_0 or Q4_1); FACET_DTYPE_F32 (the default) keeps every tensor
  // as stored.
  void quantize_matrices(facet_dtype dtype) { matrix_dtype_ = dtype; }
  facet_dtype matrix_dtype() const { return matrix_dtype_; }
  // The values of a small f32 tensor, read on the host (ABI 1.4); throws naming the tensor when it
  // is missing or not f32.
  std::vector<float> read_f32(const std::string& name) const {
    if (!w_) throw Error("stage has no weights but needs tensor '" + name + "'");
    facet_tensor_desc d{};
    const void* data = nullptr;
    size_t bytes = 0;
    detail::check(host().weights_data(w_, name.c_str(), &d, &data, &bytes), name.c_str());
    if (d.dtype != FACET_DTYPE_F32) throw Error("tensor '" + name + "' must be f32 to be read on the host");
    std::vector<float> out(bytes / sizeof(float));
    if (bytes) std::memcpy(out.data(), data, out.size() * sizeof(float));
    return out;
  }

 private:
  facet_weights w_;
  facet_dtype matrix_dtype_ = FACET_DTYPE_F32;
};

// A dispatch of the plugin's own kernel (see facet_dispatch_desc).
struct Dispatch {
  std::string kernel;
  std::string node_name;
  std::vector<Tensor> inputs;
  Desc output;
  std::vector<unsigned char> push;
  uint32_t groups[3] = {1, 1, 1};
  std::vector<uint32_t> spec;
  facet_cpu_reference_fn cpu_reference = nullptr;

  template <class T>
  Dispatch& push_constants(const T& value) {
    push.resize(sizeof(T));
    std::memcpy(push.data(), &value, sizeof(T));
    return *this;
  }
};

class Graph {
 public:
  explicit Graph(facet_graph g) : g_(g) {}
  facet_graph handle() const { return g_; }

  // A weight tensor; when `w` quantizes matrices on load (Weights::quantize_matrices), a 2-D f32,
  // f16 or bf16 tensor whose rows are whole blocks comes as that block type (ABI 1.4).
  Tensor weight(const Weights& w, const std::string& name) {
    facet_tensor t = 0;
    const facet_dtype q = w.matrix_dtype();
    if (q != FACET_DTYPE_F32) {
      const Desc d = w.desc(name);
      const bool is_float = d.dtype == FACET_DTYPE_F32 || d.dtype == FACET_DTYPE_F16 || d.dtype == FACET_DTYPE_BF16;
      if (d.rank == 2 && is_float && d.dims[1] % 32 == 0) {  // Q8_0/Q4_0/Q4_1 blocks of 32
        detail::check(host().graph_weight_as(g_, w.handle(), name.c_str(), q, &t), name.c_str());
        return {g_, t};
      }
    }
    detail::check(host().graph_weight(g_, w.handle(), name.c_str(), &t), name.c_str());
    return {g_, t};
  }
  Tensor op(const std::string& op, const std::string& node_name, std::initializer_list<Tensor> inputs,
            std::initializer_list<facet_attr> attrs = {}) {
    std::vector<facet_tensor> ids;
    for (const Tensor& t : inputs) ids.push_back(t.id);
    std::vector<facet_attr> a(attrs);
    facet_tensor out = 0;
    detail::check(host().graph_op(g_, op.c_str(), node_name.c_str(), ids.data(),
                                  static_cast<uint32_t>(ids.size()), a.data(),
                                  static_cast<uint32_t>(a.size()), &out),
                  node_name.c_str());
    return {g_, out};
  }
  // A persistent tensor (ABI 1.2): kept by the executor across runs, e.g. a KV cache.
  Tensor state(const std::string& name, const Desc& desc) {
    if (host().abi_minor < 2) throw Error("graph states need a facet host with plugin ABI 1.2 or newer");
    facet_tensor out = 0;
    detail::check(host().graph_state(g_, name.c_str(), &desc, &out), name.c_str());
    return {g_, out};
  }
  // A constant computed by the plugin (ABI 1.2); the host keeps a copy. `values` must hold
  // desc's elements in desc's dtype.
  template <class T>
  Tensor constant(const std::string& name, const Desc& desc, const std::vector<T>& values) {
    if (host().abi_minor < 2) throw Error("plugin constants need a facet host with plugin ABI 1.2 or newer");
    facet_tensor out = 0;
    detail::check(host().graph_constant(g_, name.c_str(), &desc, values.data(), values.size() * sizeof(T), &out),
                  name.c_str());
    return {g_, out};
  }
  Tensor reshape(const Tensor& t, const Desc& shape) {
    facet_tensor out = 0;
    detail::check(host().graph_reshape(g_, t.id, &shape, &out), "reshape");
    return {g_, out};
  }
  Tensor dispatch(const Dispatch& d) {
    std::vector<facet_tensor> ids;
    for (const Tensor& t : d.inputs) ids.push_back(t.id);
    facet_dispatch_desc desc{};
    desc.struct_size = sizeof(desc);
    desc.kernel = d.kernel.c_str();
    desc.node_name = d.node_name.c_str();
    desc.inputs = ids.data();
    desc.n_inputs = static_cast<uint32_t>(ids.size());
    desc.output = d.output;
    desc.push_constants = d.push.data();
    desc.push_size = static_cast<uint32_t>(d.push.size());
    std::memcpy(desc.groups, d.groups, sizeof(desc.groups));
    desc.spec_constants = d.spec.data();
    desc.n_spec_constants = static_cast<uint32_t>(d.spec.size());
    desc.cpu_reference = d.cpu_reference;
    facet_tensor out = 0;
    detail::check(host().graph_dispatch(g_, &desc, &out), d.node_name.c_str());
    return {g_, out};
  }

 private:
  facet_graph g_;
};

// Parameters and weights of the stage being created.
class StageConfig {
 public:
  StageConfig(const facet_stage_config* c, const facet_param_desc* descs, uint32_t n)
      : c_(c), descs_(descs), n_(n) {}
  std::string stage_id() const { return c_->stage_id; }
  Weights weights() const { return Weights(c_->weights); }
  int64_t get_int(const char* name) const { return find(name, FACET_PARAM_INT).i; }
  double get_float(const char* name) const { return find(name, FACET_PARAM_FLOAT).f; }
  bool get_bool(const char* name) const { return find(name, FACET_PARAM_BOOL).i != 0; }
  std::string get_string(const char* name) const { return find(name, FACET_PARAM_STRING).s; }

 private:
  const facet_param_value& find(const char* name, facet_param_type type) const {
    for (uint32_t i = 0; i < n_ && i < c_->n_params; ++i) {
      if (std::strcmp(descs_[i].name, name) == 0) {
        if (descs_[i].type != type) throw Error(std::string("param '") + name + "' read with the wrong type", FACET_ERROR_INTERNAL);
        return c_->params[i];
      }
    }
    throw Error(std::string("param '") + name + "' is not declared", FACET_ERROR_INTERNAL);
  }
  const facet_stage_config* c_;
  const facet_param_desc* descs_;
  uint32_t n_;
};

using Ports = std::vector<facet_port_desc>;
using Params = std::vector<facet_param_desc>;

inline facet_tensor_desc contract(facet_dtype dtype, std::initializer_list<int64_t> dims) {
  return Desc(dtype, dims);
}

// Base class of components. Derived classes also declare (static):
//   name, kind, doc, inputs (Ports), outputs (Ports), params (Params),
//   and optionally `static constexpr uint64_t optional_inputs` (bit i: input i may stay unwired;
//   infer() then sees Desc::absent() and build() a Tensor that is not present()).
class Component {
 public:
  virtual ~Component() = default;
  virtual std::vector<Desc> infer(const std::vector<Desc>& inputs) = 0;
  virtual std::vector<Tensor> build(Graph& graph, const std::vector<Tensor>& inputs) = 0;
};

namespace detail {
template <class C, class = void>
struct optional_mask {
  static constexpr uint64_t value = 0;
};
template <class C>
struct optional_mask<C, std::void_t<decltype(C::optional_inputs)>> {
  static constexpr uint64_t value = C::optional_inputs;
};
}  // namespace detail

template <class C>
facet_component_desc component() {
  facet_component_desc d{};
  d.struct_size = sizeof(d);
  d.name = C::name;
  d.kind = C::kind;
  d.doc = C::doc;
  d.inputs = C::inputs.data();
  d.n_inputs = static_cast<uint32_t>(C::inputs.size());
  d.outputs = C::outputs.data();
  d.n_outputs = static_cast<uint32_t>(C::outputs.size());
  d.params = C::params.data();
  d.n_params = static_cast<uint32_t>(C::params.size());
  d.create = [](const facet_stage_config* config, void** instance, facet_error* error) {
    return detail::guard(error, [&] {
      StageConfig cfg(config, C::params.data(), static_cast<uint32_t>(C::params.size()));
      *instance = static_cast<Component*>(new C(cfg));
    });
  };
  d.infer = [](void* instance, const facet_tensor_desc* in, facet_tensor_desc* out, facet_error* error) {
    return detail::guard(error, [&] {
      std::vector<Desc> inputs(in, in + C::inputs.size());
      std::vector<Desc> outputs = static_cast<Component*>(instance)->infer(inputs);
      if (outputs.size() != C::outputs.size()) throw Error("infer returned the wrong number of outputs", FACET_ERROR_INTERNAL);
      for (size_t i = 0; i < outputs.size(); ++i) out[i] = outputs[i];
    });
  };
  d.build = [](void* instance, facet_graph g, const facet_tensor* in, facet_tensor* out, facet_error* error) {
    return detail::guard(error, [&] {
      Graph graph(g);
      std::vector<Tensor> inputs;
      for (size_t i = 0; i < C::inputs.size(); ++i) inputs.push_back({g, in[i]});
      std::vector<Tensor> outputs = static_cast<Component*>(instance)->build(graph, inputs);
      if (outputs.size() != C::outputs.size()) throw Error("build returned the wrong number of outputs", FACET_ERROR_INTERNAL);
      for (size_t i = 0; i < outputs.size(); ++i) out[i] = outputs[i].id;
    });
  };
  d.destroy = [](void* instance) { delete static_cast<Component*>(instance); };
  d.optional_inputs = detail::optional_mask<C>::value;
  return d;
}

namespace detail {
inline const facet_plugin_desc* entry(const facet_host_api* host, const char* name, const char* version,
                                      const facet_kernel_desc* kernels, const uint32_t* kernel_count,
                                      std::initializer_list<facet_component_desc> components) {
  if (!host || host->abi_major != FACET_ABI_MAJOR) return nullptr;
  host_slot() = host;
  static std::vector<facet_component_desc> comps(components);
  static facet_plugin_desc desc{};
  desc.struct_size = sizeof(desc);
  desc.abi_major = FACET_ABI_MAJOR;
  desc.abi_minor = FACET_ABI_MINOR;
  desc.name = name;
  desc.version = version;
  desc.components = comps.data();
  desc.n_components = static_cast<uint32_t>(comps.size());
  desc.kernels = kernel_count ? kernels : nullptr;
  desc.n_kernels = kernel_count ? *kernel_count : 0;
  return &desc;
}
}  // namespace detail

}  // namespace facet::sdk

// Defines the plugin's entry point. `plugin_name` is the CMake target name given to
// facet_add_plugin(); its shaders (if any) are found as <plugin_name>_kernels.
#define FACET_PLUGIN(plugin_name, version, ...)                                                   \
  extern "C" const facet_kernel_desc plugin_name##_kernels[] __attribute__((weak));             \
  extern "C" const uint32_t plugin_name##_kernel_count __attribute__((weak));                   \
  extern "C" FACET_EXPORT const facet_plugin_desc* facet_plugin_entry(const facet_host_api* host) { \
    return ::facet::sdk::detail::entry(host, #plugin_name, version, plugin_name##_kernels,       \
                                       &plugin_name##_kernel_count, {__VA_ARGS__});             \
  }
