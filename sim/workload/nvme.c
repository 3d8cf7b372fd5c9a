/* SPDX-License-Identifier: MIT */
/*
 * The NVMe device model and the fio-like job loop (nvme.h): each I/O's submission, mapping,
 * device service, completion and unmapping, as events on the engine, and the run's control.
 * The slots they use are built in nvme_setup.c.
 */
#include <errno.h>

#include <iommusim/dma.h>

#include "workload/nvme.h"
#include "workload/nvme_impl.h"

/* ---- the I/O path ---- */

static void submit_event(struct iommusim_engine *e, void *arg);
static void map_event(struct iommusim_engine *e, void *arg);
static void arrive_event(struct iommusim_engine *e, void *arg);
static void complete_event(struct iommusim_engine *e, void *arg);
static void unmap_event(struct iommusim_engine *e, void *arg);

/* A callback could not queue an event: the run cannot go on faithfully, so it ends here. */
static void fail_run(struct isim_nvme *n, int err)
{
	isim_workload_fail(&n->st, n->e, err);
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
	if (n->st.ctr.in_flight == 0)
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
	err = iommusim_engine_schedule(n->e, iommusim_engine_cpu_now(n->e, cpu), cpu, fn, s, NULL);
	if (err)
		fail_run(n, err);
}

/* Submit the slot's next I/O on its job's CPU: fio's loop and the driver's queue_rq work. */
static void submit(struct isim_nvme *n, struct slot *s)
{
	s->start =
		iommusim_engine_cpu_charge(n->e, s->job->cpu, n->submit_cycles) - n->submit_cycles;
	s->offset = next_offset(n, s->job);
	/* fio's rwmixread: the direction is drawn from the job's stream, after the offset */
	if (n->mixed)
		s->dir = iommusim_rng_below(&s->job->rng, 100) < n->rwmixread
				 ? IOMMUSIM_DMA_FROM_DEVICE
				 : IOMMUSIM_DMA_TO_DEVICE;
	n->st.ctr.submitted++;
	n->st.ctr.in_flight++;
	then(n, s, map_event);
}

/* Log a data call of slot @s begun at cycle @start, when recording (the slot names its buffer). */
static void record(struct isim_nvme *n, struct slot *s, enum iommusim_trace_op op, uint64_t start)
{
	struct iommusim_trace_rec rec;

	/* Most runs record nothing: no record is built for them (a time conversion each). */
	if (!n->record)
		return;
	rec = (struct iommusim_trace_rec){
		.time_ns = iommusim_engine_cycles_to_ns(n->e, start),
		.buffer = (uint64_t)(s - n->slot) + 1,
		.bytes = n->bytes,
		.cpu = iommusim_cpu_id(s->job->cpu),
		.segs = s->sg ? n->pages : 1,
		.op = (uint8_t)op,
		.dir = (uint8_t)s->dir,
	};
	isim_recorder_log(n->record, &rec);
}

/* The data mapping and the doorbell. */
static void map_event(struct iommusim_engine *e, void *arg)
{
	struct slot *s = arg;
	struct isim_nvme *n = s->job->n;
	struct iommusim_cpu *cpu = s->job->cpu;
	uint64_t start = iommusim_engine_cpu_now(e, cpu);
	unsigned int count;
	int err;

	/* The call's own part is work the DMA API reports, charged by the CPU's work hook. */
	if (s->sg) { /* mirrors nvme_map_data(): a PRP list needs the whole scatterlist mapped */
		err = iommusim_dma_map_sg(n->dev, cpu, s->sg, n->pages, s->dir, &count);
		s->nseg = err ? 0 : count;
	} else { /* mirrors nvme_setup_prp_simple(): one bio_vec within two pages */
		err = iommusim_dma_map_page(n->dev, cpu, s->phys, n->bytes, s->dir, &s->dma);
	}
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
		n->st.ctr.failed++;
		n->st.ctr.in_flight--;
		if (n->st.stopping) {
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
	record(n, s, s->sg ? IOMMUSIM_TRACE_MAP_SG : IOMMUSIM_TRACE_MAP, start);
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
	if (!n->st.stopping)
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

/* The IOVA pages [*first, *end) the slot's mapping covers (the hull of its segments). */
static void mapped_pages(const struct isim_nvme *n, const struct slot *s, uint64_t *first,
			 uint64_t *end)
{
	uint64_t lo = s->dma, hi = s->dma + n->bytes;

	if (s->sg)
		isim_workload_sg_hull(s->sg, s->nseg, &lo, &hi);
	*first = lo / PAGE_SIZE;
	*end = (hi + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* The data unmapping; the I/O is done, and its slot goes on with the next one. */
static void unmap_event(struct iommusim_engine *e, void *arg)
{
	struct slot *s = arg;
	struct isim_nvme *n = s->job->n;
	struct iommusim_cpu *cpu = s->job->cpu;
	uint64_t lat;

	record(n, s, s->sg ? IOMMUSIM_TRACE_UNMAP_SG : IOMMUSIM_TRACE_UNMAP,
	       iommusim_engine_cpu_now(e, cpu));
	if (n->exposure) {
		uint64_t first, end;

		mapped_pages(n, s, &first, &end);
		isim_exposure_unmap_begin(n->exposure, first, end);
	}
	if (s->sg)
		iommusim_dma_unmap_sg(n->dev, cpu, s->sg, n->pages, s->dir);
	else
		iommusim_dma_unmap_page(n->dev, cpu, s->dma, n->bytes, s->dir);
	if (n->exposure)
		isim_exposure_unmap_end(n->exposure, iommusim_engine_cpu_now(e, cpu));
	s->mapped = false;
	n->st.ctr.in_flight--;
	n->st.ctr.completed++;
	n->st.ctr.completed_bytes += n->bytes;
	lat = iommusim_engine_cpu_now(e, cpu) - s->start;
	isim_workload_record_latency(&n->st, lat);
	if (n->st.stopping) {
		stop_when_drained(n);
		return;
	}
	/* The next submission's own work calls no firmware, so it needs no step of its own. */
	submit(n, s);
}

/* ---- control: the ops the runner calls (workload.h) ---- */

static int nvme_start(void *w)
{
	struct isim_nvme *n = w;
	uint64_t now = iommusim_engine_now(n->e);

	for (size_t k = 0; k < n->nslots; k++) {
		int err = iommusim_engine_schedule(n->e, now, n->slot[k].job->cpu, submit_event,
						   &n->slot[k], NULL);

		if (err)
			return err;
	}
	return 0;
}

static struct iommusim_server *nvme_server(const void *w)
{
	return ((const struct isim_nvme *)w)->server;
}

const struct isim_workload_ops isim_nvme_ops = {
	.check = isim_nvme_check,
	.create = isim_nvme_create,
	.destroy = isim_nvme_destroy,
	.start = nvme_start,
	.measure = isim_workload_measure,
	.stop = isim_workload_stop,
	.finished = isim_workload_endless,
	.error = isim_workload_error,
	.counters = isim_workload_counters,
	.latency = isim_workload_latency,
	.interval_latency = isim_workload_interval_latency,
	.server = nvme_server,
};
