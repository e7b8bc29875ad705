// facet::Model::txt2img: Stable Diffusion through core's SdGenerator (txt2img, img2img).
#include <facet/facet.hpp>

#include "host/model_state.hpp"
#include "util/error.hpp"

namespace facet {

Image Model::txt2img(const ImageOptions& o) {
  require_kind(*state_, {ModelKind::ImageGenerator}, "image generation");
  if (o.steps < 1 || o.steps > 1000) throw InputError("steps must be in [1, 1000], not " + std::to_string(o.steps));
  if (!(o.cfg_scale >= 0 && o.cfg_scale <= 100)) throw InputError("cfg_scale must be a finite number in [0, 100]");
  if (!(o.strength > 0 && o.strength <= 1)) throw InputError("strength must be in (0, 1]");
  if (o.width < 0 || o.height < 0 || o.width > (1 << 16) || o.height > (1 << 16))
    throw InputError("width and height must be in [0, 65536] (0: the model's size)");
  diffusion::Txt2ImgOptions t;
  t.prompt = o.prompt;
  t.negative_prompt = o.negative_prompt;
  t.steps = o.steps;
  t.cfg_scale = o.cfg_scale;
  t.sampler = o.sampler;
  t.seed = o.seed;
  t.width = o.width;
  t.height = o.height;
  if (o.init_image) t.init_image = to_rgb(*o.init_image);
  t.strength = o.strength;
  if (o.progress)
    t.progress = [&](size_t i, size_t n, double, double) {
      if (!o.progress(static_cast<int>(i), static_cast<int>(n)))
        throw InputError("image generation cancelled after step " + std::to_string(i + 1) + " of " + std::to_string(n));
    };
  std::lock_guard lock(state_->device->mutex);
  return from_rgb(state_->sd->txt2img(t).image);
}

}  // namespace facet
