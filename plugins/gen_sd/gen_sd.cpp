// gen_sd: Stable Diffusion 1.x / 2.x from diffusers folders: the UNet and the VAE's decoder and
// encoder. See README.md for ports, params and tensor names.
#include <facet/plugin.hpp>

#include "unet.hpp"
#include "vae.hpp"

FACET_PLUGIN(gen_sd, "0.1.0", facet::sdk::component<facet::plugins::sd::Unet>(),
             facet::sdk::component<facet::plugins::sd::VaeDecoder>(),
             facet::sdk::component<facet::plugins::sd::VaeEncoder>())
