#include "text/clip_vocab_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace facet::text {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxFileBytes = 64ull << 20;

std::string read_text(const fs::path& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec) throw InputError("'" + p.string() + "' cannot be read: " + ec.message());
  if (size > kMaxFileBytes) throw InputError("'" + p.string() + "' is larger than 64 MiB");
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) throw InputError("'" + p.string() + "' cannot be read");
  return ss.str();
}

nlohmann::json read_json(const fs::path& p) {
  try {
    return nlohmann::json::parse(read_text(p));
  } catch (const nlohmann::json::exception& e) {
    throw InputError("'" + p.string() + "' is not valid JSON: " + e.what());
  }
}

// A special token of tokenizer_config.json: a string or an AddedToken object {"content": ...}.
std::string special(const nlohmann::json& config, const std::string& key, const std::string& fallback, const fs::path& where) {
  if (!config.contains(key) || config[key].is_null()) return fallback;
  const auto& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  throw InputError("'" + where.string() + "': field '" + key + "' must be a string or an object with 'content'");
}

nlohmann::json config_of(const fs::path& dir) {
  const fs::path p = dir / "tokenizer_config.json";
  std::error_code ec;
  if (!fs::exists(p, ec)) return nlohmann::json::object();
  nlohmann::json j = read_json(p);
  if (!j.is_object()) throw InputError("'" + p.string() + "' is not a JSON object");
  return j;
}

int32_t id_of(const Tokenizer& t, const std::string& token, const std::string& role, const std::string& where) {
  auto id = t.token_id(token);
  if (!id) throw InputError(where + ": the " + role + " token '" + token + "' is not in the vocabulary");
  return *id;
}

}  // namespace

std::string clip_tokenizer_json_from_vocab(const std::string& dir_path) {
  const fs::path dir(dir_path), vocab_path = dir / "vocab.json", merges_path = dir / "merges.txt";
  std::error_code ec;
  for (const fs::path& p : {vocab_path, merges_path})
    if (!fs::exists(p, ec)) throw InputError("tokenizer folder '" + dir_path + "' has neither tokenizer.json nor " + p.filename().string());
  const nlohmann::json vocab = read_json(vocab_path);
  if (!vocab.is_object() || vocab.empty()) throw InputError("'" + vocab_path.string() + "' must be an object of token -> id");
  for (const auto& [token, id] : vocab.items())
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= (int64_t{1} << 31))
      throw InputError("'" + vocab_path.string() + "': token '" + token + "' has no valid id");
  nlohmann::json merges = nlohmann::json::array();
  std::istringstream lines(read_text(merges_path));
  std::string line;
  for (int64_t n = 1; std::getline(lines, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (n == 1 && line.rfind("#version", 0) == 0)) continue;
    merges.push_back(line);
  }
  const nlohmann::json config = config_of(dir);
  const fs::path cfg_path = dir / "tokenizer_config.json";
  const std::string bos = special(config, "bos_token", "<|startoftext|>", cfg_path);
  const std::string eos = special(config, "eos_token", "<|endoftext|>", cfg_path);
  const std::string unk = special(config, "unk_token", eos, cfg_path);
  auto vocab_id = [&](const std::string& token, const char* role) {
    if (!vocab.contains(token)) throw InputError("'" + vocab_path.string() + "' lacks the " + role + " token '" + token + "'");
    return vocab[token].get<int64_t>();
  };
  using J = nlohmann::json;
  J j;
  j["normalizer"] = {{"type", "Sequence"},
                     {"normalizers", J::array({J{{"type", "NFC"}},
                                               J{{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", " "}},
                                               J{{"type", "Lowercase"}}})}};
  j["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       J::array({J{{"type", "Split"},
                   {"pattern", {{"Regex", "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"}}},
                   {"behavior", "Removed"},
                   {"invert", true}},
                 J{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}})}};
  j["post_processor"] = {{"type", "RobertaProcessing"},
                         {"sep", J::array({eos, vocab_id(eos, "eos")})},
                         {"cls", J::array({bos, vocab_id(bos, "bos")})},
                         {"trim_offsets", false},
                         {"add_prefix_space", false}};
  j["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  j["added_tokens"] = J::array();
  for (const auto& [token, role] : {std::pair{bos, "bos"}, std::pair{eos, "eos"}})
    j["added_tokens"].push_back({{"id", vocab_id(token, role)}, {"content", token}, {"single_word", false}, {"lstrip", false},
                                 {"rstrip", false}, {"normalized", true}, {"special", true}});
  j["model"] = {{"type", "BPE"},           {"dropout", nullptr},         {"unk_token", unk},
                {"continuing_subword_prefix", ""}, {"end_of_word_suffix", "</w>"}, {"fuse_unk", false},
                {"byte_fallback", false},  {"vocab", vocab},             {"merges", merges}};
  return j.dump();
}

ClipTokenizer ClipTokenizer::open(const std::string& path) {
  const fs::path p(path);
  std::error_code ec;
  if (!fs::exists(p, ec)) throw InputError("tokenizer '" + path + "' does not exist");
  const bool dir = fs::is_directory(p, ec);
  const fs::path folder = dir ? p : p.parent_path();
  ClipTokenizer t;
  const fs::path json_path = dir ? p / "tokenizer.json" : p;
  if (fs::exists(json_path, ec)) {
    t.tokenizer = Tokenizer::from_file(json_path.string());
  } else {
    t.tokenizer = Tokenizer::from_json(clip_tokenizer_json_from_vocab(p.string()), (p / "vocab.json").string());
  }
  const nlohmann::json config = config_of(folder);
  const fs::path cfg_path = folder / "tokenizer_config.json";
  const std::string where = folder.string();
  t.bos = id_of(t.tokenizer, special(config, "bos_token", "<|startoftext|>", cfg_path), "bos", where);
  t.eos = id_of(t.tokenizer, special(config, "eos_token", "<|endoftext|>", cfg_path), "eos", where);
  t.pad = config.contains("pad_token") ? id_of(t.tokenizer, special(config, "pad_token", "", cfg_path), "pad", where) : t.eos;
  if (config.contains("model_max_length") && config["model_max_length"].is_number_integer()) {
    const int64_t m = config["model_max_length"].get<int64_t>();
    if (m >= 2 && m <= 4096) t.max_length = m;  // very large values mean "no limit" in transformers
  }
  return t;
}

std::vector<int32_t> ClipTokenizer::encode_padded(const std::string& text) const {
  EncodeOptions o;
  o.add_special = false;
  std::vector<int32_t> body = tokenizer.encode(text, o);
  const size_t room = static_cast<size_t>(max_length) - 2;
  if (body.size() > room) body.resize(room);
  std::vector<int32_t> ids{bos};
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(eos);
  ids.resize(static_cast<size_t>(max_length), pad);
  return ids;
}

}  // namespace facet::text
