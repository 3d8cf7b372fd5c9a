/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the TCE op-script parser and replay (iommusim_tce_replay). The input is
 * the script. Invariants checked on every input (fuzz_replay_check()):
 * - the answer is 0, -EINVAL, or -ENOMEM for a table larger than the memory context lets
 *   through (see MAX_ALLOC);
 * - a rejected script writes no output and gives a one-line "fuzz.ops:LINE: FIELD: problem"
 *   message; an accepted one leaves the message empty, one that ran out of memory says so;
 * - a second replay of the same script gives the same bytes (nothing depends on addresses or
 *   on memory left over from an earlier run);
 * - the replay gives back everything it allocated from the caller's memory context.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <iommusim/iommusim.h>

#include "failing_mem.h"
#include "fuzz_common.h"

/*
 * The largest allocation the target's memory context grants: a bitmap of 2^23 entries (four
 * pools from 1 GiB of window up are well inside it). A full table of 2^30 entries costs about
 * 20 million word reads per failing alloc, and a script of a hundred such allocs would run
 * into the fuzzer's timeout without exercising anything a smaller table does not.
 */
#define MAX_ALLOC (UINT64_C(1) << 20)

static int mem_create(struct iommusim_mem **mem)
{
	static struct failing_inject small = {.budget = -1, .max_size = MAX_ALLOC};

	return iommusim_mem_create_custom(&failing_inject_ops, &small, mem);
}

static int replay(FILE *in, struct iommusim_mem *mem, const void *arg, FILE *out, char *msg,
		  size_t msglen)
{
	struct iommusim_tce_replay_opts opts = {.mem = mem};

	(void)arg;
	return iommusim_tce_replay(in, "fuzz.ops", &opts, out, msg, msglen);
}

static const struct fuzz_replay tce = {
	.mem_create = mem_create,
	.replay = replay,
	.may_run_out = true,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_SCRIPT)
		return -1;
	fuzz_replay_check(&tce, NULL, data, size);
	return 0;
}
