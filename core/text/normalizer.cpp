#include "text/normalizer.hpp"

#include <memory>

#include "util/base64.hpp"

#include "text/json_fields.hpp"
#include "text/precompiled_charsmap.hpp"
#include "text/regex.hpp"
#include "text/unicode.hpp"

namespace facet::text {

namespace {

void strip_accents(std::u32string& s) {
  std::u32string out;
  for (char32_t c : s)
    if (category(c) != Category::Mn) out.push_back(c);
  s = std::move(out);
}

bool is_cjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// BERT's normalizer: drop control characters and U+FFFD, map whitespace to ' ', pad CJK
// ideographs with spaces, optionally strip accents (after NFD) and lowercase.
void bert_normalize(std::u32string& s, bool clean, bool chinese, bool accents, bool lower) {
  std::u32string out;
  for (char32_t c : s) {
    if (clean) {
      if (c == 0 || c == 0xFFFD) continue;
      bool ws = c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || category(c) == Category::Zs;
      if (ws) {
        out.push_back(U' ');
        continue;
      }
      auto k = category(c);
      if (k == Category::Cc || k == Category::Cf || k == Category::Cn || k == Category::Co) continue;
    }
    if (chinese && is_cjk(c)) {
      out.push_back(U' ');
      out.push_back(c);
      out.push_back(U' ');
      continue;
    }
    out.push_back(c);
  }
  if (accents) {
    out = nfd(out);
    strip_accents(out);
  }
  if (lower) out = lowercase(out);
  s = std::move(out);
}

void replace_all(std::u32string& s, const std::u32string& from, const std::u32string& to) {
  if (from.empty()) return;
  std::u32string out;
  size_t i = 0;
  while (true) {
    size_t at = s.find(from, i);
    if (at == std::u32string::npos) break;
    out.append(s, i, at - i);
    out += to;
    i = at + from.size();
  }
  out.append(s, i, std::u32string::npos);
  s = std::move(out);
}

void add_json(Normalizer& n, const nlohmann::json& j, const std::string& where) {
  if (j.is_null()) return;
  std::string type = json_type(j, where);
  std::string here = where + " (" + type + ")";
  if (type == "Sequence") {
    if (!j.contains("normalizers") || !j["normalizers"].is_array())
      throw InputError(here + ": field \"normalizers\" must be an array");
    for (const auto& sub : j["normalizers"]) add_json(n, sub, where);
  } else if (type == "NFC") {
    n.add([](std::u32string& s) { s = nfc(s); });
  } else if (type == "NFD") {
    n.add([](std::u32string& s) { s = nfd(s); });
  } else if (type == "Lowercase") {
    n.add([](std::u32string& s) { s = lowercase(s); });
  } else if (type == "StripAccents") {
    n.add(strip_accents);
  } else if (type == "Prepend") {
    auto p = decode_utf8(json_string(j, "prepend", "", here), "Prepend");
    n.add([p](std::u32string& s) {
      if (!s.empty()) s = p + s;
    });
  } else if (type == "Strip") {
    bool left = json_bool(j, "strip_left", false, here), right = json_bool(j, "strip_right", false, here);
    n.add([left, right](std::u32string& s) {
      size_t b = 0, e = s.size();
      if (left)
        while (b < e && is_whitespace(s[b])) ++b;
      if (right)
        while (e > b && is_whitespace(s[e - 1])) --e;
      s = s.substr(b, e - b);
    });
  } else if (type == "Replace") {
    auto content = decode_utf8(json_string(j, "content", "", here), "Replace content");
    const auto& pat = j.contains("pattern") ? j["pattern"] : nlohmann::json();
    if (pat.is_object() && pat.contains("String") && pat["String"].is_string()) {
      auto from = decode_utf8(pat["String"].get<std::string>(), "Replace pattern");
      n.add([from, content](std::u32string& s) { replace_all(s, from, content); });
    } else if (pat.is_object() && pat.contains("Regex") && pat["Regex"].is_string()) {
      auto re = std::make_shared<Regex>(pat["Regex"].get<std::string>());
      n.add([re, content](std::u32string& s) {
        std::u32string out;
        size_t i = 0, b, e;
        while (i <= s.size() && re->search(s, i, b, e)) {
          out.append(s, i, b - i);
          out += content;
          if (e == b) {
            if (b < s.size()) out.push_back(s[b]);
            i = b + 1;
          } else {
            i = e;
          }
        }
        if (i < s.size()) out.append(s, i, std::u32string::npos);
        s = std::move(out);
      });
    } else {
      throw InputError(here + ": field \"pattern\" must be {\"String\": ...} or {\"Regex\": ...}");
    }
  } else if (type == "Precompiled") {
    if (!j.contains("precompiled_charsmap") || !j["precompiled_charsmap"].is_string())
      throw InputError(here + ": field \"precompiled_charsmap\" must be a base64 string");
    std::string what = here + " field \"precompiled_charsmap\"";
    auto map = std::make_shared<PrecompiledCharsmap>(
        base64_decode(j["precompiled_charsmap"].get_ref<const std::string&>(), what), what);
    n.add([map](std::u32string& s) { s = map->normalize(s); });
  } else if (type == "BertNormalizer") {
    bool clean = json_bool(j, "clean_text", true, here), chinese = json_bool(j, "handle_chinese_chars", true, here);
    bool lower = json_bool(j, "lowercase", true, here);
    bool accents = json_bool(j, "strip_accents", lower, here);  // null: follows lowercase
    n.add([=](std::u32string& s) { bert_normalize(s, clean, chinese, accents, lower); });
  } else {
    throw InputError(where + ": unsupported normalizer type \"" + type + "\"");
  }
}

}  // namespace

Normalizer Normalizer::from_json(const nlohmann::json& j, const std::string& where) {
  Normalizer n;
  add_json(n, j, where);
  return n;
}

}  // namespace facet::text
