/* SPDX-License-Identifier: MIT */
/*
 * The mlx5 function's offered load (mlx5_impl.h, struct iommusim_mlx5_config's rate_pps):
 * each channel starts a packet each way once per period of queues / rate seconds, as a paced
 * sender does on TX and a peer sending at a fixed rate does on RX, the channels a period /
 * queues apart so that the function's packets come evenly. A packet starts in a descriptor
 * that is free at its time: a TX one whose completion was polled, an RX one posted. One that
 * finds none waits for the next to come free (the stack's queue on TX; on RX the peer held
 * back, as pause frames hold it), and a TX one waits for its CPU too. A packet that starts
 * when the next one is already due is late, and the periods count from its start: so a
 * function that does not keep up falls behind the offered rate, and its late starts say so,
 * while one that keeps up starts every packet on its time (a CPU's poll delaying a start by
 * less than a period leaves the schedule as it was).
 */
#include "workload/mlx5_impl.h"

static void tick_event(struct iommusim_engine *e, void *arg);

/* When the packet @k periods after @p->base is due. */
static uint64_t due(const struct isim_mlx5 *w, const struct mlx5_pacer *p, uint64_t k)
{
	return p->base + (uint64_t)((u128)k * w->period_num / w->cfg.rate_pps);
}

/* The stack's (TX) or the peer's (RX) next packet, on the channel's CPU or the wire. */
static void schedule_tick(struct isim_mlx5 *w, struct mlx5_pacer *p)
{
	uint64_t at = due(w, p, p->k), now = iommusim_engine_now(w->e);
	int err = iommusim_engine_schedule(w->e, at > now ? at : now, p->rx ? NULL : p->ch->cpu,
					   tick_event, p, NULL);

	if (err)
		isim_workload_fail(&w->st, w->e, err);
}

/* Packet @p->k in free @d from @at (RX: the peer's first bit; TX: its CPU's now). */
static void launch(struct isim_mlx5 *w, struct mlx5_pacer *p, struct mlx5_desc *d, uint64_t at)
{
	if (at >= due(w, p, p->k + 1)) {
		w->tally.late++;
		p->base = at;
		p->k = 0;
	}
	p->k++;
	if (d->rx)
		isim_mlx5_receive(w, d, at);
	else
		isim_mlx5_xmit(w, d);
	schedule_tick(w, p);
}

/* A packet is due: it takes a free descriptor, or waits for one. */
static void tick_event(struct iommusim_engine *e, void *arg)
{
	struct mlx5_pacer *p = arg;
	struct isim_mlx5 *w = p->ch->w;
	struct mlx5_desc *d = p->free;

	if (w->st.stopping)
		return;
	if (!d) {
		p->waiting = true;
		return;
	}
	p->free = d->next;
	launch(w, p, d, p->rx ? iommusim_engine_now(e) : iommusim_engine_cpu_now(e, p->ch->cpu));
}

void isim_mlx5_ready(struct isim_mlx5 *w, struct mlx5_desc *d)
{
	struct mlx5_pacer *p = &d->ch->pace[d->rx];

	if (!p->waiting) {
		d->next = p->free;
		p->free = d;
		return;
	}
	/* the packet due while no descriptor was free starts now */
	p->waiting = false;
	launch(w, p, d, iommusim_engine_cpu_now(w->e, d->ch->cpu));
}

int isim_mlx5_pace_start(struct isim_mlx5 *w)
{
	uint64_t now = iommusim_engine_now(w->e);
	bool tx = w->cfg.traffic != IOMMUSIM_MLX5_RX, rx = w->cfg.traffic != IOMMUSIM_MLX5_TX;

	/* every descriptor free, taken in ring order: TX ones unmapped, RX ones posted (the pool)
	 */
	for (size_t k = w->ndesc; k-- > 0;) {
		struct mlx5_desc *d = &w->desc[k];
		struct mlx5_pacer *p = &d->ch->pace[d->rx];

		d->next = p->free;
		p->free = d;
	}
	for (unsigned int q = 0; q < w->cfg.queues; q++) {
		for (unsigned int dir = 0; dir < 2; dir++) {
			struct mlx5_pacer *p = &w->ch[q].pace[dir];

			if (!(dir ? rx : tx))
				continue;
			/* channel q a q-th of a period after channel 0 */
			p->base = now + (uint64_t)((u128)q * w->period_num /
						   ((u128)w->cfg.rate_pps * w->cfg.queues));
			p->k = 0;
			schedule_tick(w, p);
			if (w->st.err)
				return w->st.err;
		}
	}
	return 0;
}
