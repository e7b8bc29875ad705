// Evaluation tools of "Eyes Wide Shut?" (Tong et al. 2024) in the host API: CLIP-blind pair mining
// and the MMVP benchmark, as `facet mine-pairs` and `facet mmvp` run them.
#pragma once

#include <facet/facet.hpp>

#include <functional>
#include <string>
#include <vector>

namespace facet {

struct MinedPair {
  size_t a = 0, b = 0;           // row indices, a < b
  std::string image_a, image_b;  // the images' paths (mine_pairs over models)
  float clip = 0, dino = 0;      // cosine similarities
};

struct MinePairsOptions {
  float clip_threshold = 0.95f;  // pairs need CLIP cosine above this
  float dino_threshold = 0.6f;   // and DINOv2 cosine below this
  // A share of the work (scale-out): only pairs whose first row a lies in row blocks
  // [first_block, first_block + blocks) of kMinePairsBlock rows; blocks = 0: all.
  size_t first_block = 0, blocks = 0;
};
inline constexpr size_t kMinePairsBlock = 64;

// Pairs of rows of two embedding arrays f32 [n, *] (the same n): CLIP says alike, DINOv2 says
// different. Rows are normalized here; memory stays O(n x dim). In a fixed order, block by block
// (the block of a, then b, then a), as `facet mine-pairs` writes them; the shares of consecutive
// block ranges, concatenated, are the whole result.
FACET_API std::vector<MinedPair> mine_pairs(const Array& clip, const Array& dino, const MinePairsOptions& options = {});
// Every image embedded by both models (CLIP and DINOv2 folders), then mined. InputError for an
// unreadable image (naming it).
FACET_API std::vector<MinedPair> mine_pairs(Model& clip, Model& dino, const std::vector<std::string>& images,
                                            const MinePairsOptions& options = {});

struct MmvpOptions {
  int max_tokens = 32;
  int limit = 0;                // ask only the first N questions (whole pairs); 0: all
  std::string patterns;         // CSV with columns Index, Pattern (when Questions.csv has no Type column)
  std::string name;             // the model's name in the JSONL lines ("": the model's path)
  GenerateOptions sampling;     // temperature, seed, ...; system and chat_template
  // Called with the two JSONL lines of each pair as it is graded.
  std::function<void(const std::string& lines)> on_pair;
};

struct MmvpPatternScore {
  std::string pattern;
  int pairs = 0, pairs_correct = 0, questions = 0, questions_correct = 0;
  double pair_accuracy = 0, question_accuracy = 0;  // percent
};

struct MmvpResult {
  std::vector<MmvpPatternScore> patterns;  // in order of first appearance
  MmvpPatternScore total;
  std::string jsonl;  // one line per question: the `facet mmvp --out` lines
  std::string table;  // the per-pattern table `facet mmvp` prints
};

// The MMVP benchmark folder (Questions.csv and "MMVP Images/") asked to a multimodal language
// model, each question alone; a pair counts when both answers are right.
FACET_API MmvpResult mmvp(Model& model, const std::string& data_dir, const MmvpOptions& options = {});

}  // namespace facet
