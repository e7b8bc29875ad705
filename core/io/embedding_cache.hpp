// A resumable on-disk cache of per-image embeddings for one model (facet mine-pairs). Records are
// appended and flushed as they are computed, keyed by the image path, its size and modification
// time; a torn last record (an interrupted run) is dropped on load, and a cache written for
// another model (its tag differs) is started afresh.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace facet::io {

class EmbeddingCache {
 public:
  // Opens (or creates) `file` for embeddings of model `tag`.
  EmbeddingCache(const std::string& file, const std::string& tag);

  // The cached embedding of `image` when its size and mtime still match.
  std::optional<std::vector<float>> find(const std::string& image) const;
  void append(const std::string& image, const std::vector<float>& embedding);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint64_t bytes = 0;
    int64_t mtime = 0;
    std::vector<float> v;
  };
  std::string file_;
  std::map<std::string, Entry> entries_;
  std::ofstream out_;
};

// Size and modification time (ns) of a file; throws InputError when it cannot be read.
std::pair<uint64_t, int64_t> file_stamp(const std::string& path);

}  // namespace facet::io
