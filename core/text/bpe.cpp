#include "text/bpe.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <queue>

#include "text/json_fields.hpp"
#include "text/unicode.hpp"

namespace facet::text {

BpeModel BpeModel::from_json(const nlohmann::json& m, const std::string& where) {
  BpeModel bpe;
  bpe.set_vocab(vocab_from_json(m, where), where);
  if (m.contains("dropout") && !m["dropout"].is_null() && m["dropout"].get<double>() != 0.0)
    throw InputError(where + ": BPE dropout is not deterministic and not supported");
  std::string unk = json_string(m, "unk_token", "", where);
  if (!unk.empty()) {
    bpe.unk = bpe.id(unk);
    if (!bpe.unk) throw InputError(where + ": unk_token \"" + unk + "\" is not in the vocabulary");
  }
  bpe.fuse_unk = json_bool(m, "fuse_unk", false, where);
  bpe.byte_fallback = json_bool(m, "byte_fallback", false, where);
  bpe.ignore_merges = json_bool(m, "ignore_merges", false, where);
  bpe.prefix = json_string(m, "continuing_subword_prefix", "", where);
  bpe.suffix = json_string(m, "end_of_word_suffix", "", where);
  if (!m.contains("merges") || !m["merges"].is_array()) throw InputError(where + ": field \"merges\" must be an array");
  for (const auto& mg : m["merges"]) {
    if (mg.is_string()) {
      const std::string& s = mg.get_ref<const std::string&>();
      size_t sp = s.find(' ', 1);
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
        throw InputError(where + ": merge \"" + s + "\" is not two tokens separated by one space");
      bpe.add_merge(s.substr(0, sp), s.substr(sp + 1), where);
    } else if (mg.is_array() && mg.size() == 2 && mg[0].is_string() && mg[1].is_string()) {
      bpe.add_merge(mg[0].get<std::string>(), mg[1].get<std::string>(), where);
    } else {
      throw InputError(where + ": a merge must be \"a b\" or [\"a\", \"b\"]");
    }
  }
  return bpe;
}

void BpeModel::set_vocab(std::vector<std::string> tokens, const std::string& where) {
  tokens_ = std::move(tokens);
  vocab_.clear();
  vocab_.reserve(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i].empty()) continue;  // a gap in the ids
    if (!vocab_.emplace(tokens_[i], static_cast<int32_t>(i)).second)
      throw InputError(where + ": token \"" + tokens_[i] + "\" appears twice in the vocabulary");
  }
  have_byte_ids_ = true;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    auto it = vocab_.find(name);
    byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
    if (it == vocab_.end()) have_byte_ids_ = false;
  }
}

void BpeModel::add_merge(const std::string& a, const std::string& b, const std::string& where) {
  auto ia = id(a), ib = id(b), im = id(a + b);
  if (!ia || !ib) throw InputError(where + ": merge \"" + a + " " + b + "\" names a token not in the vocabulary");
  if (!im) throw InputError(where + ": merge \"" + a + " " + b + "\" makes a token not in the vocabulary");
  merges_.emplace(key(*ia, *ib), Merge{static_cast<int32_t>(merges_.size()), *im});
}

std::optional<int32_t> BpeModel::id(const std::string& token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

void BpeModel::encode(std::u32string_view piece, std::vector<int32_t>& out) const {
  if (piece.empty()) return;
  std::string word = encode_utf8(piece);
  if (ignore_merges) {
    if (auto whole = id(word)) {
      out.push_back(*whole);
      return;
    }
  }
  std::vector<int32_t> ids;
  ids.reserve(piece.size());
  bool pending_unk = false;
  for (size_t i = 0; i < piece.size(); ++i) {
    std::string ch;
    append_utf8(ch, piece[i]);
    std::string s = (i > 0 ? prefix : std::string()) + ch + (i + 1 == piece.size() ? suffix : std::string());
    if (auto t = id(s)) {
      ids.push_back(*t);
      pending_unk = false;
      continue;
    }
    if (byte_fallback && have_byte_ids_) {
      for (unsigned char b : ch) ids.push_back(byte_ids_[b]);
      pending_unk = false;
      continue;
    }
    if (!unk) continue;  // no unknown token: the character is dropped, as Hugging Face does
    if (fuse_unk && pending_unk) continue;
    ids.push_back(*unk);
    pending_unk = true;
  }
  merge_symbols(ids);
  out.insert(out.end(), ids.begin(), ids.end());
}

// Applies the merges lowest rank first (leftmost on equal ranks) with a heap over a linked list
// of symbols: O(n log n) for the long unsplit inputs of SentencePiece-style tokenizers.
void BpeModel::merge_symbols(std::vector<int32_t>& ids) const {
  if (ids.size() < 2 || merges_.empty()) return;
  const int n = static_cast<int>(ids.size());
  std::vector<int> prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (int i = 0; i < n; ++i) prev[i] = i - 1, next[i] = i + 1 < n ? i + 1 : -1;
  struct Cand {
    int32_t rank;
    int pos;
    int32_t left, right;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto consider = [&](int pos) {
    if (pos < 0 || next[pos] < 0) return;
    auto it = merges_.find(key(ids[pos], ids[next[pos]]));
    if (it != merges_.end()) heap.push({it->second.rank, pos, ids[pos], ids[next[pos]]});
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    Cand c = heap.top();
    heap.pop();
    int r = next[c.pos];
    if (!alive[c.pos] || r < 0 || ids[c.pos] != c.left || ids[r] != c.right) continue;
    ids[c.pos] = merges_.at(key(c.left, c.right)).id;
    alive[r] = false;
    next[c.pos] = next[r];
    if (next[r] >= 0) prev[next[r]] = c.pos;
    consider(prev[c.pos]);
    consider(c.pos);
  }
  std::vector<int32_t> merged;
  for (int i = 0; i >= 0; i = next[i]) merged.push_back(ids[i]);
  ids = std::move(merged);
}

}  // namespace facet::text
