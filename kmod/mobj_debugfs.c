// SPDX-License-Identifier: GPL-2.0
/*
 * mobj debugfs: /sys/kernel/debug/<device>/ (root only)
 *
 *   stats    counts, collector settings and statistics, big lock figures
 *   objects  one line per live object, streamed by id
 *   types    live objects per type, most common first
 *   garbage  the objects kept by MOBJ_GC_DEBUG_SAVEALL
 *   graph    write a query, read a Graphviz digraph (objgraph's show_refs,
 *            show_backrefs and find_backref_chain)
 *   check    verify the whole heap; "ok ..." or one line per problem
 *   clients  one line per open file: client id, pid, command name,
 *            handles, live objects it created, queued events, watches
 *   who      write an object id, read every handle to it, with where
 *            each was made (module parameter handle_traces; mobj_who.c)
 *
 * Objects are named by id, clients by their number; no kernel address is
 * ever printed.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mobj.h"

static struct dentry *mobj_debugfs_root;

static void mobj_seq_type(struct seq_file *m, struct mobj_heap *heap, u32 type)
{
	const char *name = mobj_type_name(heap, type);

	if (name)
		seq_puts(m, name);
	else
		seq_printf(m, "type%u", type);
}

static const char *const mobj_gen_names[MOBJ_NR_LISTS] = {
	[MOBJ_GEN0] = "0",
	[MOBJ_GEN1] = "1",
	[MOBJ_GEN2] = "2",
	[MOBJ_GEN_PERMANENT] = "frozen",
	[MOBJ_GEN_UNTRACKED] = "-",
	[MOBJ_GEN_GARBAGE] = "garbage",
};

static void mobj_seq_obj(struct seq_file *m, struct mobj_heap *heap,
			 struct mobj_obj *obj)
{
	char flags[5], *f = flags;

	if (obj->gen != MOBJ_GEN_UNTRACKED)
		*f++ = 't';
	if (obj->gen == MOBJ_GEN_PERMANENT)
		*f++ = 'f';
	if (obj->gen == MOBJ_GEN_GARBAGE)
		*f++ = 'g';
	if (mobj_obj_nwatchers(obj))
		*f++ = 'w';
	if (f == flags)
		*f++ = '-';
	*f = '\0';

	seq_printf(m, "%llu ", obj->id);
	mobj_seq_type(m, heap, obj->type);
	seq_printf(m, " %u %s %u %u %s\n", obj->refcount,
		   mobj_gen_names[obj->gen], obj->nslots, mobj_obj_data_len(obj),
		   flags);
}

#define MOBJ_OBJ_HEADER "# id type refcount generation slots data_len flags\n"

/* stats */

static int mobj_stats_show(struct seq_file *m, void *unused)
{
	struct mobj_heap *heap = m->private;
	struct mobj_lock_stats ls;
	struct mobj_client *client;
	unsigned long nclients = 0;
	unsigned int i;

	mobj_lock(heap);
	list_for_each_entry(client, &heap->clients, node)
		nclients++;
	seq_printf(m, "live_objects %lu\nlive_handles %lu\nclients %lu\n",
		   heap->live_objects, heap->live_handles, nclients);
	seq_printf(m, "next_id %llu\nnamed_types %u\n", heap->next_id,
		   heap->ntype_names);
	seq_printf(m, "gc_enabled %d\ngc_debug %u\ngc_phase %u\n",
		   heap->gc_enabled, heap->gc_debug, heap->cycle.phase);
	for (i = 0; i < MOBJ_GC_GENERATIONS; i++) {
		struct mobj_gc_gen *gen = &heap->gen[i];

		seq_printf(m,
			   "gen%u objects %lu count %lu threshold %u collections %llu collected %llu uncollectable %llu total_ns %llu candidates %llu\n",
			   i, heap->list_count[i], gen->count, gen->threshold,
			   gen->stats.collections, gen->stats.collected,
			   gen->stats.uncollectable, gen->stats.total_ns,
			   gen->candidates);
	}
	seq_printf(m, "frozen %lu\nuntracked %lu\ngarbage %lu\n",
		   heap->list_count[MOBJ_GEN_PERMANENT],
		   heap->list_count[MOBJ_GEN_UNTRACKED],
		   heap->list_count[MOBJ_GEN_GARBAGE]);
	seq_printf(m, "long_lived_total %lu\nlong_lived_pending %lu\n",
		   heap->long_lived_total, heap->long_lived_pending);
	seq_printf(m, "events_dropped %llu\n", heap->events_dropped);
	seq_printf(m, "refcount_errors %llu\n", heap->refcount_errors);
	seq_printf(m, "dying %lu\n", heap->ndying);
	ls = heap->lockstat;
	mobj_unlock(heap);

	/* This read's own acquisition is counted, its hold is not yet. */
	seq_printf(m,
		   "lock_acquisitions %llu\nlock_contended %llu\nlock_wait_ns %llu\nlock_wait_max_ns %llu\nlock_hold_max_ns %llu\n",
		   ls.acquisitions, ls.contended, ls.wait_ns, ls.wait_max_ns,
		   ls.hold_max_ns);
	if (ls.hold_max_ip)
		seq_printf(m, "lock_hold_max_at %ps\n", (void *)ls.hold_max_ip);
	/* The histogram of contended waits: bucket i ends at 2^(i+10) ns. */
	for (i = 0; i + 1 < MOBJ_LOCK_WAIT_BUCKETS; i++)
		seq_printf(m, "lock_wait_lt_%lluns %llu\n",
			   1ULL << (i + MOBJ_LOCK_WAIT_SHIFT), ls.wait_hist[i]);
	seq_printf(m, "lock_wait_ge_%lluns %llu\n",
		   1ULL << (i - 1 + MOBJ_LOCK_WAIT_SHIFT), ls.wait_hist[i]);
	return 0;
}

static int mobj_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, mobj_stats_show, inode->i_private);
}

/*
 * A write of "0" starts the lock's figures afresh (the counts, the
 * longest wait and hold, the histogram), to measure one run on its own.
 */
static ssize_t mobj_stats_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct mobj_heap *heap = file_inode(file)->i_private;
	unsigned int val;
	int rc;

	rc = kstrtouint_from_user(ubuf, len, 0, &val);
	if (rc)
		return rc;
	if (val)
		return -EINVAL;
	mobj_lock(heap);
	memset(&heap->lockstat, 0, sizeof(heap->lockstat));
	heap->lockstat.hold_start_jiffies = jiffies;
	mobj_unlock(heap);
	return len;
}

static const struct file_operations mobj_stats_fops = {
	.owner = THIS_MODULE,
	.open = mobj_stats_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = mobj_stats_write,
	.release = single_release,
};

/**
 * mobj_debugfs_query_open() - open a query file ("graph", "who")
 * @inode: the file's inode; i_private is the device
 * @file: the open file
 * @size: the size of the query, a struct starting with struct
 *	  mobj_debugfs_query
 * @show: prints the answer to the query last written
 *
 * Return: 0, or -ENOMEM.
 */
int mobj_debugfs_query_open(struct inode *inode, struct file *file,
			    size_t size, int (*show)(struct seq_file *, void *))
{
	struct mobj_debugfs_query *q;
	int rc;

	q = kzalloc(size, GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	q->heap = inode->i_private;
	mutex_init(&q->lock);
	rc = single_open(file, show, q);
	if (rc) {
		mutex_destroy(&q->lock);
		kfree(q);
	}
	return rc;
}

/* A query names an object alive now: 0, or -ENOENT. */
int mobj_debugfs_query_find(struct mobj_debugfs_query *q, u64 id)
{
	bool exists;

	mobj_lock(q->heap);
	exists = xa_load(&q->heap->objects, id);
	mobj_unlock(q->heap);
	return exists ? 0 : -ENOENT;
}

int mobj_debugfs_query_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;
	struct mobj_debugfs_query *q = m->private;

	mutex_destroy(&q->lock);
	kfree(q);
	return single_release(inode, file);
}

/*
 * objects: the position is the next id to show, so each read() finds its
 * place in the id map without walking what it already printed, and no
 * memory is allocated in proportion to the heap.
 */
static void *mobj_objects_start(struct seq_file *m, loff_t *pos)
{
	struct mobj_heap *heap = m->private;
	unsigned long id = *pos;

	mobj_lock(heap);
	if (!*pos)
		return SEQ_START_TOKEN;
	return xa_find(&heap->objects, &id, ULONG_MAX, XA_PRESENT) ?
	       (*pos = id, xa_load(&heap->objects, id)) : NULL;
}

static void *mobj_objects_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct mobj_heap *heap = m->private;
	unsigned long id = v == SEQ_START_TOKEN ? 0 :
			   ((struct mobj_obj *)v)->id;
	void *obj;

	obj = xa_find_after(&heap->objects, &id, ULONG_MAX, XA_PRESENT);
	*pos = obj ? id : (loff_t)id + 1;
	return obj;
}

static void mobj_objects_stop(struct seq_file *m, void *v)
{
	struct mobj_heap *heap = m->private;

	mobj_unlock(heap);
}

static int mobj_objects_seq_show(struct seq_file *m, void *v)
{
	if (v == SEQ_START_TOKEN)
		seq_puts(m, MOBJ_OBJ_HEADER);
	else
		mobj_seq_obj(m, m->private, v);
	return 0;
}

static const struct seq_operations mobj_objects_sops = {
	.start = mobj_objects_start,
	.next = mobj_objects_next,
	.stop = mobj_objects_stop,
	.show = mobj_objects_seq_show,
};

static int mobj_objects_open(struct inode *inode, struct file *file)
{
	int rc = seq_open(file, &mobj_objects_sops);

	if (!rc)
		((struct seq_file *)file->private_data)->private =
			inode->i_private;
	return rc;
}

static const struct file_operations mobj_objects_fops = {
	.owner = THIS_MODULE,
	.open = mobj_objects_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release,
};

/* garbage */

static int mobj_garbage_show(struct seq_file *m, void *unused)
{
	struct mobj_heap *heap = m->private;
	struct mobj_obj *obj;

	seq_puts(m, MOBJ_OBJ_HEADER);
	mobj_lock(heap);
	list_for_each_entry(obj, &heap->lists[MOBJ_GEN_GARBAGE], gc_node)
		mobj_seq_obj(m, heap, obj);
	mobj_unlock(heap);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mobj_garbage);

/* types: the whole device's counts (MOBJ_TYPE_COUNTS_ALL), named */
static int mobj_types_show(struct seq_file *m, void *unused)
{
	struct mobj_type_count *counts = NULL;
	struct mobj_heap *heap = m->private;
	u64 objects;
	long n, i;

	n = mobj_type_histogram(heap, NULL, &counts, &objects);
	if (n < 0)
		return n;
	seq_puts(m, "# type count\n");
	mobj_lock(heap);
	for (i = 0; i < n; i++) {
		mobj_seq_type(m, heap, counts[i].type);
		seq_printf(m, " %llu\n", counts[i].count);
	}
	mobj_unlock(heap);
	kvfree(counts);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mobj_types);

/*
 * clients: who holds what, one line per open file (binder's proc/<pid> is
 * the model); the same counts, one per line, in the open file's fdinfo.
 */
void mobj_client_show(struct seq_file *m, struct mobj_client *client,
		      bool fdinfo)
{
	lockdep_assert_held(&client->heap->lock);

	if (!fdinfo) {
		seq_printf(m, "%llu %d %s %lu %lu %u %lu\n", client->id,
			   client->pid, client->comm, client->nhandles,
			   client->quota->objects, client->events_count,
			   client->nwatches);
		return;
	}
	seq_printf(m, "mobj-device:\t%s\n", client->heap->name);
	seq_printf(m, "mobj-client:\t%llu\n", client->id);
	seq_printf(m, "mobj-pid:\t%d\n", client->pid);
	seq_printf(m, "mobj-comm:\t%s\n", client->comm);
	seq_printf(m, "mobj-handles:\t%lu\n", client->nhandles);
	seq_printf(m, "mobj-objects:\t%lu\n", client->quota->objects);
	seq_printf(m, "mobj-events:\t%u\n", client->events_count);
	seq_printf(m, "mobj-watches:\t%lu\n", client->nwatches);
}

static int mobj_clients_show(struct seq_file *m, void *unused)
{
	struct mobj_heap *heap = m->private;
	struct mobj_client *client;

	seq_puts(m, "# client pid comm handles objects events watches\n");
	mobj_lock(heap);
	list_for_each_entry(client, &heap->clients, node)
		mobj_client_show(m, client, false);
	mobj_unlock(heap);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mobj_clients);

/* check: the consistency checker (mobj_check.c) */

struct mobj_check_seq {
	struct mobj_check chk;
	struct seq_file *m;
};

static void mobj_check_seq_report(struct mobj_check *chk, const char *msg)
{
	struct mobj_check_seq *cs = container_of(chk, struct mobj_check_seq,
						 chk);

	seq_printf(cs->m, "FAIL %s\n", msg);
}

static int mobj_check_show(struct seq_file *m, void *unused)
{
	struct mobj_check_seq cs = {
		.chk.report = mobj_check_seq_report,
		.m = m,
	};
	struct mobj_heap *heap = m->private;

	/* Between collections every object's collector state is idle. */
	mutex_lock(&heap->gc_mutex);
	mobj_lock(heap);
	if (!mobj_heap_check(heap, &cs.chk))
		seq_printf(m, "ok objects %lu handles %lu edges %lu\n",
			   cs.chk.objects, heap->live_handles, cs.chk.edges);
	mobj_unlock(heap);
	mutex_unlock(&heap->gc_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mobj_check);

/*
 * The first device's files are in /sys/kernel/debug/mobj/, each further
 * device's in a directory of its name below it.  Devices go away in reverse
 * order, so the first one, removing the top directory, goes last.
 */
void mobj_debugfs_init(struct mobj_heap *heap, const char *name)
{
	struct dentry *dir;

	if (!mobj_debugfs_root) {
		mobj_debugfs_root = debugfs_create_dir("mobj", NULL);
		dir = mobj_debugfs_root;
	} else {
		dir = debugfs_create_dir(name, mobj_debugfs_root);
	}
	heap->debugfs = dir;
	debugfs_create_file("stats", 0600, dir, heap, &mobj_stats_fops);
	debugfs_create_file("objects", 0400, dir, heap, &mobj_objects_fops);
	debugfs_create_file("types", 0400, dir, heap, &mobj_types_fops);
	debugfs_create_file("garbage", 0400, dir, heap, &mobj_garbage_fops);
	debugfs_create_file("check", 0400, dir, heap, &mobj_check_fops);
	debugfs_create_file("clients", 0400, dir, heap, &mobj_clients_fops);
	mobj_graph_debugfs_init(heap, dir);
	mobj_who_debugfs_init(heap, dir);
}

void mobj_debugfs_exit(struct mobj_heap *heap)
{
	debugfs_remove_recursive(heap->debugfs);
	if (heap->debugfs == mobj_debugfs_root)
		mobj_debugfs_root = NULL;
	heap->debugfs = NULL;
}
