#include "serve/openai_response.hpp"

namespace facet::serve {

using nlohmann::json;

json error_body(int status, const std::string& message, const std::string& param) {
  const char* type = status == 401   ? "authentication_error"
                     : status == 404 ? "not_found_error"
                     : status == 429 ? "rate_limit_error"
                     : status >= 500 ? "server_error"
                                     : "invalid_request_error";
  return {{"error", {{"message", message}, {"type", type}, {"param", param.empty() ? json(nullptr) : json(param)},
                     {"code", nullptr}}}};
}

json usage(int64_t prompt_tokens, int64_t completion_tokens) {
  return {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens},
          {"total_tokens", prompt_tokens + completion_tokens}};
}

namespace {

const char* finish(const Generation& g) { return g.finish_reason == "length" ? "length" : "stop"; }

// A whole answer: one choice and its usage.
json envelope(const std::string& id, int64_t created, const std::string& model, const char* object, json choice, json use) {
  return {{"id", id}, {"object", object}, {"created", created}, {"model", model},
          {"choices", json::array({std::move(choice)})}, {"usage", std::move(use)}};
}

}  // namespace

json chat_completion(const std::string& id, int64_t created, const std::string& model, const Generation& g) {
  return envelope(id, created, model, "chat.completion",
                  {{"index", 0}, {"message", {{"role", "assistant"}, {"content", g.text}}}, {"finish_reason", finish(g)}},
                  usage(g.prompt_tokens, static_cast<int64_t>(g.tokens.size())));
}

json text_completion(const std::string& id, int64_t created, const std::string& model, const Generation& g) {
  return envelope(id, created, model, "text_completion",
                  {{"index", 0}, {"text", g.text}, {"finish_reason", finish(g)}, {"logprobs", nullptr}},
                  usage(g.prompt_tokens, static_cast<int64_t>(g.tokens.size())));
}

std::string sse(const json& j) { return "data: " + j.dump() + "\n\n"; }

std::string chat_chunk(const std::string& id, int64_t created, const std::string& model, const std::string& text,
                       const char* finish_reason, bool role) {
  json delta = json::object();
  if (role) delta["role"] = "assistant";
  if (!text.empty() || (!role && !finish_reason)) delta["content"] = text;
  return sse({{"id", id},
              {"object", "chat.completion.chunk"},
              {"created", created},
              {"model", model},
              {"choices", json::array({{{"index", 0}, {"delta", delta},
                                        {"finish_reason", finish_reason ? json(finish_reason) : json(nullptr)}}})}});
}

std::string completion_chunk(const std::string& id, int64_t created, const std::string& model, const std::string& text,
                             const char* finish_reason) {
  return sse({{"id", id},
              {"object", "text_completion"},
              {"created", created},
              {"model", model},
              {"choices", json::array({{{"index", 0}, {"text", text},
                                        {"finish_reason", finish_reason ? json(finish_reason) : json(nullptr)}}})}});
}

json grounded_completion(const std::string& id, int64_t created, const std::string& model, const Grounding& g) {
  return envelope(id, created, model, "chat.completion",
                  {{"index", 0}, {"message", {{"role", "assistant"}, {"content", g.text}}},
                   {"grounding", json::parse(g.json())}, {"finish_reason", "stop"}},
                  usage(g.prompt_tokens, g.completion_tokens));
}

}  // namespace facet::serve
