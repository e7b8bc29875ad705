// GET / of `facet serve`: one self-contained page (no external assets, no build step) to chat with
// the served models: pick a model, type, drop or choose images (sent as data: URLs), and read the
// reply as it streams; image generators draw, CLIP models show their embedding's first values.
#pragma once

namespace facet::cli {

inline constexpr const char* kServePage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Facet</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px system-ui,sans-serif;margin:0;display:flex;flex-direction:column;height:100vh;background:#fafafa}
header{padding:8px 14px;background:#223;color:#fff;display:flex;gap:12px;align-items:center}
#log{flex:1;overflow:auto;padding:14px}
.msg{max-width:46em;margin:6px 0;padding:8px 12px;border-radius:8px;white-space:pre-wrap}
.user{background:#dde8ff;margin-left:auto}.assistant{background:#fff;border:1px solid #ddd}.error{background:#fdd}
.msg img{max-width:220px;display:block;margin:4px 0;image-rendering:pixelated}
form{display:flex;gap:8px;padding:10px;border-top:1px solid #ccc;background:#fff}
#text{flex:1;padding:8px}#drop{border:2px dashed #aaa;padding:6px 10px;border-radius:6px;color:#555}
#drop.over{border-color:#36c}#thumbs img{height:40px;margin-left:4px}
</style></head><body>
<header><b>Facet</b><label>model <select id="model"></select></label><span id="status"></span></header>
<div id="log"></div>
<form id="form"><label id="drop">images: drop here or <input id="file" type="file" accept="image/png,image/jpeg" multiple></label>
<span id="thumbs"></span><input id="text" placeholder="Ask about the images, or describe a picture to draw" autocomplete="off">
<button id="send">Send</button></form>
<script>
const $ = id => document.getElementById(id);
let models = [], images = [], history = [];
const key = new URLSearchParams(location.hash.slice(1)).get("key");
const headers = {"Content-Type": "application/json", ...(key ? {Authorization: "Bearer " + key} : {})};
function add(cls, text, pics) {
  const d = document.createElement("div"); d.className = "msg " + cls;
  for (const p of pics || []) { const i = document.createElement("img"); i.src = p; d.appendChild(i); }
  const t = document.createElement("span"); t.textContent = text || ""; d.appendChild(t);
  $("log").appendChild(d); $("log").scrollTop = 1e9; return t;
}
async function load() {
  const r = await fetch("/v1/models", {headers}); const j = await r.json();
  models = j.data || []; $("model").innerHTML = models.map(m => `<option>${m.id}</option>`).join("");
  $("status").textContent = models.length ? "" : (j.error ? j.error.message : "no models");
}
function addFiles(files) {
  for (const f of files) { const r = new FileReader(); r.onload = () => { images.push(r.result);
    const i = document.createElement("img"); i.src = r.result; $("thumbs").appendChild(i); }; r.readAsDataURL(f); }
}
$("file").onchange = e => addFiles(e.target.files);
$("drop").ondragover = e => { e.preventDefault(); $("drop").classList.add("over"); };
$("drop").ondragleave = () => $("drop").classList.remove("over");
$("drop").ondrop = e => { e.preventDefault(); $("drop").classList.remove("over"); addFiles(e.dataTransfer.files); };
async function stream(body, out) {
  const r = await fetch("/v1/chat/completions", {method: "POST", headers, body: JSON.stringify(body)});
  if (!r.ok) { const j = await r.json(); throw new Error(j.error.message); }
  const reader = r.body.getReader(), dec = new TextDecoder(); let buf = "", text = "";
  for (;;) { const {value, done} = await reader.read(); if (done) break; buf += dec.decode(value, {stream: true});
    let k; while ((k = buf.indexOf("\n\n")) >= 0) { const ev = buf.slice(0, k); buf = buf.slice(k + 2);
      if (!ev.startsWith("data: ") || ev === "data: [DONE]") continue; const j = JSON.parse(ev.slice(6));
      if (j.error) throw new Error(j.error.message);
      const d = j.choices && j.choices[0] && j.choices[0].delta; if (d && d.content) { text += d.content; out.textContent = text; } } }
  return text;
}
$("form").onsubmit = async e => {
  e.preventDefault(); const text = $("text").value.trim(); if (!text) return;
  const model = $("model").value, pics = images; images = []; $("thumbs").innerHTML = ""; $("text").value = "";
  add("user", text, pics); const out = add("assistant", "…");
  try {
    const m = models.find(x => x.id === model);
    if (m && m.kind === "image_generator") {
      const g = await fetch("/v1/images/generations", {method: "POST", headers, body: JSON.stringify({model, prompt: text})});
      const j = await g.json(); if (!g.ok) throw new Error(j.error.message);
      out.textContent = ""; const i = document.createElement("img"); i.src = "data:image/png;base64," + j.data[0].b64_json;
      out.parentNode.insertBefore(i, out); out.parentNode.dataset.state = "done"; return;
    }
    const content = [{type: "text", text}, ...pics.map(url => ({type: "image_url", image_url: {url}}))];
    history.push({role: "user", content});
    const reply = await stream({model, stream: true, messages: history, max_tokens: 256}, out);
    history.push({role: "assistant", content: reply});
  } catch (err) { out.parentNode.className = "msg error"; out.textContent = err.message; history.pop(); }
  out.parentNode.dataset.state = "done";  // the answer is complete (tests wait for it)
};
load();
</script></body></html>
)HTML";

}  // namespace facet::cli
