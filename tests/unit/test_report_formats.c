/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the report emitter's forms (include/iommusim/report.h): the aligned table and its
 * fixed widths, CSV quoting, JSON escaping, rows and nulls, the nesting of the metadata, and real
 * numbers written the same in any locale.
 */
#include "ill_formed_utf8.h"
#include "report_fixture.h"

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
	struct memout m;
	FILE *f = mem_open(&m);

	*err = iommusim_report_write_value(v, f);
	return mem_close(&m, f);
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

/* Control bytes escaped, each maximal ill-formed subsequence one U+FFFD, the rest kept. */
static void test_report_json_escaping(void **state)
{
	static const struct iommusim_report_column cols[] = {
		COL("s", IOMMUSIM_REPORT_STRING, 0, 0, 0, 0, NULL, NULL, NULL),
	};
	static const char bytes[] = ILL_UTF8 "\n";
	static const char quoted[] = "\"" ILL_UTF8_QUOTED "\\u000a\"";
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

SUITE_MAIN(cmocka_unit_test(test_report_table_alignment),
	   cmocka_unit_test(test_report_table_fixed_widths),
	   cmocka_unit_test(test_report_csv_quoting), cmocka_unit_test(test_report_json_escaping),
	   cmocka_unit_test(test_report_json_rows_and_nulls),
	   cmocka_unit_test(test_report_meta_nesting),
	   cmocka_unit_test(test_report_real_in_any_locale))
