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

}  // namespace

LlmSession::LlmSession(const pipeline::ModelFolder& folder, plugin::PluginRegistry& registry, vk::Context& ctx,
                       Executor& executor, SessionOptions options)
    : LlmSession(default_stage(folder), folder.gguf ? folder.dir : folder.dir + "/config.json", registry, ctx, executor,
                 options) {}

LlmSession::LlmSession(const pipeline::StageSpec& stage, const std::string& path, plugin::PluginRegistry& registry,
                       vk::Context& ctx, Executor& executor, SessionOptions options)
    : stage_(stage), path_(path), registry_(registry), ctx_(ctx), executor_(executor), options_(options) {
  if (options_.chunk < 1) throw UsageError("the prefill chunk must be at least one token");
  const int64_t max_pos = stage_.weights.empty() ? 2048 : max_positions(pipeline::ModelFolder::open(stage_.weights));
  context_ = options_.context > 0 ? options_.context : std::min<int64_t>(max_pos, 4096);
  std::erase_if(stage_.params, [](const pipeline::ParamSpec& p) { return p.name == "context"; });
  stage_.params.push_back({"context", pipeline::ParamValue{context_}, stage_.pos});
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

pipeline::Pipeline& LlmSession::pipeline_for(int64_t tokens) {
  auto it = pipelines_.find(tokens);
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
  spec.outputs = {pipeline::port_ref(stage_.id + ".logits")};
  auto p = pipeline::Pipeline::load(spec, registry_);
  return *pipelines_.emplace(tokens, std::move(p)).first->second;
}

std::vector<float> LlmSession::feed(const std::vector<int32_t>& ids) {
  if (ids.empty()) throw InputError("nothing to feed the language model (no tokens)");
  if (position_ + static_cast<int64_t>(ids.size()) > context_)
    throw InputError(std::to_string(position_) + " tokens so far and " + std::to_string(ids.size()) +
                     " more do not fit the context of " + std::to_string(context_) + " positions");
  for (int32_t id : ids)
    if (id < 0 || id >= vocab_) throw InputError("token id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(vocab_));
  auto t0 = std::chrono::steady_clock::now();
  std::vector<float> logits;
  for (size_t start = 0; start < ids.size(); start += static_cast<size_t>(options_.chunk)) {
    const size_t n = std::min(ids.size() - start, static_cast<size_t>(options_.chunk));
    std::vector<int32_t> chunk(ids.begin() + start, ids.begin() + start + n), pos(n);
    for (size_t i = 0; i < n; ++i) pos[i] = static_cast<int32_t>(position_ + i);
    auto out = pipeline_for(static_cast<int64_t>(n))
                   .run(ctx_, executor_, {{"ids", HostTensor::from_i32(chunk)}, {"positions", HostTensor::from_i32(pos)}});
    position_ += static_cast<int64_t>(n);
    if (start + n == ids.size()) logits = out.at(stage_.id + ".logits").to_f32();
  }
  last_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return logits;
}

std::vector<float> LlmSession::feed(pipeline::Pipeline& p, const std::map<std::string, HostTensor>& inputs, int64_t n) {
  if (n < 1) throw InputError("nothing to feed the language model (no tokens)");
  if (position_ + n > context_)
    throw InputError(std::to_string(position_) + " tokens so far and " + std::to_string(n) +
                     " more do not fit the context of " + std::to_string(context_) + " positions");
  auto t0 = std::chrono::steady_clock::now();
  auto out = p.run(ctx_, executor_, inputs);
  position_ += n;
  last_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out.at(stage_.id + ".logits").to_f32();
}

void LlmSession::reset() {
  executor_.reset_states();
  position_ = 0;
}

}  // namespace facet::llm
