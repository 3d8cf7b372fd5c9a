/* SPDX-License-Identifier: MIT */
/*
 * The ftrace import (trace_ftrace.h): every line is read and checked first, the calls kept
 * with their device; then the device is chosen, its calls paired by what names their buffer
 * (trace_ftrace_impl.h) and added to a trace in order, times from its first call.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <iommusim/device.h>

#include "base/memory.h"
#include "workload/script_io.h"
#include "workload/trace_ftrace_impl.h"
#include "workload/script_replay.h"
#include "workload/trace_live.h"

#define MAX_DEVICES ISIM_FTRACE_MAX_NAMES
#define NS_PER_S    1000000000ull

/* A call kept from the first pass. */
struct call {
	uint64_t time_ns, key, bytes;
	uint64_t buffer; /* maps: the number it got */
	size_t line;
	uint32_t cpu, segs;
	uint8_t kind, dir;
	uint16_t dev;
};

struct import {
	struct iommusim_mem *mem;
	struct isim_script_lines ctx;
	struct isim_ftrace_report *rep;
	struct call *calls;
	size_t n, cap;
	struct isim_ftrace_names devices; /* the devices' names and their calls' counts */
};

/* Count one line under @name (@len bytes) in @t. */
static void count(struct isim_ftrace_names *t, const char *name, size_t len, size_t line)
{
	if (len >= sizeof(t->c[0].name))
		len = sizeof(t->c[0].name) - 1;
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->c[i].name) == len && !memcmp(t->c[i].name, name, len)) {
			t->c[i].n++;
			return;
		}
	if (t->n == ISIM_FTRACE_MAX_NAMES) {
		t->more++;
		return;
	}
	memcpy(t->c[t->n].name, name, len);
	t->c[t->n].name[len] = '\0';
	t->c[t->n].n = 1;
	t->c[t->n].first_line = line;
	t->n++;
}

static int device_index(struct import *im, const struct ftrace_event *ev, uint16_t *out)
{
	struct isim_ftrace_names *d = &im->devices;
	size_t len = ev->dev_len;

	for (size_t i = 0; i < d->n; i++)
		if (strlen(d->c[i].name) == len && !memcmp(d->c[i].name, ev->dev, len)) {
			d->c[i].n++;
			*out = (uint16_t)i;
			return 0;
		}
	if (d->n == MAX_DEVICES || len >= sizeof(d->c[0].name))
		return isim_script_fail(&im->ctx, "device",
					len >= sizeof(d->c[0].name) ? "a name of %zu bytes"
								    : "more than %zu devices",
					len >= sizeof(d->c[0].name) ? len : (size_t)MAX_DEVICES);
	count(d, ev->dev, len, im->ctx.line);
	*out = (uint16_t)(d->n - 1);
	return 0;
}

static int keep(struct import *im, const struct ftrace_event *ev)
{
	struct call *c;
	uint16_t dev = 0;
	int err = device_index(im, ev, &dev);

	if (err)
		return err;
	c = isim_script_grow(im->mem, im->calls, im->n, &im->cap, sizeof(*im->calls));
	if (!c)
		return -ENOMEM;
	im->calls = c;
	c = &im->calls[im->n++];
	*c = (struct call){.time_ns = ev->time_ns,
			   .key = ev->key,
			   .bytes = ev->bytes,
			   .line = im->ctx.line,
			   .cpu = ev->cpu,
			   .segs = ev->segs,
			   .kind = (uint8_t)ev->kind,
			   .dir = ev->dir,
			   .dev = dev};
	if (ev->truncated)
		im->rep->truncated++;
	return 0;
}

/* One line's event: kept, counted or refused. */
static int take(struct import *im, const struct ftrace_event *ev)
{
	struct isim_ftrace_report *rep = im->rep;
	char name[80];

	switch (ev->kind) {
	case FT_HEADER:
		return 0;
	case FT_LOST:
		rep->lost += ev->lost;
		return 0;
	case FT_OTHER:
		count(&rep->unknown, "(not an event)", 14, im->ctx.line);
		return 0;
	case FT_UNKNOWN:
		count(&rep->unknown, ev->name, ev->name_len, im->ctx.line);
		return 0;
	case FT_SKIP:
		/* the IOMMU core's events have short names of their own */
		snprintf(name, sizeof(name), "%s%.*s",
			 ev->name[0] == 'd' ? "" : "iommu:", (int)ev->name_len, ev->name);
		count(&rep->skipped, name, strlen(name), im->ctx.line);
		return 0;
	default:
		break;
	}
	if (ev->cpu >= IOMMUSIM_TRACE_MAX_CPUS)
		return isim_script_fail(&im->ctx, "cpu", "%u is not below %u", ev->cpu,
					IOMMUSIM_TRACE_MAX_CPUS);
	if (ev->failed) {
		snprintf(name, sizeof(name), "%.*s (failed when recorded)", (int)ev->name_len,
			 ev->name);
		count(&rep->skipped, name, strlen(name), im->ctx.line);
		return 0;
	}
	return keep(im, ev);
}

static int first_pass(struct import *im, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;
		struct ftrace_event ev;
		int err;

		im->ctx.line++;
		im->rep->lines++;
		if (eol > p && eol[-1] == '\r')
			eol--;
		err = isim_ftrace_line(&im->ctx, p, eol, &ev);
		if (!err)
			err = take(im, &ev);
		if (err)
			return err;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static int choose_device(struct import *im, const char *device, uint16_t *dev)
{
	const struct isim_ftrace_names *d = &im->devices;
	char list[512] = "";
	size_t used = 0;

	for (size_t i = 0; i < d->n; i++)
		if (device ? !strcmp(d->c[i].name, device) : d->n == 1) {
			*dev = (uint16_t)i;
			return 0;
		}
	for (size_t i = 0; i < d->n && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s %llu calls",
					 i ? ", " : "", d->c[i].name,
					 (unsigned long long)d->c[i].n);
	if (im->ctx.errlen) {
		if (!d->n)
			snprintf(im->ctx.errbuf, im->ctx.errlen, "%s: no DMA call of any device",
				 im->ctx.name);
		else if (device)
			snprintf(im->ctx.errbuf, im->ctx.errlen, "%s: no DMA call of %s (%s)",
				 im->ctx.name, device, list);
		else
			snprintf(im->ctx.errbuf, im->ctx.errlen,
				 "%s: DMA calls of %zu devices (%s): choose one", im->ctx.name,
				 d->n, list);
	}
	return -EINVAL;
}

/* The three spaces of buffer names: page maps' and allocations' DMA addresses, sg lists' pages. */
enum space { SP_PAGE, SP_COHERENT, SP_SG, NR_SPACES };

static const uint8_t space_of[] = {
	[FT_MAP] = SP_PAGE,    [FT_UNMAP] = SP_PAGE,	 [FT_MAP_SG] = SP_SG,
	[FT_UNMAP_SG] = SP_SG, [FT_ALLOC] = SP_COHERENT, [FT_FREE] = SP_COHERENT,
};

/* Add call @c to @t as a trace call; a refusal is the line's error. */
static int add(struct import *im, struct iommusim_trace *t, const struct call *c,
	       const struct call *map, uint64_t t0)
{
	struct iommusim_trace_rec r = {
		.time_ns = c->time_ns - t0,
		.buffer = map->buffer,
		/* dma_unmap_sg prints no sizes: those of its map */
		.bytes = c->kind == FT_UNMAP_SG ? map->bytes : c->bytes,
		.cpu = c->cpu,
		.segs = c->kind == FT_UNMAP_SG ? map->segs : c->segs,
		/* enum ftrace_kind's calls are in the order of enum iommusim_trace_op */
		.op = c->kind,
		.dir = c->kind >= FT_ALLOC ? IOMMUSIM_DMA_BIDIRECTIONAL : c->dir,
	};
	char msg[256], *colon;
	int err = iommusim_trace_add(t, &r, msg, sizeof(msg));

	if (err != -EINVAL)
		return err;
	im->ctx.line = c->line;
	colon = strchr(msg, ':');
	if (colon)
		*colon = '\0';
	if (map != c)
		return isim_script_fail(&im->ctx, msg, "%s (mapped at line %zu)",
					colon ? colon + 2 : "invalid", map->line);
	return isim_script_fail(&im->ctx, msg, "%s", colon ? colon + 2 : "invalid");
}

static int pair(struct import *im, uint16_t dev, struct iommusim_trace *t)
{
	struct isim_live live[NR_SPACES];
	uint64_t next = 1, t0 = 0, last = 0;
	bool first = true;
	int err = 0;

	for (int s = 0; s < NR_SPACES; s++)
		isim_live_init(&live[s], im->mem);
	for (size_t i = 0; i < im->n && !err; i++) {
		struct call *c = &im->calls[i];
		struct isim_live *l = &live[space_of[c->kind]];
		uint64_t at;

		if (c->dev != dev) {
			count(&im->rep->other, im->devices.c[c->dev].name,
			      strlen(im->devices.c[c->dev].name), c->line);
			continue;
		}
		if (!first && c->time_ns < last) {
			im->ctx.line = c->line;
			err = isim_script_fail(
				&im->ctx, "timestamp",
				"%llu.%09llu is before the previous call's %llu.%09llu",
				(unsigned long long)(c->time_ns / NS_PER_S),
				(unsigned long long)(c->time_ns % NS_PER_S),
				(unsigned long long)(last / NS_PER_S),
				(unsigned long long)(last % NS_PER_S));
			break;
		}
		if (first)
			t0 = c->time_ns;
		first = false;
		last = c->time_ns;
		if (c->kind == FT_MAP || c->kind == FT_MAP_SG || c->kind == FT_ALLOC) {
			/* an address mapped again unmapped unseen: its earlier buffer stays mapped
			 */
			if (isim_live_get(l, c->key))
				im->rep->remapped++;
			c->buffer = next++;
			err = isim_live_put(l, c->key, i);
			if (!err)
				err = add(im, t, c, c, t0);
			continue;
		}
		if (!isim_live_del(l, c->key, &at)) {
			if (!im->rep->unpaired_unmaps++)
				im->rep->first_unpaired = c->line;
			continue;
		}
		err = add(im, t, c, &im->calls[at], t0);
	}
	for (int s = 0; s < NR_SPACES; s++)
		isim_live_free(&live[s]);
	return err;
}

int isim_ftrace_import(struct iommusim_mem *mem, const char *text, size_t len, const char *name,
		       const char *device, struct iommusim_trace **out,
		       struct isim_ftrace_report *rep, char *errbuf, size_t errlen)
{
	struct import im = {
		.mem = mem, .ctx = {.name = name, .errbuf = errbuf, .errlen = errlen}, .rep = rep};
	struct iommusim_trace_info info;
	struct iommusim_trace *t = NULL;
	uint16_t dev = 0;
	int err;

	memset(rep, 0, sizeof(*rep));
	if (errlen)
		errbuf[0] = '\0';
	err = first_pass(&im, text, len);
	if (!err)
		err = choose_device(&im, device, &dev);
	if (!err) {
		snprintf(rep->device, sizeof(rep->device), "%s", im.devices.c[dev].name);
		err = iommusim_trace_create(mem, rep->device, &t);
	}
	if (!err)
		err = pair(&im, dev, t);
	if (im.calls)
		isim_free(mem, im.calls, im.cap * sizeof(*im.calls), 0);
	if (err) {
		if (err == -ENOMEM && errlen)
			snprintf(errbuf, errlen, "%s: out of memory", name);
		iommusim_trace_destroy(t);
		return err;
	}
	iommusim_trace_get_info(t, &info);
	rep->calls = info.ops;
	rep->left_mapped = info.left_mapped;
	*out = t;
	return 0;
}
