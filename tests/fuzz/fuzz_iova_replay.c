/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the IOVA op-script parser and replay (iommusim_iova_replay). The input is
 * the script. Invariants checked on every input:
 * - the answer is 0 or -EINVAL (nothing else can happen to a script held in memory);
 * - a rejected script writes no output and gives a one-line "fuzz.ops:LINE: FIELD: problem"
 *   message; an accepted one leaves the message empty;
 * - a second replay of the same script gives the same bytes (nothing depends on addresses or
 *   on memory left over from an earlier run);
 * - the replay gives back everything it allocated from the caller's memory context.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "fuzz_common.h"

/* Scripts longer than this add ops, not new kinds of input; they only slow the search. */
#define MAX_INPUT 8192

static char *replay(const uint8_t *data, size_t size, enum iommusim_iova_depot depot,
		    size_t *outlen, int *err, char *msg, size_t msglen)
{
	struct iommusim_iova_replay_opts opts = { .depot = depot };
	char *out = NULL;
	FILE *in, *fout;

	/* fmemopen() refuses an empty buffer; an empty script is read from /dev/null. */
	in = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	fout = open_memstream(&out, outlen);
	FUZZ_CHECK(in && fout);
	FUZZ_CHECK(!iommusim_mem_create(IOMMUSIM_MEM_LIBC, &opts.mem));
	*err = iommusim_iova_replay(in, "fuzz.ops", &opts, fout, msg, msglen);
	FUZZ_CHECK(iommusim_mem_live_bytes(opts.mem) == 0);
	FUZZ_CHECK(iommusim_mem_live_objects(opts.mem) == 0);
	iommusim_mem_destroy(opts.mem);
	fclose(in);
	fclose(fout);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[256], msg2[256];
	size_t len, len2;
	char *out, *out2;
	int err, err2;

	if (size > MAX_INPUT)
		return -1;
	out = replay(data, size, IOMMUSIM_IOVA_DEPOT_LIST, &len, &err, msg, sizeof(msg));
	FUZZ_CHECK(err == 0 || err == -EINVAL);
	if (err) {
		FUZZ_CHECK(len == 0);
		FUZZ_CHECK(!strncmp(msg, "fuzz.ops:", 9) && strchr(msg, '\n') == NULL);
		/* A line number, then the field and the problem. */
		FUZZ_CHECK(msg[9] >= '1' && msg[9] <= '9' && strstr(msg + 9, ": ") != NULL);
	} else {
		FUZZ_CHECK(msg[0] == '\0');
	}
	out2 = replay(data, size, IOMMUSIM_IOVA_DEPOT_LIST, &len2, &err2, msg2, sizeof(msg2));
	FUZZ_CHECK(err2 == err && len2 == len && !memcmp(out, out2, len));
	FUZZ_CHECK(!strcmp(msg, msg2));
	free(out);
	free(out2);
	/* The 6.6 depot answers differently, but accepts and rejects the same scripts. */
	out = replay(data, size, IOMMUSIM_IOVA_DEPOT_ARRAY, &len, &err2, msg2, sizeof(msg2));
	FUZZ_CHECK(err2 == err);
	free(out);
	return 0;
}
