// SPDX-License-Identifier: GPL-2.0
/*
 * mobj objects: allocation, reference counting, slots and freeing.
 *
 * Every function here runs under the device's big lock, except the
 * allocation of an object that is not yet in a heap.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include <kunit/visibility.h>

#include "mobj.h"
#include "mobj_trace.h"

static struct kmem_cache *mobj_obj_cache;

int mobj_obj_cache_init(void)
{
	mobj_obj_cache = KMEM_CACHE(mobj_obj,
				    SLAB_ACCOUNT | SLAB_TYPESAFE_BY_RCU);
	return mobj_obj_cache ? 0 : -ENOMEM;
}

void mobj_obj_cache_destroy(void)
{
	kmem_cache_destroy(mobj_obj_cache);
}

/* Take the big lock, keeping its figures for debugfs. */
void mobj_lock(struct mobj_dev *mdev)
{
	struct mobj_lock_stats *st = &mdev->lockstat;
	u64 start, now;

	if (mutex_trylock(&mdev->lock)) {
		now = local_clock();
	} else {
		atomic_inc(&mdev->lock_waiters);
		start = local_clock();
		mutex_lock(&mdev->lock);
		now = local_clock();
		if (atomic_dec_and_test(&mdev->lock_waiters))
			wake_up_var(&mdev->lock_waiters);
		st->contended++;
		if (now > start) {
			st->wait_ns += now - start;
			st->wait_max_ns = max(st->wait_max_ns, now - start);
		}
	}
	st->acquisitions++;
	st->hold_start = now;
}

void mobj_unlock(struct mobj_dev *mdev)
{
	struct mobj_lock_stats *st = &mdev->lockstat;
	u64 now = local_clock();

	if (now > st->hold_start)
		st->hold_max_ns = max(st->hold_max_ns, now - st->hold_start);
	mutex_unlock(&mdev->lock);
}

void mobj_dev_init(struct mobj_dev *mdev)
{
	unsigned int i;

	mutex_init(&mdev->lock);
	mdev->next_id = 1;
	xa_init(&mdev->objects);
	xa_init(&mdev->type_names);
	for (i = 0; i < MOBJ_NR_LISTS; i++)
		INIT_LIST_HEAD(&mdev->lists[i]);
	INIT_LIST_HEAD(&mdev->clients);
	mobj_gc_init(mdev);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_dev_init);

/*
 * Free every object left, at module unload or when a test heap goes away.
 * No client is open, so only cycles (and saved garbage) can remain; their
 * references all point inside the heap, so each object is freed without
 * touching the others' refcounts.
 */
void mobj_dev_destroy(struct mobj_dev *mdev)
{
	struct mobj_obj *obj, *next;
	unsigned long type;
	unsigned int i;
	char *name;

	cancel_work_sync(&mdev->gc_work);
	mutex_lock(&mdev->lock);
	WARN_ON(!list_empty(&mdev->clients));
	WARN_ON(mdev->live_handles);
	for (i = 0; i < MOBJ_NR_LISTS; i++) {
		list_for_each_entry_safe(obj, next, &mdev->lists[i], gc_node) {
			mobj_list_del(mdev, obj);
			obj->nslots = 0;
			obj->refcount = 0;
			mobj_obj_destroy(mdev, obj, MOBJ_EVENT_REFCOUNT, 0);
			cond_resched();
		}
	}
	WARN_ON(mdev->live_objects);
	WARN_ON(!xa_empty(&mdev->objects));
	xa_for_each(&mdev->type_names, type, name)
		kfree(name);
	xa_destroy(&mdev->type_names);
	mutex_unlock(&mdev->lock);
	mutex_destroy(&mdev->lock);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_dev_destroy);

/*
 * A new object, not yet in any heap, owning @data (kvmalloc'ed, or NULL
 * when @data_len is 0).  Its refcount starts at 1: the handle being made.
 */
struct mobj_obj *mobj_obj_alloc(u32 type, void *data, u32 data_len)
{
	struct mobj_obj *obj;

	obj = kmem_cache_zalloc(mobj_obj_cache, GFP_KERNEL_ACCOUNT);
	if (!obj)
		return NULL;
	obj->type = type;
	obj->data = data;
	obj->data_len = data_len;
	obj->refcount = 1;
	obj->gen = MOBJ_GEN_UNTRACKED;
	INIT_LIST_HEAD(&obj->referrers);
	INIT_LIST_HEAD(&obj->observers);
	INIT_LIST_HEAD(&obj->gc_node);
	return obj;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_obj_alloc);

/* Undo mobj_obj_alloc() for an object that never reached a heap. */
void mobj_obj_free_unpublished(struct mobj_obj *obj)
{
	kvfree(obj->data);
	kmem_cache_free(mobj_obj_cache, obj);
}

void mobj_quota_put(struct mobj_quota *quota)
{
	if (quota->orphan && !quota->objects)
		kfree(quota);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_quota_put);

/*
 * Put a new object into the heap, charged to @quota.  It starts untracked:
 * with no slot it cannot be part of a cycle.
 */
int mobj_obj_insert(struct mobj_dev *mdev, struct mobj_obj *obj,
		    struct mobj_quota *quota)
{
	int rc;

	lockdep_assert_held(&mdev->lock);

	if (mdev->live_objects >= mobj_objects_max())
		return -ENOSPC;
	if (quota->objects >= mobj_client_objects_max())
		return -EDQUOT;
	rc = xa_insert(&mdev->objects, mdev->next_id, obj, GFP_KERNEL_ACCOUNT);
	if (rc)
		return rc;

	obj->id = mdev->next_id++;
	obj->quota = quota;
	quota->objects++;
	mdev->live_objects++;
	obj->gen = MOBJ_GEN_UNTRACKED;
	list_add_tail(&obj->gc_node, &mdev->lists[MOBJ_GEN_UNTRACKED]);
	mdev->list_count[MOBJ_GEN_UNTRACKED]++;
	mdev->gen[0].count++;
	trace_obj_new(obj->id, obj->type, obj->data_len);
	mobj_gc_maybe_queue(mdev);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_obj_insert);

void mobj_list_del(struct mobj_dev *mdev, struct mobj_obj *obj)
{
	lockdep_assert_held(&mdev->lock);

	list_del_init(&obj->gc_node);
	mdev->list_count[obj->gen]--;
}

void mobj_list_move(struct mobj_dev *mdev, struct mobj_obj *obj,
		    unsigned int to)
{
	lockdep_assert_held(&mdev->lock);

	list_move_tail(&obj->gc_node, &mdev->lists[to]);
	mdev->list_count[obj->gen]--;
	mdev->list_count[to]++;
	WRITE_ONCE(obj->gen, to);
}

/*
 * A refcount went wrong (mobj_refcount_inc/dec): saturate it, so that the
 * object is never freed, count it for debugfs "stats" and say it once per
 * heap.
 */
void mobj_refcount_bad(struct mobj_dev *mdev, struct mobj_obj *obj,
		       const char *what)
{
	lockdep_assert_held(&mdev->lock);

	WRITE_ONCE(obj->refcount, MOBJ_REFCOUNT_SATURATED);
	WARN(!mdev->refcount_errors++,
	     "mobj: object %llu: refcount %s, saturated (leaking it)\n",
	     obj->id, what);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_refcount_bad);

void mobj_obj_get(struct mobj_dev *mdev, struct mobj_obj *obj)
{
	lockdep_assert_held(&mdev->lock);

	mobj_refcount_inc(mdev, obj);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_obj_get);

/* Tell weak references and watchers that @obj is dying. */
static void mobj_obj_notify(struct mobj_obj *obj, u32 reason, u32 generation)
{
	struct mobj_observer *ob, *next;
	struct mobj_watcher *watch;

	list_for_each_entry_safe(ob, next, &obj->observers, node) {
		list_del_init(&ob->node);
		ob->obj = NULL;
		if (ob->kind != MOBJ_OBSERVER_WATCH)
			continue;
		obj->nwatchers--;
		watch = container_of(ob, struct mobj_watcher, observer);
		mobj_client_post(watch->client, &(struct mobj_event) {
			.cookie = watch->cookie,
			.id = obj->id,
			.type = obj->type,
			.reason = reason,
			.generation = generation,
		});
		list_del(&watch->client_node);
		kfree(watch);
	}
}

/*
 * Free an object that is off every list, has no referrers and no slots
 * left to drop.
 */
void mobj_obj_destroy(struct mobj_dev *mdev, struct mobj_obj *obj,
		      u32 reason, u32 generation)
{
	lockdep_assert_held(&mdev->lock);
	WARN_ON_ONCE(obj->refcount || obj->nslots);

	trace_obj_free(obj->id, obj->type, reason);
	mobj_obj_notify(obj, reason, generation);
	xa_erase(&mdev->objects, obj->id);
	obj->quota->objects--;
	mobj_quota_put(obj->quota);
	mdev->live_objects--;
	if (mdev->gen[0].count)
		mdev->gen[0].count--;
	kvfree(obj->slots);
	kvfree(obj->data);
	kmem_cache_free(mobj_obj_cache, obj);
}

/*
 * Free the objects on @dead, whose refcounts are zero, and every object
 * that dies because of them.  Iterative: a chain of a million objects uses
 * no stack, and yields the CPU as it goes.
 */
void mobj_release_dead(struct mobj_dev *mdev, struct list_head *dead)
{
	struct mobj_obj *obj, *target;
	struct mobj_ref *ref;

	lockdep_assert_held(&mdev->lock);

	while (!list_empty(dead)) {
		obj = list_first_entry(dead, struct mobj_obj, gc_node);
		list_del_init(&obj->gc_node);
		while (obj->nslots) {
			ref = &obj->slots[--obj->nslots];
			target = ref->target;
			trace_slot_clear(obj->id, obj->nslots, target->id);
			list_del(&ref->backref);
			if (mobj_refcount_dec(mdev, target))
				continue;
			mobj_list_del(mdev, target);
			list_add_tail(&target->gc_node, dead);
		}
		mobj_obj_destroy(mdev, obj, MOBJ_EVENT_REFCOUNT, 0);
		cond_resched();
	}
}

/* Drop one reference; at zero the object and what only it held are freed. */
void mobj_obj_put(struct mobj_dev *mdev, struct mobj_obj *obj)
{
	LIST_HEAD(dead);

	lockdep_assert_held(&mdev->lock);

	if (mobj_refcount_dec(mdev, obj))
		return;
	mobj_list_del(mdev, obj);
	list_add(&obj->gc_node, &dead);
	mobj_release_dead(mdev, &dead);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_obj_put);

static void mobj_ref_link(struct mobj_dev *mdev, struct mobj_ref *ref,
			  struct mobj_obj *owner, struct mobj_obj *target)
{
	ref->owner = owner;
	ref->target = target;
	mobj_refcount_inc(mdev, target);
	list_add_tail(&ref->backref, &target->referrers);
}

/* Move slot @from to @to, keeping its place on the target's referrers. */
static void mobj_ref_move(struct mobj_ref *to, struct mobj_ref *from)
{
	to->owner = from->owner;
	to->target = from->target;
	list_replace(&from->backref, &to->backref);
}

static int mobj_slots_grow(struct mobj_dev *mdev, struct mobj_obj *obj)
{
	unsigned int max = mobj_slots_max();
	struct mobj_ref *slots;
	u32 cap, i;

	lockdep_assert_held(&mdev->lock);

	if (obj->nslots >= max)
		return -EFBIG;
	cap = obj->cap ? min_t(u32, obj->cap * 2, max) : min_t(u32, 4, max);
	slots = kvmalloc_array(cap, sizeof(*slots), GFP_KERNEL_ACCOUNT);
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < obj->nslots; i++)
		mobj_ref_move(&slots[i], &obj->slots[i]);
	kvfree(obj->slots);
	obj->slots = slots;
	obj->cap = cap;
	return 0;
}

/* a.append(b): the first slot makes @obj tracked by the collector. */
int mobj_slot_append(struct mobj_dev *mdev, struct mobj_obj *obj,
		     struct mobj_obj *target, u32 *index)
{
	int rc;

	lockdep_assert_held(&mdev->lock);

	if (obj->nslots >= mobj_slots_max())
		return -EFBIG;
	if (obj->nslots == obj->cap) {
		rc = mobj_slots_grow(mdev, obj);
		if (rc)
			return rc;
	}
	mobj_ref_link(mdev, &obj->slots[obj->nslots], obj, target);
	trace_slot_set(obj->id, obj->nslots, target->id);
	*index = obj->nslots;
	WRITE_ONCE(obj->nslots, obj->nslots + 1);
	if (obj->gen == MOBJ_GEN_UNTRACKED)
		mobj_list_move(mdev, obj, MOBJ_GEN0);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_slot_append);

/* a[i] = b: the new reference is taken before the old one is dropped. */
int mobj_slot_set(struct mobj_dev *mdev, struct mobj_obj *obj, u32 index,
		  struct mobj_obj *target)
{
	struct mobj_ref *ref;
	struct mobj_obj *old;

	lockdep_assert_held(&mdev->lock);

	if (index >= obj->nslots)
		return -ERANGE;
	ref = &obj->slots[index];
	old = ref->target;
	trace_slot_clear(obj->id, index, old->id);
	list_del(&ref->backref);
	mobj_ref_link(mdev, ref, obj, target);
	trace_slot_set(obj->id, index, target->id);
	mobj_obj_put(mdev, old);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_slot_set);

/* del a[i]: later slots move down by one. */
int mobj_slot_pop(struct mobj_dev *mdev, struct mobj_obj *obj, u32 index)
{
	struct mobj_obj *old;
	u32 i;

	lockdep_assert_held(&mdev->lock);

	if (index >= obj->nslots)
		return -ERANGE;
	old = obj->slots[index].target;
	trace_slot_clear(obj->id, index, old->id);
	list_del(&obj->slots[index].backref);
	for (i = index; i + 1 < obj->nslots; i++)
		mobj_ref_move(&obj->slots[i], &obj->slots[i + 1]);
	WRITE_ONCE(obj->nslots, obj->nslots - 1);
	mobj_obj_put(mdev, old);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_slot_pop);
