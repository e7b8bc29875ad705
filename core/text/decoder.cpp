#include "text/decoder.hpp"

#include "text/byte_level.hpp"
#include "text/json_fields.hpp"
#include "text/unicode.hpp"

namespace facet::text {

namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

int hex_byte(const std::string& t) {  // "<0xAB>" -> 0xAB, else -1
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
  int v = 0;
  for (int i = 3; i < 5; ++i) {
    char c = t[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

void add_json(Decoder& d, const nlohmann::json& j, const std::string& where) {
  if (j.is_null()) return;
  std::string type = json_type(j, where);
  std::string here = where + " (" + type + ")";
  using Tokens = std::vector<std::string>;
  if (type == "Sequence") {
    if (!j.contains("decoders") || !j["decoders"].is_array())
      throw InputError(here + ": field \"decoders\" must be an array");
    for (const auto& sub : j["decoders"]) add_json(d, sub, where);
  } else if (type == "ByteLevel") {
    d.add([](Tokens ts) {
      const auto& alphabet = ByteLevelAlphabet::get();
      for (auto& t : ts) {
        std::string bytes;
        for (char32_t c : decode_utf8(t, "token")) {
          int b = alphabet.to_byte(c);
          if (b >= 0) bytes.push_back(static_cast<char>(b));
          else append_utf8(bytes, c);
        }
        t = std::move(bytes);
      }
      return ts;
    });
  } else if (type == "Metaspace") {
    std::string rep = json_string(j, "replacement", "\xE2\x96\x81", here);
    std::string scheme = json_string(j, "prepend_scheme", "", here);
    if (scheme.empty()) scheme = json_bool(j, "add_prefix_space", true, here) ? "always" : "never";
    bool strip_first = scheme != "never";
    d.add([rep, strip_first](Tokens ts) {
      for (size_t i = 0; i < ts.size(); ++i) {
        replace_all(ts[i], rep, " ");
        if (i == 0 && strip_first && !ts[i].empty() && ts[i][0] == ' ') ts[i].erase(0, 1);
      }
      return ts;
    });
  } else if (type == "Replace") {
    const auto& pat = j.contains("pattern") ? j["pattern"] : nlohmann::json();
    if (!pat.is_object() || !pat.contains("String") || !pat["String"].is_string())
      throw InputError(here + ": only String patterns are supported in decoders");
    std::string from = pat["String"].get<std::string>(), to = json_string(j, "content", "", here);
    d.add([from, to](Tokens ts) {
      for (auto& t : ts) replace_all(t, from, to);
      return ts;
    });
  } else if (type == "ByteFallback") {
    d.add([](Tokens ts) {
      Tokens out;
      std::string run;
      for (auto& t : ts) {
        int b = hex_byte(t);
        if (b >= 0) {
          run.push_back(static_cast<char>(b));
          continue;
        }
        if (!run.empty()) out.push_back(to_valid_utf8(run)), run.clear();
        out.push_back(std::move(t));
      }
      if (!run.empty()) out.push_back(to_valid_utf8(run));
      return out;
    });
  } else if (type == "Fuse") {
    d.add([](Tokens ts) {
      std::string all;
      for (auto& t : ts) all += t;
      return Tokens{all};
    });
  } else if (type == "Strip") {
    std::string content = json_string(j, "content", " ", here);
    int start = j.value("start", 0), stop = j.value("stop", 0);
    d.add([content, start, stop](Tokens ts) {
      for (auto& t : ts) {
        for (int k = 0; k < start && t.compare(0, content.size(), content) == 0 && !content.empty(); ++k)
          t.erase(0, content.size());
        for (int k = 0; k < stop && t.size() >= content.size() && !content.empty() &&
                        t.compare(t.size() - content.size(), content.size(), content) == 0;
             ++k)
          t.erase(t.size() - content.size());
      }
      return ts;
    });
  } else if (type == "BPEDecoder") {
    std::string suffix = json_string(j, "suffix", "</w>", here);
    d.add([suffix](Tokens ts) {
      for (size_t i = 0; i < ts.size(); ++i) replace_all(ts[i], suffix, i + 1 == ts.size() ? "" : " ");
      return ts;
    });
  } else if (type == "WordPiece") {
    std::string prefix = json_string(j, "prefix", "##", here);
    bool cleanup = json_bool(j, "cleanup", true, here);
    d.add([prefix, cleanup](Tokens ts) {
      for (size_t i = 0; i < ts.size(); ++i) {
        if (i > 0) {
          if (ts[i].compare(0, prefix.size(), prefix) == 0) ts[i].erase(0, prefix.size());
          else ts[i] = " " + ts[i];
        }
        if (cleanup) {
          for (const char* p : {" .", " ?", " !", " ,"}) replace_all(ts[i], p, std::string(1, p[1]));
          replace_all(ts[i], " ' ", "'");
          replace_all(ts[i], " n't", "n't");
          replace_all(ts[i], " 'm", "'m");
          replace_all(ts[i], " 's", "'s");
          replace_all(ts[i], " 've", "'ve");
          replace_all(ts[i], " 're", "'re");
        }
      }
      return ts;
    });
  } else {
    throw InputError(where + ": unsupported decoder type \"" + type + "\"");
  }
}

}  // namespace

std::string to_valid_utf8(const std::string& bytes) {
  if (valid_utf8(bytes)) return bytes;
  // Each maximal invalid subpart becomes one U+FFFD (Unicode's recommended practice, as Rust's
  // from_utf8_lossy and Python's "replace" do).
  std::string out;
  size_t i = 0;
  const size_t n = bytes.size();
  auto at = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  while (i < n) {
    unsigned char b = at(i);
    int need = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b < 0x80) need = 0;
    else if (b >= 0xC2 && b <= 0xDF) need = 1;
    else if (b >= 0xE0 && b <= 0xEF) need = 2, lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    else if (b >= 0xF0 && b <= 0xF4) need = 3, lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    else need = -1;
    if (need < 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    size_t k = 1;
    for (; k <= static_cast<size_t>(need) && i + k < n; ++k) {
      unsigned char c = at(i + k);
      if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) break;
    }
    if (k == static_cast<size_t>(need) + 1) out.append(bytes, i, k);
    else out += "\xEF\xBF\xBD";
    i += k;
  }
  return out;
}

Decoder Decoder::from_json(const nlohmann::json& j, const std::string& where) {
  Decoder d;
  add_json(d, j, where);
  return d;
}

std::string Decoder::decode(std::vector<std::string> tokens) const {
  for (const auto& step : steps_) tokens = step(std::move(tokens));
  std::string all;
  for (auto& t : tokens) all += t;
  return to_valid_utf8(all);
}

}  // namespace facet::text
