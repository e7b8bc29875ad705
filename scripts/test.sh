#!/usr/bin/env bash
# Installs dependencies, builds Facet, runs the whole test suite, then runs it again under
# AddressSanitizer + UndefinedBehaviorSanitizer. This is README command (b) and what CI runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/install-deps.sh"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
jobs="$(nproc)"

echo "== release build + tests"
bash "$root/scripts/build.sh" "$root/build"
ctest --test-dir "$root/build" --output-on-failure --parallel "$jobs"

echo "== ASan + UBSan build + tests"
FACET_BUILD_TYPE=Debug bash "$root/scripts/build.sh" "$root/build-asan" -DFACET_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir "$root/build-asan" --output-on-failure --parallel "$jobs" -LE package
echo "== all tests passed"
