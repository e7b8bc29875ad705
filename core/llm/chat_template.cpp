#include "llm/chat_template.hpp"

#include "util/error.hpp"

namespace facet::llm {

namespace {

std::string trim(const std::string& s) {
  const char* ws = " \t\n\r";
  size_t b = s.find_first_not_of(ws), e = s.find_last_not_of(ws);
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Appends template text and message text, remembering where message text lies.
struct Builder {
  RenderedChat out;
  Builder& fixed(const std::string& s) {
    out.text += s;
    return *this;
  }
  Builder& message(const std::string& s) {
    out.message_spans.emplace_back(out.text.size(), out.text.size() + s.size());
    out.text += s;
    return *this;
  }
};

void check_role(const ChatMessage& m) {
  if (m.role != "system" && m.role != "user" && m.role != "assistant")
    throw InputError("chat message role '" + m.role + "' is not system, user or assistant");
}

}  // namespace

const std::vector<std::string>& ChatTemplate::names() {
  static const std::vector<std::string> n = {"vicuna", "llama-2", "mistral", "llama-3", "chatml"};
  return n;
}

ChatTemplate ChatTemplate::named(const std::string& name) {
  for (const auto& n : names())
    if (n == name) return ChatTemplate(n);
  std::string list;
  for (const auto& n : names()) list += (list.empty() ? "" : ", ") + n;
  throw UsageError("unknown chat template '" + name + "' (built-in: " + list + ")");
}

std::optional<ChatTemplate> ChatTemplate::detect(const std::string& j) {
  auto has = [&](const char* s) { return j.find(s) != std::string::npos; };
  if (has("<|start_header_id|>") && has("<|eot_id|>")) return ChatTemplate("llama-3");
  if (has("<|im_start|>") && has("<|im_end|>")) return ChatTemplate("chatml");
  if (has("[INST]") && has("<<SYS>>")) return ChatTemplate("llama-2");
  if (has("[INST]")) return ChatTemplate("mistral");
  if (has("USER") && has("ASSISTANT")) return ChatTemplate("vicuna");
  return std::nullopt;
}

std::vector<std::string> ChatTemplate::end_of_turn() const {
  if (name_ == "llama-3") return {"<|eot_id|>"};
  if (name_ == "chatml") return {"<|im_end|>"};
  return {};
}

RenderedChat ChatTemplate::render(const std::vector<ChatMessage>& messages, bool gen, const std::string& bos,
                                  const std::string& eos) const {
  Builder b;
  std::string system;
  size_t first = 0;
  for (const auto& m : messages) check_role(m);
  if (!messages.empty() && messages[0].role == "system") system = messages[0].content, first = 1;
  for (size_t i = first; i < messages.size(); ++i)
    if (messages[i].role == "system") throw InputError("a system message may only come first in a chat");

  if (name_ == "vicuna") {
    b.fixed(bos);
    if (first) b.message(system).fixed(" ");
    for (size_t i = first; i < messages.size(); ++i) {
      const auto& m = messages[i];
      if (m.role == "user") b.fixed("USER: ").message(m.content).fixed(" ");
      else b.fixed("ASSISTANT: ").message(m.content).fixed(eos);
    }
    if (gen) b.fixed("ASSISTANT:");
  } else if (name_ == "llama-2" || name_ == "mistral") {
    const bool l2 = name_ == "llama-2";
    if (!l2) b.fixed(bos);
    for (size_t i = first; i < messages.size(); ++i) {
      const auto& m = messages[i];
      if (m.role == "user") {
        if (l2) b.fixed(bos);
        b.fixed("[INST] ");
        if (i == first && first) {
          if (l2) b.fixed("<<SYS>>\n").message(trim(system)).fixed("\n<</SYS>>\n\n");
          else b.message(system).fixed("\n\n");
        }
        b.message(l2 ? trim(m.content) : m.content).fixed(" [/INST]");
      } else {
        if (l2) b.fixed(" ").message(trim(m.content)).fixed(" " + eos);
        else b.message(m.content).fixed(eos);
      }
    }
  } else if (name_ == "llama-3") {
    b.fixed("<|begin_of_text|>");
    for (const auto& m : messages)
      b.fixed("<|start_header_id|>" + m.role + "<|end_header_id|>\n\n").message(trim(m.content)).fixed("<|eot_id|>");
    if (gen) b.fixed("<|start_header_id|>assistant<|end_header_id|>\n\n");
  } else {  // chatml
    for (const auto& m : messages) b.fixed("<|im_start|>" + m.role + "\n").message(m.content).fixed("<|im_end|>\n");
    if (gen) b.fixed("<|im_start|>assistant\n");
  }
  return b.out;
}

}  // namespace facet::llm
