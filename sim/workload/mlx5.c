/* SPDX-License-Identifier: MIT */
/*
 * The mlx5 packet path (mlx5_impl.h): TX xmit and doorbell, the port's two directions, the
 * completions queued on a channel, and its NAPI polls on the channel's CPU; and the run's
 * control. The queues and pages they use are built in mlx5_setup.c; with a rate, mlx5_pace.c
 * starts the packets.
 */
#include <errno.h>
#include <math.h>

#include <iommusim/dma.h>

#include "workload/mlx5_impl.h"

static void next_event(struct iommusim_engine *e, void *arg);
static void wire_event(struct iommusim_engine *e, void *arg);
static void cqe_event(struct iommusim_engine *e, void *arg);
static void step_event(struct iommusim_engine *e, void *arg);

static void fail_run(struct isim_mlx5 *w, int err)
{
	isim_workload_fail(&w->st, w->e, err);
}

/* Bytes of page @i of descriptor @d: an RX page, or a TX packet's linear part or fragment. */
static uint64_t page_bytes(const struct mlx5_desc *d, unsigned int i)
{
	uint64_t left;

	if (d->rx)
		return MLX5_PAGE;
	if (i == 0)
		return d->cls->tx_bytes_first;
	left = d->cls->bytes - d->cls->tx_bytes_first - (uint64_t)(i - 1) * MLX5_PAGE;
	return left < MLX5_PAGE ? left : MLX5_PAGE;
}

static enum iommusim_dma_dir dir_of(const struct mlx5_desc *d)
{
	return d->rx ? IOMMUSIM_DMA_FROM_DEVICE : IOMMUSIM_DMA_TO_DEVICE;
}

/*
 * dma_map_single() of a TX packet's linear part and skb_frag_dma_map() of a fragment are both
 * a page map; so is page_pool_dma_map() of an RX page.
 */
int isim_mlx5_map(struct isim_mlx5 *w, struct iommusim_cpu *cpu, struct mlx5_desc *d,
		  unsigned int i)
{
	int err = iommusim_dma_map_page(w->dev, cpu, d->phys[i], page_bytes(d, i), dir_of(d),
					&d->dma[i]);

	if (!err)
		w->tally.maps++;
	return err;
}

void isim_mlx5_unmap(struct isim_mlx5 *w, struct iommusim_cpu *cpu, struct mlx5_desc *d,
		     unsigned int i)
{
	uint64_t bytes = page_bytes(d, i);

	if (w->exposure)
		isim_exposure_unmap_begin(w->exposure, d->dma[i] / MLX5_PAGE,
					  (d->dma[i] + bytes + MLX5_PAGE - 1) / MLX5_PAGE);
	iommusim_dma_unmap_page(w->dev, cpu, d->dma[i], bytes, dir_of(d));
	if (w->exposure)
		isim_exposure_unmap_end(w->exposure, iommusim_engine_cpu_now(w->e, cpu));
	w->tally.unmaps++;
}

/* While stopping: end the run once no packet is left in flight. */
static void stop_when_drained(struct isim_mlx5 *w)
{
	if (w->st.ctr.in_flight == 0)
		iommusim_engine_stop(w->e);
}

/* Run @fn for @arg on @cpu at the time the CPU gets there (see nvme.c's then()). */
static void later(struct isim_mlx5 *w, struct iommusim_cpu *cpu, uint64_t delay,
		  iommusim_event_fn *fn, void *arg)
{
	int err = iommusim_engine_schedule(w->e, iommusim_engine_cpu_now(w->e, cpu) + delay, cpu,
					   fn, arg, NULL);

	if (err)
		fail_run(w, err);
}

/* A packet begins: an I/O submitted and in flight from @start. */
static void begin(struct isim_mlx5 *w, struct mlx5_desc *d, uint64_t start)
{
	d->start = start;
	w->st.ctr.submitted++;
	w->st.ctr.in_flight++;
}

/*
 * A map failed: the host's memory (the run ends) or the guest's refusal (counted, retried). A
 * paced RX posting is no I/O yet: its packet begins when the peer sends it.
 */
static void map_failed(struct isim_mlx5 *w, struct mlx5_desc *d)
{
	if (iommusim_mem_failed_allocs(w->mem) != w->mem_failed) {
		fail_run(w, -ENOMEM);
		return;
	}
	if (!d->rx || !w->cfg.rate_pps) {
		w->st.ctr.failed++;
		w->st.ctr.in_flight--;
	}
	if (w->st.stopping) {
		stop_when_drained(w);
		return;
	}
	later(w, d->ch->cpu, w->retry_delay, next_event, d);
}

/* The doorbell: the packet, or the posted buffer, reaches its direction of the port. */
static void ring_doorbell(struct isim_mlx5 *w, struct mlx5_desc *d)
{
	int err = iommusim_engine_schedule(w->e, iommusim_engine_cpu_now(w->e, d->ch->cpu), NULL,
					   wire_event, d, NULL);

	if (err)
		fail_run(w, err);
}

/*
 * mlx5e_xmit(): the stack's and driver's work, then mlx5e_txwqe_build_dsegs(): the linear
 * part and each fragment mapped; a failed map unmaps what was mapped and drops the packet.
 */
void isim_mlx5_xmit(struct isim_mlx5 *w, struct mlx5_desc *d)
{
	struct iommusim_cpu *cpu = d->ch->cpu;

	begin(w, d, iommusim_engine_cpu_charge(w->e, cpu, w->xmit_cycles) - w->xmit_cycles);
	d->cls = isim_mlx5_draw(w, d->ch);
	for (d->mapped = 0; d->mapped < d->cls->tx_maps; d->mapped++) {
		if (isim_mlx5_map(w, cpu, d, d->mapped)) {
			while (d->mapped > 0)
				isim_mlx5_unmap(w, cpu, d, --d->mapped);
			map_failed(w, d);
			return;
		}
	}
	ring_doorbell(w, d);
}

/*
 * Post an RX descriptor again: the pages the pool did not get back are replaced and mapped.
 * In a closed loop the peer's packet fills it at once (the I/O counts from the posting); with
 * a rate it waits for the packet's time.
 */
static void post(struct isim_mlx5 *w, struct mlx5_desc *d)
{
	if (!w->cfg.rate_pps)
		begin(w, d, iommusim_engine_cpu_now(w->e, d->ch->cpu));
	for (; d->mapped < w->rx_pages; d->mapped++)
		if (isim_mlx5_map(w, d->ch->cpu, d, d->mapped)) {
			map_failed(w, d);
			return;
		}
	if (w->cfg.rate_pps) {
		isim_mlx5_ready(w, d);
		return;
	}
	d->cls = isim_mlx5_draw(w, d->ch);
	ring_doorbell(w, d);
}

/* With a rate: the peer's packet into posted @d, sent from @at (not before now). */
void isim_mlx5_receive(struct isim_mlx5 *w, struct mlx5_desc *d, uint64_t at)
{
	int err;

	begin(w, d, at);
	d->cls = isim_mlx5_draw(w, d->ch);
	err = iommusim_engine_schedule(w->e, at, NULL, wire_event, d, NULL);
	if (err)
		fail_run(w, err);
}

/* A descriptor's next use at the time its CPU gets there: a TX packet, or an RX posting. */
/*
 * The descriptor's next use: an RX buffer is posted again; a TX slot waits for its packet's
 * time under a rate, or sends at once in the closed loop.
 */
static void reuse(struct isim_mlx5 *w, struct mlx5_desc *d)
{
	if (d->rx)
		post(w, d);
	else if (w->cfg.rate_pps)
		isim_mlx5_ready(w, d);
	else
		isim_mlx5_xmit(w, d);
}

static void next_event(struct iommusim_engine *e, void *arg)
{
	struct mlx5_desc *d = arg;
	struct isim_mlx5 *w = d->ch->w;

	(void)e;
	if (!w->st.stopping)
		reuse(w, d);
}

/*
 * The port moves the packet (each direction a server at the link's rate, first come first
 * served across the channels) and writes its CQE; the first completion of a channel with no
 * poll pending raises its interrupt, and NAPI polls on the channel's CPU.
 */
static void wire_event(struct iommusim_engine *e, void *arg)
{
	struct mlx5_desc *d = arg;
	struct isim_mlx5 *w = d->ch->w;
	uint64_t end;
	int err;

	iommusim_engine_server_use(e, d->rx ? w->rx_link : w->tx_link, NULL, iommusim_engine_now(e),
				   d->cls->wire_cycles, NULL, &end);
	err = iommusim_engine_schedule(e, end, NULL, cqe_event, d, NULL);
	if (err)
		fail_run(w, err);
}

/* A completion is written: queue it, and schedule the channel's poll if none is pending. */
static void cqe_event(struct iommusim_engine *e, void *arg)
{
	struct mlx5_desc *d = arg;
	struct mlx5_channel *ch = d->ch;
	int err;

	d->next = NULL;
	if (ch->cq_tail)
		ch->cq_tail->next = d;
	else
		ch->cq_head = d;
	ch->cq_tail = d;
	if (ch->napi_scheduled)
		return;
	ch->napi_scheduled = true;
	ch->budget_left = 0;
	err = iommusim_engine_schedule(e, iommusim_engine_now(e), ch->cpu, step_event, ch, NULL);
	if (err)
		fail_run(ch->w, err);
}

/* mlx5e_poll_tx_cq(): one completion: its unmaps, then the stack's next packet in its place. */
static void tx_done(struct isim_mlx5 *w, struct mlx5_desc *d)
{
	struct iommusim_cpu *cpu = d->ch->cpu;

	iommusim_engine_cpu_charge(w->e, cpu, w->tx_complete_cycles);
	/* mlx5e_tx_dma_unmap(): the recorded maps, in reverse */
	while (d->mapped > 0)
		isim_mlx5_unmap(w, cpu, d, --d->mapped);
}

/*
 * mlx5e_poll_rx_cq(): the packet to the stack; each of its pages comes back to the page pool
 * (still mapped) unless drawn as one the pool loses, which is unmapped on release.
 */
static void rx_done(struct isim_mlx5 *w, struct mlx5_desc *d)
{
	struct iommusim_cpu *cpu = d->ch->cpu;
	unsigned int lost = 0;

	iommusim_engine_cpu_charge(w->e, cpu, w->rx_cycles);
	for (unsigned int i = 0; w->cfg.rx_miss_pct && i < d->cls->rx_pages; i++)
		lost += iommusim_rng_below(&d->ch->rng, 100) < w->cfg.rx_miss_pct;
	/*
	 * the pages are alike: the lost ones (of those the packet filled) are the last, which
	 * post() maps anew
	 */
	while (lost-- > 0)
		isim_mlx5_unmap(w, cpu, d, --d->mapped);
}

/* One completion of the poll: done, counted, and its descriptor used again. */
static void complete(struct isim_mlx5 *w, struct mlx5_desc *d)
{
	struct iommusim_cpu *cpu = d->ch->cpu;

	if (d->rx)
		rx_done(w, d);
	else
		tx_done(w, d);
	w->st.ctr.in_flight--;
	w->st.ctr.completed++;
	w->st.ctr.completed_bytes += d->cls->bytes;
	w->tally.packets++;
	isim_workload_record_latency(&w->st, iommusim_engine_cpu_now(w->e, cpu) - d->start);
	if (w->st.stopping) {
		stop_when_drained(w);
		return;
	}
	reuse(w, d);
}

/*
 * The NAPI poll of a channel: its fixed cost, then up to the budget's completions, each (with
 * steps) in an event of its own at the time the CPU gets there, so that the firmware calls of
 * its unmaps and maps reach a shared server in time order. A poll that used its budget with
 * completions left polls again; one that did not re-arms the interrupt.
 */
static void step_event(struct iommusim_engine *e, void *arg)
{
	struct mlx5_channel *ch = arg;
	struct isim_mlx5 *w = ch->w;

	(void)e;
	for (;;) {
		struct mlx5_desc *d = ch->cq_head;

		if (ch->budget_left == 0) {
			if (!d) {
				ch->napi_scheduled = false;
				return;
			}
			iommusim_engine_cpu_charge(w->e, ch->cpu, w->poll_cycles);
			ch->budget_left = w->cfg.napi_budget;
		}
		if (!d) {
			ch->budget_left = 0;
			ch->napi_scheduled = false;
			return;
		}
		ch->cq_head = d->next;
		if (!ch->cq_head)
			ch->cq_tail = NULL;
		ch->budget_left--;
		complete(w, d);
		if (w->st.err)
			return;
		if (w->steps) {
			later(w, ch->cpu, 0, step_event, ch);
			return;
		}
	}
}

/* ---- control: the ops the runner calls (workload.h) ---- */

static int mlx5_start(void *p)
{
	struct isim_mlx5 *w = p;
	uint64_t now = iommusim_engine_now(w->e);

	if (w->cfg.rate_pps)
		return isim_mlx5_pace_start(w);
	for (size_t k = 0; k < w->ndesc; k++) {
		struct mlx5_desc *d = &w->desc[k];
		int err = iommusim_engine_schedule(w->e, now, d->ch->cpu, next_event, d, NULL);

		if (err)
			return err;
	}
	return 0;
}

static void mlx5_measure(void *p, bool on)
{
	struct isim_mlx5 *w = p;

	isim_workload_measure(p, on);
	if (on)
		w->at_start = w->tally;
	else
		w->at_end = w->tally;
}

/* The link's busy share: the TX side's, or the RX side's when the guest only receives. */
static struct iommusim_server *mlx5_server(const void *p)
{
	const struct isim_mlx5 *w = p;

	return w->cfg.traffic == IOMMUSIM_MLX5_RX ? w->rx_link : w->tx_link;
}

static void mlx5_stats(const void *p, uint64_t hz, struct iommusim_sim_stats *st)
{
	const struct isim_mlx5 *w = p;
	uint64_t packets = w->at_end.packets - w->at_start.packets;

	(void)hz;
	st->packets = packets;
	st->pps = st->iops;
	st->gbps = st->mbps * 8.0 / 1000.0;
	st->maps_per_packet = st->unmaps_per_packet = NAN;
	st->offered_pps = (double)w->cfg.rate_pps * (w->cfg.traffic == IOMMUSIM_MLX5_BIDI ? 2 : 1);
	st->late_starts = w->at_end.late - w->at_start.late;
	if (packets) {
		st->maps_per_packet = (double)(w->at_end.maps - w->at_start.maps) / (double)packets;
		st->unmaps_per_packet =
			(double)(w->at_end.unmaps - w->at_start.unmaps) / (double)packets;
	}
}

const struct isim_workload_ops isim_mlx5_ops = {
	.check = isim_mlx5_check,
	.create = isim_mlx5_create,
	.destroy = isim_mlx5_destroy,
	.start = mlx5_start,
	.measure = mlx5_measure,
	.stop = isim_workload_stop,
	.finished = isim_workload_endless,
	.error = isim_workload_error,
	.counters = isim_workload_counters,
	.latency = isim_workload_latency,
	.interval_latency = isim_workload_interval_latency,
	.server = mlx5_server,
	.stats = mlx5_stats,
};
