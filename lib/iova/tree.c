/* SPDX-License-Identifier: MIT */
/*
 * The red-black-tree half of the IOVA allocator: top-down first-fit allocation from a cached
 * node, the two search hints and the 32-bit fast-fail size, lookup, free and reservation.
 * Everything here follows drivers/iommu/iova.c of Linux 6.7+ (unchanged in this part since
 * 5.13); each function names the kernel function it mirrors.
 */
#include <errno.h>

#include "base/bitops.h"
#include "base/memory.h"
#include "iova/iova_internal.h"

static struct iova_node *node_alloc(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu)
{
	isim_work(cpu, IOMMUSIM_WORK_MEM_ALLOC, 1);
	return isim_alloc(d->mem, sizeof(struct iova_node), 0);
}

static void node_free(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, struct iova_node *n)
{
	isim_work(cpu, IOMMUSIM_WORK_MEM_FREE, 1);
	isim_free(d->mem, n, sizeof(*n), 0);
}

/* mirrors __get_cached_rbnode(); @limit is exclusive */
static struct isim_rb_node *cached_start(struct iommusim_iova_domain *d, uint64_t limit)
{
	return limit <= d->dma_32bit_pfn ? d->cached32_node : d->cached_node;
}

/* mirrors __cached_rbnode_insert_update(): the hint follows where the node landed */
static void cached_after_insert(struct iommusim_iova_domain *d, struct iova_node *n)
{
	if (n->pfn_hi < d->dma_32bit_pfn)
		d->cached32_node = &n->rb;
	else
		d->cached_node = &n->rb;
}

/*
 * mirrors __cached_rbnode_delete_update(): freeing at or above a hint moves the hint up to the
 * freed node's successor, so the next search sees the hole; any free below 4 GiB forgets the
 * last 32-bit failure.
 */
static void cached_before_erase(struct iommusim_iova_domain *d, struct iova_node *gone)
{
	struct iova_node *c32 = to_iova_node(d->cached32_node);
	struct iova_node *c = to_iova_node(d->cached_node);

	if (gone == c32 || (gone->pfn_hi < d->dma_32bit_pfn && gone->pfn_lo >= c32->pfn_lo))
		d->cached32_node = isim_rb_next(&gone->rb);
	if (gone->pfn_lo < d->dma_32bit_pfn)
		d->max32_alloc_size = d->dma_32bit_pfn;
	if (gone->pfn_lo >= c->pfn_lo)
		d->cached_node = isim_rb_next(&gone->rb);
}

/* mirrors remove_iova(); tree lock held */
static void tree_remove(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu,
			struct iova_node *n)
{
	cached_before_erase(d, n);
	isim_rb_erase(&d->root, &n->rb);
	d->nodes--;
	isim_work(cpu, IOMMUSIM_WORK_TREE_ERASE, 1);
}

/*
 * mirrors iova_insert_rbtree(): descend from @start (a node known to be just above the new
 * range) or from the root. Returns false, inserting nothing, if a node with the same pfn_lo
 * exists (the kernel WARNs).
 */
static bool tree_insert(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu,
			struct iova_node *n, struct isim_rb_node *start)
{
	struct isim_rb_node **link = start ? &start : &d->root.node;
	struct isim_rb_node *parent = NULL;
	uint64_t visited = 0;

	while (*link) {
		struct iova_node *here = to_iova_node(*link);

		parent = *link;
		visited++;
		if (n->pfn_lo < here->pfn_lo) {
			link = &(*link)->left;
		} else if (n->pfn_lo > here->pfn_lo) {
			link = &(*link)->right;
		} else {
			isim_work(cpu, IOMMUSIM_WORK_TREE_NODE, visited);
			return false;
		}
	}
	isim_rb_link(&n->rb, parent, link);
	isim_rb_insert_fixup(&d->root, &n->rb);
	d->nodes++;
	isim_work(cpu, IOMMUSIM_WORK_TREE_NODE, visited);
	isim_work(cpu, IOMMUSIM_WORK_TREE_INSERT, 1);
	return true;
}

/*
 * mirrors private_find_iova(): the range containing @pfn. The anchor is not a range and is
 * never returned.
 */
static struct iova_node *tree_find(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu,
				   uint64_t pfn)
{
	struct isim_rb_node *rb = d->root.node;
	uint64_t visited = 0;

	while (rb) {
		struct iova_node *n = to_iova_node(rb);

		visited++;
		if (pfn < n->pfn_lo) {
			rb = rb->left;
		} else if (pfn > n->pfn_hi) {
			rb = rb->right;
		} else {
			isim_work(cpu, IOMMUSIM_WORK_TREE_NODE, visited);
			return n == &d->anchor ? NULL : n;
		}
	}
	isim_work(cpu, IOMMUSIM_WORK_TREE_NODE, visited);
	return NULL;
}

/*
 * mirrors iova_find_limit(): where the retry pass above the cached node starts. Above 4 GiB
 * the kernel simply restarts at the anchor. Below, it descends the tree for the lowest node at
 * or above @limit; the exact descent is kept because with a node straddling @limit its answer
 * depends on the tree's shape.
 */
static struct isim_rb_node *find_limit(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu,
				       uint64_t limit)
{
	struct isim_rb_node *node, *next;
	uint64_t visited = 1;

	if (limit > d->dma_32bit_pfn)
		return &d->anchor.rb;

	node = d->root.node;
	/* The anchor (pfn_hi = ~0) ends this descent at the latest. */
	while (to_iova_node(node)->pfn_hi < limit) {
		node = node->right;
		visited++;
	}
	for (;;) {
		bool moved = false;

		while (node->left && to_iova_node(node->left)->pfn_lo >= limit) {
			node = node->left;
			visited++;
		}
		if (!node->left)
			break;
		/* The left subtree's right spine may still hold a node at or above @limit. */
		for (next = node->left; next->right;) {
			next = next->right;
			visited++;
			if (to_iova_node(next)->pfn_lo >= limit) {
				node = next;
				moved = true;
				break;
			}
		}
		if (!moved)
			break;
	}
	isim_work(cpu, IOMMUSIM_WORK_TREE_NODE, visited);
	return node;
}

/*
 * mirrors __alloc_and_insert_iova_range(): @limit is exclusive here. Walk down from the cached
 * node, taking the first gap (top-down) big enough for an aligned range; if that finds nothing,
 * look once more in the space between the cached node and the limit.
 */
static int alloc_and_insert(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, uint64_t size,
			    uint64_t limit, struct iova_node *n, bool size_aligned)
{
	struct isim_rb_node *curr, *prev;
	uint64_t high = limit, low = d->start_pfn;
	uint64_t new_pfn, retry_pfn;
	uint64_t align_mask = ~(uint64_t)0;
	uint64_t visited = 0;
	unsigned int passes = 0;

	/*
	 * The kernel shifts by fls_long(size - 1); a shift count of 64 behaves as 0 on x86-64,
	 * the machine the reference output comes from, so the count is taken modulo 64.
	 */
	if (size_aligned)
		align_mask <<= isim_fls64(size - 1) & 63;

	tree_lock(d, cpu);
	if (limit <= d->dma_32bit_pfn && size >= d->max32_alloc_size)
		goto full;

	curr = cached_start(d, limit);
	retry_pfn = to_iova_node(curr)->pfn_hi;

	for (;;) {
		do {
			struct iova_node *c = to_iova_node(curr);

			visited++;
			if (c->pfn_lo < high)
				high = c->pfn_lo;
			new_pfn = (high - size) & align_mask;
			prev = curr;
			curr = isim_rb_prev(curr);
		} while (curr && new_pfn <= to_iova_node(curr)->pfn_hi && new_pfn >= low);

		if (high >= size && new_pfn >= low)
			break;
		/*
		 * The kernel's condition alone could repeat the second pass forever when the
		 * cached node sits just below start_pfn; a second retry can only fail the same way.
		 */
		if (low == d->start_pfn && retry_pfn < limit && passes++ == 0) {
			high = limit;
			low = retry_pfn + 1;
			curr = find_limit(d, cpu, limit);
			continue;
		}
		d->max32_alloc_size = size;
		goto full;
	}

	n->pfn_lo = new_pfn;
	n->pfn_hi = new_pfn + size - 1;
	isim_work(cpu, IOMMUSIM_WORK_TREE_NODE, visited);
	if (!tree_insert(d, cpu, n, prev)) {
		tree_unlock(d);
		return -EEXIST;
	}
	cached_after_insert(d, n);
	d->tree_allocs++;
	tree_unlock(d);
	return 0;

full:
	d->tree_failures++;
	tree_unlock(d);
	isim_work(cpu, IOMMUSIM_WORK_TREE_NODE, visited);
	return -ENOMEM;
}

/* mirrors alloc_iova(); @limit_pfn is inclusive */
int isim_iova_tree_alloc(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, uint64_t size,
			 uint64_t limit_pfn, bool size_aligned, uint64_t *pfn)
{
	struct iova_node *n = node_alloc(d, cpu);
	int err;

	if (!n)
		return -ENOMEM;
	err = alloc_and_insert(d, cpu, size, limit_pfn + 1, n, size_aligned);
	if (err) {
		node_free(d, cpu, n);
		return err == -EEXIST ? -ENOMEM : err;
	}
	*pfn = n->pfn_lo;
	return 0;
}

int iommusim_iova_alloc(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, uint64_t size,
			uint64_t limit_pfn, bool size_aligned, uint64_t *pfn)
{
	if (size == 0 || limit_pfn == UINT64_MAX)
		return -EINVAL;
	return isim_iova_tree_alloc(d, cpu, size, limit_pfn, size_aligned, pfn);
}

/* mirrors free_iova() (find + remove under one lock hold) */
int iommusim_iova_free(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, uint64_t pfn)
{
	struct iova_node *n;

	tree_lock(d, cpu);
	n = tree_find(d, cpu, pfn);
	if (n)
		tree_remove(d, cpu, n);
	tree_unlock(d);
	if (!n)
		return -ENOENT;
	node_free(d, cpu, n);
	return 0;
}

/* mirrors find_iova() */
int iommusim_iova_find(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, uint64_t pfn,
		       uint64_t *pfn_lo, uint64_t *pfn_hi)
{
	struct iova_node *n;
	uint64_t lo = 0, hi = 0;

	tree_lock(d, cpu);
	n = tree_find(d, cpu, pfn);
	if (n) {
		lo = n->pfn_lo;
		hi = n->pfn_hi;
	}
	tree_unlock(d);
	if (!n)
		return -ENOENT;
	if (pfn_lo)
		*pfn_lo = lo;
	if (pfn_hi)
		*pfn_hi = hi;
	return 0;
}

/* mirrors iova_magazine_free_pfns(): a PFN with no range is skipped (the kernel WARNs) */
void isim_iova_tree_free_pfns(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu,
			      const uint64_t *pfns, uint64_t count)
{
	struct iova_node *gone[IOMMUSIM_IOVA_MAG_SIZE];
	uint64_t ngone = 0;

	/* Node memory is released after the lock is dropped, as current kernels do. */
	tree_lock(d, cpu);
	for (uint64_t i = 0; i < count; i++) {
		struct iova_node *n = tree_find(d, cpu, pfns[i]);

		if (!n)
			continue;
		tree_remove(d, cpu, n);
		gone[ngone++] = n;
	}
	tree_unlock(d);
	for (uint64_t i = 0; i < ngone; i++)
		node_free(d, cpu, gone[i]);
}

/*
 * mirrors reserve_iova(): walk the ranges in order from the lowest; every range overlapping the
 * request is widened down to it, and the request is trimmed to what lies above that range;
 * what remains after the last overlap becomes a new node. The search hints are left alone.
 */
int iommusim_iova_reserve(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, uint64_t pfn_lo,
			  uint64_t pfn_hi)
{
	struct iova_node *n;
	struct isim_rb_node *rb;
	uint64_t visited = 0;
	bool overlap = false;

	if (pfn_lo > pfn_hi || (pfn_lo | pfn_hi) > (UINT64_MAX >> d->shift))
		return -EINVAL;

	tree_lock(d, cpu);
	for (rb = isim_rb_first(&d->root); rb; rb = isim_rb_next(rb)) {
		struct iova_node *here = to_iova_node(rb);

		visited++;
		if (pfn_lo <= here->pfn_hi && pfn_hi >= here->pfn_lo) {
			/* mirrors __adjust_overlap_range() */
			if (pfn_lo < here->pfn_lo)
				here->pfn_lo = pfn_lo;
			if (pfn_hi > here->pfn_hi)
				pfn_lo = here->pfn_hi + 1;
			if (pfn_lo >= here->pfn_lo && pfn_hi <= here->pfn_hi) {
				/* Wholly inside an existing range now: nothing new to insert. */
				tree_unlock(d);
				isim_work(cpu, IOMMUSIM_WORK_TREE_NODE, visited);
				return 0;
			}
			overlap = true;
		} else if (overlap) {
			break;
		}
	}
	isim_work(cpu, IOMMUSIM_WORK_TREE_NODE, visited);

	/* mirrors __insert_new_range(), which allocates under the lock */
	n = node_alloc(d, cpu);
	if (!n) {
		tree_unlock(d);
		return -ENOMEM;
	}
	n->pfn_lo = pfn_lo;
	n->pfn_hi = pfn_hi;
	if (!tree_insert(d, cpu, n, NULL)) {
		tree_unlock(d);
		node_free(d, cpu, n);
		return -EEXIST;
	}
	tree_unlock(d);
	return 0;
}

void isim_iova_tree_destroy(struct iommusim_iova_domain *d)
{
	struct isim_rb_node *rb = isim_rb_first_postorder(&d->root);

	while (rb) {
		struct isim_rb_node *next = isim_rb_next_postorder(rb);
		struct iova_node *n = to_iova_node(rb);

		if (n != &d->anchor)
			isim_free(d->mem, n, sizeof(*n), 0);
		rb = next;
	}
	d->root.node = NULL;
	d->nodes = 0;
}

int iommusim_iova_for_each(struct iommusim_iova_domain *d, iommusim_iova_range_fn *fn, void *arg)
{
	int ret = 0;

	isim_spin_lock(&d->tree_lock);
	for (struct isim_rb_node *rb = isim_rb_first(&d->root); rb && !ret; rb = isim_rb_next(rb)) {
		struct iova_node *n = to_iova_node(rb);

		if (n != &d->anchor)
			ret = fn(arg, n->pfn_lo, n->pfn_hi);
	}
	isim_spin_unlock(&d->tree_lock);
	return ret;
}

void iommusim_iova_get_cached(struct iommusim_iova_domain *d, struct iommusim_iova_cached *out)
{
	isim_spin_lock(&d->tree_lock);
	out->cached_pfn = to_iova_node(d->cached_node)->pfn_lo;
	out->cached32_pfn = to_iova_node(d->cached32_node)->pfn_lo;
	out->max32_alloc_size = d->max32_alloc_size;
	isim_spin_unlock(&d->tree_lock);
}
