/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the engine's timed servers and timers: FIFO waits, late callers, a backlog event
 * cancelling those behind it, timers firing by expiry then arming order, timers armed
 * without memory, and destroy freeing the pending events and the servers.
 */
#include "engine_fixture.h"

/* A counter and the value it must have, for EXPECT_FIELDS(). */
#define SERVER_STATS(field, value) FIELD(struct iommusim_server_stats, field, value)

/* The head of a backlog, once running, cancels events still waiting behind it. */
struct canceller {
	struct trace *tr;
	struct iommusim_cpu *cpu;
	uint64_t victim[2];
};

static void cancel_waiting(struct iommusim_engine *e, void *arg)
{
	struct canceller *k = arg;

	record(e, &(struct tagged){.tr = k->tr, .tag = 'A'});
	iommusim_engine_cpu_charge(e, k->cpu, 50);
	for (int i = 0; i < 2; i++)
		if (k->victim[i])
			assert_true(iommusim_engine_cancel(e, k->victim[i]));
}

static void test_engine_backlog_event_cancels_those_behind_it(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e;
	struct iommusim_cpu *c0;
	struct trace tr = {0};
	struct canceller k = {.tr = &tr};
	struct tagged b = {.tr = &tr, .tag = 'B'}, c = {.tr = &tr, .tag = 'C'};
	struct tagged d = {.tr = &tr, .tag = 'D'}, f = {.tr = &tr, .tag = 'F'};

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 1, HZ_1GHZ, &e), 0);
	c0 = k.cpu = iommusim_engine_cpu(e, 0);
	/*
	 * cpu0 busy until 100; A, B, C due 10, 20, 30 wait for it. A runs at 100, works until 150
	 * and cancels B: C, the new oldest, runs when cpu0 is free at 150, after the unbound D
	 * at 120.
	 */
	iommusim_engine_cpu_charge(e, c0, 100);
	assert_int_equal(iommusim_engine_schedule(e, 10, c0, cancel_waiting, &k, NULL), 0);
	sched(e, 20, c0, &b, &k.victim[0]);
	sched(e, 30, c0, &c, NULL);
	sched(e, 120, NULL, &d, NULL);
	assert_int_equal(iommusim_engine_run(e), 3);
	assert_int_equal(tr.n, 3);
	expect_ran(&tr, 0, 'A', 100);
	expect_ran(&tr, 1, 'D', 120);
	expect_ran(&tr, 2, 'C', 150);

	/*
	 * Now from 150, busy until 250; A (due 160) cancels both B and C (due 170, 180), which
	 * empties the backlog. F, bound and due 260, finds cpu0 busy until 250 + 50 and starts
	 * a new backlog: it runs at 300.
	 */
	tr.n = 0;
	iommusim_engine_cpu_charge(e, c0, 100);
	assert_int_equal(iommusim_engine_schedule(e, 160, c0, cancel_waiting, &k, NULL), 0);
	sched(e, 170, c0, &b, &k.victim[0]);
	sched(e, 180, c0, &c, &k.victim[1]);
	sched(e, 260, c0, &f, NULL);
	assert_int_equal(iommusim_engine_run_until(e, 240), 0);
	assert_int_equal(iommusim_engine_run(e), 2);
	expect_ran(&tr, 0, 'A', 250);
	expect_ran(&tr, 1, 'F', 300);
	assert_int_equal(iommusim_engine_pending(e), 0);
	done(e, mem);
}

/* ---- timers on the engine clock ---- */

struct timer_log {
	struct iommusim_engine *e;
	unsigned int n;
	uint64_t at[8];
	uint64_t at_ns[8];
	unsigned int cpu[8];
	uint64_t rearm_ns; /* re-arm once with this delay when non-zero */
	int tag;
	int *order;
	unsigned int *norder;
};

static void timer_cb(struct iommusim_timer *t, struct iommusim_cpu *cpu, void *arg)
{
	struct timer_log *l = arg;

	assert_false(iommusim_timer_pending(t));
	l->at[l->n] = iommusim_engine_now(l->e);
	l->at_ns[l->n] = iommusim_clock_now_ns(iommusim_engine_clock(l->e));
	l->cpu[l->n] = cpu ? iommusim_cpu_id(cpu) : 99;
	l->n++;
	if (l->order)
		l->order[(*l->norder)++] = l->tag;
	if (l->rearm_ns) {
		assert_true(iommusim_timer_schedule(t, cpu, l->rearm_ns));
		l->rearm_ns = 0;
	}
}

/* The timer has fired @n times, the last at cycle @at, @at_ns ns, on CPU @cpu. */
static void expect_fired(const struct timer_log *l, unsigned int n, uint64_t at, uint64_t at_ns,
			 unsigned int cpu)
{
	assert_int_equal(l->n, n);
	assert_int_equal(l->at[n - 1], at);
	assert_int_equal(l->at_ns[n - 1], at_ns);
	assert_int_equal(l->cpu[n - 1], cpu);
}

static void test_engine_timer_fires_at_simulated_time_on_arming_cpu(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e;
	struct iommusim_clock *clock;
	struct iommusim_timer *t;
	struct timer_log l = {0};

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 2, 0, &e), 0);
	clock = iommusim_engine_clock(e);
	l.e = e;
	l.rearm_ns = 500;
	assert_int_equal(iommusim_timer_create(clock, timer_cb, &l, &t), 0);
	assert_true(iommusim_timer_schedule(t, iommusim_engine_cpu(e, 1), 1000));
	assert_int_equal(iommusim_clock_pending(clock), 1);
	assert_int_equal(iommusim_engine_pending(e), 1);

	/* 1000 ns at 5.2 GHz is cycle 5200. */
	iommusim_engine_run_until(e, 5199);
	assert_int_equal(l.n, 0);
	assert_int_equal(iommusim_clock_now_ns(clock), 999);
	iommusim_engine_run_until(e, 5200);
	expect_fired(&l, 1, 5200, 1000, 1);
	/* Re-armed from its callback at 1000 ns for 500 ns more: 1500 ns = cycle 7800. */
	assert_true(iommusim_timer_pending(t));
	assert_int_equal(iommusim_engine_run(e), 1);
	expect_fired(&l, 2, 7800, 1500, 1);
	assert_false(iommusim_timer_pending(t));
	assert_int_equal(iommusim_clock_pending(clock), 0);

	/* schedule_delayed_work(): a pending timer keeps its expiry. */
	assert_true(iommusim_timer_schedule(t, iommusim_engine_cpu(e, 0), 1000)); /* 2500 ns */
	iommusim_engine_run_until(e, iommusim_engine_ns_to_cycles(e, 2000));
	assert_false(iommusim_timer_schedule(t, iommusim_engine_cpu(e, 1), 100));
	iommusim_engine_run(e);
	expect_fired(&l, 3, 13000, 2500, 0);

	/* A cancelled timer leaves nothing queued. */
	assert_true(iommusim_timer_schedule(t, iommusim_engine_cpu(e, 0), 10));
	iommusim_timer_cancel(t);
	assert_int_equal(iommusim_engine_pending(e), 0);
	assert_int_equal(iommusim_engine_run(e), 0);
	assert_int_equal(l.n, 3);

	/* Destroying a pending timer takes its event off the queue too. */
	assert_true(iommusim_timer_schedule(t, NULL, 10));
	iommusim_timer_destroy(t);
	assert_int_equal(iommusim_engine_pending(e), 0);
	done(e, mem);
}

static void test_engine_timers_fire_by_expiry_then_arming_order(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e;
	struct iommusim_timer *t[5];
	struct timer_log l[5];
	static const uint64_t delay[5] = {300, 100, 300, 100, 100};
	int order[5];
	unsigned int norder = 0;
	struct iommusim_cpu *c0, *c1;

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 2, HZ_1GHZ, &e), 0);
	c0 = iommusim_engine_cpu(e, 0);
	c1 = iommusim_engine_cpu(e, 1);
	/* cpu1 is busy until 1000 cycles (1000 ns), so its timer waits for it. */
	iommusim_engine_cpu_charge(e, c1, 1000);
	for (int i = 0; i < 5; i++) {
		l[i] = (struct timer_log){.e = e, .tag = i, .order = order, .norder = &norder};
		assert_int_equal(
			iommusim_timer_create(iommusim_engine_clock(e), timer_cb, &l[i], &t[i]), 0);
	}
	assert_true(iommusim_timer_schedule(t[0], c0, delay[0]));
	assert_true(iommusim_timer_schedule(t[1], NULL, delay[1]));
	assert_true(iommusim_timer_schedule(t[2], c0, delay[2]));
	assert_true(iommusim_timer_schedule(t[3], c0, delay[3]));
	assert_true(iommusim_timer_schedule(t[4], c1, delay[4]));
	assert_int_equal(iommusim_engine_run(e), 5);
	assert_int_equal(norder, 5);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 3);
	assert_int_equal(order[2], 0);
	assert_int_equal(order[3], 2);
	assert_int_equal(order[4], 4);
	assert_int_equal(l[1].cpu[0], 99);
	assert_int_equal(l[3].at[0], 100);
	assert_int_equal(l[2].at[0], 300);
	assert_int_equal(l[4].at[0], 1000);
	assert_int_equal(l[4].at_ns[0], 1000);
	assert_int_equal(l[4].cpu[0], 1);
	for (int i = 0; i < 5; i++)
		iommusim_timer_destroy(t[i]);
	done(e, mem);
}

/* ---- servers ---- */

struct request {
	struct iommusim_server *s;
	struct iommusim_cpu *cpu;
	uint64_t service;
	uint64_t start, end, wait;
};

static void use_server(struct iommusim_engine *e, void *arg)
{
	struct request *r = arg;

	r->wait = iommusim_engine_server_use(e, r->s, r->cpu, iommusim_engine_now(e), r->service,
					     &r->start, &r->end);
}

static void test_engine_server_fifo_waits_by_hand(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e;
	struct iommusim_server *s;
	struct iommusim_server_stats st;
	struct request r[3];
	static const uint64_t arrival[3] = {0, 10, 20};
	static const uint64_t start[3] = {0, 15, 30}, wait[3] = {0, 5, 10};
	/* Held until its end, but a CPU's time is never behind now (20). */
	static const uint64_t cpu_now[3] = {20, 30, 45};
	uint64_t st0, en0;

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 3, HZ_1GHZ, &e), 0);
	assert_int_equal(iommusim_engine_server_create(e, "qemu_rpcit", &s), 0);
	assert_string_equal(iommusim_engine_server_name(s), "qemu_rpcit");
	for (int i = 0; i < 3; i++) {
		r[i] = (struct request){.s = s, .cpu = iommusim_engine_cpu(e, i), .service = 15};
		assert_int_equal(
			iommusim_engine_schedule(e, arrival[i], r[i].cpu, use_server, &r[i], NULL),
			0);
	}
	iommusim_engine_run(e);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(r[i].start, start[i]);
		assert_int_equal(r[i].end, start[i] + 15);
		assert_int_equal(r[i].wait, wait[i]);
		/* Each CPU is held through its wait and service. */
		assert_int_equal(iommusim_engine_cpu_now(e, r[i].cpu), cpu_now[i]);
	}
	iommusim_engine_server_stats(s, &st);
	EXPECT_FIELDS(&st, SERVER_STATS(requests, 3), SERVER_STATS(waited, 2),
		      SERVER_STATS(wait_total, 15), SERVER_STATS(wait_max, 10),
		      SERVER_STATS(busy, 45), SERVER_STATS(since, 0));
	assert_true(iommusim_engine_server_utilisation(s, 45) == 1.0);
	assert_true(iommusim_engine_server_utilisation(s, 60) == 0.75);
	assert_true(iommusim_engine_server_utilisation(s, 0) == 0.0);

	/* Equal arrivals are served in call order; no CPU means no CPU is held. */
	iommusim_engine_run_until(e, 100);
	iommusim_engine_server_reset_stats(s, 100);
	assert_int_equal(iommusim_engine_server_use(e, s, NULL, 100, 10, &st0, &en0), 0);
	assert_int_equal(st0, 100);
	assert_int_equal(en0, 110);
	assert_int_equal(iommusim_engine_server_use(e, s, NULL, 100, 10, &st0, NULL), 10);
	assert_int_equal(st0, 110);
	assert_int_equal(iommusim_engine_server_use(e, s, NULL, 100, 10, NULL, &en0), 20);
	assert_int_equal(en0, 130);
	iommusim_engine_server_stats(s, &st);
	EXPECT_FIELDS(&st, SERVER_STATS(requests, 3), SERVER_STATS(wait_total, 30),
		      SERVER_STATS(since, 100));
	assert_true(iommusim_engine_server_utilisation(s, 160) == 0.5);
	assert_int_equal(iommusim_engine_cpu_now(e, r[0].cpu), 100);
	done(e, mem);
}

static void test_engine_server_late_caller_takes_earliest_fitting_gap(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e;
	struct iommusim_server *s, *s2;
	struct iommusim_server_stats st;
	uint64_t start;

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 1, HZ_1GHZ, &e), 0);
	assert_int_equal(iommusim_engine_server_create(e, NULL, &s), 0);
	assert_string_equal(iommusim_engine_server_name(s), "");
	/* A CPU far ahead books [100, 115); one behind it books the idle [30, 45). */
	assert_int_equal(iommusim_engine_server_use(e, s, NULL, 100, 15, &start, NULL), 0);
	assert_int_equal(iommusim_engine_server_use(e, s, NULL, 30, 15, &start, NULL), 0);
	assert_int_equal(start, 30);
	/* [45, 100) is too short for 70: wait for 115. */
	assert_int_equal(iommusim_engine_server_use(e, s, NULL, 40, 70, &start, NULL), 75);
	assert_int_equal(start, 115);
	/* ... but exactly long enough for 55. */
	assert_int_equal(iommusim_engine_server_use(e, s, NULL, 40, 55, &start, NULL), 5);
	assert_int_equal(start, 45);
	/* Once time has passed them, old bookings are forgotten. */
	iommusim_engine_run_until(e, 200);
	assert_int_equal(iommusim_engine_server_use(e, s, NULL, 200, 10, &start, NULL), 0);
	iommusim_engine_server_stats(s, &st);
	EXPECT_FIELDS(&st, SERVER_STATS(requests, 5), SERVER_STATS(waited, 2),
		      SERVER_STATS(wait_total, 80), SERVER_STATS(wait_max, 75),
		      SERVER_STATS(busy, 165));

	/*
	 * 40 disjoint stretches [10000 - 100k, +10), booked newest-lowest: beyond 32 the closest
	 * pair (all gaps are 90; the earliest wins) is joined, leaving [6100, 6910) and
	 * [7000 + 100j, +10). The gap at 6210 is gone, the one at 7010 is not.
	 */
	assert_int_equal(
		iommusim_engine_server_create(e, "a-name-longer-than-thirty-one-bytes", &s2), 0);
	assert_string_equal(iommusim_engine_server_name(s2), "a-name-longer-than-thirty-one-b");
	for (uint64_t k = 0; k < 40; k++)
		assert_int_equal(
			iommusim_engine_server_use(e, s2, NULL, 10000 - 100 * k, 10, NULL, NULL),
			0);
	assert_int_equal(iommusim_engine_server_use(e, s2, NULL, 6200, 10, &start, NULL), 710);
	assert_int_equal(start, 6910);
	assert_int_equal(iommusim_engine_server_use(e, s2, NULL, 6950, 60, &start, NULL), 60);
	assert_int_equal(start, 7010);
	iommusim_engine_server_destroy(s2);
	/* s is left for the engine to free. */
	done(e, mem);
}

static void count_fire(struct iommusim_timer *t, struct iommusim_cpu *cpu, void *arg)
{
	(void)t;
	(void)cpu;
	(*(int *)arg)++;
}

/*
 * A timer takes its event record when it is created, so arming it never allocates: with
 * every record in use and no memory left, timers still arm (again and again), and a timer
 * that cannot get its record is not created.
 */
static void test_engine_timers_arm_without_memory(void **state)
{
	struct iommusim_timer *t[3], *none = NULL;
	struct failing f = {-1};
	struct iommusim_mem *mem;
	struct iommusim_engine *e;
	struct iommusim_clock *clock;
	int fired = 0, i;
	uint64_t live;

	(void)state;
	assert_int_equal(iommusim_mem_create_custom(&failing_ops, &f, &mem), 0);
	assert_int_equal(iommusim_engine_create(mem, 1, 0, &e), 0);
	clock = iommusim_engine_clock(e);
	for (i = 0; i < 3; i++)
		assert_int_equal(iommusim_timer_create(clock, count_fire, &fired, &t[i]), 0);
	/* Fill the other records, then refuse every allocation. */
	f.budget = 0;
	for (i = 0; iommusim_engine_schedule(e, 1000, NULL, noop, NULL, NULL) == 0; i++)
		;
	assert_int_equal(i, 64 - 3);
	/* Memory for the timer, none for a record: no timer, nothing left behind. */
	live = iommusim_mem_live_objects(mem);
	f.budget = 1;
	assert_int_equal(iommusim_timer_create(clock, count_fire, &fired, &none), -ENOMEM);
	assert_null(none);
	assert_int_equal(iommusim_mem_live_objects(mem), live);
	assert_int_equal(f.budget, 0);
	for (int round = 0; round < 3; round++) {
		for (i = 0; i < 3; i++)
			assert_true(iommusim_timer_schedule(t[i], NULL, 10 + (uint64_t)i));
		assert_int_equal(iommusim_engine_pending(e), 64);
		iommusim_engine_run_until(e, iommusim_engine_now(e) +
						     iommusim_engine_ns_to_cycles(e, 20));
	}
	assert_int_equal(fired, 9);
	/* Armed when destroyed: the record goes back with the timer. */
	assert_true(iommusim_timer_schedule(t[0], NULL, 5));
	for (i = 0; i < 3; i++)
		iommusim_timer_destroy(t[i]);
	f.budget = -1;
	iommusim_engine_destroy(e);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

static void test_engine_destroy_frees_pending_events_and_servers(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e;
	struct iommusim_server *s[3];
	struct iommusim_timer *t;
	uint64_t id;

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 2, 0, &e), 0);
	/* Enough to grow the queue three times, some bound to a CPU, some cancelled. */
	for (int i = 0; i < 300; i++) {
		assert_int_equal(iommusim_engine_schedule(e, (uint64_t)(i % 17),
							  i % 2 ? iommusim_engine_cpu(e, 1) : NULL,
							  noop, NULL, &id),
				 0);
		if (i % 5 == 0)
			assert_true(iommusim_engine_cancel(e, id));
	}
	assert_int_equal(iommusim_engine_pending(e), 240);
	for (int i = 0; i < 3; i++)
		assert_int_equal(iommusim_engine_server_create(e, "s", &s[i]), 0);
	iommusim_engine_server_destroy(s[1]);
	assert_int_equal(iommusim_timer_create(iommusim_engine_clock(e), timer_cb, NULL, &t), 0);
	assert_true(iommusim_timer_schedule(t, iommusim_engine_cpu(e, 0), 1000));
	iommusim_timer_destroy(t);
	assert_int_equal(iommusim_engine_run_events(e, 100), 100);
	assert_true(iommusim_mem_live_objects(mem) > 0);
	done(e, mem);
}

SUITE_MAIN(cmocka_unit_test(test_engine_backlog_event_cancels_those_behind_it),
	   cmocka_unit_test(test_engine_timer_fires_at_simulated_time_on_arming_cpu),
	   cmocka_unit_test(test_engine_timers_fire_by_expiry_then_arming_order),
	   cmocka_unit_test(test_engine_server_fifo_waits_by_hand),
	   cmocka_unit_test(test_engine_server_late_caller_takes_earliest_fitting_gap),
	   cmocka_unit_test(test_engine_timers_arm_without_memory),
	   cmocka_unit_test(test_engine_destroy_frees_pending_events_and_servers))
