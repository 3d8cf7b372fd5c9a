/* SPDX-License-Identifier: MIT */
/*
 * Importing the text of the kernel's DMA trace events (docs/traces.md, "Recording"): what
 * /sys/kernel/tracing/trace and `trace-cmd report` print for the dma and iommu events, made a
 * trace of one device (trace.h). The whole text is checked before a trace is made: a malformed
 * line of an event the importer knows is one message, "NAME:LINE: FIELD: problem"; every line
 * it does not know is counted by its event's name, never dropped unsaid.
 */
#ifndef ISIM_WORKLOAD_TRACE_FTRACE_H
#define ISIM_WORKLOAD_TRACE_FTRACE_H

#include <stddef.h>
#include <stdint.h>
#include <iommusim/mem.h>
#include <iommusim/trace.h>

/* Events counted under one name (not replayed, or not known), in order of first sight. */
struct isim_ftrace_count {
	char name[64];
	uint64_t n;
	size_t first_line;
};

#define ISIM_FTRACE_MAX_NAMES 64

struct isim_ftrace_names {
	struct isim_ftrace_count c[ISIM_FTRACE_MAX_NAMES];
	size_t n;
	uint64_t more; /* lines of names beyond the table's room */
};

/*
 * What an import found besides the calls it kept.
 * @lines:          lines read.
 * @device:         the device imported.
 * @calls:          calls kept in the trace.
 * @skipped:        events known but not replayed (syncs, the IOMMU core's map and unmap, maps
 *                  that failed in the recording), by name.
 * @unknown:        lines not understood, by event name ("(not an event)" for other lines).
 * @other:          DMA events of other devices, by device.
 * @lost:           events the kernel reported lost ("[LOST N EVENTS]").
 * @unpaired_unmaps: unmaps and frees of buffers mapped before the recording began (dropped),
 *                  @first_unpaired their first line.
 * @remapped:       maps of an address still mapped (its unmap was never recorded): the earlier
 *                  buffer stays mapped in the trace.
 * @left_mapped:    buffers mapped and never unmapped (kept: the replay leaves them mapped).
 * @truncated:      scatterlist maps whose lists the kernel cut ("[TRUNCATED]"): their bytes
 *                  are scaled up from the entries printed.
 */
struct isim_ftrace_report {
	uint64_t lines;
	char device[256];
	uint64_t calls;
	struct isim_ftrace_names skipped;
	struct isim_ftrace_names unknown;
	struct isim_ftrace_names other;
	uint64_t lost;
	uint64_t unpaired_unmaps;
	size_t first_unpaired;
	uint64_t remapped;
	uint64_t left_mapped;
	uint64_t truncated;
};

/*
 * Import @len bytes of @text (named @name in messages). @device: the device to keep, or NULL
 * for the only one the text names (more than one is an error that lists them).
 * Return: 0 with *@out and *@rep filled; -EINVAL with "NAME:LINE: FIELD: problem" (or
 * "NAME: problem" for the whole text) in @errbuf; -ENOMEM.
 */
int isim_ftrace_import(struct iommusim_mem *mem, const char *text, size_t len, const char *name,
		       const char *device, struct iommusim_trace **out,
		       struct isim_ftrace_report *rep, char *errbuf, size_t errlen);

#endif /* ISIM_WORKLOAD_TRACE_FTRACE_H */
