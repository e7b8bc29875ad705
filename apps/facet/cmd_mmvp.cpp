// facet mmvp: the MMVP benchmark with one or more multimodal LLMs (pipeline TOMLs or model
// folders), each run in turn on the same questions. Each question is asked alone (fresh KV cache)
// with its image, as Question + " " + Options in the model's chat template; the answer is graded by
// the rule of mmvp_grading.hpp; pairs of consecutive questions count when both are right. Writes a
// JSONL line per question as it goes, then prints the per-pattern table (one column per model) and
// writes a bar chart with the models side by side.
#include <fstream>
#include <iostream>

#include "cli_common.hpp"
#include "graph/executor.hpp"
#include "llm/vlm_session.hpp"
#include "eval/mmvp.hpp"
#include "eval/mmvp_run.hpp"
#include "progress.hpp"
#include "util/error.hpp"

namespace facet::cli {

using namespace facet::eval;

namespace {

struct MmvpOptions {
  std::vector<std::string> pipelines, models;
  std::vector<std::string> in_order;  // both, as the command line gave them
  std::string data, patterns, out = "mmvp.jsonl", chart = "mmvp.svg", chat_template, system;
  int max_tokens = 32, limit = 0;
  llm::SessionOptions session;
  llm::SamplerOptions sampler;  // greedy unless --temperature
  bool json = false;
};

// Runs every question on one model, appending its JSONL lines; returns its score.
MmvpScore run_model(const NamedModel& m, const std::vector<MmvpQuestion>& questions, const MmvpOptions& o,
                    const GlobalOptions& g, std::ostream& jsonl) {
  const pipeline::PipelineSpec spec = m.is_toml() ? load_pipeline_spec(m.path, "") : load_pipeline_spec("", m.path);
  plugin::PluginRegistry registry(plugin_search_paths(g, spec));
  vk::Context ctx(context_options(g, spec.runtime));
  Executor executor(ctx, ExecOptions{});
  llm::VlmSession vlm(spec, registry, ctx, executor, o.session);
  eval::MmvpAskOptions ask{o.max_tokens, o.sampler, o.chat_template, o.system};
  std::vector<MmvpAnswer> answers;
  Progress progress("MMVP " + m.name, questions.size(), g.quiet || o.json);
  return eval::ask_mmvp(
      vlm, questions, ask, answers,
      [&](size_t i) {
        jsonl << mmvp_jsonl_line(m.name, questions[i], answers[i]) << mmvp_jsonl_line(m.name, questions[i + 1], answers[i + 1]);
        jsonl.flush();
        if (!jsonl) throw InputError("cannot write '" + o.out + "'");
      },
      [&](size_t done) { progress.update(done); });
}

nlohmann::json score_json(const MmvpScore& score) {
  nlohmann::json j{{"pairs", score.total.pairs},
                   {"pairs_correct", score.total.pairs_correct},
                   {"pair_accuracy", score.total.pair_accuracy()},
                   {"question_accuracy", score.total.question_accuracy()},
                   {"patterns", nlohmann::json::array()}};
  for (const auto& p : score.patterns)
    j["patterns"].push_back({{"pattern", p.pattern}, {"pairs", p.pairs}, {"pairs_correct", p.pairs_correct},
                             {"pair_accuracy", p.pair_accuracy()}, {"question_accuracy", p.question_accuracy()}});
  return j;
}

int run_mmvp(const MmvpOptions& o, const GlobalOptions& g) {
  const std::vector<NamedModel> models = parse_named_models(o.in_order);
  if (models.empty()) throw UsageError("give a pipeline TOML file or --model DIR (one or more)");
  std::vector<MmvpQuestion> questions = read_mmvp(o.data, o.patterns);
  if (o.limit > 0 && static_cast<size_t>(o.limit) < questions.size()) questions.resize(static_cast<size_t>(o.limit) & ~size_t{1});

  std::ofstream jsonl(o.out, std::ios::binary);
  if (!jsonl) throw InputError("cannot write '" + o.out + "'");
  std::vector<MmvpRun> runs;
  for (const auto& m : models) runs.push_back({m.name, run_model(m, questions, o, g, jsonl)});
  write_mmvp_chart(runs, o.chart);
  if (o.json) {
    nlohmann::json j;
    if (runs.size() == 1) {
      j = score_json(runs[0].score);
    } else {
      j["models"] = nlohmann::json::array();
      for (size_t i = 0; i < runs.size(); ++i) {
        nlohmann::json r = score_json(runs[i].score);
        r["model"] = runs[i].model;
        r["path"] = models[i].path;
        j["models"].push_back(std::move(r));
      }
    }
    j["jsonl"] = o.out;
    j["chart"] = o.chart;
    std::cout << j.dump() << "\n";
  } else {
    std::cout << mmvp_table(runs) << "wrote " << o.out << " and " << o.chart << "\n";
  }
  return 0;
}

}  // namespace

void add_mmvp(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("mmvp", "The MMVP benchmark (150 pairs of CLIP-blind images) with a multimodal LLM");
  auto o = std::make_shared<MmvpOptions>();
  cmd->add_option("--pipeline", o->pipelines, "[NAME=]FILE.toml: a pipeline; repeat to compare several");
  cmd->add_option("--model", o->models, "[NAME=]DIR|FILE.toml: a model folder (LLaVA) or pipeline; repeat to compare several");
  cmd->add_option("--data", o->data, "MMVP folder: Questions.csv and 'MMVP Images/'")->required();
  cmd->add_option("--patterns", o->patterns, "CSV with columns Index, Pattern (when Questions.csv has no Type column)");
  cmd->add_option("--out", o->out, "Per-question results, JSONL (default mmvp.jsonl)");
  cmd->add_option("--chart", o->chart, "Bar chart of the pair accuracy per pattern, SVG (default mmvp.svg)");
  cmd->add_option("--max-tokens", o->max_tokens, "New tokens per answer at most (default 32)")->check(CLI::Range(1, 4096));
  cmd->add_option("--limit", o->limit, "Ask only the first N questions (whole pairs)")->check(CLI::Range(2, 1 << 20));
  add_sampler_options(cmd, o->sampler);
  cmd->add_option("--chat-template", o->chat_template, "Built-in chat template to use instead of the model's");
  cmd->add_option("--system", o->system, "System message for the chat template");
  add_session_options(cmd, o->session, false);
  cmd->add_flag("--json", o->json, "Print the summary as JSON");
  cmd->callback([&run, &g, o, cmd] {
    size_t next_model = 0, next_pipeline = 0;  // the columns follow the command line's order
    for (const CLI::Option* opt : cmd->parse_order()) {
      if (opt->get_name() == "--model" && next_model < o->models.size()) o->in_order.push_back(o->models[next_model++]);
      if (opt->get_name() == "--pipeline" && next_pipeline < o->pipelines.size())
        o->in_order.push_back(o->pipelines[next_pipeline++]);
    }
    run = [&g, o] { return run_mmvp(*o, g); };
  });
}

}  // namespace facet::cli
