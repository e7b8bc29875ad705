#include "eval/mmvp_run.hpp"

#include <chrono>

#include "llm/media_prompt.hpp"
#include "llm/reply.hpp"
#include "util/error.hpp"

namespace facet::eval {

MmvpScore ask_mmvp(llm::VlmSession& vlm, const std::vector<MmvpQuestion>& questions, const MmvpAskOptions& o,
                   std::vector<MmvpAnswer>& answers, const std::function<void(size_t)>& on_pair,
                   const std::function<void(size_t)>& progress) {
  if (!vlm.takes_images()) throw InputError("'" + vlm.model().dir + "' takes no images; MMVP needs a multimodal pipeline");
  llm::MediaPromptOptions mo;
  mo.chat = vlm.chat_template(o.chat_template);
  mo.system = o.system.empty() ? vlm.system_message() : o.system;
  mo.images = 1;
  mo.rows_per_image = vlm.rows_per_image();

  answers.assign(questions.size(), {});
  for (size_t i = 0; i < questions.size(); ++i) {
    const MmvpQuestion& q = questions[i];
    const auto t0 = std::chrono::steady_clock::now();
    const HostTensor pixels = vlm.load_image(q.image);
    const llm::MediaPrompt prompt = llm::encode_media_prompt(vlm.tokenizer(), mmvp_message(q), mo);
    llm::ReplyOptions ro;
    ro.sampler = o.sampler;
    ro.sampler.seed += static_cast<uint64_t>(q.index);  // each question's draw is independent of the others
    ro.max_tokens = o.max_tokens;
    const llm::Generation gen = llm::reply(vlm, prompt, {pixels}, mo.chat, ro);
    MmvpAnswer& a = answers[i];
    a.text = gen.text;
    a.prompt_tokens = static_cast<int64_t>(prompt.ids.size());
    a.new_tokens = static_cast<int64_t>(gen.tokens.size());
    a.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (i % 2 == 1) {  // a pair is complete: grade it
      std::vector<MmvpQuestion> pq{questions[i - 1], q};
      std::vector<MmvpAnswer> pa{answers[i - 1], a};
      score_mmvp(pq, pa);
      answers[i - 1] = pa[0];
      a = pa[1];
      if (on_pair) on_pair(i - 1);
    }
    if (progress) progress(i + 1);
  }
  return score_mmvp(questions, answers);
}

}  // namespace facet::eval
