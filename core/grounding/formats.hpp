// Box formats: how multimodal models write boxes in text, parsed into entities in the original
// image's pixels and written back for region prompts. Each format's numbers are relative to the
// image the model saw (Frame maps them to the original):
//   kosmos2   <phrase>a dog</phrase><object><patch_index_0044><patch_index_0863></object>, several
//             boxes joined by </delimiter_of_multi_objects/>; cells of a 32 x 32 grid. Parsing is
//             Kosmos2Processor.post_process_generation's (text, spans, boxes) to the letter.
//   shikra    a dog [0.102,0.230,0.500,0.600;0.600,0.100,0.900,0.400]: fractions of the seen image
//             (LLaVA-1.5 / Shikra pad to a square first), 3 decimals; the phrase is the text before
//             the brackets, back to the previous box or sentence punctuation.
//   qwen      Qwen-VL: <ref>a dog</ref><box>(102,230),(500,600)</box>, integers on a 0-1000 grid.
//   qwen2     Qwen2-VL: <|object_ref_start|>a dog<|object_ref_end|><|box_start|>(102,230),(500,600)<|box_end|>.
//   qwen2.5   Qwen2.5-VL: JSON objects {"bbox_2d": [x1, y1, x2, y2], "label": "a dog"} in pixels of
//             the image after smart_resize (in a ```json fence or bare, possibly cut short).
//   florence2 Florence-2: a dog<loc_102><loc_230><loc_500><loc_600>: 1000 bins per side, decoded at
//             bin centres; several quads may follow one phrase.
// Malformed, truncated or out-of-range box text never throws: the valid boxes are kept, corners
// given in the wrong order are swapped, and each repair or drop is a warning.
#pragma once

#include <string>

#include "grounding/box.hpp"
#include "grounding/frame.hpp"

namespace facet::grounding {

enum class Format { Kosmos2, Shikra, Qwen, Qwen2, Qwen25, Florence2 };

// "kosmos2", "shikra", "qwen", "qwen2", "qwen2.5", "florence2"; InputError listing them otherwise.
Format parse_format(const std::string& name);
const char* format_name(Format format);
// The format a model family writes, from config.json's model_type ("kosmos-2", "qwen2_vl", ...);
// LLaVA-style models (and anything unknown) write Shikra-style boxes.
Format format_for_model_type(const std::string& model_type);

// The model's text -> cleaned text and entities with boxes in the original image's pixels.
Grounding parse(Format format, const std::string& text, const Frame& frame);
// A box in the original image's pixels written as the model reads it (a region in a prompt).
std::string emit_box(Format format, const Box& original, const Frame& frame);

// The formats' parsers, one file each.
Grounding parse_kosmos2(const std::string& text, const Frame& frame);
Grounding parse_shikra(const std::string& text, const Frame& frame);
Grounding parse_qwen(const std::string& text, const Frame& frame, bool qwen2);
Grounding parse_qwen25(const std::string& text, const Frame& frame);
Grounding parse_florence2(const std::string& text, const Frame& frame);

}  // namespace facet::grounding
