#include "eval/mmvp_vlm.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>

#include "eval/bar_chart.hpp"
#include "eval/comparison_table.hpp"
#include "io/atomic_write.hpp"
#include "io/csv.hpp"
#include "util/error.hpp"

namespace facet::eval {

namespace fs = std::filesystem;

double MmvpVlmResult::average() const {
  if (patterns.empty()) return 0;
  double s = 0;
  for (const auto& p : patterns) s += p.accuracy();
  return s / static_cast<double>(patterns.size());
}

std::vector<MmvpVlmPair> read_mmvp_vlm(const std::string& dir) {
  const std::string csv_path = (fs::path(dir) / "Questions.csv").string();
  std::error_code ec;
  if (!fs::is_regular_file(csv_path, ec)) throw InputError("'" + dir + "' has no Questions.csv (MMVP-VLM layout)");
  fs::path images;
  for (const char* name : {"MLLM_VLM Images", "MMVP_VLM_Images", "MMVP_VLM Images", "images"})
    if (fs::is_directory(fs::path(dir) / name, ec)) {
      images = fs::path(dir) / name;
      break;
    }
  if (images.empty()) throw InputError("'" + dir + "' has no image folder ('MLLM_VLM Images')");
  io::CsvTable t = io::read_csv(csv_path);
  const size_t c_id = t.column("Question ID", csv_path), c_type = t.column("Type", csv_path),
               c_statement = t.column("Statement", csv_path);
  if (t.rows.empty() || t.rows.size() % 2 != 0)
    throw InputError(csv_path + " has " + std::to_string(t.rows.size()) + " rows; pairs need an even number > 0");
  auto qid = [&](size_t r) {
    const std::string& s = t.rows[r][c_id];
    try {
      size_t used = 0;
      int v = std::stoi(s, &used);
      if (used == s.size() && v > 0) return v;
    } catch (const std::exception&) {
    }
    throw InputError(csv_path + ":" + std::to_string(t.lines[r]) + ": Question ID '" + s + "' is not a positive integer");
  };
  auto image = [&](size_t r, int id) {
    fs::path p = images / t.rows[r][c_type] / (std::to_string(id) + ".jpg");
    if (!fs::is_regular_file(p, ec)) p = images / (std::to_string(id) + ".jpg");
    if (!fs::is_regular_file(p, ec))
      throw InputError(csv_path + ":" + std::to_string(t.lines[r]) + ": image '" +
                       (images / t.rows[r][c_type] / (std::to_string(id) + ".jpg")).string() + "' does not exist");
    return p.string();
  };
  std::vector<MmvpVlmPair> pairs;
  for (size_t r = 0; r < t.rows.size(); r += 2) {
    MmvpVlmPair p;
    p.type = t.rows[r][c_type];
    p.qid1 = qid(r);
    p.qid2 = qid(r + 1);
    if (t.rows[r + 1][c_type] != p.type)
      throw InputError(csv_path + ":" + std::to_string(t.lines[r + 1]) + ": the second row of a pair has Type '" +
                       t.rows[r + 1][c_type] + "', the first '" + p.type + "'");
    p.statement1 = t.rows[r][c_statement];
    p.statement2 = t.rows[r + 1][c_statement];
    p.image1 = image(r, p.qid1);
    p.image2 = image(r + 1, p.qid2);
    // Statement 1 belongs to the odd id; keep image 1 = the odd one.
    if (p.qid1 % 2 == 0 && p.qid2 % 2 == 1) {
      std::swap(p.qid1, p.qid2);
      std::swap(p.statement1, p.statement2);
      std::swap(p.image1, p.image2);
    }
    pairs.push_back(std::move(p));
  }
  return pairs;
}

MmvpVlmResult run_mmvp_vlm(std::vector<MmvpVlmPair> pairs, ClipScorer& clip,
                           const std::function<void(size_t, size_t)>& progress) {
  const size_t chunk = 4;  // pairs per step: 8 images and 8 texts per submission
  for (size_t start = 0; start < pairs.size(); start += chunk) {
    const size_t end = std::min(pairs.size(), start + chunk);
    std::vector<std::string> paths, texts;
    for (size_t i = start; i < end; ++i) {
      paths.insert(paths.end(), {pairs[i].image1, pairs[i].image2});
      texts.insert(texts.end(), {"a photo of " + pairs[i].statement1, "a photo of " + pairs[i].statement2});
    }
    auto img = clip.images(paths, paths.size());
    auto txt = clip.texts(texts, texts.size());
    for (size_t i = start; i < end; ++i) {
      const size_t k = 2 * (i - start);
      for (int s = 0; s < 2; ++s) {
        const auto& t = txt[k + s];
        float p = softmax({dot(img[k], t), dot(img[k + 1], t)}, clip.scale())[0];
        (s == 0 ? pairs[i].prob1 : pairs[i].prob2) = p;
      }
    }
    if (progress) progress(end, pairs.size());
  }
  MmvpVlmResult r;
  std::map<std::string, size_t> index;
  for (const auto& p : pairs) {
    auto [it, inserted] = index.emplace(p.type, r.patterns.size());
    if (inserted) r.patterns.push_back({p.type});
    auto& pat = r.patterns[it->second];
    ++pat.pairs;
    pat.correct += p.correct();
  }
  r.pairs = std::move(pairs);
  return r;
}

void write_mmvp_vlm_csv(const std::vector<MmvpVlmRun>& runs, const std::string& path) {
  std::ostringstream f;
  const bool several = runs.size() > 1;
  f << (several ? "model," : "")
    << "type,qid1,qid2,statement1,statement2,p_image1_statement1,p_image1_statement2,pred1,pred2,correct\n";
  for (const auto& r : runs)
    for (const auto& p : r.result.pairs) {
      if (several) f << io::csv_field(r.model) << ',';
      f << io::csv_field(p.type) << ',' << p.qid1 << ',' << p.qid2 << ',' << io::csv_field(p.statement1) << ','
        << io::csv_field(p.statement2) << ',' << p.prob1 << ',' << p.prob2 << ',' << (p.prob1 > 0.5f ? "image1" : "image2")
        << ',' << (p.prob2 > 0.5f ? "image1" : "image2") << ',' << (p.correct() ? 1 : 0) << '\n';
    }
  const std::string csv = f.str();
  io::write_file_atomic(path, csv.data(), csv.size());
}

void write_mmvp_vlm_svg(const std::vector<MmvpVlmRun>& runs, const std::string& path) {
  std::vector<std::string> categories;
  for (const auto& p : runs.at(0).result.patterns) categories.push_back(p.type);
  categories.push_back("Average");
  std::vector<BarSeries> series;
  for (const auto& r : runs) {
    BarSeries b{r.model, {}};
    for (const auto& p : r.result.patterns) b.values.push_back(p.accuracy());
    b.values.push_back(r.result.average());
    series.push_back(std::move(b));
  }
  write_bar_chart_svg(runs.size() == 1 ? "MMVP-VLM pair accuracy (%): " + runs[0].model : "MMVP-VLM pair accuracy (%)",
                      categories, series, path);
}

std::string mmvp_vlm_table(const std::vector<MmvpVlmRun>& runs) {
  if (runs.empty()) return {};
  const MmvpVlmResult& first = runs[0].result;
  const int w = [&] {
    size_t n = 7;
    for (const auto& p : first.patterns) n = std::max(n, p.type.size());
    return static_cast<int>(n);
  }();
  std::string out;
  char line[512];
  if (runs.size() == 1) {
    std::snprintf(line, sizeof line, "%-*s  %5s  %7s  %8s\n", w, "pattern", "pairs", "correct", "accuracy");
    out += line;
    for (const auto& p : first.patterns) {
      std::snprintf(line, sizeof line, "%-*s  %5d  %7d  %7.1f%%\n", w, p.type.c_str(), p.pairs, p.correct, p.accuracy());
      out += line;
    }
    std::snprintf(line, sizeof line, "%-*s  %5s  %7s  %7.1f%%\n", w, "average", "", "", first.average());
    return out + line;
  }
  std::vector<std::string> models;
  for (const auto& r : runs) models.push_back(r.model);
  std::vector<ComparisonRow> rows;
  for (size_t k = 0; k <= first.patterns.size(); ++k) {  // the patterns, then the average
    const bool avg = k == first.patterns.size();
    ComparisonRow row{avg ? "average" : first.patterns[k].type, avg ? "" : std::to_string(first.patterns[k].pairs), {}};
    for (const auto& r : runs) row.values.push_back(avg ? r.result.average() : r.result.patterns.at(k).accuracy());
    rows.push_back(std::move(row));
  }
  return out + comparison_table(models, rows);
}

}  // namespace facet::eval
