/* SPDX-License-Identifier: MIT */
/*
 * The NVMe workload's state, shared by its set-up (nvme_setup.c: slots, buffers, the driver's
 * coherent memory) and its I/O path and control (nvme.c).
 */
#ifndef ISIM_WORKLOAD_NVME_IMPL_H
#define ISIM_WORKLOAD_NVME_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/dma.h>

#include "workload/nvme.h"

#define PAGE_SIZE 4096ull
/* Up to two pages are described by PRP1/PRP2 alone; more need a PRP list. */
#define PRP_DIRECT_PAGES 2u

struct job;

/* One request slot: a queue entry with its own data buffer, reused I/O after I/O. */
struct slot {
	struct job *job;
	struct iommusim_sg *sg; /* pages > PRP_DIRECT_PAGES: one element per page */
	uint64_t phys;		/* pages <= PRP_DIRECT_PAGES: the contiguous buffer */
	uint64_t dma;
	uint64_t start; /* cycle the I/O's submission work began */
	uint64_t offset;
	unsigned int nseg;	   /* segments dma_map_sg() made of the list */
	enum iommusim_dma_dir dir; /* this I/O's: the workload's, or drawn per I/O when mixed */
	bool mapped;		   /* its data buffer is mapped (between map and unmap) */
};

struct job {
	struct isim_nvme *n;
	struct iommusim_cpu *cpu;
	struct iommusim_rng rng;
	uint64_t next_offset;
};

/* A live coherent allocation. */
struct coherent {
	uint64_t size;
	uint64_t dma;
};

struct isim_nvme {
	struct isim_workload_state st; /* first: the shared ops take it (workload.h) */
	struct iommusim_mem *mem;
	struct iommusim_engine *e;
	struct iommusim_device *dev;
	unsigned int jobs;
	unsigned int iodepth;
	uint32_t pages;
	uint64_t bytes;
	uint64_t blocks; /* block_size blocks in the namespace */
	bool sequential;
	bool steps;
	enum iommusim_dma_dir dir;
	bool mixed; /* each I/O a read with probability rwmixread percent */
	unsigned int rwmixread;

	/* Costs in cycles, read once: the cost set stays unchanged while the workload lives. */
	uint64_t submit_cycles; /* fio.loop_ns + nvme.submit_ns */
	uint64_t complete_cycles;
	uint64_t retry_delay; /* cycles before a slot whose map failed tries again */
	uint64_t service;     /* device occupancy per I/O */
	uint64_t lat_lo;      /* device latency draw: lat_lo + [0, lat_span) */
	uint64_t lat_span;

	struct iommusim_server *server;
	struct iommusim_rng rng;

	struct job *job;
	struct slot *slot;
	size_t nslots;
	struct iommusim_sg *sg;
	size_t nsg;
	struct coherent *coh;
	size_t ncoh_max;

	/* The memory context's refusals once the workload was built (see map_event()). */
	uint64_t mem_failed;
	struct isim_exposure *exposure;
	struct isim_recorder *record;
};

/* The set-up's part of the ops (nvme_setup.c). */
int isim_nvme_check(const struct iommusim_sim_config *cfg, char *errbuf, size_t errlen);
int isim_nvme_create(struct iommusim_mem *mem, const struct isim_workload_setup *setup, void **out);
void isim_nvme_destroy(void *w);

#endif /* ISIM_WORKLOAD_NVME_IMPL_H */
