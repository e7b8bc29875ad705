// facet chat --model DIR|FILE.gguf: an interactive conversation. Each line read from stdin is a
// user message; the reply streams to stdout. The KV cache is kept between turns: the whole
// conversation is rendered with the chat template again, and only the tokens after the part the
// cache already holds are fed. "/reset" starts over; end of input ends the chat.
#include <iostream>

#include "cli_common.hpp"
#include "llm/chat.hpp"
#include "llm/llm_session.hpp"
#include "llm/sampler.hpp"
#include "llm/text_stream.hpp"
#include "util/error.hpp"
#include "vk/context.hpp"

namespace facet::cli {

namespace {

struct ChatOptions {
  std::string model, system, chat_template;
  std::vector<std::string> stops;
  int max_tokens = 512;
  llm::SessionOptions session;
  llm::SamplerOptions sampler;
};

}  // namespace

void add_chat(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("chat", "Chat with a language model (one user message per input line)");
  auto o = std::make_shared<ChatOptions>();
  cmd->add_option("--model", o->model, "Hugging Face model folder or GGUF file")->required();
  cmd->add_option("--system", o->system, "System message");
  cmd->add_option("--chat-template", o->chat_template, "Built-in template: vicuna, llama-2, mistral, llama-3, chatml (default: "
                  "recognised from the model)");
  cmd->add_option("--max-tokens", o->max_tokens, "New tokens per reply at most (default 512)")->check(CLI::Range(1, 1 << 20));
  add_sampler_options(cmd, o->sampler);
  cmd->add_option("--stop", o->stops, "End a reply when its text contains this string (repeatable)");
  add_session_options(cmd, o->session, true);
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      auto folder = pipeline::ModelFolder::open(o->model);
      const text::Tokenizer tokenizer = folder.tokenizer();
      const llm::ChatTemplate tmpl = llm::chat_template_for(folder, o->chat_template);
      const std::vector<int32_t> stop_ids = llm::end_of_turn_ids(tokenizer, tmpl, llm::model_eos_ids(folder));
      plugin::PluginRegistry registry(plugin::PluginRegistry::default_search_paths(g.plugin_paths));
      vk::ContextOptions co;
      co.device = vk::resolve_device_selector(g.device, "");
      vk::Context ctx(co);
      Executor executor(ctx, ExecOptions{});
      llm::LlmSession session(folder, registry, ctx, executor, o->session);
      llm::Sampler sampler(o->sampler);

      std::vector<llm::ChatMessage> messages;
      if (!o->system.empty()) messages.push_back({"system", o->system});
      const size_t fresh = messages.size();
      std::vector<int32_t> cached;  // the tokens the KV cache holds, in order
      std::string line;
      while (std::getline(std::cin, line)) {
        if (line == "/reset") {
          messages.resize(fresh);
          session.reset();
          cached.clear();
          continue;
        }
        if (line.empty()) continue;
        messages.push_back({"user", line});
        std::vector<int32_t> ids = llm::encode_chat(tokenizer, tmpl, messages, true);
        if (static_cast<int64_t>(ids.size()) + 1 > session.context())
          throw InputError("the conversation (" + std::to_string(ids.size()) + " tokens) no longer fits the context of " +
                           std::to_string(session.context()) + " positions; use --context or /reset");
        size_t common = 0;
        while (common < cached.size() && common < ids.size() && cached[common] == ids[common]) ++common;
        if (common == ids.size()) --common;  // feed at least one token to get logits
        session.truncate(static_cast<int64_t>(common));
        std::vector<float> logits = session.feed(std::vector<int32_t>(ids.begin() + static_cast<long>(common), ids.end()));
        cached = ids;
        llm::TextStream stream(tokenizer, o->stops);
        std::vector<int32_t> history = ids;
        for (int i = 0; i < o->max_tokens && !stream.stopped(); ++i) {
          const int32_t next = sampler.sample(logits, history);
          if (std::find(stop_ids.begin(), stop_ids.end(), next) != stop_ids.end()) break;
          history.push_back(next);
          std::cout << stream.push(next) << std::flush;
          if (session.position() + 1 >= session.context()) break;  // the reply fills the context
          logits = session.feed({next});
          cached.push_back(next);
        }
        std::cout << stream.finish() << std::endl;
        messages.push_back({"assistant", stream.text()});
      }
      return 0;
    };
  });
}

}  // namespace facet::cli
