// Pipeline TOML: syntax errors and every validation error carry file:line:column, and all of
// it is caught before any GPU work (these tests create no Vulkan context).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/npy.hpp"
#include "pipeline/pipeline.hpp"
#include "support/safetensors_writer.hpp"
#include "util/error.hpp"

namespace facet::test {
namespace {

class PipelineToml : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/toml_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(dir_);
    io::write_npy(dir_ + "/features.npy", HostTensor::from_f32(TensorDesc(DType::F32, {16, 8}), std::vector<float>(128, 0.5f)));
    write_file(dir_ + "/proj.safetensors",
               safetensors_bytes({st_f32("weight", {4, 32}, std::vector<float>(128, 0.1f)), st_f32("bias", {4}, {0, 1, 2, 3})}));
  }
  // Head of a valid two-stage pipeline; tests append or replace lines.
  std::string head() const {
    return "schema_version = 1\n"
           "[runtime]\n"
           "plugin_paths = [\"" FACET_TEST_PLUGIN_DIR "\", \"" FACET_PLUGIN_DIR "\"]\n"
           "[[input]]\n"
           "id = \"features\"\n"
           "file = \"features.npy\"\n";
  }
  std::string merge(const std::string& extra = "") const {
    return "[[stage]]\nid = \"merge\"\nplugin = \"adapter_pixel_shuffle\"\ninputs = { x = \"features\" }\n" + extra;
  }
  std::string project(const std::string& input = "merge.y", const std::string& extra = "") const {
    return "[[stage]]\nid = \"project\"\nplugin = \"adapter_linear\"\nweights = \"proj.safetensors\"\ninputs = { x = \"" + input +
           "\" }\n" + extra;
  }
  // Parses and validates; returns the error message ("" when valid) and its exit code.
  std::pair<std::string, ExitCode> check(const std::string& text) {
    std::string path = dir_ + "/p.toml";
    std::ofstream(path) << text;
    try {
      auto spec = pipeline::parse_pipeline_file(path);
      plugin::PluginRegistry r(spec.runtime.plugin_paths);
      pipeline::Pipeline::load(spec, r);
    } catch (const Error& e) {
      std::string m = e.what();
      std::string prefix = dir_ + "/";
      if (m.rfind(prefix, 0) == 0) m = m.substr(prefix.size());
      return {m, e.code()};
    }
    return {"", ExitCode::Ok};
  }
  std::string dir_;
};

TEST_F(PipelineToml, ValidPipelineInfersShapesThroughPlugins) {
  std::string path = dir_ + "/ok.toml";
  std::ofstream(path) << head() << merge() << project() << "[output]\ntensors = [\"project.y\"]\n";
  auto spec = pipeline::parse_pipeline_file(path);
  plugin::PluginRegistry r(spec.runtime.plugin_paths);
  auto p = pipeline::Pipeline::load(spec, r);
  ASSERT_EQ(p->stages().size(), 2u);
  EXPECT_EQ(p->stages()[0].outputs[0].second, TensorDesc(DType::F32, {4, 32}));
  EXPECT_EQ(p->stages()[1].outputs[0].second, TensorDesc(DType::F32, {4, 4}));
}

// A port fed by a list of sources receives their concatenation along the first dim.
TEST_F(PipelineToml, PortListsAreConcatenated) {
  std::string path = dir_ + "/list.toml";
  std::ofstream(path) << head() << merge()
                      << "[[stage]]\nid = \"project\"\nplugin = \"adapter_linear\"\nweights = \"proj.safetensors\"\n"
                         "inputs = { x = [\"merge.y\", \"merge.y\"] }\n[chat]\ntemplate = \"vicuna\"\n";
  auto spec = pipeline::parse_pipeline_file(path);
  EXPECT_EQ(spec.chat.template_name, "vicuna");
  ASSERT_EQ(spec.stages[1].inputs.at(0).second.size(), 2u);
  plugin::PluginRegistry r(spec.runtime.plugin_paths);
  auto p = pipeline::Pipeline::load(spec, r);
  EXPECT_EQ(p->stages()[1].outputs[0].second, TensorDesc(DType::F32, {8, 4}));
}

TEST_F(PipelineToml, SyntaxErrorHasLineAndColumn) {
  auto [m, code] = check(head() + "[[stage]]\nid = \"x\nplugin = 3\n");
  EXPECT_EQ(code, ExitCode::InvalidInput);
  EXPECT_EQ(m.rfind("p.toml:8:", 0), 0u) << m;
}

struct ErrorCase {
  const char* name;
  std::string text_suffix;  // appended to head()
  const char* position;     // "p.toml:L:C"
  const char* message;
  ExitCode code;
};

TEST_F(PipelineToml, ValidationErrorsCarryTheirPosition) {
  std::vector<ErrorCase> cases = {
      {"missing plugin", merge() + "[[stage]]\nid = \"p\"\nplugin = \"adapter_nowhere\"\ninputs = { x = \"merge.y\" }\n",
       "p.toml:13:10", "plugin 'adapter_nowhere' not found; searched", ExitCode::Plugin},
      {"unknown param", merge("params = { factor = 2, size = 3 }\n") + project(), "p.toml:11:31", "unknown param 'size'",
       ExitCode::InvalidInput},
      {"param type", merge("params = { factor = \"two\" }\n") + project(), "p.toml:11:21", "must be an integer",
       ExitCode::InvalidInput},
      {"wired to missing stage", merge() + project("nowhere.y"), "p.toml:15:16", "wired to missing stage 'nowhere'",
       ExitCode::InvalidInput},
      {"unknown port", merge() + project("merge.z"), "p.toml:15:16", "has no output port 'z'", ExitCode::InvalidInput},
      {"unknown input port", merge() + "[[stage]]\nid = \"p\"\nplugin = \"adapter_linear\"\nweights = \"proj.safetensors\"\ninputs = { q = \"merge.y\" }\n",
       "p.toml:15:16", "has no input port 'q'", ExitCode::InvalidInput},
      {"width mismatch", project("features"), "p.toml:7:1", "input width 8 does not match 'weight' in_features 32",
       ExitCode::InvalidInput},
      {"duplicate id", merge() + merge(), "p.toml:12:6", "duplicate id 'merge'", ExitCode::InvalidInput},
      {"cycle",
       "[[stage]]\nid = \"a\"\nplugin = \"adapter_pixel_shuffle\"\ninputs = { x = \"b.y\" }\n"
       "[[stage]]\nid = \"b\"\nplugin = \"adapter_pixel_shuffle\"\ninputs = { x = \"a.y\" }\n",
       "p.toml:7:1", "form a cycle", ExitCode::InvalidInput},
      {"missing weights file", merge() + "[[stage]]\nid = \"p\"\nplugin = \"adapter_linear\"\nweights = \"nope.safetensors\"\ninputs = { x = \"merge.y\" }\n",
       "p.toml:14:11", "do not exist", ExitCode::InvalidInput},
      {"unwired port", "[[stage]]\nid = \"m\"\nplugin = \"adapter_pixel_shuffle\"\n", "p.toml:7:1", "input port 'x' is not wired",
       ExitCode::InvalidInput},
      {"unknown key", merge("colour = \"red\"\n"), "p.toml:11:10", "unknown key 'colour'", ExitCode::InvalidInput},
      {"not a square grid", merge("params = { factor = 3 }\n"), "p.toml:7:1", "not divisible by factor 3", ExitCode::InvalidInput},
      {"unset variable", "[[stage]]\nid = \"p\"\nplugin = \"adapter_linear\"\nweights = \"${FACET_TEST_UNSET_VAR}/w.safetensors\"\n",
       "p.toml:10:11", "'FACET_TEST_UNSET_VAR'", ExitCode::InvalidInput},
      {"sources that cannot be concatenated",
       merge() + "[[stage]]\nid = \"p\"\nplugin = \"adapter_linear\"\nweights = \"proj.safetensors\"\ninputs = { x = [\"merge.y\", \"features\"] }\n",
       "p.toml:15:28", "differ beyond their first dim", ExitCode::InvalidInput},
      {"empty source list", merge() + "[[stage]]\nid = \"p\"\nplugin = \"adapter_linear\"\nweights = \"proj.safetensors\"\ninputs = { x = [] }\n",
       "p.toml:15:16", "wired to an empty list", ExitCode::InvalidInput},
      {"unknown input type", "[[input]]\nid = \"img\"\ntype = \"video\"\n" + merge(), "p.toml:9:8", "unknown input type 'video'",
       ExitCode::InvalidInput},
      {"processor on a file input", "[[input]]\nid = \"f2\"\nfile = \"features.npy\"\nprocessor = \"x\"\n" + merge(), "p.toml:10:13",
       "'processor' applies to inputs of type image", ExitCode::InvalidInput},
      {"run-time input without a language model", "[[input]]\nid = \"img\"\ntype = \"image\"\nprocessor = \".\"\n" + merge(),
       "p.toml:7:1", "is given at run time", ExitCode::InvalidInput},
      {"tokenizer on an image input", "[[input]]\nid = \"img\"\ntype = \"image\"\nprocessor = \".\"\ntokenizer = \"t\"\n" + merge(),
       "p.toml:11:13", "'tokenizer' applies to inputs of type instruction", ExitCode::InvalidInput},
      {"instruction without a tokenizer", "[[input]]\nid = \"ins\"\ntype = \"instruction\"\n" + merge(), "p.toml:7:1",
       "tokenizer", ExitCode::InvalidInput},
      {"instruction without a language model", "[[input]]\nid = \"ins\"\ntype = \"instruction\"\ntokenizer = \".\"\n" + merge(),
       "p.toml:7:1", "tokens, positions or instruction: pass --prompt", ExitCode::InvalidInput},
      {"unknown [chat] key", merge() + "[chat]\ncolour = 1\n", "p.toml:12:10", "unknown key 'colour' in [chat]", ExitCode::InvalidInput},
  };
  for (const ErrorCase& c : cases) {
    auto [m, code] = check(head() + c.text_suffix);
    EXPECT_EQ(m.rfind(c.position, 0), 0u) << c.name << ": " << m;
    EXPECT_NE(m.find(c.message), std::string::npos) << c.name << ": " << m;
    EXPECT_EQ(code, c.code) << c.name << ": " << m;
  }
}

TEST_F(PipelineToml, SchemaVersionIsRequiredAndChecked) {
  EXPECT_NE(check("[[stage]]\nid = \"a\"\nplugin = \"x\"\n").first.find("missing 'schema_version'"), std::string::npos);
  auto [m, code] = check("schema_version = 9\n" + merge());
  EXPECT_NE(m.find("p.toml:1:18: schema_version 9 is not supported"), std::string::npos) << m;
}

TEST_F(PipelineToml, MissingInputFileIsNamed) {
  std::string text = head();
  text.replace(text.find("features.npy"), 12, "missing.npy");
  auto [m, code] = check(text + merge());
  EXPECT_NE(m.find("p.toml:4:1: input 'features': file"), std::string::npos) << m;
  EXPECT_NE(m.find("missing.npy' does not exist"), std::string::npos) << m;
}

}  // namespace
}  // namespace facet::test
