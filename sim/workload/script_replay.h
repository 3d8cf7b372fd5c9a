/* SPDX-License-Identifier: MIT */
/*
 * What every op-script replay does the same way, whatever its format: read the script whole,
 * check all of it, then run it, with one message naming what went wrong; keep the parsed ops
 * in an array from the replay's memory context; stop a run at the first refused allocation
 * or lost write. The format says how to parse and run (struct isim_script_format).
 */
#ifndef ISIM_WORKLOAD_SCRIPT_REPLAY_H
#define ISIM_WORKLOAD_SCRIPT_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <iommusim/mem.h>

#include "base/memory.h"
#include "workload/script_io.h"

/*
 * One script format. @parse checks the whole of @text into @script: 0, -EINVAL with its own
 * "NAME:LINE: FIELD: problem" message, or -ENOMEM (the message is the replay's). @run writes
 * the answers to @out: 0, -EIO or -ENOMEM. @free gives back what @parse allocated.
 */
struct isim_script_format {
	int (*parse)(struct iommusim_mem *mem, const char *text, size_t len, const char *name,
		     void *script, char *errbuf, size_t errlen);
	int (*run)(struct iommusim_mem *mem, const void *script, const void *opts, FILE *out);
	void (*free)(void *script);
};

/*
 * Replay the script @in (named @name in messages) of format @fmt, parsed into @script, with
 * the format's @opts, from @mem (NULL: a context of the replay's own): the body of each
 * public iommusim_*_replay(). 0, or -EINVAL, -EIO, -ENOMEM with a one-line message in
 * @errbuf; @errbuf is empty on success.
 */
int isim_script_replay(const struct isim_script_format *fmt, void *script, struct iommusim_mem *mem,
		       FILE *in, const char *name, const void *opts, FILE *out, char *errbuf,
		       size_t errlen);

/*
 * Room for one more of @nops ops of @elem bytes in @ops, which holds *@cap: @ops itself, or
 * a copy twice as large (the memory context has no realloc) with *@cap updated and @ops
 * given back; NULL when out of memory, @ops then untouched.
 */
void *isim_script_grow(struct iommusim_mem *mem, void *ops, size_t nops, size_t *cap, size_t elem);

/*
 * How many ops the @len bytes of @text can hold at most, for an op array sized once: no more
 * than its lines, and no more than one per @min_op_bytes bytes (the shortest op line with its
 * newline), so a text of blank lines does not ask for an array larger than itself. 0 for an
 * empty text.
 */
size_t isim_script_ops_bound(const char *text, size_t len, size_t min_op_bytes);

/*
 * After one op of a run: -ENOMEM if the memory context refused anything since it counted
 * @failed refusals (the allocator may work around one, but its answers are then no longer
 * the script's), -EIO if an answer could not be written, else 0. Inline: it runs after every
 * op of a replay.
 */
static inline int isim_script_op_done(const struct iommusim_mem *mem, uint64_t failed,
				      const struct isim_script_out *o)
{
	if (atomic_load_explicit(&mem->failed_allocs, memory_order_relaxed) != failed)
		return -ENOMEM;
	return o->failed ? -EIO : 0;
}

/* The end of a run that ended with @err: the answers written out; @err, or -EIO if lost. */
int isim_script_run_end(struct isim_script_out *o, int err);

#endif /* ISIM_WORKLOAD_SCRIPT_REPLAY_H */
