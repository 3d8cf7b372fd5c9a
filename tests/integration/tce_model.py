#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Random TCE op scripts, replayed by `iommusim-bench tce-replay` and by a bit-by-bit model.

    tce_model.py BENCH [COUNT [SEED]]

The model below follows the kernel's rules one bit at a time, with none of the word-at-a-time
searches of lib/bitmap: the same pools, passes, hints, masks, boundaries and handles
(docs/sources.md S20, S21; tests/data/golden/tce/README.md for the script format). It is
slow but plain, and it prints the golden files' answers too (checked first, so the model
itself is known to be right). COUNT scripts (default 300) from seeds SEED.. (default 1) mix
small tables of every pool layout, offsets around 2^31, reserved ranges, block sizes,
segment boundaries and DMA masks with thousands of allocs and frees; the CLI must print
exactly what the model prints. A difference names the seed and the first differing line,
and the script is written to tce_model_fail.ops in the current folder.
"""
import os
import random
import subprocess
import sys

M64 = (1 << 64) - 1


def next_zero(m, size, start):
    while start < size:
        if not m[start]:
            return start
        start += 1
    return size


def next_set(m, size, start):
    while start < size:
        if m[start]:
            return start
        start += 1
    return size


def zero_area(m, size, start, nr, align_mask):
    """bitmap_find_next_zero_area(): an aligned clear run, or a value above size."""
    while True:
        index = next_zero(m, size, start)
        index = (index + align_mask) & M64 & ~align_mask
        end = (index + nr) & M64
        if end > size:
            return end
        hit = next_set(m, end, index)
        if hit >= end:
            return index
        start = hit + 1


def crosses(index, nr, shift, boundary):
    """iommu_is_span_boundary(), with its 32-bit index and nr."""
    off = ((shift + (index & 0xffffffff)) & M64) & (boundary - 1)
    return off + (nr & 0xffffffff) > boundary


def area_alloc(m, size, start, nr, shift, boundary, align_mask):
    """iommu_area_alloc(): the index of the run it sets, or None."""
    size = (size - 1) & M64
    while True:
        index = zero_area(m, size, start, nr, align_mask)
        if index >= size:
            return None
        if not crosses(index, nr, shift, boundary):
            for i in range(index, index + nr):
                m[i] = 1
            return index
        start = (((shift + index + boundary - 1) & ~(boundary - 1)) - shift) & M64


class Table:
    """struct iommu_table after iommu_init_table(); pools are [start, end, hint] lists."""

    def __init__(self, off, size, shift, res_start, res_end, blocksize, seg_mask):
        self.off, self.size, self.blocksize = off, size, blocksize
        self.boundary = ((seg_mask if seg_mask else M64) >> shift) + 1
        self.map = [0] * size
        if off == 0:
            self.map[0] = 1
        res_start = max(res_start, off)
        res_end = min(res_end, off + size)
        if res_start >= res_end:
            self.res = (off, off)
        else:
            self.res = (res_start, res_end)
            # The kernel's loop counter is an int: it starts at the range's start truncated to
            # 32 bits and stops at 2^31 (wrapping negative). Writes below the table's offset
            # land outside the bitmap and are not modelled.
            first = res_start & 0xffffffff
            if first < 1 << 31:
                for entry in range(max(first, off), min(res_end, 1 << 31)):
                    self.map[entry - off] = 1
        self.nr = 4 if ((size << shift) & M64) >= 1 << 30 else 1
        self.poolsize = (size * 3 // 4) // self.nr
        self.pools = [[self.poolsize * i, self.poolsize * (i + 1), self.poolsize * i]
                      for i in range(self.nr)]
        start = self.poolsize * self.nr
        self.large = [start, size, start]

    def alloc(self, cpu, npages, mask, align, handles, slot):
        """iommu_range_alloc() + it_offset: the entry, or None."""
        if npages == 0:
            return None
        large = npages > 15
        pool_nr = (((cpu * 0x61C88647) & 0xffffffff) >> 30) & (self.nr - 1)
        pool = self.large if large else self.pools[pool_nr]
        npass = 0
        while True:
            handle = handles[slot] if slot is not None else 0
            if npass == 0 and handle and pool[0] <= handle < pool[1]:
                start = handle
            else:
                start = pool[2]
            limit = pool[1]
            if start >= limit:
                start = pool[0]
            if limit + self.off > mask:
                limit = mask - self.off + 1
                if (start & mask) >= limit or npass > 0:
                    pool = self.pools[0]
                    start = pool[0]
                else:
                    start &= mask
            n = area_alloc(self.map, limit, start, npages, self.off, self.boundary,
                           (1 << align) - 1)
            if n is not None:
                break
            if npass == 0:
                pass
            elif npass <= self.nr:
                pool_nr = (pool_nr + 1) & (self.nr - 1)
                pool = self.pools[pool_nr]
            elif npass == self.nr + 1:
                pool = self.large
            else:
                return None
            pool[2] = pool[0]
            npass += 1
        end = n + npages
        pool[2] = end if large else (end + self.blocksize - 1) & ~(self.blocksize - 1)
        if slot is not None:
            handles[slot] = end
        return n + self.off

    def free(self, entry, npages):
        rel = (entry - self.off) & M64
        if rel + npages > self.size or entry < self.off:
            return
        for i in range(rel, rel + npages):
            self.map[i] = 0

    def in_use(self):
        start = 1 if self.off == 0 else 0
        if self.res == (0, 0):
            return next_set(self.map, self.size, start) != self.size
        end = self.res[0] - self.off
        if next_set(self.map, end, start) != end:
            return True
        return next_set(self.map, self.size, self.res[1] - self.off) != self.size


def replay(lines):
    """The answers to a valid script, one string per printed line."""
    out, table, handles = [], None, [0] * 64
    for line in lines:
        words = line.split("#")[0].split()
        if not words:
            continue
        op, a = words[0], [int(w, 0) for w in words[1:]]
        if op == "table":
            table = Table(*a[:6], a[6] if len(a) > 6 else 0xffffffff)
            handles = [0] * 64
        elif op == "alloc":
            entry = table.alloc(a[0], a[1], a[2], a[3], handles, a[4] if len(a) > 4 else None)
            out.append("fail" if entry is None else hex(entry))
        elif op == "free":
            table.free(a[0], a[1])
        elif op == "handle":
            handles[a[0]] = a[1]
        elif op == "inuse":
            out.append("yes" if table.in_use() else "no")
        elif op == "weight":
            out.append(str(sum(table.map)))
        elif op == "pools":
            s = "pools nr=%d poolsize=%s" % (table.nr, hex(table.poolsize))
            for i, p in enumerate(table.pools):
                s += " %d=%s,%s,%s" % (i, hex(p[0]), hex(p[1]), hex(p[2]))
            out.append(s + " large=%s,%s,%s" % tuple(hex(x) for x in table.large))
        elif op == "reserved":
            out.append("reserved %s %s" % (hex(table.res[0]), hex(table.res[1])))
    return out


def script(rng):
    """A valid script: up to three tables, each with up to 400 ops."""
    lines = []
    for _ in range(rng.randint(1, 3)):
        shift = rng.choice([12, 12, 16, 16, 21, 24, 30, 34])
        size = rng.choice([8, 9, 10, 16, 100, 257, 1000, 2048, 4096, rng.randint(8, 3000)])
        off = rng.choice([0, 0, 0, 1, 8, 0x10000, rng.randint(0, 5000), 0x7fffff00,
                          (1 << 31) - 50, 1 << 32])
        if (off + size) << shift > 1 << 64:
            off = 0
        res_start = rng.choice([0, off, off + rng.randint(0, size), rng.randint(0, off + size)])
        res_end = rng.choice([0, res_start + rng.randint(0, size), off + size + rng.randint(0, 9),
                              rng.randint(0, off + size + 9)])
        blocksize = rng.choice([16, 16, 1, 2, 4, 64, 1 << 32])
        seg = rng.choice([None, 0, 0xffffffff, (16 << shift) - 1, (64 << shift) - 1,
                          (1 << shift) - 1, M64])
        line = "table %s %s %d %s %s %s" % (hex(off), hex(size), shift, hex(res_start),
                                             hex(res_end), hex(blocksize))
        if seg is not None:
            line += " " + hex(seg)
        lines.append(line)
        boundary = ((0xffffffff if seg is None else seg or M64) >> shift) + 1
        for _ in range(rng.randint(1, 400)):
            r = rng.random()
            if r < 0.6:
                cpu = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, rng.randint(0, 8191)])
                npages = min(boundary, rng.choice([1, 1, 1, 2, 3, 15, 16, 17, rng.randint(0, 40),
                                                   rng.randint(1, size + 5)]))
                mask = max(off, rng.choice([M64 >> shift, M64 >> shift,
                                            off + rng.randint(0, 2 * size),
                                            ((1 << rng.randint(1, 40)) - 1) | off, off]))
                align = rng.choice([0, 0, 0, 1, 2, 4, 6, rng.randint(0, 63)])
                line = "alloc %d %d %s %d" % (cpu, npages, hex(mask), align)
                if rng.random() < 0.3:
                    line += " %d" % rng.randint(0, 3)
                lines.append(line)
            elif r < 0.85:
                entry = rng.choice([off + rng.randint(0, size), rng.randint(0, off + size + 3)])
                npages = rng.choice([1, 1, 2, 16, rng.randint(0, 30)])
                lines.append("free %s %d" % (hex(entry), npages))
            elif r < 0.9:
                value = rng.choice([0, rng.randint(0, size + 10)])
                lines.append("handle %d %s" % (rng.randint(0, 3), hex(value)))
            else:
                lines.append(rng.choice(["inuse", "weight", "pools", "reserved"]))
    return lines


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    bench = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed0 = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    golden = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "golden",
                          "tce")
    for name in sorted(os.listdir(golden)):
        if name.endswith(".ops"):
            with open(os.path.join(golden, name)) as f:
                got = replay(f.read().splitlines())
            with open(os.path.join(golden, name[:-4] + ".out")) as f:
                if got != f.read().splitlines():
                    print("tce_model: the model disagrees with the golden file " + name)
                    return 1
    for seed in range(seed0, seed0 + count):
        lines = script(random.Random(seed))
        text = "\n".join(lines) + "\n"
        run = subprocess.run([bench, "tce-replay"], input=text, capture_output=True, text=True)
        want = replay(lines)
        got = run.stdout.splitlines()
        if run.returncode != 0 or got != want:
            with open("tce_model_fail.ops", "w") as f:
                f.write(text)
            where = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w),
                         min(len(got), len(want)))
            print("tce_model: seed %d: exit %d, output line %d: got %r, model %r%s" % (
                seed, run.returncode, where + 1, got[where] if where < len(got) else None,
                want[where] if where < len(want) else None, run.stderr.strip()))
            return 1
    print("tce_model: %d scripts from seed %d agree with the model" % (count, seed0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
