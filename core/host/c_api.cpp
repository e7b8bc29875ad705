// The C API (facet/facet.h) over the C++ host API: exceptions become status codes and a
// thread-local message; results are malloc'ed copies released with facet_free.
#include <facet/facet.h>
#include <facet/facet.hpp>

#include <cstdlib>
#include <cstring>
#include <new>

struct facet_device {
  facet::Device device;
  explicit facet_device(const facet::DeviceOptions& o) : device(o) {}
};
struct facet_model {
  facet::Model model;
  facet_model(facet::Device& d, const char* path) : model(d, path) {}
};

namespace {

thread_local std::string last_error;

template <typename F>
facet_status guarded(F&& f) {
  last_error.clear();
  try {
    f();
    return FACET_OK;
  } catch (const facet::Error& e) {
    last_error = e.what();
    return static_cast<facet_status>(static_cast<int>(e.code()));
  } catch (const std::bad_alloc&) {
    last_error = "out of host memory";
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown error";
  }
  return FACET_ERROR_INTERNAL;
}

facet_status missing(const char* what) {
  last_error = std::string(what) + " is NULL";
  return FACET_ERROR_USAGE;
}

template <typename T>
T* copy_out(const std::vector<T>& v) {
  T* p = static_cast<T*>(std::malloc(v.empty() ? 1 : v.size() * sizeof(T)));
  if (!p) throw std::bad_alloc();
  if (!v.empty()) std::memcpy(p, v.data(), v.size() * sizeof(T));
  return p;
}

char* copy_text(const std::string& s) {
  std::vector<char> v(s.begin(), s.end());
  v.push_back('\0');
  return copy_out(v);
}

std::vector<std::string> strings(const char* const* items, size_t count) {
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) {
    if (!items[i]) throw facet::UsageError("item " + std::to_string(i) + " is NULL");
    out.emplace_back(items[i]);
  }
  return out;
}

// facet_embed_images / facet_embed_texts: `items` through `embed`, the rows copied out.
template <typename F>
facet_status embed(facet_model* model, const char* const* items, size_t count, float** out, size_t* rows, size_t* dim,
                   F&& embed) {
  if (!model) return missing("model");
  if (!items && count) return missing("the items");
  if (!out || !rows || !dim) return missing("an output pointer");
  return guarded([&] {
    const facet::Array a = embed(model->model, strings(items, count));
    *out = copy_out(a.data);
    *rows = static_cast<size_t>(a.shape[0]);
    *dim = static_cast<size_t>(a.shape.size() > 1 ? a.shape[1] : 0);
  });
}

}  // namespace

extern "C" {

const char* facet_version(void) { return FACET_VERSION; }
const char* facet_last_error(void) { return last_error.c_str(); }
void facet_free(void* p) { std::free(p); }

facet_status facet_device_open(const char* selector, facet_device** out) {
  if (!out) return missing("out");
  return guarded([&] {
    facet::DeviceOptions o;
    if (selector) o.device = selector;
    *out = new facet_device(o);
  });
}

void facet_device_close(facet_device* device) { delete device; }

facet_status facet_model_open(facet_device* device, const char* path, facet_model** out) {
  if (!device) return missing("device");
  if (!path) return missing("path");
  if (!out) return missing("out");
  return guarded([&] { *out = new facet_model(device->device, path); });
}

void facet_model_close(facet_model* model) { delete model; }

facet_status facet_embed_images(facet_model* model, const char* const* paths, size_t count, float** out, size_t* rows,
                                 size_t* dim) {
  return embed(model, paths, count, out, rows, dim, [](facet::Model& m, const std::vector<std::string>& items) {
    return m.embed_images(items);
  });
}

facet_status facet_embed_texts(facet_model* model, const char* const* texts, size_t count, float** out, size_t* rows,
                               size_t* dim) {
  return embed(model, texts, count, out, rows, dim, [](facet::Model& m, const std::vector<std::string>& items) {
    return m.embed_texts(items);
  });
}

void facet_generate_options_init(facet_generate_options* o) {
  if (!o) return;
  *o = facet_generate_options{};
  o->struct_size = sizeof(facet_generate_options);
  o->max_tokens = 256;
  o->temperature = 0;
  o->top_p = 1;
  o->min_p = 0;
  o->repeat_penalty = 1;
  o->top_k = 0;
  o->seed = 0;
  o->prompt_mode = 0;
}

facet_status facet_generate(facet_model* model, const char* prompt, const char* const* image_paths, size_t image_count,
                            const facet_generate_options* options, facet_text_callback on_text, void* user, char** text) {
  if (!model) return missing("model");
  if (!prompt) return missing("prompt");
  if (!image_paths && image_count) return missing("image_paths");
  if (!text) return missing("text");
  if (options && options->struct_size < sizeof(facet_generate_options)) {
    last_error = "facet_generate_options.struct_size is " + std::to_string(options->struct_size) +
                 "; call facet_generate_options_init first";
    return FACET_ERROR_USAGE;
  }
  return guarded([&] {
    facet::GenerateOptions o;
    if (options) {
      o.max_tokens = options->max_tokens;
      o.temperature = options->temperature;
      o.top_p = options->top_p;
      o.min_p = options->min_p;
      o.repeat_penalty = options->repeat_penalty;
      o.top_k = options->top_k;
      o.seed = options->seed;
      if (options->prompt_mode < 0 || options->prompt_mode > 2) throw facet::UsageError("prompt_mode must be 0, 1 or 2");
      o.prompt = static_cast<facet::GenerateOptions::Prompt>(options->prompt_mode);
    }
    std::vector<facet::Image> images;
    for (const auto& p : strings(image_paths, image_count)) images.push_back(facet::Image::load(p));
    facet::TextCallback cb;
    if (on_text) cb = [&](const std::string& piece) { return on_text(piece.c_str(), user) != 0; };
    *text = copy_text(model->model.generate(prompt, images, o, cb).text);
  });
}

facet_status facet_ground(facet_model* model, const char* image_path, const char* prompt, char** json) {
  if (!model) return missing("model");
  if (!image_path) return missing("image_path");
  if (!json) return missing("json");
  return guarded([&] {
    facet::GroundOptions o;
    if (prompt) o.prompt = prompt;
    *json = copy_text(model->model.ground(facet::Image::load(image_path), o).json());
  });
}

facet_status facet_txt2img(facet_model* model, const char* prompt, const char* negative_prompt, int steps, double cfg_scale,
                           uint64_t seed, int width, int height, uint8_t** pixels, int* out_width, int* out_height) {
  if (!model) return missing("model");
  if (!prompt) return missing("prompt");
  if (!pixels || !out_width || !out_height) return missing("an output pointer");
  return guarded([&] {
    facet::ImageOptions o;
    o.prompt = prompt;
    if (negative_prompt) o.negative_prompt = negative_prompt;
    o.steps = steps;
    o.cfg_scale = cfg_scale;
    o.seed = seed;
    o.width = width;
    o.height = height;
    facet::Image im = model->model.txt2img(o);
    *pixels = copy_out(im.pixels);
    *out_width = static_cast<int>(im.width);
    *out_height = static_cast<int>(im.height);
  });
}

}  // extern "C"
