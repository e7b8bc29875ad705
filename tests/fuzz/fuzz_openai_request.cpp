// libFuzzer target for the OpenAI request readers of facet serve (core/serve/openai_request): the
// first byte picks the endpoint (chat, completions, embeddings, images; mod 4), the rest is the
// body. It reads, or throws RequestError (an InputError) with a 4xx status; nothing else.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "serve/openai_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace facet::serve;
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  Limits limits;
  limits.max_image_pixels = 1 << 20;
  try {
    switch (data[0] % 4) {
      case 0: {
        const ChatRequest r = parse_chat_request(body, limits);
        if (r.messages.empty() || r.messages.back().role != "user") std::abort();
        break;
      }
      case 1: (void)parse_completion_request(body, limits); break;
      case 2: {
        const EmbeddingRequest r = parse_embedding_request(body, limits);
        if (r.texts.size() + r.images.size() != r.is_image.size()) std::abort();
        break;
      }
      default: {
        const ImageRequest r = parse_image_request(body, limits);
        if (r.n < 1 || r.n > 4) std::abort();
      }
    }
  } catch (const RequestError& e) {
    if (e.status < 400 || e.status > 499) std::abort();
  }
  return 0;
}
