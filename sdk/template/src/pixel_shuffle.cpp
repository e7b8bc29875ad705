// adapter_pixel_shuffle: merges each factor x factor neighbourhood of a square token grid into
// one token (4x fewer tokens, 4x wider for factor 2), as token-merging projectors do before
// their MLP. A complete plugin: one component, one parameter, its own GLSL kernel with a CPU
// reference (used by `facet run --debug` and tests), built against the installed SDK.
#include <facet/plugin.hpp>

#include <cmath>

namespace {

using namespace facet::sdk;

struct ShufflePush {
  uint32_t grid, factor, dim, total;
};

// CPU reference of the kernel: same indexing, plain loops. Inputs/outputs are dense f32.
facet_status shuffle_reference(const float* const* in, const facet_tensor_desc* in_desc, uint32_t, float* out,
                               const facet_tensor_desc*, const void* push, uint32_t, facet_error*) {
  const auto& p = *static_cast<const ShufflePush*>(push);
  (void)in_desc;
  uint32_t out_dim = p.dim * p.factor * p.factor, out_grid = p.grid / p.factor;
  for (uint32_t i = 0; i < p.total; ++i) {
    uint32_t token = i / out_dim, j = i % out_dim;
    uint32_t oy = token / out_grid, ox = token % out_grid, cell = j / p.dim, c = j % p.dim;
    uint32_t dy = cell / p.factor, dx = cell % p.factor;
    out[i] = in[0][((oy * p.factor + dy) * p.grid + ox * p.factor + dx) * p.dim + c];
  }
  return FACET_OK;
}

class PixelShuffle : public Component {
 public:
  static constexpr const char* name = "pixel_shuffle";
  static constexpr facet_component_kind kind = FACET_KIND_ADAPTER;
  static constexpr const char* doc = "merge factor x factor token neighbourhoods: [g*g, d] -> [(g/f)^2, d*f*f]";
  static inline const Ports inputs = {{"x", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [grid*grid, dim] tokens in row-major grid order"}};
  static inline const Ports outputs = {{"y", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [(grid/factor)^2, dim*factor^2]"}};
  static inline const Params params = {{"factor", FACET_PARAM_INT, 0, "2", "neighbourhood side (grid must be divisible by it)"}};

  explicit PixelShuffle(const StageConfig& cfg) : factor_(cfg.get_int("factor")) {
    if (factor_ < 1 || factor_ > 16) throw Error("param 'factor' must be between 1 and 16");
  }

  std::vector<Desc> infer(const std::vector<Desc>& in) override {
    int64_t n = in[0].dims[0], dim = in[0].dims[1];
    int64_t grid = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
    if (grid * grid != n) throw Error("input has " + std::to_string(n) + " tokens, not a square grid");
    if (grid % factor_ != 0)
      throw Error("grid side " + std::to_string(grid) + " is not divisible by factor " + std::to_string(factor_));
    grid_ = grid;
    int64_t g = grid / factor_;
    return {Desc(FACET_DTYPE_F32, {g * g, dim * factor_ * factor_})};
  }

  std::vector<Tensor> build(Graph& graph, const std::vector<Tensor>& in) override {
    Desc out = infer({in[0].desc()})[0];
    Dispatch d;
    d.kernel = "adapter_pixel_shuffle/pixel_shuffle";
    d.node_name = "shuffle";
    d.inputs = {in[0]};
    d.output = out;
    d.push_constants(ShufflePush{static_cast<uint32_t>(grid_), static_cast<uint32_t>(factor_),
                                 static_cast<uint32_t>(in[0].desc().dims[1]), static_cast<uint32_t>(out.elements())});
    constexpr uint32_t kWorkgroup = 64;
    d.spec = {kWorkgroup};
    d.groups[0] = static_cast<uint32_t>(std::min<int64_t>((out.elements() + kWorkgroup - 1) / kWorkgroup, 65535));
    d.cpu_reference = shuffle_reference;
    return {graph.dispatch(d)};
  }

 private:
  int64_t factor_;
  int64_t grid_ = 0;
};

}  // namespace

FACET_PLUGIN(adapter_pixel_shuffle, "0.1.0", facet::sdk::component<PixelShuffle>())
