/* SPDX-License-Identifier: MIT */
/*
 * The report emitter's writers: the aligned table, CSV and JSON of a report built with
 * report.c. Every number is formatted here, once per form, with fixed formats, so a report
 * is the same bytes on every machine; nothing is allocated, so writing cannot run out of
 * memory half-way.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stats/report_impl.h"

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

/* @s as a JSON string literal: valid UTF-8 JSON whatever bytes it holds (report.h). */
static void json_string(FILE *f, const char *s)
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

/*
 * A fixed-point real as printf's "%.*f" in the C locale. A program that set LC_NUMERIC to a
 * locale with a decimal comma would otherwise get "0,5", which is not a JSON number and
 * splits a CSV field: whatever printf put between the digits becomes '.'.
 */
static const char *format_real(char *buf, double v, unsigned int decimals)
{
	char *p = buf, *q;

	snprintf(buf, ISIM_REPORT_NUM_MAX, "%.*f", (int)decimals, v);
	if (*p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p && *p != '.') {
		for (q = p; *q && (*q < '0' || *q > '9'); q++)
			;
		*p = '.';
		memmove(p + 1, q, strlen(q) + 1);
	}
	return buf;
}

const char *isim_report_text(const struct isim_rv_data *d, char *buf)
{
	switch (d->kind) {
	case ISIM_RV_STRING:
	case ISIM_RV_NUMBER:
		return d->v.text;
	case ISIM_RV_UINT:
		snprintf(buf, ISIM_REPORT_NUM_MAX, "%" PRIu64, d->v.u);
		return buf;
	case ISIM_RV_INT:
		snprintf(buf, ISIM_REPORT_NUM_MAX, "%" PRId64, d->v.i);
		return buf;
	case ISIM_RV_REAL:
		return format_real(buf, d->v.d, d->decimals);
	case ISIM_RV_BOOL:
		return d->v.b ? "true" : "false";
	default:
		return NULL;
	}
}

static int done(FILE *f)
{
	return ferror(f) ? -EIO : 0;
}

/* ---- the table ---- */

static void blanks(FILE *f, size_t n)
{
	static const char sp[] = "                                ";

	for (; n > sizeof(sp) - 1; n -= sizeof(sp) - 1)
		fputs(sp, f);
	fwrite(sp, 1, n, f);
}

static void table_cell(FILE *f, const struct isim_rcol *c, const char *s, bool last)
{
	size_t n = isim_report_width(s), pad = c->width > n ? c->width - n : 0;

	if (c->c.flags & IOMMUSIM_REPORT_RIGHT) {
		blanks(f, pad);
		fputs(s, f);
	} else {
		fputs(s, f);
		/* No trailing blanks at the end of a line. */
		if (!last)
			blanks(f, pad);
	}
}

/* One line: the heading (@row NULL) or a row. */
static void table_line(const struct iommusim_report *r, const struct isim_rrow *row, FILE *f,
		       size_t last)
{
	char buf[ISIM_REPORT_NUM_MAX];
	bool first = true;

	for (size_t i = 0; i < r->ncols; i++) {
		const struct isim_rcol *c = &r->cols[i];
		const char *s;

		if (!(c->c.outputs & IOMMUSIM_REPORT_TABLE))
			continue;
		if (!row)
			s = c->c.name;
		else if (row->cell[i].kind == ISIM_RV_BOOL)
			s = row->cell[i].v.b ? c->c.yes : c->c.no;
		else
			s = isim_report_text(&row->cell[i], buf);
		if (!first)
			fputs(c->c.sep, f);
		table_cell(f, c, s ? s : "-", i == last);
		first = false;
	}
	fputc('\n', f);
}

static void table_notes(const struct isim_rnote *n, FILE *f)
{
	for (; n; n = n->next)
		fputs(n->text, f);
}

int iommusim_report_write_table(const struct iommusim_report *r, FILE *f)
{
	int err = iommusim_report_check(r);
	size_t last = 0;

	if (err)
		return err;
	for (size_t i = 0; i < r->ncols; i++)
		if (r->cols[i].c.outputs & IOMMUSIM_REPORT_TABLE)
			last = i;
	table_notes(r->notes[IOMMUSIM_REPORT_ABOVE], f);
	table_line(r, NULL, f, last);
	for (const struct isim_rrow *row = r->rows; row; row = row->next)
		table_line(r, row, f, last);
	table_notes(r->notes[IOMMUSIM_REPORT_BELOW], f);
	return done(f);
}

/* ---- CSV ---- */

/* RFC 4180: a field holding a comma, a quote or a line break is quoted, quotes doubled. */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* One line: the header (@row NULL) or a row; a missing value is an empty field. */
static void csv_line(const struct iommusim_report *r, const struct isim_rrow *row, FILE *f)
{
	char buf[ISIM_REPORT_NUM_MAX];
	bool first = true;

	for (size_t i = 0; i < r->ncols; i++) {
		const struct isim_rv_data *d;
		const char *s;

		if (!(r->cols[i].c.outputs & IOMMUSIM_REPORT_CSV))
			continue;
		if (!first)
			fputc(',', f);
		first = false;
		if (!row) {
			csv_field(f, r->cols[i].c.name);
			continue;
		}
		d = &row->cell[i];
		/* A program reads 1 and 0 more easily than words. */
		s = d->kind == ISIM_RV_BOOL ? (d->v.b ? "1" : "0") : isim_report_text(d, buf);
		if (s)
			csv_field(f, s);
	}
	fputc('\n', f);
}

int iommusim_report_write_csv(const struct iommusim_report *r, FILE *f)
{
	int err = iommusim_report_check(r);

	if (err)
		return err;
	csv_line(r, NULL, f);
	for (const struct isim_rrow *row = r->rows; row; row = row->next)
		csv_line(r, row, f);
	return done(f);
}

/* ---- JSON ---- */

static void json_value(FILE *f, const struct iommusim_report_value *v, unsigned int depth);

static void json_scalar(FILE *f, const struct isim_rv_data *d, unsigned int depth)
{
	char buf[ISIM_REPORT_NUM_MAX];
	const char *s;

	if (d->kind == ISIM_RV_OBJECT && d->v.obj) {
		json_value(f, d->v.obj, depth);
		return;
	}
	s = isim_report_text(d, buf);
	if (!s)
		fputs("null", f);
	else if (d->kind == ISIM_RV_STRING)
		json_string(f, s);
	else
		fputs(s, f);
}

/*
 * @v at @depth (the report's top-level object is 0, its meta 1): a member that starts a
 * line of its own is indented depth + 1 spaces.
 */
static void json_value(FILE *f, const struct iommusim_report_value *v, unsigned int depth)
{
	bool object = v->data.kind == ISIM_RV_OBJECT;

	if (!object && v->data.kind != ISIM_RV_ARRAY) {
		json_scalar(f, &v->data, depth);
		return;
	}
	fputc(object ? '{' : '[', f);
	for (const struct iommusim_report_value *m = v->first; m; m = m->next) {
		if (m != v->first)
			fputc(',', f);
		if (m->newline) {
			fputc('\n', f);
			blanks(f, depth + 1);
		} else if (m != v->first) {
			fputc(' ', f);
		}
		if (m->key) {
			json_string(f, m->key);
			fputs(": ", f);
		}
		json_value(f, m, depth + 1);
	}
	fputc(object ? '}' : ']', f);
}

int iommusim_report_write_json(const struct iommusim_report *r, FILE *f)
{
	int err = iommusim_report_check(r);

	if (err)
		return err;
	fputs("{\"meta\": ", f);
	json_value(f, &r->meta, 1);
	fputs(",\n \"rows\": [", f);
	for (const struct isim_rrow *row = r->rows; row; row = row->next) {
		bool first = true;

		fputs(row == r->rows ? "\n  {" : ",\n  {", f);
		for (size_t i = 0; i < r->ncols; i++) {
			if (!(r->cols[i].c.outputs & IOMMUSIM_REPORT_JSON))
				continue;
			if (!first)
				fputs(", ", f);
			first = false;
			json_string(f, r->cols[i].c.name);
			fputs(": ", f);
			/* A row is at depth 2: the top-level object, then the rows array. */
			json_scalar(f, &row->cell[i], 3);
		}
		fputc('}', f);
	}
	fputs("\n]}\n", f);
	return done(f);
}

int iommusim_report_write_value(const struct iommusim_report_value *v, FILE *f)
{
	if (!v || v->data.kind == ISIM_RV_DEAD)
		return v ? v->rep->err : -EINVAL;
	if (v->rep->err)
		return v->rep->err;
	json_value(f, v, 0);
	return done(f);
}
