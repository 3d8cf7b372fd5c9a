/* SPDX-License-Identifier: MIT */
/*
 * Building the mlx5 workload (mlx5_impl.h): the driver's coherent memory at probe (the command
 * interface, then each channel's queues), the descriptors and their pages, the page pool's
 * first fill; and taking it down. The packet path in mlx5.c allocates nothing but the engine's
 * recycled event records.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>

#include <iommusim/dma.h>
#include <iommusim/error.h>

#include "base/memory.h"
#include "workload/mlx5_impl.h"

/* Work queue and completion entries: 64 bytes each (a WQE basic block, a CQE). */
#define ENTRY_BYTES 64ull
/* The command interface: the command queue's page and a page of the mailbox DMA pool. */
#define CMD_ALLOCS 2u
/* Per channel: the SQ and its CQ, the RQ and its CQ. */
#define QUEUE_ALLOCS 4u
/* A dropped TX packet or an unfilled RX descriptor is tried again after this (EST: a timer). */
#define RETRY_NS (1000ull * 1000)

/* mlx5e's largest ring (2^13 descriptors), which bounds the budget too. */
#define MAX_RING 8192u

int isim_mlx5_check(const struct iommusim_sim_config *cfg, char *errbuf, size_t errlen)
{
	const struct iommusim_mlx5_config *m = &cfg->mlx5;
	const char *bad = NULL;

	if (m->queues > cfg->cpus)
		bad = "queues";
	else if (m->packet_bytes && (m->packet_bytes < 64 || m->packet_bytes > 65536))
		bad = "packet_bytes";
	else if ((unsigned int)m->traffic >= IOMMUSIM_MLX5_TRAFFIC_NR)
		bad = "traffic";
	else if (m->rx_miss_pct > 100)
		bad = "rx_miss_pct";
	else if (m->tx_ring > MAX_RING || m->rx_ring > MAX_RING || m->napi_budget > MAX_RING)
		bad = m->tx_ring > MAX_RING   ? "tx_ring"
		      : m->rx_ring > MAX_RING ? "rx_ring"
					      : "napi_budget";
	if (bad) {
		if (errlen)
			snprintf(
				errbuf, errlen,
				"mlx5.%s: out of range (queues 0..cpus %u, packet_bytes 64..65536, "
				"traffic tx|rx|bidi, rx_miss_pct 0..100)",
				bad, cfg->cpus);
		return -EINVAL;
	}
	if (isim_mlx5_check_mix(m, errbuf, errlen))
		return -EINVAL;
	/* powerpc's default window lies below 4 GiB: a 32-bit coherent mask is served there */
	if (m->cmd_init_before_mask &&
	    iommusim_platform_arch(cfg->platform) != IOMMUSIM_ARCH_S390) {
		if (errlen)
			snprintf(errbuf, errlen,
				 "mlx5.cmd_init_before_mask: modelled on s390 platforms only");
		return -EINVAL;
	}
	return 0;
}

/* @bytes rounded up to the guest kernel's pages, which coherent memory comes in. */
static uint64_t page_round(uint64_t bytes, uint64_t kpage)
{
	return (bytes + kpage - 1) & ~(kpage - 1);
}

static int alloc_coherent(struct isim_mlx5 *w, const struct isim_workload_setup *setup,
			  uint64_t *phys, uint64_t size, const char *what)
{
	struct mlx5_coherent *c = &w->coh[w->st.ctr.coherent];
	struct iommusim_cpu *cpu0 = iommusim_engine_cpu(w->e, 0);
	uint64_t failed = iommusim_mem_failed_allocs(w->mem);
	int err;

	assert(w->st.ctr.coherent < w->ncoh_max);
	err = iommusim_dma_alloc_coherent(w->dev, cpu0, *phys, size, &c->dma);
	if (err) {
		if (iommusim_mem_failed_allocs(w->mem) != failed) {
			if (setup->errlen)
				snprintf(setup->errbuf, setup->errlen,
					 "mlx5: out of memory mapping the %s", what);
			return -ENOMEM;
		}
		if (setup->errlen)
			snprintf(
				setup->errbuf, setup->errlen,
				"mlx5: the guest's DMA stack refused the %s (%llu bytes): %s%s",
				what, (unsigned long long)size, iommusim_strerror(err),
				w->cfg.cmd_init_before_mask
					? " (cmd_init_before_mask: mlx5_cmd_init() ran before the "
					  "64-bit DMA mask was set, and s390 has no IOVA below 4 GiB)"
					: "");
		return -EINVAL;
	}
	c->size = size;
	w->st.ctr.coherent++;
	*phys += size;
	return 0;
}

/* The descriptors' pages from @phys on, and the page pool's first fill (its growth). */
static int lay_out(struct isim_mlx5 *w, const struct isim_workload_setup *setup, uint64_t phys)
{
	struct iommusim_cpu *cpu0 = iommusim_engine_cpu(w->e, 0);
	uint64_t *next = w->pages;

	if ((u128)phys + (u128)w->npages / 2 * MLX5_PAGE > setup->phys_limit) {
		if (setup->errlen)
			snprintf(setup->errbuf, setup->errlen,
				 "mlx5: rings of %u queues and their %zu pages (%u per TX, %u per "
				 "RX descriptor) need more guest memory than guest_memory %llu",
				 w->cfg.queues, w->npages / 2, w->tx_maps, w->rx_pages,
				 (unsigned long long)setup->phys_limit);
		return -EINVAL;
	}
	for (size_t k = 0; k < w->ndesc; k++) {
		struct mlx5_desc *d = &w->desc[k];
		unsigned int n = d->rx ? w->rx_pages : w->tx_maps;

		d->phys = next;
		d->dma = next + n;
		next += 2 * n;
		for (unsigned int i = 0; i < n; i++, phys += MLX5_PAGE)
			d->phys[i] = phys;
		/* page_pool_dma_map(): each page of the pool is mapped once, when it comes in */
		for (; d->rx && d->mapped < n; d->mapped++) {
			int err = isim_mlx5_map(w, cpu0, d, d->mapped);

			if (err) {
				if (setup->errlen)
					snprintf(setup->errbuf, setup->errlen,
						 "mlx5: the guest's DMA stack refused to map the "
						 "page pool: %s",
						 iommusim_strerror(err));
				return err == -ENOMEM ? -ENOMEM : -EINVAL;
			}
		}
	}
	return 0;
}

/* Coherent memory as mlx5 allocates it at probe, then the descriptors and the pool. */
static int build(struct isim_mlx5 *w, const struct isim_workload_setup *setup)
{
	uint64_t kpage = setup->kernel_page ? setup->kernel_page : MLX5_PAGE;
	uint64_t phys = setup->phys_base;
	int err;

	/* mlx5_cmd_init(): the command queue, then the mailboxes' dma_pool */
	err = alloc_coherent(w, setup, &phys, kpage, "command queue");
	if (!err)
		err = alloc_coherent(w, setup, &phys, kpage, "command mailbox pool");
	for (unsigned int q = 0; !err && q < w->cfg.queues; q++) {
		uint64_t tx = page_round(w->cfg.tx_ring * ENTRY_BYTES, kpage);
		uint64_t rx = page_round(w->cfg.rx_ring * ENTRY_BYTES, kpage);

		err = alloc_coherent(w, setup, &phys, tx, "send queue");
		if (!err)
			err = alloc_coherent(w, setup, &phys, tx, "send completion queue");
		if (!err)
			err = alloc_coherent(w, setup, &phys, rx, "receive queue");
		if (!err)
			err = alloc_coherent(w, setup, &phys, rx, "receive completion queue");
	}
	if (err)
		return err;
	return lay_out(w, setup, phys);
}

/* The descriptors of each channel: its TX ring's, then its RX ring's, as the traffic uses. */
static size_t count_desc(const struct isim_mlx5 *w, size_t *pages)
{
	bool tx = w->cfg.traffic != IOMMUSIM_MLX5_RX, rx = w->cfg.traffic != IOMMUSIM_MLX5_TX;
	size_t per = (tx ? w->cfg.tx_ring : 0) + (rx ? w->cfg.rx_ring : 0);

	*pages = 2 * (size_t)w->cfg.queues *
		 ((tx ? (size_t)w->cfg.tx_ring * w->tx_maps : 0) +
		  (rx ? (size_t)w->cfg.rx_ring * w->rx_pages : 0));
	return per * w->cfg.queues;
}

static void costs(struct isim_mlx5 *w, const struct iommusim_cost *cost)
{
	w->xmit_cycles = iommusim_cost_cycles(cost, IOMMUSIM_COST_MLX5_TX_XMIT_NS);
	w->tx_complete_cycles = iommusim_cost_cycles(cost, IOMMUSIM_COST_MLX5_TX_COMPLETE_NS);
	w->rx_cycles = iommusim_cost_cycles(cost, IOMMUSIM_COST_MLX5_RX_PACKET_NS);
	w->poll_cycles = iommusim_cost_cycles(cost, IOMMUSIM_COST_MLX5_NAPI_POLL_NS);
	w->retry_delay = iommusim_engine_ns_to_cycles(w->e, RETRY_NS);
}

static int setup_channels(struct isim_mlx5 *w, const struct isim_workload_setup *setup)
{
	bool tx = w->cfg.traffic != IOMMUSIM_MLX5_RX;
	size_t k = 0;

	for (unsigned int q = 0; q < w->cfg.queues; q++) {
		struct mlx5_channel *ch = &w->ch[q];

		ch->w = w;
		ch->cpu = iommusim_engine_cpu(w->e, q);
		iommusim_rng_seed(&ch->rng, setup->seed, ISIM_MLX5_STREAM_CHANNEL0 + q);
		iommusim_rng_seed(&ch->mix_rng, setup->seed, ISIM_MLX5_STREAM_MIX0 + q);
		for (unsigned int rx = 0; rx < 2; rx++)
			ch->pace[rx] = (struct mlx5_pacer){.ch = ch, .rx = rx != 0};
		for (unsigned int i = 0; tx && i < w->cfg.tx_ring; i++)
			w->desc[k++] = (struct mlx5_desc){.ch = ch, .cls = w->cls};
		for (; k < (size_t)(q + 1) * (w->ndesc / w->cfg.queues); k++)
			w->desc[k] = (struct mlx5_desc){.ch = ch, .cls = w->cls, .rx = true};
	}
	if (iommusim_engine_server_create(w->e, "mlx5-tx", &w->tx_link) ||
	    iommusim_engine_server_create(w->e, "mlx5-rx", &w->rx_link))
		return -ENOMEM;
	return 0;
}

int isim_mlx5_create(struct iommusim_mem *mem, const struct isim_workload_setup *setup, void **out)
{
	struct isim_mlx5 *w = isim_zalloc(mem, sizeof(*w), 0);
	int err = -ENOMEM;

	if (!w)
		goto nomem;
	w->mem = mem;
	w->e = setup->engine;
	w->dev = setup->dev;
	w->steps = setup->steps;
	w->exposure = setup->exposure;
	isim_mlx5_defaults(&setup->cfg->mlx5, setup->cfg->cpus, &w->cfg);
	isim_mlx5_classes(w, iommusim_cost_get(setup->cost, IOMMUSIM_COST_MLX5_LINK_MBPS));
	/* with a rate, each channel's share: a period of hz * queues / rate cycles */
	w->period_num = iommusim_engine_hz(w->e) * w->cfg.queues;
	isim_hist_reset(&w->st.lat);
	costs(w, setup->cost);
	w->ndesc = count_desc(w, &w->npages);
	w->ncoh_max = CMD_ALLOCS + (size_t)QUEUE_ALLOCS * w->cfg.queues;
	w->ch = isim_zalloc(mem, w->cfg.queues * sizeof(*w->ch), 0);
	w->desc = isim_zalloc(mem, w->ndesc * sizeof(*w->desc), 0);
	w->pages = isim_zalloc(mem, w->npages * sizeof(*w->pages), 0);
	w->coh = isim_zalloc(mem, w->ncoh_max * sizeof(*w->coh), 0);
	if (!w->ch || !w->desc || !w->pages || !w->coh)
		goto fail;
	err = setup_channels(w, setup);
	if (!err)
		err = build(w, setup);
	if (err)
		goto fail;
	w->mem_failed = iommusim_mem_failed_allocs(mem);
	*out = w;
	return 0;
fail:
	isim_mlx5_destroy(w);
	if (err != -ENOMEM)
		return err;
nomem:
	if (setup->errlen && !setup->errbuf[0])
		snprintf(setup->errbuf, setup->errlen, "mlx5: out of memory for the workload");
	return -ENOMEM;
}

void isim_mlx5_destroy(void *p)
{
	struct isim_mlx5 *w = p;
	struct iommusim_cpu *cpu0;

	if (!w)
		return;
	/* TX packets a run cut short left mapped, and every page the pool holds */
	for (size_t k = 0; w->desc && k < w->ndesc; k++)
		while (w->desc[k].mapped > 0)
			isim_mlx5_unmap(w, w->desc[k].ch->cpu, &w->desc[k], --w->desc[k].mapped);
	cpu0 = iommusim_engine_cpu(w->e, 0);
	while (w->st.ctr.coherent > 0) {
		struct mlx5_coherent *c = &w->coh[--w->st.ctr.coherent];

		iommusim_dma_free_coherent(w->dev, cpu0, c->size, c->dma);
	}
	iommusim_engine_server_destroy(w->tx_link);
	iommusim_engine_server_destroy(w->rx_link);
	if (w->coh)
		isim_free(w->mem, w->coh, w->ncoh_max * sizeof(*w->coh), 0);
	if (w->pages)
		isim_free(w->mem, w->pages, w->npages * sizeof(*w->pages), 0);
	if (w->desc)
		isim_free(w->mem, w->desc, w->ndesc * sizeof(*w->desc), 0);
	if (w->ch)
		isim_free(w->mem, w->ch, w->cfg.queues * sizeof(*w->ch), 0);
	isim_free(w->mem, w, sizeof(*w), 0);
}
