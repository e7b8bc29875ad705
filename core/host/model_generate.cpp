// facet::Model's language calls: generate (one prompt, optionally with images), chat (a
// conversation), ground (boxes in the answer). Each call starts from an empty KV cache.
#include <facet/facet.hpp>

#include <chrono>

#include "grounding/json.hpp"
#include "host/model_state.hpp"
#include "llm/chat.hpp"
#include "llm/generation.hpp"
#include "llm/grounded_answer.hpp"
#include "llm/media_prompt.hpp"
#include "util/error.hpp"

namespace facet {

namespace {

llm::SamplerOptions sampler_options(const GenerateOptions& o) {
  auto finite_in = [](double v, double lo, double hi, const char* name) {
    if (!(v >= lo && v <= hi)) throw InputError(std::string(name) + " must be a finite number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  };
  finite_in(o.temperature, 0, 100, "temperature");
  finite_in(o.top_p, 0, 1, "top_p");
  finite_in(o.min_p, 0, 1, "min_p");
  finite_in(o.repeat_penalty, 0.01, 100, "repeat_penalty");
  if (o.top_k < 0) throw InputError("top_k must not be negative");
  llm::SamplerOptions s;
  s.temperature = static_cast<float>(o.temperature);
  s.top_k = o.top_k;
  s.top_p = static_cast<float>(o.top_p);
  s.min_p = static_cast<float>(o.min_p);
  s.repeat_penalty = static_cast<float>(o.repeat_penalty);
  s.seed = o.seed;
  return s;
}

const char* finish_name(llm::Finish f) {
  switch (f) {
    case llm::Finish::Stop: return "stop";
    case llm::Finish::Length: return "length";
    case llm::Finish::Cancelled: return "cancelled";
  }
  return "stop";
}

// Prefill `prompt` with its images from an empty cache and generate the reply.
Generation reply(llm::VlmSession& vlm, const llm::MediaPrompt& prompt, const std::vector<HostTensor>& pixels,
                 const std::optional<llm::ChatTemplate>& chat, const GenerateOptions& o, const TextCallback& on_text) {
  if (prompt.ids.empty()) throw InputError("the prompt has no tokens");
  if (o.max_tokens < 0) throw InputError("max_tokens must not be negative");
  if (static_cast<int64_t>(prompt.ids.size()) + 1 > vlm.llm().context())
    throw InputError("the prompt (" + std::to_string(prompt.ids.size()) + " tokens) does not fit the context of " +
                     std::to_string(vlm.llm().context()) + " positions");
  llm::Sampler sampler(sampler_options(o));
  vlm.llm().reset();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<float> logits = vlm.prefill(prompt.ids, pixels, prompt.instruction);
  const double prefill_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::vector<int32_t> end_ids = llm::model_eos_ids(vlm.model());
  if (chat) end_ids = llm::end_of_turn_ids(vlm.tokenizer(), *chat, end_ids);
  std::vector<int32_t> history;
  for (int32_t id : prompt.ids)
    if (id >= 0) history.push_back(id);
  bool go_on = true;
  llm::TextCallback text;
  if (on_text) text = [&](const std::string& piece) { go_on = go_on && on_text(piece); };
  llm::Generation g = llm::generate_reply(vlm.llm(), logits, history, vlm.tokenizer(), end_ids, sampler, o.stop, o.max_tokens,
                                          text, [&] { return go_on; });
  Generation out;
  out.text = std::move(g.text);
  out.tokens = std::move(g.tokens);
  out.prompt_tokens = static_cast<int64_t>(prompt.ids.size());
  out.finish_reason = finish_name(g.finish);
  out.prefill_ms = prefill_ms;
  out.decode_ms = g.decode_ms;
  return out;
}

std::vector<HostTensor> preprocess_all(llm::VlmSession& vlm, const std::vector<const Image*>& images) {
  return prepare_parallel(images.size(), [&](size_t i) { return vlm.preprocess(to_rgb(*images[i])); });
}

llm::MediaPromptOptions prompt_options(llm::VlmSession& vlm, bool chat, const GenerateOptions& o, int64_t images) {
  if (images > 0 && !vlm.takes_images()) throw UsageError("'" + vlm.model().dir + "' takes no images, but images were given");
  llm::MediaPromptOptions mo;
  mo.layout = vlm.prompt_layout();
  if (chat && mo.layout != llm::PromptLayout::Kosmos2) {
    mo.chat = vlm.chat_template(o.chat_template);
    mo.system = o.system.empty() ? vlm.system_message() : o.system;
  }
  mo.images = images;
  mo.rows_per_image = vlm.rows_per_image();
  return mo;
}

}  // namespace

Generation Model::generate(const std::string& prompt, const std::vector<Image>& images, const GenerateOptions& o,
                           const TextCallback& on_text) {
  require_kind(*state_, {ModelKind::Language}, "text generation");
  std::lock_guard lock(state_->device->mutex);
  llm::VlmSession& vlm = *state_->vlm;
  const bool chat = o.prompt == GenerateOptions::Prompt::Chat || (o.prompt == GenerateOptions::Prompt::Auto && vlm.takes_images());
  const llm::MediaPromptOptions mo = prompt_options(vlm, chat, o, static_cast<int64_t>(images.size()));
  std::vector<const Image*> refs;
  for (const auto& im : images) refs.push_back(&im);
  const std::vector<HostTensor> pixels = preprocess_all(vlm, refs);
  return reply(vlm, llm::encode_media_prompt(vlm.tokenizer(), prompt, mo), pixels, mo.chat, o, on_text);
}

Generation Model::chat(const std::vector<ChatMessage>& messages, const GenerateOptions& o, const TextCallback& on_text) {
  require_kind(*state_, {ModelKind::Language}, "chat");
  if (messages.empty() || messages.back().role != "user") throw InputError("a chat must end with a user message");
  std::lock_guard lock(state_->device->mutex);
  llm::VlmSession& vlm = *state_->vlm;
  GenerateOptions go = o;
  std::vector<llm::ChatMessage> history;
  std::vector<const Image*> refs;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    if (m.role != "system" && m.role != "user" && m.role != "assistant")
      throw InputError("message " + std::to_string(i) + " has role '" + m.role + "'; roles are system, user and assistant");
    if (!m.images.empty() && m.role != "user") throw InputError("message " + std::to_string(i) + ": only user messages carry images");
    std::string content = m.content;
    if (!m.images.empty() && content.find(llm::kImageMarker) == std::string::npos) {
      std::string lead;
      for (size_t k = 0; k < m.images.size(); ++k) lead += std::string(llm::kImageMarker) + "\n";
      content = lead + content;
    }
    for (const auto& im : m.images) refs.push_back(&im);
    if (m.role == "system") {
      if (i != 0) throw InputError("message " + std::to_string(i) + ": a system message must come first");
      go.system = m.content;
    } else if (i + 1 < messages.size()) {
      history.push_back({m.role, content});
    } else {
      llm::MediaPromptOptions mo = prompt_options(vlm, true, go, static_cast<int64_t>(refs.size()));
      if (!mo.chat) throw UsageError("'" + state_->path + "' has no chat template; use generate with a raw prompt");
      mo.history = std::move(history);
      const std::vector<HostTensor> pixels = preprocess_all(vlm, refs);
      return reply(vlm, llm::encode_media_prompt(vlm.tokenizer(), content, mo), pixels, mo.chat, go, on_text);
    }
  }
  throw InternalError("chat: no last user message");
}

Grounding Model::ground(const Image& image, const GroundOptions& o) {
  require_kind(*state_, {ModelKind::Language}, "grounding");
  if (!state_->vlm->takes_images()) throw UsageError("'" + state_->path + "' takes no images; it cannot ground");
  std::lock_guard lock(state_->device->mutex);
  llm::GroundOptions go;
  go.prompt = o.prompt;
  if (o.format != "auto") go.format = grounding::parse_format(o.format);
  if (o.region) go.region = grounding::Box{o.region->x1, o.region->y1, o.region->x2, o.region->y2, false};
  go.max_tokens = o.max_tokens;
  go.sampler = sampler_options(o.sampling);
  const llm::GroundedAnswer a = llm::ground(*state_->vlm, to_rgb(image), go);
  Grounding out;
  out.text = a.grounding.text;
  out.raw = a.raw;
  out.warnings = a.grounding.warnings;
  for (const auto& e : a.grounding.entities) {
    Entity x{e.phrase, e.start, e.end, {}};
    for (const auto& b : e.boxes) x.boxes.push_back({b.x1, b.y1, b.x2, b.y2, b.clipped});
    out.entities.push_back(std::move(x));
  }
  return out;
}

std::string Grounding::json() const {
  grounding::Grounding g{text, {}, warnings};
  for (const auto& e : entities) {
    grounding::Entity x{e.phrase, e.start, e.end, {}};
    for (const auto& b : e.boxes) x.boxes.push_back({b.x1, b.y1, b.x2, b.y2, b.clipped});
    g.entities.push_back(std::move(x));
  }
  return grounding::to_json(g).dump();
}

}  // namespace facet
