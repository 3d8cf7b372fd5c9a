/* SPDX-License-Identifier: MIT */
/*
 * The s390 IOMMU driver of Linux 6.7 (drivers/iommu/s390-iommu.c): zPCI functions and their
 * DMA windows, and the paging domain that dma-iommu runs on. Maps and unmaps only write the
 * 3-level tables; the RPCITs that make the hardware (or a shadowing hypervisor) see them come
 * from the sync callbacks: iotlb_sync after an unmap, flush_iotlb_all for a flush queue, and
 * iotlb_sync_map after a map, for functions whose hypervisor shadows the tables.
 */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

#include <iommusim/s390.h>

#include "base/memory.h"
#include "base/rcu.h"
#include "core/domain_impl.h"
#include "arch/s390/s390_internal.h"
#include "arch/s390/s390_tables.h"
#include "arch/s390/zpci_insn.h"

#define ZPCI_RT_LAST (IOMMUSIM_ZPCI_TABLE_SIZE_RT - 1)

/* struct zpci_iommu_ctrs plus the two counts the kernel lacks (struct iommusim_s390_counters) */
struct s390_ctrs {
	atomic_uint_fast64_t mapped_pages;
	atomic_uint_fast64_t unmapped_pages;
	atomic_uint_fast64_t global_rpcits;
	atomic_uint_fast64_t sync_map_rpcits;
	atomic_uint_fast64_t sync_rpcits;
	atomic_uint_fast64_t enomem_global_rpcits;
	atomic_uint_fast64_t rpcit_errors;
	atomic_uint_fast64_t enomem_failures;
};

/* struct s390_domain; the attached functions are the core's RCU device list */
struct s390_domain {
	struct iommusim_domain domain;
	struct iommusim_s390_io_table *table;
	struct s390_ctrs ctrs;
	/* enum iommusim_s390_enomem; may be changed while maps run */
	atomic_int enomem;
};

static const struct isim_domain_ops s390_domain_ops;

static struct s390_domain *to_s390_domain(struct iommusim_domain *d)
{
	return (struct s390_domain *)((char *)d - offsetof(struct s390_domain, domain));
}

static void ctr_add(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static void zpci_dev_free(struct iommusim_device *dev)
{
	isim_free(dev->mem, dev->iommu_priv, sizeof(struct isim_zpci_dev), 0);
	dev->iommu_priv = NULL;
	dev->iommu_priv_free = NULL;
}

struct isim_zpci_dev *isim_zpci_dev(const struct iommusim_device *dev)
{
	/* The free hook is ours only on devices this file made zPCI functions. */
	return dev->iommu_priv_free == zpci_dev_free ? dev->iommu_priv : NULL;
}

/* s390_iommu_aperture as s390_iommu_init() derives it from the boot parameter */
static uint64_t aperture_limit(const struct iommusim_zpci_config *cfg)
{
	uint32_t factor = cfg->aperture_factor ? cfg->aperture_factor : 1;

	if (factor == IOMMUSIM_S390_APERTURE_UNLIMITED)
		return UINT64_MAX;
	/* The kernel's product would wrap; no real guest gets near, so saturate instead. */
	if (cfg->guest_memory > UINT64_MAX / factor)
		return UINT64_MAX;
	return cfg->guest_memory * factor;
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* mirrors zpci_init_iommu() (the window) and s390_iommu_probe_device() */
int iommusim_s390_device_init(struct iommusim_device *dev, struct iommusim_firmware *fw,
			      const struct iommusim_zpci_config *cfg)
{
	uint64_t start, end, span, aperture;
	struct isim_zpci_dev *z;

	assert(dev && fw && cfg);
	if (dev->iommu_priv)
		return -EBUSY;
	/* Past 4 TiB no 3-level table reaches (the probe's second check, made early). */
	if (cfg->start_dma > ZPCI_RT_LAST)
		return -EINVAL;
	start = (cfg->start_dma + ZPCI_PAGE_SIZE - 1) & ~(ZPCI_PAGE_SIZE - 1);
	/*
	 * An inverted window is refused before the aperture is computed: the kernel recomputes
	 * end_dma first and only then checks start_dma > end_dma, so the wrapped length of an
	 * inverted window would slip through there.
	 */
	if (start > cfg->end_dma)
		return -EINVAL;
	/* [0, 2^64 - 1] is 2^64 bytes long: saturate rather than wrap to an empty window */
	span = cfg->end_dma - start;
	span = span == UINT64_MAX ? span : span + 1;
	aperture = min3(aperture_limit(cfg), IOMMUSIM_ZPCI_TABLE_SIZE_RT - start, span);
	/* No guest memory: nothing to map (the kernel never sees this) */
	if (!aperture)
		return -EINVAL;
	end = start + aperture - 1;

	/* s390_iommu_probe_device() */
	if (start > end || start > ZPCI_RT_LAST)
		return -EINVAL;
	if (end > ZPCI_RT_LAST)
		end = ZPCI_RT_LAST;

	z = isim_zalloc(dev->mem, sizeof(*z), 0);
	if (!z)
		return -ENOMEM;
	z->fw = fw;
	z->fh = cfg->fh;
	z->tlb_refresh = cfg->tlb_refresh;
	z->ism = cfg->ism;
	z->start_dma = start;
	z->end_dma = end;
	z->max_busy_retries = cfg->max_busy_retries;

	dev->iommu_priv = z;
	dev->iommu_priv_free = zpci_dev_free;
	dev->pci = true;
	dev->shadow_on_flush = cfg->tlb_refresh;
	/* s390_iommu_capable(IOMMU_CAP_DEFERRED_FLUSH): ISM functions stay strict */
	dev->deferred_flush = !cfg->ism;
	return 0;
}

int iommusim_s390_device_window(const struct iommusim_device *dev, uint64_t *start_dma,
				uint64_t *end_dma)
{
	const struct isim_zpci_dev *z = isim_zpci_dev(dev);

	if (!z)
		return -EINVAL;
	if (start_dma)
		*start_dma = z->start_dma;
	if (end_dma)
		*end_dma = z->end_dma;
	return 0;
}

/* mirrors s390_domain_alloc_paging() */
int iommusim_s390_domain_create(struct iommusim_mem *mem, enum iommusim_kernel kernel,
				struct iommusim_domain **out)
{
	struct s390_domain *sd;
	int ret;

	assert(mem && out);
	sd = isim_zalloc(mem, sizeof(*sd), 0);
	if (!sd)
		return -ENOMEM;
	ret = isim_s390_table_create(mem, &sd->table);
	if (ret)
		goto free_domain;
	ret = isim_domain_init(&sd->domain, &s390_domain_ops, mem, ZPCI_PAGE_SIZE, 0, ZPCI_RT_LAST,
			       kernel);
	if (ret)
		goto free_table;
	*out = &sd->domain;
	return 0;

free_table:
	isim_s390_table_destroy(sd->table);
free_domain:
	isim_free(mem, sd, sizeof(*sd), 0);
	return ret;
}

int iommusim_s390_domain_counters(struct iommusim_domain *d, struct iommusim_s390_counters *out)
{
	struct s390_ctrs *c;

	assert(d && out);
	if (d->ops != &s390_domain_ops)
		return -EINVAL;
	c = &to_s390_domain(d)->ctrs;
	out->mapped_pages = atomic_load_explicit(&c->mapped_pages, memory_order_relaxed);
	out->unmapped_pages = atomic_load_explicit(&c->unmapped_pages, memory_order_relaxed);
	out->global_rpcits = atomic_load_explicit(&c->global_rpcits, memory_order_relaxed);
	out->sync_map_rpcits = atomic_load_explicit(&c->sync_map_rpcits, memory_order_relaxed);
	out->sync_rpcits = atomic_load_explicit(&c->sync_rpcits, memory_order_relaxed);
	out->enomem_global_rpcits =
		atomic_load_explicit(&c->enomem_global_rpcits, memory_order_relaxed);
	out->rpcit_errors = atomic_load_explicit(&c->rpcit_errors, memory_order_relaxed);
	out->enomem_failures = atomic_load_explicit(&c->enomem_failures, memory_order_relaxed);
	return 0;
}

int iommusim_s390_domain_set_enomem(struct iommusim_domain *d, enum iommusim_s390_enomem mode)
{
	assert(d);
	if (d->ops != &s390_domain_ops)
		return -EINVAL;
	if (mode != IOMMUSIM_S390_ENOMEM_GLOBAL_FLUSH && mode != IOMMUSIM_S390_ENOMEM_NONE &&
	    mode != IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE)
		return -EINVAL;
	atomic_store_explicit(&to_s390_domain(d)->enomem, (int)mode, memory_order_relaxed);
	return 0;
}

/* zpci_refresh_trans() for one function, with failures counted */
static int rpcit(struct s390_domain *sd, const struct isim_zpci_dev *z, struct iommusim_cpu *cpu,
		 uint64_t addr, uint64_t len)
{
	int ret = isim_zpci_refresh_trans(z->fw, cpu, z->fh, addr, len, z->max_busy_retries);

	if (ret)
		ctr_add(&sd->ctrs.rpcit_errors, 1);
	return ret;
}

/* mirrors zpci_refresh_all() */
static int refresh_all(struct s390_domain *sd, const struct isim_zpci_dev *z,
		       struct iommusim_cpu *cpu)
{
	return rpcit(sd, z, cpu, z->start_dma, z->end_dma - z->start_dma + 1);
}

/* mirrors s390_iommu_validate_trans() */
static int validate_trans(struct s390_domain *sd, struct iommusim_cpu *cpu, uint64_t pa,
			  uint64_t iova, uint64_t nr_pages, bool protected)
{
	struct isim_s390_pte pte;
	uint64_t i;

	for (i = 0; i < nr_pages; i++) {
		pte = isim_s390_table_walk(sd->table, cpu, iova, true);
		if (!pte.pte)
			goto undo;
		isim_s390_pte_update(cpu, pte, pa, ZPCI_PTE_VALID, protected);
		pa += ZPCI_PAGE_SIZE;
		iova += ZPCI_PAGE_SIZE;
	}
	return 0;

undo:
	/* Tables are never freed, so the walks back find the pages just written. */
	while (i-- > 0) {
		iova -= ZPCI_PAGE_SIZE;
		pte = isim_s390_table_walk(sd->table, cpu, iova, true);
		if (!pte.pte)
			break;
		isim_s390_pte_update(cpu, pte, 0, ZPCI_PTE_INVALID, false);
	}
	return -ENOMEM;
}

/* mirrors s390_iommu_invalidate_trans(): the walk allocates, as the kernel's GFP_ATOMIC one */
static int invalidate_trans(struct s390_domain *sd, struct iommusim_cpu *cpu, uint64_t iova,
			    uint64_t nr_pages)
{
	for (uint64_t i = 0; i < nr_pages; i++) {
		struct isim_s390_pte pte = isim_s390_table_walk(sd->table, cpu, iova, true);

		if (!pte.pte)
			return -EINVAL;
		isim_s390_pte_update(cpu, pte, 0, ZPCI_PTE_INVALID, false);
		iova += ZPCI_PAGE_SIZE;
	}
	return 0;
}

/* [iova, iova + pgcount pages) reaches outside the domain's aperture (or is empty) */
static bool outside_aperture(const struct iommusim_domain *d, uint64_t iova, uint64_t pgcount)
{
	uint64_t size = pgcount << ZPCI_PAGE_SHIFT;

	/* Ranges whose size or end would wrap are outside too; the kernel's arithmetic wraps. */
	if (!pgcount || pgcount > (UINT64_MAX >> ZPCI_PAGE_SHIFT) || iova + size - 1 < iova)
		return true;
	return iova < d->aperture_start || iova + size - 1 > d->aperture_end;
}

/* mirrors s390_iommu_map_pages(): tables only, the RPCIT comes from iotlb_sync_map */
static int s390_map_pages(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
			  uint64_t paddr, uint64_t pgsize, uint64_t pgcount, int prot,
			  uint64_t *mapped)
{
	struct s390_domain *sd = to_s390_domain(d);
	uint64_t size = pgcount * pgsize;
	int ret;

	if (pgsize != ZPCI_PAGE_SIZE)
		return -EINVAL;
	if (outside_aperture(d, iova, pgcount))
		return -EINVAL;
	if ((iova | paddr) & (ZPCI_PAGE_SIZE - 1))
		return -EINVAL;
	/* 6.7 dropped the older check for IOMMU_READ: any map without WRITE is read-only. */
	ret = validate_trans(sd, cpu, paddr, iova, pgcount, !(prot & IOMMUSIM_PROT_WRITE));
	if (!ret) {
		*mapped = size;
		ctr_add(&sd->ctrs.mapped_pages, pgcount);
	}
	return ret;
}

/* mirrors s390_iommu_unmap_pages(): tables and the gather only, no RPCIT */
static uint64_t s390_unmap_pages(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
				 uint64_t pgsize, uint64_t pgcount, struct iommusim_iotlb_gather *g)
{
	struct s390_domain *sd = to_s390_domain(d);
	uint64_t size = pgcount * pgsize;

	/* The kernel WARNs here; the caller gets 0 bytes unmapped. */
	if (pgsize != ZPCI_PAGE_SIZE || outside_aperture(d, iova, pgcount))
		return 0;
	if (invalidate_trans(sd, cpu, iova, pgcount))
		return 0;
	iommusim_iotlb_gather_add_range(g, iova, size);
	ctr_add(&sd->ctrs.unmapped_pages, pgcount);
	return size;
}

/* mirrors s390_iommu_flush_iotlb_all(): a global RPCIT per function, results ignored */
static void s390_flush_iotlb_all(struct iommusim_domain *d, struct iommusim_cpu *cpu)
{
	struct s390_domain *sd = to_s390_domain(d);
	struct iommusim_device *dev;

	isim_rcu_read_lock();
	isim_domain_for_each_device (d, dev) {
		ctr_add(&sd->ctrs.global_rpcits, 1);
		refresh_all(sd, isim_zpci_dev(dev), cpu);
	}
	isim_rcu_read_unlock();
}

/* mirrors s390_iommu_iotlb_sync(): one RPCIT per function over the inclusive gather */
static void s390_iotlb_sync(struct iommusim_domain *d, struct iommusim_cpu *cpu,
			    struct iommusim_iotlb_gather *g)
{
	struct s390_domain *sd = to_s390_domain(d);
	uint64_t size = g->end - g->start + 1;
	struct iommusim_device *dev;

	/* An untouched gather has nothing to flush. */
	if (!g->end)
		return;
	isim_rcu_read_lock();
	isim_domain_for_each_device (d, dev) {
		ctr_add(&sd->ctrs.sync_rpcits, 1);
		rpcit(sd, isim_zpci_dev(dev), cpu, g->start, size);
	}
	isim_rcu_read_unlock();
}

/*
 * The answer to a map RPCIT of function @z that found the hypervisor out of resources, as
 * the domain's s390.enomem mode says; returns the new result for the function.
 */
static int answer_enomem(struct s390_domain *sd, const struct isim_zpci_dev *z,
			 struct iommusim_cpu *cpu, uint64_t iova, uint64_t size)
{
	struct iommusim_domain *d = &sd->domain;

	switch (atomic_load_explicit(&sd->enomem, memory_order_relaxed)) {
	case IOMMUSIM_S390_ENOMEM_NONE:
		return -ENOMEM;
	case IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE:
		/*
		 * Earlier postings: let the DMA layer flush its queue (a global RPCIT per
		 * function, then the queued IOVAs freed) so the hypervisor can unpin what was
		 * unmapped, then try the range once more. Without a flush queue nothing is
		 * held back, so only the retry is left.
		 */
		if (d->dma_flush_queue)
			d->dma_flush_queue(d, cpu);
		return rpcit(sd, z, cpu, iova, size);
	default:
		/*
		 * Linux 6.7: a global RPCIT lets the hypervisor drop what was invalidated
		 * meanwhile; it covers the new range too, so the ranged one is not repeated. The
		 * kernel does not count it in global_rpcits.
		 */
		ctr_add(&sd->ctrs.enomem_global_rpcits, 1);
		return refresh_all(sd, z, cpu);
	}
}

/*
 * mirrors s390_iommu_iotlb_sync_map(): only functions whose hypervisor shadows the tables need
 * an RPCIT for new entries; "insufficient resources" goes to answer_enomem(), and if that
 * fails too the loop stops. Otherwise the result is that of the last function tried, so an
 * error of an earlier one is lost when a later one succeeds, exactly as in the kernel.
 */
static int s390_iotlb_sync_map(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
			       uint64_t size)
{
	struct s390_domain *sd = to_s390_domain(d);
	struct iommusim_device *dev;
	int ret = 0;

	isim_rcu_read_lock();
	isim_domain_for_each_device (d, dev) {
		const struct isim_zpci_dev *z = isim_zpci_dev(dev);

		if (!z->tlb_refresh)
			continue;
		ctr_add(&sd->ctrs.sync_map_rpcits, 1);
		ret = rpcit(sd, z, cpu, iova, size);
		if (ret == -ENOMEM) {
			ret = answer_enomem(sd, z, cpu, iova, size);
			if (ret)
				break;
		}
	}
	isim_rcu_read_unlock();
	/* Only a break leaves -ENOMEM here: the answer could not make room. */
	if (ret == -ENOMEM)
		ctr_add(&sd->ctrs.enomem_failures, 1);
	return ret;
}

/* mirrors s390_iommu_iova_to_phys(), with the permission the PTE grants */
static int s390_iova_to_phys(struct iommusim_domain *d, uint64_t iova, uint64_t *phys, int *prot)
{
	if (iova < d->aperture_start || iova > d->aperture_end)
		return -EFAULT;
	return isim_s390_table_translate(to_s390_domain(d)->table, iova, phys, prot);
}

/*
 * mirrors s390_iommu_attach_device(): the domain's table is registered for the function's
 * window (zpci_register_ioat); a refusal fails the attach with the platform's error and
 * leaves the device unattached. The core refuses a device that is in another domain, so the
 * kernel's detach from a previous domain has nothing to do here.
 */
static int s390_attach_dev(struct iommusim_domain *d, struct iommusim_device *dev)
{
	const struct isim_zpci_dev *z = isim_zpci_dev(dev);

	if (!z)
		return -ENODEV;
	if (d->aperture_start > z->end_dma || d->aperture_end < z->start_dma)
		return -EINVAL;
	return iommusim_firmware_set_ioat(z->fw, z->fh, z->start_dma, z->end_dma,
					  to_s390_domain(d)->table);
}

/* mirrors s390_iommu_detach_device(): zpci_unregister_ioat, whose result the kernel ignores */
static void s390_detach_dev(struct iommusim_domain *d, struct iommusim_device *dev)
{
	const struct isim_zpci_dev *z = isim_zpci_dev(dev);

	(void)d;
	(void)iommusim_firmware_set_ioat(z->fw, z->fh, 0, 0, NULL);
}

/* mirrors s390_iommu_get_resv_regions(): everything outside the function's window */
static unsigned int s390_get_resv_regions(struct iommusim_device *dev, struct isim_resv_region *out,
					  unsigned int max)
{
	const struct isim_zpci_dev *z = isim_zpci_dev(dev);
	unsigned int n = 0;

	if (!z)
		return 0;
	if (z->start_dma && n < max)
		out[n++] = (struct isim_resv_region){
			.start = 0, .length = z->start_dma, .type = ISIM_RESV_RESERVED};
	if (z->end_dma < ZPCI_RT_LAST && n < max)
		out[n++] = (struct isim_resv_region){
			.start = z->end_dma + 1,
			.length = IOMMUSIM_ZPCI_TABLE_SIZE_RT - z->end_dma - 1,
			.type = ISIM_RESV_RESERVED,
		};
	return n;
}

/*
 * mirrors s390_domain_free(); the kernel defers the table walk with call_rcu, but every
 * device is detached by now and detaching waited for the readers
 */
static void s390_domain_free(struct iommusim_domain *d)
{
	struct s390_domain *sd = to_s390_domain(d);
	struct iommusim_mem *mem = d->mem;

	isim_domain_fini(d);
	isim_s390_table_destroy(sd->table);
	isim_free(mem, sd, sizeof(*sd), 0);
}

static const struct isim_domain_ops s390_domain_ops = {
	.map_pages = s390_map_pages,
	.unmap_pages = s390_unmap_pages,
	.flush_iotlb_all = s390_flush_iotlb_all,
	.iotlb_sync_map = s390_iotlb_sync_map,
	.iotlb_sync = s390_iotlb_sync,
	.iova_to_phys = s390_iova_to_phys,
	.attach_dev = s390_attach_dev,
	.detach_dev = s390_detach_dev,
	.get_resv_regions = s390_get_resv_regions,
	.free = s390_domain_free,
};
