// NPY reading/writing and device selection.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/npy.hpp"
#include "util/error.hpp"
#include "vk/context.hpp"
#include "vk/vk_check.hpp"

namespace facet {
namespace {

TEST(Npy, RoundTripsF32) {
  std::string path = ::testing::TempDir() + "/rt.npy";
  HostTensor t = HostTensor::from_f32(TensorDesc(DType::F32, {2, 3}), {1, 2, 3, 4, 5, 6.5f});
  io::write_npy(path, t);
  HostTensor r = io::read_npy(path);
  EXPECT_EQ(r.desc, t.desc);
  EXPECT_EQ(r.to_f32(), t.to_f32());
  io::write_npy(path, HostTensor::from_f32(TensorDesc(DType::F32, {3}), {1, 2, 3}));
  EXPECT_EQ(io::read_npy_desc(path), TensorDesc(DType::F32, {3}));
}

TEST(Npy, RejectsMalformedFiles) {
  std::string path = ::testing::TempDir() + "/bad.npy";
  auto expect_error = [&](const std::string& bytes, const char* what) {
    std::ofstream(path, std::ios::binary) << bytes;
    try {
      io::read_npy(path);
      ADD_FAILURE() << "accepted: " << what;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  auto npy = [](const std::string& header, size_t data) {
    std::string h = header;
    std::string s = std::string("\x93NUMPY\x01\x00", 8);
    s += static_cast<char>(h.size() & 0xFF);
    s += static_cast<char>(h.size() >> 8);
    return s + h + std::string(data, '\0');
  };
  expect_error("hello", "bad magic");
  expect_error(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16), "not supported");
  expect_error(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8), "Fortran");
  expect_error(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8), "needs 12");
  expect_error(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8), "big-endian");
  expect_error(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1), }", 4), "rank above 4");
  expect_error(std::string("\x93NUMPY\x01\x00\xff\xff", 10), "truncated header");
  expect_error(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 1), }", 8), "negative dimension");
  expect_error(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", 8), "other than numbers");
  expect_error(npy("{'descr': '<f4', 'shape': (2,), 'extra': 1}", 8), "unexpected header key 'extra'");
  expect_error(npy("{'descr': '<f4', 'shape': (2,)", 8), "'}'");
  expect_error(npy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,)}", 8), "True or False");
}

// Headers as numpy and other writers produce them: double quotes, long padding, v2, scalars.
TEST(Npy, ReadsEveryHeaderForm) {
  const std::string dir = std::string(FACET_SOURCE_DIR) + "/tests/fuzz/corpus/npy/";
  EXPECT_EQ(io::read_npy(dir + "f4-2x3.npy").desc, TensorDesc(DType::F32, {2, 3}));
  EXPECT_EQ(io::read_npy(dir + "double-quotes.npy").desc, TensorDesc(DType::F32, {3, 2}));
  EXPECT_EQ(io::read_npy(dir + "long-whitespace.npy").desc, TensorDesc(DType::F32, {6}));
  EXPECT_EQ(io::read_npy(dir + "v2.npy").desc, TensorDesc(DType::F32, {6}));
  EXPECT_EQ(io::read_npy(dir + "f2-6.npy").desc, TensorDesc(DType::F16, {6}));
  EXPECT_EQ(io::read_npy(dir + "i4-scalar.npy").desc.rank, 0u);
  EXPECT_EQ(io::read_npy(dir + "f4-2x3.npy").to_f32(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

// A write that fails leaves neither a truncated file nor the temporary one.
TEST(Npy, WritesWholeFilesOnly) {
  const std::string dir = ::testing::TempDir() + "/npy-atomic";
  std::filesystem::create_directories(dir);
  const HostTensor t = HostTensor::from_f32(TensorDesc(DType::F32, {2}), {1, 2});
  io::write_npy(dir + "/a.npy", t);
  EXPECT_FALSE(std::filesystem::exists(dir + "/a.npy.part"));
  EXPECT_THROW(io::write_npy(dir + "/missing/b.npy", t), InputError);
  EXPECT_FALSE(std::filesystem::exists(dir + "/missing/b.npy.part"));
  EXPECT_EQ(io::read_npy(dir + "/a.npy").to_f32(), (std::vector<float>{1, 2}));
}

vk::DeviceInfo fake(uint32_t index, const char* name, VkPhysicalDeviceType type, vk::Vendor vendor) {
  vk::DeviceInfo d;
  d.index = index;
  d.name = name;
  d.type = type;
  d.vendor = vendor;
  return d;
}

TEST(DeviceSelect, ByIndexNameVendorTypeAndDefault) {
  std::vector<vk::DeviceInfo> devs = {fake(0, "llvmpipe (LLVM 15)", VK_PHYSICAL_DEVICE_TYPE_CPU, vk::Vendor::Mesa),
                                      fake(1, "Intel(R) UHD 770", VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, vk::Vendor::Intel),
                                      fake(2, "NVIDIA H100", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, vk::Vendor::Nvidia)};
  EXPECT_EQ(vk::select_device(devs, ""), 2u);  // discrete first
  EXPECT_EQ(vk::select_device(devs, "1"), 1u);
  EXPECT_EQ(vk::select_device(devs, "nvidia"), 2u);
  EXPECT_EQ(vk::select_device(devs, "cpu"), 0u);
  EXPECT_EQ(vk::select_device(devs, "LLVMPIPE"), 0u);
  EXPECT_EQ(vk::select_device(devs, "uhd"), 1u);
  try {
    vk::select_device(devs, "7");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no Vulkan device matches selector '7'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("2: NVIDIA H100"), std::string::npos);
  }
  EXPECT_THROW(vk::select_device({}, ""), GpuError);
}

TEST(DeviceSelect, FlagBeatsEnvironmentBeatsToml) {
  setenv("FACET_DEVICE", "from-env", 1);
  EXPECT_EQ(vk::resolve_device_selector("from-flag", "from-toml"), "from-flag");
  EXPECT_EQ(vk::resolve_device_selector("", "from-toml"), "from-env");
  unsetenv("FACET_DEVICE");
  EXPECT_EQ(vk::resolve_device_selector("", "from-toml"), "from-toml");
}

}  // namespace
}  // namespace facet

namespace facet {
namespace {
TEST(VkErrors, ResultsBecomeTypedErrorsWithExitCode5) {
  auto kind_of = [](VkResult r) {
    try {
      vk::check(r, "vkQueueSubmit of node 'blk.0.mm'");
    } catch (const GpuError& e) {
      EXPECT_EQ(e.code(), ExitCode::Gpu);
      EXPECT_NE(std::string(e.what()).find("vkQueueSubmit of node 'blk.0.mm' failed: "), std::string::npos);
      return e.kind;
    }
    ADD_FAILURE() << "no error for " << r;
    return GpuError::Kind::Other;
  };
  EXPECT_EQ(kind_of(VK_ERROR_OUT_OF_DEVICE_MEMORY), GpuError::Kind::OutOfDeviceMemory);
  EXPECT_EQ(kind_of(VK_ERROR_OUT_OF_HOST_MEMORY), GpuError::Kind::OutOfDeviceMemory);
  EXPECT_EQ(kind_of(VK_ERROR_DEVICE_LOST), GpuError::Kind::DeviceLost);
  EXPECT_EQ(kind_of(VK_TIMEOUT), GpuError::Kind::Timeout);
  EXPECT_EQ(kind_of(VK_ERROR_INITIALIZATION_FAILED), GpuError::Kind::Other);
  EXPECT_NO_THROW(vk::check(VK_SUCCESS, "ok"));
}
}  // namespace
}  // namespace facet
