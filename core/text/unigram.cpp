#include "text/unigram.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <limits>

#include "text/unicode.hpp"
#include "util/error.hpp"

namespace facet::text {

namespace {

constexpr double kUnknownPenalty = 10.0;
constexpr size_t kMaxPieces = size_t{1} << 24;

}  // namespace

UnigramModel UnigramModel::from_json(const nlohmann::json& m, const std::string& where) {
  UnigramModel u;
  u.where_ = where;
  if (!m.contains("vocab") || !m["vocab"].is_array())
    throw InputError(where + ": field \"vocab\" must be an array of [piece, score]");
  const auto& vocab = m["vocab"];
  if (vocab.empty()) throw InputError(where + ": field \"vocab\" is empty");
  if (vocab.size() > kMaxPieces) throw InputError(where + ": field \"vocab\" has more than 2^24 pieces");
  u.tokens_.reserve(vocab.size());
  u.scores_.reserve(vocab.size());
  double min_score = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < vocab.size(); ++i) {
    const auto& e = vocab[i];
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number())
      throw InputError(where + ": vocab entry " + std::to_string(i) + " must be [piece, score]");
    u.tokens_.push_back(e[0].get<std::string>());
    u.scores_.push_back(e[1].get<double>());
    min_score = std::min(min_score, u.scores_.back());
    u.vocab_[u.tokens_.back()] = static_cast<int32_t>(i);  // a repeated piece: the last id wins
  }
  u.unk_score_ = min_score - kUnknownPenalty;
  u.excluded_.assign(u.tokens_.size(), false);
  if (m.contains("unk_id") && !m["unk_id"].is_null()) {
    const auto& id = m["unk_id"];
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= static_cast<int64_t>(vocab.size()))
      throw InputError(where + ": field \"unk_id\" must be an index into the " + std::to_string(vocab.size()) +
                       "-piece vocab");
    u.unk_ = id.get<int32_t>();
  }
  if (m.contains("byte_fallback") && !m["byte_fallback"].is_null()) {
    if (!m["byte_fallback"].is_boolean()) throw InputError(where + ": field \"byte_fallback\" must be true or false");
    u.byte_fallback_ = m["byte_fallback"].get<bool>();
  }
  u.build_trie();
  return u;
}

// Breadth-first over the pieces sorted bytewise: every node's children are allocated together.
void UnigramModel::build_trie() {
  std::vector<int32_t> order;
  order.reserve(tokens_.size());
  for (const auto& [piece, id] : vocab_)
    if (!piece.empty()) order.push_back(id);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return tokens_[a] < tokens_[b]; });
  struct Pending {
    int32_t node;
    size_t lo, hi, depth;  // order[lo, hi) share the node's prefix of `depth` bytes
  };
  child_begin_.assign(1, 0);
  child_count_.assign(1, 0);
  label_.assign(1, 0);
  value_.assign(1, -1);
  std::deque<Pending> queue{{0, 0, order.size(), 0}};
  while (!queue.empty()) {
    Pending p = queue.front();
    queue.pop_front();
    if (p.lo < p.hi && tokens_[order[p.lo]].size() == p.depth) value_[p.node] = order[p.lo++];
    child_begin_[p.node] = static_cast<uint32_t>(label_.size());
    for (size_t i = p.lo; i < p.hi;) {
      uint8_t c = static_cast<uint8_t>(tokens_[order[i]][p.depth]);
      size_t j = i + 1;
      while (j < p.hi && static_cast<uint8_t>(tokens_[order[j]][p.depth]) == c) ++j;
      int32_t node = static_cast<int32_t>(label_.size());
      label_.push_back(c);
      value_.push_back(-1);
      child_begin_.push_back(0);
      child_count_.push_back(0);
      ++child_count_[p.node];
      queue.push_back({node, i, j, p.depth + 1});
      i = j;
    }
  }
}

int32_t UnigramModel::child(int32_t node, uint8_t byte) const {
  auto first = label_.begin() + child_begin_[node], last = first + child_count_[node];
  auto it = std::lower_bound(first, last, byte);
  return it != last && *it == byte ? static_cast<int32_t>(it - label_.begin()) : -1;
}

void UnigramModel::exclude_from_matching(int32_t id) {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size()) return;
  excluded_[id] = true;
  int32_t node = 0;
  for (char c : tokens_[id])
    if ((node = child(node, static_cast<uint8_t>(c))) < 0) return;
  if (value_[node] == id) value_[node] = -1;
}

std::optional<int32_t> UnigramModel::lookup(const std::string& s) const {
  auto it = vocab_.find(s);
  if (it == vocab_.end() || excluded_[it->second]) return std::nullopt;
  return it->second;
}

std::optional<int32_t> UnigramModel::id(const std::string& token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

void UnigramModel::encode(std::u32string_view piece, std::vector<int32_t>& out) const {
  if (piece.empty()) return;
  const std::string text = encode_utf8(piece);
  const size_t n = text.size();
  struct Best {
    double score = 0;
    int64_t start = -1;  // -1: not reached yet
    int32_t id = -1;     // -1: the unknown token
  };
  std::vector<Best> best(n + 1);
  auto offer = [&](size_t start, size_t end, double score, int32_t id) {
    Best& b = best[end];
    double total = best[start].score + score;
    if (b.start < 0 || total > b.score) b = {total, static_cast<int64_t>(start), id};
  };
  for (size_t start = 0; start < n;) {
    size_t char_len = 1;
    while (start + char_len < n && (static_cast<uint8_t>(text[start + char_len]) & 0xC0) == 0x80) ++char_len;
    bool single = false;
    int32_t node = 0;
    for (size_t end = start; end < n && (node = child(node, static_cast<uint8_t>(text[end]))) >= 0;) {
      ++end;
      if (value_[node] < 0) continue;
      offer(start, end, scores_[value_[node]], value_[node]);
      single = single || end - start == char_len;
    }
    if (!single && !unk_)
      throw InputError(where_ + ": the text has a character no piece covers and \"unk_id\" is null");
    if (!single) offer(start, start + char_len, unk_score_, -1);
    start += char_len;
  }
  // Back from the end; a run of unknowns (the unknown piece itself included) becomes one string.
  struct Part {
    size_t start, end;
    int32_t id;  // -1: unknown
  };
  std::vector<Part> parts;
  for (size_t end = n; end > 0;) {
    const Best& b = best[end];
    size_t start = static_cast<size_t>(b.start);
    int32_t id = unk_ && b.id == *unk_ ? -1 : b.id;
    if (id < 0 && !parts.empty() && parts.back().id < 0) parts.back().start = start;
    else parts.push_back({start, end, id});
    end = start;
  }
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (it->id >= 0) {
      out.push_back(it->id);
      continue;
    }
    const std::string s = text.substr(it->start, it->end - it->start);
    if (auto known = lookup(s)) {
      out.push_back(*known);
      continue;
    }
    if (byte_fallback_) {
      std::vector<int32_t> bytes;
      for (unsigned char c : s) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", c);
        auto b = lookup(name);
        if (!b) break;
        bytes.push_back(*b);
      }
      if (bytes.size() == s.size()) {
        out.insert(out.end(), bytes.begin(), bytes.end());
        continue;
      }
    }
    out.push_back(*unk_);
  }
}

}  // namespace facet::text
