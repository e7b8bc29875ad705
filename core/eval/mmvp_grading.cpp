#include "eval/mmvp_grading.hpp"

#include <cctype>

#include "util/error.hpp"

namespace facet::eval {

namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// " word word " : lowercase letters and digits, every other run of characters one space, padded.
std::string words(const std::string& s) {
  std::string out = " ";
  for (char c : s) {
    if (alnum(c)) out.push_back(lower(c));
    else if (out.back() != ' ') out.push_back(' ');
  }
  if (out.back() != ' ') out.push_back(' ');
  return out;
}

bool is_marker(const std::string& s, size_t i) {
  return i + 2 < s.size() && s[i] == '(' && std::isalpha(static_cast<unsigned char>(s[i + 1])) && s[i + 2] == ')';
}

}  // namespace

std::vector<McOption> parse_options(const std::string& field, const std::string& where) {
  std::vector<McOption> out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (!is_marker(field, i)) {
      if (!out.empty()) out.back().text.push_back(field[i]);
      continue;
    }
    const char letter = lower(field[i + 1]);
    for (const auto& o : out)
      if (o.letter == letter) throw InputError(where + ": option (" + std::string(1, letter) + ") appears twice in '" + field + "'");
    out.push_back({letter, ""});
    i += 2;
  }
  if (out.empty()) throw InputError(where + ": options '" + field + "' have no (a), (b), ... markers");
  for (auto& o : out) {
    const size_t b = o.text.find_first_not_of(" \t\r\n"), e = o.text.find_last_not_of(" \t\r\n");
    o.text = b == std::string::npos ? "" : o.text.substr(b, e - b + 1);
  }
  return out;
}

std::optional<char> grade_answer(const std::string& answer, const std::vector<McOption>& options) {
  std::string a;
  for (char c : answer) a.push_back(lower(c));
  auto known = [&](char c) {
    for (const auto& o : options)
      if (o.letter == c) return true;
    return false;
  };
  for (size_t i = 0; i < a.size(); ++i)
    if (is_marker(a, i) && known(a[i + 1])) return a[i + 1];
  const size_t s = a.find_first_not_of(" \t\r\n");
  if (s != std::string::npos && known(a[s])) {
    const size_t n = s + 1;
    if (n == a.size() || a.find_first_not_of(" \t\r\n", n) == std::string::npos) return a[s];
    if (a[n] == '.' || a[n] == ')' || a[n] == ':' || a[n] == ',') return a[s];
  }
  const std::string text = words(answer);
  std::vector<std::pair<char, std::string>> found;  // options whose words are in the answer
  for (const auto& o : options) {
    std::string w = words(o.text);
    if (w != " " && text.find(w) != std::string::npos) found.push_back({o.letter, std::move(w)});
  }
  // An option inside a longer found one ("open" in "not open") does not count on its own.
  std::optional<char> choice;
  int kept = 0;
  for (const auto& [letter, w] : found) {
    bool inside = false;
    for (const auto& [other, ow] : found) inside = inside || (other != letter && ow.size() > w.size() && ow.find(w) != std::string::npos);
    if (!inside) {
      choice = letter;
      ++kept;
    }
  }
  if (kept == 1) return choice;
  return std::nullopt;
}

}  // namespace facet::eval
