/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the rcache depot (lib/iova/rcache.c) through the public API, on a manual
 * clock: the Linux 6.7+ list depot and its 100 ms trim work (one magazine per period while the
 * depot holds more than one per online CPU, one pending item per size class, nothing without a
 * clock), and the Linux 6.6 array depot (32 magazines per class, overflow spilled to the tree,
 * no work). Also: depots are LIFO, a flush empties them, and destroying a domain with full
 * depots and armed work frees everything. Expected values are derived from Linux
 * drivers/iommu/iova.c, both depot forms (docs/iova.md, docs/sources.md S15).
 *
 * Filling a depot: with one CPU freeing pfns f1, f2, ... of one class, f1..f127 fill the first
 * magazine, f128 swaps it into prev, f129..f254 fill the new loaded one, and from then on every
 * free that finds both full (f255, f382, f509, ...) pushes loaded to the depot. So D depot
 * magazines take 127 * (D + 1) + 1 frees; the j-th pushed (j = 0..D-1) holds f(128 + 127j) ..
 * f(254 + 127j), prev keeps f1..f127 and loaded holds one pfn.
 */
#include "iova_depot_fixture.h"

/*
 * N = 2 online, D = 5 (763 frees). Each tick pops the top magazine, j = 4: f636..f762 =
 * indices 635..761, returns its 127 pfns and re-arms; 5 -> 4 -> 3 -> 2, then a tick that finds
 * 2 <= 2 pops nothing and does not re-arm.
 */
static void test_depot_list_trim_one_magazine_per_tick(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t *pfns;
	uint64_t nodes;
	const unsigned int n = FREES_FOR_DEPOT(5);

	fx_init(fx, IOMMUSIM_IOVA_DEPOT_LIST, 4, 2, true);
	pfns = alloc_and_free(fx, n);
	assert_int_equal(depot(fx, 0), 5);
	assert_true(pending(fx, 0));
	assert_int_equal(iommusim_clock_pending(fx->clock), 1);
	nodes = stats(fx).nodes;
	assert_int_equal(nodes, n);

	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 1);
	assert_int_equal(depot(fx, 0), 4);
	assert_int_equal(stats(fx).nodes, nodes - MAG);
	assert_int_equal(stats(fx).depot_trims, 1);
	assert_all_in_tree(fx, pfns, 635, 762, false);
	assert_all_in_tree(fx, pfns, 508, 635, true);
	assert_true(in_tree(fx, pfns[762]));
	assert_true(pending(fx, 0));
	assert_int_equal(iommusim_clock_pending(fx->clock), 1);
	/* armed at time 0 with IOVA_DEPOT_DELAY: the tick ran it at 100 ms */
	assert_int_equal(iommusim_clock_now_ns(fx->clock), IOMMUSIM_IOVA_DEPOT_DELAY_NS);
	iova_check_tree(fx->dom);

	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 1);
	assert_int_equal(depot(fx, 0), 3);
	assert_int_equal(stats(fx).nodes, nodes - 2 * MAG);
	assert_all_in_tree(fx, pfns, 508, 635, false);
	/* re-armed from the callback for another full period */
	assert_int_equal(iommusim_clock_now_ns(fx->clock), 2 * IOMMUSIM_IOVA_DEPOT_DELAY_NS);

	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 1);
	assert_int_equal(depot(fx, 0), 2);
	assert_int_equal(stats(fx).nodes, nodes - 3 * MAG);
	assert_true(pending(fx, 0));

	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 1);
	assert_int_equal(depot(fx, 0), 2);
	assert_int_equal(stats(fx).nodes, nodes - 3 * MAG);
	assert_int_equal(stats(fx).depot_trims, 3);
	assert_false(pending(fx, 0));
	assert_int_equal(iommusim_clock_pending(fx->clock), 0);
	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 0);

	/* the trims touched neither the CPU's magazines nor the bottom two depot magazines */
	assert_all_in_tree(fx, pfns, 0, 381, true);
	free(pfns);
}

/*
 * drain ticks until nothing is pending: N = 1, D = 6 gives five trimming runs (6 -> 1) and a
 * sixth that finds 1 <= 1 and stops, so 6 callbacks and 5 * 127 pfns back in the tree.
 */
static void test_depot_list_drain_runs_to_threshold(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t *pfns;
	const unsigned int n = FREES_FOR_DEPOT(6);

	fx_init(fx, IOMMUSIM_IOVA_DEPOT_LIST, 2, 1, true);
	pfns = alloc_and_free(fx, n);
	assert_int_equal(depot(fx, 0), 6);

	assert_int_equal(iommusim_manual_clock_drain(fx->clock, 0), 6);
	assert_int_equal(depot(fx, 0), 1);
	assert_false(pending(fx, 0));
	assert_int_equal(stats(fx).depot_trims, 5);
	assert_int_equal(stats(fx).nodes, n - 5 * MAG);
	/* the oldest depot magazine (j = 0: indices 127..253) is the one left */
	assert_all_in_tree(fx, pfns, 0, 254, true);
	assert_all_in_tree(fx, pfns, 254, n - 1, false);
	assert_true(in_tree(fx, pfns[n - 1]));
	iova_check_tree(fx->dom);
	free(pfns);
}

/*
 * The threshold is num_online_cpus() when the work runs.
 * Lowering: N = 4, D = 6 trims to 4 (two runs, the third stops). With N = 1 nothing happens
 * until a push re-arms the work (127 more frees: loaded 1 -> 127, then the push, D = 5); the
 * drain then trims 5 -> 1 (four runs plus the stopping one).
 * Raising: N = 1, D = 4 armed, then N = 3 before the tick: 4 -> 3, then stop.
 */
static void test_depot_list_online_cpus_threshold(void **state)
{
	struct iova_fx fx;
	uint64_t *pfns;
	const unsigned int n = FREES_FOR_DEPOT(6);

	(void)state;
	fx_init(&fx, IOMMUSIM_IOVA_DEPOT_LIST, 4, 4, true);
	pfns = alloc_many(&fx, 1, n + MAG);
	free_range(&fx, 0, pfns, 1, 0, n);
	assert_int_equal(iommusim_manual_clock_drain(fx.clock, 0), 3);
	assert_int_equal(depot(&fx, 0), 4);
	assert_false(pending(&fx, 0));

	assert_int_equal(iommusim_iova_set_online_cpus(fx.dom, 1), 0);
	assert_int_equal(iommusim_iova_online_cpus(fx.dom), 1);
	assert_int_equal(iommusim_manual_clock_tick(fx.clock), 0);
	assert_int_equal(depot(&fx, 0), 4);
	free_range(&fx, 0, pfns, 1, n, n + MAG - 1);
	assert_int_equal(depot(&fx, 0), 4);
	assert_false(pending(&fx, 0));
	free_range(&fx, 0, pfns, 1, n + MAG - 1, n + MAG);
	assert_int_equal(depot(&fx, 0), 5);
	assert_true(pending(&fx, 0));
	assert_int_equal(iommusim_manual_clock_drain(fx.clock, 0), 5);
	assert_int_equal(depot(&fx, 0), 1);
	assert_int_equal(stats(&fx).depot_trims, 2 + 4);
	assert_int_equal(stats(&fx).nodes, n + MAG - 6 * MAG);
	free(pfns);
	fx_fini(&fx);

	fx_init(&fx, IOMMUSIM_IOVA_DEPOT_LIST, 4, 1, true);
	pfns = alloc_and_free(&fx, FREES_FOR_DEPOT(4));
	assert_int_equal(depot(&fx, 0), 4);
	assert_int_equal(iommusim_iova_set_online_cpus(fx.dom, 3), 0);
	assert_int_equal(iommusim_manual_clock_tick(fx.clock), 1);
	assert_int_equal(depot(&fx, 0), 3);
	assert_int_equal(iommusim_manual_clock_tick(fx.clock), 1);
	assert_int_equal(depot(&fx, 0), 3);
	assert_int_equal(iommusim_clock_pending(fx.clock), 0);
	assert_int_equal(stats(&fx).depot_trims, 1);
	free(pfns);
	fx_fini(&fx);
}

/*
 * Each size class has one work item; a push while it is pending does not queue another.
 * Class 0 gets D = 3 (pushes at f255, f382, f509), class 3 (8-page ranges) D = 1: two pending
 * items whatever the number of pushes. N = 1: the first tick runs both, class 0 trims 3 -> 2
 * and re-arms, class 3 finds 1 <= 1 and stops; the next tick trims class 0 to 1.
 */
static void test_depot_list_one_pending_item_per_class(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t *ones, *eights;

	ones = alloc_many(fx, 1, FREES_FOR_DEPOT(3));
	eights = alloc_many(fx, 8, FREES_FOR_DEPOT(1));

	free_range(fx, 0, ones, 1, 0, FREES_FOR_DEPOT(1));
	assert_int_equal(depot(fx, 0), 1);
	assert_int_equal(iommusim_clock_pending(fx->clock), 1);
	free_range(fx, 0, ones, 1, FREES_FOR_DEPOT(1), FREES_FOR_DEPOT(3));
	assert_int_equal(depot(fx, 0), 3);
	assert_int_equal(iommusim_clock_pending(fx->clock), 1);

	free_range(fx, 0, eights, 8, 0, FREES_FOR_DEPOT(1));
	assert_int_equal(depot(fx, 3), 1);
	assert_true(pending(fx, 0));
	assert_true(pending(fx, 3));
	assert_false(pending(fx, 1));
	assert_int_equal(iommusim_clock_pending(fx->clock), 2);

	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 2);
	assert_int_equal(depot(fx, 0), 2);
	assert_int_equal(depot(fx, 3), 1);
	assert_true(pending(fx, 0));
	assert_false(pending(fx, 3));
	assert_int_equal(iommusim_clock_pending(fx->clock), 1);

	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 1);
	assert_int_equal(depot(fx, 0), 1);
	assert_int_equal(iommusim_manual_clock_drain(fx->clock, 0), 1);
	assert_int_equal(iommusim_clock_pending(fx->clock), 0);
	assert_int_equal(stats(fx).depot_trims, 2);
	free(ones);
	free(eights);
}

/*
 * A flush returns every depot magazine (and the online CPU's magazines) to the tree but does
 * not cancel the work: it stays pending, runs once on the next tick, finds an empty depot and
 * neither trims nor re-arms.
 */
static void test_depot_list_flush_leaves_inert_work(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t *pfns;
	const unsigned int n = FREES_FOR_DEPOT(3);
	unsigned int l = 9, p = 9;

	pfns = alloc_and_free(fx, n);
	assert_int_equal(depot(fx, 0), 3);
	assert_true(pending(fx, 0));

	iommusim_iova_flush_rcaches(fx->dom, fx->cpu[0]);
	assert_int_equal(depot(fx, 0), 0);
	assert_int_equal(iommusim_iova_rcache_fill(fx->dom, 0, 0, &l, &p), 0);
	assert_int_equal(l + p, 0);
	assert_int_equal(stats(fx).nodes, 0);
	assert_true(pending(fx, 0));
	assert_int_equal(iommusim_clock_pending(fx->clock), 1);

	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 1);
	assert_false(pending(fx, 0));
	assert_int_equal(iommusim_clock_pending(fx->clock), 0);
	assert_int_equal(stats(fx).depot_trims, 0);
	assert_int_equal(stats(fx).nodes, 0);
	free(pfns);
}

/* Without a clock (cfg.clock NULL) the list depot is never trimmed, however large it gets. */
static void test_depot_list_without_clock_never_trims(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t *pfns;
	const unsigned int n = FREES_FOR_DEPOT(5);

	fx_init(fx, IOMMUSIM_IOVA_DEPOT_LIST, 1, 1, false);
	pfns = alloc_and_free(fx, n);
	assert_int_equal(depot(fx, 0), 5);
	for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++)
		assert_false(pending(fx, k));
	assert_int_equal(stats(fx).depot_trims, 0);
	assert_int_equal(stats(fx).nodes, n);

	iommusim_iova_flush_rcaches(fx->dom, fx->cpu[0]);
	assert_int_equal(depot(fx, 0), 0);
	assert_int_equal(stats(fx).nodes, 0);
	free(pfns);
}

/*
 * Array depot: D = 32 takes 4192 frees and nothing spills. The next magazine to fill (loaded:
 * f4192..f4318 = indices 4191..4317) finds the array full at f4319 and all 127 of its pfns go
 * back to the tree; the depot stays at 32. A clock is given, yet no work is ever armed.
 */
static void test_depot_array_caps_at_32_and_spills(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t *pfns, mags;
	const unsigned int n = FREES_FOR_DEPOT(IOMMUSIM_IOVA_DEPOT_ARRAY_MAGS);
	unsigned int l = 0, p = 0;

	assert_int_equal(n, 4192);
	fx_init(fx, IOMMUSIM_IOVA_DEPOT_ARRAY, 1, 1, true);
	pfns = alloc_many(fx, 1, n + MAG);
	free_range(fx, 0, pfns, 1, 0, n);
	assert_int_equal(depot(fx, 0), 32);
	assert_int_equal(stats(fx).depot_spills, 0);
	assert_int_equal(stats(fx).nodes, n + MAG);
	assert_false(pending(fx, 0));
	assert_int_equal(iommusim_clock_pending(fx->clock), 0);

	free_range(fx, 0, pfns, 1, n, n + MAG - 1);
	assert_int_equal(stats(fx).depot_spills, 0);
	mags = stats(fx).magazines;
	free_range(fx, 0, pfns, 1, n + MAG - 1, n + MAG);
	assert_int_equal(depot(fx, 0), 32);
	assert_int_equal(stats(fx).depot_spills, 1);
	assert_int_equal(stats(fx).nodes, n);
	assert_all_in_tree(fx, pfns, n - 1, n + MAG - 1, false);
	assert_all_in_tree(fx, pfns, 0, n - 1, true);
	assert_true(in_tree(fx, pfns[n + MAG - 1]));
	/* a fresh loaded magazine replaced the spilled one, which was freed */
	assert_int_equal(stats(fx).magazines, mags);
	assert_int_equal(iommusim_iova_rcache_fill(fx->dom, 0, 0, &l, &p), 0);
	assert_int_equal(l, 1);
	assert_int_equal(p, MAG);
	assert_false(pending(fx, 0));
	assert_int_equal(iommusim_clock_pending(fx->clock), 0);
	assert_int_equal(iommusim_manual_clock_drain(fx->clock, 0), 0);
	assert_int_equal(stats(fx).depot_trims, 0);
	iova_check_tree(fx->dom);

	iommusim_iova_flush_rcaches(fx->dom, fx->cpu[0]);
	assert_int_equal(depot(fx, 0), 0);
	assert_int_equal(stats(fx).nodes, 0);
	free(pfns);
}

/*
 * Both depots hand the most recently stored magazine to an empty CPU. With D = 2 the top is
 * j = 1 (pushed at f382): f255..f381 = indices 254..380, whose last pfn (index 380) CPU 1 pops
 * first, then index 379; one magazine (j = 0) remains.
 */
static void test_depot_pop_is_lifo(void **state)
{
	static const enum iommusim_iova_depot forms[] = {
		IOMMUSIM_IOVA_DEPOT_LIST,
		IOMMUSIM_IOVA_DEPOT_ARRAY,
	};
	const unsigned int n = FREES_FOR_DEPOT(2);

	(void)state;
	for (unsigned int f = 0; f < 2; f++) {
		struct iova_fx fx;
		uint64_t *pfns, pfn = 0;

		fx_init(&fx, forms[f], 2, 2, true);
		pfns = alloc_many(&fx, 1, n);
		free_range(&fx, 0, pfns, 1, 0, n);
		assert_int_equal(depot(&fx, 0), 2);
		assert_int_equal(iommusim_iova_alloc_fast(fx.dom, fx.cpu[1], 1, LIM32, false, &pfn),
				 0);
		assert_int_equal(pfn, pfns[380]);
		assert_int_equal(depot(&fx, 0), 1);
		assert_int_equal(iommusim_iova_alloc_fast(fx.dom, fx.cpu[1], 1, LIM32, false, &pfn),
				 0);
		assert_int_equal(pfn, pfns[379]);
		/* flushing returns j = 0 (indices 127..253) and both CPUs' magazines (2 online) */
		iommusim_iova_flush_rcaches(fx.dom, fx.cpu[0]);
		assert_int_equal(depot(&fx, 0), 0);
		assert_true(in_tree(&fx, pfns[380]));
		assert_true(in_tree(&fx, pfns[379]));
		assert_false(in_tree(&fx, pfns[127]));
		assert_int_equal(stats(&fx).nodes, 2);
		iommusim_manual_clock_drain(fx.clock, 0);
		free(pfns);
		fx_fini(&fx);
	}
}

/*
 * put_iova_domain with full depots in two classes, two armed work items and loaded CPU
 * magazines: the timers are gone with the domain and every node and magazine is freed.
 */
static void test_depot_destroy_with_full_depots_leaks_nothing(void **state)
{
	struct iova_fx fx;
	uint64_t *ones, *fours;

	(void)state;
	fx_init(&fx, IOMMUSIM_IOVA_DEPOT_LIST, 2, 1, true);
	ones = alloc_many(&fx, 1, FREES_FOR_DEPOT(3));
	fours = alloc_many(&fx, 4, FREES_FOR_DEPOT(2) + 5);
	free_range(&fx, 0, ones, 1, 0, FREES_FOR_DEPOT(3));
	free_range(&fx, 1, fours, 4, 0, FREES_FOR_DEPOT(2));
	assert_int_equal(depot(&fx, 0), 3);
	assert_int_equal(depot(&fx, 2), 2);
	assert_int_equal(iommusim_clock_pending(fx.clock), 2);
	iova_check_tree(fx.dom);

	iommusim_iova_domain_destroy(fx.dom);
	fx.dom = NULL;
	assert_int_equal(iommusim_clock_pending(fx.clock), 0);
	assert_int_equal(iommusim_manual_clock_drain(fx.clock, 0), 0);
	free(ones);
	free(fours);
	fx_fini(&fx);

	/* the array depot, full and after a spill */
	fx_init(&fx, IOMMUSIM_IOVA_DEPOT_ARRAY, 1, 1, true);
	ones = alloc_many(&fx, 1, FREES_FOR_DEPOT(32) + MAG);
	free_range(&fx, 0, ones, 1, 0, FREES_FOR_DEPOT(32) + MAG);
	assert_int_equal(depot(&fx, 0), 32);
	assert_int_equal(stats(&fx).depot_spills, 1);
	iommusim_iova_domain_destroy(fx.dom);
	fx.dom = NULL;
	free(ones);
	fx_fini(&fx);
}

/* The depot read-out rejects an order outside 0..5. */
static void test_depot_state_rejects_bad_order(void **state)
{
	struct iova_fx *fx = *state;
	struct iommusim_iova_rcache_state st;

	assert_int_equal(iommusim_iova_rcache_state(fx->dom, IOMMUSIM_IOVA_CACHE_ORDERS, &st),
			 -EINVAL);
	for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++) {
		assert_int_equal(depot(fx, k), 0);
		assert_false(pending(fx, k));
	}
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_depot_list_trim_one_magazine_per_tick, depot_alloc,
					   depot_teardown),
	   cmocka_unit_test_setup_teardown(test_depot_list_drain_runs_to_threshold, depot_alloc,
					   depot_teardown),
	   cmocka_unit_test(test_depot_list_online_cpus_threshold),
	   cmocka_unit_test_setup_teardown(test_depot_list_one_pending_item_per_class, depot_setup,
					   depot_teardown),
	   cmocka_unit_test_setup_teardown(test_depot_list_flush_leaves_inert_work, depot_setup,
					   depot_teardown),
	   cmocka_unit_test_setup_teardown(test_depot_list_without_clock_never_trims, depot_alloc,
					   depot_teardown),
	   cmocka_unit_test_setup_teardown(test_depot_array_caps_at_32_and_spills, depot_alloc,
					   depot_teardown),
	   cmocka_unit_test(test_depot_pop_is_lifo),
	   cmocka_unit_test(test_depot_destroy_with_full_depots_leaks_nothing),
	   cmocka_unit_test_setup_teardown(test_depot_state_rejects_bad_order, depot_setup,
					   depot_teardown))
