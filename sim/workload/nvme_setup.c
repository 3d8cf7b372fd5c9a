/* SPDX-License-Identifier: MIT */
/*
 * Building the NVMe workload (nvme.h): the request slots and their buffers, the device's
 * service time and latency draw, and the driver's long-lived coherent memory; and taking it
 * down. Everything a steady-state I/O touches is allocated here, so the loop in nvme.c
 * allocates nothing but the engine's recycled event records.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <iommusim/dma.h>
#include <iommusim/error.h>

#include "base/memory.h"
#include "workload/nvme_impl.h"

/* NVMe submission and completion queue entry sizes (the specification's fixed formats). */
#define SQ_ENTRY_BYTES 64ull
#define CQ_ENTRY_BYTES 16ull
/* blk-mq's BLK_MQ_RESOURCE_DELAY: 3 ms before a queue that ran out of resources runs again. */
#define BLK_MQ_RESOURCE_DELAY_NS (3ull * 1000 * 1000)

__extension__ typedef unsigned __int128 u128;

/* A one-line message in @buf (@len bytes, 0: none); returns -EINVAL. */
__attribute__((format(printf, 3, 4))) static int fail(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (len) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static uint64_t div_round_up(u128 a, u128 b)
{
	u128 q = (a + b - 1) / b;

	return q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
}

/* @bytes rounded up to the guest kernel's pages, which coherent memory comes in. */
static uint64_t page_round(uint64_t bytes, uint64_t kpage)
{
	return (bytes + kpage - 1) & ~(kpage - 1);
}

static int alloc_coherent(struct isim_nvme *n, const struct isim_workload_setup *setup,
			  struct iommusim_cpu *cpu, uint64_t *phys, uint64_t size, const char *what)
{
	struct coherent *c = &n->coh[n->st.ctr.coherent];
	uint64_t failed = iommusim_mem_failed_allocs(n->mem);
	int err;

	assert(n->st.ctr.coherent < n->ncoh_max);
	err = iommusim_dma_alloc_coherent(n->dev, cpu, *phys, size, &c->dma);
	if (err) {
		/* The guest stack says -ENOMEM both for the host's memory and for its own space. */
		if (iommusim_mem_failed_allocs(n->mem) != failed) {
			if (setup->errlen)
				snprintf(setup->errbuf, setup->errlen,
					 "nvme: out of memory mapping the %s", what);
			return -ENOMEM;
		}
		if (setup->errlen)
			snprintf(setup->errbuf, setup->errlen,
				 "nvme: the guest's DMA stack refused to map the %s "
				 "(%llu bytes): %s",
				 what, (unsigned long long)size, iommusim_strerror(err));
		return -EINVAL;
	}
	c->size = size;
	n->st.ctr.coherent++;
	*phys += size;
	return 0;
}

/*
 * Guest-physical layout from phys_base: per job its SQ ring, CQ ring and PRP-list pages, then
 * the data buffers. A buffer of up to two pages is contiguous; a larger one takes every other
 * page of a region it shares with its neighbour slot, so its pages are not contiguous, as the
 * pages of a large bio rarely are.
 */
static int layout(struct isim_nvme *n, const struct isim_workload_setup *setup)
{
	struct iommusim_cpu *cpu0 = iommusim_engine_cpu(n->e, 0);
	uint64_t kpage = setup->kernel_page ? setup->kernel_page : PAGE_SIZE;
	uint64_t ring_sq = page_round(n->iodepth * SQ_ENTRY_BYTES, kpage);
	uint64_t ring_cq = page_round(n->iodepth * CQ_ENTRY_BYTES, kpage);
	bool prp_list = n->pages > PRP_DIRECT_PAGES;
	/* the PRP dma_pool carves its 4 KiB pages out of kernel pages of coherent memory */
	uint64_t prp_bytes = prp_list ? page_round(n->iodepth * PAGE_SIZE, kpage) : 0;
	uint64_t per_job = ring_sq + ring_cq + prp_bytes;
	uint64_t pairs = (n->nslots + 1) / 2;
	u128 end = (u128)setup->phys_base + (u128)per_job * n->jobs +
		   (u128)pairs * 2 * n->pages * PAGE_SIZE;
	uint64_t phys = setup->phys_base;
	int err;

	if (end > setup->phys_limit) {
		if (setup->errlen)
			snprintf(
				setup->errbuf, setup->errlen,
				"nvme: rings and buffers of %u jobs x iodepth %u x %llu bytes need "
				"guest memory up to %llu bytes; guest_memory is %llu",
				n->jobs, n->iodepth, (unsigned long long)n->bytes,
				end > UINT64_MAX ? (unsigned long long)UINT64_MAX
						 : (unsigned long long)end,
				(unsigned long long)setup->phys_limit);
		return -EINVAL;
	}
	for (unsigned int j = 0; j < n->jobs; j++) {
		/* mirrors nvme_alloc_queue(): the CQ ring, then the SQ ring */
		err = alloc_coherent(n, setup, cpu0, &phys, ring_cq, "completion queue ring");
		if (!err)
			err = alloc_coherent(n, setup, cpu0, &phys, ring_sq,
					     "submission queue ring");
		/* The PRP page pool grows to one page per request in flight. */
		for (uint64_t b = 0; !err && b < prp_bytes; b += kpage)
			err = alloc_coherent(n, setup, cpu0, &phys, kpage, "PRP list page");
		if (err)
			return err;
	}
	for (size_t k = 0; k < n->nslots; k++) {
		struct slot *s = &n->slot[k];

		if (!prp_list) {
			s->phys = phys + k * n->pages * PAGE_SIZE;
			continue;
		}
		s->sg = &n->sg[k * n->pages];
		for (uint32_t i = 0; i < n->pages; i++) {
			uint64_t region = phys + (k / 2) * 2 * n->pages * PAGE_SIZE;

			s->sg[i].phys = region + (2 * i + k % 2) * PAGE_SIZE;
			s->sg[i].length = PAGE_SIZE;
		}
	}
	return 0;
}

/* The NVMe part of iommusim_sim_config_check(): the job set against the CPUs. */
int isim_nvme_check(const struct iommusim_sim_config *cfg, char *errbuf, size_t errlen)
{
	const struct iommusim_nvme_config *job = &cfg->nvme;

	if (job->jobs == 0 || job->jobs > cfg->cpus)
		return fail(errbuf, errlen, "nvme.jobs: %u is not in 1..%u (one job per CPU)",
			    job->jobs, cfg->cpus);
	if (job->iodepth == 0)
		return fail(errbuf, errlen, "nvme.iodepth: must be at least 1");
	if (job->block_size == 0 || job->block_size % PAGE_SIZE != 0)
		return fail(errbuf, errlen,
			    "nvme.block_size: %u is not a positive multiple of 4096",
			    job->block_size);
	if (job->mixed && job->rwmixread > 100)
		return fail(errbuf, errlen, "nvme.rwmixread: %u is not in 0..100", job->rwmixread);
	if (job->dma_bits && (job->dma_bits < 32 || job->dma_bits > 64))
		return fail(errbuf, errlen, "nvme.dma_bits: %u is not in 32..64", job->dma_bits);
	/* the s390 function's window and policies assume the NVMe driver's 64-bit mask */
	if (iommusim_platform_arch(cfg->platform) == IOMMUSIM_ARCH_S390 &&
	    ((job->dma_bits && job->dma_bits != 64) || job->mask32_first))
		return fail(errbuf, errlen, "nvme.%s: modelled on powerpc platforms only",
			    job->mask32_first ? "mask32_first" : "dma_bits");
	return 0;
}

int isim_nvme_create(struct iommusim_mem *mem, const struct isim_workload_setup *setup, void **out)
{
	const struct iommusim_nvme_config *cfg = &setup->cfg->nvme;
	const struct iommusim_cost *cost = setup->cost;
	uint64_t hz = iommusim_engine_hz(setup->engine);
	uint64_t lat_ns, jit_ns, iops, mbps, hi;
	struct isim_nvme *n;
	int err = -ENOMEM;

	assert(cfg->jobs >= 1 && cfg->jobs <= iommusim_engine_ncpus(setup->engine));
	assert(cfg->iodepth >= 1 && cfg->block_size >= PAGE_SIZE &&
	       cfg->block_size % PAGE_SIZE == 0);
	n = isim_zalloc(mem, sizeof(*n), 0);
	if (!n)
		goto nomem;
	n->mem = mem;
	n->e = setup->engine;
	n->dev = setup->dev;
	n->jobs = cfg->jobs;
	n->iodepth = cfg->iodepth;
	n->pages = cfg->block_size / PAGE_SIZE;
	n->bytes = cfg->block_size;
	n->blocks = ISIM_NVME_NAMESPACE_BYTES / n->bytes;
	n->sequential = cfg->sequential;
	n->steps = setup->steps;
	n->exposure = setup->exposure;
	n->record = setup->record;
	/* A read fills the buffer from the device; a write lets the device read it. */
	n->dir = cfg->write ? IOMMUSIM_DMA_TO_DEVICE : IOMMUSIM_DMA_FROM_DEVICE;
	n->mixed = cfg->mixed;
	n->rwmixread = cfg->rwmixread;
	n->nslots = (size_t)cfg->jobs * cfg->iodepth;
	isim_hist_reset(&n->st.lat);

	n->submit_cycles = iommusim_cost_cycles(cost, IOMMUSIM_COST_FIO_LOOP_NS) +
			   iommusim_cost_cycles(cost, IOMMUSIM_COST_NVME_SUBMIT_NS);
	n->complete_cycles = iommusim_cost_cycles(cost, IOMMUSIM_COST_NVME_COMPLETE_NS);
	n->retry_delay = iommusim_engine_ns_to_cycles(setup->engine, BLK_MQ_RESOURCE_DELAY_NS);
	/* One I/O occupies the device max(1 / IOPS, bytes / bandwidth). */
	iops = iommusim_cost_get(cost, IOMMUSIM_COST_NVME_DEVICE_IOPS);
	mbps = iommusim_cost_get(cost, IOMMUSIM_COST_NVME_DEVICE_MBPS);
	n->service = div_round_up(hz, iops);
	hi = div_round_up((u128)n->bytes * hz, (u128)mbps * 1000000u);
	if (hi > n->service)
		n->service = hi;
	/* Latency drawn uniformly from [latency - jitter, latency + jitter], not below 0. */
	lat_ns = iommusim_cost_get(cost, IOMMUSIM_COST_NVME_DEVICE_LATENCY_NS);
	jit_ns = iommusim_cost_get(cost, IOMMUSIM_COST_NVME_DEVICE_JITTER_NS);
	n->lat_lo = iommusim_engine_ns_to_cycles(n->e, lat_ns > jit_ns ? lat_ns - jit_ns : 0);
	hi = iommusim_engine_ns_to_cycles(n->e, lat_ns + jit_ns);
	n->lat_span = hi - n->lat_lo + 1;
	iommusim_rng_seed(&n->rng, setup->seed, ISIM_NVME_STREAM_DEVICE);

	n->job = isim_zalloc(mem, cfg->jobs * sizeof(*n->job), 0);
	n->slot = isim_zalloc(mem, n->nslots * sizeof(*n->slot), 0);
	if (!n->job || !n->slot)
		goto fail;
	if (n->pages > PRP_DIRECT_PAGES) {
		n->nsg = n->nslots * n->pages;
		n->sg = isim_zalloc(mem, n->nsg * sizeof(*n->sg), 0);
		if (!n->sg)
			goto fail;
	}
	n->ncoh_max = (size_t)cfg->jobs * (2 + (n->pages > PRP_DIRECT_PAGES ? cfg->iodepth : 0));
	n->coh = isim_zalloc(mem, n->ncoh_max * sizeof(*n->coh), 0);
	if (!n->coh)
		goto fail;
	for (unsigned int j = 0; j < cfg->jobs; j++) {
		n->job[j].n = n;
		n->job[j].cpu = iommusim_engine_cpu(n->e, j);
		iommusim_rng_seed(&n->job[j].rng, setup->seed, ISIM_NVME_STREAM_JOB0 + j);
	}
	for (size_t k = 0; k < n->nslots; k++) {
		n->slot[k].job = &n->job[k / cfg->iodepth];
		n->slot[k].dir = n->dir;
	}
	err = iommusim_engine_server_create(n->e, "nvme", &n->server);
	if (!err)
		err = layout(n, setup);
	if (err)
		goto fail;
	n->mem_failed = iommusim_mem_failed_allocs(mem);
	*out = n;
	return 0;
fail:
	isim_nvme_destroy(n);
	if (err != -ENOMEM)
		return err;
nomem:
	if (setup->errlen && !setup->errbuf[0])
		snprintf(setup->errbuf, setup->errlen, "nvme: out of memory for the workload");
	return -ENOMEM;
}

void isim_nvme_destroy(void *w)
{
	struct isim_nvme *n = w;
	struct iommusim_cpu *cpu0;

	if (!n)
		return;
	/* Only a run cut short by an error leaves I/Os mapped; give their mappings back. */
	for (size_t k = 0; n->slot && k < n->nslots; k++) {
		struct slot *s = &n->slot[k];

		if (!s->mapped)
			continue;
		if (s->sg)
			iommusim_dma_unmap_sg(n->dev, s->job->cpu, s->sg, n->pages, n->dir);
		else
			iommusim_dma_unmap_page(n->dev, s->job->cpu, s->dma, n->bytes, n->dir);
	}
	cpu0 = iommusim_engine_cpu(n->e, 0);
	while (n->st.ctr.coherent > 0) {
		struct coherent *c = &n->coh[--n->st.ctr.coherent];

		iommusim_dma_free_coherent(n->dev, cpu0, c->size, c->dma);
	}
	iommusim_engine_server_destroy(n->server);
	if (n->coh)
		isim_free(n->mem, n->coh, n->ncoh_max * sizeof(*n->coh), 0);
	if (n->sg)
		isim_free(n->mem, n->sg, n->nsg * sizeof(*n->sg), 0);
	if (n->slot)
		isim_free(n->mem, n->slot, n->nslots * sizeof(*n->slot), 0);
	if (n->job)
		isim_free(n->mem, n->job, n->jobs * sizeof(*n->job), 0);
	isim_free(n->mem, n, sizeof(*n), 0);
}
