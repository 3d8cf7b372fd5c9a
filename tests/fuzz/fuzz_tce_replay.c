/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the TCE op-script parser and replay (iommusim_tce_replay). The input is
 * the script. Invariants checked on every input:
 * - the answer is 0, -EINVAL, or -ENOMEM for a table larger than the memory context lets
 *   through (see small_alloc());
 * - a rejected script writes no output and gives a one-line "fuzz.ops:LINE: FIELD: problem"
 *   message; an accepted one leaves the message empty, one that ran out of memory says so;
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
/*
 * The largest allocation the target's memory context grants: a bitmap of 2^23 entries (four
 * pools from 1 GiB of window up are well inside it). A full table of 2^30 entries costs about
 * 20 million word reads per failing alloc, and a script of a hundred such allocs would run
 * into the fuzzer's timeout without exercising anything a smaller table does not.
 */
#define MAX_ALLOC (UINT64_C(1) << 20)

static void *small_alloc(void *arg, size_t size, size_t align)
{
	void *p = NULL;

	(void)arg;
	if (size > MAX_ALLOC || posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align,
					       size))
		return NULL;
	return p;
}

static void small_free(void *arg, void *ptr, size_t size, size_t align)
{
	(void)arg;
	(void)size;
	(void)align;
	free(ptr);
}

static const struct iommusim_mem_ops small_ops = { small_alloc, small_free };

static char *replay(const uint8_t *data, size_t size, size_t *outlen, int *err, char *msg,
		    size_t msglen)
{
	struct iommusim_tce_replay_opts opts = { 0 };
	char *out = NULL;
	FILE *in, *fout;

	/* fmemopen() refuses an empty buffer; an empty script is read from /dev/null. */
	in = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	fout = open_memstream(&out, outlen);
	FUZZ_CHECK(in && fout);
	FUZZ_CHECK(!iommusim_mem_create_custom(&small_ops, NULL, &opts.mem));
	*err = iommusim_tce_replay(in, "fuzz.ops", &opts, fout, msg, msglen);
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
	char msg[512], msg2[512];
	size_t len, len2;
	char *out, *out2;
	int err, err2;

	if (size > MAX_INPUT)
		return -1;
	out = replay(data, size, &len, &err, msg, sizeof(msg));
	FUZZ_CHECK(err == 0 || err == -EINVAL || err == -ENOMEM);
	if (err == -ENOMEM) {
		FUZZ_CHECK(!strcmp(msg, "fuzz.ops: out of memory"));
	} else if (err) {
		FUZZ_CHECK(len == 0);
		FUZZ_CHECK(!strncmp(msg, "fuzz.ops:", 9) && strchr(msg, '\n') == NULL);
		/* A line number, then the field and the problem. */
		FUZZ_CHECK(msg[9] >= '1' && msg[9] <= '9' && strstr(msg + 9, ": ") != NULL);
	} else {
		FUZZ_CHECK(msg[0] == '\0');
	}
	out2 = replay(data, size, &len2, &err2, msg2, sizeof(msg2));
	FUZZ_CHECK(err2 == err && len2 == len && !memcmp(out, out2, len));
	FUZZ_CHECK(!strcmp(msg, msg2));
	free(out);
	free(out2);
	return 0;
}
