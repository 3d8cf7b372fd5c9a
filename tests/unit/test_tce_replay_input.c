/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the input side of the TCE op replay (iommusim_tce_replay, the format of
 * tests/data/golden/tce/README.md), on in-memory scripts: every class of input error the
 * README names is rejected with -EINVAL, no output at all, and one "NAME:LINE: FIELD: problem"
 * line naming the right line and field; the edges of each limit are accepted; and the
 * accepted forms (comments anywhere, tabs, blank lines, hex and decimal, a last line without
 * a newline) and the print formats of every op. Expected outputs are worked out in the
 * comments from arch/powerpc/kernel/iommu.c (docs/powerpc.md, docs/sources.md S21).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/tce_replay.h>

#define NAME "in.ops"
/* A 512 MiB table at 0 with 4 KiB entries: one pool of 0x18000, the large pool above. */
#define TABLE	"table 0x0 0x20000 12 0x0 0x0 16\n"
#define NO_MASK "0xfffffffffffff"

struct result {
	int rc;
	char *out;
	size_t outlen;
	char err[512];
};

/* Replay @len bytes of @bytes (which may hold NULs) under @name. */
static void replay_named(const char *bytes, size_t len, const char *name, struct result *res)
{
	char *text = malloc(len + 1);
	FILE *in, *out;

	assert_non_null(text);
	memcpy(text, bytes, len);
	memset(res, 0, sizeof(*res));
	/* fmemopen() refuses an empty buffer on some libcs: an empty script is /dev/null */
	in = len ? fmemopen(text, len, "r") : fopen("/dev/null", "r");
	assert_non_null(in);
	out = open_memstream(&res->out, &res->outlen);
	assert_non_null(out);
	/* pre-filled, so a missing message cannot pass as an old one */
	strcpy(res->err, "untouched");
	res->rc = iommusim_tce_replay(in, name, NULL, out, res->err, sizeof(res->err));
	assert_int_equal(fclose(out), 0);
	fclose(in);
	free(text);
}

static void replay_len(const char *bytes, size_t len, struct result *res)
{
	replay_named(bytes, len, NAME, res);
}

static void replay(const char *script, struct result *res)
{
	replay_len(script, strlen(script), res);
}

static void result_free(struct result *res)
{
	free(res->out);
	res->out = NULL;
}

static void expect_output(const char *script, const char *expected)
{
	struct result res;

	replay(script, &res);
	if (res.rc != 0)
		fail_msg("replay failed (%d): %s", res.rc, res.err);
	assert_string_equal(res.err, "");
	assert_int_equal(res.outlen, strlen(expected));
	assert_string_equal(res.out, expected);
	result_free(&res);
}

/*
 * The script is refused as a whole: -EINVAL, nothing written, and a message of one line that
 * starts "in.ops:LINE: FIELD: " and holds @problem.
 */
static void expect_error_len(const char *script, size_t len, unsigned int line, const char *field,
			     const char *problem)
{
	char prefix[128];
	struct result res;

	replay_len(script, len, &res);
	snprintf(prefix, sizeof(prefix), NAME ":%u: %s: ", line, field);
	if (res.rc != -EINVAL || strncmp(res.err, prefix, strlen(prefix)) ||
	    !strstr(res.err, problem))
		fail_msg("expected '%s...%s', got %d '%s'", prefix, problem, res.rc, res.err);
	assert_int_equal(res.outlen, 0);
	assert_null(strchr(res.err, '\n'));
	result_free(&res);
}

static void expect_error(const char *script, unsigned int line, const char *field,
			 const char *problem)
{
	expect_error_len(script, strlen(script), line, field, problem);
}

/* ---- error classes ---- */

static void test_tce_input_unknown_op(void **state)
{
	(void)state;
	expect_error(TABLE "pools\nmap 1 2\n", 3, "op", "unknown op 'map'");
	/* ops are lower case, whole words */
	expect_error(TABLE "Alloc 0 1 " NO_MASK " 0\n", 2, "op", "unknown op 'Alloc'");
	expect_error(TABLE "inuse2\n", 2, "op", "unknown op 'inuse2'");
	/* a long word is cut at 32 bytes */
	expect_error("abcdefghijklmnopqrstuvwxyzabcdefghijklmnop\n", 1, "op",
		     "'abcdefghijklmnopqrstuvwxyzabcdef...'");
}

static void test_tce_input_wrong_field_count(void **state)
{
	(void)state;
	/* missing: the first missing field is named, with the usage */
	expect_error("table 0x0 0x20000 12 0x0 0x0\n", 1, "BLOCKSIZE",
		     "missing (usage: table OFFSET SIZE PAGE_SHIFT RES_START RES_END BLOCKSIZE "
		     "[BOUNDARY])");
	expect_error(TABLE "alloc 0 1 " NO_MASK "\n", 2, "ALIGN_ORDER",
		     "usage: alloc CPU NPAGES MASK ALIGN_ORDER [HANDLE]");
	expect_error(TABLE "alloc\n", 2, "CPU", "missing");
	expect_error(TABLE "free 0x10\n", 2, "NPAGES", "missing (usage: free ENTRY NPAGES)");
	expect_error(TABLE "handle 3\n", 2, "VALUE", "missing (usage: handle HANDLE VALUE)");
	/* extra: the op is named with the first extra field */
	expect_error("table 0x0 0x20000 12 0x0 0x0 16 0xffffffff 9\n", 1, "table",
		     "unexpected extra field '9'");
	expect_error(TABLE "alloc 0 1 " NO_MASK " 0 1 2\n", 2, "alloc",
		     "unexpected extra field '2'");
	expect_error(TABLE "free 0x10 1 1\n", 2, "free", "unexpected extra field '1'");
	expect_error(TABLE "handle 3 0 0\n", 2, "handle", "unexpected extra field '0'");
	expect_error(TABLE "inuse yes\n", 2, "inuse", "unexpected extra field 'yes'");
	expect_error(TABLE "weight 0\n", 2, "weight", "unexpected extra field '0'");
	expect_error(TABLE "pools all\n", 2, "pools", "unexpected extra field 'all'");
	expect_error(TABLE "reserved 1 2 3 4 5 6 7 8 9 10\n", 2, "reserved",
		     "unexpected extra field '1'");
}

static void test_tce_input_malformed_numbers(void **state)
{
	(void)state;
	expect_error("table 0x0 0x2000g 12 0x0 0x0 16\n", 1, "SIZE", "malformed number '0x2000g'");
	expect_error("table 0x 0x20000 12 0x0 0x0 16\n", 1, "OFFSET", "malformed number '0x'");
	expect_error(TABLE "alloc -1 1 " NO_MASK " 0\n", 2, "CPU", "malformed number '-1'");
	expect_error(TABLE "alloc 0 +1 " NO_MASK " 0\n", 2, "NPAGES", "malformed number '+1'");
	expect_error(TABLE "alloc 0 1 0xfffff.0 0\n", 2, "MASK", "malformed number");
	expect_error(TABLE "alloc 0 1 " NO_MASK " 1e3\n", 2, "ALIGN_ORDER", "malformed number");
	/* the prefix is 0x, lower case, as the README writes it */
	expect_error(TABLE "free 0X10 1\n", 2, "ENTRY", "malformed number '0X10'");
	expect_error(TABLE "handle 3 ten\n", 2, "VALUE", "malformed number 'ten'");
	/* hex digits may be upper case */
	expect_output(TABLE "handle 3 0xABCdef\n", "");
}

static void test_tce_input_out_of_range_numbers(void **state)
{
	(void)state;
	/* 2^64 - 1 is a number; one more is out of range, in decimal or hex, not malformed */
	expect_output(TABLE "handle 1 18446744073709551615\nhandle 2 0xffffffffffffffff\n", "");
	expect_error(TABLE "handle 1 18446744073709551616\n", 2, "VALUE",
		     "out of range: '18446744073709551616' is above 2^64 - 1");
	expect_error(TABLE "alloc 0 1 0x10000000000000000 0\n", 2, "MASK", "out of range");
	expect_error("table 99999999999999999999999 0x20000 12 0x0 0x0 16\n", 1, "OFFSET",
		     "out of range");
	/* a bad digit after the overflow makes it malformed after all */
	expect_error(TABLE "handle 1 99999999999999999999999x\n", 2, "VALUE", "malformed number");
}

static void test_tce_input_op_before_table(void **state)
{
	static const char *const ops[] = {"alloc 0 1 0xffff 0",
					  "free 0x1 1",
					  "handle 0 1",
					  "inuse",
					  "weight",
					  "pools",
					  "reserved"};
	char script[128], problem[64];

	(void)state;
	/* line 3, after a comment and a blank line: "'OP' before the first 'table'" */
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		int oplen = (int)strcspn(ops[i], " ");

		snprintf(script, sizeof(script), "# nothing yet\n\n%s\n" TABLE, ops[i]);
		snprintf(problem, sizeof(problem), "'%.*s' before the first 'table'", oplen,
			 ops[i]);
		expect_error(script, 3, "op", problem);
	}
	/* after a table, every op is fine */
	expect_output(TABLE "handle 0 1\ninuse\n", "no\n");
}

static void test_tce_input_table_limits(void **state)
{
	(void)state;
	expect_error("table 0x0 0x20000 11 0x0 0x0 16\n", 1, "PAGE_SHIFT", "11 is outside 12..34");
	expect_error("table 0x0 0x20 35 0x0 0x0 16\n", 1, "PAGE_SHIFT", "35 is outside 12..34");
	expect_error("table 0x0 7 12 0x0 0x0 16\n", 1, "SIZE", "0x7 entries is outside 8..2^30");
	expect_error("table 0x0 0x40000001 12 0x0 0x0 16\n", 1, "SIZE", "outside 8..2^30");
	/* 2^52 - 0x20000 + 1 entries of 4 KiB, plus 0x20000: one entry past 2^64 bytes */
	expect_error("table 0xffffffffe0001 0x20000 12 0x0 0x0 16\n", 1, "OFFSET",
		     "ends above 2^64");
	/* an offset so large that OFFSET + SIZE wraps */
	expect_error("table 0xffffffffffffffff 8 12 0x0 0x0 16\n", 1, "OFFSET", "ends above 2^64");
	expect_error("table 0x0 0x20000 12 0x0 0x0 0\n", 1, "BLOCKSIZE",
		     "0x0 is not a power of two up to 2^32");
	expect_error("table 0x0 0x20000 12 0x0 0x0 24\n", 1, "BLOCKSIZE", "not a power of two");
	expect_error("table 0x0 0x20000 12 0x0 0x0 0x200000000\n", 1, "BLOCKSIZE", "up to 2^32");
	/* (0x17fff >> 12) + 1 = 0x18 entries */
	expect_error("table 0x0 0x20000 12 0x0 0x0 16 0x17fff\n", 1, "BOUNDARY",
		     "(0x17fff >> 12) + 1 = 0x18 entries is not a power of two");

	/*
	 * The edges are accepted: shifts 12 and 34, 8 entries, a window ending at 2^64 exactly,
	 * a block of 2^32, boundary masks 0 (none: ULONG_MAX) and 2^64 - 1, a mask of less than
	 * a page ((0xfff >> 12) + 1 = 1 entry). 8 entries: 6 / 1 = 6 in pool 0, 2 large.
	 */
	expect_output("table 0xffffffffffff8 8 12 0x0 0x0 0x100000000 0\npools\n"
		      "table 0x0 8 34 0x0 0x0 1 0xffffffffffffffff\nreserved\n"
		      "table 0x0 8 12 0x0 0x0 16 0xfff\nweight\n",
		      "pools nr=1 poolsize=0x6 0=0x0,0x6,0x0 large=0x6,0x8,0x6\n"
		      "reserved 0x0 0x0\n"
		      "1\n");
}

static void test_tce_input_alloc_limits(void **state)
{
	(void)state;
	expect_error(TABLE "alloc 8192 1 " NO_MASK " 0\n", 2, "CPU",
		     "8192: CPU numbers go up to 8191");
	expect_error(TABLE "alloc 0 0x40000001 " NO_MASK " 0\n", 2, "NPAGES", "above 2^30");
	/* the default boundary 0xffffffff is 2^20 entries of 4 KiB */
	expect_error(TABLE "alloc 0 0x100001 " NO_MASK " 0\n", 2, "NPAGES",
		     "0x100001 is above the segment boundary of 0x100000 entries");
	/* the boundary is the current table's: 64 KiB masks allow 16 entries */
	expect_error(TABLE "table 0x0 0x20000 12 0x0 0x0 16 0xffff\nalloc 0 17 " NO_MASK " 0\n", 3,
		     "NPAGES", "above the segment boundary of 0x10 entries");
	expect_error("table 0x10000 0x20000 12 0x0 0x0 16\nalloc 0 1 0xffff 0\n", 2, "MASK",
		     "0xffff is below the table's OFFSET 0x10000");
	expect_error(TABLE "alloc 0 1 " NO_MASK " 64\n", 2, "ALIGN_ORDER", "64 is above 63");
	expect_error(TABLE "alloc 0 1 " NO_MASK " 0 64\n", 2, "HANDLE", "slot 64: slots are 0..63");

	/*
	 * The edges: CPU 8191 (hash 3, masked to the one pool), 16 entries under a 64 KiB
	 * boundary, the mask equal to the offset (limit 1: nothing ever fits), order 63 (only
	 * index 0 is aligned, and at offset 0x10000 it is free), slot 63, and zero entries (the
	 * kernel warns and fails).
	 */
	expect_output(TABLE "alloc 8191 1 " NO_MASK " 0\n"
			    "table 0x0 0x20000 12 0x0 0x0 16 0xffff\nalloc 0 16 " NO_MASK " 0\n"
			    "table 0x10000 0x20000 12 0x0 0x0 16\nalloc 0 1 0x10000 0\n"
			    "alloc 0 1 " NO_MASK " 63 63\nalloc 0 0 " NO_MASK " 0\n",
		      "0x1\n0x18000\nfail\n0x10000\nfail\n");
}

static void test_tce_input_free_and_handle_limits(void **state)
{
	(void)state;
	/* ENTRY << 12 must fit in 64 bits: 2^52 does not */
	expect_error(TABLE "free 0x10000000000000 1\n", 2, "ENTRY",
		     "0x10000000000000 << 12 does not fit in 64 bits");
	/* with 64 KiB pages the limit is 2^48 */
	expect_error("table 0x0 0x20000 16 0x0 0x0 16\nfree 0x1000000000000 1\n", 2, "ENTRY",
		     "<< 16 does not fit");
	expect_error(TABLE "free 0x1 0x100000000\n", 2, "NPAGES", "0x100000000 is not below 2^32");
	expect_error(TABLE "handle 64 1\n", 2, "HANDLE", "slot 64: slots are 0..63");
	/* the edges, and frees outside the table that the kernel ignores with a warning */
	expect_output(TABLE "free 0xfffffffffffff 0xffffffff\nfree 0x1ffff 2\nfree 0x20000 0\n"
			    "handle 63 0xffffffffffffffff\nweight\n",
		      "1\n");
}

/* ---- the whole script is checked first ---- */

static void test_tce_input_error_after_good_lines_prints_nothing(void **state)
{
	(void)state;
	/* lines 1..4 would print; line 6 (blank and comment lines count) is bad */
	expect_error(TABLE "pools\nalloc 0 1 " NO_MASK " 0\nweight\n\nfree 0x1\nweight\n", 6,
		     "NPAGES", "missing");
	/* the first bad line is the one reported */
	expect_error(TABLE "bogus\nalloc 0 1 " NO_MASK " 99\n", 2, "op", "unknown op");
	/* a limit of the second table is checked against it, not the first */
	expect_error("table 0x0 0x20000 12 0x0 0x0 16\nalloc 0 1 0xffff 0\n"
		     "table 0x100000 0x20000 12 0x0 0x0 16\nalloc 0 1 0xffff 0\n",
		     4, "MASK", "below the table's OFFSET 0x100000");
}

static void test_tce_input_odd_bytes_escaped(void **state)
{
	static const char nul[] = TABLE "we\0ight\n";
	static const char high[] = TABLE "alloc 0 1 0x\xff 0\n";
	char name[] = "bad\nname\x01.ops";
	struct result res;

	(void)state;
	/* a NUL, a byte above 0x7f, a carriage return, a backslash: written as \xHH */
	expect_error_len(nul, sizeof(nul) - 1, 2, "op", "unknown op 'we\\x00ight'");
	expect_error_len(high, sizeof(high) - 1, 2, "MASK", "malformed number '0x\\xff'");
	/* only spaces and tabs separate fields: a CRLF line ends in a field holding \r */
	expect_error(TABLE "weight\r\n", 2, "op", "unknown op 'weight\\x0d'");
	expect_error(TABLE "handle 1 0\\\n", 2, "VALUE", "'0\\x5c'");
	/* the script's name too, so that the message stays one line */
	replay_named("inuse\n", 6, name, &res);
	assert_int_equal(res.rc, -EINVAL);
	assert_string_equal(res.err, "bad\\x0aname\\x01.ops:1: op: 'inuse' before the first "
				     "'table'");
	assert_int_equal(res.outlen, 0);
	result_free(&res);
}

/* ---- accepted forms and print formats ---- */

static void test_tce_input_comments_blanks_and_separators(void **state)
{
	(void)state;
	/* '#' starts a comment anywhere, even glued to a field; tabs separate like spaces */
	expect_output("# a comment\n"
		      "\n"
		      "   \t  \n"
		      "table\t0x0 0x20000  12 0x0 0x0 16   # trailing comment\n"
		      "alloc 0 1 " NO_MASK " 0#glued\n"
		      "  weight\t\n"
		      "#weight\n"
		      "pools#",
		      "0x1\n2\npools nr=1 poolsize=0x18000 0=0x0,0x18000,0x10 "
		      "large=0x18000,0x20000,0x18000\n");
	/* nothing at all, or only comments: no output, no error */
	expect_output("", "");
	expect_output("# only\n#comments\n\n", "");
	/* decimal and hex mix; leading zeros are decimal */
	expect_output("table 0 131072 012 0 0 0x10\nalloc 00 001 4503599627370495 0\n", "0x1\n");
}

static void test_tce_input_print_formats(void **state)
{
	(void)state;
	/*
	 * A 64 GiB window of 64 KiB pages with the 2..4 GiB hole: four pools of 0x30000, entry 0
	 * and 0x8000 hole entries set. inuse ignores both, weight counts them. Handle slot 5 at
	 * 0x7ffe starts the search there: 0x7ffe and 0x7fff are free, the hole follows, so 3
	 * entries go to 0x10000, the first after the hole; the slot holds the end, 0x10003, and a
	 * second alloc on it continues there.
	 */
	expect_output("table 0x0 0x100000 16 0x8000 0x10000 16\n"
		      "reserved\ninuse\nweight\npools\n"
		      "handle 5 0x7ffe\n"
		      "alloc 3 3 0xffffffffffff 0 5\n"
		      "alloc 3 1 0xffffffffffff 0 5\n"
		      "inuse\nweight\n"
		      "free 0x10000 4\nfree 0x0 1\ninuse\nweight\n",
		      "reserved 0x8000 0x10000\n"
		      "no\n"
		      "32769\n"
		      "pools nr=4 poolsize=0x30000 0=0x0,0x30000,0x0 1=0x30000,0x60000,0x30000 "
		      "2=0x60000,0x90000,0x60000 3=0x90000,0xc0000,0x90000 "
		      "large=0xc0000,0x100000,0xc0000\n"
		      "0x10000\n"
		      "0x10003\n"
		      "yes\n"
		      "32773\n"
		      "no\n"
		      "32768\n");
	/* a table drops the previous one and zeroes every handle slot */
	expect_output(TABLE "handle 0 0x100\n" TABLE "alloc 0 1 " NO_MASK " 0 0\n", "0x1\n");
	/* a reversed range is empty: both ends at the offset */
	expect_output("table 0x10000 0x70000 12 0x30000 0x20000 16\nreserved\n",
		      "reserved 0x10000 0x10000\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tce_input_unknown_op),
		cmocka_unit_test(test_tce_input_wrong_field_count),
		cmocka_unit_test(test_tce_input_malformed_numbers),
		cmocka_unit_test(test_tce_input_out_of_range_numbers),
		cmocka_unit_test(test_tce_input_op_before_table),
		cmocka_unit_test(test_tce_input_table_limits),
		cmocka_unit_test(test_tce_input_alloc_limits),
		cmocka_unit_test(test_tce_input_free_and_handle_limits),
		cmocka_unit_test(test_tce_input_error_after_good_lines_prints_nothing),
		cmocka_unit_test(test_tce_input_odd_bytes_escaped),
		cmocka_unit_test(test_tce_input_comments_blanks_and_separators),
		cmocka_unit_test(test_tce_input_print_formats),
	};

	return cmocka_run_group_tests_name("tce_replay_input", tests, NULL, NULL);
}
