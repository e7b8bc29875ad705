// WeightSet: the tensors of a stage, from one .safetensors file, a model folder
// (model.safetensors, or shards listed in model.safetensors.index.json whose paths must stay
// inside the folder), or one GGUF file (llama.cpp's tensor names; its metadata is presented as the
// auxiliary file "gguf.json"). Pickle checkpoints (.bin, .pt, .pth, .ckpt) are refused.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "graph/tensor_desc.hpp"
#include "io/gguf.hpp"
#include "io/safetensors.hpp"

namespace facet::io {

struct TensorRef {
  std::string name;
  std::string file;
  TensorDesc desc;
  const void* data = nullptr;
  uint64_t bytes = 0;
  std::shared_ptr<const void> keepalive;
};

class WeightSet {
 public:
  // Throws InputError naming the path on anything unreadable or malformed. A path that is open
  // already (held anywhere in the process) returns the same set.
  static std::shared_ptr<const WeightSet> open(const std::string& path);

  // nullopt when absent. Throws InputError when present but not loadable (dtype, rank > 4).
  std::optional<TensorRef> find(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::string& path() const { return path_; }

  // An auxiliary file of the model folder (the folder itself, or the folder holding a single
  // .safetensors file), e.g. "config.json": nullptr when absent. For a GGUF file, "gguf.json" is
  // its metadata as JSON (without the vocabulary arrays) and no other file exists. `name` is a plain file name (no
  // directories); files above 64 MiB are refused. Read once, then cached for the set's lifetime.
  std::shared_ptr<const std::string> file(const std::string& name) const;
  const std::string& folder() const { return folder_; }
  // The GGUF file behind the set, or nullptr for safetensors.
  std::shared_ptr<const GgufFile> gguf() const { return gguf_; }

 private:
  static std::shared_ptr<const WeightSet> load(const std::string& path);

  std::string path_;
  std::string folder_;
  mutable std::mutex files_mutex_;
  mutable std::map<std::string, std::shared_ptr<const std::string>> files_;
  struct Entry {
    std::string file;
    std::optional<TensorDesc> desc;  // unset: `problem` says why the tensor cannot be used
    std::string problem;
    const void* data = nullptr;
    uint64_t bytes = 0;
    std::shared_ptr<const void> keepalive;
  };
  void add(const SafetensorsFile& st, const std::string& name, std::shared_ptr<const void> keepalive);
  std::map<std::string, Entry> tensors_;
  std::shared_ptr<const GgufFile> gguf_;
};

}  // namespace facet::io
