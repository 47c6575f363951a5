// SPDX-License-Identifier: GPL-2.0
/*
 * The mobj cycle collector: CPython's generational gc, per device.
 *
 * Reference counting frees an object as soon as nothing refers to it, but a
 * cycle (a.append(b); b.append(a)) keeps itself alive.  The collector finds
 * such garbage among the tracked objects (those that have had a slot):
 *
 *  1. copy each refcount of the set being collected into gc_refs;
 *  2. subtract every reference that comes from a slot of an object in the
 *     set: what is left counts references from outside (handles, older
 *     generations, handles being created);
 *  3. objects left above zero are reachable, and so is everything they
 *     reach through slots; the rest is garbage;
 *  4. drop the garbage's slots, then free it.
 *
 * Everything runs under the big lock, without recursion and without
 * allocating memory: the lists and the scratch count live in the objects.
 * Automatic collections run from a work item, never in the ioctl that
 * crossed the threshold.
 */
#include <linux/ktime.h>
#include <linux/sched.h>

#include <kunit/visibility.h>

#include "mobj.h"
#include "mobj_trace.h"

static struct workqueue_struct *mobj_gc_wq;

static void mobj_gc_work(struct work_struct *work)
{
	struct mobj_dev *mdev = container_of(work, struct mobj_dev, gc_work);

	mobj_lock(mdev);
	if (mdev->gc_enabled && mdev->gen[0].threshold &&
	    mdev->gen[0].count > mdev->gen[0].threshold)
		mobj_gc_collect_generations(mdev);
	mobj_unlock(mdev);
}

void mobj_gc_init(struct mobj_dev *mdev)
{
	static const unsigned int thresholds[] = { 2000, 10, 10 };
	unsigned int i;

	for (i = 0; i < MOBJ_GC_GENERATIONS; i++)
		mdev->gen[i].threshold = thresholds[i];
	mdev->gc_enabled = true;
	INIT_WORK(&mdev->gc_work, mobj_gc_work);
}

int mobj_gc_wq_init(void)
{
	mobj_gc_wq = alloc_workqueue("mobj_gc", WQ_UNBOUND, 0);
	return mobj_gc_wq ? 0 : -ENOMEM;
}

void mobj_gc_wq_destroy(void)
{
	destroy_workqueue(mobj_gc_wq);
}

/* Called on every allocation: queue a collection once gen 0 is full. */
void mobj_gc_maybe_queue(struct mobj_dev *mdev)
{
	lockdep_assert_held(&mdev->lock);

	if (mdev->gc_enabled && mdev->gen[0].threshold &&
	    mdev->gen[0].count > mdev->gen[0].threshold)
		queue_work(mobj_gc_wq, &mdev->gc_work);
}

/* Steps 1 and 2: gc_refs = references from outside @young. */
static unsigned long mobj_gc_subtract_refs(struct list_head *young)
{
	unsigned long n = 0;
	struct mobj_obj *obj;
	u32 i;

	list_for_each_entry(obj, young, gc_node) {
		obj->gc_refs = obj->refcount;
		obj->gc_state = MOBJ_GC_REACHABLE;
		n++;
	}
	list_for_each_entry(obj, young, gc_node) {
		for (i = 0; i < obj->nslots; i++) {
			struct mobj_obj *t = obj->slots[i].target;

			if (t->gc_state != MOBJ_GC_IDLE)
				t->gc_refs--;
		}
		cond_resched();
	}
	return n;
}

/*
 * Step 3: move every object of @young that no outside reference reaches
 * onto @unreachable.  First everything with gc_refs == 0 goes; then a walk
 * over what stays brings back, at the tail of @young where the walk will
 * reach it in turn, whatever a reachable object refers to.
 */
static void mobj_gc_move_unreachable(struct list_head *young,
				     struct list_head *unreachable)
{
	struct mobj_obj *obj, *next;
	struct list_head *pos;
	u32 i;

	list_for_each_entry_safe(obj, next, young, gc_node) {
		WARN_ON_ONCE(obj->gc_refs < 0);
		if (obj->gc_refs > 0)
			continue;
		obj->gc_state = MOBJ_GC_UNREACHABLE;
		list_move_tail(&obj->gc_node, unreachable);
	}
	for (pos = young->next; pos != young; pos = pos->next) {
		obj = list_entry(pos, struct mobj_obj, gc_node);
		for (i = 0; i < obj->nslots; i++) {
			struct mobj_obj *t = obj->slots[i].target;

			if (t->gc_state != MOBJ_GC_UNREACHABLE)
				continue;
			t->gc_state = MOBJ_GC_REACHABLE;
			list_move_tail(&t->gc_node, young);
		}
		cond_resched();
	}
}

/*
 * Step 4 for the objects on @garbage: tell observers first (weak references
 * die before anything is torn down, as in CPython), then drop every slot.
 * References between garbage objects only lower counts; a reference to an
 * object outside is a normal put, which frees what only the garbage held.
 * Then every garbage object is at zero and is freed.
 */
static void mobj_gc_free_garbage(struct mobj_dev *mdev,
				 struct list_head *garbage, u32 generation)
{
	struct mobj_obj *obj, *next, *target;
	struct mobj_ref *ref;

	list_for_each_entry(obj, garbage, gc_node) {
		while (obj->nslots) {
			ref = &obj->slots[--obj->nslots];
			target = ref->target;
			trace_slot_clear(obj->id, obj->nslots, target->id);
			list_del(&ref->backref);
			if (target->gc_state == MOBJ_GC_UNREACHABLE)
				mobj_refcount_dec(target);
			else
				mobj_obj_put(mdev, target);
		}
		cond_resched();
	}
	list_for_each_entry_safe(obj, next, garbage, gc_node) {
		list_del_init(&obj->gc_node);
		mdev->list_count[obj->gen]--;
		obj->gc_state = MOBJ_GC_IDLE;
		mobj_obj_destroy(mdev, obj, MOBJ_EVENT_CYCLE, generation);
	}
}

/* DEBUG_SAVEALL: garbage stays alive on the garbage list, which holds it. */
static void mobj_gc_save_garbage(struct mobj_dev *mdev,
				 struct list_head *garbage)
{
	struct mobj_obj *obj, *next;

	list_for_each_entry_safe(obj, next, garbage, gc_node) {
		obj->gc_state = MOBJ_GC_IDLE;
		mobj_refcount_inc(obj);
		mobj_list_move(mdev, obj, MOBJ_GEN_GARBAGE);
	}
}

/*
 * Survivors move to generation @to.  A survivor without slots can never be
 * in a cycle again until it gets a slot, so it leaves the collector's
 * lists, like an untracked tuple in CPython.
 */
static unsigned long mobj_gc_promote(struct mobj_dev *mdev,
				     struct list_head *young, unsigned int to)
{
	struct mobj_obj *obj, *next;
	unsigned long n = 0;

	list_for_each_entry_safe(obj, next, young, gc_node) {
		obj->gc_state = MOBJ_GC_IDLE;
		if (!obj->nslots) {
			mobj_list_move(mdev, obj, MOBJ_GEN_UNTRACKED);
			continue;
		}
		mobj_list_move(mdev, obj, to);
		n++;
	}
	return n;
}

/**
 * mobj_gc_sweep - collect the objects on @young
 * @mdev: the device
 * @young: objects taken off their lists (obj->gen still names the list
 *	that counts them); emptied
 * @to: the generation survivors move to
 * @generation: reported in death notices
 * @save: keep the garbage on the garbage list instead of freeing it
 * @res: filled with what was examined and collected
 *
 * Returns the number of survivors that stayed tracked.
 */
static unsigned long mobj_gc_sweep(struct mobj_dev *mdev,
				   struct list_head *young, unsigned int to,
				   unsigned int generation, bool save,
				   struct mobj_gc_collect *res)
{
	LIST_HEAD(unreachable);
	unsigned long survivors;
	struct list_head *pos;

	lockdep_assert_held(&mdev->lock);

	res->examined = mobj_gc_subtract_refs(young);
	mobj_gc_move_unreachable(young, &unreachable);
	res->collected = 0;
	list_for_each(pos, &unreachable)
		res->collected++;
	res->uncollectable = 0;

	/* Survivors first: freeing garbage may free objects outside it. */
	survivors = mobj_gc_promote(mdev, young, to);
	if (save)
		mobj_gc_save_garbage(mdev, &unreachable);
	else
		mobj_gc_free_garbage(mdev, &unreachable, generation);
	return survivors;
}

/**
 * mobj_gc_collect - gc.collect(generation)
 * @mdev: the device
 * @generation: collect generations 0..@generation
 * @res: filled with the results when not NULL
 *
 * Returns the number of objects found unreachable.
 */
unsigned long mobj_gc_collect(struct mobj_dev *mdev, unsigned int generation,
			      struct mobj_gc_collect *res)
{
	struct mobj_gc_gen_stats *stats = &mdev->gen[generation].stats;
	unsigned int to = min_t(unsigned int, generation + 1, MOBJ_GEN2);
	struct mobj_gc_collect r;
	unsigned long survivors;
	unsigned long candidates = 0;
	u64 start = ktime_get_ns();
	LIST_HEAD(young);
	unsigned int i;

	lockdep_assert_held(&mdev->lock);

	if (generation + 1 < MOBJ_GC_GENERATIONS)
		mdev->gen[generation + 1].count++;
	for (i = 0; i <= generation; i++) {
		mdev->gen[i].count = 0;
		candidates += mdev->list_count[i];
		list_splice_tail_init(&mdev->lists[i], &young);
	}
	trace_gc_start(generation, candidates);

	survivors = mobj_gc_sweep(mdev, &young, to, generation,
				  mdev->gc_debug & MOBJ_GC_DEBUG_SAVEALL, &r);
	if (generation == MOBJ_GEN1)
		mdev->long_lived_pending += survivors;
	if (generation == MOBJ_GEN2) {
		mdev->long_lived_pending = 0;
		mdev->long_lived_total = survivors;
	}

	r.duration_ns = ktime_get_ns() - start;
	stats->collections++;
	stats->collected += r.collected;
	stats->total_ns += r.duration_ns;
	trace_gc_end(generation, r.collected, r.uncollectable, r.duration_ns);
	if (res)
		*res = r;
	return r.collected;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_collect);

/*
 * The automatic collection: the oldest generation whose count exceeds its
 * threshold, except that a full collection also waits until the objects
 * awaiting one exceed 25% of those that survived the last one.
 */
void mobj_gc_collect_generations(struct mobj_dev *mdev)
{
	int i;

	lockdep_assert_held(&mdev->lock);

	for (i = MOBJ_GC_GENERATIONS - 1; i >= 0; i--) {
		if (mdev->gen[i].count <= mdev->gen[i].threshold)
			continue;
		if (i == MOBJ_GEN2 &&
		    mdev->long_lived_pending < mdev->long_lived_total / 4)
			continue;
		mobj_gc_collect(mdev, i, NULL);
		break;
	}
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_collect_generations);

static unsigned long mobj_gc_move_all(struct mobj_dev *mdev,
				      unsigned int from, unsigned int to)
{
	struct mobj_obj *obj, *next;
	unsigned long n = 0;

	list_for_each_entry_safe(obj, next, &mdev->lists[from], gc_node) {
		mobj_list_move(mdev, obj, to);
		n++;
	}
	return n;
}

/* gc.freeze(): every tracked object moves to the permanent generation. */
unsigned long mobj_gc_freeze(struct mobj_dev *mdev)
{
	unsigned long n = 0;
	unsigned int i;

	lockdep_assert_held(&mdev->lock);

	for (i = 0; i < MOBJ_GC_GENERATIONS; i++) {
		n += mobj_gc_move_all(mdev, i, MOBJ_GEN_PERMANENT);
		mdev->gen[i].count = 0;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_freeze);

/* gc.unfreeze(): the permanent generation joins the oldest one. */
unsigned long mobj_gc_unfreeze(struct mobj_dev *mdev)
{
	lockdep_assert_held(&mdev->lock);

	return mobj_gc_move_all(mdev, MOBJ_GEN_PERMANENT, MOBJ_GEN2);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_unfreeze);

/*
 * del gc.garbage[:]: the list drops its references.  Objects nobody took a
 * handle to are unreachable again and are freed now; the others join
 * generation 2.
 */
void mobj_gc_garbage_clear(struct mobj_dev *mdev)
{
	struct mobj_gc_collect r;
	struct mobj_obj *obj;
	LIST_HEAD(young);

	lockdep_assert_held(&mdev->lock);

	list_splice_tail_init(&mdev->lists[MOBJ_GEN_GARBAGE], &young);
	list_for_each_entry(obj, &young, gc_node)
		mobj_refcount_dec(obj);
	mobj_gc_sweep(mdev, &young, MOBJ_GEN2, MOBJ_GEN2, false, &r);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_garbage_clear);
