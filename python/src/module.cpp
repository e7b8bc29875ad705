// The Python package's native module (facet.facet_native): the host API (facet/facet.hpp) with
// numpy arrays in and out, the GIL released during model calls, errors as facet.Error subclasses.
#include <facet/eval.hpp>
#include <facet/facet.hpp>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "text_stream.hpp"

namespace py = pybind11;

namespace {

std::shared_ptr<facet::Device> default_device() {
  static std::weak_ptr<facet::Device> current;
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::shared_ptr<facet::Device> d = current.lock();
  if (!d) current = d = std::make_shared<facet::Device>();
  return d;
}

// A numpy f32 array that owns the Array's data (no copy).
py::array_t<float> to_numpy(facet::Array a) {
  auto* data = new std::vector<float>(std::move(a.data));
  py::capsule owner(data, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  std::vector<py::ssize_t> strides(a.shape.size(), sizeof(float));
  for (size_t i = a.shape.size(); i-- > 1;) strides[i - 1] = strides[i] * a.shape[i];
  return py::array_t<float>(std::vector<py::ssize_t>(a.shape.begin(), a.shape.end()), strides, data->data(), owner);
}

py::array_t<uint8_t> image_to_numpy(facet::Image im) {
  auto* data = new std::vector<uint8_t>(std::move(im.pixels));
  py::capsule owner(data, [](void* p) { delete static_cast<std::vector<uint8_t>*>(p); });
  return py::array_t<uint8_t>({im.height, im.width, int64_t{3}}, {im.width * 3, int64_t{3}, int64_t{1}}, data->data(), owner);
}

// A path, encoded bytes (PNG, JPEG) or a uint8 array [H, W, 3].
facet::Image to_image(const py::handle& h) {
  if (py::isinstance<py::str>(h)) return facet::Image::load(h.cast<std::string>());
  if (py::isinstance<py::bytes>(h)) {
    const std::string b = h.cast<std::string>();
    return facet::Image::decode(reinterpret_cast<const uint8_t*>(b.data()), b.size(), "bytes");
  }
  if (py::hasattr(h, "__fspath__")) return facet::Image::load(py::str(h.attr("__fspath__")()).cast<std::string>());
  if (py::isinstance<py::array>(h)) {
    auto a = py::array_t<uint8_t, py::array::c_style>::ensure(h);
    if (!a || a.ndim() != 3 || a.shape(2) != 3 || py::array(h.cast<py::array>()).dtype().kind() != 'u' ||
        py::array(h.cast<py::array>()).itemsize() != 1)
      throw facet::InputError("an image array must be uint8 [height, width, 3] (RGB)");
    facet::Image im{a.shape(1), a.shape(0), {}};
    im.pixels.assign(a.data(), a.data() + a.size());
    return im;
  }
  throw facet::InputError("an image is a path, PNG/JPEG bytes or a uint8 array [height, width, 3], not " +
                          py::str(py::type::of(h)).cast<std::string>());
}

std::vector<facet::Image> to_images(const py::object& items) {
  std::vector<facet::Image> out;
  if (items.is_none()) return out;
  if (py::isinstance<py::str>(items) || py::isinstance<py::bytes>(items) || py::isinstance<py::array>(items))
    throw facet::InputError("images must be a list (of paths, bytes or arrays)");
  for (const py::handle& h : items) out.push_back(to_image(h));
  return out;
}

facet::GenerateOptions generate_options(int max_tokens, double temperature, int top_k, double top_p, double min_p,
                                        double repeat_penalty, uint64_t seed, const std::vector<std::string>& stop,
                                        const std::string& prompt_mode, const std::string& system, const std::string& chat_template) {
  facet::GenerateOptions o;
  o.max_tokens = max_tokens;
  o.temperature = temperature;
  o.top_k = top_k;
  o.top_p = top_p;
  o.min_p = min_p;
  o.repeat_penalty = repeat_penalty;
  o.seed = seed;
  o.stop = stop;
  if (prompt_mode == "auto") o.prompt = facet::GenerateOptions::Prompt::Auto;
  else if (prompt_mode == "chat") o.prompt = facet::GenerateOptions::Prompt::Chat;
  else if (prompt_mode == "raw") o.prompt = facet::GenerateOptions::Prompt::Raw;
  else throw facet::UsageError("prompt_mode must be 'auto', 'chat' or 'raw', not '" + prompt_mode + "'");
  o.system = system;
  o.chat_template = chat_template;
  return o;
}

std::vector<facet::ChatMessage> to_messages(const py::list& messages) {
  std::vector<facet::ChatMessage> out;
  for (const py::handle& h : messages) {
    if (!py::isinstance<py::dict>(h)) throw facet::InputError("each message is a dict with 'role' and 'content'");
    py::dict d = h.cast<py::dict>();
    if (!d.contains("role") || !d.contains("content")) throw facet::InputError("each message needs 'role' and 'content'");
    facet::ChatMessage m{d["role"].cast<std::string>(), d["content"].cast<std::string>(), {}};
    if (d.contains("images")) m.images = to_images(d["images"]);
    out.push_back(std::move(m));
  }
  return out;
}

py::dict describe(const facet::DeviceDescription& d) {
  py::dict out;
  out["name"] = d.name;
  out["type"] = d.type;
  out["driver"] = d.driver;
  out["memory_bytes"] = d.memory_bytes;
  return out;
}

// A Model and the Device it was made on (kept alive with it).
struct PyModel {
  std::shared_ptr<facet::Device> device;
  std::unique_ptr<facet::Model> model;
};

#define GENERATE_ARGS                                                                                              \
  py::arg("max_tokens") = 256, py::arg("temperature") = 0.0, py::arg("top_k") = 0, py::arg("top_p") = 1.0,          \
      py::arg("min_p") = 0.0, py::arg("repeat_penalty") = 1.0, py::arg("seed") = 0,                                  \
      py::arg("stop") = std::vector<std::string>{}, py::arg("prompt_mode") = "auto", py::arg("system") = "",         \
      py::arg("chat_template") = ""

}  // namespace

PYBIND11_MODULE(facet_native, m) {
  m.doc() = "Facet: multimodal LLM inference on Vulkan (native module; use `import facet`)";

  static py::exception<facet::Error> error(m, "Error");
  py::register_exception<facet::InternalError>(m, "InternalError", error.ptr());
  py::register_exception<facet::UsageError>(m, "UsageError", error.ptr());
  py::register_exception<facet::InputError>(m, "InputError", error.ptr());
  py::register_exception<facet::PluginError>(m, "PluginError", error.ptr());
  py::register_exception<facet::GpuError>(m, "GpuError", error.ptr());

  m.def("version", &facet::version);
  m.def("set_log_level", &facet::set_log_level, py::arg("level"));
  m.def("devices", [] {
    py::list out;
    for (const auto& d : facet::Device::list()) out.append(describe(d));
    return out;
  });

  py::class_<facet::Device, std::shared_ptr<facet::Device>>(m, "Device")
      .def(py::init([](const std::string& device, const std::vector<std::string>& plugin_paths, bool validation,
                       uint32_t timeout_ms) {
             facet::DeviceOptions o{device, plugin_paths, validation, timeout_ms, 0};
             py::gil_scoped_release release;
             return std::make_shared<facet::Device>(o);
           }),
           py::arg("device") = "", py::arg("plugin_paths") = std::vector<std::string>{}, py::arg("validation") = false,
           py::arg("timeout_ms") = 120000)
      .def_property_readonly("name", [](const facet::Device& d) { return d.description().name; })
      .def_property_readonly("description", [](const facet::Device& d) { return describe(d.description()); })
      .def_property_readonly("validation_messages", &facet::Device::validation_messages);

  py::class_<facet::TextStreamIterator>(m, "TextStream")
      .def("__iter__", [](facet::TextStreamIterator& s) -> facet::TextStreamIterator& { return s; })
      .def("__next__", &facet::TextStreamIterator::next)
      .def("close", &facet::TextStreamIterator::close)
      .def_property_readonly("result", &facet::TextStreamIterator::result_dict);

  py::class_<PyModel>(m, "Model")
      .def(py::init([](const std::string& path, std::shared_ptr<facet::Device> device, int64_t context, const std::string& kv_cache,
                       const std::string& quantize, const std::string& tokenizer, bool truncate, int parallel) {
             auto pm = std::make_unique<PyModel>();
             pm->device = device ? device : default_device();
             facet::ModelOptions o{context, kv_cache, quantize, tokenizer, truncate, parallel};
             py::gil_scoped_release release;
             pm->model = std::make_unique<facet::Model>(*pm->device, path, o);
             return pm;
           }),
           py::arg("path"), py::arg("device") = nullptr, py::arg("context") = 0, py::arg("kv_cache") = "",
           py::arg("quantize") = "", py::arg("tokenizer") = "", py::arg("truncate") = false, py::arg("parallel") = 1)
      .def_property_readonly("kind", [](const PyModel& p) { return facet::kind_name(p.model->kind()); })
      .def_property_readonly("path", [](const PyModel& p) { return p.model->path(); })
      .def_property_readonly("takes_images", [](const PyModel& p) { return p.model->takes_images(); })
      .def("embed_images",
           [](PyModel& p, const py::object& images) {
             std::vector<std::string> paths;
             bool all_paths = !images.is_none() && !py::isinstance<py::str>(images);
             if (all_paths)
               for (const py::handle& h : images) all_paths = all_paths && py::isinstance<py::str>(h);
             facet::Array a;
             if (all_paths) {  // decoded on every core inside the library
               paths = images.cast<std::vector<std::string>>();
               py::gil_scoped_release release;
               a = p.model->embed_images(paths);
             } else {
               std::vector<facet::Image> ims = to_images(images);
               py::gil_scoped_release release;
               a = p.model->embed_images(ims);
             }
             return to_numpy(std::move(a));
           },
           py::arg("images"))
      .def("embed_texts",
           [](PyModel& p, const std::vector<std::string>& texts) {
             facet::Array a;
             {
               py::gil_scoped_release release;
               a = p.model->embed_texts(texts);
             }
             return to_numpy(std::move(a));
           },
           py::arg("texts"))
      .def("classify",
           [](PyModel& p, const py::object& images, const std::vector<std::string>& labels) {
             std::vector<facet::Image> ims = to_images(images);
             facet::Array a;
             {
               py::gil_scoped_release release;
               a = p.model->classify(ims, labels);
             }
             return to_numpy(std::move(a));
           },
           py::arg("images"), py::arg("labels"))
      .def("generate",
           [](PyModel& p, const std::string& prompt, const py::object& images, int max_tokens, double temperature, int top_k,
              double top_p, double min_p, double repeat_penalty, uint64_t seed, const std::vector<std::string>& stop,
              const std::string& prompt_mode, const std::string& system, const std::string& chat_template) {
             const facet::GenerateOptions o = generate_options(max_tokens, temperature, top_k, top_p, min_p, repeat_penalty, seed,
                                                               stop, prompt_mode, system, chat_template);
             std::vector<facet::Image> ims = to_images(images);
             py::gil_scoped_release release;
             return p.model->generate(prompt, ims, o).text;
           },
           py::arg("prompt"), py::arg("images") = py::none(), GENERATE_ARGS)
      .def("generate_stream",
           [](PyModel& p, const std::string& prompt, const py::object& images, int max_tokens, double temperature, int top_k,
              double top_p, double min_p, double repeat_penalty, uint64_t seed, const std::vector<std::string>& stop,
              const std::string& prompt_mode, const std::string& system, const std::string& chat_template) {
             const facet::GenerateOptions o = generate_options(max_tokens, temperature, top_k, top_p, min_p, repeat_penalty, seed,
                                                               stop, prompt_mode, system, chat_template);
             auto ims = std::make_shared<std::vector<facet::Image>>(to_images(images));
             facet::Model* model = p.model.get();
             return std::make_unique<facet::TextStreamIterator>(
                 [model, prompt, ims, o](const facet::TextCallback& cb) { return model->generate(prompt, *ims, o, cb); });
           },
           py::keep_alive<0, 1>(), py::arg("prompt"), py::arg("images") = py::none(), GENERATE_ARGS)
      .def("chat",
           [](PyModel& p, const py::list& messages, int max_tokens, double temperature, int top_k, double top_p, double min_p,
              double repeat_penalty, uint64_t seed, const std::vector<std::string>& stop, const std::string& prompt_mode,
              const std::string& system, const std::string& chat_template) {
             const facet::GenerateOptions o = generate_options(max_tokens, temperature, top_k, top_p, min_p, repeat_penalty, seed,
                                                               stop, prompt_mode, system, chat_template);
             std::vector<facet::ChatMessage> ms = to_messages(messages);
             py::gil_scoped_release release;
             return p.model->chat(ms, o).text;
           },
           py::arg("messages"), GENERATE_ARGS)
      .def("ground",
           [](PyModel& p, const py::object& image, const std::optional<std::string>& prompt, const std::string& format,
              const std::optional<std::vector<double>>& region, int max_tokens) {
             facet::GroundOptions o;
             if (prompt) o.prompt = *prompt;
             o.format = format;
             if (region) {
               if (region->size() != 4) throw facet::InputError("region is [x1, y1, x2, y2]");
               o.region = facet::Box{(*region)[0], (*region)[1], (*region)[2], (*region)[3], false};
             }
             o.max_tokens = max_tokens;
             facet::Image im = to_image(image);
             std::string json;
             {
               py::gil_scoped_release release;
               json = p.model->ground(im, o).json();
             }
             return py::module_::import("json").attr("loads")(json);
           },
           py::arg("image"), py::arg("prompt") = py::none(), py::arg("format") = "auto", py::arg("region") = py::none(),
           py::arg("max_tokens") = 128)
      .def("txt2img",
           [](PyModel& p, const std::string& prompt, const std::string& negative_prompt, int steps, double cfg_scale,
              const std::string& sampler, uint64_t seed, int width, int height, const py::object& init_image, double strength) {
             facet::ImageOptions o;
             o.prompt = prompt;
             o.negative_prompt = negative_prompt;
             o.steps = steps;
             o.cfg_scale = cfg_scale;
             o.sampler = sampler;
             o.seed = seed;
             o.width = width;
             o.height = height;
             if (!init_image.is_none()) o.init_image = to_image(init_image);
             o.strength = strength;
             facet::Image im;
             {
               py::gil_scoped_release release;
               im = p.model->txt2img(o);
             }
             return image_to_numpy(std::move(im));
           },
           py::arg("prompt"), py::arg("negative_prompt") = "", py::arg("steps") = 20, py::arg("cfg_scale") = 7.5,
           py::arg("sampler") = "ddim", py::arg("seed") = 0, py::arg("width") = 0, py::arg("height") = 0,
           py::arg("init_image") = py::none(), py::arg("strength") = 0.8);

  m.def(
      "mine_pairs_from_embeddings",
      [](py::array_t<float, py::array::c_style | py::array::forcecast> clip,
         py::array_t<float, py::array::c_style | py::array::forcecast> dino, float clip_threshold, float dino_threshold,
         size_t first_block, size_t blocks) {
        auto arr = [](const py::array_t<float, py::array::c_style | py::array::forcecast>& a) {
          facet::Array out;
          for (py::ssize_t i = 0; i < a.ndim(); ++i) out.shape.push_back(a.shape(i));
          out.data.assign(a.data(), a.data() + a.size());
          return out;
        };
        const facet::Array c = arr(clip), d = arr(dino);
        std::vector<facet::MinedPair> pairs;
        {
          py::gil_scoped_release release;
          pairs = facet::mine_pairs(c, d, {clip_threshold, dino_threshold, first_block, blocks});
        }
        py::list out;
        for (const auto& p : pairs) out.append(py::make_tuple(p.a, p.b, p.clip, p.dino));
        return out;
      },
      py::arg("clip"), py::arg("dino"), py::arg("clip_threshold") = 0.95f, py::arg("dino_threshold") = 0.6f,
      py::arg("first_block") = 0, py::arg("blocks") = 0);
  m.attr("MINE_PAIRS_BLOCK") = facet::kMinePairsBlock;

  m.def(
      "mmvp",
      [](PyModel& model, const std::string& data, int max_tokens, int limit, const std::string& patterns, const std::string& name) {
        facet::MmvpOptions o;
        o.max_tokens = max_tokens;
        o.limit = limit;
        o.patterns = patterns;
        o.name = name;
        facet::MmvpResult r;
        {
          py::gil_scoped_release release;
          r = facet::mmvp(*model.model, data, o);
        }
        auto score = [](const facet::MmvpPatternScore& s) {
          py::dict d;
          d["pattern"] = s.pattern;
          d["pairs"] = s.pairs;
          d["pairs_correct"] = s.pairs_correct;
          d["pair_accuracy"] = s.pair_accuracy;
          d["questions"] = s.questions;
          d["questions_correct"] = s.questions_correct;
          d["question_accuracy"] = s.question_accuracy;
          return d;
        };
        py::dict out = score(r.total);
        py::list patterns_out;
        for (const auto& p : r.patterns) patterns_out.append(score(p));
        out["patterns"] = patterns_out;
        py::list answers;
        auto loads = py::module_::import("json").attr("loads");
        size_t at = 0;
        while (at < r.jsonl.size()) {
          size_t end = r.jsonl.find('\n', at);
          if (end == std::string::npos) end = r.jsonl.size();
          if (end > at) answers.append(loads(r.jsonl.substr(at, end - at)));
          at = end + 1;
        }
        out["answers"] = answers;
        out["table"] = r.table;
        return out;
      },
      py::arg("model"), py::arg("data"), py::arg("max_tokens") = 32, py::arg("limit") = 0, py::arg("patterns") = "",
      py::arg("name") = "");
}
