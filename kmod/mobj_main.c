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
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mobj_ioctl.h"

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
 * @heap: its heap, big lock and collector
 * @name: the device's name
 */
struct mobj_device {
	struct miscdevice misc;
	struct mobj_heap heap;
	char name[16];
};

static struct mobj_device *mobj_devices;

/*
 * A copy of user memory charged to the caller's memory cgroup, unlike
 * vmemdup_user(): payloads and batch arrays are the user's memory.
 */
void *mobj_memdup_user(struct mobj_heap *heap, u64 uptr, size_t len)
{
	void *p;

	mobj_assert_unlocked(heap);
	p = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!p)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(p, u64_to_user_ptr(uptr), len)) {
		kvfree(p);
		return ERR_PTR(-EFAULT);
	}
	return p;
}

/*
 * Whether the @len bytes at @uptr, of which @copy is the kernel's copy, can
 * be written: one byte of each page is written back as it was read.  What
 * the whole copy back would tell, at a store per page instead of a copy.
 */
int mobj_probe_user(struct mobj_heap *heap, void __user *uptr,
		    const void *copy, size_t len)
{
	const u8 *c = copy;
	size_t off = 0;

	mobj_assert_unlocked(heap);
	while (off < len) {
		if (put_user(c[off], (u8 __user *)uptr + off))
			return -EFAULT;
		off += PAGE_SIZE - offset_in_page((unsigned long)uptr + off);
	}
	return 0;
}

/**
 * mobj_respond_array - the answer of a command that fills a user array
 * @ucmd: the call
 * @count: the struct's in/out count field, set to @total
 * @total: how many entries there are in all
 * @uptr: the user's array
 * @array: the first @filled entries, @elem bytes each
 * @filled: entries to copy, at most the room the caller gave
 * @elem: the size of one entry
 *
 * The array first, then the struct: a bad @uptr fails with -EFAULT and
 * the caller's struct is left as it was.
 */
int mobj_respond_array(struct mobj_ucmd *ucmd, u32 *count, u32 total,
		       u64 uptr, const void *array, u32 filled, size_t elem)
{
	int rc;

	*count = total;
	if (filled) {
		rc = mobj_copy_to_user(ucmd->client->heap,
				       u64_to_user_ptr(uptr), array,
				       (size_t)filled * elem);
		if (rc)
			return rc;
	}
	return mobj_ucmd_respond(ucmd);
}

static int mobj_ioctl_query(struct mobj_ucmd *ucmd);

/* Does nothing: the cost of a call, and a probe of the device. */
static int mobj_ioctl_nop(struct mobj_ucmd *ucmd)
{
	return 0;
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
	struct mobj_export export;
	struct mobj_import import;
	struct mobj_gc_leaks gc_leaks;
	struct mobj_type_counts type_counts;
};

/**
 * struct mobj_ioctl_op - one command
 * @size: sizeof its struct in this module
 * @min_size: the size of its first version
 * @ioctl_num: its ioctl number
 * @flags_ok: the flag bits it knows; others fail with -EINVAL here
 * @reserved: offset of its __u32 __reserved field, which must be 0, or 0
 * @admin: it changes the heap for every client: CAP_SYS_ADMIN only
 * @execute: its handler, called with the struct checked this far
 */
struct mobj_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	u32 flags_ok;
	unsigned int reserved;
	bool admin;
	int (*execute)(struct mobj_ucmd *ucmd);
};

#define __IOCTL_OP(_name, _fn, _struct, _last, _flags, _reserved, _admin)   \
	[MOBJ_CMD_##_name - MOBJ_CMD_BASE] = {                                \
		.size = sizeof(_struct) +                                     \
			BUILD_BUG_ON_ZERO(sizeof(union mobj_ucmd_buffer) <    \
					  sizeof(_struct)),                   \
		.min_size = offsetofend(_struct, _last),                      \
		.ioctl_num = MOBJ_##_name,                                    \
		.flags_ok = _flags,                                           \
		.reserved = _reserved,                                        \
		.admin = _admin,                                              \
		.execute = _fn,                                               \
	}

#define IOCTL_OP(_name, _fn, _struct, _last, _flags, _reserved)               \
	__IOCTL_OP(_name, _fn, _struct, _last, _flags, _reserved, false)

/* A command that only a client with CAP_SYS_ADMIN may issue. */
#define IOCTL_OP_ADMIN(_name, _fn, _struct, _last, _flags, _reserved)         \
	__IOCTL_OP(_name, _fn, _struct, _last, _flags, _reserved, true)

/* The __reserved field of @_struct, checked by the dispatcher. */
#define RSV(_struct) offsetof(_struct, __reserved)

/* A batch checks its own flags: it reports @done (see "Batches"). */
#define MOBJ_BATCH_FLAGS_CHECKED_BY_HANDLER U32_MAX

static const struct mobj_ioctl_op mobj_ioctl_ops[] = {
	IOCTL_OP(QUERY, mobj_ioctl_query, struct mobj_query, __reserved2, 0,
		 RSV(struct mobj_query)),
	IOCTL_OP(NOP, mobj_ioctl_nop, struct mobj_nop, flags, 0, 0),
	IOCTL_OP(NEW, mobj_ioctl_new, struct mobj_new, id, 0,
		 RSV(struct mobj_new)),
	IOCTL_OP(DUP, mobj_ioctl_dup, struct mobj_dup, new_handle, 0, 0),
	IOCTL_OP(CLOSE, mobj_ioctl_close, struct mobj_close, __reserved, 0,
		 RSV(struct mobj_close)),
	IOCTL_OP(GETREFCOUNT, mobj_ioctl_getrefcount,
		 struct mobj_getrefcount, refcount, 0,
		 RSV(struct mobj_getrefcount)),
	IOCTL_OP(INFO, mobj_ioctl_info, struct mobj_info, state, 0, 0),
	IOCTL_OP(DATA_READ, mobj_ioctl_data_read, struct mobj_data_read,
		 data, 0, 0),
	IOCTL_OP(DATA_WRITE, mobj_ioctl_data_write,
		 struct mobj_data_write, data, 0, 0),
	IOCTL_OP(SLOT_APPEND, mobj_ioctl_slot_append, struct mobj_slot,
		 __reserved, 0, RSV(struct mobj_slot)),
	IOCTL_OP(SLOT_SET, mobj_ioctl_slot_set, struct mobj_slot,
		 __reserved, 0, RSV(struct mobj_slot)),
	IOCTL_OP(SLOT_GET, mobj_ioctl_slot_get, struct mobj_slot,
		 __reserved, 0, RSV(struct mobj_slot)),
	IOCTL_OP(SLOT_POP, mobj_ioctl_slot_pop, struct mobj_slot,
		 __reserved, 0, RSV(struct mobj_slot)),
	IOCTL_OP(GC_COLLECT, mobj_ioctl_gc_collect, struct mobj_gc_collect,
		 duration_ns, 0, RSV(struct mobj_gc_collect)),
	IOCTL_OP(GC_GET, mobj_ioctl_gc_get, struct mobj_gc_state,
		 garbage_count, 0, RSV(struct mobj_gc_state)),
	IOCTL_OP_ADMIN(GC_SET, mobj_ioctl_gc_set, struct mobj_gc_set,
		       __reserved, MOBJ_GC_SET_ENABLED | MOBJ_GC_SET_THRESHOLD |
		       MOBJ_GC_SET_DEBUG, RSV(struct mobj_gc_set)),
	IOCTL_OP(GC_STATS, mobj_ioctl_gc_stats, struct mobj_gc_stats, gen, 0,
		 0),
	IOCTL_OP_ADMIN(GC_FREEZE, mobj_ioctl_gc_freeze, struct mobj_gc_freeze,
		       moved, MOBJ_GC_UNFREEZE, 0),
	IOCTL_OP(GC_GARBAGE, mobj_ioctl_gc_garbage, struct mobj_gc_garbage,
		 handles, MOBJ_GC_GARBAGE_CLEAR, 0),
	IOCTL_OP(REFERENTS, mobj_ioctl_referents, struct mobj_refs, ids, 0,
		 0),
	IOCTL_OP(REFERRERS, mobj_ioctl_referrers, struct mobj_refs, ids, 0,
		 0),
	IOCTL_OP(WATCH, mobj_ioctl_watch, struct mobj_watch, cookie,
		 MOBJ_WATCH_CANCEL | MOBJ_WATCH_GC, RSV(struct mobj_watch)),
	IOCTL_OP(WEAKREF, mobj_ioctl_weakref, struct mobj_weakref, result, 0,
		 0),
	IOCTL_OP(WEAKREF_GET, mobj_ioctl_weakref_get, struct mobj_weakref,
		 result, 0, 0),
	IOCTL_OP(TYPE_NAME, mobj_ioctl_type_name, struct mobj_type_name, name,
		 MOBJ_TYPE_NAME_GET | MOBJ_TYPE_NAME_LOOKUP,
		 RSV(struct mobj_type_name)),
	IOCTL_OP(BATCH, mobj_ioctl_batch, struct mobj_batch, ops,
		 MOBJ_BATCH_FLAGS_CHECKED_BY_HANDLER, 0),
	IOCTL_OP(EXPORT, mobj_ioctl_export, struct mobj_export, fd, 0, 0),
	IOCTL_OP(IMPORT, mobj_ioctl_import, struct mobj_import, handle, 0, 0),
	IOCTL_OP(GC_LEAKS, mobj_ioctl_gc_leaks, struct mobj_gc_leaks, examined,
		 0, RSV(struct mobj_gc_leaks)),
	IOCTL_OP(TYPE_COUNTS, mobj_ioctl_type_counts, struct mobj_type_counts,
		 objects, MOBJ_TYPE_COUNTS_ALL, RSV(struct mobj_type_counts)),
};

static int mobj_ioctl_query(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_query *cmd = ucmd->cmd;
	unsigned int i;

	if (cmd->__reserved2)
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
	cmd->event_size = sizeof(struct mobj_event);
	cmd->batch_op_size = sizeof(struct mobj_batch_op);

	mobj_lock(heap);
	cmd->live_objects = heap->live_objects;
	cmd->live_handles = heap->live_handles;
	cmd->client_objects = client->quota->objects;
	cmd->client_handles = client->nhandles;
	mobj_unlock(heap);
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
	/* Every struct starts with size and flags. */
	if (buf.nop.flags & ~op->flags_ok)
		return -EINVAL;
	if (op->reserved && *(u32 *)((u8 *)ucmd.cmd + op->reserved))
		return -EINVAL;
	if (op->admin && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	return op->execute(&ucmd);
}

/* Open files */

static int mobj_fops_open(struct inode *inode, struct file *filp)
{
	struct mobj_device *device = container_of(filp->private_data,
						  struct mobj_device, misc);
	struct mobj_heap *heap = &device->heap;
	struct mobj_client *client;

	client = kzalloc(sizeof(*client), GFP_KERNEL_ACCOUNT);
	if (!client)
		return -ENOMEM;
	client->quota = mobj_quota_alloc(heap);
	if (IS_ERR(client->quota)) {
		int rc = PTR_ERR(client->quota);

		kfree(client);
		return rc;
	}
	client->heap = heap;
	client->pid = task_tgid_vnr(current);
	get_task_comm(client->comm, current);
	seqcount_mutex_init(&client->handle_seq, &heap->lock);
	xa_init_flags(&client->traces, XA_FLAGS_ACCOUNT);
	INIT_LIST_HEAD(&client->watches);
	INIT_LIST_HEAD(&client->gc_node);
	init_waitqueue_head(&client->wait);
	mutex_init(&client->batch_mutex);
	mobj_client_pools_init(client);

	mobj_lock(heap);
	client->id = ++heap->next_client_id;
	list_add_tail(&client->node, &heap->clients);
	mobj_unlock(heap);

	filp->private_data = client;
	return nonseekable_open(inode, filp);
}

/*
 * The last reference to the open file is gone, so no ioctl of it is in
 * flight and no handle is half made.  Stop watching the collector, then
 * drop every watch, then every handle, gc_step_budget at a time with the
 * big lock handed over in between (a client may hold millions); objects
 * that other clients or objects still refer to survive.
 */
static int mobj_fops_release(struct inode *inode, struct file *filp)
{
	struct mobj_client *client = filp->private_data;
	struct mobj_heap *heap = client->heap;
	unsigned int step = mobj_gc_step_budget();
	long budget;
	bool done;

	mobj_lock_timed(heap);
	if (!list_empty(&client->gc_node))
		mobj_client_unwatch_gc(client);
	for (;;) {
		budget = step ?: LONG_MAX;
		done = mobj_client_drop_watches(client, &budget) &&
		       mobj_client_drop_handles(client, &budget);
		mobj_step_spent(heap, step, budget);
		if (done)
			break;
		mobj_lock_yield(heap);
	}
	list_del(&client->node);
	client->quota->orphan = true;
	mobj_quota_put(heap, client->quota);
	mobj_unlock(heap);

	mobj_handles_destroy(client);
	WARN_ON(!xa_empty(&client->traces));
	xa_destroy(&client->traces);
	kvfree(client->events);
	kfree(client->batch_ops);
	mutex_destroy(&client->batch_mutex);
	mobj_client_pools_destroy(client);
	kfree(client);
	return 0;
}

/* /proc/PID/fdinfo of a device's open file: who holds what. */
static void mobj_fops_show_fdinfo(struct seq_file *m, struct file *filp)
{
	struct mobj_client *client = filp->private_data;
	struct mobj_heap *heap = client->heap;

	mobj_lock(heap);
	mobj_client_show(m, client, true);
	mobj_unlock(heap);
}

static const struct file_operations mobj_fops = {
	.owner = THIS_MODULE,
	.open = mobj_fops_open,
	.release = mobj_fops_release,
	.read = mobj_fops_read,
	.poll = mobj_fops_poll,
	.show_fdinfo = mobj_fops_show_fdinfo,
	.unlocked_ioctl = mobj_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

static void mobj_device_exit(struct mobj_device *device)
{
	misc_deregister(&device->misc);
	mobj_debugfs_exit(&device->heap);
	mobj_heap_destroy(&device->heap);
}

static int mobj_device_init(struct mobj_device *device, unsigned int index)
{
	int rc;

	if (index)
		snprintf(device->name, sizeof(device->name), "mobj%u", index);
	else
		strscpy(device->name, "mobj", sizeof(device->name));
	mobj_heap_init(&device->heap);
	device->heap.name = device->name;
	mobj_debugfs_init(&device->heap, device->name);
	device->misc.minor = MISC_DYNAMIC_MINOR;
	device->misc.name = device->name;
	device->misc.fops = &mobj_fops;
	device->misc.mode = dev_mode;
	rc = misc_register(&device->misc);
	if (rc) {
		mobj_debugfs_exit(&device->heap);
		mobj_heap_destroy(&device->heap);
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
