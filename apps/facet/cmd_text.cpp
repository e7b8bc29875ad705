// facet tokenize / facet embed-text: a model folder's tokenizer.json on its own, and text through
// CLIP's text tower.
#include <iostream>

#include "cli_common.hpp"
#include "eval/clip_zero_shot.hpp"
#include "io/npy.hpp"
#include "pipeline/model_folder.hpp"
#include "util/error.hpp"

namespace facet::cli {

using namespace facet::eval;

namespace {

struct TextOptions {
  std::string model, text, out;
  bool json = false, no_special = false, parse_special = false, truncate = false;
};

}  // namespace

void add_tokenize(CLI::App& app, GlobalOptions&, Action& run) {
  auto* cmd = app.add_subcommand("tokenize", "Token ids of a text with a model folder's tokenizer.json");
  auto o = std::make_shared<TextOptions>();
  cmd->add_option("--model", o->model, "Hugging Face model folder (tokenizer.json)")->required();
  cmd->add_option("--text", o->text, "UTF-8 text")->required();
  cmd->add_flag("--json", o->json, "Print {\"ids\": [...], \"tokens\": [...]}");
  cmd->add_flag("--no-special", o->no_special, "Without the tokenizer's BOS/EOS tokens");
  cmd->add_flag("--parse-special", o->parse_special, "Turn special-token literals in the text into their tokens");
  cmd->callback([&run, o] {
    run = [o] {
      text::Tokenizer tok = pipeline::ModelFolder::open(o->model).tokenizer();
      text::EncodeOptions opt;
      opt.add_special = !o->no_special;
      opt.parse_special = o->parse_special;
      std::vector<int32_t> ids = tok.encode(o->text, opt);
      if (o->json) {
        nlohmann::json j;
        j["ids"] = ids;
        std::vector<std::string> tokens;
        for (int32_t id : ids) tokens.push_back(text::to_valid_utf8(tok.token(id)));
        j["tokens"] = tokens;
        std::cout << j.dump() << "\n";
      } else {
        for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
        std::cout << "\n";
      }
      return 0;
    };
  });
}

void add_embed_text(CLI::App& app, GlobalOptions& g, Action& run) {
  auto* cmd = app.add_subcommand("embed-text", "Embed a text with a CLIP model folder's text tower");
  auto o = std::make_shared<TextOptions>();
  cmd->add_option("--model", o->model, "Hugging Face CLIP model folder")->required();
  cmd->add_option("--text", o->text, "UTF-8 text")->required();
  cmd->add_option("--out", o->out, "Output NPY file: f32 [1, projection_dim]")->required();
  cmd->add_flag("--truncate", o->truncate, "Keep the first max_position_embeddings tokens of a longer text");
  cmd->callback([&run, &g, o] {
    run = [&g, o] {
      auto folder = pipeline::ModelFolder::open(o->model);
      if (folder.model_type != "clip" && folder.model_type != "clip_text_model")
        throw InputError("model folder '" + o->model + "' holds a '" + folder.model_type +
                         "' model; embed-text needs a CLIP folder (clip, clip_text_model)");
      std::vector<int32_t> ids = clip_text_ids(folder, folder.tokenizer(), o->text, o->truncate);
      auto t = std::make_shared<const HostTensor>(HostTensor::from_i32(ids));
      auto spec = pipeline::one_stage_pipeline(folder, "encoder_clip", "text", "ids", t, {{"output", "embeds"}});
      HostTensor y = run_spec(spec, g).at("encoder.y");
      io::write_npy(o->out, y);
      std::cout << o->out << ": " << y.desc.str() << " (" << ids.size() << " tokens)\n";
      return 0;
    };
  });
}

}  // namespace facet::cli
