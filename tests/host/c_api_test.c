/* The C API from C: open a device and a model, embed, generate with a streaming callback that
 * cancels, and the status and message of a failed call. Exit 0 when every check holds. */
#include <facet/facet.h>

#include <stdio.h>
#include <string.h>

static int fail(const char* what) {
  fprintf(stderr, "FAILED: %s (%s)\n", what, facet_last_error());
  return 1;
}

static int pieces = 0;
static int on_text(const char* piece, void* user) {
  (void)piece;
  (void)user;
  return ++pieces < 2; /* stop after the second piece */
}

int main(int argc, char** argv) {
  if (argc != 2) return fail("usage: c_api_test MODELS_DIR");
  char path[4096];
  facet_device* dev = NULL;
  if (facet_device_open(NULL, &dev) != FACET_OK) return fail("facet_device_open");

  facet_model* bad = NULL;
  snprintf(path, sizeof path, "%s/no_such_model", argv[1]);
  if (facet_model_open(dev, path, &bad) != FACET_ERROR_INPUT || bad) return fail("a missing folder is FACET_ERROR_INPUT");
  if (!strstr(facet_last_error(), "no_such_model")) return fail("the message names the folder");

  facet_model* clip = NULL;
  snprintf(path, sizeof path, "%s/clip_tiny", argv[1]);
  if (facet_model_open(dev, path, &clip) != FACET_OK) return fail("open clip_tiny");
  const char* texts[] = {"a photo of a cat", "a dog"};
  float* emb = NULL;
  size_t rows = 0, dim = 0;
  if (facet_embed_texts(clip, texts, 2, &emb, &rows, &dim) != FACET_OK || rows != 2 || dim == 0) return fail("embed texts");
  facet_free(emb);
  char* text = NULL;
  if (facet_generate(clip, "hi", NULL, 0, NULL, NULL, NULL, &text) != FACET_ERROR_USAGE) return fail("clip cannot generate");
  facet_model_close(clip);

  facet_model* llm = NULL;
  snprintf(path, sizeof path, "%s/llama_tiny", argv[1]);
  if (facet_model_open(dev, path, &llm) != FACET_OK) return fail("open llama_tiny");
  facet_device_close(dev); /* the model keeps what it needs */
  facet_generate_options o;
  facet_generate_options_init(&o);
  o.max_tokens = 8;
  if (facet_generate(llm, "Hello world", NULL, 0, &o, on_text, NULL, &text) != FACET_OK) return fail("generate");
  if (pieces != 2) return fail("the callback stopped the reply");
  facet_free(text);
  o.temperature = -1;
  if (facet_generate(llm, "Hello world", NULL, 0, &o, NULL, NULL, &text) != FACET_ERROR_INPUT) return fail("a negative temperature");
  facet_model_close(llm);
  printf("C API test passed (libfacet %s)\n", facet_version());
  return 0;
}
