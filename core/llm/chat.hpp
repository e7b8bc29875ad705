// Chat prompts for a model: its template (named, or recognised from the model's own template) and
// the token ids of a conversation.
#pragma once

#include <string>
#include <vector>

#include "llm/chat_template.hpp"
#include "pipeline/model_folder.hpp"
#include "text/tokenizer.hpp"

namespace facet::llm {

// `name` non-empty: that built-in template (UsageError when unknown). Otherwise the one matching
// tokenizer_config.json's chat_template (a string, or the entry named "default" of a list) or GGUF
// tokenizer.chat_template; InputError (exit 3) naming --chat-template when there is none or it is
// not recognised.
ChatTemplate chat_template_for(const pipeline::ModelFolder& model, const std::string& name);

// The ids of the rendered conversation: template text with special-token literals as tokens,
// message text with literals kept as text; no post-processor tokens (templates write BOS).
std::vector<int32_t> encode_chat(const text::Tokenizer& tokenizer, const ChatTemplate& tmpl,
                                 const std::vector<ChatMessage>& messages, bool add_generation_prompt);

// End-of-sequence ids: generation_config.json's eos_token_id (a number or a list), else
// config.json's; for GGUF files tokenizer.ggml.eos_token_id and eot_token_id.
std::vector<int32_t> model_eos_ids(const pipeline::ModelFolder& folder);

// The ids that end an assistant turn: EOS (`eos`) and the template's end-of-turn tokens.
std::vector<int32_t> end_of_turn_ids(const text::Tokenizer& tokenizer, const ChatTemplate& tmpl, std::vector<int32_t> eos);

}  // namespace facet::llm
