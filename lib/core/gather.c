/* SPDX-License-Identifier: MIT */
/* The IOTLB gather (include/linux/iommu.h): one interval of IOVAs awaiting invalidation. */
#include <iommusim/iommu.h>

/* mirrors iommu_iotlb_gather_init() */
void iommusim_iotlb_gather_init(struct iommusim_iotlb_gather *g)
{
	*g = (struct iommusim_iotlb_gather){.start = UINT64_MAX, .end = 0};
}

/* mirrors iommu_iotlb_gather_add_range() */
void iommusim_iotlb_gather_add_range(struct iommusim_iotlb_gather *g, uint64_t iova, uint64_t size)
{
	uint64_t end = iova + size - 1;

	if (g->start > iova)
		g->start = iova;
	if (g->end < end)
		g->end = end;
}

/* mirrors iommu_iotlb_gather_is_disjoint() */
bool iommusim_iotlb_gather_is_disjoint(const struct iommusim_iotlb_gather *g, uint64_t iova,
				       uint64_t size)
{
	uint64_t start = iova, end = start + size - 1;

	return g->end != 0 && (end + 1 < g->start || start > g->end + 1);
}
