/* SPDX-License-Identifier: MIT */
/*
 * The worker threads of the threaded DMA stress test (test_dma_threads.c): each one a CPU with
 * its own seeded stream of maps and unmaps and its own model of what it has mapped, checking
 * every mapping it touches (translation, disjointness, the segment layout of a mapped list)
 * and recording a failure so that every thread stops.
 *
 * IOMMUSIM_STRESS_SCALE (a factor, default 1) shrinks or stretches the op counts.
 */
#ifndef TESTS_STRESS_DMA_THREADS_WORKER_H
#define TESTS_STRESS_DMA_THREADS_WORKER_H

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

#define PAGE	 4096ull
#define PAGE_LOW (PAGE - 1)
#define MiB	 (1ull << 20)
#define FH	 0x00c0ffeeu
#define NTHREADS 4
/* Ops per thread at scale 1. */
#define THREAD_OPS 40000
#define MAX_LIVE   16
#define MAX_SG	   8
#define MAX_SEG	   65536ull
#define SEG_MASK   0xffffffffull
/* A thread checks all its live mappings every this many ops (the touched one every op). */
#define CHECK_EVERY  2
#define FLUSH_ONE_IN 2048
/* Retries of a map refused with -ENOMEM, each after a flush of the queues. */
#define MAX_RETRIES 64

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
#define CHECK(w, cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			worker_fail((w), __LINE__, #cond);                                         \
			return false;                                                              \
		}                                                                                  \
	} while (0)

static inline void worker_fail(struct worker *w, int line, const char *what)
{
	if (!w->fail_line) {
		w->fail_line = line;
		snprintf(w->fail_msg, sizeof(w->fail_msg), "%s", what);
	}
	atomic_store(&w->s->stop, true);
}

/* A draw from the worker's own stream. */
static inline uint64_t below(struct worker *w, uint64_t n)
{
	return test_rng_below(&w->rng, n);
}

/* @when says whether the map has just returned or the mapping was made earlier. */
static inline bool map_ok(struct worker *w, const struct tmap *m, const char *when)
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

static inline bool overlaps(const struct dma_chunk *a, const struct dma_chunk *b)
{
	return a->iova < b->iova + b->pages * PAGE && b->iova < a->iova + a->pages * PAGE;
}

/* A new mapping against the thread's others, and its chunks against each other. */
static inline bool new_map_disjoint(struct worker *w, const struct tmap *m)
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
static inline bool layout(struct worker *w, struct tmap *m, const struct iommusim_sg *orig,
			  unsigned int count)
{
	int prot = dma_dir_prot(m->dir);

	if (!m->sg_list) {
		CHECK(w, (m->dma & PAGE_LOW) == (m->phys & PAGE_LOW));
		m->nchunks = 1;
		m->pages = dma_pages_of(m->phys, m->size);
		m->chunk[0] =
			(struct dma_chunk){m->dma & ~PAGE_LOW, m->pages, m->phys & ~PAGE_LOW, prot};
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
			m->chunk[i] = (struct dma_chunk){cur & ~PAGE_LOW,
							 dma_pages_of(off, orig[i].length),
							 orig[i].phys & ~PAGE_LOW, prot};
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

static inline void flush_queues(struct worker *w)
{
	iommusim_dma_iommu_flush_queue(w->s->rig.dev, w->s->rig.cpu[w->id]);
	w->flush_calls++;
}

static inline bool op_map(struct worker *w)
{
	/* buffers from 16 GiB of pages in this thread's own 64 GiB slice */
	uint64_t base = (uint64_t)(w->id + 1) << 36;
	struct shared *s = w->s;
	struct iommusim_cpu *cpu = s->rig.cpu[w->id];
	struct tmap *m = &w->live[w->nlive];
	struct iommusim_sg orig[MAX_SG] = {0};
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
	if (!layout(w, m, orig, count) || !new_map_disjoint(w, m) || !map_ok(w, m, "just mapped"))
		return false;
	w->maps++;
	w->mapped_bytes += bytes;
	w->mapped_pages += m->pages;
	w->runs_mapped += m->runs;
	w->nlive++;
	return true;
}

static inline void unmap_one(struct shared *s, struct iommusim_cpu *cpu, struct tmap *m)
{
	if (m->sg_list)
		iommusim_dma_unmap_sg(s->rig.dev, cpu, m->sg, m->nents, m->dir);
	else
		iommusim_dma_unmap_page(s->rig.dev, cpu, m->dma, m->size, m->dir);
}

static inline void op_unmap(struct worker *w)
{
	unsigned int idx = (unsigned int)below(w, w->nlive);
	struct tmap m = w->live[idx];

	w->live[idx] = w->live[--w->nlive];
	unmap_one(w->s, w->s->rig.cpu[w->id], &m);
	w->unmaps++;
	w->unmapped_pages += m.pages;
	w->runs_unmapped += m.runs;
}

static inline void *worker_main(void *arg)
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

#endif /* TESTS_STRESS_DMA_THREADS_WORKER_H */
