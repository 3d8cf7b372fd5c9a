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
#include <iommusim/mem.h>

/*
 * The whole of @in in one buffer from @mem: *@text holds *@len bytes in *@size allocated
 * (give it back with isim_free(mem, text, size, 0)). 0, -EIO on a read error, -ENOMEM; on
 * failure nothing stays allocated.
 */
int isim_script_slurp(struct iommusim_mem *mem, FILE *in, char **text, size_t *len,
		      size_t *size);

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
void isim_script_out_str(struct isim_script_out *o, const char *s);
void isim_script_out_dec(struct isim_script_out *o, uint64_t v);
/* 0x and lowercase hex digits, as the kernel's %lx after "0x". */
void isim_script_out_hex(struct isim_script_out *o, uint64_t v);

#endif /* ISIM_WORKLOAD_SCRIPT_IO_H */
