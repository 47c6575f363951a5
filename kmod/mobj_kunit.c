// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for mobj: the heap and the cycle collector, driven directly
 * on a private heap, without the character device.
 *
 * An object made by mobj_obj_alloc() starts with one reference, which the
 * tests treat as a handle: dropping "the handle" is mobj_obj_put().
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "mobj.h"

struct mobj_test {
	struct mobj_dev mdev;
	struct mobj_quota *quota;
};

static struct mobj_test *mobj_test_heap(struct kunit *test)
{
	struct mobj_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	/* The quota outlives the test heap's objects: mobj_dev_destroy(). */
	t->quota = kzalloc(sizeof(*t->quota), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->quota);
	mobj_dev_init(&t->mdev);
	/* No automatic collection unless a test asks for it. */
	t->mdev.gen[0].threshold = 0;
	return t;
}

static void mobj_test_done(struct kunit *test, struct mobj_test *t)
{
	mutex_lock(&t->mdev.lock);
	t->quota->orphan = true;
	mobj_quota_put(t->quota);
	mutex_unlock(&t->mdev.lock);
	mobj_dev_destroy(&t->mdev);
}

/* A new object holding one reference for the test (its "handle"). */
static struct mobj_obj *mobj_test_new(struct kunit *test, struct mobj_test *t)
{
	struct mobj_obj *obj;

	lockdep_assert_held(&t->mdev.lock);

	obj = mobj_obj_alloc(0, NULL, 0);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_ASSERT_EQ(test, mobj_obj_insert(&t->mdev, obj, t->quota), 0);
	return obj;
}

static void mobj_test_link(struct kunit *test, struct mobj_test *t,
			   struct mobj_obj *from, struct mobj_obj *to)
{
	u32 index;

	KUNIT_ASSERT_EQ(test, mobj_slot_append(&t->mdev, from, to, &index), 0);
	KUNIT_EXPECT_EQ(test, index + 1, from->nslots);
}

/*
 * The heap's invariants: every refcount is at least its incoming slots,
 * reverse edges match forward edges, every object is on the list its gen
 * names, and the list counts add up to live_objects.
 */
static void mobj_test_check(struct kunit *test, struct mobj_test *t)
{
	struct mobj_dev *mdev = &t->mdev;
	unsigned long total = 0, n, in;
	struct mobj_obj *obj;
	struct mobj_ref *ref;
	unsigned int i;
	u32 s;

	for (i = 0; i < MOBJ_NR_LISTS; i++) {
		n = 0;
		list_for_each_entry(obj, &mdev->lists[i], gc_node) {
			KUNIT_EXPECT_EQ(test, (unsigned int)obj->gen, i);
			in = 0;
			list_for_each_entry(ref, &obj->referrers, backref) {
				KUNIT_EXPECT_PTR_EQ(test, ref->target, obj);
				in++;
			}
			KUNIT_EXPECT_GE(test, obj->refcount, in);
			for (s = 0; s < obj->nslots; s++)
				KUNIT_EXPECT_PTR_EQ(test, obj->slots[s].owner,
						    obj);
			n++;
		}
		KUNIT_EXPECT_EQ(test, n, mdev->list_count[i]);
		total += n;
	}
	KUNIT_EXPECT_EQ(test, total, mdev->live_objects);
}

/* mobj_heap: references and freeing */

static void mobj_heap_refcount(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_obj *a, *b;

	mutex_lock(&t->mdev.lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	KUNIT_EXPECT_EQ(test, a->refcount, 1UL);
	mobj_test_link(test, t, a, b);
	mobj_test_link(test, t, a, b);
	KUNIT_EXPECT_EQ(test, b->refcount, 3UL);
	KUNIT_EXPECT_EQ(test, mobj_slot_pop(&t->mdev, a, 0), 0);
	KUNIT_EXPECT_EQ(test, b->refcount, 2UL);
	KUNIT_EXPECT_EQ(test, mobj_slot_pop(&t->mdev, a, 1), -ERANGE);
	KUNIT_EXPECT_EQ(test, mobj_slot_set(&t->mdev, a, 0, a), 0);
	KUNIT_EXPECT_EQ(test, b->refcount, 1UL);
	KUNIT_EXPECT_EQ(test, a->refcount, 2UL);
	mobj_test_check(test, t);
	mobj_obj_put(&t->mdev, b);
	KUNIT_EXPECT_EQ(test, t->mdev.live_objects, 1UL);
	KUNIT_EXPECT_EQ(test, mobj_slot_pop(&t->mdev, a, 0), 0);
	mobj_obj_put(&t->mdev, a);
	KUNIT_EXPECT_EQ(test, t->mdev.live_objects, 0UL);
	mutex_unlock(&t->mdev.lock);
	mobj_test_done(test, t);
}

/* A chain freed by one put: iterative, no stack growth. */
static void mobj_heap_long_chain(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_obj *head, *prev, *obj;
	unsigned int i;

	mutex_lock(&t->mdev.lock);
	head = mobj_test_new(test, t);
	prev = head;
	for (i = 0; i < 100000; i++) {
		obj = mobj_test_new(test, t);
		mobj_test_link(test, t, prev, obj);
		if (prev != head)
			mobj_obj_put(&t->mdev, prev);
		prev = obj;
		cond_resched();
	}
	mobj_obj_put(&t->mdev, prev);
	KUNIT_EXPECT_EQ(test, t->mdev.live_objects, 100001UL);
	mobj_obj_put(&t->mdev, head);
	KUNIT_EXPECT_EQ(test, t->mdev.live_objects, 0UL);
	mutex_unlock(&t->mdev.lock);
	mobj_test_done(test, t);
}

/*
 * The kernel log lines between these two are an expected warning, which
 * scripts/dmesg-scan.sh does not count as a problem.
 */
#define MOBJ_KUNIT_WARN_BEGIN "mobj_kunit: expected WARNING begin\n"
#define MOBJ_KUNIT_WARN_END "mobj_kunit: expected WARNING end\n"

/*
 * A refcount that would overflow or go below zero saturates (the object is
 * never freed) and is reported: a WARNING the first time on a heap, and
 * refcount_errors in debugfs "stats" every time.
 */
static void mobj_heap_refcount_saturates(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_dev *mdev = &t->mdev;
	struct mobj_obj *a, *b;

	mutex_lock(&mdev->lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);

	a->refcount = MOBJ_REFCOUNT_MAX - 1;
	mobj_refcount_inc(mdev, a);
	KUNIT_EXPECT_EQ(test, a->refcount, MOBJ_REFCOUNT_MAX);
	KUNIT_EXPECT_EQ(test, mdev->refcount_errors, 0ULL);
	pr_info(MOBJ_KUNIT_WARN_BEGIN);
	mobj_refcount_inc(mdev, a);
	pr_info(MOBJ_KUNIT_WARN_END);
	KUNIT_EXPECT_EQ(test, a->refcount, MOBJ_REFCOUNT_SATURATED);
	KUNIT_EXPECT_EQ(test, mdev->refcount_errors, 1ULL);
	/* Saturated: it stays there, whatever happens next, and dies never. */
	mobj_refcount_inc(mdev, a);
	KUNIT_EXPECT_EQ(test, mobj_refcount_dec(mdev, a),
			MOBJ_REFCOUNT_SATURATED);
	KUNIT_EXPECT_EQ(test, a->refcount, MOBJ_REFCOUNT_SATURATED);
	KUNIT_EXPECT_EQ(test, mdev->refcount_errors, 1ULL);

	/* Below zero: reported (the heap warned once already) and saturated. */
	KUNIT_EXPECT_EQ(test, mobj_refcount_dec(mdev, b), 0UL);
	KUNIT_EXPECT_EQ(test, mobj_refcount_dec(mdev, b),
			MOBJ_REFCOUNT_SATURATED);
	KUNIT_EXPECT_EQ(test, mdev->refcount_errors, 2ULL);
	/* An increment of a dead object too. */
	b->refcount = 0;
	mobj_refcount_inc(mdev, b);
	KUNIT_EXPECT_EQ(test, b->refcount, MOBJ_REFCOUNT_SATURATED);
	KUNIT_EXPECT_EQ(test, mdev->refcount_errors, 3ULL);
	mutex_unlock(&mdev->lock);
	mobj_test_done(test, t);
}

/* Reverse edges survive slot array growth and shifting pops. */
static void mobj_heap_reverse_edges(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_obj *a, *b, *c;
	struct mobj_ref *ref;
	unsigned int i, n;

	mutex_lock(&t->mdev.lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	c = mobj_test_new(test, t);
	for (i = 0; i < 100; i++)
		mobj_test_link(test, t, a, i % 2 ? b : c);
	for (i = 0; i < 30; i++)
		KUNIT_ASSERT_EQ(test, mobj_slot_pop(&t->mdev, a, 7), 0);
	n = 0;
	list_for_each_entry(ref, &b->referrers, backref) {
		KUNIT_EXPECT_PTR_EQ(test, ref->owner, a);
		KUNIT_EXPECT_PTR_EQ(test, ref->target, b);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n + 1, b->refcount);
	KUNIT_EXPECT_EQ(test, a->nslots, 70U);
	mobj_test_check(test, t);
	mobj_obj_put(&t->mdev, b);
	mobj_obj_put(&t->mdev, c);
	mobj_obj_put(&t->mdev, a);
	KUNIT_EXPECT_EQ(test, t->mdev.live_objects, 0UL);
	mutex_unlock(&t->mdev.lock);
	mobj_test_done(test, t);
}

/* An object is tracked from its first slot; a slotless survivor is not. */
static void mobj_heap_tracking(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_obj *a, *b;

	mutex_lock(&t->mdev.lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN_UNTRACKED);
	mobj_test_link(test, t, a, b);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN0);
	KUNIT_EXPECT_EQ(test, b->gen, (u8)MOBJ_GEN_UNTRACKED);
	mobj_gc_collect(&t->mdev, 0, NULL);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN1);
	KUNIT_EXPECT_EQ(test, mobj_slot_pop(&t->mdev, a, 0), 0);
	mobj_gc_collect(&t->mdev, 1, NULL);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN_UNTRACKED);
	mobj_test_check(test, t);
	mobj_obj_put(&t->mdev, a);
	mobj_obj_put(&t->mdev, b);
	mutex_unlock(&t->mdev.lock);
	mobj_test_done(test, t);
}

/* Weak references see the death; watchers need a client, see selftests. */
static void mobj_heap_weak_observer(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_observer ob = { .kind = MOBJ_OBSERVER_WEAK };
	struct mobj_obj *a;

	mutex_lock(&t->mdev.lock);
	a = mobj_test_new(test, t);
	mobj_test_link(test, t, a, a);
	ob.obj = a;
	list_add(&ob.node, &a->observers);
	mobj_obj_put(&t->mdev, a);
	KUNIT_EXPECT_PTR_EQ(test, ob.obj, a);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->mdev, 2, NULL), 1UL);
	KUNIT_EXPECT_NULL(test, ob.obj);
	KUNIT_EXPECT_TRUE(test, list_empty(&ob.node));
	mutex_unlock(&t->mdev.lock);
	mobj_test_done(test, t);
}

static struct kunit_case mobj_heap_cases[] = {
	KUNIT_CASE(mobj_heap_refcount),
	KUNIT_CASE(mobj_heap_long_chain),
	KUNIT_CASE(mobj_heap_reverse_edges),
	KUNIT_CASE(mobj_heap_refcount_saturates),
	KUNIT_CASE(mobj_heap_tracking),
	KUNIT_CASE(mobj_heap_weak_observer),
	{}
};

static struct kunit_suite mobj_heap_suite = {
	.name = "mobj_heap",
	.test_cases = mobj_heap_cases,
};

/* mobj_gc_shapes: graph shapes, collected with every handle but @held gone */

#define MOBJ_SHAPE_MAX_EDGES 8

struct mobj_shape {
	const char *name;
	unsigned int nobjs;
	unsigned int nedges;
	u8 edges[MOBJ_SHAPE_MAX_EDGES][2];
	u32 held;		/* bitmask: objects whose handle is kept */
	unsigned long expect;	/* collected while @held is kept */
	unsigned long freed;	/* freed: also untracked ones only garbage held */
};

static const struct mobj_shape mobj_shapes[] = {
	{ "self-loop", 1, 1, { {0, 0} }, 0, 1, 1 },
	{ "two-cycle", 2, 2, { {0, 1}, {1, 0} }, 0, 2, 2 },
	{ "triangle", 3, 3, { {0, 1}, {1, 2}, {2, 0} }, 0, 3, 3 },
	{ "cycle-held-by-handle", 2, 2, { {0, 1}, {1, 0} }, BIT(1), 0, 0 },
	{ "cycle-held-by-outside-object", 3, 3,
	  { {0, 1}, {1, 0}, {2, 0} }, BIT(2), 0, 0 },
	{ "chain-off-cycle", 4, 4,
	  { {0, 1}, {1, 0}, {1, 2}, {2, 3} }, 0, 3, 4 },
	{ "chain-off-cycle-held-tail", 4, 4,
	  { {0, 1}, {1, 0}, {1, 2}, {2, 3} }, BIT(3), 3, 3 },
	{ "two-cycles-joined", 4, 5,
	  { {0, 1}, {1, 0}, {2, 3}, {3, 2}, {1, 2} }, 0, 4, 4 },
	{ "two-cycles-joined-second-held", 4, 5,
	  { {0, 1}, {1, 0}, {2, 3}, {3, 2}, {1, 2} }, BIT(3), 2, 2 },
	{ "nested-cycles", 3, 5,
	  { {0, 1}, {1, 2}, {2, 0}, {1, 0}, {2, 1} }, 0, 3, 3 },
	{ "backtrack-into-scc", 4, 5,
	  { {0, 1}, {1, 2}, {2, 0}, {2, 3}, {3, 1} }, 0, 4, 4 },
	{ "acyclic-held", 3, 2, { {0, 1}, {1, 2} }, BIT(0), 0, 0 },
};

static void mobj_shape_desc(const struct mobj_shape *shape, char *desc)
{
	strscpy(desc, shape->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(mobj_shape, mobj_shapes, mobj_shape_desc);

static void mobj_gc_shape(struct kunit *test)
{
	const struct mobj_shape *shape = test->param_value;
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_obj *objs[8];
	unsigned int i;

	mutex_lock(&t->mdev.lock);
	for (i = 0; i < shape->nobjs; i++)
		objs[i] = mobj_test_new(test, t);
	for (i = 0; i < shape->nedges; i++)
		mobj_test_link(test, t, objs[shape->edges[i][0]],
			       objs[shape->edges[i][1]]);
	for (i = 0; i < shape->nobjs; i++)
		if (!(shape->held & BIT(i)))
			mobj_obj_put(&t->mdev, objs[i]);

	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->mdev, 2, NULL),
			shape->expect);
	KUNIT_EXPECT_EQ(test, t->mdev.live_objects,
			shape->nobjs - shape->freed);
	mobj_test_check(test, t);

	/* Without the handles everything is garbage. */
	for (i = 0; i < shape->nobjs; i++)
		if (shape->held & BIT(i))
			mobj_obj_put(&t->mdev, objs[i]);
	mobj_gc_collect(&t->mdev, 2, NULL);
	KUNIT_EXPECT_EQ(test, t->mdev.live_objects, 0UL);
	mutex_unlock(&t->mdev.lock);
	mobj_test_done(test, t);
}

/* The same shapes, collected one unit of work per step. */
static void mobj_gc_shape_stepwise(struct kunit *test)
{
	const struct mobj_shape *shape = test->param_value;
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_obj *objs[8];
	unsigned int i, steps = 0;

	mutex_lock(&t->mdev.lock);
	for (i = 0; i < shape->nobjs; i++)
		objs[i] = mobj_test_new(test, t);
	for (i = 0; i < shape->nedges; i++)
		mobj_test_link(test, t, objs[shape->edges[i][0]],
			       objs[shape->edges[i][1]]);
	for (i = 0; i < shape->nobjs; i++)
		if (!(shape->held & BIT(i)))
			mobj_obj_put(&t->mdev, objs[i]);

	mobj_gc_cycle_begin(&t->mdev, 2);
	while (!mobj_gc_cycle_step(&t->mdev, 1))
		steps++;
	KUNIT_EXPECT_GT(test, steps, shape->nobjs);
	KUNIT_EXPECT_EQ(test, t->mdev.cycle.res.collected, shape->expect);
	KUNIT_EXPECT_EQ(test, t->mdev.live_objects,
			shape->nobjs - shape->freed);
	mobj_test_check(test, t);
	for (i = 0; i < shape->nobjs; i++)
		if (shape->held & BIT(i))
			mobj_obj_put(&t->mdev, objs[i]);
	mobj_gc_collect(&t->mdev, 2, NULL);
	KUNIT_EXPECT_EQ(test, t->mdev.live_objects, 0UL);
	mutex_unlock(&t->mdev.lock);
	mobj_test_done(test, t);
}

static struct kunit_case mobj_gc_shape_cases[] = {
	KUNIT_CASE_PARAM(mobj_gc_shape, mobj_shape_gen_params),
	KUNIT_CASE_PARAM(mobj_gc_shape_stepwise, mobj_shape_gen_params),
	{}
};

static struct kunit_suite mobj_gc_shape_suite = {
	.name = "mobj_gc_shapes",
	.test_cases = mobj_gc_shape_cases,
};

/* mobj_gc: generations, thresholds, freeze, save-all, the work item */

static void mobj_gc_big_ring(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_gc_collect res;
	struct mobj_obj *first, *prev, *obj;
	unsigned int i;

	mutex_lock(&t->mdev.lock);
	first = mobj_test_new(test, t);
	prev = first;
	for (i = 1; i < 100000; i++) {
		obj = mobj_test_new(test, t);
		mobj_test_link(test, t, prev, obj);
		if (prev != first)
			mobj_obj_put(&t->mdev, prev);
		prev = obj;
		cond_resched();
	}
	mobj_test_link(test, t, prev, first);
	mobj_obj_put(&t->mdev, prev);
	mobj_obj_put(&t->mdev, first);
	KUNIT_EXPECT_EQ(test, t->mdev.live_objects, 100000UL);
	mobj_gc_collect(&t->mdev, 2, &res);
	KUNIT_EXPECT_EQ(test, res.collected, 100000ULL);
	KUNIT_EXPECT_EQ(test, res.examined, 100000ULL);
	KUNIT_EXPECT_EQ(test, t->mdev.live_objects, 0UL);
	mutex_unlock(&t->mdev.lock);
	mobj_test_done(test, t);
}

/* Survivors move up one generation per collection, and stay in 2. */
static void mobj_gc_promotion(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_obj *a;

	mutex_lock(&t->mdev.lock);
	a = mobj_test_new(test, t);
	mobj_test_link(test, t, a, a);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN0);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->mdev, 0, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN1);
	/* A gen-0 collection does not look at generation 1. */
	mobj_obj_put(&t->mdev, a);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->mdev, 0, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, t->mdev.live_objects, 1UL);
	mobj_obj_get(&t->mdev, a);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->mdev, 1, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN2);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->mdev, 2, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN2);
	mobj_obj_put(&t->mdev, a);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->mdev, 1, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->mdev, 2, NULL), 1UL);
	mutex_unlock(&t->mdev.lock);
	mobj_test_done(test, t);
}

/* A young object referred to only from an older generation is alive. */
static void mobj_gc_old_to_young(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_obj *old, *young;

	mutex_lock(&t->mdev.lock);
	old = mobj_test_new(test, t);
	mobj_test_link(test, t, old, old);
	mobj_gc_collect(&t->mdev, 1, NULL);
	KUNIT_EXPECT_EQ(test, old->gen, (u8)MOBJ_GEN2);
	young = mobj_test_new(test, t);
	mobj_test_link(test, t, young, young);
	mobj_test_link(test, t, old, young);
	mobj_obj_put(&t->mdev, young);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->mdev, 0, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, t->mdev.live_objects, 2UL);
	mobj_obj_put(&t->mdev, old);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->mdev, 2, NULL), 2UL);
	mutex_unlock(&t->mdev.lock);
	mobj_test_done(test, t);
}

/* count[0] is allocations minus deallocations; collections reset it. */
static void mobj_gc_counts(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_dev *mdev = &t->mdev;
	struct mobj_obj *a, *b;

	mutex_lock(&mdev->lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	KUNIT_EXPECT_EQ(test, mdev->gen[0].count, 2UL);
	mobj_obj_put(mdev, b);
	KUNIT_EXPECT_EQ(test, mdev->gen[0].count, 1UL);
	mobj_gc_collect(mdev, 0, NULL);
	KUNIT_EXPECT_EQ(test, mdev->gen[0].count, 0UL);
	KUNIT_EXPECT_EQ(test, mdev->gen[1].count, 1UL);
	mobj_gc_collect(mdev, 1, NULL);
	KUNIT_EXPECT_EQ(test, mdev->gen[1].count, 0UL);
	KUNIT_EXPECT_EQ(test, mdev->gen[2].count, 1UL);
	KUNIT_EXPECT_EQ(test, mdev->gen[0].stats.collections, 1ULL);
	KUNIT_EXPECT_EQ(test, mdev->gen[1].stats.collections, 1ULL);
	mobj_obj_put(mdev, a);
	KUNIT_EXPECT_EQ(test, mdev->gen[0].count, 0UL);
	mutex_unlock(&mdev->lock);
	mobj_test_done(test, t);
}

/* Generation 1 is collected after threshold[1] generation-0 collections. */
static void mobj_gc_thresholds(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_dev *mdev = &t->mdev;
	struct mobj_obj *a;
	unsigned int i;

	mutex_lock(&mdev->lock);
	mdev->gen[0].threshold = 1;
	mdev->gen[1].threshold = 3;
	a = mobj_test_new(test, t);
	mobj_test_link(test, t, a, a);
	mobj_gc_collect(mdev, 0, NULL);		/* a is now in gen 1 */
	mobj_obj_put(mdev, a);
	for (i = 0; i < 3; i++) {
		mdev->gen[0].count = 2;
		mobj_gc_collect_generations(mdev, false);
		KUNIT_EXPECT_EQ(test, mdev->live_objects, 1UL);
	}
	KUNIT_EXPECT_EQ(test, mdev->gen[1].count, 4UL);
	mdev->gen[0].count = 2;
	mobj_gc_collect_generations(mdev, false);
	KUNIT_EXPECT_EQ(test, mdev->live_objects, 0UL);
	KUNIT_EXPECT_EQ(test, mdev->gen[1].stats.collections, 1ULL);
	KUNIT_EXPECT_EQ(test, mdev->gen[1].stats.collected, 1ULL);
	mutex_unlock(&mdev->lock);
	mobj_test_done(test, t);
}

/* A full collection waits until pending > 25% of the long-lived total. */
static void mobj_gc_long_lived(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_dev *mdev = &t->mdev;

	mutex_lock(&mdev->lock);
	mdev->long_lived_total = 100;
	mdev->long_lived_pending = 10;
	mdev->gen[2].count = mdev->gen[2].threshold + 1;
	mdev->gen[0].count = mdev->gen[0].threshold + 1;
	mobj_gc_collect_generations(mdev, false);
	KUNIT_EXPECT_EQ(test, mdev->gen[2].stats.collections, 0ULL);
	KUNIT_EXPECT_EQ(test, mdev->gen[0].stats.collections, 1ULL);
	mdev->long_lived_pending = 26;
	mobj_gc_collect_generations(mdev, false);
	KUNIT_EXPECT_EQ(test, mdev->gen[2].stats.collections, 1ULL);
	KUNIT_EXPECT_EQ(test, mdev->long_lived_pending, 0UL);
	KUNIT_EXPECT_EQ(test, mdev->long_lived_total, 0UL);
	mutex_unlock(&mdev->lock);
	mobj_test_done(test, t);
}

static void mobj_gc_freeze_test(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_dev *mdev = &t->mdev;
	struct mobj_obj *a;

	mutex_lock(&mdev->lock);
	a = mobj_test_new(test, t);
	mobj_test_link(test, t, a, a);
	mobj_obj_put(mdev, a);
	KUNIT_EXPECT_EQ(test, mobj_gc_freeze(mdev), 1UL);
	KUNIT_EXPECT_EQ(test, mdev->list_count[MOBJ_GEN_PERMANENT], 1UL);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(mdev, 2, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, mobj_gc_unfreeze(mdev), 1UL);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN2);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(mdev, 2, NULL), 1UL);
	mutex_unlock(&mdev->lock);
	mobj_test_done(test, t);
}

static void mobj_gc_saveall(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_dev *mdev = &t->mdev;
	struct mobj_obj *a, *b, *c;

	mutex_lock(&mdev->lock);
	mdev->gc_debug = MOBJ_GC_DEBUG_SAVEALL;
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	c = mobj_test_new(test, t);
	mobj_test_link(test, t, a, b);
	mobj_test_link(test, t, b, a);
	mobj_test_link(test, t, c, c);
	mobj_obj_put(mdev, a);
	mobj_obj_put(mdev, b);
	mobj_obj_put(mdev, c);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(mdev, 2, NULL), 3UL);
	KUNIT_EXPECT_EQ(test, mdev->live_objects, 3UL);
	KUNIT_EXPECT_EQ(test, mdev->list_count[MOBJ_GEN_GARBAGE], 3UL);
	KUNIT_EXPECT_EQ(test, a->refcount, 2UL);
	mobj_test_check(test, t);
	/* Someone took a handle to c: clearing keeps it, frees a and b. */
	mobj_obj_get(mdev, c);
	mobj_gc_garbage_clear(mdev);
	KUNIT_EXPECT_EQ(test, mdev->live_objects, 1UL);
	KUNIT_EXPECT_EQ(test, c->gen, (u8)MOBJ_GEN2);
	mobj_obj_put(mdev, c);
	mdev->gc_debug = 0;
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(mdev, 2, NULL), 1UL);
	mutex_unlock(&mdev->lock);
	mobj_test_done(test, t);
}

/* Garbage's references to objects outside the set are normal puts. */
static void mobj_gc_garbage_frees_untracked(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_dev *mdev = &t->mdev;
	struct mobj_obj *a, *leaf;

	mutex_lock(&mdev->lock);
	a = mobj_test_new(test, t);
	leaf = mobj_test_new(test, t);
	mobj_test_link(test, t, a, a);
	mobj_test_link(test, t, a, leaf);
	mobj_obj_put(mdev, leaf);
	mobj_obj_put(mdev, a);
	KUNIT_EXPECT_EQ(test, leaf->gen, (u8)MOBJ_GEN_UNTRACKED);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(mdev, 0, NULL), 1UL);
	KUNIT_EXPECT_EQ(test, mdev->live_objects, 0UL);
	mutex_unlock(&mdev->lock);
	mobj_test_done(test, t);
}

/* Crossing threshold[0] queues the work item, which collects. */
static void mobj_gc_automatic(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_dev *mdev = &t->mdev;
	struct mobj_obj *a;
	unsigned int i;

	mutex_lock(&mdev->lock);
	mdev->gen[0].threshold = 10;
	for (i = 0; i < 6; i++) {
		a = mobj_test_new(test, t);
		mobj_test_link(test, t, a, a);
		mobj_obj_put(mdev, a);
	}
	mutex_unlock(&mdev->lock);
	flush_work(&mdev->gc_work);
	KUNIT_EXPECT_EQ(test, mdev->gen[0].stats.collections, 0ULL);

	mutex_lock(&mdev->lock);
	for (i = 0; i < 6; i++) {
		a = mobj_test_new(test, t);
		mobj_test_link(test, t, a, a);
		mobj_obj_put(mdev, a);
	}
	mutex_unlock(&mdev->lock);
	flush_work(&mdev->gc_work);

	mutex_lock(&mdev->lock);
	KUNIT_EXPECT_EQ(test, mdev->gen[0].stats.collections, 1ULL);
	KUNIT_EXPECT_EQ(test, mdev->gen[0].stats.collected, 12ULL);
	KUNIT_EXPECT_EQ(test, mdev->live_objects, 0UL);
	mutex_unlock(&mdev->lock);
	mobj_test_done(test, t);
}

/*
 * Objects changed while a collection examines them are live for it, and
 * collected by the next one; what was not changed is collected as usual.
 */
static void mobj_gc_incremental_touch(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_dev *mdev = &t->mdev;
	struct mobj_obj *o[6];
	unsigned int i;

	mutex_lock(&mdev->lock);
	for (i = 0; i < 6; i++)
		o[i] = mobj_test_new(test, t);
	for (i = 0; i < 6; i += 2) {
		mobj_test_link(test, t, o[i], o[i + 1]);
		mobj_test_link(test, t, o[i + 1], o[i]);
	}
	/* o0-o1 and o4-o5 are garbage; o2 keeps its handle for now. */
	for (i = 0; i < 6; i++)
		if (i != 2)
			mobj_obj_put(mdev, o[i]);

	mobj_gc_cycle_begin(mdev, 2);
	for (i = 0; i < 20; i++)
		KUNIT_ASSERT_FALSE(test, mobj_gc_cycle_step(mdev, 1));
	/* Six objects taken, subtracted, partitioned: now propagating. */
	KUNIT_EXPECT_EQ(test, mdev->cycle.phase,
			(unsigned int)MOBJ_GC_PHASE_PROPAGATE);
	KUNIT_EXPECT_EQ(test, o[0]->gc_state, (u8)MOBJ_GC_UNREACHABLE);
	/* A new reference to o0 (a weak reference resolved, say)... */
	mobj_obj_get(mdev, o[0]);
	/* ...and o2's handle closed: neither pair is collected this time. */
	mobj_obj_put(mdev, o[2]);
	while (!mobj_gc_cycle_step(mdev, 1))
		;
	KUNIT_EXPECT_EQ(test, mdev->cycle.res.collected, 2ULL);
	KUNIT_EXPECT_EQ(test, mdev->live_objects, 4UL);
	mobj_test_check(test, t);

	mobj_obj_put(mdev, o[0]);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(mdev, 2, NULL), 4UL);
	KUNIT_EXPECT_EQ(test, mdev->live_objects, 0UL);
	mutex_unlock(&mdev->lock);
	mobj_test_done(test, t);
}

/*
 * Touched after the partition pass moved it to the garbage: it goes back
 * to the tail of the reachable list, where the same pass meets it again
 * and must leave it reachable.
 */
static void mobj_gc_incremental_touch_partition(struct kunit *test)
{
	struct mobj_test *t = mobj_test_heap(test);
	struct mobj_dev *mdev = &t->mdev;
	struct mobj_obj *a, *b;

	mutex_lock(&mdev->lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	mobj_test_link(test, t, a, b);
	mobj_test_link(test, t, b, a);
	mobj_obj_put(mdev, a);
	mobj_obj_put(mdev, b);

	mobj_gc_cycle_begin(mdev, 2);
	while (a->gc_state != MOBJ_GC_UNREACHABLE)
		KUNIT_ASSERT_FALSE(test, mobj_gc_cycle_step(mdev, 1));
	KUNIT_EXPECT_EQ(test, mdev->cycle.phase,
			(unsigned int)MOBJ_GC_PHASE_PARTITION);
	mobj_obj_get(mdev, a);
	KUNIT_EXPECT_EQ(test, a->gc_state, (u8)MOBJ_GC_REACHABLE);
	while (!mobj_gc_cycle_step(mdev, 1))
		;
	KUNIT_EXPECT_EQ(test, mdev->cycle.res.collected, 0ULL);
	KUNIT_EXPECT_EQ(test, mdev->live_objects, 2UL);
	mobj_test_check(test, t);

	mobj_obj_put(mdev, a);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(mdev, 2, NULL), 2UL);
	mutex_unlock(&mdev->lock);
	mobj_test_done(test, t);
}

static struct kunit_case mobj_gc_cases[] = {
	KUNIT_CASE(mobj_gc_incremental_touch),
	KUNIT_CASE(mobj_gc_incremental_touch_partition),
	KUNIT_CASE(mobj_gc_big_ring),
	KUNIT_CASE(mobj_gc_promotion),
	KUNIT_CASE(mobj_gc_old_to_young),
	KUNIT_CASE(mobj_gc_counts),
	KUNIT_CASE(mobj_gc_thresholds),
	KUNIT_CASE(mobj_gc_long_lived),
	KUNIT_CASE(mobj_gc_freeze_test),
	KUNIT_CASE(mobj_gc_saveall),
	KUNIT_CASE(mobj_gc_garbage_frees_untracked),
	KUNIT_CASE(mobj_gc_automatic),
	{}
};

static struct kunit_suite mobj_gc_suite = {
	.name = "mobj_gc",
	.test_cases = mobj_gc_cases,
};

kunit_test_suites(&mobj_heap_suite, &mobj_gc_shape_suite, &mobj_gc_suite);

MODULE_DESCRIPTION("KUnit tests for mobj");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
