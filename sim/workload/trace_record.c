/* SPDX-License-Identifier: MIT */
/* The log of a simulation's DMA calls, and its move into a trace (trace_record.h). */
#include <errno.h>
#include <string.h>

#include "base/memory.h"
#include "workload/script_replay.h"
#include "workload/trace_live.h"
#include "workload/trace_record.h"

void isim_recorder_init(struct isim_recorder *r, struct iommusim_mem *mem)
{
	memset(r, 0, sizeof(*r));
	r->mem = mem;
}

void isim_recorder_free(struct isim_recorder *r)
{
	if (r->rec)
		isim_free(r->mem, r->rec, r->cap * sizeof(*r->rec), 0);
	isim_recorder_init(r, r->mem);
}

void isim_recorder_log(struct isim_recorder *r, const struct iommusim_trace_rec *rec)
{
	struct iommusim_trace_rec *bigger;

	if (!r || r->err)
		return;
	bigger = isim_script_grow(r->mem, r->rec, r->n, &r->cap, sizeof(*r->rec));
	if (!bigger) {
		r->err = -ENOMEM;
		return;
	}
	r->rec = bigger;
	r->rec[r->n++] = *rec;
}

/* Stable merge sort by time over @tmp (as long as @a): the order of calls at one instant stays. */
static void sort(struct iommusim_trace_rec *a, struct iommusim_trace_rec *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	sort(a, tmp, mid);
	sort(a + mid, tmp, n - mid);
	while (i < mid && j < n)
		tmp[k++] = a[j].time_ns < a[i].time_ns ? a[j++] : a[i++];
	while (i < mid)
		tmp[k++] = a[i++];
	memcpy(a, tmp, k * sizeof(*a));
}

int isim_recorder_finish(struct isim_recorder *r, struct iommusim_trace *t, char *errbuf,
			 size_t errlen)
{
	struct iommusim_trace_rec *tmp;
	int err = r->err;

	if (err)
		return err;
	tmp = isim_alloc(r->mem, (r->n ? r->n : 1) * sizeof(*tmp), 0);
	if (!tmp)
		return -ENOMEM;
	sort(r->rec, tmp, r->n);
	isim_free(r->mem, tmp, (r->n ? r->n : 1) * sizeof(*tmp), 0);
	for (size_t i = 0; i < r->n && !err; i++)
		err = iommusim_trace_add(t, &r->rec[i], errbuf, errlen);
	return err;
}
