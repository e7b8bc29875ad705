// Checking a weight tensor's shape against the one a config implies, with an error that names
// the tensor and the expected shape.
#pragma once

#include <facet/plugin.hpp>

#include <initializer_list>
#include <string>

namespace facet::plugins {

// Throws (naming the tensor) when `name` is missing or its dims are not `dims`.
inline void expect_shape(const sdk::Weights& w, const std::string& name, std::initializer_list<int64_t> dims) {
  const sdk::Desc d = w.desc(name);
  bool ok = d.rank == dims.size();
  uint32_t i = 0;
  for (int64_t v : dims) ok = ok && d.dims[i++] == v;
  if (ok) return;
  std::string want, got;
  for (int64_t v : dims) want += (want.empty() ? "" : ", ") + std::to_string(v);
  for (uint32_t k = 0; k < d.rank; ++k) got += (k ? ", " : "") + std::to_string(d.dims[k]);
  throw sdk::Error("tensor '" + name + "' must be [" + want + "] for this config, not [" + got + "]");
}

}  // namespace facet::plugins
