/* SPDX-License-Identifier: MIT */
/*
 * The mlx5 Ethernet workload (docs/workload.md "mlx5"): its state, shared by its set-up
 * (mlx5_setup.c: queues, descriptors, page pool, the driver's coherent memory), its packet path
 * and NAPI polls (mlx5.c), and the model's shape (mlx5_config.c).
 *
 * Each channel is pinned to one CPU. TX: every descriptor of its ring is kept in flight: the
 * xmit maps the packet's linear part and each page fragment, the doorbell hands it to the
 * port's TX side, a timed server at the link's rate; its completion queues on the channel and
 * a NAPI poll on the channel's CPU unmaps it and sends the next packet in its place. RX: every
 * descriptor of its ring is kept posted with page-pool pages that stay mapped; the port's RX
 * side fills them at the link's rate (the peer always has a packet to send), a NAPI poll
 * takes each packet to the stack and posts the descriptor again, mapping only the pages the
 * pool did not get back.
 */
#ifndef ISIM_WORKLOAD_MLX5_IMPL_H
#define ISIM_WORKLOAD_MLX5_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/dma.h>

#include "workload/workload.h"

#define MLX5_PAGE 4096ull
/* A 64 KiB TSO send: 16 page fragments beside its headers (MAX_SKB_FRAGS is 17). */
#define MLX5_MAX_MAPS 17u

/* Defaults of a zero struct iommusim_mlx5_config member. */
#define MLX5_DEF_PACKET 1500u
#define MLX5_DEF_RING	1024u
#define MLX5_DEF_BUDGET 64u

/* Random stream numbers under the simulation's seed: one per channel. */
#define ISIM_MLX5_STREAM_CHANNEL0 1u

struct mlx5_channel;

/* One descriptor: a TX packet in flight, or an RX buffer posted, reused packet after packet. */
struct mlx5_desc {
	struct mlx5_channel *ch;
	struct mlx5_desc *next; /* in its channel's completion queue */
	uint64_t *phys;		/* its pages (TX: the linear part first) */
	uint64_t *dma;		/* their bus addresses while mapped */
	uint64_t start;		/* cycle its xmit began, or its buffer was posted */
	unsigned int mapped;	/* TX: maps held; RX: pages held by the pool, mapped */
	bool rx;
};

struct mlx5_channel {
	struct isim_mlx5 *w;
	struct iommusim_cpu *cpu;
	struct iommusim_rng rng;	     /* the page pool's recycling draws */
	struct mlx5_desc *cq_head, *cq_tail; /* completions not yet polled */
	unsigned int budget_left;	     /* of the poll running */
	bool napi_scheduled;
};

/* A live coherent allocation. */
struct mlx5_coherent {
	uint64_t size;
	uint64_t dma;
};

/* What the interval's figures need beyond the common counters. */
struct mlx5_tally {
	uint64_t maps;
	uint64_t unmaps;
	uint64_t packets;
};

struct isim_mlx5 {
	struct isim_workload_state st; /* first: the shared ops take it (workload.h) */
	struct iommusim_mem *mem;
	struct iommusim_engine *e;
	struct iommusim_device *dev;
	struct iommusim_mlx5_config cfg; /* defaults filled in */
	unsigned int tx_maps;		 /* per TX packet: 1 + fragments */
	unsigned int rx_pages;		 /* per RX packet */
	uint64_t tx_bytes_first;	 /* the linear part's bytes */
	bool steps;

	/* Costs in cycles, read once: the cost set stays unchanged while the workload lives. */
	uint64_t xmit_cycles;
	uint64_t tx_complete_cycles;
	uint64_t rx_cycles;
	uint64_t poll_cycles;
	uint64_t wire_cycles; /* one packet on the link */
	uint64_t retry_delay;

	struct iommusim_server *tx_link, *rx_link;
	struct mlx5_channel *ch;
	struct mlx5_desc *desc;
	size_t ndesc;
	uint64_t *pages; /* phys then dma of every descriptor's pages */
	size_t npages;
	struct mlx5_coherent *coh;
	size_t ncoh_max;

	struct mlx5_tally tally, at_start, at_end;
	uint64_t mem_failed;
	struct isim_exposure *exposure;
};

/* The model's shape (mlx5_config.c): @cfg with its defaults filled in. */
void isim_mlx5_defaults(const struct iommusim_mlx5_config *cfg, unsigned int cpus,
			struct iommusim_mlx5_config *out);
/* Bytes on the wire for one packet: its frames' FCS, preamble and gap, a TSO send's headers. */
uint64_t isim_mlx5_wire_bytes(uint32_t packet_bytes);

/* The set-up's part of the ops (mlx5_setup.c). */
int isim_mlx5_check(const struct iommusim_sim_config *cfg, char *errbuf, size_t errlen);
int isim_mlx5_create(struct iommusim_mem *mem, const struct isim_workload_setup *setup, void **out);
void isim_mlx5_destroy(void *w);

/* Map and unmap one page of a descriptor, counted (mlx5.c); 0 or the DMA API's error. */
int isim_mlx5_map(struct isim_mlx5 *w, struct iommusim_cpu *cpu, struct mlx5_desc *d,
		  unsigned int i);
void isim_mlx5_unmap(struct isim_mlx5 *w, struct iommusim_cpu *cpu, struct mlx5_desc *d,
		     unsigned int i);

#endif /* ISIM_WORKLOAD_MLX5_IMPL_H */
