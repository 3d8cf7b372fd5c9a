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
 * IOMMUSIM_STRESS_SCALE (a factor, default 1) shrinks or stretches the op counts. The records,
 * the checking driver and the CPU threads: core_rcu_rig.h.
 */
#include "core_rcu_rig.h"

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

SUITE_MAIN(cmocka_unit_test(test_core_rcu_attach_detach_during_maps))
