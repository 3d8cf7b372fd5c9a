/* SPDX-License-Identifier: MIT */
/* Reading op scripts whole, quoting their bytes in messages, buffering their answers. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/memory.h"
#include "workload/script_io.h"

/*
 * How large the first buffer is: the bytes left in a regular file, plus one so that the read
 * that meets its end needs no larger buffer (a large script is then read without doubling and
 * copying); 4 KiB for a small file, a pipe or a terminal, grown as they come.
 */
static size_t first_size(FILE *in)
{
	struct stat sb;
	off_t at;

	if (fstat(fileno(in), &sb) || !S_ISREG(sb.st_mode))
		return 1 << 12;
	at = ftello(in);
	/* a size of 0 may be a file of /proc, whose bytes are only known by reading them */
	if (at < 0 || sb.st_size - at < (1 << 12) || (uintmax_t)(sb.st_size - at) >= SIZE_MAX / 4)
		return 1 << 12;
	return (size_t)(sb.st_size - at) + 1;
}

int isim_script_slurp(struct iommusim_mem *mem, FILE *in, char **text, size_t *len, size_t *size)
{
	size_t cap = first_size(in), n = 0;
	char *buf = isim_alloc(mem, cap, 0);

	if (!buf)
		return -ENOMEM;
	isim_mem_hint_huge(buf, cap);
	for (;;) {
		size_t got;

		/* the context has no realloc: double by copying */
		if (n == cap) {
			char *bigger = cap <= SIZE_MAX / 2 ? isim_alloc(mem, cap * 2, 0) : NULL;

			if (!bigger) {
				isim_free(mem, buf, cap, 0);
				return -ENOMEM;
			}
			memcpy(bigger, buf, n);
			isim_free(mem, buf, cap, 0);
			buf = bigger;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n, in);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(in)) {
		isim_free(mem, buf, cap, 0);
		return -EIO;
	}
	*text = buf;
	*len = n;
	*size = cap;
	return 0;
}

const char *isim_script_escaped(char *buf, size_t size, const char *s, size_t len, size_t max)
{
	size_t used = 0;

	for (size_t i = 0; i < len && i < max && used + 5 <= size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[used++] = (char)c;
		else
			used += (size_t)snprintf(buf + used, size - used, "\\x%02x", c);
	}
	if (len > max && used + 4 <= size) {
		memcpy(buf + used, "...", 3);
		used += 3;
	}
	buf[used] = '\0';
	return buf;
}

void isim_script_out_init(struct isim_script_out *o, FILE *f)
{
	o->f = f;
	o->used = 0;
	o->failed = false;
}

void isim_script_out_flush(struct isim_script_out *o)
{
	if (o->used && fwrite(o->buf, 1, o->used, o->f) != o->used)
		o->failed = true;
	o->used = 0;
}

void isim_script_out_bytes(struct isim_script_out *o, const char *s, size_t n)
{
	while (n) {
		size_t room = sizeof(o->buf) - o->used, take = n < room ? n : room;

		memcpy(o->buf + o->used, s, take);
		o->used += take;
		s += take;
		n -= take;
		if (o->used == sizeof(o->buf))
			isim_script_out_flush(o);
	}
}

const char isim_script_digit_pairs[200] = "00010203040506070809"
					  "10111213141516171819"
					  "20212223242526272829"
					  "30313233343536373839"
					  "40414243444546474849"
					  "50515253545556575859"
					  "60616263646566676869"
					  "70717273747576777879"
					  "80818283848586878889"
					  "90919293949596979899";

/* @v in base @base (10 or 16), digits from the top. */
static void out_base(struct isim_script_out *o, uint64_t v, unsigned int base)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[24];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = digits[v % base];
		v /= base;
	} while (v);
	isim_script_out_bytes(o, tmp + n, sizeof(tmp) - n);
}

void isim_script_out_dec_slow(struct isim_script_out *o, uint64_t v)
{
	out_base(o, v, 10);
}

void isim_script_out_hex(struct isim_script_out *o, uint64_t v)
{
	isim_script_out_bytes(o, "0x", 2);
	out_base(o, v, 16);
}
