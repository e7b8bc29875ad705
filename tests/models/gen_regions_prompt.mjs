// Writes tests/models/goldens/regions/prompt_ids.json: the ids transformers.js's tokenizer engine
// (@lenml/tokenizers) gives for the region prompt of make_regions_tiny.py with llava_tiny's
// tokenizer, a "<region>" marker tokenized as an "<image>" marker is (Facet's rule: one encode in
// which both kinds of marker are the "<image>" token 32000), with -1 where the image goes and -2
// where a region goes.
// Usage: NODE_PATH=<folder with node_modules/@lenml/tokenizers> node gen_regions_prompt.mjs
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(path.join(process.env.NODE_PATH || process.cwd(), "x.js"));
const { TokenizerLoader } = require("@lenml/tokenizers");

const here = path.dirname(fileURLToPath(import.meta.url));
const folder = path.join(here, "..", "data", "tokenizers", "llava");
const llava = TokenizerLoader.fromPreTrained({
  tokenizerJSON: JSON.parse(fs.readFileSync(path.join(folder, "tokenizer.json"), "utf8")),
  tokenizerConfig: JSON.parse(fs.readFileSync(path.join(folder, "tokenizer_config.json"), "utf8")),
});
const message = "What is in <region> and <region>?";
const text = "<s>USER: <image>\n" + message + " ASSISTANT:";
const kinds = [...text.matchAll(/<image>|<region>/g)].map((m) => (m[0] === "<image>" ? -1 : -2));
let k = 0;
const ids = Array.from(llava.encode(text.replaceAll("<region>", "<image>"), { add_special_tokens: false })).map((id) =>
  id === 32000 ? kinds[k++] : id);
if (k !== kinds.length) throw new Error("markers and <image> tokens differ");
const out = { message, text, ids };
console.log(JSON.stringify(out));
fs.writeFileSync(path.join(here, "goldens", "regions", "prompt_ids.json"), JSON.stringify(out, null, 1) + "\n");
