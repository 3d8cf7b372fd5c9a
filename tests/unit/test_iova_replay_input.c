/*
 * Unit tests for the input side of the IOVA op replay (iommusim_iova_replay, the format of
 * tests/data/golden/iova/README.md), run on in-memory scripts: every kind of input error is
 * rejected with -EINVAL, no output at all, and one "NAME:LINE: FIELD: problem" line naming
 * the right line and field; and the accepted forms (blank lines, comments, hex and decimal,
 * the anchor, unknown PFNs for ffree) and the print formats of rcache, cached, pending, tick,
 * drain and cpudead, with both depot forms. Expected outputs are worked out in the comments
 * from Linux drivers/iommu/iova.c (docs/iova.md, docs/sources.md S15).
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

#include <iommusim/iova_replay.h>

#define NAME "in.ops"

struct result {
	int rc;
	char *out;
	size_t outlen;
	char err[512];
};

/* Replay @len bytes of @bytes (which may hold NULs) with the @depot. */
static void replay_len(const char *bytes, size_t len, enum iommusim_iova_depot depot,
		       struct result *res)
{
	struct iommusim_iova_replay_opts opts = { .depot = depot };
	char *text = malloc(len + 1);
	FILE *in, *out;

	assert_non_null(text);
	memcpy(text, bytes, len);
	memset(res, 0, sizeof(*res));
	in = fmemopen(text, len, "r");
	assert_non_null(in);
	out = open_memstream(&res->out, &res->outlen);
	assert_non_null(out);
	/* Pre-fill, so a missing message cannot pass as an old one. */
	strcpy(res->err, "untouched");
	res->rc = iommusim_iova_replay(in, NAME, &opts, out, res->err, sizeof(res->err));
	assert_int_equal(fclose(out), 0);
	fclose(in);
	free(text);
}

static void replay_depot(const char *script, enum iommusim_iova_depot depot, struct result *res)
{
	replay_len(script, strlen(script), depot, res);
}

static void replay(const char *script, struct result *res)
{
	replay_depot(script, IOMMUSIM_IOVA_DEPOT_LIST, res);
}

static void replay_bytes(const char *bytes, size_t len, struct result *res)
{
	replay_len(bytes, len, IOMMUSIM_IOVA_DEPOT_LIST, res);
}

static void result_free(struct result *res)
{
	free(res->out);
	res->out = NULL;
}

/* The whole script must produce exactly @expected. */
static void expect_output(const char *script, enum iommusim_iova_depot depot,
			  const char *expected)
{
	struct result res;

	replay_depot(script, depot, &res);
	if (res.rc)
		fail_msg("replay failed (%d): %s", res.rc, res.err);
	assert_int_equal(res.outlen, strlen(expected));
	assert_string_equal(res.out, expected);
	result_free(&res);
}

/*
 * The script must be rejected: -EINVAL, not one byte of output, and one line
 * "in.ops:LINE: FIELD: problem" where FIELD is one of the '|'-separated @fields and the
 * problem is not empty and, if @word is given, quotes it.
 */
static void expect_error(const char *script, unsigned int line, const char *fields,
			 const char *word)
{
	struct result res;
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
		"alloc 1 255 0", "free 5", "reserve 1 2", "fast 1 255 1", "ffree 5 1", "drain",
		"tick", "dump", "find 5", "cpudead 0", "rcache", "cached", "pending",
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
	struct iommusim_iova_replay_opts opts = { .depot = IOMMUSIM_IOVA_DEPOT_LIST };
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

/* ---------------------------------------------------------------------------------------- */
/* Accepted input and print formats. */

static void test_iova_replay_blank_and_comment_lines_print_nothing(void **state)
{
	(void)state;
	expect_output("\n# comment\n\ninit 4096 1\n   \n\t\n# another # one\n",
		      IOMMUSIM_IOVA_DEPOT_LIST, "ok\n");
	expect_output("# only a comment\n", IOMMUSIM_IOVA_DEPOT_LIST, "");
}

static void test_iova_replay_hex_and_decimal_accepted(void **state)
{
	(void)state;
	/*
	 * Spec 1.4 example: size 4 under 0xfffff from an empty domain -> (0x100000 - 4) & ~3 =
	 * 0xffffc = 1048572; the next size-1 request starts at that cached32 node -> 0xffffb.
	 * Decimal and hex spellings of the same values give the same answers.
	 */
	expect_output("init 0x1000 0x1\nalloc 0x4 0xfffff 1\nalloc 1 1048575 0\n"
		      "find 0xFFFFD\nfind 1048571\n",
		      IOMMUSIM_IOVA_DEPOT_LIST,
		      "ok\n1048572\n1048571\n1048572 1048575\n1048571 1048571\n");
	expect_output("init 4096 1\nalloc 4 1048575 1\nalloc 0x1 0xFFFFF 0x0\n",
		      IOMMUSIM_IOVA_DEPOT_LIST, "ok\n1048572\n1048571\n");
}

static void test_iova_replay_free_of_anchor_is_missing(void **state)
{
	(void)state;
	/* The anchor [2^64-1, 2^64-1] closes the tree but is no range: find/free miss it. */
	expect_output("init 4096 1\nfree 18446744073709551615\nfind 18446744073709551615\n"
		      "free 0xffffffffffffffff\nfree 5\ndump\n",
		      IOMMUSIM_IOVA_DEPOT_LIST, "ok\nmissing\nmissing\nmissing\nmissing\nend\n");
}

static void test_iova_replay_ffree_of_unknown_pfn_is_ok(void **state)
{
	(void)state;
	/*
	 * ffree 12345 1 parks 12345 in CPU 0's order-0 magazine without looking at the tree;
	 * ffree 777 100 is order 7, past the cache, so it is free_iova of nothing. The tree stays
	 * empty; only the order-0 loaded magazine holds one PFN.
	 */
	expect_output("ncpus 1\ninit 4096 1\nffree 12345 1\nffree 777 100\ndump\nrcache\n",
		      IOMMUSIM_IOVA_DEPOT_LIST,
		      "ok\nok\nok\nok\nend\n"
		      "order 0 depot 0 work 0 loaded 1 prev 0\n"
		      "order 1 depot 0 work 0 loaded 0 prev 0\n"
		      "order 2 depot 0 work 0 loaded 0 prev 0\n"
		      "order 3 depot 0 work 0 loaded 0 prev 0\n"
		      "order 4 depot 0 work 0 loaded 0 prev 0\n"
		      "order 5 depot 0 work 0 loaded 0 prev 0\n"
		      "end\n");
}

static void test_iova_replay_rcache_cached_cpudead_formats(void **state)
{
	(void)state;
	/*
	 * Two CPUs online, ops on CPU 1. fast 1: empty caches, tree: top of the 32-bit space,
	 * 1048575. fast 3: rounded to 4, aligned, from cached32 [1048575]: (1048575 - 4) & ~3 =
	 * 1048568. ffree puts each in CPU 1's loaded magazine of order 0 and order 2 (order of 3
	 * is 2); both stay in the tree. Nothing above 4 GiB: cached is the anchor; cached32 is
	 * the last node placed below 4 GiB; max32 is still dma_32bit_pfn = 2^20.
	 * cpudead 1 returns both to the tree: freeing [1048575] (at or above cached32) moves
	 * cached32 to its successor, the anchor; then [1048568] lies below the anchor's pfn_lo,
	 * so cached32 stays the anchor. Magazines stay allocated, empty.
	 */
	expect_output("ncpus 2\ninit 4096 1\ncpu 1\nfast 1 1048575 1\nfast 3 1048575 1\n"
		      "ffree 1048575 1\nffree 1048568 3\nrcache\ndump\ncached\npending\n"
		      "cpudead 1\nrcache\ndump\ncached\n",
		      IOMMUSIM_IOVA_DEPOT_LIST,
		      "ok\nok\nok\n1048575\n1048568\nok\nok\n"
		      "order 0 depot 0 work 0 loaded 0,1 prev 0,0\n"
		      "order 1 depot 0 work 0 loaded 0,0 prev 0,0\n"
		      "order 2 depot 0 work 0 loaded 0,1 prev 0,0\n"
		      "order 3 depot 0 work 0 loaded 0,0 prev 0,0\n"
		      "order 4 depot 0 work 0 loaded 0,0 prev 0,0\n"
		      "order 5 depot 0 work 0 loaded 0,0 prev 0,0\n"
		      "end\n"
		      "1048568 1048571\n1048575 1048575\nend\n"
		      "cached 18446744073709551615 cached32 1048568 max32 1048576\n"
		      "0\n"
		      "ok\n"
		      "order 0 depot 0 work 0 loaded 0,0 prev 0,0\n"
		      "order 1 depot 0 work 0 loaded 0,0 prev 0,0\n"
		      "order 2 depot 0 work 0 loaded 0,0 prev 0,0\n"
		      "order 3 depot 0 work 0 loaded 0,0 prev 0,0\n"
		      "order 4 depot 0 work 0 loaded 0,0 prev 0,0\n"
		      "order 5 depot 0 work 0 loaded 0,0 prev 0,0\n"
		      "end\n"
		      "end\n"
		      "cached 18446744073709551615 cached32 18446744073709551615 max32 1048576\n");
}

/* A growing string, for expected outputs too long to spell out. */
struct sbuf {
	char *s;
	size_t len;
	FILE *f;
};

static void sb_open(struct sbuf *b)
{
	b->s = NULL;
	b->len = 0;
	b->f = open_memstream(&b->s, &b->len);
	assert_non_null(b->f);
}

static void sb_close(struct sbuf *b)
{
	assert_int_equal(fclose(b->f), 0);
	b->f = NULL;
}

/* The six lines of `rcache` when only order 0 of a single online CPU holds anything. */
static void sb_rcache_1cpu(struct sbuf *b, unsigned int depot, unsigned int work,
			   unsigned int loaded, unsigned int prev)
{
	fprintf(b->f, "order 0 depot %u work %u loaded %u prev %u\n", depot, work, loaded, prev);
	for (int k = 1; k < 6; k++)
		fprintf(b->f, "order %d depot 0 work 0 loaded 0 prev 0\n", k);
	fprintf(b->f, "end\n");
}

static void test_iova_replay_rcache_default_lists_64_cpus(void **state)
{
	struct sbuf exp;

	(void)state;
	/* Without ncpus, 64 CPUs are online: 64 fills each for loaded and prev. */
	sb_open(&exp);
	fprintf(exp.f, "ok\n");
	for (int k = 0; k < 6; k++) {
		fprintf(exp.f, "order %d depot 0 work 0 loaded 0", k);
		for (int c = 1; c < 64; c++)
			fprintf(exp.f, ",0");
		fprintf(exp.f, " prev 0");
		for (int c = 1; c < 64; c++)
			fprintf(exp.f, ",0");
		fprintf(exp.f, "\n");
	}
	fprintf(exp.f, "end\n0\n");
	sb_close(&exp);
	expect_output("init 4096 1\nrcache\npending\n", IOMMUSIM_IOVA_DEPOT_LIST, exp.s);
	free(exp.s);
}

/*
 * One CPU; 382 size-1 fast allocations come from the tree top-down, 1048575 - i, and are then
 * freed with ffree in the same order. Magazine arithmetic (127 per magazine):
 *   ffree 0..126    fill loaded A (1048575..1048449)
 *   ffree 127       loaded full, prev empty: swap, A becomes prev, a new loaded B starts
 *   ffree 127..253  fill B (1048448..1048322)
 *   ffree 254       both full: B goes to the depot (1), the trim work is armed, new loaded C
 *   ffree 254..380  fill C (1048321..1048195)
 *   ffree 381       both full: C goes to the depot (2, C on top), new loaded D = {1048194}
 * so rcache shows depot 2, loaded 1, prev 127, and one work item is pending (list depot).
 * tick: depot 2 > 1 online CPU, so C (the top) goes back to the tree and the work re-arms;
 * 1048200 (in C) is gone, 1048400 (B, depot) and 1048194 (D) are still allocated.
 * tick: depot 1 is not above 1: nothing, not re-armed. pending 0.
 * The array depot of Linux 6.6 has no trim work: work 0 throughout, and ticks do nothing.
 */
static void depot_script(struct sbuf *in)
{
	sb_open(in);
	fprintf(in->f, "ncpus 1\ninit 4096 1\n");
	for (int i = 0; i < 382; i++)
		fprintf(in->f, "fast 1 1048575 1\n");
	for (int i = 0; i < 382; i++)
		fprintf(in->f, "ffree %d 1\n", 1048575 - i);
	fprintf(in->f, "rcache\npending\ntick\npending\nrcache\n"
		       "find 1048200\nfind 1048400\nfind 1048194\n"
		       "tick\npending\nrcache\ndrain\npending\n");
	sb_close(in);
}

static void depot_expected(struct sbuf *exp, bool list)
{
	sb_open(exp);
	fprintf(exp->f, "ok\nok\n");
	for (int i = 0; i < 382; i++)
		fprintf(exp->f, "%d\n", 1048575 - i);
	for (int i = 0; i < 382; i++)
		fprintf(exp->f, "ok\n");
	sb_rcache_1cpu(exp, 2, list, 1, 127);
	fprintf(exp->f, "%d\nok\n%d\n", list, list);
	sb_rcache_1cpu(exp, list ? 1 : 2, list, 1, 127);
	if (list)
		fprintf(exp->f, "missing\n");
	else
		fprintf(exp->f, "1048200 1048200\n");
	fprintf(exp->f, "1048400 1048400\n1048194 1048194\n");
	fprintf(exp->f, "ok\n0\n");
	sb_rcache_1cpu(exp, list ? 1 : 2, 0, 1, 127);
	fprintf(exp->f, "ok\n0\n");
	sb_close(exp);
}

static void test_iova_replay_depot_list_trims_on_tick(void **state)
{
	struct sbuf in, exp;

	(void)state;
	depot_script(&in);
	depot_expected(&exp, true);
	expect_output(in.s, IOMMUSIM_IOVA_DEPOT_LIST, exp.s);
	free(in.s);
	free(exp.s);
}

static void test_iova_replay_depot_array_shows_no_work(void **state)
{
	struct sbuf in, exp;

	(void)state;
	depot_script(&in);
	depot_expected(&exp, false);
	expect_output(in.s, IOMMUSIM_IOVA_DEPOT_ARRAY, exp.s);
	free(in.s);
	free(exp.s);
}

static void test_iova_replay_drain_trims_to_one_magazine_per_cpu(void **state)
{
	struct sbuf in, exp;

	(void)state;
	/*
	 * 509 ffrees of PFNs never allocated (accepted, as in the kernel) push magazines to the
	 * depot at ffree 254, 381 and 508: depot 3, loaded 1, prev 127. drain runs the trim work
	 * until it stops re-arming: 3 -> 2 -> 1, then 1 is not above 1 online CPU. The trimmed
	 * PFNs have no tree range and are skipped. cpudead 0 then empties CPU 0's two
	 * magazines; the depot keeps its one.
	 */
	sb_open(&in);
	fprintf(in.f, "ncpus 1\ninit 4096 1\n");
	for (int i = 1; i <= 509; i++)
		fprintf(in.f, "ffree %d 1\n", i);
	fprintf(in.f, "rcache\npending\ndrain\npending\nrcache\ncpudead 0\nrcache\ndump\n");
	sb_close(&in);

	sb_open(&exp);
	fprintf(exp.f, "ok\nok\n");
	for (int i = 1; i <= 509; i++)
		fprintf(exp.f, "ok\n");
	sb_rcache_1cpu(&exp, 3, 1, 1, 127);
	fprintf(exp.f, "1\nok\n0\n");
	sb_rcache_1cpu(&exp, 1, 0, 1, 127);
	fprintf(exp.f, "ok\n");
	sb_rcache_1cpu(&exp, 1, 0, 0, 0);
	fprintf(exp.f, "end\n");
	sb_close(&exp);

	expect_output(in.s, IOMMUSIM_IOVA_DEPOT_LIST, exp.s);
	free(in.s);
	free(exp.s);
}

static void test_iova_replay_null_opts_means_list_depot(void **state)
{
	struct sbuf in, exp;
	char *text;
	char *out = NULL;
	size_t outlen = 0;
	char err[256];
	FILE *fin, *fout;

	(void)state;
	depot_script(&in);
	depot_expected(&exp, true);
	text = in.s;
	fin = fmemopen(text, strlen(text), "r");
	fout = open_memstream(&out, &outlen);
	assert_non_null(fin);
	assert_non_null(fout);
	assert_int_equal(iommusim_iova_replay(fin, "<stdin>", NULL, fout, err, sizeof(err)), 0);
	fclose(fin);
	assert_int_equal(fclose(fout), 0);
	assert_string_equal(out, exp.s);
	free(out);
	free(in.s);
	free(exp.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iova_replay_size_zero_rejected),
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
		cmocka_unit_test(test_iova_replay_blank_and_comment_lines_print_nothing),
		cmocka_unit_test(test_iova_replay_hex_and_decimal_accepted),
		cmocka_unit_test(test_iova_replay_free_of_anchor_is_missing),
		cmocka_unit_test(test_iova_replay_ffree_of_unknown_pfn_is_ok),
		cmocka_unit_test(test_iova_replay_rcache_cached_cpudead_formats),
		cmocka_unit_test(test_iova_replay_rcache_default_lists_64_cpus),
		cmocka_unit_test(test_iova_replay_depot_list_trims_on_tick),
		cmocka_unit_test(test_iova_replay_depot_array_shows_no_work),
		cmocka_unit_test(test_iova_replay_drain_trims_to_one_magazine_per_cpu),
		cmocka_unit_test(test_iova_replay_null_opts_means_list_depot),
		cmocka_unit_test(test_iova_replay_too_large_number_out_of_range),
		cmocka_unit_test(test_iova_replay_odd_bytes_shown_escaped),
		cmocka_unit_test(test_iova_replay_cpu_must_be_online),
		cmocka_unit_test(test_iova_replay_long_name_kept),
	};

	return cmocka_run_group_tests_name("iova_replay_input", tests, NULL, NULL);
}
