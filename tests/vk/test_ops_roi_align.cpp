// roi_align against torchvision.ops.roi_align (goldens from tests/models/gen_roi_align.py): boxes
// inside, partly and wholly outside the grid, tiny and inverted, adaptive and fixed sampling,
// aligned and not, a spatial scale; plus the device against the CPU reference on both layouts.
#include <gtest/gtest.h>

#include <cmath>

#include "graph/executor.hpp"
#include "graph/op_registry.hpp"
#include "io/npy.hpp"
#include "util/error.hpp"
#include "vk_fixture.hpp"

namespace facet::test {
namespace {

const std::string kData = std::string(FACET_SOURCE_DIR) + "/tests/data/roi_align/";

class RoiAlignTest : public VkTest {};

TEST_F(RoiAlignTest, MatchesTorchvision) {
  struct Setting {
    const char* name;
    int64_t ph, pw;
    double scale;
    int64_t sampling, aligned;
  };
  const HostTensor x = io::read_npy(kData + "x.npy");
  for (const Setting& s : {Setting{"a", 3, 2, 1.0, -1, 0}, Setting{"b", 2, 3, 0.5, 2, 1}}) {
    SCOPED_TRACE(s.name);
    const HostTensor boxes = io::read_npy(kData + "boxes_" + s.name + ".npy");
    Graph g(core_ops());
    g.mark_output(g.op("pool", "roi_align", {g.input("x", x.desc), g.input("boxes", boxes.desc)},
                       {{"height", s.ph}, {"width", s.pw}, {"spatial_scale", s.scale}, {"sampling_ratio", s.sampling},
                        {"aligned", s.aligned}}),
                  "y");
    const std::vector<float> got = run_on_both_layouts(g, {{"x", x}, {"boxes", boxes}}, 1e-10).at("y").to_f32();
    const std::vector<float> want = io::read_npy(kData + "y_" + s.name + ".npy").to_f32();
    ASSERT_EQ(got.size(), want.size());
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, static_cast<double>(std::fabs(got[i] - want[i])));
    EXPECT_LT(worst, 1e-6);
  }
}

TEST_F(RoiAlignTest, ShapeAndAttributeErrors) {
  Graph g(core_ops());
  ValueId x = g.input("x", TensorDesc(DType::F32, {7, 9, 3})), b = g.input("b", TensorDesc(DType::F32, {2, 4}));
  EXPECT_THROW(g.op("a", "roi_align", {x, b}, {{"height", int64_t{2}}}), InputError);  // no width
  EXPECT_THROW(g.op("b", "roi_align", {x, b}, {{"height", int64_t{0}}, {"width", int64_t{2}}}), InputError);
  EXPECT_THROW(g.op("c", "roi_align", {x, g.input("b5", TensorDesc(DType::F32, {2, 5}))}, {{"height", int64_t{2}}, {"width", int64_t{2}}}),
               InputError);  // boxes with a batch column
  EXPECT_THROW(g.op("d", "roi_align", {g.input("x2", TensorDesc(DType::F32, {7, 9})), b}, {{"height", int64_t{2}}, {"width", int64_t{2}}}),
               InputError);
  EXPECT_THROW(g.op("e", "roi_align", {x, b}, {{"height", int64_t{2}}, {"width", int64_t{2}}, {"spatial_scale", -1.0}}), InputError);
}

}  // namespace
}  // namespace facet::test
