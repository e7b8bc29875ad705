// adapter_qformer: the Querying Transformer of BLIP-2 (Blip2QFormerModel) and InstructBLIP
// (InstructBlipQFormerModel), with the language projection after it. Q learned query tokens, BERT
// layers (post-LayerNorm), cross-attention to the image features in every layer that has it:
//   x = LN_emb(query_tokens)                                        // f32 [Q, D]
//     (InstructBLIP with an instruction: LN_emb([query_tokens; word_emb(ids) + pos_emb(0..T-1)]))
//   per layer i:
//     x = LN(x + dense(SelfAttn(x)))                                // queries and text together
//     xq = x[:Q]
//     (layers with cross-attention) xq = LN(xq + dense(Attn(xq, features)))
//     xq = LN(xq + dense(gelu(dense(xq))))                          // the query FFN
//     (text rows) xt = LN(xt + dense(gelu(dense(xt))))              // the text FFN
//   y = language_projection(x[:Q])                                  // f32 [Q, D_llm]
// Tensors: <prefix>query_tokens [1, Q, D]; <prefix>qformer.layernorm (BLIP-2) or
// <prefix>qformer.embeddings.{layernorm, word_embeddings, position_embeddings} (InstructBLIP);
// <prefix>qformer.encoder.layer.i.{attention, crossattention}.{attention.{query,key,value},
// output.{dense,LayerNorm}}, {intermediate_query, intermediate}.dense, {output_query,
// output}.{dense,LayerNorm}; <prefix>language_projection.
#include <facet/nn.hpp>
#include <facet/plugin.hpp>

#include <string>

#include "../common/hf_config.hpp"

namespace {

using namespace facet::sdk;
using facet::plugins::HfConfig;

class QFormer : public Component {
 public:
  static constexpr const char* name = "qformer";
  static constexpr facet_component_kind kind = FACET_KIND_ADAPTER;
  static constexpr const char* doc = "BLIP-2 / InstructBLIP Q-Former and language projection: image tokens [N, Dv] -> [Q, D_llm]";
  static inline const Ports inputs = {
      {"x", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [N, Dv] image features"},
      {"text", contract(FACET_DTYPE_I32, {-1}), "i32 [T] instruction ids from the Q-Former's tokenizer (InstructBLIP; optional)"},
  };
  static constexpr uint64_t optional_inputs = 0b10;
  static inline const Ports outputs = {{"y", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [Q, D_llm] projected query tokens"}};
  static inline const Params params = {
      {"prefix", FACET_PARAM_STRING, 0, "", "tensor prefix; empty: '' or 'model.', whichever holds query_tokens"},
      {"heads", FACET_PARAM_INT, 0, "0", "attention heads; 0: config.json qformer_config.num_attention_heads"},
      {"eps", FACET_PARAM_FLOAT, 0, "0", "LayerNorm epsilon; 0: config.json qformer_config.layer_norm_eps (1e-12)"},
      {"projection", FACET_PARAM_STRING, 0, "language_projection", "projection after the Q-Former; empty: none"},
  };

  explicit QFormer(const StageConfig& cfg)
      : w_(cfg.weights()), prefix_(cfg.get_string("prefix")), eps_(cfg.get_float("eps")), heads_(cfg.get_int("heads")) {
    if (!w_.present()) throw Error("adapter_qformer needs weights (a safetensors file or a model folder)");
    if (prefix_.empty() && !w_.has("query_tokens") && w_.has("model.query_tokens")) prefix_ = "model.";
    const std::string qt = prefix_ + "query_tokens";
    if (!w_.has(qt)) throw Error("no Q-Former found: missing weight tensor '" + qt + "'");
    const Desc q = w_.desc(qt);
    if (q.rank != 3 || q.dims[0] != 1) throw Error("tensor '" + qt + "' must be [1, n_query, hidden]");
    queries_ = q.dims[1];
    dim_ = q.dims[2];

    HfConfig qc;
    std::string text;
    if (w_.file("config.json", &text)) qc = HfConfig::load(w_).sub("qformer_config");
    if (heads_ == 0) heads_ = qc.get_int("num_attention_heads", 0, 1);
    if (heads_ <= 0 || dim_ % heads_ != 0)
      throw Error("heads " + std::to_string(heads_) + " must be set (param heads or qformer_config.num_attention_heads) and divide " +
                  std::to_string(dim_));
    if (eps_ == 0) eps_ = qc.get_positive("layer_norm_eps", 1e-12);
    act_ = qc.get_string("hidden_act", "gelu");
    if (!nn::known_activation(act_)) qc.fail("hidden_act", "'" + act_ + "' is not supported");
    const int64_t every = qc.get_int("cross_attention_frequency", 0, 1, 64);

    const std::string e = prefix_ + "qformer.embeddings.";
    instruct_ = w_.has(e + "word_embeddings.weight");
    emb_norm_ = instruct_ ? e + "layernorm" : prefix_ + "qformer.layernorm";
    w_.desc(emb_norm_ + ".weight");  // throws naming it
    while (w_.has(layer(layers_) + "attention.attention.query.weight")) ++layers_;
    if (layers_ == 0) throw Error("missing weight tensor '" + layer(0) + "attention.attention.query.weight'");
    for (int64_t i = 0; i < layers_; ++i) {
      const bool cross = w_.has(layer(i) + "crossattention.attention.query.weight");
      if (every > 0 && cross != (i % every == 0))
        throw Error("layer " + std::to_string(i) + (cross ? " has" : " lacks") +
                    " cross-attention against config.json qformer_config.cross_attention_frequency " + std::to_string(every) +
                    (cross ? "" : ": missing weight tensor '" + layer(i) + "crossattention.attention.query.weight'"));
      cross_.push_back(cross);
      for (const char* t : {"attention.attention.key.weight", "attention.attention.value.weight", "attention.output.dense.weight",
                            "attention.output.LayerNorm.weight", "intermediate_query.dense.weight", "output_query.dense.weight",
                            "output_query.LayerNorm.weight"})
        w_.desc(layer(i) + t);
      if (cross) {
        const Desc k = w_.desc(layer(i) + "crossattention.attention.key.weight");
        if (k.rank != 2) throw Error("tensor '" + layer(i) + "crossattention.attention.key.weight' must be [hidden, vision width]");
        if (vision_ == 0) vision_ = k.dims[1];
        if (k.dims[1] != vision_) throw Error("cross-attention layers disagree on the vision width");
      }
    }
    if (vision_ == 0) throw Error("the Q-Former has no cross-attention layer");
    const std::string proj = cfg.get_string("projection");
    if (!proj.empty()) {
      projection_ = prefix_ + proj;
      const Desc p = w_.desc(projection_ + ".weight");
      if (p.rank != 2 || p.dims[1] != dim_)
        throw Error("tensor '" + projection_ + ".weight' must be [llm hidden, " + std::to_string(dim_) + "]");
      out_ = p.dims[0];
    } else {
      out_ = dim_;
    }
  }

  std::vector<Desc> infer(const std::vector<Desc>& in) override {
    if (in[0].dims[1] != vision_)
      throw Error("image features of width " + std::to_string(in[0].dims[1]) + " do not match the Q-Former's cross-attention input " +
                  std::to_string(vision_));
    if (!in[1].absent()) {
      if (!instruct_) throw Error("input 'text' is wired but this Q-Former (BLIP-2) has no word embeddings for an instruction");
      const int64_t max_t = w_.desc(prefix_ + "qformer.embeddings.position_embeddings.weight").dims[0];
      if (in[1].dims[0] < 1 || in[1].dims[0] > max_t)
        throw Error("an instruction of " + std::to_string(in[1].dims[0]) + " tokens does not fit the Q-Former's " +
                    std::to_string(max_t) + " positions");
    }
    return {Desc(FACET_DTYPE_F32, {queries_, out_})};
  }

  std::vector<Tensor> build(Graph& g, const std::vector<Tensor>& in) override {
    const int64_t q_rows = queries_;
    const int64_t t_rows = in[1].present() ? in[1].desc().dims[0] : 0;
    Tensor x = g.reshape(nn::param(g, w_, prefix_ + "query_tokens"), Desc(FACET_DTYPE_F32, {q_rows, dim_}));  // f32 [Q, D]
    if (t_rows > 0) {
      const std::string e = prefix_ + "qformer.embeddings.";
      Tensor words = g.op("get_rows", e + "word_embeddings", {g.weight(w_, e + "word_embeddings.weight"), in[1]});  // f32 [T, D]
      Tensor pos = g.op("slice", e + "position_embeddings", {nn::param(g, w_, e + "position_embeddings.weight")},
                        {attr("dim", int64_t{0}), attr("start", int64_t{0}), attr("end", t_rows)});
      Tensor t = g.op("add", e + "sum", {words, pos});
      x = g.op("concat", e + "concat", {x, t}, {attr("dim", int64_t{0})});  // f32 [Q+T, D]
    }
    x = nn::layer_norm(g, w_, emb_norm_, x, eps_);
    for (int64_t i = 0; i < layers_; ++i) {
      const std::string p = layer(i);
      x = attention_block(g, p + "attention.", x, x);
      Tensor xq = t_rows > 0 ? rows(g, p + "query_rows", x, 0, q_rows) : x;
      if (cross_[i]) xq = attention_block(g, p + "crossattention.", xq, in[0]);
      xq = ffn(g, p + "intermediate_query", p + "output_query", xq);
      if (t_rows > 0) {
        Tensor xt = ffn(g, p + "intermediate", p + "output", rows(g, p + "text_rows", x, q_rows, q_rows + t_rows));
        x = g.op("concat", p + "concat", {xq, xt}, {attr("dim", int64_t{0})});
      } else {
        x = xq;
      }
    }
    if (t_rows > 0) x = rows(g, prefix_ + "qformer.query_output", x, 0, q_rows);  // f32 [Q, D]
    return {projection_.empty() ? x : nn::linear(g, w_, projection_, x)};       // f32 [Q, D_llm]
  }

 private:
  std::string layer(int64_t i) const { return prefix_ + "qformer.encoder.layer." + std::to_string(i) + "."; }

  static Tensor rows(Graph& g, const std::string& node, const Tensor& x, int64_t start, int64_t end) {
    return g.op("slice", node, {x}, {attr("dim", int64_t{0}), attr("start", start), attr("end", end)});
  }

  // LN(x + dense(Attn(q = x, k = v = context))) with BERT's names under `p`.
  Tensor attention_block(Graph& g, const std::string& p, const Tensor& x, const Tensor& context) {
    const std::string a = p + "attention.";
    Tensor o = nn::attention(g, nn::linear(g, w_, a + "query", x), nn::linear(g, w_, a + "key", context),
                             nn::linear(g, w_, a + "value", context), heads_, p + "attn");
    Tensor r = g.op("add", p + "residual", {nn::linear(g, w_, p + "output.dense", o), x});
    return nn::layer_norm(g, w_, p + "output.LayerNorm", r, eps_);
  }

  // LN(x + dense(act(dense(x)))) with `inter`.dense and `out`.{dense, LayerNorm}.
  Tensor ffn(Graph& g, const std::string& inter, const std::string& out, const Tensor& x) {
    Tensor h = nn::activation(g, act_, nn::linear(g, w_, inter + ".dense", x), inter + ".act");
    Tensor r = g.op("add", out + ".residual", {nn::linear(g, w_, out + ".dense", h), x});
    return nn::layer_norm(g, w_, out + ".LayerNorm", r, eps_);
  }

  Weights w_;
  std::string prefix_, emb_norm_, projection_, act_;
  double eps_ = 0;
  int64_t heads_ = 0, queries_ = 0, dim_ = 0, vision_ = 0, out_ = 0, layers_ = 0;
  bool instruct_ = false;
  std::vector<bool> cross_;
};

}  // namespace

FACET_PLUGIN(adapter_qformer, "0.1.0", facet::sdk::component<QFormer>())
