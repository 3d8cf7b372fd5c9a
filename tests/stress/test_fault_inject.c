/* SPDX-License-Identifier: MIT */
/*
 * Out of memory everywhere: a memory context whose Nth allocation fails (or, in sticky mode,
 * every allocation from the Nth on) under a short simulation on each platform and policy, and
 * under an IOVA op-script replay. For every N the library must neither crash nor abort; the
 * call that met the failure returns -ENOMEM (creation, run or replay), or everything succeeds
 * when the failure came later than the last allocation before teardown; destroying gives back
 * every byte; a run that succeeded matches the run without injection bit for bit.
 *
 * Coverage: every N from 1 to one past the last allocation before teardown, in both modes,
 * for every case (15 simulations of 10 ms simulated each, and the replay). The test is
 * deterministic: a simulation allocates in the same order every time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "failing_mem.h"

#define MS  1000000ull
#define GiB (1ull << 30)
#define KiB 1024u

/* Refuse the @fail_at-th allocation (1-based; 0: none), or with @sticky every one from it on. */
static struct failing_inject inject(uint64_t fail_at, bool sticky)
{
	return (struct failing_inject){.budget = fail_at ? (long)fail_at - 1 : -1, .once = !sticky};
}

/* ---- simulations ---- */

struct sim_case {
	const char *profile; /* a KVM generation, or NULL: the platform's own profile */
	enum iommusim_platform_kind platform;
	enum iommusim_policy policy;
	uint32_t block_size;
	unsigned int iodepth;
	const char *const *sets;
	size_t nsets;
};

/* What one attempt did. */
struct outcome {
	int create_err;
	int run_err;
	uint64_t calls_before_destroy;
	struct iommusim_sim_stats st;
};

/*
 * A short flush-queue timeout and small queues so that timer and full-queue flushes happen
 * within the few simulated milliseconds; per policy the parameters it ignores do no harm.
 */
static const char *const fq_sets[] = {"dma.fq_timeout_ms=1", "dma.fq_size=16"};
/* A vfio budget small enough to run out: the s390.enomem answer and the second pass. */
static const char *const budget_sets[] = {"vfio.dma_entry_limit=24", "dma.fq_timeout_ms=1",
					  "dma.fq_size=16"};
static const char *const zvm_budget_sets[] = {"zvm.dma_entry_limit=24", "dma.fq_timeout_ms=1"};

static void attempt(const struct sim_case *c, uint64_t fail_at, bool sticky, struct outcome *o)
{
	struct failing_inject in = inject(fail_at, sticky);
	struct iommusim_sim_config cfg;
	struct iommusim_mem *mem, *cmem;
	struct iommusim_cost *cost;
	struct iommusim_sim *sim = NULL;
	char msg[256] = "x";

	/* The cost set lives in a context of its own: only the simulation is injected. */
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &cmem), 0);
	assert_int_equal(iommusim_cost_create(cmem, &cost), 0);
	assert_int_equal(iommusim_cost_configure(cost,
						 c->profile ? c->profile
							    : iommusim_platform_name(c->platform),
						 c->sets, c->nsets, NULL, 0, NULL),
			 0);
	assert_int_equal(iommusim_mem_create_custom(&failing_inject_ops, &in, &mem), 0);
	cfg = (struct iommusim_sim_config){
		.platform = c->platform,
		.policy = c->policy,
		.cpus = 2,
		.guest_memory = 1 * GiB,
		.nvme = {.jobs = 2, .iodepth = c->iodepth, .block_size = c->block_size},
		.cost = cost,
		.seed = 7,
		.warmup_ns = 2 * MS,
		.measure_ns = 8 * MS,
	};
	memset(o, 0, sizeof(*o));
	o->create_err = iommusim_sim_create_msg(mem, &cfg, &sim, msg, sizeof(msg));
	if (o->create_err) {
		/* A message names what was refused. */
		assert_true(msg[0] != '\0');
		assert_non_null(strstr(msg, "memory"));
	} else {
		assert_string_equal(msg, "");
		o->run_err = iommusim_sim_run(sim);
		iommusim_sim_get_stats(sim, &o->st);
	}
	o->calls_before_destroy = in.calls;
	iommusim_sim_destroy(sim);
	assert_int_equal(iommusim_mem_live_bytes(mem), 0);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
	iommusim_cost_destroy(cost);
	iommusim_mem_destroy(cmem);
}

static void check_attempt(const struct outcome *base, const struct outcome *o, uint64_t n,
			  bool sticky)
{
	bool before = n <= o->calls_before_destroy;

	if (o->create_err) {
		assert_int_equal(o->create_err, -ENOMEM);
		assert_true(before);
		return;
	}
	if (o->run_err) {
		assert_int_equal(o->run_err, -ENOMEM);
		assert_true(before);
		/* A failed run reports nothing. */
		assert_int_equal(o->st.ios_completed_total, 0);
		return;
	}
	/* Success: the refusal, if any, came in teardown, and the run was the same. */
	if (before) {
		print_error("N=%llu%s: refused at or before request %llu, yet create and run "
			    "succeeded\n",
			    (unsigned long long)n, sticky ? " (sticky)" : "",
			    (unsigned long long)o->calls_before_destroy);
		fail();
	}
	assert_memory_equal(&o->st, &base->st, sizeof(o->st));
}

static uint64_t run_failures;

static void run_case(const struct sim_case *c)
{
	struct outcome base, o;
	uint64_t total, runs = 0, create_failed = 0, run_failed = 0;

	attempt(c, 0, false, &base);
	assert_int_equal(base.create_err, 0);
	assert_int_equal(base.run_err, 0);
	assert_true(base.st.ios_completed > 0);
	total = base.calls_before_destroy;
	assert_true(total > 0);

	for (uint64_t n = 1; n <= total + 1; n++) {
		for (int sticky = 0; sticky < 2; sticky++) {
			attempt(c, n, sticky, &o);
			check_attempt(&base, &o, n, sticky);
			create_failed += o.create_err != 0;
			run_failed += o.run_err != 0;
			runs++;
		}
	}
	/* Some cases allocate nothing once created (legacy: its tables are made by then). */
	assert_true(create_failed > 0);
	run_failures += run_failed;
	print_message("%s/%s %u KiB QD %u: %llu allocations before teardown; %llu attempts: %llu "
		      "failed to create, %llu failed to run\n",
		      c->profile ? c->profile : iommusim_platform_name(c->platform),
		      iommusim_policy_name(c->policy), c->block_size / KiB, c->iodepth,
		      (unsigned long long)total, (unsigned long long)runs,
		      (unsigned long long)create_failed, (unsigned long long)run_failed);
}

/* Platform, policy, block size in KiB, iodepth, cost overrides. */
#define CASE(pl, po, bs, qd, s)                                                                    \
	{                                                                                          \
		NULL, IOMMUSIM_PLATFORM_##pl, IOMMUSIM_POLICY_##po, (bs)*KiB, qd, s,               \
			sizeof(s) / sizeof(s[0])                                                   \
	}
#define GEN(prof, po, bs, qd, s)                                                                   \
	{                                                                                          \
		prof, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_##po, (bs)*KiB, qd, s,                \
			sizeof(s) / sizeof(s[0])                                                   \
	}

static const struct sim_case cases[] = {
	CASE(LPAR, STRICT, 4, 4, fq_sets),
	CASE(LPAR, FQ_PERCPU, 4, 4, fq_sets),
	CASE(LPAR, FQ_SINGLE, 16, 4, fq_sets),
	CASE(LPAR, LEGACY, 16, 4, fq_sets),
	CASE(ZVM, STRICT, 4, 4, fq_sets),
	CASE(ZVM, FQ_PERCPU, 16, 4, zvm_budget_sets),
	CASE(ZVM, FQ_SINGLE, 4, 4, fq_sets),
	CASE(ZVM, LEGACY, 4, 4, zvm_budget_sets),
	CASE(KVM, STRICT, 16, 4, budget_sets),
	CASE(KVM, FQ_PERCPU, 4, 4, budget_sets),
	CASE(KVM, FQ_SINGLE, 4, 4, fq_sets),
	CASE(KVM, LEGACY, 16, 4, budget_sets),
	/* older QEMU: per-page unmaps, no second pass (7.1), or the second pass alone (7.2) */
	GEN("kvm-qemu7.1", STRICT, 4, 4, budget_sets),
	GEN("kvm-qemu7.2", FQ_SINGLE, 16, 4, fq_sets),
	/* more requests than the engine's first event records: its queue grows in the run */
	CASE(LPAR, FQ_PERCPU, 4, 48, fq_sets),
};

static void test_sim_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	/* Failures inside runs were met too, not only in creation. */
	assert_true(run_failures > 0);
}

/* ---- the IOVA replay ---- */

/* Every op kind, two CPUs, enough frees to fill magazines and the depot, and its trim. */
static char *replay_script(size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	n += (size_t)snprintf(s + n, cap - n,
			      "ncpus 2\ninit 4096 1\nreserve 0x100 0x1ff\nalloc 4 0xfffff 1\n"
			      "alloc 3 0xfffff 0\nfast 1 0xfffff 1\nfast 8 0xffff 1\n");
	for (unsigned int i = 0; i < 300; i++)
		n += (size_t)snprintf(s + n, cap - n, "ffree %u 1\n", 0x1000 + i);
	n += (size_t)snprintf(s + n, cap - n,
			      "cpu 1\nffree 0x3000 2\nfast 2 0xfffff 0\nrcache\npending\ntick\n"
			      "find 0x100\nfree 0xffffc\ncpudead 1\ndrain\ncached\ndump\n"
			      "init 4096 0x10\nalloc 1 0xff 1\ndump\n");
	assert_true(n < cap);
	*len = n;
	return s;
}

static int replay(const char *script, size_t len, uint64_t fail_at, char **out, size_t *outlen,
		  uint64_t *calls)
{
	struct failing_inject in = inject(fail_at, false);
	struct iommusim_iova_replay_opts opts = {.depot = IOMMUSIM_IOVA_DEPOT_LIST};
	FILE *fin = fmemopen((void *)script, len, "r");
	FILE *fout = open_memstream(out, outlen);
	char msg[256];
	int err;

	assert_non_null(fin);
	assert_non_null(fout);
	assert_int_equal(iommusim_mem_create_custom(&failing_inject_ops, &in, &opts.mem), 0);
	err = iommusim_iova_replay(fin, "inject.ops", &opts, fout, msg, sizeof(msg));
	if (err)
		assert_non_null(strstr(msg, "out of memory"));
	assert_int_equal(iommusim_mem_live_bytes(opts.mem), 0);
	assert_int_equal(iommusim_mem_live_objects(opts.mem), 0);
	iommusim_mem_destroy(opts.mem);
	fclose(fin);
	fclose(fout);
	*calls = in.calls;
	return err;
}

static void test_replay(void **state)
{
	size_t len, base_len, outlen;
	char *script = replay_script(&len), *base, *out;
	uint64_t total, calls;

	(void)state;
	assert_int_equal(replay(script, len, 0, &base, &base_len, &total), 0);
	assert_true(base_len > 0);
	for (uint64_t n = 1; n <= total + 1; n++) {
		int err = replay(script, len, n, &out, &outlen, &calls);

		if (n <= total) {
			assert_int_equal(err, -ENOMEM);
		} else {
			assert_int_equal(err, 0);
			assert_int_equal(outlen, base_len);
			assert_memory_equal(out, base, base_len);
		}
		free(out);
	}
	print_message("iova replay: %llu allocations, every N\n", (unsigned long long)total);
	free(base);
	free(script);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_sim_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
