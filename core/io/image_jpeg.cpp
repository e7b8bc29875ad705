// JPEG decoding with libjpeg-turbo, the library PIL decodes with, using PIL's settings (islow
// IDCT, fancy upsampling), so the pixels are the ones Hugging Face's processors see.
// libjpeg reports errors with longjmp: only trivially destructible state lives in decode_jpeg's
// frame between setjmp and the end of decoding.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <jpeglib.h>
#include <jerror.h>

#include "io/image.hpp"
#include "util/error.hpp"

namespace facet::io {

namespace {

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_error(j_common_ptr info) {
  auto* err = reinterpret_cast<ErrorManager*>(info->err);
  (*info->err->format_message)(info, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings are ignored, except premature end of data: PIL refuses truncated files, and so do we.
void on_message(j_common_ptr info, int level) {
  if (level == -1 && info->err->msg_code == JWRN_JPEG_EOF) on_error(info);
}

}  // namespace

// Decodes to RGB after checking the header against the limits; throws InputError naming `label`.
RgbImage decode_jpeg(const uint8_t* data, size_t size, const std::string& label) {
  jpeg_decompress_struct info;
  ErrorManager err;
  std::memset(&info, 0, sizeof(info));
  info.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.emit_message = on_message;
  err.message[0] = '\0';
  RgbImage image;  // sized before setjmp's second return can reach it
  const char* refusal = nullptr;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&info);
    throw InputError("image '" + label + "' is not a readable JPEG: " + std::string(err.message));
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, data, static_cast<unsigned long>(size));
  jpeg_read_header(&info, TRUE);
  const int64_t w = info.image_width, h = info.image_height;
  if (w <= 0 || h <= 0 || w > kMaxImageSide || h > kMaxImageSide || w * h > kMaxImagePixels) refusal = "size";
  else if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) refusal = "cmyk";
  if (refusal) {
    jpeg_destroy_decompress(&info);
    if (std::strcmp(refusal, "cmyk") == 0) throw InputError("image '" + label + "' is a CMYK JPEG, which Facet does not read");
    throw InputError(image_size_error(label, w, h));
  }
  info.out_color_space = JCS_RGB;
  info.dct_method = JDCT_ISLOW;
  info.do_fancy_upsampling = TRUE;
  image.width = w;
  image.height = h;
  image.pixels.resize(static_cast<size_t>(w * h * 3));
  jpeg_start_decompress(&info);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = &image.pixels[static_cast<size_t>(info.output_scanline) * static_cast<size_t>(w) * 3];
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return image;
}

}  // namespace facet::io
