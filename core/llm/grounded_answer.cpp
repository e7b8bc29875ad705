#include "llm/grounded_answer.hpp"

#include "llm/chat.hpp"
#include "llm/media_prompt.hpp"
#include "llm/reply.hpp"
#include "util/error.hpp"

namespace facet::llm {

namespace {

using grounding::Format;

std::string default_prompt(Format f) {
  switch (f) {
    case Format::Kosmos2: return "<grounding>An image of";
    case Format::Florence2: return "<CAPTION_TO_PHRASE_GROUNDING>";
    case Format::Qwen25: return "Locate every object in the image and output their bbox coordinates in JSON format.";
    default: return "Describe the image and give the bounding box of each object you mention.";
  }
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

}  // namespace

GroundedAnswer ground(VlmSession& vlm, const std::string& image_path, const GroundOptions& o) {
  if (!vlm.takes_images()) throw InputError("the model '" + vlm.model().dir + "' takes no images: it cannot ground");
  return ground(vlm, io::load_image(image_path), o);
}

GroundedAnswer ground(VlmSession& vlm, io::RgbImage image, const GroundOptions& o) {
  if (!vlm.takes_images()) throw InputError("the model '" + vlm.model().dir + "' takes no images: it cannot ground");
  GroundedAnswer a;
  a.image = std::move(image);
  const grounding::Frame frame = vlm.frame(a.image.width, a.image.height);
  a.format = o.format ? *o.format : grounding::format_for_model_type(vlm.model().model_type);

  std::string prompt = o.prompt.empty() ? default_prompt(a.format) : o.prompt;
  if (!o.format && a.format == Format::Kosmos2 && !starts_with(prompt, "<grounding>")) prompt = "<grounding>" + prompt;
  if (o.region) {
    const std::string box = grounding::emit_box(a.format, *o.region, frame);
    const size_t at = prompt.find(kRegionMarker);
    prompt = at == std::string::npos ? prompt + " " + box : prompt.replace(at, std::string(kRegionMarker).size(), box);
  }
  a.prompt = prompt;

  MediaPromptOptions mo;
  mo.images = 1;
  mo.rows_per_image = vlm.rows_per_image();
  mo.layout = vlm.prompt_layout();
  if (mo.layout != PromptLayout::Kosmos2) {  // Kosmos-2 takes raw prompts, its image ahead of the text
    try {
      mo.chat = vlm.chat_template();
      mo.system = vlm.system_message();
    } catch (const InputError&) {
      // No chat template: the prompt is sent as written.
    }
  }
  if (!mo.chat && mo.layout == PromptLayout::Markers && prompt.find(kImageMarker) == std::string::npos)
    prompt = kImageMarker + prompt;
  const MediaPrompt mp = encode_media_prompt(vlm.tokenizer(), prompt, mo);
  a.prompt_tokens = static_cast<int64_t>(mp.ids.size());
  ReplyOptions ro;  // each question starts a fresh conversation
  ro.sampler = o.sampler;
  ro.max_tokens = o.max_tokens;
  ro.on_text = o.on_text;
  a.reply = reply(vlm, mp, {vlm.preprocess(a.image)}, mo.chat, ro);

  ReadBoxes boxes = read_boxes(vlm.tokenizer(), a.format, mp.ids, a.reply, frame);
  a.raw = std::move(boxes.raw);
  a.grounding = std::move(boxes.grounding);
  return a;
}

ReadBoxes read_boxes(const text::Tokenizer& tokenizer, grounding::Format format, const std::vector<int32_t>& prompt_ids,
                     const Generation& reply, const grounding::Frame& frame) {
  std::vector<int32_t> ids;
  if (format == Format::Kosmos2) {
    size_t after_image = 0;
    for (size_t i = 0; i < prompt_ids.size(); ++i)
      if (prompt_ids[i] < 0) after_image = i + 1;
    ids.assign(prompt_ids.begin() + static_cast<std::ptrdiff_t>(after_image), prompt_ids.end());
  }
  ids.insert(ids.end(), reply.tokens.begin(), reply.tokens.end());
  ReadBoxes out;
  out.raw = format == Format::Shikra || format == Format::Qwen25 ? reply.text : tokenizer.decode(ids, false);
  out.grounding = grounding::parse(format, out.raw, frame);
  return out;
}

}  // namespace facet::llm
