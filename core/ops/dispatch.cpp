// dispatch: a plugin's own kernel, launched exactly as the plugin described it at build time
// (facet_dispatch_desc). Its CPU reference, when the plugin gives one, is the plugin's function.
#include "ops/op_helpers.hpp"

namespace facet::ops {

void register_dispatch(OpRegistry& r) {
  r.add({
      "dispatch",
      [](const std::vector<const Value*>&, const Attrs&, const std::string& node) -> TensorDesc {
        throw InputError(node + ": 'dispatch' nodes are added with Graph::dispatch");
      },
      [](const OpCall& c, const vk::DeviceInfo&) {
        const CustomDispatch& d = *c.node.dispatch;
        Launch l;
        l.kernel = d.kernel;
        l.spec = d.spec;
        l.push = d.push;
        l.groups = {d.groups[0], d.groups[1], d.groups[2]};
        return l;
      },
      [](const OpCall& c, const std::vector<std::vector<float>>& in, std::vector<float>& out) {
        const CustomDispatch& d = *c.node.dispatch;
        if (!d.cpu_reference) throw InputError(c.node.name + ": kernel '" + d.kernel + "' has no CPU reference");
        std::vector<const float*> ptrs;
        std::vector<facet_tensor_desc> descs;
        auto to_c = [](const TensorDesc& t) {
          facet_tensor_desc cd{static_cast<facet_dtype>(t.dtype), t.rank, {0, 0, 0, 0}};
          for (uint32_t i = 0; i < t.rank; ++i) cd.dims[i] = t.dims[i];
          return cd;
        };
        for (size_t i = 0; i < in.size(); ++i) {
          ptrs.push_back(in[i].data());
          descs.push_back(to_c(c.inputs[i]->desc));
        }
        facet_tensor_desc od = to_c(c.output.desc);
        facet_error err{};
        facet_status s = d.cpu_reference(ptrs.data(), descs.data(), static_cast<uint32_t>(ptrs.size()), out.data(), &od,
                                         d.push.data(), static_cast<uint32_t>(d.push.size()), &err);
        if (s != FACET_OK) throw PluginError(c.node.name + ": CPU reference of '" + d.kernel + "' failed: " + err.message);
      },
  });
}

}  // namespace facet::ops
