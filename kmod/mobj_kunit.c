// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for mobj: the heap and the cycle collector, driven directly
 * on a private heap, without the character device.
 *
 * Each case gets a private heap from its suite's .init (test->priv), freed
 * by .exit.  An object made by mobj_test_new() starts with one reference,
 * which the tests treat as a handle and count in mobj_test.held:
 * mobj_test_get() and mobj_test_put() take and drop more.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "mobj_ioctl.h"

/**
 * struct mobj_test - a test's private heap (test->priv)
 * @heap: the heap
 * @quota: what its objects are charged to
 * @held: object id -> references the test holds (xa_mk_value), its
 *	"handles"; the consistency checker counts them
 */
struct mobj_test {
	struct mobj_heap heap;
	struct mobj_quota *quota;
	struct xarray held;
};

/*
 * Never assert with the big lock held: a failed assertion ends the test's
 * thread, and the lock would stay taken by a task that is gone.
 */
#define MOBJ_ASSERT_LOCKED(test, t, cond)				\
	do {								\
		if (!(cond)) {						\
			mutex_unlock(&(t)->heap.lock);			\
			KUNIT_ASSERT_TRUE_MSG(test, false,		\
					      "%s, with the big lock held", \
					      #cond);			\
		}							\
	} while (0)

/* Every suite's .init: a private heap, without automatic collection. */
static int mobj_test_init(struct kunit *test)
{
	struct mobj_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	mobj_heap_init(&t->heap);
	/* The quota outlives the test heap's objects: mobj_heap_destroy(). */
	t->quota = mobj_quota_alloc(&t->heap);
	if (IS_ERR(t->quota)) {
		mobj_heap_destroy(&t->heap);
		return PTR_ERR(t->quota);
	}
	t->heap.gen[0].threshold = 0;
	xa_init(&t->held);
	test->priv = t;
	return 0;
}

/* Every suite's .exit: whatever the test left is freed with the heap. */
static void mobj_test_exit(struct kunit *test)
{
	struct mobj_test *t = test->priv;

	/* .init failed: KUnit calls .exit all the same. */
	if (!t)
		return;
	mutex_lock(&t->heap.lock);
	t->quota->orphan = true;
	mobj_quota_put(&t->heap, t->quota);
	mutex_unlock(&t->heap.lock);
	mobj_heap_destroy(&t->heap);
	xa_destroy(&t->held);
}

/* Count one more or one fewer reference held by the test. */
static bool mobj_test_hold(struct mobj_test *t, u64 id, long delta)
{
	unsigned long n = xa_to_value(xa_load(&t->held, id) ?:
				      xa_mk_value(0));

	if (delta < 0 && !n)
		return false;
	n += delta;
	if (!n) {
		xa_erase(&t->held, id);
		return true;
	}
	return !xa_is_err(xa_store(&t->held, id, xa_mk_value(n),
				   GFP_KERNEL));
}

/* A new object holding one reference for the test (its "handle"). */
static struct mobj_obj *mobj_test_new(struct kunit *test, struct mobj_test *t)
{
	struct mobj_obj *obj;

	lockdep_assert_held(&t->heap.lock);

	obj = mobj_obj_alloc(NULL, 0, NULL, 0);
	MOBJ_ASSERT_LOCKED(test, t, obj);
	MOBJ_ASSERT_LOCKED(test, t,
			   !mobj_obj_insert(&t->heap, obj, t->quota));
	MOBJ_ASSERT_LOCKED(test, t, mobj_test_hold(t, obj->id, 1));
	return obj;
}

/* The test takes one more reference to @obj. */
static void mobj_test_get(struct kunit *test, struct mobj_test *t,
			  struct mobj_obj *obj)
{
	lockdep_assert_held(&t->heap.lock);

	MOBJ_ASSERT_LOCKED(test, t, mobj_test_hold(t, obj->id, 1));
	mobj_obj_get(&t->heap, obj);
}

/*
 * The test drops one of its references ("closes a handle"), and what dies
 * of it is released before it goes on, as by the ioctl's unlock.
 */
static void mobj_test_put(struct kunit *test, struct mobj_test *t,
			  struct mobj_obj *obj)
{
	lockdep_assert_held(&t->heap.lock);

	MOBJ_ASSERT_LOCKED(test, t, mobj_test_hold(t, obj->id, -1));
	mobj_obj_put(&t->heap, obj);
	mobj_heap_drain_locked(&t->heap);
}

static void mobj_test_link(struct kunit *test, struct mobj_test *t,
			   struct mobj_obj *from, struct mobj_obj *to)
{
	u32 index;

	MOBJ_ASSERT_LOCKED(test, t,
			   !mobj_slot_append(&t->heap, NULL, from, to, &index));
	KUNIT_EXPECT_EQ(test, index + 1, from->nslots);
}

struct mobj_test_check {
	struct mobj_check chk;
	struct kunit *test;
	struct mobj_test *t;
};

static void mobj_test_check_report(struct mobj_check *chk, const char *msg)
{
	struct mobj_test_check *tc = container_of(chk, struct mobj_test_check,
						  chk);

	KUNIT_FAIL(tc->test, "heap check: %s", msg);
}

static void mobj_test_check_held(struct mobj_check *chk, struct mobj_heap *heap)
{
	struct mobj_test_check *tc = container_of(chk, struct mobj_test_check,
						  chk);
	struct mobj_obj *obj;
	unsigned long id;
	void *entry;

	xa_for_each(&tc->t->held, id, entry) {
		obj = xa_load(&heap->objects, id);
		if (obj)
			obj->gc_refs += xa_to_value(entry);
		else
			KUNIT_FAIL(tc->test, "the test holds dead object %lu",
				   id);
	}
}

/*
 * The heap's invariants, by the checker debugfs "check" runs: every
 * refcount is exactly the references found (the test's, slots, the
 * garbage list), reverse edges match slots, lists and counters agree.
 */
static void mobj_test_check(struct kunit *test, struct mobj_test *t)
{
	struct mobj_test_check tc = {
		.chk.report = mobj_test_check_report,
		.chk.held = mobj_test_check_held,
		.test = test,
		.t = t,
	};

	lockdep_assert_held(&t->heap.lock);

	KUNIT_EXPECT_EQ(test, mobj_heap_check(&t->heap, &tc.chk), 0UL);
}

/* mobj_heap: references and freeing */

static void mobj_heap_refcount(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_obj *a, *b;

	mutex_lock(&t->heap.lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	KUNIT_EXPECT_EQ(test, a->refcount, 1UL);
	mobj_test_link(test, t, a, b);
	mobj_test_link(test, t, a, b);
	KUNIT_EXPECT_EQ(test, b->refcount, 3UL);
	KUNIT_EXPECT_EQ(test, mobj_slot_pop(&t->heap, a, 0), 0);
	KUNIT_EXPECT_EQ(test, b->refcount, 2UL);
	KUNIT_EXPECT_EQ(test, mobj_slot_pop(&t->heap, a, 1), -ERANGE);
	KUNIT_EXPECT_EQ(test, mobj_slot_set(&t->heap, a, 0, a), 0);
	KUNIT_EXPECT_EQ(test, b->refcount, 1UL);
	KUNIT_EXPECT_EQ(test, a->refcount, 2UL);
	mobj_test_check(test, t);
	mobj_test_put(test, t, b);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 1UL);
	KUNIT_EXPECT_EQ(test, mobj_slot_pop(&t->heap, a, 0), 0);
	mobj_test_put(test, t, a);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 0UL);
	mutex_unlock(&t->heap.lock);
}

/* A chain freed by one put: iterative, no stack growth. */
static void mobj_heap_long_chain(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_obj *head, *prev, *obj;
	unsigned int i;

	mutex_lock(&t->heap.lock);
	head = mobj_test_new(test, t);
	prev = head;
	for (i = 0; i < 100000; i++) {
		obj = mobj_test_new(test, t);
		mobj_test_link(test, t, prev, obj);
		if (prev != head)
			mobj_test_put(test, t, prev);
		prev = obj;
		cond_resched();
	}
	mobj_test_put(test, t, prev);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 100001UL);
	mobj_test_put(test, t, head);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 0UL);
	mutex_unlock(&t->heap.lock);
}

/*
 * A death releases what the object held in steps: each object of a chain
 * dies when its own count reaches zero, and the heap is consistent between
 * two steps.
 */
static void mobj_heap_death_in_steps(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_obj *head, *prev, *obj;
	const unsigned long n = 1000;
	LIST_HEAD(reap);
	unsigned int i;
	long budget;

	mutex_lock(&t->heap.lock);
	head = mobj_test_new(test, t);
	prev = head;
	for (i = 0; i < n; i++) {
		obj = mobj_test_new(test, t);
		mobj_test_link(test, t, prev, obj);
		if (prev != head)
			mobj_test_put(test, t, prev);
		prev = obj;
	}
	/* The test keeps the tail; the head goes without a drain. */
	MOBJ_ASSERT_LOCKED(test, t, mobj_test_hold(t, head->id, -1));
	mobj_obj_put(&t->heap, head);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, n);
	KUNIT_EXPECT_EQ(test, t->heap.ndying, 1UL);
	KUNIT_EXPECT_TRUE(test, t->heap.drain_owed);
	KUNIT_EXPECT_NULL(test, xa_load(&t->heap.objects, 1));
	mobj_test_check(test, t);

	/* Each object costs a slot and itself: 50 die in 100 units. */
	budget = 100;
	KUNIT_EXPECT_FALSE(test, mobj_heap_drain_step(&t->heap, &budget,
						      &reap));
	KUNIT_EXPECT_EQ(test, budget, 0L);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, n - 50);
	KUNIT_EXPECT_EQ(test, t->heap.ndying, 1UL);
	mobj_heap_reap(&reap);
	KUNIT_EXPECT_TRUE(test, list_empty(&reap));
	KUNIT_EXPECT_EQ(test, prev->refcount, 2UL);
	mobj_test_check(test, t);

	mobj_heap_drain_locked(&t->heap);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 1UL);
	KUNIT_EXPECT_EQ(test, t->heap.ndying, 0UL);
	KUNIT_EXPECT_EQ(test, prev->refcount, 1UL);
	mobj_test_check(test, t);
	mobj_test_put(test, t, prev);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 0UL);
	mutex_unlock(&t->heap.lock);
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
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_obj *a, *b;

	mutex_lock(&heap->lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);

	a->refcount = MOBJ_REFCOUNT_MAX - 1;
	mobj_refcount_inc(heap, a);
	KUNIT_EXPECT_EQ(test, a->refcount, MOBJ_REFCOUNT_MAX);
	KUNIT_EXPECT_EQ(test, heap->refcount_errors, 0ULL);
	pr_info(MOBJ_KUNIT_WARN_BEGIN);
	mobj_refcount_inc(heap, a);
	pr_info(MOBJ_KUNIT_WARN_END);
	KUNIT_EXPECT_EQ(test, a->refcount, MOBJ_REFCOUNT_SATURATED);
	KUNIT_EXPECT_EQ(test, heap->refcount_errors, 1ULL);
	/* Saturated: it stays there, whatever happens next, and dies never. */
	mobj_refcount_inc(heap, a);
	KUNIT_EXPECT_EQ(test, mobj_refcount_dec(heap, a),
			MOBJ_REFCOUNT_SATURATED);
	KUNIT_EXPECT_EQ(test, a->refcount, MOBJ_REFCOUNT_SATURATED);
	KUNIT_EXPECT_EQ(test, heap->refcount_errors, 1ULL);

	/* Below zero: reported (the heap warned once already) and saturated. */
	KUNIT_EXPECT_EQ(test, mobj_refcount_dec(heap, b), 0UL);
	KUNIT_EXPECT_EQ(test, mobj_refcount_dec(heap, b),
			MOBJ_REFCOUNT_SATURATED);
	KUNIT_EXPECT_EQ(test, heap->refcount_errors, 2ULL);
	/* An increment of a dead object too. */
	b->refcount = 0;
	mobj_refcount_inc(heap, b);
	KUNIT_EXPECT_EQ(test, b->refcount, MOBJ_REFCOUNT_SATURATED);
	KUNIT_EXPECT_EQ(test, heap->refcount_errors, 3ULL);

	/* The collector never frees a saturated object, in a cycle or not. */
	mobj_test_link(test, t, a, a);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(heap, 2, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, a->refcount, MOBJ_REFCOUNT_SATURATED);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN2);
	mutex_unlock(&heap->lock);
}

/* Reverse edges survive slot array growth and shifting pops. */
static void mobj_heap_reverse_edges(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_obj *a, *b, *c;
	struct mobj_ref *ref;
	unsigned int i, n;

	mutex_lock(&t->heap.lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	c = mobj_test_new(test, t);
	for (i = 0; i < 100; i++)
		mobj_test_link(test, t, a, i % 2 ? b : c);
	for (i = 0; i < 30; i++)
		MOBJ_ASSERT_LOCKED(test, t, !mobj_slot_pop(&t->heap, a, 7));
	n = 0;
	hlist_for_each_entry(ref, &b->referrers, backref) {
		KUNIT_EXPECT_PTR_EQ(test, ref->owner, a);
		KUNIT_EXPECT_PTR_EQ(test, ref->target, b);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n + 1, b->refcount);
	KUNIT_EXPECT_EQ(test, a->nslots, 70U);
	mobj_test_check(test, t);
	mobj_test_put(test, t, b);
	mobj_test_put(test, t, c);
	mobj_test_put(test, t, a);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 0UL);
	mutex_unlock(&t->heap.lock);
}

/* Check a's slots against the model @want[0..@n - 1]. */
static void mobj_test_expect_slots(struct kunit *test, struct mobj_obj *a,
				   struct mobj_obj **want, unsigned int n)
{
	unsigned int i;

	KUNIT_EXPECT_EQ(test, a->nslots, n);
	for (i = 0; i < n && i < a->nslots; i++)
		KUNIT_EXPECT_PTR_EQ(test, a->slots[i].target, want[i]);
}

/*
 * Append to a until its array has no room at the end, keeping the model
 * @want (@n entries) in step; returns the new count.
 */
static unsigned int mobj_test_fill_slots(struct kunit *test,
					 struct mobj_test *t,
					 struct mobj_obj *a, struct mobj_obj **o,
					 struct mobj_obj **want, unsigned int n)
{
	while (a->front + a->nslots < mobj_slots_cap(a)) {
		mobj_test_link(test, t, a, o[n % 8]);
		want[n] = o[n % 8];
		n++;
	}
	return n;
}

/*
 * A POP moves the slots on the shorter side of it: none at either end.
 * The room left at the front is used again when the array must grow.
 */
static void mobj_heap_pop_ends(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_obj *a, *o[8], *want[64];
	unsigned int i, n = 64;

	mutex_lock(&t->heap.lock);
	a = mobj_test_new(test, t);
	for (i = 0; i < 8; i++)
		o[i] = mobj_test_new(test, t);
	for (i = 0; i < n; i++) {
		mobj_test_link(test, t, a, o[i % 8]);
		want[i] = o[i % 8];
	}
	KUNIT_EXPECT_EQ(test, mobj_slots_cap(a), 64U);

	/* pop(0) and pop(): nothing moves, whatever the length. */
	for (i = 0; i < 40; i++) {
		KUNIT_EXPECT_EQ(test, mobj_slot_pop_moves(a, 0), 0U);
		MOBJ_ASSERT_LOCKED(test, t, !mobj_slot_pop(&t->heap, a, 0));
	}
	n -= 40;
	memmove(want, want + 40, n * sizeof(*want));
	KUNIT_EXPECT_EQ(test, mobj_slot_pop_moves(a, n - 1), 0U);
	MOBJ_ASSERT_LOCKED(test, t, !mobj_slot_pop(&t->heap, a, n - 1));
	n--;
	KUNIT_EXPECT_EQ(test, a->front, (u16)40);
	mobj_test_expect_slots(test, a, want, n);
	mobj_test_check(test, t);

	/* Near the front the slots before it move up, near the end those after. */
	KUNIT_EXPECT_EQ(test, mobj_slot_pop_moves(a, 2), 2U);
	MOBJ_ASSERT_LOCKED(test, t, !mobj_slot_pop(&t->heap, a, 2));
	memmove(want + 2, want + 3, (n - 3) * sizeof(*want));
	n--;
	KUNIT_EXPECT_EQ(test, a->front, (u16)41);
	KUNIT_EXPECT_EQ(test, mobj_slot_pop_moves(a, n - 3), 2U);
	MOBJ_ASSERT_LOCKED(test, t, !mobj_slot_pop(&t->heap, a, n - 3));
	memmove(want + n - 3, want + n - 2, 2 * sizeof(*want));
	n--;
	KUNIT_EXPECT_EQ(test, a->front, (u16)41);
	KUNIT_EXPECT_EQ(test, mobj_slot_pop_moves(a, n), 0U);
	mobj_test_expect_slots(test, a, want, n);
	mobj_test_check(test, t);

	/* Room at the end first, then the slots slide down to the start. */
	n = mobj_test_fill_slots(test, t, a, o, want, n);
	mobj_test_link(test, t, a, o[0]);
	want[n++] = o[0];
	KUNIT_EXPECT_EQ(test, a->front, (u16)0);
	KUNIT_EXPECT_EQ(test, mobj_slots_cap(a), 64U);
	mobj_test_expect_slots(test, a, want, n);
	mobj_test_check(test, t);

	/* Less room at the front than slots in use: a new, larger array. */
	for (i = 0; i < 3; i++)
		MOBJ_ASSERT_LOCKED(test, t, !mobj_slot_pop(&t->heap, a, 0));
	n -= 3;
	memmove(want, want + 3, n * sizeof(*want));
	n = mobj_test_fill_slots(test, t, a, o, want, n);
	KUNIT_EXPECT_EQ(test, a->front, (u16)3);
	mobj_test_link(test, t, a, o[1]);
	want[n++] = o[1];
	KUNIT_EXPECT_EQ(test, a->front, (u16)0);
	KUNIT_EXPECT_EQ(test, mobj_slots_cap(a), 128U);
	mobj_test_expect_slots(test, a, want, n);
	mobj_test_check(test, t);

	/* Emptied from the front: the array is all room at the end again. */
	while (a->nslots)
		MOBJ_ASSERT_LOCKED(test, t, !mobj_slot_pop(&t->heap, a, 0));
	KUNIT_EXPECT_EQ(test, a->front, (u16)0);
	mobj_test_link(test, t, a, o[2]);
	KUNIT_EXPECT_EQ(test, mobj_slots_cap(a), 128U);
	mobj_test_expect_slots(test, a, &o[2], 1);
	mobj_test_check(test, t);

	for (i = 0; i < 8; i++)
		mobj_test_put(test, t, o[i]);
	mobj_test_put(test, t, a);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 0UL);
	mutex_unlock(&t->heap.lock);
}

/*
 * An array as large as slots_max allows does not grow again: when the
 * room is at the front, the slots slide down into it.
 */
static void mobj_heap_slots_at_max(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	unsigned int max = mobj_slots_max(), cap, k, i;
	struct mobj_obj *a, *b, *c;
	u32 index;

	if (max > 1U << 16)
		kunit_skip(test, "slots_max %u: too many slots to fill", max);
	mutex_lock(&t->heap.lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	c = mobj_test_new(test, t);
	for (i = 0; i < max; i++) {
		KUNIT_EXPECT_EQ(test, mobj_slot_append_moves(a),
				i & (i - 1) ? 0 : i);
		mobj_test_link(test, t, a, b);
	}
	cap = mobj_slots_cap(a);
	KUNIT_EXPECT_GE(test, cap, max);
	KUNIT_EXPECT_LT(test, cap, 2 * max);

	/* Room at the front only, and then none at the end. */
	k = cap - max + 1;
	for (i = 0; i < k; i++)
		MOBJ_ASSERT_LOCKED(test, t, !mobj_slot_pop(&t->heap, a, 0));
	for (i = 0; i < cap - max; i++)
		mobj_test_link(test, t, a, b);
	KUNIT_EXPECT_EQ(test, a->front + a->nslots, cap);
	KUNIT_EXPECT_EQ(test, mobj_slot_append_moves(a), max - 1);
	mobj_test_link(test, t, a, c);
	KUNIT_EXPECT_EQ(test, mobj_slot_append_moves(a), cap == max ? max : 0);
	KUNIT_EXPECT_EQ(test, mobj_slots_cap(a), cap);
	KUNIT_EXPECT_EQ(test, a->front, (u16)0);
	KUNIT_EXPECT_EQ(test, a->nslots, max);
	KUNIT_EXPECT_PTR_EQ(test, a->slots[0].target, b);
	KUNIT_EXPECT_PTR_EQ(test, a->slots[max - 1].target, c);
	KUNIT_EXPECT_EQ(test, mobj_slot_append(&t->heap, NULL, a, c, &index),
			-EFBIG);
	mobj_test_check(test, t);

	mobj_test_put(test, t, a);
	mobj_test_put(test, t, b);
	mobj_test_put(test, t, c);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 0UL);
	mutex_unlock(&t->heap.lock);
}

/* An object is tracked from its first slot; a slotless survivor is not. */
static void mobj_heap_tracking(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_obj *a, *b;

	mutex_lock(&t->heap.lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN_UNTRACKED);
	mobj_test_link(test, t, a, b);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN0);
	KUNIT_EXPECT_EQ(test, b->gen, (u8)MOBJ_GEN_UNTRACKED);
	mobj_gc_collect(&t->heap, 0, NULL);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN1);
	KUNIT_EXPECT_EQ(test, mobj_slot_pop(&t->heap, a, 0), 0);
	mobj_gc_collect(&t->heap, 1, NULL);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN_UNTRACKED);
	mobj_test_check(test, t);
	mobj_test_put(test, t, a);
	mobj_test_put(test, t, b);
	mutex_unlock(&t->heap.lock);
}

/* Weak references see the death; watchers need a client, see selftests. */
static void mobj_heap_weak_observer(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_observer ob = { .kind = MOBJ_OBSERVER_WEAK };
	struct mobj_obj *a;

	mutex_lock(&t->heap.lock);
	a = mobj_test_new(test, t);
	mobj_test_link(test, t, a, a);
	ob.obj = a;
	KUNIT_ASSERT_NOT_NULL(test, mobj_obj_ext(a));
	list_add(&ob.node, &a->ext->observers);
	mobj_test_put(test, t, a);
	KUNIT_EXPECT_PTR_EQ(test, ob.obj, a);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->heap, 2, NULL), 1UL);
	KUNIT_EXPECT_NULL(test, ob.obj);
	KUNIT_EXPECT_TRUE(test, list_empty(&ob.node));
	mutex_unlock(&t->heap.lock);
}

/*
 * A client's handle table across three pages: numbers are handed out
 * lowest free first, reserved and pending ones are not found, freed ones
 * are reused, and the walk sees every number in use.  The entries are
 * the test's object without references of their own: nothing drops them.
 */
static void mobj_heap_handle_table(struct kunit *test)
{
	static const u32 reused[] = { 7, 600, 1000 };
	const u32 n = 2 * MOBJ_HANDLES_PER_PAGE + 100;
	struct mobj_test *t = test->priv;
	struct mobj_client *client;
	struct mobj_obj *a;
	u32 h, i, seen;
	void *entry;

	client = kunit_kzalloc(test, sizeof(*client), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, client);
	client->heap = &t->heap;
	seqcount_mutex_init(&client->handle_seq, &t->heap.lock);
	xa_init(&client->traces);

	mutex_lock(&t->heap.lock);
	a = mobj_test_new(test, t);
	for (i = 1; i <= n; i++) {
		MOBJ_ASSERT_LOCKED(test, t, !mobj_handle_reserve(client, &h));
		MOBJ_ASSERT_LOCKED(test, t, h == i);
		MOBJ_ASSERT_LOCKED(test, t, !mobj_handle_entry(client, h));
		mobj_handle_fill(client, h, a, h == 3);
	}
	MOBJ_ASSERT_LOCKED(test, t, client->nhandles == n);
	KUNIT_EXPECT_NULL(test, mobj_handle_entry(client, 0));
	KUNIT_EXPECT_NULL(test, mobj_handle_entry(client, n + 1));
	KUNIT_EXPECT_NULL(test, mobj_handle_entry(client, 1U << 30));
	KUNIT_EXPECT_PTR_EQ(test, mobj_handle_entry(client, n), a);

	/* Pending: in the table, and found by the walk, but not by lookups. */
	KUNIT_EXPECT_NULL(test, mobj_handle_entry(client, 3));
	KUNIT_EXPECT_NULL(test, mobj_handle_take(client, 3));
	mobj_handle_publish(client, 3);
	KUNIT_EXPECT_PTR_EQ(test, mobj_handle_obj(client, 3), a);

	/* Freed numbers come back lowest first, then the next new one. */
	KUNIT_EXPECT_PTR_EQ(test, mobj_handle_take(client, 1000), a);
	mobj_handle_remove(client, 7);
	KUNIT_EXPECT_PTR_EQ(test, mobj_handle_take(client, 600), a);
	KUNIT_EXPECT_NULL(test, mobj_handle_take(client, 600));
	MOBJ_ASSERT_LOCKED(test, t, client->nhandles == n - 3);
	for (i = 0; i <= ARRAY_SIZE(reused); i++) {
		MOBJ_ASSERT_LOCKED(test, t, !mobj_handle_reserve(client, &h));
		KUNIT_EXPECT_EQ(test, h,
				i < ARRAY_SIZE(reused) ? reused[i] : n + 1);
		mobj_handle_fill(client, h, a, false);
	}

	seen = 0;
	for (h = 1; (entry = mobj_handle_next(client, &h)); h++) {
		KUNIT_EXPECT_PTR_EQ(test, entry, a);
		KUNIT_EXPECT_EQ(test, h, seen + 1);
		seen++;
	}
	KUNIT_EXPECT_EQ(test, seen, n + 1);

	for (h = n + 1; h; h--)
		KUNIT_EXPECT_PTR_EQ(test, mobj_handle_take(client, h), a);
	KUNIT_EXPECT_EQ(test, client->nhandles, 0UL);
	h = 1;
	KUNIT_EXPECT_NULL(test, mobj_handle_next(client, &h));
	MOBJ_ASSERT_LOCKED(test, t, !mobj_handle_reserve(client, &h));
	KUNIT_EXPECT_EQ(test, h, 1U);
	mobj_handle_remove(client, h);
	mobj_test_put(test, t, a);
	mutex_unlock(&t->heap.lock);
	mobj_handles_destroy(client);
	xa_destroy(&client->traces);
}

/*
 * A pool hands out each refill lowest address first, refills twice as
 * many each time up to MOBJ_POOL_MAX, and gives back what it holds to the
 * shrinker and when destroyed: the test's cache is destroyed empty (a leak
 * would be reported).
 */
static void mobj_heap_pool_order(struct kunit *test)
{
	const unsigned int n = 8 + 16 + 32 + 3 * MOBJ_POOL_MAX;
	unsigned int i, size = 8, refill = 0;
	struct kmem_cache *cache;
	struct mobj_pool pool;
	void **objs;

	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	cache = kmem_cache_create("mobj_kunit_pool", sizeof(struct mobj_obj), 0,
				  0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, cache);
	mobj_pool_init(&pool, cache);
	for (i = 0; i < n; i++) {
		objs[i] = mobj_pool_alloc(&pool, GFP_KERNEL);
		if (!objs[i])
			break;
		if (i == refill + size) {
			refill = i;
			size = min_t(unsigned int, size * 2, MOBJ_POOL_MAX);
		} else if (i) {
			KUNIT_EXPECT_LT(test, (unsigned long)objs[i - 1],
					(unsigned long)objs[i]);
		}
	}
	KUNIT_EXPECT_EQ(test, i, n);
	/* The last refill was used up exactly. */
	KUNIT_EXPECT_EQ(test, refill + size, n);
	KUNIT_EXPECT_EQ(test, pool.n, 0U);
	while (i--)
		kmem_cache_free(cache, objs[i]);

	/* Half of a refill is left in the pool, then given back. */
	for (i = 0; i < MOBJ_POOL_MAX / 2; i++) {
		objs[0] = mobj_pool_alloc(&pool, GFP_KERNEL);
		KUNIT_EXPECT_NOT_NULL(test, objs[0]);
		if (objs[0])
			kmem_cache_free(cache, objs[0]);
	}
	KUNIT_EXPECT_EQ(test, pool.n, MOBJ_POOL_MAX / 2);
	/* The shrinker takes it back; the pool starts small again. */
	KUNIT_EXPECT_GE(test, mobj_pools_shrink(ULONG_MAX),
			(unsigned long)MOBJ_POOL_MAX / 2);
	KUNIT_EXPECT_EQ(test, pool.n, 0U);
	objs[0] = mobj_pool_alloc(&pool, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, objs[0]);
	if (objs[0])
		kmem_cache_free(cache, objs[0]);
	KUNIT_EXPECT_EQ(test, pool.n, 7U);
	mobj_pool_destroy(&pool);
	KUNIT_EXPECT_EQ(test, pool.n, 0U);
	kmem_cache_destroy(cache);
}

static struct kunit_case mobj_heap_cases[] = {
	KUNIT_CASE(mobj_heap_refcount),
	KUNIT_CASE(mobj_heap_long_chain),
	KUNIT_CASE(mobj_heap_death_in_steps),
	KUNIT_CASE(mobj_heap_reverse_edges),
	KUNIT_CASE(mobj_heap_pop_ends),
	KUNIT_CASE(mobj_heap_slots_at_max),
	KUNIT_CASE(mobj_heap_refcount_saturates),
	KUNIT_CASE(mobj_heap_tracking),
	KUNIT_CASE(mobj_heap_weak_observer),
	KUNIT_CASE(mobj_heap_handle_table),
	KUNIT_CASE(mobj_heap_pool_order),
	{}
};

static struct kunit_suite mobj_heap_suite = {
	.name = "mobj_heap",
	.init = mobj_test_init,
	.exit = mobj_test_exit,
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

/* The shape's objects and edges; only the @held objects keep a handle. */
static void mobj_shape_build(struct kunit *test, struct mobj_test *t,
			     const struct mobj_shape *shape,
			     struct mobj_obj **objs)
{
	unsigned int i;

	for (i = 0; i < shape->nobjs; i++)
		objs[i] = mobj_test_new(test, t);
	for (i = 0; i < shape->nedges; i++)
		mobj_test_link(test, t, objs[shape->edges[i][0]],
			       objs[shape->edges[i][1]]);
	for (i = 0; i < shape->nobjs; i++)
		if (!(shape->held & BIT(i)))
			mobj_test_put(test, t, objs[i]);
}

/* Check the heap; without the handles everything is then garbage. */
static void mobj_shape_finish(struct kunit *test, struct mobj_test *t,
			      const struct mobj_shape *shape,
			      struct mobj_obj **objs)
{
	unsigned int i;

	mobj_test_check(test, t);
	for (i = 0; i < shape->nobjs; i++)
		if (shape->held & BIT(i))
			mobj_test_put(test, t, objs[i]);
	mobj_gc_collect(&t->heap, 2, NULL);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 0UL);
}

static void mobj_gc_shape(struct kunit *test)
{
	const struct mobj_shape *shape = test->param_value;
	struct mobj_test *t = test->priv;
	struct mobj_obj *objs[8];

	mutex_lock(&t->heap.lock);
	mobj_shape_build(test, t, shape, objs);

	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->heap, 2, NULL),
			shape->expect);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects,
			shape->nobjs - shape->freed);
	mobj_shape_finish(test, t, shape, objs);
	mutex_unlock(&t->heap.lock);
}

/* The same shapes, collected one unit of work per step. */
static void mobj_gc_shape_stepwise(struct kunit *test)
{
	const struct mobj_shape *shape = test->param_value;
	struct mobj_test *t = test->priv;
	struct mobj_obj *objs[8];
	unsigned int steps = 0;

	mutex_lock(&t->heap.lock);
	mobj_shape_build(test, t, shape, objs);

	mobj_gc_cycle_begin(&t->heap, 2);
	while (!mobj_gc_cycle_step(&t->heap, 1))
		steps++;
	KUNIT_EXPECT_GT(test, steps, shape->nobjs);
	KUNIT_EXPECT_EQ(test, t->heap.cycle.res.collected, shape->expect);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects,
			shape->nobjs - shape->freed);
	mobj_shape_finish(test, t, shape, objs);
	mutex_unlock(&t->heap.lock);
}

static struct kunit_case mobj_gc_shape_cases[] = {
	KUNIT_CASE_PARAM(mobj_gc_shape, mobj_shape_gen_params),
	KUNIT_CASE_PARAM(mobj_gc_shape_stepwise, mobj_shape_gen_params),
	{}
};

static struct kunit_suite mobj_gc_shape_suite = {
	.name = "mobj_gc_shapes",
	.init = mobj_test_init,
	.exit = mobj_test_exit,
	.test_cases = mobj_gc_shape_cases,
};

/* mobj_gc: generations, thresholds, freeze, save-all, the work item */

static void mobj_gc_big_ring(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_gc_collect res;
	struct mobj_obj *first, *prev, *obj;
	unsigned int i;

	mutex_lock(&t->heap.lock);
	first = mobj_test_new(test, t);
	prev = first;
	for (i = 1; i < 100000; i++) {
		obj = mobj_test_new(test, t);
		mobj_test_link(test, t, prev, obj);
		if (prev != first)
			mobj_test_put(test, t, prev);
		prev = obj;
		cond_resched();
	}
	mobj_test_link(test, t, prev, first);
	mobj_test_put(test, t, prev);
	mobj_test_put(test, t, first);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 100000UL);
	mobj_gc_collect(&t->heap, 2, &res);
	KUNIT_EXPECT_EQ(test, res.collected, 100000ULL);
	KUNIT_EXPECT_EQ(test, res.examined, 100000ULL);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 0UL);
	mutex_unlock(&t->heap.lock);
}

/* Survivors move up one generation per collection, and stay in 2. */
static void mobj_gc_promotion(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_obj *a;

	mutex_lock(&t->heap.lock);
	a = mobj_test_new(test, t);
	mobj_test_link(test, t, a, a);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN0);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->heap, 0, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN1);
	/* A gen-0 collection does not look at generation 1. */
	mobj_test_put(test, t, a);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->heap, 0, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 1UL);
	mobj_test_get(test, t, a);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->heap, 1, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN2);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->heap, 2, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN2);
	mobj_test_put(test, t, a);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->heap, 1, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->heap, 2, NULL), 1UL);
	mutex_unlock(&t->heap.lock);
}

/*
 * MOBJ_GC_LEAKS: a dry run names the garbage and leaves every object in
 * its generation, the heap consistent; the collection after it frees
 * exactly that.
 */
static void mobj_gc_leaks_dry_run(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_obj *a, *b, *old;
	struct mobj_gc_collect res;
	u64 ids[4] = { 0 };

	mutex_lock(&heap->gc_mutex);
	mutex_lock(&heap->lock);
	old = mobj_test_new(test, t);
	mobj_test_link(test, t, old, old);
	mobj_gc_collect(heap, 1, NULL);
	KUNIT_EXPECT_EQ(test, old->gen, (u8)MOBJ_GEN2);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	mobj_test_link(test, t, a, b);
	mobj_test_link(test, t, b, a);
	mobj_test_link(test, t, old, a);
	mobj_test_put(test, t, a);
	mobj_test_put(test, t, b);
	/* Held by old: no leak yet. */
	KUNIT_EXPECT_EQ(test, mobj_gc_leaks(heap, NULL, ids, 4, &res), 0U);
	KUNIT_EXPECT_EQ(test, res.examined, 3ULL);
	mobj_test_put(test, t, old);
	KUNIT_EXPECT_EQ(test, mobj_gc_leaks(heap, NULL, ids, 1, &res), 3U);
	KUNIT_EXPECT_TRUE(test, ids[0] == a->id || ids[0] == b->id ||
			  ids[0] == old->id);
	KUNIT_EXPECT_EQ(test, ids[1], 0ULL);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN0);
	KUNIT_EXPECT_EQ(test, old->gen, (u8)MOBJ_GEN2);
	KUNIT_EXPECT_EQ(test, heap->live_objects, 3UL);
	KUNIT_EXPECT_EQ(test, heap->gen[2].stats.collections, 0ULL);
	mobj_test_check(test, t);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(heap, 2, NULL), 3UL);
	KUNIT_EXPECT_EQ(test, heap->live_objects, 0UL);
	mutex_unlock(&heap->lock);
	mutex_unlock(&heap->gc_mutex);
}

/* A young object referred to only from an older generation is alive. */
static void mobj_gc_old_to_young(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_obj *old, *young;

	mutex_lock(&t->heap.lock);
	old = mobj_test_new(test, t);
	mobj_test_link(test, t, old, old);
	mobj_gc_collect(&t->heap, 1, NULL);
	KUNIT_EXPECT_EQ(test, old->gen, (u8)MOBJ_GEN2);
	young = mobj_test_new(test, t);
	mobj_test_link(test, t, young, young);
	mobj_test_link(test, t, old, young);
	mobj_test_put(test, t, young);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->heap, 0, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, t->heap.live_objects, 2UL);
	mobj_test_put(test, t, old);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(&t->heap, 2, NULL), 2UL);
	mutex_unlock(&t->heap.lock);
}

/* count[0] is allocations minus deallocations; collections reset it. */
static void mobj_gc_counts(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_obj *a, *b;

	mutex_lock(&heap->lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	KUNIT_EXPECT_EQ(test, heap->gen[0].count, 2UL);
	mobj_test_put(test, t, b);
	KUNIT_EXPECT_EQ(test, heap->gen[0].count, 1UL);
	mobj_gc_collect(heap, 0, NULL);
	KUNIT_EXPECT_EQ(test, heap->gen[0].count, 0UL);
	KUNIT_EXPECT_EQ(test, heap->gen[1].count, 1UL);
	mobj_gc_collect(heap, 1, NULL);
	KUNIT_EXPECT_EQ(test, heap->gen[1].count, 0UL);
	KUNIT_EXPECT_EQ(test, heap->gen[2].count, 1UL);
	KUNIT_EXPECT_EQ(test, heap->gen[0].stats.collections, 1ULL);
	KUNIT_EXPECT_EQ(test, heap->gen[1].stats.collections, 1ULL);
	mobj_test_put(test, t, a);
	KUNIT_EXPECT_EQ(test, heap->gen[0].count, 0UL);
	mutex_unlock(&heap->lock);
}

/*
 * candidates: the objects of the generations collected, counted when they
 * join the set, summed per generation collected.
 */
static void mobj_gc_candidates(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_obj *a, *b, *c;

	mutex_lock(&heap->lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	c = mobj_test_new(test, t);
	mobj_test_link(test, t, a, b);
	mobj_test_link(test, t, b, c);
	mobj_test_link(test, t, c, a);
	mobj_gc_collect(heap, 0, NULL);		/* three examined, in gen 1 */
	KUNIT_EXPECT_EQ(test, heap->gen[0].candidates, 3ULL);
	mobj_gc_collect(heap, 0, NULL);		/* gen 0 is empty */
	KUNIT_EXPECT_EQ(test, heap->gen[0].candidates, 3ULL);
	mobj_gc_collect(heap, 1, NULL);		/* gens 0 and 1: the three */
	KUNIT_EXPECT_EQ(test, heap->gen[1].candidates, 3ULL);
	KUNIT_EXPECT_EQ(test, heap->gen[2].candidates, 0ULL);
	mobj_test_put(test, t, a);
	mobj_test_put(test, t, b);
	mobj_test_put(test, t, c);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(heap, 2, NULL), 3UL);
	KUNIT_EXPECT_EQ(test, heap->gen[2].candidates, 3ULL);
	KUNIT_EXPECT_EQ(test, heap->gen[2].stats.collections, 1ULL);
	mutex_unlock(&heap->lock);
}

/*
 * gc.callbacks: a client on gc_watchers gets a start and a stop record per
 * collection, around the notices of its garbage; a full ring drops the
 * rest and counts them.
 */
static void mobj_gc_watch_records(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_client *client;
	struct mobj_obj *a, *b;
	struct mobj_event *ev;

	client = kunit_kzalloc(test, sizeof(*client), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, client);
	client->events = kunit_kcalloc(test, 3, sizeof(*client->events),
				       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, client->events);
	client->heap = heap;
	client->events_max = 3;
	client->gc_cookie = 42;
	init_waitqueue_head(&client->wait);
	INIT_LIST_HEAD(&client->watches);

	mutex_lock(&heap->gc_mutex);
	mutex_lock(&heap->lock);
	list_add_tail(&client->gc_node, &heap->gc_watchers);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	mobj_test_link(test, t, a, b);
	mobj_test_link(test, t, b, a);
	mobj_test_put(test, t, a);
	mobj_test_put(test, t, b);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(heap, 1, NULL), 2UL);
	ev = client->events;
	KUNIT_EXPECT_EQ(test, client->events_count, 2U);
	KUNIT_EXPECT_EQ(test, ev[0].reason, (u32)MOBJ_EVENT_GC_START);
	KUNIT_EXPECT_EQ(test, ev[0].generation, 1U);
	KUNIT_EXPECT_EQ(test, ev[0].cookie, 42ULL);
	KUNIT_EXPECT_EQ(test, ev[1].reason, (u32)MOBJ_EVENT_GC_STOP);
	KUNIT_EXPECT_EQ(test, ev[1].generation, 1U);
	KUNIT_EXPECT_EQ(test, ev[1].id, 2ULL);
	KUNIT_EXPECT_EQ(test, ev[1].lost, 0ULL);
	/* One slot left: the next start fits, its stop is lost. */
	mobj_gc_collect(heap, 0, NULL);
	KUNIT_EXPECT_EQ(test, client->events_count, 3U);
	KUNIT_EXPECT_EQ(test, client->events_lost, 1ULL);
	/* The dry run is not a collection. */
	mobj_gc_leaks(heap, NULL, NULL, 0, NULL);
	KUNIT_EXPECT_EQ(test, client->events_lost, 1ULL);
	list_del_init(&client->gc_node);
	mobj_gc_collect(heap, 0, NULL);
	KUNIT_EXPECT_EQ(test, client->events_lost, 1ULL);
	mutex_unlock(&heap->lock);
	mutex_unlock(&heap->gc_mutex);
}

/* Generation 1 is collected after threshold[1] generation-0 collections. */
static void mobj_gc_thresholds(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_obj *a;
	unsigned int i;

	mutex_lock(&heap->lock);
	heap->gen[0].threshold = 1;
	heap->gen[1].threshold = 3;
	a = mobj_test_new(test, t);
	mobj_test_link(test, t, a, a);
	mobj_gc_collect(heap, 0, NULL);		/* a is now in gen 1 */
	mobj_test_put(test, t, a);
	for (i = 0; i < 3; i++) {
		heap->gen[0].count = 2;
		mobj_gc_collect_generations(heap, false);
		KUNIT_EXPECT_EQ(test, heap->live_objects, 1UL);
	}
	KUNIT_EXPECT_EQ(test, heap->gen[1].count, 4UL);
	heap->gen[0].count = 2;
	mobj_gc_collect_generations(heap, false);
	KUNIT_EXPECT_EQ(test, heap->live_objects, 0UL);
	KUNIT_EXPECT_EQ(test, heap->gen[1].stats.collections, 1ULL);
	KUNIT_EXPECT_EQ(test, heap->gen[1].stats.collected, 1ULL);
	mutex_unlock(&heap->lock);
}

/* A full collection waits until pending > 25% of the long-lived total. */
static void mobj_gc_long_lived(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;

	mutex_lock(&heap->lock);
	heap->long_lived_total = 100;
	heap->long_lived_pending = 10;
	heap->gen[2].count = heap->gen[2].threshold + 1;
	heap->gen[0].count = heap->gen[0].threshold + 1;
	mobj_gc_collect_generations(heap, false);
	KUNIT_EXPECT_EQ(test, heap->gen[2].stats.collections, 0ULL);
	KUNIT_EXPECT_EQ(test, heap->gen[0].stats.collections, 1ULL);
	heap->long_lived_pending = 26;
	mobj_gc_collect_generations(heap, false);
	KUNIT_EXPECT_EQ(test, heap->gen[2].stats.collections, 1ULL);
	KUNIT_EXPECT_EQ(test, heap->long_lived_pending, 0UL);
	KUNIT_EXPECT_EQ(test, heap->long_lived_total, 0UL);
	mutex_unlock(&heap->lock);
}

static void mobj_gc_freeze_test(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_obj *a;

	mutex_lock(&heap->lock);
	a = mobj_test_new(test, t);
	mobj_test_link(test, t, a, a);
	mobj_test_put(test, t, a);
	KUNIT_EXPECT_EQ(test, mobj_gc_freeze(heap, false), 1UL);
	KUNIT_EXPECT_EQ(test, heap->list_count[MOBJ_GEN_PERMANENT], 1UL);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(heap, 2, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, mobj_gc_unfreeze(heap, false), 1UL);
	KUNIT_EXPECT_EQ(test, a->gen, (u8)MOBJ_GEN2);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(heap, 2, NULL), 1UL);
	mutex_unlock(&heap->lock);
}

static void mobj_gc_saveall(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_obj *a, *b, *c;

	mutex_lock(&heap->lock);
	heap->gc_debug = MOBJ_GC_DEBUG_SAVEALL;
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	c = mobj_test_new(test, t);
	mobj_test_link(test, t, a, b);
	mobj_test_link(test, t, b, a);
	mobj_test_link(test, t, c, c);
	mobj_test_put(test, t, a);
	mobj_test_put(test, t, b);
	mobj_test_put(test, t, c);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(heap, 2, NULL), 3UL);
	KUNIT_EXPECT_EQ(test, heap->live_objects, 3UL);
	KUNIT_EXPECT_EQ(test, heap->list_count[MOBJ_GEN_GARBAGE], 3UL);
	KUNIT_EXPECT_EQ(test, a->refcount, 2UL);
	mobj_test_check(test, t);
	/* Someone took a handle to c: clearing keeps it, frees a and b. */
	mobj_test_get(test, t, c);
	mobj_gc_garbage_clear(heap, NULL, false);
	KUNIT_EXPECT_EQ(test, heap->live_objects, 1UL);
	KUNIT_EXPECT_EQ(test, c->gen, (u8)MOBJ_GEN2);
	mobj_test_put(test, t, c);
	heap->gc_debug = 0;
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(heap, 2, NULL), 1UL);
	mutex_unlock(&heap->lock);
}

/* Clearing one client's saved garbage leaves the others' saved. */
static void mobj_gc_garbage_clear_own(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_quota *other;
	struct mobj_obj *a, *b;

	other = mobj_quota_alloc(heap);
	KUNIT_ASSERT_FALSE(test, IS_ERR(other));
	mutex_lock(&heap->lock);
	heap->gc_debug = MOBJ_GC_DEBUG_SAVEALL;
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	/* b as if another client had made it */
	t->quota->objects--;
	b->quota = other->id;
	other->objects++;
	mobj_test_link(test, t, a, a);
	mobj_test_link(test, t, b, b);
	mobj_test_put(test, t, a);
	mobj_test_put(test, t, b);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(heap, 2, NULL), 2UL);
	KUNIT_EXPECT_EQ(test, heap->list_count[MOBJ_GEN_GARBAGE], 2UL);
	mobj_gc_garbage_clear(heap, t->quota, false);
	KUNIT_EXPECT_EQ(test, heap->live_objects, 1UL);
	KUNIT_EXPECT_EQ(test, heap->list_count[MOBJ_GEN_GARBAGE], 1UL);
	KUNIT_EXPECT_EQ(test, b->gen, (u8)MOBJ_GEN_GARBAGE);
	mobj_test_check(test, t);
	mobj_gc_garbage_clear(heap, other, false);
	KUNIT_EXPECT_EQ(test, heap->live_objects, 0UL);
	KUNIT_EXPECT_EQ(test, other->objects, 0UL);
	other->orphan = true;
	mobj_quota_put(heap, other);
	heap->gc_debug = 0;
	mutex_unlock(&heap->lock);
}

/* Garbage's references to objects outside the set are normal puts. */
static void mobj_gc_garbage_frees_untracked(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_obj *a, *leaf;

	mutex_lock(&heap->lock);
	a = mobj_test_new(test, t);
	leaf = mobj_test_new(test, t);
	mobj_test_link(test, t, a, a);
	mobj_test_link(test, t, a, leaf);
	mobj_test_put(test, t, leaf);
	mobj_test_put(test, t, a);
	KUNIT_EXPECT_EQ(test, leaf->gen, (u8)MOBJ_GEN_UNTRACKED);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(heap, 0, NULL), 1UL);
	KUNIT_EXPECT_EQ(test, heap->live_objects, 0UL);
	mutex_unlock(&heap->lock);
}

/* Crossing threshold[0] queues the work item, which collects. */
static void mobj_gc_automatic(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_obj *a;
	unsigned int i;

	mutex_lock(&heap->lock);
	heap->gen[0].threshold = 10;
	for (i = 0; i < 6; i++) {
		a = mobj_test_new(test, t);
		mobj_test_link(test, t, a, a);
		mobj_test_put(test, t, a);
	}
	mutex_unlock(&heap->lock);
	flush_work(&heap->gc_work);
	KUNIT_EXPECT_EQ(test, heap->gen[0].stats.collections, 0ULL);

	mutex_lock(&heap->lock);
	for (i = 0; i < 6; i++) {
		a = mobj_test_new(test, t);
		mobj_test_link(test, t, a, a);
		mobj_test_put(test, t, a);
	}
	mutex_unlock(&heap->lock);
	flush_work(&heap->gc_work);

	mutex_lock(&heap->lock);
	KUNIT_EXPECT_EQ(test, heap->gen[0].stats.collections, 1ULL);
	KUNIT_EXPECT_EQ(test, heap->gen[0].stats.collected, 12ULL);
	KUNIT_EXPECT_EQ(test, heap->live_objects, 0UL);
	mutex_unlock(&heap->lock);
}

/*
 * Objects changed while a collection examines them are live for it, and
 * collected by the next one; what was not changed is collected as usual.
 */
static void mobj_gc_incremental_touch(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_obj *o[6];
	unsigned int i;

	mutex_lock(&heap->lock);
	for (i = 0; i < 6; i++)
		o[i] = mobj_test_new(test, t);
	for (i = 0; i < 6; i += 2) {
		mobj_test_link(test, t, o[i], o[i + 1]);
		mobj_test_link(test, t, o[i + 1], o[i]);
	}
	/* o0-o1 and o4-o5 are garbage; o2 keeps its handle for now. */
	for (i = 0; i < 6; i++)
		if (i != 2)
			mobj_test_put(test, t, o[i]);

	mobj_gc_cycle_begin(heap, 2);
	/* Six objects taken, counted, subtracted; the scan found o0 garbage. */
	while (o[0]->gc_state != MOBJ_GC_UNREACHABLE)
		MOBJ_ASSERT_LOCKED(test, t, !mobj_gc_cycle_step(heap, 1));
	KUNIT_EXPECT_EQ(test, heap->cycle.phase,
			(unsigned int)MOBJ_GC_PHASE_SCAN);
	KUNIT_EXPECT_EQ(test, o[2]->gc_state, (u8)MOBJ_GC_IN_SET);
	/* A new reference to o0 (a weak reference resolved, say)... */
	mobj_test_get(test, t, o[0]);
	/* ...and o2's handle closed: neither pair is collected this time. */
	mobj_test_put(test, t, o[2]);
	while (!mobj_gc_cycle_step(heap, 1))
		;
	KUNIT_EXPECT_EQ(test, heap->cycle.res.collected, 2ULL);
	KUNIT_EXPECT_EQ(test, heap->live_objects, 4UL);
	mobj_test_check(test, t);

	mobj_test_put(test, t, o[0]);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(heap, 2, NULL), 4UL);
	KUNIT_EXPECT_EQ(test, heap->live_objects, 0UL);
	mutex_unlock(&heap->lock);
}

/*
 * Touched after the scan moved it to the garbage: it goes back to the tail
 * of the set, where the same scan meets it again and must leave it
 * reachable, with what it refers to.
 */
static void mobj_gc_incremental_touch_partition(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_obj *a, *b;

	mutex_lock(&heap->lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	mobj_test_link(test, t, a, b);
	mobj_test_link(test, t, b, a);
	mobj_test_put(test, t, a);
	mobj_test_put(test, t, b);

	mobj_gc_cycle_begin(heap, 2);
	while (a->gc_state != MOBJ_GC_UNREACHABLE)
		MOBJ_ASSERT_LOCKED(test, t, !mobj_gc_cycle_step(heap, 1));
	KUNIT_EXPECT_EQ(test, heap->cycle.phase,
			(unsigned int)MOBJ_GC_PHASE_SCAN);
	mobj_test_get(test, t, a);
	KUNIT_EXPECT_EQ(test, a->gc_state, (u8)MOBJ_GC_REACHABLE);
	while (!mobj_gc_cycle_step(heap, 1))
		;
	KUNIT_EXPECT_EQ(test, heap->cycle.res.collected, 0ULL);
	KUNIT_EXPECT_EQ(test, heap->live_objects, 2UL);
	mobj_test_check(test, t);

	mobj_test_put(test, t, a);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(heap, 2, NULL), 2UL);
	mutex_unlock(&heap->lock);
}

/*
 * An object tracked while the set is being counted is not in the set, though
 * it is in generation 0: a slot to it from a member not counted yet is a
 * reference from outside, and it joins generation 0 when the count is over,
 * to be collected by the next collection.
 */
static void mobj_gc_incremental_track(struct kunit *test)
{
	struct mobj_test *t = test->priv;
	struct mobj_heap *heap = &t->heap;
	struct mobj_obj *a, *b, *p, *q, *x;

	mutex_lock(&heap->lock);
	a = mobj_test_new(test, t);
	b = mobj_test_new(test, t);
	p = mobj_test_new(test, t);
	q = mobj_test_new(test, t);
	mobj_test_link(test, t, a, b);
	mobj_test_link(test, t, b, a);
	mobj_test_link(test, t, p, q);
	mobj_test_link(test, t, q, p);
	/* a-b is garbage; p keeps its handle. */
	mobj_test_put(test, t, a);
	mobj_test_put(test, t, b);
	mobj_test_put(test, t, q);

	mobj_gc_cycle_begin(heap, 2);
	MOBJ_ASSERT_LOCKED(test, t, !mobj_gc_cycle_step(heap, 1));
	KUNIT_EXPECT_EQ(test, heap->cycle.phase,
			(unsigned int)MOBJ_GC_PHASE_SUBTRACT);
	KUNIT_EXPECT_EQ(test, q->gc_state, (u8)MOBJ_GC_IDLE);
	/* x is made and tracked now, and q (not counted yet) refers to it. */
	x = mobj_test_new(test, t);
	mobj_test_link(test, t, x, x);
	KUNIT_EXPECT_EQ(test, x->gen, (u8)MOBJ_GEN0);
	KUNIT_EXPECT_EQ(test, x->gc_state, (u8)MOBJ_GC_OUTSIDE);
	mobj_test_link(test, t, q, x);
	while (!mobj_gc_cycle_step(heap, 1))
		;
	KUNIT_EXPECT_EQ(test, heap->cycle.res.collected, 2ULL);
	KUNIT_EXPECT_EQ(test, heap->cycle.res.examined, 4ULL);
	KUNIT_EXPECT_EQ(test, x->gc_state, (u8)MOBJ_GC_IDLE);
	KUNIT_EXPECT_EQ(test, x->gen, (u8)MOBJ_GEN0);
	KUNIT_EXPECT_EQ(test, x->refcount, 3U);
	mobj_test_check(test, t);

	/* p-q and x, with their handles gone, are one piece of garbage. */
	mobj_test_put(test, t, x);
	mobj_test_put(test, t, p);
	KUNIT_EXPECT_EQ(test, mobj_gc_collect(heap, 2, NULL), 3UL);
	KUNIT_EXPECT_EQ(test, heap->live_objects, 0UL);
	mutex_unlock(&heap->lock);
}

static struct kunit_case mobj_gc_cases[] = {
	KUNIT_CASE(mobj_gc_incremental_touch),
	KUNIT_CASE(mobj_gc_incremental_touch_partition),
	KUNIT_CASE(mobj_gc_incremental_track),
	KUNIT_CASE(mobj_gc_big_ring),
	KUNIT_CASE(mobj_gc_promotion),
	KUNIT_CASE(mobj_gc_leaks_dry_run),
	KUNIT_CASE(mobj_gc_old_to_young),
	KUNIT_CASE(mobj_gc_counts),
	KUNIT_CASE(mobj_gc_candidates),
	KUNIT_CASE(mobj_gc_watch_records),
	KUNIT_CASE(mobj_gc_thresholds),
	KUNIT_CASE(mobj_gc_long_lived),
	KUNIT_CASE(mobj_gc_freeze_test),
	KUNIT_CASE(mobj_gc_saveall),
	KUNIT_CASE(mobj_gc_garbage_frees_untracked),
	KUNIT_CASE(mobj_gc_garbage_clear_own),
	KUNIT_CASE(mobj_gc_automatic),
	{}
};

static struct kunit_suite mobj_gc_suite = {
	.name = "mobj_gc",
	.init = mobj_test_init,
	.exit = mobj_test_exit,
	.test_cases = mobj_gc_cases,
};

kunit_test_suites(&mobj_heap_suite, &mobj_gc_shape_suite, &mobj_gc_suite);

MODULE_DESCRIPTION("KUnit tests for mobj");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
