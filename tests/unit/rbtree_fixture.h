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

static inline struct tnode *tree_find(const struct isim_rb_root *root, unsigned long key)
{
	struct isim_rb_node *n = root->node;

	while (n) {
		if (key < key_of(n))
			n = n->left;
		else if (key > key_of(n))
			n = n->right;
		else
			return to_tnode(n);
	}
	return NULL;
}

/* Garbage in an erased node makes any link the tree still holds to it fail loudly. */
static inline void tree_erase(struct isim_rb_root *root, struct tnode *tn)
{
	isim_rb_erase(root, &tn->node);
	memset(&tn->node, 0xa5, sizeof(tn->node));
}

static inline unsigned int height(const struct isim_rb_node *n)
{
	unsigned int l, r;

	if (!n)
		return 0;
	l = height(n->left);
	r = height(n->right);
	return 1 + (l > r ? l : r);
}

static inline size_t count_inorder(const struct isim_rb_root *root)
{
	size_t count = 0;

	for (struct isim_rb_node *n = isim_rb_first(root); n; n = isim_rb_next(n))
		count++;
	return count;
}

/* height <= 2 * log2(n + 1), kept in integers: 2^height <= (n + 1)^2. */
static inline void assert_height_bound(const struct isim_rb_root *root, size_t n)
{
	unsigned int h = height(root->node);
	uint64_t limit = (uint64_t)(n + 1) * (uint64_t)(n + 1);

	assert_true(h < 64);
	assert_true((UINT64_C(1) << h) <= limit);
}

/* Forward and backward walks must both produce exactly keys[0..n) (sorted ascending). */
static inline void assert_contents(const struct isim_rb_root *root, const unsigned long *keys,
				   size_t n)
{
	struct isim_rb_node *it = isim_rb_first(root);

	for (size_t i = 0; i < n; i++) {
		assert_non_null(it);
		assert_int_equal(key_of(it), keys[i]);
		it = isim_rb_next(it);
	}
	assert_null(it);

	it = isim_rb_last(root);
	for (size_t i = n; i > 0; i--) {
		assert_non_null(it);
		assert_int_equal(key_of(it), keys[i - 1]);
		it = isim_rb_prev(it);
	}
	assert_null(it);
}

/* Erase key victim from a tree of 0..n-1 and check validity and the remaining sequence. */
static inline void erase_and_verify(struct isim_rb_root *root, struct tnode *nodes, size_t n,
				    unsigned long victim)
{
	unsigned long *expect = test_calloc(n, sizeof(*expect));
	size_t m = 0;

	tree_erase(root, &nodes[victim]);
	assert_true(isim_rb_check(root) >= 0);
	for (size_t i = 0; i < n; i++)
		if (i != victim)
			expect[m++] = (unsigned long)i;
	assert_contents(root, expect, m);
	assert_null(tree_find(root, victim));
	test_free(expect);
}

#endif /* TESTS_UNIT_RBTREE_FIXTURE_H */
