// The host API's evaluation tools: thin shells over core/eval, shared with the CLI.
#include <facet/eval.hpp>

#include <sstream>

#include "eval/mmvp.hpp"
#include "eval/mmvp_run.hpp"
#include "eval/pair_mining.hpp"
#include "host/model_state.hpp"
#include "util/error.hpp"

static_assert(facet::kMinePairsBlock == facet::eval::kMineBlock);

namespace facet {

namespace {

std::vector<std::vector<float>> rows_of(const Array& a, const char* name) {
  if (a.shape.size() != 2 || a.shape[0] < 0 || a.shape[1] < 1 ||
      a.data.size() != static_cast<size_t>(a.shape[0] * a.shape[1]))
    throw InputError(std::string(name) + " embeddings must be a f32 [n, dim] array");
  std::vector<std::vector<float>> rows;
  for (int64_t i = 0; i < a.shape[0]; ++i)
    rows.emplace_back(a.data.begin() + i * a.shape[1], a.data.begin() + (i + 1) * a.shape[1]);
  return rows;
}

MmvpPatternScore score_of(const eval::MmvpPatternScore& p) {
  return {p.pattern, p.pairs, p.pairs_correct, p.questions, p.questions_correct, p.pair_accuracy(), p.question_accuracy()};
}

}  // namespace

std::vector<MinedPair> mine_pairs(const Array& clip, const Array& dino, const MinePairsOptions& o) {
  const auto c = rows_of(clip, "CLIP"), d = rows_of(dino, "DINOv2");
  if (c.size() != d.size())
    throw InputError("the CLIP and DINOv2 embeddings have " + std::to_string(c.size()) + " and " + std::to_string(d.size()) + " rows");
  std::vector<MinedPair> out;
  eval::mine_pairs(c, d, o.clip_threshold, o.dino_threshold,
                   [&](const eval::MinedPair& p) { out.push_back({p.a, p.b, "", "", p.clip, p.dino}); }, o.first_block,
                   o.blocks);
  return out;
}

std::vector<MinedPair> mine_pairs(Model& clip, Model& dino, const std::vector<std::string>& images, const MinePairsOptions& o) {
  std::vector<MinedPair> pairs = mine_pairs(clip.embed_images(images), dino.embed_images(images), o);
  for (auto& p : pairs) p.image_a = images[p.a], p.image_b = images[p.b];
  return pairs;
}

MmvpResult mmvp(Model& model, const std::string& data_dir, const MmvpOptions& o) {
  Model::State& s = model.state();
  require_kind(s, {ModelKind::Language}, "MMVP answers (it is not a language model)");
  std::vector<eval::MmvpQuestion> questions = eval::read_mmvp(data_dir, o.patterns);
  if (o.limit > 0 && static_cast<size_t>(o.limit) < questions.size()) questions.resize(static_cast<size_t>(o.limit) & ~size_t{1});
  eval::MmvpAskOptions ask;
  ask.max_tokens = o.max_tokens;
  ask.sampler = sampler_options(o.sampling);
  ask.chat_template = o.sampling.chat_template;
  ask.system = o.sampling.system;
  const std::string name = o.name.empty() ? s.path : o.name;
  std::vector<eval::MmvpAnswer> answers;
  MmvpResult r;
  eval::MmvpScore score;
  with_session(s, [&](llm::VlmSession& vlm) {
    score = eval::ask_mmvp(vlm, questions, ask, answers, [&](size_t i) {
      const std::string lines = eval::mmvp_jsonl_line(name, questions[i], answers[i]) +
                                eval::mmvp_jsonl_line(name, questions[i + 1], answers[i + 1]);
      r.jsonl += lines;
      if (o.on_pair) o.on_pair(lines);
    });
  });
  for (const auto& p : score.patterns) r.patterns.push_back(score_of(p));
  r.total = score_of(score.total);
  r.table = eval::mmvp_table({{name, score}});
  return r;
}

}  // namespace facet
