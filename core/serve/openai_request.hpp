// The requests of the OpenAI API that `facet serve` answers, read from JSON bodies into the host
// API's types. Every malformed field is a RequestError naming it (OpenAI's error object: HTTP
// status, type, param, message), never a crash or an exception of the JSON library.
#pragma once

#include <facet/facet.hpp>

#include <optional>
#include <string>
#include <vector>

namespace facet::serve {

struct RequestError : InputError {
  RequestError(int status, std::string param, const std::string& message)
      : InputError(message), status(status), param(std::move(param)) {}
  int status;         // 400, 404, 413, ...
  std::string param;  // the offending field ("messages[1].content[0].image_url"), or ""
};

struct Limits {
  int64_t max_image_pixels = 16'000'000;  // per image after decoding
  int max_images = 8;                     // per request
  int max_tokens = 4096;                  // max_tokens / max_completion_tokens at most
  std::string local_files;                // file:// image URLs allowed under this folder ("": none)
};

struct ChatRequest {
  std::string model;
  std::vector<ChatMessage> messages;
  GenerateOptions options;  // max_tokens, temperature, top_p, seed, stop (+ top_k, min_p, repeat_penalty)
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  // Facet's extension "grounding": true: one user message with one image; the answer's boxes are
  // read (as facet ground does) and returned in pixels of that image.
  bool grounding = false;
};

struct CompletionRequest {
  std::string model, prompt;
  GenerateOptions options;  // prompt sent as written
  bool stream = false;
  bool include_usage = false;
};

struct EmbeddingRequest {
  std::string model;
  std::vector<std::string> texts;  // inputs that are text
  std::vector<Image> images;       // inputs that are data: image URLs (CLIP image embeddings)
  std::vector<bool> is_image;      // per input, in order
  bool base64 = false;             // encoding_format "base64": little-endian f32 bytes, base64
};

struct ImageRequest {
  std::string model;
  ImageOptions options;  // prompt, size, seed, steps, negative_prompt, sampler, cfg_scale
  int n = 1;
};

// `body` is the raw request body. RequestError for malformed JSON and for any field of the wrong
// type or out of range.
ChatRequest parse_chat_request(const std::string& body, const Limits& limits);
CompletionRequest parse_completion_request(const std::string& body, const Limits& limits);
EmbeddingRequest parse_embedding_request(const std::string& body, const Limits& limits);
ImageRequest parse_image_request(const std::string& body, const Limits& limits);

// An image_url: "data:image/png;base64,..." (PNG, JPEG), or "file:///..." inside limits.local_files.
Image load_image_url(const std::string& url, const Limits& limits, const std::string& param);

}  // namespace facet::serve
