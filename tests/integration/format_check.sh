#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every C source and header of the repository is formatted as .clang-format says. Skipped
# (exit 77) only when clang-format is not installed: scripts/install-deps installs it.
# usage: format_check.sh SOURCE_ROOT
set -uo pipefail
root=$1
if ! command -v clang-format >/dev/null 2>&1; then
  echo "format_check: skipped: clang-format is not installed (scripts/install-deps installs it)"
  exit 77
fi
cd "$root" || exit 1
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h' |
                       while read -r f; do [ -f "$f" ] && echo "$f"; done)
else
  mapfile -t files < <(find lib sim bench include tests examples -name '*.[ch]' |
                       sort)
fi
bad=0
for f in "${files[@]}"; do
  if ! out=$(clang-format --style=file "$f" | diff -u "$f" - 2>&1); then
    echo "$f is not formatted as .clang-format says (clang-format -i $f):"
    echo "$out" | head -20
    bad=$((bad + 1))
  fi
done
echo "format_check: ${#files[@]} files checked, $bad not formatted ($(clang-format --version))"
[ "$bad" -eq 0 ]
