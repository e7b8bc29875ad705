#include "io/npy.hpp"

#include <cstring>
#include <fstream>
#include <regex>

#include "io/mapped_file.hpp"
#include "util/error.hpp"

namespace facet::io {

namespace {

struct Header {
  TensorDesc desc;
  uint64_t data_offset = 0;
};

Header parse_header(const MappedFile& f) {
  auto fail = [&](const std::string& why) { return InputError("NPY file '" + f.path() + "': " + why); };
  const uint8_t* d = f.data();
  if (f.size() < 10 || std::memcmp(d, "\x93NUMPY", 6) != 0) throw fail("bad magic (not an .npy file)");
  uint8_t major = d[6];
  uint64_t len = 0, start = 0;
  if (major == 1) {
    len = d[8] | (uint64_t(d[9]) << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (f.size() < 12) throw fail("truncated header");
    len = d[8] | (uint64_t(d[9]) << 8) | (uint64_t(d[10]) << 16) | (uint64_t(d[11]) << 24);
    start = 12;
  } else {
    throw fail("unsupported version " + std::to_string(major));
  }
  if (len > f.size() - start) throw fail("truncated header");
  std::string h(reinterpret_cast<const char*>(d + start), len);
  std::smatch m;
  if (!std::regex_search(h, m, std::regex("'descr'\\s*:\\s*'([<>|=]?)([a-z])(\\d+)'"))) throw fail("no descr in header");
  std::string order = m[1], kind = m[2], size = m[3];
  if (order == ">") throw fail("big-endian arrays are not supported");
  Header out;
  if (kind == "f" && size == "4") out.desc.dtype = DType::F32;
  else if (kind == "f" && size == "2") out.desc.dtype = DType::F16;
  else if (kind == "i" && size == "4") out.desc.dtype = DType::I32;
  else throw fail("dtype '" + kind + size + "' is not supported (f4, f2, i4)");
  if (std::regex_search(h, std::regex("'fortran_order'\\s*:\\s*True"))) throw fail("Fortran-order arrays are not supported");
  if (!std::regex_search(h, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)"))) throw fail("no shape in header");
  std::string dims = m[1];
  std::regex num("\\d+");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it) {
    if (out.desc.rank == kMaxDims) throw fail("rank above 4");
    if (it->str().size() > 15) throw fail("dimension too large");
    out.desc.dims[out.desc.rank++] = std::stoll(it->str());
  }
  out.data_offset = start + len;
  if (out.desc.bytes() != f.size() - out.data_offset)
    throw fail("holds " + std::to_string(f.size() - out.data_offset) + " data bytes but " + out.desc.str() + " needs " +
               std::to_string(out.desc.bytes()));
  return out;
}

}  // namespace

TensorDesc read_npy_desc(const std::string& path) { return parse_header(*MappedFile::open(path)).desc; }

HostTensor read_npy(const std::string& path) {
  auto f = MappedFile::open(path);
  Header h = parse_header(*f);
  HostTensor t;
  t.desc = h.desc;
  t.bytes.assign(f->data() + h.data_offset, f->data() + f->size());
  return t;
}

void write_npy(const std::string& path, const HostTensor& tensor) {
  if (tensor.desc.dtype != DType::F32) throw InternalError("write_npy writes f32 only");
  std::string shape;  // Python tuple syntax: "()", "(5,)", "(2, 3)"
  for (uint32_t i = 0; i < tensor.desc.rank; ++i) shape += (i ? ", " : "") + std::to_string(tensor.desc.dims[i]);
  if (tensor.desc.rank == 1) shape += ",";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw InputError("cannot write '" + path + "'");
  out.write("\x93NUMPY\x01\x00", 8);
  uint16_t len = static_cast<uint16_t>(header.size());
  char lb[2] = {static_cast<char>(len & 0xFF), static_cast<char>(len >> 8)};
  out.write(lb, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(tensor.bytes.data()), static_cast<std::streamsize>(tensor.bytes.size()));
  if (!out) throw InputError("error writing '" + path + "'");
}

}  // namespace facet::io
