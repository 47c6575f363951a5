// SPDX-License-Identifier: GPL-2.0
/*
 * mobj handle traces: where was this handle made?
 *
 * With the module parameter handle_traces set (off by default, root-writable
 * at any time), each handle made (NEW, DUP, SLOT_GET, WEAKREF_GET, IMPORT,
 * GC_GARBAGE, the batch versions: all go through mobj_handle_alloc())
 * keeps the stack of the call that made it, saved in the stack depot: the
 * client's @traces XArray maps the handle to xa_mk_value(depot handle).
 * Off, a static branch skips it all and nothing is stored.  A trace that
 * cannot be saved is left out and the handle is made all the same.  Turning
 * the mode off keeps the traces already taken until their handles close.
 *
 * debugfs "who" (write-then-read, as "graph"): write an object id, then
 * read, from offset 0, every handle to it in every open file of the device:
 *
 *   # object ID
 *   # client pid comm handle kind
 *   CLIENT PID COMM HANDLE strong|weak
 *       function+offset/size [module]     (one line per frame, or)
 *       (not traced)
 */
#include <linux/debugfs.h>
#include <linux/jump_label.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stackdepot.h>
#include <linux/stacktrace.h>
#include <linux/uaccess.h>

#include "mobj_ioctl.h"

#define MOBJ_TRACE_DEPTH	16
#define MOBJ_TRACE_TEXT_MAX	PAGE_SIZE

DEFINE_STATIC_KEY_FALSE(mobj_handle_traces_key);
static bool mobj_handle_traces;

/* Sleeps (stack_depot_init(), the static branch): process context only. */
static int mobj_handle_traces_set(const char *val,
				  const struct kernel_param *kp)
{
	bool on;
	int rc;

	rc = kstrtobool(val, &on);
	if (rc)
		return rc;
	if (on) {
		rc = stack_depot_init();
		if (rc)
			return rc;
		static_branch_enable(&mobj_handle_traces_key);
	} else {
		static_branch_disable(&mobj_handle_traces_key);
	}
	WRITE_ONCE(mobj_handle_traces, on);
	return 0;
}

static const struct kernel_param_ops mobj_handle_traces_ops = {
	.set = mobj_handle_traces_set,
	.get = param_get_bool,
};

module_param_cb(handle_traces, &mobj_handle_traces_ops, &mobj_handle_traces,
		0644);
MODULE_PARM_DESC(handle_traces,
		 "keep the stack that made each handle, for debugfs who (default: off)");

/* Keep where @handle, just reserved, was made; never fails the caller. */
void mobj_handle_trace_record(struct mobj_client *client, u32 handle)
{
	unsigned long entries[MOBJ_TRACE_DEPTH];
	depot_stack_handle_t trace;
	unsigned int n;

	lockdep_assert_held(&client->heap->lock);

	/* From the caller: this function is in every trace. */
	n = stack_trace_save(entries, ARRAY_SIZE(entries), 1);
	trace = stack_depot_save(entries, n, GFP_KERNEL | __GFP_NOWARN);
	if (!trace)
		return;
	xa_store(&client->traces, handle, xa_mk_value(trace),
		 GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
}

/* who */

/**
 * struct mobj_who_query - one open file's query
 * @base: the device, and the lock that serialises the fields below
 * @id: the object asked about, 0 before the first query
 */
struct mobj_who_query {
	struct mobj_debugfs_query base;
	u64 id;
};

/*
 * The open file of the smallest client id at least @id.  The list is in
 * id order (open adds at the tail); this walks it from the start, so its
 * length, the device's open files, bounds each step.
 */
static struct mobj_client *mobj_who_client(struct mobj_heap *heap, u64 id)
{
	struct mobj_client *client;

	lockdep_assert_held(&heap->lock);

	list_for_each_entry(client, &heap->clients, node)
		if (client->id >= id)
			return client;
	return NULL;
}

static bool mobj_who_holds(void *entry, struct mobj_obj *obj)
{
	struct mobj_observer *ob;

	if (!mobj_entry_is_weak(entry))
		return entry == obj;
	ob = mobj_entry_observer(entry);
	return ob->obj == obj;
}

static void mobj_who_show_handle(struct seq_file *m,
				 struct mobj_client *client,
				 unsigned long h, void *entry, char *text)
{
	void *trace = xa_load(&client->traces, h);

	lockdep_assert_held(&client->heap->lock);

	seq_printf(m, "%llu %d %s %lu %s\n", client->id, client->pid,
		   client->comm, h, mobj_entry_is_weak(entry) ? "weak" :
		   "strong");
	/* Indented by four spaces: 1 + 3, as stack_trace_snprint() counts. */
	if (xa_is_value(trace) &&
	    stack_depot_snprint(xa_to_value(trace), text, MOBJ_TRACE_TEXT_MAX,
				3) > 0)
		seq_puts(m, text);
	else
		seq_puts(m, "    (not traced)\n");
}

/*
 * Every client's handles in (client, handle) order, the lock handed over
 * every gc_step_budget handles looked at; after each hand-over the object
 * is looked up again by id and the walk goes on at the same client (or
 * the next one, if that one closed).  A handle made or closed meanwhile
 * may or may not be shown.
 */
static int mobj_who_walk(struct seq_file *m, struct mobj_heap *heap, u64 id,
			 char *text)
{
	unsigned int step = mobj_gc_step_budget(), work = 0;
	struct mobj_client *client;
	struct mobj_obj *obj;
	u32 h = 1;
	u64 client_id;
	void *entry;
	int rc = 0;

	mobj_lock(heap);
	obj = xa_load(&heap->objects, id);
	if (!obj) {
		rc = -ENOENT;
		goto out_unlock;
	}
	seq_printf(m, "# object %llu\n# client pid comm handle kind\n", id);
	client = mobj_who_client(heap, 0);
	while (client) {
		entry = mobj_handle_next(client, &h);
		if (!entry) {
			client = mobj_who_client(heap, client->id + 1);
			h = 1;
			continue;
		}
		if (!mobj_entry_is_pending(entry) &&
		    mobj_who_holds(entry, obj))
			mobj_who_show_handle(m, client, h, entry, text);
		h++;
		if (!step || ++work < step)
			continue;
		work = 0;
		client_id = client->id;
		mobj_lock_yield(heap);
		if (xa_load(&heap->objects, id) != obj) {
			seq_puts(m, "# the object died during the walk\n");
			break;
		}
		client = mobj_who_client(heap, client_id);
		if (client && client->id != client_id)
			h = 1;
	}
out_unlock:
	mobj_unlock(heap);
	return rc;
}

static int mobj_who_show(struct seq_file *m, void *unused)
{
	struct mobj_who_query *q = m->private;
	char *text;
	int rc;

	mutex_lock(&q->base.lock);
	if (!q->id) {
		seq_puts(m, "# write an object id\n");
		mutex_unlock(&q->base.lock);
		return 0;
	}
	text = kmalloc(MOBJ_TRACE_TEXT_MAX, GFP_KERNEL);
	rc = text ? mobj_who_walk(m, q->base.heap, q->id, text) : -ENOMEM;
	kfree(text);
	mutex_unlock(&q->base.lock);
	return rc;
}

/* A bad id, or one of no live object, leaves the old query. */
static ssize_t mobj_who_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct mobj_who_query *q = m->private;
	u64 id;
	int rc;

	rc = kstrtou64_from_user(ubuf, count, 10, &id);
	if (rc)
		return rc;
	if (!id)
		return -EINVAL;
	rc = mobj_debugfs_query_find(&q->base, id);
	if (rc)
		return rc;
	mutex_lock(&q->base.lock);
	q->id = id;
	mutex_unlock(&q->base.lock);
	return count;
}

static int mobj_who_open(struct inode *inode, struct file *file)
{
	BUILD_BUG_ON(offsetof(struct mobj_who_query, base));
	return mobj_debugfs_query_open(inode, file, sizeof(struct mobj_who_query),
				       mobj_who_show);
}

static const struct file_operations mobj_who_fops = {
	.owner = THIS_MODULE,
	.open = mobj_who_open,
	.read = seq_read,
	.write = mobj_who_write,
	.llseek = seq_lseek,
	.release = mobj_debugfs_query_release,
};

void mobj_who_debugfs_init(struct mobj_heap *heap, struct dentry *dir)
{
	debugfs_create_file("who", 0600, dir, heap, &mobj_who_fops);
}
