// facet generate --model DIR --prompt TEXT: raw-text completion with a causal LM folder,
// streamed token by token (or --json), with greedy or sampled decoding.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli_common.hpp"
#include "io/npy.hpp"
#include "llm/llm_session.hpp"
#include "llm/chat.hpp"
#include "llm/generation.hpp"
#include "llm/sampler.hpp"
#include "util/error.hpp"

namespace facet::cli {

namespace {

struct GenerateOptions {
  std::string model, prompt, logits_out;
  std::vector<std::string> stops;
  int max_tokens = 128;
  llm::SessionOptions session;
  llm::SamplerOptions sampler;
  bool json = false;
};

}  // namespace

void add_sampler_options(CLI::App* cmd, llm::SamplerOptions& s) {
  cmd->add_option("--temperature", s.temperature, "0 = greedy (default)")->check(finite_range(0.0, 100.0));
  cmd->add_option("--top-k", s.top_k, "Keep the k most likely tokens (0 = off)")->check(CLI::Range(0, 1 << 30));
  cmd->add_option("--top-p", s.top_p, "Nucleus sampling (1 = off)")->check(finite_range(0.0, 1.0));
  cmd->add_option("--min-p", s.min_p, "Drop tokens below min-p x the best probability (0 = off)")->check(finite_range(0.0, 1.0));
  cmd->add_option("--repeat-penalty", s.repeat_penalty, "Repetition penalty (1 = off)")->check(finite_range(0.01, 100.0));
  cmd->add_option("--seed", s.seed, "Random seed for sampling (default 0)");
}

void add_generate(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("generate", "Continue a raw text prompt with a language model folder");
  auto o = std::make_shared<GenerateOptions>();
  cmd->add_option("--model", o->model, "Hugging Face model folder or GGUF file (LLaMA, Mistral, Qwen2)")->required();
  cmd->add_option("--prompt", o->prompt, "Raw prompt text (BOS added as the tokenizer says)")->required();
  cmd->add_option("--max-tokens", o->max_tokens, "New tokens at most (default 128)")->check(CLI::Range(0, 1 << 20));
  add_sampler_options(cmd, o->sampler);
  add_session_options(cmd, o->session, true);
  cmd->add_option("--stop", o->stops, "Stop when the text contains this string (repeatable; not printed)");
  cmd->add_flag("--json", o->json, "Print {\"tokens\": [...], \"text\": \"...\"} (new tokens only)");
  cmd->add_option("--logits-out", o->logits_out, "Write f32 logits [vocab] at the last prompt position (NPY)");
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      auto folder = pipeline::ModelFolder::open(o->model);
      const text::Tokenizer tokenizer = folder.tokenizer();
      const std::vector<int32_t> prompt = tokenizer.encode(o->prompt);
      if (prompt.empty()) throw InputError("the prompt has no tokens (and the tokenizer adds no BOS)");
      const std::vector<int32_t> eos = llm::model_eos_ids(folder);

      plugin::PluginRegistry registry(plugin::PluginRegistry::default_search_paths(g.plugin_paths));
      vk::ContextOptions co;
      co.device = vk::resolve_device_selector(g.device, "");
      vk::Context ctx(co);
      Executor executor(ctx, ExecOptions{});
      llm::LlmSession session(folder, registry, ctx, executor, o->session);
      if (static_cast<int64_t>(prompt.size()) + o->max_tokens > session.context())
        throw InputError("the prompt (" + std::to_string(prompt.size()) + " tokens) and --max-tokens " +
                         std::to_string(o->max_tokens) + " do not fit the context of " + std::to_string(session.context()) +
                         " positions");
      std::vector<float> logits = session.feed(prompt);
      if (!o->logits_out.empty())
        io::write_npy(o->logits_out, HostTensor::from_f32(TensorDesc(DType::F32, {static_cast<int64_t>(logits.size())}), logits));
      llm::Sampler sampler(o->sampler);
      llm::Generation out = llm::generate_reply(session, logits, prompt, tokenizer, eos, sampler, o->stops, o->max_tokens, o->json ? llm::TextCallback{} : print_text);
      if (o->json) {
        nlohmann::json j;
        j["tokens"] = out.tokens;
        j["text"] = out.text;
        std::cout << j.dump() << "\n";
      } else {
        std::cout << "\n";
      }
      return 0;
    };
  });
}

}  // namespace facet::cli
