#include "text/unicode.hpp"

#include <algorithm>

#include "text/unicode_data.hpp"
#include "util/error.hpp"

namespace facet::text {

namespace {

uint8_t run_value(const data::Run* runs, size_t n, char32_t c) {
  auto it = std::upper_bound(runs, runs + n, c, [](char32_t v, const data::Run& r) { return v < r.start; });
  return it == runs ? 0 : (it - 1)->value;
}

constexpr char32_t kHangulS = 0xAC00, kHangulL = 0x1100, kHangulV = 0x1161, kHangulT = 0x11A7;
constexpr int kHangulLCount = 19, kHangulVCount = 21, kHangulTCount = 28;
constexpr int kHangulNCount = kHangulVCount * kHangulTCount, kHangulSCount = kHangulLCount * kHangulNCount;

const data::Decomposition* find_decomposition(char32_t c) {
  auto* end = data::kDecompositions + data::kDecompositionCount;
  auto it = std::lower_bound(data::kDecompositions, end, c,
                             [](const data::Decomposition& d, char32_t v) { return d.cp < v; });
  return it != end && it->cp == c ? it : nullptr;
}

void decompose(char32_t c, std::u32string& out) {
  if (c >= kHangulS && c < kHangulS + kHangulSCount) {
    int s = static_cast<int>(c - kHangulS);
    out.push_back(kHangulL + s / kHangulNCount);
    out.push_back(kHangulV + (s % kHangulNCount) / kHangulTCount);
    if (s % kHangulTCount != 0) out.push_back(kHangulT + s % kHangulTCount);
    return;
  }
  if (const auto* d = find_decomposition(c)) {
    decompose(d->first, out);
    if (d->second != 0) decompose(d->second, out);
    return;
  }
  out.push_back(c);
}

char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kHangulL && a < kHangulL + kHangulLCount && b >= kHangulV && b < kHangulV + kHangulVCount)
    return kHangulS + ((a - kHangulL) * kHangulVCount + (b - kHangulV)) * kHangulTCount;
  if (a >= kHangulS && a < kHangulS + kHangulSCount && (a - kHangulS) % kHangulTCount == 0 && b > kHangulT &&
      b < kHangulT + kHangulTCount)
    return a + (b - kHangulT);
  auto* end = data::kCompositions + data::kCompositionCount;
  auto it = std::lower_bound(data::kCompositions, end, std::pair<char32_t, char32_t>(a, b),
                             [](const data::Composition& x, const std::pair<char32_t, char32_t>& v) {
                               return x.first != v.first ? x.first < v.first : x.second < v.second;
                             });
  return it != end && it->first == a && it->second == b ? it->composite : 0;
}

}  // namespace

const char* unicode_version() { return data::kUnicodeVersion; }

Category category(char32_t c) {
  if (c > 0x10FFFF) return Category::Cn;
  return static_cast<Category>(run_value(data::kCategoryRuns, data::kCategoryRunCount, c));
}

bool is_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x85 || category(c) == Category::Zs || c == 0x2028 || c == 0x2029;
}

uint8_t combining_class(char32_t c) {
  if (c > 0x10FFFF) return 0;
  return run_value(data::kCombiningClassRuns, data::kCombiningClassRunCount, c);
}

void append_lowercase(char32_t c, std::u32string& out) {
  if (c < 0x80) {
    out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  auto* end = data::kLowercase + data::kLowercaseCount;
  auto it = std::lower_bound(data::kLowercase, end, c, [](const data::Lowercase& l, char32_t v) { return l.cp < v; });
  if (it == end || it->cp != c) {
    out.push_back(c);
    return;
  }
  for (char32_t t : it->to)
    if (t != 0) out.push_back(t);
}

std::u32string lowercase(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t c : s) append_lowercase(c, out);
  return out;
}

std::u32string nfd(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t c : s) decompose(c, out);
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  for (size_t i = 0; i < out.size();) {
    if (combining_class(out[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && combining_class(out[j]) != 0) ++j;
    std::stable_sort(out.begin() + i, out.begin() + j,
                     [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  return out;
}

std::u32string nfc(std::u32string_view s) {
  std::u32string d = nfd(s);
  std::u32string out;
  out.reserve(d.size());
  size_t starter = std::u32string::npos;  // index in `out` of the last starter
  int last_class = -1;                    // class of the last character appended after it
  for (char32_t c : d) {
    int cc = combining_class(c);
    bool adjacent = starter != std::u32string::npos && out.size() == starter + 1;
    bool unblocked = starter != std::u32string::npos && cc != 0 && last_class < cc;
    if (adjacent || unblocked) {
      if (char32_t comp = compose_pair(out[starter], c)) {
        out[starter] = comp;
        continue;
      }
    }
    if (cc == 0) {
      starter = out.size();
      last_class = 0;
    } else {
      last_class = cc;
    }
    out.push_back(c);
  }
  return out;
}

namespace {

// Returns the code point at s[i] and advances i, or returns false for an invalid sequence.
bool next_utf8(std::string_view s, size_t& i, char32_t& c) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    c = b0;
    ++i;
    return true;
  }
  int n;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) n = 1, c = b0 & 0x1F, min = 0x80;
  else if ((b0 & 0xF0) == 0xE0) n = 2, c = b0 & 0x0F, min = 0x800;
  else if ((b0 & 0xF8) == 0xF0) n = 3, c = b0 & 0x07, min = 0x10000;
  else return false;
  if (i + n >= s.size()) return false;
  for (int k = 1; k <= n; ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return false;
    c = (c << 6) | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000)) return false;
  i += n + 1;
  return true;
}

}  // namespace

std::u32string decode_utf8(std::string_view s, const char* what) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t c;
    size_t at = i;
    if (!next_utf8(s, i, c))
      throw InputError(std::string(what) + " is not valid UTF-8 (byte offset " + std::to_string(at) + ")");
    out.push_back(c);
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    char32_t c;
    if (!next_utf8(s, i, c)) return false;
  }
  return true;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

}  // namespace facet::text
