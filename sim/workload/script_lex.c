/* SPDX-License-Identifier: MIT */
/* Splitting op-script lines into fields, reading their numbers, naming a bad one. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "workload/script_io.h"
#include "workload/script_lex.h"

void isim_script_lines_init(struct isim_script_lines *l, const struct isim_script_rules *rules,
			    const char *text, size_t len, const char *name, char *errbuf,
			    size_t errlen)
{
	*l = (struct isim_script_lines){
		.rules = rules,
		.name = name,
		.pos = text,
		.end = text + len,
		.errbuf = errbuf,
		.errlen = errlen,
	};
}

/* Every field separator is a control byte or the space, so one compare clears any other byte. */
static inline bool is_blank(const struct isim_script_rules *rules, char c)
{
	if ((unsigned char)c > ' ')
		return false;
	return c == ' ' || c == '\t' ||
	       (rules->all_blanks && (c == '\r' || c == '\v' || c == '\f'));
}

/* The fields of the line [@pos, @eol), up to @max of them. */
static size_t split(const struct isim_script_rules *rules, const char *pos, const char *eol,
		    const char **word, size_t *wlen, size_t max)
{
	size_t n = 0;

	if (rules->comment_anywhere) {
		const char *hash = memchr(pos, '#', (size_t)(eol - pos));

		if (hash)
			eol = hash;
	}
	for (const char *c = pos; c < eol && n < max;) {
		while (c < eol && is_blank(rules, *c))
			c++;
		if (c == eol)
			break;
		if (n == 0 && *c == '#')
			break;
		word[n] = c;
		while (c < eol && !is_blank(rules, *c))
			c++;
		wlen[n] = (size_t)(c - word[n]);
		n++;
	}
	return n;
}

/*
 * The fields of the line at @l->pos, found in the same pass that finds its end (the scripts
 * a replay reads run to millions of short lines, so each byte is looked at once): what
 * split() finds between the same bounds. The end of the line is the first '\n' or the end
 * of the script; fields past @max are not looked at, only skipped with the rest of the line.
 * Returns the end of the line.
 */
static const char *split_line(struct isim_script_lines *l, size_t max)
{
	const struct isim_script_rules *rules = l->rules;
	const char *c = l->pos, *end = l->end;
	size_t n = 0;

	for (;;) {
		const char *w;

		while (c < end && *c != '\n' && is_blank(rules, *c))
			c++;
		if (c == end || *c == '\n')
			break;
		if (n == max || (n == 0 && *c == '#')) {
			c = memchr(c, '\n', (size_t)(end - c));
			if (!c)
				c = end;
			break;
		}
		w = c;
		while (c < end && ((unsigned char)*c > ' ' || (*c != '\n' && !is_blank(rules, *c))))
			c++;
		l->word[n] = w;
		l->wlen[n] = (size_t)(c - w);
		n++;
	}
	l->nwords = n;
	return c;
}

bool isim_script_next_line(struct isim_script_lines *l, size_t max)
{
	if (max > ISIM_SCRIPT_MAX_WORDS)
		max = ISIM_SCRIPT_MAX_WORDS;
	while (l->pos < l->end) {
		const char *eol;

		l->line++;
		if (l->rules->comment_anywhere) {
			/* a '#' inside a field ends the line: find the line's end first */
			eol = memchr(l->pos, '\n', (size_t)(l->end - l->pos));
			if (!eol)
				eol = l->end;
			l->nwords = split(l->rules, l->pos, eol, l->word, l->wlen, max);
		} else {
			eol = split_line(l, max);
		}
		l->pos = eol < l->end ? eol + 1 : eol;
		if (l->nwords)
			return true;
	}
	return false;
}

static int digit_value(char c, bool hex)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (hex && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (hex && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum isim_script_number isim_script_number(const struct isim_script_rules *rules, const char *s,
					   size_t len, uint64_t *out)
{
	bool hex = len >= 2 && s[0] == '0' &&
		   (s[1] == 'x' || (rules->upper_hex_prefix && s[1] == 'X'));
	uint64_t base = hex ? 16 : 10, v = 0;
	bool over = false;

	if (len == 0 || (hex && len == 2))
		return ISIM_NUMBER_MALFORMED;
	/* 19 decimal digits stay below 10^19 < 2^64: no overflow to watch for */
	if (!hex && len <= 19) {
		for (size_t i = 0; i < len; i++) {
			unsigned int d = (unsigned int)(unsigned char)s[i] - '0';

			if (d > 9)
				return ISIM_NUMBER_MALFORMED;
			v = v * 10 + d;
		}
		*out = v;
		return ISIM_NUMBER_OK;
	}
	for (size_t i = hex ? 2 : 0; i < len; i++) {
		int d = digit_value(s[i], hex);

		if (d < 0)
			return ISIM_NUMBER_MALFORMED;
		/* keep reading: a bad digit further on makes it malformed, not too large */
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, (uint64_t)d, &v))
			over = true;
	}
	if (over)
		return ISIM_NUMBER_TOO_LARGE;
	*out = v;
	return ISIM_NUMBER_OK;
}

int isim_script_fail(const struct isim_script_lines *l, const char *field, const char *fmt, ...)
{
	char msg[320], name[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* the script's name may hold anything a file name can: keep the message one line */
	if (l->errlen)
		snprintf(l->errbuf, l->errlen, "%s:%zu: %s: %s",
			 isim_script_escaped(name, sizeof(name), l->name, strlen(l->name), 240),
			 l->line, field, msg);
	return -EINVAL;
}

const char *isim_script_shown(char *buf, size_t size, const char *s, size_t len)
{
	return isim_script_escaped(buf, size, s, len, 32);
}
