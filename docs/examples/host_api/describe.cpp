// describe MODELS IMAGE: classifies a picture with a CLIP model, asks a LLaVA model about it
// (the answer streamed), shows where it points, and draws a picture from the answer's first words.
// MODELS is a folder holding demo-clip, demo-llava and demo-sd (Facet's apps/demo/models).
#include <facet/facet.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: describe MODELS IMAGE\n";
    return 2;
  }
  const std::string models = argv[1];
  try {
    facet::Device gpu;  // the best Vulkan device
    std::cout << "device: " << gpu.description().name << "\n";
    const facet::Image picture = facet::Image::load(argv[2]);

    facet::Model clip(gpu, models + "/demo-clip");
    const std::vector<std::string> labels{"a red circle", "a yellow circle", "an orange triangle"};
    const facet::Array p = clip.classify({picture}, labels);
    for (size_t i = 0; i < labels.size(); ++i) std::cout << "P(" << labels[i] << ") = " << p.data[i] << "\n";

    facet::Model llava(gpu, models + "/demo-llava");
    facet::GenerateOptions o;
    o.max_tokens = 24;
    std::cout << "answer: ";
    const facet::Generation g = llava.generate("What colour is the triangle?", {picture}, o, [](const std::string& piece) {
      std::cout << piece << std::flush;
      return true;  // false would stop the reply
    });
    std::cout << "\n(" << g.prompt_tokens << " prompt tokens, " << g.tokens.size() << " new, " << g.finish_reason << ")\n";

    const facet::Grounding where = llava.ground(picture, {"Point to every object."});
    for (const auto& e : where.entities)
      for (const auto& b : e.boxes) std::cout << e.phrase << ": [" << b.x1 << ", " << b.y1 << ", " << b.x2 << ", " << b.y2 << "]\n";

    facet::Model sd(gpu, models + "/demo-sd");
    facet::ImageOptions io;
    io.prompt = "an orange triangle";
    io.seed = 1;
    sd.txt2img(io).save_png("describe.png");
    std::cout << "drew describe.png\n";
  } catch (const facet::Error& e) {  // InputError, PluginError, GpuError, ...
    std::cerr << "error: " << e.what() << "\n";
    return static_cast<int>(e.code());
  }
  return 0;
}
