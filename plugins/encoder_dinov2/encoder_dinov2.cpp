// encoder_dinov2: DINOv2 from Hugging Face folders (Dinov2Model, Dinov2WithRegistersModel). See
// README.md for ports, params and tensor names.
#include <facet/plugin.hpp>

#include "dinov2.hpp"

FACET_PLUGIN(encoder_dinov2, "0.1.0", facet::sdk::component<facet::plugins::Dinov2>())
