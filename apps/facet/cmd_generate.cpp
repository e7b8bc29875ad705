// facet generate --model DIR --prompt TEXT: raw-text completion with a causal LM folder,
// streamed token by token (or --json), with greedy or sampled decoding.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli_common.hpp"
#include "io/npy.hpp"
#include "llm/llm_session.hpp"
#include "llm/sampler.hpp"
#include "util/error.hpp"

namespace facet::cli {

namespace {

struct GenerateOptions {
  std::string model, prompt, logits_out;
  int max_tokens = 128;
  int64_t context = 0, chunk = 64;
  llm::SamplerOptions sampler;
  bool json = false;
};

// End-of-sequence ids: generation_config.json's eos_token_id (a number or a list), else config.json's;
// for GGUF files tokenizer.ggml.eos_token_id and eot_token_id.
std::vector<int32_t> eos_ids(const pipeline::ModelFolder& folder) {
  std::vector<int32_t> out;
  if (folder.gguf) {
    for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"})
      if (auto id = folder.gguf->get_int(key)) out.push_back(static_cast<int32_t>(*id));
    return out;
  }
  auto add = [&](const nlohmann::json& v) {
    if (v.is_number_integer()) out.push_back(v.get<int32_t>());
    if (v.is_array())
      for (const auto& x : v)
        if (x.is_number_integer()) out.push_back(x.get<int32_t>());
  };
  std::ifstream f(folder.dir + "/generation_config.json");
  if (f) {
    try {
      auto j = nlohmann::json::parse(f);
      if (j.contains("eos_token_id")) add(j["eos_token_id"]);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(folder.dir + "/generation_config.json is not valid JSON: " + e.what());
    }
  }
  if (out.empty()) {
    const auto& c = folder.config();
    if (c.contains("eos_token_id")) add(c["eos_token_id"]);
    else if (c.contains("text_config") && c["text_config"].contains("eos_token_id")) add(c["text_config"]["eos_token_id"]);
  }
  return out;
}

bool ends_incomplete(const std::string& s) { return s.size() >= 3 && s.compare(s.size() - 3, 3, "\xEF\xBF\xBD") == 0; }

}  // namespace

void add_generate(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("generate", "Continue a raw text prompt with a language model folder");
  auto o = std::make_shared<GenerateOptions>();
  cmd->add_option("--model", o->model, "Hugging Face model folder or GGUF file (LLaMA, Mistral, Qwen2)")->required();
  cmd->add_option("--prompt", o->prompt, "Raw prompt text (BOS added as the tokenizer says)")->required();
  cmd->add_option("--max-tokens", o->max_tokens, "New tokens at most (default 128)")->check(CLI::Range(0, 1 << 20));
  cmd->add_option("--temperature", o->sampler.temperature, "0 = greedy (default)")->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--top-k", o->sampler.top_k, "Keep the k most likely tokens (0 = off)")->check(CLI::Range(0, 1 << 30));
  cmd->add_option("--top-p", o->sampler.top_p, "Nucleus sampling (1 = off)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--min-p", o->sampler.min_p, "Drop tokens below min-p x the best probability (0 = off)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--repeat-penalty", o->sampler.repeat_penalty, "Repetition penalty (1 = off)")->check(CLI::Range(0.01, 100.0));
  cmd->add_option("--seed", o->sampler.seed, "Random seed for sampling (default 0)");
  cmd->add_option("--context", o->context, "KV cache positions (default: the model's, at most 4096)")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--chunk", o->chunk, "Prompt tokens per submission (default 64)")->check(CLI::Range(int64_t{1}, int64_t{4096}));
  cmd->add_flag("--json", o->json, "Print {\"tokens\": [...], \"text\": \"...\"} (new tokens only)");
  cmd->add_option("--logits-out", o->logits_out, "Write f32 logits [vocab] at the last prompt position (NPY)");
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      auto folder = pipeline::ModelFolder::open(o->model);
      const text::Tokenizer tokenizer = folder.tokenizer();
      const std::vector<int32_t> prompt = tokenizer.encode(o->prompt);
      if (prompt.empty()) throw InputError("the prompt has no tokens (and the tokenizer adds no BOS)");
      const std::vector<int32_t> eos = eos_ids(folder);

      plugin::PluginRegistry registry(plugin::PluginRegistry::default_search_paths(g.plugin_paths));
      vk::ContextOptions co;
      co.device = vk::resolve_device_selector(g.device, "");
      vk::Context ctx(co);
      Executor executor(ctx, ExecOptions{});
      llm::LlmSession session(folder, registry, ctx, executor, llm::SessionOptions{o->context, o->chunk});
      if (static_cast<int64_t>(prompt.size()) + o->max_tokens > session.context())
        throw InputError("the prompt (" + std::to_string(prompt.size()) + " tokens) and --max-tokens " +
                         std::to_string(o->max_tokens) + " do not fit the context of " + std::to_string(session.context()) +
                         " positions");
      std::vector<float> logits = session.feed(prompt);
      if (!o->logits_out.empty())
        io::write_npy(o->logits_out, HostTensor::from_f32(TensorDesc(DType::F32, {static_cast<int64_t>(logits.size())}), logits));
      llm::Sampler sampler(o->sampler);
      std::vector<int32_t> context = prompt, generated;
      std::string printed;
      for (int i = 0; i < o->max_tokens; ++i) {
        int32_t next = sampler.sample(logits, context);
        bool stop = std::find(eos.begin(), eos.end(), next) != eos.end();
        if (stop) break;
        generated.push_back(next);
        context.push_back(next);
        if (!o->json) {
          std::string text = tokenizer.decode(generated);
          if (!ends_incomplete(text) && text.size() > printed.size() && text.compare(0, printed.size(), printed) == 0) {
            std::cout << text.substr(printed.size()) << std::flush;
            printed = text;
          }
        }
        if (i + 1 < o->max_tokens) logits = session.feed({next});
      }
      std::string text = tokenizer.decode(generated);
      if (o->json) {
        nlohmann::json j;
        j["tokens"] = generated;
        j["text"] = text;
        std::cout << j.dump() << "\n";
      } else {
        if (text.size() > printed.size() && text.compare(0, printed.size(), printed) == 0) std::cout << text.substr(printed.size());
        std::cout << "\n";
      }
      return 0;
    };
  });
}

}  // namespace facet::cli
