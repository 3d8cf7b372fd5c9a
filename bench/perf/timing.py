# SPDX-License-Identifier: MIT
"""Shared helpers of the bench/perf scripts: interleaved whole-process timings and counts."""
import os
import re
import statistics
import subprocess
import sys
import time

# The s390 DMA policies, and each platform's simulated seconds for a rate: a few hundred
# thousand I/Os (the simulated rates differ by three orders of magnitude between LPAR and KVM).
POLICIES = ["strict", "fq-percpu", "fq-single", "legacy"]
RATE_SECONDS = {"lpar": 0.5, "zvm": 1.0, "kvm": 50.0}


def spawn(argv):
    """Run argv with standard output and error thrown away: (wall s, rusage)."""
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("failed: %s" % " ".join(argv))
    return wall, ru


def run_once(argv):
    """Wall seconds and CPU seconds (user + system) of one run of argv, start-up included."""
    wall, ru = spawn(argv)
    return wall, ru.ru_utime + ru.ru_stime


def interleaved(cmds, runs, warmup=2):
    """Run each of cmds (name -> argv) in turn, runs rounds; per name lists of (wall, cpu)."""
    for _ in range(warmup):
        for argv in cmds.values():
            run_once(argv)
    res = {name: [] for name in cmds}
    for _ in range(runs):
        for name, argv in cmds.items():
            res[name].append(run_once(argv))
    return res


def med(samples, i):
    return statistics.median(s[i] for s in samples)


def instructions(argv):
    """User-space instructions of one run, counted by cachegrind (the same on every machine)."""
    out = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                          "--cachegrind-out-file=/dev/null"] + argv,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         check=True).stderr
    m = re.search(r"I\s+refs:\s+([\d,]+)", out)
    return int(m.group(1).replace(",", ""))
