#include "diffusion/sd_model.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "diffusion/sd_single_file.hpp"
#include "util/error.hpp"

namespace facet::diffusion {

namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) throw InputError("model file '" + p.string() + "' does not exist");
  if (fs::file_size(p, ec) > (16u << 20)) throw InputError("'" + p.string() + "' is larger than 16 MiB");
  std::ifstream in(p);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError("'" + p.string() + "' is not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw InputError("'" + p.string() + "' is not a JSON object");
  return j;
}

std::string weights_of(const fs::path& dir) {
  std::error_code ec;
  for (const char* name : {"diffusion_pytorch_model.safetensors", "model.safetensors"})
    if (fs::exists(dir / name, ec)) return (dir / name).string();
  for (const char* pickle : {"diffusion_pytorch_model.bin", "pytorch_model.bin"})
    if (fs::exists(dir / pickle, ec))
      throw InputError("'" + (dir / pickle).string() + "' is a pickle checkpoint, which Facet never loads; convert it to safetensors");
  throw InputError("folder '" + dir.string() + "' has no diffusion_pytorch_model.safetensors");
}

template <class T>
T field(const nlohmann::json& j, const char* key, T fallback, const fs::path& where) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  try {
    return j[key].get<T>();
  } catch (const nlohmann::json::exception&) {
    throw InputError("'" + where.string() + "': field '" + key + "' has the wrong type");
  }
}

}  // namespace

SdModel SdModel::open(const std::string& path, const std::string& tokenizer) {
  const fs::path root(path);
  std::error_code ec;
  if (!fs::exists(root, ec)) throw InputError("model '" + path + "' does not exist");
  if (!fs::is_directory(root, ec)) {
    if (tokenizer.empty())
      throw InputError("model '" + path + "' is a single-file checkpoint, which carries no tokenizer: name the CLIP tokenizer "
                       "with --tokenizer (a diffusers tokenizer/ folder with vocab.json + merges.txt, or a tokenizer.json)");
    if (!fs::exists(tokenizer, ec)) throw InputError("tokenizer '" + tokenizer + "' does not exist");
    auto file = std::make_shared<SdSingleFile>(open_sd_single_file(path));
    SdModel m;
    m.root = path;
    m.single_file = true;
    m.unet_weights = file->unet->path();
    m.vae_weights = file->vae->path();
    m.text_encoder = file->text->path();
    m.tokenizer = tokenizer;
    m.scheduler_config = sd_standard_scheduler_json(file->prediction);
    m.scheduler_config_path = path + " (SD's standard schedule)";
    const nlohmann::json u = nlohmann::json::parse(*file->unet->file("config.json"));
    const nlohmann::json v = nlohmann::json::parse(*file->vae->file("config.json"));
    m.latent_channels = u["in_channels"].get<int64_t>();
    m.sample_size = file->sample_size;
    m.time_dim = u["block_out_channels"][0].get<int64_t>();
    m.unet_factor = int64_t{1} << (u["block_out_channels"].size() - 1);
    m.scaling_factor = v["scaling_factor"].get<double>();
    m.vae_factor = int64_t{1} << (v["block_out_channels"].size() - 1);
    if (v["latent_channels"].get<int64_t>() != m.latent_channels)
      throw InputError("'" + path + "': the VAE's latent channels differ from the UNet's input channels");
    m.penultimate = file->openclip;
    m.keepalive = file;
    return m;
  }
  SdModel m;
  m.root = path;
  read_json(root / "model_index.json");
  m.unet_weights = weights_of(root / "unet");
  m.vae_weights = weights_of(root / "vae");
  m.text_encoder = (root / "text_encoder").string();
  weights_of(root / "text_encoder");
  m.tokenizer = tokenizer.empty() ? (root / "tokenizer").string() : tokenizer;
  if (!fs::exists(m.tokenizer, ec)) throw InputError("tokenizer '" + m.tokenizer + "' does not exist");
  const fs::path sched = root / "scheduler" / "scheduler_config.json";
  read_json(sched);
  m.scheduler_config_path = sched.string();
  std::ifstream in(sched);
  m.scheduler_config.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());

  const fs::path unet_cfg = root / "unet" / "config.json", vae_cfg = root / "vae" / "config.json",
                 text_cfg = root / "text_encoder" / "config.json";
  const nlohmann::json u = read_json(unet_cfg), v = read_json(vae_cfg), t = read_json(text_cfg);
  m.latent_channels = field<int64_t>(u, "in_channels", 4, unet_cfg);
  m.sample_size = field<int64_t>(u, "sample_size", 64, unet_cfg);
  m.flip_sin_to_cos = field<bool>(u, "flip_sin_to_cos", true, unet_cfg);
  m.freq_shift = field<double>(u, "freq_shift", 0.0, unet_cfg);
  const auto channels = field<std::vector<int64_t>>(u, "block_out_channels", {320, 640, 1280, 1280}, unet_cfg);
  if (channels.empty() || channels[0] < 2 || channels[0] % 2 != 0)
    throw InputError("'" + unet_cfg.string() + "': field 'block_out_channels' must start with an even width");
  m.time_dim = channels[0];
  if (channels.size() > 8) throw InputError("'" + unet_cfg.string() + "': field 'block_out_channels' has more than 8 levels");
  m.unet_factor = int64_t{1} << (channels.size() - 1);
  m.scaling_factor = field<double>(v, "scaling_factor", 0.18215, vae_cfg);
  const auto vae_channels = field<std::vector<int64_t>>(v, "block_out_channels", {64}, vae_cfg);
  if (vae_channels.empty() || vae_channels.size() > 8) throw InputError("'" + vae_cfg.string() + "': field 'block_out_channels' must have 1..8 entries");
  m.vae_factor = int64_t{1} << (vae_channels.size() - 1);
  if (field<int64_t>(v, "latent_channels", 4, vae_cfg) != m.latent_channels)
    throw InputError("'" + vae_cfg.string() + "': latent_channels differs from the UNet's in_channels");
  // A diffusers SD 2.x folder's text encoder already ends at the layer SD 2.x uses.
  m.penultimate = false;
  return m;
}

}  // namespace facet::diffusion
