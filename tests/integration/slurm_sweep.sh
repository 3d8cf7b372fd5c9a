#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A sweep emitted with --emit-slurm, run as a job array by a real Slurm and merged, gives the
# local sweep's table, CSV and JSON, byte for byte. The Slurm is a single node on this machine
# that the test starts and stops itself (munged, slurmctld and slurmd from Debian's munge and
# slurm-wlm, every file under a temporary directory, ports of its own), so nothing outside the
# test is read or changed. When that Slurm cannot be started (not root, a package missing, a
# daemon that dies, a node that never comes up) the test prints one line
# "slurm_sweep: skipped: REASON" and exits 77, which meson reports as skipped.
set -euo pipefail
bench=${1:?usage: slurm_sweep.sh BENCH SOURCE_ROOT}
root=${2:?usage: slurm_sweep.sh BENCH SOURCE_ROOT}
# The sweep runs in the temporary directory: name the program by its absolute path.
bench=$(realpath "$bench")

tmp=$(mktemp -d)
pids=()
cleanup() {
  # A job still queued or running would outlive slurmd (its steps are slurmstepd processes of
  # their own) and write into the directory being removed: cancel it and let it go first.
  local job
  job=$(head -n 1 "$tmp/work/sbatch.out" 2>/dev/null || true)
  job=${job%%;*}
  if [ -n "$job" ] && kill -0 "${pids[1]:-0}" 2>/dev/null; then
    scancel "$job" 2>/dev/null || true
    for _ in $(seq 50); do
      [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
  # Stop slurmd, then slurmctld, then munged, which the other two need to shut down cleanly.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
# meson stops a test that overruns with SIGTERM: leave through the EXIT trap all the same.
trap 'exit 143' TERM INT

# The last lines of a daemon's log files, on one line, for the skip message.
tail_of() { tail -q -n 3 "$@" 2>/dev/null | tr '\n' '|' | sed 's/|$//; s/|/ | /g'; }
skip() {
  echo "slurm_sweep: skipped: $*"
  exit 77
}

[ "$(id -u)" -eq 0 ] || skip "not root (slurmd runs the job's tasks as their owner, which needs root)"
for p in munged slurmctld slurmd sbatch sinfo squeue scancel; do
  command -v "$p" >/dev/null ||
    skip "$p not found ($root/scripts/install-deps installs slurm-wlm and munge)"
done

# Two ports no one listens on, so a Slurm already running on this machine is left alone.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 20); do
  ctld_port=$((20000 + RANDOM % 20000))
  slurmd_port=$((ctld_port + 1))
  port_free "$ctld_port" && port_free "$slurmd_port" && break
done

mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/work"
# munged wants a key of at least 32 bytes readable by its owner alone.
head -c 1024 /dev/urandom > "$tmp/munge/munge.key"
chmod 600 "$tmp/munge/munge.key"
sock=$tmp/munge/munge.socket
munged --foreground --force --socket="$sock" --key-file="$tmp/munge/munge.key" \
  --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/munge/munged.log" \
  --seed-file="$tmp/munge/munged.seed" > "$tmp/munge/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  [ -S "$sock" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.1
done
[ -S "$sock" ] || skip "munged did not start: $(tail_of "$tmp/munge/munged.log" "$tmp/munge/munged.out")"

# This host as the one node, with the CPUs, sockets and memory slurmd finds on it (a node
# configured with more than it has would be drained).
node=$(slurmd -C 2>/dev/null | head -n 1)
case "$node" in NodeName=*) ;; *) skip "slurmd -C printed no node: $node" ;; esac
name=${node%% *}
name=${name#NodeName=}
conf=$tmp/slurm.conf
cat > "$conf" <<EOF
ClusterName=iommusim-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=$name Default=YES MaxTime=INFINITE State=UP
EOF
sed -i 's/ UpTime=[^ ]*//' "$conf"
export SLURM_CONF=$conf

# -i: start from an empty state, whatever the directory holds.
slurmctld -D -i -f "$conf" > "$tmp/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N "$name" -f "$conf" > "$tmp/slurmd.out" 2>&1 &
pids+=($!)
state=
for _ in $(seq 60); do
  kill -0 "${pids[1]}" 2>/dev/null ||
    skip "slurmctld exited: $(tail_of "$tmp/slurmctld.log" "$tmp/slurmctld.out")"
  kill -0 "${pids[2]}" 2>/dev/null ||
    skip "slurmd exited: $(tail_of "$tmp/slurmd.log" "$tmp/slurmd.out")"
  state=$(sinfo -h -N -n "$name" -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] ||
  skip "node $name not idle after 30 s (sinfo: '${state:-nothing}'): slurmctld: $(tail_of "$tmp/slurmctld.log"); slurmd: $(tail_of "$tmp/slurmd.log")"
echo "slurm_sweep: single-node Slurm up ($(sinfo --version)), node $name idle"

# 2 x 2 points on one platform: 4 cells, at most 2 at once (the %M of --array).
grid=(--platform lpar --policy 'strict,legacy' --set 'dma.fq_size=256,1024' --iodepth '1,4'
      --repeat 2 --seconds 0.01 --warmup 0.005)
cd "$tmp/work"
# The progress lines (stderr) only when the sweep fails.
"$bench" sweep "${grid[@]}" --csv local.csv --json local.json > local.txt 2> local.err ||
  { cat local.err >&2; exit 1; }
"$bench" sweep "${grid[@]}" --emit-slurm cells --slurm-max 2

# --wait: sbatch returns when every task has ended, with the highest exit status among them.
# The tasks take a second or two; a bound well inside meson's makes a stuck queue a failure
# that shows the queue and the logs rather than a bare timeout.
started=$SECONDS
rc=0
timeout 120 sbatch --parsable --wait cells/sweep.sbatch > sbatch.out 2>&1 || rc=$?
if [ $rc -ne 0 ]; then
  echo "slurm_sweep: sbatch failed ($rc, 124: not done after 120 s): $(cat sbatch.out)" >&2
  squeue -j "$(head -n 1 sbatch.out)" >&2 || true
  for f in cells/logs/*.out; do [ -e "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
  echo "--- slurmctld.log" >&2
  tail -n 20 "$tmp/slurmctld.log" >&2
  exit 1
fi
# Slurm ran every task, each writing the output file --output names for it.
for k in 0 1 2 3; do
  [ -e "cells/logs/$k.out" ] || { echo "slurm_sweep: task $k left no cells/logs/$k.out" >&2; exit 1; }
done
done=(cells/cells/*.csv)
echo "slurm_sweep: job array $(head -n 1 sbatch.out) ($(grep -- --array= cells/sweep.sbatch)) ran in" \
  "$((SECONDS - started)) s: ${done[*]}"

"$bench" merge --csv merged.csv --json merged.json cells > merged.txt
cmp local.csv merged.csv
cmp local.json merged.json
cmp local.txt merged.txt
echo "slurm_sweep: merged CSV, JSON and table equal the local sweep's ($(($(wc -l < local.csv) - 1)) rows)"
