#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Progress of a sweep: on a terminal one line rewritten in place with the time left; otherwise
# a plain line per finished cell. The terminal is script(1)'s pseudo-terminal; the test skips
# (exit 77) where script is missing.
# usage: progress_tty.sh BENCH
set -euo pipefail
bench=$1
if ! command -v script >/dev/null 2>&1; then
  echo "progress_tty: skipped: script(1) is not installed (Debian: bsdutils)"
  exit 77
fi
args=(sweep --platform lpar --policy strict,legacy --set dma.fq_size=256,1024,4096
      --seconds 0.05 --warmup 0.01 --jobs 2)
work=$(mktemp -d "${TMPDIR:-/tmp}/iommusim-progress.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Not a terminal: one "[k/N] cell ... wall" line per run, N = 3 points x 2 policies.
"$bench" "${args[@]}" >"$work/plain.out" 2>"$work/plain.err"
lines=$(grep -c '^\[[0-9]*/6\] dma.fq_size=[0-9]* lpar [a-z-]* \.\.\. [0-9.]* s wall$' \
        "$work/plain.err" || true)
if [ "$lines" -ne 6 ]; then
  echo "progress_tty: expected 6 progress lines without a terminal, got $lines:"
  cat "$work/plain.err"
  exit 1
fi

# A terminal: carriage returns, the cells count, and a time-left estimate once a cell is done.
cmd=$(printf '%q ' "$bench" "${args[@]}")
script -qec "$cmd >/dev/null" /dev/null >"$work/tty.out" 2>&1 || {
  echo "progress_tty: the run under script failed:"; cat "$work/tty.out"; exit 1; }
if ! grep -q $'\r\[6/6\] cells, 0 running, elapsed [0-9.]* s, about 0 s left' "$work/tty.out"; then
  echo "progress_tty: no final progress line with the time left on a terminal:"
  tr '\r' '\n' <"$work/tty.out" | tail -5
  exit 1
fi
if grep -q '\.\.\. [0-9.]* s wall' "$work/tty.out"; then
  echo "progress_tty: per-cell lines printed on a terminal"
  exit 1
fi
# The report itself does not depend on where the progress goes.
script -qec "$cmd --csv $work/tty.csv >/dev/null" /dev/null >/dev/null 2>&1
"$bench" "${args[@]}" --csv "$work/plain.csv" >/dev/null 2>&1
cmp "$work/tty.csv" "$work/plain.csv"
echo "progress_tty: plain lines without a terminal, one line with the time left on one"
