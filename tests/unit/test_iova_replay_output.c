/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the forms the IOVA op replay (iommusim_iova_replay) accepts and of what it
 * prints: blank lines and comments, hex and decimal, the anchor, unknown PFNs for ffree, and the
 * print formats of rcache, cached, pending, tick, drain and cpudead, with both depot forms.
 * Expected outputs are worked out in the comments from Linux drivers/iommu/iova.c
 * (docs/iova.md, docs/sources.md S15).
 */
#include "iova_replay_fixture.h"

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

/*
 * The depot script of depot_script() run with the depot *@state points to, its output as
 * depot_expected() says: the list depot trims on the tick, the array depot shows no work. Two
 * tests, one per depot (DEPOT_TEST).
 */
static void test_iova_replay_depot_script(void **state)
{
	enum iommusim_iova_depot depot = *(const enum iommusim_iova_depot *)*state;
	struct sbuf in, exp;

	depot_script(&in);
	depot_expected(&exp, depot == IOMMUSIM_IOVA_DEPOT_LIST);
	expect_output(in.s, depot, exp.s);
	free(in.s);
	free(exp.s);
}

static const enum iommusim_iova_depot depot_list = IOMMUSIM_IOVA_DEPOT_LIST;
static const enum iommusim_iova_depot depot_array = IOMMUSIM_IOVA_DEPOT_ARRAY;

/* A test of test_iova_replay_depot_script() named @name, with *@depot. */
#define DEPOT_TEST(name, depot)                                                                    \
	{                                                                                          \
#name, test_iova_replay_depot_script, NULL, NULL, (void *)&(depot)                 \
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

SUITE_MAIN(cmocka_unit_test(test_iova_replay_blank_and_comment_lines_print_nothing),
	   cmocka_unit_test(test_iova_replay_hex_and_decimal_accepted),
	   cmocka_unit_test(test_iova_replay_free_of_anchor_is_missing),
	   cmocka_unit_test(test_iova_replay_ffree_of_unknown_pfn_is_ok),
	   cmocka_unit_test(test_iova_replay_rcache_cached_cpudead_formats),
	   cmocka_unit_test(test_iova_replay_rcache_default_lists_64_cpus),
	   DEPOT_TEST(test_iova_replay_depot_list_trims_on_tick, depot_list),
	   DEPOT_TEST(test_iova_replay_depot_array_shows_no_work, depot_array),
	   cmocka_unit_test(test_iova_replay_drain_trims_to_one_magazine_per_cpu),
	   cmocka_unit_test(test_iova_replay_null_opts_means_list_depot))
