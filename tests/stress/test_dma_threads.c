/* SPDX-License-Identifier: MIT */
/*
 * Stress test of the DMA API on s390 under real threads: dma-iommu strict, lazy with per-CPU
 * queues, lazy with the single queue, and the legacy s390 ops (lazy and strict), each on LPAR
 * with the null firmware and on a paging guest with the scripted one.
 *
 * Four threads share one device; each owns one CPU handle (ids 0..3) and runs a seeded random
 * stream of map_page/unmap_page and map_sg/unmap_sg over its own model, now and then flushing
 * the queues itself (iommusim_dma_iommu_flush_queue), as the timer would from any CPU. The
 * clock is not ticked while they run: timer callbacks would run on the ticking thread.
 *
 * Each thread maps buffers from its own 64 GiB slice of physical addresses, so a mapping that
 * lands on another thread's IOVA shows up as a wrong translation. What must hold whatever the
 * interleaving:
 * - while running, every mapping a thread holds translates page by page to its physical pages
 *   with its permission (read-only exactly for TO_DEVICE), and its own mappings never overlap;
 * - a map fails only with -ENOMEM (the small window is full of queued IOVAs); after a flush of
 *   the queues it succeeds;
 * - after the join: no two threads' mappings overlap, all translate; the s390 counters say
 *   mapped - unmapped = the live pages of all models; the RPCIT counters are what the ops
 *   imply (a sync-map RPCIT per map on a paging guest, a sync RPCIT per strict unmap, one
 *   global RPCIT per flush-queue flush; legacy: one map RPCIT per run on a paging guest, one
 *   unmap RPCIT per strict run, one global per lazy wrap) and their sum is the number of
 *   RPCITs the firmware saw; the flush-queue flushes are the full ones plus the explicit ones;
 *   the one timer armed during the run fires on the first tick afterwards;
 * - after unmapping everything and flushing, nothing in the window translates, mapped equals
 *   unmapped, and every object has been freed.
 *
 * IOMMUSIM_STRESS_SCALE (a factor, default 1) shrinks or stretches the op counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/iommusim.h>

#include "dma_model.h"
#include "policy_matrix.h"
#include "stress_scale.h"
#include "test_rng.h"
#include "zpci_rig.h"


#define PAGE	     4096ull
#define PAGE_LOW     (PAGE - 1)
#define MiB	     (1ull << 20)
#define FH	     0x00c0ffeeu
#define NTHREADS     4
/* Ops per thread at scale 1. */
#define THREAD_OPS   40000
#define MAX_LIVE     16
#define MAX_SG	     8
#define MAX_SEG	     65536ull
#define SEG_MASK     0xffffffffull
/* A thread checks all its live mappings every this many ops (the touched one every op). */
#define CHECK_EVERY  2
#define FLUSH_ONE_IN 2048
/* Retries of a map refused with -ENOMEM, each after a flush of the queues. */
#define MAX_RETRIES  64

/* One mapping of a thread: a list, or a buffer, and the chunks it was mapped as. */
struct tmap {
	enum iommusim_dma_dir dir;
	bool sg_list;
	struct iommusim_sg sg[MAX_SG];
	unsigned int nents;
	uint64_t phys, size, dma;
	struct dma_chunk chunk[MAX_SG];
	unsigned int nchunks;
	/* pages mapped; legacy: runs (output segments) */
	uint64_t pages;
	unsigned int runs;
};

struct shared {
	struct zpci_rig rig;
	uint64_t ops;
	atomic_bool stop;
};

struct worker {
	struct shared *s;
	unsigned int id;
	struct iommusim_rng rng;
	struct tmap live[MAX_LIVE];
	unsigned int nlive;
	uint64_t maps, unmaps, failures, mapped_bytes, mapped_pages, unmapped_pages;
	uint64_t runs_mapped, runs_unmapped, flush_calls;
	uint64_t ops_done;
	/* the first failed check, reported by the main thread */
	int fail_line;
	char fail_msg[200];
};

/* Checks inside a thread record the failure and stop every thread; cmocka asserts after join. */
#define CHECK(w, cond)                                                                        \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			worker_fail((w), __LINE__, #cond);                                     \
			return false;                                                          \
		}                                                                              \
	} while (0)

static void worker_fail(struct worker *w, int line, const char *what)
{
	if (!w->fail_line) {
		w->fail_line = line;
		snprintf(w->fail_msg, sizeof(w->fail_msg), "%s", what);
	}
	atomic_store(&w->s->stop, true);
}

/* A draw from the worker's own stream. */
static uint64_t below(struct worker *w, uint64_t n)
{
	return test_rng_below(&w->rng, n);
}

/* @when says whether the map has just returned or the mapping was made earlier. */
static bool map_ok(struct worker *w, const struct tmap *m, const char *when)
{
	for (unsigned int k = 0; k < m->nchunks; k++) {
		const struct dma_chunk *c = &m->chunk[k];
		char why[160];

		CHECK(w, c->iova >= w->s->rig.start_dma);
		CHECK(w, c->iova + c->pages * PAGE - 1 <= w->s->rig.end_dma);
		if (!dma_chunk_bad_page(&w->s->rig, c, why, sizeof(why)))
			continue;
		worker_fail(w, __LINE__, "chunk translates");
		snprintf(w->fail_msg, sizeof(w->fail_msg), "%s: %s", when, why);
		return false;
	}
	return true;
}

static bool overlaps(const struct dma_chunk *a, const struct dma_chunk *b)
{
	return a->iova < b->iova + b->pages * PAGE && b->iova < a->iova + a->pages * PAGE;
}

/* A new mapping against the thread's others, and its chunks against each other. */
static bool new_map_disjoint(struct worker *w, const struct tmap *m)
{
	for (unsigned int k = 0; k < m->nchunks; k++) {
		for (unsigned int j = k + 1; j < m->nchunks; j++)
			CHECK(w, !overlaps(&m->chunk[k], &m->chunk[j]));
		for (unsigned int i = 0; i < w->nlive; i++)
			for (unsigned int j = 0; j < w->live[i].nchunks; j++)
				CHECK(w, !overlaps(&m->chunk[k], &w->live[i].chunk[j]));
	}
	return true;
}

/*
 * The chunks of a map, from the layout rules of dma-iommu and of the legacy ops
 * (sources.md S17, S19).
 */
static bool layout(struct worker *w, struct tmap *m, const struct iommusim_sg *orig,
		   unsigned int count)
{
	int prot = dma_dir_prot(m->dir);

	if (!m->sg_list) {
		CHECK(w, (m->dma & PAGE_LOW) == (m->phys & PAGE_LOW));
		m->nchunks = 1;
		m->pages = dma_pages_of(m->phys, m->size);
		m->chunk[0] = (struct dma_chunk){ m->dma & ~PAGE_LOW, m->pages, m->phys & ~PAGE_LOW,
					      prot };
		m->runs = 1;
		return true;
	}
	m->nchunks = m->nents;
	m->pages = 0;
	if (!w->s->rig.legacy) {
		/* one IOVA range, element after element, each from the start of its page */
		uint64_t cur = m->sg[0].dma_address - (orig[0].phys & PAGE_LOW);

		CHECK(w, count >= 1 && count <= m->nents);
		for (unsigned int i = 0; i < m->nents; i++) {
			uint64_t pages = dma_pages_of(orig[i].phys, orig[i].length);

			CHECK(w, m->sg[i].phys == orig[i].phys);
			CHECK(w, m->sg[i].length == orig[i].length);
			m->chunk[i] =
				(struct dma_chunk){cur, pages, orig[i].phys & ~PAGE_LOW, prot};
			cur += pages * PAGE;
			m->pages += pages;
		}
		m->runs = 1;
		return true;
	}
	/* legacy: runs of elements, one DMA range each; the output segments give their bases */
	{
		uint64_t off = orig[0].phys & PAGE_LOW, size = off + orig[0].length;
		uint64_t cur = m->sg[0].dma_address & ~PAGE_LOW, first_off = off;
		unsigned int run = 0;

		CHECK(w, count >= 1 && count <= m->nents);
		for (unsigned int i = 0; i < m->nents; i++) {
			off = orig[i].phys & PAGE_LOW;
			if (i > 0) {
				if (off || (size & PAGE_LOW) || size + orig[i].length > MAX_SEG) {
					CHECK(w, m->sg[run].dma_address % PAGE == first_off);
					CHECK(w, m->sg[run].dma_length == size - first_off);
					m->pages += dma_page_align(size) / PAGE;
					run++;
					CHECK(w, run < count);
					cur = m->sg[run].dma_address & ~PAGE_LOW;
					size = first_off = off;
				}
				size += orig[i].length;
			}
			/* inside a run every element but the first starts on a page */
			m->chunk[i] = (struct dma_chunk){ cur & ~PAGE_LOW,
						      dma_pages_of(off, orig[i].length),
						      orig[i].phys & ~PAGE_LOW, prot };
			cur += off + orig[i].length;
		}
		CHECK(w, m->sg[run].dma_address % PAGE == first_off);
		CHECK(w, m->sg[run].dma_length == size - first_off);
		m->pages += dma_page_align(size) / PAGE;
		CHECK(w, run + 1 == count);
		m->runs = count;
	}
	return true;
}

static void flush_queues(struct worker *w)
{
	iommusim_dma_iommu_flush_queue(w->s->rig.dev, w->s->rig.cpu[w->id]);
	w->flush_calls++;
}

static bool op_map(struct worker *w)
{
	/* buffers from 16 GiB of pages in this thread's own 64 GiB slice */
	uint64_t base = (uint64_t)(w->id + 1) << 36;
	struct shared *s = w->s;
	struct iommusim_cpu *cpu = s->rig.cpu[w->id];
	struct tmap *m = &w->live[w->nlive];
	struct iommusim_sg orig[MAX_SG] = { 0 };
	unsigned int count = 0, tries = 0;
	uint64_t bytes = 0;
	int ret;

	memset(m, 0, sizeof(*m));
	m->sg_list = below(w, 100) < 35;
	m->dir = dma_rand_dir(&w->rng);
	if (!m->sg_list) {
		m->phys = dma_rand_phys(&w->rng, base) + (below(w, 2) ? below(w, PAGE) : 0);
		m->size = dma_rand_len(&w->rng, 16);
		bytes = m->size;
	} else {
		m->nents = dma_rand_sg(&w->rng, m->sg, MAX_SG, base);
		for (unsigned int i = 0; i < m->nents; i++)
			bytes += m->sg[i].length;
		memcpy(orig, m->sg, sizeof(orig));
	}

	for (;;) {
		if (m->sg_list)
			ret = iommusim_dma_map_sg(s->rig.dev, cpu, m->sg, m->nents, m->dir, &count);
		else
			ret = iommusim_dma_map_page(s->rig.dev, cpu, m->phys, m->size, m->dir,
						    &m->dma);
		if (!ret)
			break;
		/* Only a window full of queued or cached IOVAs refuses a map; flush and retry. */
		CHECK(w, ret == -ENOMEM);
		w->failures++;
		CHECK(w, ++tries <= MAX_RETRIES);
		if (m->sg_list)
			for (unsigned int i = 0; i < m->nents; i++)
				CHECK(w, m->sg[i].phys == orig[i].phys &&
						 m->sg[i].length == orig[i].length);
		if (!s->rig.legacy)
			flush_queues(w);
	}
	if (!layout(w, m, orig, count) || !new_map_disjoint(w, m) ||
	    !map_ok(w, m, "just mapped"))
		return false;
	w->maps++;
	w->mapped_bytes += bytes;
	w->mapped_pages += m->pages;
	w->runs_mapped += m->runs;
	w->nlive++;
	return true;
}

static void unmap_one(struct shared *s, struct iommusim_cpu *cpu, struct tmap *m)
{
	if (m->sg_list)
		iommusim_dma_unmap_sg(s->rig.dev, cpu, m->sg, m->nents, m->dir);
	else
		iommusim_dma_unmap_page(s->rig.dev, cpu, m->dma, m->size, m->dir);
}

static void op_unmap(struct worker *w)
{
	unsigned int idx = (unsigned int)below(w, w->nlive);
	struct tmap m = w->live[idx];

	w->live[idx] = w->live[--w->nlive];
	unmap_one(w->s, w->s->rig.cpu[w->id], &m);
	w->unmaps++;
	w->unmapped_pages += m.pages;
	w->runs_unmapped += m.runs;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;

	for (uint64_t op = 0; op < s->ops && !atomic_load(&s->stop); op++) {
		if (!s->rig.legacy && below(w, FLUSH_ONE_IN) == 0) {
			flush_queues(w);
		} else if (w->nlive == MAX_LIVE || (w->nlive && below(w, 100) < 45)) {
			op_unmap(w);
		} else if (!op_map(w)) {
			break;
		}
		if (op % CHECK_EVERY == 0)
			for (unsigned int i = 0; i < w->nlive; i++)
				if (!map_ok(w, &w->live[i], "mapped earlier"))
					return NULL;
		w->ops_done++;
	}
	return NULL;
}

/* ---------------------------------------------------------------------------------------- */

static void setup(struct shared *s, const struct policy_test *pt)
{
	struct zpci_rig_config cfg = {
		.policy = pt->c->policy,
		.ncpu = NTHREADS,
		.default_mem = true,
		/* LPAR: the null platform; a paging guest: the scripted one, logging every call */
		.null_firmware = !pt->paging,
		.zpci = { .fh = FH, .tlb_refresh = pt->paging },
		.dma = { .fq_size = pt->c->fq_size, .forcedac = true },
	};

	memset(s, 0, sizeof(*s));
	s->ops = scaled(THREAD_OPS);
	/* small windows: queues and wraps matter (legacy: a few hundred wraps) */
	cfg.zpci.guest_memory = zpci_rig_policy_legacy(pt->c->policy) ? 32 * MiB : 64 * MiB;
	atomic_init(&s->stop, false);

	assert_int_equal(zpci_rig_up(&s->rig, &cfg), 0);
	/* The log is compared with the RPCIT count: drop the setup's table registration. */
	iommusim_firmware_script_log_clear(s->rig.fw);
}

/* Every live chunk of every thread translates; sorted, no two overlap. */
static void check_all_live(struct shared *s, struct worker *w)
{
	static struct dma_chunk all[NTHREADS * MAX_LIVE * MAX_SG];
	unsigned int n = 0;

	for (unsigned int t = 0; t < NTHREADS; t++)
		for (unsigned int i = 0; i < w[t].nlive; i++)
			for (unsigned int k = 0; k < w[t].live[i].nchunks; k++)
				all[n++] = w[t].live[i].chunk[k];
	qsort(all, n, sizeof(all[0]), dma_chunk_cmp);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(dma_chunk_bad_page(&s->rig, &all[i], NULL, 0), 0);
		if (i + 1 < n)
			assert_true(all[i].iova + all[i].pages * PAGE <= all[i + 1].iova);
	}
}

/* RPCITs the firmware saw: the scripted platform's log, or the null platform's count. */
static uint64_t rpcits_seen(struct shared *s)
{
	struct iommusim_firmware_stats st;

	iommusim_firmware_get_stats(s->rig.fw, &st);
	assert_int_equal(st.rpcit_calls, st.rpcit_cc[0]);
	if (s->rig.tlb_refresh)
		assert_int_equal(iommusim_firmware_script_log_len(s->rig.fw), st.rpcit_calls);
	return st.rpcit_calls;
}

/* The counters against the sums of the threads' models. */
static void check_counters(struct shared *s, struct worker *w, uint64_t main_flushes)
{
	uint64_t maps = 0, unmaps = 0, failures = 0, bytes = 0, mapped = 0, unmapped = 0;
	uint64_t runs_mapped = 0, runs_unmapped = 0, flushes = main_flushes;
	uint64_t rig_mapped = 0, rig_unmapped = 0;
	struct iommusim_dma_stats st;

	for (unsigned int t = 0; t < NTHREADS; t++) {
		maps += w[t].maps;
		unmaps += w[t].unmaps;
		failures += w[t].failures;
		bytes += w[t].mapped_bytes;
		mapped += w[t].mapped_pages;
		unmapped += w[t].unmapped_pages;
		runs_mapped += w[t].runs_mapped;
		runs_unmapped += w[t].runs_unmapped;
		flushes += w[t].flush_calls;
	}
	iommusim_dma_get_stats(s->rig.dev, &st);
	EXPECT_FIELDS(&st, DMA_STATS(maps, maps), DMA_STATS(unmaps, unmaps),
		      DMA_STATS(map_failures, failures), DMA_STATS(mapped_bytes, bytes));
	assert_int_equal(zpci_rig_pages(&s->rig, &rig_mapped, &rig_unmapped), 0);
	assert_int_equal(rig_mapped, mapped);
	assert_int_equal(rig_unmapped, unmapped);

	if (s->rig.legacy) {
		struct iommusim_s390_legacy_counters c;

		assert_int_equal(iommusim_s390_legacy_counters(s->rig.dev, &c), 0);
		EXPECT_FIELDS(&c, LEGACY_CTR(map_rpcits, s->rig.tlb_refresh ? runs_mapped : 0),
			      LEGACY_CTR(unmap_rpcits, s->rig.lazy ? 0 : runs_unmapped),
			      LEGACY_CTR(global_rpcits, s->rig.lazy ? c.wraps : 0),
			      LEGACY_CTR(enomem_purges, 0));
		assert_int_equal(rpcits_seen(s), c.map_rpcits + c.unmap_rpcits + c.global_rpcits);
		/* the legacy ops fail only when even a wrap finds no room */
		assert_int_equal(failures, 0);
	} else {
		struct iommusim_s390_counters c;

		assert_int_equal(iommusim_s390_domain_counters(s->rig.domain, &c), 0);
		EXPECT_FIELDS(&c, S390_CTR(sync_map_rpcits, s->rig.tlb_refresh ? maps : 0),
			      S390_CTR(sync_rpcits, s->rig.lazy ? 0 : unmaps),
			      S390_CTR(global_rpcits, st.fq_flushes),
			      S390_CTR(enomem_global_rpcits, 0), S390_CTR(rpcit_errors, 0));
		assert_int_equal(rpcits_seen(s), c.sync_map_rpcits + c.sync_rpcits +
							 c.global_rpcits + c.enomem_global_rpcits);
		assert_int_equal(st.fq_entries, s->rig.lazy ? unmaps : 0);
		/* no tick while the threads ran: every flush is a full one or an explicit one */
		assert_int_equal(st.fq_flushes,
				 s->rig.lazy ? st.fq_full_flushes + st.fq_timer_flushes + flushes
					     : 0);
		if (!s->rig.lazy)
			assert_int_equal(failures, 0);
	}
}

static void test_dma_threads(void **state)
{
	const struct policy_test *pt = *state;
	unsigned int pol = (unsigned int)(pt->c - policy_cases_s390);
	struct shared s;
	static struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	struct iommusim_dma_stats st;
	uint64_t main_flushes = 0;

	setup(&s, pt);
	for (unsigned int t = 0; t < NTHREADS; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].s = &s;
		w[t].id = t;
		w[t].rng = test_rng(0xd3a7000u + (uint64_t)pol * 64 + pt->paging * 16 + t);
	}
	for (unsigned int t = 0; t < NTHREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, worker_main, &w[t]), 0);
	for (unsigned int t = 0; t < NTHREADS; t++)
		assert_int_equal(pthread_join(th[t], NULL), 0);
	/* a failed check stops every thread: report it before the counts it cut short */
	for (unsigned int t = 0; t < NTHREADS; t++)
		if (w[t].fail_line)
			fail_msg("thread %u: check at line %d failed: %s", t, w[t].fail_line,
				 w[t].fail_msg);
	for (unsigned int t = 0; t < NTHREADS; t++)
		assert_int_equal(w[t].ops_done, s.ops);

	check_all_live(&s, w);
	check_counters(&s, w, 0);
	iommusim_dma_get_stats(s.rig.dev, &st);
	print_message("%s %s: %lu maps, %lu -ENOMEM, %lu fq flushes (%lu full)\n",
		      pt->c->name, pt->paging ? "paging guest" : "LPAR",
		      (unsigned long)st.maps, (unsigned long)st.map_failures,
		      (unsigned long)st.fq_flushes, (unsigned long)st.fq_full_flushes);

	/* The timer armed by the first queued entry has waited for a tick all along. */
	if (!s.rig.legacy && s.rig.lazy) {
		assert_int_equal(st.fq_timer_flushes, 0);
		iommusim_manual_clock_tick(s.rig.clock);
		iommusim_dma_get_stats(s.rig.dev, &st);
		assert_int_equal(st.fq_timer_flushes, 1);
	}

	/* Unmap everything on the owners' CPU handles, flush, and nothing translates. */
	for (unsigned int t = 0; t < NTHREADS; t++) {
		for (unsigned int i = 0; i < w[t].nlive; i++) {
			struct tmap *m = &w[t].live[i];

			unmap_one(&s, s.rig.cpu[t], m);
			w[t].unmaps++;
			w[t].unmapped_pages += m->pages;
			w[t].runs_unmapped += m->runs;
			for (unsigned int k = 0; k < m->nchunks; k++)
				for (uint64_t p = 0; p < m->chunk[k].pages; p++)
					assert_int_equal(
						zpci_rig_translate(&s.rig,
								   m->chunk[k].iova + p * PAGE,
								   NULL, NULL),
						-EFAULT);
		}
		w[t].nlive = 0;
	}
	if (!s.rig.legacy) {
		iommusim_dma_iommu_flush_queue(s.rig.dev, s.rig.cpu[0]);
		main_flushes++;
	}
	check_counters(&s, w, main_flushes);
	for (uint64_t a = s.rig.start_dma; a < s.rig.end_dma; a += PAGE)
		assert_int_equal(zpci_rig_translate(&s.rig, a, NULL, NULL), -EFAULT);

	assert_int_equal(zpci_rig_down(&s.rig).objects, 0);
}

int main(void)
{
	return policy_matrix_run("dma_threads", "test_dma_threads", policy_cases_s390,
				 sizeof(policy_cases_s390) / sizeof(policy_cases_s390[0]),
				 test_dma_threads);
}
