// The llm_llama plugin: LLaMA-family decoders. See README.md.
#include "llama.hpp"

FACET_PLUGIN(llm_llama, "0.1.0", facet::sdk::component<facet::plugins::Llama>())
