/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the intrusive red-black tree (lib/base/rbtree.c): ordering, every erase
 * position, traversal in all three directions, balance bounds, and random operations keeping the
 * tree valid.
 */
#include "rbtree_fixture.h"

static void test_rbtree_empty_tree(void **state)
{
	struct isim_rb_root root = ISIM_RB_ROOT_INIT;

	(void)state;
	assert_null(isim_rb_first(&root));
	assert_null(isim_rb_last(&root));
	assert_null(isim_rb_first_postorder(&root));
	assert_int_equal(isim_rb_check(&root), 0);
}

static void test_rbtree_single_node(void **state)
{
	struct isim_rb_root root = ISIM_RB_ROOT_INIT;
	struct tnode a = {.key = 42};

	(void)state;
	assert_true(tree_insert(&root, &a));
	assert_ptr_equal(root.node, &a.node);
	assert_null(isim_rb_parent(&a.node));
	assert_int_equal(a.node.parent_color & 1, 1); /* the root must have been blackened */
	assert_int_equal(isim_rb_check(&root), 1);
	assert_ptr_equal(isim_rb_first(&root), &a.node);
	assert_ptr_equal(isim_rb_last(&root), &a.node);
	assert_null(isim_rb_next(&a.node));
	assert_null(isim_rb_prev(&a.node));
	assert_ptr_equal(isim_rb_first_postorder(&root), &a.node);
	assert_null(isim_rb_next_postorder(&a.node));

	isim_rb_erase(&root, &a.node);
	assert_null(root.node);
	assert_int_equal(isim_rb_check(&root), 0);
}

static void test_rbtree_inorder_sorted_after_random_inserts(void **state)
{
	enum { N = 5000 };
	struct isim_rb_root root = ISIM_RB_ROOT_INIT;
	struct tnode *nodes = test_calloc(N, sizeof(*nodes));
	struct iommusim_rng rng = test_rng(1);
	size_t inserted = 0;
	unsigned long prev_key = 0;

	(void)state;
	/* Keys drawn from a range a little larger than N, so duplicates happen and are refused. */
	for (size_t i = 0; i < N; i++) {
		nodes[i].key = (unsigned long)test_rng_below(&rng, 4 * N);
		if (tree_insert(&root, &nodes[i]))
			inserted++;
		else
			assert_non_null(tree_find(&root, nodes[i].key));
	}
	assert_true(inserted > N / 2 && inserted < N);
	assert_true(isim_rb_check(&root) > 0);

	size_t count = 0;

	for (struct isim_rb_node *n = isim_rb_first(&root); n; n = isim_rb_next(n)) {
		if (count)
			assert_true(key_of(n) > prev_key);
		prev_key = key_of(n);
		count++;
	}
	assert_int_equal(count, inserted);

	count = 0;
	for (struct isim_rb_node *n = isim_rb_last(&root); n; n = isim_rb_prev(n)) {
		if (count)
			assert_true(key_of(n) < prev_key);
		prev_key = key_of(n);
		count++;
	}
	assert_int_equal(count, inserted);
	test_free(nodes);
}

static void test_rbtree_next_prev_of_first_last_return_null(void **state)
{
	enum { N = 100 };
	struct isim_rb_root root = ISIM_RB_ROOT_INIT;
	struct tnode nodes[N];

	(void)state;
	build_tree(&root, nodes, N, 7);
	assert_int_equal(key_of(isim_rb_first(&root)), 0);
	assert_int_equal(key_of(isim_rb_last(&root)), N - 1);
	assert_null(isim_rb_prev(isim_rb_first(&root)));
	assert_null(isim_rb_next(isim_rb_last(&root)));
	/* One step in from each end must come straight back. */
	assert_ptr_equal(isim_rb_prev(isim_rb_next(isim_rb_first(&root))), isim_rb_first(&root));
	assert_ptr_equal(isim_rb_next(isim_rb_prev(isim_rb_last(&root))), isim_rb_last(&root));
}

static void test_rbtree_erase_root(void **state)
{
	enum { N = 31 };
	struct isim_rb_root root = ISIM_RB_ROOT_INIT;
	struct tnode nodes[N];

	(void)state;
	build_tree(&root, nodes, N, 3);
	struct isim_rb_node *old_root = root.node;

	assert_non_null(old_root->left);
	assert_non_null(old_root->right);
	erase_and_verify(&root, nodes, N, key_of(old_root));
	assert_ptr_not_equal(root.node, old_root);
	assert_null(isim_rb_parent(root.node));
}

/* A leaf, black if there is one: removing a black leaf is the case that needs rebalancing. */
static struct isim_rb_node *pick_leaf(struct isim_rb_root *root)
{
	struct isim_rb_node *leaf = NULL;

	for (struct isim_rb_node *n = isim_rb_first(root); n; n = isim_rb_next(n))
		if (!n->left && !n->right && (!leaf || (n->parent_color & 1)))
			leaf = n;
	return leaf;
}

/* A non-root node whose successor is not its own right child: the deepest splice. */
static struct isim_rb_node *pick_deep_splice(struct isim_rb_root *root)
{
	for (struct isim_rb_node *n = isim_rb_first(root); n; n = isim_rb_next(n))
		if (n->left && n->right && isim_rb_parent(n) && n->right->left)
			return n;
	return NULL;
}

/* In a tree of @n nodes (at most 63) built from @seed, erase the node @pick finds. */
static void erase_picked(size_t n, uint64_t seed,
			 struct isim_rb_node *(*pick)(struct isim_rb_root *root))
{
	struct isim_rb_root root = ISIM_RB_ROOT_INIT;
	struct tnode nodes[63];
	struct isim_rb_node *victim;

	assert_true(n <= 63);
	build_tree(&root, nodes, n, seed);
	victim = pick(&root);
	assert_non_null(victim);
	erase_and_verify(&root, nodes, n, key_of(victim));
}

static void test_rbtree_erase_leaf(void **state)
{
	(void)state;
	erase_picked(31, 4, pick_leaf);
}

static void test_rbtree_erase_node_with_two_children(void **state)
{
	(void)state;
	erase_picked(63, 5, pick_deep_splice);
}

/* Every position in every tree of up to 64 nodes, over several shapes per size. */
static void test_rbtree_erase_every_position(void **state)
{
	enum { MAXN = 64, SHAPES = 4 };
	struct isim_rb_root root;
	struct tnode nodes[MAXN];

	(void)state;
	for (size_t n = 1; n <= MAXN; n++) {
		for (uint64_t shape = 0; shape < SHAPES; shape++) {
			for (unsigned long victim = 0; victim < n; victim++) {
				build_tree(&root, nodes, n, shape * 1000 + n);
				erase_and_verify(&root, nodes, n, victim);
			}
		}
	}
}

static void test_rbtree_erase_all_in_random_order(void **state)
{
	enum { N = 3000 };
	struct isim_rb_root root = ISIM_RB_ROOT_INIT;
	struct tnode *nodes = test_calloc(N, sizeof(*nodes));
	unsigned long order[N];
	struct iommusim_rng rng = test_rng(99);

	(void)state;
	build_tree(&root, nodes, N, 11);
	for (size_t i = 0; i < N; i++)
		order[i] = (unsigned long)i;
	shuffle(order, N, &rng);
	for (size_t i = 0; i < N; i++) {
		tree_erase(&root, &nodes[order[i]]);
		assert_true(isim_rb_check(&root) >= 0);
		if (i % 256 == 0)
			assert_int_equal(count_inorder(&root), N - 1 - i);
	}
	assert_null(root.node);
	test_free(nodes);
}

/*
 * The main stress test: a long random mix of inserts and erases, with phases that grow the
 * tree towards full and shrink it towards empty, validating the whole tree after every step.
 */
static void test_rbtree_random_ops_keep_tree_valid(void **state)
{
	enum { KEYS = 3000, PHASE_OPS = 60000 };
	static const unsigned int insert_pct[] = {50, 85, 15, 50};
	struct isim_rb_root root = ISIM_RB_ROOT_INIT;
	struct tnode *nodes = test_calloc(KEYS, sizeof(*nodes));
	bool *present = test_calloc(KEYS, sizeof(*present));
	unsigned long *expect = test_calloc(KEYS, sizeof(*expect));
	struct iommusim_rng rng = test_rng(0x15a11);
	size_t count = 0, ops = 0, inserts = 0, erases = 0, max_count = 0, min_count = KEYS;

	(void)state;
	for (size_t k = 0; k < KEYS; k++)
		nodes[k].key = k;

	for (size_t phase = 0; phase < sizeof(insert_pct) / sizeof(insert_pct[0]); phase++) {
		for (size_t i = 0; i < PHASE_OPS; i++, ops++) {
			bool do_insert = test_rng_below(&rng, 100) < insert_pct[phase];
			unsigned long k = (unsigned long)test_rng_below(&rng, KEYS);

			if (count == 0)
				do_insert = true;
			else if (count == KEYS)
				do_insert = false;
			/* Probe to the nearest key in the state the chosen operation needs. */
			while (present[k] == do_insert)
				k = (k + 1) % KEYS;

			if (do_insert) {
				assert_true(tree_insert(&root, &nodes[k]));
				present[k] = true;
				count++;
				inserts++;
				assert_ptr_equal(tree_find(&root, k), &nodes[k]);
				struct isim_rb_node *nx = isim_rb_next(&nodes[k].node);
				struct isim_rb_node *pv = isim_rb_prev(&nodes[k].node);

				assert_true(!nx || key_of(nx) > k);
				assert_true(!pv || key_of(pv) < k);
			} else {
				tree_erase(&root, &nodes[k]);
				present[k] = false;
				count--;
				erases++;
				assert_null(tree_find(&root, k));
			}

			int bh = isim_rb_check(&root);

			assert_true(bh >= 0);
			if (count > max_count)
				max_count = count;
			if (count < min_count)
				min_count = count;

			if (ops % 1000 == 0) {
				size_t m = 0;

				for (size_t j = 0; j < KEYS; j++)
					if (present[j])
						expect[m++] = j;
				assert_int_equal(m, count);
				assert_contents(&root, expect, m);
				assert_height_bound(&root, count);
				/* A subtree of black height b holds at least 2^b - 1 nodes. */
				assert_true(((size_t)1 << bh) - 1 <= count);
			}
		}
	}
	assert_true(ops >= 200000);
	/* The phases must really have driven the tree near both extremes. */
	assert_true(max_count > KEYS * 9 / 10);
	assert_true(min_count < KEYS / 10);
	assert_true(inserts > 50000 && erases > 50000);

	test_free(expect);
	test_free(present);
	test_free(nodes);
}

static void test_rbtree_erase_while_iterating(void **state)
{
	enum { N = 1000 };
	struct isim_rb_root root = ISIM_RB_ROOT_INIT;
	struct tnode *nodes = test_calloc(N, sizeof(*nodes));
	unsigned long expect[N];
	size_t m = 0;

	(void)state;
	build_tree(&root, nodes, N, 21);
	for (struct isim_rb_node *n = isim_rb_first(&root), *next; n; n = next) {
		next = isim_rb_next(n);
		if (key_of(n) % 3 == 0)
			tree_erase(&root, to_tnode(n));
	}
	assert_true(isim_rb_check(&root) >= 0);
	for (unsigned long k = 0; k < N; k++)
		if (k % 3 != 0)
			expect[m++] = k;
	assert_contents(&root, expect, m);
	test_free(nodes);
}

static void test_rbtree_postorder_visits_children_before_parents(void **state)
{
	enum { N = 2000 };
	struct isim_rb_root root = ISIM_RB_ROOT_INIT;
	struct tnode *nodes = test_calloc(N, sizeof(*nodes));
	bool *seen = test_calloc(N, sizeof(*seen));
	struct isim_rb_node *last = NULL;
	size_t visits = 0;

	(void)state;
	build_tree(&root, nodes, N, 31);
	for (struct isim_rb_node *n = isim_rb_first_postorder(&root); n;
	     n = isim_rb_next_postorder(n)) {
		assert_false(seen[key_of(n)]);
		if (n->left)
			assert_true(seen[key_of(n->left)]);
		if (n->right)
			assert_true(seen[key_of(n->right)]);
		seen[key_of(n)] = true;
		last = n;
		visits++;
	}
	assert_int_equal(visits, N);
	assert_ptr_equal(last, root.node);
	test_free(seen);
	test_free(nodes);
}

/* Tearing down a tree by freeing in post-order; cmocka's allocator flags any leak. */
static void test_rbtree_postorder_frees_every_node(void **state)
{
	enum { N = 1500 };
	struct isim_rb_root root = ISIM_RB_ROOT_INIT;
	struct iommusim_rng rng = test_rng(77);
	size_t inserted = 0, freed = 0;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		struct tnode *tn = test_malloc(sizeof(*tn));

		tn->key = (unsigned long)test_rng_below(&rng, 2 * N);
		if (tree_insert(&root, tn))
			inserted++;
		else
			test_free(tn);
	}
	for (struct isim_rb_node *n = isim_rb_first_postorder(&root), *next; n; n = next) {
		next = isim_rb_next_postorder(n);
		test_free(to_tnode(n));
		freed++;
	}
	root.node = NULL;
	assert_int_equal(freed, inserted);
}

/* Sorted input degrades an unbalanced tree to height n; here it must stay logarithmic. */
static void test_rbtree_height_bounded_for_sorted_inserts(void **state)
{
	enum { N = 100000, DENSE = 4096 };
	struct tnode *nodes = test_calloc(N, sizeof(*nodes));

	(void)state;
	for (int descending = 0; descending <= 1; descending++) {
		struct isim_rb_root root = ISIM_RB_ROOT_INIT;

		for (size_t i = 0; i < N; i++) {
			nodes[i].key = descending ? N - i : i;
			assert_true(tree_insert(&root, &nodes[i]));
			if (i < DENSE || (i & (i + 1)) == 0 || i == N - 1)
				assert_height_bound(&root, i + 1);
		}
		assert_true(isim_rb_check(&root) > 0);
		assert_int_equal(count_inorder(&root), N);
		/* Draining from one end is the matching worst case for erase. */
		for (size_t i = 0; i < N; i++) {
			isim_rb_erase(&root, isim_rb_first(&root));
			if ((i & 1023) == 0) {
				assert_true(isim_rb_check(&root) >= 0);
				assert_height_bound(&root, N - 1 - i);
			}
		}
		assert_null(root.node);
	}
	test_free(nodes);
}

static void test_rbtree_height_bounded_for_random_inserts(void **state)
{
	enum { N = 50000 };
	struct isim_rb_root root = ISIM_RB_ROOT_INIT;
	struct tnode *nodes = test_calloc(N, sizeof(*nodes));
	unsigned long *order = test_calloc(N, sizeof(*order));
	struct iommusim_rng rng = test_rng(0xbeef);
	int bh;

	(void)state;
	for (size_t i = 0; i < N; i++)
		order[i] = i;
	shuffle(order, N, &rng);
	for (size_t i = 0; i < N; i++) {
		nodes[i].key = order[i];
		assert_true(tree_insert(&root, &nodes[i]));
		if ((i & (i + 1)) == 0)
			assert_height_bound(&root, i + 1);
	}
	assert_height_bound(&root, N);
	bh = isim_rb_check(&root);
	assert_true(bh > 0);
	/* Every path has bh blacks and no two reds in a row, so height <= 2 * bh. */
	assert_true(height(root.node) <= 2u * (unsigned int)bh);
	test_free(order);
	test_free(nodes);
}

SUITE_MAIN(cmocka_unit_test(test_rbtree_empty_tree), cmocka_unit_test(test_rbtree_single_node),
	   cmocka_unit_test(test_rbtree_inorder_sorted_after_random_inserts),
	   cmocka_unit_test(test_rbtree_next_prev_of_first_last_return_null),
	   cmocka_unit_test(test_rbtree_erase_root), cmocka_unit_test(test_rbtree_erase_leaf),
	   cmocka_unit_test(test_rbtree_erase_node_with_two_children),
	   cmocka_unit_test(test_rbtree_erase_every_position),
	   cmocka_unit_test(test_rbtree_erase_all_in_random_order),
	   cmocka_unit_test(test_rbtree_random_ops_keep_tree_valid),
	   cmocka_unit_test(test_rbtree_erase_while_iterating),
	   cmocka_unit_test(test_rbtree_postorder_visits_children_before_parents),
	   cmocka_unit_test(test_rbtree_postorder_frees_every_node),
	   cmocka_unit_test(test_rbtree_height_bounded_for_sorted_inserts),
	   cmocka_unit_test(test_rbtree_height_bounded_for_random_inserts))
