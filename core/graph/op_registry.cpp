#include "graph/op_registry.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace facet {

int64_t OpCall::attr_int(const std::string& name, int64_t fallback) const {
  auto it = node.attrs.find(name);
  if (it == node.attrs.end()) return fallback;
  if (const auto* i = std::get_if<int64_t>(&it->second)) return *i;
  return static_cast<int64_t>(std::get<double>(it->second));
}

double OpCall::attr_float(const std::string& name, double fallback) const {
  auto it = node.attrs.find(name);
  if (it == node.attrs.end()) return fallback;
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  return static_cast<double>(std::get<int64_t>(it->second));
}

void OpRegistry::add(OpDef def) {
  if (ops_.count(def.name)) throw InternalError("op '" + def.name + "' registered twice");
  std::string name = def.name;
  ops_.emplace(std::move(name), std::move(def));
}

const OpDef& OpRegistry::get(const std::string& name) const {
  auto it = ops_.find(name);
  if (it == ops_.end()) {
    std::string known;
    for (const auto& [k, v] : ops_) known += (known.empty() ? "" : ", ") + k;
    throw InputError("unknown op '" + name + "' (known: " + known + ")");
  }
  return it->second;
}

std::vector<std::string> OpRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : ops_) out.push_back(k);
  return out;
}

const OpRegistry& core_ops() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    register_core_ops(r);
    return r;
  }();
  return registry;
}

ElementwiseLayout elementwise_layout(uint64_t n, const vk::DeviceInfo& device) {
  ElementwiseLayout l;
  l.workgroup = 64;
  l.contiguous = device.quirks.contiguous_work_layout;
  uint64_t groups;
  if (l.contiguous) {
    // A few large workgroups, each invocation streaming its own contiguous run.
    constexpr uint64_t kTargetGroups = 16;
    l.chunk = static_cast<uint32_t>(std::max<uint64_t>(16, (n + kTargetGroups * l.workgroup - 1) / (kTargetGroups * l.workgroup)));
    groups = (n + uint64_t(l.chunk) * l.workgroup - 1) / (uint64_t(l.chunk) * l.workgroup);
  } else {
    // One element per invocation per grid step; cap the grid and let invocations stride.
    groups = std::min<uint64_t>((n + l.workgroup - 1) / l.workgroup, 65535ull * 16);
  }
  l.groups = grid_of(groups, device);
  return l;
}

vk::Groups grid_of(uint64_t groups, const vk::DeviceInfo& device) {
  groups = std::max<uint64_t>(groups, 1);
  uint32_t max_x = std::min<uint32_t>(device.max_workgroup_count[0], 65535);
  vk::Groups g;
  g.x = static_cast<uint32_t>(std::min<uint64_t>(groups, max_x));
  g.y = static_cast<uint32_t>((groups + g.x - 1) / g.x);
  return g;
}

}  // namespace facet
