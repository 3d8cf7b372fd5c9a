/* SPDX-License-Identifier: MIT */
/*
 * The memory of a replay command: one script replayed, then the process exits. Its memory is
 * carved from regions backed by transparent huge pages, so that the first touch of the
 * script, its op array, the output buffer and the allocator's nodes costs one fault per
 * 2 MiB rather than one per 4 KiB page (docs/performance.md, "iova-replay against the
 * kernel's allocator": on a virtual machine a small fault costs about 9 us, a large part of
 * a short replay).
 */
#ifndef ISIM_BENCH_REPLAY_MEM_H
#define ISIM_BENCH_REPLAY_MEM_H

#include <iommusim/mem.h>

/*
 * A memory context for one replay in *@out: 0 or -ENOMEM. Objects come from per-size free
 * lists, then from the current region; nothing goes back to the kernel before
 * replay_mem_destroy() except the blocks of more than a megabyte, which each get their own
 * mapping. Not for concurrent use: a replay runs on one thread.
 */
int replay_mem_create(struct iommusim_mem **out);
void replay_mem_destroy(struct iommusim_mem *mem);

#endif /* ISIM_BENCH_REPLAY_MEM_H */
