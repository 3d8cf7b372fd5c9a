/* SPDX-License-Identifier: MIT */
/* Unit tests of the base layer: memory contexts, CPU handles and work, clocks and timers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "machine.h"

/* A backend that counts its calls and checks that frees match allocations. */
struct counting {
	unsigned int allocs;
	unsigned int frees;
	size_t bytes;
};

static void *counting_alloc(void *arg, size_t size, size_t align)
{
	struct counting *c = arg;

	(void)align;
	c->allocs++;
	c->bytes += size;
	return malloc(size);
}

static void counting_free(void *arg, void *ptr, size_t size, size_t align)
{
	struct counting *c = arg;

	(void)align;
	c->frees++;
	c->bytes -= size;
	free(ptr);
}

static const struct iommusim_mem_ops counting_ops = {counting_alloc, counting_free};

static void test_mem_custom_backend_sees_every_object(void **state)
{
	struct counting c = {0};
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;

	(void)state;
	assert_int_equal(iommusim_mem_create_custom(&counting_ops, &c, &mem), 0);
	assert_string_equal(iommusim_mem_backend_name(mem), "custom");
	assert_int_equal(iommusim_cpu_create(mem, 3, &cpu), 0);
	assert_int_equal(c.allocs, 1);
	assert_int_equal(iommusim_mem_live_objects(mem), 1);
	assert_true(iommusim_mem_live_bytes(mem) >= sizeof(uint64_t) * IOMMUSIM_WORK_NR);
	assert_int_equal(iommusim_mem_live_bytes(mem), c.bytes);
	iommusim_cpu_destroy(cpu);
	assert_int_equal(c.frees, 1);
	assert_int_equal(c.bytes, 0);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	assert_int_equal(iommusim_mem_live_bytes(mem), 0);
	iommusim_mem_destroy(mem);
}

static void test_mem_builtin_backends(void **state)
{
	struct iommusim_mem *mem;
	int err;

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_string_equal(iommusim_mem_backend_name(mem), "libc");
	iommusim_mem_destroy(mem);

	/* jemalloc is optional: either it is there, or asking for it says so. */
	err = iommusim_mem_create(IOMMUSIM_MEM_JEMALLOC, &mem);
	if (err == 0) {
		assert_string_equal(iommusim_mem_backend_name(mem), "jemalloc");
		iommusim_mem_destroy(mem);
	} else {
		assert_int_equal(err, -ENOTSUP);
	}

	/* The default is jemalloc when built with it, libc otherwise. */
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem), 0);
	assert_string_equal(iommusim_mem_backend_name(mem), err == 0 ? "jemalloc" : "libc");
	iommusim_mem_destroy(mem);

	assert_int_equal(iommusim_mem_create((enum iommusim_mem_backend)42, &mem), -EINVAL);
}

struct hook_log {
	uint64_t total[IOMMUSIM_WORK_NR];
	unsigned int calls;
	unsigned int last_cpu;
};

static void log_work(void *arg, struct iommusim_cpu *cpu, enum iommusim_work kind, uint64_t n)
{
	struct hook_log *log = arg;

	log->total[kind] += n;
	log->calls++;
	log->last_cpu = iommusim_cpu_id(cpu);
}

static void test_cpu_work_counters_and_hook_agree(void **state)
{
	struct iommusim_iova_config cfg = {.granule = 4096, .start_pfn = 1, .possible_cpus = 8};
	struct iommusim_iova_domain *d;
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;
	struct hook_log log = {0};
	uint64_t pfn;

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	cfg.mem = mem;
	assert_int_equal(iommusim_cpu_create(mem, 5, &cpu), 0);
	assert_int_equal(iommusim_cpu_id(cpu), 5);
	for (int k = 0; k < IOMMUSIM_WORK_NR; k++)
		assert_int_equal(iommusim_cpu_work(cpu, (enum iommusim_work)k), 0);

	iommusim_cpu_set_work_hook(cpu, log_work, &log);
	assert_int_equal(iommusim_iova_domain_create(&cfg, &d), 0);
	assert_int_equal(iommusim_iova_alloc_fast(d, cpu, 1, 0xfffff, true, &pfn), 0);
	assert_int_equal(iommusim_iova_free_fast(d, cpu, pfn, 1), 0);

	assert_true(log.calls > 0);
	assert_int_equal(log.last_cpu, 5);
	for (int k = 0; k < IOMMUSIM_WORK_NR; k++)
		assert_int_equal(log.total[k], iommusim_cpu_work(cpu, (enum iommusim_work)k));
	/* A miss walked the tree and inserted a node; the free pushed onto a magazine. */
	assert_true(iommusim_cpu_work(cpu, IOMMUSIM_WORK_TREE_INSERT) == 1);
	assert_true(iommusim_cpu_work(cpu, IOMMUSIM_WORK_MAG_OP) == 1);
	assert_true(iommusim_cpu_work(cpu, IOMMUSIM_WORK_LOCK) >= 3);

	iommusim_cpu_work_reset(cpu);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_LOCK), 0);
	assert_int_equal(iommusim_cpu_work(cpu, (enum iommusim_work)IOMMUSIM_WORK_NR), 0);

	iommusim_iova_domain_destroy(d);
	machine_down(mem, NULL, &cpu, 1);
}

static void test_cpu_work_names_are_distinct(void **state)
{
	(void)state;
	for (int a = 0; a < IOMMUSIM_WORK_NR; a++) {
		const char *na = iommusim_work_name((enum iommusim_work)a);

		assert_string_not_equal(na, "unknown");
		for (int b = a + 1; b < IOMMUSIM_WORK_NR; b++)
			assert_string_not_equal(na, iommusim_work_name((enum iommusim_work)b));
	}
	assert_string_equal(iommusim_work_name((enum iommusim_work)IOMMUSIM_WORK_NR), "unknown");
}

/* Timer callbacks append their tag here, so the firing order can be checked. */
struct fire_log {
	char order[16];
	unsigned int n;
	struct iommusim_timer *rearm;
	struct iommusim_cpu *seen_cpu;
};

struct tagged {
	struct fire_log *log;
	char tag;
};

static void note_fire(struct iommusim_timer *t, struct iommusim_cpu *cpu, void *arg)
{
	struct tagged *tg = arg;

	tg->log->order[tg->log->n++] = tg->tag;
	tg->log->seen_cpu = cpu;
	if (tg->log->rearm == t)
		iommusim_timer_schedule(t, cpu, 100);
}

static void test_clock_manual_tick_runs_pending_in_arming_order(void **state)
{
	struct fire_log log = {0};
	struct tagged a = {&log, 'a'}, b = {&log, 'b'}, c = {&log, 'c'};
	struct iommusim_timer *ta, *tb, *tc;
	struct iommusim_clock *clock;
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_int_equal(iommusim_cpu_create(mem, 2, &cpu), 0);
	assert_int_equal(iommusim_manual_clock_create(mem, &clock), 0);
	assert_int_equal(iommusim_timer_create(clock, note_fire, &a, &ta), 0);
	assert_int_equal(iommusim_timer_create(clock, note_fire, &b, &tb), 0);
	assert_int_equal(iommusim_timer_create(clock, note_fire, &c, &tc), 0);

	assert_true(iommusim_timer_schedule(tb, cpu, 300));
	assert_true(iommusim_timer_schedule(ta, cpu, 100));
	assert_true(iommusim_timer_schedule(tc, cpu, 200));
	/* schedule_delayed_work semantics: a pending timer is not re-armed or moved. */
	assert_false(iommusim_timer_schedule(tb, cpu, 5));
	assert_int_equal(iommusim_clock_pending(clock), 3);
	iommusim_timer_cancel(tc);
	assert_false(iommusim_timer_pending(tc));
	assert_int_equal(iommusim_clock_pending(clock), 2);
	assert_int_equal(iommusim_clock_now_ns(clock), 0);

	assert_int_equal(iommusim_manual_clock_tick(clock), 2);
	assert_memory_equal(log.order, "ba", 2);
	assert_ptr_equal(log.seen_cpu, cpu);
	assert_int_equal(iommusim_clock_now_ns(clock), 300);
	assert_int_equal(iommusim_clock_pending(clock), 0);
	assert_int_equal(iommusim_manual_clock_tick(clock), 0);

	iommusim_timer_destroy(ta);
	iommusim_timer_destroy(tb);
	iommusim_timer_destroy(tc);
	machine_down(mem, clock, &cpu, 1);
}

static void test_clock_manual_rearmed_timer_waits_for_next_tick(void **state)
{
	struct fire_log log = {0};
	struct tagged a = {&log, 'a'};
	struct iommusim_clock *clock;
	struct iommusim_timer *ta;
	struct iommusim_mem *mem;

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_int_equal(iommusim_manual_clock_create(mem, &clock), 0);
	assert_int_equal(iommusim_timer_create(clock, note_fire, &a, &ta), 0);
	log.rearm = ta;

	assert_true(iommusim_timer_schedule(ta, NULL, 100));
	assert_int_equal(iommusim_manual_clock_tick(clock), 1);
	/* It re-armed itself from its callback: pending, but not run twice in one tick. */
	assert_true(iommusim_timer_pending(ta));
	assert_int_equal(log.n, 1);
	assert_int_equal(iommusim_manual_clock_tick(clock), 1);
	assert_int_equal(log.n, 2);
	assert_int_equal(iommusim_clock_now_ns(clock), 200);

	/* A timer that always re-arms only stops draining at the tick limit. */
	assert_int_equal(iommusim_manual_clock_drain(clock, 5), 5);
	assert_int_equal(log.n, 7);
	log.rearm = NULL;
	assert_int_equal(iommusim_manual_clock_drain(clock, 0), 1);
	assert_int_equal(iommusim_clock_pending(clock), 0);

	/* Destroying a pending timer disarms it. */
	assert_true(iommusim_timer_schedule(ta, NULL, 1));
	iommusim_timer_destroy(ta);
	assert_int_equal(iommusim_clock_pending(clock), 0);
	machine_down(mem, clock, NULL, 0);
}

static void test_base_strerror_and_version(void **state)
{
	(void)state;
	assert_string_equal(iommusim_strerror(-ENOMEM), iommusim_strerror(ENOMEM));
	assert_string_not_equal(iommusim_strerror(-ENOMEM), iommusim_strerror(-EINVAL));
	assert_string_equal(iommusim_strerror(-12345), "unknown error");
	assert_string_equal(iommusim_strerror(0), "success");
	assert_string_equal(iommusim_version(), IOMMUSIM_VERSION_STRING);
	assert_non_null(iommusim_git_describe());
	assert_true(strlen(iommusim_git_describe()) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mem_custom_backend_sees_every_object),
		cmocka_unit_test(test_mem_builtin_backends),
		cmocka_unit_test(test_cpu_work_counters_and_hook_agree),
		cmocka_unit_test(test_cpu_work_names_are_distinct),
		cmocka_unit_test(test_clock_manual_tick_runs_pending_in_arming_order),
		cmocka_unit_test(test_clock_manual_rearmed_timer_waits_for_next_tick),
		cmocka_unit_test(test_base_strerror_and_version),
	};

	return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
