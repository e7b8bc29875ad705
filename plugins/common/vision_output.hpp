// The output choice shared by the vision encoder plugins (params `output` and `tokens`):
//   output = "embeds" (the model's final embedding), "pooled", "last_hidden_state", or "hidden:N"
//            (hidden states as Hugging Face numbers them: 0 = embedding output, negative from the end);
//   tokens = "all", "patch" (drop the CLS and register tokens, as LLaVA and the MoF adapters do) or
//            "cls".
#pragma once

#include <facet/plugin.hpp>

#include <string>

namespace facet::plugins {

struct VisionOutput {
  enum class Kind { Embeds, Pooled, LastHiddenState, Hidden } kind = Kind::Embeds;
  int64_t hidden = 0;  // Hidden: 0..layers
  enum class Tokens { All, Patch, Cls } tokens = Tokens::All;

  static VisionOutput parse(const std::string& output, const std::string& tokens, int64_t layers) {
    VisionOutput o;
    if (output == "embeds") o.kind = Kind::Embeds;
    else if (output == "pooled") o.kind = Kind::Pooled;
    else if (output == "last_hidden_state") o.kind = Kind::LastHiddenState;
    else if (output.rfind("hidden:", 0) == 0) {
      o.kind = Kind::Hidden;
      size_t used = 0;
      int64_t n = 0;
      try {
        n = std::stoll(output.substr(7), &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != output.size() - 7) throw sdk::Error("param output: '" + output + "' is not hidden:<integer>");
      if (n < -(layers + 1) || n > layers)
        throw sdk::Error("param output: " + output + " is outside the " + std::to_string(layers + 1) +
                         " hidden states (0.." + std::to_string(layers) + ", or -1..-" + std::to_string(layers + 1) + ")");
      o.hidden = n < 0 ? n + layers + 1 : n;
    } else {
      throw sdk::Error("param output: '" + output + "' is not embeds, pooled, last_hidden_state or hidden:N");
    }
    if (tokens == "all") o.tokens = Tokens::All;
    else if (tokens == "patch") o.tokens = Tokens::Patch;
    else if (tokens == "cls") o.tokens = Tokens::Cls;
    else throw sdk::Error("param tokens: '" + tokens + "' is not all, patch or cls");
    if ((o.kind == Kind::Embeds || o.kind == Kind::Pooled) && o.tokens != Tokens::All)
      throw sdk::Error("param tokens applies to hidden states, not to output '" + output + "'");
    return o;
  }

  bool per_token() const { return kind == Kind::LastHiddenState || kind == Kind::Hidden; }

  // Rows kept of a [prefix + patches, D] hidden state.
  int64_t rows(int64_t prefix, int64_t patches) const {
    if (tokens == Tokens::Patch) return patches;
    if (tokens == Tokens::Cls) return 1;
    return prefix + patches;
  }

  sdk::Tensor select(sdk::Graph& g, const sdk::Tensor& x, int64_t prefix, const std::string& node) const {
    const int64_t t = x.desc().dims[0];
    if (tokens == Tokens::Patch)
      return g.op("slice", node, {x}, {sdk::attr("dim", int64_t{0}), sdk::attr("start", prefix), sdk::attr("end", t)});
    if (tokens == Tokens::Cls)
      return g.op("slice", node, {x}, {sdk::attr("dim", int64_t{0}), sdk::attr("start", int64_t{0}), sdk::attr("end", int64_t{1})});
    return x;
  }
};

}  // namespace facet::plugins
