/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the engine's simulated CPUs: events bound to a busy CPU, charge and advance,
 * and the conversions of nanoseconds and cycles, checked against 128-bit arithmetic.
 */
#include "engine_fixture.h"

/* ---- CPUs ---- */

static void test_engine_cpu_bound_event_waits_until_cpu_is_free(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e;
	struct iommusim_cpu *c0, *c1;
	struct trace tr = {0};
	struct tagged ev_e, ev_a, ev_b, ev_c, ev_d;

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 2, HZ_1GHZ, &e), 0);
	c0 = iommusim_engine_cpu(e, 0);
	c1 = iommusim_engine_cpu(e, 1);
	assert_int_equal(iommusim_engine_cpu_charge(e, c0, 100), 100);
	ev_e = (struct tagged){.tr = &tr, .tag = 'E', .charge_cpu = c0, .charge = 20};
	ev_a = (struct tagged){.tr = &tr, .tag = 'A', .charge_cpu = c0, .charge = 20};
	ev_b = (struct tagged){.tr = &tr, .tag = 'B'};
	ev_c = (struct tagged){.tr = &tr, .tag = 'C'};
	ev_d = (struct tagged){.tr = &tr, .tag = 'D', .charge_cpu = c0, .charge = 20};
	sched(e, 100, c0, &ev_e, NULL);
	sched(e, 10, c0, &ev_a, NULL);
	sched(e, 10, c1, &ev_b, NULL);
	sched(e, 50, NULL, &ev_c, NULL);
	sched(e, 5, c0, &ev_d, NULL);
	assert_int_equal(iommusim_engine_run(e), 5);
	/*
	 * cpu0 is busy until 100: D (due 5), A (due 10) and E (due 100) queue for it and run
	 * oldest first, each 20 cycles after the one before. B (cpu1) and C (unbound) are on time.
	 */
	expect_ran(&tr, 0, 'B', 10);
	expect_ran(&tr, 1, 'C', 50);
	expect_ran(&tr, 2, 'D', 100);
	expect_ran(&tr, 3, 'A', 120);
	expect_ran(&tr, 4, 'E', 140);
	assert_int_equal(iommusim_engine_now(e), 140);
	assert_int_equal(iommusim_engine_cpu_now(e, c0), 160);
	assert_int_equal(iommusim_engine_cpu_charged(e, c0), 160);
	assert_int_equal(iommusim_engine_cpu_now(e, c1), 140);
	assert_int_equal(iommusim_engine_cpu_charged(e, c1), 0);

	/* The edges: busy until the event's time runs it on time; one cycle more delays it. */
	tr.n = 0;
	iommusim_engine_cpu_advance(e, c1, 200);
	ev_b.charge_cpu = NULL;
	sched(e, 200, c1, &ev_b, NULL);
	iommusim_engine_run(e);
	assert_int_equal(tr.at[0], 200);
	iommusim_engine_cpu_advance(e, c1, 301);
	sched(e, 300, c1, &ev_b, NULL);
	iommusim_engine_run(e);
	assert_int_equal(tr.at[1], 301);
	done(e, mem);
}

static void test_engine_cpu_charge_and_advance_arithmetic(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e;
	struct iommusim_cpu *c0, *c1;

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 3, 0, &e), 0);
	assert_int_equal(iommusim_engine_ncpus(e), 3);
	assert_int_equal(iommusim_engine_hz(e), IOMMUSIM_ENGINE_DEFAULT_HZ);
	c0 = iommusim_engine_cpu(e, 0);
	c1 = iommusim_engine_cpu(e, 1);
	assert_int_equal(iommusim_cpu_id(c1), 1);
	assert_int_equal(iommusim_cpu_id(iommusim_engine_cpu(e, 2)), 2);

	assert_int_equal(iommusim_engine_cpu_charge(e, c0, 50), 50);
	assert_int_equal(iommusim_engine_cpu_charge(e, c0, 25), 75);
	assert_int_equal(iommusim_engine_cpu_now(e, c0), 75);
	/* Advancing to an earlier time changes nothing; a later one holds the CPU. */
	assert_int_equal(iommusim_engine_cpu_advance(e, c0, 60), 75);
	assert_int_equal(iommusim_engine_cpu_advance(e, c0, 90), 90);
	assert_int_equal(iommusim_engine_cpu_charged(e, c0), 75);
	/* An idle CPU's work starts at now, not where it last stopped. */
	iommusim_engine_run_until(e, 200);
	assert_int_equal(iommusim_engine_cpu_now(e, c0), 200);
	assert_int_equal(iommusim_engine_cpu_charge(e, c0, 10), 210);
	assert_int_equal(iommusim_engine_cpu_charged(e, c0), 85);
	assert_int_equal(iommusim_engine_cpu_now(e, c1), 200);
	assert_int_equal(iommusim_engine_cpu_advance(e, c1, 150), 200);
	assert_int_equal(iommusim_engine_cpu_charged(e, c1), 0);
	done(e, mem);
}

static void test_engine_converts_ns_and_cycles(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e, *g;

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 1, 0, &e), 0);
	/* 5.2 cycles per ns: rounded up to cycles, down to ns. */
	assert_int_equal(iommusim_engine_ns_to_cycles(e, 1000), 5200);
	assert_int_equal(iommusim_engine_ns_to_cycles(e, 1), 6);
	assert_int_equal(iommusim_engine_ns_to_cycles(e, 0), 0);
	assert_int_equal(iommusim_engine_cycles_to_ns(e, 5200), 1000);
	assert_int_equal(iommusim_engine_cycles_to_ns(e, 5199), 999);
	assert_int_equal(iommusim_engine_cycles_to_ns(e, 5201), 1000);
	/* 10 s does not overflow on the way; 2^64 ns saturates. */
	assert_int_equal(iommusim_engine_ns_to_cycles(e, 10000000000ull), 52000000000ull);
	assert_true(iommusim_engine_ns_to_cycles(e, UINT64_MAX) == UINT64_MAX);
	assert_int_equal(iommusim_engine_create(mem, 1, 3000000000ull, &g), 0);
	assert_int_equal(iommusim_engine_ns_to_cycles(g, 7), 21);
	assert_int_equal(iommusim_engine_cycles_to_ns(g, 20), 6);
	iommusim_engine_destroy(g);
	done(e, mem);
}

/* The conversions as documented, straight in 128-bit arithmetic. */
static uint64_t ref_ns_to_cycles(uint64_t hz, uint64_t ns)
{
	isim_u128 v = ((isim_u128)ns * hz + 999999999u) / 1000000000u;

	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

static uint64_t ref_cycles_to_ns(uint64_t hz, uint64_t cycles)
{
	isim_u128 v = (isim_u128)cycles * 1000000000u / hz;

	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

static void check_conversions(struct iommusim_engine *e, uint64_t hz, uint64_t v)
{
	assert_true(iommusim_engine_ns_to_cycles(e, v) == ref_ns_to_cycles(hz, v));
	assert_true(iommusim_engine_cycles_to_ns(e, v) == ref_cycles_to_ns(hz, v));
}

/*
 * The engine converts through the reduced fraction hz / 1e9 and a multiply in place of the
 * division while the product fits 64 bits, and through 128 bits beyond: both must give the
 * definitions' values everywhere, at the switch-over too, and the clock must publish them.
 */
static void test_engine_conversions_agree_with_128_bit_arithmetic(void **state)
{
	/* Odd, prime, power-of-two and extreme frequencies; 2^64 - 59 is a prime. */
	static const uint64_t hzs[] = {1,
				       7,
				       1000,
				       999999937,
				       HZ_1GHZ,
				       2500000001ull,
				       3000000000ull,
				       5200000000ull,
				       1ull << 40,
				       18446744073709551557ull,
				       UINT64_MAX};
	struct iommusim_mem *mem = new_mem();
	struct iommusim_rng rng;

	(void)state;
	iommusim_rng_seed(&rng, 42, 0);
	for (unsigned int h = 0; h < sizeof(hzs) / sizeof(hzs[0]); h++) {
		uint64_t hz = hzs[h], g = hz, b = 1000000000u, edge[2];
		struct iommusim_engine *e;

		assert_int_equal(iommusim_engine_create(mem, 1, hz, &e), 0);
		while (b) {
			uint64_t t = g % b;

			g = b;
			b = t;
		}
		/* Where each fast path ends: the largest input whose product fits 64 bits. */
		edge[0] = UINT64_MAX / (1000000000u / g);
		edge[1] = (UINT64_MAX - (1000000000u / g - 1)) / (hz / g);
		for (unsigned int k = 0; k < 2; k++)
			for (uint64_t d = 0; d < 4; d++) {
				check_conversions(e, hz, edge[k] - d);
				if (edge[k] + d > edge[k])
					check_conversions(e, hz, edge[k] + d);
			}
		for (uint64_t v = 0; v < 3000; v++)
			check_conversions(e, hz, v);
		for (int i = 0; i < 20000; i++) {
			uint64_t r = iommusim_rng_u64(&rng);

			check_conversions(e, hz, r);
			check_conversions(e, hz, r >> (r & 63));
		}
		check_conversions(e, hz, UINT64_MAX);
		iommusim_engine_destroy(e);
	}

	/* The clock follows the engine's now, in ns rounded down, across many boundaries. */
	for (unsigned int h = 1; h < 8; h++) {
		uint64_t hz = hzs[h], t = 0;
		struct iommusim_engine *e;

		assert_int_equal(iommusim_engine_create(mem, 1, hz, &e), 0);
		for (int i = 0; i < 5000; i++) {
			t += 1 + iommusim_rng_below(&rng, 13);
			iommusim_engine_run_until(e, t);
			assert_true(iommusim_clock_now_ns(iommusim_engine_clock(e)) ==
				    ref_cycles_to_ns(hz, t));
		}
		iommusim_engine_destroy(e);
	}
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

SUITE_MAIN(cmocka_unit_test(test_engine_cpu_bound_event_waits_until_cpu_is_free),
	   cmocka_unit_test(test_engine_cpu_charge_and_advance_arithmetic),
	   cmocka_unit_test(test_engine_converts_ns_and_cycles),
	   cmocka_unit_test(test_engine_conversions_agree_with_128_bit_arithmetic))
