// SPDX-License-Identifier: GPL-2.0
/*
 * The heap's consistency checker, shared by debugfs "check" and the KUnit
 * suites: every refcount is exactly what refers to the object (handles,
 * slots, the saved-garbage list, and whatever the caller counts as held
 * from outside; dead objects' slots not yet released count too), reverse
 * edges match slots, every object is on the list its generation names and
 * in the id map, and the counters add up.
 */
#include <linux/kernel.h>

#include <kunit/visibility.h>

#include "mobj.h"

static __printf(2, 3) void mobj_check_fail(struct mobj_check *chk,
					   const char *fmt, ...)
{
	char msg[128];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	chk->errors++;
	chk->report(chk, msg);
}

#define mobj_check_that(chk, cond, fmt, ...)				\
	do {								\
		if (!(cond))						\
			mobj_check_fail(chk, fmt, ##__VA_ARGS__);	\
	} while (0)

/* Count each client's handles into the objects' gc_refs. */
static void mobj_check_clients(struct mobj_heap *heap, struct mobj_check *chk)
{
	unsigned long handles = 0, n;
	struct mobj_client *client;
	struct mobj_observer *ob;
	void *entry;
	u32 h;

	list_for_each_entry(client, &heap->clients, node) {
		n = 0;
		for (h = 1; (entry = mobj_handle_next(client, &h)); h++) {
			n++;
			entry = mobj_entry_untag_pending(entry);
			mobj_check_that(chk, entry,
					"client %llu handle %u: reserved",
					client->id, h);
			if (!entry)
				continue;
			if (!mobj_entry_is_weak(entry)) {
				((struct mobj_obj *)entry)->gc_refs++;
				continue;
			}
			ob = mobj_entry_observer(entry);
			mobj_check_that(chk, ob->kind == MOBJ_OBSERVER_WEAK,
					"client %llu handle %u: bad weak entry",
					client->id, h);
		}
		mobj_check_that(chk, n == client->nhandles,
				"client %llu: %lu handles, nhandles %lu",
				client->id, n, client->nhandles);
		handles += n;
	}
	mobj_check_that(chk, handles == heap->live_handles,
			"%lu handles in the tables, live_handles %lu", handles,
			heap->live_handles);
}

/* Each exported file descriptor holds a reference too. */
static void mobj_check_exports(struct mobj_heap *heap)
{
	struct mobj_export_ref *ex;

	list_for_each_entry(ex, &heap->exports, node)
		ex->obj->gc_refs++;
}

static void mobj_check_obj(struct mobj_heap *heap, struct mobj_check *chk,
			   struct mobj_obj *obj, unsigned int list)
{
	unsigned long in = 0;
	struct mobj_ref *ref;
	u32 i;

	mobj_check_that(chk, obj->gen == list, "object %llu: on list %u, gen %u",
			obj->id, list, obj->gen);
	mobj_check_that(chk, xa_load(&heap->objects, obj->id) == obj,
			"object %llu: not in the id map", obj->id);
	mobj_check_that(chk, obj->gc_state == MOBJ_GC_IDLE,
			"object %llu: collector state %u", obj->id,
			obj->gc_state);
	hlist_for_each_entry(ref, &obj->referrers, backref) {
		struct mobj_obj *owner = ref->owner;

		if (mobj_ref_is_marker(ref))
			continue;
		in++;
		mobj_check_that(chk, ref->target == obj &&
				ref >= owner->slots &&
				ref < owner->slots + owner->nslots,
				"object %llu: bad reverse edge from %llu",
				obj->id, owner->id);
	}
	for (i = 0; i < obj->nslots; i++)
		mobj_check_that(chk, obj->slots[i].owner == obj,
				"object %llu: slot %u has another owner",
				obj->id, i);
	mobj_check_that(chk, obj->front + obj->nslots <= mobj_slots_cap(obj),
			"object %llu: %u slots after %u unused, room for %u",
			obj->id, obj->nslots, obj->front, mobj_slots_cap(obj));
	/* outside (gc_refs) + slots + the garbage list's own reference */
	in += obj->gc_refs + (list == MOBJ_GEN_GARBAGE);
	mobj_check_that(chk, obj->refcount == in,
			"object %llu: refcount %u, %lu references found",
			obj->id, obj->refcount, in);
	mobj_check_that(chk, obj->refcount, "object %llu: refcount 0",
			obj->id);
	chk->edges += obj->nslots;
}

/*
 * Dead objects still releasing their slots: off the lists and the id map,
 * at refcount zero, still holding references (counted by their targets'
 * reverse edges).
 */
static void mobj_check_dying(struct mobj_heap *heap, struct mobj_check *chk)
{
	struct mobj_obj *obj;
	unsigned long n = 0;

	list_for_each_entry(obj, &heap->dying, gc_node) {
		n++;
		mobj_check_that(chk, !obj->refcount &&
				obj->gc_state == MOBJ_GC_DEAD,
				"dying object %llu: refcount %u, state %u",
				obj->id, obj->refcount, obj->gc_state);
		mobj_check_that(chk, xa_load(&heap->objects, obj->id) != obj,
				"dying object %llu: still in the id map",
				obj->id);
		chk->edges += obj->nslots;
	}
	mobj_check_that(chk, n == heap->ndying, "%lu dying objects, counted %lu",
			n, heap->ndying);
}

/**
 * mobj_heap_check() - check the whole heap
 * @heap: the heap, with no collection under way
 * @chk: @report is called once per problem; @held, if set, adds the
 *	references the caller holds from outside to each object's gc_refs
 *	(the clients' handles are counted here)
 *
 * Returns the number of problems found; @chk->objects and @chk->edges say
 * what was checked.
 */
unsigned long mobj_heap_check(struct mobj_heap *heap, struct mobj_check *chk)
{
	unsigned long total = 0, n, ids = 0, id;
	struct mobj_obj *obj;
	unsigned int i;

	lockdep_assert_held(&heap->lock);

	chk->errors = 0;
	chk->objects = 0;
	chk->edges = 0;
	xa_for_each(&heap->objects, id, obj) {
		obj->gc_refs = 0;
		ids++;
	}
	mobj_check_clients(heap, chk);
	mobj_check_exports(heap);
	if (chk->held)
		chk->held(chk, heap);
	for (i = 0; i < MOBJ_NR_LISTS; i++) {
		n = 0;
		list_for_each_entry(obj, &heap->lists[i], gc_node) {
			mobj_check_obj(heap, chk, obj, i);
			n++;
		}
		mobj_check_that(chk, n == heap->list_count[i],
				"list %u: %lu objects, counted %lu", i, n,
				heap->list_count[i]);
		total += n;
	}
	mobj_check_dying(heap, chk);
	mobj_check_that(chk, total == heap->live_objects && ids == total,
			"%lu objects on lists, %lu in the id map, live_objects %lu",
			total, ids, heap->live_objects);
	mobj_check_that(chk, !heap->refcount_errors,
			"%llu refcounts saturated", heap->refcount_errors);
	chk->objects = total;
	return chk->errors;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_heap_check);
