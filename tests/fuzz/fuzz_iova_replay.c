/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the IOVA op-script parser and replay (iommusim_iova_replay). The input is
 * the script. Invariants checked on every input (fuzz_replay_check()):
 * - the answer is 0 or -EINVAL (nothing else can happen to a script held in memory);
 * - a rejected script writes no output and gives a one-line "fuzz.ops:LINE: FIELD: problem"
 *   message; an accepted one leaves the message empty;
 * - a second replay of the same script gives the same bytes (nothing depends on addresses or
 *   on memory left over from an earlier run);
 * - the replay gives back everything it allocated from the caller's memory context;
 * and the 6.6 (array) depot accepts and rejects the same scripts as the list depot.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <iommusim/iommusim.h>

#include "fuzz_common.h"

static int mem_create(struct iommusim_mem **mem)
{
	return iommusim_mem_create(IOMMUSIM_MEM_LIBC, mem);
}

/* @arg: the depot, an enum iommusim_iova_depot. */
static int replay(FILE *in, struct iommusim_mem *mem, const void *arg, FILE *out, char *msg,
		  size_t msglen)
{
	struct iommusim_iova_replay_opts opts = {
		.depot = *(const enum iommusim_iova_depot *)arg,
		.mem = mem,
	};

	return iommusim_iova_replay(in, "fuzz.ops", &opts, out, msg, msglen);
}

static const struct fuzz_replay iova = {.mem_create = mem_create, .replay = replay};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum iommusim_iova_depot list = IOMMUSIM_IOVA_DEPOT_LIST;
	static const enum iommusim_iova_depot array = IOMMUSIM_IOVA_DEPOT_ARRAY;
	char msg[512];
	size_t len;
	char *out;
	int err, err2;

	if (size > FUZZ_MAX_SCRIPT)
		return -1;
	err = fuzz_replay_check(&iova, &list, data, size);
	/* The 6.6 depot answers differently, but accepts and rejects the same scripts. */
	out = fuzz_replay_once(&iova, &array, data, size, &len, &err2, msg, sizeof(msg));
	FUZZ_CHECK(err2 == err);
	free(out);
	return 0;
}
