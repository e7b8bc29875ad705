#include "io/npy.hpp"

#include <cstring>
#include <fstream>

#include "io/mapped_file.hpp"
#include "io/atomic_write.hpp"
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
  const std::string h(reinterpret_cast<const char*>(d + start), len);
  // The header is a Python dict literal, read by a scanner that looks at each byte once:
  // {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
  size_t i = 0;
  auto ws = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t' || h[i] == '\n' || h[i] == '\r')) ++i;
  };
  auto expect = [&](char c, const char* what) {
    ws();
    if (i >= h.size() || h[i] != c) throw fail(std::string("malformed header: expected ") + what);
    ++i;
  };
  auto quoted = [&] {
    ws();
    if (i >= h.size() || (h[i] != '\'' && h[i] != '"')) throw fail("malformed header: expected a quoted string");
    const char q = h[i++];
    const size_t end = h.find(q, i);
    if (end == std::string::npos) throw fail("malformed header: unterminated string");
    std::string out = h.substr(i, end - i);
    i = end + 1;
    return out;
  };
  Header out;
  std::string descr;
  bool have_descr = false, have_shape = false, fortran = false;
  expect('{', "'{'");
  for (ws(); i < h.size() && h[i] != '}'; ws()) {
    const std::string key = quoted();
    expect(':', "':'");
    ws();
    if (key == "descr") {
      descr = quoted();
      have_descr = true;
    } else if (key == "fortran_order") {
      if (h.compare(i, 4, "True") == 0) fortran = true, i += 4;
      else if (h.compare(i, 5, "False") == 0) i += 5;
      else throw fail("malformed header: fortran_order is not True or False");
    } else if (key == "shape") {
      expect('(', "'(' after 'shape'");
      for (ws(); i < h.size() && h[i] != ')'; ws()) {
        if (h[i] == '-') throw fail("a negative dimension in the shape");
        size_t digits = 0;
        int64_t v = 0;
        while (i < h.size() && h[i] >= '0' && h[i] <= '9') {
          if (++digits > 15) throw fail("dimension too large");
          v = v * 10 + (h[i++] - '0');
        }
        if (digits == 0) throw fail("malformed header: the shape holds something other than numbers");
        if (out.desc.rank == kMaxDims) throw fail("rank above 4");
        out.desc.dims[out.desc.rank++] = v;
        ws();
        if (i < h.size() && h[i] == ',') ++i;
        else if (i < h.size() && h[i] != ')') throw fail("malformed header: expected ',' or ')' in the shape");
      }
      expect(')', "')' closing the shape");
      have_shape = true;
    } else {
      throw fail("unexpected header key '" + key + "'");
    }
    ws();
    if (i < h.size() && h[i] == ',') ++i;
    else if (i < h.size() && h[i] != '}') throw fail("malformed header: expected ',' or '}'");
  }
  expect('}', "'}' closing the header");
  ws();
  if (i != h.size()) throw fail("malformed header: text after the dict");
  if (!have_descr) throw fail("no descr in header");
  if (!have_shape) throw fail("no shape in header");
  const bool ordered = !descr.empty() && (descr[0] == '<' || descr[0] == '>' || descr[0] == '|' || descr[0] == '=');
  if (ordered && descr[0] == '>') throw fail("big-endian arrays are not supported");
  const std::string type = ordered ? descr.substr(1) : descr;
  if (type == "f4") out.desc.dtype = DType::F32;
  else if (type == "f2") out.desc.dtype = DType::F16;
  else if (type == "i4") out.desc.dtype = DType::I32;
  else throw fail("dtype '" + type + "' is not supported (f4, f2, i4)");
  if (fortran) throw fail("Fortran-order arrays are not supported");
  out.data_offset = start + len;
  if (out.desc.bytes() != f.size() - out.data_offset)
    throw fail("holds " + std::to_string(f.size() - out.data_offset) + " data bytes but " + out.desc.str() + " needs " +
               std::to_string(out.desc.bytes()));
  return out;
}

}  // namespace

TensorDesc read_npy_desc(const std::string& path) { return parse_header(*MappedFile::open(path)).desc; }

HostTensor read_npy(const std::string& path) { return parse_npy(*MappedFile::open(path)); }

HostTensor parse_npy(const MappedFile& file) {
  const MappedFile* f = &file;
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
  const uint16_t len = static_cast<uint16_t>(header.size());
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(len & 0xFF);
  bytes += static_cast<char>(len >> 8);
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(tensor.bytes.data()), tensor.bytes.size());
  write_file_atomic(path, bytes.data(), bytes.size());  // never a truncated NPY
}

}  // namespace facet::io
