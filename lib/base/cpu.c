/* SPDX-License-Identifier: MIT */
/* CPU handles: creation and read-out of the work counters. */
#include <errno.h>
#include <string.h>

#include "base/cpu_work.h"
#include "base/memory.h"

static const char *const work_names[IOMMUSIM_WORK_NR] = {
	[IOMMUSIM_WORK_TREE_NODE] = "tree_node",
	[IOMMUSIM_WORK_TREE_INSERT] = "tree_insert",
	[IOMMUSIM_WORK_TREE_ERASE] = "tree_erase",
	[IOMMUSIM_WORK_MAG_OP] = "mag_op",
	[IOMMUSIM_WORK_MAG_SCAN] = "mag_scan",
	[IOMMUSIM_WORK_DEPOT_OP] = "depot_op",
	[IOMMUSIM_WORK_LOCK] = "lock",
	[IOMMUSIM_WORK_MEM_ALLOC] = "mem_alloc",
	[IOMMUSIM_WORK_MEM_FREE] = "mem_free",
	[IOMMUSIM_WORK_BITMAP_WORD] = "bitmap_word",
	[IOMMUSIM_WORK_PTE_WRITE] = "pte_write",
	[IOMMUSIM_WORK_FQ_ENTRY] = "fq_entry",
	[IOMMUSIM_WORK_FW_BUSY_RETRY] = "fw_busy_retry",
	[IOMMUSIM_WORK_DMA_MAP] = "dma_map",
	[IOMMUSIM_WORK_DMA_UNMAP] = "dma_unmap",
};

int iommusim_cpu_create(struct iommusim_mem *mem, unsigned int id, struct iommusim_cpu **out)
{
	struct iommusim_cpu *cpu = isim_zalloc(mem, sizeof(*cpu), ISIM_CACHELINE);

	if (!cpu)
		return -ENOMEM;
	cpu->id = id;
	cpu->mem = mem;
	*out = cpu;
	return 0;
}

void iommusim_cpu_destroy(struct iommusim_cpu *cpu)
{
	if (cpu)
		isim_free(cpu->mem, cpu, sizeof(*cpu), ISIM_CACHELINE);
}

unsigned int iommusim_cpu_id(const struct iommusim_cpu *cpu)
{
	return cpu->id;
}

uint64_t iommusim_cpu_work(const struct iommusim_cpu *cpu, enum iommusim_work kind)
{
	if ((unsigned int)kind >= IOMMUSIM_WORK_NR)
		return 0;
	return cpu->work[kind];
}

void iommusim_cpu_work_reset(struct iommusim_cpu *cpu)
{
	memset(cpu->work, 0, sizeof(cpu->work));
}

void iommusim_cpu_set_work_hook(struct iommusim_cpu *cpu, iommusim_work_hook *hook, void *arg)
{
	cpu->hook = hook;
	cpu->hook_arg = arg;
}

const char *iommusim_work_name(enum iommusim_work kind)
{
	if ((unsigned int)kind >= IOMMUSIM_WORK_NR)
		return "unknown";
	return work_names[kind];
}
