#!/usr/bin/env bash
# Command-line contracts of DESIGN.md §4: exit codes, and messages that name what is wrong.
# Usage: cli_contracts.sh FACET MAKE_DEMO TEMPLATE_PLUGIN_DIR SOURCE_DIR MAKE_GGUF MAKE_KOSMOS2
set -uo pipefail
facet_bin="$1"; make_demo="$2"; template_dir="$3"; src="$4"; make_gguf="$5"; make_kosmos2="$6"
# Under the sanitizer run LD_PRELOAD carries the ASan runtime; hand it to facet only, not to the
# shell tools (grep, tr, ...) whose own exit-time leak reports would break the pipelines.
facet_preload="${LD_PRELOAD:-}"; unset LD_PRELOAD
facet() { LD_PRELOAD="$facet_preload" "$facet_bin" "$@"; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
fails=0

# expect CODE PATTERN -- command...: runs the command, checks its exit code and that the combined
# output (lines joined by spaces) matches the extended regular expression.
expect() {
  local code="$1" pattern="$2"; shift 3
  local out rc
  out="$("$@" 2>&1)"; rc=$?
  if [ "$rc" -ne "$code" ] || ! tr '\n' ' ' <<<"$out" | grep -Eq -- "$pattern"; then
    echo "FAIL: $* -> exit $rc (want $code), output:"; echo "$out" | head -20; echo "(wanted /$pattern/)"
    fails=$((fails + 1))
  else
    echo "ok: exit $rc /$pattern/ <- ${*:2}"
  fi
}

LD_PRELOAD="$facet_preload" "$make_demo" "$work/demo" >/dev/null
export FACET_DEMO_DIR="$work/demo" FACET_PLUGIN_PATH="$template_dir"

expect 0 'llvmpipe.*\[cpu' -- facet devices
expect 0 '"subgroup"' -- facet devices --json
expect 0 'adapter +adapter_linear/linear' -- facet plugins
expect 0 '"name": "adapter_pixel_shuffle"' -- facet plugins --json
expect 2 'subcommand is required' -- facet
expect 2 'error: ' -- facet run
expect 2 'error: ' -- facet run --no-such-flag x.toml

# The demo pipeline runs through both plugins and matches the CPU references in debug mode.
expect 0 'output project.y: f32 \[4, 16\]' -- facet run "$src/docs/pipelines/demo.toml"
expect 0 'all 2 nodes match their CPU references' -- facet run --debug --validation "$src/docs/pipelines/demo.toml"
expect 0 '"shape": \[' -- facet run --json "$src/docs/pipelines/demo.toml"
expect 0 'gpu merge.shuffle' -- facet run --profile "$src/docs/pipelines/demo.toml"
facet run --save "$work/out" "$src/docs/pipelines/demo.toml" >/dev/null && [ -s "$work/out/project.y.npy" ] \
  || { echo "FAIL: --save wrote no NPY"; fails=$((fails + 1)); }

# The op benchmark: one fast case, table and JSON.
expect 0 'elementwise.add.1m +add .*GB/s' -- facet bench ops -r 1 --filter elementwise.add
expect 0 '"median_ms"' -- facet bench ops -r 1 --filter convert --json
expect 2 'no benchmark case matches' -- facet bench ops --filter no-such-case
expect 2 'error: ' -- facet bench

# Invalid input: exit 3 with file:line:column.
printf 'schema_version = 1\n[[stage]\nid = "a"\n' > "$work/syntax.toml"
expect 3 "syntax.toml:2:[0-9]+: " -- facet run "$work/syntax.toml"
sed 's/factor = 2/factor = 2, colour = 1/' "$src/docs/pipelines/demo.toml" > "$work/param.toml"
expect 3 "param.toml:[0-9]+:[0-9]+: stage 'merge': unknown param 'colour'" -- facet run "$work/param.toml"
expect 3 "cannot read pipeline file" -- facet run "$work/none.toml"
# A missing plugin: exit 4, naming the plugin and the searched folders.
sed 's/adapter_linear/adapter_missing/' "$src/docs/pipelines/demo.toml" > "$work/missing.toml"
expect 4 "missing.toml:[0-9]+:[0-9]+: stage 'project': plugin 'adapter_missing' not found; searched.*$template_dir" -- facet run "$work/missing.toml"
# A truncated weights file: exit 3 naming the file.
head -c 100 "$work/demo/projector.safetensors" > "$work/trunc.safetensors"
sed "s|\${FACET_DEMO_DIR}/projector.safetensors|$work/trunc.safetensors|" "$src/docs/pipelines/demo.toml" > "$work/trunc.toml"
expect 3 "trunc.safetensors': (truncated|tensor)" -- facet run "$work/trunc.toml"
# A device selector that matches nothing: exit 3, listing the devices.
expect 3 "no Vulkan device matches selector 'nvidia'" -- facet run --device nvidia "$src/docs/pipelines/demo.toml"
# A log file gets the debug log.
facet --log-file "$work/log.txt" run "$src/docs/pipelines/demo.toml" >/dev/null
grep -q "Vulkan device" "$work/log.txt" || { echo "FAIL: --log-file wrote no log"; fails=$((fails + 1)); }

# Image preprocessing and embedding from Hugging Face folders (tiny checkpoints in tests/models).
models="$src/tests/models"
expect 0 "pixels.npy: f32 \[3, 30, 30\]" -- facet preprocess --model "$models/clip_tiny" --image "$models/images/photo_50x33.jpg" --out "$work/pixels.npy"
expect 0 "e.npy: f32 \[1, 16\]" -- facet embed --model "$models/clip_tiny" --image "$models/images/rgb_37x23.png" --out "$work/e.npy"
expect 0 "h.npy: f32 \[16, 32\]" -- facet embed --model "$models/dinov2_tiny" --image "$models/images/gray_19x41.png" --output hidden:-1 --tokens patch --out "$work/h.npy"
expect 2 "--out is required" -- facet embed --model "$models/clip_tiny" --image "$models/images/rgb_37x23.png"
expect 3 "no-such.png" -- facet embed --model "$models/clip_tiny" --image "$work/no-such.png" --out "$work/x.npy"
printf 'GIF89a....' > "$work/fake.png"
expect 3 "fake.png' is neither PNG nor JPEG" -- facet preprocess --model "$models/clip_tiny" --image "$work/fake.png" --out "$work/x.npy"
head -c 300 "$models/images/photo_50x33.jpg" > "$work/cut.jpg"
expect 3 "cut.jpg' is not a readable JPEG" -- facet embed --model "$models/clip_tiny" --image "$work/cut.jpg" --out "$work/x.npy"
head -c 1500 "$models/images/photo_50x33.jpg" > "$work/cut2.jpg"  # header intact, scan data cut
expect 3 "cut2.jpg' is not a readable JPEG: Premature end" -- facet embed --model "$models/clip_tiny" --image "$work/cut2.jpg" --out "$work/x.npy"
expect 3 "has no config.json" -- facet embed --model "$models/images" --image "$models/images/rgb_37x23.png" --out "$work/x.npy"
expect 3 "hidden:7' is outside|hidden:7 is outside" -- facet embed --model "$models/clip_tiny" --image "$models/images/rgb_37x23.png" --output hidden:7 --out "$work/x.npy"

# CLIP-blind pair mining over the test images, then a resumed run served from the cache.
expect 0 "[0-9]+ CLIP-blind pairs among 9 images \(36 pairs examined" -- facet mine-pairs --clip "$models/clip_tiny" --dino "$models/dinov2_tiny" --images "$models/images" --out "$work/pairs.csv" --clip-threshold 0.5 --dino-threshold 0.9 --batch 4
expect 0 "CLIP: 9 of 9 images cached" -- facet -v mine-pairs --clip "$models/clip_tiny" --dino "$models/dinov2_tiny" --images "$models/images" --out "$work/pairs.csv"
head -1 "$work/pairs.csv" | grep -q "^image_a,image_b,clip_cosine,dino_cosine$" || { echo "FAIL: pairs.csv header"; fails=$((fails + 1)); }
expect 3 "is not a DINOv2 model folder" -- facet mine-pairs --clip "$models/clip_tiny" --dino "$models/clip_tiny" --images "$models/images" --out "$work/p.csv"
expect 3 "image folder '$work/none' does not exist" -- facet mine-pairs --clip "$models/clip_tiny" --dino "$models/dinov2_tiny" --images "$work/none" --out "$work/p.csv"

# Text: tokenizer.json, CLIP's text tower, zero-shot classification, MMVP-VLM.
expect 0 "^686 353 525 518 353 668 302 687 $" -- facet tokenize --model "$models/clip_tiny" --text "a photo of a cat."
expect 0 '"tokens":\["<\|startoftext\|>","a</w>"' -- facet tokenize --model "$models/clip_tiny" --text "A photo" --json
expect 0 "^353 525 $" -- facet tokenize --model "$models/clip_tiny" --text "a photo" --no-special
expect 3 "has no tokenizer.json" -- facet tokenize --model "$models/dinov2_tiny" --text "x"
expect 3 "not valid UTF-8 \(byte offset 2\)" -- facet tokenize --model "$models/clip_tiny" --text $'ab\xff'
expect 0 "t.npy: f32 \[1, 16\] \(8 tokens\)" -- facet embed-text --model "$models/clip_tiny" --text "a photo of a cat." --out "$work/t.npy"
long="a photo of a cat and a dog and a bird and a car and a tree and a house"
expect 3 "is [0-9]+ tokens; this CLIP model takes at most 16" -- facet embed-text --model "$models/clip_tiny" --text "$long" --out "$work/t.npy"
expect 0 "\(16 tokens\)" -- facet embed-text --model "$models/clip_tiny" --text "$long" --truncate --out "$work/t.npy"
expect 3 "needs a CLIP folder" -- facet embed-text --model "$models/dinov2_tiny" --text "x" --out "$work/t.npy"
expect 0 "label +probability +logit bird +0\.385" -- facet classify --model "$models/clip_tiny" --image "$models/images/photo_50x33.jpg" --labels "cat, dog,bird" --template "This is a photo of {}."
expect 0 '"probs":\[' -- facet classify --model "$models/clip_tiny" --image "$models/images/photo_50x33.jpg" --labels "cat,dog" --json
expect 2 "at least two" -- facet classify --model "$models/clip_tiny" --image "$models/images/photo_50x33.jpg" --labels "cat"
expect 2 "must contain \{\}" -- facet classify --model "$models/clip_tiny" --image "$models/images/photo_50x33.jpg" --labels "cat,dog" --template "x"
expect 3 "no scalar tensor 'logit_scale'|needs a CLIPModel" -- facet classify --model "$models/clip_vision_f16" --image "$models/images/photo_50x33.jpg" --labels "cat,dog"
expect 0 "Orientation and Direction +2 +1 +50\.0% .*average +25\.0%" -- facet mmvp-vlm --model "$models/clip_tiny" --data "$models/mmvp_vlm" --csv "$work/m.csv" --chart "$work/m.svg"
grep -q "^<svg" "$work/m.svg" || { echo "FAIL: mmvp-vlm chart"; fails=$((fails + 1)); }
[ "$(wc -l < "$work/m.csv")" -eq 5 ] || { echo "FAIL: mmvp-vlm csv rows"; fails=$((fails + 1)); }
expect 3 "has no Questions.csv" -- facet mmvp-vlm --model "$models/clip_tiny" --data "$models/images"
expect 0 "pattern +pairs +clip_tiny +other .*Color and Appearance +2 +0\.0% +0\.0% .*average +25\.0% +25\.0%" -- facet mmvp-vlm --model "$models/clip_tiny" --model "other=$models/clip_tiny" --data "$models/mmvp_vlm" --csv "$work/m2.csv" --chart "$work/m2.svg"
[ "$(grep -c '^other,' "$work/m2.csv")" -eq 4 ] || { echo "FAIL: two-model mmvp-vlm csv"; fails=$((fails + 1)); }

# Language models: raw-text generation with the tiny LLaMA (greedy = the PyTorch reference's tokens).
expect 0 '"tokens":\[5563,6492,2864,2864,2864,11730,717,205,4359,5052,4209,3220,4608,5052,4209,7288\]' -- facet generate --model "$models/llama_tiny" --prompt "Hello world" --max-tokens 16 --json --logits-out "$work/l.npy"
[ -s "$work/l.npy" ] || { echo "FAIL: --logits-out"; fails=$((fails + 1)); }
expect 0 '"tokens":\[[0-9]+,[0-9]+,[0-9]+\]' -- facet generate --model "$models/llama_tiny" --prompt "Hello" --max-tokens 3 --temperature 0.8 --top-p 0.9 --seed 7 --json
expect 0 '"tokens":\[5563,6492,2864,2864,2864,11730,717,205,4359,5052,4209,3220,4608,5052,4209,7288\]' -- facet generate --model "$models/llama_tiny" --prompt "Hello world" --max-tokens 16 --kv-cache f32 --json
expect 0 '"tokens":\[[0-9]+,[0-9]+,[0-9]+,[0-9]+\]' -- facet generate --model "$models/llama_tiny" --prompt "Hello world" --max-tokens 4 --quantize q8_0 --json
expect 2 "--quantize: q5 not in" -- facet generate --model "$models/llama_tiny" --prompt "Hello world" --quantize q5
expect 3 "do not fit the context of 64 positions" -- facet generate --model "$models/llama_tiny" --prompt "Hello world" --max-tokens 100
expect 3 "not a language model Facet knows" -- facet generate --model "$models/clip_tiny" --prompt "Hello"
expect 2 "temperature" -- facet generate --model "$models/llama_tiny" --prompt "Hello" --temperature -1
expect 0 "^1 377 4496 $" -- facet tokenize --model "$models/llama_tiny" --text "Hello"

# The same model as GGUF (vocabulary from the GGUF metadata), a truncated GGUF, and bench llm.
LD_PRELOAD="$facet_preload" "$make_gguf" convert "$models/llama_tiny" "$work/tiny.gguf" >/dev/null
expect 0 '"tokens":\[5563,6492,2864,2864,2864,11730,717,205,4359,5052,4209,3220,4608,5052,4209,7288\]' -- facet generate --model "$work/tiny.gguf" --prompt "Hello world" --max-tokens 16 --json
expect 0 "^1 377 4496 $" -- facet tokenize --model "$work/tiny.gguf" --text "Hello"
head -c 1000 "$work/tiny.gguf" > "$work/cut.gguf"
expect 3 "GGUF file .*cut.gguf.*past the end of the file" -- facet generate --model "$work/cut.gguf" --prompt "Hello"
expect 0 '"pp_tokens_per_s": [0-9.]+.*"tg_tokens_per_s": [0-9.]+' -- facet bench llm --model "$work/tiny.gguf" -p 8 -n 4 -r 2 --json
expect 0 '"text":"vey AvbreakbreakbreakпER�ih","tokens":\[5563,6492,2864,2864,2864,11730,717,205,4359,5052\]' -- facet generate --model "$models/llama_tiny" --prompt "Hello world" --max-tokens 16 --stop ography --json

# Chat: the template recognised or named, two turns from stdin, errors.
# (stdin from a file, not a pipe: under ASan a forked shell in a pipeline reports its own leaks)
printf 'Hello there\nAnd again\n' > "$work/chat.txt"
chat() { facet chat "$@" < "$work/chat.txt"; }
expect 0 "^[^ ].* [^ ].*" -- chat --model "$models/llama_tiny" --chat-template llama-2 --max-tokens 4
expect 3 "has no chat template; name one with --chat-template" -- chat --model "$work/tiny.gguf"
expect 2 "unknown chat template 'alpaca'" -- chat --model "$models/llama_tiny" --chat-template alpaca
expect 0 "pp8 .* tokens/s .*tg4 .* tokens/s .*decode .* GB/s" -- facet bench llm --model "$models/llama_tiny" -p 8 -n 4 -r 1
expect 0 "prefill of 8 tokens: .* ms wall, .* ms GPU in [0-9]+ dispatches.*core/matmul.*one decode step: .* ms wall.*core/attention" -- facet bench llm --model "$models/llama_tiny" -p 8 -n 4 -r 1 --profile
expect 0 '"profile":.*"decode":.*"dispatches": [1-9][0-9]*.*"kernels"' -- facet bench llm --model "$work/tiny.gguf" -p 8 -n 4 -r 1 --profile --json

# facet run with a language model: a llava-hf folder without TOML, the shipped TOML pipelines, and
# the errors of prompt assembly. The greedy tokens are the PyTorch reference's (goldens/llava).
img="$models/images/photo_50x33.jpg"
expect 0 '"image_tokens":25,"prompt_tokens":43,.*"tokens":\[24257,1703,1703,1703\]' -- facet run --model "$models/llava_tiny" --image "$img" --prompt "What is in the image?" --max-tokens 4 --json
export HF_HUB_CACHE="$work/hub" MOF_DIR="$models/mof_tiny" CLIP_DIR="$models/clip_tiny" DINO_DIR="$models/dinov2_mof_tiny"
expect 3 "'mm_vision_tower' 'facet-test/clip-tiny' is neither a folder nor in the local Hugging Face hub cache" -- facet run --model "$models/llava_repo_tiny" --image "$img" --prompt "What is in the image?"
mkdir -p "$work/hub/models--facet-test--clip-tiny/snapshots"
ln -sfn "$models/clip_tiny" "$work/hub/models--facet-test--clip-tiny/snapshots/abc"
expect 0 '"tokens":\[15635,1246,26720,2512\]' -- facet run --model "$models/llava_repo_tiny" --image "$img" --prompt "What is in the image?" --max-tokens 4 --json
expect 0 '"image_tokens":100,.*"tokens":\[15756,8352\]' -- facet run "$src/docs/pipelines/llava-1.5-imof.toml" --image "$models/images/rgb_37x23.png" --image "$img" --prompt "Compare the two images." --max-tokens 2 --json
expect 0 "^furent" -- facet run --model "$models/llava_tiny" --image "$img" --prompt "What is in the image?" --max-tokens 2
export INSTRUCTBLIP_DIR="$models/instructblip_qformer_tiny" LLM_DIR="$models/mof_tiny"
expect 0 '"image_tokens":6,"prompt_tokens":24,.*"tokens":\[13151,19911,6670,1155\]' -- facet run "$src/docs/pipelines/instructblip.toml" --image "$img" --prompt "What is in the image?" --max-tokens 4 --json
expect 3 "1 <image> marker but 2 images were given" -- facet run --model "$models/llava_tiny" --image "$img" --image "$img" --raw-prompt "USER: <image> hi ASSISTANT:"
expect 3 "do not fit the context of 40 positions" -- facet run --model "$models/llava_tiny" --image "$img" --prompt "What is in the image?" --context 40
expect 3 "cannot open .*nothere.png" -- facet run --model "$models/llava_tiny" --image "$work/nothere.png" --prompt "hi"
expect 3 "takes no images" -- facet run --model "$models/llama_tiny" --chat-template chatml --image "$img" --prompt "hi"
expect 2 "give --prompt .* or --raw-prompt" -- facet run --model "$models/llava_tiny" --image "$img"
expect 2 "give a pipeline TOML file or --model DIR" -- facet run
expect 2 "has no language model" -- facet run "$src/docs/pipelines/demo.toml" --prompt "hi"

# Real-valued flags: NaN, infinities, trailing junk and out-of-range values are usage errors.
for flag in "--temperature nan" "--top-p inf" "--min-p -nan" "--repeat-penalty 1e999" "--temperature 0.5x"; do
  expect 2 "not a finite number" -- facet generate --model "$models/llama_tiny" --prompt hi $flag
done
expect 2 "1.5 is outside \[0, 1\]" -- facet generate --model "$models/llama_tiny" --prompt hi --top-p 1.5
expect 2 "not a finite number" -- facet mine-pairs --clip a --dino b --images c --out d --clip-threshold nan

# facet ground: the answer's boxes as JSON (none from the random tiny LLaVA), the drawing, and the
# errors of its flags (a region outside the image, a malformed region, an unknown format).
expect 0 '^\{"entities":\[\],"text":"[^"]+","warnings":\[\]\}' -- facet ground --model "$models/llava_tiny" --image "$img" --max-tokens 4 --json --draw "$work/ground.png"
if head -c 8 "$work/ground.png" | od -An -c | grep -q 'P   N   G'; then echo "ok: ground --draw wrote a PNG"; else echo "FAIL: ground --draw wrote no PNG"; fails=$((fails + 1)); fi
expect 0 '^[^ ].*' -- facet ground --model "$models/llava_tiny" --image "$img" --prompt "What is in <region>?" --region 5,5,30,20 --max-tokens 2
expect 3 "region 0,0,60,20 is not a box x1 < x2, y1 < y2 inside the 50x33 image" -- facet ground --model "$models/llava_tiny" --image "$img" --region 0,0,60,20
expect 2 "--region must be X1,Y1,X2,Y2" -- facet ground --model "$models/llava_tiny" --image "$img" --region 1,2,3
expect 2 "--format: yolo not in" -- facet ground --model "$models/llava_tiny" --image "$img" --format yolo
expect 3 "takes no images" -- facet ground --model "$models/llama_tiny" --image "$img"
expect 2 "--image is required" -- facet ground --model "$models/llava_tiny"

# facet run --region: GPT4RoI-style region rows after the image's (the shipped pipeline with the
# tiny tower's 30-pixel crop); [grounding] adds the answer's boxes (none from the random model).
sed 's/image_size = 336/image_size = 30/' "$src/docs/pipelines/llava-1.5-regions.toml" > "$work/regions.toml"
export LLAVA_DIR="$models/llava_tiny" REGIONS_WEIGHTS="$models/regions_tiny.safetensors"
expect 0 '^\{"grounding":\{"entities":\[\],"text":"[^"]*","warnings":\[\]\},"image_tokens":25,"prompt_tokens":47,"region_tokens":2,.*"tokens":\[24356,1703,1703,1703\]' -- facet run "$work/regions.toml" --image "$img" --region 15,8,35,25 --region 36,5,49,20 --prompt "What is in <region> and <region>?" --max-tokens 4 --json --draw "$work/regions.png"
if head -c 8 "$work/regions.png" | od -An -c | grep -q 'P   N   G'; then echo "ok: run --draw wrote a PNG"; else echo "FAIL: run --draw wrote no PNG"; fails=$((fails + 1)); fi
expect 3 "the prompt has 1 <region> marker but 2 regions were given" -- facet run "$work/regions.toml" --image "$img" --region 15,8,35,25 --region 36,5,49,20 --prompt "What is in <region>?"
expect 3 "region 1 \[60, 5, 70, 20\] lies outside the image \(50 x 33 pixels\)" -- facet run "$work/regions.toml" --image "$img" --region 60,5,70,20 --prompt "What is in <region>?"
expect 3 "takes no regions" -- facet run --model "$models/llava_tiny" --image "$img" --region 15,8,35,25 --prompt "What is in <region>?"
expect 2 "--region must be X1,Y1,X2,Y2" -- facet run "$work/regions.toml" --image "$img" --region 1,2 --prompt "<region>"
expect 2 "--draw needs a pipeline with a \[grounding\] table" -- facet run --model "$models/llava_tiny" --image "$img" --prompt "hi" --draw "$work/x.png"

# facet mmvp on a folder in the MMVP layout (tests/data/mmvp): the tiny LLaVA's greedy answers are
# graded right, wrong and unanswered; pairs, patterns (from --patterns), JSONL and chart.
mm="$src/tests/data/mmvp"
export LLAVA_DIR="$models/llava_tiny"
expect 0 'State and Condition +2 +1 +50.0% +75.0% .*Orientation and Direction +1 +0 +0.0% +0.0% .*total +3 +1 +33.3% +50.0%' -- facet -q mmvp --model "$models/llava_tiny" --data "$mm" --patterns "$mm/patterns.csv" --max-tokens 8 --out "$work/mmvp.jsonl" --chart "$work/mmvp.svg"
lines_ok() { [ "$(wc -l < "$work/mmvp.jsonl")" -eq 6 ] && sed -n 4p "$work/mmvp.jsonl" | grep -q '"answer":"furent Т Т Т Т Т Т Т","choice":"a","correct":false,"correct_answer":"b"' && sed -n 5p "$work/mmvp.jsonl" | grep -q '"choice":null,"correct":false' && grep -q '>Orientation and Direction<' "$work/mmvp.svg"; }
if lines_ok; then echo "ok: mmvp.jsonl has 6 graded lines, mmvp.svg the patterns"; else echo "FAIL: mmvp.jsonl / mmvp.svg"; head -c 600 "$work/mmvp.jsonl"; fails=$((fails + 1)); fi
# The same answer as facet run gives for that question alone (greedy, fresh cache).
expect 0 '"text":"furent Т Т Т Т Т Т Т"' -- facet run --model "$models/llava_tiny" --image "$mm/MMVP Images/4.jpg" --prompt "What is it? (a) furent (b) TABLE" --max-tokens 8 --json
expect 0 '"pair_accuracy":33.3.*"patterns":\[\{"pair_accuracy":33.3.*"pattern":"all"' -- facet -q mmvp --model "$models/llava_tiny" --data "$mm" --max-tokens 8 --out "$work/mmvp.jsonl" --chart "$work/mmvp.svg" --json
expect 0 '"pairs":1,' -- facet -q mmvp --pipeline "$src/docs/pipelines/llava-1.5.toml" --data "$mm" --limit 3 --max-tokens 2 --out "$work/mmvp.jsonl" --chart "$work/mmvp.svg" --json
# Several models side by side (a folder and a pipeline, named): one column each, a model field per
# JSONL line, one bar per model and pattern; two models with one name are refused.
expect 0 'pattern +pairs +llava_tiny +toml\b.*total +3 +33.3% +33.3%' -- facet -q mmvp --model "$models/llava_tiny" --pipeline "toml=$src/docs/pipelines/llava-1.5.toml" --data "$mm" --patterns "$mm/patterns.csv" --max-tokens 8 --out "$work/mmvp2.jsonl" --chart "$work/mmvp2.svg"
two_ok() { [ "$(grep -c '"model":"toml"' "$work/mmvp2.jsonl")" -eq 6 ] && [ "$(grep -c '"model":"llava_tiny"' "$work/mmvp2.jsonl")" -eq 6 ] && [ "$(grep -c '<rect x="260"' "$work/mmvp2.svg")" -eq 6 ]; }
if two_ok; then echo "ok: two-model mmvp.jsonl and chart"; else echo "FAIL: two-model mmvp outputs"; fails=$((fails + 1)); fi
expect 0 '"models":\[\{"model":"a".*\{"model":"b"' -- facet -q mmvp --model "a=$models/llava_tiny" --model "b=$models/llava_tiny" --data "$mm" --limit 2 --max-tokens 2 --out "$work/mmvp2.jsonl" --chart "$work/mmvp2.svg" --json
expect 2 "two models are named 'llava_tiny'" -- facet mmvp --model "$models/llava_tiny" --model "$models/llava_tiny" --data "$mm"
expect 3 "has no Questions.csv" -- facet mmvp --model "$models/llava_tiny" --data "$work"
mkdir -p "$work/mmvp_bad/MMVP Images"
printf 'Index,Question,Options,Correct Answer\n1,Q?,(a) x (b) y,(c)\n2,Q?,(a) x (b) y,(a)\n' > "$work/mmvp_bad/Questions.csv"
expect 3 "Questions.csv:2: Correct Answer '\(c\)' is not one of the options" -- facet mmvp --model "$models/llava_tiny" --data "$work/mmvp_bad"
expect 3 "takes no images; MMVP needs a multimodal pipeline" -- facet mmvp --model "$models/llama_tiny" --data "$mm"
expect 2 "--data is required" -- facet mmvp --model "$models/llava_tiny"

# facet bench pipeline: the TTFT split and decode speed of a multimodal pipeline.
expect 0 'TTFT .* ms .*preprocessing .*encoders .*adapters .*LLM prefill .*decode .* tokens/s' -- facet bench pipeline --model "$models/llava_tiny" --image "$img" -p 4 -n 4 -r 1
expect 0 '"image_tokens": 50,.*"ttft_ms"' -- facet bench pipeline "$src/docs/pipelines/llava-1.5.toml" --image "$img" --images 2 -n 2 -r 1 --json
expect 3 "takes no images" -- facet bench pipeline --model "$models/llama_tiny" --image "$img"
# A Kosmos-2-shaped folder from facet-make-kosmos2 (here at toy sizes) through the same benchmark.
LD_PRELOAD="$facet_preload" "$make_kosmos2" "$work/k2" --image-size 28 --vision-dim 32 --vision-layers 1 --dim 32 --layers 1 \
  --heads 4 --ff 64 --latents 4 >/dev/null
expect 0 'prompt +[0-9]+ tokens \(4 image tokens from 1 image.*TTFT .*encoders .*adapters .*LLM prefill .*decode .* tokens/s' -- facet bench pipeline --model "$work/k2" --image "$img" -p 4 -n 2 -r 1
expect 2 "is not an option taking a positive integer" -- "$make_kosmos2" "$work/k3" --layers 0

# facet txt2img (sd_tiny): a run from the golden noise with JSON, PNG and latents; the exit codes
# of a single file without a tokenizer, a bad --noise-in shape, a size not a multiple of 8, bad flags.
sd="$src/tests/models/sd_tiny"; sdgold="$src/tests/models/goldens/sd_tiny"
expect 0 '"sampler":"ddim".*"timesteps":\[801(\.0)?,601(\.0)?,401(\.0)?,201(\.0)?,1(\.0)?\].*"unet_per_step"' -- facet -q txt2img --model "$sd" --prompt "a photo of a red car" --negative-prompt "blurry, low quality, watermark" --steps 5 --sampler ddim --noise-in "$sdgold/noise.npy" --latents-out "$work/sd.latents.npy" --out "$work/sd.png" --json
if head -c 8 "$work/sd.png" | od -An -c | grep -q 'P   N   G' && grep -aq 'parameters' "$work/sd.png" && [ -s "$work/sd.latents.npy" ]; then
  echo "ok: txt2img wrote a PNG with parameters and the latents"; else echo "FAIL: txt2img outputs"; fails=$((fails + 1)); fi
expect 0 'step 1/2.*step 2/2.*wrote' -- facet txt2img --model "$sd" --prompt "car" --steps 2 --seed 3 --out "$work/sd2.png"
expect 3 "single-file checkpoint, which carries no tokenizer.*--tokenizer" -- facet txt2img --model "$src/tests/models/sd_tiny.safetensors" --prompt "car" --out "$work/x.png"
# A single file with --tokenizer draws what its folder draws (the tEXt chunk names the model, so
# the latents are compared); files that are not SD checkpoints are named.
expect 0 "wrote .*sd1.png \(64x64, 2 steps" -- facet txt2img --model "$src/tests/models/sd_tiny.safetensors" --tokenizer "$src/tests/models/sd_tiny/tokenizer" --prompt "car" --steps 2 --seed 5 --width 64 --height 64 --latents-out "$work/sd1.npy" --out "$work/sd1.png"
expect 0 "wrote " -- facet txt2img --model "$src/tests/models/sd_tiny" --prompt "car" --steps 2 --seed 5 --width 64 --height 64 --latents-out "$work/sd1f.npy" --out "$work/sd1f.png"
cmp -s "$work/sd1.npy" "$work/sd1f.npy" && echo "ok: single file = folder latents" || { echo "FAIL: single-file latents differ from the folder's"; fails=$((fails + 1)); }
expect 3 "has no text encoder" -- facet txt2img --model "$src/tests/models/llama_tiny/model.safetensors" --tokenizer "$src/tests/models/sd_tiny/tokenizer" --prompt "car" --out "$work/x.png"
# img2img: the picture's size (rounded down to the VAE factor) unless --width/--height, the last
# int(steps * strength) steps run; strength outside (0, 1] or leaving no step is refused.
expect 0 "wrote .*i2i.png \(64x64, 2 steps" -- facet img2img --model "$src/tests/models/sd_tiny" --init-image "$src/tests/models/goldens/sd_tiny/image.png" --prompt "car" --steps 4 --strength 0.5 --out "$work/i2i.png"
expect 0 '"height":32,.*"latent_shape":\[4,4,6\].*"strength":0.8' -- facet -q img2img --model "$src/tests/models/sd_tiny" --init-image "$src/tests/models/images/photo_50x33.jpg" --prompt "car" --steps 2 --out "$work/i2i.png" --json
expect 3 "strength 0 must lie in \(0, 1\]" -- facet img2img --model "$src/tests/models/sd_tiny" --init-image "$src/tests/models/goldens/sd_tiny/image.png" --prompt "car" --strength 0 --out "$work/i2i.png"
expect 3 "strength 0.2 leaves no step of 2" -- facet img2img --model "$src/tests/models/sd_tiny" --init-image "$src/tests/models/goldens/sd_tiny/image.png" --prompt "car" --steps 2 --strength 0.2 --out "$work/i2i.png"
expect 2 "--strength: 1.5 is outside" -- facet img2img --model "$src/tests/models/sd_tiny" --init-image "$src/tests/models/goldens/sd_tiny/image.png" --prompt "car" --strength 1.5
expect 2 "--init-image is required" -- facet img2img --model "$src/tests/models/sd_tiny" --prompt "car"
expect 0 '"height":64,.*"image_ms":.*"peak_rss_mb":.*"steps":2,.*"unet_step_ms":' -- facet -q bench diffusion --model "$src/tests/models/sd_tiny" --steps 2 -r 1 --json
expect 0 "UNet step .*VAE decoder .*peak resident memory" -- facet -q bench diffusion --model "$src/tests/models/sd_tiny" --steps 1 -r 1 --cfg-scale 1
# On a terminal txt2img redraws one progress bar (steps/s, time left); in a log, one line per step.
tty_out="$(script -qec "LD_PRELOAD='$facet_preload' '$facet_bin' txt2img --model '$src/tests/models/sd_tiny' --prompt car --steps 3 --out '$work/tty.png'" /dev/null 2>&1)"
if grep -q $'\rsteps \[.*3/3 .*steps/s .*s left' <<<"$tty_out" && ! grep -q "^step 1/3" <<<"$tty_out"; then echo "ok: txt2img progress bar on a terminal"; else echo "FAIL: txt2img progress on a terminal:"; echo "$tty_out" | cat -v | head -5; fails=$((fails + 1)); fi
expect 0 "step 1/3 .*step 3/3" -- facet txt2img --model "$src/tests/models/sd_tiny" --prompt car --steps 3 --out "$work/tty.png"
expect 3 "--noise-in: the noise is f32 \[3, 64, 64\] but this run needs f32 \[4, 8, 8\]" -- facet txt2img --model "$sd" --prompt "car" --steps 1 --noise-in "$sdgold/vae.decode.out.npy" --out "$work/x.png"
expect 3 "multiples of 16 \(the VAE.s 8 pixels per latent x the UNet.s 2 latents per bottom cell\), got 60x64" -- facet txt2img --model "$sd" --prompt "car" --steps 1 --width 60 --out "$work/x.png"
expect 3 "does not exist" -- facet txt2img --model "$work/no-such-model" --prompt "car"
expect 2 "error: " -- facet txt2img --model "$sd" --prompt "car" --no-such-flag
expect 2 "error: " -- facet txt2img --model "$sd" --prompt "car" --steps 0
expect 2 "--sampler 'nope' is not available" -- facet txt2img --model "$sd" --prompt "car" --sampler nope --out "$work/x.png"

# facet serve: what is wrong before it serves (the HTTP side: tests/serve).
expect 2 "give the models to serve" -- facet serve --port 0
expect 2 "two models are named 'a'" -- facet serve --port 0 --model "a=$sd" --model "a=$sd"
expect 3 "does not exist" -- facet serve --port 0 --model "x=$work/no-such-model"
expect 2 "error: " -- facet serve --port 70000 --model "$sd"
expect 2 "error: " -- facet serve --parallel 0 --model "$sd"

# Numbers from config files are checked before use: exit 3 naming the field (issue 28, class 1/4).
# mutate SRC_DIR KEY_PATH VALUE: a copy of the model folder with one config.json field changed.
mutate() {
  local dst="$work/mut"; rm -rf "$dst"; cp -r "$1" "$dst"
  /usr/bin/python3 - "$dst/config.json" "$2" "$3" <<'PY'
import json, sys
path, keys, value = sys.argv[1], sys.argv[2].split("."), json.loads(sys.argv[3])
c = json.load(open(path))
d = c
for k in keys[:-1]:
    d = d.setdefault(k, {})
d[keys[-1]] = value
json.dump(c, open(path, "w"))
PY
  echo "$dst"
}
for kv in "num_attention_heads 0 must be in 1" "num_key_value_heads 0 must be in 1" "hidden_size -3 must be in 1" \
          "rms_norm_eps -1e-05 must be a positive number" "rms_norm_eps 0 must be a positive number" \
          "rope_theta 0 must be a positive number" "rms_norm_eps \"small\" must be a number" \
          "rope_scaling {\"rope_type\":\"llama3\",\"factor\":8,\"low_freq_factor\":4,\"high_freq_factor\":1} must be greater than low_freq_factor"; do
  read -r key value why <<<"$kv"
  m="$(mutate "$models/llama_tiny" "$key" "$value")"
  expect 3 "config.json.*'$key'.*$why|config.json.*$why" -- facet generate --model "$m" --prompt hi --max-tokens 2
done
m="$(mutate "$models/clip_tiny" vision_config.layer_norm_eps 0)"
expect 3 "'layer_norm_eps' must be a positive number" -- facet embed --model "$m" --image "$models/images/rgb_37x23.png" --out "$work/x.npy"
m="$(mutate "$models/dinov2_tiny" layer_norm_eps -1)"
expect 3 "'layer_norm_eps' must be a positive number" -- facet embed --model "$m" --image "$models/images/rgb_37x23.png" --out "$work/x.npy"
# A tensor the config implies that the file lacks: llava-hf's second projector layer.
rm -rf "$work/lv"; cp -r "$models/llava_tiny" "$work/lv"
/usr/bin/python3 - "$work/lv/model.safetensors" <<'PY'
import json, struct, sys
p = sys.argv[1]
b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n]); data = b[8 + n:]
out, blob = {}, b""
for k, v in h.items():
    if k == "__metadata__" or "linear_2" in k:
        continue
    s, e = v["data_offsets"]
    out[k] = dict(v, data_offsets=[len(blob), len(blob) + e - s]); blob += data[s:e]
hb = json.dumps(out).encode()
open(p, "wb").write(struct.pack("<Q", len(hb)) + hb + blob)
PY
expect 3 "missing weight tensor 'multi_modal_projector.linear_2.weight'" -- facet run --model "$work/lv" --image "$models/images/photo_50x33.jpg" --prompt hi --max-tokens 2
# Preprocessor sizes: a crop the CLIP tower cannot take is refused before any image is resized
# (it took 11 s and 1.8 GB at 8192 px); a thin image whose resize would be huge is named.
rm -rf "$work/pc"; cp -r "$models/clip_tiny" "$work/pc"
sed -i 's/"height": 30/"height": 8192/; s/"width": 30/"width": 8192/' "$work/pc/preprocessor_config.json"
expect 3 "crop_size 8192x8192 does not match the vision tower's image_size 30" -- facet embed --model "$work/pc" --image "$models/images/rgb_37x23.png" --out "$work/x.npy"
/usr/bin/python3 -c "from PIL import Image; Image.new('RGB', (2000, 1)).save('$work/thin.png')"
expect 3 "thin.png.*2000x1 pixels resized to a short side of 30 would be 60000 pixels long|2000x1 pixels resized to a short side of 30 would be 60000 pixels long" -- facet embed --model "$models/clip_tiny" --image "$work/thin.png" --out "$work/x.npy"
# Smaller classes: an unwritable --log-file (2), a log in a new folder that holds its lines, a
# text file posing as a plugin (named), --save on a language model (2).
expect 2 "--log-file '/proc/no/x.log' cannot be written" -- facet --log-file /proc/no/x.log devices
facet --log-file "$work/logs/new/run.log" generate --model "$models/llama_tiny" --prompt hi --max-tokens 2 >/dev/null 2>&1
grep -q "Vulkan device" "$work/logs/new/run.log" || { echo "FAIL: --log-file in a new folder holds no lines"; fails=$((fails + 1)); }
mkdir -p "$work/fakeplug" && echo "not a library" > "$work/fakeplug/adapter_fake.so"
expect 0 "adapter_fake.so.*not a shared library \(no ELF header\)" -- env FACET_PLUGIN_PATH="$work/fakeplug" "$facet_bin" plugins
expect 2 "--save writes a pipeline's output tensors" -- facet run --model "$models/llava_tiny" --image "$models/images/photo_50x33.jpg" --prompt hi --save "$work/s"

echo "$fails failures"
[ "$fails" -eq 0 ]
