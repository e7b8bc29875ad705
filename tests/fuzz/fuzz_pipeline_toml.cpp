// libFuzzer target for pipeline TOML parsing (core/pipeline: toml++ then the schema's checks):
// text parses into a spec, or InputError naming the file (and line:column where it has one).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pipeline/spec.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const facet::pipeline::PipelineSpec spec = facet::pipeline::parse_pipeline_text(text, "fuzz.toml");
    for (const auto& s : spec.stages)
      if (s.id.empty()) std::abort();
  } catch (const facet::InputError& e) {
    if (std::string(e.what()).find("fuzz.toml") == std::string::npos) std::abort();  // errors name the file
  }
  return 0;
}
