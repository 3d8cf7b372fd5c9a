/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz targets share: a check that stops the fuzzer with the failed condition and
 * where it is (assert() would vanish under NDEBUG; this never does), and the harness of the
 * op-script replay targets.
 */
#ifndef TESTS_FUZZ_COMMON_H
#define TESTS_FUZZ_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/*
 * The replay targets (fuzz_iova_replay.c, fuzz_tce_replay.c): the input is the script, named
 * "fuzz.ops". Scripts longer than FUZZ_MAX_SCRIPT add ops, not new kinds of input; they only
 * slow the search.
 */
#define FUZZ_MAX_SCRIPT 8192

/* How a target replays. */
struct fuzz_replay {
	/* a fresh memory context for one replay */
	int (*mem_create)(struct iommusim_mem **mem);
	/* the replay under test from @mem, with the target's @arg (its own options) */
	int (*replay)(FILE *in, struct iommusim_mem *mem, const void *arg, FILE *out, char *msg,
		      size_t msglen);
	/* -ENOMEM is an answer too: the context refuses some allocations */
	bool may_run_out;
};

/*
 * Replay @data once: its output (free() it) of *@outlen bytes, the answer in *@err and its
 * message in @msg. The replay must give back everything it allocated from its context.
 */
static inline char *fuzz_replay_once(const struct fuzz_replay *r, const void *arg,
				     const uint8_t *data, size_t size, size_t *outlen, int *err,
				     char *msg, size_t msglen)
{
	struct iommusim_mem *mem;
	char *out = NULL;
	FILE *in, *fout;

	/* fmemopen() refuses an empty buffer; an empty script is read from /dev/null. */
	in = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	fout = open_memstream(&out, outlen);
	FUZZ_CHECK(in && fout);
	FUZZ_CHECK(!r->mem_create(&mem));
	*err = r->replay(in, mem, arg, fout, msg, msglen);
	FUZZ_CHECK(iommusim_mem_live_bytes(mem) == 0);
	FUZZ_CHECK(iommusim_mem_live_objects(mem) == 0);
	iommusim_mem_destroy(mem);
	fclose(in);
	fclose(fout);
	return out;
}

/*
 * The invariants of every replay target on @data, replayed with @arg; returns the answer.
 * - the answer is 0 or -EINVAL (nothing else can happen to a script held in memory), or
 *   -ENOMEM where the target's context may refuse, saying so;
 * - a rejected script writes no output and gives a one-line "fuzz.ops:LINE: FIELD: problem"
 *   message; an accepted one leaves the message empty;
 * - a second replay of the same script gives the same bytes and message (nothing depends on
 *   addresses or on memory left over from an earlier run).
 */
static inline int fuzz_replay_check(const struct fuzz_replay *r, const void *arg,
				    const uint8_t *data, size_t size)
{
	char msg[512], msg2[512];
	size_t len, len2;
	char *out, *out2;
	int err, err2;

	out = fuzz_replay_once(r, arg, data, size, &len, &err, msg, sizeof(msg));
	FUZZ_CHECK(err == 0 || err == -EINVAL || (r->may_run_out && err == -ENOMEM));
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
	out2 = fuzz_replay_once(r, arg, data, size, &len2, &err2, msg2, sizeof(msg2));
	FUZZ_CHECK(err2 == err && len2 == len && !memcmp(out, out2, len));
	FUZZ_CHECK(!strcmp(msg, msg2));
	free(out);
	free(out2);
	return err;
}

#endif /* TESTS_FUZZ_COMMON_H */
