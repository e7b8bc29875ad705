#include "llm/llm_session.hpp"

#include <chrono>

#include "util/error.hpp"

namespace facet::llm {

namespace {

std::string llm_plugin(const pipeline::ModelFolder& folder) {
  const std::string& t = folder.model_type;
  if (t == "llama" || t == "mistral" || t == "qwen2" || t == "llava" || t == "llava_llama" || t == "llava_mistral") return "llm_llama";
  throw InputError("model folder '" + folder.dir + "' holds a '" + t +
                   "' model, which is not a language model Facet knows (llama, mistral, qwen2, llava)");
}

int64_t max_positions(const pipeline::ModelFolder& folder) {
  if (folder.gguf) return folder.gguf->get_int(folder.model_type + ".context_length").value_or(2048);
  const auto& j = folder.config();
  const auto& c = folder.model_type == "llava" && j.contains("text_config") ? j["text_config"] : j;
  if (c.contains("max_position_embeddings") && c["max_position_embeddings"].is_number_integer())
    return c["max_position_embeddings"].get<int64_t>();
  return 2048;
}

pipeline::StageSpec default_stage(const pipeline::ModelFolder& folder) {
  pipeline::StageSpec st;
  st.id = "llm";
  st.plugin = llm_plugin(folder);
  st.component = "llm";
  st.weights = folder.dir;
  return st;
}

bool declares_slots(const pipeline::StageSpec& stage, plugin::PluginRegistry& registry) {
  auto plugin = registry.get(stage.plugin);
  const facet_component_desc* c = stage.component.empty() && plugin->desc->n_components == 1 ? &plugin->desc->components[0]
                                                                                              : plugin->component(stage.component);
  if (!c) return false;
  for (uint32_t i = 0; i < c->n_params; ++i)
    if (std::string(c->params[i].name) == "slots") return true;
  return false;
}

}  // namespace

LlmSession::LlmSession(const pipeline::ModelFolder& folder, plugin::PluginRegistry& registry, vk::Context& ctx,
                       Executor& executor, SessionOptions options)
    : LlmSession(default_stage(folder), folder.gguf ? folder.dir : folder.dir + "/config.json", registry, ctx, executor,
                 options) {}

LlmSession::LlmSession(const pipeline::StageSpec& stage, const std::string& path, plugin::PluginRegistry& registry,
                       vk::Context& ctx, Executor& executor, SessionOptions options)
    : stage_(stage), path_(path), registry_(registry), ctx_(ctx), executor_(executor), options_(options) {
  if (options_.chunk < 1) throw UsageError("the prefill chunk must be at least one token");
  if (options_.slots < 1 || options_.slots > 64) throw UsageError("a language model holds 1 to 64 slots, not " + std::to_string(options_.slots));
  const int64_t max_pos = stage_.weights.empty() ? 2048 : max_positions(pipeline::ModelFolder::open(stage_.weights));
  context_ = options_.context > 0 ? options_.context : std::min<int64_t>(max_pos, 4096);
  std::erase_if(stage_.params, [](const pipeline::ParamSpec& p) { return p.name == "context"; });
  stage_.params.push_back({"context", pipeline::ParamValue{context_}, stage_.pos});
  if (options_.slots > 1 && !declares_slots(stage_, registry_)) options_.slots = 1;  // a component that does not batch
  positions_.assign(static_cast<size_t>(options_.slots), 0);
  if (options_.slots > 1) {
    std::erase_if(stage_.params, [](const pipeline::ParamSpec& p) { return p.name == "slots"; });
    stage_.params.push_back({"slots", pipeline::ParamValue{options_.slots}, stage_.pos});
  }
  for (const auto& [name, value] : {std::pair{"kv_cache", options_.kv_cache}, std::pair{"quantize", options_.quantize}}) {
    if (value.empty()) continue;
    std::erase_if(stage_.params, [&](const pipeline::ParamSpec& p) { return p.name == name; });
    stage_.params.push_back({name, pipeline::ParamValue{value}, stage_.pos});
  }
  stage_.inputs = {{"ids", {pipeline::port_ref("ids")}}, {"positions", {pipeline::port_ref("positions")}}};
  executor_.reset_states();
  const auto& outs = pipeline_for(1).stages().at(0).outputs;
  if (outs.size() != 1 || outs[0].first != "logits" || outs[0].second.rank != 2)
    throw PluginError(path_ + ": stage '" + stage_.id + "' (" + stage_.plugin + ") is not a language model (one output 'logits')");
  vocab_ = outs[0].second.dims[1];
}

LlmSession::~LlmSession() = default;

pipeline::Pipeline& LlmSession::pipeline_for(int64_t tokens, bool all_logits) {
  auto it = pipelines_.find({tokens, all_logits});
  if (it != pipelines_.end()) return *it->second;
  pipeline::PipelineSpec spec;
  spec.path = path_;
  spec.schema_version = pipeline::kSchemaVersion;
  for (const char* port : {"ids", "positions"}) {
    pipeline::InputSpec in;
    in.id = port;
    in.tensor = std::make_shared<const HostTensor>(HostTensor::from_i32(std::vector<int32_t>(static_cast<size_t>(tokens))));
    spec.inputs.push_back(in);
  }
  spec.stages.push_back(stage_);
  if (all_logits) {
    std::erase_if(spec.stages[0].params, [](const pipeline::ParamSpec& p) { return p.name == "logits"; });
    spec.stages[0].params.push_back({"logits", pipeline::ParamValue{std::string("all")}, stage_.pos});
  }
  spec.outputs = {pipeline::port_ref(stage_.id + ".logits")};
  auto p = pipeline::Pipeline::load(spec, registry_);
  return *pipelines_.emplace(std::pair{tokens, all_logits}, std::move(p)).first->second;
}

void LlmSession::check_id(int32_t id) const {
  if (id < 0 || id >= vocab_) throw InputError("token id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(vocab_));
}

void LlmSession::use_slot(int64_t slot) {
  if (slot < 0 || slot >= options_.slots)
    throw InternalError("slot " + std::to_string(slot) + " of a cache of " + std::to_string(options_.slots));
  slot_ = slot;
}

std::vector<std::vector<float>> LlmSession::step(const std::vector<std::pair<int64_t, int32_t>>& slot_tokens) {
  if (slot_tokens.empty()) throw InputError("nothing to feed the language model (no tokens)");
  std::vector<int32_t> ids, rows;
  std::vector<bool> seen(static_cast<size_t>(options_.slots), false);
  for (const auto& [slot, id] : slot_tokens) {
    if (slot < 0 || slot >= options_.slots || seen[static_cast<size_t>(slot)])
      throw InternalError("a batched step names slot " + std::to_string(slot) + " twice or outside the cache");
    seen[static_cast<size_t>(slot)] = true;
    const int64_t p = positions_[static_cast<size_t>(slot)];
    if (p + 1 > context_) throw InputError("slot " + std::to_string(slot) + " is full: its " + std::to_string(p) + " tokens fill the context");
    check_id(id);
    ids.push_back(id);
    rows.push_back(static_cast<int32_t>(slot * context_ + p));
  }
  auto t0 = std::chrono::steady_clock::now();
  const auto n = static_cast<int64_t>(ids.size());
  const std::vector<float> all = pipeline_for(n, true)
                                     .run(ctx_, executor_, {{"ids", HostTensor::from_i32(ids)}, {"positions", HostTensor::from_i32(rows)}})
                                     .at(stage_.id + ".logits")
                                     .to_f32();
  last_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::vector<std::vector<float>> out;
  for (int64_t i = 0; i < n; ++i) {
    out.emplace_back(all.begin() + i * vocab_, all.begin() + (i + 1) * vocab_);
    ++positions_[static_cast<size_t>(slot_tokens[static_cast<size_t>(i)].first)];
  }
  return out;
}

std::vector<float> LlmSession::feed(const std::vector<int32_t>& ids) {
  if (ids.empty()) throw InputError("nothing to feed the language model (no tokens)");
  if (position() + static_cast<int64_t>(ids.size()) > context_)
    throw InputError(std::to_string(position()) + " tokens so far and " + std::to_string(ids.size()) +
                     " more do not fit the context of " + std::to_string(context_) + " positions");
  for (int32_t id : ids) check_id(id);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<float> logits;
  for (size_t start = 0; start < ids.size(); start += static_cast<size_t>(options_.chunk)) {
    const size_t n = std::min(ids.size() - start, static_cast<size_t>(options_.chunk));
    std::vector<int32_t> chunk(ids.begin() + start, ids.begin() + start + n), pos(n);
    for (size_t i = 0; i < n; ++i) pos[i] = row(position() + static_cast<int64_t>(i));
    auto out = pipeline_for(static_cast<int64_t>(n))
                   .run(ctx_, executor_, {{"ids", HostTensor::from_i32(chunk)}, {"positions", HostTensor::from_i32(pos)}});
    here() += static_cast<int64_t>(n);
    if (start + n == ids.size()) logits = out.at(stage_.id + ".logits").to_f32();
  }
  last_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return logits;
}

std::vector<float> LlmSession::feed(pipeline::Pipeline& p, const std::map<std::string, HostTensor>& inputs, int64_t n) {
  if (n < 1) throw InputError("nothing to feed the language model (no tokens)");
  if (position() + n > context_)
    throw InputError(std::to_string(position()) + " tokens so far and " + std::to_string(n) +
                     " more do not fit the context of " + std::to_string(context_) + " positions");
  auto t0 = std::chrono::steady_clock::now();
  auto out = p.run(ctx_, executor_, inputs);
  here() += n;
  last_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out.at(stage_.id + ".logits").to_f32();
}

void LlmSession::reset() {
  // With several slots, the others' sequences stay; a slot's rows are written before they are read.
  if (options_.slots == 1) executor_.reset_states();
  here() = 0;
}

}  // namespace facet::llm
