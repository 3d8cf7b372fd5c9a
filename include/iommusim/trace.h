/* SPDX-License-Identifier: MIT */
/**
 * @file trace.h  Recorded DMA traces: the format of docs/traces.md, read, built and written.
 *
 * A trace is the DMA API calls one device made, in time order: which CPU made each call and
 * when, what it was (a page map, a scatterlist map, a coherent allocation, their unmaps and
 * frees), its direction, its size and segments, and the buffer it names, which pairs a map
 * with its unmap. `iommusim-bench trace-import` makes one from the kernel's own DMA trace
 * events; a simulation replays one through any platform and policy (struct
 * iommusim_sim_config, IOMMUSIM_WORKLOAD_TRACE) and can record what it runs as one.
 */
#ifndef IOMMUSIM_TRACE_H
#define IOMMUSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <iommusim/export.h>
#include <iommusim/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iommusim_trace;

/** enum iommusim_trace_op - a DMA API call of a trace; the name is that of the format. */
enum iommusim_trace_op {
	IOMMUSIM_TRACE_MAP = 0,	 /**< "map": dma_map_page() (or _resource, _phys) */
	IOMMUSIM_TRACE_UNMAP,	 /**< "unmap": its unmap */
	IOMMUSIM_TRACE_MAP_SG,	 /**< "map_sg": dma_map_sg() of @segs entries */
	IOMMUSIM_TRACE_UNMAP_SG, /**< "unmap_sg": dma_unmap_sg() */
	IOMMUSIM_TRACE_ALLOC,	 /**< "alloc": dma_alloc_coherent() (or _pages) */
	IOMMUSIM_TRACE_FREE,	 /**< "free": dma_free_coherent() */
	IOMMUSIM_TRACE_OP_NR	 /**< number of ops; not an op */
};

/** enum iommusim_trace_timing - when a replay issues each call. */
enum iommusim_trace_timing {
	/** At its recorded time, or when its CPU is free if later (open loop). */
	IOMMUSIM_TRACE_RECORDED = 0,
	/** As soon as its CPU is free and its buffer's map has returned (closed loop). */
	IOMMUSIM_TRACE_CLOSED,
	/** Number of modes; not a mode. */
	IOMMUSIM_TRACE_TIMING_NR
};

/**
 * struct iommusim_trace_rec - one call.
 * @time_ns: when it began, ns from the trace's start; never before the previous call's.
 * @buffer:  the buffer it maps or unmaps: a map (or alloc) starts a buffer's life under this
 *           number, its unmap (or free) ends it; a number may start a new life afterwards.
 * @bytes:   bytes mapped (> 0).
 * @cpu:     the CPU that made it.
 * @segs:    scatterlist entries (1 for the other ops).
 * @op:      enum iommusim_trace_op.
 * @dir:     enum iommusim_dma_dir (bidirectional for alloc and free).
 */
struct iommusim_trace_rec {
	uint64_t time_ns;
	uint64_t buffer;
	uint64_t bytes;
	uint32_t cpu;
	uint32_t segs;
	uint8_t op;
	uint8_t dir;
};

/**
 * struct iommusim_trace_info - what a trace holds.
 * @ops:         calls.
 * @maps:        maps and allocations (buffers' lives begun).
 * @unmaps:      unmaps and frees.
 * @left_mapped: buffers never unmapped: @maps - @unmaps.
 * @cpus:        the highest CPU number plus one.
 * @duration_ns: the last call's time.
 * @device:      the device it was recorded on ("" when the trace does not say).
 */
struct iommusim_trace_info {
	uint64_t ops;
	uint64_t maps;
	uint64_t unmaps;
	uint64_t left_mapped;
	uint32_t cpus;
	uint64_t duration_ns;
	const char *device;
};

/** Most CPUs a trace may name (CPU numbers up to this less one). */
#define IOMMUSIM_TRACE_MAX_CPUS 4096u
/** Most entries of one scatterlist call. */
#define IOMMUSIM_TRACE_MAX_SEGS 65536u

/** iommusim_trace_op_name() - "map", "unmap_sg", ...; NULL for a value that names none. */
IOMMUSIM_API const char *iommusim_trace_op_name(enum iommusim_trace_op op);

/**
 * iommusim_trace_create() - an empty trace, to be filled with iommusim_trace_add().
 * @device: the device's name, copied; NULL or "" when unknown.
 * Return: 0, -EINVAL for a name with a blank or a control character, or -ENOMEM.
 */
IOMMUSIM_API int iommusim_trace_create(struct iommusim_mem *mem, const char *device,
				       struct iommusim_trace **out);

/**
 * iommusim_trace_add() - append one call, checked as a file's line is (time order, a map of
 * a buffer not live, an unmap of a live one that matches its map's op, direction, bytes and
 * segments, the bounds above).
 * @errbuf: receives "FIELD: problem" on failure; may be NULL.
 * Return: 0, -EINVAL with @t unchanged, or -ENOMEM.
 */
IOMMUSIM_API int iommusim_trace_add(struct iommusim_trace *t, const struct iommusim_trace_rec *rec,
				    char *errbuf, size_t errlen);

/**
 * iommusim_trace_load() - read a whole trace file, checked before anything is kept.
 * @in:     the file.
 * @name:   its name in messages.
 * @errbuf: receives "NAME:LINE: FIELD: problem" on failure.
 * Return: 0 with *@out set; -EINVAL for an input error; -EIO when @in cannot be read;
 * -ENOMEM.
 */
IOMMUSIM_API int iommusim_trace_load(struct iommusim_mem *mem, FILE *in, const char *name,
				     struct iommusim_trace **out, char *errbuf, size_t errlen);

/** iommusim_trace_parse() - iommusim_trace_load() of @len bytes of @text. */
IOMMUSIM_API int iommusim_trace_parse(struct iommusim_mem *mem, const char *text, size_t len,
				      const char *name, struct iommusim_trace **out, char *errbuf,
				      size_t errlen);

/**
 * iommusim_trace_write() - write @t in the format of docs/traces.md.
 * Return: 0, -EIO when @out refused a write, or -ENOMEM (for the output's buffer).
 */
IOMMUSIM_API int iommusim_trace_write(const struct iommusim_trace *t, FILE *out);

/** iommusim_trace_records() - the calls, in order; *@n receives how many. */
IOMMUSIM_API const struct iommusim_trace_rec *iommusim_trace_records(const struct iommusim_trace *t,
								     size_t *n);

/** iommusim_trace_get_info() - what @t holds. */
IOMMUSIM_API void iommusim_trace_get_info(const struct iommusim_trace *t,
					  struct iommusim_trace_info *out);

/** iommusim_trace_destroy() - free @t (NULL is ignored). */
IOMMUSIM_API void iommusim_trace_destroy(struct iommusim_trace *t);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_TRACE_H */
