/* SPDX-License-Identifier: MIT */
/*
 * A mock paging-domain IOMMU driver for the tests of the IOMMU core, dma-iommu and the flush
 * queues, safe to call from several threads at once.
 *
 * The domain keeps a page table of minimum-size pages (a radix tree of PTE tables, updated with
 * atomics), each PTE remembering the size of the page it belongs to. It checks what a real
 * driver may rely on: a page size from its bitmap, addresses aligned to it, the aperture, no
 * page mapped twice, no unmap that cuts a larger page. A call that breaks one of these counts
 * as a contract error (mock_errors()) and fails. It logs its calls (by default iotlb_sync,
 * flush_iotlb_all and iotlb_sync_map, with MOCK_LOG_ALL map_pages, unmap_pages and attach_dev
 * too) with their arguments and CPU, walks the attached devices under RCU whenever it flushes,
 * as drivers do, and remembers what the last walk saw (not with MOCK_LOG_NONE). Failures of
 * map_pages, iotlb_sync_map and attach_dev can be injected; hooks run inside the flushes and
 * attach_dev, and can decide the fate of each map_pages call. Devices get reserved regions,
 * deferred-flush capability and shadow_on_flush with mock_device_set().
 *
 * Everything comes from the iommusim memory context, so a test's leak check covers the mock.
 */
#ifndef TESTS_COMMON_MOCK_IOMMU_H
#define TESTS_COMMON_MOCK_IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <iommusim/device.h>
#include <iommusim/iommu.h>

#include "core/domain_impl.h"

#define MOCK_PAGE_4K 0x1000ull
/* Default aperture end: a 48-bit IOVA space. */
#define MOCK_APERTURE_END_DEFAULT ((1ull << 48) - 1)
/* How many of the devices seen by the last walk keep their name. */
#define MOCK_WALK_NAMES 8

enum mock_call_kind {
	/* iotlb_sync: iova = gather start, size = end - start + 1 (0: empty gather); g as given */
	MOCK_CALL_SYNC,
	/* flush_iotlb_all: iova = size = 0 */
	MOCK_CALL_FLUSH_ALL,
	/* iotlb_sync_map(iova, size) */
	MOCK_CALL_SYNC_MAP,
	/* MOCK_LOG_ALL only: map_pages(iova, paddr, pgsize, pgcount, prot) */
	MOCK_CALL_MAP_PAGES,
	/* MOCK_LOG_ALL only: unmap_pages(iova, pgsize, pgcount) */
	MOCK_CALL_UNMAP_PAGES,
	/* MOCK_LOG_ALL only: attach_dev */
	MOCK_CALL_ATTACH,
};

struct mock_call {
	enum mock_call_kind kind;
	uint64_t iova;
	uint64_t size;
	uint64_t paddr;
	uint64_t pgsize;
	uint64_t pgcount;
	int prot;
	/* the gather iotlb_sync was handed */
	struct iommusim_iotlb_gather g;
	unsigned int cpu;
	/* what the call returned (sync_map only) */
	int ret;
};

enum mock_log {
	/* iotlb_sync, flush_iotlb_all and iotlb_sync_map */
	MOCK_LOG_SYNCS,
	/* every call but iova_to_phys */
	MOCK_LOG_ALL,
	MOCK_LOG_NONE,
};

/* Which callbacks the driver offers the core. */
enum mock_driver {
	MOCK_DRIVER_FULL,
	/* without iotlb_sync_map, iotlb_sync and attach_dev */
	MOCK_DRIVER_MINIMAL,
	/* without map_pages and iova_to_phys as well: not a paging domain */
	MOCK_DRIVER_NO_MAP,
};

/*
 * struct mock_domain_cfg - the domain. Zeroes give 4 KiB pages, aperture [0, 2^48 - 1] with
 * force_aperture, Linux 6.7 semantics, the syncs logged, every callback.
 * @empty_pgsizes: no page size at all (@pgsize_bitmap is ignored).
 * @refuse_attach: attach_dev refuses every device with -ENODEV (mock_fail_attach() changes it).
 * @freed:         set to true when the domain is freed.
 */
struct mock_domain_cfg {
	uint64_t pgsize_bitmap;
	bool empty_pgsizes;
	uint64_t aperture_start;
	uint64_t aperture_end;
	bool no_force_aperture;
	enum iommusim_kernel kernel;
	bool refuse_attach;
	enum mock_log log;
	enum mock_driver driver;
	bool *freed;
};

/* struct mock_device_cfg - what the mock's probe would have set on a device. */
struct mock_device_cfg {
	const struct isim_resv_region *resv;
	unsigned int nresv;
	/* iommu_capable(IOMMU_CAP_DEFERRED_FLUSH) is false (an s390 ISM device) */
	bool no_deferred_flush;
	bool shadow_on_flush;
};

struct mock_domain;

/* Runs inside iotlb_sync, flush_iotlb_all and iotlb_sync_map, after the walk; lock not held. */
typedef void mock_sync_hook(void *arg, struct mock_domain *m, enum mock_call_kind kind,
			    struct iommusim_cpu *cpu);
/* Runs inside attach_dev, before it answers; lock not held. */
typedef void mock_attach_hook(void *arg, struct iommusim_device *dev);
/*
 * Asked by every map_pages call that passed the driver's checks: a negative errno fails the
 * call after *@pages of its @pgcount pages (set *@pages, at most @pgcount); 0 lets it run.
 */
typedef int mock_map_fault(void *arg, uint64_t iova, uint64_t paddr, uint64_t pgsize,
			   uint64_t pgcount, uint64_t *pages);

/* The domain the core sees; the rest of the mock is private to mock_iommu.c. */
struct mock_domain {
	struct iommusim_domain dom;
};

/* Create a mock domain; @cfg may be NULL for all defaults. Return: 0, -EINVAL or -ENOMEM. */
int mock_domain_create(struct iommusim_mem *mem, const struct mock_domain_cfg *cfg,
		       struct mock_domain **out);

static inline struct iommusim_domain *mock_dom(struct mock_domain *m)
{
	return &m->dom;
}

/* Give @dev the mock's per-device properties (replacing earlier ones). Return: 0 or -ENOMEM. */
int mock_device_set(struct iommusim_device *dev, const struct mock_device_cfg *cfg);

/* Pages of the smallest size mapped now, and the bytes they make. */
size_t mock_mapped_pages(struct mock_domain *m);
uint64_t mock_mapped_bytes(struct mock_domain *m);

/* Whether @iova is mapped, and to what. Either out pointer may be NULL. */
bool mock_lookup(struct mock_domain *m, uint64_t iova, uint64_t *phys, int *prot);

/* Calls that broke the driver contract (see the top of this file); a correct core makes none. */
unsigned int mock_errors(struct mock_domain *m);

size_t mock_log_len(struct mock_domain *m);
/* The @i-th logged call (zeroes if there is none). */
struct mock_call mock_log_at(struct mock_domain *m, size_t i);
size_t mock_log_count(struct mock_domain *m, enum mock_call_kind kind);
void mock_log_clear(struct mock_domain *m);

/* Devices the last walk saw, and the name of the @i-th (newest first; "" past the names kept). */
unsigned int mock_walk_devices(struct mock_domain *m);
const char *mock_walk_name(struct mock_domain *m, unsigned int i);

/*
 * Make a later map_pages call fail with @err: @skip calls succeed first, then the failing one
 * maps @pages_done of its pages (reported in *mapped) before returning @err. One-shot.
 */
void mock_fail_map_pages(struct mock_domain *m, int err, uint64_t skip, uint64_t pages_done);

/* Make a later iotlb_sync_map fail with @err after @skip successful calls. One-shot. */
void mock_fail_sync_map(struct mock_domain *m, int err, uint64_t skip);

/* Make every attach_dev answer @err from now on (0: accept). */
void mock_fail_attach(struct mock_domain *m, int err);

/* Set (NULL: remove) the hooks described above. */
void mock_set_sync_hook(struct mock_domain *m, mock_sync_hook *hook, void *arg);
void mock_set_attach_hook(struct mock_domain *m, mock_attach_hook *hook, void *arg);
void mock_set_map_fault(struct mock_domain *m, mock_map_fault *fault, void *arg);

#endif /* TESTS_COMMON_MOCK_IOMMU_H */
