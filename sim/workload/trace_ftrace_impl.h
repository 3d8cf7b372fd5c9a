/* SPDX-License-Identifier: MIT */
/*
 * The two halves of the ftrace import (trace_ftrace.h): trace_ftrace_line.c reads one line of
 * the kernel's text into an event, trace_ftrace.c keeps the events of one device and pairs
 * them into a trace.
 */
#ifndef ISIM_WORKLOAD_TRACE_FTRACE_IMPL_H
#define ISIM_WORKLOAD_TRACE_FTRACE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workload/script_lex.h"
#include "workload/trace_ftrace.h"

enum ftrace_kind {
	FT_MAP,	     /* dma_map_page, dma_map_resource, dma_map_phys */
	FT_UNMAP,    /* their unmaps */
	FT_MAP_SG,   /* dma_map_sg */
	FT_UNMAP_SG, /* dma_unmap_sg */
	FT_ALLOC,    /* dma_alloc, dma_alloc_pages, dma_alloc_sgt */
	FT_FREE,     /* dma_free, dma_free_pages, dma_free_sgt */
	FT_SKIP,     /* a known event that is no call to replay: syncs, errors, iommu map/unmap */
	FT_UNKNOWN,  /* an event line of an event not known */
	FT_OTHER,    /* not an event line: counted as such */
	FT_HEADER,   /* a header or comment line, blank, "version = 6", "cpus=4" */
	FT_LOST,     /* the kernel lost events here */
};

/*
 * One line, read. Names and the device point into the line.
 * @failed: a call that failed in the recording (a map to the error address, an allocation
 *          of nothing): nothing to replay.
 * @key:    what pairs a map with its unmap: the DMA address of a page map or an allocation,
 *          the first physical address of a scatterlist (dma_unmap_sg prints no DMA address).
 */
struct ftrace_event {
	enum ftrace_kind kind;
	const char *name;
	size_t name_len;
	const char *dev;
	size_t dev_len;
	uint32_t cpu;
	uint64_t time_ns;
	uint8_t dir;
	bool dir_given;
	bool failed;
	bool truncated;
	uint64_t key;
	uint64_t bytes;
	uint32_t segs;
	uint64_t lost;
};

/*
 * Read the line [@s, @end) (no newline) into @ev: 0, or -EINVAL with the message
 * "NAME:LINE: FIELD: problem" written where @c says (its name, line and errbuf only).
 */
int isim_ftrace_line(const struct isim_script_lines *c, const char *s, const char *end,
		     struct ftrace_event *ev);

#endif /* ISIM_WORKLOAD_TRACE_FTRACE_IMPL_H */
