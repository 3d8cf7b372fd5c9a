/* SPDX-License-Identifier: MIT */
/* The JSON string writer of the bench reports. */
#include <stddef.h>

#include "json.h"

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
static const char replacement[] = "\xef\xbf\xbd";

/*
 * The length of the well-formed UTF-8 sequence @s starts with (Unicode table 3-7), or 0 if
 * it starts with none; then *@bad is how many bytes the maximal ill-formed subsequence holds
 * (at least 1), which is what one U+FFFD replaces. The second byte's range is what rules out
 * overlongs (E0, F0), surrogates (ED) and code points above U+10FFFF (F4).
 */
static size_t utf8_len(const unsigned char *s, size_t *bad)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		/* 80..C1 (a continuation byte, or an overlong lead), F5..FF: never valid. */
		*bad = 1;
		return 0;
	}
	/* The terminating NUL is below 0x80, so the scan never runs past the string. */
	for (i = 1; i < len; i++) {
		if (s[i] < lo || s[i] > hi)
			break;
		lo = 0x80;
		hi = 0xbf;
	}
	if (i == len)
		return len;
	*bad = i;
	return 0;
}

void json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t bad = 0, n = utf8_len(p, &bad);

		if (!n) {
			fputs(replacement, f);
			p += bad;
		} else if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p++, f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", (unsigned int)*p++);
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
	fputc('"', f);
}
