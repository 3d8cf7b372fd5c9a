/* SPDX-License-Identifier: MIT */
/*
 * What a simulation may watch on a platform beyond its statistics: the invalidations its
 * RPCITs make, for the DMA exposure window (docs/exposure.md).
 */
#ifndef ISIM_PLATFORM_HOOK_H
#define ISIM_PLATFORM_HOOK_H

#include <stdint.h>
#include <iommusim/platform.h>

/*
 * Called after every RPCIT the platform carried out (whatever its condition code; not one
 * refused before the work, nor one the host ran out of memory in) with the IOVA pages
 * [@first, @end) it covered and the executing CPU's cycle when it returned: from then on the
 * device reaches none of those pages through a stale translation.
 */
typedef void isim_platform_inval_fn(void *arg, uint64_t first, uint64_t end, uint64_t t);

/* Set the invalidation watcher (@fn NULL: none). */
void isim_platform_watch_invalidations(struct iommusim_platform *p, isim_platform_inval_fn *fn,
				       void *arg);

#endif /* ISIM_PLATFORM_HOOK_H */
