// facet classify / facet mmvp-vlm: CLIP zero-shot classification of one image, and the MMVP-VLM
// benchmark over a folder.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli_common.hpp"
#include "eval/clip_zero_shot.hpp"
#include "eval/mmvp_vlm.hpp"
#include "progress.hpp"
#include "util/error.hpp"

namespace facet::cli {

using namespace facet::eval;

namespace {

struct ZeroShotOptions {
  std::vector<std::string> models;  // mmvp-vlm: one or more [NAME=]DIR
  std::string model, image, labels, tmpl = "a photo of a {}.", data, csv = "mmvp_vlm.csv", chart = "mmvp_vlm.svg";
  bool json = false, truncate = false;
};

std::vector<std::string> split_labels(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(',', start);
    std::string label = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    size_t b = label.find_first_not_of(' '), e = label.find_last_not_of(' ');
    label = b == std::string::npos ? "" : label.substr(b, e - b + 1);
    if (label.empty()) throw UsageError("--labels has an empty label: '" + s + "'");
    out.push_back(label);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (out.size() < 2) throw UsageError("--labels needs at least two comma-separated labels");
  return out;
}

struct Session {
  explicit Session(const GlobalOptions& g)
      : registry(plugin::PluginRegistry::default_search_paths(g.plugin_paths)),
        ctx([&] {
          vk::ContextOptions co;
          co.device = vk::resolve_device_selector(g.device, "");
          return co;
        }()),
        executor(ctx, ExecOptions{}) {}
  plugin::PluginRegistry registry;
  vk::Context ctx;
  Executor executor;
};

}  // namespace

void add_classify(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("classify", "Zero-shot classification of an image with CLIP");
  auto o = std::make_shared<ZeroShotOptions>();
  cmd->add_option("--model", o->model, "Hugging Face CLIP model folder (CLIPModel)")->required();
  cmd->add_option("--image", o->image, "PNG or JPEG image")->required();
  cmd->add_option("--labels", o->labels, "Comma-separated labels, e.g. \"cat,dog,bird\"")->required();
  cmd->add_option("--template", o->tmpl, "Text for each label, {} = the label (default \"a photo of a {}.\")");
  cmd->add_flag("--json", o->json, "Print {\"labels\": [...], \"probs\": [...], \"logits\": [...]}");
  cmd->add_flag("--truncate", o->truncate, "Truncate texts longer than the text tower takes");
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      const std::vector<std::string> labels = split_labels(o->labels);
      const size_t at = o->tmpl.find("{}");
      if (at == std::string::npos) throw UsageError("--template must contain {} where the label goes");
      std::vector<std::string> texts;
      for (const auto& l : labels) texts.push_back(std::string(o->tmpl).replace(at, 2, l));
      Session s(g);
      ClipScorer clip(pipeline::ModelFolder::open(o->model), s.registry, s.ctx, s.executor, o->truncate);
      auto t = clip.texts(texts);
      auto i = clip.images({o->image})[0];
      std::vector<float> logits;
      for (const auto& v : t) logits.push_back(clip.scale() * dot(i, v));
      std::vector<float> probs = softmax(logits);
      if (o->json) {
        nlohmann::json j;
        j["labels"] = labels;
        j["texts"] = texts;
        j["probs"] = probs;
        j["logits"] = logits;
        std::cout << j.dump() << "\n";
        return 0;
      }
      std::vector<size_t> order(labels.size());
      for (size_t k = 0; k < order.size(); ++k) order[k] = k;
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return probs[a] > probs[b]; });
      size_t w = 5;
      for (const auto& l : labels) w = std::max(w, l.size());
      std::printf("%-*s  %11s  %8s\n", static_cast<int>(w), "label", "probability", "logit");
      for (size_t k : order) std::printf("%-*s  %11.6f  %8.4f\n", static_cast<int>(w), labels[k].c_str(), probs[k], logits[k]);
      return 0;
    };
  });
}

void add_mmvp_vlm(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("mmvp-vlm", "The MMVP-VLM benchmark (9 visual patterns x 15 pairs) with a CLIP model");
  auto o = std::make_shared<ZeroShotOptions>();
  cmd->add_option("--model", o->models, "[NAME=]DIR: a Hugging Face CLIP model folder (CLIPModel); repeat to compare several")
      ->required();
  cmd->add_option("--data", o->data, "MMVP-VLM folder (Questions.csv, 'MLLM_VLM Images/')")->required();
  cmd->add_option("--csv", o->csv, "Per-pair results (default mmvp_vlm.csv)");
  cmd->add_option("--chart", o->chart, "Bar chart of the pattern accuracies, the models side by side, SVG (default mmvp_vlm.svg)");
  cmd->add_flag("--json", o->json, "Print the table as JSON");
  cmd->add_flag("--truncate", o->truncate, "Truncate statements longer than the text tower takes");
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      const std::vector<NamedModel> models = parse_named_models(o->models);
      const auto pairs = read_mmvp_vlm(o->data);
      std::vector<MmvpVlmRun> runs;
      Session s(g);
      for (const auto& m : models) {
        ClipScorer clip(pipeline::ModelFolder::open(m.path), s.registry, s.ctx, s.executor, o->truncate);
        Progress progress("MMVP-VLM " + m.name, pairs.size(), g.quiet);
        runs.push_back({m.name, run_mmvp_vlm(pairs, clip, [&](size_t done, size_t) { progress.update(done); })});
      }
      write_mmvp_vlm_csv(runs, o->csv);
      write_mmvp_vlm_svg(runs, o->chart);
      if (o->json) {
        auto result_json = [](const MmvpVlmResult& r) {
          nlohmann::json j;
          for (const auto& p : r.patterns)
            j["patterns"].push_back({{"type", p.type}, {"pairs", p.pairs}, {"correct", p.correct}, {"accuracy", p.accuracy()}});
          j["average"] = r.average();
          return j;
        };
        nlohmann::json j;
        if (runs.size() == 1) {
          j = result_json(runs[0].result);
        } else {
          for (size_t i = 0; i < runs.size(); ++i) {
            nlohmann::json r = result_json(runs[i].result);
            r["model"] = runs[i].model;
            r["path"] = models[i].path;
            j["models"].push_back(std::move(r));
          }
        }
        j["csv"] = o->csv;
        j["chart"] = o->chart;
        std::cout << j.dump() << "\n";
        return 0;
      }
      std::printf("%swrote %s and %s\n", mmvp_vlm_table(runs).c_str(), o->csv.c_str(), o->chart.c_str());
      return 0;
    };
  });
}

}  // namespace facet::cli
