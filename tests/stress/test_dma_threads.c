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

enum policy { POL_STRICT, POL_FQ_PERCPU, POL_FQ_SINGLE, POL_LEGACY_LAZY, POL_LEGACY_STRICT };

static const char *const policy_name[] = {
	"strict", "fq-percpu", "fq-single", "legacy-lazy", "legacy-strict",
};

struct chunk {
	uint64_t iova;
	uint64_t pages;
	uint64_t phys;
	int prot;
};

struct tmap {
	bool sg_list;
	enum iommusim_dma_dir dir;
	uint64_t phys;
	uint64_t size;
	uint64_t dma;
	unsigned int nents;
	struct iommusim_sg sg[MAX_SG];
	unsigned int nchunks;
	struct chunk chunk[MAX_SG];
	/* pages mapped; legacy: runs (output segments) */
	uint64_t pages;
	unsigned int runs;
};

struct shared {
	enum policy pol;
	bool tlb_refresh;
	bool legacy;
	bool lazy;
	struct iommusim_mem *mem;
	struct iommusim_firmware *fw;
	struct iommusim_clock *clock;
	struct iommusim_domain *domain;
	struct iommusim_device *dev;
	struct iommusim_cpu *cpu[NTHREADS];
	uint64_t start_dma;
	uint64_t end_dma;
	uint64_t ops;
	atomic_bool stop;
};

struct worker {
	struct shared *s;
	unsigned int id;
	uint64_t rng;
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

/* splitmix64: the same sequence on every libc. */
static uint64_t rnd(struct worker *w)
{
	uint64_t z = (w->rng += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t below(struct worker *w, uint64_t n)
{
	return rnd(w) % n;
}

static double stress_scale(void)
{
	const char *s = getenv("IOMMUSIM_STRESS_SCALE");
	double f;

	if (!s || !*s)
		return 1.0;
	f = strtod(s, NULL);
	if (!(f > 0.0))
		return 1.0;
	return f > 100.0 ? 100.0 : f;
}

static uint64_t scaled(uint64_t n)
{
	uint64_t v = (uint64_t)((double)n * stress_scale());

	return v ? v : 1;
}

static uint64_t page_align(uint64_t x)
{
	return (x + PAGE_LOW) & ~PAGE_LOW;
}

static uint64_t pages_of(uint64_t addr, uint64_t len)
{
	return page_align((addr & PAGE_LOW) + len) / PAGE;
}

static int dir_prot(enum iommusim_dma_dir dir)
{
	/* s390 has no write-only PTE: only TO_DEVICE is read-only */
	return dir == IOMMUSIM_DMA_TO_DEVICE ? IOMMUSIM_PROT_READ
					     : IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE;
}

static int translate(struct shared *s, uint64_t iova, uint64_t *phys, int *prot)
{
	if (s->legacy)
		return iommusim_s390_legacy_translate(s->dev, iova, phys, prot);
	return iommusim_iommu_translate(s->domain, iova, phys, prot);
}

/* Return: 0 if @c translates as it should, else the IOVA of the first wrong page. */
static uint64_t chunk_bad_page(struct shared *s, const struct chunk *c)
{
	for (uint64_t i = 0; i < c->pages; i++) {
		uint64_t phys = ~0ull;
		int prot = -1;

		if (translate(s, c->iova + i * PAGE, &phys, &prot) || phys != c->phys + i * PAGE ||
		    prot != c->prot)
			return c->iova + i * PAGE;
	}
	return 0;
}

static bool chunk_ok(struct shared *s, const struct chunk *c)
{
	return chunk_bad_page(s, c) == 0;
}

/* @when says whether the map has just returned or the mapping was made earlier. */
static bool map_ok(struct worker *w, const struct tmap *m, const char *when)
{
	for (unsigned int k = 0; k < m->nchunks; k++) {
		const struct chunk *c = &m->chunk[k];
		uint64_t bad, phys = 0;
		int prot = 0, ret;

		CHECK(w, c->iova >= w->s->start_dma);
		CHECK(w, c->iova + c->pages * PAGE - 1 <= w->s->end_dma);
		bad = chunk_bad_page(w->s, c);
		if (!bad)
			continue;
		/* Say what the device saw, for the report. */
		ret = translate(w->s, bad, &phys, &prot);
		worker_fail(w, __LINE__, "chunk translates");
		snprintf(w->fail_msg, sizeof(w->fail_msg),
			 "%s: IOVA %#llx translates %d, phys %#llx prot %d; want %#llx prot %d",
			 when, (unsigned long long)bad, ret, (unsigned long long)phys, prot,
			 (unsigned long long)(c->phys + (bad - c->iova)), c->prot);
		return false;
	}
	return true;
}

static bool overlaps(const struct chunk *a, const struct chunk *b)
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

/* The chunks of a map, from the layout rules of dma-iommu and of the legacy ops (sources.md S17, S19). */
static bool layout(struct worker *w, struct tmap *m, const struct iommusim_sg *orig,
		   unsigned int count)
{
	int prot = dir_prot(m->dir);

	if (!m->sg_list) {
		CHECK(w, (m->dma & PAGE_LOW) == (m->phys & PAGE_LOW));
		m->nchunks = 1;
		m->pages = pages_of(m->phys, m->size);
		m->chunk[0] = (struct chunk){ m->dma & ~PAGE_LOW, m->pages, m->phys & ~PAGE_LOW,
					      prot };
		m->runs = 1;
		return true;
	}
	m->nchunks = m->nents;
	m->pages = 0;
	if (!w->s->legacy) {
		/* one IOVA range, element after element, each from the start of its page */
		uint64_t cur = m->sg[0].dma_address - (orig[0].phys & PAGE_LOW);

		CHECK(w, count >= 1 && count <= m->nents);
		for (unsigned int i = 0; i < m->nents; i++) {
			uint64_t pages = pages_of(orig[i].phys, orig[i].length);

			CHECK(w, m->sg[i].phys == orig[i].phys);
			CHECK(w, m->sg[i].length == orig[i].length);
			m->chunk[i] = (struct chunk){ cur, pages, orig[i].phys & ~PAGE_LOW, prot };
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
					m->pages += page_align(size) / PAGE;
					run++;
					CHECK(w, run < count);
					cur = m->sg[run].dma_address & ~PAGE_LOW;
					size = first_off = off;
				}
				size += orig[i].length;
			}
			/* inside a run every element but the first starts on a page */
			m->chunk[i] = (struct chunk){ cur & ~PAGE_LOW,
						      pages_of(off, orig[i].length),
						      orig[i].phys & ~PAGE_LOW, prot };
			cur += off + orig[i].length;
		}
		CHECK(w, m->sg[run].dma_address % PAGE == first_off);
		CHECK(w, m->sg[run].dma_length == size - first_off);
		m->pages += page_align(size) / PAGE;
		CHECK(w, run + 1 == count);
		m->runs = count;
	}
	return true;
}

static uint64_t rand_len(struct worker *w, unsigned int max_pages)
{
	return below(w, max_pages) * PAGE + 1 + below(w, PAGE);
}

static uint64_t rand_phys(struct worker *w)
{
	/* 16 GiB of pages in this thread's own 64 GiB slice */
	return ((uint64_t)(w->id + 1) << 36) + below(w, 1ull << 22) * PAGE;
}

static void flush_queues(struct worker *w)
{
	iommusim_dma_iommu_flush_queue(w->s->dev, w->s->cpu[w->id]);
	w->flush_calls++;
}

static bool op_map(struct worker *w)
{
	static const enum iommusim_dma_dir dirs[] = { IOMMUSIM_DMA_BIDIRECTIONAL,
						      IOMMUSIM_DMA_TO_DEVICE,
						      IOMMUSIM_DMA_FROM_DEVICE };
	struct shared *s = w->s;
	struct iommusim_cpu *cpu = s->cpu[w->id];
	struct tmap *m = &w->live[w->nlive];
	struct iommusim_sg orig[MAX_SG] = { 0 };
	unsigned int count = 0, tries = 0;
	uint64_t bytes = 0;
	int ret;

	memset(m, 0, sizeof(*m));
	m->sg_list = below(w, 100) < 35;
	m->dir = dirs[below(w, 3)];
	if (!m->sg_list) {
		m->phys = rand_phys(w) + (below(w, 2) ? below(w, PAGE) : 0);
		m->size = rand_len(w, 16);
		bytes = m->size;
	} else {
		m->nents = 2 + (unsigned int)below(w, MAX_SG - 1);
		for (unsigned int i = 0; i < m->nents; i++) {
			struct iommusim_sg *e = &m->sg[i];
			unsigned int style = (unsigned int)below(w, 3);

			if (i > 0 && style == 2) {
				e->phys = m->sg[i - 1].phys + m->sg[i - 1].length;
				e->length = rand_len(w, 4);
			} else if (style == 0) {
				e->phys = rand_phys(w);
				e->length = (1 + below(w, 4)) * PAGE;
			} else {
				e->phys = rand_phys(w) + below(w, PAGE);
				e->length = rand_len(w, 4);
			}
			bytes += e->length;
		}
		memcpy(orig, m->sg, sizeof(orig));
	}

	for (;;) {
		if (m->sg_list)
			ret = iommusim_dma_map_sg(s->dev, cpu, m->sg, m->nents, m->dir, &count);
		else
			ret = iommusim_dma_map_page(s->dev, cpu, m->phys, m->size, m->dir, &m->dma);
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
		if (!s->legacy)
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
		iommusim_dma_unmap_sg(s->dev, cpu, m->sg, m->nents, m->dir);
	else
		iommusim_dma_unmap_page(s->dev, cpu, m->dma, m->size, m->dir);
}

static void op_unmap(struct worker *w)
{
	unsigned int idx = (unsigned int)below(w, w->nlive);
	struct tmap m = w->live[idx];

	w->live[idx] = w->live[--w->nlive];
	unmap_one(w->s, w->s->cpu[w->id], &m);
	w->unmaps++;
	w->unmapped_pages += m.pages;
	w->runs_unmapped += m.runs;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;

	for (uint64_t op = 0; op < s->ops && !atomic_load(&s->stop); op++) {
		if (!s->legacy && below(w, FLUSH_ONE_IN) == 0) {
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

static void setup(struct shared *s, enum policy pol, bool tlb_refresh)
{
	struct iommusim_device_config dcfg = {
		.name = "nvme",
		.pci = true,
		.dma_mask = IOMMUSIM_DMA_BIT_MASK(64),
		.coherent_dma_mask = IOMMUSIM_DMA_BIT_MASK(64),
	};
	struct iommusim_zpci_config zcfg = {
		.fh = FH,
		.tlb_refresh = tlb_refresh,
		.start_dma = IOMMUSIM_ZPCI_QEMU_START_DMA,
		.end_dma = IOMMUSIM_ZPCI_QEMU_END_DMA,
	};

	memset(s, 0, sizeof(*s));
	s->pol = pol;
	s->tlb_refresh = tlb_refresh;
	s->legacy = pol == POL_LEGACY_LAZY || pol == POL_LEGACY_STRICT;
	s->lazy = pol != POL_STRICT && pol != POL_LEGACY_STRICT;
	s->ops = scaled(THREAD_OPS);
	/* small windows: queues and wraps matter (legacy: a few hundred wraps) */
	zcfg.guest_memory = s->legacy ? 32 * MiB : 64 * MiB;
	atomic_init(&s->stop, false);

	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &s->mem), 0);
	/* the null platform on LPAR, the scripted one (logging every call) on a paging guest */
	if (tlb_refresh)
		assert_int_equal(iommusim_firmware_create_script(s->mem, &s->fw), 0);
	else
		assert_int_equal(iommusim_firmware_create_null(s->mem, &s->fw), 0);
	assert_int_equal(iommusim_manual_clock_create(s->mem, &s->clock), 0);
	for (unsigned int i = 0; i < NTHREADS; i++)
		assert_int_equal(iommusim_cpu_create(s->mem, i, &s->cpu[i]), 0);
	assert_int_equal(iommusim_device_create(s->mem, &dcfg, &s->dev), 0);
	assert_int_equal(iommusim_s390_device_init(s->dev, s->fw, &zcfg), 0);
	assert_int_equal(iommusim_s390_device_window(s->dev, &s->start_dma, &s->end_dma), 0);
	if (s->legacy) {
		struct iommusim_s390_legacy_config lcfg = { .strict = pol == POL_LEGACY_STRICT };

		assert_int_equal(iommusim_s390_legacy_dma_setup(s->dev, &lcfg), 0);
	} else {
		struct iommusim_dma_iommu_config cfg = {
			.mode = pol == POL_STRICT ? IOMMUSIM_DMA_STRICT : IOMMUSIM_DMA_LAZY,
			.fq_type = pol == POL_FQ_SINGLE ? IOMMUSIM_FQ_SINGLE : IOMMUSIM_FQ_PER_CPU,
			.forcedac = true,
			.possible_cpus = NTHREADS,
			.clock = s->clock,
		};

		assert_int_equal(iommusim_s390_domain_create(s->mem, IOMMUSIM_KERNEL_6_7,
							     &s->domain), 0);
		assert_int_equal(iommusim_dma_iommu_setup(s->dev, s->domain, &cfg), 0);
	}
	/* The log is compared with the RPCIT count: drop the setup's table registration. */
	iommusim_firmware_script_log_clear(s->fw);
}

static int chunk_cmp(const void *a, const void *b)
{
	const struct chunk *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/* Every live chunk of every thread translates; sorted, no two overlap. */
static void check_all_live(struct shared *s, struct worker *w)
{
	static struct chunk all[NTHREADS * MAX_LIVE * MAX_SG];
	unsigned int n = 0;

	for (unsigned int t = 0; t < NTHREADS; t++)
		for (unsigned int i = 0; i < w[t].nlive; i++)
			for (unsigned int k = 0; k < w[t].live[i].nchunks; k++)
				all[n++] = w[t].live[i].chunk[k];
	qsort(all, n, sizeof(all[0]), chunk_cmp);
	for (unsigned int i = 0; i < n; i++) {
		assert_true(chunk_ok(s, &all[i]));
		if (i + 1 < n)
			assert_true(all[i].iova + all[i].pages * PAGE <= all[i + 1].iova);
	}
}

/* RPCITs the firmware saw: the scripted platform's log, or the null platform's count. */
static uint64_t rpcits_seen(struct shared *s)
{
	struct iommusim_firmware_stats st;

	iommusim_firmware_get_stats(s->fw, &st);
	assert_int_equal(st.rpcit_calls, st.rpcit_cc[0]);
	if (s->tlb_refresh)
		assert_int_equal(iommusim_firmware_script_log_len(s->fw), st.rpcit_calls);
	return st.rpcit_calls;
}

/* The counters against the sums of the threads' models. */
static void check_counters(struct shared *s, struct worker *w, uint64_t main_flushes)
{
	uint64_t maps = 0, unmaps = 0, failures = 0, bytes = 0, mapped = 0, unmapped = 0;
	uint64_t runs_mapped = 0, runs_unmapped = 0, flushes = main_flushes;
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
	iommusim_dma_get_stats(s->dev, &st);
	assert_int_equal(st.maps, maps);
	assert_int_equal(st.unmaps, unmaps);
	assert_int_equal(st.map_failures, failures);
	assert_int_equal(st.mapped_bytes, bytes);

	if (s->legacy) {
		struct iommusim_s390_legacy_counters c;

		assert_int_equal(iommusim_s390_legacy_counters(s->dev, &c), 0);
		assert_int_equal(c.mapped_pages, mapped);
		assert_int_equal(c.unmapped_pages, unmapped);
		assert_int_equal(c.map_rpcits, s->tlb_refresh ? runs_mapped : 0);
		assert_int_equal(c.unmap_rpcits, s->lazy ? 0 : runs_unmapped);
		assert_int_equal(c.global_rpcits, s->lazy ? c.wraps : 0);
		assert_int_equal(c.enomem_purges, 0);
		assert_int_equal(rpcits_seen(s), c.map_rpcits + c.unmap_rpcits + c.global_rpcits);
		/* the legacy ops fail only when even a wrap finds no room */
		assert_int_equal(failures, 0);
	} else {
		struct iommusim_s390_counters c;

		assert_int_equal(iommusim_s390_domain_counters(s->domain, &c), 0);
		assert_int_equal(c.mapped_pages, mapped);
		assert_int_equal(c.unmapped_pages, unmapped);
		assert_int_equal(c.sync_map_rpcits, s->tlb_refresh ? maps : 0);
		assert_int_equal(c.sync_rpcits, s->lazy ? 0 : unmaps);
		assert_int_equal(c.global_rpcits, st.fq_flushes);
		assert_int_equal(c.enomem_global_rpcits, 0);
		assert_int_equal(c.rpcit_errors, 0);
		assert_int_equal(rpcits_seen(s), c.sync_map_rpcits + c.sync_rpcits +
							 c.global_rpcits + c.enomem_global_rpcits);
		assert_int_equal(st.fq_entries, s->lazy ? unmaps : 0);
		/* no tick while the threads ran: every flush is a full one or an explicit one */
		assert_int_equal(st.fq_flushes, s->lazy ? st.fq_full_flushes + st.fq_timer_flushes +
								  flushes
							: 0);
		if (!s->lazy)
			assert_int_equal(failures, 0);
	}
}

static void run_policy(enum policy pol, bool tlb_refresh)
{
	struct shared s;
	static struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	struct iommusim_dma_stats st;
	uint64_t main_flushes = 0;

	setup(&s, pol, tlb_refresh);
	for (unsigned int t = 0; t < NTHREADS; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].s = &s;
		w[t].id = t;
		w[t].rng = 0xd3a7000u + (uint64_t)pol * 64 + tlb_refresh * 16 + t;
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
	iommusim_dma_get_stats(s.dev, &st);
	print_message("%s %s: %lu maps, %lu -ENOMEM, %lu fq flushes (%lu full)\n",
		      policy_name[pol], tlb_refresh ? "paging guest" : "LPAR",
		      (unsigned long)st.maps, (unsigned long)st.map_failures,
		      (unsigned long)st.fq_flushes, (unsigned long)st.fq_full_flushes);

	/* The timer armed by the first queued entry has waited for a tick all along. */
	if (!s.legacy && s.lazy) {
		assert_int_equal(st.fq_timer_flushes, 0);
		iommusim_manual_clock_tick(s.clock);
		iommusim_dma_get_stats(s.dev, &st);
		assert_int_equal(st.fq_timer_flushes, 1);
	}

	/* Unmap everything on the owners' CPU handles, flush, and nothing translates. */
	for (unsigned int t = 0; t < NTHREADS; t++) {
		for (unsigned int i = 0; i < w[t].nlive; i++) {
			struct tmap *m = &w[t].live[i];

			unmap_one(&s, s.cpu[t], m);
			w[t].unmaps++;
			w[t].unmapped_pages += m->pages;
			w[t].runs_unmapped += m->runs;
			for (unsigned int k = 0; k < m->nchunks; k++)
				for (uint64_t p = 0; p < m->chunk[k].pages; p++)
					assert_int_equal(translate(&s, m->chunk[k].iova + p * PAGE,
								   NULL, NULL),
							 -EFAULT);
		}
		w[t].nlive = 0;
	}
	if (!s.legacy) {
		iommusim_dma_iommu_flush_queue(s.dev, s.cpu[0]);
		main_flushes++;
	}
	check_counters(&s, w, main_flushes);
	for (uint64_t a = s.start_dma; a < s.end_dma; a += PAGE)
		assert_int_equal(translate(&s, a, NULL, NULL), -EFAULT);

	iommusim_device_destroy(s.dev);
	iommusim_domain_destroy(s.domain);
	for (unsigned int i = 0; i < NTHREADS; i++)
		iommusim_cpu_destroy(s.cpu[i]);
	iommusim_firmware_destroy(s.fw);
	iommusim_clock_destroy(s.clock);
	assert_int_equal(iommusim_mem_live_objects(s.mem), 0);
	iommusim_mem_destroy(s.mem);
}

#define POLICY_TESTS(name, pol)                                                                 \
	static void test_dma_threads_##name##_lpar(void **state)                              \
	{                                                                                       \
		(void)state;                                                                    \
		run_policy(pol, false);                                                         \
	}                                                                                       \
	static void test_dma_threads_##name##_paging(void **state)                            \
	{                                                                                       \
		(void)state;                                                                    \
		run_policy(pol, true);                                                          \
	}

POLICY_TESTS(strict, POL_STRICT)
POLICY_TESTS(fq_percpu, POL_FQ_PERCPU)
POLICY_TESTS(fq_single, POL_FQ_SINGLE)
POLICY_TESTS(legacy_lazy, POL_LEGACY_LAZY)
POLICY_TESTS(legacy_strict, POL_LEGACY_STRICT)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dma_threads_strict_lpar),
		cmocka_unit_test(test_dma_threads_strict_paging),
		cmocka_unit_test(test_dma_threads_fq_percpu_lpar),
		cmocka_unit_test(test_dma_threads_fq_percpu_paging),
		cmocka_unit_test(test_dma_threads_fq_single_lpar),
		cmocka_unit_test(test_dma_threads_fq_single_paging),
		cmocka_unit_test(test_dma_threads_legacy_lazy_lpar),
		cmocka_unit_test(test_dma_threads_legacy_lazy_paging),
		cmocka_unit_test(test_dma_threads_legacy_strict_lpar),
		cmocka_unit_test(test_dma_threads_legacy_strict_paging),
	};

	return cmocka_run_group_tests_name("dma_threads", tests, NULL, NULL);
}
