// Asking the MMVP questions of a benchmark folder to one multimodal LLM (facet mmvp, the library's
// facet::mmvp, the Python package): each question alone (fresh KV cache) with its image, as
// Question + " " + Options in the model's chat template, the answer graded by mmvp_grading.hpp.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "eval/mmvp.hpp"
#include "llm/sampler.hpp"
#include "llm/vlm_session.hpp"

namespace facet::eval {

struct MmvpAskOptions {
  int max_tokens = 32;
  llm::SamplerOptions sampler;  // greedy unless a temperature is set; question i draws with seed + its index
  std::string chat_template, system;  // "": the model's
};

// Answers every question (answers[i] for questions[i], graded pair by pair). `on_pair(i)` is
// called when questions i and i + 1 are answered and graded (i even); `progress(done)` after each
// question. InputError when the pipeline takes no images.
MmvpScore ask_mmvp(llm::VlmSession& vlm, const std::vector<MmvpQuestion>& questions, const MmvpAskOptions& options,
                   std::vector<MmvpAnswer>& answers, const std::function<void(size_t)>& on_pair = {},
                   const std::function<void(size_t)>& progress = {});

}  // namespace facet::eval
