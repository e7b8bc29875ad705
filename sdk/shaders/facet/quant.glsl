// Reading GGUF block-quantized weights from a uint[] buffer (blocks are byte-packed, so reads go
// through bytes at any offset). Define FACET_QUANT_BUFFER as the buffer's array name before
// including. Element e of a row-major [N, K] tensor is element e of the flat block stream.
// Same layouts and arithmetic order as core/graph/quant.hpp.
#ifndef FACET_QUANT_GLSL
#define FACET_QUANT_GLSL

uint facet_qbyte(uint byte_offset) {
  return (FACET_QUANT_BUFFER[byte_offset >> 2] >> ((byte_offset & 3u) * 8u)) & 0xFFu;
}
float facet_qhalf(uint byte_offset) {
  return unpackHalf2x16(facet_qbyte(byte_offset) | (facet_qbyte(byte_offset + 1u) << 8)).x;
}
int facet_qint8(uint byte_offset) { return int(facet_qbyte(byte_offset) << 24) >> 24; }

float facet_load_q8_0(uint e) {
  uint base = (e >> 5) * 34u;
  return facet_qhalf(base) * float(facet_qint8(base + 2u + (e & 31u)));
}

float facet_load_q4_0(uint e) {
  uint base = (e >> 5) * 18u, i = e & 31u;
  uint byte = facet_qbyte(base + 2u + (i & 15u));
  uint q = i < 16u ? (byte & 0xFu) : (byte >> 4);
  return facet_qhalf(base) * float(int(q) - 8);
}

float facet_load_q4_1(uint e) {
  uint base = (e >> 5) * 20u, i = e & 31u;
  uint byte = facet_qbyte(base + 4u + (i & 15u));
  uint q = i < 16u ? (byte & 0xFu) : (byte >> 4);
  return facet_qhalf(base) * float(q) + facet_qhalf(base + 2u);
}

float facet_load_q4_k(uint e) {
  uint base = (e >> 8) * 144u, i = e & 255u;
  uint chunk = i >> 6, r = i & 63u, l = r & 31u;
  uint j = 2u * chunk + (r >> 5);  // sub-block 0..7
  uint s = base + 4u;
  uint sc, mn;
  if (j < 4u) {
    sc = facet_qbyte(s + j) & 63u;
    mn = facet_qbyte(s + j + 4u) & 63u;
  } else {
    sc = (facet_qbyte(s + j + 4u) & 0xFu) | ((facet_qbyte(s + j - 4u) >> 6) << 4);
    mn = (facet_qbyte(s + j + 4u) >> 4) | ((facet_qbyte(s + j) >> 6) << 4);
  }
  uint byte = facet_qbyte(base + 16u + 32u * chunk + l);
  uint q = r < 32u ? (byte & 0xFu) : (byte >> 4);
  return (facet_qhalf(base) * float(sc)) * float(q) - facet_qhalf(base + 2u) * float(mn);
}

float facet_load_q6_k(uint e) {
  uint base = (e >> 8) * 210u, i = e & 255u;
  uint half_ = i >> 7, r = i & 127u, quarter = r >> 5, l = r & 31u;
  uint ql = facet_qbyte(base + 64u * half_ + l + ((quarter & 1u) != 0u ? 32u : 0u));
  uint low = quarter < 2u ? (ql & 0xFu) : (ql >> 4);
  uint high = (facet_qbyte(base + 128u + 32u * half_ + l) >> (2u * quarter)) & 3u;
  int q = int(low | (high << 4)) - 32;
  float sc = float(facet_qint8(base + 192u + 8u * half_ + l / 16u + 2u * quarter));
  return (facet_qhalf(base + 208u) * sc) * float(q);
}

#endif
