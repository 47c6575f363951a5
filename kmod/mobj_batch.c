// SPDX-License-Identifier: GPL-2.0
/*
 * MOBJ_BATCH: an array of operations run in order (see "Batches" in the
 * uapi header), in chunks of bounded work under one acquisition of the big
 * lock each: between chunks the lock goes to the clients waiting for it.
 */
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/uaccess.h>

#include "mobj_ioctl.h"

/*
 * In the kernel's copy of an entry that made a handle (its @flags are not
 * looked at again once it ran): a later entry closed that handle.  Only
 * @error and @result are written back.
 */
#define MOBJ_BATCH_OP_CLOSED BIT(31)

static bool mobj_batch_makes_handle(const struct mobj_batch_op *op)
{
	return op->cmd == MOBJ_CMD_NEW || op->cmd == MOBJ_CMD_DUP ||
	       op->cmd == MOBJ_CMD_SLOT_GET;
}

/*
 * A batch operand: a handle, or MOBJ_BATCH_RESULT(i) of an earlier entry,
 * which names the handle that entry made only while it is open: numbers
 * are reused, so once closed it may be another handle's.
 */
static int mobj_batch_operand(struct mobj_batch_op *ops, u32 i, u32 handle,
			      u32 *out)
{
	u32 ref = handle & ~MOBJ_BATCH_RESULT_FLAG;

	if (!(handle & MOBJ_BATCH_RESULT_FLAG)) {
		*out = handle;
		return 0;
	}
	if (ref >= i || !mobj_batch_makes_handle(&ops[ref]))
		return -EINVAL;
	if (ops[ref].flags & MOBJ_BATCH_OP_CLOSED)
		return -ENOENT;
	*out = ops[ref].result;
	return 0;
}

/*
 * Entry @i closed @handle: if an earlier entry made it (the latest one that
 * made that number and whose handle is still open), flag it.  Returns the
 * entries looked at, for the step budget.
 */
static u32 mobj_batch_closed(struct mobj_batch_op *ops, u32 i, u32 handle)
{
	u32 k, looked = 0;

	for (k = i; k--;) {
		looked++;
		if (mobj_batch_makes_handle(&ops[k]) &&
		    !(ops[k].flags & MOBJ_BATCH_OP_CLOSED) &&
		    ops[k].result == handle) {
			ops[k].flags |= MOBJ_BATCH_OP_CLOSED;
			break;
		}
	}
	return looked;
}

static int mobj_batch_new(struct mobj_client *client, struct mobj_batch_op *op)
{
	struct mobj_obj *obj;
	u32 handle;
	int rc;

	obj = mobj_obj_alloc(&client->obj_pool, op->handle, NULL, 0);
	if (!obj)
		return -ENOMEM;
	rc = mobj_handle_reserve(client, &handle);
	if (rc)
		goto err_free;
	rc = mobj_obj_insert(client->heap, obj, client->quota);
	if (rc)
		goto err_remove_handle;
	/* Only a complete object is ever behind a handle. */
	mobj_handle_fill(client, handle, obj, false);
	op->result = handle;
	return 0;

err_remove_handle:
	mobj_handle_remove(client, handle);
err_free:
	mobj_obj_free_unpublished(obj);
	return rc;
}

/*
 * What an entry costs against gc_step_budget, in the collector's units (an
 * object or slot visited): about what a whole command does; a SLOT_POP
 * or a SLOT_APPEND costs one more per slot it moves (mobj_slot_pop_moves(),
 * mobj_slot_append_moves()).
 */
#define MOBJ_BATCH_ENTRY_COST 64

/* The commands a batch entry may name. */
static bool mobj_batch_cmd_ok(u32 cmd)
{
	switch (cmd) {
	case MOBJ_CMD_NEW:
	case MOBJ_CMD_DUP:
	case MOBJ_CMD_CLOSE:
	case MOBJ_CMD_GETREFCOUNT:
	case MOBJ_CMD_SLOT_APPEND:
	case MOBJ_CMD_SLOT_SET:
	case MOBJ_CMD_SLOT_GET:
	case MOBJ_CMD_SLOT_POP:
		return true;
	}
	return false;
}

/*
 * One batch entry, under the lock.  Handles are published at once: the
 * batch array was checked to be writable before anything ran.
 */
static int mobj_batch_one(struct mobj_client *client, struct mobj_batch_op *ops,
			  u32 i, long *budget)
{
	struct mobj_batch_op *op = &ops[i];
	struct mobj_heap *heap = client->heap;
	struct mobj_obj *obj, *value = NULL;
	u32 handle = 0, val = 0, index;
	void *entry;
	int rc;

	lockdep_assert_held(&heap->lock);

	*budget -= MOBJ_BATCH_ENTRY_COST;
	if (op->flags || !mobj_batch_cmd_ok(op->cmd))
		return -EINVAL;
	if (op->cmd == MOBJ_CMD_NEW)
		return op->index || op->value ? -EINVAL :
		       mobj_batch_new(client, op);

	rc = mobj_batch_operand(ops, i, op->handle, &handle);
	if (!rc && op->value)
		rc = mobj_batch_operand(ops, i, op->value, &val);
	if (rc)
		return rc;
	if (op->cmd == MOBJ_CMD_CLOSE) {
		/* A closed or unknown handle says -ENOENT first. */
		if ((op->index || op->value) &&
		    mobj_handle_entry(client, handle))
			return -EINVAL;
		entry = mobj_handle_take(client, handle);
		if (!entry)
			return -ENOENT;
		mobj_entry_drop(heap, entry);
		*budget -= mobj_batch_closed(ops, i, handle) /
			   MOBJ_BATCH_ENTRY_COST;
		return 0;
	}
	obj = mobj_handle_obj(client, handle);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	if (op->cmd == MOBJ_CMD_SLOT_APPEND || op->cmd == MOBJ_CMD_SLOT_SET) {
		value = mobj_handle_obj(client, val);
		if (IS_ERR(value))
			return PTR_ERR(value);
	} else if (op->value) {
		return -EINVAL;
	}

	switch (op->cmd) {
	case MOBJ_CMD_DUP:
	case MOBJ_CMD_GETREFCOUNT:
		if (op->index)
			return -EINVAL;
		if (op->cmd == MOBJ_CMD_GETREFCOUNT) {
			op->result = obj->refcount;
			return 0;
		}
		rc = __mobj_new_strong_handle(client, obj, false, &handle);
		op->result = handle;
		return rc;
	case MOBJ_CMD_SLOT_APPEND:
		if (op->index)
			return -EINVAL;
		*budget -= mobj_slot_append_moves(obj);
		return mobj_slot_append(heap, &client->slot_pool, obj, value,
					&index);
	case MOBJ_CMD_SLOT_SET:
		return mobj_slot_set(heap, obj, op->index, value);
	case MOBJ_CMD_SLOT_POP:
		*budget -= mobj_slot_pop_moves(obj, op->index);
		return mobj_slot_pop(heap, obj, op->index);
	case MOBJ_CMD_SLOT_GET:
		if (op->index >= obj->nslots)
			return -ERANGE;
		rc = __mobj_new_strong_handle(client,
					      obj->slots[op->index].target,
					      false, &handle);
		op->result = handle;
		return rc;
	}
	return -EINVAL;
}

/*
 * The results of a batch could not be written back: close the handles its
 * first @done entries made and left open, whose numbers the caller cannot
 * learn.
 */
static void mobj_batch_close_results(struct mobj_client *client,
				     struct mobj_batch_op *ops, u32 done)
{
	struct mobj_heap *heap = client->heap;
	void *entry;
	u32 i;

	mobj_lock(heap);
	for (i = 0; i < done; i++) {
		if (!mobj_batch_makes_handle(&ops[i]) ||
		    ops[i].flags & MOBJ_BATCH_OP_CLOSED)
			continue;
		entry = mobj_handle_take(client, ops[i].result);
		if (entry)
			mobj_entry_drop(heap, entry);
	}
	mobj_unlock(heap);
}

/*
 * Read the @n entries, a word at a time (every byte: mobj_probe_user()
 * writes some back): where each byte of a string copy is emulated, as in
 * the project's VM, that is several times faster than copy_from_user().
 */
static int mobj_batch_read(struct mobj_heap *heap, struct mobj_batch_op *ops,
			   const struct mobj_batch_op __user *uops, u32 n)
{
	const u64 __user *src = (const u64 __user *)uops;
	size_t bytes = array_size(n, sizeof(*ops));
	u64 *dst = (u64 *)ops;
	size_t i;

	BUILD_BUG_ON(sizeof(*ops) % sizeof(u64) ||
		     __alignof__(struct mobj_batch_op) < sizeof(u64));
	mobj_assert_unlocked(heap);
	if (!user_read_access_begin(uops, bytes))
		return -EFAULT;
	for (i = 0; i < bytes / sizeof(u64); i++)
		unsafe_get_user(dst[i], &src[i], efault);
	user_read_access_end();
	return 0;

efault:
	user_read_access_end();
	return -EFAULT;
}

/*
 * Write back what the first @n entries came to: their @error and @result,
 * the only fields a batch changes.
 */
static int mobj_batch_answer(struct mobj_heap *heap,
			     struct mobj_batch_op __user *uops,
			     const struct mobj_batch_op *ops, u32 n)
{
	u32 i;

	mobj_assert_unlocked(heap);
	if (!user_write_access_begin(uops, array_size(n, sizeof(*ops))))
		return -EFAULT;
	for (i = 0; i < n; i++) {
		unsafe_put_user(ops[i].error, &uops[i].error, efault);
		unsafe_put_user(ops[i].result, &uops[i].result, efault);
	}
	user_write_access_end();
	return 0;

efault:
	user_write_access_end();
	return -EFAULT;
}

/*
 * Batches of up to this many entries (4 KiB) use the client's kept array:
 * no allocation, and none of the zeroing that init_on_alloc adds to it.
 */
#define MOBJ_BATCH_KEEP 128

static struct mobj_batch_op *mobj_batch_ops_get(struct mobj_client *client,
						u32 count, bool *kept)
{
	struct mobj_batch_op *ops;

	*kept = count <= MOBJ_BATCH_KEEP &&
		mutex_trylock(&client->batch_mutex);
	if (*kept) {
		if (!client->batch_ops)
			client->batch_ops = kmalloc_array(MOBJ_BATCH_KEEP,
							  sizeof(*ops),
							  GFP_KERNEL_ACCOUNT);
		if (client->batch_ops)
			return client->batch_ops;
		mutex_unlock(&client->batch_mutex);
		*kept = false;
	}
	return kvmalloc_array(count, sizeof(*ops), GFP_KERNEL_ACCOUNT);
}

static void mobj_batch_ops_put(struct mobj_client *client,
			       struct mobj_batch_op *ops, bool kept)
{
	if (kept)
		mutex_unlock(&client->batch_mutex);
	else
		kvfree(ops);
}

/*
 * @done is written whenever the batch struct is writable: 0 when the call
 * failed before the first entry ran (see "Batches" in the uapi header).
 */
int mobj_ioctl_batch(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_batch *cmd = ucmd->cmd;
	struct mobj_heap *heap = client->heap;
	unsigned int step = mobj_gc_step_budget();
	struct mobj_batch_op *ops = NULL;
	struct mobj_batch_op __user *uops;
	LIST_HEAD(reap);
	bool kept = false;
	long budget;
	size_t bytes;
	int rc = 0;
	u32 i;

	mobj_ucmd_answer(ucmd, struct mobj_batch, done, done);
	if (cmd->flags || !cmd->count || cmd->count > MOBJ_BATCH_MAX) {
		rc = -EINVAL;
		goto err_none_ran;
	}
	uops = u64_to_user_ptr(cmd->ops);
	bytes = array_size(cmd->count, sizeof(*ops));
	ops = mobj_batch_ops_get(client, cmd->count, &kept);
	if (!ops) {
		rc = -ENOMEM;
		goto err_none_ran;
	}
	rc = mobj_batch_read(heap, ops, uops, cmd->count);
	if (rc)
		goto err_none_ran;
	/* Nothing may run unless the answers can be written back. */
	cmd->done = 0;
	rc = mobj_probe_user(heap, uops, ops, bytes);
	if (!rc)
		rc = mobj_ucmd_probe(ucmd);
	if (rc)
		goto err_none_ran;

	mobj_gc_throttle(heap);
	mobj_lock_timed(heap);
	budget = step ?: LONG_MAX;
	for (i = 0; i < cmd->count; i++) {
		if (budget <= 0) {
			/* Not atomic: let the others have the lock. */
			mobj_step_spent(heap, step, budget);
			mobj_unlock(heap);
			mobj_heap_reap(&reap);
			mobj_lock_handoff(heap);
			mobj_lock_timed(heap);
			budget = step;
		}
		rc = mobj_batch_one(client, ops, i, &budget);
		ops[i].error = rc;
		if (rc)
			break;
		/*
		 * What the entry made die is released before the next entry
		 * looks (within this step, or by the unlock above): each entry
		 * sees the ones before it complete, as separate calls would.
		 */
		if (heap->drain_owed &&
		    mobj_heap_drain_step(heap, &budget, &reap))
			heap->drain_owed = false;
	}
	mobj_step_spent(heap, step, budget);
	mobj_unlock(heap);
	mobj_heap_reap(&reap);

	cmd->done = i;
	if (mobj_batch_answer(heap, uops, ops, min(i + 1, cmd->count))) {
		rc = -EFAULT;
		mobj_batch_close_results(client, ops, i);
	}
	if (mobj_ucmd_respond(ucmd))
		rc = -EFAULT;
	mobj_batch_ops_put(client, ops, kept);
	return rc;

err_none_ran:
	cmd->done = 0;
	mobj_ucmd_respond(ucmd);
	mobj_batch_ops_put(client, ops, kept);
	return rc;
}

