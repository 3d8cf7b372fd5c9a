/* SPDX-License-Identifier: MIT */
/* Reading op scripts whole, quoting their bytes in messages, buffering their answers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/memory.h"
#include "workload/script_io.h"

int isim_script_slurp(struct iommusim_mem *mem, FILE *in, char **text, size_t *len,
		      size_t *size)
{
	size_t cap = 1 << 12, n = 0;
	char *buf = isim_alloc(mem, cap, 0);

	if (!buf)
		return -ENOMEM;
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

static void out_bytes(struct isim_script_out *o, const char *s, size_t n)
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

void isim_script_out_str(struct isim_script_out *o, const char *s)
{
	out_bytes(o, s, strlen(s));
}

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
	out_bytes(o, tmp + n, sizeof(tmp) - n);
}

void isim_script_out_dec(struct isim_script_out *o, uint64_t v)
{
	out_base(o, v, 10);
}

void isim_script_out_hex(struct isim_script_out *o, uint64_t v)
{
	out_bytes(o, "0x", 2);
	out_base(o, v, 16);
}
