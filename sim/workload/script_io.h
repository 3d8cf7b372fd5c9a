/* SPDX-License-Identifier: MIT */
/*
 * Reading an op script whole and writing its answers: what a replay needs around its own
 * parser and runner. A script is checked completely before its first op runs, so it is read
 * into one buffer first; answers are buffered and written in large pieces.
 */
#ifndef ISIM_WORKLOAD_SCRIPT_IO_H
#define ISIM_WORKLOAD_SCRIPT_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <iommusim/mem.h>

/*
 * The whole of @in in one buffer from @mem: *@text holds *@len bytes in *@size allocated
 * (give it back with isim_free(mem, text, size, 0)). A regular file is read into a buffer of
 * its size from the start; anything else grows the buffer as it comes. 0, -EIO on a read
 * error, -ENOMEM; on failure nothing stays allocated.
 */
int isim_script_slurp(struct iommusim_mem *mem, FILE *in, char **text, size_t *len, size_t *size);

/*
 * Up to @max bytes of @s for an error message in @buf (@size bytes, at least 8), each byte
 * that is not printable ASCII, and the backslash, written as \xHH, "..." after a cut, so a
 * message stays one line of text whatever the script held. Returns @buf.
 */
const char *isim_script_escaped(char *buf, size_t size, const char *s, size_t len, size_t max);

/* Answers on their way to a FILE: written when the buffer fills and at the end. */
struct isim_script_out {
	FILE *f;
	size_t used;
	bool failed;
	char buf[1 << 16];
};

void isim_script_out_init(struct isim_script_out *o, FILE *f);
/* Write what is buffered; a short write sets o->failed. */
void isim_script_out_flush(struct isim_script_out *o);
/* @n bytes of @s, written out each time the buffer fills. */
void isim_script_out_bytes(struct isim_script_out *o, const char *s, size_t n);
/* 0x and lowercase hex digits, as the kernel's %lx after "0x". */
void isim_script_out_hex(struct isim_script_out *o, uint64_t v);
/* @v in decimal, when it may not fit before the buffer fills. */
void isim_script_out_dec_slow(struct isim_script_out *o, uint64_t v);

/*
 * A replay prints one short answer per op, so these two are inline: the common case copies
 * into the buffer with no call and no length scan of a literal. Only an answer that reaches
 * the end of the buffer takes the out-of-line path, which writes the buffer out exactly when
 * it is full, as every answer always did.
 */
static inline void isim_script_out_str(struct isim_script_out *o, const char *s)
{
	size_t n = strlen(s);

	if (n < sizeof(o->buf) - o->used) {
		memcpy(o->buf + o->used, s, n);
		o->used += n;
	} else {
		isim_script_out_bytes(o, s, n);
	}
}

/* Two decimal digits per table entry: half the divisions of one digit at a time. */
extern const char isim_script_digit_pairs[200];

/* The most decimal digits a uint64_t has. */
#define ISIM_SCRIPT_DEC_MAX 20

static inline void isim_script_out_dec(struct isim_script_out *o, uint64_t v)
{
	char tmp[ISIM_SCRIPT_DEC_MAX];
	size_t n = sizeof(tmp);

	if (ISIM_SCRIPT_DEC_MAX >= sizeof(o->buf) - o->used) {
		isim_script_out_dec_slow(o, v);
		return;
	}
	while (v >= 100) {
		unsigned int pair = (unsigned int)(v % 100) * 2;

		v /= 100;
		tmp[--n] = isim_script_digit_pairs[pair + 1];
		tmp[--n] = isim_script_digit_pairs[pair];
	}
	if (v >= 10) {
		tmp[--n] = isim_script_digit_pairs[v * 2 + 1];
		tmp[--n] = isim_script_digit_pairs[v * 2];
	} else {
		tmp[--n] = (char)('0' + v);
	}
	memcpy(o->buf + o->used, tmp + n, sizeof(tmp) - n);
	o->used += sizeof(tmp) - n;
}

#endif /* ISIM_WORKLOAD_SCRIPT_IO_H */
