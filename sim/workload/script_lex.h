/* SPDX-License-Identifier: MIT */
/*
 * The lines of an op script: their fields, comments and numbers, and the one-line message
 * that names a bad one. Both script formats read their lines here. Where their documented
 * syntax differs (which bytes separate fields, where a comment may start, whether "0X" starts
 * a hex number), struct isim_script_rules says which way, so each format keeps its own.
 */
#ifndef ISIM_WORKLOAD_SCRIPT_LEX_H
#define ISIM_WORKLOAD_SCRIPT_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct isim_script_rules {
	/* \r, \v and \f separate fields too, not only spaces and tabs */
	bool all_blanks;
	/*
	 * '#' ends the line wherever it stands, even inside a field (otherwise only a first
	 * field that starts with '#' makes a comment, of the whole line)
	 */
	bool comment_anywhere;
	/* "0X" starts a hex number as "0x" does */
	bool upper_hex_prefix;
};

/* The most fields a format reads from a line: the TCE format's op, 7 fields and an extra one. */
#define ISIM_SCRIPT_MAX_WORDS 9

/* A script being read line by line, and where a message about its current line goes. */
struct isim_script_lines {
	const struct isim_script_rules *rules;
	const char *name;
	const char *pos, *end;
	/* the line last read, counted from 1, blank and comment lines included */
	size_t line;
	/* its fields */
	const char *word[ISIM_SCRIPT_MAX_WORDS];
	size_t wlen[ISIM_SCRIPT_MAX_WORDS];
	size_t nwords;
	char *errbuf;
	size_t errlen;
};

void isim_script_lines_init(struct isim_script_lines *l, const struct isim_script_rules *rules,
			    const char *text, size_t len, const char *name, char *errbuf,
			    size_t errlen);

/*
 * Read the next line that has fields, at most @max of them (up to ISIM_SCRIPT_MAX_WORDS; a
 * format that allows N passes N + 1, so that an extra field can be shown); false at the end
 * of the script.
 */
bool isim_script_next_line(struct isim_script_lines *l, size_t max);

enum isim_script_number { ISIM_NUMBER_OK, ISIM_NUMBER_MALFORMED, ISIM_NUMBER_TOO_LARGE };

/*
 * The field @s (@len bytes) as an unsigned 64-bit number, decimal or hex after "0x", and
 * nothing else. Too large only when every byte is a digit: a bad one anywhere makes it
 * malformed.
 */
enum isim_script_number isim_script_number(const struct isim_script_rules *rules, const char *s,
					   size_t len, uint64_t *out);

/* "NAME:LINE: FIELD: problem" about the line last read, for the caller; returns -EINVAL. */
__attribute__((format(printf, 3, 4))) int isim_script_fail(const struct isim_script_lines *l,
							   const char *field, const char *fmt, ...);

/* Room for isim_script_shown(): 32 bytes, each as up to 4, "..." and the NUL. */
#define ISIM_SCRIPT_SHOWN_SIZE (32 * 4 + 8)

/* At most 32 bytes of a field for a message, escaped as isim_script_escaped() does. */
const char *isim_script_shown(char *buf, size_t size, const char *s, size_t len);

#endif /* ISIM_WORKLOAD_SCRIPT_LEX_H */
