/* Facet's host API in C (libfacet), for other languages: the calls of facet/facet.hpp with
 * status codes instead of exceptions. A failed call returns its status and leaves a message,
 * naming the file, field or tensor it is about, for facet_last_error() on the same thread.
 * Memory the library hands out (arrays, text, pixels) is released with facet_free.
 * Thread safety as facet.hpp says: a device serializes the calls of its models. */
#ifndef FACET_H
#define FACET_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define FACET_C_API __declspec(dllexport)
#else
#define FACET_C_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The exit codes of the facet CLI. */
typedef enum facet_status {
  FACET_OK = 0,
  FACET_ERROR_INTERNAL = 1,
  FACET_ERROR_USAGE = 2,   /* a call the model cannot answer, a bad argument */
  FACET_ERROR_INPUT = 3,   /* a file, config, image or prompt */
  FACET_ERROR_PLUGIN = 4,
  FACET_ERROR_GPU = 5      /* out of memory, device lost, timeout, no device */
} facet_status;

typedef struct facet_device facet_device;
typedef struct facet_model facet_model;

FACET_C_API const char* facet_version(void);
/* The message of this thread's last failed call ("" when none). Valid until the next call. */
FACET_C_API const char* facet_last_error(void);
FACET_C_API void facet_free(void* p);

/* `selector`: index, vendor, type or name substring; NULL or "" for the best device. */
FACET_C_API facet_status facet_device_open(const char* selector, facet_device** out);
FACET_C_API void facet_device_close(facet_device* device);

/* A model folder, GGUF file, pipeline TOML or Stable Diffusion folder / single file. The model
 * keeps what it needs of the device: the device may be closed first. */
FACET_C_API facet_status facet_model_open(facet_device* device, const char* path, facet_model** out);
FACET_C_API void facet_model_close(facet_model* model);

/* f32 [*rows, *dim], row-major, in *out (facet_free). */
FACET_C_API facet_status facet_embed_images(facet_model* model, const char* const* paths, size_t count, float** out,
                                            size_t* rows, size_t* dim);
FACET_C_API facet_status facet_embed_texts(facet_model* model, const char* const* texts, size_t count, float** out,
                                           size_t* rows, size_t* dim);

typedef struct facet_generate_options {
  size_t struct_size; /* sizeof(facet_generate_options): set by facet_generate_options_init */
  int max_tokens;
  float temperature, top_p, min_p, repeat_penalty;
  int top_k;
  uint64_t seed;
  int prompt_mode; /* 0 auto, 1 chat (the model's template), 2 raw */
} facet_generate_options;
FACET_C_API void facet_generate_options_init(facet_generate_options* options);

/* Receives each piece of the reply as it is decided; return 0 to stop (cancel). */
typedef int (*facet_text_callback)(const char* piece, void* user);

/* The reply to `prompt` with `image_count` images (paths) in *text (facet_free). `options` and
 * `on_text` may be NULL. */
FACET_C_API facet_status facet_generate(facet_model* model, const char* prompt, const char* const* image_paths,
                                        size_t image_count, const facet_generate_options* options,
                                        facet_text_callback on_text, void* user, char** text);

/* The `facet ground --json` object for one image, in *json (facet_free); `prompt` may be NULL. */
FACET_C_API facet_status facet_ground(facet_model* model, const char* image_path, const char* prompt, char** json);

/* An image from a prompt: 8-bit RGB [*height, *width, 3] in *pixels (facet_free). */
FACET_C_API facet_status facet_txt2img(facet_model* model, const char* prompt, const char* negative_prompt, int steps,
                                       double cfg_scale, uint64_t seed, int width, int height, uint8_t** pixels,
                                       int* out_width, int* out_height);

#ifdef __cplusplus
}
#endif

#endif /* FACET_H */
