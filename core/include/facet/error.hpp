// Typed errors of the Facet library (public header). Each kind maps to one exit code of the `facet`
// CLI (DESIGN.md §4) and one status of the C API (facet.h), and every message names the file,
// field, tensor, node or TOML line it is about.
#pragma once

#include <stdexcept>
#include <string>

#if defined(_WIN32)
#define FACET_API __declspec(dllexport)
#else
#define FACET_API __attribute__((visibility("default")))
#endif

namespace facet {

enum class ExitCode : int { Ok = 0, Internal = 1, Usage = 2, InvalidInput = 3, Plugin = 4, Gpu = 5 };

class FACET_API Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Wrong command-line usage.
struct FACET_API UsageError : Error {
  explicit UsageError(const std::string& m) : Error(ExitCode::Usage, m) {}
};
// Bad user input: a file, a config, a TOML pipeline, an image, a prompt, a shape.
struct FACET_API InputError : Error {
  explicit InputError(const std::string& m) : Error(ExitCode::InvalidInput, m) {}
};
// A plugin that cannot be found, loaded, or that failed a call.
struct FACET_API PluginError : Error {
  explicit PluginError(const std::string& m) : Error(ExitCode::Plugin, m) {}
};
// The GPU failed: out of device memory, device lost, a timeout, or no usable device.
struct FACET_API GpuError : Error {
  enum class Kind { OutOfDeviceMemory, DeviceLost, Timeout, NoDevice, Other };
  GpuError(Kind kind, const std::string& m) : Error(ExitCode::Gpu, m), kind(kind) {}
  Kind kind;
};
// A broken invariant inside Facet itself.
struct FACET_API InternalError : Error {
  explicit InternalError(const std::string& m) : Error(ExitCode::Internal, m) {}
};

}  // namespace facet
