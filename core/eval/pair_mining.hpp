// CLIP-blind pair mining ("Eyes Wide Shut?", Tong et al. 2024): pairs of images that CLIP sees as
// near-identical (cosine of CLIP embeddings above a threshold) while DINOv2 sees them as different
// (cosine of DINOv2 embeddings below a threshold). Memory is O(n * dim): embeddings are normalized
// once and pairs are scanned in row blocks, never materializing the n x n similarity matrix.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace facet::eval {

struct MinedPair {
  size_t a, b;  // a < b
  float clip, dino;
};

// Calls `emit` for every pair with clip cosine > clip_min and dino cosine < dino_max (a deterministic
// order, block by block).
// Returns the number of pairs examined.
size_t mine_pairs(const std::vector<std::vector<float>>& clip, const std::vector<std::vector<float>>& dino, float clip_min,
                  float dino_max, const std::function<void(const MinedPair&)>& emit);

}  // namespace facet::eval
