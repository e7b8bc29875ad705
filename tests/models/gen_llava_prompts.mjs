// Writes tests/models/goldens/llava/prompt_ids.json: for each rendered LLaVA prompt of
// goldens/llava/prompts.json (gen_llava_models.py tokenizers), the ids transformers.js's tokenizer
// engine (@lenml/tokenizers) gives, with -1 where an image goes:
//   hf:   one encode with the llava tokenizer, whose "<image>" token (32000) marks the image;
//   repo: LLaVA's tokenizer_image_token with the plain LLaMA-2 tokenizer: the text split at each
//         "<image>", each piece encoded on its own without special tokens ("<s>" in the text is
//         still read as BOS).
// Usage: NODE_PATH=<folder with node_modules/@lenml/tokenizers> node gen_llava_prompts.mjs
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(path.join(process.env.NODE_PATH || process.cwd(), "x.js"));
const { TokenizerLoader } = require("@lenml/tokenizers");

const here = path.dirname(fileURLToPath(import.meta.url));
const tokenizers = path.join(here, "..", "data", "tokenizers");
const load = (name) =>
  TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(fs.readFileSync(path.join(tokenizers, name, "tokenizer.json"), "utf8")),
    tokenizerConfig: JSON.parse(fs.readFileSync(path.join(tokenizers, name, "tokenizer_config.json"), "utf8")),
  });
const llava = load("llava");
const llama2 = load("llama2");
const prompts = JSON.parse(fs.readFileSync(path.join(here, "goldens", "llava", "prompts.json"), "utf8"));
const out = {};
for (const { name, text } of prompts) {
  const hf = Array.from(llava.encode(text, { add_special_tokens: false })).map((id) => (id === 32000 ? -1 : id));
  const repo = [];
  text.split("<image>").forEach((piece, i) => {
    if (i > 0) repo.push(-1);
    if (piece.length) repo.push(...Array.from(llama2.encode(piece, { add_special_tokens: false })));
  });
  out[name] = { text, hf, repo };
  console.log(name, JSON.stringify(out[name]));
}
fs.writeFileSync(path.join(here, "goldens", "llava", "prompt_ids.json"), JSON.stringify(out, null, 1) + "\n");
