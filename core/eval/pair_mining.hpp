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

// Rows a of one block (a in [64k, 64k + 64)) are compared with every later row b while they stay in
// cache; blocks are the unit of work a scale-out run hands to workers.
inline constexpr size_t kMineBlock = 64;

// Calls `emit` for every pair with clip cosine > clip_min and dino cosine < dino_max (a deterministic
// order, block by block: the first row's block, then b, then a). With `blocks` > 0 only the pairs
// whose first row lies in blocks [first_block, first_block + blocks) (their outputs, concatenated
// in block order, are the whole run's). Returns the number of pairs examined.
size_t mine_pairs(const std::vector<std::vector<float>>& clip, const std::vector<std::vector<float>>& dino, float clip_min,
                  float dino_max, const std::function<void(const MinedPair&)>& emit, size_t first_block = 0,
                  size_t blocks = 0);

}  // namespace facet::eval
