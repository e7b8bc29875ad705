// Plugin ABI: negotiation, descriptor checks, failures inside plugin calls, library lifetime.
#include <gtest/gtest.h>

#include <fstream>

#include "graph/executor.hpp"
#include "pipeline/pipeline.hpp"
#include "plugin/loader.hpp"
#include "plugin/registry.hpp"
#include "util/error.hpp"
#include "../vk/vk_fixture.hpp"
#include "io/npy.hpp"

namespace facet::test {
namespace {

std::string fixture(const std::string& name) { return std::string(FACET_ABI_FIXTURE_DIR) + "/" + name + ".so"; }

std::string load_error(const std::string& name) {
  try {
    plugin::load_plugin(fixture(name));
  } catch (const PluginError& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(Abi, LoadsAValidPlugin) {
  auto p = plugin::load_plugin(fixture("fixture_good"));
  EXPECT_EQ(p->name, "fixture_good");
  EXPECT_EQ(p->abi_major, FACET_ABI_MAJOR);
  ASSERT_NE(p->component("pass"), nullptr);
  EXPECT_EQ(p->component("nope"), nullptr);
}

// ABI 1.3 optional inputs: read only when the component descriptor is large enough (a 1.2
// plugin has none), and a mask bit past the declared ports is refused.
TEST(Abi, OptionalInputsAreReadByDescriptorSizeAndChecked) {
  auto p = plugin::load_plugin(fixture("fixture_good"));
  facet_component_desc c = *p->component("pass");
  EXPECT_EQ(plugin::optional_inputs(c), 0u);
  c.optional_inputs = 1;
  EXPECT_EQ(plugin::optional_inputs(c), 1u);
  c.struct_size = static_cast<uint32_t>(offsetof(facet_component_desc, optional_inputs));  // built against ABI 1.2
  EXPECT_EQ(plugin::optional_inputs(c), 0u);
  facet_component_desc bad = *p->component("pass");
  bad.optional_inputs = uint64_t{1} << bad.n_inputs;
  facet_plugin_desc d = *p->desc;
  d.components = &bad;
  d.n_components = 1;
  d.n_kernels = 0;
  try {
    plugin::validate_descriptor(&d, "x.so", "");
    ADD_FAILURE() << "accepted";
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("marks optional inputs it does not have"), std::string::npos) << e.what();
  }
}

TEST(Abi, RefusesADifferentMajorNamingBothVersions) {
  std::string e = load_error("fixture_wrong_major");
  EXPECT_NE(e.find("ABI " + std::to_string(FACET_ABI_MAJOR + 1) + "."), std::string::npos) << e;
  EXPECT_NE(e.find("provides ABI " + std::to_string(FACET_ABI_MAJOR) + "." + std::to_string(FACET_ABI_MINOR)), std::string::npos) << e;
}

TEST(Abi, RefusesANewerMinor) {
  std::string e = load_error("fixture_newer_minor");
  EXPECT_NE(e.find("newer than this facet's ABI"), std::string::npos) << e;
}

TEST(Abi, RefusesAMissingRequiredMember) {
  std::string e = load_error("fixture_missing_member");
  EXPECT_NE(e.find("lacks required member 'build'"), std::string::npos) << e;
}

TEST(Abi, RefusesANullDescriptor) {
  std::string e = load_error("fixture_null_desc");
  EXPECT_NE(e.find("returned no descriptor"), std::string::npos) << e;
}

TEST(Abi, RefusesALibraryWithoutEntrySymbol) {
  std::string e = load_error("fixture_no_entry");
  EXPECT_NE(e.find("does not export facet_plugin_entry"), std::string::npos) << e;
}

TEST(Abi, RefusesAFileThatIsNotALibrary) {
  std::string path = ::testing::TempDir() + "/not_a_library.so";
  std::ofstream(path) << "not an ELF file";
  try {
    plugin::load_plugin(path);
    FAIL() << "loaded a text file";
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot load plugin"), std::string::npos) << e.what();
  }
}

TEST(Abi, RegistryNamesThePluginAndEverySearchedFolder) {
  plugin::PluginRegistry r({"/nonexistent/a", FACET_ABI_FIXTURE_DIR});
  try {
    r.get("adapter_does_not_exist");
    FAIL();
  } catch (const PluginError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("'adapter_does_not_exist' not found"), std::string::npos) << m;
    EXPECT_NE(m.find("/nonexistent/a"), std::string::npos) << m;
    EXPECT_NE(m.find(FACET_ABI_FIXTURE_DIR), std::string::npos) << m;
  }
}

TEST(Abi, ScanListsLoadedAndFailedPlugins) {
  plugin::PluginRegistry r({FACET_ABI_FIXTURE_DIR});
  plugin::ScanResult s = r.scan();
  std::vector<std::string> loaded;
  for (const auto& p : s.loaded) loaded.push_back(p->name);
  EXPECT_EQ(loaded, (std::vector<std::string>{"fixture_good", "fixture_throws"}));
  EXPECT_EQ(s.failed.size(), 5u);
}

class AbiPipeline : public VkTest {
 protected:
  std::string pipeline_text(const std::string& plugin, const std::string& params) {
    // One file per test: ctest runs tests in parallel processes.
    std::string features = ::testing::TempDir() + "/abi_features_" +
                           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".npy";
    io::write_npy(features, HostTensor::from_f32(TensorDesc(DType::F32, {2, 3}), {1, 2, 3, 4, 5, 6}));
    return "schema_version = 1\n[runtime]\nplugin_paths = [\"" FACET_ABI_FIXTURE_DIR "\"]\n"
           "[[input]]\nid = \"x\"\nfile = \"" + features + "\"\n"
           "[[stage]]\nid = \"s\"\nplugin = \"" + plugin + "\"\nparams = {" + params + "}\ninputs = { x = \"x\" }\n";
  }
};

TEST_F(AbiPipeline, ExceptionInBuildBecomesAPluginErrorAndTheHostCarriesOn) {
  auto spec = pipeline::parse_pipeline_text(pipeline_text("fixture_throws", ""), "throws.toml");
  plugin::PluginRegistry r(spec.runtime.plugin_paths);
  auto p = pipeline::Pipeline::load(spec, r);
  Executor ex(ctx());
  try {
    p->run(ctx(), ex);
    FAIL() << "build did not fail";
  } catch (const PluginError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("boom from build"), std::string::npos) << m;
    EXPECT_NE(m.find("throws.toml:7:1"), std::string::npos) << m;
  }
  // The host survives and runs another pipeline.
  auto spec2 = pipeline::parse_pipeline_text(pipeline_text("fixture_good", ""), "good.toml");
  auto p2 = pipeline::Pipeline::load(spec2, r);
  auto out = p2->run(ctx(), ex);
  EXPECT_EQ(out.at("s.y").to_f32(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST_F(AbiPipeline, ErrorFromCreateIsInvalidInputWithTheStagePosition) {
  auto spec = pipeline::parse_pipeline_text(pipeline_text("fixture_throws", "reject = true"), "reject.toml");
  plugin::PluginRegistry r(spec.runtime.plugin_paths);
  try {
    pipeline::Pipeline::load(spec, r);
    FAIL();
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("reject.toml:7:1"), std::string::npos) << m;
    EXPECT_NE(m.find("create refuses"), std::string::npos) << m;
  }
}

TEST_F(AbiPipeline, LibraryStaysLoadedWhileThePipelineLives) {
  auto spec = pipeline::parse_pipeline_text(pipeline_text("fixture_good", ""), "life.toml");
  std::weak_ptr<const plugin::LoadedPlugin> weak;
  std::unique_ptr<pipeline::Pipeline> p;
  {
    plugin::PluginRegistry r(spec.runtime.plugin_paths);
    p = pipeline::Pipeline::load(spec, r);
    weak = r.get("fixture_good");
  }  // registry gone
  EXPECT_FALSE(weak.expired());
  Executor ex(ctx());
  EXPECT_EQ(p->run(ctx(), ex).at("s.y").to_f32().size(), 6u);
  p.reset();
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace facet::test
