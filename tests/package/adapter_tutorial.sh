#!/usr/bin/env bash
# Runs docs/writing-an-adapter.md as written: installs facet into a prefix, writes every file the
# page shows (a fenced block after "<!-- file: PATH -->") and runs every command block marked
# "<!-- run -->", in page order, in an empty folder; then checks the outputs the page promises.
# Usage: adapter_tutorial.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"; src="$2"; doc="$src/docs/writing-an-adapter.md"
# Under the sanitizer run LD_PRELOAD carries the ASan runtime (and keeps the driver mapped for the
# leak checker); the page's commands run compilers too, so drop it and the leak check: facet is
# linked with the runtime itself, and its leaks are checked by the other tests.
unset LD_PRELOAD; export ASAN_OPTIONS=detect_leaks=0
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
mkdir "$work/tutorial" && cd "$work/tutorial"
# Extract: files go where they say; run blocks are appended to steps.sh.
awk -v dir="$work/tutorial" '
  /^<!-- file: .* -->$/ { file = $3; next }
  /^<!-- run -->$/ { run = 1; next }
  /^```/ {
    if (inside) { inside = 0; if (file != "") close(dir "/" file); file = ""; run = 0; next }
    if (file != "" || run) { inside = 1; if (file != "") { system("mkdir -p \"$(dirname \"" dir "/" file "\")\""); printf "" > (dir "/" file) } }
    next
  }
  inside && file != "" { print > (dir "/" file); next }
  inside && run { print >> (dir "/steps.sh"); next }
' "$doc"
for f in adapter_conv_merge/CMakeLists.txt adapter_conv_merge/src/conv_merge.cpp adapter_conv_merge/shaders/conv_merge.comp \
         make_inputs.py conv_merge.toml steps.sh; do
  test -s "$f" || { echo "the page lost $f"; exit 1; }
done
out="$(FACET_PREFIX="$work/prefix" bash -euo pipefail steps.sh 2>&1)" || { echo "$out"; echo "a step of the page failed"; exit 1; }
echo "$out"
grep -q "merge (adapter_conv_merge/conv_merge) -> y f32 \[4, 16\]" <<<"$out"
grep -Eq "debug: all [0-9]+ nodes match their CPU references" <<<"$out"
grep -q "bad.toml:7:1: stage 'merge' (adapter_conv_merge/conv_merge): input has 15 tokens, not a square grid" <<<"$out"
echo "adapter tutorial passed"
