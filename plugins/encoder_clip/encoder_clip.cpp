// encoder_clip: CLIP from Hugging Face folders (CLIPModel, CLIPVisionModel[WithProjection], the
// vision tower of llava-hf folders). See README.md for ports, params and tensor names.
#include <facet/plugin.hpp>

#include "clip_text.hpp"
#include "clip_vision.hpp"

FACET_PLUGIN(encoder_clip, "0.1.0", facet::sdk::component<facet::plugins::ClipVision>(),
             facet::sdk::component<facet::plugins::ClipText>())
