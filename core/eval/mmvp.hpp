// The MMVP benchmark ("Eyes Wide Shut?", Tong et al. 2024) for multimodal LLMs: 150 pairs of
// CLIP-blind images, one multiple-choice question each; a pair counts when both answers are right.
// The published folder: Questions.csv (columns Index, Question, Options, Correct Answer; a pair is
// two consecutive rows) and images "MMVP Images/<Index>.jpg". The visual pattern of a question
// comes from a column Type, Pattern or Category when Questions.csv has one, else from a patterns
// file (columns Index, Pattern), else every question is in the pattern "all".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eval/mmvp_grading.hpp"

namespace facet::eval {

struct MmvpQuestion {
  int index = 0;
  std::string question, options_field, pattern, image;
  std::vector<McOption> options;
  char correct = 0;  // the right option's letter
  size_t line = 0;   // in Questions.csv
};

struct MmvpAnswer {
  std::string text;
  std::optional<char> choice;
  bool correct = false;
  int64_t prompt_tokens = 0, new_tokens = 0;
  double ms = 0;
};

struct MmvpPatternScore {
  std::string pattern;
  int pairs = 0, pairs_correct = 0, questions = 0, questions_correct = 0;
  double pair_accuracy() const { return pairs ? 100.0 * pairs_correct / pairs : 0.0; }
  double question_accuracy() const { return questions ? 100.0 * questions_correct / questions : 0.0; }
};

struct MmvpScore {
  std::vector<MmvpPatternScore> patterns;  // in order of first appearance
  MmvpPatternScore total{"all"};
};

// Reads the folder; `patterns_file` may be empty. InputError names the file and line of anything
// missing or malformed (an odd number of questions, an unknown correct letter, a missing image).
std::vector<MmvpQuestion> read_mmvp(const std::string& dir, const std::string& patterns_file);

// The prompt's user message: Question + " " + Options.
std::string mmvp_message(const MmvpQuestion& q);

// Grades answers[i] of questions[i] (sets choice and correct) and scores the pairs.
MmvpScore score_mmvp(const std::vector<MmvpQuestion>& questions, std::vector<MmvpAnswer>& answers);

// One JSON object per line: model, index, pattern, question, options, image, answer, choice,
// correct_answer, correct, prompt_tokens, new_tokens, ms.
std::string mmvp_jsonl_line(const std::string& model, const MmvpQuestion& q, const MmvpAnswer& a);

// One model's score, named for tables and charts.
struct MmvpRun {
  std::string model;
  MmvpScore score;
};

// The per-pattern table as text: for one model its pairs, pairs correct and both accuracies; for
// several (scored on the same questions) one pair-accuracy column per model.
std::string mmvp_table(const std::vector<MmvpRun>& runs);
// A bar chart of the pair accuracies per pattern and in total (SVG), the models side by side.
void write_mmvp_chart(const std::vector<MmvpRun>& runs, const std::string& path);

}  // namespace facet::eval
