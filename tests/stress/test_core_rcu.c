/* SPDX-License-Identifier: MIT */
/*
 * Stress test of the IOMMU core's RCU device list (lib/core/domain.c) under real threads.
 *
 * Three threads, each acting as one CPU, run seeded random map / map_sg / unmap / unmap_fast /
 * iotlb_sync / flush_iotlb_all streams on one domain, each in its own IOVA region, while an
 * attacher thread keeps attaching and detaching a few devices. The mock driver's iotlb_sync,
 * iotlb_sync_map and flush_iotlb_all walk the attached devices under isim_rcu_read_lock() and
 * touch each one (its name, its per-device record, an atomic walk counter), as the s390
 * driver does when it issues an RPCIT per device.
 *
 * What must hold (none of it depends on how the threads interleave):
 * - no walk ever sees a device whose detach has returned: after iommusim_iommu_detach_device()
 *   the test poisons the device (name and record), then either frees it (so AddressSanitizer
 *   reports any later access) or reuses the same memory for the next attach;
 * - one "anchor" device stays attached throughout, so it is seen by every walk: its counter
 *   equals the number of walks the driver made;
 * - the driver saw only valid page sizes and never an overlapping map (mock_iommu.h checks
 *   those), and every unmap took off exactly what its map had put in;
 * - at the end the page table holds exactly what the threads' models say is mapped, and after
 *   unmapping that, nothing; every object has been freed.
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
static void check_walk(void *arg, struct mock_domain *m, enum mock_call_kind kind,
		       struct iommusim_cpu *cpu)
{
	struct driver_checks *dc = arg;
	unsigned int id = iommusim_cpu_id(cpu);
	struct iommusim_device *dev;
	uint64_t seen = 0;

	(void)kind;
	isim_rcu_read_lock();
	isim_domain_for_each_device(mock_dom(m), dev) {
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
static void check_attach(void *arg, struct iommusim_device *dev)
{
	struct driver_checks *dc = arg;
	struct devrec *r = dev->iommu_priv;

	if (!r || atomic_load(&r->state) != REC_ATTACHING)
		atomic_fetch_add(&dc->bad_attaches, 1);
}

/* A map whose paddr has PADDR_FAIL_BIT maps half its pages, then fails. */
static int fail_marked_maps(void *arg, uint64_t iova, uint64_t paddr, uint64_t pgsize,
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

static uint64_t slot_base(const struct cpu_thread *t, unsigned int s)
{
	return IOVA_BASE + t->id * REGION_SIZE + s * SLOT_SIZE;
}

/* A mapping inside slot @s: start within its first MiB, up to 3 MiB long, 4K-aligned. */
static struct extent pick_extent(struct cpu_thread *t, unsigned int s)
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

static void check_translate(struct cpu_thread *t, const struct extent *e)
{
	uint64_t off = test_rng_below(&t->rng, e->size), phys = 0;

	if (iommusim_iommu_translate(t->d, e->iova + off, &phys, NULL) || phys != e->paddr + off)
		t->errors++;
}

static void do_map(struct cpu_thread *t, unsigned int s)
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

static void do_unmap(struct cpu_thread *t, unsigned int s)
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

static void *cpu_thread_fn(void *arg)
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

/* ----------------------------------------------------------------------------------------- */
/* The attacher                                                                                */
/* ----------------------------------------------------------------------------------------- */

struct attacher {
	pthread_t thread;
	struct iommusim_mem *mem;
	struct iommusim_domain *d;
	struct iommusim_device *dev[NDEV];
	struct devrec rec[NDEV];
	bool attached[NDEV];
	struct iommusim_rng rng;
	uint64_t cycles;
	uint64_t frees;
	unsigned int errors;
	atomic_int *done;
};

static void dev_make_live(struct attacher *a, unsigned int i)
{
	struct iommusim_device *dev = a->dev[i];

	snprintf(dev->name, sizeof(dev->name), "dev%u.%u", i, a->rec[i].gen);
	dev->iommu_priv = &a->rec[i];
	atomic_store(&a->rec[i].dev, dev);
	atomic_store(&a->rec[i].magic, REC_LIVE);
}

static void dev_create(struct attacher *a, unsigned int i)
{
	struct iommusim_device_config cfg = {.name = "new", .pci = true};

	if (iommusim_device_create(a->mem, &cfg, &a->dev[i])) {
		a->errors++;
		return;
	}
	dev_make_live(a, i);
}

/* After detach has returned: nobody may look at the device any more. */
static void dev_poison(struct attacher *a, unsigned int i)
{
	struct iommusim_device *dev = a->dev[i];

	atomic_store(&a->rec[i].state, REC_DETACHED);
	atomic_store(&a->rec[i].magic, REC_DEAD);
	memset(dev->name, 'X', sizeof(dev->name) - 1);
	dev->name[sizeof(dev->name) - 1] = '\0';
	dev->iommu_priv = &poison_rec;
	a->rec[i].gen++;
}

static void attacher_cycle(struct attacher *a)
{
	unsigned int i = (unsigned int)test_rng_below(&a->rng, NDEV);

	if (a->attached[i]) {
		atomic_store(&a->rec[i].state, REC_DETACHING);
		if (iommusim_iommu_detach_device(a->d, a->dev[i]))
			a->errors++;
		a->attached[i] = false;
		dev_poison(a, i);
		if (test_rng_below(&a->rng, 2)) {
			/* Free it: AddressSanitizer now reports any walker that still reads it. */
			atomic_store(&a->rec[i].dev, NULL);
			iommusim_device_destroy(a->dev[i]);
			a->frees++;
			dev_create(a, i);
		} else {
			/* Keep the memory: the next attach reuses the same list node. */
			dev_make_live(a, i);
		}
	} else {
		atomic_store(&a->rec[i].state, REC_ATTACHING);
		if (iommusim_iommu_attach_device(a->d, a->dev[i]))
			a->errors++;
		a->attached[i] = true;
		atomic_store(&a->rec[i].state, REC_ATTACHED);
	}
}

static void *attacher_fn(void *arg)
{
	struct attacher *a = arg;

	while (a->cycles < MIN_CYCLES || atomic_load(a->done) < NCPU) {
		attacher_cycle(a);
		a->cycles++;
	}
	return NULL;
}

/* ----------------------------------------------------------------------------------------- */
/* The test                                                                                    */
/* ----------------------------------------------------------------------------------------- */

static void test_core_rcu_attach_detach_during_maps(void **state)
{
	struct iommusim_device_config anchor_cfg = {.name = "anchor"};
	struct iommusim_device *anchor = NULL;
	struct devrec anchor_rec = {0};
	struct cpu_thread *t;
	struct attacher *a;
	struct iommusim_mem *mem;
	struct iommusim_cpu *main_cpu;
	struct mock_domain_cfg mcfg = {.pgsize_bitmap = SZ_4K | SZ_2M, .log = MOCK_LOG_NONE};
	struct driver_checks dc = {0};
	struct mock_domain *m;
	atomic_int done = 0;
	uint64_t walks = 0, seen = 0, rec_walks;
	unsigned int errors = 0;

	(void)state;
	/* libc backend: ASan sees every device the attacher frees. */
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_int_equal(mock_domain_create(mem, &mcfg, &m), 0);
	mock_set_sync_hook(m, check_walk, &dc);
	mock_set_attach_hook(m, check_attach, &dc);
	mock_set_map_fault(m, fail_marked_maps, NULL);
	t = calloc(NCPU, sizeof(*t));
	a = calloc(1, sizeof(*a));
	assert_non_null(t);
	assert_non_null(a);

	/* The anchor stays attached from before the first walk to after the last. */
	assert_int_equal(iommusim_device_create(mem, &anchor_cfg, &anchor), 0);
	anchor->iommu_priv = &anchor_rec;
	atomic_store(&anchor_rec.dev, anchor);
	atomic_store(&anchor_rec.magic, REC_LIVE);
	atomic_store(&anchor_rec.state, REC_ATTACHING);
	assert_int_equal(iommusim_iommu_attach_device(&m->dom, anchor), 0);
	atomic_store(&anchor_rec.state, REC_ATTACHED);

	a->mem = mem;
	a->d = &m->dom;
	a->rng = test_rng(0xa77ac4e5ull);
	a->done = &done;
	for (unsigned int i = 0; i < NDEV; i++) {
		dev_create(a, i);
		assert_non_null(a->dev[i]);
	}
	for (unsigned int c = 0; c < NCPU; c++) {
		t[c].id = c;
		t[c].d = &m->dom;
		t[c].rng = test_rng(0xc0de0000ull + c);
		t[c].ops = scaled(CPU_OPS);
		t[c].done = &done;
		assert_int_equal(iommusim_cpu_create(mem, c, &t[c].cpu), 0);
	}

	assert_int_equal(pthread_create(&a->thread, NULL, attacher_fn, a), 0);
	for (unsigned int c = 0; c < NCPU; c++)
		assert_int_equal(pthread_create(&t[c].thread, NULL, cpu_thread_fn, &t[c]), 0);
	for (unsigned int c = 0; c < NCPU; c++)
		pthread_join(t[c].thread, NULL);
	pthread_join(a->thread, NULL);

	/* The RCU invariants. */
	assert_int_equal(atomic_load(&dc.bad_walks), 0);
	assert_int_equal(atomic_load(&dc.bad_attaches), 0);
	assert_int_equal(mock_errors(m), 0);
	assert_int_equal(a->errors, 0);
	for (unsigned int c = 0; c < NCPU; c++) {
		errors += t[c].errors;
		walks += dc.walks[c];
		seen += dc.seen[c];
	}
	assert_int_equal(errors, 0);
	/* Every walk saw the anchor, and every sighting was counted on some device's record. */
	assert_true(walks > 0);
	assert_int_equal(atomic_load(&anchor_rec.walks), walks);
	rec_walks = atomic_load(&anchor_rec.walks);
	for (unsigned int i = 0; i < NDEV; i++)
		rec_walks += atomic_load(&a->rec[i].walks);
	/* Records of detached generations kept counting into the same record, so this is exact. */
	assert_int_equal(rec_walks, seen);
	{
		unsigned int n = 1;

		for (unsigned int i = 0; i < NDEV; i++)
			n += a->attached[i];
		assert_int_equal(iommusim_domain_devices(&m->dom), n);
	}

	/* The page table is exactly the union of the models. */
	main_cpu = t[0].cpu;
	for (unsigned int c = 0; c < NCPU; c++) {
		for (uint64_t iova = IOVA_BASE + c * REGION_SIZE;
		     iova < IOVA_BASE + (c + 1) * REGION_SIZE; iova += SZ_4K) {
			const struct extent *e =
				&t[c].slot[(iova - IOVA_BASE - c * REGION_SIZE) / SLOT_SIZE];
			uint64_t phys = 0;
			bool mapped = mock_lookup(m, iova, &phys, NULL);
			bool in = e->size && iova >= e->iova && iova < e->iova + e->size;

			if (in != mapped)
				fail_msg("cpu %u iova 0x%llx: model %d, mapped %d (to 0x%llx)", c,
					 (unsigned long long)iova, in, mapped,
					 (unsigned long long)phys);
			if (in && e->paddr != UINT64_MAX)
				assert_int_equal(phys, e->paddr + iova - e->iova);
		}
		for (unsigned int s = 0; s < NSLOT; s++) {
			const struct extent *e = &t[c].slot[s];

			if (e->size)
				assert_int_equal(
					iommusim_iommu_unmap(&m->dom, main_cpu, e->iova, e->size),
					e->size);
		}
	}
	if (mock_mapped_pages(m))
		fail_msg("%zu pages still mapped", mock_mapped_pages(m));
	assert_int_equal(mock_errors(m), 0);

	/* Tear everything down; nothing may be left. */
	for (unsigned int i = 0; i < NDEV; i++)
		iommusim_device_destroy(a->dev[i]); /* detaches the attached ones */
	assert_int_equal(iommusim_iommu_detach_device(&m->dom, anchor), 0);
	iommusim_device_destroy(anchor);
	assert_int_equal(iommusim_domain_devices(&m->dom), 0);
	iommusim_domain_destroy(&m->dom);
	for (unsigned int c = 0; c < NCPU; c++)
		iommusim_cpu_destroy(t[c].cpu);
	print_message("walks %llu, device sightings %llu, attacher cycles %llu (%llu frees)\n",
		      (unsigned long long)walks, (unsigned long long)seen,
		      (unsigned long long)a->cycles, (unsigned long long)a->frees);
	free(t);
	free(a);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_rcu_attach_detach_during_maps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
