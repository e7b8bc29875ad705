// facet::Model's language calls: generate (one prompt, optionally with images), chat (a
// conversation), ground (boxes in the answer). Each call starts from an empty KV cache.
#include <facet/facet.hpp>

#include "grounding/json.hpp"
#include "host/convert.hpp"
#include "host/model_state.hpp"
#include "llm/grounded_answer.hpp"
#include "llm/media_prompt.hpp"
#include "llm/reply.hpp"
#include "util/error.hpp"

namespace facet {

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

void with_session(Model::State& s, const std::function<void(llm::VlmSession&)>& fn) {
  if (s.batcher) return s.batcher->exclusive(fn);
  std::lock_guard lock(s.device->mutex);
  fn(*s.vlm);
}

namespace {

const char* finish_name(llm::Finish f) {
  switch (f) {
    case llm::Finish::Stop: return "stop";
    case llm::Finish::Length: return "length";
    case llm::Finish::Cancelled: return "cancelled";
  }
  return "stop";
}

// Prefill `prompt` with its images from an empty cache and generate the reply: batched with other
// threads' calls when the model has a batcher, else alone under the device's lock.
Generation reply(Model::State& s, const llm::MediaPrompt& prompt, std::vector<HostTensor> pixels,
                 const std::optional<llm::ChatTemplate>& chat, const GenerateOptions& o, const TextCallback& on_text) {
  llm::VlmSession& vlm = *s.vlm;
  if (o.max_tokens < 0) throw InputError("max_tokens must not be negative");
  if (static_cast<int64_t>(prompt.ids.size()) + 1 > vlm.llm().context())
    throw InputError("the prompt (" + std::to_string(prompt.ids.size()) + " tokens) does not fit the context of " +
                     std::to_string(vlm.llm().context()) + " positions");
  bool go_on = true;
  llm::ReplyOptions ro;
  ro.sampler = sampler_options(o);
  ro.stops = o.stop;
  ro.max_tokens = o.max_tokens;
  if (on_text) ro.on_text = [&](const std::string& piece) { go_on = go_on && on_text(piece); };
  ro.keep_going = [&] { return go_on; };
  llm::Generation g;
  double prefill_ms = 0;
  if (s.batcher) {
    llm::Batcher::Times t;
    g = s.batcher->reply(prompt, std::move(pixels), chat, ro, &t);
    prefill_ms = t.prefill_ms;
  } else {
    std::lock_guard lock(s.device->mutex);
    g = llm::reply(vlm, prompt, pixels, chat, ro);
    prefill_ms = vlm.last_prefill().submit_ms;
  }
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
  llm::VlmSession& vlm = *state_->vlm;
  const bool chat = o.prompt == GenerateOptions::Prompt::Chat || (o.prompt == GenerateOptions::Prompt::Auto && vlm.takes_images());
  const llm::MediaPromptOptions mo = prompt_options(vlm, chat, o, static_cast<int64_t>(images.size()));
  std::vector<const Image*> refs;
  for (const auto& im : images) refs.push_back(&im);
  return reply(*state_, llm::encode_media_prompt(vlm.tokenizer(), prompt, mo), preprocess_all(vlm, refs), mo.chat, o, on_text);
}

Generation Model::chat(const std::vector<ChatMessage>& messages, const GenerateOptions& o, const TextCallback& on_text) {
  require_kind(*state_, {ModelKind::Language}, "chat");
  if (messages.empty() || messages.back().role != "user") throw InputError("a chat must end with a user message");
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
      return reply(*state_, llm::encode_media_prompt(vlm.tokenizer(), content, mo), preprocess_all(vlm, refs), mo.chat, go, on_text);
    }
  }
  throw InternalError("chat: no last user message");
}

Grounding Model::ground(const Image& image, const GroundOptions& o) {
  require_kind(*state_, {ModelKind::Language}, "grounding");
  if (!state_->vlm->takes_images()) throw InputError("the model '" + state_->path + "' takes no images: it cannot ground");
  llm::GroundOptions go;
  go.prompt = o.prompt;
  if (o.format != "auto") go.format = grounding::parse_format(o.format);
  if (o.region) go.region = to_core(*o.region);
  go.max_tokens = o.max_tokens;
  go.sampler = sampler_options(o.sampling);
  std::optional<llm::GroundedAnswer> a;
  with_session(*state_, [&](llm::VlmSession& vlm) { a = llm::ground(vlm, to_rgb(image), go); });
  Grounding out = to_public(a->grounding, a->raw);
  out.prompt_tokens = a->prompt_tokens;
  out.completion_tokens = static_cast<int64_t>(a->reply.tokens.size());
  return out;
}

std::string Grounding::json() const { return grounding::to_json(to_core(*this)).dump(); }

}  // namespace facet
