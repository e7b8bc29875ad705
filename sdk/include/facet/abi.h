/* Facet plugin ABI — C only.
 *
 * A plugin is a shared library exporting one symbol, FACET_PLUGIN_ENTRY_SYMBOL, of type
 * facet_plugin_entry_fn. The host calls it once with its host API table and gets back a
 * versioned descriptor of the plugin's components and embedded kernels. Everything that crosses
 * the boundary is a C type; failures are status codes with a message written into a
 * facet_error the caller provides. Nothing may throw across this boundary.
 *
 * Versioning: every struct that may grow starts with struct_size. abi_major changes break
 * compatibility (the host refuses a different major); abi_minor additions only append members
 * (the host accepts a plugin built for an older or equal minor).
 */
#ifndef FACET_ABI_H
#define FACET_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FACET_ABI_MAJOR 1
#define FACET_ABI_MINOR 4
#define FACET_PLUGIN_ENTRY_SYMBOL "facet_plugin_entry"
#define FACET_MAX_DIMS 4
#define FACET_ERROR_CAPACITY 512

#if defined(_WIN32)
#define FACET_EXPORT __declspec(dllexport)
#else
#define FACET_EXPORT __attribute__((visibility("default")))
#endif

typedef enum facet_status {
  FACET_OK = 0,
  FACET_ERROR_INVALID_ARGUMENT = 1, /* bad params, shapes, weights: the user's input is wrong */
  FACET_ERROR_UNSUPPORTED = 2,      /* valid request this plugin or device cannot serve */
  FACET_ERROR_INTERNAL = 3,         /* a bug or an unexpected exception inside the plugin */
  FACET_ERROR_GPU = 4               /* out of device memory, device lost, timeout */
} facet_status;

/* Error message buffer; whoever fails writes a NUL-terminated message naming what is wrong. */
typedef struct facet_error {
  char message[FACET_ERROR_CAPACITY];
} facet_error;

typedef enum facet_dtype {
  FACET_DTYPE_F32 = 0,
  FACET_DTYPE_F16 = 1,
  FACET_DTYPE_BF16 = 2,
  FACET_DTYPE_I32 = 3,
  FACET_DTYPE_Q8_0 = 4, /* GGUF block layouts: blocks along the innermost dimension */
  FACET_DTYPE_Q4_0 = 5,
  FACET_DTYPE_Q4_1 = 6,
  FACET_DTYPE_Q4_K = 7,
  FACET_DTYPE_Q6_K = 8,
  FACET_DTYPE_ANY = 255 /* only in port descriptors: any dtype accepted */
} facet_dtype;

typedef enum facet_component_kind {
  FACET_KIND_ENCODER = 0,
  FACET_KIND_ADAPTER = 1,
  FACET_KIND_LLM = 2,
  FACET_KIND_GROUNDING = 3,
  FACET_KIND_GENERATOR = 4
} facet_component_kind;

/* Shape and dtype of a tensor. Dimensions are outermost first (row-major). */
typedef struct facet_tensor_desc {
  facet_dtype dtype;
  uint32_t rank;
  int64_t dims[FACET_MAX_DIMS];
} facet_tensor_desc;

/* A port contract: dtype (or FACET_DTYPE_ANY), rank, and each dim fixed (>= 1) or free (-1). */
typedef struct facet_port_desc {
  const char* name;
  facet_tensor_desc contract;
  const char* doc;
} facet_port_desc;

typedef enum facet_param_type {
  FACET_PARAM_INT = 0,
  FACET_PARAM_FLOAT = 1,
  FACET_PARAM_BOOL = 2,
  FACET_PARAM_STRING = 3
} facet_param_type;

typedef struct facet_param_desc {
  const char* name;
  facet_param_type type;
  int required;              /* nonzero: the pipeline must set it */
  const char* default_value; /* text form used when not required and not set (may be NULL) */
  const char* doc;
} facet_param_desc;

/* A parameter value, already checked against its facet_param_desc by the host. */
typedef struct facet_param_value {
  facet_param_type type;
  int64_t i;       /* INT and BOOL */
  double f;        /* FLOAT */
  const char* s;   /* STRING (valid during create) */
} facet_param_value;

/* Opaque host objects. */
typedef struct facet_weights_t* facet_weights; /* a stage's weight file(s), read lazily */
typedef struct facet_graph_t* facet_graph;     /* the graph a component adds its nodes to */
typedef uint32_t facet_tensor;                 /* a value inside a facet_graph */
#define FACET_NO_TENSOR 0xFFFFFFFFu            /* an unwired optional input (ABI 1.3) */

/* Attribute of a core op (see docs/ops.md for each op's attributes). */
typedef enum facet_attr_type { FACET_ATTR_INT = 0, FACET_ATTR_FLOAT = 1 } facet_attr_type;
typedef struct facet_attr {
  const char* name;
  facet_attr_type type;
  int64_t i;
  double f;
} facet_attr;

/* Optional CPU reference of a plugin kernel, used by tests and the executor's debug mode.
 * Inputs and output are dense float32 (quantized inputs arrive dequantized). */
typedef facet_status (*facet_cpu_reference_fn)(const float* const* inputs,
                                               const facet_tensor_desc* input_descs,
                                               uint32_t n_inputs, float* output,
                                               const facet_tensor_desc* output_desc,
                                               const void* push_constants, uint32_t push_size,
                                               facet_error* error);

/* A dispatch of one of the plugin's own kernels. Bindings: inputs at 0..n_inputs-1, the output
 * at n_inputs. Push constants are at most 128 bytes. */
typedef struct facet_dispatch_desc {
  uint32_t struct_size;
  const char* kernel;          /* "<plugin>/<shader stem>" */
  const char* node_name;       /* e.g. "merge.shuffle" */
  const facet_tensor* inputs;
  uint32_t n_inputs;
  facet_tensor_desc output;
  const void* push_constants;
  uint32_t push_size;
  uint32_t groups[3];
  const uint32_t* spec_constants; /* constant_id i = spec_constants[i] */
  uint32_t n_spec_constants;
  facet_cpu_reference_fn cpu_reference; /* may be NULL */
} facet_dispatch_desc;

/* The host API handed to the plugin's entry point. Every function returns a status; on failure
 * host->last_error() returns the message (thread-local, valid until the next call). */
typedef struct facet_host_api {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  void (*log)(int level, const char* message); /* 0 trace .. 5 critical */
  const char* (*last_error)(void);
  /* Weights: metadata without reading data (usable in create), and a graph constant. */
  facet_status (*weights_find)(facet_weights weights, const char* name, facet_tensor_desc* desc,
                               int* found);
  facet_status (*graph_weight)(facet_graph graph, facet_weights weights, const char* name,
                               facet_tensor* out);
  /* Graph building. */
  facet_status (*graph_desc)(facet_graph graph, facet_tensor tensor, facet_tensor_desc* desc);
  facet_status (*graph_op)(facet_graph graph, const char* op, const char* node_name,
                           const facet_tensor* inputs, uint32_t n_inputs, const facet_attr* attrs,
                           uint32_t n_attrs, facet_tensor* out);
  facet_status (*graph_reshape)(facet_graph graph, facet_tensor tensor,
                                const facet_tensor_desc* shape, facet_tensor* out);
  facet_status (*graph_dispatch)(facet_graph graph, const facet_dispatch_desc* dispatch,
                                 facet_tensor* out);
  /* Since 1.1. An auxiliary file of the weights' model folder (e.g. "config.json",
   * "preprocessor_config.json"), read whole: *data stays valid while the weights live and is not
   * NUL-terminated; *found = 0 when the file is absent. `name` is a plain file name. */
  facet_status (*weights_file)(facet_weights weights, const char* name, const char** data, size_t* size,
                               int* found);
  /* Since 1.2. A persistent tensor of the stage (a KV cache): the executor keeps one device buffer
   * per "<stage>.<name>" across runs, zero-filled where it can be mapped. Written with the in-place
   * core op "set_rows", whose output (a view of the state) is what later nodes read. */
  facet_status (*graph_state)(facet_graph graph, const char* name, const facet_tensor_desc* desc,
                              facet_tensor* out);
  /* Since 1.2. A constant computed by the plugin (e.g. rotary cos/sin tables): the host copies
   * `bytes` bytes (desc's size) and keeps one copy per distinct content, so rebuilding a graph with
   * the same table keeps its recorded plan. */
  facet_status (*graph_constant)(facet_graph graph, const char* name, const facet_tensor_desc* desc,
                                 const void* data, size_t bytes, facet_tensor* out);
  /* Since 1.4. The stored bytes of a weight tensor, read in place from the file mapping (valid
   * while the weights live), with its desc: for the few small tensors a plugin needs on the host
   * (e.g. rotary frequency factors). Large tensors belong in graphs (graph_weight). */
  facet_status (*weights_data)(facet_weights weights, const char* name, facet_tensor_desc* desc, const void** data,
                               size_t* bytes);
  /* Since 1.4. A weight as `dtype` (quantize on load): an f32, f16 or bf16 tensor whose rows are
   * whole blocks becomes FACET_DTYPE_Q8_0, Q4_0 or Q4_1, encoded while it is uploaded (no copy of
   * the whole tensor in host memory). The stored dtype itself is graph_weight. */
  facet_status (*graph_weight_as)(facet_graph graph, facet_weights weights, const char* name, facet_dtype dtype,
                                  facet_tensor* out);
} facet_host_api;

/* What the host tells a component when it creates a stage. */
typedef struct facet_stage_config {
  uint32_t struct_size;
  const char* stage_id;
  const facet_param_value* params; /* one per facet_param_desc, in declaration order */
  uint32_t n_params;
  facet_weights weights;           /* NULL when the stage names no weights */
} facet_stage_config;

typedef struct facet_component_desc {
  uint32_t struct_size;
  const char* name;
  facet_component_kind kind;
  const char* doc;
  const facet_port_desc* inputs;
  uint32_t n_inputs;
  const facet_port_desc* outputs;
  uint32_t n_outputs;
  const facet_param_desc* params;
  uint32_t n_params;
  /* Required. Reads params and weight metadata; allocates nothing on the GPU. */
  facet_status (*create)(const facet_stage_config* config, void** instance, facet_error* error);
  /* Required. Output descs from input descs, before any GPU work (pipeline validation). */
  facet_status (*infer)(void* instance, const facet_tensor_desc* inputs, facet_tensor_desc* outputs,
                        facet_error* error);
  /* Required. Adds the component's nodes to graph; inputs/outputs are indexed like the ports. */
  facet_status (*build)(void* instance, facet_graph graph, const facet_tensor* inputs,
                        facet_tensor* outputs, facet_error* error);
  /* Required. */
  void (*destroy)(void* instance);
  /* Since 1.3 (read only when struct_size covers it). Bit i set: input port i may be left
   * unwired. An unwired input reaches infer() as a desc with dtype FACET_DTYPE_ANY and rank 0,
   * and build() as FACET_NO_TENSOR. */
  uint64_t optional_inputs;
} facet_component_desc;

/* An embedded SPIR-V kernel, registered by the host as `name`. */
typedef struct facet_kernel_desc {
  const char* name;
  const uint32_t* spirv;
  size_t spirv_size; /* bytes */
} facet_kernel_desc;

typedef struct facet_plugin_desc {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  const char* name;
  const char* version;
  const facet_component_desc* components;
  uint32_t n_components;
  const facet_kernel_desc* kernels;
  uint32_t n_kernels;
} facet_plugin_desc;

/* The one exported symbol. Returns NULL only if the plugin cannot run with this host. */
typedef const facet_plugin_desc* (*facet_plugin_entry_fn)(const facet_host_api* host);

#ifdef __cplusplus
}
#endif

#endif /* FACET_ABI_H */
