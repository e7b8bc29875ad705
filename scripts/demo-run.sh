#!/usr/bin/env bash
# Facet on the demo models (apps/demo/models: trained here on the generated shapes world, see
# apps/demo/README.md), as README command (a) shows it:
#   1. asks demo-llava about a picture and streams the answer (facet run);
#   2. asks it to point at every object and draws the boxes (facet ground --draw);
#   3. draws pictures from captions with demo-sd (facet txt2img);
#   4. runs the world's miniature MMVP benchmark for demo-llava (CLIP features) and demo-mof
#      (CLIP + DINOv2 features), side by side per visual pattern (facet mmvp), and MMVP-VLM for
#      demo-clip (facet mmvp-vlm) -- "Eyes Wide Shut?" in miniature.
# Usage: scripts/demo-run.sh [BUILD_DIR] [OUT_DIR]   (defaults: build, build/demo-out)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
out="${2:-$build/demo-out}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
facet="$build/bin/facet"
models="$root/apps/demo/models"
bench="$root/apps/demo/bench"
picture="$root/apps/demo/images/test-000002.png"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. Ask demo-llava about a picture ($picture: a yellow circle and an orange triangle)"
for q in "What colour is the triangle?" "Which way is the triangle pointing?" "How many objects are there?"; do
  printf 'Q: %s\nA: ' "$q"
  "$facet" -q run --model "$models/demo-llava" --image "$picture" --prompt "$q" --max-tokens 24
done

say "2. Point: demo-llava's answer with boxes, parsed and drawn"
"$facet" -q ground --model "$models/demo-llava" --image "$picture" --prompt "Point to every object." \
  --draw "$out/ground.png"

say "3. Draw: demo-sd from captions (the world's eight colours and seven shapes)"
for p in "a red circle" "a blue square" "a green arrow"; do
  "$facet" -q txt2img --model "$models/demo-sd" --prompt "$p" --seed 1 --out "$out/${p// /-}.png"
done

say "4. Eyes Wide Shut? in miniature: the world's MMVP pairs, CLIP-only vs CLIP + DINOv2 features"
"$facet" -q mmvp --model "demo-llava=$models/demo-llava" --model "demo-mof=$models/demo-mof/pipeline.toml" \
  --data "$bench/mmvp" --patterns "$bench/mmvp/patterns.csv" --out "$out/mmvp.jsonl" --chart "$out/mmvp.svg"
"$facet" -q mmvp-vlm --model "demo-clip=$models/demo-clip" --data "$bench/mmvp_vlm" \
  --csv "$out/mmvp_vlm.csv" --chart "$out/mmvp_vlm.svg"

say "Outputs in $out"
for f in ground.png a-red-circle.png a-blue-square.png a-green-arrow.png mmvp.jsonl mmvp.svg mmvp_vlm.csv mmvp_vlm.svg; do
  [ -s "$out/$f" ] || { echo "missing output: $out/$f" >&2; exit 1; }
  echo "  $out/$f"
done
