/*
 * Red-black tree rebalancing, ordered traversal and a structural checker for tests.
 *
 * Invariants kept by every public operation:
 *   - the root is black;
 *   - a red node has no red child;
 *   - every path from a node down to a missing child passes the same number of black nodes.
 * Together they bound the height by 2 * log2(n + 1), so every walk below is O(log n).
 */
#include "rbtree.h"

#define RB_RED	 ((uintptr_t)0)
#define RB_BLACK ((uintptr_t)1)

/*
 * A valid tree of n nodes is at most 2 * log2(n + 1) deep, and n cannot reach 2^64, so a walk
 * that goes deeper than this has found a cycle or a corrupt link, not a tall tree.
 */
#define RB_CHECK_MAX_DEPTH 130

_Static_assert(_Alignof(struct isim_rb_node) >= 2, "bit 0 of a node address must be free");

static inline struct isim_rb_node *rb_parent(const struct isim_rb_node *n)
{
	return isim_rb_parent(n);
}

static inline uintptr_t rb_color(const struct isim_rb_node *n)
{
	return n->parent_color & RB_BLACK;
}

/* Missing children count as black, which lets the fixups treat them like real leaves. */
static inline bool rb_is_red(const struct isim_rb_node *n)
{
	return n && !(n->parent_color & RB_BLACK);
}

static inline bool rb_is_black(const struct isim_rb_node *n)
{
	return !n || (n->parent_color & RB_BLACK);
}

static inline void rb_set_black(struct isim_rb_node *n)
{
	n->parent_color |= RB_BLACK;
}

static inline void rb_set_red(struct isim_rb_node *n)
{
	n->parent_color &= ~RB_BLACK;
}

static inline void rb_set_parent(struct isim_rb_node *n, struct isim_rb_node *parent)
{
	n->parent_color = (uintptr_t)parent | rb_color(n);
}

static inline void rb_set_parent_color(struct isim_rb_node *n, struct isim_rb_node *parent,
				       uintptr_t color)
{
	n->parent_color = (uintptr_t)parent | color;
}

/* Repoint whichever link referred to old (a child slot of parent, or the root) at new. */
static inline void rb_replace_child(struct isim_rb_root *root, struct isim_rb_node *parent,
				    struct isim_rb_node *old, struct isim_rb_node *new)
{
	if (!parent)
		root->node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/* Lift x's right child into x's place; every node keeps its own colour. */
static inline void rb_rotate_left(struct isim_rb_root *root, struct isim_rb_node *x)
{
	struct isim_rb_node *y = x->right;
	struct isim_rb_node *parent = rb_parent(x);
	struct isim_rb_node *inner = y->left;

	x->right = inner;
	if (inner)
		rb_set_parent(inner, x);
	y->left = x;
	rb_set_parent(y, parent);
	rb_set_parent(x, y);
	rb_replace_child(root, parent, x, y);
}

/* Mirror image of rb_rotate_left. */
static inline void rb_rotate_right(struct isim_rb_root *root, struct isim_rb_node *x)
{
	struct isim_rb_node *y = x->left;
	struct isim_rb_node *parent = rb_parent(x);
	struct isim_rb_node *inner = y->right;

	x->left = inner;
	if (inner)
		rb_set_parent(inner, x);
	y->right = x;
	rb_set_parent(y, parent);
	rb_set_parent(x, y);
	rb_replace_child(root, parent, x, y);
}

void isim_rb_insert_fixup(struct isim_rb_root *root, struct isim_rb_node *node)
{
	for (;;) {
		struct isim_rb_node *parent = rb_parent(node);
		struct isim_rb_node *gparent, *uncle;

		/* Recolouring may have pushed the red all the way up; a root is always black. */
		if (!parent) {
			rb_set_black(node);
			return;
		}
		/* The common case: a red node under a black parent breaks nothing. */
		if (rb_color(parent) == RB_BLACK)
			return;
		/* A red parent is never the root, so the grandparent exists and is black. */
		gparent = rb_parent(parent);

		if (parent == gparent->left) {
			uncle = gparent->right;
			if (rb_is_red(uncle)) {
				/*
				 * Pushing the grandparent's black down to both children keeps every
				 * path's count, but may leave the grandparent clashing with its own
				 * parent, so carry on from there.
				 */
				rb_set_black(parent);
				rb_set_black(uncle);
				rb_set_red(gparent);
				node = gparent;
				continue;
			}
			/*
			 * With a black uncle a rotation is needed. An inner grandchild first has to
			 * become an outer one so that the single rotation below moves the red pair
			 * apart instead of just swinging it to the other side.
			 */
			if (node == parent->right) {
				rb_rotate_left(root, parent);
				parent = node;
			}
			rb_rotate_right(root, gparent);
		} else {
			uncle = gparent->left;
			if (rb_is_red(uncle)) {
				rb_set_black(parent);
				rb_set_black(uncle);
				rb_set_red(gparent);
				node = gparent;
				continue;
			}
			if (node == parent->left) {
				rb_rotate_right(root, parent);
				parent = node;
			}
			rb_rotate_left(root, gparent);
		}
		/* parent now heads the subtree gparent used to, so it inherits the black. */
		rb_set_black(parent);
		rb_set_red(gparent);
		return;
	}
}

/*
 * One black node has been removed from the paths that now run through x (possibly a missing
 * child, hence the separate parent). Restore the count either by finding a red node to
 * blacken or by borrowing black from the sibling's side.
 */
static void rb_erase_fixup(struct isim_rb_root *root, struct isim_rb_node *x,
			   struct isim_rb_node *parent)
{
	struct isim_rb_node *sib;

	while (x != root->node && rb_is_black(x)) {
		/*
		 * x's side is one black short of the sibling's, and x's side must still have a
		 * black height of at least zero, so the sibling has black height >= 1 and exists.
		 */
		if (x == parent->left) {
			sib = parent->right;
			if (rb_is_red(sib)) {
				/* Turn the red sibling case into one with a black sibling. */
				rb_set_black(sib);
				rb_set_red(parent);
				rb_rotate_left(root, parent);
				sib = parent->right;
			}
			if (rb_is_black(sib->left) && rb_is_black(sib->right)) {
				/*
				 * Nothing red to borrow on the sibling's side: even the two
				 * sides out by reddening the sibling and push the shortfall up.
				 */
				rb_set_red(sib);
				x = parent;
				parent = rb_parent(x);
				continue;
			}
			if (rb_is_black(sib->right)) {
				/* The rotation below needs the red nephew on the outside. */
				rb_set_black(sib->left);
				rb_set_red(sib);
				rb_rotate_right(root, sib);
				sib = parent->right;
			}
			/*
			 * The sibling takes parent's place and colour; parent goes black over x,
			 * which supplies the missing black, and the outer nephew goes black to
			 * replace the black the sibling took away from its own side.
			 */
			rb_set_parent_color(sib, rb_parent(sib), rb_color(parent));
			rb_set_black(parent);
			rb_set_black(sib->right);
			rb_rotate_left(root, parent);
			return;
		} else {
			sib = parent->left;
			if (rb_is_red(sib)) {
				rb_set_black(sib);
				rb_set_red(parent);
				rb_rotate_right(root, parent);
				sib = parent->left;
			}
			if (rb_is_black(sib->left) && rb_is_black(sib->right)) {
				rb_set_red(sib);
				x = parent;
				parent = rb_parent(x);
				continue;
			}
			if (rb_is_black(sib->left)) {
				rb_set_black(sib->right);
				rb_set_red(sib);
				rb_rotate_left(root, sib);
				sib = parent->left;
			}
			rb_set_parent_color(sib, rb_parent(sib), rb_color(parent));
			rb_set_black(parent);
			rb_set_black(sib->left);
			rb_rotate_right(root, parent);
			return;
		}
	}
	/* A red x (or the root) can absorb the missing black by itself. */
	if (x)
		rb_set_black(x);
}

void isim_rb_erase(struct isim_rb_root *root, struct isim_rb_node *node)
{
	struct isim_rb_node *child, *parent;
	uintptr_t removed_color;

	if (!node->left || !node->right) {
		/* At most one child: it simply moves up into node's place. */
		child = node->left ? node->left : node->right;
		parent = rb_parent(node);
		removed_color = rb_color(node);
		if (child)
			rb_set_parent(child, parent);
		rb_replace_child(root, parent, node, child);
	} else {
		/*
		 * Two children: the in-order successor (which has no left child) takes node's
		 * position and colour, so the structural loss happens at the successor's old spot.
		 */
		struct isim_rb_node *succ = node->right;
		struct isim_rb_node *node_parent = rb_parent(node);

		while (succ->left)
			succ = succ->left;
		removed_color = rb_color(succ);
		child = succ->right;
		if (succ == node->right) {
			parent = succ;
		} else {
			parent = rb_parent(succ);
			parent->left = child;
			if (child)
				rb_set_parent(child, parent);
			succ->right = node->right;
			rb_set_parent(node->right, succ);
		}
		succ->left = node->left;
		rb_set_parent(node->left, succ);
		succ->parent_color = node->parent_color;
		rb_replace_child(root, node_parent, node, succ);
	}

	if (removed_color == RB_BLACK)
		rb_erase_fixup(root, child, parent);
}

struct isim_rb_node *isim_rb_first(const struct isim_rb_root *root)
{
	struct isim_rb_node *n = root->node;

	if (!n)
		return NULL;
	while (n->left)
		n = n->left;
	return n;
}

struct isim_rb_node *isim_rb_last(const struct isim_rb_root *root)
{
	struct isim_rb_node *n = root->node;

	if (!n)
		return NULL;
	while (n->right)
		n = n->right;
	return n;
}

/*
 * Each edge of the tree is crossed at most twice during a full walk, which is what makes a
 * sequence of next (or prev) calls O(1) amortised.
 */
struct isim_rb_node *isim_rb_next(const struct isim_rb_node *node)
{
	struct isim_rb_node *n, *parent;

	if (node->right) {
		n = node->right;
		while (n->left)
			n = n->left;
		return n;
	}
	/* Climb until we come up out of a left subtree: that ancestor is the successor. */
	while ((parent = rb_parent(node)) && node == parent->right)
		node = parent;
	return parent;
}

struct isim_rb_node *isim_rb_prev(const struct isim_rb_node *node)
{
	struct isim_rb_node *n, *parent;

	if (node->left) {
		n = node->left;
		while (n->right)
			n = n->right;
		return n;
	}
	while ((parent = rb_parent(node)) && node == parent->left)
		node = parent;
	return parent;
}

/* Deepest node reached by preferring left, i.e. the first node of n's subtree in post-order. */
static struct isim_rb_node *rb_first_postorder_below(struct isim_rb_node *n)
{
	for (;;) {
		if (n->left)
			n = n->left;
		else if (n->right)
			n = n->right;
		else
			return n;
	}
}

struct isim_rb_node *isim_rb_first_postorder(const struct isim_rb_root *root)
{
	if (!root->node)
		return NULL;
	return rb_first_postorder_below(root->node);
}

/*
 * Only node's parent and that parent's child links are read, never anything below node, so the
 * caller may already have freed node's children.
 */
struct isim_rb_node *isim_rb_next_postorder(const struct isim_rb_node *node)
{
	struct isim_rb_node *parent = rb_parent(node);

	if (!parent)
		return NULL;
	if (node == parent->left && parent->right)
		return rb_first_postorder_below(parent->right);
	return parent;
}

static int rb_check_subtree(const struct isim_rb_node *n, const struct isim_rb_node *parent,
			    unsigned int depth)
{
	int left_bh, right_bh;

	if (!n)
		return 0;
	if (depth > RB_CHECK_MAX_DEPTH || rb_parent(n) != parent)
		return -1;
	/* Parent pointers are unique, so the only way to share a node is through both slots. */
	if (n->left && n->left == n->right)
		return -1;
	if (rb_is_red(n) && (rb_is_red(n->left) || rb_is_red(n->right)))
		return -1;
	left_bh = rb_check_subtree(n->left, n, depth + 1);
	if (left_bh < 0)
		return -1;
	right_bh = rb_check_subtree(n->right, n, depth + 1);
	if (right_bh != left_bh)
		return -1;
	return left_bh + (int)rb_color(n);
}

int isim_rb_check(const struct isim_rb_root *root)
{
	if (rb_is_red(root->node))
		return -1;
	return rb_check_subtree(root->node, NULL, 0);
}
