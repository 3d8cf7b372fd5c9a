/* SPDX-License-Identifier: MIT */
/*
 * The mock IOMMU driver of mock_iommu.h beyond its page table (mock_iommu.c): the log of calls,
 * the flushes and syncs, attach, the mock devices, the domain's creation and release, and the
 * functions of mock_iommu.h that inspect the mock and inject failures and hooks.
 */
#include "mock_iommu_impl.h"

/* ---------------------------------------------------------------------------------------- */
/* The log                                                                                   */

static bool logged(const struct mock *m, enum mock_call_kind kind)
{
	if (m->log_mode == MOCK_LOG_NONE)
		return false;
	return m->log_mode == MOCK_LOG_ALL || kind == MOCK_CALL_SYNC ||
	       kind == MOCK_CALL_FLUSH_ALL || kind == MOCK_CALL_SYNC_MAP;
}

/* Lock held. A call that cannot be logged for want of memory is lost. */
static void log_add(struct mock *m, struct mock_call c, struct iommusim_cpu *cpu)
{
	if (!logged(m, c.kind))
		return;
	if (m->log_len == m->log_cap) {
		size_t cap = m->log_cap ? m->log_cap * 2 : 64;
		struct mock_call *l = isim_alloc(m->pub.dom.mem, cap * sizeof(*l), 0);

		if (!l)
			return;
		if (m->log) {
			memcpy(l, m->log, m->log_len * sizeof(*l));
			isim_free(m->pub.dom.mem, m->log, m->log_cap * sizeof(*l), 0);
		}
		m->log = l;
		m->log_cap = cap;
	}
	c.cpu = cpu ? iommusim_cpu_id(cpu) : 0;
	m->log[m->log_len++] = c;
}

void mock_log_call(struct mock *m, struct mock_call c, struct iommusim_cpu *cpu)
{
	if (!logged(m, c.kind))
		return;
	LOCKED(m, log_add(m, c, cpu));
}

/* Drivers walk the attached devices under RCU when they flush; so does the mock. Lock held. */
static void walk_devices(struct mock *m)
{
	struct iommusim_device *dev;
	unsigned int n = 0;

	isim_rcu_read_lock();
	isim_domain_for_each_device (&m->pub.dom, dev) {
		if (n < MOCK_WALK_NAMES)
			memcpy(m->walk_names[n], dev->name, sizeof(m->walk_names[n]));
		n++;
	}
	isim_rcu_read_unlock();
	m->walk_devices = n;
}

/* Log @c, walk the devices after a flush, fail a sync_map if asked to, then run the hook. */
static int sync_call(struct mock *m, struct mock_call c, struct iommusim_cpu *cpu)
{
	mock_sync_hook *hook;
	void *arg;

	/* Without a log or an injection pending the call takes no lock. */
	if (m->log_mode != MOCK_LOG_NONE ||
	    (c.kind == MOCK_CALL_SYNC_MAP && atomic_load(&m->sync_map_fail_armed))) {
		pthread_mutex_lock(&m->lock);
		if (c.kind == MOCK_CALL_SYNC_MAP && m->sync_map_fail_err && m->sync_map_fail_skip) {
			m->sync_map_fail_skip--;
		} else if (c.kind == MOCK_CALL_SYNC_MAP && m->sync_map_fail_err) {
			c.ret = m->sync_map_fail_err;
			m->sync_map_fail_err = 0;
			atomic_store(&m->sync_map_fail_armed, false);
		}
		log_add(m, c, cpu);
		if (c.kind != MOCK_CALL_SYNC_MAP && m->log_mode != MOCK_LOG_NONE)
			walk_devices(m);
		pthread_mutex_unlock(&m->lock);
	}
	arg = atomic_load(&m->sync_hook_arg);
	hook = atomic_load(&m->sync_hook);
	/* Runs while the flush is "in flight": started, not finished. */
	if (hook)
		hook(arg, &m->pub, c.kind, cpu);
	return c.ret;
}

static void mock_flush_iotlb_all(struct iommusim_domain *d, struct iommusim_cpu *cpu)
{
	sync_call(mock_of(d), (struct mock_call){.kind = MOCK_CALL_FLUSH_ALL}, cpu);
}

static int mock_iotlb_sync_map(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
			       uint64_t size)
{
	return sync_call(mock_of(d),
			 (struct mock_call){.kind = MOCK_CALL_SYNC_MAP, .iova = iova, .size = size},
			 cpu);
}

static void mock_iotlb_sync(struct iommusim_domain *d, struct iommusim_cpu *cpu,
			    struct iommusim_iotlb_gather *g)
{
	struct mock_call c = {.kind = MOCK_CALL_SYNC, .g = *g};

	if (g->end) {
		c.iova = g->start;
		c.size = g->end - g->start + 1;
	}
	sync_call(mock_of(d), c, cpu);
}

static int mock_attach_dev(struct iommusim_domain *d, struct iommusim_device *dev)
{
	struct mock *m = mock_of(d);
	mock_attach_hook *hook;
	void *arg;
	int err;

	mock_log_call(m, (struct mock_call){.kind = MOCK_CALL_ATTACH}, NULL);
	arg = atomic_load(&m->attach_hook_arg);
	hook = atomic_load(&m->attach_hook);
	if (hook)
		hook(arg, dev);
	err = atomic_load(&m->attach_err);
	return err;
}

/* What mock_device_set() gives a device. */
struct mock_device {
	struct isim_resv_region resv[ISIM_MAX_RESV_REGIONS];
	unsigned int nresv;
};

static void mock_device_free(struct iommusim_device *dev)
{
	isim_free(dev->mem, dev->iommu_priv, sizeof(struct mock_device), 0);
	dev->iommu_priv = NULL;
	dev->iommu_priv_free = NULL;
}

static unsigned int mock_get_resv_regions(struct iommusim_device *dev, struct isim_resv_region *out,
					  unsigned int max)
{
	const struct mock_device *md = dev->iommu_priv;
	unsigned int n = 0;

	if (dev->iommu_priv_free != mock_device_free || !md)
		return 0;
	for (; n < md->nresv && n < max; n++)
		out[n] = md->resv[n];
	return n;
}

static void mock_domain_free(struct iommusim_domain *d)
{
	struct mock *m = mock_of(d);
	struct iommusim_mem *mem = d->mem;

	if (m->freed)
		*m->freed = true;
	mock_table_free(m, m->root, m->levels - 1);
	if (m->log)
		isim_free(mem, m->log, m->log_cap * sizeof(*m->log), 0);
	pthread_mutex_destroy(&m->lock);
	isim_domain_fini(d);
	isim_free(mem, m, sizeof(*m), 0);
}

int mock_domain_create(struct iommusim_mem *mem, const struct mock_domain_cfg *cfg,
		       struct mock_domain **out)
{
	struct mock_domain_cfg def = {0};
	uint64_t bitmap, end;
	struct mock *m;

	if (!cfg)
		cfg = &def;
	bitmap = cfg->empty_pgsizes ? 0 : cfg->pgsize_bitmap ? cfg->pgsize_bitmap : MOCK_PAGE_4K;
	end = cfg->aperture_end ? cfg->aperture_end : MOCK_APERTURE_END_DEFAULT;
	if (bitmap && log2_of(bitmap) < MIN_SHIFT)
		return -EINVAL;
	m = isim_zalloc(mem, sizeof(*m), 0);
	if (!m)
		return -ENOMEM;
	m->ops.unmap_pages = mock_unmap_pages;
	m->ops.flush_iotlb_all = mock_flush_iotlb_all;
	m->ops.get_resv_regions = mock_get_resv_regions;
	m->ops.free = mock_domain_free;
	if (cfg->driver != MOCK_DRIVER_NO_MAP) {
		m->ops.map_pages = mock_map_pages;
		m->ops.iova_to_phys = mock_iova_to_phys;
	}
	if (cfg->driver == MOCK_DRIVER_FULL) {
		m->ops.iotlb_sync_map = mock_iotlb_sync_map;
		m->ops.iotlb_sync = mock_iotlb_sync;
		m->ops.attach_dev = mock_attach_dev;
	}
	m->shift = bitmap ? log2_of(bitmap) : 12;
	m->levels = (64 - m->shift + LVL_BITS - 1) / LVL_BITS;
	m->root = isim_zalloc(mem, sizeof(*m->root), 0);
	if (!m->root || isim_domain_init(&m->pub.dom, &m->ops, mem, bitmap, cfg->aperture_start,
					 end, cfg->kernel)) {
		if (m->root)
			isim_free(mem, m->root, sizeof(*m->root), 0);
		isim_free(mem, m, sizeof(*m), 0);
		return -ENOMEM;
	}
	if (cfg->no_force_aperture)
		m->pub.dom.force_aperture = false;
	m->log_mode = cfg->log;
	atomic_init(&m->attach_err, cfg->refuse_attach ? -ENODEV : 0);
	m->freed = cfg->freed;
	pthread_mutex_init(&m->lock, NULL);
	*out = &m->pub;
	return 0;
}

int mock_device_set(struct iommusim_device *dev, const struct mock_device_cfg *cfg)
{
	struct mock_device *md;

	if (dev->iommu_priv_free)
		dev->iommu_priv_free(dev);
	md = isim_zalloc(dev->mem, sizeof(*md), 0);
	if (!md)
		return -ENOMEM;
	for (unsigned int i = 0; i < cfg->nresv && i < ISIM_MAX_RESV_REGIONS; i++)
		md->resv[md->nresv++] = cfg->resv[i];
	dev->iommu_priv = md;
	dev->iommu_priv_free = mock_device_free;
	dev->deferred_flush = !cfg->no_deferred_flush;
	dev->shadow_on_flush = cfg->shadow_on_flush;
	return 0;
}

size_t mock_mapped_pages(struct mock_domain *m)
{
	return atomic_load(&impl(m)->mapped);
}

uint64_t mock_mapped_bytes(struct mock_domain *m)
{
	return (uint64_t)mock_mapped_pages(m) << impl(m)->shift;
}

bool mock_lookup(struct mock_domain *m, uint64_t iova, uint64_t *phys, int *prot)
{
	uint64_t p;
	int pr;

	if (mock_iova_to_phys(&m->dom, iova, &p, &pr))
		return false;
	if (phys)
		*phys = p;
	if (prot)
		*prot = pr;
	return true;
}

unsigned int mock_errors(struct mock_domain *m)
{
	return atomic_load(&impl(m)->errors);
}

size_t mock_log_len(struct mock_domain *m)
{
	struct mock *mi = impl(m);
	size_t n;

	LOCKED(mi, n = mi->log_len);
	return n;
}

struct mock_call mock_log_at(struct mock_domain *m, size_t i)
{
	struct mock *mi = impl(m);
	struct mock_call c = {0};

	LOCKED(mi, if (i < mi->log_len) c = mi->log[i]);
	return c;
}

size_t mock_log_count(struct mock_domain *m, enum mock_call_kind kind)
{
	struct mock *mi = impl(m);
	size_t n = 0;

	LOCKED(mi, for (size_t i = 0; i < mi->log_len; i++) n += mi->log[i].kind == kind);
	return n;
}

void mock_log_clear(struct mock_domain *m)
{
	LOCKED(impl(m), impl(m)->log_len = 0);
}

unsigned int mock_walk_devices(struct mock_domain *m)
{
	struct mock *mi = impl(m);
	unsigned int n;

	LOCKED(mi, n = mi->walk_devices);
	return n;
}

const char *mock_walk_name(struct mock_domain *m, unsigned int i)
{
	/* Read by the test thread between flushes: the names do not change under it. */
	return i < MOCK_WALK_NAMES && i < mock_walk_devices(m) ? impl(m)->walk_names[i] : "";
}

void mock_fail_map_pages(struct mock_domain *m, int err, uint64_t skip, uint64_t pages_done)
{
	struct mock *mi = impl(m);

	LOCKED(mi, mi->map_fail_err = err; mi->map_fail_skip = skip;
	       mi->map_fail_pages = pages_done; atomic_store(&mi->map_fail_armed, err != 0));
}

void mock_fail_sync_map(struct mock_domain *m, int err, uint64_t skip)
{
	struct mock *mi = impl(m);

	LOCKED(mi, mi->sync_map_fail_err = err; mi->sync_map_fail_skip = skip;
	       atomic_store(&mi->sync_map_fail_armed, err != 0));
}

void mock_fail_attach(struct mock_domain *m, int err)
{
	atomic_store(&impl(m)->attach_err, err);
}

void mock_set_sync_hook(struct mock_domain *m, mock_sync_hook *hook, void *arg)
{
	struct mock *mi = impl(m);

	/* the argument first: a caller that sees the hook sees its argument */
	atomic_store(&mi->sync_hook_arg, arg);
	atomic_store(&mi->sync_hook, hook);
}

void mock_set_attach_hook(struct mock_domain *m, mock_attach_hook *hook, void *arg)
{
	struct mock *mi = impl(m);

	atomic_store(&mi->attach_hook_arg, arg);
	atomic_store(&mi->attach_hook, hook);
}

void mock_set_map_fault(struct mock_domain *m, mock_map_fault *fault, void *arg)
{
	struct mock *mi = impl(m);

	atomic_store(&mi->map_fault_arg, arg);
	atomic_store(&mi->map_fault, fault);
}
