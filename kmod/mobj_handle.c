// SPDX-License-Identifier: GPL-2.0
/*
 * mobj handles: each open file's table of small integers, each holding one
 * strong reference to an object (or a weak one), and the commands that
 * make and drop them without making objects: DUP and CLOSE.
 */
#include <linux/slab.h>
#include <linux/xarray.h>

#include "mobj_ioctl.h"

/*
 * What the published handle at @xas holds: NULL when unknown, reserved or
 * not yet published.  One walk of the table finds the entry and, in the
 * same node, its mark.  Under rcu_read_lock() or the XArray's lock.
 */
static void *mobj_handle_xas_load(struct xa_state *xas)
{
	void *entry;

	do {
		entry = xas_load(xas);
		if (xa_is_zero(entry))
			entry = NULL;
	} while (xas_retry(xas, entry));
	if (entry) {
		smp_rmb();	/* the mark is set before the entry is stored */
		if (xas_get_mark(xas, MOBJ_HANDLE_PENDING))
			entry = NULL;
	}
	return entry;
}

/* What a published handle holds, under rcu_read_lock(). */
void *__mobj_handle_entry(struct mobj_client *client, u32 handle)
{
	XA_STATE(xas, &client->handles, handle);

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "handle lookup without RCU");
	return mobj_handle_xas_load(&xas);
}

struct mobj_obj *__mobj_handle_obj(struct mobj_client *client,
				   u32 handle)
{
	void *entry = __mobj_handle_entry(client, handle);

	if (!entry)
		return ERR_PTR(-ENOENT);
	if (mobj_entry_is_weak(entry))
		return ERR_PTR(-EINVAL);
	return entry;
}

void *mobj_handle_entry(struct mobj_client *client, u32 handle)
{
	void *entry;

	lockdep_assert_held(&client->heap->lock);

	rcu_read_lock();
	entry = __mobj_handle_entry(client, handle);
	rcu_read_unlock();
	return entry;
}

/* The object behind a strong handle. */
struct mobj_obj *mobj_handle_obj(struct mobj_client *client, u32 handle)
{
	struct mobj_obj *obj;

	lockdep_assert_held(&client->heap->lock);

	rcu_read_lock();
	obj = __mobj_handle_obj(client, handle);
	rcu_read_unlock();
	return obj;
}

/* Whether the client holds as many handles as client_handles_max. */
static bool mobj_handles_full(const struct mobj_client *client)
{
	return client->nhandles >= mobj_client_handles_max();
}

/*
 * A number for @entry, stored as it is: the lowest free one, as for file
 * descriptors.  A NULL @entry reserves the number (no lookup finds it).
 * The caller has checked mobj_handles_full().
 */
static int mobj_handle_alloc(struct mobj_client *client, void *entry,
			     u32 *handle)
{
	int rc;

	lockdep_assert_held(&client->heap->lock);

	rc = xa_alloc(&client->handles, handle, entry, XA_LIMIT(1, INT_MAX),
		      GFP_KERNEL_ACCOUNT);
	if (rc)
		return rc == -EBUSY ? -EMFILE : rc;
	client->nhandles++;
	client->heap->live_handles++;
	mobj_handle_trace(client, *handle);
	return 0;
}

/* Reserve a handle number: an empty entry that no lookup finds. */
int mobj_handle_reserve(struct mobj_client *client, u32 *handle)
{
	if (mobj_handles_full(client))
		return -EMFILE;
	return mobj_handle_alloc(client, NULL, handle);
}

/*
 * Store @entry, which holds its reference already, in a reserved handle:
 * usable at once, or (@pending) after mobj_handle_publish().
 */
void mobj_handle_fill(struct mobj_client *client, u32 handle,
		      void *entry, bool pending)
{
	struct xarray *xa = &client->handles;

	lockdep_assert_held(&client->heap->lock);

	xa_lock(xa);
	if (pending)
		__xa_set_mark(xa, handle, MOBJ_HANDLE_PENDING);
	/* Replacing the reserved entry never allocates. */
	WARN_ON(xa_is_err(__xa_store(xa, handle, entry, GFP_NOWAIT)));
	xa_unlock(xa);
}

void mobj_handle_publish(struct mobj_client *client, u32 handle)
{
	lockdep_assert_held(&client->heap->lock);

	xa_clear_mark(&client->handles, handle, MOBJ_HANDLE_PENDING);
}

/*
 * Remove a handle from the table, reserved, pending or published; what it
 * held is the caller's to drop.  Its number may name another object next:
 * lock-free readers learn of the removal from @handle_seq.
 */
static void mobj_handle_removed(struct mobj_client *client, u32 handle)
{
	mobj_handle_trace_forget(client, handle);
	client->nhandles--;
	client->heap->live_handles--;
}

void mobj_handle_remove(struct mobj_client *client, u32 handle)
{
	lockdep_assert_held(&client->heap->lock);

	/* The XArray's lock, then the seqcount: as mobj_handle_take(). */
	xa_lock(&client->handles);
	write_seqcount_begin(&client->handle_seq);
	__xa_erase(&client->handles, handle);
	write_seqcount_end(&client->handle_seq);
	xa_unlock(&client->handles);
	mobj_handle_removed(client, handle);
}

/*
 * Remove a published handle and return what it held, the caller's to
 * drop; NULL when @handle names none.  One walk of the table finds the
 * entry, checks it and removes it.
 */
void *mobj_handle_take(struct mobj_client *client, u32 handle)
{
	XA_STATE(xas, &client->handles, handle);
	void *entry;

	lockdep_assert_held(&client->heap->lock);

	xas_lock(&xas);
	entry = mobj_handle_xas_load(&xas);
	if (!entry) {
		xas_unlock(&xas);
		return NULL;
	}
	write_seqcount_begin(&client->handle_seq);
	xas_store(&xas, NULL);
	write_seqcount_end(&client->handle_seq);
	xas_unlock(&xas);
	mobj_handle_removed(client, handle);
	return entry;
}

/* Drop what a handle held: a strong reference, or a weak one. */
void mobj_entry_drop(struct mobj_heap *heap, void *entry)
{
	struct mobj_observer *ob;

	lockdep_assert_held(&heap->lock);

	if (!mobj_entry_is_weak(entry)) {
		mobj_obj_put(heap, entry);
		return;
	}
	ob = xa_untag_pointer(entry);
	if (ob->obj)
		list_del(&ob->node);
	kfree(ob);
}

/*
 * For a command's answer: the handle is reserved and holds its reference,
 * and mobj_respond_handle() fills it once the answer is out.
 */
int mobj_new_strong_handle(struct mobj_client *client,
			   struct mobj_obj *obj, u32 *handle)
{
	int rc;

	lockdep_assert_held(&client->heap->lock);

	rc = mobj_handle_reserve(client, handle);
	if (!rc)
		mobj_obj_get(client->heap, obj);
	return rc;
}

/*
 * A new strong handle to @obj, filled at once (published, or @pending),
 * for MOBJ_BATCH and GC_GARBAGE.
 */
int __mobj_new_strong_handle(struct mobj_client *client,
			     struct mobj_obj *obj, bool pending,
			     u32 *handle)
{
	struct mobj_heap *heap = client->heap;
	int rc;

	if (pending) {
		rc = mobj_new_strong_handle(client, obj, handle);
		if (!rc)
			mobj_handle_fill(client, *handle, obj, true);
		return rc;
	}
	/*
	 * Usable at once, so stored in one step with its reference already
	 * taken (a lock-free reader that finds the handle finds it counted).
	 * The limit is checked first: only a failed allocation puts back a
	 * reference that was never used.
	 */
	if (mobj_handles_full(client))
		return -EMFILE;
	mobj_obj_get(heap, obj);
	rc = mobj_handle_alloc(client, obj, handle);
	if (rc)
		mobj_obj_put(heap, obj);
	return rc;
}

/*
 * Fill a handle once its number reached the caller, with the big lock held
 * (it is let go): @handle was reserved and @entry holds a reference for it.
 * When the answer cannot be written, the handle and its reference go and
 * nothing changed.  The answer is written under the lock only if that
 * cannot fault (the caller's struct is in a present, writable page, as it
 * nearly always is: it was just read), and the handle is usable at once.
 * Otherwise it is filled but pending (no lookup finds it), the lock is let
 * go for the copy and taken again to publish or undo.
 */
int mobj_respond_handle(struct mobj_ucmd *ucmd, u32 handle, void *entry)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	int rc;

	if (!mobj_ucmd_respond_nofault(ucmd)) {
		mobj_handle_fill(client, handle, entry, false);
		mobj_unlock(heap);
		return 0;
	}
	mobj_handle_fill(client, handle, entry, true);
	mobj_unlock(heap);
	rc = mobj_ucmd_respond(ucmd);
	mobj_lock(heap);
	if (rc) {
		mobj_handle_remove(client, handle);
		mobj_entry_drop(heap, entry);
	} else {
		mobj_handle_publish(client, handle);
	}
	mobj_unlock(heap);
	return rc;
}

int mobj_ioctl_dup(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_dup *cmd = ucmd->cmd;
	struct mobj_obj *obj;
	int rc;

	mobj_lock(heap);
	obj = mobj_handle_obj(client, cmd->handle);
	rc = PTR_ERR_OR_ZERO(obj);
	if (!rc)
		rc = mobj_new_strong_handle(client, obj, &cmd->new_handle);
	if (rc) {
		mobj_unlock(heap);
		return rc;
	}
	mobj_ucmd_answer(ucmd, struct mobj_dup, new_handle, new_handle);
	return mobj_respond_handle(ucmd, cmd->new_handle, obj);
}

int mobj_ioctl_close(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_close *cmd = ucmd->cmd;
	void *entry;
	int rc = 0;

	mobj_lock(heap);
	entry = mobj_handle_take(client, cmd->handle);
	if (entry)
		mobj_entry_drop(heap, entry);
	else
		rc = -ENOENT;
	mobj_unlock(heap);
	return rc;
}

/*
 * What dropping a handle whose object dies with it costs against the step
 * budget, besides the handle itself: the object leaves the id map and its
 * lists, and its notices are queued, at once (its slots are the drain's).
 */
#define MOBJ_DEATH_COST 4

/*
 * At release: drop handles of @client in handle order, charging *@budget
 * for each (one unit, and MOBJ_DEATH_COST more for a death), while some is
 * left.  Returns true when none is left.
 */
bool mobj_client_drop_handles(struct mobj_client *client, long *budget)
{
	struct mobj_heap *heap = client->heap;
	unsigned long index = 0;
	void *entry;

	lockdep_assert_held(&heap->lock);

	while (*budget > 0) {
		entry = xa_find(&client->handles, &index, ULONG_MAX, XA_PRESENT);
		if (!entry)
			break;
		*budget -= 1;
		if (!mobj_entry_is_weak(entry) &&
		    ((struct mobj_obj *)entry)->refcount == 1)
			*budget -= MOBJ_DEATH_COST;
		mobj_handle_remove(client, index);
		mobj_entry_drop(heap, entry);
	}
	if (!xa_empty(&client->handles))
		return false;
	WARN_ON(client->nhandles);
	return true;
}
