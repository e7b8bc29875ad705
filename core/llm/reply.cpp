#include "llm/reply.hpp"

#include "llm/chat.hpp"
#include "util/error.hpp"

namespace facet::llm {

Generation reply(VlmSession& vlm, const MediaPrompt& prompt, const std::vector<HostTensor>& pixels,
                 const std::optional<ChatTemplate>& chat, const ReplyOptions& o, const Regions& regions) {
  if (prompt.ids.empty()) throw InputError("the prompt has no tokens");
  vlm.llm().reset();
  std::vector<float> logits = vlm.prefill(prompt.ids, pixels, prompt.instruction, regions);
  std::vector<int32_t> end_ids = model_eos_ids(vlm.model());
  if (chat) end_ids = end_of_turn_ids(vlm.tokenizer(), *chat, end_ids);
  std::vector<int32_t> history;  // the prompt's text ids (for the repetition penalty)
  for (int32_t id : prompt.ids)
    if (id >= 0) history.push_back(id);
  Sampler sampler(o.sampler);
  return generate_reply(vlm.llm(), std::move(logits), std::move(history), vlm.tokenizer(), end_ids, sampler, o.stops,
                        o.max_tokens, o.on_text, o.keep_going);
}

}  // namespace facet::llm
