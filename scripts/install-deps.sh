#!/usr/bin/env bash
# Installs Facet's build and test dependencies from Debian 12's archive (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  g++ cmake ninja-build pkg-config git
  libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers vulkan-tools
  glslang-tools glslang-dev spirv-tools
  libspdlog-dev libtomlplusplus-dev libboost-dev libboost-filesystem-dev
  libgtest-dev libcli11-dev nlohmann-json3-dev libstb-dev libjpeg62-turbo-dev
  libcpp-httplib-dev chromium  # facet serve, and its chat page's browser test
  python3  # the script of docs/writing-an-adapter.md (standard library only)
  python3-numpy python3-pil python3-torch libopenblas0-pthread  # the demo world's generator and training smoke test (apps/demo)
  python3-dev pybind11-dev python3-pybind11 python3-pytest python3-dask python3-distributed  # the Python package (python/), its Dask module and tests
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The openai npm client and playwright-core for facet serve's client and page tests (versions
# pinned by tests/serve/js/package-lock.json).
js="$(dirname "$0")/../tests/serve/js"
if [ ! -d "$js/node_modules/openai" ] || [ ! -d "$js/node_modules/playwright-core" ]; then
  command -v npm >/dev/null || { apt-get update -qq; apt-get install -y -qq --no-install-recommends npm; }
  npm ci --prefix "$js" --no-audit --no-fund --loglevel=error
fi
