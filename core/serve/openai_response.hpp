// The JSON bodies `facet serve` answers with, in the OpenAI API's shapes: completions and chat
// completions (whole, or as server-sent-event chunks), embeddings, images, models and errors.
#pragma once

#include <facet/facet.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace facet::serve {

// {"error": {"message", "type", "param", "code"}}; type from the status (invalid_request_error,
// authentication_error, not_found_error, rate_limit_error, server_error).
nlohmann::json error_body(int status, const std::string& message, const std::string& param = "");

nlohmann::json usage(int64_t prompt_tokens, int64_t completion_tokens);

// A whole reply. `id`: "chatcmpl-..." / "cmpl-...", `created`: Unix seconds.
nlohmann::json chat_completion(const std::string& id, int64_t created, const std::string& model, const Generation& g);
nlohmann::json text_completion(const std::string& id, int64_t created, const std::string& model, const Generation& g);

// One streamed chunk: a role-only first delta, a text delta, or the final one with finish_reason
// (and usage when asked), as "data: {...}\n\n".
std::string chat_chunk(const std::string& id, int64_t created, const std::string& model, const std::string& text,
                       const char* finish_reason, bool role);
std::string completion_chunk(const std::string& id, int64_t created, const std::string& model, const std::string& text,
                             const char* finish_reason);
std::string sse(const nlohmann::json& j);
inline constexpr const char* kSseDone = "data: [DONE]\n\n";

// A grounded answer: a chat.completion whose message is the cleaned text, with Facet's extension
// field "grounding" on the choice: {"text", "entities": [{"phrase", "span", "boxes"}]} in pixels of
// the image (docs/serving.md).
nlohmann::json grounded_completion(const std::string& id, int64_t created, const std::string& model, const Grounding& g);

}  // namespace facet::serve
