// Built-in chat templates: a conversation rendered to the prompt text a chat model was trained on.
// Facet does not run Jinja; it recognises the model's template (tokenizer_config.json
// "chat_template", GGUF tokenizer.chat_template) by its markers and renders the equivalent
// built-in one, or uses the one named on the command line:
//   vicuna   Vicuna v1.1 / LLaVA-1.5: "<s>{system} USER: {user} ASSISTANT: {reply}</s>USER: ... ASSISTANT:"
//   llama-2  "<s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {reply} </s><s>[INST] ..."
//   mistral  "<s>[INST] {user} [/INST]{reply}</s>[INST] ..." (a system message leads the first user turn)
//   llama-3  "<|begin_of_text|><|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>..."
//   chatml   "<|im_start|>{role}\n{content}<|im_end|>\n..." (Qwen and many others)
// The rendered text marks the spans that came from messages: special-token literals inside them
// stay text when the prompt is tokenized.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace facet::llm {

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

struct RenderedChat {
  std::string text;
  std::vector<std::pair<size_t, size_t>> message_spans;  // [begin, end) byte ranges of message text
};

class ChatTemplate {
 public:
  static const std::vector<std::string>& names();
  // UsageError listing the names when `name` is not one.
  static ChatTemplate named(const std::string& name);
  // The built-in template equivalent to a Jinja chat template, by its markers; nullopt when none.
  static std::optional<ChatTemplate> detect(const std::string& jinja);

  // `bos` and `eos` are the tokenizer's token strings ("<s>", "</s>", ...). With
  // `add_generation_prompt` the text ends where the assistant's reply begins.
  RenderedChat render(const std::vector<ChatMessage>& messages, bool add_generation_prompt, const std::string& bos,
                      const std::string& eos) const;
  // Token literals that end an assistant turn besides EOS ("<|eot_id|>", "<|im_end|>").
  std::vector<std::string> end_of_turn() const;
  const std::string& name() const { return name_; }

 private:
  explicit ChatTemplate(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace facet::llm
