// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs "graph": the reference graph around one object, in Graphviz form,
 * after objgraph's show_refs, show_backrefs and find_backref_chain.
 *
 * Write a query, then read the answer from the same open file, from
 * offset 0 (seek back after writing; each open file has its own query):
 *
 *   refs ID [depth=N] [max=N]      what ID refers to, N levels deep
 *   backrefs ID [depth=N] [max=N]  what refers to ID, with the clients'
 *                                  handles as root nodes
 *   chain ID [depth=N] [max=N]     the shortest path from a handle to ID
 *
 * For refs and backrefs, depth is 1-20 (default 3), max, the edges drawn
 * per node, 1-1000 (default 10); the rest show as an "N more references"
 * node.  For chain (objgraph's find_backref_chain), depth is the longest
 * path searched, 1-1048576 (default: no limit but the search's size), and
 * max the referrers followed from each object, 1-1000 (default: all).  Nodes are
 * boxes labelled with type, id and refcount, filled lighter with depth,
 * the queried object highlighted; edges carry the slot index.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mobj.h"

#define MOBJ_GRAPH_DEPTH_MAX	20
#define MOBJ_GRAPH_EDGES_MAX	1000
#define MOBJ_GRAPH_NODES_MAX	4096
#define MOBJ_GRAPH_EDGES_TOTAL	16384
#define MOBJ_GRAPH_CHAIN_MAX	BIT(20)
#define MOBJ_GRAPH_QUERY_MAX	128

enum mobj_graph_verb {
	MOBJ_GRAPH_NONE,
	MOBJ_GRAPH_REFS,
	MOBJ_GRAPH_BACKREFS,
	MOBJ_GRAPH_CHAIN,
};

/**
 * struct mobj_graph_query - one open file's query
 * @base: the device, and the lock that serialises the fields below
 * @verb: enum mobj_graph_verb
 * @id: the object asked about
 * @depth: levels to follow
 * @max: edges drawn per node
 */
struct mobj_graph_query {
	struct mobj_debugfs_query base;
	unsigned int verb;
	u64 id;
	unsigned int depth;
	unsigned int max;
};

/**
 * struct mobj_graph_node - a node found by the walk
 * @obj: the object
 * @depth: distance from the queried object
 * @parent: index of the node it was reached from (chain)
 * @slot: the slot of the referring object on that edge (chain)
 */
struct mobj_graph_node {
	struct mobj_obj *obj;
	unsigned int depth;
	unsigned int parent;
	u32 slot;
};

/**
 * struct mobj_graph_walk - a breadth-first walk over the graph
 * @nodes: the nodes in the order found
 * @n: how many
 * @cap: most nodes the walk may find
 * @alloc: room in @nodes, grown as needed up to @cap
 * @seen: object id -> index in @nodes + 1
 * @edges: edges drawn so far, at most MOBJ_GRAPH_EDGES_TOTAL
 */
struct mobj_graph_walk {
	struct mobj_graph_node *nodes;
	unsigned int n;
	unsigned int cap;
	unsigned int alloc;
	struct xarray seen;
	unsigned int edges;
};

/* Room for MOBJ_GRAPH_NODES_MAX nodes at first, growing up to @cap. */
static int mobj_walk_init(struct mobj_graph_walk *walk, unsigned int cap)
{
	walk->alloc = min_t(unsigned int, cap, MOBJ_GRAPH_NODES_MAX);
	walk->nodes = kvmalloc_array(walk->alloc, sizeof(*walk->nodes),
				     GFP_KERNEL);
	walk->n = 0;
	walk->cap = cap;
	walk->edges = 0;
	xa_init(&walk->seen);
	return walk->nodes ? 0 : -ENOMEM;
}

static void mobj_walk_destroy(struct mobj_graph_walk *walk)
{
	xa_destroy(&walk->seen);
	kvfree(walk->nodes);
}

static bool mobj_walk_seen(struct mobj_graph_walk *walk, struct mobj_obj *obj)
{
	return xa_load(&walk->seen, obj->id);
}

/* Add @obj; -ENOSPC when the walk is full. */
static int mobj_walk_add(struct mobj_graph_walk *walk, struct mobj_obj *obj,
			 unsigned int depth, unsigned int parent, u32 slot)
{
	struct mobj_graph_node *nodes;
	unsigned int alloc;
	int rc;

	if (walk->n == walk->cap)
		return -ENOSPC;
	if (walk->n == walk->alloc) {
		alloc = min(walk->alloc * 2, walk->cap);
		nodes = kvrealloc(walk->nodes, walk->alloc * sizeof(*nodes),
				  alloc * sizeof(*nodes), GFP_KERNEL);
		if (!nodes)
			return -ENOMEM;
		walk->nodes = nodes;
		walk->alloc = alloc;
	}
	rc = xa_err(xa_store(&walk->seen, obj->id, xa_mk_value(walk->n + 1),
			     GFP_KERNEL));
	if (rc)
		return rc;
	walk->nodes[walk->n++] = (struct mobj_graph_node) {
		.obj = obj, .depth = depth, .parent = parent, .slot = slot,
	};
	return 0;
}

static void mobj_graph_node(struct seq_file *m, struct mobj_heap *heap,
			    struct mobj_obj *obj, unsigned int depth,
			    unsigned int max_depth)
{
	const char *name = mobj_type_name(heap, obj->type);
	unsigned int sat = 600 - 500 * min(depth, max_depth) / max(max_depth, 1U);

	seq_printf(m, "  o%llu [label=\"", obj->id);
	if (name)
		seq_puts(m, name);
	else
		seq_printf(m, "type%u", obj->type);
	seq_printf(m, "\\n#%llu refcount=%u\"", obj->id, obj->refcount);
	if (depth)
		seq_printf(m, ", fillcolor=\"0.600 0.%03u 1.000\"];\n", sat);
	else
		seq_puts(m, ", fillcolor=\"0.080 0.700 1.000\", penwidth=3];\n");
}

static void mobj_graph_edge(struct seq_file *m, struct mobj_obj *from,
			    struct mobj_obj *to, u32 slot)
{
	seq_printf(m, "  o%llu -> o%llu [label=\"[%u]\"];\n", from->id, to->id,
		   slot);
}

static void mobj_graph_more(struct seq_file *m, struct mobj_obj *obj,
			    unsigned long more, bool back)
{
	seq_printf(m, "  o%llu_more [label=\"%lu more references\", shape=plaintext, style=\"\"];\n",
		   obj->id, more);
	if (back)
		seq_printf(m, "  o%llu_more -> o%llu [style=dashed];\n",
			   obj->id, obj->id);
	else
		seq_printf(m, "  o%llu -> o%llu_more [style=dashed];\n",
			   obj->id, obj->id);
}

static void mobj_graph_begin(struct seq_file *m)
{
	seq_puts(m, "digraph mobj {\n");
	seq_puts(m, "  node [shape=box, style=filled, fillcolor=white, fontname=\"Helvetica\"];\n");
	seq_puts(m, "  edge [fontname=\"Helvetica\"];\n");
}

/* Follow one node's edges: slots (refs) or reverse edges (backrefs). */
static int mobj_graph_expand(struct seq_file *m, struct mobj_graph_walk *walk,
			     unsigned int i, bool back, unsigned int max_edges)
{
	struct mobj_graph_node *node = &walk->nodes[i];
	struct mobj_obj *obj = node->obj, *other;
	unsigned long drawn = 0, total = 0;
	struct mobj_ref *ref;
	u32 slot;
	int rc;

	if (back) {
		hlist_for_each_entry(ref, &obj->referrers, backref)
			total += !mobj_ref_hidden(ref);
		ref = hlist_entry_safe(obj->referrers.first, struct mobj_ref,
				       backref);
	} else {
		total = obj->nslots;
		ref = obj->slots;
	}
	for (; drawn < min_t(unsigned long, total, max_edges); drawn++) {
		if (walk->edges == MOBJ_GRAPH_EDGES_TOTAL)
			break;
		/* @total counts the live referrers: one is left. */
		while (back && mobj_ref_hidden(ref))
			ref = hlist_entry(ref->backref.next, struct mobj_ref,
					  backref);
		walk->edges++;
		other = back ? ref->owner : ref->target;
		slot = ref - ref->owner->slots;
		if (!mobj_walk_seen(walk, other)) {
			rc = mobj_walk_add(walk, other, node->depth + 1, i, slot);
			if (rc == -ENOSPC)
				break;
			if (rc)
				return rc;
		}
		if (back)
			mobj_graph_edge(m, other, obj, slot);
		else
			mobj_graph_edge(m, obj, other, slot);
		ref = back ? hlist_entry_safe(ref->backref.next,
					      struct mobj_ref, backref) :
			     ref + 1;
	}
	if (drawn < total)
		mobj_graph_more(m, obj, total - drawn, back);
	return 0;
}

/* The clients' handles to objects in the walk, as root nodes. */
static void mobj_graph_handles(struct seq_file *m, struct mobj_heap *heap,
			       struct mobj_graph_walk *walk)
{
	unsigned int edges = 0;
	struct mobj_client *client;
	struct mobj_obj *obj;
	bool shown;
	void *entry;
	u32 h;

	list_for_each_entry(client, &heap->clients, node) {
		shown = false;
		for (h = 1; (entry = mobj_handle_next(client, &h)); h++) {
			if (mobj_entry_is_pending(entry) ||
			    mobj_entry_is_weak(entry))
				continue;
			obj = entry;
			if (!mobj_walk_seen(walk, obj))
				continue;
			if (!shown) {
				seq_printf(m, "  c%llu [label=\"client %llu\\npid %d\", shape=ellipse, fillcolor=\"0.330 0.300 1.000\"];\n",
					   client->id, client->id, client->pid);
				shown = true;
			}
			if (++edges > MOBJ_GRAPH_NODES_MAX) {
				seq_puts(m, "  // more handles not shown\n");
				return;
			}
			seq_printf(m, "  c%llu -> o%llu [label=\"h%u\", style=bold];\n",
				   client->id, obj->id, h);
		}
	}
}

static int mobj_graph_show_walk(struct seq_file *m, struct mobj_graph_query *q,
				struct mobj_obj *root, bool back)
{
	struct mobj_heap *heap = q->base.heap;
	struct mobj_graph_walk walk;
	unsigned int i;
	int rc;

	rc = mobj_walk_init(&walk, MOBJ_GRAPH_NODES_MAX);
	if (rc)
		return rc;
	rc = mobj_walk_add(&walk, root, 0, 0, 0);
	mobj_graph_begin(m);
	for (i = 0; !rc && i < walk.n; i++) {
		mobj_graph_node(m, heap, walk.nodes[i].obj,
				walk.nodes[i].depth, q->depth);
		if (walk.nodes[i].depth < q->depth)
			rc = mobj_graph_expand(m, &walk, i, back, q->max);
	}
	if (!rc && walk.n == walk.cap)
		seq_printf(m, "  // stopped at %u nodes\n", walk.cap);
	if (!rc && walk.edges == MOBJ_GRAPH_EDGES_TOTAL)
		seq_printf(m, "  // stopped at %u edges\n", walk.edges);
	if (!rc && back)
		mobj_graph_handles(m, heap, &walk);
	seq_puts(m, "}\n");
	mobj_walk_destroy(&walk);
	return rc;
}

/* Held from outside the object graph: a handle or the garbage list. */
static bool mobj_obj_rooted(struct mobj_obj *obj)
{
	unsigned long in = 0;
	struct mobj_ref *ref;

	hlist_for_each_entry(ref, &obj->referrers, backref)
		in += !mobj_ref_is_marker(ref);
	return obj->refcount > in;
}

/* Breadth-first along reverse edges until an object held from outside. */
static int mobj_graph_show_chain(struct seq_file *m, struct mobj_graph_query *q,
				 struct mobj_obj *target)
{
	struct mobj_heap *heap = q->base.heap;
	struct mobj_graph_walk walk;
	struct mobj_graph_node *node;
	bool cut = false;
	struct mobj_ref *ref;
	int rc, found = -1;
	unsigned int i, n;

	rc = mobj_walk_init(&walk, MOBJ_GRAPH_CHAIN_MAX);
	if (rc)
		return rc;
	rc = mobj_walk_add(&walk, target, 0, 0, 0);
	for (i = 0; !rc && i < walk.n && found < 0; i++) {
		if (mobj_obj_rooted(walk.nodes[i].obj)) {
			found = i;
			break;
		}
		if (walk.nodes[i].depth >= q->depth) {
			cut = true;
			continue;
		}
		n = 0;
		hlist_for_each_entry(ref, &walk.nodes[i].obj->referrers,
				     backref) {
			if (mobj_ref_hidden(ref))
				continue;
			if (n++ == q->max) {
				cut = true;
				break;
			}
			if (mobj_walk_seen(&walk, ref->owner))
				continue;
			rc = mobj_walk_add(&walk, ref->owner,
					   walk.nodes[i].depth + 1, i,
					   ref - ref->owner->slots);
			if (rc)
				break;
		}
		cond_resched();
	}
	if (rc == -ENOSPC)
		rc = 0;
	if (rc)
		goto out;

	mobj_graph_begin(m);
	if (found < 0) {
		mobj_graph_node(m, heap, target, 0, 1);
		seq_printf(m, "  unreachable [label=\"no handle reaches #%llu%s\", shape=plaintext, style=\"\"];\n",
			   target->id, walk.n == walk.cap ? " (search limit)" :
			   cut ? " within the depth and max given" :
			   ": it is garbage");
		seq_puts(m, "}\n");
		goto out;
	}
	/* The path, from the rooted object down to the target. */
	for (i = found;; i = node->parent) {
		node = &walk.nodes[i];
		mobj_graph_node(m, heap, node->obj,
				node->depth == 0 ? 0 : 1, 1);
		if (!node->depth)
			break;
		mobj_graph_edge(m, node->obj, walk.nodes[node->parent].obj,
				node->slot);
	}
	node = &walk.nodes[found];
	if (node->obj->gen == MOBJ_GEN_GARBAGE)
		seq_printf(m, "  garbage [label=\"gc.garbage\", shape=ellipse];\n  garbage -> o%llu;\n",
			   node->obj->id);
	/* Only the rooted object goes into the map: its handles are drawn. */
	xa_destroy(&walk.seen);
	walk.n = 0;
	rc = mobj_walk_add(&walk, node->obj, 0, 0, 0);
	if (!rc)
		mobj_graph_handles(m, heap, &walk);
	seq_puts(m, "}\n");
out:
	mobj_walk_destroy(&walk);
	return rc;
}

static int mobj_graph_show(struct seq_file *m, void *unused)
{
	struct mobj_graph_query *q = m->private;
	struct mobj_heap *heap = q->base.heap;
	struct mobj_obj *obj;
	int rc;

	mutex_lock(&q->base.lock);
	if (q->verb == MOBJ_GRAPH_NONE) {
		seq_puts(m, "// write a query: refs ID [depth=N] [max=N] | backrefs ID [depth=N] [max=N] | chain ID [depth=N] [max=N]\n");
		mutex_unlock(&q->base.lock);
		return 0;
	}
	mobj_lock(heap);
	obj = xa_load(&heap->objects, q->id);
	if (!obj)
		rc = -ENOENT;
	else if (q->verb == MOBJ_GRAPH_CHAIN)
		rc = mobj_graph_show_chain(m, q, obj);
	else
		rc = mobj_graph_show_walk(m, q, obj,
					  q->verb == MOBJ_GRAPH_BACKREFS);
	mobj_unlock(heap);
	mutex_unlock(&q->base.lock);
	return rc;
}

static int mobj_graph_option(char *tok, const char *key, unsigned int lo,
			     unsigned int hi, unsigned int *val)
{
	size_t len = strlen(key);

	if (strncmp(tok, key, len) || tok[len] != '=')
		return -ENOENT;
	if (kstrtouint(tok + len + 1, 10, val) || *val < lo || *val > hi)
		return -EINVAL;
	return 0;
}

/* Parse "VERB ID [depth=N] [max=N]" into @q, unchanged on error. */
static int mobj_graph_parse(char *buf, struct mobj_graph_query *q)
{
	struct mobj_graph_query new = { .depth = 3, .max = 10 };
	char *tok, *verb, *id;
	int rc;

	buf = strim(buf);
	verb = strsep(&buf, " \t");
	id = strsep(&buf, " \t");
	if (!strcmp(verb, "refs"))
		new.verb = MOBJ_GRAPH_REFS;
	else if (!strcmp(verb, "backrefs"))
		new.verb = MOBJ_GRAPH_BACKREFS;
	else if (!strcmp(verb, "chain"))
		new.verb = MOBJ_GRAPH_CHAIN;
	else
		return -EINVAL;
	if (!id || kstrtou64(id, 10, &new.id) || !new.id)
		return -EINVAL;
	if (new.verb == MOBJ_GRAPH_CHAIN) {
		new.depth = MOBJ_GRAPH_CHAIN_MAX;
		new.max = UINT_MAX;
	}
	while ((tok = strsep(&buf, " \t"))) {
		if (!*tok)
			continue;
		rc = mobj_graph_option(tok, "depth", 1,
				       new.verb == MOBJ_GRAPH_CHAIN ?
				       MOBJ_GRAPH_CHAIN_MAX :
				       MOBJ_GRAPH_DEPTH_MAX, &new.depth);
		if (rc == -ENOENT)
			rc = mobj_graph_option(tok, "max", 1,
					       MOBJ_GRAPH_EDGES_MAX, &new.max);
		if (rc)
			return -EINVAL;
	}

	rc = mobj_debugfs_query_find(&q->base, new.id);
	if (rc)
		return rc;
	q->verb = new.verb;
	q->id = new.id;
	q->depth = new.depth;
	q->max = new.max;
	return 0;
}

static ssize_t mobj_graph_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct mobj_graph_query *q = m->private;
	char buf[MOBJ_GRAPH_QUERY_MAX];
	int rc;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	/* A bad query, or one about no object, leaves the old one. */
	mutex_lock(&q->base.lock);
	rc = mobj_graph_parse(buf, q);
	mutex_unlock(&q->base.lock);
	return rc ? rc : count;
}

static int mobj_graph_open(struct inode *inode, struct file *file)
{
	BUILD_BUG_ON(offsetof(struct mobj_graph_query, base));
	return mobj_debugfs_query_open(inode, file, sizeof(struct mobj_graph_query),
				       mobj_graph_show);
}

static const struct file_operations mobj_graph_fops = {
	.owner = THIS_MODULE,
	.open = mobj_graph_open,
	.read = seq_read,
	.write = mobj_graph_write,
	.llseek = seq_lseek,
	.release = mobj_debugfs_query_release,
};

void mobj_graph_debugfs_init(struct mobj_heap *heap, struct dentry *dir)
{
	debugfs_create_file("graph", 0600, dir, heap, &mobj_graph_fops);
}
