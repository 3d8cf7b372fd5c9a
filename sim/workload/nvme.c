/* SPDX-License-Identifier: MIT */
/*
 * The NVMe device model and the fio-like job loop (nvme.h). Everything a steady-state I/O
 * touches is preallocated: one request slot per (job, queue entry) with its buffer and scatter
 * list, so the loop itself allocates nothing but the engine's recycled event records.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <iommusim/dma.h>
#include <iommusim/error.h>
#include <iommusim/iommu.h>

#include "base/memory.h"
#include "workload/nvme.h"

#define PAGE_SIZE 4096ull
/* NVMe submission and completion queue entry sizes (the specification's fixed formats). */
#define SQ_ENTRY_BYTES 64ull
#define CQ_ENTRY_BYTES 16ull
/* blk-mq's BLK_MQ_RESOURCE_DELAY: 3 ms before a queue that ran out of resources runs again. */
#define BLK_MQ_RESOURCE_DELAY_NS (3ull * 1000 * 1000)
/* Up to two pages are described by PRP1/PRP2 alone; more need a PRP list. */
#define PRP_DIRECT_PAGES 2u

__extension__ typedef unsigned __int128 u128;

struct job;

/* One request slot: a queue entry with its own data buffer, reused I/O after I/O. */
struct slot {
	struct job *job;
	struct iommusim_sg *sg; /* pages > PRP_DIRECT_PAGES: one element per page */
	uint64_t phys;		/* pages <= PRP_DIRECT_PAGES: the contiguous buffer */
	uint64_t dma;
	uint64_t start; /* cycle the I/O's submission work began */
	uint64_t offset;
	bool mapped; /* its data buffer is mapped (between map and unmap) */
};

struct job {
	struct isim_nvme *n;
	struct iommusim_cpu *cpu;
	struct iommusim_rng rng;
	uint64_t next_offset;
};

/* A live coherent allocation. */
struct coherent {
	uint64_t size;
	uint64_t dma;
};

struct isim_nvme {
	struct iommusim_mem *mem;
	struct iommusim_engine *e;
	struct iommusim_device *dev;
	unsigned int jobs;
	unsigned int iodepth;
	uint32_t pages;
	uint64_t bytes;
	uint64_t blocks; /* block_size blocks in the namespace */
	bool sequential;
	bool steps;
	enum iommusim_dma_dir dir;

	/* Costs in cycles, read once: the cost set stays unchanged while the workload lives. */
	uint64_t submit_cycles; /* fio.loop_ns + nvme.submit_ns */
	uint64_t complete_cycles;
	uint64_t map_cycles;
	uint64_t unmap_cycles;
	uint64_t retry_delay; /* cycles before a slot whose map failed tries again */
	uint64_t service;  /* device occupancy per I/O */
	uint64_t lat_lo;   /* device latency draw: lat_lo + [0, lat_span) */
	uint64_t lat_span;

	struct iommusim_server *server;
	struct iommusim_rng rng;

	struct job *job;
	struct slot *slot;
	size_t nslots;
	struct iommusim_sg *sg;
	size_t nsg;
	struct coherent *coh;
	size_t ncoh_max;

	struct isim_nvme_counters ctr;
	/* The memory context's refusals once the workload was built (see map_event()). */
	uint64_t mem_failed;
	bool measuring;
	bool stopping;
	int err;
	struct isim_hist lat;
};

static uint64_t div_round_up(u128 a, u128 b)
{
	u128 q = (a + b - 1) / b;

	return q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
}

static uint64_t page_round(uint64_t bytes)
{
	return (bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

/* ---- the I/O path ---- */

static void submit_event(struct iommusim_engine *e, void *arg);
static void map_event(struct iommusim_engine *e, void *arg);
static void arrive_event(struct iommusim_engine *e, void *arg);
static void complete_event(struct iommusim_engine *e, void *arg);
static void unmap_event(struct iommusim_engine *e, void *arg);

/* A callback could not queue an event: the run cannot go on faithfully, so it ends here. */
static void fail_run(struct isim_nvme *n, int err)
{
	if (!n->err)
		n->err = err;
	iommusim_engine_stop(n->e);
}

static uint64_t next_offset(struct isim_nvme *n, struct job *j)
{
	uint64_t off;

	if (!n->sequential)
		return iommusim_rng_below(&j->rng, n->blocks) * n->bytes;
	off = j->next_offset;
	j->next_offset = off + 2 * n->bytes > ISIM_NVME_NAMESPACE_BYTES ? 0 : off + n->bytes;
	return off;
}

/* While stopping: end the run once no I/O is left in flight. */
static void stop_when_drained(struct isim_nvme *n)
{
	if (n->ctr.in_flight == 0)
		iommusim_engine_stop(n->e);
}

/*
 * Continue the slot's work on its CPU: at once, or, with steps, in an event of its own at the
 * time the CPU gets there. Events of other CPUs that come earlier then run first, so a firmware
 * call inside @fn reaches a shared server after every earlier one. Within one event, calls are
 * booked at the CPU's busy time, ahead of the engine's: a later event could then only fill the
 * idle stretches left before them, and a CPU making two calls in one event (strict: the unmap,
 * then the next I/O's map) would leave the lock idle in between while others wait.
 */
static void then(struct isim_nvme *n, struct slot *s, iommusim_event_fn *fn)
{
	struct iommusim_cpu *cpu = s->job->cpu;
	int err;

	if (!n->steps) {
		fn(n->e, s);
		return;
	}
	err = iommusim_engine_schedule(n->e, iommusim_engine_cpu_now(n->e, cpu), cpu, fn, s,
				       NULL);
	if (err)
		fail_run(n, err);
}

/* Submit the slot's next I/O on its job's CPU: fio's loop and the driver's queue_rq work. */
static void submit(struct isim_nvme *n, struct slot *s)
{
	s->start = iommusim_engine_cpu_charge(n->e, s->job->cpu, n->submit_cycles) -
		   n->submit_cycles;
	s->offset = next_offset(n, s->job);
	n->ctr.submitted++;
	n->ctr.in_flight++;
	then(n, s, map_event);
}

/* The data mapping and the doorbell. */
static void map_event(struct iommusim_engine *e, void *arg)
{
	struct slot *s = arg;
	struct isim_nvme *n = s->job->n;
	struct iommusim_cpu *cpu = s->job->cpu;
	unsigned int count;
	int err;

	/* The map call's own part, then the work it reports. */
	iommusim_engine_cpu_charge(e, cpu, n->map_cycles);
	if (s->sg) /* mirrors nvme_map_data(): a PRP list needs the whole scatterlist mapped */
		err = iommusim_dma_map_sg(n->dev, cpu, s->sg, n->pages, n->dir, &count);
	else /* mirrors nvme_setup_prp_simple(): one bio_vec within two pages */
		err = iommusim_dma_map_page(n->dev, cpu, s->phys, n->bytes, n->dir, &s->dma);
	if (err) {
		/*
		 * A refusal of the host's memory (an IOVA node, a page table) is not the guest's
		 * failure: the run ends here rather than model a machine it is not.
		 */
		if (iommusim_mem_failed_allocs(n->mem) != n->mem_failed) {
			fail_run(n, -ENOMEM);
			return;
		}
		/*
		 * The I/O fails and counts as an error. The slot's next I/O comes after blk-mq's
		 * resource delay: the driver answers a failed mapping BLK_STS_RESOURCE, and blk-mq
		 * reruns such a queue only after BLK_MQ_RESOURCE_DELAY, so no CPU spins on maps
		 * that cannot succeed.
		 */
		n->ctr.failed++;
		n->ctr.in_flight--;
		if (n->stopping) {
			stop_when_drained(n);
			return;
		}
		err = iommusim_engine_schedule(e, iommusim_engine_cpu_now(e, cpu) + n->retry_delay,
					       cpu, submit_event, s, NULL);
		if (err)
			fail_run(n, err);
		return;
	}
	s->mapped = true;
	/* The doorbell write ends the submission work; the device sees it then. */
	err = iommusim_engine_schedule(e, iommusim_engine_cpu_now(e, cpu), NULL, arrive_event, s,
				       NULL);
	if (err)
		fail_run(n, err);
}

static void submit_event(struct iommusim_engine *e, void *arg)
{
	struct slot *s = arg;
	struct isim_nvme *n = s->job->n;

	(void)e;
	if (!n->stopping)
		submit(n, s);
}

/*
 * The doorbell reaches the device. Called at the doorbell's time, in doorbell order, so the
 * device server is exactly first come, first served across all queues.
 */
static void arrive_event(struct iommusim_engine *e, void *arg)
{
	struct slot *s = arg;
	struct isim_nvme *n = s->job->n;
	uint64_t end, lat = n->lat_lo;
	int err;

	iommusim_engine_server_use(e, n->server, NULL, iommusim_engine_now(e), n->service, NULL,
				   &end);
	if (n->lat_span > 1)
		lat += iommusim_rng_below(&n->rng, n->lat_span);
	/* The completion interrupt is handled on the queue's CPU, whenever that CPU is free. */
	err = iommusim_engine_schedule(e, end + lat, s->job->cpu, complete_event, s, NULL);
	if (err)
		fail_run(n, err);
}

/* The completion interrupt on the queue's CPU: the driver's completion work. */
static void complete_event(struct iommusim_engine *e, void *arg)
{
	struct slot *s = arg;
	struct isim_nvme *n = s->job->n;

	/* mirrors nvme_pci_complete_rq(): completion work, then nvme_unmap_data() */
	iommusim_engine_cpu_charge(e, s->job->cpu, n->complete_cycles);
	then(n, s, unmap_event);
}

/* The data unmapping; the I/O is done, and its slot goes on with the next one. */
static void unmap_event(struct iommusim_engine *e, void *arg)
{
	struct slot *s = arg;
	struct isim_nvme *n = s->job->n;
	struct iommusim_cpu *cpu = s->job->cpu;

	iommusim_engine_cpu_charge(e, cpu, n->unmap_cycles);
	if (s->sg)
		iommusim_dma_unmap_sg(n->dev, cpu, s->sg, n->pages, n->dir);
	else
		iommusim_dma_unmap_page(n->dev, cpu, s->dma, n->bytes, n->dir);
	s->mapped = false;
	n->ctr.in_flight--;
	n->ctr.completed++;
	n->ctr.completed_bytes += n->bytes;
	if (n->measuring)
		isim_hist_record(&n->lat, iommusim_engine_cpu_now(e, cpu) - s->start);
	if (n->stopping) {
		stop_when_drained(n);
		return;
	}
	/* The next submission's own work calls no firmware, so it needs no step of its own. */
	submit(n, s);
}

/* ---- set-up ---- */

static int alloc_coherent(struct isim_nvme *n, const struct isim_nvme_setup *setup,
			  struct iommusim_cpu *cpu, uint64_t *phys, uint64_t size, const char *what)
{
	struct coherent *c = &n->coh[n->ctr.coherent];
	uint64_t failed = iommusim_mem_failed_allocs(n->mem);
	int err;

	assert(n->ctr.coherent < n->ncoh_max);
	iommusim_engine_cpu_charge(n->e, cpu, n->map_cycles);
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
	n->ctr.coherent++;
	*phys += size;
	return 0;
}

/*
 * Guest-physical layout from phys_base: per job its SQ ring, CQ ring and PRP-list pages, then
 * the data buffers. A buffer of up to two pages is contiguous; a larger one takes every other
 * page of a region it shares with its neighbour slot, so its pages are not contiguous, as the
 * pages of a large bio rarely are.
 */
static int layout(struct isim_nvme *n, const struct isim_nvme_setup *setup)
{
	struct iommusim_cpu *cpu0 = iommusim_engine_cpu(n->e, 0);
	uint64_t ring_sq = page_round(n->iodepth * SQ_ENTRY_BYTES);
	uint64_t ring_cq = page_round(n->iodepth * CQ_ENTRY_BYTES);
	bool prp_list = n->pages > PRP_DIRECT_PAGES;
	uint64_t per_job = ring_sq + ring_cq + (prp_list ? n->iodepth * PAGE_SIZE : 0);
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
		for (unsigned int i = 0; !err && prp_list && i < n->iodepth; i++)
			err = alloc_coherent(n, setup, cpu0, &phys, PAGE_SIZE, "PRP list page");
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

int isim_nvme_create(struct iommusim_mem *mem, const struct isim_nvme_setup *setup,
		     struct isim_nvme **out)
{
	const struct iommusim_nvme_config *cfg = setup->job;
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
	/* A read fills the buffer from the device; a write lets the device read it. */
	n->dir = cfg->write ? IOMMUSIM_DMA_TO_DEVICE : IOMMUSIM_DMA_FROM_DEVICE;
	n->nslots = (size_t)cfg->jobs * cfg->iodepth;
	isim_hist_reset(&n->lat);

	n->submit_cycles = iommusim_cost_cycles(cost, IOMMUSIM_COST_FIO_LOOP_NS) +
			   iommusim_cost_cycles(cost, IOMMUSIM_COST_NVME_SUBMIT_NS);
	n->complete_cycles = iommusim_cost_cycles(cost, IOMMUSIM_COST_NVME_COMPLETE_NS);
	n->map_cycles = iommusim_cost_cycles(cost, IOMMUSIM_COST_GUEST_DMA_MAP_CYCLES);
	n->retry_delay = iommusim_engine_ns_to_cycles(setup->engine, BLK_MQ_RESOURCE_DELAY_NS);
	n->unmap_cycles = iommusim_cost_cycles(cost, IOMMUSIM_COST_GUEST_DMA_UNMAP_CYCLES);
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
	for (size_t k = 0; k < n->nslots; k++)
		n->slot[k].job = &n->job[k / cfg->iodepth];
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

void isim_nvme_destroy(struct isim_nvme *n)
{
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
	while (n->ctr.coherent > 0) {
		struct coherent *c = &n->coh[--n->ctr.coherent];

		iommusim_engine_cpu_charge(n->e, cpu0, n->unmap_cycles);
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

/* ---- control ---- */

int isim_nvme_start(struct isim_nvme *n)
{
	uint64_t now = iommusim_engine_now(n->e);

	for (size_t k = 0; k < n->nslots; k++) {
		int err = iommusim_engine_schedule(n->e, now, n->slot[k].job->cpu, submit_event,
						   &n->slot[k], NULL);

		if (err)
			return err;
	}
	return 0;
}

void isim_nvme_measure(struct isim_nvme *n, bool on)
{
	n->measuring = on;
}

bool isim_nvme_stop(struct isim_nvme *n)
{
	n->stopping = true;
	return n->ctr.in_flight > 0;
}

int isim_nvme_error(const struct isim_nvme *n)
{
	return n->err;
}

void isim_nvme_counters(const struct isim_nvme *n, struct isim_nvme_counters *out)
{
	*out = n->ctr;
}

const struct isim_hist *isim_nvme_latency(const struct isim_nvme *n)
{
	return &n->lat;
}

struct iommusim_server *isim_nvme_server(const struct isim_nvme *n)
{
	return n->server;
}
