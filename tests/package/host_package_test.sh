#!/usr/bin/env bash
# The host library as users get it: install facet into a prefix, build docs/examples/host_api
# against it with find_package(facet) (C++) and pkg-config (C), and run both on the demo models.
# Usage: host_package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"; src="$2"
preload="${LD_PRELOAD:-}"; unset LD_PRELOAD  # ASan runtime: for the programs, not the compilers
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/facet/facet.hpp" && test -f "$work/prefix/include/facet/facet.h"
libdir="$(dirname "$(find "$work/prefix" -name 'libfacet.so' | head -n 1)")"
cp -r "$src/docs/examples/host_api" "$work/example"
cmake -S "$work/example" -B "$work/example/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" \
  ${FACET_EXAMPLE_FLAGS:+-DCMAKE_CXX_FLAGS="$FACET_EXAMPLE_FLAGS"} >/dev/null
cmake --build "$work/example/build" >/dev/null
cd "$work"
out="$(LD_PRELOAD="$preload" "$work/example/build/describe" "$src/apps/demo/models" "$src/apps/demo/images/test-000002.png")"
echo "$out"
grep -q "^P(an orange triangle) = " <<<"$out"
grep -q "^answer: " <<<"$out"
grep -q "prompt tokens" <<<"$out"
test -s "$work/describe.png"
# C, through pkg-config.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc ${FACET_EXAMPLE_FLAGS:-} "$src/docs/examples/host_api/embed.c" -o "$work/embed" $(pkg-config --cflags --libs facet)
out="$(LD_PRELOAD="$preload" LD_LIBRARY_PATH="$libdir" "$work/embed" "$src/apps/demo/models/demo-clip" "a red circle" "a blue square")"
echo "$out"
grep -q "^a blue square: \[.*\] (" <<<"$out"
# Errors keep their codes through the C API: a missing model is exit 3.
set +e
LD_PRELOAD="$preload" LD_LIBRARY_PATH="$libdir" "$work/embed" "$work/missing" "x" 2>"$work/err"; code=$?
set -e
[ "$code" = 3 ] && grep -q "missing" "$work/err"
# Python, from the install: the package beside the library, no PYTHONPATH into the build tree.
if [ -d "$build/python/facet" ]; then
  pkg="$(dirname "$(find "$work/prefix" -path '*dist-packages/facet/__init__.py' | head -n 1)")"
  out="$(cd "$work" && LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 PYTHONPATH="$(dirname "$pkg")" /usr/bin/python3 -c "
import facet
assert facet.__file__.startswith('$work/prefix'), facet.__file__
print(facet.Model('$src/apps/demo/models/demo-clip').embed_texts(['a red circle']).shape)")"
  echo "$out"
  grep -q "^(1, 64)$" <<<"$out"
fi
echo "host package test passed"
