// The explicit list of core ops (no static registration: the linker would drop it).
#include "graph/op_registry.hpp"

namespace facet {
namespace ops {
void register_fill(OpRegistry& r);
void register_copy(OpRegistry& r);
void register_binary(OpRegistry& r);
void register_matmul(OpRegistry& r);
void register_dispatch(OpRegistry& r);
void register_activation(OpRegistry& r);
void register_convert(OpRegistry& r);
void register_norm(OpRegistry& r);
void register_positional(OpRegistry& r);
void register_attention(OpRegistry& r);
void register_layout(OpRegistry& r);
void register_conv(OpRegistry& r);
void register_conv2d(OpRegistry& r);
void register_resize(OpRegistry& r);
void register_upsample(OpRegistry& r);
void register_index(OpRegistry& r);
void register_state(OpRegistry& r);
void register_splice(OpRegistry& r);
void register_top_k(OpRegistry& r);
void register_roi_align(OpRegistry& r);
}  // namespace ops

void register_core_ops(OpRegistry& r) {
  ops::register_fill(r);
  ops::register_copy(r);
  ops::register_binary(r);
  ops::register_matmul(r);
  ops::register_dispatch(r);
  ops::register_activation(r);
  ops::register_convert(r);
  ops::register_norm(r);
  ops::register_positional(r);
  ops::register_attention(r);
  ops::register_layout(r);
  ops::register_conv(r);
  ops::register_conv2d(r);
  ops::register_resize(r);
  ops::register_upsample(r);
  ops::register_index(r);
  ops::register_state(r);
  ops::register_splice(r);
  ops::register_top_k(r);
  ops::register_roi_align(r);
}

}  // namespace facet
