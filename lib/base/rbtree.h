/*
 * Intrusive red-black tree: the ordered index behind the IOVA allocator.
 *
 * The tree never compares keys itself. A caller embeds struct isim_rb_node in its own record,
 * walks down from the root with its own comparison to find the empty link where the record
 * belongs, attaches it with isim_rb_link() and then calls isim_rb_insert_fixup() to restore
 * balance. Keeping the search in the caller lets it be inlined with the real key type, which is
 * what makes this cheaper than a callback-based tree on the allocator's hot path.
 *
 * Nothing here allocates or keeps global state; callers provide their own locking.
 */
#ifndef ISIM_BASE_RBTREE_H
#define ISIM_BASE_RBTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The colour is packed into bit 0 of parent_color (0 = red, 1 = black) so a node costs three
 * words (24 bytes on LP64); pointer alignment guarantees that bit of a node address is zero.
 */
struct isim_rb_node {
	uintptr_t parent_color;
	struct isim_rb_node *left;
	struct isim_rb_node *right;
};

struct isim_rb_root {
	struct isim_rb_node *node;
};

/* clang-format off */
#define ISIM_RB_ROOT_INIT { NULL }
/* clang-format on */

#define isim_rb_entry(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline struct isim_rb_node *isim_rb_parent(const struct isim_rb_node *n)
{
	return (struct isim_rb_node *)(n->parent_color & ~(uintptr_t)1);
}

/*
 * Attach a new node as the child at *link under parent (parent NULL for an empty tree), red,
 * with no children; the caller then calls isim_rb_insert_fixup. A new node starts red because
 * that never changes any path's black count, so only a red-red clash can need repairing.
 */
static inline void isim_rb_link(struct isim_rb_node *node, struct isim_rb_node *parent,
				struct isim_rb_node **link)
{
	node->parent_color = (uintptr_t)parent;
	node->left = NULL;
	node->right = NULL;
	*link = node;
}

void isim_rb_insert_fixup(struct isim_rb_root *root, struct isim_rb_node *node);
void isim_rb_erase(struct isim_rb_root *root, struct isim_rb_node *node);

struct isim_rb_node *isim_rb_first(const struct isim_rb_root *root);
struct isim_rb_node *isim_rb_last(const struct isim_rb_root *root);
struct isim_rb_node *isim_rb_next(const struct isim_rb_node *node);
struct isim_rb_node *isim_rb_prev(const struct isim_rb_node *node);

/*
 * Post-order iteration, so a caller can free every node without rebalancing. Fetch the next
 * node before freeing the current one; the tree is left dangling and must be reset afterwards.
 */
struct isim_rb_node *isim_rb_first_postorder(const struct isim_rb_root *root);
struct isim_rb_node *isim_rb_next_postorder(const struct isim_rb_node *node);

/*
 * Checks every red-black property and parent-pointer consistency; returns the black height
 * (>= 0) when valid, -1 when not. For tests; O(n).
 */
int isim_rb_check(const struct isim_rb_root *root);

#endif /* ISIM_BASE_RBTREE_H */
