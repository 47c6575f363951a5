// SPDX-License-Identifier: GPL-2.0
/*
 * mobj references seen from outside: the ids an object refers to and is
 * referred to by (gc.get_referents, gc.get_referrers), and weak handles
 * (weakref.ref), which do not keep their object alive.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "mobj_ioctl.h"

static int mobj_ioctl_refs(struct mobj_ucmd *ucmd, bool referrers)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_refs *cmd = ucmd->cmd;
	struct mobj_obj *obj;
	struct mobj_ref *ref;
	u64 *ids = NULL;
	u32 i, n = 0, total = 0;
	int rc;

	mobj_lock(heap);
	obj = mobj_handle_obj(client, cmd->handle);
	rc = PTR_ERR_OR_ZERO(obj);
	if (rc)
		goto out_unlock;
	if (referrers)
		list_for_each_entry(ref, &obj->referrers, backref)
			total++;
	else
		total = obj->nslots;
	n = min(cmd->count, total);
	if (n) {
		ids = kvmalloc_array(n, sizeof(*ids), GFP_KERNEL_ACCOUNT);
		if (!ids) {
			rc = -ENOMEM;
			goto out_unlock;
		}
	}
	if (referrers) {
		i = 0;
		list_for_each_entry(ref, &obj->referrers, backref) {
			if (i == n)
				break;
			ids[i++] = ref->owner->id;
		}
	} else {
		for (i = 0; i < n; i++)
			ids[i] = obj->slots[i].target->id;
	}
out_unlock:
	mobj_unlock(heap);
	if (rc)
		return rc;

	cmd->count = total;
	if (n)
		rc = mobj_copy_to_user(heap, u64_to_user_ptr(cmd->ids), ids,
				       n * sizeof(*ids));
	kvfree(ids);
	return rc ? rc : mobj_ucmd_respond(ucmd);
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
	if (!rc) {
		ob->kind = MOBJ_OBSERVER_WEAK;
		ob->obj = obj;
		list_add_tail(&ob->node, &obj->observers);
		mobj_handle_fill(client, cmd->result,
				 xa_tag_pointer(ob, MOBJ_WEAK_TAG), true);
	}
	mobj_unlock(heap);
	if (rc) {
		kfree(ob);
		return rc;
	}
	return mobj_respond_handle(ucmd, cmd->result,
				   xa_tag_pointer(ob, MOBJ_WEAK_TAG));
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
		ob = xa_untag_pointer(entry);
		obj = ob->obj;
		if (!obj || mobj_gc_doomed(heap, obj))
			rc = -ESTALE;
		else
			rc = mobj_new_strong_handle(client, obj, &cmd->result);
	}
	mobj_unlock(heap);
	if (rc)
		return rc;
	return mobj_respond_handle(ucmd, cmd->result, obj);
}

