// LlmSession: a causal LM from a model folder on one device, fed tokens chunk by chunk. The
// component (llm_llama) keeps its KV cache in executor states; the session tracks the position,
// runs prompts in chunks of `chunk` tokens and single tokens while decoding. One pipeline per
// chunk length is validated once and rebuilt per run, and the executor reuses each recorded plan,
// so a decode step only writes two small inputs and resubmits.
//
// Slots (options.slots > 1): the cache holds that many sequences of `context` positions each (the
// stage's `slots` param); use_slot() picks the one feed(), position(), truncate() and reset() act
// on, and step() decodes one token of several slots in one run (batched decoding).
//
// Ownership: borrows the registry, context and executor (which holds the cache); they must
// outlive the session.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/executor.hpp"
#include "pipeline/model_folder.hpp"
#include "pipeline/pipeline.hpp"
#include "plugin/registry.hpp"
#include "vk/context.hpp"

namespace facet::llm {

struct SessionOptions {
  int64_t context = 0;  // KV cache positions; 0: the model's max_position_embeddings (at most 4096)
  int64_t chunk = 64;   // prompt tokens per submission
  std::string kv_cache;  // "f16" | "f32": the LLM stage's kv_cache param; empty: the stage's own (default f16)
  std::string quantize;  // "q8_0" | "q4_0": the LLM stage's quantize param (on load); empty: the stage's own
  int64_t slots = 1;     // sequences in the KV cache (> 1: the stage's `slots` param; 1 where the component has none)
};

class LlmSession {
 public:
  // The folder's language model as a stage "llm" of its plugin (llm_llama).
  LlmSession(const pipeline::ModelFolder& folder, plugin::PluginRegistry& registry, vk::Context& ctx, Executor& executor,
             SessionOptions options = {});
  // A language-model stage of a pipeline (its weights a model folder or GGUF file); `path` is the
  // pipeline file named in errors. The session sets the stage's `context` param.
  LlmSession(const pipeline::StageSpec& stage, const std::string& path, plugin::PluginRegistry& registry,
             vk::Context& ctx, Executor& executor, SessionOptions options = {});
  ~LlmSession();

  // Appends `ids` at the current position and returns the logits after the last one (f32 [vocab]).
  // InputError (exit 3) when they do not fit the context.
  std::vector<float> feed(const std::vector<int32_t>& ids);
  // Runs `p` once: a pipeline that contains this session's stage (stage()) fed `n` tokens at
  // positions position() .. position() + n - 1 through `inputs`, e.g. image encoders and an adapter
  // whose rows the stage's optional `media` input receives. Returns the stage's logits output
  // `logits` ("<stage>.logits") and advances the position by n. InputError when n does not fit.
  std::vector<float> feed(pipeline::Pipeline& p, const std::map<std::string, HostTensor>& inputs, int64_t n);
  // The stage as the session runs it (context param set); its id names the KV-cache states.
  const pipeline::StageSpec& stage() const { return stage_; }

  // Forgets the current slot's sequence (position 0); with one slot, the whole cache.
  void reset();
  // Keeps the first `n` positions (a chat that continues from a shared prefix); later feeds
  // overwrite the rest of the cache.
  void truncate(int64_t n) { here() = std::max<int64_t>(0, std::min(position(), n)); }

  int64_t slots() const { return options_.slots; }
  // The slot feed(), position(), truncate() and reset() act on (0 .. slots() - 1).
  void use_slot(int64_t slot);
  int64_t slot() const { return slot_; }
  // The cache row of the current slot's position `p` (what a pipeline's positions input carries).
  int32_t row(int64_t p) const { return static_cast<int32_t>(slot_ * context_ + p); }
  // One token for each of several distinct slots, at their positions, in one run; returns the
  // logits after each (f32 [vocab] per token) and advances those slots by one. InputError when a
  // slot is full.
  std::vector<std::vector<float>> step(const std::vector<std::pair<int64_t, int32_t>>& slot_tokens);

  int64_t position() const { return positions_[static_cast<size_t>(slot_)]; }
  int64_t context() const { return context_; }
  int64_t vocab() const { return vocab_; }
  // Timings of the last feed: wall milliseconds of its submissions.
  double last_feed_ms() const { return last_ms_; }

 private:
  pipeline::Pipeline& pipeline_for(int64_t tokens, bool all_logits = false);
  int64_t& here() { return positions_[static_cast<size_t>(slot_)]; }
  void check_id(int32_t id) const;

  pipeline::StageSpec stage_;
  std::string path_;
  plugin::PluginRegistry& registry_;
  vk::Context& ctx_;
  Executor& executor_;
  SessionOptions options_;
  int64_t context_ = 0, vocab_ = 0, slot_ = 0;
  std::vector<int64_t> positions_;  // by slot
  double last_ms_ = 0;
  std::map<std::pair<int64_t, bool>, std::unique_ptr<pipeline::Pipeline>> pipelines_;  // by (tokens, all logits)
};

}  // namespace facet::llm
