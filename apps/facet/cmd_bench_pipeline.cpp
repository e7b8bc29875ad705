// facet bench pipeline [PIPELINE.toml | --model DIR] --image IMG [--images K] [-p 32] [-n 32] [-r 3]
// [--json]: time to first token of a multimodal pipeline and its decode speed. Per repetition: a
// fresh KV cache; K images decoded and preprocessed (host); one prefill submission of BOS, the
// images' rows and p random text tokens (encoders, adapters and the language model, GPU time per
// stage from timestamps); then n greedy decode steps. TTFT = preprocessing + the prefill
// submission's wall time (upload, dispatches, logits read back). Medians over the repetitions,
// after one warm-up run (pipeline compilation and weight upload are not counted).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include "cli_common.hpp"
#include "graph/executor.hpp"
#include "llm/media_prompt.hpp"
#include "llm/sampler.hpp"
#include "llm/vlm_session.hpp"
#include "plugin/registry.hpp"
#include "util/error.hpp"

namespace facet::cli {

namespace {

struct BenchPipelineOptions {
  std::string pipeline, model, image;
  int64_t images = 1, prompt = 32, gen = 32;
  int repeat = 3;
  bool json = false;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// "encoder", "adapter", "llm" or "other": the kind of the component a stage runs.
std::map<std::string, std::string> stage_kinds(const pipeline::PipelineSpec& spec, plugin::PluginRegistry& registry) {
  std::map<std::string, std::string> out;
  for (const auto& st : spec.stages) {
    auto p = registry.get(st.plugin);
    const facet_component_desc* c = p->component(st.component.empty() ? p->component_names().at(0) : st.component);
    out[st.id] = !c ? "other"
                 : c->kind == FACET_KIND_ENCODER ? "encoder"
                 : c->kind == FACET_KIND_ADAPTER ? "adapter"
                 : c->kind == FACET_KIND_LLM     ? "llm"
                                                 : "other";
  }
  return out;
}

struct Run {
  double preprocess = 0, submit = 0, decode_tps = 0;
  std::map<std::string, double> gpu;  // by kind
};

}  // namespace

// What pipelines with an instruction input (InstructBLIP) are given.
constexpr const char* kInstruction = "Describe the image in detail.";

void add_bench_pipeline(CLI::App* bench, GlobalOptions& g, Action& run) {
  auto* cmd = bench->add_subcommand("pipeline", "Time to first token (preprocessing, encoders, adapters, prefill) and decode speed of a multimodal pipeline");
  auto o = std::make_shared<BenchPipelineOptions>();
  cmd->add_option("pipeline", o->pipeline, "Pipeline TOML file");
  cmd->add_option("--model", o->model, "Model folder (LLaVA) instead of a pipeline");
  cmd->add_option("--image", o->image, "Image given to every image slot")->required();
  cmd->add_option("--images", o->images, "Images per prompt (default 1)")->check(CLI::Range(int64_t{1}, int64_t{64}));
  cmd->add_option("-p,--prompt", o->prompt, "Text tokens after the images (default 32)")->check(CLI::Range(int64_t{0}, int64_t{4096}));
  cmd->add_option("-n,--gen", o->gen, "Generated tokens (default 32)")->check(CLI::Range(int64_t{1}, int64_t{4096}));
  cmd->add_option("-r,--repeat", o->repeat, "Repetitions (default 3; medians reported)")->check(CLI::Range(1, 1000));
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      const pipeline::PipelineSpec spec = load_pipeline_spec(o->pipeline, o->model);
      plugin::PluginRegistry registry(plugin_search_paths(g, spec));
      vk::ContextOptions co = context_options(g, spec.runtime);
      co.profiling = true;  // the per-stage split
      vk::Context ctx(co);
      Executor executor(ctx, ExecOptions{});
      llm::VlmSession vlm(spec, registry, ctx, executor, llm::SessionOptions{0, 64});
      if (!vlm.takes_images()) throw InputError("'" + spec.path + "' takes no images; use facet bench llm for a language model");
      const auto kinds = stage_kinds(spec, registry);
      llm::MediaPromptOptions mo;
      mo.layout = vlm.prompt_layout();
      mo.images = o->images;
      mo.rows_per_image = vlm.rows_per_image();
      std::string raw;
      for (int64_t k = 0; k < o->images; ++k) raw += "<image>";
      std::vector<int32_t> ids = llm::encode_media_prompt(vlm.tokenizer(), raw, mo).ids;
      std::mt19937 rng(7);
      // Ordinary text ids of this model (the first few are usually special).
      const int32_t vocab = static_cast<int32_t>(std::min<int64_t>(vlm.llm().vocab(), 32000));
      if (vocab < 8) throw InputError("the language model's vocabulary of " + std::to_string(vocab) + " is too small to draw prompt tokens from");
      std::uniform_int_distribution<int32_t> pick(3, vocab - 1);
      for (int64_t i = 0; i < o->prompt; ++i) ids.push_back(pick(rng));
      if (static_cast<int64_t>(ids.size()) + o->gen > vlm.llm().context())
        throw InputError("the prompt (" + std::to_string(ids.size()) + " tokens) and " + std::to_string(o->gen) +
                         " new tokens do not fit the context of " + std::to_string(vlm.llm().context()));
      using clock = std::chrono::steady_clock;
      auto ms = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); };

      std::vector<Run> runs;
      for (int r = 0; r <= o->repeat; ++r) {  // run 0 warms up
        vlm.llm().reset();
        Run x;
        auto t0 = clock::now();
        std::vector<HostTensor> pixels;
        for (int64_t k = 0; k < o->images; ++k) pixels.push_back(vlm.load_image(o->image));
        x.preprocess = ms(t0, clock::now());
        std::vector<float> logits = vlm.prefill(ids, pixels, kInstruction);
        x.submit = vlm.last_prefill().submit_ms;
        for (const auto& s : vlm.last_prefill().stages) x.gpu[kinds.count(s.stage) ? kinds.at(s.stage) : "other"] += s.gpu_ms;
        auto t1 = clock::now();
        for (int64_t i = 0; i < o->gen; ++i) logits = vlm.llm().feed({llm::argmax(logits)});
        x.decode_tps = static_cast<double>(o->gen) / std::chrono::duration<double>(clock::now() - t1).count();
        if (r > 0) runs.push_back(std::move(x));
      }
      auto med = [&](auto f) {
        std::vector<double> v;
        for (const auto& x : runs) v.push_back(f(x));
        return median(v);
      };
      auto gpu = [&](const char* kind) { return med([&](const Run& x) { return x.gpu.count(kind) ? x.gpu.at(kind) : 0.0; }); };
      const double pre = med([](const Run& x) { return x.preprocess; }), sub = med([](const Run& x) { return x.submit; });
      const double ttft = med([](const Run& x) { return x.preprocess + x.submit; });
      const double enc = gpu("encoder"), ad = gpu("adapter"), lm = gpu("llm");
      const double other = med([](const Run& x) {
        double s = x.submit;
        for (const auto& [k, v] : x.gpu) s -= v;
        return s;
      });
      const double tps = med([](const Run& x) { return x.decode_tps; });
      const int64_t image_tokens = o->images * vlm.rows_per_image();
      if (o->json) {
        nlohmann::json j{{"pipeline", o->pipeline.empty() ? o->model : o->pipeline}, {"device", device_json(ctx.info())},
                         {"images", o->images}, {"image_tokens", image_tokens}, {"prompt_tokens", ids.size()},
                         {"gen_tokens", o->gen}, {"repeat", o->repeat}, {"ttft_ms", ttft}, {"preprocess_ms", pre},
                         {"prefill_submit_ms", sub}, {"encoders_gpu_ms", enc}, {"adapters_gpu_ms", ad},
                         {"llm_prefill_gpu_ms", lm}, {"host_and_transfer_ms", other}, {"decode_tokens_per_s", tps}};
        std::cout << j.dump(2) << "\n";
      } else {
        std::printf("pipeline  %s\ndevice    %s\n", (o->pipeline.empty() ? o->model : o->pipeline).c_str(),
                    device_text(ctx.info()).c_str());
        std::printf("prompt    %zu tokens (%lld image tokens from %lld image(s), %lld text)\n", ids.size(),
                    static_cast<long long>(image_tokens), static_cast<long long>(o->images), static_cast<long long>(o->prompt));
        std::printf("TTFT             %10.1f ms\n", ttft);
        std::printf("  preprocessing  %10.1f ms  (host: decode, resize, normalize)\n", pre);
        std::printf("  encoders       %10.1f ms  (GPU)\n", enc);
        std::printf("  adapters       %10.1f ms  (GPU)\n", ad);
        std::printf("  LLM prefill    %10.1f ms  (GPU)\n", lm);
        std::printf("  host/transfer  %10.1f ms  (recording, uploads, logits read back)\n", other);
        std::printf("decode           %10.2f tokens/s (%lld greedy steps)\n", tps, static_cast<long long>(o->gen));
        std::printf("%d repetitions after a warm-up, medians\n", o->repeat);
      }
      return 0;
    };
  });
}

}  // namespace facet::cli
