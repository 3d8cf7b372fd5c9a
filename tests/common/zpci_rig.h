/* SPDX-License-Identifier: MIT */
/*
 * One zPCI function's DMA stack, as an NVMe drive sees it in an s390 guest: CPU handles 0 to
 * ncpu - 1, a manual clock, a firmware platform (the scripted one, which logs every call, or
 * the null one), a PCI device made a zPCI function, and on top of it either dma-iommu over an
 * s390 paging domain (strict, or lazy with a flush-queue layout) or the legacy s390 DMA ops.
 * The tests and the fuzz target that drive the DMA API set it up and take it down here.
 */
#ifndef TESTS_COMMON_ZPCI_RIG_H
#define TESTS_COMMON_ZPCI_RIG_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/iommusim.h>

#define ZPCI_RIG_MAX_CPUS 4

enum zpci_rig_policy {
	/* dma-iommu */
	ZPCI_RIG_STRICT,
	ZPCI_RIG_FQ_PER_CPU,
	ZPCI_RIG_FQ_SINGLE,
	/* lazy, with the layout dma-iommu picks for the function */
	ZPCI_RIG_FQ_AUTO,
	/* the legacy s390 DMA ops */
	ZPCI_RIG_LEGACY_LAZY,
	ZPCI_RIG_LEGACY_STRICT,
};

/*
 * struct zpci_rig_config - what to build.
 * @ncpu:          CPU handles, 1 to ZPCI_RIG_MAX_CPUS; dma-iommu's possible_cpus.
 * @name:          the device's name; "nvme" when NULL. Its DMA masks are 64-bit.
 * @default_mem:   the library's default memory backend rather than libc's.
 * @null_firmware: the null platform rather than the scripted one.
 * @zpci:          the function; a start_dma and an end_dma of 0 stand for QEMU's window.
 * @dma:           dma-iommu's options (queue size and timeout, kernel, forcedac); the rig sets
 *                 the mode and queue layout from @policy, possible_cpus and the clock. The
 *                 paging domain follows @dma.kernel too.
 * @set_enomem:    give the paging domain @enomem as its answer to "insufficient resources".
 */
struct zpci_rig_config {
	enum zpci_rig_policy policy;
	unsigned int ncpu;
	const char *name;
	bool default_mem;
	bool null_firmware;
	struct iommusim_zpci_config zpci;
	struct iommusim_dma_iommu_config dma;
	bool set_enomem;
	enum iommusim_s390_enomem enomem;
};

struct zpci_rig {
	/* what it was built with */
	enum zpci_rig_policy policy;
	bool legacy;
	bool lazy;
	bool tlb_refresh;
	struct iommusim_mem *mem;
	struct iommusim_firmware *fw;
	struct iommusim_clock *clock;
	struct iommusim_cpu *cpu[ZPCI_RIG_MAX_CPUS];
	unsigned int ncpu;
	struct iommusim_device *dev;
	/* NULL under the legacy ops */
	struct iommusim_domain *domain;
	/* the function's window */
	uint64_t start_dma;
	uint64_t end_dma;
};

/* What a memory context still held when the rig was taken down. */
struct zpci_rig_leftover {
	uint64_t objects;
	uint64_t bytes;
};

static inline bool zpci_rig_policy_legacy(enum zpci_rig_policy p)
{
	return p == ZPCI_RIG_LEGACY_LAZY || p == ZPCI_RIG_LEGACY_STRICT;
}

static inline bool zpci_rig_policy_lazy(enum zpci_rig_policy p)
{
	return p != ZPCI_RIG_STRICT && p != ZPCI_RIG_LEGACY_STRICT;
}

/*
 * zpci_rig_up() - build @cfg into @r. The firmware log keeps what the setup did (the table
 * registration).
 * Return: 0, or the first error of a step; zpci_rig_down() then frees what was built.
 */
int zpci_rig_up(struct zpci_rig *r, const struct zpci_rig_config *cfg);

/* What the device sees at @iova: through the paging domain, or the legacy table. */
int zpci_rig_translate(const struct zpci_rig *r, uint64_t iova, uint64_t *phys, int *prot);

/* Pages mapped and unmapped so far, from the paging domain's or the legacy ops' counters. */
int zpci_rig_pages(const struct zpci_rig *r, uint64_t *mapped, uint64_t *unmapped);

/* zpci_rig_down() - destroy everything, the memory context last; what it still held. */
struct zpci_rig_leftover zpci_rig_down(struct zpci_rig *r);

#endif /* TESTS_COMMON_ZPCI_RIG_H */
