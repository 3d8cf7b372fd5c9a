#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the text the kernel prints for its dma trace events, for a made-up workload.

    ftrace_sample.py nvme|net [--form trace|report] [--ios N] [--cpus N] [--seed N]

nvme: an fio run of 4 KiB random reads (dma_map_page / dma_unmap_page) with every eighth I/O
a 128 KiB read (dma_map_sg of 32 pages), each CPU with iodepth I/Os in flight, 20 us of
device time each. net: a network flow, receive buffers mapped FROM_DEVICE and refilled as
packets arrive, transmit buffers mapped TO_DEVICE and unmapped on completion, a coherent
ring allocated first. Either also prints a few lines the import counts and does not replay
(a sched_switch, the IOMMU core's map and unmap, a dma_sync). --form trace prints what
/sys/kernel/tracing/trace shows (flags column), report what 'trace-cmd report' shows. The
output depends on the arguments only (docs/traces.md uses it for the examples and the speed
figures).
"""
import argparse
import heapq
import random
import sys


def line(form, task, cpu, t_ns, event, fields):
    ts = f"{t_ns // 1000000000}.{t_ns % 1000000000 // 1000:06d}"
    if form == "trace":
        return f"{task:>16s} [{cpu:03d}] d..1. {ts:>12s}: {event}: {fields}\n"
    return f"{task:>16s} [{cpu:03d}] {ts:>12s}: {event + ':':<16s} {fields}\n"


def nvme(a, out):
    rng = random.Random(a.seed)
    dev = "0000:00:04.0"
    next_iova = [0xfffff000]

    def iova(pages):
        next_iova[0] -= pages * 4096
        if next_iova[0] < 0x100000:
            next_iova[0] = 0xfffff000 - pages * 4096
        return next_iova[0]

    events = []  # (time, seq, cpu, text)
    seq = 0
    t0 = 523_000_000_000
    done = 0
    # each CPU keeps 4 I/Os in flight: a heap of completion times
    pending = []
    for cpu in range(a.cpus):
        for slot in range(4):
            heapq.heappush(pending, (t0 + rng.randrange(1000, 3000), cpu, slot))
    while done < a.ios:
        t, cpu, slot = heapq.heappop(pending)
        big = done % 8 == 7
        phys = 0x12000000 + (cpu * 64 + slot) * 0x40000
        task = f"fio-{2780 + cpu}"
        if big:
            base = iova(32)
            dmas = "{" + f"0x{base:x}" + "}"
            phys_list = "{" + ",".join(f"0x{phys + 8192 * i:x}" for i in range(32)) + "}"
            f = (f"{dev} dir=FROM_DEVICE dma_addrs={dmas} sizes={{0x20000}} "
                 f"phys_addrs={phys_list} attrs=")
            events.append((t, seq, cpu, task, "dma_map_sg", f))
            seq += 1
            end = t + 40000 + rng.randrange(0, 8000)
            f = f"{dev} dir=FROM_DEVICE phys_addrs={phys_list} attrs="
            events.append((end, seq, cpu, "<idle>-0", "dma_unmap_sg", f))
        else:
            a_ = iova(1)
            f = (f"{dev} dir=FROM_DEVICE dma_addr={a_:x} size=4096 phys_addr={phys:x} "
                 f"attrs=")
            events.append((t, seq, cpu, task, "dma_map_page", f))
            seq += 1
            end = t + 20000 + rng.randrange(0, 4000)
            f = f"{dev} dir=FROM_DEVICE dma_addr={a_:x} size=4096 attrs="
            events.append((end, seq, cpu, "<idle>-0", "dma_unmap_page", f))
            if done % 50 == 3:
                events.append((t + 1, seq, cpu, task, "map",
                               f"IOMMU: iova=0x{a_:016x} - 0x{a_ + 4096:016x} "
                               f"paddr=0x{phys:016x} size=4096"))
        seq += 1
        done += 1
        heapq.heappush(pending, (end + rng.randrange(500, 1500), cpu, slot))
    events.append((t0 + 500, seq, 0, "kworker/0:1-97", "sched_switch",
                   "prev_comm=kworker/0:1 prev_pid=97 prev_prio=120 prev_state=I ==> "
                   "next_comm=fio next_pid=2780 next_prio=120"))
    emit(a, out, events)


def net(a, out):
    rng = random.Random(a.seed)
    dev = "0001:00:00.0"
    events = []
    seq = 0
    t = 611_000_000_000
    iova = [0x80000000]

    def take(n):
        iova[0] -= n
        return iova[0]

    ring = take(65536)
    events.append((t, seq, 0, "NetworkManager-812", "dma_alloc",
                   f"{dev} dma_addr={ring:x} size=65536 virt_addr=00000000c0ffee00 "
                   f"flags=GFP_KERNEL attrs="))
    seq += 1
    rx = []
    for i in range(16):
        a_ = take(4096)
        rx.append(a_)
        events.append((t + 1000 + i * 100, seq, 0, "NetworkManager-812", "dma_map_page",
                       f"{dev} dir=FROM_DEVICE dma_addr={a_:x} size=2048 "
                       f"phys_addr={0x3000000 + i * 4096:x} attrs=SKIP_CPU_SYNC"))
        seq += 1
    t += 10000
    for p in range(a.ios):
        t += rng.randrange(800, 2500)
        cpu = p % a.cpus
        if p % 3 == 0:  # a packet sent: mapped, unmapped on its completion
            a_ = take(4096)
            events.append((t, seq, cpu, f"iperf3-{900 + cpu}", "dma_map_page",
                           f"{dev} dir=TO_DEVICE dma_addr={a_:x} size=1514 "
                           f"phys_addr={0x5000000 + p * 4096 % 0x800000:x} attrs="))
            seq += 1
            events.append((t + 9000, seq, cpu, "<idle>-0", "dma_unmap_page",
                           f"{dev} dir=TO_DEVICE dma_addr={a_:x} size=1514 attrs="))
        else:  # a packet received: its buffer unmapped, a fresh one mapped
            k = p % len(rx)
            events.append((t, seq, cpu, "<idle>-0", "dma_unmap_page",
                           f"{dev} dir=FROM_DEVICE dma_addr={rx[k]:x} size=2048 "
                           f"attrs=SKIP_CPU_SYNC"))
            seq += 1
            rx[k] = take(4096)
            events.append((t + 300, seq, cpu, "<idle>-0", "dma_map_page",
                           f"{dev} dir=FROM_DEVICE dma_addr={rx[k]:x} size=2048 "
                           f"phys_addr={0x3000000 + p * 4096 % 0x800000:x} "
                           f"attrs=SKIP_CPU_SYNC"))
            seq += 1
            events.append((t + 310, seq, cpu, "<idle>-0", "dma_sync_single_for_cpu",
                           f"{dev} dir=FROM_DEVICE dma_addr={rx[k]:x} size=2048"))
        seq += 1
    emit(a, out, events)


def emit(a, out, events):
    events.sort()
    if a.form == "report":
        out.write("version = 6\n")
        out.write(f"cpus={a.cpus}\n")
    else:
        out.write("# tracer: nop\n#\n")
    for t, _, cpu, task, ev, fields in events:
        out.write(line(a.form, task, cpu, t, ev, fields))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("kind", choices=["nvme", "net"])
    p.add_argument("--form", choices=["trace", "report"], default="trace")
    p.add_argument("--ios", type=int, default=200)
    p.add_argument("--cpus", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    (nvme if a.kind == "nvme" else net)(a, sys.stdout)


if __name__ == "__main__":
    main()
