// SPDX-License-Identifier: GPL-2.0
/*
 * mobj: managed objects for user space.
 *
 * /dev/mobj hands out small integer handles to refcounted objects that can
 * refer to each other through slots, CPython's memory model in the kernel:
 * exact refcounts, freeing at zero, and a generational cycle collector for
 * what refcounting cannot free.  This file is the character device: open
 * files (clients) with their handle tables, the ioctl dispatcher and one
 * handler per command, and the death-notice event queue.
 */
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mobj.h"

#define CREATE_TRACE_POINTS
#include "mobj_trace.h"

static unsigned short dev_mode = 0600;
module_param(dev_mode, ushort, 0444);
MODULE_PARM_DESC(dev_mode, "Mode of /dev/mobj* (default 0600)");

#define MOBJ_DEVICES_MAX 16
static unsigned int devices = 1;
module_param(devices, uint, 0444);
MODULE_PARM_DESC(devices,
		 "Independent heaps: /dev/mobj, then /dev/mobj1... (default 1, at most 16)");

/**
 * struct mobj_device - one character device and its heap
 * @misc: /dev/mobj, /dev/mobj1, ...
 * @mdev: its heap, big lock and collector
 * @name: the device's name
 */
struct mobj_device {
	struct miscdevice misc;
	struct mobj_dev mdev;
	char name[16];
};

static struct mobj_device *mobj_devices;

/*
 * User memory is touched only through these, and never with the big lock
 * or gc_mutex held: a copy that faults can wait for as long as user space
 * likes (userfaultfd, FUSE), and every other client would wait with it.
 */
static void mobj_assert_unlocked(struct mobj_dev *mdev)
{
	lockdep_assert_not_held(&mdev->lock);
	lockdep_assert_not_held(&mdev->gc_mutex);
}

static int mobj_copy_to_user(struct mobj_dev *mdev, void __user *to,
			     const void *from, size_t len)
{
	mobj_assert_unlocked(mdev);
	return copy_to_user(to, from, len) ? -EFAULT : 0;
}

/*
 * A copy of user memory charged to the caller's memory cgroup, unlike
 * vmemdup_user(): payloads and batch arrays are the user's memory.
 */
static void *mobj_memdup_user(struct mobj_dev *mdev, u64 uptr, size_t len)
{
	void *p;

	mobj_assert_unlocked(mdev);
	p = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!p)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(p, u64_to_user_ptr(uptr), len)) {
		kvfree(p);
		return ERR_PTR(-EFAULT);
	}
	return p;
}

/* Handles (see "Handle table entries" in mobj.h) */

static bool mobj_entry_is_weak(void *entry)
{
	return xa_pointer_tag(entry) & MOBJ_WEAK_TAG;
}

/* What a published handle holds: NULL when unknown or not yet published. */
static void *__mobj_handle_entry(struct mobj_client *client, u32 handle)
{
	void *entry = xa_load(&client->handles, handle);

	if (!entry)
		return NULL;
	smp_rmb();	/* the mark is set before the entry is stored */
	if (xa_get_mark(&client->handles, handle, MOBJ_HANDLE_PENDING))
		return NULL;
	return entry;
}

static struct mobj_obj *__mobj_handle_obj(struct mobj_client *client,
					  u32 handle)
{
	void *entry = __mobj_handle_entry(client, handle);

	if (!entry)
		return ERR_PTR(-ENOENT);
	if (mobj_entry_is_weak(entry))
		return ERR_PTR(-EINVAL);
	return entry;
}

static void *mobj_handle_entry(struct mobj_client *client, u32 handle)
{
	lockdep_assert_held(&client->mdev->lock);

	return __mobj_handle_entry(client, handle);
}

/* The object behind a strong handle. */
static struct mobj_obj *mobj_handle_obj(struct mobj_client *client, u32 handle)
{
	lockdep_assert_held(&client->mdev->lock);

	return __mobj_handle_obj(client, handle);
}

/*
 * Lock-free readers: under rcu_read_lock(), look the object up, read what
 * is needed, then mobj_handle_recheck().  The object's memory stays an
 * object (SLAB_TYPESAFE_BY_RCU) but may have been freed and reused; if
 * the handle still refers to it, nothing was (handle numbers are not
 * reused), and what was read is a value it had since the lookup.
 */
static bool mobj_handle_recheck(struct mobj_client *client, u32 handle,
				struct mobj_obj *obj)
{
	smp_rmb();	/* the fields were read before the handle is checked */
	return xa_load(&client->handles, handle) == obj;
}

/* Reserve a handle number: an empty entry that no lookup finds. */
static int mobj_handle_reserve(struct mobj_client *client, u32 *handle)
{
	int rc;

	lockdep_assert_held(&client->mdev->lock);

	if (client->nhandles >= mobj_client_handles_max())
		return -EMFILE;
	rc = xa_alloc_cyclic(&client->handles, handle, NULL,
			     XA_LIMIT(1, INT_MAX), &client->next_handle,
			     GFP_KERNEL_ACCOUNT);
	if (rc < 0)
		return rc == -EBUSY ? -EMFILE : rc;
	client->nhandles++;
	client->mdev->live_handles++;
	return 0;
}

/*
 * Store @entry, which holds its reference already, in a reserved handle:
 * usable at once, or (@pending) after mobj_handle_publish().
 */
static void mobj_handle_fill(struct mobj_client *client, u32 handle,
			     void *entry, bool pending)
{
	struct xarray *xa = &client->handles;

	lockdep_assert_held(&client->mdev->lock);

	xa_lock(xa);
	if (pending)
		__xa_set_mark(xa, handle, MOBJ_HANDLE_PENDING);
	/* Replacing the reserved entry never allocates. */
	WARN_ON(xa_is_err(__xa_store(xa, handle, entry, GFP_NOWAIT)));
	xa_unlock(xa);
}

static void mobj_handle_publish(struct mobj_client *client, u32 handle)
{
	lockdep_assert_held(&client->mdev->lock);

	xa_clear_mark(&client->handles, handle, MOBJ_HANDLE_PENDING);
}

/*
 * Remove a handle from the table, reserved, pending or published; what it
 * held is the caller's to drop.
 */
static void mobj_handle_remove(struct mobj_client *client, u32 handle)
{
	lockdep_assert_held(&client->mdev->lock);

	xa_erase(&client->handles, handle);
	client->nhandles--;
	client->mdev->live_handles--;
}

/* Drop what a handle held: a strong reference, or a weak one. */
static void mobj_entry_drop(struct mobj_dev *mdev, void *entry)
{
	struct mobj_observer *ob;

	lockdep_assert_held(&mdev->lock);

	if (!mobj_entry_is_weak(entry)) {
		mobj_obj_put(mdev, entry);
		return;
	}
	ob = xa_untag_pointer(entry);
	if (ob->obj)
		list_del(&ob->node);
	kfree(ob);
}

/* Events */

void mobj_client_post(struct mobj_client *client, const struct mobj_event *ev)
{
	unsigned int tail;

	lockdep_assert_held(&client->mdev->lock);

	if (client->events_count == client->events_max) {
		client->events_lost++;
		client->mdev->events_dropped++;
	} else {
		tail = (client->events_head + client->events_count) %
		       client->events_max;
		client->events[tail] = *ev;
		WRITE_ONCE(client->events_count, client->events_count + 1);
	}
	wake_up_interruptible_poll(&client->wait, EPOLLIN | EPOLLRDNORM);
}

static bool mobj_client_readable(struct mobj_client *client)
{
	return READ_ONCE(client->events_count) || READ_ONCE(client->events_lost);
}

/* Move up to @max records into @out; a LOST record follows the queue. */
static unsigned int mobj_client_take_events(struct mobj_client *client,
					    struct mobj_event *out,
					    unsigned int max)
{
	unsigned int n = 0;

	lockdep_assert_held(&client->mdev->lock);

	while (n < max && client->events_count) {
		out[n++] = client->events[client->events_head];
		client->events_head = (client->events_head + 1) %
				      client->events_max;
		WRITE_ONCE(client->events_count, client->events_count - 1);
	}
	if (n < max && !client->events_count && client->events_lost) {
		out[n++] = (struct mobj_event) {
			.reason = MOBJ_EVENT_LOST,
			.lost = client->events_lost,
		};
		WRITE_ONCE(client->events_lost, 0);
	}
	return n;
}

#define MOBJ_READ_BATCH 32

static ssize_t mobj_fops_read(struct file *filp, char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct mobj_client *client = filp->private_data;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_event *events;
	unsigned int n;
	int rc;

	if (count < sizeof(*events))
		return -EINVAL;
	count = min_t(size_t, count / sizeof(*events), MOBJ_READ_BATCH);

	events = kmalloc_array(count, sizeof(*events), GFP_KERNEL);
	if (!events)
		return -ENOMEM;
	for (;;) {
		mobj_lock(mdev);
		n = mobj_client_take_events(client, events, count);
		mobj_unlock(mdev);
		if (n)
			break;
		rc = -EAGAIN;
		if (filp->f_flags & O_NONBLOCK)
			goto out_free;
		rc = wait_event_interruptible(client->wait,
					      mobj_client_readable(client));
		if (rc)
			goto out_free;
	}
	/*
	 * The records have left the queue: a fault here loses them, as a
	 * read(2) into a bad buffer loses data on a pipe.
	 */
	rc = mobj_copy_to_user(mdev, buf, events, n * sizeof(*events));
out_free:
	kfree(events);
	return rc ? rc : n * sizeof(*events);
}

static __poll_t mobj_fops_poll(struct file *filp, poll_table *wait)
{
	struct mobj_client *client = filp->private_data;

	poll_wait(filp, &client->wait, wait);
	return mobj_client_readable(client) ? EPOLLIN | EPOLLRDNORM : 0;
}

/* The ioctl path */

/**
 * struct mobj_ucmd - one ioctl call
 * @client: the caller's open file
 * @ubuffer: the user's struct
 * @user_size: its size as the user gave it
 * @cmd: the kernel's copy, sized for this module's version
 * @size: sizeof the kernel's struct
 */
struct mobj_ucmd {
	struct mobj_client *client;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
	u32 size;
};

/* Copy the answer back, as much of it as the caller's struct holds. */
static int mobj_ucmd_respond(struct mobj_ucmd *ucmd)
{
	return mobj_copy_to_user(ucmd->client->mdev, ucmd->ubuffer, ucmd->cmd,
				 min_t(u32, ucmd->user_size, ucmd->size));
}

/*
 * For commands whose effect cannot be undone: write the caller's struct
 * back unchanged before acting, so that a read-only buffer fails with
 * -EFAULT while nothing has happened yet.
 */
static int mobj_ucmd_probe(struct mobj_ucmd *ucmd)
{
	return mobj_ucmd_respond(ucmd);
}

/*
 * Reserve, then publish: @handle was reserved and @entry holds a reference
 * for it.  The answer goes to user space first; only when that worked does
 * the handle become usable.  Otherwise the handle and its reference go, and
 * nothing changed.
 */
static int mobj_respond_handle(struct mobj_ucmd *ucmd, u32 handle,
			       void *entry)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_dev *mdev = client->mdev;
	int rc;

	rc = mobj_ucmd_respond(ucmd);
	mobj_lock(mdev);
	if (rc) {
		mobj_handle_remove(client, handle);
		mobj_entry_drop(mdev, entry);
	} else {
		mobj_handle_publish(client, handle);
	}
	mobj_unlock(mdev);
	return rc;
}

static int mobj_ioctl_query(struct mobj_ucmd *ucmd);

static int mobj_ioctl_nop(struct mobj_ucmd *ucmd)
{
	struct mobj_nop *cmd = ucmd->cmd;

	return cmd->flags ? -EINVAL : 0;
}

static int mobj_ioctl_new(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_new *cmd = ucmd->cmd;
	struct mobj_obj *obj;
	void *data = NULL;
	int rc;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	if (cmd->data_len > mobj_data_max())
		return -EMSGSIZE;
	/* An answer that cannot be written fails before an id is used. */
	rc = mobj_ucmd_probe(ucmd);
	if (rc)
		return rc;
	if (cmd->data_len) {
		data = mobj_memdup_user(mdev, cmd->data, cmd->data_len);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	obj = mobj_obj_alloc(cmd->type, data, cmd->data_len);
	if (!obj) {
		kvfree(data);
		return -ENOMEM;
	}

	mobj_lock(mdev);
	rc = mobj_handle_reserve(client, &cmd->handle);
	if (rc)
		goto err_unlock;
	rc = mobj_obj_insert(mdev, obj, client->quota);
	if (rc)
		goto err_remove_handle;
	mobj_handle_fill(client, cmd->handle, obj, true);
	cmd->id = obj->id;
	mobj_unlock(mdev);

	return mobj_respond_handle(ucmd, cmd->handle, obj);

err_remove_handle:
	mobj_handle_remove(client, cmd->handle);
err_unlock:
	mobj_unlock(mdev);
	mobj_obj_free_unpublished(obj);
	return rc;
}

/*
 * A new strong handle to @obj, for DUP, SLOT_GET, WEAKREF_GET and
 * GC_GARBAGE: the reference is taken before the handle holds it.
 */
static int __mobj_new_strong_handle(struct mobj_client *client,
				    struct mobj_obj *obj, bool pending,
				    u32 *handle)
{
	int rc;

	lockdep_assert_held(&client->mdev->lock);

	rc = mobj_handle_reserve(client, handle);
	if (rc)
		return rc;
	mobj_obj_get(client->mdev, obj);
	mobj_handle_fill(client, *handle, obj, pending);
	return 0;
}

/* Pending: published by mobj_respond_handle() once the answer is out. */
static int mobj_new_strong_handle(struct mobj_client *client,
				  struct mobj_obj *obj, u32 *handle)
{
	return __mobj_new_strong_handle(client, obj, true, handle);
}

static int mobj_ioctl_dup(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_dup *cmd = ucmd->cmd;
	struct mobj_obj *obj;
	int rc;

	if (cmd->flags)
		return -EINVAL;

	mobj_lock(mdev);
	obj = mobj_handle_obj(client, cmd->handle);
	rc = PTR_ERR_OR_ZERO(obj);
	if (!rc)
		rc = mobj_new_strong_handle(client, obj, &cmd->new_handle);
	mobj_unlock(mdev);
	if (rc)
		return rc;
	return mobj_respond_handle(ucmd, cmd->new_handle, obj);
}

static int mobj_ioctl_close(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_close *cmd = ucmd->cmd;
	void *entry;
	int rc = 0;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;

	mobj_lock(mdev);
	entry = mobj_handle_entry(client, cmd->handle);
	if (entry) {
		mobj_handle_remove(client, cmd->handle);
		mobj_entry_drop(mdev, entry);
	} else {
		rc = -ENOENT;
	}
	mobj_unlock(mdev);
	return rc;
}

static int mobj_ioctl_getrefcount(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_getrefcount *cmd = ucmd->cmd;
	struct mobj_obj *obj;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;

	rcu_read_lock();
	obj = __mobj_handle_obj(client, cmd->handle);
	if (!IS_ERR(obj)) {
		cmd->refcount = READ_ONCE(obj->refcount);
		if (!mobj_handle_recheck(client, cmd->handle, obj))
			obj = ERR_PTR(-ENOENT);
	}
	rcu_read_unlock();
	if (IS_ERR(obj))
		return PTR_ERR(obj);
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

/* Lock-free, like MOBJ_GETREFCOUNT: each field is one the object had. */
static int mobj_ioctl_info(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_info *cmd = ucmd->cmd;
	struct mobj_obj *obj;
	unsigned int gen;

	if (cmd->flags)
		return -EINVAL;

	rcu_read_lock();
	obj = __mobj_handle_obj(client, cmd->handle);
	if (!IS_ERR(obj)) {
		cmd->type = obj->type;
		cmd->id = obj->id;
		cmd->refcount = READ_ONCE(obj->refcount);
		cmd->data_len = READ_ONCE(obj->data_len);
		cmd->nslots = READ_ONCE(obj->nslots);
		gen = READ_ONCE(obj->gen);
		cmd->generation = gen <= MOBJ_GEN_PERMANENT ? gen : 0;
		cmd->state = mobj_obj_state(gen, READ_ONCE(obj->nwatchers));
		if (!mobj_handle_recheck(client, cmd->handle, obj))
			obj = ERR_PTR(-ENOENT);
	}
	rcu_read_unlock();
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	return mobj_ucmd_respond(ucmd);
}

static int mobj_ioctl_data_read(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_data_read *cmd = ucmd->cmd;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_obj *obj;
	void *buf = NULL;
	int rc;

	if (cmd->flags)
		return -EINVAL;

	mobj_lock(mdev);
	obj = mobj_handle_obj(client, cmd->handle);
	rc = PTR_ERR_OR_ZERO(obj);
	if (rc)
		goto out_unlock;
	rc = -ERANGE;
	if (cmd->offset > obj->data_len)
		goto out_unlock;
	cmd->len = min(cmd->len, obj->data_len - cmd->offset);
	cmd->data_len = obj->data_len;
	rc = 0;
	if (cmd->len) {
		buf = kvmalloc(cmd->len, GFP_KERNEL_ACCOUNT);
		if (buf)
			memcpy(buf, obj->data + cmd->offset, cmd->len);
		else
			rc = -ENOMEM;
	}
out_unlock:
	mobj_unlock(mdev);
	if (rc)
		return rc;

	if (cmd->len)
		rc = mobj_copy_to_user(mdev, u64_to_user_ptr(cmd->data), buf,
				       cmd->len);
	kvfree(buf);
	return rc ? rc : mobj_ucmd_respond(ucmd);
}

static int mobj_ioctl_data_write(struct mobj_ucmd *ucmd)
{
	struct mobj_data_write *cmd = ucmd->cmd;
	struct mobj_client *client = ucmd->client;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_obj *obj;
	void *data = NULL;

	if (cmd->flags)
		return -EINVAL;
	if (cmd->len > mobj_data_max())
		return -EMSGSIZE;
	if (cmd->len) {
		data = mobj_memdup_user(mdev, cmd->data, cmd->len);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}

	mobj_lock(mdev);
	obj = mobj_handle_obj(client, cmd->handle);
	if (!IS_ERR(obj)) {
		swap(obj->data, data);
		WRITE_ONCE(obj->data_len, cmd->len);
	}
	mobj_unlock(mdev);
	kvfree(data);
	return PTR_ERR_OR_ZERO(obj);
}

/* The slot commands share a struct; each validates the fields it uses. */
static int mobj_slot_lookup(struct mobj_client *client, struct mobj_slot *cmd,
			    struct mobj_obj **obj, struct mobj_obj **value)
{
	lockdep_assert_held(&client->mdev->lock);

	*obj = mobj_handle_obj(client, cmd->handle);
	if (IS_ERR(*obj))
		return PTR_ERR(*obj);
	if (!value)
		return 0;
	*value = mobj_handle_obj(client, cmd->value);
	return PTR_ERR_OR_ZERO(*value);
}

static int mobj_ioctl_slot_append(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_slot *cmd = ucmd->cmd;
	struct mobj_obj *obj, *value;
	int rc;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	rc = mobj_ucmd_probe(ucmd);
	if (rc)
		return rc;

	mobj_lock(mdev);
	rc = mobj_slot_lookup(client, cmd, &obj, &value);
	if (!rc)
		rc = mobj_slot_append(mdev, obj, value, &cmd->index);
	mobj_unlock(mdev);
	return rc ? rc : mobj_ucmd_respond(ucmd);
}

static int mobj_ioctl_slot_set(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_slot *cmd = ucmd->cmd;
	struct mobj_obj *obj, *value;
	int rc;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;

	mobj_lock(mdev);
	rc = mobj_slot_lookup(client, cmd, &obj, &value);
	if (!rc)
		rc = mobj_slot_set(mdev, obj, cmd->index, value);
	mobj_unlock(mdev);
	return rc;
}

static int mobj_ioctl_slot_get(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_slot *cmd = ucmd->cmd;
	struct mobj_obj *obj, *target = NULL;
	int rc;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;

	mobj_lock(mdev);
	rc = mobj_slot_lookup(client, cmd, &obj, NULL);
	if (!rc && cmd->index >= obj->nslots)
		rc = -ERANGE;
	if (!rc) {
		target = obj->slots[cmd->index].target;
		rc = mobj_new_strong_handle(client, target, &cmd->value);
	}
	mobj_unlock(mdev);
	if (rc)
		return rc;
	return mobj_respond_handle(ucmd, cmd->value, target);
}

static int mobj_ioctl_slot_pop(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_slot *cmd = ucmd->cmd;
	struct mobj_obj *obj;
	int rc;

	if (cmd->flags || cmd->value || cmd->__reserved)
		return -EINVAL;

	mobj_lock(mdev);
	rc = mobj_slot_lookup(client, cmd, &obj, NULL);
	if (!rc)
		rc = mobj_slot_pop(mdev, obj, cmd->index);
	mobj_unlock(mdev);
	return rc;
}

static int mobj_ioctl_gc_collect(struct mobj_ucmd *ucmd)
{
	struct mobj_gc_collect *cmd = ucmd->cmd, res;
	struct mobj_dev *mdev = ucmd->client->mdev;
	int rc;

	if (cmd->flags || cmd->__reserved ||
	    cmd->generation >= MOBJ_GC_GENERATIONS)
		return -EINVAL;
	rc = mobj_ucmd_probe(ucmd);
	if (rc)
		return rc;

	mutex_lock(&mdev->gc_mutex);
	mobj_lock(mdev);
	mobj_gc_collect_incremental(mdev, cmd->generation, &res);
	mobj_unlock(mdev);
	mutex_unlock(&mdev->gc_mutex);

	cmd->collected = res.collected;
	cmd->uncollectable = res.uncollectable;
	cmd->examined = res.examined;
	cmd->duration_ns = res.duration_ns;
	return mobj_ucmd_respond(ucmd);
}

static int mobj_ioctl_gc_get(struct mobj_ucmd *ucmd)
{
	struct mobj_dev *mdev = ucmd->client->mdev;
	struct mobj_gc_state *cmd = ucmd->cmd;
	unsigned int i;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;

	mobj_lock(mdev);
	cmd->enabled = mdev->gc_enabled;
	cmd->debug = mdev->gc_debug;
	for (i = 0; i < MOBJ_GC_GENERATIONS; i++) {
		cmd->threshold[i] = mdev->gen[i].threshold;
		cmd->count[i] = mdev->gen[i].count;
	}
	cmd->freeze_count = mdev->list_count[MOBJ_GEN_PERMANENT];
	cmd->garbage_count = mdev->list_count[MOBJ_GEN_GARBAGE];
	mobj_unlock(mdev);
	return mobj_ucmd_respond(ucmd);
}

#define MOBJ_GC_SET_ALL \
	(MOBJ_GC_SET_ENABLED | MOBJ_GC_SET_THRESHOLD | MOBJ_GC_SET_DEBUG)

static int mobj_ioctl_gc_set(struct mobj_ucmd *ucmd)
{
	struct mobj_dev *mdev = ucmd->client->mdev;
	struct mobj_gc_set *cmd = ucmd->cmd;
	unsigned int i;

	if (cmd->flags & ~MOBJ_GC_SET_ALL || cmd->__reserved)
		return -EINVAL;
	if (cmd->flags & MOBJ_GC_SET_ENABLED && cmd->enabled > 1)
		return -EINVAL;
	if (cmd->flags & MOBJ_GC_SET_DEBUG &&
	    cmd->debug & ~MOBJ_GC_DEBUG_SAVEALL)
		return -EINVAL;
	if (cmd->flags & MOBJ_GC_SET_THRESHOLD &&
	    (!cmd->threshold[1] || !cmd->threshold[2]))
		return -EINVAL;

	mobj_lock(mdev);
	if (cmd->flags & MOBJ_GC_SET_ENABLED)
		mdev->gc_enabled = cmd->enabled;
	if (cmd->flags & MOBJ_GC_SET_DEBUG)
		mdev->gc_debug = cmd->debug;
	if (cmd->flags & MOBJ_GC_SET_THRESHOLD)
		for (i = 0; i < MOBJ_GC_GENERATIONS; i++)
			mdev->gen[i].threshold = cmd->threshold[i];
	mobj_gc_maybe_queue(mdev);
	mobj_unlock(mdev);
	return 0;
}

static int mobj_ioctl_gc_stats(struct mobj_ucmd *ucmd)
{
	struct mobj_dev *mdev = ucmd->client->mdev;
	struct mobj_gc_stats *cmd = ucmd->cmd;
	unsigned int i;

	if (cmd->flags)
		return -EINVAL;

	mobj_lock(mdev);
	for (i = 0; i < MOBJ_GC_GENERATIONS; i++)
		cmd->gen[i] = mdev->gen[i].stats;
	mobj_unlock(mdev);
	return mobj_ucmd_respond(ucmd);
}

static int mobj_ioctl_gc_freeze(struct mobj_ucmd *ucmd)
{
	struct mobj_dev *mdev = ucmd->client->mdev;
	struct mobj_gc_freeze *cmd = ucmd->cmd;
	int rc;

	if (cmd->flags & ~MOBJ_GC_UNFREEZE)
		return -EINVAL;
	rc = mobj_ucmd_probe(ucmd);
	if (rc)
		return rc;

	/*
	 * Not while a collection is under way: between its steps the objects
	 * it took are on its own lists, and it would put them back unfrozen.
	 */
	mutex_lock(&mdev->gc_mutex);
	mobj_lock(mdev);
	if (cmd->flags & MOBJ_GC_UNFREEZE)
		cmd->moved = mobj_gc_unfreeze(mdev);
	else
		cmd->moved = mobj_gc_freeze(mdev);
	mobj_unlock(mdev);
	mutex_unlock(&mdev->gc_mutex);
	return mobj_ucmd_respond(ucmd);
}

/*
 * gc.garbage: new handles to the first saved objects, made as a batch with
 * reserve-then-publish; the list is cleared only once they are published.
 * gc_mutex is held while the handles are made (no collection changes the
 * list meanwhile) and again to publish and clear, never across the copy to
 * user space: a stalled copy must not hold up every collection.
 */
static int mobj_ioctl_gc_garbage(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_gc_garbage *cmd = ucmd->cmd;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_obj **objs = NULL, *obj;
	u32 *handles = NULL;
	unsigned int i, n = 0;
	int rc = 0;

	if (cmd->flags & ~MOBJ_GC_GARBAGE_CLEAR)
		return -EINVAL;

	mutex_lock(&mdev->gc_mutex);
	mobj_lock(mdev);
	n = min_t(unsigned long, cmd->count,
		  mdev->list_count[MOBJ_GEN_GARBAGE]);
	cmd->count = min_t(unsigned long, mdev->list_count[MOBJ_GEN_GARBAGE],
			   U32_MAX);
	if (n) {
		objs = kvmalloc_array(n, sizeof(*objs), GFP_KERNEL_ACCOUNT);
		handles = kvmalloc_array(n, sizeof(*handles),
					 GFP_KERNEL_ACCOUNT);
		if (!objs || !handles) {
			rc = -ENOMEM;
			n = 0;
		}
	}
	i = 0;
	list_for_each_entry(obj, &mdev->lists[MOBJ_GEN_GARBAGE], gc_node) {
		if (i == n)
			break;
		rc = mobj_new_strong_handle(client, obj, &handles[i]);
		if (rc)
			break;
		objs[i++] = obj;
	}
	mobj_unlock(mdev);
	mutex_unlock(&mdev->gc_mutex);

	cmd->filled = i;
	if (!rc && i)
		rc = mobj_copy_to_user(mdev, u64_to_user_ptr(cmd->handles),
				       handles, i * sizeof(*handles));
	if (!rc)
		rc = mobj_ucmd_respond(ucmd);

	/* Clearing runs a collection of the garbage list: none may be under way. */
	mutex_lock(&mdev->gc_mutex);
	mobj_lock(mdev);
	while (i--) {
		if (rc) {
			mobj_handle_remove(client, handles[i]);
			mobj_obj_put(mdev, objs[i]);
		} else {
			mobj_handle_publish(client, handles[i]);
		}
	}
	if (!rc && cmd->flags & MOBJ_GC_GARBAGE_CLEAR)
		mobj_gc_garbage_clear(mdev);
	mobj_unlock(mdev);
	mutex_unlock(&mdev->gc_mutex);
	kvfree(handles);
	kvfree(objs);
	return rc;
}

static int mobj_ioctl_refs(struct mobj_ucmd *ucmd, bool referrers)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_refs *cmd = ucmd->cmd;
	struct mobj_obj *obj;
	struct mobj_ref *ref;
	u64 *ids = NULL;
	u32 i, n = 0, total = 0;
	int rc;

	if (cmd->flags)
		return -EINVAL;

	mobj_lock(mdev);
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
	mobj_unlock(mdev);
	if (rc)
		return rc;

	cmd->count = total;
	if (n)
		rc = mobj_copy_to_user(mdev, u64_to_user_ptr(cmd->ids), ids,
				       n * sizeof(*ids));
	kvfree(ids);
	return rc ? rc : mobj_ucmd_respond(ucmd);
}

static int mobj_ioctl_referents(struct mobj_ucmd *ucmd)
{
	return mobj_ioctl_refs(ucmd, false);
}

static int mobj_ioctl_referrers(struct mobj_ucmd *ucmd)
{
	return mobj_ioctl_refs(ucmd, true);
}

static int mobj_ioctl_watch(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_watch *cmd = ucmd->cmd;
	struct mobj_watcher *watcher;
	struct mobj_obj *obj;
	int rc;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	watcher = kzalloc(sizeof(*watcher), GFP_KERNEL_ACCOUNT);
	if (!watcher)
		return -ENOMEM;

	mobj_lock(mdev);
	obj = mobj_handle_obj(client, cmd->handle);
	rc = PTR_ERR_OR_ZERO(obj);
	if (!rc && !client->events) {
		client->events_max = mobj_events_max();
		client->events = kvmalloc_array(client->events_max,
						sizeof(*client->events),
						GFP_KERNEL_ACCOUNT);
		if (!client->events)
			rc = -ENOMEM;
	}
	if (!rc) {
		watcher->observer.kind = MOBJ_OBSERVER_WATCH;
		watcher->observer.obj = obj;
		watcher->client = client;
		watcher->cookie = cmd->cookie;
		list_add_tail(&watcher->observer.node, &obj->observers);
		list_add_tail(&watcher->client_node, &client->watches);
		WRITE_ONCE(obj->nwatchers, obj->nwatchers + 1);
		watcher = NULL;
	}
	mobj_unlock(mdev);
	kfree(watcher);
	return rc;
}

static int mobj_ioctl_weakref(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_weakref *cmd = ucmd->cmd;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_observer *ob;
	struct mobj_obj *obj;
	int rc;

	if (cmd->flags)
		return -EINVAL;
	ob = kzalloc(sizeof(*ob), GFP_KERNEL_ACCOUNT);
	if (!ob)
		return -ENOMEM;

	mobj_lock(mdev);
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
	mobj_unlock(mdev);
	if (rc) {
		kfree(ob);
		return rc;
	}
	return mobj_respond_handle(ucmd, cmd->result,
				   xa_tag_pointer(ob, MOBJ_WEAK_TAG));
}

static int mobj_ioctl_weakref_get(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_weakref *cmd = ucmd->cmd;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_observer *ob;
	struct mobj_obj *obj = NULL;
	void *entry;
	int rc;

	if (cmd->flags)
		return -EINVAL;

	mobj_lock(mdev);
	entry = mobj_handle_entry(client, cmd->handle);
	if (!entry) {
		rc = -ENOENT;
	} else if (!mobj_entry_is_weak(entry)) {
		rc = -EINVAL;
	} else {
		ob = xa_untag_pointer(entry);
		obj = ob->obj;
		if (!obj || mobj_gc_doomed(mdev, obj))
			rc = -ESTALE;
		else
			rc = mobj_new_strong_handle(client, obj, &cmd->result);
	}
	mobj_unlock(mdev);
	if (rc)
		return rc;
	return mobj_respond_handle(ucmd, cmd->result, obj);
}

static bool mobj_type_name_valid(const char *name, size_t len)
{
	size_t i;

	/* ASCII only: the kernel's isalnum() also takes Latin-1 letters. */
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) || (!isalnum(name[i]) &&
					  !strchr("_.:<>-", name[i])))
			return false;
	return !memchr_inv(name + len, 0, MOBJ_TYPE_NAME_MAX - len);
}

static int mobj_type_name_get(struct mobj_ucmd *ucmd)
{
	struct mobj_dev *mdev = ucmd->client->mdev;
	struct mobj_type_name *cmd = ucmd->cmd;
	const char *name;

	memset(cmd->name, 0, sizeof(cmd->name));
	mobj_lock(mdev);
	name = xa_load(&mdev->type_names, cmd->type);
	if (name)
		strscpy(cmd->name, name, sizeof(cmd->name));
	mobj_unlock(mdev);
	return mobj_ucmd_respond(ucmd);
}

static int mobj_ioctl_type_name(struct mobj_ucmd *ucmd)
{
	struct mobj_dev *mdev = ucmd->client->mdev;
	struct mobj_type_name *cmd = ucmd->cmd;
	char *name = NULL, *old;
	size_t len;
	int rc = 0;

	if (cmd->flags & ~MOBJ_TYPE_NAME_GET || cmd->__reserved)
		return -EINVAL;
	if (cmd->flags & MOBJ_TYPE_NAME_GET)
		return mobj_type_name_get(ucmd);
	len = strnlen(cmd->name, sizeof(cmd->name));
	if (len == sizeof(cmd->name) || !mobj_type_name_valid(cmd->name, len))
		return -EINVAL;
	if (len) {
		name = kstrdup(cmd->name, GFP_KERNEL_ACCOUNT);
		if (!name)
			return -ENOMEM;
	}

	mobj_lock(mdev);
	old = xa_load(&mdev->type_names, cmd->type);
	if (!name) {
		xa_erase(&mdev->type_names, cmd->type);
		mdev->ntype_names -= !!old;
	} else if (!old && mdev->ntype_names >= MOBJ_TYPE_NAMES_MAX) {
		rc = -ENOSPC;
	} else {
		rc = xa_err(xa_store(&mdev->type_names, cmd->type, name,
				     GFP_KERNEL_ACCOUNT));
		if (!rc && !old)
			mdev->ntype_names++;
	}
	mobj_unlock(mdev);
	kfree(rc ? name : old);
	return rc;
}

/* A batch operand: a handle, or MOBJ_BATCH_RESULT(i) of an earlier entry. */
static int mobj_batch_operand(struct mobj_batch_op *ops, u32 i, u32 handle,
			      u32 *out)
{
	u32 ref = handle & ~MOBJ_BATCH_RESULT_FLAG;

	if (!(handle & MOBJ_BATCH_RESULT_FLAG)) {
		*out = handle;
		return 0;
	}
	if (ref >= i || (ops[ref].cmd != MOBJ_CMD_NEW &&
			 ops[ref].cmd != MOBJ_CMD_DUP &&
			 ops[ref].cmd != MOBJ_CMD_SLOT_GET))
		return -EINVAL;
	*out = ops[ref].result;
	return 0;
}

static int mobj_batch_new(struct mobj_client *client, struct mobj_batch_op *op)
{
	struct mobj_obj *obj;
	u32 handle;
	int rc;

	obj = mobj_obj_alloc(op->handle, NULL, 0);
	if (!obj)
		return -ENOMEM;
	rc = mobj_handle_reserve(client, &handle);
	if (rc)
		goto err_free;
	rc = mobj_obj_insert(client->mdev, obj, client->quota);
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
			  u32 i)
{
	struct mobj_batch_op *op = &ops[i];
	struct mobj_dev *mdev = client->mdev;
	struct mobj_obj *obj, *value = NULL;
	u32 handle = 0, val = 0, index;
	void *entry;
	int rc;

	lockdep_assert_held(&mdev->lock);

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
		entry = mobj_handle_entry(client, handle);
		if (!entry)
			return -ENOENT;
		if (op->index || op->value)
			return -EINVAL;
		mobj_handle_remove(client, handle);
		mobj_entry_drop(mdev, entry);
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
		return op->index ? -EINVAL :
		       mobj_slot_append(mdev, obj, value, &index);
	case MOBJ_CMD_SLOT_SET:
		return mobj_slot_set(mdev, obj, op->index, value);
	case MOBJ_CMD_SLOT_POP:
		return mobj_slot_pop(mdev, obj, op->index);
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
 * first @done entries made, whose numbers the caller cannot learn.
 */
static void mobj_batch_close_results(struct mobj_client *client,
				     const struct mobj_batch_op *ops, u32 done)
{
	struct mobj_dev *mdev = client->mdev;
	void *entry;
	u32 i;

	lockdep_assert_held(&mdev->lock);

	for (i = done; i--;) {
		if (ops[i].cmd != MOBJ_CMD_NEW && ops[i].cmd != MOBJ_CMD_DUP &&
		    ops[i].cmd != MOBJ_CMD_SLOT_GET)
			continue;
		/* A later entry of the batch may have closed it already. */
		entry = mobj_handle_entry(client, ops[i].result);
		if (!entry)
			continue;
		mobj_handle_remove(client, ops[i].result);
		mobj_entry_drop(mdev, entry);
	}
}

/*
 * @done is written whenever the batch struct is writable: 0 when the call
 * failed before the first entry ran (see "Batches" in the uapi header).
 */
static int mobj_ioctl_batch(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_batch *cmd = ucmd->cmd;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_batch_op *ops = NULL;
	void __user *uops;
	size_t bytes;
	int rc = 0;
	u32 i;

	if (cmd->flags || !cmd->count || cmd->count > MOBJ_BATCH_MAX) {
		rc = -EINVAL;
		goto err_none_ran;
	}
	uops = u64_to_user_ptr(cmd->ops);
	bytes = array_size(cmd->count, sizeof(*ops));
	ops = mobj_memdup_user(mdev, cmd->ops, bytes);
	if (IS_ERR(ops)) {
		rc = PTR_ERR(ops);
		ops = NULL;
		goto err_none_ran;
	}
	/* Nothing may run unless the answers can be written back. */
	cmd->done = 0;
	rc = mobj_copy_to_user(mdev, uops, ops, bytes);
	if (!rc)
		rc = mobj_ucmd_probe(ucmd);
	if (rc)
		goto err_none_ran;

	mobj_lock(mdev);
	for (i = 0; i < cmd->count; i++) {
		rc = mobj_batch_one(client, ops, i);
		ops[i].error = rc;
		if (rc)
			break;
	}
	mobj_unlock(mdev);

	cmd->done = i;
	if (mobj_copy_to_user(mdev, uops, ops,
			      min(i + 1, cmd->count) * sizeof(*ops))) {
		rc = -EFAULT;
		mobj_lock(mdev);
		mobj_batch_close_results(client, ops, i);
		mobj_unlock(mdev);
	}
	if (mobj_ucmd_respond(ucmd))
		rc = -EFAULT;
	kvfree(ops);
	return rc;

err_none_ran:
	cmd->done = 0;
	mobj_ucmd_respond(ucmd);
	kvfree(ops);
	return rc;
}

union mobj_ucmd_buffer {
	struct mobj_query query;
	struct mobj_nop nop;
	struct mobj_new new;
	struct mobj_dup dup;
	struct mobj_close close;
	struct mobj_getrefcount getrefcount;
	struct mobj_info info;
	struct mobj_data_read data_read;
	struct mobj_data_write data_write;
	struct mobj_slot slot;
	struct mobj_gc_collect gc_collect;
	struct mobj_gc_state gc_state;
	struct mobj_gc_set gc_set;
	struct mobj_gc_stats gc_stats;
	struct mobj_gc_freeze gc_freeze;
	struct mobj_gc_garbage gc_garbage;
	struct mobj_refs refs;
	struct mobj_watch watch;
	struct mobj_weakref weakref;
	struct mobj_type_name type_name;
	struct mobj_batch batch;
};

struct mobj_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct mobj_ucmd *ucmd);
};

#define IOCTL_OP(_name, _fn, _struct, _last)                                  \
	[MOBJ_CMD_##_name - MOBJ_CMD_BASE] = {                                \
		.size = sizeof(_struct) +                                     \
			BUILD_BUG_ON_ZERO(sizeof(union mobj_ucmd_buffer) <    \
					  sizeof(_struct)),                   \
		.min_size = offsetofend(_struct, _last),                      \
		.ioctl_num = MOBJ_##_name,                                    \
		.execute = _fn,                                               \
	}

static const struct mobj_ioctl_op mobj_ioctl_ops[] = {
	IOCTL_OP(QUERY, mobj_ioctl_query, struct mobj_query, __reserved2),
	IOCTL_OP(NOP, mobj_ioctl_nop, struct mobj_nop, flags),
	IOCTL_OP(NEW, mobj_ioctl_new, struct mobj_new, id),
	IOCTL_OP(DUP, mobj_ioctl_dup, struct mobj_dup, new_handle),
	IOCTL_OP(CLOSE, mobj_ioctl_close, struct mobj_close, __reserved),
	IOCTL_OP(GETREFCOUNT, mobj_ioctl_getrefcount,
		 struct mobj_getrefcount, refcount),
	IOCTL_OP(INFO, mobj_ioctl_info, struct mobj_info, state),
	IOCTL_OP(DATA_READ, mobj_ioctl_data_read, struct mobj_data_read,
		 data),
	IOCTL_OP(DATA_WRITE, mobj_ioctl_data_write,
		 struct mobj_data_write, data),
	IOCTL_OP(SLOT_APPEND, mobj_ioctl_slot_append, struct mobj_slot,
		 __reserved),
	IOCTL_OP(SLOT_SET, mobj_ioctl_slot_set, struct mobj_slot,
		 __reserved),
	IOCTL_OP(SLOT_GET, mobj_ioctl_slot_get, struct mobj_slot,
		 __reserved),
	IOCTL_OP(SLOT_POP, mobj_ioctl_slot_pop, struct mobj_slot,
		 __reserved),
	IOCTL_OP(GC_COLLECT, mobj_ioctl_gc_collect, struct mobj_gc_collect,
		 duration_ns),
	IOCTL_OP(GC_GET, mobj_ioctl_gc_get, struct mobj_gc_state,
		 garbage_count),
	IOCTL_OP(GC_SET, mobj_ioctl_gc_set, struct mobj_gc_set,
		 __reserved),
	IOCTL_OP(GC_STATS, mobj_ioctl_gc_stats, struct mobj_gc_stats, gen),
	IOCTL_OP(GC_FREEZE, mobj_ioctl_gc_freeze, struct mobj_gc_freeze,
		 moved),
	IOCTL_OP(GC_GARBAGE, mobj_ioctl_gc_garbage, struct mobj_gc_garbage,
		 handles),
	IOCTL_OP(REFERENTS, mobj_ioctl_referents, struct mobj_refs, ids),
	IOCTL_OP(REFERRERS, mobj_ioctl_referrers, struct mobj_refs, ids),
	IOCTL_OP(WATCH, mobj_ioctl_watch, struct mobj_watch, cookie),
	IOCTL_OP(WEAKREF, mobj_ioctl_weakref, struct mobj_weakref, result),
	IOCTL_OP(WEAKREF_GET, mobj_ioctl_weakref_get, struct mobj_weakref,
		 result),
	IOCTL_OP(TYPE_NAME, mobj_ioctl_type_name, struct mobj_type_name, name),
	IOCTL_OP(BATCH, mobj_ioctl_batch, struct mobj_batch, ops),
};

static int mobj_ioctl_query(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_query *cmd = ucmd->cmd;
	unsigned int i;

	if (cmd->flags || cmd->__reserved || cmd->__reserved2)
		return -EINVAL;

	cmd->abi_version = MOBJ_ABI_VERSION;
	cmd->version = MOBJ_VERSION_CODE;
	cmd->commands = 0;
	for (i = 0; i < ARRAY_SIZE(mobj_ioctl_ops); i++)
		if (mobj_ioctl_ops[i].execute)
			cmd->commands |= BIT_ULL(i);
	cmd->data_max = mobj_data_max();
	cmd->slots_max = mobj_slots_max();
	cmd->objects_max = mobj_objects_max();
	cmd->client_objects_max = mobj_client_objects_max();
	cmd->client_handles_max = mobj_client_handles_max();

	mobj_lock(mdev);
	cmd->live_objects = mdev->live_objects;
	cmd->live_handles = mdev->live_handles;
	cmd->client_objects = client->quota->objects;
	cmd->client_handles = client->nhandles;
	mobj_unlock(mdev);
	return mobj_ucmd_respond(ucmd);
}

static long mobj_fops_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg)
{
	const struct mobj_ioctl_op *op;
	union mobj_ucmd_buffer buf;
	struct mobj_ucmd ucmd = {
		.client = filp->private_data,
		.ubuffer = (void __user *)arg,
		.cmd = &buf,
	};
	unsigned int nr = _IOC_NR(cmd);
	int rc;

	if (_IOC_TYPE(cmd) != MOBJ_TYPE || nr < MOBJ_CMD_BASE ||
	    nr - MOBJ_CMD_BASE >= ARRAY_SIZE(mobj_ioctl_ops))
		return -ENOTTY;
	op = &mobj_ioctl_ops[nr - MOBJ_CMD_BASE];
	if (op->ioctl_num != cmd)
		return -ENOTTY;

	if (get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer))
		return -EFAULT;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ucmd.size = op->size;
	rc = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				   ucmd.user_size);
	if (rc)
		return rc;
	return op->execute(&ucmd);
}

/* Open files */

static int mobj_fops_open(struct inode *inode, struct file *filp)
{
	struct mobj_device *device = container_of(filp->private_data,
						  struct mobj_device, misc);
	struct mobj_dev *mdev = &device->mdev;
	struct mobj_client *client;

	client = kzalloc(sizeof(*client), GFP_KERNEL_ACCOUNT);
	if (!client)
		return -ENOMEM;
	client->quota = kzalloc(sizeof(*client->quota), GFP_KERNEL_ACCOUNT);
	if (!client->quota) {
		kfree(client);
		return -ENOMEM;
	}
	client->mdev = mdev;
	client->pid = task_tgid_vnr(current);
	xa_init_flags(&client->handles, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	INIT_LIST_HEAD(&client->watches);
	init_waitqueue_head(&client->wait);

	mobj_lock(mdev);
	client->id = ++mdev->next_client_id;
	list_add_tail(&client->node, &mdev->clients);
	mobj_unlock(mdev);

	filp->private_data = client;
	return nonseekable_open(inode, filp);
}

/*
 * The last reference to the open file is gone, so no ioctl of it is in
 * flight and no handle is half made.  Drop every handle; objects that other
 * clients or objects still refer to survive.
 */
static int mobj_fops_release(struct inode *inode, struct file *filp)
{
	struct mobj_client *client = filp->private_data;
	struct mobj_dev *mdev = client->mdev;
	struct mobj_watcher *watch, *next;
	unsigned long index;
	void *entry;

	mobj_lock(mdev);
	list_for_each_entry_safe(watch, next, &client->watches, client_node) {
		WRITE_ONCE(watch->observer.obj->nwatchers,
			   watch->observer.obj->nwatchers - 1);
		list_del(&watch->observer.node);
		list_del(&watch->client_node);
		kfree(watch);
	}
	xa_for_each(&client->handles, index, entry) {
		mobj_entry_drop(mdev, entry);
		client->nhandles--;
		mdev->live_handles--;
		cond_resched();
	}
	WARN_ON(client->nhandles);
	xa_destroy(&client->handles);
	list_del(&client->node);
	client->quota->orphan = true;
	mobj_quota_put(client->quota);
	mobj_unlock(mdev);

	kvfree(client->events);
	kfree(client);
	return 0;
}

static const struct file_operations mobj_fops = {
	.owner = THIS_MODULE,
	.open = mobj_fops_open,
	.release = mobj_fops_release,
	.read = mobj_fops_read,
	.poll = mobj_fops_poll,
	.unlocked_ioctl = mobj_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

static void mobj_device_exit(struct mobj_device *device)
{
	misc_deregister(&device->misc);
	mobj_debugfs_exit(&device->mdev);
	mobj_dev_destroy(&device->mdev);
}

static int mobj_device_init(struct mobj_device *device, unsigned int index)
{
	int rc;

	if (index)
		snprintf(device->name, sizeof(device->name), "mobj%u", index);
	else
		strscpy(device->name, "mobj", sizeof(device->name));
	mobj_dev_init(&device->mdev);
	mobj_debugfs_init(&device->mdev, device->name);
	device->misc.minor = MISC_DYNAMIC_MINOR;
	device->misc.name = device->name;
	device->misc.fops = &mobj_fops;
	device->misc.mode = dev_mode;
	rc = misc_register(&device->misc);
	if (rc) {
		mobj_debugfs_exit(&device->mdev);
		mobj_dev_destroy(&device->mdev);
	}
	return rc;
}

static int __init mobj_init(void)
{
	unsigned int i;
	int rc;

	if (!devices || devices > MOBJ_DEVICES_MAX)
		return -EINVAL;
	rc = mobj_obj_cache_init();
	if (rc)
		return rc;
	rc = mobj_gc_wq_init();
	if (rc)
		goto err_cache;
	rc = -ENOMEM;
	mobj_devices = kcalloc(devices, sizeof(*mobj_devices), GFP_KERNEL);
	if (!mobj_devices)
		goto err_wq;
	for (i = 0; i < devices; i++) {
		rc = mobj_device_init(&mobj_devices[i], i);
		if (rc)
			goto err_devices;
	}
	return 0;

err_devices:
	while (i--)
		mobj_device_exit(&mobj_devices[i]);
	kfree(mobj_devices);
err_wq:
	mobj_gc_wq_destroy();
err_cache:
	mobj_obj_cache_destroy();
	return rc;
}

static void __exit mobj_exit(void)
{
	unsigned int i;

	for (i = devices; i--;)
		mobj_device_exit(&mobj_devices[i]);
	kfree(mobj_devices);
	mobj_gc_wq_destroy();
	mobj_obj_cache_destroy();
}
module_init(mobj_init);
module_exit(mobj_exit);

MODULE_DESCRIPTION("mobj: managed objects with refcounts and a cycle collector");
MODULE_LICENSE("GPL");
MODULE_VERSION(MOBJ_VERSION);
