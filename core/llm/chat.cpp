#include "llm/chat.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "util/error.hpp"

namespace facet::llm {

namespace {

std::string model_template(const pipeline::ModelFolder& model) {
  if (model.gguf) return model.gguf->get_string("tokenizer.chat_template").value_or("");
  std::ifstream f(std::filesystem::path(model.dir) / "tokenizer_config.json");
  if (!f) return "";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(model.dir + "/tokenizer_config.json is not valid JSON: " + e.what());
  }
  if (!j.contains("chat_template")) return "";
  const auto& t = j["chat_template"];
  if (t.is_string()) return t.get<std::string>();
  if (t.is_array())
    for (const auto& e : t)
      if (e.is_object() && e.value("name", "") == "default" && e.contains("template") && e["template"].is_string())
        return e["template"].get<std::string>();
  return "";
}

}  // namespace

// End-of-sequence ids: generation_config.json's eos_token_id (a number or a list), else config.json's;
// for GGUF files tokenizer.ggml.eos_token_id and eot_token_id.
std::vector<int32_t> model_eos_ids(const pipeline::ModelFolder& folder) {
  std::vector<int32_t> out;
  if (folder.gguf) {
    for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"})
      if (auto id = folder.gguf->get_int(key)) out.push_back(static_cast<int32_t>(*id));
    return out;
  }
  auto add = [&](const nlohmann::json& v) {
    if (v.is_number_integer()) out.push_back(v.get<int32_t>());
    if (v.is_array())
      for (const auto& x : v)
        if (x.is_number_integer()) out.push_back(x.get<int32_t>());
  };
  std::ifstream f(folder.dir + "/generation_config.json");
  if (f) {
    try {
      auto j = nlohmann::json::parse(f);
      if (j.contains("eos_token_id")) add(j["eos_token_id"]);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(folder.dir + "/generation_config.json is not valid JSON: " + e.what());
    }
  }
  if (out.empty()) {
    const auto& c = folder.config();
    if (c.contains("eos_token_id")) add(c["eos_token_id"]);
    else if (c.contains("text_config") && c["text_config"].contains("eos_token_id")) add(c["text_config"]["eos_token_id"]);
  }
  return out;
}

ChatTemplate chat_template_for(const pipeline::ModelFolder& model, const std::string& name) {
  if (!name.empty()) return ChatTemplate::named(name);
  std::string list;
  for (const auto& n : ChatTemplate::names()) list += (list.empty() ? "" : ", ") + n;
  const std::string jinja = model_template(model);
  if (jinja.empty())
    throw InputError("'" + model.dir + "' has no chat template; name one with --chat-template (" + list + ")");
  if (auto t = ChatTemplate::detect(jinja)) return *t;
  throw InputError("the chat template of '" + model.dir + "' is not one Facet knows; name the closest with --chat-template (" +
                   list + ")");
}

std::vector<int32_t> encode_chat(const text::Tokenizer& tokenizer, const ChatTemplate& tmpl,
                                 const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  const std::string bos = tokenizer.prefix_ids.empty() ? "" : tokenizer.token(tokenizer.prefix_ids[0]);
  std::string eos;
  for (const char* e : {"</s>", "<|end_of_text|>", "<|endoftext|>"})
    if (tokenizer.token_id(e)) {
      eos = e;
      break;
    }
  RenderedChat r = tmpl.render(messages, add_generation_prompt, bos, eos);
  text::EncodeOptions o;
  o.add_special = false;
  o.parse_special = true;
  o.literal_spans = r.message_spans;
  return tokenizer.encode(r.text, o);
}

std::vector<int32_t> end_of_turn_ids(const text::Tokenizer& tokenizer, const ChatTemplate& tmpl, std::vector<int32_t> eos) {
  for (const auto& t : tmpl.end_of_turn())
    if (auto id = tokenizer.token_id(t)) eos.push_back(*id);
  return eos;
}

}  // namespace facet::llm
