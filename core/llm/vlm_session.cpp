#include "llm/vlm_session.hpp"

#include <chrono>
#include <filesystem>
#include <cmath>
#include <fstream>
#include <sstream>

#include "llm/chat.hpp"
#include "pipeline/pipeline.hpp"
#include "util/error.hpp"

namespace facet::llm {

namespace fs = std::filesystem;

namespace {

std::string copy_id(const std::string& id, int64_t k) { return k == 0 ? id : id + "#" + std::to_string(k); }

std::string base_id(const std::string& id) { return id.substr(0, id.find('#')); }

io::ImageProcessorConfig read_processor(const std::string& where, const std::string& processor) {
  std::error_code ec;
  fs::path p = fs::is_directory(processor, ec) ? fs::path(processor) / "preprocessor_config.json" : fs::path(processor);
  std::ifstream in(p, std::ios::binary);
  if (!in) throw InputError(where + ": image processor '" + p.string() + "' does not exist");
  std::stringstream text;
  text << in.rdbuf();
  return io::ImageProcessorConfig::parse(text.str(), p.string());
}

// The [3, H, W] every image becomes (the processor must give a fixed size).
TensorDesc pixel_desc(const io::ImageProcessorConfig& c, const std::string& where) {
  if (c.do_center_crop) return TensorDesc(DType::F32, {3, c.crop_height, c.crop_width});
  if (c.do_resize && c.resize_height > 0) return TensorDesc(DType::F32, {3, c.resize_height, c.resize_width});
  throw InputError(where + ": the image processor gives images of varying sizes (no center crop and no fixed "
                   "height/width); a language-model pipeline needs a fixed size");
}

}  // namespace

VlmSession::VlmSession(const pipeline::PipelineSpec& spec, plugin::PluginRegistry& registry, vk::Context& ctx,
                       Executor& executor, SessionOptions options)
    : spec_(spec), registry_(registry), ctx_(ctx), executor_(executor) {
  auto fail = [&](const pipeline::SourcePos& pos, const std::string& msg) -> void { throw InputError(spec_.where(pos) + ": " + msg); };
  for (size_t i = 0; i < spec_.inputs.size(); ++i) {
    const auto& in = spec_.inputs[i];
    int* slot = in.type == pipeline::InputType::Image ? &image_input_
                : in.type == pipeline::InputType::Tokens ? &tokens_input_
                : in.type == pipeline::InputType::Positions ? &positions_input_
                : in.type == pipeline::InputType::Instruction ? &instruction_input_
                : in.type == pipeline::InputType::Boxes ? &boxes_input_ : nullptr;
    if (!slot) continue;
    if (*slot >= 0) fail(in.pos, "input '" + in.id + "': a pipeline has at most one input of this type (several images per prompt repeat the image input)");
    *slot = static_cast<int>(i);
  }
  if (tokens_input_ < 0 || positions_input_ < 0)
    fail({1, 1}, "a language-model pipeline needs an input of type \"tokens\" and one of type \"positions\" wired to its LLM stage");
  const std::string tokens_id = spec_.inputs[tokens_input_].id, positions_id = spec_.inputs[positions_input_].id;
  const std::string image_id = image_input_ >= 0 ? spec_.inputs[image_input_].id : "";
  const std::string boxes_id = boxes_input_ >= 0 ? spec_.inputs[boxes_input_].id : "";
  if (boxes_input_ >= 0 && image_input_ < 0)
    fail(spec_.inputs[boxes_input_].pos, "input '" + boxes_id + "' (type boxes) needs an input of type image: regions are boxes on an image");

  // The LLM stage: the one fed the tokens (as `ids`, with `positions`).
  int llm = -1;
  for (size_t s = 0; s < spec_.stages.size(); ++s)
    for (const auto& [port, refs] : spec_.stages[s].inputs)
      for (const auto& r : refs)
        if (r.port.empty() && r.stage == tokens_id) {
          if (port != "ids") fail(r.pos, "stage '" + spec_.stages[s].id + "': the tokens input must feed port 'ids' of the language model");
          if (llm >= 0 && llm != static_cast<int>(s)) fail(r.pos, "the tokens input feeds two stages; a pipeline has one language model");
          llm = static_cast<int>(s);
        }
  if (llm < 0) fail(spec_.inputs[tokens_input_].pos, "input '" + tokens_id + "' (type tokens) feeds no stage");
  llm_stage_ = static_cast<size_t>(llm);
  const pipeline::StageSpec& lst = spec_.stages[llm_stage_];
  bool positions_wired = false;
  for (const auto& [port, refs] : lst.inputs)
    positions_wired |= port == "positions" && refs.size() == 1 && refs[0].port.empty() && refs[0].stage == positions_id;
  if (!positions_wired) fail(lst.inputs_pos, "stage '" + lst.id + "': port 'positions' must be wired to input '" + positions_id + "'");

  // The region stages: every stage that depends on the boxes input, except the LLM. They run once
  // per prompt, after the first image's stages.
  region_stage_.assign(spec_.stages.size(), false);
  for (bool changed = !boxes_id.empty(); changed;) {
    changed = false;
    for (size_t s = 0; s < spec_.stages.size(); ++s) {
      if (region_stage_[s] || s == llm_stage_) continue;
      for (const auto& [port, refs] : spec_.stages[s].inputs)
        for (const auto& r : refs) {
          bool dep = r.port.empty() && r.stage == boxes_id;
          for (size_t o = 0; o < spec_.stages.size() && !dep; ++o) dep = region_stage_[o] && spec_.stages[o].id == r.stage;
          if (dep && !region_stage_[s]) region_stage_[s] = changed = true;
        }
    }
  }
  // The stages that run once per image: every other stage that depends on the image input, except the LLM.
  per_image_.assign(spec_.stages.size(), false);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t s = 0; s < spec_.stages.size(); ++s) {
      if (per_image_[s] || region_stage_[s] || s == llm_stage_) continue;
      for (const auto& [port, refs] : spec_.stages[s].inputs)
        for (const auto& r : refs) {
          bool dep = r.port.empty() ? (!image_id.empty() && r.stage == image_id) : false;
          for (size_t o = 0; o < spec_.stages.size() && !dep; ++o) dep = per_image_[o] && spec_.stages[o].id == r.stage;
          if (r.port.empty() && (r.stage == tokens_id || r.stage == positions_id))
            fail(r.pos, "stage '" + spec_.stages[s].id + "': only the language model takes the tokens and positions inputs");
          if (!r.port.empty() && r.stage == lst.id)
            fail(r.pos, "stage '" + spec_.stages[s].id + "' reads the language model's output; nothing may follow it in a pipeline");
          if (dep && !per_image_[s]) per_image_[s] = changed = true;
        }
    }
  }
  for (const auto& [port, refs] : lst.inputs) {
    if (port == "ids" || port == "positions") continue;
    for (const auto& r : refs) {
      bool ok = false, exists = false;
      for (size_t o = 0; o < spec_.stages.size(); ++o) {
        ok |= (per_image_[o] || region_stage_[o]) && spec_.stages[o].id == r.stage;
        exists |= spec_.stages[o].id == r.stage;
      }
      if (!exists && !r.port.empty()) fail(r.pos, "stage '" + lst.id + "': port '" + port + "' is wired to missing stage '" + r.stage + "'");
      if (!ok) fail(r.pos, "stage '" + lst.id + "': port '" + port + "' must be wired to stages that read the image input" +
                              (boxes_id.empty() ? "" : " or the boxes input"));
    }
  }
  if (instruction_input_ >= 0) {
    const pipeline::InputSpec& in = spec_.inputs[instruction_input_];
    for (size_t s = 0; s < spec_.stages.size(); ++s)
      for (const auto& [port, refs] : spec_.stages[s].inputs)
        for (const auto& r : refs)
          if (r.port.empty() && r.stage == in.id && !per_image_[s])
            fail(r.pos, "stage '" + spec_.stages[s].id + "': the instruction input '" + in.id +
                            "' may feed only stages that read the image input");
    std::error_code ec;
    const fs::path file = fs::is_directory(in.tokenizer, ec) ? fs::path(in.tokenizer) / "tokenizer.json" : fs::path(in.tokenizer);
    if (!fs::is_regular_file(file, ec)) fail(in.pos, "input '" + in.id + "': tokenizer '" + file.string() + "' does not exist");
    try {
      instruction_tokenizer_ = std::make_unique<text::Tokenizer>(text::Tokenizer::from_file(file.string()));
    } catch (const InputError& e) {
      fail(in.pos, "input '" + in.id + "': " + e.what());
    }
  }
  if (image_input_ >= 0) processor_ = read_processor(spec_.where(spec_.inputs[image_input_].pos), spec_.inputs[image_input_].processor);

  llm_ = std::make_unique<LlmSession>(lst, spec_.path, registry_, ctx_, executor_, options);
  model_ = std::make_unique<pipeline::ModelFolder>(pipeline::ModelFolder::open(lst.weights));
  tokenizer_ = std::make_unique<text::Tokenizer>(model_->tokenizer());

  // Validate the whole pipeline (one image, one region) before any GPU work, and learn the rows
  // per image and per region.
  if (image_input_ >= 0) {
    auto p = pipeline::Pipeline::load(with_images(1, boxes_input_ >= 0 ? 1 : 0, 1, instruction_ids("")), registry_);
    for (const auto& [port, refs] : lst.inputs) {
      if (port == "ids" || port == "positions") continue;
      for (const auto& r : refs)
        for (const auto& st : p->stages())
          if (st.id == r.stage)
            for (const auto& [name, desc] : st.outputs)
              if (name == r.port) (is_region_ref(r) ? rows_per_region_ : rows_per_image_) += desc.dims[0];
    }
    if (boxes_input_ >= 0 && rows_per_region_ < 1)
      fail(spec_.inputs[boxes_input_].pos, "input '" + boxes_id + "' (type boxes) feeds no stage whose rows reach the language model's media");
  }
}

VlmSession::~VlmSession() = default;

ChatTemplate VlmSession::chat_template(const std::string& override_name) const {
  if (!override_name.empty()) return ChatTemplate::named(override_name);
  if (!spec_.chat.template_name.empty()) {
    try {
      return ChatTemplate::named(spec_.chat.template_name);
    } catch (const UsageError& e) {
      throw InputError(spec_.where(spec_.chat.pos) + ": [chat] template: " + e.what());
    }
  }
  try {
    return chat_template_for(*model_, "");
  } catch (const InputError&) {
    if (spec_.chat.fallback_template.empty()) throw;
    return ChatTemplate::named(spec_.chat.fallback_template);
  }
}

HostTensor VlmSession::preprocess(const io::RgbImage& image) const {
  if (image_input_ < 0) throw InputError("the pipeline '" + spec_.path + "' takes no images");
  io::RgbImage im = image;
  if (spec_.inputs[image_input_].pad_to_square) {
    // LLaVA's expand2square: background tuple(int(x * 255) for x in image_mean).
    std::array<uint8_t, 3> bg{};
    for (int c = 0; c < 3; ++c) bg[c] = static_cast<uint8_t>(std::clamp(static_cast<int>(processor_.mean[c] * 255.0), 0, 255));
    im = io::expand_to_square(im, bg);
  }
  return io::preprocess_image(im, processor_);
}

grounding::Frame VlmSession::frame(int64_t width, int64_t height) const {
  if (image_input_ < 0) throw InputError("the pipeline '" + spec_.path + "' takes no images");
  return grounding::Frame::from_processor(width, height, processor_, spec_.inputs[image_input_].pad_to_square);
}

std::vector<int32_t> VlmSession::instruction_ids(const std::string& instruction) const {
  if (!instruction_tokenizer_) return {};
  std::vector<int32_t> ids = instruction_tokenizer_->encode(instruction);
  if (ids.empty()) throw InputError("the instruction '" + instruction + "' gives no tokens (input '" + spec_.inputs[instruction_input_].id + "')");
  return ids;
}

bool VlmSession::is_region_ref(const pipeline::PortRef& r) const {
  for (size_t o = 0; o < spec_.stages.size(); ++o)
    if (region_stage_[o] && spec_.stages[o].id == r.stage) return true;
  return false;
}

pipeline::PipelineSpec VlmSession::with_images(int64_t images, int64_t regions, int64_t tokens,
                                               const std::vector<int32_t>& instruction) const {
  pipeline::PipelineSpec out = spec_;
  out.inputs.clear();
  out.stages.clear();
  const auto zeros = std::make_shared<const HostTensor>(HostTensor::from_i32(std::vector<int32_t>(static_cast<size_t>(tokens))));
  for (size_t i = 0; i < spec_.inputs.size(); ++i) {
    pipeline::InputSpec in = spec_.inputs[i];
    if (static_cast<int>(i) == image_input_) {
      const TensorDesc d = pixel_desc(processor_, spec_.where(in.pos));
      auto pixels = std::make_shared<const HostTensor>(HostTensor::from_f32(d, std::vector<float>(static_cast<size_t>(d.elements()))));
      for (int64_t k = 0; k < images; ++k) {
        pipeline::InputSpec copy = in;
        copy.id = copy_id(in.id, k);
        copy.tensor = pixels;
        out.inputs.push_back(copy);
      }
      continue;
    }
    if (static_cast<int>(i) == boxes_input_) {
      if (regions == 0) continue;  // no regions: the region stages are left out
      in.tensor = std::make_shared<const HostTensor>(
          HostTensor::from_f32(TensorDesc(DType::F32, {regions, 4}), std::vector<float>(static_cast<size_t>(regions * 4))));
    }
    if (in.type == pipeline::InputType::Tokens || in.type == pipeline::InputType::Positions) in.tensor = zeros;
    if (in.type == pipeline::InputType::Instruction) in.tensor = std::make_shared<const HostTensor>(HostTensor::from_i32(instruction));
    out.inputs.push_back(in);
  }
  auto per_image_ref = [&](const pipeline::PortRef& r) {
    if (r.port.empty()) return image_input_ >= 0 && r.stage == spec_.inputs[image_input_].id;
    for (size_t o = 0; o < spec_.stages.size(); ++o)
      if (per_image_[o] && spec_.stages[o].id == r.stage) return true;
    return false;
  };
  auto renamed = [&](pipeline::PortRef r, int64_t k) {
    if (!per_image_ref(r)) return r;
    r.stage = copy_id(r.stage, k);
    r.text = r.port.empty() ? r.stage : r.stage + "." + r.port;
    return r;
  };
  for (size_t s = 0; s < spec_.stages.size(); ++s) {
    const pipeline::StageSpec& st = spec_.stages[s];
    if (region_stage_[s]) {
      if (regions == 0) continue;
      pipeline::StageSpec copy = st;  // reads the first image's copies
      for (auto& [port, refs] : copy.inputs)
        for (auto& r : refs) r = renamed(r, 0);
      out.stages.push_back(copy);
    } else if (per_image_[s]) {
      for (int64_t k = 0; k < images; ++k) {
        pipeline::StageSpec copy = st;
        copy.id = copy_id(st.id, k);
        for (auto& [port, refs] : copy.inputs)
          for (auto& r : refs) r = renamed(r, k);
        out.stages.push_back(copy);
      }
    } else if (s == llm_stage_) {
      pipeline::StageSpec copy = llm_->stage();  // with the session's context
      copy.inputs.clear();
      for (const auto& [port, refs] : st.inputs) {
        if (port == "ids" || port == "positions") {
          copy.inputs.emplace_back(port, refs);
          continue;
        }
        std::vector<pipeline::PortRef> all;  // image 0's rows, then image 1's, ..., then the regions'
        for (int64_t k = 0; k < images; ++k)
          for (const auto& r : refs)
            if (!is_region_ref(r)) all.push_back(renamed(r, k));
        for (const auto& r : refs)
          if (regions > 0 && is_region_ref(r)) all.push_back(r);
        if (!all.empty()) copy.inputs.emplace_back(port, all);
      }
      out.stages.push_back(copy);
    } else {
      out.stages.push_back(st);
    }
  }
  out.outputs = {pipeline::port_ref(spec_.stages[llm_stage_].id + ".logits")};
  return out;
}

HostTensor VlmSession::region_boxes(const Regions& regions) const {
  if (boxes_input_ < 0) throw InputError("the pipeline '" + spec_.path + "' takes no regions (no input of type boxes)");
  if (regions.image_width < 1 || regions.image_height < 1) throw InputError("regions need the size of the image they are on");
  const grounding::Frame f = frame(regions.image_width, regions.image_height);
  std::vector<float> values;
  for (size_t i = 0; i < regions.boxes.size(); ++i) {
    const grounding::Box& b = regions.boxes[i];
    auto text = [](const grounding::Box& x) {
      std::ostringstream s;
      s << "[" << x.x1 << ", " << x.y1 << ", " << x.x2 << ", " << x.y2 << "]";
      return s.str();
    };
    const std::string what = "region " + std::to_string(i + 1) + " " + text(b);
    if (!std::isfinite(b.x1) || !std::isfinite(b.y1) || !std::isfinite(b.x2) || !std::isfinite(b.y2) || b.x1 >= b.x2 || b.y1 >= b.y2)
      throw InputError(what + ": a region needs x1 < x2 and y1 < y2 (pixels of the image)");
    if (b.x2 <= 0 || b.y2 <= 0 || b.x1 >= f.width || b.y1 >= f.height)
      throw InputError(what + " lies outside the image (" + std::to_string(regions.image_width) + " x " +
                       std::to_string(regions.image_height) + " pixels)");
    const grounding::Box s = f.to_seen(b);
    if (s.x2 <= 0 || s.y2 <= 0 || s.x1 >= f.seen_width || s.y1 >= f.seen_height)
      throw InputError(what + " lies outside the part of the image the model sees (" + text(s) + " of its " +
                       std::to_string(static_cast<int64_t>(f.seen_width)) + " x " + std::to_string(static_cast<int64_t>(f.seen_height)) +
                       " pixels after preprocessing)");
    for (double v : {s.x1, s.y1, s.x2, s.y2}) values.push_back(static_cast<float>(v));
  }
  return HostTensor::from_f32(TensorDesc(DType::F32, {static_cast<int64_t>(regions.boxes.size()), 4}), values);
}

std::vector<float> VlmSession::prefill(const std::vector<int32_t>& ids, const std::vector<HostTensor>& pixels,
                                       const std::string& instruction, const Regions& regions) {
  times_ = PrefillTimes{};
  const int64_t images = static_cast<int64_t>(pixels.size());
  const auto n_regions = static_cast<int64_t>(regions.boxes.size());
  if (images > 0 && image_input_ < 0) throw InputError("the pipeline '" + spec_.path + "' takes no images");
  if (n_regions > 0 && images == 0) throw InputError("regions are boxes on an image, but no image was given");
  const HostTensor boxes = n_regions > 0 ? region_boxes(regions) : HostTensor{};
  const int64_t rows = images * rows_per_image_ + n_regions * rows_per_region_;
  for (int32_t id : ids)
    if (id < -rows || id >= llm_->vocab())
      throw InputError(id < 0 ? "the prompt references media row " + std::to_string(-1 - id) + " of " + std::to_string(rows)
                              : "token id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(llm_->vocab()));
  if (images == 0) {
    auto logits = llm_->feed(ids);
    times_.submit_ms = llm_->last_feed_ms();
    return logits;
  }
  const int64_t n = static_cast<int64_t>(ids.size());
  if (llm_->position() + n > llm_->context())
    throw InputError("the prompt's " + std::to_string(n) + " tokens (" + std::to_string(rows) + " of them image tokens) and the " +
                     std::to_string(llm_->position()) + " before them do not fit the context of " +
                     std::to_string(llm_->context()) + " positions");
  const std::vector<int32_t> instruction_tokens = instruction_ids(instruction);
  auto p = pipeline::Pipeline::load(with_images(images, n_regions, n, instruction_tokens), registry_);
  std::map<std::string, HostTensor> inputs;
  std::vector<int32_t> pos(ids.size());
  for (size_t i = 0; i < pos.size(); ++i) pos[i] = llm_->row(llm_->position() + static_cast<int64_t>(i));
  inputs.emplace(spec_.inputs[tokens_input_].id, HostTensor::from_i32(ids));
  inputs.emplace(spec_.inputs[positions_input_].id, HostTensor::from_i32(pos));
  for (int64_t k = 0; k < images; ++k) inputs.emplace(copy_id(spec_.inputs[image_input_].id, k), pixels[static_cast<size_t>(k)]);
  if (instruction_input_ >= 0) inputs.emplace(spec_.inputs[instruction_input_].id, HostTensor::from_i32(instruction_tokens));
  if (n_regions > 0) inputs.emplace(spec_.inputs[boxes_input_].id, boxes);
  auto logits = llm_->feed(*p, inputs, n);
  times_.submit_ms = llm_->last_feed_ms();
  for (const NodeTiming& t : executor_.last_stats().timings) {
    const std::string stage = base_id(t.node.substr(0, t.node.find('.')));
    auto it = std::find_if(times_.stages.begin(), times_.stages.end(), [&](const StageTime& s) { return s.stage == stage; });
    if (it == times_.stages.end()) it = times_.stages.insert(times_.stages.end(), StageTime{stage, 0.0});
    it->gpu_ms += t.ms;
  }
  return logits;
}

}  // namespace facet::llm
