// Rebuilds LLaMA-2's tokenizer.json from the vocabulary and merges that llama-tokenizer-js (npm)
// ships, in the layout Hugging Face's llama-2 tokenizer.json has (Prepend/Replace normalizer, BPE
// with byte fallback, <s> template, SentencePiece decoder), into tests/data/tokenizers/llama2/,
// and writes the ids llama-tokenizer-js itself gives for every corpus text
// (llama_tokenizer_js.json: BOS and the leading space added, as that library does; special-token
// literals are plain text there). gen_tokenizer_goldens.mjs then adds transformers.js's ids.
//
// Usage: NODE_PATH=<folder with node_modules/llama-tokenizer-js> node tests/models/gen_llama2_tokenizer.mjs
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const modules = path.join(process.env.NODE_PATH || process.cwd(), "llama-tokenizer-js", "llama-tokenizer.js");
const { default: llama } = await import(pathToFileURL(modules).href);

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(here, "..", "data", "tokenizers");
const out = path.join(dir, "llama2");
fs.mkdirSync(out, { recursive: true });

const vocab = {};
llama.vocabById.forEach((t, id) => { vocab[t] = id; });
const merges = [...llama.merges.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => k);
const special = (id, content) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
const sp = "\u2581";
const tokenizer = {
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: [special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")],
  normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: sp }, { type: "Replace", pattern: { String: " " }, content: sp }] },
  pre_tokenizer: null,
  post_processor: {
    type: "TemplateProcessing",
    single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
    pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
           { SpecialToken: { id: "<s>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
    special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
  },
  decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: sp }, content: " " },
                                          { type: "ByteFallback" }, { type: "Fuse" },
                                          { type: "Strip", content: " ", start: 1, stop: 0 }] },
  model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null,
           fuse_unk: true, byte_fallback: true, vocab, merges },
};
const config = {
  add_bos_token: true, add_eos_token: false, bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>",
  clean_up_tokenization_spaces: false, legacy: true, model_max_length: 4096, tokenizer_class: "LlamaTokenizer",
  chat_template: "{% if messages[0]['role'] == 'system' %}{% set system_message = '<<SYS>>\\n' + messages[0]['content'] | trim + '\\n<</SYS>>\\n\\n' %}{% set messages = messages[1:] %}{% else %}{% set system_message = '' %}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 %}{% set content = system_message + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content | trim + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + content | trim + ' ' + eos_token }}{% endif %}{% endfor %}",
};
fs.writeFileSync(path.join(out, "tokenizer.json"), JSON.stringify(tokenizer));
fs.writeFileSync(path.join(out, "tokenizer_config.json"), JSON.stringify(config, null, 2) + "\n");

const corpus = JSON.parse(fs.readFileSync(path.join(dir, "corpus.json"), "utf8"));
const cases = corpus.map((text) => ({ text, ids: text.length ? llama.encode(text) : [] }));
fs.writeFileSync(path.join(out, "llama_tokenizer_js.json"), JSON.stringify(cases, null, 0).replace(/\},\{/g, "},\n{") + "\n");
console.log(`llama2: ${llama.vocabById.length} tokens, ${merges.length} merges, ${cases.length} texts`);
