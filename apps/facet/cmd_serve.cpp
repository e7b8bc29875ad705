// facet serve: the served models behind an OpenAI-compatible HTTP API (serve_app.hpp), until
// SIGTERM or SIGINT: then it stops accepting, running generations stop at their next token, and
// it exits 0.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "cli_common.hpp"
#include "serve_app.hpp"
#include "util/error.hpp"

namespace facet::cli {

void add_serve(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("serve", "Serve models over an OpenAI-compatible HTTP API (chat with images, embeddings, images)");
  auto o = std::make_shared<ServeOptions>();
  auto pipeline = std::make_shared<std::string>();
  cmd->add_option("pipeline", *pipeline, "A pipeline TOML to serve (besides any --model)");
  cmd->add_option("--model", o->models, "[NAME=]DIR|FILE: a model folder, GGUF, pipeline TOML or Stable Diffusion model (repeatable)");
  cmd->add_option("--host", o->host, "Address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", o->port, "Port (default 8080; 0: any free port, printed)")->check(CLI::Range(0, 65535));
  cmd->add_option("--api-key", o->api_key, "Require 'Authorization: Bearer KEY' (default: no key)");
  cmd->add_option("--parallel", o->parallel, "Requests a language model decodes together, in one batched step (default 1)")
      ->check(CLI::Range(1, 63));
  cmd->add_option("--context", o->context, "KV-cache positions per request (default: the model's, at most 4096)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--queue", o->queue, "Requests that may wait beyond those; more are answered 429 (default 16)")->check(CLI::Range(0, 4096));
  cmd->add_option("--allow-local-files", o->limits.local_files, "Accept file:// image URLs under this folder");
  auto max_body_mb = std::make_shared<size_t>(32);
  cmd->add_option("--max-body-mb", *max_body_mb, "Largest request body in MiB (default 32)")->check(CLI::Range(1, 1024));
  cmd->callback([&run, &g, o, pipeline, max_body_mb] {
    run = [&g, o, pipeline, max_body_mb] {
      o->max_body = *max_body_mb << 20;
      if (!pipeline->empty()) o->models.insert(o->models.begin(), *pipeline);
      if (o->models.empty()) throw UsageError("give the models to serve: --model [NAME=]PATH (repeatable) or a pipeline TOML");
      (void)parse_named_models(o->models);  // names checked before anything loads
      // SIGTERM and SIGINT go to one thread that stops the server (blocked here, before any other
      // thread starts, so that every thread inherits the mask).
      sigset_t signals;
      sigemptyset(&signals);
      sigaddset(&signals, SIGTERM);
      sigaddset(&signals, SIGINT);
      pthread_sigmask(SIG_BLOCK, &signals, nullptr);
      pipeline::RuntimeSpec runtime;
      ServeApp server(*o, device_options(g, runtime));
      std::atomic<bool> done{false};
      std::thread watcher([&] {
        const timespec tick{0, 200'000'000};
        while (!done) {
          if (sigtimedwait(&signals, nullptr, &tick) > 0) {
            server.stop();
            return;
          }
        }
      });
      int rc = 0;
      try {
        rc = server.run();
      } catch (...) {
        done = true;
        watcher.join();
        throw;
      }
      done = true;
      watcher.join();
      return rc;
    };
  });
}

}  // namespace facet::cli
