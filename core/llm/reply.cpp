#include "llm/reply.hpp"

#include "llm/chat.hpp"
#include "util/error.hpp"

namespace facet::llm {

std::vector<int32_t> reply_end_ids(const VlmSession& vlm, const std::optional<ChatTemplate>& chat) {
  std::vector<int32_t> end_ids = model_eos_ids(vlm.model());
  if (chat) end_ids = end_of_turn_ids(vlm.tokenizer(), *chat, end_ids);
  return end_ids;
}

std::vector<int32_t> prompt_history(const MediaPrompt& prompt) {
  std::vector<int32_t> history;
  for (int32_t id : prompt.ids)
    if (id >= 0) history.push_back(id);
  return history;
}

Generation reply(VlmSession& vlm, const MediaPrompt& prompt, const std::vector<HostTensor>& pixels,
                 const std::optional<ChatTemplate>& chat, const ReplyOptions& o, const Regions& regions) {
  if (prompt.ids.empty()) throw InputError("the prompt has no tokens");
  vlm.llm().reset();
  std::vector<float> logits = vlm.prefill(prompt.ids, pixels, prompt.instruction, regions);
  Sampler sampler(o.sampler);
  return generate_reply(vlm.llm(), std::move(logits), prompt_history(prompt), vlm.tokenizer(), reply_end_ids(vlm, chat),
                        sampler, o.stops, o.max_tokens, o.on_text, o.keep_going);
}

}  // namespace facet::llm
