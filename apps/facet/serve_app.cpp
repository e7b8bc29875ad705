#include "serve_app.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include "cli_common.hpp"
#include "serve/openai_response.hpp"
#include "serve_page.hpp"
#include "util/base64.hpp"

namespace facet::cli {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string new_id(const char* prefix) {
  static std::mutex mutex;
  static std::mt19937_64 rng(std::random_device{}());
  std::lock_guard lock(mutex);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return std::string(prefix) + buf;
}

// Compares in time that depends on the lengths only, not on where the strings differ.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

void send(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

ServeApp::ServeApp(ServeOptions options, DeviceOptions device)
    : o_(std::move(options)), device_options_(std::move(device)), http_(std::make_unique<httplib::Server>()) {}

ServeApp::~ServeApp() = default;

void ServeApp::stop() {
  stopping_ = true;  // running generations stop at their next token
  http_->stop();
}

bool ServeApp::authorized(const httplib::Request& req, httplib::Response& res) {
  if (o_.api_key.empty()) return true;
  const std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0 && same_secret(auth.substr(7), o_.api_key)) return true;
  metrics_.error("auth");
  send(res, 401, serve::error_body(401, "a valid API key is required (Authorization: Bearer KEY)"));
  return false;
}

ServeApp::Served& ServeApp::pick(const std::string& name, std::initializer_list<ModelKind> kinds, const char* what) {
  for (auto& m : models_)
    if (name.empty() ? std::find(kinds.begin(), kinds.end(), m.model->kind()) != kinds.end() : m.name == name) {
      if (std::find(kinds.begin(), kinds.end(), m.model->kind()) == kinds.end())
        throw serve::RequestError(400, "model", "the model '" + name + "' does not answer " + what);
      return m;
    }
  if (name.empty()) throw serve::RequestError(400, "model", std::string("no served model answers ") + what);
  throw serve::RequestError(404, "model", "the model '" + name + "' does not exist");
}

namespace {

// Runs one request's body and answers its error, if any, with the status it maps to.
template <typename F>
void handle(const char* endpoint, httplib::Response& res, serve::Metrics& metrics, F&& body) {
  try {
    body();
  } catch (const serve::RequestError& e) {
    metrics.error(e.status == 404 ? "not_found" : e.status == 413 ? "too_large" : "bad_request");
    send(res, e.status, serve::error_body(e.status, e.what(), e.param));
  } catch (const GpuError& e) {
    metrics.error("gpu");
    send(res, 503, serve::error_body(503, e.what()));
  } catch (const Error& e) {  // a bad file, image or prompt (InputError), a call the model cannot answer (UsageError)
    const bool caller = e.code() == ExitCode::InvalidInput || e.code() == ExitCode::Usage;
    metrics.error(caller ? "bad_request" : "internal");
    if (!caller) spdlog::error("{}: {}", endpoint, e.what());
    send(res, caller ? 400 : 500, serve::error_body(caller ? 400 : 500, e.what()));
  } catch (const std::exception& e) {
    metrics.error("internal");
    spdlog::error("{}: {}", endpoint, e.what());
    send(res, 500, serve::error_body(500, e.what()));
  }
  metrics.request(endpoint, res.status);
}

}  // namespace

void ServeApp::routes() {
  auto admitted = [this](httplib::Response& res) {
    if (!ready_) {
      send(res, 503, serve::error_body(503, "the models are still loading"));
      return false;
    }
    if (in_flight_.fetch_add(1) >= o_.parallel + o_.queue) {
      in_flight_.fetch_sub(1);
      metrics_.error("overloaded");
      res.set_header("Retry-After", "1");
      send(res, 429, serve::error_body(429, "the server is busy: " + std::to_string(o_.parallel + o_.queue) +
                                                 " requests are running or waiting; retry later"));
      return false;
    }
    metrics_.set_in_flight(in_flight_);
    return true;
  };
  auto post = [this, admitted](const char* path, void (ServeApp::*fn)(const httplib::Request&, httplib::Response&)) {
    http_->Post(path, [this, admitted, path, fn](const httplib::Request& req, httplib::Response& res) {
      if (!authorized(req, res)) return metrics_.request(path, res.status);
      if (!admitted(res)) return metrics_.request(path, res.status);
      handle(path, res, metrics_, [&] { (this->*fn)(req, res); });
      // A streamed answer releases its place when its stream ends (its content provider's releaser).
      if (!res.is_chunked_content_provider_) metrics_.set_in_flight(in_flight_.fetch_sub(1) - 1);
    });
  };
  post("/v1/chat/completions", &ServeApp::chat_route);
  post("/v1/completions", &ServeApp::completion_route);
  post("/v1/embeddings", &ServeApp::embeddings);
  post("/v1/images/generations", &ServeApp::images);

  http_->Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    send(res, ready_ ? 200 : 503, {{"status", ready_ ? "ok" : "loading"}});
  });
  http_->Get("/v1/models", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    if (!ready_) return send(res, 503, serve::error_body(503, "the models are still loading"));
    json data = json::array();
    for (const auto& m : models_)
      data.push_back({{"id", m.name}, {"object", "model"}, {"created", 0}, {"owned_by", "facet"}, {"kind", kind_name(m.model->kind())}});
    send(res, 200, {{"object", "list"}, {"data", data}});
  });
  http_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    metrics_.set_in_flight(in_flight_);
    res.set_content(metrics_.text(), "text/plain; version=0.0.4");
  });
  http_->Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(kServePage, "text/html; charset=utf-8"); });
  // What httplib answers itself (an unknown path 404, a body over the limit 413, a malformed
  // request 400) gets a JSON error body too.
  http_->set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string why = res.status == 404   ? "no such endpoint: " + req.method + " " + req.path
                            : res.status == 413 ? "the request body is larger than --max-body-mb allows"
                                                : "the request could not be read";
    if (res.status == 413) metrics_.error("too_large");
    send(res, res.status, serve::error_body(res.status, why));
  });
}

void ServeApp::chat_route(const httplib::Request& req, httplib::Response& res) { chat(req, res, false); }
void ServeApp::completion_route(const httplib::Request& req, httplib::Response& res) { chat(req, res, true); }

void ServeApp::chat(const httplib::Request& req, httplib::Response& res, bool completion) {
  const auto arrival = Clock::now();
  std::vector<ChatMessage> messages;
  std::string prompt, model_name;
  GenerateOptions options;
  bool stream = false, include_usage = false, grounded = false;
  if (completion) {
    serve::CompletionRequest r = serve::parse_completion_request(req.body, o_.limits);
    prompt = std::move(r.prompt), model_name = r.model, options = r.options, stream = r.stream, include_usage = r.include_usage;
  } else {
    serve::ChatRequest r = serve::parse_chat_request(req.body, o_.limits);
    messages = std::move(r.messages), model_name = r.model, options = r.options, stream = r.stream,
    include_usage = r.include_usage, grounded = r.grounding;
  }
  Served& m = pick(model_name, {ModelKind::Language}, completion ? "completions" : "chat completions");
  const std::string id = new_id(completion ? "cmpl-" : "chatcmpl-"), name = m.name;
  const int64_t created = unix_seconds();
  Model* model = m.model.get();
  if (grounded) {  // the question as `facet ground` asks it; the boxes in pixels of its image
    if (!model->takes_images()) throw serve::RequestError(400, "model", "the model '" + name + "' takes no images; it cannot ground");
    GroundOptions go;
    go.prompt = messages.back().content;
    go.max_tokens = options.max_tokens;
    go.sampling = options;
    const Grounding g = model->ground(messages.back().images[0], go);
    metrics_.generated(g.completion_tokens, 0);
    send(res, 200, serve::grounded_completion(id, created, name, g));
    return;
  }
  auto run = [model, completion, messages, prompt, options](const TextCallback& on_text) {
    return completion ? model->generate(prompt, {}, options, on_text) : model->chat(messages, options, on_text);
  };
  if (!stream) {
    bool first = true;
    const Generation g = run([&](const std::string&) {
      if (first) metrics_.first_token(seconds_since(arrival)), first = false;
      return !stopping_.load();
    });
    metrics_.generated(static_cast<int64_t>(g.tokens.size()), g.decode_ms / 1000.0);
    send(res, 200, completion ? serve::text_completion(id, created, name, g) : serve::chat_completion(id, created, name, g));
    return;
  }
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, run, id, created, name, completion, include_usage, arrival](size_t, httplib::DataSink& sink) {
        auto write = [&](const std::string& s) { return sink.write(s.data(), s.size()); };
        bool open = completion || write(serve::chat_chunk(id, created, name, "", nullptr, true));
        bool first = true;
        try {
          const Generation g = run([&](const std::string& piece) {
            if (first) metrics_.first_token(seconds_since(arrival)), first = false;
            open = open && write(completion ? serve::completion_chunk(id, created, name, piece, nullptr)
                                            : serve::chat_chunk(id, created, name, piece, nullptr, false));
            return open && !stopping_.load();  // a client that went away frees its place at the next token
          });
          metrics_.generated(static_cast<int64_t>(g.tokens.size()), g.decode_ms / 1000.0);
          if (!open) return false;
          const char* why = g.finish_reason == "length" ? "length" : "stop";
          write(completion ? serve::completion_chunk(id, created, name, "", why) : serve::chat_chunk(id, created, name, "", why, false));
          if (include_usage) {
            json u{{"id", id}, {"object", completion ? "text_completion" : "chat.completion.chunk"}, {"created", created},
                   {"model", name}, {"choices", json::array()},
                   {"usage", serve::usage(g.prompt_tokens, static_cast<int64_t>(g.tokens.size()))}};
            write(serve::sse(u));
          }
        } catch (const std::exception& e) {  // after the headers: the error as an event
          metrics_.error("stream");
          write(serve::sse(serve::error_body(400, e.what())));
        }
        write(serve::kSseDone);
        sink.done();
        return true;
      },
      [this](bool) { metrics_.set_in_flight(in_flight_.fetch_sub(1) - 1); });
}

void ServeApp::embeddings(const httplib::Request& req, httplib::Response& res) {
  serve::EmbeddingRequest r = serve::parse_embedding_request(req.body, o_.limits);
  Served& m = pick(r.model, {ModelKind::Clip, ModelKind::VisionEncoder}, "embeddings");
  Array texts, images;
  if (!r.texts.empty()) texts = m.model->embed_texts(r.texts);  // UsageError for a vision encoder
  if (!r.images.empty()) images = m.model->embed_images(r.images);
  json data = json::array();
  size_t t = 0, i = 0;
  for (size_t k = 0; k < r.is_image.size(); ++k) {
    const Array& a = r.is_image[k] ? images : texts;
    const size_t row = r.is_image[k] ? i++ : t++;
    const int64_t dim = a.shape[1];
    const float* v = a.data.data() + static_cast<int64_t>(row) * dim;
    json vec = r.base64 ? json(base64_encode(v, static_cast<size_t>(dim) * sizeof(float)))  // little-endian hosts
                        : json(std::vector<float>(v, v + dim));
    data.push_back({{"object", "embedding"}, {"index", k}, {"embedding", std::move(vec)}});
  }
  send(res, 200, {{"object", "list"}, {"data", data}, {"model", m.name}, {"usage", serve::usage(0, 0)}});
}

void ServeApp::images(const httplib::Request& req, httplib::Response& res) {
  serve::ImageRequest r = serve::parse_image_request(req.body, o_.limits);
  Served& m = pick(r.model, {ModelKind::ImageGenerator}, "image generations");
  json data = json::array();
  for (int k = 0; k < r.n; ++k) {
    ImageOptions o = r.options;
    o.seed += static_cast<uint64_t>(k);
    o.progress = [this](int, int) { return !stopping_.load(); };
    const std::vector<uint8_t> png = m.model->txt2img(o).encode_png();
    data.push_back({{"b64_json", base64_encode(png.data(), png.size())}, {"seed", o.seed}});
  }
  send(res, 200, {{"created", unix_seconds()}, {"data", data}});
}

int ServeApp::run() {
  http_->set_payload_max_length(o_.max_body);
  const size_t threads = static_cast<size_t>(o_.parallel + o_.queue + 4);
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  routes();
  const int port = o_.port == 0 ? http_->bind_to_any_port(o_.host) : (http_->bind_to_port(o_.host, o_.port) ? o_.port : -1);
  if (port < 0) throw InputError("cannot listen on " + o_.host + ":" + std::to_string(o_.port) + " (in use, or not an address here)");
  std::thread listener([this] { http_->listen_after_bind(); });
  std::cout << "listening on http://" << o_.host << ":" << port << std::endl;
  try {
    device_ = std::make_unique<Device>(device_options_);
    for (const auto& nm : parse_named_models(o_.models)) {
      models_.push_back({nm.name, nm.path, nullptr});
      ModelOptions mo;
      mo.parallel = o_.parallel;  // language models: --parallel replies decoded in one batched step
      mo.context = o_.context;
      models_.back().model = std::make_unique<Model>(*device_, nm.path, mo);
      spdlog::info("serving '{}' ({})", nm.name, nm.path);
    }
  } catch (...) {
    stop();
    listener.join();
    throw;
  }
  ready_ = true;
  std::cout << "ready: " << models_.size() << " model" << (models_.size() == 1 ? "" : "s") << std::endl;
  listener.join();
  // Requests still running finished or were cancelled at their next token (stop()).
  models_.clear();
  return 0;
}

}  // namespace facet::cli
