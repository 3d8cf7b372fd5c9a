/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the report emitter's refusals and failures (include/iommusim/report.h): schema
 * errors, call errors that stick, a missing cell, a failing write, out of memory, and a report
 * written twice giving the same bytes.
 */
#include "report_fixture.h"

#include "machine.h"

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

/*
 * Mistake @k (0..8) on a report of a string and a nullable number column with a row from @k 1
 * on: no row yet; a column out of range; the wrong type; a missing value; set twice; a number
 * that is not one; a meta key twice; a key in an array; no key. What the mistaken call returned.
 */
static int mistake(struct iommusim_report *r, struct iommusim_report_value *m, int k)
{
	switch (k) {
	case 0:
		return iommusim_report_set_str(r, 0, "a");
	case 1:
		return iommusim_report_set_str(r, 2, "a");
	case 2:
		return iommusim_report_set_uint(r, 0, 1);
	case 3:
		return iommusim_report_set_null(r, 0);
	case 4:
		iommusim_report_set_str(r, 0, "a");
		return iommusim_report_set_str(r, 0, "b");
	case 5:
		return iommusim_report_set_number(r, 1, "nan");
	case 6:
		iommusim_report_add_uint(m, "k", 1);
		return iommusim_report_add_uint(m, "k", 2);
	case 7:
		return iommusim_report_add_uint(iommusim_report_add_array(m, "a"),
						"key in an array", 1);
	default:
		return iommusim_report_add_uint(m, NULL, 1);
	}
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
		err = mistake(r, m, k);
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
	machine_down(mem, NULL, NULL, 0);
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

SUITE_MAIN(cmocka_unit_test(test_report_schema_errors),
	   cmocka_unit_test(test_report_call_errors_are_sticky),
	   cmocka_unit_test(test_report_missing_cell_refused),
	   cmocka_unit_test(test_report_write_error), cmocka_unit_test(test_report_out_of_memory),
	   cmocka_unit_test(test_report_written_twice_same_bytes))
