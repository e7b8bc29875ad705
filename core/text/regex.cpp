#include "text/regex.hpp"

#include <functional>

#include "text/unicode.hpp"
#include "util/error.hpp"

namespace facet::text {

namespace {

// One term of a character class: a range, a set of general categories, or a named property.
struct ClassItem {
  enum class Kind { Range, Categories, Whitespace, Any } kind = Kind::Range;
  char32_t lo = 0, hi = 0;
  uint32_t categories = 0;  // bit per Category
  bool negated = false;
  bool matches(char32_t c) const {
    bool r = false;
    switch (kind) {
      case Kind::Range: r = c >= lo && c <= hi; break;
      case Kind::Categories: r = (categories >> static_cast<int>(category(c))) & 1u; break;
      case Kind::Whitespace: r = is_whitespace(c); break;
      case Kind::Any: r = c != U'\n'; break;
    }
    return r != negated;
  }
};

uint32_t cat_bits(std::initializer_list<Category> cats) {
  uint32_t m = 0;
  for (auto c : cats) m |= 1u << static_cast<int>(c);
  return m;
}

char32_t simple_fold(char32_t c) {
  std::u32string low;
  append_lowercase(c, low);
  return low.size() == 1 ? low[0] : c;
}

}  // namespace

struct Regex::Node {
  enum class Kind { Set, Seq, Alt, Repeat, Look } kind = Kind::Seq;
  std::vector<ClassItem> items;  // Set: matches when any item does (then `negated` applies)
  bool negated = false;          // Set: [^...]; Look: negative lookahead
  bool icase = false;            // Set: compare case-folded
  std::vector<std::unique_ptr<Node>> kids;
  int min = 0, max = -1;  // Repeat; max -1 = unbounded
  bool lazy = false;

  bool set_matches(char32_t c) const {
    bool r = false;
    for (const auto& it : items)
      if (it.matches(c) || (icase && it.kind == ClassItem::Kind::Range && it.matches(simple_fold(c)))) {
        r = true;
        break;
      }
    return r != negated;
  }
};

namespace {

using Node = Regex::Node;
using Cont = std::function<bool(size_t)>;

class Parser {
 public:
  explicit Parser(std::string_view pattern) : p_(decode_utf8(pattern, "regex pattern")), src_(pattern) {}

  std::unique_ptr<Node> parse() {
    auto n = alternation(false);
    if (i_ != p_.size()) fail("unbalanced ')'");
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError("unsupported or invalid regex: " + what + " at offset " + std::to_string(i_) + " in \"" +
                     std::string(src_) + "\"");
  }
  bool eat(char32_t c) {
    if (i_ < p_.size() && p_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  std::unique_ptr<Node> alternation(bool icase) {
    auto alt = std::make_unique<Node>();
    alt->kind = Node::Kind::Alt;
    alt->kids.push_back(sequence(icase));
    while (eat(U'|')) alt->kids.push_back(sequence(icase));
    if (alt->kids.size() == 1) return std::move(alt->kids[0]);
    return alt;
  }

  std::unique_ptr<Node> sequence(bool icase) {
    auto seq = std::make_unique<Node>();
    seq->kind = Node::Kind::Seq;
    while (i_ < p_.size() && p_[i_] != U'|' && p_[i_] != U')') seq->kids.push_back(quantified(icase));
    return seq;
  }

  int number() {
    if (i_ >= p_.size() || p_[i_] < U'0' || p_[i_] > U'9') fail("expected a number");
    int v = 0;
    while (i_ < p_.size() && p_[i_] >= U'0' && p_[i_] <= U'9') {
      v = v * 10 + static_cast<int>(p_[i_++] - U'0');
      if (v > 100000) fail("repeat count too large");
    }
    return v;
  }

  std::unique_ptr<Node> quantified(bool icase) {
    auto atom_node = atom(icase);
    while (i_ < p_.size()) {
      int min, max;
      char32_t c = p_[i_];
      if (c == U'*') min = 0, max = -1, ++i_;
      else if (c == U'+') min = 1, max = -1, ++i_;
      else if (c == U'?') min = 0, max = 1, ++i_;
      else if (c == U'{') {
        ++i_;
        min = number();
        max = min;
        if (eat(U',')) max = (i_ < p_.size() && p_[i_] == U'}') ? -1 : number();
        if (!eat(U'}')) fail("expected '}'");
        if (max != -1 && max < min) fail("bad repeat range");
      } else {
        break;
      }
      auto rep = std::make_unique<Node>();
      rep->kind = Node::Kind::Repeat;
      rep->min = min;
      rep->max = max;
      if (eat(U'?')) rep->lazy = true;
      else if (i_ < p_.size() && p_[i_] == U'+') fail("possessive quantifier");
      rep->kids.push_back(std::move(atom_node));
      atom_node = std::move(rep);
    }
    return atom_node;
  }

  std::unique_ptr<Node> set_node(std::vector<ClassItem> items, bool negated, bool icase) {
    auto n = std::make_unique<Node>();
    n->kind = Node::Kind::Set;
    n->items = std::move(items);
    n->negated = negated;
    n->icase = icase;
    if (icase)
      for (auto& it : n->items)
        if (it.kind == ClassItem::Kind::Range && it.lo == it.hi) it.lo = it.hi = simple_fold(it.lo);
    return n;
  }

  std::unique_ptr<Node> atom(bool icase) {
    if (i_ >= p_.size()) fail("unexpected end");
    char32_t c = p_[i_++];
    if (c == U'(') {
      std::unique_ptr<Node> inner;
      if (eat(U'?')) {
        if (eat(U':')) {
          inner = alternation(icase);
        } else if (eat(U'i')) {
          if (!eat(U':')) fail("only (?i:...) groups are supported");
          inner = alternation(true);
        } else if (eat(U'=') || (i_ < p_.size() && p_[i_] == U'!')) {
          bool neg = eat(U'!');
          auto look = std::make_unique<Node>();
          look->kind = Node::Kind::Look;
          look->negated = neg;
          look->kids.push_back(alternation(icase));
          inner = std::move(look);
        } else {
          fail("group type");
        }
      } else {
        inner = alternation(icase);
      }
      if (!eat(U')')) fail("expected ')'");
      return inner;
    }
    if (c == U'[') return char_class(icase);
    if (c == U'.') return set_node({ClassItem{ClassItem::Kind::Any}}, false, false);
    if (c == U'^' || c == U'$') fail("anchors");
    if (c == U')' || c == U'*' || c == U'+' || c == U'?' || c == U'{') fail("misplaced '" + encode_utf8(std::u32string(1, c)) + "'");
    if (c == U'\\') return set_node({escape()}, false, icase);
    return set_node({ClassItem{ClassItem::Kind::Range, c, c}}, false, icase);
  }

  uint32_t property(std::u32string name) {
    struct P {
      const char32_t* name;
      uint32_t bits;
    };
    using C = Category;
    static const P props[] = {
        {U"L", cat_bits({C::Lu, C::Ll, C::Lt, C::Lm, C::Lo})},
        {U"Letter", cat_bits({C::Lu, C::Ll, C::Lt, C::Lm, C::Lo})},
        {U"Lu", cat_bits({C::Lu})}, {U"Ll", cat_bits({C::Ll})}, {U"Lt", cat_bits({C::Lt})},
        {U"Lm", cat_bits({C::Lm})}, {U"Lo", cat_bits({C::Lo})},
        {U"M", cat_bits({C::Mn, C::Mc, C::Me})}, {U"Mn", cat_bits({C::Mn})}, {U"Mc", cat_bits({C::Mc})},
        {U"Me", cat_bits({C::Me})},
        {U"N", cat_bits({C::Nd, C::Nl, C::No})}, {U"Number", cat_bits({C::Nd, C::Nl, C::No})},
        {U"Nd", cat_bits({C::Nd})}, {U"Nl", cat_bits({C::Nl})}, {U"No", cat_bits({C::No})},
        {U"P", cat_bits({C::Pc, C::Pd, C::Ps, C::Pe, C::Pi, C::Pf, C::Po})},
        {U"S", cat_bits({C::Sm, C::Sc, C::Sk, C::So})},
        {U"Z", cat_bits({C::Zs, C::Zl, C::Zp})},
        {U"C", cat_bits({C::Cc, C::Cf, C::Cs, C::Co, C::Cn})},
    };
    for (const auto& p : props)
      if (name == p.name) return p.bits;
    fail("unknown property \\p{" + encode_utf8(name) + "}");
  }

  ClassItem escape() {
    if (i_ >= p_.size()) fail("trailing backslash");
    char32_t c = p_[i_++];
    using K = ClassItem::Kind;
    using C = Category;
    auto range = [](char32_t v) { return ClassItem{K::Range, v, v}; };
    switch (c) {
      case U'r': return range(U'\r');
      case U'n': return range(U'\n');
      case U't': return range(U'\t');
      case U'f': return range(U'\f');
      case U'v': return range(U'\v');
      case U's': return ClassItem{K::Whitespace};
      case U'S': return ClassItem{K::Whitespace, 0, 0, 0, true};
      case U'd': return ClassItem{K::Categories, 0, 0, cat_bits({C::Nd})};
      case U'D': return ClassItem{K::Categories, 0, 0, cat_bits({C::Nd}), true};
      case U'w':
      case U'W':
        return ClassItem{K::Categories, 0, 0,
                         cat_bits({C::Lu, C::Ll, C::Lt, C::Lm, C::Lo, C::Mn, C::Mc, C::Me, C::Nd, C::Nl, C::No, C::Pc}),
                         c == U'W'};
      case U'p':
      case U'P': {
        std::u32string name;
        if (eat(U'{')) {
          while (i_ < p_.size() && p_[i_] != U'}') name.push_back(p_[i_++]);
          if (!eat(U'}')) fail("expected '}'");
        } else if (i_ < p_.size()) {
          name.push_back(p_[i_++]);
        }
        return ClassItem{K::Categories, 0, 0, property(name), c == U'P'};
      }
      case U'x':
      case U'u': {
        bool braces = eat(U'{');
        int digits = braces ? 8 : (c == U'x' ? 2 : 4);
        char32_t v = 0;
        int n = 0;
        while (n < digits && i_ < p_.size()) {
          char32_t h = p_[i_];
          int d = h >= U'0' && h <= U'9' ? int(h - U'0') : h >= U'a' && h <= U'f' ? int(h - U'a' + 10)
                  : h >= U'A' && h <= U'F' ? int(h - U'A' + 10) : -1;
          if (d < 0) break;
          v = v * 16 + d;
          ++i_, ++n;
        }
        if (n == 0 || (braces && !eat(U'}')) || v > 0x10FFFF) fail("bad hex escape");
        return range(v);
      }
      default:
        if ((c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9'))
          fail(std::string("escape \\") + static_cast<char>(c));
        return range(c);
    }
  }

  std::unique_ptr<Node> char_class(bool icase) {
    bool negated = eat(U'^');
    std::vector<ClassItem> items;
    bool first = true;
    while (true) {
      if (i_ >= p_.size()) fail("unterminated '['");
      char32_t c = p_[i_];
      if (c == U']' && !first) {
        ++i_;
        break;
      }
      first = false;
      if (c == U'[') fail("nested class");
      ClassItem item;
      ++i_;
      if (c == U'\\') item = escape();
      else item = ClassItem{ClassItem::Kind::Range, c, c};
      if (item.kind == ClassItem::Kind::Range && i_ + 1 < p_.size() && p_[i_] == U'-' && p_[i_ + 1] != U']') {
        ++i_;
        char32_t hi_c = p_[i_++];
        ClassItem hi = hi_c == U'\\' ? escape() : ClassItem{ClassItem::Kind::Range, hi_c, hi_c};
        if (hi.kind != ClassItem::Kind::Range || hi.lo < item.lo) fail("bad range");
        item.hi = hi.lo;
      }
      items.push_back(item);
    }
    return set_node(std::move(items), negated, icase);
  }

  std::u32string p_;
  std::string_view src_;
  size_t i_ = 0;
};

class Matcher {
 public:
  explicit Matcher(std::u32string_view s) : s_(s) {}

  bool match(const Node& n, size_t i, const Cont& k) const {
    switch (n.kind) {
      case Node::Kind::Set:
        return i < s_.size() && n.set_matches(s_[i]) && k(i + 1);
      case Node::Kind::Seq:
        return seq(n, 0, i, k);
      case Node::Kind::Alt:
        for (const auto& kid : n.kids)
          if (match(*kid, i, k)) return true;
        return false;
      case Node::Kind::Look: {
        bool found = match(*n.kids[0], i, [](size_t) { return true; });
        return found != n.negated && k(i);
      }
      case Node::Kind::Repeat:
        if (n.kids[0]->kind == Node::Kind::Set) return repeat_set(n, i, k);
        return repeat(n, 0, i, k);
    }
    return false;
  }

 private:
  bool seq(const Node& n, size_t idx, size_t i, const Cont& k) const {
    if (idx == n.kids.size()) return k(i);
    return match(*n.kids[idx], i, [&](size_t j) { return seq(n, idx + 1, j, k); });
  }

  // A repeated single character: count the run once, then try the lengths in order.
  bool repeat_set(const Node& n, size_t i, const Cont& k) const {
    const Node& set = *n.kids[0];
    size_t limit = n.max < 0 ? s_.size() - i : std::min<size_t>(n.max, s_.size() - i);
    size_t count = 0;
    while (count < limit && set.set_matches(s_[i + count])) ++count;
    if (count < static_cast<size_t>(n.min)) return false;
    if (n.lazy) {
      for (size_t c = n.min; c <= count; ++c)
        if (k(i + c)) return true;
    } else {
      for (size_t c = count + 1; c-- > static_cast<size_t>(n.min);)
        if (k(i + c)) return true;
    }
    return false;
  }

  bool repeat(const Node& n, int count, size_t i, const Cont& k) const {
    bool can_more = n.max < 0 || count < n.max;
    auto more = [&]() {
      return can_more && match(*n.kids[0], i, [&](size_t j) { return j != i && repeat(n, count + 1, j, k); });
    };
    if (n.lazy) return (count >= n.min && k(i)) || more();
    return more() || (count >= n.min && k(i));
  }

  std::u32string_view s_;
};

}  // namespace

Regex::Regex(std::string_view pattern) : pattern_(pattern), root_(Parser(pattern).parse()) {}
Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

bool Regex::search(std::u32string_view s, size_t from, size_t& start, size_t& end) const {
  Matcher m(s);
  for (size_t i = from; i <= s.size(); ++i) {
    size_t e = 0;
    if (m.match(*root_, i, [&](size_t j) {
          e = j;
          return true;
        })) {
      start = i;
      end = e;
      return true;
    }
  }
  return false;
}

}  // namespace facet::text
