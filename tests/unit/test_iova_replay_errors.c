/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the IOVA op replay's input errors (iommusim_iova_replay, the format of
 * tests/data/golden/iova/README.md), run on in-memory scripts: every kind of input error is
 * rejected with -EINVAL, no output at all, and one "NAME:LINE: FIELD: problem" line naming the
 * right line and field; and the values just inside the limits that are accepted.
 */
#include "iova_replay_fixture.h"

static void replay(const char *script, struct result *res)
{
	replay_depot(script, IOMMUSIM_IOVA_DEPOT_LIST, res);
}

static void replay_bytes(const char *bytes, size_t len, struct result *res)
{
	replay_len(bytes, len, IOMMUSIM_IOVA_DEPOT_LIST, res);
}

/*
 * The script must be rejected: -EINVAL, not one byte of output, and one line
 * "in.ops:LINE: FIELD: problem" where FIELD is one of the '|'-separated @fields and the
 * problem is not empty and, if @word is given, quotes it.
 */
static void expect_error(const char *script, unsigned int line, const char *fields,
			 const char *word)
{
	struct result res, far;
	char prefix[64];
	const char *field, *colon;
	size_t flen;
	bool field_ok = false;

	replay(script, &res);
	if (res.rc != -EINVAL)
		fail_msg("script accepted (rc %d) instead of an error on line %u:\n%s", res.rc,
			 line, script);
	if (res.outlen != 0)
		fail_msg("%zu bytes printed for a script with an error: '%.*s'", res.outlen,
			 (int)res.outlen, res.out);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", NAME, line);
	if (strncmp(res.err, prefix, strlen(prefix)))
		fail_msg("message '%s' does not start with '%s'", res.err, prefix);
	assert_null(strchr(res.err, '\n'));

	field = res.err + strlen(prefix);
	colon = strstr(field, ": ");
	if (!colon)
		fail_msg("message '%s' has no 'FIELD: problem' part", res.err);
	flen = (size_t)(colon - field);
	for (const char *f = fields; *f;) {
		size_t n = strcspn(f, "|");

		if (n == flen && !strncmp(f, field, n))
			field_ok = true;
		f += n + (f[n] == '|');
	}
	if (!field_ok)
		fail_msg("message '%s' names field '%.*s', expected %s", res.err, (int)flen, field,
			 fields);
	assert_true(strlen(colon + 2) > 0);
	if (word && !strstr(colon + 2, word))
		fail_msg("message '%s' does not quote '%s'", res.err, word);
	/* Far from the end of the script, where a common line is read another way: the same. */
	replay_far_from_end(script, IOMMUSIM_IOVA_DEPOT_LIST, &far);
	assert_int_equal(far.rc, res.rc);
	assert_int_equal(far.outlen, 0);
	assert_string_equal(far.err, res.err);
	result_free(&far);
	result_free(&res);
}

/* ---------------------------------------------------------------------------------------- */
/* Input errors. */

static void test_iova_replay_size_zero_rejected(void **state)
{
	(void)state;
	/* alloc_iova, alloc_iova_fast and free_iova_fast all need at least one granule. */
	expect_error("init 4096 1\nalloc 0 255 0\n", 2, "SIZE", NULL);
	expect_error("init 4096 1\nfast 0 255 1\n", 2, "SIZE", NULL);
	expect_error("init 4096 1\nffree 5 0\n", 2, "SIZE", NULL);
	expect_error("init 4096 1\nalloc 0x0 255 1\n", 2, "SIZE", NULL);
}

static void test_iova_replay_limit_all_ones_rejected(void **state)
{
	(void)state;
	/* An inclusive limit of 2^64-1 would make the exclusive limit wrap to 0. */
	expect_error("init 4096 1\nalloc 1 18446744073709551615 0\n", 2, "LIMIT_PFN", NULL);
	expect_error("init 4096 1\nfast 1 0xffffffffffffffff 1\n", 2, "LIMIT_PFN", NULL);
	expect_error("init 4096 1\nfast 4 0xFFFFFFFFFFFFFFFF 0\n", 2, "LIMIT_PFN", NULL);
}

static void test_iova_replay_limit_one_below_all_ones_accepted(void **state)
{
	(void)state;
	/*
	 * 2^64-2 is fine: the search starts at the anchor (pfn_lo 2^64-1), high = min(limit + 1,
	 * anchor) = 2^64-1, and the size-1 range goes at high - 1.
	 */
	expect_output("init 4096 1\nalloc 1 18446744073709551614 0\n", IOMMUSIM_IOVA_DEPOT_LIST,
		      "ok\n18446744073709551614\n");
}

static void test_iova_replay_flag_not_0_or_1_rejected(void **state)
{
	(void)state;
	expect_error("init 4096 1\nalloc 1 255 2\n", 2, "ALIGNED", NULL);
	expect_error("init 4096 1\nfast 1 255 7\n", 2, "FLUSH", NULL);
	expect_error("init 4096 1\nalloc 1 255 0x10\n", 2, "ALIGNED", NULL);
}

static void test_iova_replay_reserve_lo_above_hi_rejected(void **state)
{
	(void)state;
	/* Either bound may be blamed; both name the reserve op's fields. */
	expect_error("init 4096 1\nreserve 10 9\n", 2, "PFN_LO|PFN_HI", NULL);
	expect_error("init 4096 1\nreserve 0x100 0xff\n", 2, "PFN_LO|PFN_HI", NULL);
	/* A one-PFN reservation is fine. */
	expect_output("init 4096 1\nreserve 5 5\nfind 5\n", IOMMUSIM_IOVA_DEPOT_LIST,
		      "ok\nok\n5 5\n");
}

static void test_iova_replay_bad_granule_rejected(void **state)
{
	(void)state;
	/* init_iova_domain BUGs unless the granule is a power of two no larger than PAGE_SIZE. */
	expect_error("init 3 1\n", 1, "GRANULE", NULL);
	expect_error("init 0 1\n", 1, "GRANULE", NULL);
	expect_error("init 4097 1\n", 1, "GRANULE", NULL);
	expect_error("init 8192 1\n", 1, "GRANULE", NULL);
	expect_error("ncpus 2\ninit 0x2000 1\n", 2, "GRANULE", NULL);
	/* The extremes that are allowed. */
	expect_output("init 1 0\ninit 4096 0\n", IOMMUSIM_IOVA_DEPOT_LIST, "ok\nok\n");
}

static void test_iova_replay_op_before_init_rejected(void **state)
{
	static const char *const ops[] = {
		"alloc 1 255 0", "free 5", "reserve 1 2", "fast 1 255 1", "ffree 5 1",
		"drain",	 "tick",   "dump",	  "find 5",	  "cpudead 0",
		"rcache",	 "cached", "pending",
	};
	char script[128];

	(void)state;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		char name[16], fields[24];

		/* The op itself is at fault: blamed as "op" or by its name, and quoted. */
		sscanf(ops[i], "%15s", name);
		snprintf(fields, sizeof(fields), "op|%s", name);
		snprintf(script, sizeof(script), "%s\ninit 4096 1\n", ops[i]);
		expect_error(script, 1, fields, name);
	}
	/* After ncpus, cpu and comments the first real op is on line 4. */
	expect_error("ncpus 2\ncpu 1\n# not yet\nfast 1 255 1\ninit 4096 1\n", 4, "op|fast",
		     "fast");
}

static void test_iova_replay_ncpus_and_cpu_allowed_before_init(void **state)
{
	(void)state;
	expect_output("ncpus 2\ncpu 1\ninit 4096 1\nfast 1 0xfffff 1\n", IOMMUSIM_IOVA_DEPOT_LIST,
		      "ok\nok\nok\n1048575\n");
}

static void test_iova_replay_unknown_op_rejected(void **state)
{
	(void)state;
	expect_error("init 4096 1\nallocate 1 255 0\n", 2, "op", "allocate");
	expect_error("init 4096 1\nalloc 1 255 0\nfrob\n", 3, "op", "frob");
	expect_error("init 4096 1\n5 1\n", 2, "op", "5");
	expect_error("bogus\n", 1, "op", "bogus");
}

static void test_iova_replay_malformed_number_rejected(void **state)
{
	(void)state;
	expect_error("init 4096 1\nalloc 12x 255 0\n", 2, "SIZE", "12x");
	expect_error("init 4096 1\nfree -1\n", 2, "PFN", "-1");
	expect_error("init 4096 1\nfind 0x\n", 2, "PFN", "0x");
	/* 2^64 and more do not fit in 64 bits, in decimal or in hex. */
	expect_error("init 4096 1\nalloc 1 99999999999999999999 0\n", 2, "LIMIT_PFN",
		     "99999999999999999999");
	expect_error("init 4096 1\nreserve 1 18446744073709551616\n", 2, "PFN_HI", NULL);
	expect_error("init 4096 0x10000000000000000\n", 1, "START_PFN", NULL);
	expect_error("init 4096 1\nalloc 1.5 255 0\n", 2, "SIZE", "1.5");
	expect_error("init 4096 1\nffree 0xg 1\n", 2, "PFN", "0xg");
	expect_error("init 4096 1\nfast 1 255 +1\n", 2, "FLUSH", "+1");
	expect_error("cpu one\n", 1, "N", "one");
	expect_error("ncpus 2x\n", 1, "N", "2x");
	expect_error("init 4096 1\ncpudead -0\n", 2, "N", NULL);
}

/* Beyond 2^64 - 1 a well-formed number is out of range, not malformed. */
static void test_iova_replay_too_large_number_out_of_range(void **state)
{
	(void)state;
	expect_error("init 4096 1\nfind 12345678901234567890123\n", 2, "PFN", "out of range");
	expect_error("init 4096 1\nfind 0x10000000000000000\n", 2, "PFN", "out of range");
	/* a bad digit anywhere still makes it malformed */
	expect_error("init 4096 1\nfind 123456789012345678901x3\n", 2, "PFN", "malformed");
}

/* Bytes that are not printable text are shown escaped: the message stays one line of text. */
static void test_iova_replay_odd_bytes_shown_escaped(void **state)
{
	static const char nul[] = "init 4096 1\nfi\0d 1\n";
	struct result res;

	(void)state;
	expect_error("init 4096 1\nfind 1\x1b[2J\n", 2, "PFN", "1\\x1b[2J");
	expect_error("init 4096 1\nal\xffloc 1 2 0\n", 2, "op", "al\\xffloc");
	replay_bytes(nul, sizeof(nul) - 1, &res);
	assert_int_equal(res.rc, -EINVAL);
	assert_int_equal(res.outlen, 0);
	assert_non_null(strstr(res.err, "fi\\x00d"));
	result_free(&res);
}

/* A long script name is named whole in the message (and escaped, not cut, below 240 bytes). */
static void test_iova_replay_long_name_kept(void **state)
{
	struct iommusim_iova_replay_opts opts = {.depot = IOMMUSIM_IOVA_DEPOT_LIST};
	char name[200], err[512], *text = strdup("init 4096 1\nfind x\n"), *out = NULL;
	size_t outlen = 0;
	FILE *in, *o;

	(void)state;
	memset(name, 'd', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	name[0] = '/';
	in = fmemopen(text, strlen(text), "r");
	o = open_memstream(&out, &outlen);
	assert_int_equal(iommusim_iova_replay(in, name, &opts, o, err, sizeof(err)), -EINVAL);
	fclose(o);
	fclose(in);
	assert_int_equal(strncmp(err, name, strlen(name)), 0);
	assert_non_null(strstr(err, ":2: PFN: malformed number 'x'"));
	assert_int_equal(outlen, 0);
	free(out);
	free(text);
}

/* Ops run on an online CPU: 0 .. ncpus - 1. */
static void test_iova_replay_cpu_must_be_online(void **state)
{
	(void)state;
	expect_error("ncpus 4\ncpu 4\n", 2, "N", "not online");
	expect_error("ncpus 4\ninit 4096 1\ncpudead 7\n", 3, "N", "not online");
	/* the current CPU stays online */
	expect_error("cpu 5\nncpus 4\n", 2, "N", "current CPU 5");
	expect_error("cpu 64\n", 1, "N", "not online");
	/* a CPU after its cpudead has come back online, as in the kernel */
	expect_output("ncpus 2\ninit 4096 1\ncpudead 1\ncpu 1\nfast 1 0xfffff 1\n",
		      IOMMUSIM_IOVA_DEPOT_LIST, "ok\nok\nok\nok\n1048575\n");
}

static void test_iova_replay_missing_field_rejected(void **state)
{
	(void)state;
	expect_error("init\n", 1, "GRANULE", NULL);
	expect_error("init 4096\n", 1, "START_PFN", NULL);
	expect_error("init 4096 1\nalloc 1 255\n", 2, "ALIGNED", NULL);
	expect_error("init 4096 1\nfast 1\n", 2, "LIMIT_PFN", NULL);
	expect_error("init 4096 1\nreserve 5\n", 2, "PFN_HI", NULL);
	expect_error("init 4096 1\nffree 5\n", 2, "SIZE", NULL);
	expect_error("init 4096 1\nfree\n", 2, "PFN", NULL);
	expect_error("init 4096 1\nfind\n", 2, "PFN", NULL);
	expect_error("cpu\n", 1, "N", NULL);
	expect_error("init 4096 1\ncpudead\n", 2, "N", NULL);
}

static void test_iova_replay_extra_field_rejected(void **state)
{
	(void)state;
	/* The field at fault has no name of its own: the op (or the word "op") is blamed. */
	expect_error("init 4096 1 7\n", 1, "op|init", "7");
	expect_error("init 4096 1\ndump 1\n", 2, "op|dump", "1");
	expect_error("init 4096 1\nalloc 1 255 0 0\n", 2, "op|alloc", NULL);
	expect_error("init 4096 1\nfree 5 6\n", 2, "op|free", "6");
	expect_error("init 4096 1\npending now\n", 2, "op|pending", "now");
	expect_error("init 4096 1\nfast 1 2 1 4 5 6 7\n", 2, "op|fast", NULL);
}

static void test_iova_replay_late_error_prints_nothing(void **state)
{
	char *script = malloc(64 * 1024);
	size_t n = 0;

	(void)state;
	assert_non_null(script);
	/* 300 good lines that would print 300 lines, then a bad one on line 301. */
	n += (size_t)sprintf(script + n, "init 4096 1\n");
	for (int i = 0; i < 299; i++)
		n += (size_t)sprintf(script + n, "alloc 1 0xfffff 0\n");
	sprintf(script + n, "alloc 1 0xfffff 3\ndump\n");
	expect_error(script, 301, "ALIGNED", NULL);
	free(script);
}

static void test_iova_replay_line_numbers_count_every_line(void **state)
{
	(void)state;
	/* Comment, blank and white-space lines count; a last line needs no newline. */
	expect_error("# header\n\ninit 4096 1\n\n# x\n   \t\nalloc 0 1 0\n", 7, "SIZE", NULL);
	expect_error("init 4096 1\nalloc 0 1 0", 2, "SIZE", NULL);
	/* The first bad line is the one reported. */
	expect_error("init 4096 1\ndump\nfree x\nalloc 0 1 0\n", 3, "PFN", "x");
}

SUITE_MAIN(cmocka_unit_test(test_iova_replay_size_zero_rejected),
	   cmocka_unit_test(test_iova_replay_limit_all_ones_rejected),
	   cmocka_unit_test(test_iova_replay_limit_one_below_all_ones_accepted),
	   cmocka_unit_test(test_iova_replay_flag_not_0_or_1_rejected),
	   cmocka_unit_test(test_iova_replay_reserve_lo_above_hi_rejected),
	   cmocka_unit_test(test_iova_replay_bad_granule_rejected),
	   cmocka_unit_test(test_iova_replay_op_before_init_rejected),
	   cmocka_unit_test(test_iova_replay_ncpus_and_cpu_allowed_before_init),
	   cmocka_unit_test(test_iova_replay_unknown_op_rejected),
	   cmocka_unit_test(test_iova_replay_malformed_number_rejected),
	   cmocka_unit_test(test_iova_replay_missing_field_rejected),
	   cmocka_unit_test(test_iova_replay_extra_field_rejected),
	   cmocka_unit_test(test_iova_replay_late_error_prints_nothing),
	   cmocka_unit_test(test_iova_replay_line_numbers_count_every_line),
	   cmocka_unit_test(test_iova_replay_too_large_number_out_of_range),
	   cmocka_unit_test(test_iova_replay_odd_bytes_shown_escaped),
	   cmocka_unit_test(test_iova_replay_cpu_must_be_online),
	   cmocka_unit_test(test_iova_replay_long_name_kept))
