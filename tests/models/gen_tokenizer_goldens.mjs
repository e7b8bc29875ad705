// Writes tests/data/tokenizers/<name>/expected.json: the ids an independent implementation
// (transformers.js's tokenizer engine, npm package @lenml/tokenizers) gives for every text of
// tests/data/tokenizers/corpus.json, with and without the post-processor's special tokens.
// The engine splits special-token literals out of the text; Facet does the same when asked to
// parse special tokens, which is how the test compares.
//
// Usage: NODE_PATH=<folder with node_modules/@lenml/tokenizers> node tests/models/gen_tokenizer_goldens.mjs
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(path.join(process.env.NODE_PATH || process.cwd(), "x.js"));
const { TokenizerLoader } = require("@lenml/tokenizers");

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(here, "..", "data", "tokenizers");
const corpus = JSON.parse(fs.readFileSync(path.join(dir, "corpus.json"), "utf8"));

for (const name of fs.readdirSync(dir).sort()) {
  const folder = path.join(dir, name);
  if (!fs.existsSync(path.join(folder, "tokenizer.json"))) continue;
  const tokenizer = TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(fs.readFileSync(path.join(folder, "tokenizer.json"), "utf8")),
    tokenizerConfig: JSON.parse(fs.readFileSync(path.join(folder, "tokenizer_config.json"), "utf8")),
  });
  const cases = corpus.map((text) => ({
    text,
    ids: Array.from(tokenizer.encode(text, { add_special_tokens: true })),
    ids_plain: Array.from(tokenizer.encode(text, { add_special_tokens: false })),
  }));
  fs.writeFileSync(path.join(folder, "expected.json"), JSON.stringify(cases, null, 0).replace(/\},\{/g, "},\n{") + "\n");
  console.log(`${name}: ${cases.length} texts, ${cases.reduce((n, c) => n + c.ids.length, 0)} ids`);
}
