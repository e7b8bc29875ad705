// The HTTP server behind `facet serve`: the OpenAI API over the host API's Models (cpp-httplib for
// HTTP; core/serve for reading requests, writing responses and the metrics). A language model
// opened with `parallel` slots decodes up to that many requests together, one batched step at a
// time (continuous batching: llm::Batcher); other calls on the Device run one at a time. Beyond
// `parallel` running requests `queue` more wait, and the rest are answered 429 with Retry-After.
#pragma once

#include <facet/facet.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "serve/metrics.hpp"
#include "serve/openai_request.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace facet::cli {

struct ServeOptions {
  std::vector<std::string> models;  // [NAME=]PATH
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string api_key;
  int parallel = 1, queue = 16;
  int64_t context = 0;  // language models' KV-cache positions per slot (0: the model's)
  size_t max_body = 32 << 20;  // bytes
  serve::Limits limits;
};

class ServeApp {
 public:
  ServeApp(ServeOptions options, DeviceOptions device);
  ~ServeApp();
  // Binds (port 0: any free port), prints "listening on http://HOST:PORT", loads the models
  // (/health answers 503 until then) and serves until stop() (SIGTERM, SIGINT).
  int run();
  void stop();

 private:
  struct Served {
    std::string name, path;
    std::unique_ptr<Model> model;
  };
  void routes();
  bool authorized(const httplib::Request& req, httplib::Response& res);
  Served& pick(const std::string& name, std::initializer_list<ModelKind> kinds, const char* what);
  void chat(const httplib::Request& req, httplib::Response& res, bool completion);
  void chat_route(const httplib::Request& req, httplib::Response& res);
  void completion_route(const httplib::Request& req, httplib::Response& res);
  void embeddings(const httplib::Request& req, httplib::Response& res);
  void images(const httplib::Request& req, httplib::Response& res);

  ServeOptions o_;
  DeviceOptions device_options_;
  std::unique_ptr<Device> device_;
  std::vector<Served> models_;
  std::unique_ptr<httplib::Server> http_;
  serve::Metrics metrics_;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> ready_{false}, stopping_{false};
};

}  // namespace facet::cli
