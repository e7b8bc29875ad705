#!/usr/bin/env bash
# README command (a): installs the dependencies, builds Facet, then shows it doing its job on the
# small models shipped in apps/demo/models (scripts/demo-run.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/install-deps.sh"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
bash "$root/scripts/build.sh" "$root/build"
bash "$root/scripts/demo-run.sh" "$root/build" "$root/build/demo-out"
