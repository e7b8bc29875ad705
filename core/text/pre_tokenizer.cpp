#include "text/pre_tokenizer.hpp"

#include <memory>

#include "text/byte_level.hpp"
#include "text/json_fields.hpp"
#include "text/regex.hpp"
#include "text/unicode.hpp"

namespace facet::text {

namespace {

const char* const kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

Behavior parse_behavior(const std::string& s, const std::string& where) {
  if (s == "Removed") return Behavior::Removed;
  if (s == "Isolated") return Behavior::Isolated;
  if (s == "MergedWithPrevious") return Behavior::MergedWithPrevious;
  if (s == "MergedWithNext") return Behavior::MergedWithNext;
  if (s == "Contiguous") return Behavior::Contiguous;
  throw InputError(where + ": unknown split behavior \"" + s + "\"");
}

// Splits `s` at delimiter matches (given as [start, end) ranges, in order) with a behaviour,
// as Hugging Face's NormalizedString::split does.
void split_ranges(const std::u32string& s, const std::vector<std::pair<size_t, size_t>>& matches, Behavior behavior,
                  bool invert, Pieces& out) {
  // Every stretch of the text tagged as delimiter or not.
  std::vector<std::pair<std::pair<size_t, size_t>, bool>> parts;
  size_t i = 0;
  for (auto [b, e] : matches) {
    if (b > i) parts.push_back({{i, b}, invert});
    if (e > b) parts.push_back({{b, e}, !invert});
    i = e;
  }
  if (i < s.size()) parts.push_back({{i, s.size()}, invert});
  auto push = [&](size_t b, size_t e) {
    if (e > b) out.push_back(s.substr(b, e - b));
  };
  switch (behavior) {
    case Behavior::Removed:
      for (auto& [r, delim] : parts)
        if (!delim) push(r.first, r.second);
      break;
    case Behavior::Isolated:
      for (auto& [r, delim] : parts) push(r.first, r.second);
      break;
    case Behavior::Contiguous: {
      size_t start = 0;
      for (size_t k = 0; k < parts.size(); ++k) {
        bool joins = k > 0 && parts[k].second && parts[k - 1].second;
        if (k > 0 && !joins) {
          push(start, parts[k].first.first);
          start = parts[k].first.first;
        }
      }
      push(start, s.size());
      break;
    }
    case Behavior::MergedWithPrevious: {
      size_t start = 0;
      for (auto& [r, delim] : parts)
        if (delim) {
          push(start, r.second);
          start = r.second;
        }
      push(start, s.size());
      break;
    }
    case Behavior::MergedWithNext: {
      size_t start = 0;
      for (auto& [r, delim] : parts)
        if (delim) {
          push(start, r.first);
          start = r.first;
        }
      push(start, s.size());
      break;
    }
  }
}

std::vector<std::pair<size_t, size_t>> regex_matches(const Regex& re, const std::u32string& s) {
  std::vector<std::pair<size_t, size_t>> m;
  size_t i = 0, b, e;
  while (i <= s.size() && re.search(s, i, b, e)) {
    if (e > b) m.push_back({b, e});
    i = e > b ? e : b + 1;
  }
  return m;
}

std::vector<std::pair<size_t, size_t>> predicate_matches(const std::u32string& s, bool (*pred)(char32_t)) {
  std::vector<std::pair<size_t, size_t>> m;
  for (size_t i = 0; i < s.size(); ++i)
    if (pred(s[i])) m.push_back({i, i + 1});
  return m;
}

PreTokenizer::Step split_step(std::function<std::vector<std::pair<size_t, size_t>>(const std::u32string&)> find,
                              Behavior behavior, bool invert) {
  return [find = std::move(find), behavior, invert](const Pieces& in, bool) {
    Pieces out;
    for (const auto& p : in) split_ranges(p, find(p), behavior, invert, out);
    return out;
  };
}

bool bert_punct(char32_t c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126) ||
         is_punctuation(c);
}
bool is_ws(char32_t c) { return is_whitespace(c); }

void add_json(PreTokenizer& pt, const nlohmann::json& j, const std::string& where) {
  if (j.is_null()) return;
  std::string type = json_type(j, where);
  std::string here = where + " (" + type + ")";
  if (type == "Sequence") {
    if (!j.contains("pretokenizers") || !j["pretokenizers"].is_array())
      throw InputError(here + ": field \"pretokenizers\" must be an array");
    for (const auto& sub : j["pretokenizers"]) add_json(pt, sub, where);
  } else if (type == "Split") {
    Behavior behavior = parse_behavior(json_string(j, "behavior", "Isolated", here), here);
    bool invert = json_bool(j, "invert", false, here);
    const auto& pat = j.contains("pattern") ? j["pattern"] : nlohmann::json();
    if (pat.is_object() && pat.contains("Regex") && pat["Regex"].is_string()) {
      auto re = std::make_shared<Regex>(pat["Regex"].get<std::string>());
      pt.add(split_step([re](const std::u32string& s) { return regex_matches(*re, s); }, behavior, invert));
    } else if (pat.is_object() && pat.contains("String") && pat["String"].is_string()) {
      auto lit = decode_utf8(pat["String"].get<std::string>(), "Split pattern");
      pt.add(split_step(
          [lit](const std::u32string& s) {
            std::vector<std::pair<size_t, size_t>> m;
            if (lit.empty()) return m;
            for (size_t at = s.find(lit); at != std::u32string::npos; at = s.find(lit, at + lit.size()))
              m.push_back({at, at + lit.size()});
            return m;
          },
          behavior, invert));
    } else {
      throw InputError(here + ": field \"pattern\" must be {\"String\": ...} or {\"Regex\": ...}");
    }
  } else if (type == "ByteLevel") {
    bool prefix = json_bool(j, "add_prefix_space", true, here);
    bool use_regex = json_bool(j, "use_regex", true, here);
    auto re = std::make_shared<Regex>(kGpt2Pattern);
    pt.add([prefix, use_regex, re](const Pieces& in, bool) {
      Pieces split;
      for (auto p : in) {
        if (prefix && (p.empty() || p[0] != U' ')) p.insert(p.begin(), U' ');
        if (use_regex) split_ranges(p, regex_matches(*re, p), Behavior::Isolated, false, split);
        else if (!p.empty()) split.push_back(p);
      }
      const auto& alphabet = ByteLevelAlphabet::get();
      Pieces out;
      for (const auto& p : split) {
        std::string bytes = encode_utf8(p);
        std::u32string mapped;
        for (unsigned char b : bytes) mapped.push_back(alphabet.to_char(b));
        out.push_back(std::move(mapped));
      }
      return out;
    });
    pt.set_byte_level();
  } else if (type == "Metaspace") {
    auto rep = decode_utf8(json_string(j, "replacement", "\xE2\x96\x81", here), "Metaspace replacement");
    if (rep.size() != 1) throw InputError(here + ": replacement must be one character");
    char32_t r = rep[0];
    std::string scheme = json_string(j, "prepend_scheme", "", here);
    if (scheme.empty()) scheme = json_bool(j, "add_prefix_space", true, here) ? "always" : "never";
    if (scheme != "always" && scheme != "first" && scheme != "never")
      throw InputError(here + ": unknown prepend_scheme \"" + scheme + "\"");
    bool split = json_bool(j, "split", true, here);
    pt.add([r, scheme, split](const Pieces& in, bool first) {
      Pieces out;
      for (auto p : in) {
        for (auto& c : p)
          if (c == U' ') c = r;
        bool prepend = scheme == "always" || (scheme == "first" && first);
        if (prepend && (p.empty() || p[0] != r)) p.insert(p.begin(), r);
        if (!split) {
          if (!p.empty()) out.push_back(p);
          continue;
        }
        std::vector<std::pair<size_t, size_t>> m;
        for (size_t i = 0; i < p.size(); ++i)
          if (p[i] == r) m.push_back({i, i + 1});
        split_ranges(p, m, Behavior::MergedWithNext, false, out);
      }
      return out;
    });
  } else if (type == "WhitespaceSplit") {
    pt.add(split_step([](const std::u32string& s) { return predicate_matches(s, is_ws); }, Behavior::Removed, false));
  } else if (type == "Whitespace") {
    auto re = std::make_shared<Regex>(R"(\w+|[^\w\s]+)");
    pt.add(split_step([re](const std::u32string& s) { return regex_matches(*re, s); }, Behavior::Removed, true));
  } else if (type == "BertPreTokenizer") {
    pt.add(split_step([](const std::u32string& s) { return predicate_matches(s, is_ws); }, Behavior::Removed, false));
    pt.add(split_step([](const std::u32string& s) { return predicate_matches(s, bert_punct); }, Behavior::Isolated,
                      false));
  } else if (type == "Punctuation") {
    Behavior behavior = parse_behavior(json_string(j, "behavior", "Isolated", here), here);
    pt.add(split_step([](const std::u32string& s) { return predicate_matches(s, bert_punct); }, behavior, false));
  } else if (type == "Digits") {
    bool individual = json_bool(j, "individual_digits", false, here);
    auto digit = [](char32_t c) { return category(c) == Category::Nd; };
    pt.add(split_step(
        [digit, individual](const std::u32string& s) {
          std::vector<std::pair<size_t, size_t>> m;
          for (size_t i = 0; i < s.size();) {
            if (!digit(s[i])) {
              ++i;
              continue;
            }
            size_t e = i + 1;
            if (!individual)
              while (e < s.size() && digit(s[e])) ++e;
            m.push_back({i, e});
            i = e;
          }
          return m;
        },
        individual ? Behavior::Isolated : Behavior::Contiguous, false));
  } else {
    throw InputError(where + ": unsupported pre_tokenizer type \"" + type + "\"");
  }
}

}  // namespace

PreTokenizer PreTokenizer::from_json(const nlohmann::json& j, const std::string& where) {
  PreTokenizer pt;
  add_json(pt, j, where);
  return pt;
}

}  // namespace facet::text
