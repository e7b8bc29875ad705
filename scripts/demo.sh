#!/usr/bin/env bash
# README command (a): installs dependencies, builds and installs Facet, builds the out-of-tree
# template plugin against the installed SDK (as a plugin author would), generates the demo model
# and runs the demo pipeline (docs/pipelines/demo.toml) on the best Vulkan device.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/install-deps.sh"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
bash "$root/scripts/build.sh" "$root/build"
cmake --install "$root/build" --prefix "$root/build/install" >/dev/null
cmake -S "$root/sdk/template" -B "$root/build/template" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$root/build/install" >/dev/null
cmake --build "$root/build/template" >/dev/null
"$root/build/bin/facet-make-demo" "$root/build/demo"
FACET_DEMO_DIR="$root/build/demo" FACET_PLUGIN_PATH="$root/build/template" \
  "$root/build/install/bin/facet" run --debug "$root/docs/pipelines/demo.toml"
