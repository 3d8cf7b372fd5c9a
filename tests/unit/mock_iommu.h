/* SPDX-License-Identifier: MIT */
/*
 * A mock paging-domain IOMMU driver for unit tests, header only (every function static inline)
 * so any test can include it.
 *
 * The domain keeps a software page table (an open-addressing hash of minimum-size pages with
 * backward-shift deletion), checks the aperture and alignment like a real driver, refuses to
 * map a page twice (-EEXIST), and logs every iotlb_sync, flush_iotlb_all and iotlb_sync_map call
 * with its range and CPU. map_pages and iotlb_sync_map failures can be injected; a hook can run
 * inside flush_iotlb_all (to queue work while a flush is "in flight"). Devices get reserved
 * regions, deferred-flush capability and shadow_on_flush with mock_device_set().
 *
 * Everything comes from the iommusim memory context, so a test's leak check covers the mock.
 */
#ifndef ISIM_TESTS_MOCK_IOMMU_H
#define ISIM_TESTS_MOCK_IOMMU_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <iommusim/device.h>
#include <iommusim/iommu.h>

#include "base/cpu_work.h"
#include "base/memory.h"
#include "core/domain_impl.h"

#define MOCK_PAGE_4K 0x1000ull
/* Default aperture end: a 48-bit IOVA space. */
#define MOCK_APERTURE_END_DEFAULT ((1ull << 48) - 1)

enum mock_call_kind {
	/* iotlb_sync: iova = gather start, size = end - start + 1 (0: empty gather) */
	MOCK_CALL_SYNC,
	/* flush_iotlb_all: iova = size = 0 */
	MOCK_CALL_FLUSH_ALL,
	/* iotlb_sync_map(iova, size) */
	MOCK_CALL_SYNC_MAP,
};

struct mock_call {
	enum mock_call_kind kind;
	uint64_t iova;
	uint64_t size;
	unsigned int cpu;
	/* what the call returned (sync_map only) */
	int ret;
};

/*
 * struct mock_domain_cfg - the domain's geometry. Zeroes give 4 KiB pages, aperture
 * [0, 2^48 - 1] with force_aperture, Linux 6.7 semantics.
 */
struct mock_domain_cfg {
	uint64_t pgsize_bitmap;
	uint64_t aperture_start;
	uint64_t aperture_end;
	bool no_force_aperture;
	enum iommusim_kernel kernel;
	/* attach_dev refuses every device with -ENODEV */
	bool refuse_attach;
};

/* struct mock_device_cfg - what the mock's probe would have set on a device. */
struct mock_device_cfg {
	const struct isim_resv_region *resv;
	unsigned int nresv;
	/* iommu_capable(IOMMU_CAP_DEFERRED_FLUSH) is false (an s390 ISM device) */
	bool no_deferred_flush;
	bool shadow_on_flush;
};

struct mock_pte {
	uint64_t pfn; /* iova >> shift, plus one, so 0 marks a free slot */
	uint64_t phys;
	int prot;
};

typedef void mock_flush_hook(void *arg, struct iommusim_cpu *cpu);

struct mock_domain {
	struct iommusim_domain dom;
	bool refuse_attach;
	unsigned int shift; /* log2 of the smallest page */
	pthread_mutex_t lock;

	struct mock_pte *table;
	size_t table_cap; /* power of two */
	size_t mapped;    /* pages of the smallest size */

	struct mock_call *log;
	size_t log_len;
	size_t log_cap;

	uint64_t map_pages_calls;
	uint64_t unmap_pages_calls;

	/* Injection: after @skip more calls, fail one call with @err. */
	int map_fail_err;
	uint64_t map_fail_skip;
	uint64_t map_fail_pages_done;
	int sync_map_fail_err;
	uint64_t sync_map_fail_skip;

	mock_flush_hook *flush_hook;
	void *flush_hook_arg;
};

struct mock_device {
	struct isim_resv_region resv[ISIM_MAX_RESV_REGIONS];
	unsigned int nresv;
};

static inline struct mock_domain *mock_of(struct iommusim_domain *d)
{
	return (struct mock_domain *)((char *)d - offsetof(struct mock_domain, dom));
}

static inline struct iommusim_domain *mock_dom(struct mock_domain *m)
{
	return &m->dom;
}

static inline size_t mock_slot(const struct mock_domain *m, uint64_t key)
{
	/* Fibonacci hashing: the top bits of the product, as many as the table needs. */
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> (64 - __builtin_ctzll(m->table_cap)));
}

/* The slot holding @key, or the free slot where it would go. Lock held. */
static inline size_t mock_find(const struct mock_domain *m, uint64_t key)
{
	size_t i = mock_slot(m, key);

	while (m->table[i].pfn && m->table[i].pfn != key)
		i = (i + 1) & (m->table_cap - 1);
	return i;
}

static inline int mock_grow(struct mock_domain *m)
{
	size_t old_cap = m->table_cap, cap = old_cap ? old_cap * 2 : 1024;
	struct mock_pte *old = m->table;
	struct mock_pte *t = isim_zalloc(m->dom.mem, cap * sizeof(*t), 0);

	if (!t)
		return -ENOMEM;
	m->table = t;
	m->table_cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].pfn)
			m->table[mock_find(m, old[i].pfn)] = old[i];
	if (old)
		isim_free(m->dom.mem, old, old_cap * sizeof(*old), 0);
	return 0;
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. Lock held. */
static inline void mock_erase(struct mock_domain *m, size_t i)
{
	size_t mask = m->table_cap - 1, j = i;

	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!m->table[j].pfn)
			break;
		k = mock_slot(m, m->table[j].pfn);
		/* Leave it if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		m->table[i] = m->table[j];
		i = j;
	}
	m->table[i].pfn = 0;
}

static inline int mock_log_add(struct mock_domain *m, enum mock_call_kind kind, uint64_t iova,
			       uint64_t size, struct iommusim_cpu *cpu, int ret)
{
	if (m->log_len == m->log_cap) {
		size_t cap = m->log_cap ? m->log_cap * 2 : 64;
		struct mock_call *l = isim_alloc(m->dom.mem, cap * sizeof(*l), 0);

		if (!l)
			return -ENOMEM;
		if (m->log) {
			memcpy(l, m->log, m->log_len * sizeof(*l));
			isim_free(m->dom.mem, m->log, m->log_cap * sizeof(*l), 0);
		}
		m->log = l;
		m->log_cap = cap;
	}
	m->log[m->log_len++] = (struct mock_call){ .kind = kind, .iova = iova, .size = size,
						   .cpu = iommusim_cpu_id(cpu), .ret = ret };
	return 0;
}

static inline bool mock_in_aperture(const struct mock_domain *m, uint64_t iova, uint64_t size)
{
	if (!m->dom.force_aperture)
		return true;
	return iova >= m->dom.aperture_start && size && iova + size - 1 >= iova &&
	       iova + size - 1 <= m->dom.aperture_end;
}

static inline int mock_map_pages(struct iommusim_domain *d, struct iommusim_cpu *cpu,
				 uint64_t iova, uint64_t paddr, uint64_t pgsize, uint64_t pgcount,
				 int prot, uint64_t *mapped)
{
	struct mock_domain *m = mock_of(d);
	uint64_t size = pgsize * pgcount, small = 1ull << m->shift, limit = size;
	int err = 0;

	*mapped = 0;
	if (!(d->pgsize_bitmap & pgsize) || ((iova | paddr) & (pgsize - 1)) ||
	    !mock_in_aperture(m, iova, size))
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	m->map_pages_calls++;
	if (m->map_fail_err) {
		if (m->map_fail_skip) {
			m->map_fail_skip--;
		} else {
			err = m->map_fail_err;
			m->map_fail_err = 0;
			limit = m->map_fail_pages_done * small;
			if (limit > size)
				limit = size;
		}
	}
	for (uint64_t off = 0; off < limit; off += small) {
		uint64_t key = ((iova + off) >> m->shift) + 1;
		size_t i;

		if (2 * (m->mapped + 1) > m->table_cap && mock_grow(m)) {
			err = -ENOMEM;
			break;
		}
		i = mock_find(m, key);
		if (m->table[i].pfn) {
			err = -EEXIST;
			break;
		}
		m->table[i] = (struct mock_pte){ .pfn = key, .phys = paddr + off, .prot = prot };
		m->mapped++;
		*mapped += small;
	}
	pthread_mutex_unlock(&m->lock);
	isim_work(cpu, IOMMUSIM_WORK_PTE_WRITE, *mapped >> m->shift);
	return err;
}

/* Unmaps up to the first page that is not mapped; returns the bytes done. */
static inline uint64_t mock_unmap_pages(struct iommusim_domain *d, struct iommusim_cpu *cpu,
					uint64_t iova, uint64_t pgsize, uint64_t pgcount,
					struct iommusim_iotlb_gather *g)
{
	struct mock_domain *m = mock_of(d);
	uint64_t size = pgsize * pgcount, small = 1ull << m->shift, done = 0;

	if (!mock_in_aperture(m, iova, size))
		return 0;
	pthread_mutex_lock(&m->lock);
	m->unmap_pages_calls++;
	for (uint64_t off = 0; off < size && m->table_cap; off += small) {
		size_t i = mock_find(m, ((iova + off) >> m->shift) + 1);

		if (!m->table[i].pfn)
			break;
		mock_erase(m, i);
		m->mapped--;
		done += small;
	}
	pthread_mutex_unlock(&m->lock);
	isim_work(cpu, IOMMUSIM_WORK_PTE_WRITE, done >> m->shift);
	if (done)
		iommusim_iotlb_gather_add_range(g, iova, done);
	return done;
}

static inline void mock_flush_iotlb_all(struct iommusim_domain *d, struct iommusim_cpu *cpu)
{
	struct mock_domain *m = mock_of(d);
	mock_flush_hook *hook;
	void *arg;

	pthread_mutex_lock(&m->lock);
	mock_log_add(m, MOCK_CALL_FLUSH_ALL, 0, 0, cpu, 0);
	hook = m->flush_hook;
	arg = m->flush_hook_arg;
	pthread_mutex_unlock(&m->lock);
	/* Runs while the flush is "in flight": started, not finished. */
	if (hook)
		hook(arg, cpu);
}

static inline int mock_iotlb_sync_map(struct iommusim_domain *d, struct iommusim_cpu *cpu,
				      uint64_t iova, uint64_t size)
{
	struct mock_domain *m = mock_of(d);
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	if (m->sync_map_fail_err) {
		if (m->sync_map_fail_skip) {
			m->sync_map_fail_skip--;
		} else {
			ret = m->sync_map_fail_err;
			m->sync_map_fail_err = 0;
		}
	}
	mock_log_add(m, MOCK_CALL_SYNC_MAP, iova, size, cpu, ret);
	pthread_mutex_unlock(&m->lock);
	return ret;
}

static inline void mock_iotlb_sync(struct iommusim_domain *d, struct iommusim_cpu *cpu,
				   struct iommusim_iotlb_gather *g)
{
	struct mock_domain *m = mock_of(d);

	pthread_mutex_lock(&m->lock);
	mock_log_add(m, MOCK_CALL_SYNC, g->end ? g->start : 0, g->end ? g->end - g->start + 1 : 0,
		     cpu, 0);
	pthread_mutex_unlock(&m->lock);
}

static inline int mock_iova_to_phys(struct iommusim_domain *d, uint64_t iova, uint64_t *phys,
				    int *prot)
{
	struct mock_domain *m = mock_of(d);
	int ret = -EFAULT;

	pthread_mutex_lock(&m->lock);
	if (m->table_cap) {
		size_t i = mock_find(m, (iova >> m->shift) + 1);

		if (m->table[i].pfn) {
			*phys = m->table[i].phys + (iova & ((1ull << m->shift) - 1));
			*prot = m->table[i].prot;
			ret = 0;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

static inline int mock_attach_dev(struct iommusim_domain *d, struct iommusim_device *dev)
{
	(void)dev;
	return mock_of(d)->refuse_attach ? -ENODEV : 0;
}

static inline void mock_device_free(struct iommusim_device *dev)
{
	isim_free(dev->mem, dev->iommu_priv, sizeof(struct mock_device), 0);
	dev->iommu_priv = NULL;
	dev->iommu_priv_free = NULL;
}

static inline unsigned int mock_get_resv_regions(struct iommusim_device *dev,
						 struct isim_resv_region *out, unsigned int max)
{
	const struct mock_device *md = dev->iommu_priv;
	unsigned int n = 0;

	if (dev->iommu_priv_free != mock_device_free || !md)
		return 0;
	for (; n < md->nresv && n < max; n++)
		out[n] = md->resv[n];
	return n;
}

static inline void mock_domain_free(struct iommusim_domain *d)
{
	struct mock_domain *m = mock_of(d);
	struct iommusim_mem *mem = d->mem;

	if (m->table)
		isim_free(mem, m->table, m->table_cap * sizeof(*m->table), 0);
	if (m->log)
		isim_free(mem, m->log, m->log_cap * sizeof(*m->log), 0);
	pthread_mutex_destroy(&m->lock);
	isim_domain_fini(d);
	isim_free(mem, m, sizeof(*m), 0);
}

/* Create a mock domain; @cfg may be NULL for all defaults. Return: 0 or -ENOMEM. */
static inline int mock_domain_create(struct iommusim_mem *mem, const struct mock_domain_cfg *cfg,
				     struct mock_domain **out)
{
	/* Inside the function, so a test that includes the header unused gets no warning. */
	static const struct isim_domain_ops ops = {
		.map_pages = mock_map_pages,
		.unmap_pages = mock_unmap_pages,
		.flush_iotlb_all = mock_flush_iotlb_all,
		.iotlb_sync_map = mock_iotlb_sync_map,
		.iotlb_sync = mock_iotlb_sync,
		.iova_to_phys = mock_iova_to_phys,
		.attach_dev = mock_attach_dev,
		.get_resv_regions = mock_get_resv_regions,
		.free = mock_domain_free,
	};
	struct mock_domain_cfg def = { 0 };
	struct mock_domain *m;
	uint64_t bitmap, end;

	if (!cfg)
		cfg = &def;
	bitmap = cfg->pgsize_bitmap ? cfg->pgsize_bitmap : MOCK_PAGE_4K;
	end = cfg->aperture_end ? cfg->aperture_end : MOCK_APERTURE_END_DEFAULT;
	m = isim_zalloc(mem, sizeof(*m), 0);
	if (!m)
		return -ENOMEM;
	if (isim_domain_init(&m->dom, &ops, mem, bitmap, cfg->aperture_start, end,
			     cfg->kernel)) {
		isim_free(mem, m, sizeof(*m), 0);
		return -ENOMEM;
	}
	m->dom.force_aperture = !cfg->no_force_aperture;
	m->refuse_attach = cfg->refuse_attach;
	m->shift = (unsigned int)__builtin_ctzll(bitmap);
	pthread_mutex_init(&m->lock, NULL);
	*out = m;
	return 0;
}

/* Give @dev the mock's per-device properties (replacing earlier ones). Return: 0 or -ENOMEM. */
static inline int mock_device_set(struct iommusim_device *dev, const struct mock_device_cfg *cfg)
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

/* Pages of the smallest size mapped now. */
static inline size_t mock_mapped_pages(struct mock_domain *m)
{
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = m->mapped;
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* Whether @iova is mapped, and to what. Either out pointer may be NULL. */
static inline bool mock_lookup(struct mock_domain *m, uint64_t iova, uint64_t *phys, int *prot)
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

static inline size_t mock_log_len(struct mock_domain *m)
{
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = m->log_len;
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* The @i-th logged call (zeroes if there is none). */
static inline struct mock_call mock_log_at(struct mock_domain *m, size_t i)
{
	struct mock_call c = { 0 };

	pthread_mutex_lock(&m->lock);
	if (i < m->log_len)
		c = m->log[i];
	pthread_mutex_unlock(&m->lock);
	return c;
}

static inline size_t mock_log_count(struct mock_domain *m, enum mock_call_kind kind)
{
	size_t n = 0;

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->log_len; i++)
		n += m->log[i].kind == kind;
	pthread_mutex_unlock(&m->lock);
	return n;
}

static inline void mock_log_clear(struct mock_domain *m)
{
	pthread_mutex_lock(&m->lock);
	m->log_len = 0;
	pthread_mutex_unlock(&m->lock);
}

/*
 * Make a later map_pages call fail with @err: @skip calls succeed first, then the failing one
 * maps @pages_done smallest pages (reported in *mapped) before returning @err. One-shot.
 */
static inline void mock_fail_map_pages(struct mock_domain *m, int err, uint64_t skip,
				       uint64_t pages_done)
{
	pthread_mutex_lock(&m->lock);
	m->map_fail_err = err;
	m->map_fail_skip = skip;
	m->map_fail_pages_done = pages_done;
	pthread_mutex_unlock(&m->lock);
}

/* Make a later iotlb_sync_map fail with @err after @skip successful calls. One-shot. */
static inline void mock_fail_sync_map(struct mock_domain *m, int err, uint64_t skip)
{
	pthread_mutex_lock(&m->lock);
	m->sync_map_fail_err = err;
	m->sync_map_fail_skip = skip;
	pthread_mutex_unlock(&m->lock);
}

/* Run @hook inside every flush_iotlb_all (NULL removes it). */
static inline void mock_set_flush_hook(struct mock_domain *m, mock_flush_hook *hook, void *arg)
{
	pthread_mutex_lock(&m->lock);
	m->flush_hook = hook;
	m->flush_hook_arg = arg;
	pthread_mutex_unlock(&m->lock);
}

#endif /* ISIM_TESTS_MOCK_IOMMU_H */
