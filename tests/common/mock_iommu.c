/* SPDX-License-Identifier: MIT */
/*
 * The mock IOMMU driver of mock_iommu.h. The page table is a radix tree of 512-entry tables
 * indexed by the IOVA's minimum-size page number, interior tables installed with a
 * compare-and-swap, so mapping and unmapping take no lock; the log, the injected failures and
 * the hooks live under one mutex.
 *
 * A PTE holds the physical address of its minimum-size page, a valid bit, the protection and
 * log2 of the size of the page it was mapped as, which lets unmap tell a page cut in two.
 */
#include "mock_iommu.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "base/cpu_work.h"
#include "base/memory.h"

#define LVL_BITS 9
#define LVL_SIZE (1u << LVL_BITS)

#define PTE_VALID      1ull
#define PTE_PROT_SHIFT 1
#define PTE_PROT_MASK  0xfull
#define PTE_SIZE_SHIFT 5
#define PTE_SIZE_MASK  0x3full
/* the flags take the low 11 bits, so the smallest page is at least 2 KiB */
#define MIN_SHIFT 11

/* Runs @stmt with the mock's lock held. */
#define LOCKED(mi, stmt)                                                                           \
	do {                                                                                       \
		pthread_mutex_lock(&(mi)->lock);                                                   \
		stmt;                                                                              \
		pthread_mutex_unlock(&(mi)->lock);                                                 \
	} while (0)

struct table {
	union {
		_Atomic(struct table *) next[LVL_SIZE];
		_Atomic uint64_t pte[LVL_SIZE];
	};
};

struct mock {
	struct mock_domain pub;
	struct isim_domain_ops ops;
	unsigned int shift; /* log2 of the smallest page */
	unsigned int levels;
	struct table *root;
	atomic_size_t mapped; /* pages of the smallest size */
	atomic_uint errors;
	enum mock_log log_mode;
	bool *freed;

	pthread_mutex_t lock;
	struct mock_call *log;
	size_t log_len;
	size_t log_cap;
	/* Injection: after @skip more calls, fail one call with @err. */
	int map_fail_err;
	uint64_t map_fail_skip;
	uint64_t map_fail_pages;
	int sync_map_fail_err;
	uint64_t sync_map_fail_skip;
	/* Read without the lock: a pending injection, the hooks and their arguments. */
	atomic_bool map_fail_armed;
	atomic_bool sync_map_fail_armed;
	atomic_int attach_err;
	_Atomic(mock_sync_hook *) sync_hook;
	_Atomic(void *) sync_hook_arg;
	_Atomic(mock_attach_hook *) attach_hook;
	_Atomic(void *) attach_hook_arg;
	_Atomic(mock_map_fault *) map_fault;
	_Atomic(void *) map_fault_arg;
	/* the last walk of the device list */
	unsigned int walk_devices;
	char walk_names[MOCK_WALK_NAMES][sizeof(((struct iommusim_device *)0)->name)];
};

static struct mock *mock_of(struct iommusim_domain *d)
{
	return (struct mock *)((char *)d - offsetof(struct mock, pub.dom));
}

static struct mock *impl(struct mock_domain *m)
{
	return mock_of(&m->dom);
}

/* ---------------------------------------------------------------------------------------- */
/* The page table                                                                            */

/* The PTE of the minimum-size page at @iova; NULL if its table is absent and not @create. */
static _Atomic uint64_t *pte_of(struct mock *m, uint64_t iova, bool create)
{
	uint64_t pfn = iova >> m->shift;
	struct table *t = m->root;

	for (unsigned int l = m->levels - 1; l > 0; l--) {
		_Atomic(struct table *) *slot = &t->next[(pfn >> (LVL_BITS * l)) & (LVL_SIZE - 1)];
		struct table *next = atomic_load(slot);

		if (!next) {
			struct table *fresh;

			if (!create)
				return NULL;
			fresh = isim_zalloc(m->pub.dom.mem, sizeof(*fresh), 0);
			if (!fresh)
				return NULL;
			/* Another thread may have installed one meanwhile: use the winner. */
			if (atomic_compare_exchange_strong(slot, &next, fresh))
				next = fresh;
			else
				isim_free(m->pub.dom.mem, fresh, sizeof(*fresh), 0);
		}
		t = next;
	}
	return &t->pte[pfn & (LVL_SIZE - 1)];
}

/* Along consecutive minimum-size pages: one walk to the leaf table for each 512 of them. */
struct pte_cursor {
	bool valid;
	uint64_t block; /* pfn >> LVL_BITS of the leaf below */
	struct table *leaf;
};

static _Atomic uint64_t *cursor_pte(struct mock *m, struct pte_cursor *c, uint64_t iova,
				    bool create)
{
	uint64_t pfn = iova >> m->shift, i = pfn & (LVL_SIZE - 1);

	if (!c->valid || c->block != pfn >> LVL_BITS || (create && !c->leaf)) {
		_Atomic uint64_t *pte = pte_of(m, iova, create);

		c->valid = true;
		c->block = pfn >> LVL_BITS;
		/* the PTEs are the table's first member: entry i is i entries into it */
		c->leaf = pte ? (struct table *)(void *)(pte - i) : NULL;
	}
	return c->leaf ? &c->leaf->pte[i] : NULL;
}

static void table_free(struct mock *m, struct table *t, unsigned int level)
{
	if (level > 0)
		for (unsigned int i = 0; i < LVL_SIZE; i++) {
			struct table *next = atomic_load(&t->next[i]);

			if (next)
				table_free(m, next, level - 1);
		}
	isim_free(m->pub.dom.mem, t, sizeof(*t), 0);
}

static unsigned int log2_of(uint64_t x)
{
	return (unsigned int)__builtin_ctzll(x);
}

static void contract_error(struct mock *m)
{
	atomic_fetch_add(&m->errors, 1);
}

static bool in_aperture(const struct mock *m, uint64_t iova, uint64_t size)
{
	const struct iommusim_domain *d = &m->pub.dom;

	if (!d->force_aperture)
		return true;
	return iova >= d->aperture_start && size && iova + size - 1 >= iova &&
	       iova + size - 1 <= d->aperture_end;
}

/* A page size the domain supports, and an address aligned to it. */
static bool pgsize_ok(const struct mock *m, uint64_t pgsize, uint64_t addr)
{
	return pgsize && !(pgsize & (pgsize - 1)) && (m->pub.dom.pgsize_bitmap & pgsize) &&
	       !(addr & (pgsize - 1));
}

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

static void log_call(struct mock *m, struct mock_call c, struct iommusim_cpu *cpu)
{
	if (!logged(m, c.kind))
		return;
	LOCKED(m, log_add(m, c, cpu));
}

static void charge(struct iommusim_cpu *cpu, uint64_t pages)
{
	if (cpu)
		isim_work(cpu, IOMMUSIM_WORK_PTE_WRITE, pages);
}

/* ---------------------------------------------------------------------------------------- */
/* The driver                                                                                */

/* How many pages of the call to map before failing with the returned errno (0: all). */
static int map_injected(struct mock *m, uint64_t iova, uint64_t paddr, uint64_t pgsize,
			uint64_t pgcount, uint64_t *pages)
{
	mock_map_fault *fault;
	void *arg;
	int err = 0;

	*pages = pgcount;
	if (atomic_load(&m->map_fail_armed)) {
		pthread_mutex_lock(&m->lock);
		if (m->map_fail_err && m->map_fail_skip) {
			m->map_fail_skip--;
		} else if (m->map_fail_err) {
			err = m->map_fail_err;
			m->map_fail_err = 0;
			atomic_store(&m->map_fail_armed, false);
			*pages = m->map_fail_pages < pgcount ? m->map_fail_pages : pgcount;
		}
		pthread_mutex_unlock(&m->lock);
	}
	arg = atomic_load(&m->map_fault_arg);
	fault = atomic_load(&m->map_fault);
	if (!err && fault) {
		err = fault(arg, iova, paddr, pgsize, pgcount, pages);
		if (*pages > pgcount)
			*pages = pgcount;
	}
	return err;
}

static int mock_map_pages(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
			  uint64_t paddr, uint64_t pgsize, uint64_t pgcount, int prot,
			  uint64_t *mapped)
{
	struct mock *m = mock_of(d);
	uint64_t small = 1ull << m->shift, limit, pages = 0, flags;
	struct pte_cursor cur = {0};
	int err;

	*mapped = 0;
	log_call(m,
		 (struct mock_call){.kind = MOCK_CALL_MAP_PAGES,
				    .iova = iova,
				    .paddr = paddr,
				    .pgsize = pgsize,
				    .pgcount = pgcount,
				    .prot = prot},
		 cpu);
	if (!pgsize_ok(m, pgsize, iova | paddr) || !in_aperture(m, iova, pgsize * pgcount)) {
		contract_error(m);
		return -EINVAL;
	}
	err = map_injected(m, iova, paddr, pgsize, pgcount, &pages);
	limit = pages * pgsize;
	flags = PTE_VALID | ((uint64_t)prot & PTE_PROT_MASK) << PTE_PROT_SHIFT |
		(uint64_t)log2_of(pgsize) << PTE_SIZE_SHIFT;
	for (uint64_t off = 0; off < limit; off += small) {
		_Atomic uint64_t *pte = cursor_pte(m, &cur, iova + off, true);
		uint64_t none = 0;

		if (!pte) {
			err = -ENOMEM;
			break;
		}
		if (!atomic_compare_exchange_strong(pte, &none, (paddr + off) | flags)) {
			contract_error(m);
			err = -EEXIST;
			break;
		}
		*mapped += small;
	}
	/* once per call: the threads would fight over the counter's line page by page */
	atomic_fetch_add(&m->mapped, *mapped >> m->shift);
	charge(cpu, *mapped >> m->shift);
	return err;
}

/*
 * Clears the pages in [@a, @a + @size), all of which must lie inside it; false if none was
 * mapped or one belongs to a page that crosses an end (which is left alone).
 */
static bool unmap_unit(struct mock *m, struct pte_cursor *cur, uint64_t a, uint64_t size,
		       uint64_t *cleared)
{
	uint64_t small = 1ull << m->shift;
	bool found = false;

	for (uint64_t off = 0; off < size; off += small) {
		_Atomic uint64_t *pte = cursor_pte(m, cur, a + off, false);
		uint64_t v = pte ? atomic_load(pte) : 0, leaf, base;

		if (!(v & PTE_VALID))
			continue;
		leaf = 1ull << ((v >> PTE_SIZE_SHIFT) & PTE_SIZE_MASK);
		base = (a + off) & ~(leaf - 1);
		if (base < a || base + leaf - 1 > a + size - 1) {
			/* io-pgtable would have to split the page; the core never asks for that */
			contract_error(m);
			return false;
		}
		if (atomic_exchange(pte, 0) & PTE_VALID)
			(*cleared)++;
		found = true;
	}
	return found;
}

/* Unmaps page by page up to the first that holds nothing; returns the bytes done. */
static uint64_t mock_unmap_pages(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
				 uint64_t pgsize, uint64_t pgcount, struct iommusim_iotlb_gather *g)
{
	struct mock *m = mock_of(d);
	uint64_t done = 0, cleared = 0;
	struct pte_cursor cur = {0};

	log_call(m,
		 (struct mock_call){.kind = MOCK_CALL_UNMAP_PAGES,
				    .iova = iova,
				    .pgsize = pgsize,
				    .pgcount = pgcount},
		 cpu);
	if (!pgsize_ok(m, pgsize, iova)) {
		contract_error(m);
		return 0;
	}
	if (!in_aperture(m, iova, pgsize * pgcount))
		return 0;
	for (uint64_t i = 0; i < pgcount; i++) {
		if (!unmap_unit(m, &cur, iova + i * pgsize, pgsize, &cleared))
			break;
		done += pgsize;
	}
	atomic_fetch_sub(&m->mapped, cleared);
	charge(cpu, cleared);
	if (done)
		iommusim_iotlb_gather_add_range(g, iova, done);
	return done;
}

static int mock_iova_to_phys(struct iommusim_domain *d, uint64_t iova, uint64_t *phys, int *prot)
{
	struct mock *m = mock_of(d);
	_Atomic uint64_t *pte = pte_of(m, iova, false);
	uint64_t v = pte ? atomic_load(pte) : 0;

	if (!(v & PTE_VALID))
		return -EFAULT;
	*phys = (v & ~((1ull << m->shift) - 1)) + (iova & ((1ull << m->shift) - 1));
	*prot = (int)((v >> PTE_PROT_SHIFT) & PTE_PROT_MASK);
	return 0;
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

	log_call(m, (struct mock_call){.kind = MOCK_CALL_ATTACH}, NULL);
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
	table_free(m, m->root, m->levels - 1);
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
