#include "pipeline/pipeline.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <functional>
#include <set>

#include "graph/op_registry.hpp"
#include "io/npy.hpp"
#include "io/weights.hpp"
#include "plugin/host_api.hpp"
#include "plugin/loader.hpp"
#include "util/error.hpp"
#include "vk/context.hpp"
#include "vk/kernel_cache.hpp"

namespace facet::pipeline {

namespace fs = std::filesystem;

struct Pipeline::Stage {
  const StageSpec* spec = nullptr;
  std::shared_ptr<const plugin::LoadedPlugin> plugin;
  const facet_component_desc* component = nullptr;
  facet_weights_t weights;
  std::vector<std::string> string_params;  // storage for STRING values during create
  void* instance = nullptr;
  // Per declared input port: its sources (several are concatenated along dim 0; none for an
  // unwired optional input).
  std::vector<std::vector<const PortRef*>> input_refs;
  std::vector<TensorDesc> outputs;         // per declared output port (inferred)
  ~Stage() {
    if (instance) component->destroy(instance);
  }
};

namespace {

[[noreturn]] void throw_status(facet_status s, const std::string& msg) {
  if (s == FACET_ERROR_INVALID_ARGUMENT) throw InputError(msg);
  if (s == FACET_ERROR_GPU) throw GpuError(GpuError::Kind::Other, msg);
  throw PluginError(msg);
}

std::string contract_str(const facet_tensor_desc& c) {
  std::string s = c.dtype == FACET_DTYPE_ANY ? "any" : std::string(dtype_name(static_cast<DType>(c.dtype)));
  s += " [";
  for (uint32_t i = 0; i < c.rank; ++i) s += (i ? ", " : "") + (c.dims[i] < 0 ? std::string("*") : std::to_string(c.dims[i]));
  return s + "]";
}

bool satisfies(const TensorDesc& d, const facet_tensor_desc& c) {
  if (c.dtype != FACET_DTYPE_ANY && static_cast<uint32_t>(d.dtype) != static_cast<uint32_t>(c.dtype)) return false;
  if (d.rank != c.rank) return false;
  for (uint32_t i = 0; i < c.rank; ++i)
    if (c.dims[i] >= 0 && c.dims[i] != d.dims[i]) return false;
  return true;
}

facet_param_value param_value(const facet_param_desc& pd, const ParamValue* given, std::vector<std::string>& strings,
                              const std::function<void(const std::string&)>& fail) {
  facet_param_value v{pd.type, 0, 0.0, nullptr};
  auto from_text = [&](const std::string& text) {
    try {
      switch (pd.type) {
        case FACET_PARAM_INT: v.i = std::stoll(text); break;
        case FACET_PARAM_FLOAT: v.f = std::stod(text); break;
        case FACET_PARAM_BOOL: v.i = text == "true" || text == "1"; break;
        case FACET_PARAM_STRING: strings.push_back(text); break;
      }
    } catch (const std::exception&) {
      fail("default '" + text + "' of param '" + pd.name + "' does not parse");
    }
  };
  if (!given) {
    from_text(pd.default_value ? pd.default_value : "");
  } else {
    const char* want[] = {"an integer", "a number", "true or false", "a string"};
    bool ok = true;
    switch (pd.type) {
      case FACET_PARAM_INT:
        if (const auto* i = std::get_if<int64_t>(given)) v.i = *i; else ok = false;
        break;
      case FACET_PARAM_FLOAT:
        if (const auto* f = std::get_if<double>(given)) v.f = *f;
        else if (const auto* i = std::get_if<int64_t>(given)) v.f = static_cast<double>(*i);
        else ok = false;
        break;
      case FACET_PARAM_BOOL:
        if (const auto* b = std::get_if<bool>(given)) v.i = *b; else ok = false;
        break;
      case FACET_PARAM_STRING:
        if (const auto* s = std::get_if<std::string>(given)) strings.push_back(*s); else ok = false;
        break;
    }
    if (!ok) fail("param '" + std::string(pd.name) + "' must be " + want[pd.type]);
  }
  return v;
}

}  // namespace

Pipeline::~Pipeline() {
  while (!stages_.empty()) stages_.pop_back();  // reverse order of creation
}

const std::vector<StageInfo>& Pipeline::stages() const { return info_; }

std::unique_ptr<Pipeline> Pipeline::load(const PipelineSpec& spec_in, plugin::PluginRegistry& plugins) {
  std::unique_ptr<Pipeline> p(new Pipeline());
  p->spec_ = spec_in;
  const PipelineSpec& spec = p->spec_;
  auto fail = [&](const SourcePos& pos, const std::string& msg) { throw InputError(spec.where(pos) + ": " + msg); };

  std::map<std::string, std::shared_ptr<const io::WeightSet>> weight_sets;
  for (const InputSpec& in : spec.inputs) {
    if (in.tensor) {
      p->input_descs_[in.id] = in.tensor->desc;
      continue;
    }
    if (in.type != InputType::File)
      fail(in.pos, "input '" + in.id + "' is given at run time (type " +
                       (in.type == InputType::Image   ? "image: pass --image"
                        : in.type == InputType::Boxes ? "boxes: pass --region"
                                                      : "tokens, positions or instruction: pass --prompt") +
                       "); this command runs pipelines of file inputs only");
    std::error_code ec;
    if (!fs::is_regular_file(in.file, ec)) fail(in.pos, "input '" + in.id + "': file '" + in.file + "' does not exist");
    try {
      p->input_descs_[in.id] = io::read_npy_desc(in.file);
    } catch (const Error& e) {
      fail(in.pos, "input '" + in.id + "': " + e.what());
    }
  }

  // Resolve plugins, components, params, weights.
  std::map<std::string, const StageSpec*> by_id;
  for (const StageSpec& s : spec.stages) by_id[s.id] = &s;
  std::map<std::string, std::unique_ptr<Stage>> resolved;
  for (const StageSpec& s : spec.stages) {
    auto st = std::make_unique<Stage>();
    st->spec = &s;
    try {
      st->plugin = plugins.get(s.plugin);
    } catch (const PluginError& e) {
      throw PluginError(spec.where(s.plugin_pos) + ": stage '" + s.id + "': " + e.what());
    }
    if (s.component.empty()) {
      if (st->plugin->desc->n_components != 1)
        fail(s.pos, "stage '" + s.id + "': plugin '" + s.plugin + "' has several components; name one with component = (" +
                        [&] { std::string l; for (auto& n : st->plugin->component_names()) l += (l.empty() ? "" : ", ") + n; return l; }() + ")");
      st->component = &st->plugin->desc->components[0];
    } else {
      st->component = st->plugin->component(s.component);
      if (!st->component) fail(s.pos, "stage '" + s.id + "': plugin '" + s.plugin + "' has no component '" + s.component + "'");
    }
    const facet_component_desc& c = *st->component;
    for (const ParamSpec& ps : s.params) {
      bool known = false;
      for (uint32_t i = 0; i < c.n_params; ++i) known |= ps.name == c.params[i].name;
      if (!known) {
        std::string list;
        for (uint32_t i = 0; i < c.n_params; ++i) list += std::string(list.empty() ? "" : ", ") + c.params[i].name;
        fail(ps.pos, "stage '" + s.id + "': unknown param '" + ps.name + "' for " + s.plugin + "/" + c.name +
                         " (known: " + (list.empty() ? "none" : list) + ")");
      }
    }
    if (!s.weights.empty()) {
      try {
        // Stages naming the same weights share one WeightSet (one mapping, one upload).
        auto& shared = weight_sets[s.weights];
        if (!shared) shared = io::WeightSet::open(s.weights);
        st->weights.set = shared;
      } catch (const Error& e) {
        fail(s.weights_pos, "stage '" + s.id + "': " + e.what());
      }
    }
    // Wiring: each declared input port wired exactly once, to an existing input or stage port.
    for (const auto& [port, refs] : s.inputs) {
      bool known = false;
      for (uint32_t i = 0; i < c.n_inputs; ++i) known |= port == c.inputs[i].name;
      if (!known) fail(refs.at(0).pos, "stage '" + s.id + "': " + s.plugin + "/" + c.name + " has no input port '" + port + "'");
      for (const PortRef& ref : refs) {
        if (ref.port.empty()) {
          if (!p->input_descs_.count(ref.stage)) fail(ref.pos, "stage '" + s.id + "': '" + ref.text + "' is not a pipeline input");
        } else if (!by_id.count(ref.stage)) {
          fail(ref.pos, "stage '" + s.id + "': port '" + port + "' is wired to missing stage '" + ref.stage + "'");
        }
      }
    }
    const uint64_t optional = plugin::optional_inputs(c);
    for (uint32_t i = 0; i < c.n_inputs; ++i) {
      std::vector<const PortRef*> refs;
      for (const auto& [port, r] : s.inputs)
        if (port == c.inputs[i].name)
          for (const PortRef& ref : r) refs.push_back(&ref);
      if (refs.empty() && !(i < 64 && (optional >> i) & 1))
        fail(s.inputs_pos, "stage '" + s.id + "': input port '" + std::string(c.inputs[i].name) + "' is not wired");
      st->input_refs.push_back(std::move(refs));
    }
    resolved[s.id] = std::move(st);
  }

  // Topological order (stable: file order among ready stages); a cycle is an error.
  std::set<std::string> done;
  std::vector<std::string> order;
  while (order.size() < spec.stages.size()) {
    bool progressed = false;
    for (const StageSpec& s : spec.stages) {
      if (done.count(s.id)) continue;
      bool ready = true;
      for (const auto& refs : resolved[s.id]->input_refs)
        for (const PortRef* r : refs) ready &= r->port.empty() || done.count(r->stage);
      if (ready) {
        done.insert(s.id);
        order.push_back(s.id);
        progressed = true;
      }
    }
    if (!progressed) {
      std::string cycle;
      for (const StageSpec& s : spec.stages)
        if (!done.count(s.id)) cycle += (cycle.empty() ? "" : ", ") + s.id;
      const StageSpec* first = nullptr;
      for (const StageSpec& s : spec.stages)
        if (!done.count(s.id) && !first) first = &s;
      fail(first->pos, "the stages " + cycle + " form a cycle");
    }
  }

  // Create instances and propagate shapes through infer(), checking every port contract.
  std::map<std::string, TensorDesc> port_descs;  // "stage.port" -> desc
  for (const std::string& id : order) {
    Stage& st = *resolved[id];
    const StageSpec& s = *st.spec;
    const facet_component_desc& c = *st.component;
    std::vector<facet_param_value> values;
    st.string_params.reserve(c.n_params);
    for (uint32_t i = 0; i < c.n_params; ++i) {
      const ParamSpec* given = nullptr;
      for (const ParamSpec& ps : s.params)
        if (ps.name == c.params[i].name) given = &ps;
      if (!given && c.params[i].required)
        fail(s.pos, "stage '" + s.id + "': missing required param '" + std::string(c.params[i].name) + "'");
      SourcePos where = given ? given->pos : s.pos;
      values.push_back(param_value(c.params[i], given ? &given->value : nullptr, st.string_params,
                                   [&](const std::string& m) { fail(where, "stage '" + s.id + "': " + m); }));
    }
    size_t si = 0;
    for (auto& v : values)
      if (v.type == FACET_PARAM_STRING) v.s = st.string_params[si++].c_str();
    facet_stage_config cfg{sizeof(facet_stage_config), s.id.c_str(), values.data(), static_cast<uint32_t>(values.size()),
                           st.weights.set ? &st.weights : nullptr};
    facet_error err{};
    facet_status status = c.create(&cfg, &st.instance, &err);
    if (status != FACET_OK) throw_status(status, spec.where(s.pos) + ": stage '" + s.id + "' (" + s.plugin + "/" + c.name + "): " + err.message);

    std::vector<facet_tensor_desc> ins;
    for (uint32_t i = 0; i < c.n_inputs; ++i) {
      const std::string port = c.inputs[i].name;
      if (st.input_refs[i].empty()) {  // an unwired optional input
        ins.push_back(facet_tensor_desc{FACET_DTYPE_ANY, 0, {0, 0, 0, 0}});
        continue;
      }
      TensorDesc d;
      std::string what;
      for (const PortRef* ref : st.input_refs[i]) {
        TensorDesc one;
        if (ref->port.empty()) {
          one = p->input_descs_.at(ref->stage);
        } else {
          auto it = port_descs.find(ref->text);
          if (it == port_descs.end()) fail(ref->pos, "stage '" + s.id + "': stage '" + ref->stage + "' has no output port '" + ref->port + "'");
          one = it->second;
        }
        if (what.empty()) {
          d = one;
        } else {  // concatenated along dim 0: the rest must agree
          bool same = one.dtype == d.dtype && one.rank == d.rank && one.rank >= 1;
          for (uint32_t k = 1; same && k < one.rank; ++k) same = one.dims[k] == d.dims[k];
          if (!same)
            fail(ref->pos, "stage '" + s.id + "': port '" + port + "' concatenates " + what + " " + d.str() + " and '" +
                               ref->text + "' " + one.str() + ", which differ beyond their first dim");
          d.dims[0] += one.dims[0];
        }
        what += (what.empty() ? "'" : " + '") + ref->text + "'";
      }
      if (!satisfies(d, c.inputs[i].contract))
        fail(st.input_refs[i][0]->pos, "stage '" + s.id + "': input port '" + port + "' expects " +
                                           contract_str(c.inputs[i].contract) + " but " + what + " is " + d.str());
      ins.push_back(plugin::to_c(d));
    }
    std::vector<facet_tensor_desc> outs(c.n_outputs);
    status = c.infer(st.instance, ins.data(), outs.data(), &err);
    if (status != FACET_OK) throw_status(status, spec.where(s.pos) + ": stage '" + s.id + "' (" + s.plugin + "/" + c.name + "): " + err.message);
    StageInfo info{s.id, s.plugin, c.name, {}};
    for (uint32_t i = 0; i < c.n_outputs; ++i) {
      TensorDesc d;
      try {
        d = plugin::from_c(outs[i]);
      } catch (const Error& e) {
        throw PluginError(spec.where(s.pos) + ": stage '" + s.id + "': infer gave a bad desc for '" + c.outputs[i].name + "': " + e.what());
      }
      if (!satisfies(d, c.outputs[i].contract))
        throw PluginError(spec.where(s.pos) + ": stage '" + s.id + "': infer gave " + d.str() + " for output '" +
                          c.outputs[i].name + "', outside its contract " + contract_str(c.outputs[i].contract));
      st.outputs.push_back(d);
      port_descs[s.id + "." + c.outputs[i].name] = d;
      info.outputs.emplace_back(c.outputs[i].name, d);
    }
    p->info_.push_back(std::move(info));
    p->stages_.push_back(std::move(resolved[id]));
  }

  // Outputs: as listed, or every stage output nobody consumes.
  if (!spec.outputs.empty()) {
    for (const PortRef& r : spec.outputs) {
      if (!by_id.count(r.stage)) fail(r.pos, "output '" + r.text + "' names missing stage '" + r.stage + "'");
      if (!port_descs.count(r.text)) fail(r.pos, "stage '" + r.stage + "' has no output port '" + r.port + "'");
      p->outputs_.push_back(r);
    }
  } else {
    std::set<std::string> consumed;
    for (const auto& st : p->stages_)
      for (const auto& refs : st->input_refs)
        for (const PortRef* r : refs) consumed.insert(r->text);
    for (const auto& st : p->stages_)
      for (uint32_t i = 0; i < st->component->n_outputs; ++i) {
        std::string ref = st->spec->id + "." + st->component->outputs[i].name;
        if (!consumed.count(ref)) p->outputs_.push_back(PortRef{ref, st->spec->id, st->component->outputs[i].name, st->spec->pos});
      }
  }
  return p;
}

std::map<std::string, HostTensor> Pipeline::run(vk::Context& ctx, Executor& executor) { return run(ctx, executor, {}); }

std::map<std::string, HostTensor> Pipeline::run(vk::Context& ctx, Executor& executor,
                                                const std::map<std::string, HostTensor>& overrides) {
  for (const auto& [id, t] : overrides) {
    bool known = false;
    for (const InputSpec& in : spec_.inputs)
      if (in.id == id) {
        known = true;
        if (auto d = input_descs_.find(id); d != input_descs_.end() && d->second != t.desc)
          throw InputError("input '" + id + "' is " + t.desc.str() + " but the pipeline was validated with " + d->second.str());
      }
    if (!known) throw InputError("'" + id + "' is not an input of the pipeline");
  }
  for (const auto& st : stages_)
    for (uint32_t i = 0; i < st->plugin->desc->n_kernels; ++i) {
      const facet_kernel_desc& k = st->plugin->desc->kernels[i];
      ctx.kernels().add_source(k.name, k.spirv, k.spirv_size);
    }
  Graph graph(core_ops());
  std::map<std::string, ValueId> values;
  std::map<std::string, HostTensor> inputs;
  for (const InputSpec& in : spec_.inputs) {
    auto o = overrides.find(in.id);
    HostTensor t = o != overrides.end() ? o->second : in.tensor ? *in.tensor : io::read_npy(in.file);
    values[in.id] = graph.input(in.id, t.desc);
    inputs.emplace(in.id, std::move(t));
  }
  for (const auto& st : stages_) {
    const facet_component_desc& c = *st->component;
    facet_graph_t handle;
    handle.graph = &graph;
    handle.stage = st->spec->id;
    handle.plugin = st->plugin;
    std::vector<facet_tensor> ins;
    for (size_t i = 0; i < st->input_refs.size(); ++i) {
      const auto& refs = st->input_refs[i];
      if (refs.empty()) {
        ins.push_back(FACET_NO_TENSOR);
      } else if (refs.size() == 1) {
        ins.push_back(values.at(refs[0]->text));
      } else {  // several sources: concatenated along dim 0, pairwise
        ValueId v = values.at(refs[0]->text);
        for (size_t k = 1; k < refs.size(); ++k)
          v = graph.op(st->spec->id + ".concat." + c.inputs[i].name + "." + std::to_string(k), "concat",
                       {v, values.at(refs[k]->text)}, {{"dim", int64_t{0}}});
        ins.push_back(v);
      }
    }
    std::vector<facet_tensor> outs(c.n_outputs, 0);
    facet_error err{};
    facet_status s = c.build(st->instance, &handle, ins.data(), outs.data(), &err);
    if (s != FACET_OK)
      throw_status(s, spec_.where(st->spec->pos) + ": stage '" + st->spec->id + "' (" + st->spec->plugin + "/" + c.name + ") failed to build: " + err.message);
    for (uint32_t i = 0; i < c.n_outputs; ++i) {
      std::string ref = st->spec->id + "." + c.outputs[i].name;
      const Value& v = graph.value(outs[i]);
      if (v.desc != st->outputs[i])
        throw PluginError(spec_.where(st->spec->pos) + ": stage '" + st->spec->id + "' built " + v.desc.str() + " for '" +
                          c.outputs[i].name + "' but inferred " + st->outputs[i].str());
      values[ref] = outs[i];
    }
  }
  for (const PortRef& r : outputs_) graph.mark_output(values.at(r.text), r.text);
  return executor.run(graph, inputs);
}

}  // namespace facet::pipeline
