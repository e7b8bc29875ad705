/* embed MODEL TEXT...: CLIP text embeddings through Facet's C API (build: cc embed.c $(pkg-config --cflags --libs facet)). */
#include <facet/facet.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: embed MODEL TEXT...\n");
    return 2;
  }
  facet_device* gpu = NULL;
  facet_model* clip = NULL;
  float* v = NULL;
  size_t rows = 0, dim = 0;
  facet_status s = facet_device_open(NULL, &gpu);
  if (s == FACET_OK) s = facet_model_open(gpu, argv[1], &clip);
  if (s == FACET_OK) s = facet_embed_texts(clip, (const char* const*)(argv + 2), (size_t)(argc - 2), &v, &rows, &dim);
  if (s != FACET_OK) {
    fprintf(stderr, "error: %s\n", facet_last_error());
    return (int)s;
  }
  for (size_t r = 0; r < rows; ++r) printf("%s: [%g, %g, ...] (%zu numbers)\n", argv[2 + r], v[r * dim], v[r * dim + 1], dim);
  facet_free(v);
  facet_model_close(clip);
  facet_device_close(gpu);
  return 0;
}
