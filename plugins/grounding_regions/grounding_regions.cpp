// grounding_regions: region features for boxes, as GPT4RoI and other "embedding-as-region" models
// read them. The vision encoder's tokens form a square grid of patches; each box (in pixels of the
// image the model saw) is pooled from that grid with ROI-Align into pool x pool bins, and the
// flattened bins are projected to the language model's width, giving one media row per region:
//   grid    = features[cls:] as [g, g, D]                  (g * g tokens, row-major patches)
//   pooled  = roi_align(grid, boxes, spatial_scale = g / image_size)     f32 [R, pool, pool, D]
//   y       = projector(pooled flattened in (bin row, bin column, channel) order)  f32 [R, hidden]
// Projector weights: <prefix>region_proj.0 (linear), and .2 after a GELU (mlp2x_gelu).
#include <facet/nn.hpp>
#include <facet/plugin.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "../common/mlp_projector.hpp"

namespace {

using namespace facet::sdk;
using facet::plugins::MlpProjector;

class Roi : public Component {
 public:
  static constexpr const char* name = "roi";
  static constexpr facet_component_kind kind = FACET_KIND_GROUNDING;
  static constexpr const char* doc = "region features: ROI-Align of boxes on the encoder's patch grid, projected: [R, 4] -> [R, hidden]";
  static inline const Ports inputs = {
      {"features", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [N, D]: the vision encoder's tokens (a square grid, after an optional CLS)"},
      {"boxes", contract(FACET_DTYPE_F32, {-1, 4}), "f32 [R, 4]: x1, y1, x2, y2 in pixels of the image the model saw"}};
  static inline const Ports outputs = {{"y", contract(FACET_DTYPE_F32, {-1, -1}), "f32 [R, hidden]: one row per region"}};
  static inline const Params params = {
      {"image_size", FACET_PARAM_INT, 1, "0", "side of the image the model saw, pixels (spatial_scale = grid / image_size)"},
      {"cls", FACET_PARAM_INT, 0, "0", "1: the features start with a CLS token, dropped before the grid"},
      {"pool", FACET_PARAM_INT, 0, "2", "ROI-Align bins per side"},
      {"sampling_ratio", FACET_PARAM_INT, 0, "0", "bilinear samples per bin side; <= 0: ceil(box side / bins) (mmcv's default)"},
      {"aligned", FACET_PARAM_BOOL, 0, "true", "shift boxes by half a grid cell (mmcv's and detectron2's aligned ROI-Align)"},
      {"projector", FACET_PARAM_STRING, 0, "linear", "linear | mlp2x_gelu"},
      {"prefix", FACET_PARAM_STRING, 0, "", "weight name prefix before 'region_proj.'"},
  };

  explicit Roi(const StageConfig& cfg)
      : w_(cfg.weights()), image_size_(cfg.get_int("image_size")), cls_(cfg.get_int("cls")), pool_(cfg.get_int("pool")),
        sampling_(cfg.get_int("sampling_ratio")), aligned_(cfg.get_bool("aligned")) {
    if (!w_.present()) throw Error("grounding_regions needs weights (the region projector's safetensors file or folder)");
    if (image_size_ < 1) throw Error("param image_size must be the side of the image the model saw, in pixels (got " + std::to_string(image_size_) + ")");
    if (cls_ != 0 && cls_ != 1) throw Error("param cls must be 0 or 1");
    if (pool_ < 1 || pool_ > 64) throw Error("param pool must be in 1..64");
    const std::string projector = cfg.get_string("projector");
    int64_t depth = 0;
    if (projector == "linear") depth = 1;
    else if (projector == "mlp2x_gelu") depth = 2;
    else throw Error("param projector '" + projector + "' is not supported (linear, mlp2x_gelu)");
    mlp_ = MlpProjector(w_, cfg.get_string("prefix") + "region_proj.", depth, "gelu");
  }

  std::vector<Desc> infer(const std::vector<Desc>& in) override {
    const Desc &f = in[0], &b = in[1];
    side(f.dims[0]);  // throws when the features are no square grid
    if (b.dims[0] < 1) throw Error("boxes must hold at least one region, got [" + std::to_string(b.dims[0]) + ", 4]");
    mlp_.check_input(Desc(FACET_DTYPE_F32, {1, pool_ * pool_ * f.dims[1]}),
                     "pooled region (pool " + std::to_string(pool_) + " x " + std::to_string(pool_) + " x features " + std::to_string(f.dims[1]) + ")");
    return {Desc(FACET_DTYPE_F32, {b.dims[0], mlp_.out_features()})};
  }

  std::vector<Tensor> build(Graph& g, const std::vector<Tensor>& in) override {
    const Desc f = in[0].desc();
    const int64_t n = f.dims[0], d = f.dims[1], r = in[1].desc().dims[0], grid = side(n);
    Tensor tokens = in[0];  // f32 [N, D]
    if (cls_) tokens = g.op("slice", "roi.patches", {tokens}, {attr("dim", int64_t{0}), attr("start", int64_t{1}), attr("end", n)});
    Tensor cells = g.reshape(tokens, Desc(FACET_DTYPE_F32, {grid, grid, d}));  // f32 [g, g, D]
    const double scale = static_cast<double>(grid) / static_cast<double>(image_size_);
    Tensor pooled = g.op("roi_align", "roi.align", {cells, in[1]},  // f32 [R, pool, pool, D]
                         {attr("height", pool_), attr("width", pool_), attr("spatial_scale", scale),
                          attr("sampling_ratio", sampling_), attr("aligned", int64_t{aligned_ ? 1 : 0})});
    Tensor flat = g.reshape(pooled, Desc(FACET_DTYPE_F32, {r, pool_ * pool_ * d}));  // f32 [R, pool * pool * D]
    return {mlp_.build(g, flat)};  // f32 [R, hidden]
  }

 private:
  // The grid side of N tokens (after the CLS token when `cls`); throws when they are no square.
  int64_t side(int64_t n) const {
    const int64_t patches = n - cls_;
    int64_t s = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(patches > 0 ? patches : 0))));
    if (patches < 1 || s * s != patches)
      throw Error("features hold " + std::to_string(n) + " tokens" + (cls_ ? " (1 CLS + " + std::to_string(patches) + ")" : "") +
                  ", which is not a square grid of patches" + (cls_ ? "" : " (set cls = 1 when the first token is CLS)"));
    return s;
  }

  Weights w_;
  int64_t image_size_, cls_, pool_, sampling_;
  bool aligned_;
  MlpProjector mlp_;
};

}  // namespace

FACET_PLUGIN(grounding_regions, "0.1.0", facet::sdk::component<Roi>())
