#!/bin/sh
# pgo_same_bytes.sh BENCH SOURCE_ROOT: a profile-guided build (scripts/build-pgo) prints the same
# bytes as BENCH, this build's program: compare tables of every s390 platform and policy, a
# powerpc and an mlx5 scenario, a trace replay and the allocator replays. Profile-guided
# optimisation only changes the code's layout and inlining, never what it computes.
set -eu
bench=$1
top=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/pgo-same.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! "$top/scripts/build-pgo" "$work/build" >"$work/build.log" 2>&1; then
  cat "$work/build.log"
  echo "pgo_same_bytes: scripts/build-pgo failed"
  exit 1
fi
pgo=$work/build/bench/iommusim-bench
n=0
same() {
  # standard output only: standard error has wall-clock times
  "$bench" "$@" >"$work/a" 2>/dev/null
  "$pgo" "$@" >"$work/b" 2>/dev/null
  if ! cmp -s "$work/a" "$work/b"; then
    diff "$work/a" "$work/b" | head -20
    echo "pgo_same_bytes: the profile-guided build prints other bytes for: $*"
    exit 1
  fi
  n=$((n + 1))
}
same compare --jobs 1 --seconds 0.03 --warmup 0.01
same compare --jobs 2 --platform kvm --seconds 3 --warmup 0.5 --repeat 2
same compare --jobs 1 --scenario ppc-nvme-ddw-dynamic --seconds 0.02 --warmup 0.01
same compare --jobs 1 --scenario s390-mlx5-smallpkt --platform lpar,zvm --seconds 0.01
same compare --jobs 1 --trace "$top/examples/traces/net-flow.trace" --platform zvm,powervm
for f in "$top"/tests/data/golden/iova/*.ops; do same iova-replay "$f"; done
for f in "$top"/tests/data/golden/tce/*.ops; do same tce-replay "$f"; done
echo "pgo_same_bytes: $n outputs the same"
