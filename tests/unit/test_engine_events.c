/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the engine's event order: time then sequence, events scheduled for now, the
 * event queued last, cancellation, run_until, and the order against a brute-force reference of
 * the rule.
 */
#include "engine_fixture.h"

/* ---- event order, cancel, run semantics ---- */

static void test_engine_events_run_in_time_then_sequence_order(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e;
	struct trace tr = {0};
	struct tagged ev[6];
	static const uint64_t at[6] = {30, 10, 20, 10, 0, 10};
	static const int want[6] = {4, 1, 3, 5, 2, 0};

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 1, HZ_1GHZ, &e), 0);
	for (int i = 0; i < 6; i++) {
		ev[i] = (struct tagged){.tr = &tr, .tag = i};
		sched(e, at[i], NULL, &ev[i], NULL);
	}
	assert_int_equal(iommusim_engine_pending(e), 6);
	assert_int_equal(iommusim_engine_run(e), 6);
	assert_int_equal(tr.n, 6);
	/* Equal times (10) run in scheduling order: 1, 3, 5. */
	for (int i = 0; i < 6; i++) {
		assert_int_equal(tr.tag[i], want[i]);
		assert_int_equal(tr.at[i], at[want[i]]);
	}
	assert_int_equal(iommusim_engine_now(e), 30);
	assert_int_equal(iommusim_engine_events_run(e), 6);
	assert_int_equal(iommusim_engine_pending(e), 0);
	done(e, mem);
}

struct chain {
	struct trace *tr;
	struct tagged late;
};

static void schedule_same_time(struct iommusim_engine *e, void *arg)
{
	struct chain *c = arg;

	record(e, &(struct tagged){.tr = c->tr, .tag = 100});
	sched(e, iommusim_engine_now(e), NULL, &c->late, NULL);
}

static void test_engine_event_scheduled_for_now_runs_after_queued_ones(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e;
	struct trace tr = {0};
	struct chain c = {.tr = &tr, .late = {.tr = &tr, .tag = 102}};
	struct tagged y = {.tr = &tr, .tag = 101};

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 1, HZ_1GHZ, &e), 0);
	assert_int_equal(iommusim_engine_schedule(e, 5, NULL, schedule_same_time, &c, NULL), 0);
	sched(e, 5, NULL, &y, NULL);
	assert_int_equal(iommusim_engine_run(e), 3);
	assert_int_equal(tr.tag[0], 100);
	assert_int_equal(tr.tag[1], 101);
	assert_int_equal(tr.tag[2], 102);
	assert_int_equal(tr.at[2], 5);
	done(e, mem);
}

/*
 * The event a callback queues last is held out of the queue until the next take or queuing
 * (queue.c); it must still keep exactly its turn. @next is queued by the callback after it
 * charges its CPU: at the CPU's free time (a step of its own work), or at @at; @cancel_next
 * cancels it again at once.
 */
struct step {
	struct tagged self;
	struct tagged next;
	struct iommusim_cpu *cpu; /* the CPU @self charges and @next is bound to */
	uint64_t charge;
	uint64_t at; /* 0: the CPU's free time */
	bool cancel_next;
	uint64_t next_id;
};

static void queue_step(struct iommusim_engine *e, void *arg)
{
	struct step *s = arg;
	uint64_t at;

	record(e, &s->self);
	iommusim_engine_cpu_charge(e, s->cpu, s->charge);
	at = s->at ? s->at : iommusim_engine_cpu_now(e, s->cpu);
	assert_int_equal(iommusim_engine_schedule(e, at, s->cpu, record, &s->next, &s->next_id), 0);
	if (s->cancel_next) {
		assert_true(iommusim_engine_cancel(e, s->next_id));
		assert_false(iommusim_engine_cancel(e, s->next_id));
	}
}

static void test_engine_event_queued_last_keeps_its_turn(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e;
	struct trace tr = {0};
	struct step a = {.self = {.tr = &tr, .tag = 'A'}, .next = {.tr = &tr, .tag = 'S'}};
	struct step c = {.self = {.tr = &tr, .tag = 'C'}, .next = {.tr = &tr, .tag = 'U'}};
	struct step d = {.self = {.tr = &tr, .tag = 'D'}, .next = {.tr = &tr, .tag = 'T'}};
	struct tagged x = {.tr = &tr, .tag = 'X'}, y = {.tr = &tr, .tag = 'Y'};
	struct tagged z = {.tr = &tr, .tag = 'Z'};

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 2, HZ_1GHZ, &e), 0);
	/* A, on CPU 0 at 0, works 10 cycles and queues its step S for 10, when CPU 0 is free. */
	a.cpu = iommusim_engine_cpu(e, 0);
	a.charge = 10;
	/* C, at 20, keeps CPU 1 busy until 70 and queues U on it for 30: U waits until 70. */
	c.cpu = iommusim_engine_cpu(e, 1);
	c.charge = 50;
	c.at = 30;
	/* D, at 80, queues T and cancels it: T never runs. */
	d.cpu = iommusim_engine_cpu(e, 0);
	d.cancel_next = true;
	assert_int_equal(iommusim_engine_schedule(e, 0, a.cpu, queue_step, &a, NULL), 0);
	/* Y is due with S but was queued first: it runs first. X is due after S. */
	sched(e, 10, NULL, &y, NULL);
	sched(e, 15, NULL, &x, NULL);
	assert_int_equal(iommusim_engine_schedule(e, 20, NULL, queue_step, &c, NULL), 0);
	sched(e, 40, NULL, &z, NULL);
	assert_int_equal(iommusim_engine_schedule(e, 80, NULL, queue_step, &d, NULL), 0);
	assert_int_equal(iommusim_engine_run(e), 8);
	assert_int_equal(tr.n, 8);
	expect_ran(&tr, 0, 'A', 0);
	expect_ran(&tr, 1, 'Y', 10);
	expect_ran(&tr, 2, 'S', 10);
	expect_ran(&tr, 3, 'X', 15);
	expect_ran(&tr, 4, 'C', 20);
	expect_ran(&tr, 5, 'Z', 40);
	expect_ran(&tr, 6, 'U', 70);
	expect_ran(&tr, 7, 'D', 80);
	assert_int_equal(iommusim_engine_pending(e), 0);
	done(e, mem);
}

static void test_engine_cancel_removes_only_that_pending_event(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e;
	struct trace tr = {0};
	struct tagged a = {.tr = &tr, .tag = 'a'}, b = {.tr = &tr, .tag = 'b'};
	struct tagged c = {.tr = &tr, .tag = 'c'}, d = {.tr = &tr, .tag = 'd'};
	struct tagged f = {.tr = &tr, .tag = 'f'};
	uint64_t ida, idb, idc, idd, idf;

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 1, HZ_1GHZ, &e), 0);
	sched(e, 10, NULL, &a, &ida);
	sched(e, 20, NULL, &b, &idb);
	sched(e, 30, NULL, &c, &idc);
	assert_true(ida != 0 && idb != ida && idc != idb);
	assert_true(iommusim_engine_cancel(e, idb));
	assert_false(iommusim_engine_cancel(e, idb));
	assert_int_equal(iommusim_engine_pending(e), 2);
	/* d reuses b's record; b's stale handle must not reach it. */
	sched(e, 25, NULL, &d, &idd);
	assert_true(idd != idb);
	assert_false(iommusim_engine_cancel(e, idb));
	assert_false(iommusim_engine_cancel(e, 0));
	assert_false(iommusim_engine_cancel(e, UINT64_MAX));
	/* a cancels f, due at the same time but scheduled later, from its callback. */
	sched(e, 10, NULL, &f, &idf);
	a.cancel_id = idf;
	assert_int_equal(iommusim_engine_run(e), 3);
	assert_int_equal(tr.n, 3);
	assert_int_equal(tr.tag[0], 'a');
	assert_int_equal(tr.tag[1], 'd');
	assert_int_equal(tr.tag[2], 'c');
	/* An event that ran cannot be cancelled. */
	assert_false(iommusim_engine_cancel(e, ida));
	assert_false(iommusim_engine_cancel(e, idc));
	done(e, mem);
}

static void test_engine_run_until_runs_due_events_and_moves_now(void **state)
{
	struct iommusim_mem *mem = new_mem();
	struct iommusim_engine *e;
	struct trace tr = {0};
	struct tagged ev[10];

	(void)state;
	assert_int_equal(iommusim_engine_create(mem, 1, HZ_1GHZ, &e), 0);
	for (int i = 0; i < 10; i++)
		ev[i] = (struct tagged){.tr = &tr, .tag = i};
	sched(e, 10, NULL, &ev[0], NULL);
	sched(e, 20, NULL, &ev[1], NULL);
	sched(e, 30, NULL, &ev[2], NULL);

	/* The bound is inclusive. */
	assert_int_equal(iommusim_engine_run_until(e, 20), 2);
	assert_int_equal(iommusim_engine_now(e), 20);
	assert_int_equal(iommusim_engine_pending(e), 1);
	/* Time passes with nothing to run. */
	assert_int_equal(iommusim_engine_run_until(e, 25), 0);
	assert_int_equal(iommusim_engine_now(e), 25);
	/* A bound in the past does nothing. */
	assert_int_equal(iommusim_engine_run_until(e, 5), 0);
	assert_int_equal(iommusim_engine_now(e), 25);

	/* stop: ev[4] at 50 stops the run; now stays at 50, not 100. */
	sched(e, 40, NULL, &ev[3], NULL);
	ev[4].stop = true;
	sched(e, 50, NULL, &ev[4], NULL);
	sched(e, 60, NULL, &ev[5], NULL);
	assert_int_equal(iommusim_engine_run_until(e, 100), 3);
	assert_int_equal(iommusim_engine_now(e), 50);
	assert_int_equal(iommusim_engine_pending(e), 1);
	assert_int_equal(iommusim_engine_run(e), 1);
	assert_int_equal(iommusim_engine_now(e), 60);

	sched(e, 70, NULL, &ev[6], NULL);
	sched(e, 80, NULL, &ev[7], NULL);
	sched(e, 90, NULL, &ev[8], NULL);
	assert_int_equal(iommusim_engine_run_events(e, 2), 2);
	assert_int_equal(iommusim_engine_now(e), 80);
	assert_int_equal(iommusim_engine_run_events(e, 5), 1);
	assert_int_equal(iommusim_engine_run_events(e, 5), 0);
	assert_int_equal(tr.n, 9);
	for (unsigned int i = 0; i < tr.n; i++)
		assert_int_equal(tr.tag[i], (int)i);
	done(e, mem);
}

/*
 * The documented rule, by brute force: at each step run the event with the smallest
 * (max(due, its CPU's busy time), due, sequence). The engine, with its heap, per-CPU backlogs
 * and wake-up entries re-keyed late, must make the same choices while callbacks charge CPUs,
 * schedule and cancel.
 */
#define REF_MAX	 3000
#define REF_CPUS 3

struct ref_world;

struct ref_arg {
	struct ref_world *w;
	unsigned int id;
};

struct ref_world {
	struct iommusim_rng rng;
	struct iommusim_engine *e; /* NULL: the brute-force side */
	unsigned int created;
	uint64_t delay;	  /* new events come due within this many cycles */
	int cpu[REF_MAX]; /* -1: not bound */
	/* Brute-force side. */
	uint64_t now, busy[REF_CPUS], due[REF_MAX], seq[REF_MAX], next_seq;
	bool alive[REF_MAX];
	/* Engine side. */
	uint64_t eid[REF_MAX];
	struct ref_arg arg[REF_MAX];
	/* What happened: event ids with their times, and cancel results. */
	unsigned int n;
	uint64_t trace[2 * REF_MAX];
};

static void ref_event(struct iommusim_engine *e, void *arg);

static void ref_schedule(struct ref_world *w, uint64_t at, int cpu)
{
	unsigned int id = w->created++;

	w->cpu[id] = cpu;
	if (!w->e) {
		w->due[id] = at;
		w->seq[id] = w->next_seq++;
		w->alive[id] = true;
		return;
	}
	w->arg[id] = (struct ref_arg){w, id};
	assert_int_equal(iommusim_engine_schedule(w->e, at,
						  cpu < 0 ? NULL : iommusim_engine_cpu(w->e, cpu),
						  ref_event, &w->arg[id], &w->eid[id]),
			 0);
}

/* One event's actions, driven by the world's random stream. */
static void ref_act(struct ref_world *w, unsigned int id, uint64_t now)
{
	unsigned int target = w->cpu[id] >= 0 ? (unsigned int)w->cpu[id]
					      : (unsigned int)iommusim_rng_below(&w->rng, REF_CPUS);
	uint64_t cycles = iommusim_rng_below(&w->rng, 40);
	unsigned int nnew = (unsigned int)iommusim_rng_below(&w->rng, 4);

	w->trace[w->n++] = (uint64_t)id << 32 | now;
	if (w->e)
		iommusim_engine_cpu_charge(w->e, iommusim_engine_cpu(w->e, target), cycles);
	else
		w->busy[target] = (w->busy[target] > now ? w->busy[target] : now) + cycles;
	for (unsigned int i = 0; i < nnew && w->created < REF_MAX; i++) {
		uint64_t at = now + iommusim_rng_below(&w->rng, w->delay);

		ref_schedule(w, at, (int)iommusim_rng_below(&w->rng, REF_CPUS + 1) - 1);
	}
	if (iommusim_rng_below(&w->rng, 4) == 0) {
		unsigned int victim = (unsigned int)iommusim_rng_below(&w->rng, w->created);
		bool hit;

		if (w->e) {
			hit = iommusim_engine_cancel(w->e, w->eid[victim]);
		} else {
			hit = w->alive[victim];
			w->alive[victim] = false;
		}
		w->trace[w->n++] = hit;
	}
}

static void ref_event(struct iommusim_engine *e, void *arg)
{
	struct ref_arg *a = arg;

	ref_act(a->w, a->id, iommusim_engine_now(e));
}

static void ref_run_brute_force(struct ref_world *w)
{
	for (;;) {
		unsigned int best = REF_MAX;
		uint64_t bt = 0;

		for (unsigned int i = 0; i < w->created; i++) {
			uint64_t t;

			if (!w->alive[i])
				continue;
			t = w->due[i];
			if (w->cpu[i] >= 0 && w->busy[w->cpu[i]] > t)
				t = w->busy[w->cpu[i]];
			bool tie_wins = t == bt &&
					(w->due[i] < w->due[best] ||
					 (w->due[i] == w->due[best] && w->seq[i] < w->seq[best]));

			if (best == REF_MAX || t < bt || tie_wins) {
				best = i;
				bt = t;
			}
		}
		if (best == REF_MAX)
			return;
		assert_true(bt >= w->now);
		w->now = bt;
		w->alive[best] = false;
		ref_act(w, best, bt);
	}
}

/*
 * Run one random world both ways and compare traces: @nstart starting events due within
 * @spread cycles, new ones within @delay. A @step runs the engine in run_until slices of that
 * many cycles (0: one run), which must not change the order either.
 */
static void ref_compare(struct iommusim_mem *mem, uint64_t seed, unsigned int nstart,
			uint64_t spread, uint64_t delay, uint64_t step)
{
	struct ref_world *bf = calloc(1, sizeof(*bf)), *en = calloc(1, sizeof(*en));
	struct iommusim_rng setup;

	assert_non_null(bf);
	assert_non_null(en);
	iommusim_rng_seed(&bf->rng, seed, 0);
	iommusim_rng_seed(&en->rng, seed, 0);
	iommusim_rng_seed(&setup, seed, 1);
	bf->delay = en->delay = delay;
	assert_int_equal(iommusim_engine_create(mem, REF_CPUS, HZ_1GHZ, &en->e), 0);
	for (unsigned int i = 0; i < nstart; i++) {
		uint64_t at = iommusim_rng_below(&setup, spread);
		int c = (int)iommusim_rng_below(&setup, REF_CPUS + 1) - 1;

		ref_schedule(bf, at, c);
		ref_schedule(en, at, c);
	}
	ref_run_brute_force(bf);
	if (step) {
		for (uint64_t t = step; iommusim_engine_pending(en->e); t += step)
			iommusim_engine_run_until(en->e, t);
	} else {
		iommusim_engine_run(en->e);
	}
	/* The scenario is big enough to matter: every event was made, many were held. */
	assert_int_equal(bf->created, REF_MAX);
	assert_int_equal(en->created, REF_MAX);
	assert_int_equal(bf->n, en->n);
	for (unsigned int i = 0; i < bf->n; i++)
		assert_true(bf->trace[i] == en->trace[i]);
	assert_int_equal(iommusim_engine_pending(en->e), 0);
	iommusim_engine_destroy(en->e);
	free(bf);
	free(en);
}

static void test_engine_order_matches_brute_force_rule(void **state)
{
	struct iommusim_mem *mem = new_mem();

	(void)state;
	/* Thirty starting events close together: CPUs stay busy and backlogs long. */
	for (uint64_t seed = 1; seed <= 5; seed++)
		ref_compare(mem, seed, 30, 50, 30, 0);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

/*
 * Hundreds of events in flight fill several levels of the 4-ary heap, with partial families
 * at the bottom, while the run goes in slices so that takes stop at a limit with a wake-up
 * entry still waiting for its new key.
 */
static void test_engine_order_matches_brute_force_in_deep_queues(void **state)
{
	struct iommusim_mem *mem = new_mem();

	(void)state;
	for (uint64_t seed = 11; seed <= 14; seed++)
		ref_compare(mem, seed, 400 + 37 * (unsigned int)seed, 3000, 900, 97);
	/* Slices of one cycle: a limit at every time there is. */
	ref_compare(mem, 15, 60, 200, 60, 1);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

SUITE_MAIN(cmocka_unit_test(test_engine_events_run_in_time_then_sequence_order),
	   cmocka_unit_test(test_engine_event_scheduled_for_now_runs_after_queued_ones),
	   cmocka_unit_test(test_engine_event_queued_last_keeps_its_turn),
	   cmocka_unit_test(test_engine_cancel_removes_only_that_pending_event),
	   cmocka_unit_test(test_engine_run_until_runs_due_events_and_moves_now),
	   cmocka_unit_test(test_engine_order_matches_brute_force_rule),
	   cmocka_unit_test(test_engine_order_matches_brute_force_in_deep_queues))
