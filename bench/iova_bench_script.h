/* SPDX-License-Identifier: MIT */
/* The generated op script that iova-bench replays. */
#ifndef ISIM_BENCH_IOVA_BENCH_SCRIPT_H
#define ISIM_BENCH_IOVA_BENCH_SCRIPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <iommusim/mem.h>

/*
 * Write an @nops-op NVMe-like script (4 queues of depth 64, FIFO completions) into @script,
 * and into @expect what the replay must print for it, as a live domain answered each op.
 * Both buffers are malloc'ed; 0 or -ENOMEM.
 */
int bench_nvme_script(struct iommusim_mem *mem, size_t nops, uint64_t seed, char **script,
		      size_t *script_len, char **expect, size_t *expect_len);

/* Close a memstream, or free its buffer if writing failed; 0 on success. */
int bench_close_memstream(FILE *f, char **buf);

#endif /* ISIM_BENCH_IOVA_BENCH_SCRIPT_H */
