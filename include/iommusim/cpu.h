/* SPDX-License-Identifier: MIT */
/**
 * @file cpu.h  The executing CPU, and the work the guest kernel reports on it.
 *
 * Every operation the kernel runs "on the current CPU" takes the CPU explicitly: per-CPU state
 * (rcache magazines, flush queues) is indexed by its id, and the work the operation does is
 * counted on it. The kernel layers know nothing of time; a simulator turns these counts into
 * cycles with its cost table, either by reading the counters before and after an operation or
 * through the work hook, which sees every report as it happens.
 */
#ifndef IOMMUSIM_CPU_H
#define IOMMUSIM_CPU_H

#include <stdint.h>
#include <iommusim/export.h>
#include <iommusim/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iommusim_cpu;

/**
 * enum iommusim_work - units of work the kernel layers report.
 *
 * New kinds are only ever appended, so a number keeps its meaning across versions.
 */
enum iommusim_work {
	/** An IOVA rbtree node looked at by a search, walk or insertion. */
	IOMMUSIM_WORK_TREE_NODE,
	/** One rbtree insertion (link + rebalance). */
	IOMMUSIM_WORK_TREE_INSERT,
	/** One rbtree erase (unlink + rebalance). */
	IOMMUSIM_WORK_TREE_ERASE,
	/** A magazine push or a successful pop. */
	IOMMUSIM_WORK_MAG_OP,
	/** A magazine slot compared against the limit while popping. */
	IOMMUSIM_WORK_MAG_SCAN,
	/** A magazine moved onto or off a depot. */
	IOMMUSIM_WORK_DEPOT_OP,
	/** A lock taken (tree, per-CPU cache, depot, queue). */
	IOMMUSIM_WORK_LOCK,
	/** An object allocated from the memory context (node, magazine, table). */
	IOMMUSIM_WORK_MEM_ALLOC,
	/** An object returned to the memory context. */
	IOMMUSIM_WORK_MEM_FREE,
	/** A bitmap word examined or updated by a bitmap allocator. */
	IOMMUSIM_WORK_BITMAP_WORD,
	/** A page-table entry written (validated or invalidated). */
	IOMMUSIM_WORK_PTE_WRITE,
	/** A flush-queue entry appended or reclaimed. */
	IOMMUSIM_WORK_FQ_ENTRY,
	/** A firmware call retried because the firmware answered "busy". */
	IOMMUSIM_WORK_FW_BUSY_RETRY,
	/**
	 * A DMA map call (dma_map_page, dma_map_sg, dma_alloc_coherent) dispatched to the device's
	 * DMA ops: the call's own part (dispatch, checks, the split into IOMMU calls), one unit per
	 * call, reported before the work of the layers below it.
	 */
	IOMMUSIM_WORK_DMA_MAP,
	/** A DMA unmap call (dma_unmap_page, dma_unmap_sg, dma_free_coherent), likewise. */
	IOMMUSIM_WORK_DMA_UNMAP,
	/** Number of kinds; not a kind. */
	IOMMUSIM_WORK_NR
};

/**
 * typedef iommusim_work_hook - called on every work report.
 * @arg:  the pointer given to iommusim_cpu_set_work_hook().
 * @cpu:  the CPU the work ran on.
 * @kind: what was done.
 * @n:    how many units.
 */
typedef void iommusim_work_hook(void *arg, struct iommusim_cpu *cpu, enum iommusim_work kind,
				uint64_t n);

/**
 * iommusim_cpu_create() - create a CPU handle.
 * @mem: memory context the handle is allocated from.
 * @id:  the CPU number, as the kernel's smp_processor_id(); per-CPU state is indexed by it.
 * @out: receives the handle.
 *
 * Return: 0 or -ENOMEM.
 */
IOMMUSIM_API int iommusim_cpu_create(struct iommusim_mem *mem, unsigned int id,
				     struct iommusim_cpu **out);

/** iommusim_cpu_destroy() - free a CPU handle (NULL is ignored). */
IOMMUSIM_API void iommusim_cpu_destroy(struct iommusim_cpu *cpu);

/** iommusim_cpu_id() - the CPU number given at creation. */
IOMMUSIM_API unsigned int iommusim_cpu_id(const struct iommusim_cpu *cpu);

/**
 * iommusim_cpu_work() - units of @kind reported on @cpu since creation or the last reset.
 * Return: the count; 0 for an unknown kind.
 */
IOMMUSIM_API uint64_t iommusim_cpu_work(const struct iommusim_cpu *cpu, enum iommusim_work kind);

/** iommusim_cpu_work_reset() - zero every work counter of @cpu. */
IOMMUSIM_API void iommusim_cpu_work_reset(struct iommusim_cpu *cpu);

/**
 * iommusim_cpu_set_work_hook() - see every work report as it happens.
 * @cpu:  the CPU.
 * @hook: the function, or NULL to remove it. Counters are kept either way.
 * @arg:  passed to @hook.
 */
IOMMUSIM_API void iommusim_cpu_set_work_hook(struct iommusim_cpu *cpu, iommusim_work_hook *hook,
					     void *arg);

/**
 * iommusim_work_name() - snake_case name of a work kind ("tree_node", ...).
 * Return: a static string; "unknown" for an out-of-range value.
 */
IOMMUSIM_API const char *iommusim_work_name(enum iommusim_work kind);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_CPU_H */
