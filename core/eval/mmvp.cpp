#include "eval/mmvp.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <map>

#include "eval/bar_chart.hpp"
#include "eval/comparison_table.hpp"
#include "io/csv.hpp"
#include "util/error.hpp"

namespace facet::eval {

namespace fs = std::filesystem;

namespace {

int positive_int(const std::string& s, const std::string& where) {
  try {
    size_t used = 0;
    const int v = std::stoi(s, &used);
    if (used == s.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  throw InputError(where + ": Index '" + s + "' is not a positive integer");
}

// Index -> pattern from a CSV with columns Index and Pattern.
std::map<int, std::string> read_patterns(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw InputError("patterns file '" + path + "' does not exist");
  const io::CsvTable t = io::read_csv(path);
  const size_t c_index = t.column("Index", path), c_pattern = t.column("Pattern", path);
  std::map<int, std::string> out;
  for (size_t r = 0; r < t.rows.size(); ++r)
    out[positive_int(t.rows[r][c_index], path + ":" + std::to_string(t.lines[r]))] = t.rows[r][c_pattern];
  return out;
}

std::optional<size_t> optional_column(const io::CsvTable& t, const std::string& where) {
  for (const char* name : {"Type", "Pattern", "Category"}) {
    try {
      return t.column(name, where);
    } catch (const InputError&) {
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<MmvpQuestion> read_mmvp(const std::string& dir, const std::string& patterns_file) {
  const std::string csv = (fs::path(dir) / "Questions.csv").string();
  std::error_code ec;
  if (!fs::is_regular_file(csv, ec)) throw InputError("'" + dir + "' has no Questions.csv (the MMVP layout)");
  const fs::path images = fs::path(dir) / "MMVP Images";
  if (!fs::is_directory(images, ec)) throw InputError("'" + dir + "' has no folder 'MMVP Images'");
  const io::CsvTable t = io::read_csv(csv);
  const size_t c_index = t.column("Index", csv), c_question = t.column("Question", csv), c_options = t.column("Options", csv),
               c_answer = t.column("Correct Answer", csv);
  const std::optional<size_t> c_pattern = optional_column(t, csv);
  const std::map<int, std::string> patterns = patterns_file.empty() ? std::map<int, std::string>{} : read_patterns(patterns_file);
  if (t.rows.empty() || t.rows.size() % 2 != 0)
    throw InputError(csv + " has " + std::to_string(t.rows.size()) + " questions; pairs need an even number > 0");
  std::vector<MmvpQuestion> out;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const std::string where = csv + ":" + std::to_string(t.lines[r]);
    MmvpQuestion q;
    q.line = t.lines[r];
    q.index = positive_int(t.rows[r][c_index], where);
    q.question = t.rows[r][c_question];
    q.options_field = t.rows[r][c_options];
    q.options = parse_options(q.options_field, where);
    const std::vector<McOption> right = parse_options(t.rows[r][c_answer], where + " Correct Answer");
    bool known = false;
    for (const auto& o : q.options) known = known || o.letter == right[0].letter;
    if (right.size() != 1 || !known)
      throw InputError(where + ": Correct Answer '" + t.rows[r][c_answer] + "' is not one of the options '" + q.options_field + "'");
    q.correct = right[0].letter;
    if (c_pattern) {
      q.pattern = t.rows[r][*c_pattern];
    } else if (!patterns_file.empty()) {
      auto it = patterns.find(q.index);
      if (it == patterns.end()) throw InputError(patterns_file + " has no pattern for question " + std::to_string(q.index));
      q.pattern = it->second;
    } else {
      q.pattern = "all";
    }
    fs::path image = images / (std::to_string(q.index) + ".jpg");
    if (!fs::is_regular_file(image, ec)) image = images / (std::to_string(q.index) + ".png");
    if (!fs::is_regular_file(image, ec))
      throw InputError(where + ": image '" + (images / (std::to_string(q.index) + ".jpg")).string() + "' does not exist");
    q.image = image.string();
    out.push_back(std::move(q));
  }
  return out;
}

std::string mmvp_message(const MmvpQuestion& q) { return q.question + " " + q.options_field; }

MmvpScore score_mmvp(const std::vector<MmvpQuestion>& questions, std::vector<MmvpAnswer>& answers) {
  if (answers.size() != questions.size() || questions.size() % 2 != 0)
    throw InternalError("MMVP scoring needs one answer per question and whole pairs");
  MmvpScore s;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < questions.size(); ++i) {
    answers[i].choice = grade_answer(answers[i].text, questions[i].options);
    answers[i].correct = answers[i].choice == questions[i].correct;
  }
  for (size_t i = 0; i < questions.size(); i += 2) {
    auto [it, inserted] = index.emplace(questions[i].pattern, s.patterns.size());
    if (inserted) s.patterns.push_back({questions[i].pattern});
    for (MmvpPatternScore* p : {&s.patterns[it->second], &s.total}) {
      p->pairs += 1;
      p->pairs_correct += answers[i].correct && answers[i + 1].correct;
      p->questions += 2;
      p->questions_correct += answers[i].correct + answers[i + 1].correct;
    }
  }
  return s;
}

std::string mmvp_jsonl_line(const std::string& model, const MmvpQuestion& q, const MmvpAnswer& a) {
  nlohmann::json j{{"model", model},
                   {"index", q.index},
                   {"pattern", q.pattern},
                   {"question", q.question},
                   {"options", q.options_field},
                   {"image", q.image},
                   {"answer", a.text},
                   {"choice", a.choice ? nlohmann::json(std::string(1, *a.choice)) : nlohmann::json()},
                   {"correct_answer", std::string(1, q.correct)},
                   {"correct", a.correct},
                   {"prompt_tokens", a.prompt_tokens},
                   {"new_tokens", a.new_tokens},
                   {"ms", a.ms}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string mmvp_table(const std::vector<MmvpRun>& runs) {
  if (runs.empty()) return {};
  const MmvpScore& first = runs[0].score;
  size_t w = 7;
  for (const auto& p : first.patterns) w = std::max(w, p.pattern.size());
  std::string out;
  char line[512];
  if (runs.size() == 1) {
    auto row = [&](const MmvpPatternScore& p, const char* name) {
      std::snprintf(line, sizeof line, "%-*s  %5d  %13d  %12.1f%%  %16.1f%%\n", static_cast<int>(w), name, p.pairs,
                    p.pairs_correct, p.pair_accuracy(), p.question_accuracy());
      out += line;
    };
    std::snprintf(line, sizeof line, "%-*s  %5s  %13s  %13s  %17s\n", static_cast<int>(w), "pattern", "pairs",
                  "pairs correct", "pair accuracy", "question accuracy");
    out += line;
    for (const auto& p : first.patterns) row(p, p.pattern.c_str());
    row(first.total, "total");
    return out;
  }
  std::vector<std::string> models;
  for (const auto& r : runs) models.push_back(r.model);
  std::vector<ComparisonRow> rows;
  for (size_t k = 0; k <= first.patterns.size(); ++k) {  // the patterns, then the total
    const bool total = k == first.patterns.size();
    const MmvpPatternScore& p0 = total ? first.total : first.patterns[k];
    ComparisonRow row{total ? "total" : p0.pattern, std::to_string(p0.pairs), {}};
    for (const auto& r : runs) row.values.push_back((total ? r.score.total : r.score.patterns.at(k)).pair_accuracy());
    rows.push_back(std::move(row));
  }
  out += comparison_table(models, rows);
  out += "(pair accuracy: both questions of a pair right)\n";
  return out;
}

void write_mmvp_chart(const std::vector<MmvpRun>& runs, const std::string& path) {
  std::vector<std::string> categories;
  for (const auto& p : runs.at(0).score.patterns) categories.push_back(p.pattern);
  categories.push_back("Total");
  std::vector<BarSeries> series;
  std::string names;
  for (const auto& r : runs) {
    BarSeries b{r.model, {}};
    for (const auto& p : r.score.patterns) b.values.push_back(p.pair_accuracy());
    b.values.push_back(r.score.total.pair_accuracy());
    series.push_back(std::move(b));
    names += (names.empty() ? "" : ", ") + r.model;
  }
  write_bar_chart_svg(runs.size() == 1 ? "MMVP pair accuracy (%): " + names : "MMVP pair accuracy (%)", categories, series,
                      path);
}

}  // namespace facet::eval
