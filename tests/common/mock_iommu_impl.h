/* SPDX-License-Identifier: MIT */
/*
 * What the two halves of the mock IOMMU driver share (mock_iommu.c: the page table and the
 * map, unmap and translate ops; mock_iommu_domain.c: the log, the flushes, attach, the domain's
 * life and the API of mock_iommu.h that inspects and steers it): the layout of a PTE, the
 * state of a mock domain and the functions one half calls in the other. Private to them.
 */
#ifndef TESTS_COMMON_MOCK_IOMMU_IMPL_H
#define TESTS_COMMON_MOCK_IOMMU_IMPL_H

#include "mock_iommu.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "base/cpu_work.h"
#include "base/memory.h"

#define LVL_BITS 9
#define LVL_SIZE (1u << LVL_BITS)

#define PTE_VALID      1ull
#define PTE_PROT_SHIFT 1
#define PTE_PROT_MASK  0xfull
#define PTE_SIZE_SHIFT 5
#define PTE_SIZE_MASK  0x3full
/* the flags take the low 11 bits, so the smallest page is at least 2 KiB */
#define MIN_SHIFT 11

/* Runs @stmt with the mock's lock held. */
#define LOCKED(mi, stmt)                                                                           \
	do {                                                                                       \
		pthread_mutex_lock(&(mi)->lock);                                                   \
		stmt;                                                                              \
		pthread_mutex_unlock(&(mi)->lock);                                                 \
	} while (0)

struct table {
	union {
		_Atomic(struct table *) next[LVL_SIZE];
		_Atomic uint64_t pte[LVL_SIZE];
	};
};

struct mock {
	struct mock_domain pub;
	struct isim_domain_ops ops;
	unsigned int shift; /* log2 of the smallest page */
	unsigned int levels;
	struct table *root;
	atomic_size_t mapped; /* pages of the smallest size */
	atomic_uint errors;
	enum mock_log log_mode;
	bool *freed;

	pthread_mutex_t lock;
	struct mock_call *log;
	size_t log_len;
	size_t log_cap;
	/* Injection: after @skip more calls, fail one call with @err. */
	int map_fail_err;
	uint64_t map_fail_skip;
	uint64_t map_fail_pages;
	int sync_map_fail_err;
	uint64_t sync_map_fail_skip;
	/* Read without the lock: a pending injection, the hooks and their arguments. */
	atomic_bool map_fail_armed;
	atomic_bool sync_map_fail_armed;
	atomic_int attach_err;
	_Atomic(mock_sync_hook *) sync_hook;
	_Atomic(void *) sync_hook_arg;
	_Atomic(mock_attach_hook *) attach_hook;
	_Atomic(void *) attach_hook_arg;
	_Atomic(mock_map_fault *) map_fault;
	_Atomic(void *) map_fault_arg;
	/* the last walk of the device list */
	unsigned int walk_devices;
	char walk_names[MOCK_WALK_NAMES][sizeof(((struct iommusim_device *)0)->name)];
};

static inline struct mock *mock_of(struct iommusim_domain *d)
{
	return (struct mock *)((char *)d - offsetof(struct mock, pub.dom));
}

static inline struct mock *impl(struct mock_domain *m)
{
	return mock_of(&m->dom);
}

/* ---------------------------------------------------------------------------------------- */
/* The page table                                                                            */

static inline unsigned int log2_of(uint64_t x)
{
	return (unsigned int)__builtin_ctzll(x);
}

/* mock_iommu.c */
void mock_table_free(struct mock *m, struct table *t, unsigned int level);
int mock_map_pages(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
		   uint64_t paddr, uint64_t pgsize, uint64_t pgcount, int prot, uint64_t *mapped);
uint64_t mock_unmap_pages(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
			  uint64_t pgsize, uint64_t pgcount, struct iommusim_iotlb_gather *g);
int mock_iova_to_phys(struct iommusim_domain *d, uint64_t iova, uint64_t *phys, int *prot);

/* mock_iommu_domain.c */
void mock_log_call(struct mock *m, struct mock_call c, struct iommusim_cpu *cpu);

#endif /* TESTS_COMMON_MOCK_IOMMU_IMPL_H */
