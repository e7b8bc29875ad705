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

// One tensor of a derived set (WeightSet::view): a tensor of the base set under a new name,
// optionally cut to rows [row_begin, row_end) of its first dimension and/or given another shape of
// the same element count. Both keep the bytes where they are (rows are contiguous).
struct TensorView {
  std::string name, source;
  int64_t row_begin = 0, row_end = -1;  // -1: every row
  std::vector<int64_t> shape;            // empty: the (cut) source's shape
};

class WeightSet {
 public:
  // Throws InputError naming the path on anything unreadable or malformed. A path that is open
  // already (held anywhere in the process) returns the same set.
  static std::shared_ptr<const WeightSet> open(const std::string& path);

  // A set that renames, cuts and reshapes tensors of `base` without copying them (a single-file
  // checkpoint seen as a model's components), with `files` as its auxiliary files (config.json).
  // It is registered under `path`, which need not exist on disk: open(path) returns it while
  // anything holds it. InputError naming the tensor when a source is missing or a cut or shape
  // does not fit.
  static std::shared_ptr<const WeightSet> view(const std::string& path, std::shared_ptr<const WeightSet> base,
                                               const std::vector<TensorView>& tensors,
                                               std::map<std::string, std::string> files);

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
  // The "__metadata__" strings of a set opened from one .safetensors file (else empty).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
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
  std::map<std::string, std::string> metadata_;
  std::shared_ptr<const WeightSet> base_;  // a view's source set
  bool is_view_ = false;
};

}  // namespace facet::io
