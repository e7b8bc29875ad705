// Writes goldens/llava/instructblip/instruction_ids.json: for each instruction of
// goldens/llava/instructblip/instructions.json (gen_qformer_models.py), the ids transformers.js's
// tokenizer engine (@lenml/tokenizers) gives with the tiny InstructBLIP's Q-Former tokenizer
// (tests/data/tokenizers/qformer_tiny, WordPiece), special tokens included ([CLS] ... [SEP]).
// Usage: NODE_PATH=<folder with node_modules/@lenml/tokenizers> node gen_instruction_ids.mjs
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(path.join(process.env.NODE_PATH || process.cwd(), "x.js"));
const { TokenizerLoader } = require("@lenml/tokenizers");

const here = path.dirname(fileURLToPath(import.meta.url));
const folder = path.join(here, "..", "data", "tokenizers", "qformer_tiny");
const tokenizer = TokenizerLoader.fromPreTrained({
  tokenizerJSON: JSON.parse(fs.readFileSync(path.join(folder, "tokenizer.json"), "utf8")),
  tokenizerConfig: JSON.parse(fs.readFileSync(path.join(folder, "tokenizer_config.json"), "utf8")),
});
const goldens = path.join(here, "goldens", "llava", "instructblip");
const instructions = JSON.parse(fs.readFileSync(path.join(goldens, "instructions.json"), "utf8"));
const out = {};
for (const { name, instruction } of instructions) {
  out[name] = Array.from(tokenizer.encode(instruction, { add_special_tokens: true }));
  console.log(name, JSON.stringify(instruction), JSON.stringify(out[name]));
}
fs.writeFileSync(path.join(goldens, "instruction_ids.json"), JSON.stringify(out, null, 1) + "\n");
