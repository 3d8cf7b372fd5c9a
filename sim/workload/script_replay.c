/* SPDX-License-Identifier: MIT */
/* The read, check, run path every op-script replay takes, and its messages. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/memory.h"
#include "workload/script_replay.h"

static int replay(const struct isim_script_format *fmt, void *script, struct iommusim_mem *mem,
		  FILE *in, const char *name, const void *opts, FILE *out, char *errbuf,
		  size_t errlen)
{
	size_t len, size;
	char *text;
	int err;

	err = isim_script_slurp(mem, in, &text, &len, &size);
	if (err) {
		if (errlen)
			snprintf(errbuf, errlen, "%s: %s", name,
				 err == -EIO ? "read error" : "out of memory");
		return err;
	}
	err = fmt->parse(mem, text, len, name, script, errbuf, errlen);
	isim_free(mem, text, size, 0);
	if (err) {
		if (err == -ENOMEM && errlen)
			snprintf(errbuf, errlen, "%s: out of memory", name);
		return err;
	}
	err = fmt->run(mem, script, opts, out);
	fmt->free(script);
	if (err && errlen)
		snprintf(errbuf, errlen, "%s: %s", name,
			 err == -EIO ? "write error" : "out of memory");
	return err;
}

int isim_script_replay(const struct isim_script_format *fmt, void *script, struct iommusim_mem *mem,
		       FILE *in, const char *name, const void *opts, FILE *out, char *errbuf,
		       size_t errlen)
{
	int err;

	if (errlen)
		errbuf[0] = '\0';
	if (mem)
		return replay(fmt, script, mem, in, name, opts, out, errbuf, errlen);
	err = iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem);
	if (err) {
		if (errlen)
			snprintf(errbuf, errlen, "%s: out of memory", name);
		return err;
	}
	err = replay(fmt, script, mem, in, name, opts, out, errbuf, errlen);
	iommusim_mem_destroy(mem);
	return err;
}

void *isim_script_grow(struct iommusim_mem *mem, void *ops, size_t nops, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 1024;
	void *n;

	if (nops < *cap)
		return ops;
	if (ncap > SIZE_MAX / elem)
		return NULL;
	n = isim_alloc(mem, ncap * elem, 0);
	if (!n)
		return NULL;
	if (nops)
		memcpy(n, ops, nops * elem);
	if (ops)
		isim_free(mem, ops, *cap * elem, 0);
	*cap = ncap;
	return n;
}

size_t isim_script_ops_bound(const char *text, size_t len, size_t min_op_bytes)
{
	typedef unsigned char bytes16 __attribute__((vector_size(16)));
	const bytes16 newline = (bytes16){0} + '\n';
	size_t lines = 0, by_size, i = 0;

	if (!len)
		return 0;
	/*
	 * 16 bytes at a time (SIMD where the machine has it): each match adds 1 to a byte lane,
	 * and the lanes are summed before any can pass 255.
	 */
	while (len - i >= 16) {
		size_t blocks = (len - i) / 16 < 255 ? (len - i) / 16 : 255;
		bytes16 count = {0};

		for (; blocks; blocks--, i += 16) {
			bytes16 v;

			memcpy(&v, text + i, sizeof(v));
			count -= (bytes16)(v == newline);
		}
		for (unsigned int k = 0; k < sizeof(count); k++)
			lines += count[k];
	}
	for (; i < len; i++)
		lines += text[i] == '\n';
	/* the last line may have no newline */
	lines += text[len - 1] != '\n';
	by_size = len / min_op_bytes + 1;
	return lines < by_size ? lines : by_size;
}

int isim_script_run_end(struct isim_script_out *o, int err)
{
	isim_script_out_flush(o);
	if (!err && (o->failed || fflush(o->f)))
		err = -EIO;
	return err;
}
