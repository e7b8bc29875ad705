// facet::Model: opening a model by what its path holds, and the encoder calls (embed, classify).
#include <facet/facet.hpp>

#include <algorithm>
#include <filesystem>
#include <future>

#include "eval/clip_zero_shot.hpp"
#include "host/model_state.hpp"
#include "io/image.hpp"
#include "pipeline/model_pipeline.hpp"
#include "pipeline/pipeline.hpp"
#include "util/error.hpp"
#include "util/parallel.hpp"

namespace facet {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void open_language(Model::State& s, pipeline::PipelineSpec spec) {
  if (!spec.has_language_model())
    throw InputError("'" + spec.path + "' has no language model (no input of type tokens); run such pipelines with `facet run`");
  if (!spec.runtime.plugin_paths.empty()) {
    std::vector<std::string> paths = s.device->options.plugin_paths;
    paths.insert(paths.end(), spec.runtime.plugin_paths.begin(), spec.runtime.plugin_paths.end());
    s.own_registry = std::make_unique<plugin::PluginRegistry>(plugin::PluginRegistry::default_search_paths(paths));
  }
  llm::SessionOptions so;
  so.context = s.options.context;
  so.kv_cache = s.options.kv_cache;
  so.quantize = s.options.quantize;
  if (s.options.parallel < 1 || s.options.parallel > 63)
    throw UsageError("parallel must be between 1 and 63, got " + std::to_string(s.options.parallel));
  so.slots = s.options.parallel > 1 ? s.options.parallel + 1 : 1;
  s.kind = ModelKind::Language;
  s.vlm = std::make_unique<llm::VlmSession>(spec, s.registry(), s.device->ctx, *s.executor, so);
  if (s.vlm->llm().slots() > 1) s.batcher = std::make_unique<llm::Batcher>(*s.vlm, s.device->mutex);
}

void open_model(Model::State& s) {
  std::error_code ec;
  const std::string& path = s.path;
  if (ends_with(path, ".toml")) return open_language(s, pipeline::parse_pipeline_file(path));
  if (fs::is_regular_file(fs::path(path) / "model_index.json", ec) || ends_with(path, ".safetensors")) {
    s.kind = ModelKind::ImageGenerator;
    s.sd = std::make_unique<diffusion::SdGenerator>(diffusion::SdModel::open(path, s.options.tokenizer), s.registry(),
                                                    s.device->ctx, *s.executor);
    return;
  }
  pipeline::ModelFolder folder = pipeline::ModelFolder::open(path);
  const std::string& t = folder.model_type;
  if (t == "clip") {
    s.kind = ModelKind::Clip;
    s.clip_scale = eval::clip_logit_scale(folder);
    s.folder = std::move(folder);
  } else if (t == "clip_vision_model" || t == "dinov2") {
    s.kind = ModelKind::VisionEncoder;
    s.folder = std::move(folder);
  } else {
    open_language(s, pipeline::model_pipeline(folder));
  }
}

// f32 [n, dim] from n rows.
Array stack(std::vector<HostTensor> rows) {
  Array a;
  a.shape = {static_cast<int64_t>(rows.size()), 0};
  for (auto& r : rows) {
    std::vector<float> v = r.to_f32();
    if (a.shape[1] == 0) a.shape[1] = static_cast<int64_t>(v.size());
    if (static_cast<int64_t>(v.size()) != a.shape[1]) throw InternalError("embeddings of different sizes in one batch");
    a.data.insert(a.data.end(), v.begin(), v.end());
  }
  return a;
}

constexpr size_t kImageBatch = 8, kTextBatch = 16;

Array embed_pixels(Model::State& s, size_t n, const std::function<HostTensor(size_t)>& prepare) {
  // The next batch is decoded and preprocessed (on every core) while the device runs this one.
  auto batch_of = [&](size_t start) {
    return std::async(std::launch::async, [&, start] {
      return prepare_parallel(std::min(kImageBatch, n - start), [&](size_t i) { return prepare(start + i); });
    });
  };
  std::vector<HostTensor> rows;
  std::future<std::vector<HostTensor>> next;
  if (n > 0) next = batch_of(0);
  for (size_t start = 0; start < n; start += kImageBatch) {
    std::vector<HostTensor> pixels = next.get();
    if (start + kImageBatch < n) next = batch_of(start + kImageBatch);
    std::vector<std::shared_ptr<const HostTensor>> batch;
    for (auto& p : pixels) batch.push_back(std::make_shared<const HostTensor>(std::move(p)));
    for (auto& y : pipeline::embed_batch(*s.folder, batch, "embeds", s.registry(), s.device->ctx, *s.executor))
      rows.push_back(std::move(y));
  }
  return stack(std::move(rows));
}

}  // namespace

const char* kind_name(ModelKind kind) {
  switch (kind) {
    case ModelKind::VisionEncoder: return "vision_encoder";
    case ModelKind::Clip: return "clip";
    case ModelKind::Language: return "language";
    case ModelKind::ImageGenerator: return "image_generator";
  }
  return "unknown";
}

void require_kind(const Model::State& s, std::initializer_list<ModelKind> kinds, const char* call) {
  if (std::find(kinds.begin(), kinds.end(), s.kind) != kinds.end()) return;
  static const char* const kArticle[] = {"a vision encoder", "a CLIP model", "a language model", "an image generator"};
  throw UsageError("'" + s.path + "' is " + kArticle[static_cast<int>(s.kind)] + "; it has no " + call);
}

io::RgbImage to_rgb(const Image& image) {
  if (image.width < 1 || image.height < 1 || image.width > io::kMaxImageSide || image.height > io::kMaxImageSide ||
      image.width * image.height > io::kMaxImagePixels)
    throw InputError(io::image_size_error("image", image.width, image.height));
  if (image.pixels.size() != static_cast<size_t>(image.width * image.height * 3))
    throw InputError("an image of " + std::to_string(image.width) + "x" + std::to_string(image.height) + " needs " +
                     std::to_string(image.width * image.height * 3) + " bytes of RGB, not " + std::to_string(image.pixels.size()));
  return io::RgbImage{image.width, image.height, image.pixels};
}

Image from_rgb(io::RgbImage image) { return Image{image.width, image.height, std::move(image.pixels)}; }

std::vector<HostTensor> prepare_parallel(size_t n, const std::function<HostTensor(size_t)>& prepare) {
  std::vector<HostTensor> out(n);
  parallel_for(n, [&](size_t i) { out[i] = prepare(i); });
  return out;
}

Model::Model(Device& device, const std::string& path, const ModelOptions& options) : state_(std::make_unique<State>()) {
  state_->device = device.state_;
  state_->path = path;
  state_->options = options;
  std::lock_guard lock(state_->device->mutex);
  state_->executor = std::make_unique<Executor>(state_->device->ctx, ExecOptions{});
  open_model(*state_);
}

Model::~Model() {
  if (!state_) return;
  std::shared_ptr<Device::State> device = state_->device;
  state_->batcher.reset();  // its thread takes the device's lock for each step
  std::lock_guard lock(device->mutex);
  state_.reset();
}

ModelKind Model::kind() const { return state_->kind; }
const std::string& Model::path() const { return state_->path; }
bool Model::takes_images() const { return state_->vlm && state_->vlm->takes_images(); }

Array Model::embed_images(const std::vector<std::string>& paths) {
  require_kind(*state_, {ModelKind::Clip, ModelKind::VisionEncoder}, "image embeddings");
  std::lock_guard lock(state_->device->mutex);
  const io::ImageProcessorConfig processor = state_->folder->image_processor();
  return embed_pixels(*state_, paths.size(),
                      [&](size_t i) { return io::preprocess_image(io::load_image(paths[i]), processor); });
}

Array Model::embed_images(const std::vector<Image>& images) {
  require_kind(*state_, {ModelKind::Clip, ModelKind::VisionEncoder}, "image embeddings");
  std::lock_guard lock(state_->device->mutex);
  const io::ImageProcessorConfig processor = state_->folder->image_processor();
  return embed_pixels(*state_, images.size(), [&](size_t i) { return io::preprocess_image(to_rgb(images[i]), processor); });
}

Array Model::embed_texts(const std::vector<std::string>& texts) {
  require_kind(*state_, {ModelKind::Clip}, "text embeddings");
  std::lock_guard lock(state_->device->mutex);
  State& s = *state_;
  const text::Tokenizer tokenizer = s.folder->tokenizer();
  std::vector<HostTensor> rows;
  for (size_t start = 0; start < texts.size(); start += kTextBatch) {
    const size_t count = std::min(kTextBatch, texts.size() - start);
    std::vector<std::shared_ptr<const HostTensor>> ids(count);
    parallel_for(count, [&](size_t i) {  // tokenized on every core
      ids[i] = std::make_shared<const HostTensor>(
          HostTensor::from_i32(eval::clip_text_ids(*s.folder, tokenizer, texts[start + i], s.options.truncate)));
    });
    for (auto& y : pipeline::encode_batch(*s.folder, "encoder_clip", "text", "ids", ids, {{"output", "embeds"}}, s.registry(),
                                          s.device->ctx, *s.executor))
      rows.push_back(std::move(y));
  }
  return stack(std::move(rows));
}

Array Model::classify(const std::vector<Image>& images, const std::vector<std::string>& labels) {
  require_kind(*state_, {ModelKind::Clip}, "zero-shot classification");
  if (labels.empty()) throw InputError("classify needs at least one label");
  const Array img = embed_images(images), txt = embed_texts(labels);
  auto unit = [](const float* v, int64_t n) {
    std::vector<float> u(v, v + n);
    eval::normalize(u);
    return u;
  };
  Array out;
  out.shape = {img.shape[0], txt.shape[0]};
  for (int64_t i = 0; i < img.shape[0]; ++i) {
    const std::vector<float> a = unit(img.data.data() + i * img.shape[1], img.shape[1]);
    std::vector<float> cos;
    for (int64_t j = 0; j < txt.shape[0]; ++j) cos.push_back(eval::dot(a, unit(txt.data.data() + j * txt.shape[1], txt.shape[1])));
    const std::vector<float> p = eval::softmax(cos, state_->clip_scale);
    out.data.insert(out.data.end(), p.begin(), p.end());
  }
  return out;
}

}  // namespace facet
