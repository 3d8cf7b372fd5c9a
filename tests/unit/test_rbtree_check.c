/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the red-black tree's structural checker (lib/base/rbtree.c), on which the
 * other tests rely: it returns the black height of a valid tree and rejects broken ones (a red
 * root, a red node with a red child, unequal black heights, a bad parent pointer, a shared child
 * and a cycle, corruption deep in a large tree).
 */
#include "rbtree_fixture.h"

/* Set a hand-built node's links and colour directly, bypassing the tree's own operations. */
static void mk(struct tnode *t, unsigned long key, struct tnode *parent, bool black,
	       struct tnode *left, struct tnode *right)
{
	t->key = key;
	t->node.parent_color = (uintptr_t)(parent ? &parent->node : NULL) | (black ? 1u : 0u);
	t->node.left = left ? &left->node : NULL;
	t->node.right = right ? &right->node : NULL;
}

static void test_rbtree_check_returns_black_height(void **state)
{
	struct tnode t[7];
	struct isim_rb_root root = {&t[3].node};

	(void)state;
	/* A perfect tree of seven black nodes has black height 3. */
	mk(&t[3], 3, NULL, true, &t[1], &t[5]);
	mk(&t[1], 1, &t[3], true, &t[0], &t[2]);
	mk(&t[5], 5, &t[3], true, &t[4], &t[6]);
	for (int i = 0; i < 7; i += 2)
		mk(&t[i], (unsigned long)i, &t[i == 0 || i == 2 ? 1 : 5], true, NULL, NULL);
	assert_int_equal(isim_rb_check(&root), 3);

	/* Reddening the middle level keeps it valid but removes one black per path. */
	t[1].node.parent_color &= ~(uintptr_t)1;
	t[5].node.parent_color &= ~(uintptr_t)1;
	assert_int_equal(isim_rb_check(&root), 2);
}

static void test_rbtree_check_detects_red_root(void **state)
{
	struct tnode a;
	struct isim_rb_root root = {&a.node};

	(void)state;
	mk(&a, 1, NULL, true, NULL, NULL);
	assert_int_equal(isim_rb_check(&root), 1);
	mk(&a, 1, NULL, false, NULL, NULL);
	assert_int_equal(isim_rb_check(&root), -1);
}

static void test_rbtree_check_detects_red_node_with_red_child(void **state)
{
	struct tnode t[4];
	struct isim_rb_root root = {&t[2].node};

	(void)state;
	/* Valid control first: every path has two blacks. */
	mk(&t[2], 2, NULL, true, &t[1], &t[3]);
	mk(&t[1], 1, &t[2], true, &t[0], NULL);
	mk(&t[0], 0, &t[1], false, NULL, NULL);
	mk(&t[3], 3, &t[2], true, NULL, NULL);
	assert_int_equal(isim_rb_check(&root), 2);

	/* Red 1 over red 0: every path still has one black (the root), but red meets red. */
	mk(&t[1], 1, &t[2], false, &t[0], NULL);
	mk(&t[3], 3, &t[2], false, NULL, NULL);
	assert_int_equal(isim_rb_check(&root), -1);
}

static void test_rbtree_check_detects_unequal_black_heights(void **state)
{
	struct tnode t[3];
	struct isim_rb_root root = {&t[1].node};

	(void)state;
	mk(&t[1], 1, NULL, true, &t[0], &t[2]);
	mk(&t[0], 0, &t[1], true, NULL, NULL);
	mk(&t[2], 2, &t[1], true, NULL, NULL);
	assert_int_equal(isim_rb_check(&root), 2);

	/* Left path has two blacks, right path one; no red-red clash anywhere. */
	mk(&t[2], 2, &t[1], false, NULL, NULL);
	assert_int_equal(isim_rb_check(&root), -1);

	/* Also a missing child on one side only. */
	mk(&t[1], 1, NULL, true, &t[0], NULL);
	assert_int_equal(isim_rb_check(&root), -1);
}

static void test_rbtree_check_detects_bad_parent_pointer(void **state)
{
	struct tnode t[3];
	struct isim_rb_root root = {&t[1].node};

	(void)state;
	mk(&t[1], 1, NULL, true, &t[0], &t[2]);
	mk(&t[0], 0, &t[1], false, NULL, NULL);
	mk(&t[2], 2, &t[1], false, NULL, NULL);
	assert_int_equal(isim_rb_check(&root), 1);

	/* A child pointing at its sibling as parent; colour untouched. */
	mk(&t[2], 2, &t[0], false, NULL, NULL);
	assert_int_equal(isim_rb_check(&root), -1);
	mk(&t[2], 2, &t[1], false, NULL, NULL);

	/* A root that claims to have a parent. */
	mk(&t[1], 1, &t[0], true, &t[0], &t[2]);
	assert_int_equal(isim_rb_check(&root), -1);
	mk(&t[1], 1, NULL, true, &t[0], &t[2]);
	assert_int_equal(isim_rb_check(&root), 1);
}

static void test_rbtree_check_detects_shared_child_and_cycle(void **state)
{
	struct tnode t[2];
	struct isim_rb_root root = {&t[1].node};

	(void)state;
	/* Both slots naming one child would pass every colour and parent test on its own. */
	mk(&t[1], 1, NULL, true, &t[0], &t[0]);
	mk(&t[0], 0, &t[1], false, NULL, NULL);
	assert_int_equal(isim_rb_check(&root), -1);

	/* A child link back up to the root must be caught, not followed forever. */
	mk(&t[1], 1, NULL, true, &t[0], NULL);
	mk(&t[0], 0, &t[1], false, NULL, &t[1]);
	assert_int_equal(isim_rb_check(&root), -1);
}

/* Corrupting one deep node of a large, properly built tree must be noticed, and undoing it too. */
static void test_rbtree_check_detects_corruption_in_large_tree(void **state)
{
	enum { N = 4000 };
	struct isim_rb_root root = ISIM_RB_ROOT_INIT;
	struct tnode *nodes = test_calloc(N, sizeof(*nodes));
	struct isim_rb_node *deep = NULL, *red = NULL;

	(void)state;
	build_tree(&root, nodes, N, 41);
	for (struct isim_rb_node *n = isim_rb_first(&root); n; n = isim_rb_next(n)) {
		if (isim_rb_parent(n) && isim_rb_parent(isim_rb_parent(n)) && !deep)
			deep = n;
		if (!(n->parent_color & 1) && n->left && !red)
			red = n;
	}
	assert_non_null(deep);
	assert_non_null(red);

	uintptr_t saved = deep->parent_color;

	deep->parent_color = (uintptr_t)isim_rb_parent(isim_rb_parent(deep)) | (saved & 1);
	assert_int_equal(isim_rb_check(&root), -1);
	deep->parent_color = saved;
	assert_true(isim_rb_check(&root) > 0);

	/* A red node's children are black; turning one red breaks the tree. */
	red->left->parent_color &= ~(uintptr_t)1;
	assert_int_equal(isim_rb_check(&root), -1);
	red->left->parent_color |= 1;
	assert_true(isim_rb_check(&root) > 0);

	/* Moving a black up from child to red parent: the parent's other side gains a black. */
	red->left->parent_color ^= 1;
	red->parent_color |= 1;
	assert_int_equal(isim_rb_check(&root), -1);
	test_free(nodes);
}

SUITE_MAIN(cmocka_unit_test(test_rbtree_check_returns_black_height),
	   cmocka_unit_test(test_rbtree_check_detects_red_root),
	   cmocka_unit_test(test_rbtree_check_detects_red_node_with_red_child),
	   cmocka_unit_test(test_rbtree_check_detects_unequal_black_heights),
	   cmocka_unit_test(test_rbtree_check_detects_bad_parent_pointer),
	   cmocka_unit_test(test_rbtree_check_detects_shared_child_and_cycle),
	   cmocka_unit_test(test_rbtree_check_detects_corruption_in_large_tree))
