#include "serve/openai_request.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "util/base64.hpp"

namespace facet::serve {

namespace {

using nlohmann::json;

RequestError bad(const std::string& param, const std::string& message) { return RequestError(400, param, message); }

json parse_body(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) throw bad("", "the request body is not valid JSON");
  if (!j.is_object()) throw bad("", "the request body must be a JSON object");
  return j;
}

std::string string_field(const json& j, const char* key, bool required) {
  if (!j.contains(key) || j[key].is_null()) {
    if (required) throw bad(key, std::string("'") + key + "' is required");
    return "";
  }
  if (!j[key].is_string()) throw bad(key, std::string("'") + key + "' must be a string");
  return j[key].get<std::string>();
}

std::optional<double> number_field(const json& j, const char* key, double lo, double hi) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_number()) throw bad(key, std::string("'") + key + "' must be a number");
  const double v = j[key].get<double>();
  if (!std::isfinite(v) || v < lo || v > hi)
    throw bad(key, std::string("'") + key + "' must be in [" + json(lo).dump() + ", " + json(hi).dump() + "]");
  return v;
}

std::optional<int64_t> int_field(const json& j, const char* key, int64_t lo, int64_t hi) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_number_integer() && !j[key].is_number_unsigned())
    throw bad(key, std::string("'") + key + "' must be an integer");
  if (j[key].is_number_unsigned() && j[key].get<uint64_t>() > static_cast<uint64_t>(hi))
    throw bad(key, std::string("'") + key + "' must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  const int64_t v = j[key].get<int64_t>();
  if (v < lo || v > hi)
    throw bad(key, std::string("'") + key + "' must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

bool bool_field(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return false;
  if (!j[key].is_boolean()) throw bad(key, std::string("'") + key + "' must be true or false");
  return j[key].get<bool>();
}

// The sampling fields common to chat and completions.
GenerateOptions sampling(const json& j, const Limits& limits, bool* stream, bool* include_usage) {
  GenerateOptions o;
  o.max_tokens = 256;
  for (const char* key : {"max_tokens", "max_completion_tokens"})
    if (auto v = int_field(j, key, 1, limits.max_tokens)) o.max_tokens = static_cast<int>(*v);
  if (auto v = number_field(j, "temperature", 0, 2)) o.temperature = *v;
  if (auto v = number_field(j, "top_p", 0, 1)) o.top_p = *v;
  if (auto v = number_field(j, "min_p", 0, 1)) o.min_p = *v;
  if (auto v = number_field(j, "repeat_penalty", 0.01, 100)) o.repeat_penalty = *v;
  if (auto v = int_field(j, "top_k", 0, 1 << 30)) o.top_k = static_cast<int>(*v);
  if (auto v = int_field(j, "seed", INT64_MIN, INT64_MAX)) o.seed = static_cast<uint64_t>(*v);
  if (auto v = int_field(j, "n", 1, 1)) (void)v;  // one choice per request
  if (j.contains("stop") && !j["stop"].is_null()) {
    const json& s = j["stop"];
    if (s.is_string()) {
      o.stop.push_back(s.get<std::string>());
    } else if (s.is_array() && s.size() <= 4) {
      for (const auto& x : s) {
        if (!x.is_string()) throw bad("stop", "'stop' must be a string or an array of up to 4 strings");
        o.stop.push_back(x.get<std::string>());
      }
    } else {
      throw bad("stop", "'stop' must be a string or an array of up to 4 strings");
    }
    for (const auto& x : o.stop)
      if (x.empty()) throw bad("stop", "'stop' strings must not be empty");
  }
  *stream = bool_field(j, "stream");
  *include_usage = false;
  if (j.contains("stream_options") && !j["stream_options"].is_null()) {
    if (!j["stream_options"].is_object()) throw bad("stream_options", "'stream_options' must be an object");
    *include_usage = bool_field(j["stream_options"], "include_usage");
  }
  return o;
}

// A message's content: a string, or an array of {"type": "text", "text"} and
// {"type": "image_url", "image_url": {"url"}} parts. The images lead the message's text (as
// LLaVA's chat templates render them), unless the text marks their places with "<image>".
void read_content(const json& c, const std::string& param, ChatMessage& m, const Limits& limits, int& images) {
  if (c.is_string()) {
    m.content = c.get<std::string>();
    return;
  }
  if (!c.is_array()) throw bad(param, "'content' must be a string or an array of parts");
  for (size_t i = 0; i < c.size(); ++i) {
    const std::string p = param + "[" + std::to_string(i) + "]";
    const json& part = c[i];
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
      throw bad(p, "each content part must be an object with a 'type'");
    const std::string type = part["type"].get<std::string>();
    if (type == "text") {
      if (!part.contains("text") || !part["text"].is_string()) throw bad(p + ".text", "a text part needs a string 'text'");
      m.content += part["text"].get<std::string>();
    } else if (type == "image_url") {
      const json& u = part.contains("image_url") ? part["image_url"] : json();
      std::string url;
      if (u.is_string()) url = u.get<std::string>();
      else if (u.is_object() && u.contains("url") && u["url"].is_string()) url = u["url"].get<std::string>();
      else throw bad(p + ".image_url", "an image_url part needs 'image_url': {'url': ...}");
      if (++images > limits.max_images)
        throw bad(p, "more than " + std::to_string(limits.max_images) + " images in one request");
      m.images.push_back(load_image_url(url, limits, p + ".image_url.url"));  // they lead the message, as
                                                                               // LLaVA's chat template puts them
    } else {
      throw bad(p + ".type", "unknown content part type '" + type + "' (text, image_url)");
    }
  }
}

}  // namespace

Image load_image_url(const std::string& url, const Limits& limits, const std::string& param) {
  Image im;
  if (url.rfind("data:", 0) == 0) {
    const size_t comma = url.find(',');
    if (comma == std::string::npos || comma < 12 || url.compare(comma - 7, 7, ";base64") != 0)
      throw bad(param, "a data URL must be data:image/...;base64,<data>");
    const std::string mime = url.substr(5, comma - 12);
    if (mime.rfind("image/", 0) != 0) throw bad(param, "a data URL must hold an image, not '" + mime + "'");
    std::string bytes;
    try {
      bytes = base64_decode(std::string_view(url).substr(comma + 1), param);
    } catch (const InputError& e) {
      throw bad(param, e.what());
    }
    try {
      im = Image::decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), param);
    } catch (const InputError& e) {
      throw bad(param, e.what());
    }
  } else if (url.rfind("file://", 0) == 0) {
    if (limits.local_files.empty()) throw bad(param, "file:// URLs are refused (the server was not started with --allow-local-files)");
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path root = fs::weakly_canonical(limits.local_files, ec);
    const fs::path file = fs::weakly_canonical(url.substr(7), ec);
    const auto rel = file.lexically_relative(root);
    if (ec || rel.empty() || rel.native().rfind("..", 0) == 0) throw bad(param, "the file is outside the allowed folder");
    try {
      im = Image::load(file.string());
    } catch (const InputError& e) {
      throw bad(param, e.what());
    }
  } else {
    throw bad(param, "image URLs must be data: URLs (http(s) is not fetched)");
  }
  if (im.width * im.height > limits.max_image_pixels)
    throw RequestError(413, param, "the image has " + std::to_string(im.width * im.height) + " pixels; at most " +
                                       std::to_string(limits.max_image_pixels) + " are accepted");
  return im;
}

ChatRequest parse_chat_request(const std::string& body, const Limits& limits) {
  const json j = parse_body(body);
  ChatRequest r;
  r.model = string_field(j, "model", false);
  r.options = sampling(j, limits, &r.stream, &r.include_usage);
  if (!j.contains("messages") || !j["messages"].is_array() || j["messages"].empty())
    throw bad("messages", "'messages' must be a non-empty array");
  int images = 0;
  for (size_t i = 0; i < j["messages"].size(); ++i) {
    const std::string p = "messages[" + std::to_string(i) + "]";
    const json& m = j["messages"][i];
    if (!m.is_object()) throw bad(p, "each message must be an object");
    ChatMessage msg;
    msg.role = string_field(m, "role", true);
    if (msg.role == "developer") msg.role = "system";
    if (msg.role != "system" && msg.role != "user" && msg.role != "assistant")
      throw bad(p + ".role", "unknown role '" + msg.role + "' (system, user, assistant)");
    if (!m.contains("content") || m["content"].is_null()) throw bad(p + ".content", "'content' is required");
    read_content(m["content"], p + ".content", msg, limits, images);
    if (!msg.images.empty() && msg.role != "user") throw bad(p + ".content", "only user messages may carry images");
    r.messages.push_back(std::move(msg));
  }
  if (r.messages.back().role != "user") throw bad("messages", "the last message must be the user's");
  r.grounding = bool_field(j, "grounding");
  if (r.grounding) {
    if (r.stream) throw bad("stream", "grounded answers are not streamed");
    size_t users = 0;
    for (const auto& m : r.messages) users += m.role == "user";
    if (users != 1 || r.messages.back().images.size() != 1)
      throw bad("messages", "a grounded answer takes one user message with one image");
  }
  return r;
}

CompletionRequest parse_completion_request(const std::string& body, const Limits& limits) {
  const json j = parse_body(body);
  CompletionRequest r;
  r.model = string_field(j, "model", false);
  r.prompt = string_field(j, "prompt", true);
  r.options = sampling(j, limits, &r.stream, &r.include_usage);
  r.options.prompt = GenerateOptions::Prompt::Raw;
  return r;
}

EmbeddingRequest parse_embedding_request(const std::string& body, const Limits& limits) {
  const json j = parse_body(body);
  EmbeddingRequest r;
  r.model = string_field(j, "model", false);
  const std::string format = string_field(j, "encoding_format", false);
  if (!format.empty() && format != "float" && format != "base64")
    throw bad("encoding_format", "'encoding_format' is 'float' or 'base64'");
  r.base64 = format == "base64";
  if (!j.contains("input")) throw bad("input", "'input' is required");
  const json& in = j["input"];
  std::vector<json> items;
  if (in.is_string()) items.push_back(in);
  else if (in.is_array() && !in.empty() && in.size() <= 256) items.assign(in.begin(), in.end());
  else throw bad("input", "'input' must be a string or an array of 1 to 256 strings");
  int images = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string p = "input[" + std::to_string(i) + "]";
    if (!items[i].is_string()) throw bad(p, "each input must be a string (text, or a data:image URL)");
    const std::string s = items[i].get<std::string>();
    const bool image = s.rfind("data:image/", 0) == 0;
    r.is_image.push_back(image);
    if (image) {
      if (++images > limits.max_images) throw bad(p, "more than " + std::to_string(limits.max_images) + " images in one request");
      r.images.push_back(load_image_url(s, limits, p));
    } else {
      r.texts.push_back(s);
    }
  }
  return r;
}

ImageRequest parse_image_request(const std::string& body, const Limits& limits) {
  (void)limits;
  const json j = parse_body(body);
  ImageRequest r;
  r.model = string_field(j, "model", false);
  r.options.prompt = string_field(j, "prompt", true);
  r.options.negative_prompt = string_field(j, "negative_prompt", false);
  if (auto v = int_field(j, "n", 1, 4)) r.n = static_cast<int>(*v);
  const std::string size = string_field(j, "size", false);
  if (!size.empty()) {
    int w = 0, h = 0;
    char x = 0;
    size_t used = 0;
    if (std::sscanf(size.c_str(), "%d%c%d%zn", &w, &x, &h, &used) != 3 || x != 'x' || used != size.size() || w < 8 ||
        h < 8 || w > 2048 || h > 2048)
      throw bad("size", "'size' must be WIDTHxHEIGHT, each in [8, 2048]");
    r.options.width = w;
    r.options.height = h;
  }
  const std::string format = string_field(j, "response_format", false);
  if (!format.empty() && format != "b64_json") throw bad("response_format", "only 'b64_json' is returned (no image URLs)");
  if (auto v = int_field(j, "steps", 1, 150)) r.options.steps = static_cast<int>(*v);
  if (auto v = int_field(j, "seed", 0, INT64_MAX)) r.options.seed = static_cast<uint64_t>(*v);
  if (auto v = number_field(j, "cfg_scale", 0, 30)) r.options.cfg_scale = *v;
  const std::string sampler = string_field(j, "sampler", false);
  if (!sampler.empty()) r.options.sampler = sampler;
  return r;
}

}  // namespace facet::serve
