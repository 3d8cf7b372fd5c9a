/* SPDX-License-Identifier: MIT */
/*
 * What the red-black tree's tests (lib/base/rbtree.c) share: a node with a key, a tree of
 * them built, searched and erased in key order, and the checks of its contents and height.
 */
#ifndef TESTS_UNIT_RBTREE_FIXTURE_H
#define TESTS_UNIT_RBTREE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <stdbool.h>
#include <string.h>

#include "base/rbtree.h"
#include "test_rng.h"

struct tnode {
	struct isim_rb_node node;
	unsigned long key;
};

_Static_assert(sizeof(struct isim_rb_node) == 3 * sizeof(void *), "a node must stay 3 words");

static inline void shuffle(unsigned long *keys, size_t n, struct iommusim_rng *rng)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)test_rng_below(rng, i);
		unsigned long tmp = keys[i - 1];

		keys[i - 1] = keys[j];
		keys[j] = tmp;
	}
}

static inline struct tnode *to_tnode(struct isim_rb_node *n)
{
	return n ? isim_rb_entry(n, struct tnode, node) : NULL;
}

static inline unsigned long key_of(struct isim_rb_node *n)
{
	return to_tnode(n)->key;
}

static inline bool tree_insert(struct isim_rb_root *root, struct tnode *tn)
{
	struct isim_rb_node **link = &root->node;
	struct isim_rb_node *parent = NULL;

	while (*link) {
		parent = *link;
		if (tn->key < key_of(parent))
			link = &parent->left;
		else if (tn->key > key_of(parent))
			link = &parent->right;
		else
			return false;
	}
	isim_rb_link(&tn->node, parent, link);
	isim_rb_insert_fixup(root, &tn->node);
	return true;
}

/* nodes[i].key = i, inserted in a seed-dependent order. */
static inline void build_tree(struct isim_rb_root *root, struct tnode *nodes, size_t n,
			      uint64_t seed)
{
	unsigned long *order = test_calloc(n ? n : 1, sizeof(*order));
	struct iommusim_rng rng = test_rng(seed);

	for (size_t i = 0; i < n; i++)
		order[i] = (unsigned long)i;
	shuffle(order, n, &rng);
	root->node = NULL;
	for (size_t i = 0; i < n; i++) {
		nodes[order[i]].key = order[i];
		assert_true(tree_insert(root, &nodes[order[i]]));
		assert_true(isim_rb_check(root) >= 0);
	}
	test_free(order);
}

#endif /* TESTS_UNIT_RBTREE_FIXTURE_H */
