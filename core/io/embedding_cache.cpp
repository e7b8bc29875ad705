#include "io/embedding_cache.hpp"

#include <cstring>
#include <filesystem>

#include "util/error.hpp"

namespace facet::io {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[] = "FACET-EMBEDDINGS-1\n";

template <class T>
bool read_pod(std::istream& in, T* v) {
  return static_cast<bool>(in.read(reinterpret_cast<char*>(v), sizeof(T)));
}
template <class T>
void write_pod(std::ostream& out, const T& v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof(T));
}

}  // namespace

std::pair<uint64_t, int64_t> file_stamp(const std::string& path) {
  std::error_code ec;
  uint64_t bytes = fs::file_size(path, ec);
  if (ec) throw InputError("cannot read '" + path + "': " + ec.message());
  auto t = fs::last_write_time(path, ec);
  if (ec) throw InputError("cannot read '" + path + "': " + ec.message());
  return {bytes, static_cast<int64_t>(t.time_since_epoch().count())};
}

EmbeddingCache::EmbeddingCache(const std::string& file, const std::string& tag) : file_(file) {
  const std::string header = std::string(kMagic) + tag + "\n";
  bool keep = false;
  std::streamoff good_end = 0;
  {
    std::ifstream in(file, std::ios::binary);
    std::string got(header.size(), '\0');
    if (in && in.read(got.data(), static_cast<std::streamsize>(got.size())) && got == header) {
      keep = true;
      good_end = in.tellg();
      while (true) {
        uint32_t path_len = 0, dim = 0;
        Entry e;
        if (!read_pod(in, &path_len) || path_len == 0 || path_len > 65536) break;
        std::string path(path_len, '\0');
        if (!in.read(path.data(), path_len) || !read_pod(in, &e.bytes) || !read_pod(in, &e.mtime) || !read_pod(in, &dim) ||
            dim == 0 || dim > (1u << 20))
          break;
        e.v.resize(dim);
        if (!in.read(reinterpret_cast<char*>(e.v.data()), static_cast<std::streamsize>(dim * sizeof(float)))) break;
        entries_[path] = std::move(e);
        good_end = in.tellg();
      }
    }
  }
  std::error_code ec;
  if (keep) {
    fs::resize_file(file, static_cast<uintmax_t>(good_end), ec);  // drop a torn last record
    if (ec) throw InputError("cannot write the embedding cache '" + file + "': " + ec.message());
    out_.open(file, std::ios::binary | std::ios::app);
  } else {
    out_.open(file, std::ios::binary | std::ios::trunc);
    out_ << header;
  }
  if (!out_) throw InputError("cannot write the embedding cache '" + file + "'");
  out_.flush();
}

std::optional<std::vector<float>> EmbeddingCache::find(const std::string& image) const {
  auto it = entries_.find(image);
  if (it == entries_.end()) return std::nullopt;
  std::error_code ec;
  auto [bytes, mtime] = file_stamp(image);
  if (bytes != it->second.bytes || mtime != it->second.mtime) return std::nullopt;
  return it->second.v;
}

void EmbeddingCache::append(const std::string& image, const std::vector<float>& v) {
  auto [bytes, mtime] = file_stamp(image);
  write_pod(out_, static_cast<uint32_t>(image.size()));
  out_.write(image.data(), static_cast<std::streamsize>(image.size()));
  write_pod(out_, bytes);
  write_pod(out_, mtime);
  write_pod(out_, static_cast<uint32_t>(v.size()));
  out_.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
  out_.flush();
  if (!out_) throw InputError("cannot write the embedding cache '" + file_ + "'");
  entries_[image] = Entry{bytes, mtime, v};
}

}  // namespace facet::io
