/* SPDX-License-Identifier: MIT */
/*
 * dma-iommu (drivers/iommu/dma-iommu.c): the DMA API over a paging domain. One IOVA domain per
 * IOMMU domain (the cookie), granule = smallest IOMMU page, IOVAs allocated top-down under the
 * device's mask, 32-bit first for PCI devices until that fails once, unmaps synced at once
 * (strict) or deferred through flush queues (lazy, fq.c). Linux 6.7+ by default; a config
 * switch gives 6.6, whose only differences here are the base PFN, the array depot of the IOVA
 * rcache and the per-CPU-only queues.
 *
 * Not modelled: swiotlb bouncing (untrusted devices), cache maintenance of non-coherent
 * devices, P2P bus-address segments, the PCI host bridge windows and dma-ranges holes that
 * iova_reserve_pci_windows() reserves, and MSI page bookkeeping.
 */
#include <assert.h>
#include <errno.h>

#include "base/bitops.h"
#include "base/cpu_work.h"
#include "base/memory.h"
#include "core/domain_impl.h"
#include "dma/cookie.h"
#include "dma/dma_ops.h"

/* The kernel's DMA_MAPPING_ERROR, written to unused sg dma_address fields. */
#define DMA_MAPPING_ERROR (~0ull)
#define MASK_32		  IOMMUSIM_DMA_BIT_MASK(32)

/* What dma-iommu keeps per device: its counters and the cookie of its domain. */
struct dma_iommu_dev {
	struct isim_dma_cookie *cookie;
	/* Relaxed atomics: several threads act as CPUs on one device. */
	atomic_uint_fast64_t maps;
	atomic_uint_fast64_t unmaps;
	atomic_uint_fast64_t map_failures;
	atomic_uint_fast64_t mapped_bytes;
	atomic_uint_fast64_t iova_32bit_fallbacks;
};

static const struct isim_dma_ops iommu_dma_ops;

static void ctr_add(atomic_uint_fast64_t *ctr, uint64_t n)
{
	atomic_fetch_add_explicit(ctr, n, memory_order_relaxed);
}

static struct dma_iommu_dev *to_dd(struct iommusim_device *dev)
{
	assert(dev->dma_ops == &iommu_dma_ops);
	return dev->dma_priv;
}

/* mirrors iova_offset() */
static uint64_t iova_offset(const struct isim_dma_cookie *c, uint64_t addr)
{
	return addr & (c->granule - 1);
}

/* mirrors iova_align() */
static uint64_t iova_align(const struct isim_dma_cookie *c, uint64_t size)
{
	return (size + c->granule - 1) & ~(c->granule - 1);
}

/* the kernel's min_not_zero(): 0 means no limit */
static uint64_t min_not_zero(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

/* mirrors dma_info_to_prot() for a coherent device without attributes */
static int dma_info_to_prot(enum iommusim_dma_dir dir)
{
	switch (dir) {
	case IOMMUSIM_DMA_BIDIRECTIONAL:
		return IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE;
	case IOMMUSIM_DMA_TO_DEVICE:
		return IOMMUSIM_PROT_READ;
	case IOMMUSIM_DMA_FROM_DEVICE:
		return IOMMUSIM_PROT_WRITE;
	default:
		return 0;
	}
}

/* valid_dma_direction(): the DMA API BUGs on anything else. */
static bool valid_dir(enum iommusim_dma_dir dir)
{
	return dir == IOMMUSIM_DMA_BIDIRECTIONAL || dir == IOMMUSIM_DMA_TO_DEVICE ||
	       dir == IOMMUSIM_DMA_FROM_DEVICE;
}

/*
 * mirrors iommu_dma_alloc_iova(): the IOVA (bytes) of @size bytes (granule aligned) under
 * @dma_limit, or 0 when there is none.
 */
static uint64_t iommu_dma_alloc_iova(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				     uint64_t size, uint64_t dma_limit)
{
	struct dma_iommu_dev *dd = to_dd(dev);
	struct isim_dma_cookie *c = dd->cookie;
	struct iommusim_domain *domain = c->domain;
	uint64_t iova_len = size >> c->shift, pfn;

	dma_limit = min_not_zero(dma_limit, dev->bus_dma_limit);
	if (domain->force_aperture && domain->aperture_end < dma_limit)
		dma_limit = domain->aperture_end;

	/*
	 * 32-bit first, until the first failure: from then on this device goes straight to its
	 * full mask. The exchange makes exactly one of racing CPUs count the switch.
	 */
	if (dma_limit > MASK_32 &&
	    atomic_load_explicit(&dev->pci_32bit_workaround, memory_order_relaxed)) {
		if (!iommusim_iova_alloc_fast(c->iovad, cpu, iova_len, MASK_32 >> c->shift, false,
					      &pfn))
			return pfn << c->shift;
		if (atomic_exchange(&dev->pci_32bit_workaround, false))
			ctr_add(&dd->iova_32bit_fallbacks, 1);
	}
	if (iommusim_iova_alloc_fast(c->iovad, cpu, iova_len, dma_limit >> c->shift, true, &pfn))
		return 0;
	return pfn << c->shift;
}

/*
 * mirrors iommu_dma_free_iova(): queued behind a flush when the unmap was lazy, otherwise
 * straight back to this CPU's rcache.
 */
static void iommu_dma_free_iova(struct isim_dma_cookie *c, struct iommusim_cpu *cpu, uint64_t iova,
				uint64_t size, const struct iommusim_iotlb_gather *g)
{
	if (g && g->queued)
		isim_fq_queue_iova(c, cpu, iova >> c->shift, size >> c->shift);
	else
		iommusim_iova_free_fast(c->iovad, cpu, iova >> c->shift, size >> c->shift);
}

/* mirrors __iommu_dma_unmap() */
static void __iommu_dma_unmap(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			      uint64_t dma_addr, uint64_t size)
{
	struct isim_dma_cookie *c = to_dd(dev)->cookie;
	uint64_t iova_off = iova_offset(c, dma_addr);
	struct iommusim_iotlb_gather g;

	dma_addr -= iova_off;
	size = iova_align(c, size + iova_off);
	iommusim_iotlb_gather_init(&g);
	g.queued = atomic_load_explicit(&c->fq_active, memory_order_acquire);

	/* The kernel WARNs on a short unmap and carries on; so do we (minus the warning). */
	iommusim_iommu_unmap_fast(c->domain, cpu, dma_addr, size, &g);
	if (!g.queued)
		iommusim_iommu_iotlb_sync(c->domain, cpu, &g);
	iommu_dma_free_iova(c, cpu, dma_addr, size, &g);
}

/*
 * mirrors __iommu_dma_map(): map the granules covering [phys, phys + size) and return the
 * IOVA plus phys's offset in its granule. A failed map gives the IOVA back at once, never
 * through the flush queue: it was never visible to the device.
 */
static int __iommu_dma_map(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t phys,
			   uint64_t size, int prot, uint64_t dma_mask, uint64_t *dma_addr)
{
	struct isim_dma_cookie *c = to_dd(dev)->cookie;
	uint64_t iova_off = iova_offset(c, phys), iova;
	int err;

	size = iova_align(c, size + iova_off);
	iova = iommu_dma_alloc_iova(dev, cpu, size, dma_mask);
	if (!iova)
		return -ENOMEM;
	err = iommusim_iommu_map(c->domain, cpu, iova, phys - iova_off, size, prot);
	if (err) {
		iommu_dma_free_iova(c, cpu, iova, size, NULL);
		return err;
	}
	*dma_addr = iova + iova_off;
	return 0;
}

static int map_done(struct dma_iommu_dev *dd, int err, uint64_t bytes)
{
	if (err) {
		ctr_add(&dd->map_failures, 1);
	} else {
		ctr_add(&dd->maps, 1);
		ctr_add(&dd->mapped_bytes, bytes);
	}
	return err;
}

/* mirrors iommu_dma_map_page() */
static int iommu_dma_map_page(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t phys,
			      uint64_t size, enum iommusim_dma_dir dir, uint64_t *dma_addr)
{
	if (!valid_dir(dir) || size == 0)
		return -EINVAL;
	return map_done(to_dd(dev),
			__iommu_dma_map(dev, cpu, phys, size, dma_info_to_prot(dir), dev->dma_mask,
					dma_addr),
			size);
}

/*
 * mirrors iommu_dma_unmap_page(): an address that does not translate (already unmapped) is
 * left alone, as the kernel's WARN_ON(!phys) does; that keeps a double unmap from freeing
 * the IOVA twice.
 */
static void iommu_dma_unmap_page(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				 uint64_t dma_addr, uint64_t size, enum iommusim_dma_dir dir)
{
	struct dma_iommu_dev *dd = to_dd(dev);
	struct iommusim_domain *domain = dd->cookie->domain;

	(void)dir;
	if (domain->ops->iova_to_phys && iommusim_iommu_translate(domain, dma_addr, NULL, NULL))
		return;
	__iommu_dma_unmap(dev, cpu, dma_addr, size);
	ctr_add(&dd->unmaps, 1);
}

/*
 * mirrors __finalise_sg(): restore each element's offset and length from the DMA fields where
 * map_sg stashed them and write the output segments, merging an element into the previous
 * segment when it starts on a granule, is not at a segment boundary and keeps the segment
 * within max_seg_size. Return: the number of output segments.
 */
static unsigned int __finalise_sg(struct iommusim_device *dev, struct iommusim_sg *sg,
				  unsigned int nents, uint64_t dma_addr)
{
	uint64_t seg_mask = dev->seg_boundary_mask, max_len = dev->max_seg_size, cur_len = 0;
	unsigned int cur = 0, count = 0;

	for (unsigned int i = 0; i < nents; i++) {
		struct iommusim_sg *s = &sg[i];
		uint64_t s_iova_off = s->dma_address;
		uint64_t s_length = s->dma_length;
		uint64_t s_iova_len = s->length;

		s->dma_address = DMA_MAPPING_ERROR;
		s->dma_length = 0;
		s->phys += s_iova_off;
		s->length = s_length;

		/* Unsigned wrap as in the kernel: an over-long segment does not stop a merge. */
		if (cur_len && !s_iova_off && (dma_addr & seg_mask) &&
		    max_len - cur_len >= s_length) {
			cur_len += s_length;
		} else {
			if (i > 0)
				cur++;
			cur_len = s_length;
			count++;
			sg[cur].dma_address = dma_addr + s_iova_off;
		}
		sg[cur].dma_length = cur_len;
		dma_addr += s_iova_len;

		/* A segment that does not fill its IOVA space (tail or padding) ends the merge. */
		if (s_length + s_iova_off < s_iova_len)
			cur_len = 0;
	}
	return count;
}

/* mirrors __invalidate_sg(): undo map_sg's in-place changes after a failure */
static void __invalidate_sg(struct iommusim_sg *sg, unsigned int nents)
{
	for (unsigned int i = 0; i < nents; i++) {
		struct iommusim_sg *s = &sg[i];

		if (s->dma_address != DMA_MAPPING_ERROR)
			s->phys += s->dma_address;
		if (s->dma_length)
			s->length = s->dma_length;
		s->dma_address = DMA_MAPPING_ERROR;
		s->dma_length = 0;
	}
}

/*
 * mirrors iommu_dma_map_sg(): align every element to the granule in place (stashing the
 * original offset and length in its DMA fields), pad so no element straddles a segment
 * boundary, take one IOVA range for the total and map the list into it.
 */
static int iommu_dma_map_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			    struct iommusim_sg *sg, unsigned int nents, enum iommusim_dma_dir dir,
			    unsigned int *count_out)
{
	struct dma_iommu_dev *dd = to_dd(dev);
	struct isim_dma_cookie *c = dd->cookie;
	uint64_t mask = dev->seg_boundary_mask, iova_len = 0, bytes = 0, iova, mapped;
	struct iommusim_sg *prev = NULL;
	int prot = dma_info_to_prot(dir), ret;

	if (!valid_dir(dir))
		return -EINVAL;
	for (unsigned int i = 0; i < nents; i++) {
		struct iommusim_sg *s = &sg[i];
		uint64_t s_iova_off = iova_offset(c, s->phys);
		uint64_t s_length = s->length;
		uint64_t pad_len = (mask - iova_len + 1) & mask;

		bytes += s_length;
		s->dma_address = s_iova_off;
		s->dma_length = s_length;
		s->phys -= s_iova_off;
		s_length = iova_align(c, s_length + s_iova_off);
		s->length = s_length;

		/*
		 * The single allocation is aligned to its (power-of-two) size, so when the
		 * boundary is smaller than the total the range starts on a boundary and the
		 * layout can be planned from lengths alone: if this element would straddle the
		 * next boundary, pad the previous one up to it. pad_len is 0 on the first
		 * element, so prev is set whenever it is used.
		 */
		if (pad_len && pad_len < s_length - 1) {
			prev->length += pad_len;
			iova_len += pad_len;
		}
		iova_len += s_length;
		prev = s;
	}

	if (!iova_len) {
		*count_out = __finalise_sg(dev, sg, nents, 0);
		return map_done(dd, 0, bytes);
	}

	iova = iommu_dma_alloc_iova(dev, cpu, iova_len, dev->dma_mask);
	if (!iova) {
		ret = -ENOMEM;
		goto out_restore_sg;
	}
	ret = iommusim_iommu_map_sg(c->domain, cpu, iova, sg, nents, prot, &mapped);
	if (ret < 0 || mapped < iova_len)
		goto out_free_iova;

	*count_out = __finalise_sg(dev, sg, nents, iova);
	return map_done(dd, 0, bytes);

out_free_iova:
	iommu_dma_free_iova(c, cpu, iova, iova_len, NULL);
out_restore_sg:
	__invalidate_sg(sg, nents);
	/* Only these two reach the caller; every other failure is reported as -EINVAL. */
	if (ret != -ENOMEM && ret != -EREMOTEIO)
		ret = -EINVAL;
	return map_done(dd, ret, 0);
}

/*
 * mirrors iommu_dma_unmap_sg(): the list was mapped as one IOVA range, so one unmap from the
 * first segment's address to the end of the last segment with a length.
 */
static void iommu_dma_unmap_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			       struct iommusim_sg *sg, unsigned int nents,
			       enum iommusim_dma_dir dir)
{
	uint64_t start = 0, end = 0;

	(void)dir;
	if (nents && sg[0].dma_length)
		start = sg[0].dma_address;
	for (unsigned int i = 0; i < nents && sg[i].dma_length; i++)
		end = sg[i].dma_address + sg[i].dma_length;
	if (!end)
		return;
	__iommu_dma_unmap(dev, cpu, start, end - start);
	ctr_add(&to_dd(dev)->unmaps, 1);
}

/*
 * mirrors iommu_dma_alloc() for a physically contiguous buffer (the __iommu_dma_map path):
 * bidirectional, under the coherent mask.
 */
static int iommu_dma_alloc(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t phys,
			   uint64_t size, uint64_t *dma_addr)
{
	return map_done(to_dd(dev),
			__iommu_dma_map(dev, cpu, phys, size,
					dma_info_to_prot(IOMMUSIM_DMA_BIDIRECTIONAL),
					dev->coherent_dma_mask, dma_addr),
			size);
}

/* mirrors iommu_dma_free() */
static void iommu_dma_free(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t size,
			   uint64_t dma_addr)
{
	__iommu_dma_unmap(dev, cpu, dma_addr, size);
	ctr_add(&to_dd(dev)->unmaps, 1);
}

static uint64_t load(atomic_uint_fast64_t *ctr)
{
	return atomic_load_explicit(ctr, memory_order_relaxed);
}

static void iommu_dma_get_stats(struct iommusim_device *dev, struct iommusim_dma_stats *out)
{
	struct dma_iommu_dev *dd = to_dd(dev);
	struct isim_dma_cookie *c = dd->cookie;

	out->maps = load(&dd->maps);
	out->unmaps = load(&dd->unmaps);
	out->map_failures = load(&dd->map_failures);
	out->mapped_bytes = load(&dd->mapped_bytes);
	out->iova_32bit_fallbacks = load(&dd->iova_32bit_fallbacks);
	/* The queues belong to the domain: these are shared by its devices. */
	out->fq_entries = load(&c->st_fq_entries);
	out->fq_flushes = load(&c->st_fq_flushes);
	out->fq_full_flushes = load(&c->st_fq_full_flushes);
	out->fq_timer_flushes = load(&c->st_fq_timer_flushes);
}

/*
 * The device stops using dma-iommu. The queues, the IOVA domain and whatever is still queued
 * stay with the cookie, which lives as long as the domain (iommu_put_dma_cookie() runs when
 * the domain is freed).
 */
static void iommu_dma_teardown(struct iommusim_device *dev)
{
	struct dma_iommu_dev *dd = to_dd(dev);

	dd->cookie->users--;
	dev->dma_ops = NULL;
	dev->dma_priv = NULL;
	dev->dma_teardown = NULL;
	isim_free(dev->mem, dd, sizeof(*dd), 0);
}

static const struct isim_dma_ops iommu_dma_ops = {
	.map_page = iommu_dma_map_page,
	.unmap_page = iommu_dma_unmap_page,
	.map_sg = iommu_dma_map_sg,
	.unmap_sg = iommu_dma_unmap_sg,
	.alloc = iommu_dma_alloc,
	.free = iommu_dma_free,
	.get_stats = iommu_dma_get_stats,
};

/* mirrors iommu_put_dma_cookie(): run when the domain is freed */
static void cookie_free(struct iommusim_domain *domain)
{
	struct isim_dma_cookie *c = domain->dma_cookie;

	if (!c)
		return;
	assert(c->users == 0);
	isim_fq_free(c);
	iommusim_iova_domain_destroy(c->iovad);
	isim_free(c->mem, c, sizeof(*c), ISIM_CACHELINE);
	domain->dma_cookie = NULL;
	domain->dma_cookie_free = NULL;
	domain->dma_flush_queue = NULL;
}

/*
 * iommu_dma_flush_fq() of earlier postings of the s390 conversion: what a driver calls to have
 * the flush queue emptied, the same flush and reclaim as iommusim_dma_iommu_flush_queue()
 */
static void cookie_flush_queue(struct iommusim_domain *domain, struct iommusim_cpu *cpu)
{
	isim_fq_flush_all(domain->dma_cookie, cpu);
}

/* The granule and lowest PFN iommu_dma_init_domain() derives from the domain. */
static void domain_geometry(const struct iommusim_domain *domain, enum iommusim_kernel kernel,
			    unsigned int *order, uint64_t *base_pfn)
{
	uint64_t base = 1;

	*order = isim_ffs64(domain->pgsize_bitmap);
	/*
	 * PFN 0 is never handed out (0 means failure). 6.7 raises the base to the aperture
	 * start always; 6.6 only for a domain that forces its aperture (with the DMA base
	 * of the architecture, 0 here).
	 */
	if (kernel != IOMMUSIM_KERNEL_6_6 || domain->force_aperture) {
		uint64_t ap = domain->aperture_start >> *order;

		if (ap > base)
			base = ap;
	}
	*base_pfn = base;
}

/* mirrors iommu_dma_init_options(), with the overrides of the config */
static void init_options(struct isim_dma_options *o, const struct iommusim_device *dev,
			 const struct iommusim_dma_iommu_config *cfg)
{
	bool single;

	if (cfg->kernel == IOMMUSIM_KERNEL_6_6) {
		/* 6.6 has one fixed layout (IOVA_FQ_SIZE, IOVA_FQ_TIMEOUT). */
		*o = (struct isim_dma_options){.qt = ISIM_FQ_QT_PER_CPU,
					       .fq_size = IOMMUSIM_FQ_PER_CPU_SIZE,
					       .fq_timeout_ms = IOMMUSIM_FQ_PER_CPU_TIMEOUT_MS};
		return;
	}
	if (cfg->fq_type == IOMMUSIM_FQ_AUTO)
		single = dev->shadow_on_flush;
	else
		single = cfg->fq_type == IOMMUSIM_FQ_SINGLE;
	/* Shadowing hypervisors pay per flush: one large queue and a long timeout. */
	o->qt = single ? ISIM_FQ_QT_SINGLE : ISIM_FQ_QT_PER_CPU;
	o->fq_size = single ? IOMMUSIM_FQ_SINGLE_SIZE : IOMMUSIM_FQ_PER_CPU_SIZE;
	o->fq_timeout_ms = single ? IOMMUSIM_FQ_SINGLE_TIMEOUT_MS : IOMMUSIM_FQ_PER_CPU_TIMEOUT_MS;
	if (cfg->fq_size)
		o->fq_size = cfg->fq_size;
	if (cfg->fq_timeout_ms)
		o->fq_timeout_ms = cfg->fq_timeout_ms;
}

/*
 * mirrors iova_reserve_iommu_regions(): every reserved region of the device except the
 * software MSI window (dma-iommu manages that one itself) becomes a reserved IOVA range.
 * Like the kernel, a region reserve_iova() refuses is skipped.
 */
static int reserve_regions(struct isim_dma_cookie *c, struct iommusim_device *dev,
			   struct iommusim_cpu *cpu)
{
	struct isim_resv_region r[ISIM_MAX_RESV_REGIONS];
	unsigned int n;

	if (!c->domain->ops->get_resv_regions)
		return 0;
	n = c->domain->ops->get_resv_regions(dev, r, ISIM_MAX_RESV_REGIONS);
	if (n > ISIM_MAX_RESV_REGIONS)
		n = ISIM_MAX_RESV_REGIONS;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t lo, hi;

		if (r[i].type == ISIM_RESV_SW_MSI)
			continue;
		lo = r[i].start >> c->shift;
		hi = (r[i].start + r[i].length - 1) >> c->shift;
		if (iommusim_iova_reserve(c->iovad, cpu, lo, hi) == -ENOMEM)
			return -ENOMEM;
	}
	return 0;
}

/*
 * mirrors iommu_dma_init_domain() for the first device of a domain: the IOVA domain, the
 * options, the flush queue (strict if the device cannot defer flushes or the queue cannot be
 * had), the reserved regions.
 */
static int cookie_create(struct iommusim_domain *domain, struct iommusim_device *dev,
			 const struct iommusim_dma_iommu_config *cfg, struct isim_dma_cookie **out)
{
	struct iommusim_iova_config icfg = {0};
	struct iommusim_cpu *boot = NULL;
	struct isim_dma_cookie *c;
	unsigned int order;
	uint64_t base_pfn;
	int err;

	if (!domain->pgsize_bitmap)
		return -EINVAL;
	domain_geometry(domain, cfg->kernel, &order, &base_pfn);
	c = isim_zalloc(domain->mem, sizeof(*c), ISIM_CACHELINE);
	if (!c)
		return -ENOMEM;
	c->domain = domain;
	c->mem = domain->mem;
	c->shift = order;
	c->granule = 1ull << order;
	c->kernel = cfg->kernel;
	c->possible_cpus = cfg->possible_cpus;
	c->clock = cfg->clock;
	atomic_init(&c->fq_active, false);
	atomic_init(&c->fq_flush_start_cnt, 0);
	atomic_init(&c->fq_flush_finish_cnt, 0);
	atomic_init(&c->fq_timer_on, 0);

	icfg.mem = domain->mem;
	icfg.clock = cfg->clock;
	icfg.granule = c->granule;
	icfg.start_pfn = base_pfn;
	icfg.possible_cpus = cfg->possible_cpus;
	icfg.depot = cfg->kernel == IOMMUSIM_KERNEL_6_6 ? IOMMUSIM_IOVA_DEPOT_ARRAY
							: IOMMUSIM_IOVA_DEPOT_LIST;
	/* A granule above PAGE_SIZE is refused here (the kernel BUGs in init_iova_domain). */
	err = iommusim_iova_domain_create(&icfg, &c->iovad);
	if (err)
		goto fail;

	init_options(&c->options, dev, cfg);
	if (cfg->mode == IOMMUSIM_DMA_LAZY && dev->deferred_flush)
		(void)isim_fq_init(c); /* on failure the domain stays strict, as in the kernel */

	/* Setup runs on no particular CPU: the work of the reservations is not charged. */
	err = iommusim_cpu_create(domain->mem, 0, &boot);
	if (err)
		goto fail;
	err = reserve_regions(c, dev, boot);
	iommusim_cpu_destroy(boot);
	if (err)
		goto fail;
	*out = c;
	return 0;
fail:
	isim_fq_free(c);
	iommusim_iova_domain_destroy(c->iovad);
	isim_free(domain->mem, c, sizeof(*c), ISIM_CACHELINE);
	return err;
}

static int check_config(const struct iommusim_dma_iommu_config *cfg)
{
	if (cfg->mode != IOMMUSIM_DMA_LAZY && cfg->mode != IOMMUSIM_DMA_STRICT)
		return -EINVAL;
	if (cfg->fq_type != IOMMUSIM_FQ_AUTO && cfg->fq_type != IOMMUSIM_FQ_PER_CPU &&
	    cfg->fq_type != IOMMUSIM_FQ_SINGLE)
		return -EINVAL;
	if (cfg->kernel != IOMMUSIM_KERNEL_6_7 && cfg->kernel != IOMMUSIM_KERNEL_6_6)
		return -EINVAL;
	/* The ring indexes with & (size - 1) and keeps one slot free. */
	if (cfg->fq_size && (cfg->fq_size < 2 || !isim_is_pow2(cfg->fq_size)))
		return -EINVAL;
	if (cfg->possible_cpus == 0 || cfg->possible_cpus > IOMMUSIM_IOVA_MAX_CPUS)
		return -EINVAL;
	/* The flush-queue timeout needs somewhere to run. */
	if (cfg->mode == IOMMUSIM_DMA_LAZY && !cfg->clock)
		return -EINVAL;
	/* 6.6 has per-CPU queues of 256 and a 10 ms timeout, nothing else. */
	if (cfg->kernel == IOMMUSIM_KERNEL_6_6 &&
	    (cfg->fq_type == IOMMUSIM_FQ_SINGLE ||
	     (cfg->fq_size && cfg->fq_size != IOMMUSIM_FQ_PER_CPU_SIZE) ||
	     (cfg->fq_timeout_ms && cfg->fq_timeout_ms != IOMMUSIM_FQ_PER_CPU_TIMEOUT_MS)))
		return -EINVAL;
	return 0;
}

/*
 * A later device of a domain finds the IOVA domain made: like iommu_dma_init_domain() it only
 * checks that the granule and base agree, and the domain keeps its first device's options,
 * mode and reserved regions.
 */
static int cookie_check(const struct isim_dma_cookie *c, const struct iommusim_domain *domain,
			const struct iommusim_dma_iommu_config *cfg)
{
	unsigned int order;
	uint64_t base_pfn;

	domain_geometry(domain, c->kernel, &order, &base_pfn);
	if (1ull << order != c->granule || base_pfn != iommusim_iova_start_pfn(c->iovad))
		return -EFAULT;
	/* The queues and rcaches exist for the first device's CPUs only. */
	if (cfg->possible_cpus > c->possible_cpus)
		return -EINVAL;
	return 0;
}

/* mirrors iommu_setup_dma_ops() + iommu_dma_init_domain() */
int iommusim_dma_iommu_setup(struct iommusim_device *dev, struct iommusim_domain *domain,
			     const struct iommusim_dma_iommu_config *cfg)
{
	struct isim_dma_cookie *c = domain->dma_cookie;
	struct dma_iommu_dev *dd;
	bool attached = false, created = false;
	int err;

	assert(dev && domain && cfg);
	err = check_config(cfg);
	if (err)
		return err;
	if (dev->dma_ops)
		return -EBUSY;
	if (dev->domain != domain) {
		err = iommusim_iommu_attach_device(domain, dev);
		if (err)
			return err;
		attached = true;
	}
	dd = isim_zalloc(dev->mem, sizeof(*dd), 0);
	if (!dd) {
		err = -ENOMEM;
		goto fail;
	}
	if (c) {
		err = cookie_check(c, domain, cfg);
	} else {
		err = cookie_create(domain, dev, cfg, &c);
		created = !err;
	}
	if (err)
		goto fail;
	if (created) {
		domain->dma_cookie = c;
		domain->dma_cookie_free = cookie_free;
		if (atomic_load(&c->fq_active))
			domain->dma_flush_queue = cookie_flush_queue;
	}
	c->users++;
	dd->cookie = c;
	atomic_store(&dev->pci_32bit_workaround, dev->pci && !cfg->forcedac);
	dev->dma_priv = dd;
	dev->dma_ops = &iommu_dma_ops;
	dev->dma_teardown = iommu_dma_teardown;
	return 0;
fail:
	if (dd)
		isim_free(dev->mem, dd, sizeof(*dd), 0);
	if (attached)
		iommusim_iommu_detach_device(domain, dev);
	return err;
}

void iommusim_dma_iommu_flush_queue(struct iommusim_device *dev, struct iommusim_cpu *cpu)
{
	if (dev->dma_ops != &iommu_dma_ops)
		return;
	isim_fq_flush_all(to_dd(dev)->cookie, cpu);
}

bool iommusim_dma_iommu_lazy(struct iommusim_device *dev)
{
	if (dev->dma_ops != &iommu_dma_ops)
		return false;
	return atomic_load_explicit(&to_dd(dev)->cookie->fq_active, memory_order_acquire);
}

struct iommusim_iova_domain *iommusim_dma_iova_domain(struct iommusim_device *dev)
{
	if (dev->dma_ops != &iommu_dma_ops)
		return NULL;
	return to_dd(dev)->cookie->iovad;
}
