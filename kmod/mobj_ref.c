// SPDX-License-Identifier: GPL-2.0
/*
 * mobj references seen from outside: the ids an object refers to and is
 * referred to by (gc.get_referents, gc.get_referrers), and weak handles
 * (weakref.ref), which do not keep their object alive.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "mobj_ioctl.h"

/* *@ids is full with @n ids: room for more, up to @room in all. */
static int mobj_ids_grow(u64 **ids, u32 n, u32 *cap, u32 room)
{
	u32 want = min(max(*cap * 2, 64U), room);
	u64 *p;

	p = kvmalloc_array(want, sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	if (n)
		memcpy(p, *ids, n * sizeof(*p));
	kvfree(*ids);
	*ids = p;
	*cap = want;
	return 0;
}

/*
 * gc.get_referrers(): the owners of the slots on @obj's referrers list.
 * The list may be long (in-degree is unbounded): it is walked
 * gc_step_budget entries at a time, a marker keeping the walk's place
 * while the lock is dropped, so the answer is what was there as the walk
 * went by.  If @obj dies meanwhile the walk ends there, and frees it if
 * the drain already passed it.  Returns with the lock held.
 */
static int mobj_referrers_walk(struct mobj_heap *heap, struct mobj_obj *obj,
			       u32 room, u64 **ids, u32 *filled, u32 *total)
{
	unsigned int step = mobj_gc_step_budget();
	struct mobj_ref marker = { .target = obj }, *ref;
	u32 cap = 0, n = 0;
	long budget;
	int rc = 0;

	lockdep_assert_held(&heap->lock);

	*total = 0;
	hlist_add_head(&marker.backref, &obj->referrers);
	for (;;) {
		budget = step ?: LONG_MAX;
		while (!rc && marker.backref.next && budget-- > 0) {
			ref = hlist_entry(marker.backref.next, struct mobj_ref,
					  backref);
			hlist_del(&marker.backref);
			hlist_add_behind(&marker.backref, &ref->backref);
			if (mobj_ref_hidden(ref))
				continue;
			++*total;
			if (n == room)
				continue;
			if (n == cap)
				rc = mobj_ids_grow(ids, n, &cap, room);
			if (!rc)
				(*ids)[n++] = ref->owner->id;
		}
		if (rc || !marker.backref.next)
			break;
		mobj_lock_yield(heap);
		if (obj->gc_state == MOBJ_GC_DEAD)
			break;
	}
	hlist_del(&marker.backref);
	/* Dead, and the drain left it to the walks: the last one frees it. */
	if (obj->gc_state == MOBJ_GC_DEAD && list_empty(&obj->gc_node) &&
	    hlist_empty(&obj->referrers))
		mobj_obj_free(obj);
	*filled = n;
	return rc;
}

static int mobj_ioctl_refs(struct mobj_ucmd *ucmd, bool referrers)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_refs *cmd = ucmd->cmd;
	struct mobj_obj *obj;
	u64 *ids = NULL;
	u32 i, n = 0, total = 0;
	int rc;

	mobj_lock(heap);
	obj = mobj_handle_obj(client, cmd->handle);
	rc = PTR_ERR_OR_ZERO(obj);
	if (rc)
		goto out_unlock;
	if (referrers) {
		rc = mobj_referrers_walk(heap, obj, cmd->count, &ids, &n,
					 &total);
		goto out_unlock;
	}
	total = obj->nslots;
	n = min(cmd->count, total);
	if (n) {
		ids = kvmalloc_array(n, sizeof(*ids), GFP_KERNEL_ACCOUNT);
		if (!ids) {
			rc = -ENOMEM;
			goto out_unlock;
		}
	}
	for (i = 0; i < n; i++)
		ids[i] = obj->slots[i].target->id;
out_unlock:
	mobj_unlock(heap);
	if (rc) {
		kvfree(ids);
		return rc;
	}

	rc = mobj_respond_array(ucmd, &cmd->count, total, cmd->ids, ids, n,
				sizeof(*ids));
	kvfree(ids);
	return rc;
}

int mobj_ioctl_referents(struct mobj_ucmd *ucmd)
{
	return mobj_ioctl_refs(ucmd, false);
}

int mobj_ioctl_referrers(struct mobj_ucmd *ucmd)
{
	return mobj_ioctl_refs(ucmd, true);
}

int mobj_ioctl_weakref(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_weakref *cmd = ucmd->cmd;
	struct mobj_heap *heap = client->heap;
	struct mobj_observer *ob;
	struct mobj_obj *obj;
	int rc;

	ob = kzalloc(sizeof(*ob), GFP_KERNEL_ACCOUNT);
	if (!ob)
		return -ENOMEM;

	mobj_lock(heap);
	obj = mobj_handle_obj(client, cmd->handle);
	rc = PTR_ERR_OR_ZERO(obj);
	if (!rc)
		rc = mobj_handle_reserve(client, &cmd->result);
	if (!rc && !mobj_obj_ext(obj)) {
		mobj_handle_remove(client, cmd->result);
		rc = -ENOMEM;
	}
	if (!rc) {
		ob->kind = MOBJ_OBSERVER_WEAK;
		ob->obj = obj;
		list_add_tail(&ob->node, &obj->ext->observers);
	}
	if (rc) {
		mobj_unlock(heap);
		kfree(ob);
		return rc;
	}
	return mobj_respond_handle(ucmd, cmd->result, mobj_entry_weak(ob));
}

int mobj_ioctl_weakref_get(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_weakref *cmd = ucmd->cmd;
	struct mobj_heap *heap = client->heap;
	struct mobj_observer *ob;
	struct mobj_obj *obj = NULL;
	void *entry;
	int rc;

	mobj_lock(heap);
	entry = mobj_handle_entry(client, cmd->handle);
	if (!entry) {
		rc = -ENOENT;
	} else if (!mobj_entry_is_weak(entry)) {
		rc = -EINVAL;
	} else {
		ob = mobj_entry_observer(entry);
		obj = ob->obj;
		/*
		 * At refcount zero while alive: saved garbage that the list
		 * let go of, which the clear under way is about to free.
		 */
		if (!obj || !obj->refcount || mobj_gc_doomed(heap, obj))
			rc = -ESTALE;
		else
			rc = mobj_new_strong_handle(client, obj, &cmd->result);
	}
	if (rc) {
		mobj_unlock(heap);
		return rc;
	}
	return mobj_respond_handle(ucmd, cmd->result, obj);
}

