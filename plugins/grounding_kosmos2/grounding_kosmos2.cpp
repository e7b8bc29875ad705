// grounding_kosmos2: Kosmos-2 (Kosmos2ForConditionalGeneration) from Hugging Face folders: the
// image-to-text projection and the text decoder; the vision tower is encoder_clip's. See README.md.
#include <facet/plugin.hpp>

#include "kosmos2_projection.hpp"
#include "kosmos2_text.hpp"

FACET_PLUGIN(grounding_kosmos2, "0.1.0", facet::sdk::component<facet::plugins::Kosmos2Projection>(),
             facet::sdk::component<facet::plugins::Kosmos2Text>())
