/* SPDX-License-Identifier: MIT */
/*
 * The mlx5 Ethernet workload (docs/workloads.md "mlx5"): its state, shared by its set-up
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
 * pool did not get back. With a rate (mlx5_pace.c) a channel starts its packets one period
 * apart instead, each in a descriptor that is free: the others wait on the channel, TX ones
 * unmapped, RX ones posted. Each packet's size is its class, drawn per packet with a mix.
 */
#ifndef ISIM_WORKLOAD_MLX5_IMPL_H
#define ISIM_WORKLOAD_MLX5_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/dma.h>

#include "workload/workload.h"

__extension__ typedef unsigned __int128 u128;

#define MLX5_PAGE 4096ull
/* A 64 KiB TSO send: 16 page fragments beside its headers (MAX_SKB_FRAGS is 17). */
#define MLX5_MAX_MAPS 17u

/* Defaults of a zero struct iommusim_mlx5_config member. */
#define MLX5_DEF_PACKET 1500u
#define MLX5_DEF_RING	1024u
#define MLX5_DEF_BUDGET 64u

/*
 * Random stream numbers under the simulation's seed: one per channel for the page pool, and
 * one per channel for the packet sizes of a mix, apart so that a run without a mix draws what
 * it drew before mixes existed.
 */
#define ISIM_MLX5_STREAM_CHANNEL0 1u
#define ISIM_MLX5_STREAM_MIX0	  (1u << 16)

struct mlx5_channel;

/* One packet size of the run (the single one, or a class of the mix) and what follows from it. */
struct mlx5_class {
	uint32_t bytes;
	unsigned int pct_upto;	 /* percent of the classes up to this one: drawn below it */
	unsigned int tx_maps;	 /* per TX packet: 1 + fragments */
	unsigned int rx_pages;	 /* per RX packet */
	uint64_t tx_bytes_first; /* the TX linear part's bytes */
	uint64_t wire_cycles;	 /* one packet on the link */
};

/* One descriptor: a TX packet in flight, or an RX buffer posted, reused packet after packet. */
struct mlx5_desc {
	struct mlx5_channel *ch;
	struct mlx5_desc *next; /* in its channel's completion queue, or its pacer's free ones */
	const struct mlx5_class *cls; /* its packet's size */
	uint64_t *phys;		      /* its pages (TX: the linear part first) */
	uint64_t *dma;		      /* their bus addresses while mapped */
	uint64_t start;		      /* cycle its xmit began, or its buffer was posted */
	unsigned int mapped;	      /* TX: maps held; RX: pages held by the pool, mapped */
	bool rx;
};

/*
 * With a rate: one direction of a channel. Packet k after @base is due at base + k periods; a
 * packet that finds no free descriptor at its time waits (@waiting) and starts when one comes
 * free, late, and the periods count from then.
 */
struct mlx5_pacer {
	struct mlx5_channel *ch;
	struct mlx5_desc *free; /* TX: unmapped; RX: posted, waiting for the peer's packet */
	uint64_t base;
	uint64_t k;
	bool rx;
	bool waiting;
};

struct mlx5_channel {
	struct isim_mlx5 *w;
	struct iommusim_cpu *cpu;
	struct iommusim_rng rng;	     /* the page pool's recycling draws */
	struct iommusim_rng mix_rng;	     /* a mix's packet sizes */
	struct mlx5_pacer pace[2];	     /* with a rate: TX, RX */
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
	uint64_t late; /* with a rate: starts that waited for a descriptor */
};

struct isim_mlx5 {
	struct isim_workload_state st; /* first: the shared ops take it (workload.h) */
	struct iommusim_mem *mem;
	struct iommusim_engine *e;
	struct iommusim_device *dev;
	struct iommusim_mlx5_config cfg; /* defaults filled in */
	struct mlx5_class cls[IOMMUSIM_MLX5_MIX_MAX];
	unsigned int ncls;     /* 1 without a mix: then nothing is drawn */
	unsigned int tx_maps;  /* per TX descriptor: the largest class's */
	unsigned int rx_pages; /* per RX descriptor: the largest class's */
	uint64_t period_num;   /* with a rate: a channel's period is period_num / rate cycles */
	bool steps;

	/* Costs in cycles, read once: the cost set stays unchanged while the workload lives. */
	uint64_t xmit_cycles;
	uint64_t tx_complete_cycles;
	uint64_t rx_cycles;
	uint64_t poll_cycles;
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
/* The classes of @w->cfg (one without a mix) into @w->cls, @w->ncls and the largest's pages. */
void isim_mlx5_classes(struct isim_mlx5 *w, uint64_t link_mbps);
/* The next packet's size on @ch: a class drawn from its mix stream, or the only one. */
const struct mlx5_class *isim_mlx5_draw(struct isim_mlx5 *w, struct mlx5_channel *ch);
/* A mix's check for isim_mlx5_check(): 0, or -EINVAL with its one line. */
int isim_mlx5_check_mix(const struct iommusim_mlx5_config *m, char *errbuf, size_t errlen);

/* The set-up's part of the ops (mlx5_setup.c). */
int isim_mlx5_check(const struct iommusim_sim_config *cfg, char *errbuf, size_t errlen);
int isim_mlx5_create(struct iommusim_mem *mem, const struct isim_workload_setup *setup, void **out);
void isim_mlx5_destroy(void *w);

/* Map and unmap one page of a descriptor, counted (mlx5.c); 0 or the DMA API's error. */
int isim_mlx5_map(struct isim_mlx5 *w, struct iommusim_cpu *cpu, struct mlx5_desc *d,
		  unsigned int i);
void isim_mlx5_unmap(struct isim_mlx5 *w, struct iommusim_cpu *cpu, struct mlx5_desc *d,
		     unsigned int i);
/* A TX packet's xmit in @d; an RX packet from the peer into posted @d, at @at (mlx5.c). */
void isim_mlx5_xmit(struct isim_mlx5 *w, struct mlx5_desc *d);
void isim_mlx5_receive(struct isim_mlx5 *w, struct mlx5_desc *d, uint64_t at);

/* With a rate (mlx5_pace.c): the pacers' first packets, and @d free for a packet again. */
int isim_mlx5_pace_start(struct isim_mlx5 *w);
void isim_mlx5_ready(struct isim_mlx5 *w, struct mlx5_desc *d);

#endif /* ISIM_WORKLOAD_MLX5_IMPL_H */
