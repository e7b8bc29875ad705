#include "eval/pair_mining.hpp"

#include <cmath>
#include <stdexcept>

namespace facet::eval {

namespace {

// Row-major [n, dim] copy with unit-length rows (zero rows stay zero).
std::vector<float> normalized(const std::vector<std::vector<float>>& rows, size_t* dim) {
  *dim = rows.empty() ? 0 : rows[0].size();
  std::vector<float> out(rows.size() * *dim);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != *dim) throw std::invalid_argument("embeddings of different sizes");
    double norm = 0;
    for (float v : rows[i]) norm += static_cast<double>(v) * v;
    const float inv = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.0f;
    for (size_t k = 0; k < *dim; ++k) out[i * *dim + k] = rows[i][k] * inv;
  }
  return out;
}

float dot(const float* a, const float* b, size_t n) {
  float s = 0;
  for (size_t k = 0; k < n; ++k) s += a[k] * b[k];
  return s;
}

}  // namespace

size_t mine_pairs(const std::vector<std::vector<float>>& clip, const std::vector<std::vector<float>>& dino, float clip_min,
                  float dino_max, const std::function<void(const MinedPair&)>& emit, size_t first_block, size_t blocks) {
  if (clip.size() != dino.size()) throw std::invalid_argument("CLIP and DINOv2 embed different image counts");
  size_t dc = 0, dd = 0;
  const std::vector<float> c = normalized(clip, &dc), d = normalized(dino, &dd);
  const size_t n = clip.size();
  size_t examined = 0;
  const size_t end = blocks == 0 || first_block + blocks > (n + kMineBlock - 1) / kMineBlock ? n : (first_block + blocks) * kMineBlock;
  for (size_t a0 = first_block * kMineBlock; a0 < end; a0 += kMineBlock) {
    const size_t a1 = std::min(n, a0 + kMineBlock);
    for (size_t b = a0 + 1; b < n; ++b) {
      const float* cb = &c[b * dc];
      for (size_t a = a0; a < a1 && a < b; ++a) {
        ++examined;
        const float sc = dot(&c[a * dc], cb, dc);
        if (!(sc > clip_min)) continue;
        const float sd = dot(&d[a * dd], &d[b * dd], dd);
        if (sd < dino_max) emit(MinedPair{a, b, sc, sd});
      }
    }
  }
  return examined;
}

}  // namespace facet::eval
