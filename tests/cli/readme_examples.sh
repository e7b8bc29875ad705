#!/usr/bin/env bash
# The README's promise that its commands work as written from the repository root: every command
# of its "Using it" block that starts with build/bin/ (or PYTHONPATH=build/python) runs (with this
# build's bin/ and python/ in their place) and must exit 0. Usage: readme_examples.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build="$(cd "$1" && pwd)"; src="$(cd "$2" && pwd)"
cd "$src"
mkdir -p /tmp/facet-demo
# The fenced block after "## Using it", continuation lines joined.
commands="$(awk '/^## Using it/{on=1} on&&/^```/{n++; if(n==2) exit; next} on&&n==1' README.md |
  sed -e ':a' -e '/\\$/N; s/\\\n *//; ta' | grep -E '^(FACET_[A-Z_]+=[^ ]+ +)*build/bin/|^PYTHONPATH=build/python ' || true)"
count=0; fails=0
while IFS= read -r line; do
  [ -z "$line" ] && continue
  cmd="${line%%  #*}"   # drop a trailing comment
  cmd="${cmd//build\/bin\//$build/bin/}"
  cmd="${cmd//PYTHONPATH=build\/python/PYTHONPATH=$build/python}"
  count=$((count + 1))
  if out="$(bash -c "$cmd" 2>&1)"; then
    echo "ok: $line"
  else
    echo "FAIL (exit $?): $line"; echo "$out" | tail -5; fails=$((fails + 1))
  fi
done <<<"$commands"
[ "$count" -ge 10 ] || { echo "FAIL: only $count commands found in README.md's 'Using it' block"; fails=$((fails + 1)); }
echo "$count README commands, $fails failed"
exit $((fails > 0))
