/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the IOMMU core's devices and domains: attach and detach, a driver's refusal,
 * the device defaults and DMA mask, destroy, the domain's accessors, and an attach racing a
 * detach in its grace period.
 */
#include "iommu_core_fixture.h"

/* ----------------------------------------------------------------------------------------- */
/* Domains and devices                                                                         */
/* ----------------------------------------------------------------------------------------- */

static struct iommusim_device *dev_new(struct iommusim_mem *mem, const char *name)
{
	struct iommusim_device_config cfg = {.name = name, .pci = true};
	struct iommusim_device *dev = NULL;

	assert_int_equal(iommusim_device_create(mem, &cfg, &dev), 0);
	assert_non_null(dev);
	return dev;
}

static void test_iommu_core_attach_detach(void **state)
{
	struct iommusim_device *a, *b;
	struct mock_domain *m2;
	struct fix *f = *state;

	m2 = mock_new(f->mem, MOCK_DRIVER_FULL, PGS_4K, IOMMUSIM_KERNEL_6_7);
	a = dev_new(f->mem, "dev-a");
	b = dev_new(f->mem, "dev-b");

	assert_int_equal(iommusim_domain_devices(f->d), 0);
	assert_int_equal(iommusim_iommu_attach_device(f->d, a), 0);
	assert_int_equal(iommusim_iommu_attach_device(f->d, b), 0);
	assert_int_equal(iommusim_domain_devices(f->d), 2);
	/* The driver was asked once per device. */
	assert_int_equal(mock_log_count(f->m, MOCK_CALL_ATTACH), 2);
	/* The driver's RCU walk sees both, newest first (added at the head, as s390 does). */
	iommusim_iommu_flush_iotlb_all(f->d, f->cpu);
	assert_int_equal(mock_walk_devices(f->m), 2);
	assert_string_equal(mock_walk_name(f->m, 0), "dev-b");
	assert_string_equal(mock_walk_name(f->m, 1), "dev-a");

	/* Attached already, to this domain or to another: -EBUSY, nothing changes. */
	assert_int_equal(iommusim_iommu_attach_device(f->d, a), -EBUSY);
	assert_int_equal(iommusim_iommu_attach_device(&m2->dom, a), -EBUSY);
	assert_int_equal(iommusim_domain_devices(f->d), 2);
	assert_int_equal(iommusim_domain_devices(&m2->dom), 0);
	assert_int_equal(mock_log_count(m2, MOCK_CALL_ATTACH), 0);

	/* Detaching from a domain it is not attached to: -ENOENT. */
	assert_int_equal(iommusim_iommu_detach_device(&m2->dom, a), -ENOENT);
	assert_int_equal(iommusim_iommu_detach_device(f->d, a), 0);
	assert_int_equal(iommusim_domain_devices(f->d), 1);
	assert_int_equal(iommusim_iommu_detach_device(f->d, a), -ENOENT);
	iommusim_iommu_flush_iotlb_all(f->d, f->cpu);
	assert_int_equal(mock_walk_devices(f->m), 1);
	assert_string_equal(mock_walk_name(f->m, 0), "dev-b");

	/* Detached, it can go to the other domain, and come back. */
	assert_int_equal(iommusim_iommu_attach_device(&m2->dom, a), 0);
	assert_int_equal(iommusim_domain_devices(&m2->dom), 1);
	iommusim_iommu_flush_iotlb_all(&m2->dom, f->cpu);
	assert_int_equal(mock_walk_devices(m2), 1);
	assert_string_equal(mock_walk_name(m2, 0), "dev-a");
	assert_int_equal(iommusim_iommu_detach_device(&m2->dom, a), 0);
	assert_int_equal(iommusim_iommu_attach_device(f->d, a), 0);
	iommusim_iommu_flush_iotlb_all(f->d, f->cpu);
	assert_int_equal(mock_walk_devices(f->m), 2);
	assert_string_equal(mock_walk_name(f->m, 0), "dev-a");
	assert_string_equal(mock_walk_name(f->m, 1), "dev-b");

	assert_int_equal(iommusim_iommu_detach_device(f->d, a), 0);
	assert_int_equal(iommusim_iommu_detach_device(f->d, b), 0);
	assert_int_equal(iommusim_domain_devices(f->d), 0);
	iommusim_iommu_flush_iotlb_all(f->d, f->cpu);
	assert_int_equal(mock_walk_devices(f->m), 0);
	iommusim_device_destroy(a);
	iommusim_device_destroy(b);
	iommusim_domain_destroy(&m2->dom);
}

static void test_iommu_core_attach_driver_refusal_propagated(void **state)
{
	struct iommusim_device *a;
	struct mock_domain *m2;
	struct fix f;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	m2 = mock_new(f.mem, MOCK_DRIVER_FULL, PGS_4K, IOMMUSIM_KERNEL_6_7);
	a = dev_new(f.mem, "dev-a");

	/* The driver's errno comes back unchanged and the device stays unattached. */
	mock_fail_attach(f.m, -ENODEV);
	assert_int_equal(iommusim_iommu_attach_device(f.d, a), -ENODEV);
	mock_fail_attach(f.m, -EINVAL);
	assert_int_equal(iommusim_iommu_attach_device(f.d, a), -EINVAL);
	assert_int_equal(iommusim_domain_devices(f.d), 0);
	assert_int_equal(iommusim_iommu_detach_device(f.d, a), -ENOENT);
	iommusim_iommu_flush_iotlb_all(f.d, f.cpu);
	assert_int_equal(mock_walk_devices(f.m), 0);
	/* Not half-attached: another domain takes it. */
	assert_int_equal(iommusim_iommu_attach_device(&m2->dom, a), 0);
	assert_int_equal(iommusim_iommu_detach_device(&m2->dom, a), 0);
	iommusim_device_destroy(a);
	iommusim_domain_destroy(&m2->dom);
	fix_fini(&f);

	/* A driver without attach_dev accepts every device. */
	fix_init_ops(&f, MOCK_DRIVER_MINIMAL, PGS_4K, IOMMUSIM_KERNEL_6_7);
	a = dev_new(f.mem, "dev-a");
	assert_int_equal(iommusim_iommu_attach_device(f.d, a), 0);
	assert_int_equal(iommusim_domain_devices(f.d), 1);
	assert_int_equal(iommusim_iommu_detach_device(f.d, a), 0);
	iommusim_device_destroy(a);
	fix_fini(&f);
}

static void test_iommu_core_device_defaults(void **state)
{
	struct iommusim_device_config cfg = {0};
	struct iommusim_device *dev = NULL;
	struct iommusim_mem *mem;

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_int_equal(iommusim_device_create(mem, &cfg, &dev), 0);
	/* The kernel's defaults for a device whose driver sets nothing (dma-mapping.h). */
	assert_int_equal(iommusim_device_dma_mask(dev), 0xffffffffull);
	assert_int_equal(dev->dma_mask, 0xffffffffull);
	assert_int_equal(dev->coherent_dma_mask, 0xffffffffull);
	assert_int_equal(dev->max_seg_size, 65536);
	assert_int_equal(dev->seg_boundary_mask, 0xffffffffull);
	assert_int_equal(dev->bus_dma_limit, 0);
	assert_false(dev->pci);
	assert_string_equal(iommusim_device_name(dev), "");
	assert_false(iommusim_device_shadow_on_flush(dev));
	assert_false(iommusim_device_pci_32bit_workaround(dev));
	assert_null(dev->domain);
	assert_null(dev->dma_ops);
	iommusim_device_destroy(dev);

	/* Given values are kept; the name is cut to 31 characters. */
	cfg = (struct iommusim_device_config){
		.name = "0123456789abcdef0123456789ABCDEF-tail",
		.pci = true,
		.dma_mask = IOMMUSIM_DMA_BIT_MASK(64),
		.coherent_dma_mask = IOMMUSIM_DMA_BIT_MASK(48),
		.bus_dma_limit = 0xffffffffffull,
		.max_seg_size = 1ull << 20,
		.seg_boundary_mask = 0xffff,
	};
	assert_int_equal(iommusim_device_create(mem, &cfg, &dev), 0);
	assert_string_equal(iommusim_device_name(dev), "0123456789abcdef0123456789ABCDE");
	assert_true(dev->pci);
	assert_int_equal(iommusim_device_dma_mask(dev), UINT64_MAX);
	assert_int_equal(dev->coherent_dma_mask, (1ull << 48) - 1);
	assert_int_equal(dev->bus_dma_limit, 0xffffffffffull);
	assert_int_equal(dev->max_seg_size, 1ull << 20);
	assert_int_equal(dev->seg_boundary_mask, 0xffff);
	iommusim_device_destroy(dev);

	/* Bad arguments. */
	assert_int_equal(iommusim_device_create(mem, NULL, &dev), -EINVAL);
	assert_int_equal(iommusim_device_create(NULL, &cfg, &dev), -EINVAL);
	iommusim_device_destroy(NULL);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

static void test_iommu_core_device_set_dma_mask(void **state)
{
	struct iommusim_device_config cfg = {.name = "nvme0"};
	struct iommusim_device *dev = NULL;
	struct iommusim_mem *mem;

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_int_equal(iommusim_device_create(mem, &cfg, &dev), 0);
	/* At least 12 bits (a 4K page): DMA_BIT_MASK(12) passes, anything smaller fails. */
	assert_int_equal(iommusim_device_set_dma_mask(dev, IOMMUSIM_DMA_BIT_MASK(12)), 0);
	assert_int_equal(iommusim_device_dma_mask(dev), 0xfff);
	assert_int_equal(iommusim_device_set_dma_mask(dev, IOMMUSIM_DMA_BIT_MASK(11)), -EINVAL);
	assert_int_equal(iommusim_device_set_dma_mask(dev, 0), -EINVAL);
	/* A refused mask leaves the old one. */
	assert_int_equal(iommusim_device_dma_mask(dev), 0xfff);
	assert_int_equal(iommusim_device_set_dma_mask(dev, IOMMUSIM_DMA_BIT_MASK(64)), 0);
	assert_int_equal(iommusim_device_dma_mask(dev), UINT64_MAX);
	assert_int_equal(iommusim_device_set_dma_mask(dev, IOMMUSIM_DMA_BIT_MASK(39)), 0);
	assert_int_equal(iommusim_device_dma_mask(dev), (1ull << 39) - 1);
	/* The coherent mask is separate and follows the same rule. */
	assert_int_equal(dev->coherent_dma_mask, 0xffffffffull);
	assert_int_equal(iommusim_device_set_coherent_mask(dev, IOMMUSIM_DMA_BIT_MASK(11)),
			 -EINVAL);
	assert_int_equal(iommusim_device_set_coherent_mask(dev, IOMMUSIM_DMA_BIT_MASK(64)), 0);
	assert_int_equal(dev->coherent_dma_mask, UINT64_MAX);
	assert_int_equal(iommusim_device_dma_mask(dev), (1ull << 39) - 1);
	iommusim_device_destroy(dev);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

static void test_iommu_core_device_destroy_detaches(void **state)
{
	struct iommusim_device *a, *b;
	struct fix *f = *state;

	a = dev_new(f->mem, "dev-a");
	b = dev_new(f->mem, "dev-b");
	assert_int_equal(iommusim_iommu_attach_device(f->d, a), 0);
	assert_int_equal(iommusim_iommu_attach_device(f->d, b), 0);
	/* Destroying an attached device takes it off the domain's list first. */
	iommusim_device_destroy(a);
	assert_int_equal(iommusim_domain_devices(f->d), 1);
	iommusim_iommu_flush_iotlb_all(f->d, f->cpu);
	assert_int_equal(mock_walk_devices(f->m), 1);
	assert_string_equal(mock_walk_name(f->m, 0), "dev-b");
	iommusim_device_destroy(b);
	assert_int_equal(iommusim_domain_devices(f->d), 0);
	iommusim_iommu_flush_iotlb_all(f->d, f->cpu);
	assert_int_equal(mock_walk_devices(f->m), 0);
	/* fix_fini destroys the (now empty) domain and checks nothing leaked. */
}

static bool cookie_freed;

static void cookie_free(struct iommusim_domain *d)
{
	/* Called before the driver frees the domain, so the domain is still whole. */
	assert_int_equal(d->pgsize_bitmap, PGS_4K_2M_1G);
	isim_free(d->mem, d->dma_cookie, 64, 0);
	d->dma_cookie = NULL;
	cookie_freed = true;
}

static void test_iommu_core_domain_accessors_and_destroy(void **state)
{
	struct iommusim_mem *mem;
	struct mock_domain *m;
	uint64_t start = 1, end = 1;
	bool freed = false;
	/* The mock leaves force_aperture as isim_domain_init() sets it. */
	struct mock_domain_cfg cfg = {
		.pgsize_bitmap = PGS_4K_2M_1G,
		.aperture_start = 0x1000,
		.aperture_end = 0xffffffffffull,
		.kernel = IOMMUSIM_KERNEL_6_6,
		.freed = &freed,
	};

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_int_equal(mock_domain_create(mem, &cfg, &m), 0);
	assert_int_equal(iommusim_domain_pgsize_bitmap(&m->dom), PGS_4K_2M_1G);
	iommusim_domain_aperture(&m->dom, &start, &end);
	assert_int_equal(start, 0x1000);
	assert_int_equal(end, 0xffffffffffull);
	iommusim_domain_aperture(&m->dom, NULL, NULL);
	assert_int_equal(iommusim_domain_devices(&m->dom), 0);
	assert_true(m->dom.force_aperture);
	assert_int_equal(m->dom.kernel, IOMMUSIM_KERNEL_6_6);

	/* destroy: the DMA cookie first, then the driver's free. */
	m->dom.dma_cookie = isim_alloc(mem, 64, 0);
	m->dom.dma_cookie_free = cookie_free;
	cookie_freed = false;
	iommusim_domain_destroy(&m->dom);
	assert_true(cookie_freed);
	assert_true(freed);
	iommusim_domain_destroy(NULL);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

/* ----------------------------------------------------------------------------------------- */
/* Concurrent attach/detach of one device (the kernel serialises these per device group)      */
/* ----------------------------------------------------------------------------------------- */

/*
 * Wait on a semaphore for at most 2 s. The time bound never decides a result: it only keeps a
 * library that (correctly) blocks the second operation from deadlocking against the test.
 */
static void sem_wait_bounded(sem_t *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	while (sem_timedwait(s, &ts) != 0 && errno == EINTR)
		;
}

struct race {
	struct mock_domain *m1, *m2;
	struct iommusim_device *dev;
	sem_t a_in, b_done;
	int ret_a;
};

/* Runs inside domain 1's attach_dev: the other attach happens while this one is in flight. */
static void race_attach_hook(void *arg, struct iommusim_device *dev)
{
	struct race *r = arg;

	(void)dev;
	sem_post(&r->a_in);
	sem_wait_bounded(&r->b_done);
}

static void *race_attach_thread(void *arg)
{
	struct race *r = arg;

	r->ret_a = iommusim_iommu_attach_device(&r->m1->dom, r->dev);
	return NULL;
}

static void test_iommu_core_attach_one_device_to_two_domains_concurrently(void **state)
{
	struct race r = {0};
	pthread_t t;
	struct fix f;
	int ret_b;
	unsigned int n1, n2;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	r.m1 = f.m;
	r.m2 = mock_new(f.mem, MOCK_DRIVER_FULL, PGS_4K, IOMMUSIM_KERNEL_6_7);
	r.dev = dev_new(f.mem, "dev-a");
	sem_init(&r.a_in, 0, 0);
	sem_init(&r.b_done, 0, 0);
	mock_set_attach_hook(f.m, race_attach_hook, &r);

	/*
	 * Attach to domain 1 is in progress (inside the driver's attach_dev) when a second
	 * thread attaches the same device to domain 2. A device belongs to at most one domain:
	 * exactly one of the two attaches may succeed, the other gets -EBUSY (the kernel holds
	 * the device's group mutex across the whole attach). Ordering is forced by semaphores.
	 */
	assert_int_equal(pthread_create(&t, NULL, race_attach_thread, &r), 0);
	sem_wait_bounded(&r.a_in);
	ret_b = iommusim_iommu_attach_device(&r.m2->dom, r.dev);
	sem_post(&r.b_done);
	pthread_join(t, NULL);
	n1 = iommusim_domain_devices(&r.m1->dom);
	n2 = iommusim_domain_devices(&r.m2->dom);

	/* Undo by hand whatever happened, so that a failure leaks nothing. */
	mock_set_attach_hook(f.m, NULL, NULL);
	if (n1 && n2) {
		CDS_INIT_LIST_HEAD(&r.m1->dom.devices);
		CDS_INIT_LIST_HEAD(&r.m2->dom.devices);
		r.m1->dom.ndevices = r.m2->dom.ndevices = 0;
		r.dev->domain = NULL;
	} else if (r.dev->domain) {
		assert_int_equal(iommusim_iommu_detach_device(r.dev->domain, r.dev), 0);
	}
	iommusim_device_destroy(r.dev);
	iommusim_domain_destroy(&r.m2->dom);
	sem_destroy(&r.a_in);
	sem_destroy(&r.b_done);
	fix_fini(&f);

	assert_int_equal(n1 + n2, 1);
	assert_true((r.ret_a == 0 && ret_b == -EBUSY) || (r.ret_a == -EBUSY && ret_b == 0));
}

struct grace {
	struct mock_domain *m1;
	struct iommusim_device *dev;
	sem_t r_in, r_go;
	int ret_detach;
};

/* An RCU reader that stays inside its read-side section until told to leave. */
static void *grace_reader_thread(void *arg)
{
	struct grace *g = arg;

	isim_rcu_read_lock();
	sem_post(&g->r_in);
	sem_wait_bounded(&g->r_go);
	isim_rcu_read_unlock();
	return NULL;
}

static void *grace_detach_thread(void *arg)
{
	struct grace *g = arg;

	g->ret_detach = iommusim_iommu_detach_device(&g->m1->dom, g->dev);
	return NULL;
}

static void test_iommu_core_reattach_during_detach_grace_period(void **state)
{
	struct grace g = {0};
	pthread_t reader, detacher;
	struct mock_domain *m2;
	struct fix f;
	bool linked = true;
	int ret;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	m2 = mock_new(f.mem, MOCK_DRIVER_FULL, PGS_4K, IOMMUSIM_KERNEL_6_7);
	g.m1 = f.m;
	g.dev = dev_new(f.mem, "dev-a");
	sem_init(&g.r_in, 0, 0);
	sem_init(&g.r_go, 0, 0);
	assert_int_equal(iommusim_iommu_attach_device(f.d, g.dev), 0);

	/*
	 * A reader holds RCU, so detach from domain 1 waits in its grace period once it has
	 * unlinked the device (domain 1's count drops to 0). Now the device is attached to
	 * domain 2. The kernel would make that attach wait for the detach (group mutex); -EBUSY
	 * would do too. What must not happen is an attach that succeeds and is then undone by
	 * the detach finishing: the device must end up on domain 2's list, properly linked,
	 * head -> dev -> head.
	 */
	assert_int_equal(pthread_create(&reader, NULL, grace_reader_thread, &g), 0);
	sem_wait_bounded(&g.r_in);
	assert_int_equal(pthread_create(&detacher, NULL, grace_detach_thread, &g), 0);
	while (__atomic_load_n(&f.d->ndevices, __ATOMIC_ACQUIRE) != 0)
		sched_yield();
	ret = iommusim_iommu_attach_device(&m2->dom, g.dev);
	sem_post(&g.r_go);
	pthread_join(detacher, NULL);
	pthread_join(reader, NULL);
	if (ret == -EBUSY)
		ret = iommusim_iommu_attach_device(&m2->dom, g.dev);

	if (ret == 0)
		linked = m2->dom.devices.next == &g.dev->domain_node &&
			 g.dev->domain_node.next == &m2->dom.devices &&
			 g.dev->domain_node.prev == &m2->dom.devices && g.dev->domain == &m2->dom;
	/* Repair by hand if the list was broken, so that cleanup cannot loop or leak. */
	if (!linked) {
		CDS_INIT_LIST_HEAD(&m2->dom.devices);
		CDS_INIT_LIST_HEAD(&g.dev->domain_node);
		m2->dom.ndevices = 0;
		g.dev->domain = NULL;
	} else if (ret == 0) {
		assert_int_equal(iommusim_iommu_detach_device(&m2->dom, g.dev), 0);
	}
	iommusim_device_destroy(g.dev);
	iommusim_domain_destroy(&m2->dom);
	sem_destroy(&g.r_in);
	sem_destroy(&g.r_go);
	fix_fini(&f);

	assert_int_equal(g.ret_detach, 0);
	assert_int_equal(ret, 0);
	assert_true(linked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_iommu_core_attach_detach, core_setup,
						core_teardown),
		cmocka_unit_test(test_iommu_core_attach_driver_refusal_propagated),
		cmocka_unit_test(test_iommu_core_device_defaults),
		cmocka_unit_test(test_iommu_core_device_set_dma_mask),
		cmocka_unit_test_setup_teardown(test_iommu_core_device_destroy_detaches, core_setup,
						core_teardown),
		cmocka_unit_test(test_iommu_core_domain_accessors_and_destroy),
		cmocka_unit_test(test_iommu_core_attach_one_device_to_two_domains_concurrently),
		cmocka_unit_test(test_iommu_core_reattach_during_detach_grace_period),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
