// SPDX-License-Identifier: GPL-2.0
/*
 * mobj objects: allocation, reference counting, slots and freeing, and the
 * commands that act on one object: NEW, GETREFCOUNT, INFO, DATA_READ,
 * DATA_WRITE and SLOT_*.
 *
 * The heap functions run under the device's big lock, except the
 * allocation of an object that is not yet in a heap; the commands take it
 * themselves, and GETREFCOUNT and INFO read without it (see
 * mobj_handle_read()).
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include <kunit/visibility.h>

#include "mobj_ioctl.h"
#include "mobj_trace.h"

static struct kmem_cache *mobj_obj_cache;
/* Arrays of one slot, the size most objects that have slots have. */
static struct kmem_cache *mobj_slot_cache;
/* Frees the objects of a struct mobj_free_batch after a grace period. */
static struct workqueue_struct *mobj_free_wq;

/* Slots released between two cond_resched() when the lock is kept. */
#define MOBJ_DRAIN_LOCKED_BUDGET 1024

/**
 * struct mobj_free_batch - dead objects freed together
 * @rwork: runs once a grace period has passed, in process context
 * @n: objects in @objs
 * @objs: their memory, to kmem_cache_free_bulk()
 *
 * Freeing a million objects with a call_rcu() each would run a million
 * callbacks in softirq context, in the middle of whatever the CPU was
 * doing, clients holding the big lock included: a page of them goes
 * through one grace period and one work item instead.
 */
struct mobj_free_batch {
	struct rcu_work rwork;
	unsigned int n;
	struct mobj_obj *objs[];
};

#define MOBJ_FREE_BATCH_MAX \
	((PAGE_SIZE - offsetof(struct mobj_free_batch, objs)) / \
	 sizeof(struct mobj_obj *))

int mobj_obj_cache_init(void)
{
	mobj_free_wq = alloc_workqueue("mobj_free", WQ_UNBOUND | WQ_MEM_RECLAIM,
				       0);
	if (!mobj_free_wq)
		return -ENOMEM;
	mobj_obj_cache = KMEM_CACHE(mobj_obj, SLAB_ACCOUNT);
	if (!mobj_obj_cache)
		goto err_wq;
	mobj_slot_cache = kmem_cache_create("mobj_slot", sizeof(struct mobj_ref),
					    __alignof__(struct mobj_ref),
					    SLAB_ACCOUNT, NULL);
	if (!mobj_slot_cache)
		goto err_obj;
	if (mobj_pools_init())
		goto err_slot;
	return 0;

err_slot:
	kmem_cache_destroy(mobj_slot_cache);
err_obj:
	kmem_cache_destroy(mobj_obj_cache);
err_wq:
	destroy_workqueue(mobj_free_wq);
	return -ENOMEM;
}

void mobj_obj_cache_destroy(void)
{
	/* Every grace period's callback, then every batch it queued. */
	rcu_barrier();
	destroy_workqueue(mobj_free_wq);
	mobj_pools_exit();
	kmem_cache_destroy(mobj_slot_cache);
	kmem_cache_destroy(mobj_obj_cache);
}

/*
 * A client's objects and one-slot arrays come from its pools, in address
 * order (mobj_pool.c).
 */
void mobj_client_pools_init(struct mobj_client *client)
{
	mobj_pool_init(&client->obj_pool, mobj_obj_cache);
	mobj_pool_init(&client->slot_pool, mobj_slot_cache);
}

void mobj_client_pools_destroy(struct mobj_client *client)
{
	mobj_pool_destroy(&client->obj_pool);
	mobj_pool_destroy(&client->slot_pool);
}

void mobj_heap_init(struct mobj_heap *heap)
{
	unsigned int i;

	mutex_init(&heap->lock);
	heap->next_id = 1;
	xa_init_flags(&heap->objects, XA_FLAGS_ACCOUNT);
	xa_init_flags(&heap->quotas, XA_FLAGS_ALLOC1);
	heap->quota_hint = NULL;
	xa_init(&heap->type_names);
	hash_init(heap->type_by_name);
	for (i = 0; i < MOBJ_NR_LISTS; i++)
		INIT_LIST_HEAD(&heap->lists[i]);
	INIT_LIST_HEAD(&heap->clients);
	INIT_LIST_HEAD(&heap->gc_watchers);
	INIT_LIST_HEAD(&heap->exports);
	INIT_LIST_HEAD(&heap->dying);
	heap->name = "mobj";
	mobj_gc_init(heap);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_heap_init);

/*
 * Free every object left, at module unload or when a test heap goes away.
 * No client is open, so only cycles (and saved garbage) can remain; their
 * references all point inside the heap, so each object is freed without
 * touching the others' refcounts.
 */
void mobj_heap_destroy(struct mobj_heap *heap)
{
	struct mobj_obj *obj, *next;
	unsigned int i;

	cancel_work_sync(&heap->gc_work);
	mutex_lock(&heap->lock);
	WARN_ON(!list_empty(&heap->clients));
	WARN_ON(heap->live_handles);
	mobj_heap_drain_locked(heap);
	for (i = 0; i < MOBJ_NR_LISTS; i++) {
		list_for_each_entry_safe(obj, next, &heap->lists[i], gc_node) {
			mobj_list_del(heap, obj);
			obj->nslots = 0;
			obj->refcount = 0;
			mobj_obj_die(heap, obj, MOBJ_EVENT_REFCOUNT, 0);
			mobj_obj_free(obj);
			cond_resched();
		}
	}
	WARN_ON(heap->live_objects);
	xa_release(&heap->objects, heap->next_id);
	WARN_ON(!xa_empty(&heap->objects));
	WARN_ON(!xa_empty(&heap->quotas));
	xa_destroy(&heap->quotas);
	mobj_types_destroy(heap);
	mutex_unlock(&heap->lock);
	mutex_destroy(&heap->lock);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_heap_destroy);

/**
 * mobj_obj_ext - an object's payload, weak references and watches
 * @obj: the object, under the big lock or not yet in a heap
 *
 * Allocated on the first call and kept until the object is freed.
 * Returns NULL when that allocation fails.
 */
struct mobj_obj_ext *mobj_obj_ext(struct mobj_obj *obj)
{
	struct mobj_obj_ext *ext = obj->ext;

	if (ext)
		return ext;
	ext = kzalloc(sizeof(*ext), GFP_KERNEL_ACCOUNT);
	if (!ext)
		return NULL;
	INIT_LIST_HEAD(&ext->observers);
	/* MOBJ_INFO may read it without the lock. */
	smp_store_release(&obj->ext, ext);
	return ext;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_obj_ext);

static void mobj_obj_ext_free(struct mobj_obj *obj)
{
	struct mobj_obj_ext *ext = obj->ext;

	if (!ext)
		return;
	WRITE_ONCE(obj->ext, NULL);
	kvfree(ext->data);
	kfree_rcu(ext, rcu);
}

/*
 * A new object, not yet in any heap, owning @data (kvmalloc'ed, or NULL
 * when @data_len is 0; the caller's to free if this fails), from @pool
 * (or straight from the slab without one).  Its refcount starts at 1: the
 * handle being made.
 */
struct mobj_obj *mobj_obj_alloc(struct mobj_pool *pool, u32 type, void *data,
				u32 data_len)
{
	struct mobj_obj_ext *ext;
	struct mobj_obj *obj;

	if (pool)
		obj = mobj_pool_alloc(pool, GFP_KERNEL_ACCOUNT);
	else
		obj = kmem_cache_alloc(mobj_obj_cache, GFP_KERNEL_ACCOUNT);
	if (!obj)
		return NULL;
	memset(obj, 0, sizeof(*obj));
	if (data_len) {
		ext = mobj_obj_ext(obj);
		if (!ext) {
			kmem_cache_free(mobj_obj_cache, obj);
			return NULL;
		}
		ext->data = data;
		ext->data_len = data_len;
	}
	obj->type = type;
	obj->refcount = 1;
	obj->gen = MOBJ_GEN_UNTRACKED;
	INIT_HLIST_HEAD(&obj->referrers);
	INIT_LIST_HEAD(&obj->gc_node);
	return obj;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_obj_alloc);

/* Undo mobj_obj_alloc() for an object that never reached a heap. */
void mobj_obj_free_unpublished(struct mobj_obj *obj)
{
	mobj_obj_ext_free(obj);
	kmem_cache_free(mobj_obj_cache, obj);
}

/*
 * A new client's charge, with an id its objects keep; -ENOSPC when
 * MOBJ_QUOTA_ID_MAX of them (clients, and orphaned charges that objects
 * still count against) exist.
 */
struct mobj_quota *mobj_quota_alloc(struct mobj_heap *heap)
{
	struct mobj_quota *quota;
	int rc;

	quota = kzalloc(sizeof(*quota), GFP_KERNEL_ACCOUNT);
	if (!quota)
		return ERR_PTR(-ENOMEM);
	rc = xa_alloc(&heap->quotas, &quota->id, quota,
		      XA_LIMIT(1, MOBJ_QUOTA_ID_MAX), GFP_KERNEL_ACCOUNT);
	if (rc) {
		kfree(quota);
		return ERR_PTR(rc == -EBUSY ? -ENOSPC : rc);
	}
	return quota;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_quota_alloc);

/* The charge is gone with its client and its last object. */
void mobj_quota_put(struct mobj_heap *heap, struct mobj_quota *quota)
{
	lockdep_assert_held(&heap->lock);

	if (quota->orphan && !quota->objects) {
		if (heap->quota_hint == quota)
			heap->quota_hint = NULL;
		xa_erase(&heap->quotas, quota->id);
		kfree(quota);
	}
}
EXPORT_SYMBOL_IF_KUNIT(mobj_quota_put);

/*
 * Store @obj under the next id and keep the slot of the id after it
 * reserved (a lookup finds nothing there), so that the XArray node it is
 * in stays while objects that get ids in it come and go: a NEW, CLOSE loop
 * would otherwise allocate and free a node each time.  One walk does both.
 * Only a slot in the same leaf is reserved, which needs no memory: the
 * first id of a new leaf is stored by the next insertion, which allocates
 * the leaf (a reservation there could leave empty nodes behind when one
 * of several allocations failed).
 */
static int mobj_id_insert(struct mobj_heap *heap, struct mobj_obj *obj)
{
	XA_STATE(xas, &heap->objects, heap->next_id);

	do {
		xas_lock(&xas);
		xas_store(&xas, obj);
		if (!xas_error(&xas) && ((heap->next_id + 1) & XA_CHUNK_MASK) &&
		    !xas_next(&xas)) {
			xas_store(&xas, XA_ZERO_ENTRY);
			/* Done: a reservation that failed is no error. */
			xas_set(&xas, heap->next_id);
		}
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL_ACCOUNT));
	return xas_error(&xas);
}

/*
 * Put a new object into the heap, charged to @quota.  It starts untracked:
 * with no slot it cannot be part of a cycle.
 */
int mobj_obj_insert(struct mobj_heap *heap, struct mobj_obj *obj,
		    struct mobj_quota *quota)
{
	int rc;

	lockdep_assert_held(&heap->lock);

	if (heap->live_objects >= mobj_objects_max())
		return -ENOSPC;
	if (quota->objects >= mobj_client_objects_max())
		return -EDQUOT;
	/* The slot is free, or reserved by the object before. */
	rc = mobj_id_insert(heap, obj);
	if (rc)
		return rc;

	obj->id = heap->next_id++;
	obj->quota = quota->id;
	quota->objects++;
	heap->live_objects++;
	obj->gen = MOBJ_GEN_UNTRACKED;
	list_add_tail(&obj->gc_node, &heap->lists[MOBJ_GEN_UNTRACKED]);
	heap->list_count[MOBJ_GEN_UNTRACKED]++;
	heap->gen[0].count++;
	trace_obj_new(obj->id, obj->type, mobj_obj_data_len(obj));
	mobj_gc_maybe_queue(heap);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_obj_insert);

void mobj_list_del(struct mobj_heap *heap, struct mobj_obj *obj)
{
	lockdep_assert_held(&heap->lock);

	list_del_init(&obj->gc_node);
	heap->list_count[obj->gen]--;
}

void mobj_list_move(struct mobj_heap *heap, struct mobj_obj *obj,
		    unsigned int to)
{
	lockdep_assert_held(&heap->lock);

	list_move_tail(&obj->gc_node, &heap->lists[to]);
	heap->list_count[obj->gen]--;
	heap->list_count[to]++;
	WRITE_ONCE(obj->gen, to);
}

/*
 * A refcount went wrong (mobj_refcount_inc/dec): saturate it, so that the
 * object is never freed, count it for debugfs "stats" and say it once per
 * heap.
 */
void mobj_refcount_bad(struct mobj_heap *heap, struct mobj_obj *obj,
		       const char *what)
{
	lockdep_assert_held(&heap->lock);

	WRITE_ONCE(obj->refcount, MOBJ_REFCOUNT_SATURATED);
	WARN(!heap->refcount_errors++,
	     "mobj: object %llu: refcount %s, saturated (leaking it)\n",
	     obj->id, what);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_refcount_bad);

void mobj_obj_get(struct mobj_heap *heap, struct mobj_obj *obj)
{
	lockdep_assert_held(&heap->lock);

	mobj_refcount_inc(heap, obj);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_obj_get);

/*
 * Death notices sent at the moment of death; an object with more weak
 * references and watchers has the others told as its release goes on.
 */
#define MOBJ_NOTIFY_AT_DEATH 64

/* Once dead, gc_refs keeps why and in which collection, for the notices. */
#define MOBJ_DEATH(reason, generation) ((s32)((generation) << 16 | (reason)))
#define MOBJ_DEATH_REASON(death) ((u32)((death) & 0xffff))
#define MOBJ_DEATH_GENERATION(death) ((u32)((death) >> 16))

/*
 * Tell up to @budget of the weak references and watchers of dead @obj
 * that it died.  Returns how many were told.
 */
static long mobj_obj_notify(struct mobj_obj *obj, long budget)
{
	struct mobj_obj_ext *ext = obj->ext;
	struct mobj_observer *ob, *next;
	struct mobj_watcher *watch;
	long n = 0;

	if (!ext)
		return 0;
	list_for_each_entry_safe(ob, next, &ext->observers, node) {
		if (n++ == budget)
			return budget;
		list_del_init(&ob->node);
		ob->obj = NULL;
		if (ob->kind != MOBJ_OBSERVER_WATCH)
			continue;
		WRITE_ONCE(ext->nwatchers, ext->nwatchers - 1);
		watch = container_of(ob, struct mobj_watcher, observer);
		mobj_client_post(watch->client, &(struct mobj_event) {
			.cookie = watch->cookie,
			.id = obj->id,
			.type = obj->type,
			.reason = MOBJ_DEATH_REASON(obj->gc_refs),
			.generation = MOBJ_DEATH_GENERATION(obj->gc_refs),
		});
		list_del(&watch->client_node);
		watch->client->nwatches--;
		kfree(watch);
	}
	return n;
}

/*
 * @obj's refcount reached zero (or the collector found it garbage): it is
 * dead from now on.  Its weak references see it dead (MOBJ_WEAKREF_GET
 * checks the refcount), its watchers are told (the first
 * MOBJ_NOTIFY_AT_DEATH now), its id goes, it no longer counts as live or
 * against its creator's quota.  What it still holds, and the rest of its
 * notices, go later, by mobj_heap_drain_step() (an object a CLOSE kills
 * with neither is freed at once: mobj_obj_put_close()).
 */
void mobj_obj_die(struct mobj_heap *heap, struct mobj_obj *obj, u32 reason,
		  u32 generation)
{
	struct mobj_quota *quota = heap->quota_hint;

	lockdep_assert_held(&heap->lock);
	WARN_ON_ONCE(obj->refcount);

	if (!quota || !mobj_obj_charged_to(obj, quota)) {
		quota = xa_load(&heap->quotas, obj->quota);
		heap->quota_hint = quota;
	}

	trace_obj_free(obj->id, obj->type, reason);
	obj->gc_refs = MOBJ_DEATH(reason, generation);
	obj->gc_state = MOBJ_GC_DEAD;
	mobj_obj_notify(obj, MOBJ_NOTIFY_AT_DEATH);
	xa_erase(&heap->objects, obj->id);
	quota->objects--;
	mobj_quota_put(heap, quota);
	heap->live_objects--;
	if (heap->gen[0].count)
		heap->gen[0].count--;
}

static void mobj_obj_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(mobj_obj_cache, container_of(rcu, struct mobj_obj, rcu));
}

static void mobj_free_batch_work(struct work_struct *work)
{
	struct mobj_free_batch *batch =
		container_of(to_rcu_work(work), struct mobj_free_batch, rwork);

	kmem_cache_free_bulk(mobj_obj_cache, batch->n, (void **)batch->objs);
	kfree(batch);
}

static struct mobj_free_batch *mobj_free_batch_alloc(void)
{
	struct mobj_free_batch *batch;

	BUILD_BUG_ON(MOBJ_FREE_BATCH_MAX < 64);
	batch = kmalloc(PAGE_SIZE, GFP_NOWAIT | __GFP_NOWARN);
	if (batch) {
		INIT_RCU_WORK(&batch->rwork, mobj_free_batch_work);
		batch->n = 0;
	}
	return batch;
}

/*
 * A slot array of 1 << @order slots: one slot from @pool (or straight from
 * the slab without one), more from kvmalloc.
 */
static struct mobj_ref *mobj_slots_alloc(struct mobj_pool *pool,
					 unsigned int order)
{
	if (order)
		return kvmalloc_array(1U << order, sizeof(struct mobj_ref),
				      GFP_KERNEL_ACCOUNT);
	if (pool)
		return mobj_pool_alloc(pool, GFP_KERNEL_ACCOUNT);
	return kmem_cache_alloc(mobj_slot_cache, GFP_KERNEL_ACCOUNT);
}

static void mobj_slots_free(struct mobj_ref *base, unsigned int order)
{
	if (order)
		kvfree(base);
	else if (base)
		kmem_cache_free(mobj_slot_cache, base);
}

/* What a dead object with no slot left holds besides itself. */
static void mobj_obj_free_parts(struct mobj_obj *obj)
{
	mobj_slots_free(obj->slots - obj->front, obj->cap_order);
	mobj_obj_ext_free(obj);
}

/*
 * The memory of a dead object with no slot left, off every list.  A
 * lock-free reader that found a handle of it before the handle went may
 * still be reading it: the object itself goes after a grace period.
 */
void mobj_obj_free(struct mobj_obj *obj)
{
	mobj_obj_free_parts(obj);
	call_rcu(&obj->rcu, mobj_obj_free_rcu);
}

/* Queue a dead object; the current holder of the lock drains the queue. */
static void mobj_dying_add(struct mobj_heap *heap, struct mobj_obj *obj)
{
	list_add_tail(&obj->gc_node, &heap->dying);
	heap->ndying++;
	heap->drain_owed = true;
}

/*
 * Release what dead objects hold, oldest first: up to @budget notices,
 * slots (each a put, which may add its target to the queue) and objects.  Objects with
 * nothing left move to @reap, to be freed once the lock is dropped.
 * Returns true when the queue is empty.
 */
bool mobj_heap_drain_step(struct mobj_heap *heap, long *budget,
			  struct list_head *reap)
{
	struct mobj_obj *obj, *target;
	struct mobj_ref *ref;

	lockdep_assert_held(&heap->lock);

	while (*budget > 0 && !list_empty(&heap->dying)) {
		obj = list_first_entry(&heap->dying, struct mobj_obj, gc_node);
		*budget -= mobj_obj_notify(obj, *budget);
		if (mobj_obj_observed(obj))
			break;
		while (obj->nslots && *budget > 0) {
			ref = &obj->slots[obj->nslots - 1];
			target = ref->target;
			WRITE_ONCE(obj->nslots, obj->nslots - 1);
			trace_slot_clear(obj->id, obj->nslots, target->id);
			hlist_del(&ref->backref);
			mobj_obj_put(heap, target);
			--*budget;
		}
		if (obj->nslots)
			break;
		/*
		 * Nothing refers to a dead object, but a paused REFERRERS walk
		 * may still have its place on its list: it frees the object.
		 */
		if (unlikely(!hlist_empty(&obj->referrers)))
			list_del_init(&obj->gc_node);
		else
			list_move_tail(&obj->gc_node, reap);
		heap->ndying--;
		--*budget;
	}
	return list_empty(&heap->dying);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_heap_drain_step);

/*
 * Free the objects mobj_heap_drain_step() finished with (the lock dropped
 * where the caller can, still held in a collection's scan): a lone one as
 * mobj_obj_free() does, more in batches of a page, taken without sleeping
 * (or one by one from the first page that cannot be had).
 */
void mobj_heap_reap(struct list_head *reap)
{
	bool batched = !list_is_singular(reap);
	struct mobj_free_batch *batch = NULL;
	struct mobj_obj *obj, *next;
	/* One-slot arrays, freed a slab page at a time rather than each. */
	void *slots[32];
	unsigned int n = 0, nslots = 0;

	list_for_each_entry_safe(obj, next, reap, gc_node) {
		if (!batch && batched) {
			batch = mobj_free_batch_alloc();
			batched = !!batch;
		}
		if (obj->slots && !obj->cap_order) {
			slots[nslots++] = obj->slots - obj->front;
			obj->slots = NULL;
			obj->front = 0;
			if (nslots == ARRAY_SIZE(slots)) {
				kmem_cache_free_bulk(mobj_slot_cache, nslots,
						     slots);
				nslots = 0;
			}
		}
		if (!batch) {
			mobj_obj_free(obj);
		} else {
			mobj_obj_free_parts(obj);
			batch->objs[batch->n++] = obj;
			if (batch->n == MOBJ_FREE_BATCH_MAX) {
				queue_rcu_work(mobj_free_wq, &batch->rwork);
				batch = NULL;
			}
		}
		if (!(++n % 1024))
			cond_resched();
	}
	kmem_cache_free_bulk(mobj_slot_cache, nslots, slots);
	if (batch)
		queue_rcu_work(mobj_free_wq, &batch->rwork);
	INIT_LIST_HEAD(reap);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_heap_reap);

/**
 * mobj_heap_drain() - release what dead objects hold, then unlock
 * @heap: the heap, whose big lock the caller holds and loses
 *
 * A chain of a million objects dies one object at a time: each step
 * releases gc_step_budget slots and objects, then drops the lock and lets
 * the clients waiting for it have it before the next one; memory is freed
 * with the lock dropped.  Others see the objects die in order, each at
 * the moment its refcount reaches zero.  The caller is the client whose
 * call made them die (or the collector): the call returns when the queue
 * is empty, so its effects are complete, as with Py_DECREF; a task killed
 * meanwhile leaves the rest to the collector's work item.
 */
void mobj_heap_drain(struct mobj_heap *heap)
{
	unsigned int step = mobj_gc_step_budget();
	LIST_HEAD(reap);
	long budget;
	bool done;

	for (;;) {
		lockdep_assert_held(&heap->lock);
		heap->drain_owed = false;
		/* A step the holder's own job used up: hand over first. */
		budget = step ? (long)step - heap->step_spent : LONG_MAX;
		heap->step_spent = 0;
		done = list_empty(&heap->dying) ||
		       (budget > 0 && mobj_heap_drain_step(heap, &budget, &reap));
		__mobj_unlock(heap);
		mobj_heap_reap(&reap);
		if (done)
			return;
		if (fatal_signal_pending(current)) {
			mobj_gc_queue_drain(heap);
			return;
		}
		mobj_lock_handoff(heap);
		mobj_lock_timed(heap);
	}
}

/* The same without dropping the lock: tests, unload, stop-the-world. */
void mobj_heap_drain_locked(struct mobj_heap *heap)
{
	LIST_HEAD(reap);
	long budget;

	lockdep_assert_held(&heap->lock);

	for (;;) {
		budget = MOBJ_DRAIN_LOCKED_BUDGET;
		if (mobj_heap_drain_step(heap, &budget, &reap))
			break;
		mobj_heap_reap(&reap);
		cond_resched();
	}
	mobj_heap_reap(&reap);
	heap->drain_owed = false;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_heap_drain_locked);

/*
 * Drop one reference.  At zero the object is dead at once and queued;
 * what it held is released when the caller unlocks.  @alone: the put of
 * one MOBJ_CLOSE, where an object that dies holding nothing, with no one
 * left to tell, while no other death is being released, is freed now, as
 * the drain would free it alone at the unlock (one call_rcu()).  Deaths
 * in numbers (a release, a batch, the collector) go through the dying
 * list, to be freed in batches of a page after one grace period.
 */
static void __mobj_obj_put(struct mobj_heap *heap, struct mobj_obj *obj,
			   bool alone)
{
	lockdep_assert_held(&heap->lock);

	if (mobj_refcount_dec(heap, obj))
		return;
	mobj_list_del(heap, obj);
	mobj_obj_die(heap, obj, MOBJ_EVENT_REFCOUNT, 0);
	if (alone && !obj->nslots && !mobj_obj_observed(obj) &&
	    hlist_empty(&obj->referrers) && list_empty(&heap->dying))
		mobj_obj_free(obj);
	else
		mobj_dying_add(heap, obj);
}

void mobj_obj_put(struct mobj_heap *heap, struct mobj_obj *obj)
{
	__mobj_obj_put(heap, obj, false);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_obj_put);

void mobj_obj_put_close(struct mobj_heap *heap, struct mobj_obj *obj)
{
	__mobj_obj_put(heap, obj, true);
}

/*
 * The collector's garbage, @n objects dead and without slots on @dead:
 * freed the same way, queued in their order with one splice.
 */
void mobj_obj_queue_dead(struct mobj_heap *heap, struct list_head *dead,
			 unsigned long n)
{
	lockdep_assert_held(&heap->lock);

	if (!n)
		return;
	list_splice_tail(dead, &heap->dying);
	heap->ndying += n;
	heap->drain_owed = true;
}

static void mobj_ref_link(struct mobj_heap *heap, struct mobj_ref *ref,
			  struct mobj_obj *owner, struct mobj_obj *target)
{
	ref->owner = owner;
	ref->target = target;
	mobj_refcount_inc(heap, target);
	hlist_add_head(&ref->backref, &target->referrers);
}

/* Move slot @from to @to, keeping its place on the target's referrers. */
static void mobj_ref_move(struct mobj_ref *to, struct mobj_ref *from)
{
	to->owner = from->owner;
	to->target = from->target;
	to->backref.next = from->backref.next;
	to->backref.pprev = from->backref.pprev;
	*to->backref.pprev = &to->backref;
	if (to->backref.next)
		to->backref.next->pprev = &to->backref.next;
}

/*
 * Move the slots to the start of @to: a new array, or their own (ascending,
 * each slot goes below every slot not moved yet).
 */
static void mobj_slots_move(struct mobj_obj *obj, struct mobj_ref *to)
{
	u32 i;

	for (i = 0; i < obj->nslots; i++)
		mobj_ref_move(&to[i], &obj->slots[i]);
	obj->slots = to;
	obj->front = 0;
}

/*
 * Room for one more slot at the end.  Arrays start with one slot, the size
 * of a kmalloc-32 object (most objects that have slots have one or two),
 * and double up to the first power of two that holds slots_max.  When POPs
 * near the front have left at least as many unused slots there as are in
 * use, the slots slide down to the start instead: each slot moved was paid
 * for by one of those POPs.  So do they when the array cannot grow (POPs
 * near the front are then all the room there is).  @max is slots_max, which
 * the caller checked @obj is below.
 */
static int mobj_slots_grow(struct mobj_heap *heap, struct mobj_pool *pool,
			   struct mobj_obj *obj, unsigned int max)
{
	struct mobj_ref *base = obj->slots - obj->front;
	struct mobj_ref *slots;
	unsigned int order;

	lockdep_assert_held(&heap->lock);

	if (obj->front &&
	    (obj->front >= obj->nslots || mobj_slots_cap(obj) >= max)) {
		mobj_slots_move(obj, base);
		return 0;
	}
	order = obj->slots ? obj->cap_order + 1 : 0;
	slots = mobj_slots_alloc(pool, order);
	if (!slots)
		return -ENOMEM;
	mobj_slots_move(obj, slots);
	mobj_slots_free(base, obj->cap_order);
	obj->cap_order = order;
	return 0;
}

/* Whether the array has no room at the end for another slot. */
static bool mobj_slots_full(const struct mobj_obj *obj)
{
	return obj->front + obj->nslots >= mobj_slots_cap(obj);
}

/*
 * The slots a.append() moves first, to a new array or down to the start
 * of this one (a batch's cost of an APPEND).
 */
u32 mobj_slot_append_moves(const struct mobj_obj *obj)
{
	return mobj_slots_full(obj) ? obj->nslots : 0;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_slot_append_moves);

/*
 * a.append(b): the first slot makes @obj tracked by the collector.  A
 * first array comes from @pool, the appending client's (may be NULL).
 */
int mobj_slot_append(struct mobj_heap *heap, struct mobj_pool *pool,
		     struct mobj_obj *obj, struct mobj_obj *target, u32 *index)
{
	unsigned int max = mobj_slots_max();
	int rc;

	lockdep_assert_held(&heap->lock);

	if (obj->nslots >= max)
		return -EFBIG;
	if (mobj_slots_full(obj)) {
		rc = mobj_slots_grow(heap, pool, obj, max);
		if (rc)
			return rc;
	}
	mobj_ref_link(heap, &obj->slots[obj->nslots], obj, target);
	trace_slot_set(obj->id, obj->nslots, target->id);
	*index = obj->nslots;
	WRITE_ONCE(obj->nslots, obj->nslots + 1);
	if (obj->gen == MOBJ_GEN_UNTRACKED)
		mobj_gc_track(heap, obj);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_slot_append);

/* a[i] = b: the new reference is taken before the old one is dropped. */
int mobj_slot_set(struct mobj_heap *heap, struct mobj_obj *obj, u32 index,
		  struct mobj_obj *target)
{
	struct mobj_ref *ref;
	struct mobj_obj *old;

	lockdep_assert_held(&heap->lock);

	if (index >= obj->nslots)
		return -ERANGE;
	ref = &obj->slots[index];
	old = ref->target;
	trace_slot_clear(obj->id, index, old->id);
	hlist_del(&ref->backref);
	mobj_ref_link(heap, ref, obj, target);
	trace_slot_set(obj->id, index, target->id);
	mobj_obj_put(heap, old);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_slot_set);

/*
 * Whether del a[@index] moves the slots before it up by one (and the array
 * then starts one slot later) rather than those after it down: the fewer
 * of the two.  When @front cannot count one more, the slots first slide
 * down to the start of the array, once in U16_MAX such POPs.
 */
static bool mobj_slot_pop_front(const struct mobj_obj *obj, u32 index)
{
	return index < obj->nslots - 1 - index;
}

/* The slots del a[@index] moves (a batch's cost of a POP). */
u32 mobj_slot_pop_moves(const struct mobj_obj *obj, u32 index)
{
	if (index >= obj->nslots)
		return 0;
	if (!mobj_slot_pop_front(obj, index))
		return obj->nslots - 1 - index;
	return index + (obj->front == U16_MAX ? obj->nslots : 0);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_slot_pop_moves);

/*
 * del a[i]: the slots on the shorter side of @index move by one, so
 * popping either end costs the same whatever the length (a queue's
 * pop(0) as well as a stack's pop()).
 */
int mobj_slot_pop(struct mobj_heap *heap, struct mobj_obj *obj, u32 index)
{
	struct mobj_obj *old;
	bool front;
	u32 i;

	lockdep_assert_held(&heap->lock);

	if (index >= obj->nslots)
		return -ERANGE;
	front = mobj_slot_pop_front(obj, index);
	if (front && obj->front == U16_MAX)
		mobj_slots_move(obj, obj->slots - obj->front);
	old = obj->slots[index].target;
	trace_slot_clear(obj->id, index, old->id);
	hlist_del(&obj->slots[index].backref);
	if (front) {
		for (i = index; i > 0; i--)
			mobj_ref_move(&obj->slots[i], &obj->slots[i - 1]);
		obj->slots++;
		obj->front++;
	} else {
		for (i = index; i + 1 < obj->nslots; i++)
			mobj_ref_move(&obj->slots[i], &obj->slots[i + 1]);
	}
	WRITE_ONCE(obj->nslots, obj->nslots - 1);
	/* Empty: the whole array is room at the end again. */
	if (!obj->nslots) {
		obj->slots -= obj->front;
		obj->front = 0;
	}
	mobj_obj_put(heap, old);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_slot_pop);

/* The commands on objects, their payloads and their slots */

int mobj_ioctl_new(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_new *cmd = ucmd->cmd;
	struct mobj_obj *obj;
	void *data = NULL;
	int rc;

	if (cmd->data_len > mobj_data_max())
		return -EMSGSIZE;
	mobj_ucmd_answer(ucmd, struct mobj_new, handle, id);
	/* An answer that cannot be written fails before an id is used. */
	rc = mobj_ucmd_probe(ucmd);
	if (rc)
		return rc;
	if (cmd->data_len) {
		data = mobj_memdup_user(heap, cmd->data, cmd->data_len);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	mobj_gc_throttle(heap);
	obj = mobj_obj_alloc(&client->obj_pool, cmd->type, data,
			     cmd->data_len);
	if (!obj) {
		kvfree(data);
		return -ENOMEM;
	}

	mobj_lock(heap);
	rc = mobj_handle_reserve(client, &cmd->handle);
	if (rc)
		goto err_unlock;
	rc = mobj_obj_insert(heap, obj, client->quota);
	if (rc)
		goto err_remove_handle;
	cmd->id = obj->id;
	return mobj_respond_handle(ucmd, cmd->handle, obj);

err_remove_handle:
	mobj_handle_remove(client, cmd->handle);
err_unlock:
	mobj_unlock(heap);
	mobj_obj_free_unpublished(obj);
	return rc;
}

static void mobj_read_refcount(const struct mobj_obj *obj, void *arg)
{
	struct mobj_getrefcount *cmd = arg;

	cmd->refcount = READ_ONCE(obj->refcount);
}

int mobj_ioctl_getrefcount(struct mobj_ucmd *ucmd)
{
	struct mobj_getrefcount *cmd = ucmd->cmd;
	int rc;

	rc = mobj_handle_read(ucmd->client, cmd->handle, mobj_read_refcount,
			      cmd);
	if (rc)
		return rc;
	mobj_ucmd_answer(ucmd, struct mobj_getrefcount, refcount, refcount);
	return mobj_ucmd_respond(ucmd);
}

static u32 mobj_obj_state(unsigned int gen, u32 nwatchers)
{
	u32 state = nwatchers ? MOBJ_STATE_WATCHED : 0;

	switch (gen) {
	case MOBJ_GEN_PERMANENT:
		state |= MOBJ_STATE_FROZEN;
		fallthrough;
	case MOBJ_GEN0:
	case MOBJ_GEN1:
	case MOBJ_GEN2:
		state |= MOBJ_STATE_TRACKED;
		break;
	case MOBJ_GEN_GARBAGE:
		state |= MOBJ_STATE_GARBAGE | MOBJ_STATE_TRACKED;
		break;
	}
	return state;
}

static void mobj_read_info(const struct mobj_obj *obj, void *arg)
{
	const struct mobj_obj_ext *ext = READ_ONCE(obj->ext);
	struct mobj_info *cmd = arg;
	unsigned int gen;

	cmd->type = obj->type;
	cmd->id = obj->id;
	cmd->refcount = READ_ONCE(obj->refcount);
	cmd->data_len = ext ? READ_ONCE(ext->data_len) : 0;
	cmd->nslots = READ_ONCE(obj->nslots);
	gen = READ_ONCE(obj->gen);
	cmd->generation = gen <= MOBJ_GEN_PERMANENT ? gen : 0;
	cmd->state = mobj_obj_state(gen, ext ? READ_ONCE(ext->nwatchers) : 0);
}

/* Lock-free, like MOBJ_GETREFCOUNT: each field is one the object had. */
int mobj_ioctl_info(struct mobj_ucmd *ucmd)
{
	struct mobj_info *cmd = ucmd->cmd;
	int rc;

	rc = mobj_handle_read(ucmd->client, cmd->handle, mobj_read_info, cmd);
	if (rc)
		return rc;
	mobj_ucmd_answer(ucmd, struct mobj_info, type, state);
	return mobj_ucmd_respond(ucmd);
}

int mobj_ioctl_data_read(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_data_read *cmd = ucmd->cmd;
	struct mobj_heap *heap = client->heap;
	struct mobj_obj *obj;
	void *buf = NULL;
	u32 data_len;
	int rc;

	mobj_lock(heap);
	obj = mobj_handle_obj(client, cmd->handle);
	rc = PTR_ERR_OR_ZERO(obj);
	if (rc)
		goto out_unlock;
	rc = -ERANGE;
	data_len = mobj_obj_data_len(obj);
	if (cmd->offset > data_len)
		goto out_unlock;
	cmd->len = min(cmd->len, data_len - cmd->offset);
	cmd->data_len = data_len;
	rc = 0;
	if (cmd->len) {
		buf = kvmalloc(cmd->len, GFP_KERNEL_ACCOUNT);
		if (buf)
			memcpy(buf, obj->ext->data + cmd->offset, cmd->len);
		else
			rc = -ENOMEM;
	}
out_unlock:
	mobj_unlock(heap);
	if (rc)
		return rc;

	if (cmd->len)
		rc = mobj_copy_to_user(heap, u64_to_user_ptr(cmd->data), buf,
				       cmd->len);
	kvfree(buf);
	return rc ? rc : mobj_ucmd_respond(ucmd);
}

int mobj_ioctl_data_write(struct mobj_ucmd *ucmd)
{
	struct mobj_data_write *cmd = ucmd->cmd;
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_obj_ext *ext;
	struct mobj_obj *obj;
	void *data = NULL;
	int rc;

	if (cmd->len > mobj_data_max())
		return -EMSGSIZE;
	if (cmd->len) {
		data = mobj_memdup_user(heap, cmd->data, cmd->len);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}

	mobj_lock(heap);
	obj = mobj_handle_obj(client, cmd->handle);
	rc = PTR_ERR_OR_ZERO(obj);
	/* Nothing to store, nothing stored: no ext is made for it. */
	if (!rc && (cmd->len || obj->ext)) {
		ext = mobj_obj_ext(obj);
		if (ext) {
			swap(ext->data, data);
			WRITE_ONCE(ext->data_len, cmd->len);
		} else {
			rc = -ENOMEM;
		}
	}
	mobj_unlock(heap);
	kvfree(data);
	return rc;
}

/* The slot commands share a struct; each validates the fields it uses. */
static int mobj_slot_lookup(struct mobj_client *client, struct mobj_slot *cmd,
			    struct mobj_obj **obj, struct mobj_obj **value)
{
	lockdep_assert_held(&client->heap->lock);

	*obj = mobj_handle_obj(client, cmd->handle);
	if (IS_ERR(*obj))
		return PTR_ERR(*obj);
	if (!value)
		return 0;
	*value = mobj_handle_obj(client, cmd->value);
	return PTR_ERR_OR_ZERO(*value);
}

int mobj_ioctl_slot_append(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_slot *cmd = ucmd->cmd;
	struct mobj_obj *obj, *value;
	int rc;

	mobj_ucmd_answer(ucmd, struct mobj_slot, index, index);
	rc = mobj_ucmd_probe(ucmd);
	if (rc)
		return rc;

	mobj_lock(heap);
	rc = mobj_slot_lookup(client, cmd, &obj, &value);
	if (!rc)
		rc = mobj_slot_append(heap, &client->slot_pool, obj, value,
				      &cmd->index);
	mobj_unlock(heap);
	return rc ? rc : mobj_ucmd_respond(ucmd);
}

int mobj_ioctl_slot_set(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_slot *cmd = ucmd->cmd;
	struct mobj_obj *obj, *value;
	int rc;

	mobj_lock(heap);
	rc = mobj_slot_lookup(client, cmd, &obj, &value);
	if (!rc)
		rc = mobj_slot_set(heap, obj, cmd->index, value);
	mobj_unlock(heap);
	return rc;
}

int mobj_ioctl_slot_get(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_slot *cmd = ucmd->cmd;
	struct mobj_obj *obj, *target = NULL;
	int rc;

	mobj_lock(heap);
	rc = mobj_slot_lookup(client, cmd, &obj, NULL);
	if (!rc && cmd->index >= obj->nslots)
		rc = -ERANGE;
	if (!rc) {
		target = obj->slots[cmd->index].target;
		rc = mobj_new_strong_handle(client, target, &cmd->value);
	}
	if (rc) {
		mobj_unlock(heap);
		return rc;
	}
	mobj_ucmd_answer(ucmd, struct mobj_slot, value, value);
	return mobj_respond_handle(ucmd, cmd->value, target);
}

int mobj_ioctl_slot_pop(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_slot *cmd = ucmd->cmd;
	struct mobj_obj *obj;
	int rc;

	if (cmd->value)
		return -EINVAL;

	mobj_lock(heap);
	rc = mobj_slot_lookup(client, cmd, &obj, NULL);
	if (!rc)
		rc = mobj_slot_pop(heap, obj, cmd->index);
	mobj_unlock(heap);
	return rc;
}
