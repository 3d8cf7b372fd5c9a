/* SPDX-License-Identifier: MIT */
/*
 * The rig of the IOMMU core's RCU stress test (test_core_rcu.c): the per-device records a
 * walker checks, what the mock driver checks on each walk on top of its own contract checks,
 * and the CPU threads with their seeded map / map_sg / unmap / unmap_fast / iotlb_sync /
 * flush_iotlb_all streams, each in its own IOVA region, checked against their own models.
 *
 * IOMMUSIM_STRESS_SCALE (a factor, default 1) shrinks or stretches the op counts.
 */
#ifndef TESTS_STRESS_CORE_RCU_RIG_H
#define TESTS_STRESS_CORE_RCU_RIG_H

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

#include <iommusim/cpu.h>
#include <iommusim/device.h>
#include <iommusim/iommu.h>
#include <iommusim/mem.h>

#include "base/memory.h"
#include "base/rcu.h"
#include "core/domain_impl.h"
#include "mock_iommu.h"
#include "sizes.h"
#include "stress_scale.h"
#include "test_rng.h"

#include "suite_main.h"

#define NCPU 3
/* Each CPU thread owns one region of NSLOT slots; a slot holds at most one mapping. */
#define NSLOT	    8
#define SLOT_SIZE   (4ull << 20)
#define REGION_SIZE (NSLOT * SLOT_SIZE)
#define IOVA_BASE   (1ull << 32)

/* Ops per CPU thread at scale 1; the attacher runs until they finish, at least MIN_CYCLES. */
#define CPU_OPS	   300000
#define MIN_CYCLES 200
#define NDEV	   4

/* A map whose paddr has this bit set fails halfway (injected by the mock). */
#define PADDR_FAIL_BIT (1ull << 44)

/* ----------------------------------------------------------------------------------------- */
/* Per-device records: what a walker checks                                                    */
/* ----------------------------------------------------------------------------------------- */

enum rec_state { REC_ATTACHING = 1, REC_ATTACHED, REC_DETACHING, REC_DETACHED };

#define REC_LIVE 0x11feu
#define REC_DEAD 0xdeadu

struct devrec {
	atomic_uint magic;
	atomic_int state;
	/* the device this record belongs to now (NULL between free and re-create) */
	_Atomic(struct iommusim_device *) dev;
	atomic_uint_fast64_t walks;
	unsigned int gen;
};

/* What a poisoned device's iommu_priv points to. */
static struct devrec poison_rec = {.magic = REC_DEAD, .state = REC_DETACHED};

/* ----------------------------------------------------------------------------------------- */
/* What the mock driver checks on top of its own contract checks                              */
/* ----------------------------------------------------------------------------------------- */

struct driver_checks {
	/* Walks that saw a device they must not see; must stay 0. */
	atomic_uint bad_walks;
	/* Attaches of a device its attacher had not marked ATTACHING; must stay 0. */
	atomic_uint bad_attaches;
	/* Per CPU (only that CPU's thread writes its slot): walks, devices seen. */
	uint64_t walks[NCPU];
	uint64_t seen[NCPU];
};

/* Inside every iotlb_sync, iotlb_sync_map and flush_iotlb_all: touch every attached device. */
static inline void check_walk(void *arg, struct mock_domain *m, enum mock_call_kind kind,
			      struct iommusim_cpu *cpu)
{
	struct driver_checks *dc = arg;
	unsigned int id = iommusim_cpu_id(cpu);
	struct iommusim_device *dev;
	uint64_t seen = 0;

	(void)kind;
	isim_rcu_read_lock();
	isim_domain_for_each_device (mock_dom(m), dev) {
		struct devrec *r = dev->iommu_priv;
		size_t len = strnlen(dev->name, sizeof(dev->name));
		int st;

		/* A live name is "anchor" or "devN.G"; a poisoned one is all 'X'. */
		if (len == 0 || len == sizeof(dev->name) || dev->name[0] == 'X')
			atomic_fetch_add(&dc->bad_walks, 1);
		if (!r || atomic_load(&r->magic) != REC_LIVE || atomic_load(&r->dev) != dev) {
			atomic_fetch_add(&dc->bad_walks, 1);
			continue;
		}
		st = atomic_load(&r->state);
		if (st != REC_ATTACHING && st != REC_ATTACHED && st != REC_DETACHING)
			atomic_fetch_add(&dc->bad_walks, 1);
		atomic_fetch_add(&r->walks, 1);
		seen++;
	}
	isim_rcu_read_unlock();
	dc->walks[id]++;
	dc->seen[id] += seen;
}

/* The attacher marks a device ATTACHING before it asks for the attach. */
static inline void check_attach(void *arg, struct iommusim_device *dev)
{
	struct driver_checks *dc = arg;
	struct devrec *r = dev->iommu_priv;

	if (!r || atomic_load(&r->state) != REC_ATTACHING)
		atomic_fetch_add(&dc->bad_attaches, 1);
}

/* A map whose paddr has PADDR_FAIL_BIT maps half its pages, then fails. */
static inline int fail_marked_maps(void *arg, uint64_t iova, uint64_t paddr, uint64_t pgsize,
				   uint64_t pgcount, uint64_t *pages)
{
	(void)arg;
	(void)iova;
	(void)pgsize;
	if (!(paddr & PADDR_FAIL_BIT))
		return 0;
	*pages = pgcount / 2;
	return -ENOMEM;
}

/* ----------------------------------------------------------------------------------------- */
/* CPU threads                                                                                 */
/* ----------------------------------------------------------------------------------------- */

struct extent {
	uint64_t iova;
	uint64_t paddr;
	uint64_t size;
};

struct cpu_thread {
	pthread_t thread;
	unsigned int id;
	struct iommusim_cpu *cpu;
	struct iommusim_domain *d;
	struct iommusim_rng rng;
	uint64_t ops;
	/* the model: what this thread has mapped, one extent per slot (size 0: free) */
	struct extent slot[NSLOT];
	/* an unmap_fast gather not yet synced */
	struct iommusim_iotlb_gather g;
	/* wrong answers from the core, seen by this thread; must stay 0 */
	unsigned int errors;
	atomic_int *done;
};

static inline uint64_t slot_base(const struct cpu_thread *t, unsigned int s)
{
	return IOVA_BASE + t->id * REGION_SIZE + s * SLOT_SIZE;
}

/* A mapping inside slot @s: start within its first MiB, up to 3 MiB long, 4K-aligned. */
static inline struct extent pick_extent(struct cpu_thread *t, unsigned int s)
{
	struct extent e;

	e.iova = slot_base(t, s) + test_rng_below(&t->rng, 256) * SZ_4K;
	e.size = (1 + test_rng_below(&t->rng, 768)) * SZ_4K;
	e.paddr = (1ull << 36) + test_rng_below(&t->rng, 1ull << 20) * SZ_2M;
	/* Half the time congruent with iova modulo 2M (so 2M pages), else a 4K skew. */
	if (test_rng_below(&t->rng, 2))
		e.paddr += e.iova & (SZ_2M - 1);
	else
		e.paddr += test_rng_below(&t->rng, 512) * SZ_4K;
	return e;
}

static inline void check_translate(struct cpu_thread *t, const struct extent *e)
{
	uint64_t off = test_rng_below(&t->rng, e->size), phys = 0;

	if (iommusim_iommu_translate(t->d, e->iova + off, &phys, NULL) || phys != e->paddr + off)
		t->errors++;
}

static inline void do_map(struct cpu_thread *t, unsigned int s)
{
	struct extent e = pick_extent(t, s);
	bool fail = test_rng_below(&t->rng, 20) == 0;
	int ret;

	if (fail)
		e.paddr |= PADDR_FAIL_BIT;
	if (test_rng_below(&t->rng, 4) == 0 && e.size >= 4 * SZ_4K) {
		/* map_sg of three elements: the first two physically contiguous, one merged run. */
		uint64_t a = e.size / 4 & ~(SZ_4K - 1), b = e.size / 4 & ~(SZ_4K - 1);
		struct iommusim_sg sg[3] = {
			{.phys = e.paddr, .length = a},
			{.phys = e.paddr + a, .length = b},
			{.phys = e.paddr + a + b + (1ull << 30), .length = e.size - a - b},
		};
		uint64_t mapped = 0;

		ret = iommusim_iommu_map_sg(t->d, t->cpu, e.iova, sg, 3, IOMMUSIM_PROT_READ,
					    &mapped);
		if (ret == 0) {
			uint64_t phys = 0;

			/* The third element lands right after the merged run of the first two. */
			if (mapped != e.size ||
			    iommusim_iommu_translate(t->d, e.iova + a + b, &phys, NULL) ||
			    phys != sg[2].phys)
				t->errors++;
			/* Two physical runs: the model keeps the IOVA range only. */
			e.paddr = UINT64_MAX;
		}
	} else {
		ret = iommusim_iommu_map(t->d, t->cpu, e.iova, e.paddr, e.size,
					 IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE);
	}
	if (ret != (fail ? -ENOMEM : 0)) {
		t->errors++;
		return;
	}
	if (fail) {
		/* Undone by the core: the first page must be gone again. */
		if (iommusim_iommu_translate(t->d, e.iova, NULL, NULL) != -EFAULT)
			t->errors++;
		return;
	}
	t->slot[s] = e;
	if (e.paddr != UINT64_MAX)
		check_translate(t, &e);
}

static inline void do_unmap(struct cpu_thread *t, unsigned int s)
{
	struct extent *e = &t->slot[s];
	uint64_t done;

	if (test_rng_below(&t->rng, 2)) {
		done = iommusim_iommu_unmap(t->d, t->cpu, e->iova, e->size);
	} else {
		done = iommusim_iommu_unmap_fast(t->d, t->cpu, e->iova, e->size, &t->g);
		if (t->g.end < e->iova + e->size - 1 || t->g.start > e->iova)
			t->errors++;
	}
	if (done != e->size)
		t->errors++;
	if (iommusim_iommu_translate(t->d, e->iova + e->size - SZ_4K, NULL, NULL) != -EFAULT)
		t->errors++;
	e->size = 0;
}

static inline void *cpu_thread_fn(void *arg)
{
	struct cpu_thread *t = arg;

	iommusim_iotlb_gather_init(&t->g);
	for (uint64_t i = 0; i < t->ops; i++) {
		unsigned int s = (unsigned int)test_rng_below(&t->rng, NSLOT);
		uint64_t what = test_rng_below(&t->rng, 100);

		if (what < 80) {
			if (t->slot[s].size)
				do_unmap(t, s);
			else
				do_map(t, s);
		} else if (what < 90) {
			iommusim_iommu_iotlb_sync(t->d, t->cpu, &t->g);
			if (t->g.end != 0 || t->g.start != UINT64_MAX)
				t->errors++;
		} else if (what < 95) {
			iommusim_iommu_flush_iotlb_all(t->d, t->cpu);
		} else if (t->slot[s].size && t->slot[s].paddr != UINT64_MAX) {
			check_translate(t, &t->slot[s]);
		}
	}
	iommusim_iommu_iotlb_sync(t->d, t->cpu, &t->g);
	atomic_fetch_add(t->done, 1);
	return NULL;
}

#endif /* TESTS_STRESS_CORE_RCU_RIG_H */
