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
  mapfile -t files < <(find lib sim bench include tests examples -name '*.[ch]' 2>/dev/null |
                       sort)
fi
if [ "${#files[@]}" -eq 0 ]; then
  echo "format_check: no C files found under $root"
  exit 1
fi
# One clang-format process for every file: --dry-run reports each difference as a warning
# naming the file and line, and --Werror makes any of them fail.
if out=$(clang-format --style=file --dry-run --Werror "${files[@]}" 2>&1); then
  echo "format_check: ${#files[@]} files checked, all formatted ($(clang-format --version))"
  exit 0
fi
echo "$out" | head -40
bad=$(echo "$out" | grep -o '^[^:]*:[0-9]*:[0-9]*: error' | cut -d: -f1 | sort -u | wc -l)
echo "format_check: ${#files[@]} files checked, $bad not formatted as .clang-format says (clang-format -i FILE)"
exit 1
