// WeightSet: the tensors of a stage, from one .safetensors file or a model folder
// (model.safetensors, or shards listed in model.safetensors.index.json whose paths must stay
// inside the folder). Pickle checkpoints (.bin, .pt, .pth, .ckpt) are refused.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "graph/tensor_desc.hpp"
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
  // Throws InputError naming the path on anything unreadable or malformed.
  static std::shared_ptr<const WeightSet> open(const std::string& path);

  // nullopt when absent. Throws InputError when present but not loadable (dtype, rank > 4).
  std::optional<TensorRef> find(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::map<std::string, std::shared_ptr<const SafetensorsFile>> by_tensor_;
};

}  // namespace facet::io
