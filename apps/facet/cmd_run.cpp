// facet run: a pipeline from a TOML file or a model folder. Pipelines of file inputs run once and
// print their outputs; pipelines with a language model (an input of type tokens) take --image and
// --prompt/--raw-prompt, run encoders, adapters and the prompt's prefill in one submission, and
// stream the answer (or print it as --json with tokens and per-stage timings). Pipelines with an
// input of type boxes take --region (original pixels, "<region>" in the prompt); pipelines with
// [grounding] read the boxes of the answer as facet ground does (--json "grounding", --draw).
#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli_common.hpp"
#include "graph/executor.hpp"
#include "grounding/draw.hpp"
#include "grounding/json.hpp"
#include "grounding_output.hpp"
#include "io/image_write.hpp"
#include "io/npy.hpp"
#include "llm/chat.hpp"
#include "llm/generation.hpp"
#include "llm/grounded_answer.hpp"
#include "llm/media_prompt.hpp"
#include "llm/reply.hpp"
#include "llm/vlm_session.hpp"
#include "pipeline/model_pipeline.hpp"
#include "pipeline/pipeline.hpp"
#include "util/error.hpp"
#include "vk/context.hpp"

namespace facet::cli {

namespace {
struct RunOptions {
  std::string pipeline, model;
  std::vector<std::string> images, regions;
  std::string draw;
  std::string prompt, raw_prompt, chat_template, system;
  std::vector<std::string> stops;
  int max_tokens = 256;
  llm::SessionOptions session;
  llm::SamplerOptions sampler;
  bool json = false, profile = false, debug = false, validation = false;
  std::string save_dir;
  uint32_t timeout_ms = 0;
};

int run_language_model(const pipeline::PipelineSpec& spec, const RunOptions& o, plugin::PluginRegistry& registry,
                       vk::Context& ctx, Executor& executor) {
  if (o.prompt.empty() == o.raw_prompt.empty())
    throw UsageError("this pipeline has a language model: give --prompt (a chat message) or --raw-prompt (text as written)");
  llm::VlmSession vlm(spec, registry, ctx, executor, o.session);
  if (!o.images.empty() && !vlm.takes_images()) throw InputError("'" + spec.path + "' takes no images, but --image was given");
  if (!o.regions.empty() && !vlm.takes_regions())
    throw InputError("'" + spec.path + "' takes no regions (no input of type boxes), but --region was given");
  if (!o.draw.empty() && spec.grounding.format.empty())
    throw UsageError("--draw needs a pipeline with a [grounding] table (the format the model writes boxes in)");
  if ((!o.regions.empty() || !o.draw.empty()) && o.images.empty()) throw UsageError("--region and --draw need an --image");
  auto t0 = std::chrono::steady_clock::now();
  std::vector<HostTensor> pixels;
  io::RgbImage first;  // regions, boxes and the drawing refer to the first image
  for (const auto& path : o.images) {
    io::RgbImage image = io::load_image(path);
    pixels.push_back(vlm.preprocess(image));
    if (pixels.size() == 1) first = std::move(image);
  }
  llm::Regions regions{first.width, first.height, {}};
  for (const auto& r : o.regions) regions.boxes.push_back(parse_region(r));
  const double preprocess_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  llm::MediaPromptOptions mo;
  mo.layout = vlm.prompt_layout();
  if (o.raw_prompt.empty() && mo.layout != llm::PromptLayout::Kosmos2) {  // Kosmos-2: no chat template
    mo.chat = vlm.chat_template(o.chat_template);
    mo.system = o.system.empty() ? vlm.system_message() : o.system;
  }
  mo.images = static_cast<int64_t>(pixels.size());
  mo.rows_per_image = vlm.rows_per_image();
  mo.regions = static_cast<int64_t>(regions.boxes.size());
  mo.rows_per_region = vlm.rows_per_region();
  const llm::MediaPrompt prompt = llm::encode_media_prompt(vlm.tokenizer(), o.raw_prompt.empty() ? o.prompt : o.raw_prompt, mo);
  if (prompt.ids.empty()) throw InputError("the prompt has no tokens");
  llm::ReplyOptions ro;
  ro.sampler = o.sampler;
  ro.stops = o.stops;
  ro.max_tokens = o.max_tokens;
  if (!o.json) ro.on_text = print_text;
  llm::Generation out = llm::reply(vlm, prompt, pixels, mo.chat, ro, regions);
  const llm::PrefillTimes prefill = vlm.last_prefill();
  std::optional<llm::ReadBoxes> boxes;  // [grounding]: the answer's boxes on the first image
  if (!spec.grounding.format.empty() && !pixels.empty()) {
    boxes = llm::read_boxes(vlm.tokenizer(), grounding::parse_format(spec.grounding.format), prompt.ids, out,
                            vlm.frame(first.width, first.height));
    for (const auto& w : boxes->grounding.warnings) std::cerr << "warning: " << w << "\n";
    if (!o.draw.empty()) io::write_png(o.draw, grounding::draw(first, boxes->grounding));
  }
  if (o.json) {
    nlohmann::json stages = nlohmann::json::array();
    for (const auto& s : prefill.stages) stages.push_back({{"stage", s.stage}, {"gpu_ms", s.gpu_ms}});
    const int64_t image_tokens = mo.images * mo.rows_per_image;
    nlohmann::json j{{"text", out.text},
                     {"tokens", out.tokens},
                     {"prompt_tokens", prompt.ids.size()},
                     {"image_tokens", image_tokens},
                     {"timings",
                      {{"preprocess_ms", preprocess_ms},
                       {"prefill_ms", prefill.submit_ms},
                       {"decode_ms", out.decode_ms},
                       {"decode_tokens_per_s", out.decode_ms > 0 ? 1000.0 * static_cast<double>(out.decode_steps) / out.decode_ms : 0.0},
                       {"stages", stages}}}};
    if (vlm.takes_regions()) j["region_tokens"] = mo.regions * mo.rows_per_region;
    if (boxes) j["grounding"] = grounding::to_json(boxes->grounding);
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "\n";
    if (boxes) print_entities(std::cout, boxes->grounding);
    if (!o.draw.empty()) std::cout << "boxes drawn: " << o.draw << "\n";
  }
  return 0;
}

}  // namespace

void add_run(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("run", "Run a pipeline from a TOML file or a model folder (LLaVA, LLaMA, ...)");
  auto o = std::make_shared<RunOptions>();
  cmd->add_option("pipeline", o->pipeline, "Pipeline TOML file");
  cmd->add_option("--model", o->model, "Model folder run without a TOML file: LLaVA (llava-hf or the LLaVA repository's layout) or a language model");
  cmd->add_option("--image", o->images, "Image for the pipeline's image input (repeatable; in the order of the <image> markers)");
  cmd->add_option("--region", o->regions, "A region X1,Y1,X2,Y2 in pixels of the first image for a pipeline with a boxes input (repeatable; in the order of the <region> markers)");
  cmd->add_option("--draw", o->draw, "For a pipeline with [grounding]: write the first image with the answer's boxes drawn to this PNG file");
  cmd->add_option("--prompt", o->prompt, "User message, put in the model's chat template (one <image>\\n per image leads it unless it has <image> markers)");
  cmd->add_option("--raw-prompt", o->raw_prompt, "Prompt sent as written, <image> marking where each image goes");
  cmd->add_option("--max-tokens", o->max_tokens, "New tokens at most (default 256)")->check(CLI::Range(0, 1 << 20));
  add_sampler_options(cmd, o->sampler);
  cmd->add_option("--stop", o->stops, "Stop when the text contains this string (repeatable; not printed)");
  cmd->add_option("--chat-template", o->chat_template, "Built-in chat template to use instead of the model's");
  cmd->add_option("--system", o->system, "System message for the chat template");
  add_session_options(cmd, o->session, false);
  cmd->add_flag("--json", o->json, "Print outputs (or the answer's text and tokens), stage shapes and timings as JSON");
  cmd->add_flag("--profile", o->profile, "Record GPU time per dispatch");
  cmd->add_flag("--debug", o->debug, "Check every node against its CPU reference");
  cmd->add_flag("--validation", o->validation, "Enable the Khronos validation layer");
  cmd->add_option("--timeout-ms", o->timeout_ms, "GPU wait limit per submission");
  cmd->add_option("--save", o->save_dir, "Write each output as <dir>/<stage>.<port>.npy");
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      pipeline::PipelineSpec spec = load_pipeline_spec(o->pipeline, o->model);
      plugin::PluginRegistry registry(plugin_search_paths(g, spec));
      const bool language = spec.has_language_model();
      if (language && !o->save_dir.empty())
        throw UsageError("--save writes a pipeline's output tensors; '" + spec.path + "' is a language model, whose answer is text (use --json)");
      if (!language && (!o->images.empty() || !o->regions.empty() || !o->prompt.empty() || !o->raw_prompt.empty()))
        throw UsageError("'" + spec.path + "' has no language model (no input of type tokens); --image and --prompt do not apply");
      std::unique_ptr<pipeline::Pipeline> p;
      if (!language) p = pipeline::Pipeline::load(spec, registry);  // every check before the GPU is touched

      vk::ContextOptions co = context_options(g, spec.runtime);
      co.validation = co.validation || o->validation;
      co.profiling = co.profiling || o->profile;
      if (o->timeout_ms) co.timeout_ms = o->timeout_ms;
      vk::Context ctx(co);
      Executor executor(ctx, ExecOptions{o->debug || spec.runtime.debug});
      if (language) return run_language_model(spec, *o, registry, ctx, executor);
      auto outputs = p->run(ctx, executor);
      const RunStats& st = executor.last_stats();

      if (!o->save_dir.empty()) {
        std::filesystem::create_directories(o->save_dir);
        for (const auto& [name, t] : outputs) io::write_npy(o->save_dir + "/" + name + ".npy", t);
      }
      if (o->json) {
        nlohmann::json j{{"pipeline", o->pipeline}, {"device", ctx.info().name}, {"stages", nlohmann::json::array()},
                         {"outputs", nlohmann::json::object()}};
        for (const auto& s : p->stages()) {
          nlohmann::json outs = nlohmann::json::object();
          for (const auto& [port, d] : s.outputs) outs[port] = d.str();
          j["stages"].push_back({{"id", s.id}, {"plugin", s.plugin}, {"component", s.component}, {"outputs", outs}});
        }
        for (const auto& [name, t] : outputs) {
          std::vector<int64_t> shape(t.desc.dims.begin(), t.desc.dims.begin() + t.desc.rank);
          j["outputs"][name] = {{"shape", shape}, {"data", t.to_f32()}};
        }
        j["stats"] = {{"dispatches", st.dispatches}, {"barriers", st.barriers}, {"submissions", st.submissions},
                      {"arena_bytes", st.arena_bytes}, {"naive_arena_bytes", st.naive_bytes},
                      {"weight_bytes", st.weight_bytes}, {"wall_ms", st.wall_ms}};
        nlohmann::json timings = nlohmann::json::array();
        for (const auto& t : st.timings) timings.push_back({{"node", t.node}, {"kernel", t.kernel}, {"ms", t.ms}});
        j["timings"] = timings;
        if (executor.last_stats().mismatch) {
          const auto& m = *st.mismatch;
          j["debug_mismatch"] = {{"node", m.node}, {"op", m.op}, {"nmse", m.nmse}, {"max_abs_error", m.max_abs_error}};
        }
        std::cout << j.dump(2) << "\n";
      } else {
        std::cout << "pipeline " << o->pipeline << ": " << p->stages().size() << " stages on " << ctx.info().name << "\n";
        for (const auto& s : p->stages()) {
          std::cout << "  " << s.id << " (" << s.plugin << "/" << s.component << ")";
          for (const auto& [port, d] : s.outputs) std::cout << " -> " << port << " " << d.str();
          std::cout << "\n";
        }
        for (const auto& [name, t] : outputs) std::cout << tensor_text("output " + name, t);
        std::cout << "run: " << st.dispatches << " dispatches, " << st.barriers << " barriers, " << st.submissions
                  << " submission, arena " << human_bytes(st.arena_bytes) << " (without reuse " << human_bytes(st.naive_bytes)
                  << "), weights " << human_bytes(st.weight_bytes) << ", " << st.wall_ms << " ms\n";
        for (const auto& t : st.timings) std::cout << "  gpu " << t.node << " [" << t.kernel << "]: " << t.ms << " ms\n";
        if (o->debug || spec.runtime.debug) {
          if (st.mismatch)
            std::cout << "debug: node '" << st.mismatch->node << "' (" << st.mismatch->op << ") differs from its CPU reference: nmse "
                      << st.mismatch->nmse << ", max abs error " << st.mismatch->max_abs_error << "\n";
          else
            std::cout << "debug: all " << st.nodes_checked << " nodes match their CPU references\n";
        }
      }
      if (st.mismatch) return static_cast<int>(ExitCode::Internal);
      if (co.validation && ctx.validation_message_count()) {
        std::cerr << "error: " << ctx.validation_message_count() << " Vulkan validation messages\n";
        return static_cast<int>(ExitCode::Internal);
      }
      return 0;
    };
  });
}

}  // namespace facet::cli
