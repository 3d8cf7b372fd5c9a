/* SPDX-License-Identifier: MIT */
/* Consistency check of an IOVA domain's tree, for tests and debugging. */
#ifndef ISIM_IOVA_CHECK_H
#define ISIM_IOVA_CHECK_H

#include <stddef.h>
#include <iommusim/iova.h>

/*
 * Check that the tree is a valid red-black tree, that its ranges are well formed, ascending
 * and disjoint, that the anchor is the last node, that the node count matches and that both
 * search hints point at nodes of the tree. Returns 0, or -1 with the first problem in @why.
 * Takes the tree lock; O(n).
 */
int isim_iova_check(struct iommusim_iova_domain *domain, char *why, size_t len);

#endif /* ISIM_IOVA_CHECK_H */
