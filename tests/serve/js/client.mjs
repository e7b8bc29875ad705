// The official openai npm client against a running `facet serve` (argv: base URL, image path):
// models, chat with an image (whole and streamed), embeddings, an image. Prints one JSON object.
import fs from "node:fs";
import OpenAI from "openai";

const [baseURL, imagePath] = process.argv.slice(2);
const client = new OpenAI({ baseURL: baseURL + "/v1", apiKey: "k3y", maxRetries: 0 });
const url = "data:image/jpeg;base64," + fs.readFileSync(imagePath).toString("base64");
const messages = [{ role: "user", content: [{ type: "text", text: "What is in the image?" }, { type: "image_url", image_url: { url } }] }];

const models = (await client.models.list()).data.map((m) => m.id);
const chat = await client.chat.completions.create({ model: "llava", messages, max_tokens: 12 });
const stream = await client.chat.completions.create({ model: "llava", messages, max_tokens: 12, stream: true,
                                                      stream_options: { include_usage: true } });
let streamed = "", usage = null, chunks = 0;
for await (const chunk of stream) {
  chunks += 1;
  if (chunk.choices.length) streamed += chunk.choices[0].delta.content ?? "";
  if (chunk.usage) usage = chunk.usage;
}
const emb = await client.embeddings.create({ model: "clip", input: ["a photo of a cat.", "a dog"] });
const img = await client.images.generate({ model: "sd", prompt: "a red car", response_format: "b64_json", n: 1 });
let rejected = null;
try {
  await client.chat.completions.create({ model: "gpt-4", messages, max_tokens: 4 });
} catch (e) {
  rejected = { status: e.status, type: e.type ?? e.error?.type ?? null };
}
console.log(JSON.stringify({
  models, chat: chat.choices[0].message.content, finish: chat.choices[0].finish_reason, usage: chat.usage,
  streamed, streamed_usage: usage, chunks,
  embeddings: emb.data.map((d) => d.embedding.length), first: emb.data[0].embedding.slice(0, 4),
  image_bytes: Buffer.from(img.data[0].b64_json, "base64").length, rejected,
}));
