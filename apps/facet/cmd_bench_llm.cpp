// facet bench llm --model DIR|FILE.gguf [-p 128] [-n 32] [-r 5] [-b 1] [--json]: end-to-end language
// model speed, as llama-bench measures it. Per repetition: the cache is reset, a prompt of p
// random token ids is prefilled in one chunk (prompt processing, pp), then n tokens are decoded
// one at a time, each fed back greedily (text generation, tg). With -b B > 1 the cache holds B
// sequences (the LLM's slots): the prompt is prefilled into each, then every decode step feeds one
// token of each of the B sequences in one run (batched decoding, as `facet serve --parallel`
// does); tg is then all B sequences' tokens per second. Wall-clock times include reading
// the logits back. Decode GB/s is the weight bytes one decode step reads (every matrix and norm;
// of the embedding table only the head's read when it is tied) divided by the time per token.
// --profile adds, after the timed repetitions, GPU time per kernel of one prefill and one decode
// step (timestamps around every dispatch), and the step's wall-clock time, so that what the GPU
// time does not explain (dispatch overhead, host work, transfers) shows too.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>

#include "cli_common.hpp"
#include "io/weights.hpp"
#include "llm/llm_session.hpp"
#include "llm/sampler.hpp"
#include "util/error.hpp"
#include "vk/context.hpp"

namespace facet::cli {

namespace {

struct BenchLlmOptions {
  std::string model;
  int64_t prompt = 128, gen = 32;
  int repeat = 5;
  int64_t batch = 1;
  bool json = false, profile = false;
  llm::SessionOptions session;  // --kv-cache, --quantize
};

struct Spread {
  double median = 0, min = 0, max = 0;
};

Spread spread(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

// Bytes of the embedding table that a decode step does not read: the whole table when the output
// head has its own matrix (the lookup reads one row), nothing when the head is the table itself.
uint64_t unread_embedding_bytes(const std::string& model) {
  auto ws = io::WeightSet::open(model);
  for (const auto& [embed, head] : {std::pair{"token_embd.weight", "output.weight"},
                                    std::pair{"model.embed_tokens.weight", "lm_head.weight"},
                                    std::pair{"language_model.model.embed_tokens.weight", "language_model.lm_head.weight"}}) {
    auto e = ws->find(embed);
    if (!e) continue;
    return ws->find(head) ? e->bytes : 0;
  }
  return 0;
}

// GPU time of one run per kernel, largest first.
struct KernelTime {
  std::string kernel;
  int dispatches = 0;
  double ms = 0;
};

struct StepProfile {
  double wall_ms = 0;
  std::vector<KernelTime> kernels;
  double gpu_ms() const {
    double t = 0;
    for (const auto& k : kernels) t += k.ms;
    return t;
  }
  int dispatches() const {
    int n = 0;
    for (const auto& k : kernels) n += k.dispatches;
    return n;
  }
};

StepProfile profile_of(const RunStats& stats, double wall_ms) {
  std::map<std::string, KernelTime> by_kernel;
  for (const NodeTiming& t : stats.timings) {
    KernelTime& k = by_kernel[t.kernel];
    k.kernel = t.kernel;
    k.dispatches += 1;
    k.ms += t.ms;
  }
  StepProfile p{wall_ms, {}};
  for (auto& [name, k] : by_kernel) p.kernels.push_back(k);
  std::sort(p.kernels.begin(), p.kernels.end(), [](const KernelTime& a, const KernelTime& b) { return a.ms > b.ms; });
  return p;
}

nlohmann::json profile_json(const StepProfile& p) {
  nlohmann::json kernels = nlohmann::json::array();
  for (const auto& k : p.kernels) kernels.push_back({{"kernel", k.kernel}, {"dispatches", k.dispatches}, {"gpu_ms", k.ms}});
  return {{"wall_ms", p.wall_ms}, {"gpu_ms", p.gpu_ms()}, {"dispatches", p.dispatches()}, {"kernels", kernels}};
}

void print_profile(const char* what, const StepProfile& p) {
  std::printf("\n%s: %.3f ms wall, %.3f ms GPU in %d dispatches (%.3f ms not in any dispatch)\n", what, p.wall_ms,
              p.gpu_ms(), p.dispatches(), p.wall_ms - p.gpu_ms());
  std::printf("  %-32s %10s %10s %7s\n", "kernel", "dispatches", "GPU ms", "share");
  for (const auto& k : p.kernels)
    std::printf("  %-32s %10d %10.3f %6.1f%%\n", k.kernel.c_str(), k.dispatches, k.ms, 100.0 * k.ms / std::max(p.gpu_ms(), 1e-9));
}

}  // namespace

void add_bench_llm(CLI::App* bench, GlobalOptions& g, Action& run) {
  auto* cmd = bench->add_subcommand("llm", "Prompt-processing and generation speed of a language model");
  auto o = std::make_shared<BenchLlmOptions>();
  cmd->add_option("--model", o->model, "Hugging Face model folder or GGUF file")->required();
  cmd->add_option("-p,--prompt", o->prompt, "Prompt tokens (default 128)")->check(CLI::Range(int64_t{1}, int64_t{4096}));
  cmd->add_option("-n,--gen", o->gen, "Generated tokens (default 32)")->check(CLI::Range(int64_t{1}, int64_t{4096}));
  cmd->add_option("-r,--repeat", o->repeat, "Repetitions (default 5; medians reported)")->check(CLI::Range(1, 1000));
  cmd->add_option("-b,--batch", o->batch, "Sequences decoded together in one step (default 1)")->check(CLI::Range(int64_t{1}, int64_t{63}));
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->add_flag("--profile", o->profile, "Also print GPU time per kernel of one prefill and one decode step");
  add_model_load_options(cmd, o->session);
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      auto folder = pipeline::ModelFolder::open(o->model);
      plugin::PluginRegistry registry(plugin::PluginRegistry::default_search_paths(g.plugin_paths));
      vk::ContextOptions co;
      co.device = vk::resolve_device_selector(g.device, "");
      co.profiling = o->profile;
      vk::Context ctx(co);
      Executor executor(ctx, ExecOptions{});
      const int64_t chunk = std::min<int64_t>(o->prompt, 512);
      llm::SessionOptions so = o->session;
      so.context = o->prompt + o->gen;
      so.chunk = chunk;
      so.slots = o->batch;
      llm::LlmSession session(folder, registry, ctx, executor, so);
      if (session.slots() != o->batch) throw UsageError("'" + o->model + "': its language model does not decode in batches");
      std::mt19937 rng(7);
      std::uniform_int_distribution<int32_t> pick(3, static_cast<int32_t>(session.vocab() - 1));
      std::vector<int32_t> prompt(static_cast<size_t>(o->prompt));
      for (auto& id : prompt) id = pick(rng);
      const int64_t b = o->batch;
      // Prefills the prompt into every slot; returns the last logits of each.
      auto prefill_all = [&] {
        std::vector<std::vector<float>> last;
        for (int64_t s = 0; s < b; ++s) {
          session.use_slot(s);
          session.reset();
          last.push_back(session.feed(prompt));
        }
        return last;
      };
      // One decode step: the next token of every slot (one run when b > 1).
      auto decode_step = [&](std::vector<std::vector<float>>& logits) {
        if (b == 1) {
          logits[0] = session.feed({llm::argmax(logits[0])});
          return;
        }
        std::vector<std::pair<int64_t, int32_t>> tokens;
        for (int64_t s = 0; s < b; ++s) tokens.emplace_back(s, llm::argmax(logits[static_cast<size_t>(s)]));
        logits = session.step(tokens);
      };
      using clock = std::chrono::steady_clock;
      auto seconds = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };

      // Warm-up: record the prefill and decode plans, compile pipelines, upload weights.
      {
        auto logits = prefill_all();
        decode_step(logits);
      }
      const uint64_t step_bytes = executor.last_stats().weight_bytes - unread_embedding_bytes(o->model);
      std::vector<double> pp, tg;
      for (int r = 0; r < o->repeat; ++r) {
        auto t0 = clock::now();
        std::vector<std::vector<float>> logits = prefill_all();
        auto t1 = clock::now();
        for (int64_t i = 0; i < o->gen; ++i) decode_step(logits);
        auto t2 = clock::now();
        pp.push_back(static_cast<double>(b * o->prompt) / seconds(t0, t1));
        tg.push_back(static_cast<double>(b * o->gen) / seconds(t1, t2));
      }
      StepProfile prefill_profile, decode_profile;
      if (o->profile) {
        auto t0 = clock::now();
        std::vector<std::vector<float>> logits = prefill_all();  // the last slot's prefill is profiled
        auto t1 = clock::now();
        prefill_profile = profile_of(executor.last_stats(), 1e3 * seconds(t0, t1) / static_cast<double>(b));
        decode_step(logits);
        auto t2 = clock::now();
        decode_profile = profile_of(executor.last_stats(), 1e3 * seconds(t1, t2));
      }
      const Spread p = spread(pp), t = spread(tg);
      const double gbs = static_cast<double>(step_bytes) * t.median / static_cast<double>(b) / 1e9;  // per step
      if (o->json) {
        nlohmann::json j{{"model", o->model}, {"device", device_json(ctx.info())}, {"prompt_tokens", o->prompt},
                         {"gen_tokens", o->gen}, {"repeat", o->repeat}, {"batch", b},
                         {"pp_tokens_per_s", p.median}, {"pp_tokens_per_s_min", p.min}, {"pp_tokens_per_s_max", p.max},
                         {"tg_tokens_per_s", t.median}, {"tg_tokens_per_s_min", t.min}, {"tg_tokens_per_s_max", t.max},
                         {"decode_bytes_per_token", step_bytes}, {"decode_gb_per_s", gbs},
                         {"kv_cache", so.kv_cache.empty() ? "f16" : so.kv_cache}, {"quantize", so.quantize}};
        if (o->profile) j["profile"] = {{"prefill", profile_json(prefill_profile)}, {"decode", profile_json(decode_profile)}};
        std::cout << j.dump(2) << "\n";
      } else {
        std::printf("model   %s\ndevice  %s\n", o->model.c_str(), device_text(ctx.info()).c_str());
        std::printf("pp%-5lld %10.2f tokens/s  (min %.2f, max %.2f)\n", static_cast<long long>(o->prompt), p.median, p.min, p.max);
        std::printf("tg%-5lld %10.2f tokens/s  (min %.2f, max %.2f)%s\n", static_cast<long long>(o->gen), t.median, t.min, t.max,
                    b > 1 ? ("  [" + std::to_string(b) + " sequences in each step]").c_str() : "");
        std::printf("decode  %10.2f GB/s      (%.1f MB of weights per token)\n", gbs, static_cast<double>(step_bytes) / 1e6);
        std::printf("%d repetitions, medians\n", o->repeat);
        if (o->profile) {
          print_profile(("prefill of " + std::to_string(o->prompt) + " tokens").c_str(), prefill_profile);
          print_profile(b > 1 ? ("one decode step of " + std::to_string(b) + " sequences").c_str() : "one decode step", decode_profile);
        }
      }
      return 0;
    };
  });
}

}  // namespace facet::cli
