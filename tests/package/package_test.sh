#!/usr/bin/env bash
# The SDK as a plugin author gets it: install facet into a prefix, build sdk/template out of tree
# with find_package(facet), and run the demo pipeline with the freshly built plugin.
# Usage: package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"; src="$2"
# Under the sanitizer run LD_PRELOAD carries the ASan runtime: give it to facet only, not to cmake
# and the compiler, whose exit-time leak reports would fail the build steps.
facet_preload="${LD_PRELOAD:-}"; unset LD_PRELOAD
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cp -r "$src/sdk/template" "$work/my_adapter"
cmake -S "$work/my_adapter" -B "$work/my_adapter/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/my_adapter/build" >/dev/null
test -f "$work/my_adapter/build/adapter_pixel_shuffle.so"
LD_PRELOAD="$facet_preload" "$build/bin/facet-make-demo" "$work/demo" >/dev/null
# The installed facet finds its own plugins (lib/facet/plugins) and the new one via FACET_PLUGIN_PATH.
out="$(LD_PRELOAD="$facet_preload" FACET_DEMO_DIR="$work/demo" FACET_PLUGIN_PATH="$work/my_adapter/build" \
  "$work/prefix/bin/facet" run --debug --validation "$src/docs/pipelines/demo.toml")"
echo "$out"
grep -q "merge (adapter_pixel_shuffle/pixel_shuffle) -> y f32 \[4, 32\]" <<<"$out"
grep -q "all 2 nodes match their CPU references" <<<"$out"
LD_PRELOAD="$facet_preload" FACET_PLUGIN_PATH="$work/my_adapter/build" "$work/prefix/bin/facet" plugins | grep -q "$work/my_adapter/build/adapter_pixel_shuffle.so"
echo "package test passed"
