#!/usr/bin/env bash
# Installs dependencies, builds Facet and the out-of-tree template plugin, generates the demo
# model and runs the demo pipeline on the first Vulkan device. This is README command (a).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/install-deps.sh"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
bash "$root/scripts/build.sh" "$root/build"
# The template plugin is built the way a plugin author builds it: against the installed SDK.
cmake --install "$root/build" --prefix "$root/build/install" >/dev/null
cmake -S "$root/sdk/template" -B "$root/build/template" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$root/build/install" >/dev/null
cmake --build "$root/build/template" >/dev/null
demo="$root/build/demo"
"$root/build/bin/facet-make-demo" "$demo"
FACET_PLUGIN_PATH="$root/build/template" "$root/build/bin/facet" run "$root/docs/pipelines/demo.toml" \
  --set-input features="$demo/features.npy" --weights-dir "$demo"
