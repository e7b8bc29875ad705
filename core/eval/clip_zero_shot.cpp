#include "eval/clip_zero_shot.hpp"

#include <algorithm>
#include <cmath>

#include "io/image.hpp"
#include "io/weights.hpp"
#include "util/error.hpp"

namespace facet::eval {

namespace {

int64_t max_positions(const pipeline::ModelFolder& folder) {
  const auto& j = folder.config();
  const auto& tc = folder.model_type == "clip" && j.contains("text_config") && j["text_config"].is_object()
                       ? j["text_config"]
                       : j;
  if (tc.contains("max_position_embeddings") && tc["max_position_embeddings"].is_number_integer())
    return tc["max_position_embeddings"].get<int64_t>();
  return 77;  // CLIPTextConfig's default
}

pipeline::ModelFolder clip_model_folder(pipeline::ModelFolder folder) {
  if (folder.model_type != "clip")
    throw InputError("model folder '" + folder.dir + "' holds a '" + folder.model_type +
                     "' model; zero-shot scoring needs a CLIPModel folder (model_type clip)");
  return folder;
}

}  // namespace

std::vector<int32_t> clip_text_ids(const pipeline::ModelFolder& folder, const text::Tokenizer& tokenizer,
                                   const std::string& text, bool truncate) {
  std::vector<int32_t> ids = tokenizer.encode(text);
  const int64_t limit = max_positions(folder);
  if (static_cast<int64_t>(ids.size()) <= limit) return ids;
  if (!truncate)
    throw InputError("the text \"" + text.substr(0, 60) + (text.size() > 60 ? "..." : "") + "\" is " +
                     std::to_string(ids.size()) + " tokens; this CLIP model takes at most " + std::to_string(limit) +
                     " (--truncate keeps the first ones)");
  const auto& suffix = tokenizer.suffix_ids;
  std::vector<int32_t> kept(ids.begin(), ids.begin() + (limit - static_cast<int64_t>(suffix.size())));
  kept.insert(kept.end(), suffix.begin(), suffix.end());
  return kept;
}

float clip_logit_scale(const pipeline::ModelFolder& folder) {
  auto weights = io::WeightSet::open(folder.dir);
  auto t = weights->find("logit_scale");
  if (!t || t->desc.elements() != 1)
    throw InputError("model folder '" + folder.dir + "' has no scalar tensor 'logit_scale' (a CLIPModel folder has one)");
  const DType d = t->desc.dtype;
  if (d != DType::F32 && d != DType::F16 && d != DType::BF16)
    throw InputError("model folder '" + folder.dir + "': tensor 'logit_scale' is " + std::string(dtype_name(d)) +
                     "; it must be f32, f16 or bf16");
  const float scale = std::exp(convert_to_f32(d, t->data, 1)[0]);
  if (!std::isfinite(scale) || !(scale > 0))
    throw InputError("model folder '" + folder.dir + "': tensor 'logit_scale' gives exp(logit_scale) = " + std::to_string(scale) +
                     ", not a finite positive scale");
  return scale;
}

ClipScorer::ClipScorer(pipeline::ModelFolder folder, plugin::PluginRegistry& registry, vk::Context& ctx,
                       Executor& executor, bool truncate)
    : folder_(clip_model_folder(std::move(folder))),
      tokenizer_(folder_.tokenizer()),
      registry_(registry),
      ctx_(ctx),
      executor_(executor),
      truncate_(truncate),
      scale_(clip_logit_scale(folder_)) {}

std::vector<std::vector<float>> ClipScorer::images(const std::vector<std::string>& paths, size_t batch) {
  const auto processor = folder_.image_processor();
  std::vector<std::vector<float>> out;
  for (size_t start = 0; start < paths.size(); start += batch) {
    std::vector<std::shared_ptr<const HostTensor>> pixels;
    for (size_t i = start; i < std::min(paths.size(), start + batch); ++i)
      pixels.push_back(std::make_shared<const HostTensor>(io::preprocess_image(io::load_image(paths[i]), processor)));
    for (auto& y : pipeline::embed_batch(folder_, pixels, "embeds", registry_, ctx_, executor_)) {
      out.push_back(y.to_f32());
      normalize(out.back());
    }
  }
  return out;
}

std::vector<std::vector<float>> ClipScorer::texts(const std::vector<std::string>& texts, size_t batch) {
  std::vector<std::vector<float>> out;
  for (size_t start = 0; start < texts.size(); start += batch) {
    std::vector<std::shared_ptr<const HostTensor>> ids;
    for (size_t i = start; i < std::min(texts.size(), start + batch); ++i) {
      ids.push_back(std::make_shared<const HostTensor>(
          HostTensor::from_i32(clip_text_ids(folder_, tokenizer_, texts[i], truncate_))));
    }
    for (auto& y : pipeline::encode_batch(folder_, "encoder_clip", "text", "ids", ids, {{"output", "embeds"}}, registry_,
                                          ctx_, executor_)) {
      out.push_back(y.to_f32());
      normalize(out.back());
    }
  }
  return out;
}

void normalize(std::vector<float>& v) {
  double n = 0;
  for (float x : v) n += static_cast<double>(x) * x;
  n = std::sqrt(n);
  if (n > 0)
    for (float& x : v) x = static_cast<float>(x / n);
}

float dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}

std::vector<float> softmax(const std::vector<float>& x, float scale) {
  std::vector<float> y(x.size());
  if (x.empty()) return y;
  double m = -INFINITY, sum = 0;
  for (float v : x) m = std::max(m, static_cast<double>(v) * scale);
  std::vector<double> e(x.size());
  for (size_t i = 0; i < x.size(); ++i) sum += e[i] = std::exp(static_cast<double>(x[i]) * scale - m);
  for (size_t i = 0; i < x.size(); ++i) y[i] = static_cast<float>(e[i] / sum);
  return y;
}

}  // namespace facet::eval
