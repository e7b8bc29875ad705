// One answer of a multimodal (or text-only) language model from an empty KV cache: the prompt's
// prefill with its images and regions in one submission, then the decoding loop. Shared by
// facet run, facet ground, facet mmvp and the host API's generate / chat.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "llm/chat_template.hpp"
#include "llm/generation.hpp"
#include "llm/media_prompt.hpp"
#include "llm/sampler.hpp"
#include "llm/vlm_session.hpp"

namespace facet::llm {

struct ReplyOptions {
  SamplerOptions sampler;
  std::vector<std::string> stops;
  int max_tokens = 256;
  TextCallback on_text;              // the reply's text as it is decided
  std::function<bool()> keep_going;  // false: stop (cancellation)
};

// The ids that end a reply: the model's end of sequence, and the end of turn of `chat`, the
// template the prompt was rendered with.
std::vector<int32_t> reply_end_ids(const VlmSession& vlm, const std::optional<ChatTemplate>& chat);
// The prompt's text ids (what the repetition penalty looks back on).
std::vector<int32_t> prompt_history(const MediaPrompt& prompt);

// `chat`: the template the prompt was rendered with (its end-of-turn tokens end the reply too).
Generation reply(VlmSession& vlm, const MediaPrompt& prompt, const std::vector<HostTensor>& pixels,
                 const std::optional<ChatTemplate>& chat, const ReplyOptions& options, const Regions& regions = {});

}  // namespace facet::llm
