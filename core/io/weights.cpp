#include "io/weights.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>

#include "util/error.hpp"

namespace facet::io {

namespace fs = std::filesystem;

static void refuse_pickle(const fs::path& p) {
  std::string ext = p.extension().string();
  if (ext == ".bin" || ext == ".pt" || ext == ".pth" || ext == ".ckpt" || ext == ".pkl")
    throw InputError("'" + p.string() + "' is a pickle checkpoint, which Facet never loads (it can run code); convert it " +
                     "to safetensors first, e.g. with transformers' save_pretrained(..., safe_serialization=True)");
}

namespace {

// Views (WeightSet::view) by their registered path.
std::mutex views_mutex;
std::map<std::string, std::weak_ptr<const WeightSet>> views;

}  // namespace

std::shared_ptr<const WeightSet> WeightSet::open(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(views_mutex);
    auto it = views.find(path);
    if (it != views.end()) {
      if (auto hit = it->second.lock()) return hit;
      views.erase(it);
    }
  }
  // One mapping per path while anything holds it: pipelines built again for another chunk size
  // (an LLM's prefill and decode) share the weights, so they are uploaded once.
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const WeightSet>> open_sets;
  // The key carries each file's size and modification time, so a changed folder is read again.
  std::error_code ec;
  std::string key = fs::weakly_canonical(fs::path(path), ec).string() + (ec ? path : "");
  auto stamp = [&](const fs::path& f) {
    std::error_code e;
    key += "\n" + f.filename().string() + ":" + std::to_string(fs::file_size(f, e)) + ":" +
           std::to_string(fs::last_write_time(f, e).time_since_epoch().count());
  };
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (auto it = fs::directory_iterator(path, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
      if (it->path().extension() == ".safetensors" || it->path().extension() == ".json") files.push_back(it->path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) stamp(f);
  } else {
    stamp(path);
  }
  std::lock_guard<std::mutex> lock(mutex);
  if (auto hit = open_sets[key].lock()) return hit;
  auto ws = load(path);
  open_sets[key] = ws;
  return ws;
}

std::shared_ptr<const WeightSet> WeightSet::load(const std::string& path) {
  auto ws = std::shared_ptr<WeightSet>(new WeightSet());
  ws->path_ = path;
  fs::path p(path);
  std::error_code ec;
  if (!fs::exists(p, ec)) throw InputError("weights '" + path + "' do not exist");
  auto add_file = [&](const fs::path& file) {
    auto st = SafetensorsFile::open(file.string());
    for (const auto& [name, e] : st->tensors()) ws->add(*st, name, st);
    return st;
  };
  ws->folder_ = fs::is_directory(p, ec) ? p.string() : p.parent_path().string();
  if (!fs::is_directory(p, ec)) {
    refuse_pickle(p);
    if (p.extension() == ".gguf" || GgufFile::has_magic(path)) {
      ws->gguf_ = GgufFile::open(path);
      for (const auto& [name, t] : ws->gguf_->tensors()) {
        Entry e;
        e.file = path;
        if (!t.dtype) e.problem = "has ggml type " + t.type_name + ", which Facet cannot compute with";
        else e.desc = t.desc();
        e.data = ws->gguf_->data(t);
        e.bytes = t.bytes;
        e.keepalive = ws->gguf_;
        ws->tensors_[name] = std::move(e);
      }
      return ws;
    }
    ws->metadata_ = add_file(p)->metadata();
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
    ws->add(*it->second, tensor, it->second);
  }
  return ws;
}

std::shared_ptr<const WeightSet> WeightSet::view(const std::string& path, std::shared_ptr<const WeightSet> base,
                                                 const std::vector<TensorView>& tensors,
                                                 std::map<std::string, std::string> files) {
  auto ws = std::shared_ptr<WeightSet>(new WeightSet());
  ws->path_ = path;
  for (const TensorView& t : tensors) {
    auto it = base->tensors_.find(t.source);
    if (it == base->tensors_.end()) throw InputError("'" + base->path() + "' has no tensor '" + t.source + "'");
    Entry e = it->second;
    if (e.desc) {
      TensorDesc d = *e.desc;
      const int64_t rows = d.rank ? d.dims[0] : 1;
      const int64_t end = t.row_end < 0 ? rows : t.row_end;
      if (t.row_begin < 0 || t.row_begin > end || end > rows || d.rank == 0)
        throw InputError("tensor '" + t.source + "' in '" + base->path() + "' has " + std::to_string(rows) +
                         " rows, not the rows " + std::to_string(t.row_begin) + ".." + std::to_string(end) + " of '" + t.name + "'");
      const uint64_t row_bytes = rows ? e.bytes / static_cast<uint64_t>(rows) : 0;
      e.data = static_cast<const uint8_t*>(e.data) + static_cast<uint64_t>(t.row_begin) * row_bytes;
      e.bytes = static_cast<uint64_t>(end - t.row_begin) * row_bytes;
      d.dims[0] = end - t.row_begin;
      if (!t.shape.empty()) {
        if (t.shape.size() > kMaxDims) throw InputError("tensor '" + t.name + "': a view of rank above 4");
        TensorDesc r;
        r.dtype = d.dtype;
        for (int64_t n : t.shape) r.dims[r.rank++] = n;
        if (r.elements() != d.elements())
          throw InputError("tensor '" + t.source + "' in '" + base->path() + "' has " + std::to_string(d.elements()) +
                           " elements; '" + t.name + "' needs " + std::to_string(r.elements()));
        d = r;
      }
      e.desc = d;
    }
    ws->tensors_[t.name] = std::move(e);
  }
  for (auto& [name, text] : files) ws->files_[name] = std::make_shared<const std::string>(std::move(text));
  ws->base_ = std::move(base);
  ws->is_view_ = true;
  std::lock_guard<std::mutex> lock(views_mutex);
  views[path] = ws;
  return ws;
}

std::shared_ptr<const std::string> WeightSet::file(const std::string& name) const {
  bool plain = !name.empty() && name[0] != '.' && name.size() < 256 &&
               name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == std::string::npos;
  if (!plain) throw InputError("'" + name + "' is not a plain file name of a model folder");
  std::lock_guard<std::mutex> lock(files_mutex_);
  if (auto it = files_.find(name); it != files_.end()) return it->second;
  if (is_view_) return nullptr;  // a view has the files it was given, no folder
  if (gguf_) {
    auto text = name == "gguf.json" ? std::make_shared<const std::string>(gguf_->metadata_json()) : nullptr;
    files_[name] = text;
    return text;
  }
  fs::path p = fs::path(folder_.empty() ? "." : folder_) / name;
  std::error_code ec;
  std::shared_ptr<const std::string> text;
  if (fs::is_regular_file(p, ec)) {
    auto size = fs::file_size(p, ec);
    if (ec) throw InputError("cannot read '" + p.string() + "': " + ec.message());
    if (size > (64u << 20)) throw InputError("'" + p.string() + "' is larger than 64 MiB");
    std::ifstream in(p, std::ios::binary);
    std::string data(size, '\0');
    if (!in.read(data.data(), static_cast<std::streamsize>(size))) throw InputError("cannot read '" + p.string() + "'");
    text = std::make_shared<const std::string>(std::move(data));
  }
  files_[name] = text;
  return text;
}

std::optional<TensorRef> WeightSet::find(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) return std::nullopt;
  const Entry& e = it->second;
  if (!e.desc) throw InputError("tensor '" + name + "' in '" + e.file + "' " + e.problem);
  TensorRef r;
  r.name = name;
  r.file = e.file;
  r.desc = *e.desc;
  r.data = e.data;
  r.bytes = e.bytes;
  r.keepalive = e.keepalive;
  return r;
}

std::vector<std::string> WeightSet::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : tensors_) out.push_back(k);
  return out;
}

void WeightSet::add(const SafetensorsFile& st, const std::string& name, std::shared_ptr<const void> keepalive) {
  const SafetensorsEntry& se = st.tensors().at(name);
  Entry e;
  e.file = st.path();
  if (!se.dtype) {
    e.problem = "has dtype " + se.dtype_name + ", which Facet cannot compute with";
  } else if (se.shape.size() > kMaxDims) {
    e.problem = "has rank above 4";
  } else {
    TensorDesc d;
    d.dtype = *se.dtype;
    for (int64_t n : se.shape) d.dims[d.rank++] = n;
    e.desc = d;
  }
  e.data = st.data(se);
  e.bytes = se.bytes;
  e.keepalive = std::move(keepalive);
  tensors_[name] = std::move(e);
}

}  // namespace facet::io
