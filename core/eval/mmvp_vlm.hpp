// The MMVP-VLM benchmark ("Eyes Wide Shut?", Tong et al. 2024): 9 visual patterns x 15 pairs.
// Each pair is two images and two statements; statement 1 describes the image of the odd
// question id, statement 2 the even one. For each statement CLIP scores "a photo of " +
// statement against both images (softmax of the logits over the two images); a pair counts when
// both statements pick their own image. The published folder: Questions.csv (columns Question ID,
// Type, Statement; a pair is two consecutive rows) and images "<images>/<Type>/<id>.jpg", where
// <images> is "MLLM_VLM Images" (also accepted: "MMVP_VLM_Images", "MMVP_VLM Images", "images").
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "eval/clip_zero_shot.hpp"

namespace facet::eval {

struct MmvpVlmPair {
  std::string type;
  int qid1 = 0, qid2 = 0;
  std::string statement1, statement2;
  std::string image1, image2;  // paths
  float prob1 = 0, prob2 = 0;  // P(image 1 | statement 1), P(image 1 | statement 2)
  bool correct() const { return prob1 > 0.5f && prob2 <= 0.5f; }
};

struct MmvpVlmPattern {
  std::string type;
  int pairs = 0, correct = 0;
  double accuracy() const { return pairs ? 100.0 * correct / pairs : 0.0; }
};

struct MmvpVlmResult {
  std::vector<MmvpVlmPair> pairs;
  std::vector<MmvpVlmPattern> patterns;  // in order of first appearance
  double average() const;                // mean of the pattern accuracies
};

// Reads the folder (InputError naming the file and line for anything missing or malformed).
std::vector<MmvpVlmPair> read_mmvp_vlm(const std::string& dir);
// Scores every pair; `progress(done, total)` after each pair.
MmvpVlmResult run_mmvp_vlm(std::vector<MmvpVlmPair> pairs, ClipScorer& clip,
                           const std::function<void(size_t, size_t)>& progress = {});
// A bar chart of the per-pattern accuracies (and the average) as a standalone SVG, the models
// (scored on the same pairs) side by side.
struct MmvpVlmRun {
  std::string model;
  MmvpVlmResult result;
};
void write_mmvp_vlm_svg(const std::vector<MmvpVlmRun>& runs, const std::string& path);
// The per-pattern table as text: pairs, correct and accuracy for one model; one accuracy column per
// model for several.
std::string mmvp_vlm_table(const std::vector<MmvpVlmRun>& runs);
// Per-pair results, one row per pair and model (a first column `model` when there are several).
void write_mmvp_vlm_csv(const std::vector<MmvpVlmRun>& runs, const std::string& path);

}  // namespace facet::eval
