/* SPDX-License-Identifier: MIT */
/*
 * The calls of a replayed trace (trace_run.h). Each call is an event of its own on the CPU
 * that made it, at its recorded time or, closed, when the CPU is free, so its firmware calls
 * reach a shared server in time order (docs/design.md, "Shared servers and event order"). An
 * unmap whose map, on another CPU, has not returned yet waits for it: the map wakes it.
 */
#include <errno.h>

#include <iommusim/dma.h>

#include "base/memory.h"
#include "workload/trace_run.h"

#define PAGE_SIZE 4096ull

static uint64_t page_up(uint64_t b)
{
	return (b + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

/* Each entry of a scatterlist starts a page of its own: bytes / segs, the last one the rest. */
uint64_t isim_trace_footprint(uint64_t bytes, uint32_t segs)
{
	return (uint64_t)(segs - 1) * page_up(bytes / segs) +
	       page_up(bytes - (segs - 1) * (bytes / segs));
}

static void fail_run(struct isim_trace_run *r, int err)
{
	isim_workload_fail(&r->st, r->e, err);
}

/* Guest-physical room for a buffer, handed out in turn and wrapping around. */
static uint64_t take_phys(struct isim_trace_run *r, uint64_t bytes)
{
	uint64_t at;

	if (r->phys_next + bytes > r->phys_limit)
		r->phys_next = r->phys_base;
	at = r->phys_next;
	r->phys_next += bytes;
	return at;
}

void isim_trace_free_sg(struct isim_trace_run *r, struct life *l, uint32_t segs)
{
	if (l->sg)
		isim_free(r->mem, l->sg, segs * sizeof(*l->sg), 0);
	l->sg = NULL;
}

static int map_sg(struct isim_trace_run *r, struct iommusim_cpu *cpu,
		  const struct iommusim_trace_rec *c, struct life *l)
{
	uint64_t each = c->bytes / c->segs, phys;
	unsigned int count;
	int err;

	l->sg = isim_zalloc(r->mem, c->segs * sizeof(*l->sg), 0);
	if (!l->sg)
		return -ENOMEM;
	phys = take_phys(r, isim_trace_footprint(c->bytes, c->segs));
	for (uint32_t i = 0; i < c->segs; i++) {
		l->sg[i].phys = phys + i * page_up(each);
		l->sg[i].length = i + 1 < c->segs ? each : c->bytes - each * (c->segs - 1);
	}
	count = 0;
	err = iommusim_dma_map_sg(r->dev, cpu, l->sg, c->segs, (enum iommusim_dma_dir)c->dir,
				  &count);
	l->nseg = count;
	return err;
}

/* The IOVA pages [*first, *end) a life's mapping covers (the hull of its segments). */
static void mapped_pages(const struct iommusim_trace_rec *c, const struct life *l, uint64_t *first,
			 uint64_t *end)
{
	uint64_t lo = l->dma, hi = l->dma + c->bytes;

	if (l->sg)
		isim_workload_sg_hull(l->sg, l->nseg, &lo, &hi);
	*first = lo / PAGE_SIZE;
	*end = (hi + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* An unmap on another CPU waits for the map of life @l to return: it goes on when @cpu's is done.
 */
static void wake(struct isim_trace_run *r, struct life *l, struct iommusim_cpu *cpu)
{
	int err;

	if (!l->waiter)
		return;
	err = iommusim_engine_schedule(r->e, iommusim_engine_cpu_now(r->e, cpu),
				       r->cpus[l->waiter - 1].cpu, isim_trace_call_event,
				       &r->cpus[l->waiter - 1], NULL);
	l->waiter = 0;
	if (err)
		fail_run(r, err);
}

/* A map, map_sg or alloc: the buffer's life begins, or fails. */
static void do_map(struct isim_trace_run *r, struct trace_cpu *tc, size_t i)
{
	const struct iommusim_trace_rec *c = &r->rec[i];
	struct life *l = &r->life[i];
	int err;

	r->st.ctr.submitted++;
	r->st.ctr.in_flight++;
	if (c->op == IOMMUSIM_TRACE_MAP)
		err = iommusim_dma_map_page(r->dev, tc->cpu, take_phys(r, page_up(c->bytes)),
					    c->bytes, (enum iommusim_dma_dir)c->dir, &l->dma);
	else if (c->op == IOMMUSIM_TRACE_ALLOC)
		err = iommusim_dma_alloc_coherent(r->dev, tc->cpu, take_phys(r, page_up(c->bytes)),
						  c->bytes, &l->dma);
	else
		err = map_sg(r, tc->cpu, c, l);
	l->state = LIFE_MAPPED;
	l->ready = iommusim_engine_cpu_now(r->e, tc->cpu);
	if (err) {
		isim_trace_free_sg(r, l, c->segs);
		/* the host's memory, not the guest's IOVA space: not the machine modelled */
		if (iommusim_mem_failed_allocs(r->mem) != r->mem_failed) {
			fail_run(r, -ENOMEM);
			return;
		}
		l->state = LIFE_FAILED;
		r->st.ctr.failed++;
		r->st.ctr.in_flight--;
	} else if (c->op == IOMMUSIM_TRACE_ALLOC) {
		r->st.ctr.coherent++;
	}
	wake(r, l, tc->cpu);
}

void isim_trace_unmap(struct isim_trace_run *r, struct iommusim_cpu *cpu, size_t map)
{
	const struct iommusim_trace_rec *m = &r->rec[map];
	struct life *l = &r->life[map];
	enum iommusim_dma_dir dir = (enum iommusim_dma_dir)m->dir;
	uint64_t first, end;

	if (r->exposure && m->op != IOMMUSIM_TRACE_ALLOC) {
		mapped_pages(m, l, &first, &end);
		isim_exposure_unmap_begin(r->exposure, first, end);
	}
	if (m->op == IOMMUSIM_TRACE_MAP)
		iommusim_dma_unmap_page(r->dev, cpu, l->dma, m->bytes, dir);
	else if (m->op == IOMMUSIM_TRACE_MAP_SG)
		iommusim_dma_unmap_sg(r->dev, cpu, l->sg, m->segs, dir);
	else
		iommusim_dma_free_coherent(r->dev, cpu, m->bytes, l->dma);
	if (r->exposure && m->op != IOMMUSIM_TRACE_ALLOC)
		isim_exposure_unmap_end(r->exposure, iommusim_engine_cpu_now(r->e, cpu));
	isim_trace_free_sg(r, l, m->segs);
	if (m->op == IOMMUSIM_TRACE_ALLOC)
		r->st.ctr.coherent--;
	l->state = LIFE_DONE;
	r->st.ctr.in_flight--;
}

/* An unmap, unmap_sg or free: the life ends. A map that failed has nothing to unmap. */
static bool do_unmap(struct isim_trace_run *r, struct trace_cpu *tc, size_t i)
{
	struct life *l = &r->life[r->peer[i]];

	if (l->state == LIFE_FAILED) {
		l->state = LIFE_DONE;
		return false;
	}
	isim_trace_unmap(r, tc->cpu, r->peer[i]);
	r->st.ctr.completed++;
	r->st.ctr.completed_bytes += r->rec[i].bytes;
	return true;
}

static void finish_event(struct iommusim_engine *e, void *arg)
{
	struct isim_trace_run *r = arg;

	r->finished = true;
	iommusim_engine_stop(e);
}

/* The last call is made: the replay ends when every CPU has finished its work. */
static void finish(struct isim_trace_run *r)
{
	uint64_t end = iommusim_engine_now(r->e);
	int err;

	for (uint32_t c = 0; c < r->ncpus; c++) {
		uint64_t t = iommusim_engine_cpu_now(r->e, r->cpus[c].cpu);

		if (t > end)
			end = t;
	}
	err = iommusim_engine_schedule(r->e, end, NULL, finish_event, r, NULL);
	if (err)
		fail_run(r, err);
}

void isim_trace_call_event(struct iommusim_engine *e, void *arg)
{
	struct trace_cpu *tc = arg;
	struct isim_trace_run *r = tc->r;
	size_t i = r->order[tc->next];
	const struct iommusim_trace_rec *c = &r->rec[i];
	bool map = isim_trace_starts(c->op), called = true;
	uint64_t start, lat;
	int err;

	if (r->stopping)
		return;
	if (!map && r->life[r->peer[i]].state == LIFE_WAITING) {
		r->life[r->peer[i]].waiter = tc->id + 1;
		return;
	}
	start = iommusim_engine_cpu_now(e, tc->cpu);
	/* the map was made, but on its CPU's time it has not returned yet */
	if (!map && start < r->life[r->peer[i]].ready) {
		err = iommusim_engine_schedule(e, r->life[r->peer[i]].ready, tc->cpu,
					       isim_trace_call_event, tc, NULL);
		if (err)
			fail_run(r, err);
		return;
	}
	if (r->recorded) {
		uint64_t due = r->origin + iommusim_engine_ns_to_cycles(e, c->time_ns);

		if (r->st.measuring)
			isim_hist_record(&r->backlog, start > due ? start - due : 0);
	}
	if (map)
		do_map(r, tc, i);
	else
		called = do_unmap(r, tc, i);
	if (r->st.err)
		return;
	lat = iommusim_engine_cpu_now(e, tc->cpu) - start;
	if (called)
		isim_workload_record_latency(&r->st, lat);
	/* a failed map made no mapping to replay: it is not recorded */
	if (r->record && called && (!map || r->life[i].state == LIFE_MAPPED)) {
		struct iommusim_trace_rec again = *c;

		again.time_ns = iommusim_engine_cycles_to_ns(e, start - r->origin);
		isim_recorder_log(r->record, &again);
	}
	tc->next++;
	if (--r->left == 0) {
		finish(r);
		return;
	}
	err = isim_trace_next(r, tc);
	if (err)
		fail_run(r, err);
}

int isim_trace_next(struct isim_trace_run *r, struct trace_cpu *tc)
{
	uint64_t now = iommusim_engine_now(r->e), at = now;

	if (tc->next == tc->end)
		return 0;
	if (r->recorded) {
		at = r->origin +
		     iommusim_engine_ns_to_cycles(r->e, r->rec[r->order[tc->next]].time_ns);
		if (at < now)
			at = now;
	}
	/* with its CPU: it runs when that CPU is free, at @at or later */
	return iommusim_engine_schedule(r->e, at, tc->cpu, isim_trace_call_event, tc, NULL);
}
