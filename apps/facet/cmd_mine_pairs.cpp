// facet mine-pairs --clip CLIP --dino DINOV2 --images DIR --out pairs.csv: embeds every image with
// both encoders (batched, cached on disk so an interrupted run resumes) and lists CLIP-blind pairs.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>

#include <spdlog/spdlog.h>

#include "cli_common.hpp"
#include "io/csv.hpp"
#include "io/embedding_cache.hpp"
#include "io/image.hpp"
#include "eval/pair_mining.hpp"
#include "progress.hpp"
#include "pipeline/model_folder.hpp"
#include "util/error.hpp"
#include "vk/context.hpp"

namespace facet::cli {

using namespace facet::eval;

namespace fs = std::filesystem;

namespace {

struct MineOptions {
  std::string clip, dino, images, out, cache;
  float clip_min = 0.95f, dino_max = 0.6f;
  size_t batch = 8;
};

std::vector<std::string> list_images(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError("image folder '" + dir + "' does not exist");
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg") out.push_back(it->path().string());
  }
  if (ec) throw InputError("cannot list '" + dir + "': " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

// Embeddings of every image (nullopt for unreadable ones) with one encoder, cache first.
std::vector<std::optional<std::vector<float>>> embed_all(const pipeline::ModelFolder& folder, const std::vector<std::string>& images,
                                                         io::EmbeddingCache& cache, size_t batch, const GlobalOptions& g,
                                                         plugin::PluginRegistry& registry, vk::Context& ctx, const std::string& what) {
  std::vector<std::optional<std::vector<float>>> out(images.size());
  std::vector<size_t> todo;
  for (size_t i = 0; i < images.size(); ++i) {
    out[i] = cache.find(images[i]);
    if (!out[i]) todo.push_back(i);
  }
  spdlog::info("{}: {} of {} images cached", what, images.size() - todo.size(), images.size());
  const io::ImageProcessorConfig processor = folder.image_processor();
  Executor executor(ctx, ExecOptions{});
  Progress progress("embedding (" + what + ")", images.size(), g.quiet);
  size_t done = images.size() - todo.size();
  progress.update(done);
  for (size_t start = 0; start < todo.size(); start += batch) {
    std::vector<size_t> ids;
    std::vector<std::shared_ptr<const HostTensor>> pixels;
    for (size_t k = start; k < std::min(todo.size(), start + batch); ++k) {
      try {
        pixels.push_back(std::make_shared<const HostTensor>(io::preprocess_image(io::load_image(images[todo[k]]), processor)));
        ids.push_back(todo[k]);
      } catch (const InputError& e) {
        spdlog::warn("skipping {}", e.what());
      }
    }
    if (!pixels.empty()) {
      std::vector<HostTensor> y = pipeline::embed_batch(folder, pixels, "embeds", registry, ctx, executor);
      for (size_t k = 0; k < ids.size(); ++k) {
        out[ids[k]] = y[k].to_f32();
        cache.append(images[ids[k]], *out[ids[k]]);
      }
    }
    done += std::min(todo.size(), start + batch) - start;
    progress.update(done);
  }
  return out;
}

}  // namespace

void add_mine_pairs(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("mine-pairs", "List CLIP-blind image pairs: CLIP says alike, DINOv2 says different");
  auto o = std::make_shared<MineOptions>();
  cmd->add_option("--clip", o->clip, "CLIP model folder")->required();
  cmd->add_option("--dino", o->dino, "DINOv2 model folder")->required();
  cmd->add_option("--images", o->images, "Folder of PNG/JPEG images (searched recursively)")->required();
  cmd->add_option("--out", o->out, "Output CSV: image_a,image_b,clip_cosine,dino_cosine")->required();
  cmd->add_option("--clip-threshold", o->clip_min, "Pairs need CLIP cosine above this (default 0.95)")->check(finite_range(-1.0, 1.0));
  cmd->add_option("--dino-threshold", o->dino_max, "Pairs need DINOv2 cosine below this (default 0.6)")->check(finite_range(-1.0, 1.0));
  cmd->add_option("--batch", o->batch, "Images per GPU submission (default 8)")->check(CLI::Range(1, 256));
  cmd->add_option("--cache", o->cache, "Embedding cache folder (default: <out>.cache)");
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      auto clip = pipeline::ModelFolder::open(o->clip), dino = pipeline::ModelFolder::open(o->dino);
      if (clip.vision_plugin() != "encoder_clip") throw InputError("--clip '" + o->clip + "' is not a CLIP model folder");
      if (dino.vision_plugin() != "encoder_dinov2") throw InputError("--dino '" + o->dino + "' is not a DINOv2 model folder");
      const std::vector<std::string> images = list_images(o->images);
      if (images.size() < 2) throw InputError("image folder '" + o->images + "' holds fewer than two PNG/JPEG images");
      const std::string cache_dir = o->cache.empty() ? o->out + ".cache" : o->cache;
      fs::create_directories(cache_dir);
      io::EmbeddingCache clip_cache(cache_dir + "/clip.emb", fs::weakly_canonical(o->clip).string() + " embeds");
      io::EmbeddingCache dino_cache(cache_dir + "/dino.emb", fs::weakly_canonical(o->dino).string() + " embeds");

      plugin::PluginRegistry registry(plugin::PluginRegistry::default_search_paths(g.plugin_paths));
      vk::ContextOptions co;
      co.device = vk::resolve_device_selector(g.device, "");
      vk::Context ctx(co);
      auto ce = embed_all(clip, images, clip_cache, o->batch, g, registry, ctx, "CLIP");
      auto de = embed_all(dino, images, dino_cache, o->batch, g, registry, ctx, "DINOv2");

      std::vector<size_t> usable;
      std::vector<std::vector<float>> cv, dv;
      for (size_t i = 0; i < images.size(); ++i)
        if (ce[i] && de[i]) {
          usable.push_back(i);
          cv.push_back(*ce[i]);
          dv.push_back(*de[i]);
        }
      // Streamed to <out>.part and renamed when complete: an interrupted run leaves no truncated CSV
      // (its embeddings are cached, so the next run resumes).
      const std::string part = o->out + ".part";
      std::ofstream csv(part);
      if (!csv) throw InputError("cannot write '" + o->out + "'");
      csv << "image_a,image_b,clip_cosine,dino_cosine\n" << std::setprecision(6) << std::fixed;
      size_t found = 0;
      const size_t examined = mine_pairs(cv, dv, o->clip_min, o->dino_max, [&](const MinedPair& p) {
        csv << io::csv_field(images[usable[p.a]]) << "," << io::csv_field(images[usable[p.b]]) << "," << p.clip << "," << p.dino << "\n";
        ++found;
      });
      csv.close();
      std::error_code ec;
      if (csv) fs::rename(part, o->out, ec);
      if (!csv || ec) {
        fs::remove(part, ec);
        throw InputError("cannot write '" + o->out + "'");
      }
      std::cout << o->out << ": " << found << " CLIP-blind pairs among " << usable.size() << " images (" << examined
                << " pairs examined; CLIP cosine > " << o->clip_min << ", DINOv2 cosine < " << o->dino_max << ")";
      if (usable.size() != images.size()) std::cout << "; " << images.size() - usable.size() << " unreadable images skipped";
      std::cout << "\n";
      return 0;
    };
  });
}

}  // namespace facet::cli
