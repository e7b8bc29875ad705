// Facet's host API (libfacet): open a Vulkan device, load the models people download (Hugging
// Face folders, GGUF files, TOML pipelines, Stable Diffusion folders and single files) and use
// them: embed images and texts, generate text (streamed, cancellable) and chat with images,
// ground, draw. The `facet` command line, the Python package and the server are built on it.
//
//   facet::Device gpu;                                  // the best Vulkan device
//   facet::Model llava(gpu, "models/llava-1.5-7b-hf");  // any folder, GGUF or pipeline.toml
//   auto reply = llava.generate("What is in the picture?", {facet::Image::load("cat.jpg")});
//
// Errors are the typed exceptions of facet/error.hpp (InputError for a bad file, image or
// prompt; PluginError; GpuError; UsageError for a call the model cannot answer).
//
// Thread safety: a Device and the Models on it may be used from several threads. A Device runs
// one model call at a time (the calls of all its Models are serialized by the Device; a call
// holds it from its first to its last GPU step, including the callbacks it makes); for parallel
// work, open one Device per thread (each has its own queue and memory). Free functions are
// thread-safe. A Model keeps its Device's resources alive: the Device object may go first.
#pragma once

#include <facet/error.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace facet {

// The library's version, "MAJOR.MINOR.PATCH".
FACET_API std::string version();
// What the library logs to stderr: "off", "error", "warn", "info" (the default), "debug" or
// "trace" (UsageError otherwise).
FACET_API void set_log_level(const std::string& level);

// An 8-bit RGB image, row-major, 3 bytes per pixel.
struct FACET_API Image {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> pixels;  // u8 [height, width, 3]

  // PNG or JPEG, decoded as PIL does (EXIF orientation applied, alpha composited onto white).
  static Image load(const std::string& path);
  // The same from encoded bytes in memory; `label` names them in errors.
  static Image decode(const uint8_t* data, size_t size, const std::string& label = "image");
  void save_png(const std::string& path) const;
  // The image as PNG bytes.
  std::vector<uint8_t> encode_png() const;
};

// A dense float32 array, row-major.
struct FACET_API Array {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct DeviceOptions {
  std::string device;                     // selector: index, vendor, type or name substring ("" = the best)
  std::vector<std::string> plugin_paths;  // plugin folders searched before FACET_PLUGIN_PATH and the installed ones
  bool validation = false;                // Khronos validation layer
  uint32_t timeout_ms = 120000;           // GPU wait limit per submission (GpuError past it)
  uint64_t memory_limit = 0;              // refuse device allocations beyond this many bytes (0: none)
};

struct DeviceDescription {
  std::string name, type, driver;  // type: discrete, integrated, virtual, cpu, other
  uint64_t memory_bytes = 0;       // the largest device-local heap
};

class FACET_API Device {
 public:
  explicit Device(const DeviceOptions& options = {});
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  DeviceDescription description() const;
  // Messages of the Khronos validation layer so far (DeviceOptions::validation); tests expect 0.
  uint32_t validation_messages() const;
  // Every Vulkan device on this machine.
  static std::vector<DeviceDescription> list();

  struct State;  // the Vulkan context, plugins and lock, shared with the Models made on it

 private:
  friend class Model;
  std::shared_ptr<State> state_;
};

// What a model is, and so which calls it answers.
enum class ModelKind {
  VisionEncoder,  // CLIP vision tower, DINOv2: embed_images
  Clip,           // CLIPModel: embed_images, embed_texts, classify
  Language,       // a language model, with or without vision stages: generate, chat (ground with images)
  ImageGenerator, // Stable Diffusion: txt2img
};

// "vision_encoder", "clip", "language", "image_generator" (the server's and the Python package's names).
FACET_API const char* kind_name(ModelKind kind);

struct ModelOptions {
  int64_t context = 0;    // language models: KV-cache positions (0: the model's, at most 4096)
  std::string kv_cache;   // "f16" | "f32" ("": the stage's default, f16)
  std::string quantize;   // "q8_0" | "q4_0": quantize weights on load ("": as stored)
  std::string tokenizer;  // Stable Diffusion single files: the CLIP tokenizer (folder or tokenizer.json)
  bool truncate = false;  // CLIP texts longer than the model's positions: keep the first tokens instead of an error
  // Language models: replies decoded together. Above 1, generate() and chat() calls from several
  // threads share the device step by step (continuous batching: one batched decode step for every
  // running reply, new calls joining between steps), each in a slot of the KV cache (parallel + 1
  // slots of `context` positions, one kept for ground()). 1: one call at a time. Components that
  // cannot batch (Kosmos-2's decoder) run one call at a time whatever this says.
  int parallel = 1;
};

struct GenerateOptions {
  int max_tokens = 256;
  double temperature = 0;     // 0: greedy
  int top_k = 0;              // 0: off
  double top_p = 1;           // 1: off
  double min_p = 0;           // 0: off
  double repeat_penalty = 1;  // 1: off
  uint64_t seed = 0;
  std::vector<std::string> stop;  // end the reply where its text contains one (not included)
  // How generate() sends its prompt: as the user message of the model's chat template (Chat), as
  // written (Raw), or Auto: Chat for a model that takes images, Raw for a language model alone (as
  // `facet run --prompt` and `facet generate --prompt`).
  enum class Prompt { Auto, Chat, Raw } prompt = Prompt::Auto;
  std::string system;         // chat: system message ("": the pipeline's, if any)
  std::string chat_template;  // chat: a built-in template's name instead of the model's
};

// Receives the reply's text as it is decided (whole UTF-8 characters); returning false stops the
// generation (finish_reason "cancelled").
using TextCallback = std::function<bool(const std::string& piece)>;

struct Generation {
  std::string text;             // the reply, cut before a stop string
  std::vector<int32_t> tokens;  // its token ids (an end token not included)
  int64_t prompt_tokens = 0;    // including the rows of images
  std::string finish_reason;    // "stop" (end token or stop string), "length" (max_tokens or the context), "cancelled"
  double prefill_ms = 0, decode_ms = 0;
};

struct ChatMessage {
  std::string role;           // "system", "user" or "assistant"
  std::string content;        // "<image>" marks where each image goes; without markers they lead the message
  std::vector<Image> images;  // user messages of models that take images
};

struct Box {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;  // pixels of the original image, x1 < x2, y1 < y2
  bool clipped = false;                   // part of it lay outside the image and was cut
};

struct Entity {
  std::string phrase;
  int64_t start = 0, end = 0;  // [start, end) in code points of Grounding::text
  std::vector<Box> boxes;
};

struct FACET_API Grounding {
  std::string text;                   // the answer, location markup removed
  std::string raw;                    // the text the boxes were read from
  std::vector<Entity> entities;
  std::vector<std::string> warnings;  // box text that was dropped or repaired
  int64_t prompt_tokens = 0, completion_tokens = 0;
  // {"text": ..., "entities": [{"phrase", "span", "boxes"}]}: `facet ground --json`'s object.
  std::string json() const;
};

struct GroundOptions {
  std::string prompt;               // "": the format's description request; "<region>" marks where `region` goes
  std::string format = "auto";      // auto (the model's), kosmos2, shikra, qwen, qwen2, qwen2.5, florence2
  std::optional<Box> region;        // pixels of the image, written into the prompt in the model's box format
  int max_tokens = 128;
  GenerateOptions sampling;         // temperature, top_k, top_p, min_p, repeat_penalty, seed
};

struct ImageOptions {
  std::string prompt, negative_prompt;
  int steps = 20;
  double cfg_scale = 7.5;        // <= 1: no negative pass
  std::string sampler = "ddim";  // as `facet txt2img --sampler`
  uint64_t seed = 0;
  int width = 0, height = 0;     // 0: the model's sample size (img2img: the init image's)
  std::optional<Image> init_image;  // img2img
  double strength = 0.8;            // img2img: how much of the schedule runs, in (0, 1]
  // Called after each step (index from 0, step count); returning false cancels (an InputError).
  std::function<bool(int step, int steps)> progress;
};

class FACET_API Model {
 public:
  // `path`: a Hugging Face model folder (CLIP, DINOv2, LLaMA family, LLaVA, Kosmos-2, ...), a
  // GGUF file, a pipeline TOML with a language model, or a Stable Diffusion diffusers folder or
  // single .safetensors file.
  Model(Device& device, const std::string& path, const ModelOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  ModelKind kind() const;
  const std::string& path() const;
  bool takes_images() const;  // Language models: whether prompts may carry images

  // f32 [n, dim]: each image's embedding as `facet embed --output embeds` gives it (CLIP: the
  // projected CLS token, DINOv2: the layernormed CLS token), not normalized. Batches of 8 images
  // per submission; decoding and preprocessing use every core.
  Array embed_images(const std::vector<std::string>& paths);
  Array embed_images(const std::vector<Image>& images);
  // f32 [n, projection_dim]: CLIP text embeddings (`facet embed-text`), not normalized.
  Array embed_texts(const std::vector<std::string>& texts);
  // CLIP zero-shot: f32 [images, labels], the softmax over the labels of exp(logit_scale) x cosine.
  Array classify(const std::vector<Image>& images, const std::vector<std::string>& labels);

  Generation generate(const std::string& prompt, const std::vector<Image>& images = {}, const GenerateOptions& options = {},
                      const TextCallback& on_text = {});
  // The conversation rendered with the model's chat template; the reply to its last message.
  Generation chat(const std::vector<ChatMessage>& messages, const GenerateOptions& options = {},
                  const TextCallback& on_text = {});
  // Asks about one image and reads the boxes in the answer (`facet ground`).
  Grounding ground(const Image& image, const GroundOptions& options = {});

  Image txt2img(const ImageOptions& options);

  struct State;  // opaque outside libfacet
  State& state() { return *state_; }

 private:
  std::unique_ptr<State> state_;
};

}  // namespace facet
