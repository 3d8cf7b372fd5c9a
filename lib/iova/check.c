/* SPDX-License-Identifier: MIT */
/* Whole-tree consistency check of an IOVA domain. */
#include <stdio.h>

#include "iova/iova_check.h"
#include "iova/iova_internal.h"

static int check_locked(struct iommusim_iova_domain *d, char *why, size_t len)
{
	struct isim_rb_node *rb, *last = NULL;
	bool saw_cached = false, saw_cached32 = false;
	uint64_t count = 0, prev_hi = 0;

	if (isim_rb_check(&d->root) < 0) {
		snprintf(why, len, "red-black properties violated");
		return -1;
	}
	for (rb = isim_rb_first(&d->root); rb; rb = isim_rb_next(rb)) {
		struct iova_node *n = to_iova_node(rb);

		if (n->pfn_lo > n->pfn_hi) {
			snprintf(why, len, "range [%llu, %llu] is inverted",
				 (unsigned long long)n->pfn_lo, (unsigned long long)n->pfn_hi);
			return -1;
		}
		if (last && n->pfn_lo <= prev_hi) {
			snprintf(why, len,
				 "range at %llu overlaps or precedes the one ending at %llu",
				 (unsigned long long)n->pfn_lo, (unsigned long long)prev_hi);
			return -1;
		}
		saw_cached |= rb == d->cached_node;
		saw_cached32 |= rb == d->cached32_node;
		if (n != &d->anchor)
			count++;
		prev_hi = n->pfn_hi;
		last = rb;
	}
	if (last != &d->anchor.rb) {
		snprintf(why, len, "the anchor is not the last node");
		return -1;
	}
	if (count != d->nodes) {
		snprintf(why, len, "%llu nodes in the tree, %llu counted",
			 (unsigned long long)count, (unsigned long long)d->nodes);
		return -1;
	}
	if (!saw_cached || !saw_cached32) {
		snprintf(why, len, "a search hint points outside the tree");
		return -1;
	}
	return 0;
}

int isim_iova_check(struct iommusim_iova_domain *d, char *why, size_t len)
{
	int ret;

	isim_spin_lock(&d->tree_lock);
	ret = check_locked(d, why, len);
	isim_spin_unlock(&d->tree_lock);
	return ret;
}
