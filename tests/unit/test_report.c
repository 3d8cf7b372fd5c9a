/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the report emitter (include/iommusim/report.h): the table's alignment (widths
 * from headings and cells, fixed widths, separators, no trailing blanks), CSV quoting, JSON
 * escaping of control bytes and ill-formed UTF-8, missing values in each form, fixed
 * decimals in any locale, nested meta with line breaks, object cells, the schema and call
 * errors, sticky errors, out-of-memory at every allocation, and that one report written
 * twice is the same bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "failing_mem.h"

/* What a writer printed, as a string the test frees. */
typedef int (*writer)(const struct iommusim_report *r, FILE *f);

static char *written(const struct iommusim_report *r, writer w, int *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*err = w(r, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* Write @r with @w, expect success and exactly @want. */
static void expect_written(const struct iommusim_report *r, writer w, const char *want)
{
	int err;
	char *got = written(r, w, &err);

	assert_int_equal(err, 0);
	if (strcmp(got, want))
		fail_msg("wrote:\n%s\nexpected:\n%s", got, want);
	free(got);
}

/* One value alone, as iommusim_report_write_value() writes it. */
static char *value_written(const struct iommusim_report_value *v, int *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*err = iommusim_report_write_value(v, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static const char *const meta_head = "{\"meta\": {\"version\": \"";

/* The JSON after the meta's version and git, which depend on the build. */
static const char *after_git(const char *json)
{
	const char *p = strstr(json, "\"git\": \"");

	assert_non_null(p);
	p = strchr(p + 8, '"');
	assert_non_null(p);
	return p + 1;
}

static void expect_json_tail(const struct iommusim_report *r, const char *tail)
{
	int err;
	char *got = written(r, iommusim_report_write_json, &err);

	assert_int_equal(err, 0);
	assert_true(!strncmp(got, meta_head, strlen(meta_head)));
	if (strcmp(after_git(got), tail))
		fail_msg("JSON after git:\n%s\nexpected:\n%s", after_git(got), tail);
	free(got);
}

#define COL(n, t, o, fl, d, w, sep, yes, no)                                                       \
	{                                                                                          \
		n, t, o, fl, d, w, sep, yes, no                                                    \
	}

/* ---- the table ---- */

static void test_report_table_alignment(void **state)
{
	static const struct iommusim_report_column cols[] = {
		COL("name", IOMMUSIM_REPORT_STRING, 0, 0, 0, 0, NULL, NULL, NULL),
		COL("n", IOMMUSIM_REPORT_UINT, 0, IOMMUSIM_REPORT_RIGHT, 0, 0, NULL, NULL, NULL),
		COL("ratio", IOMMUSIM_REPORT_REAL, 0,
		    IOMMUSIM_REPORT_RIGHT | IOMMUSIM_REPORT_NULLABLE, 2, 0, NULL, NULL, NULL),
		COL("hidden", IOMMUSIM_REPORT_UINT, IOMMUSIM_REPORT_NOWHERE, 0, 0, 0, NULL, NULL,
		    NULL),
		COL("ok", IOMMUSIM_REPORT_BOOL, 0, 0, 0, 0, NULL, "EST", "-"),
		COL("note", IOMMUSIM_REPORT_STRING, 0, IOMMUSIM_REPORT_NULLABLE, 0, 0, NULL, NULL,
		    NULL),
	};
	struct iommusim_report *r;

	(void)state;
	assert_int_equal(iommusim_report_create(NULL, cols, 6, &r), 0);
	assert_int_equal(iommusim_report_note(r, IOMMUSIM_REPORT_ABOVE, "# %s %d\n", "run", 1), 0);
	assert_int_equal(iommusim_report_note(r, IOMMUSIM_REPORT_BELOW, "# legend\n"), 0);
	assert_int_equal(iommusim_report_add_row(r), 0);
	assert_int_equal(iommusim_report_set_str(r, 0, "lpar"), 0);
	assert_int_equal(iommusim_report_set_uint(r, 1, 1234567), 0);
	assert_int_equal(iommusim_report_set_real(r, 2, 0.5), 0);
	assert_int_equal(iommusim_report_set_uint(r, 3, 7), 0);
	assert_int_equal(iommusim_report_set_bool(r, 4, true), 0);
	assert_int_equal(iommusim_report_set_str(r, 5, "x"), 0);
	assert_int_equal(iommusim_report_add_row(r), 0);
	/* "§" is two bytes and one column. */
	assert_int_equal(iommusim_report_set_str(r, 0, "kvm\xc2\xa7"), 0);
	assert_int_equal(iommusim_report_set_uint(r, 1, 0), 0);
	assert_int_equal(iommusim_report_set_real(r, 2, NAN), 0);
	assert_int_equal(iommusim_report_set_uint(r, 3, 7), 0);
	assert_int_equal(iommusim_report_set_bool(r, 4, false), 0);
	/* note left missing: it is nullable */
	expect_written(r, iommusim_report_write_table,
		       "# run 1\n"
		       "name        n  ratio  ok   note\n"
		       "lpar  1234567   0.50  EST  x\n"
		       "kvm\xc2\xa7        0      -  -    -\n"
		       "# legend\n");
	iommusim_report_destroy(r);
}

/* Fixed widths pad each cell on its own, as printf's "%-8s %5s" would; separators vary. */
static void test_report_table_fixed_widths(void **state)
{
	static const struct iommusim_report_column cols[] = {
		COL("a", IOMMUSIM_REPORT_STRING, IOMMUSIM_REPORT_TABLE, IOMMUSIM_REPORT_FIXED, 0, 8,
		    NULL, NULL, NULL),
		COL("b", IOMMUSIM_REPORT_STRING, IOMMUSIM_REPORT_TABLE,
		    IOMMUSIM_REPORT_FIXED | IOMMUSIM_REPORT_RIGHT, 0, 5, " ", NULL, NULL),
		COL("c", IOMMUSIM_REPORT_STRING, IOMMUSIM_REPORT_TABLE, 0, 0, 4, " | ", NULL, NULL),
	};
	struct iommusim_report *r;

	(void)state;
	assert_int_equal(iommusim_report_create(NULL, cols, 3, &r), 0);
	assert_int_equal(iommusim_report_add_row(r), 0);
	assert_int_equal(iommusim_report_set_str(r, 0, "short"), 0);
	assert_int_equal(iommusim_report_set_str(r, 1, "1.5"), 0);
	assert_int_equal(iommusim_report_set_str(r, 2, "z"), 0);
	assert_int_equal(iommusim_report_add_row(r), 0);
	assert_int_equal(iommusim_report_set_str(r, 0, "much-too-long"), 0);
	assert_int_equal(iommusim_report_set_str(r, 1, "123456"), 0);
	assert_int_equal(iommusim_report_set_str(r, 2, "zz"), 0);
	/* The last column is left-aligned: never padded, whatever its least width. */
	expect_written(r, iommusim_report_write_table,
		       "a            b | c\n"
		       "short      1.5 | z\n"
		       "much-too-long 123456 | zz\n");
	iommusim_report_destroy(r);
}

/* ---- CSV ---- */

static void test_report_csv_quoting(void **state)
{
	static const struct iommusim_report_column cols[] = {
		COL("text", IOMMUSIM_REPORT_STRING, 0, IOMMUSIM_REPORT_NULLABLE, 0, 0, NULL, NULL,
		    NULL),
		COL("flag", IOMMUSIM_REPORT_BOOL, IOMMUSIM_REPORT_FILES, 0, 0, 0, NULL, NULL, NULL),
		COL("n", IOMMUSIM_REPORT_INT, IOMMUSIM_REPORT_CSV, 0, 0, 0, NULL, NULL, NULL),
		COL("screen", IOMMUSIM_REPORT_STRING, IOMMUSIM_REPORT_TABLE, 0, 0, 0, NULL, NULL,
		    NULL),
		COL("x", IOMMUSIM_REPORT_NUMBER, 0, 0, 0, 0, NULL, NULL, NULL),
	};
	static const char *const texts[] = {"plain",	  "a,b",  "say \"hi\"",
					    "two\nlines", "cr\r", NULL};
	struct iommusim_report *r;

	(void)state;
	assert_int_equal(iommusim_report_create(NULL, cols, 5, &r), 0);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(iommusim_report_add_row(r), 0);
		if (texts[i])
			assert_int_equal(iommusim_report_set_str(r, 0, texts[i]), 0);
		assert_int_equal(iommusim_report_set_bool(r, 1, i % 2), 0);
		assert_int_equal(iommusim_report_set_int(r, 2, -i), 0);
		assert_int_equal(iommusim_report_set_str(r, 3, "s"), 0);
		assert_int_equal(iommusim_report_set_number(r, 4, "1e-07"), 0);
	}
	expect_written(r, iommusim_report_write_csv,
		       "text,flag,n,x\n"
		       "plain,0,0,1e-07\n"
		       "\"a,b\",1,-1,1e-07\n"
		       "\"say \"\"hi\"\"\",0,-2,1e-07\n"
		       "\"two\nlines\",1,-3,1e-07\n"
		       "\"cr\r\",0,-4,1e-07\n"
		       ",1,-5,1e-07\n");
	iommusim_report_destroy(r);
}

/* ---- JSON ---- */

#define R "\xef\xbf\xbd" /* U+FFFD */

/* Control bytes escaped, each maximal ill-formed subsequence one U+FFFD, the rest kept. */
static void test_report_json_escaping(void **state)
{
	static const struct iommusim_report_column cols[] = {
		COL("s", IOMMUSIM_REPORT_STRING, 0, 0, 0, 0, NULL, NULL, NULL),
	};
	static const char bytes[] = "a\xff"
				    "b\x01"
				    "c\xe0\x80\x80"	    /* overlong */
				    "d\xed\xa0\x80"	    /* a surrogate */
				    "e\xf4\x90\x80\x80"	    /* above U+10FFFF */
				    "f\xe2\x82"		    /* truncated */
				    "g\xf0\x9f\x98\x80"	    /* U+1F600 */
				    "h\"i\\j\x7f"	    /* quote, backslash, DEL */
				    "k\xc3\xa9"		    /* U+00E9 */
				    "l\xc0\xaf"		    /* overlong '/' */
				    "m\xf8\x88\x80\x80\x80" /* five bytes */
				    "n\xf4\x8f\xbf\xbf"	    /* U+10FFFF */
				    "o\x1f\n";
	static const char quoted[] = "\"a" R "b\\u0001c" R R R "d" R R R "e" R R R R "f" R
				     "g\xf0\x9f\x98\x80h\\\"i\\\\j\\u007fk\xc3\xa9l" R R
				     "m" R R R R R "n\xf4\x8f\xbf\xbfo\\u001f\\u000a\"";
	struct iommusim_report *r;
	char want[512];

	(void)state;
	assert_int_equal(iommusim_report_create(NULL, cols, 1, &r), 0);
	assert_int_equal(iommusim_report_add_str(iommusim_report_meta(r), bytes, bytes), 0);
	assert_int_equal(iommusim_report_add_row(r), 0);
	assert_int_equal(iommusim_report_set_str(r, 0, bytes), 0);
	snprintf(want, sizeof(want), ", %s: %s},\n \"rows\": [\n  {\"s\": %s}\n]}\n", quoted,
		 quoted, quoted);
	expect_json_tail(r, want);
	iommusim_report_destroy(r);
}

/* Every type in a row; null for the missing values; reals with their decimals, rounded. */
static void test_report_json_rows_and_nulls(void **state)
{
	static const struct iommusim_report_column cols[] = {
		COL("s", IOMMUSIM_REPORT_STRING, 0, IOMMUSIM_REPORT_NULLABLE, 0, 0, NULL, NULL,
		    NULL),
		COL("u", IOMMUSIM_REPORT_UINT, 0, 0, 0, 0, NULL, NULL, NULL),
		COL("i", IOMMUSIM_REPORT_INT, 0, 0, 0, 0, NULL, NULL, NULL),
		COL("r6", IOMMUSIM_REPORT_REAL, 0, IOMMUSIM_REPORT_NULLABLE, 6, 0, NULL, NULL,
		    NULL),
		COL("r0", IOMMUSIM_REPORT_REAL, 0, IOMMUSIM_REPORT_NULLABLE, 0, 0, NULL, NULL,
		    NULL),
		COL("b", IOMMUSIM_REPORT_BOOL, 0, IOMMUSIM_REPORT_NULLABLE, 0, 0, NULL, NULL, NULL),
		COL("g", IOMMUSIM_REPORT_OBJECT, IOMMUSIM_REPORT_JSON, IOMMUSIM_REPORT_NULLABLE, 0,
		    0, NULL, NULL, NULL),
		COL("table_only", IOMMUSIM_REPORT_UINT, IOMMUSIM_REPORT_TABLE, 0, 0, 0, NULL, NULL,
		    NULL),
	};
	struct iommusim_report_value *g;
	struct iommusim_report *r;

	(void)state;
	assert_int_equal(iommusim_report_create(NULL, cols, 8, &r), 0);
	assert_int_equal(iommusim_report_add_row(r), 0);
	assert_int_equal(iommusim_report_set_str(r, 0, "x"), 0);
	assert_int_equal(iommusim_report_set_uint(r, 1, UINT64_MAX), 0);
	assert_int_equal(iommusim_report_set_int(r, 2, INT64_MIN), 0);
	assert_int_equal(iommusim_report_set_real(r, 3, 0.05), 0);
	assert_int_equal(iommusim_report_set_real(r, 4, 2.5), 0);
	assert_int_equal(iommusim_report_set_bool(r, 5, true), 0);
	g = iommusim_report_set_object(r, 6);
	assert_int_equal(iommusim_report_add_str(g, "op", "<="), 0);
	assert_int_equal(iommusim_report_add_number(g, "value", "50"), 0);
	assert_int_equal(iommusim_report_set_uint(r, 7, 1), 0);
	assert_int_equal(iommusim_report_add_row(r), 0);
	assert_int_equal(iommusim_report_set_null(r, 0), 0);
	assert_int_equal(iommusim_report_set_uint(r, 1, 0), 0);
	assert_int_equal(iommusim_report_set_int(r, 2, -1), 0);
	assert_int_equal(iommusim_report_set_real(r, 3, INFINITY), 0);
	assert_int_equal(iommusim_report_set_real(r, 4, -0.4), 0);
	assert_int_equal(iommusim_report_set_null(r, 5), 0);
	assert_int_equal(iommusim_report_set_uint(r, 7, 2), 0);
	expect_json_tail(r,
			 "},\n \"rows\": [\n"
			 "  {\"s\": \"x\", \"u\": 18446744073709551615, "
			 "\"i\": -9223372036854775808, \"r6\": 0.050000, \"r0\": 2, \"b\": true, "
			 "\"g\": {\"op\": \"<=\", \"value\": 50}},\n"
			 "  {\"s\": null, \"u\": 0, \"i\": -1, \"r6\": null, \"r0\": -0, "
			 "\"b\": null, \"g\": null}\n]}\n");
	expect_written(r, iommusim_report_write_csv,
		       "s,u,i,r6,r0,b\n"
		       "x,18446744073709551615,-9223372036854775808,0.050000,2,1\n"
		       ",0,-1,,-0,\n");
	iommusim_report_destroy(r);
}

/* Nested objects and arrays; a line break where asked, indented by depth. */
static void test_report_meta_nesting(void **state)
{
	struct iommusim_report_value *m, *a, *o, *c;
	struct iommusim_report *r;
	int err;
	char *got;

	(void)state;
	assert_int_equal(iommusim_report_create(NULL, NULL, 0, &r), 0);
	m = iommusim_report_meta(r);
	iommusim_report_newline(m);
	a = iommusim_report_add_array(m, "command");
	assert_int_equal(iommusim_report_add_str(a, NULL, "bench"), 0);
	assert_int_equal(iommusim_report_add_str(a, NULL, "--x"), 0);
	assert_int_equal(iommusim_report_add_uint(m, "seed", 1), 0);
	assert_int_equal(iommusim_report_add_real(m, "half", 0.5, 3), 0);
	assert_int_equal(iommusim_report_add_real(m, "none", NAN, 3), 0);
	assert_int_equal(iommusim_report_add_null(m, "profile"), 0);
	assert_int_equal(iommusim_report_add_bool(m, "quick", false), 0);
	assert_int_equal(iommusim_report_add_int(m, "delta", -3), 0);
	iommusim_report_add_array(m, "empty");
	iommusim_report_newline(m);
	c = iommusim_report_add_object(m, "config");
	for (int i = 0; i < 2; i++) {
		iommusim_report_newline(c);
		o = iommusim_report_add_object(c, i ? "zvm" : "lpar");
		assert_int_equal(iommusim_report_add_uint(o, "cpu.freq_mhz", 5200), 0);
		assert_int_equal(iommusim_report_add_uint(o, "x", (uint64_t)i), 0);
	}
	expect_json_tail(r,
			 ",\n  \"command\": [\"bench\", \"--x\"], \"seed\": 1, \"half\": 0.500, "
			 "\"none\": null, \"profile\": null, \"quick\": false, \"delta\": -3, "
			 "\"empty\": [],\n  \"config\": {\n   \"lpar\": {\"cpu.freq_mhz\": 5200, "
			 "\"x\": 0},\n   \"zvm\": {\"cpu.freq_mhz\": 5200, \"x\": 1}}},\n"
			 " \"rows\": [\n]}\n");
	/* One value alone: what iommusim_cost_write_json() writes for a cost set. */
	got = value_written(o, &err);
	assert_int_equal(err, 0);
	assert_string_equal(got, "{\"cpu.freq_mhz\": 5200, \"x\": 1}");
	free(got);
	got = value_written(c, &err);
	assert_int_equal(err, 0);
	assert_string_equal(got, "{\n \"lpar\": {\"cpu.freq_mhz\": 5200, \"x\": 0},\n \"zvm\": "
				 "{\"cpu.freq_mhz\": 5200, \"x\": 1}}");
	free(got);
	/* An empty report: the heading line, the header line, no rows. */
	expect_written(r, iommusim_report_write_table, "\n");
	expect_written(r, iommusim_report_write_csv, "\n");
	iommusim_report_destroy(r);
}

/* A program that set a locale with a decimal comma still gets JSON numbers. */
static void test_report_real_in_any_locale(void **state)
{
	static const struct iommusim_report_column cols[] = {
		COL("v", IOMMUSIM_REPORT_REAL, 0, 0, 3, 0, NULL, NULL, NULL),
	};
	static const char *const locales[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "C.UTF-8"};
	struct iommusim_report *r;

	(void)state;
	for (size_t i = 0; i < sizeof(locales) / sizeof(locales[0]); i++)
		if (setlocale(LC_NUMERIC, locales[i]))
			break;
	assert_int_equal(iommusim_report_create(NULL, cols, 1, &r), 0);
	assert_int_equal(iommusim_report_add_row(r), 0);
	assert_int_equal(iommusim_report_set_real(r, 0, -1234.5678), 0);
	expect_written(r, iommusim_report_write_csv, "v\n-1234.568\n");
	iommusim_report_destroy(r);
	setlocale(LC_NUMERIC, "C");
}

/* ---- errors ---- */

static void test_report_schema_errors(void **state)
{
	static const struct iommusim_report_column bad[][2] = {
		{COL(NULL, IOMMUSIM_REPORT_STRING, 0, 0, 0, 0, NULL, NULL, NULL)},
		{COL("", IOMMUSIM_REPORT_STRING, 0, 0, 0, 0, NULL, NULL, NULL)},
		{COL("t", (enum iommusim_report_type)99, 0, 0, 0, 0, NULL, NULL, NULL)},
		{COL("o", IOMMUSIM_REPORT_STRING, 1u << 7, 0, 0, 0, NULL, NULL, NULL)},
		{COL("f", IOMMUSIM_REPORT_STRING, 0, 1u << 9, 0, 0, NULL, NULL, NULL)},
		{COL("d", IOMMUSIM_REPORT_REAL, 0, 0, 18, 0, NULL, NULL, NULL)},
		{COL("g", IOMMUSIM_REPORT_OBJECT, 0, 0, 0, 0, NULL, NULL, NULL)},
		{COL("g", IOMMUSIM_REPORT_OBJECT, IOMMUSIM_REPORT_FILES, 0, 0, 0, NULL, NULL,
		     NULL)},
		{COL("same", IOMMUSIM_REPORT_STRING, 0, 0, 0, 0, NULL, NULL, NULL),
		 COL("same", IOMMUSIM_REPORT_UINT, IOMMUSIM_REPORT_JSON, 0, 0, 0, NULL, NULL,
		     NULL)},
	};
	static const struct iommusim_report_column ok[] = {
		/* One name for a table-only and a file column, as compare's "iops". */
		COL("same", IOMMUSIM_REPORT_STRING, IOMMUSIM_REPORT_TABLE, 0, 0, 0, NULL, NULL,
		    NULL),
		COL("same", IOMMUSIM_REPORT_UINT, IOMMUSIM_REPORT_FILES, 0, 0, 0, NULL, NULL, NULL),
		COL("g", IOMMUSIM_REPORT_OBJECT, IOMMUSIM_REPORT_NOWHERE, 0, 0, 0, NULL, NULL,
		    NULL),
	};
	static int sentinel;
	struct iommusim_report *r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = bad[i][1].name ? 2 : 1;

		/* A failed create leaves NULL, never the caller's old value. */
		r = (struct iommusim_report *)(void *)&sentinel;
		assert_int_equal(iommusim_report_create(NULL, bad[i], n, &r), -EINVAL);
		assert_null(r);
	}
	assert_int_equal(iommusim_report_create(NULL, NULL, 1, &r), -EINVAL);
	assert_int_equal(iommusim_report_create(NULL, ok, 3, &r), 0);
	iommusim_report_destroy(r);
	iommusim_report_destroy(NULL);
}

/* Each mistake: -EINVAL, recorded; later calls return it and the writers write nothing. */
static void test_report_call_errors_are_sticky(void **state)
{
	static const struct iommusim_report_column cols[] = {
		COL("s", IOMMUSIM_REPORT_STRING, 0, 0, 0, 0, NULL, NULL, NULL),
		COL("x", IOMMUSIM_REPORT_NUMBER, 0, IOMMUSIM_REPORT_NULLABLE, 0, 0, NULL, NULL,
		    NULL),
	};
	struct iommusim_report_value *m, *a;
	struct iommusim_report *r;
	int err;
	char *got;

	(void)state;
	/* No row yet; a column out of range; the wrong type; a missing value; set twice. */
	for (int k = 0; k < 9; k++) {
		assert_int_equal(iommusim_report_create(NULL, cols, 2, &r), 0);
		m = iommusim_report_meta(r);
		if (k) {
			assert_int_equal(iommusim_report_add_row(r), 0);
		}
		switch (k) {
		case 0:
			err = iommusim_report_set_str(r, 0, "a");
			break;
		case 1:
			err = iommusim_report_set_str(r, 2, "a");
			break;
		case 2:
			err = iommusim_report_set_uint(r, 0, 1);
			break;
		case 3:
			err = iommusim_report_set_null(r, 0);
			break;
		case 4:
			iommusim_report_set_str(r, 0, "a");
			err = iommusim_report_set_str(r, 0, "b");
			break;
		case 5:
			err = iommusim_report_set_number(r, 1, "nan");
			break;
		case 6:
			iommusim_report_add_uint(m, "k", 1);
			err = iommusim_report_add_uint(m, "k", 2);
			break;
		case 7:
			a = iommusim_report_add_array(m, "a");
			err = iommusim_report_add_uint(a, "key in an array", 1);
			break;
		default:
			err = iommusim_report_add_uint(m, NULL, 1);
			break;
		}
		assert_int_equal(err, -EINVAL);
		assert_int_equal(iommusim_report_check(r), -EINVAL);
		assert_int_equal(iommusim_report_add_row(r), -EINVAL);
		assert_int_equal(iommusim_report_add_str(m, "late", "x"), -EINVAL);
		assert_int_equal(iommusim_report_note(r, IOMMUSIM_REPORT_ABOVE, "x"), -EINVAL);
		/* A placeholder, never NULL, on which adds return the error. */
		a = iommusim_report_add_object(m, "late");
		assert_non_null(a);
		assert_int_equal(iommusim_report_add_uint(a, "k", 1), -EINVAL);
		got = written(r, iommusim_report_write_json, &err);
		assert_int_equal(err, -EINVAL);
		assert_string_equal(got, "");
		free(got);
		iommusim_report_destroy(r);
	}
	assert_int_equal(iommusim_report_add_uint(NULL, "k", 1), -EINVAL);
	assert_null(iommusim_report_add_object(NULL, "k"));
	iommusim_report_newline(NULL);
}

/* A cell of a column that is not nullable, never set: the report cannot be written. */
static void test_report_missing_cell_refused(void **state)
{
	static const struct iommusim_report_column cols[] = {
		COL("s", IOMMUSIM_REPORT_STRING, 0, 0, 0, 0, NULL, NULL, NULL),
		COL("v", IOMMUSIM_REPORT_REAL, 0, 0, 1, 0, NULL, NULL, NULL),
	};
	struct iommusim_report *r;
	int err;
	char *got;

	(void)state;
	assert_int_equal(iommusim_report_create(NULL, cols, 2, &r), 0);
	assert_int_equal(iommusim_report_add_row(r), 0);
	assert_int_equal(iommusim_report_set_str(r, 0, "a"), 0);
	assert_int_equal(iommusim_report_check(r), -EINVAL);
	got = written(r, iommusim_report_write_table, &err);
	assert_int_equal(err, -EINVAL);
	assert_string_equal(got, "");
	free(got);
	/* NaN in a column that is not nullable is a mistake, not a missing value. */
	assert_int_equal(iommusim_report_set_real(r, 1, NAN), -EINVAL);
	iommusim_report_destroy(r);
}

/* A stream with its error flag set: -EIO. */
static void test_report_write_error(void **state)
{
	struct iommusim_report *r;
	FILE *f = fopen("/dev/null", "r");

	(void)state;
	assert_non_null(f);
	assert_int_equal(iommusim_report_create(NULL, NULL, 0, &r), 0);
	assert_int_equal(iommusim_report_write_json(r, f), -EIO);
	fclose(f);
	iommusim_report_destroy(r);
}

/* ---- memory ---- */

static const struct iommusim_report_column mem_cols[] = {
	COL("name", IOMMUSIM_REPORT_STRING, 0, 0, 0, 0, NULL, NULL, NULL),
	COL("v", IOMMUSIM_REPORT_REAL, 0, IOMMUSIM_REPORT_RIGHT, 3, 0, NULL, NULL, NULL),
	COL("g", IOMMUSIM_REPORT_OBJECT, IOMMUSIM_REPORT_JSON, 0, 0, 0, NULL, NULL, NULL),
};

/* A report big enough to need several chunks of the arena; its first error. */
static int build(struct iommusim_mem *mem, struct iommusim_report **out)
{
	struct iommusim_report_value *m, *a;
	int err = iommusim_report_create(mem, mem_cols, 3, out);

	if (err)
		return err;
	m = iommusim_report_meta(*out);
	a = iommusim_report_add_array(m, "long");
	for (int i = 0; i < 300; i++)
		iommusim_report_add_str(a, NULL, "a string long enough to fill chunks quickly");
	iommusim_report_note(*out, IOMMUSIM_REPORT_ABOVE, "# %0*d\n", 5000, 7);
	for (int i = 0; i < 200; i++) {
		iommusim_report_add_row(*out);
		iommusim_report_set_strf(*out, 0, "row %d", i);
		iommusim_report_set_real(*out, 1, i / 3.0);
		iommusim_report_add_uint(iommusim_report_set_object(*out, 2), "i", (uint64_t)i);
	}
	return iommusim_report_check(*out);
}

/* Every allocation refused in turn: -ENOMEM, nothing leaked, never a crash. */
static void test_report_out_of_memory(void **state)
{
	struct failing f = {-1};
	struct iommusim_mem *mem;
	struct iommusim_report *r;
	char *want, *got;
	long budget;
	int err;

	(void)state;
	assert_int_equal(build(NULL, &r), 0);
	want = written(r, iommusim_report_write_json, &err);
	assert_int_equal(err, 0);
	iommusim_report_destroy(r);
	assert_int_equal(iommusim_mem_create_custom(&failing_ops, &f, &mem), 0);
	for (budget = 0;; budget++) {
		f.budget = budget;
		r = NULL;
		err = build(mem, &r);
		if (!err)
			break;
		assert_int_equal(err, -ENOMEM);
		iommusim_report_destroy(r);
		assert_int_equal(iommusim_mem_live_objects(mem), 0);
	}
	assert_true(budget > 3);
	/* With enough memory, the same bytes as with malloc. */
	got = written(r, iommusim_report_write_json, &err);
	assert_int_equal(err, 0);
	assert_string_equal(got, want);
	free(got);
	free(want);
	iommusim_report_destroy(r);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

/* Writing does not change a report: twice, the same bytes, in every form. */
static void test_report_written_twice_same_bytes(void **state)
{
	writer w[] = {iommusim_report_write_table, iommusim_report_write_csv,
		      iommusim_report_write_json};
	struct iommusim_report *r;

	(void)state;
	assert_int_equal(build(NULL, &r), 0);
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		int e1, e2;
		char *a = written(r, w[i], &e1), *b = written(r, w[i], &e2);

		assert_int_equal(e1, 0);
		assert_int_equal(e2, 0);
		assert_true(strlen(a) > 1000);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	iommusim_report_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_table_alignment),
		cmocka_unit_test(test_report_table_fixed_widths),
		cmocka_unit_test(test_report_csv_quoting),
		cmocka_unit_test(test_report_json_escaping),
		cmocka_unit_test(test_report_json_rows_and_nulls),
		cmocka_unit_test(test_report_meta_nesting),
		cmocka_unit_test(test_report_real_in_any_locale),
		cmocka_unit_test(test_report_schema_errors),
		cmocka_unit_test(test_report_call_errors_are_sticky),
		cmocka_unit_test(test_report_missing_cell_refused),
		cmocka_unit_test(test_report_write_error),
		cmocka_unit_test(test_report_out_of_memory),
		cmocka_unit_test(test_report_written_twice_same_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
