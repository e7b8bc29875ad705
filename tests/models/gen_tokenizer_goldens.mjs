// Writes tests/data/tokenizers/<name>/expected.json: the ids an independent implementation
// (transformers.js's tokenizer engine, npm package @lenml/tokenizers) gives for every text of
// tests/data/tokenizers/corpus.json, with and without the post-processor's special tokens.
// The engine splits special-token literals out of the text; Facet does the same when asked to
// parse special tokens, which is how the test compares.
//
//
// Two parts of the engine approximate Hugging Face's tokenizers, and for files that use them the
// script replaces them with ports of Hugging Face's behaviour before encoding (and prints how
// many texts the unmodified engine gives the same ids for):
// - its Precompiled normalizer ignores the precompiled_charsmap and runs NFKC plus fixed
//   replacements; the port walks the charsmap's double-array trie, grapheme cluster by cluster
//   (Intl.Segmenter) with the shortest-prefix rule, as tokenizers' Precompiled does;
// - its Unigram model gives every unknown character its own unknown token; Hugging Face's fuses
//   a run of them into one.
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

// Hugging Face's Precompiled normalizer over a base64 precompiled_charsmap.
function precompiled(charsmap) {
  const buf = Buffer.from(charsmap, "base64");
  const trieBytes = buf.readUInt32LE(0);
  const units = [];
  for (let i = 0; i < trieBytes / 4; ++i) units.push(buf.readUInt32LE(4 + 4 * i));
  const pool = buf.subarray(4 + trieBytes);
  const offset = (u) => (u >>> 10) * (u & 512 ? 256 : 1);
  const transform = (bytes) => {  // the shortest key that prefixes `bytes`
    let pos = offset(units[0]);
    for (const c of bytes) {
      if (c === 0) break;
      pos ^= c;
      const u = units[pos];
      if (u === undefined || (u & 0x800000ff) !== c) return null;
      pos ^= offset(u);
      if ((u >>> 8) & 1) {
        const at = units[pos] & 0x7fffffff;
        const end = pool.indexOf(0, at);
        return pool.subarray(at, end < 0 ? pool.length : end).toString("utf8");
      }
    }
    return null;
  };
  const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });
  return (text) => {
    let out = "";
    for (const { segment } of graphemes.segment(text)) {
      const bytes = Buffer.from(segment, "utf8");
      const whole = bytes.length < 6 ? transform(bytes) : null;
      if (whole !== null) {
        out += whole;
        continue;
      }
      for (const ch of segment) {
        const r = transform(Buffer.from(ch, "utf8"));
        out += r === null ? ch : r;
      }
    }
    return out;
  };
}

// Replaces the engine's approximations (see the top) in a loaded tokenizer; true if any.
function followHuggingFace(tokenizer) {
  let changed = false;
  const visit = (n) => {
    if (!n) return;
    if (n.constructor.name === "Precompiled") {
      n.normalize = precompiled(n.config.precompiled_charsmap);
      changed = true;
    }
    for (const sub of n.normalizers || []) visit(sub);
  };
  visit(tokenizer.normalizer);
  const model = tokenizer.model;
  if (model.constructor.name === "Unigram") {
    const pieces = model.tokenize.bind(model);
    model.tokenize = (text) => {
      const out = [];
      let unknown = null;
      for (const p of pieces(text)) {
        if (model.tokens_to_ids.has(p)) {
          if (unknown !== null) out.push(unknown), (unknown = null);
          out.push(p);
        } else {
          unknown = (unknown ?? "") + p;
        }
      }
      if (unknown !== null) out.push(unknown);
      return out;
    };
    changed = true;
  }
  return changed;
}

for (const name of fs.readdirSync(dir).sort()) {
  const folder = path.join(dir, name);
  if (!fs.existsSync(path.join(folder, "tokenizer.json"))) continue;
  const load = () =>
    TokenizerLoader.fromPreTrained({
      tokenizerJSON: JSON.parse(fs.readFileSync(path.join(folder, "tokenizer.json"), "utf8")),
      tokenizerConfig: JSON.parse(fs.readFileSync(path.join(folder, "tokenizer_config.json"), "utf8")),
    });
  const tokenizer = load();
  const ported = followHuggingFace(tokenizer);
  const cases = corpus.map((text) => ({
    text,
    ids: Array.from(tokenizer.encode(text, { add_special_tokens: true })),
    ids_plain: Array.from(tokenizer.encode(text, { add_special_tokens: false })),
  }));
  if (ported) {
    const plain = load();
    const same = cases.filter((c) => JSON.stringify(Array.from(plain.encode(c.text))) === JSON.stringify(c.ids));
    console.log(`${name}: the unmodified engine gives the same ids for ${same.length} of ${cases.length} texts`);
  }
  fs.writeFileSync(path.join(folder, "expected.json"), JSON.stringify(cases, null, 0).replace(/\},\{/g, "},\n{") + "\n");
  console.log(`${name}: ${cases.length} texts, ${cases.reduce((n, c) => n + c.ids.length, 0)} ids`);
}
