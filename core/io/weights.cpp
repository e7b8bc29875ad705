#include "io/weights.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "util/error.hpp"

namespace facet::io {

namespace fs = std::filesystem;

static void refuse_pickle(const fs::path& p) {
  std::string ext = p.extension().string();
  if (ext == ".bin" || ext == ".pt" || ext == ".pth" || ext == ".ckpt" || ext == ".pkl")
    throw InputError("'" + p.string() + "' is a pickle checkpoint, which Facet never loads (it can run code); convert it " +
                     "to safetensors first, e.g. with transformers' save_pretrained(..., safe_serialization=True)");
}

std::shared_ptr<const WeightSet> WeightSet::open(const std::string& path) {
  auto ws = std::shared_ptr<WeightSet>(new WeightSet());
  ws->path_ = path;
  fs::path p(path);
  std::error_code ec;
  if (!fs::exists(p, ec)) throw InputError("weights '" + path + "' do not exist");
  auto add_file = [&](const fs::path& file) {
    auto st = SafetensorsFile::open(file.string());
    for (const auto& [name, e] : st->tensors()) ws->by_tensor_[name] = st;
    return st;
  };
  if (!fs::is_directory(p, ec)) {
    refuse_pickle(p);
    add_file(p);
    return ws;
  }
  fs::path single = p / "model.safetensors", index = p / "model.safetensors.index.json";
  if (fs::exists(single, ec)) {
    add_file(single);
    return ws;
  }
  if (!fs::exists(index, ec)) {
    for (const char* pickle : {"pytorch_model.bin", "model.pt", "model.ckpt"})
      if (fs::exists(p / pickle, ec)) refuse_pickle(p / pickle);
    throw InputError("folder '" + path + "' has neither model.safetensors nor model.safetensors.index.json");
  }
  nlohmann::json j;
  try {
    std::ifstream in(index);
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw InputError("'" + index.string() + "' is not valid JSON: " + e.what());
  }
  if (!j.contains("weight_map") || !j["weight_map"].is_object())
    throw InputError("'" + index.string() + "' has no weight_map object");
  fs::path root = fs::weakly_canonical(p);
  std::map<std::string, std::shared_ptr<const SafetensorsFile>> shards;
  for (auto& [tensor, shard] : j["weight_map"].items()) {
    if (!shard.is_string()) throw InputError("'" + index.string() + "': shard of '" + tensor + "' is not a string");
    fs::path sp = fs::weakly_canonical(p / shard.get<std::string>());
    auto rel = sp.lexically_relative(root);
    if (rel.empty() || rel.is_absolute() || *rel.begin() == "..")
      throw InputError("'" + index.string() + "': shard '" + shard.get<std::string>() + "' of tensor '" + tensor +
                       "' lies outside the model folder");
    auto it = shards.find(sp.string());
    if (it == shards.end()) it = shards.emplace(sp.string(), SafetensorsFile::open(sp.string())).first;
    if (!it->second->tensors().count(tensor))
      throw InputError("'" + index.string() + "' maps tensor '" + tensor + "' to '" + shard.get<std::string>() +
                       "', which does not contain it");
    ws->by_tensor_[tensor] = it->second;
  }
  return ws;
}

std::optional<TensorRef> WeightSet::find(const std::string& name) const {
  auto it = by_tensor_.find(name);
  if (it == by_tensor_.end()) return std::nullopt;
  const SafetensorsEntry& e = it->second->tensors().at(name);
  if (!e.dtype) throw InputError("tensor '" + name + "' in '" + it->second->path() + "' has dtype " + e.dtype_name + ", which Facet cannot compute with");
  if (e.shape.size() > kMaxDims) throw InputError("tensor '" + name + "' in '" + it->second->path() + "' has rank above 4");
  TensorRef r;
  r.name = name;
  r.file = it->second->path();
  r.desc.dtype = *e.dtype;
  for (int64_t d : e.shape) r.desc.dims[r.desc.rank++] = d;
  r.data = it->second->data(e);
  r.bytes = e.bytes;
  r.keepalive = it->second;
  return r;
}

std::vector<std::string> WeightSet::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : by_tensor_) out.push_back(k);
  return out;
}

}  // namespace facet::io
