// SPDX-License-Identifier: GPL-2.0
/*
 * mobj type names: a printable name for a user's type tag, per device
 * (MOBJ_TYPE_NAME), shown by debugfs and mobjctl.
 *
 * A name belongs to the user (effective uid) that set it: only that user,
 * or one with CAP_SYS_ADMIN, may rename or remove it (EPERM otherwise).
 * The name stays when the open file that set it is closed, like the
 * objects it made: its owner's next run finds it.  One name is never
 * given to two tags (EEXIST).
 *
 * Also the count of live objects per tag (MOBJ_TYPE_COUNTS, debugfs
 * "types"): objgraph.typestats().
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/stringhash.h>

#include "mobj_ioctl.h"

/**
 * struct mobj_type_entry - a tag's name
 * @hnode: entry in heap->type_by_name
 * @type: the tag
 * @owner: the effective uid that set it
 * @name: NUL-terminated
 */
struct mobj_type_entry {
	struct hlist_node hnode;
	u32 type;
	kuid_t owner;
	char name[];
};

static u32 mobj_type_name_hash(const char *name)
{
	return full_name_hash(NULL, name, strlen(name));
}

/* The name of @type, or NULL. */
const char *mobj_type_name(struct mobj_heap *heap, u32 type)
{
	struct mobj_type_entry *entry;

	lockdep_assert_held(&heap->lock);

	entry = xa_load(&heap->type_names, type);
	return entry ? entry->name : NULL;
}

/* The entry named @name, or NULL. */
static struct mobj_type_entry *mobj_type_by_name(struct mobj_heap *heap,
						 const char *name)
{
	struct mobj_type_entry *entry;

	lockdep_assert_held(&heap->lock);

	hash_for_each_possible(heap->type_by_name, entry, hnode,
			       mobj_type_name_hash(name))
		if (!strcmp(entry->name, name))
			return entry;
	return NULL;
}

/* Is @name the name of a tag other than @type? */
static bool mobj_type_name_taken(struct mobj_heap *heap, u32 type,
				 const char *name)
{
	struct mobj_type_entry *entry = mobj_type_by_name(heap, name);

	return entry && entry->type != type;
}

/* When the heap goes away. */
void mobj_types_destroy(struct mobj_heap *heap)
{
	struct mobj_type_entry *entry;
	unsigned long type;

	lockdep_assert_held(&heap->lock);

	xa_for_each(&heap->type_names, type, entry)
		kfree(entry);
	xa_destroy(&heap->type_names);
	hash_init(heap->type_by_name);
	heap->ntype_names = 0;
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
	struct mobj_heap *heap = ucmd->client->heap;
	struct mobj_type_name *cmd = ucmd->cmd;
	const char *name;

	memset(cmd->name, 0, sizeof(cmd->name));
	mobj_lock(heap);
	name = mobj_type_name(heap, cmd->type);
	if (name)
		strscpy(cmd->name, name, sizeof(cmd->name));
	mobj_unlock(heap);
	return mobj_ucmd_respond(ucmd);
}

/* LOOKUP: the tag that has @name, -ENOENT when none has. */
static int mobj_type_name_lookup(struct mobj_ucmd *ucmd)
{
	struct mobj_heap *heap = ucmd->client->heap;
	struct mobj_type_name *cmd = ucmd->cmd;
	struct mobj_type_entry *entry;
	size_t len;

	len = strnlen(cmd->name, sizeof(cmd->name));
	if (!len || len == sizeof(cmd->name) ||
	    !mobj_type_name_valid(cmd->name, len))
		return -EINVAL;
	mobj_lock(heap);
	entry = mobj_type_by_name(heap, cmd->name);
	if (entry)
		cmd->type = entry->type;
	mobj_unlock(heap);
	return entry ? mobj_ucmd_respond(ucmd) : -ENOENT;
}

int mobj_ioctl_type_name(struct mobj_ucmd *ucmd)
{
	struct mobj_heap *heap = ucmd->client->heap;
	struct mobj_type_name *cmd = ucmd->cmd;
	struct mobj_type_entry *entry = NULL, *old;
	kuid_t uid = current_euid();
	size_t len;
	int rc = 0;

	switch (cmd->flags) {
	case MOBJ_TYPE_NAME_GET:
		return mobj_type_name_get(ucmd);
	case MOBJ_TYPE_NAME_LOOKUP:
		return mobj_type_name_lookup(ucmd);
	case 0:
		break;
	default:
		return -EINVAL;	/* GET and LOOKUP together */
	}
	len = strnlen(cmd->name, sizeof(cmd->name));
	if (len == sizeof(cmd->name) || !mobj_type_name_valid(cmd->name, len))
		return -EINVAL;
	if (len) {
		entry = kmalloc(struct_size(entry, name, len + 1),
				GFP_KERNEL_ACCOUNT);
		if (!entry)
			return -ENOMEM;
		entry->type = cmd->type;
		entry->owner = uid;
		memcpy(entry->name, cmd->name, len + 1);
	}

	mobj_lock(heap);
	old = xa_load(&heap->type_names, cmd->type);
	if (old && !uid_eq(old->owner, uid) && !capable(CAP_SYS_ADMIN))
		rc = -EPERM;
	else if (entry && mobj_type_name_taken(heap, cmd->type, entry->name))
		rc = -EEXIST;
	else if (!entry)
		xa_erase(&heap->type_names, cmd->type);
	else if (!old && heap->ntype_names >= MOBJ_TYPE_NAMES_MAX)
		rc = -ENOSPC;
	else
		rc = xa_err(xa_store(&heap->type_names, cmd->type, entry,
				     GFP_KERNEL_ACCOUNT));
	if (!rc) {
		heap->ntype_names += !!entry - !!old;
		if (old)
			hash_del(&old->hnode);
		if (entry)
			hash_add(heap->type_by_name, &entry->hnode,
				 mobj_type_name_hash(entry->name));
	}
	mobj_unlock(heap);
	kfree(rc ? entry : old);
	return rc;
}

/* Types */

static int mobj_type_count_cmp(const void *a, const void *b)
{
	const struct mobj_type_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->type < y->type ? -1 : x->type > y->type;
}

/**
 * mobj_type_histogram - live objects per type, most common first
 * @heap: the device; the caller holds neither lock
 * @quota: count only the objects this client created (NULL: all)
 * @counts: out, a kvmalloc'ed array (free it with kvfree()), or NULL
 * @objects: out, objects counted
 *
 * One object at a time in id order, the lock handed over every
 * gc_step_budget objects: on a changing heap the counts are what the walk
 * found as it went.  Memory grows with the number of distinct types, not
 * with the heap.  Returns the number of entries in @counts, or -errno.
 */
long mobj_type_histogram(struct mobj_heap *heap, struct mobj_quota *quota,
			 struct mobj_type_count **counts, u64 *objects)
{
	unsigned int step = mobj_gc_step_budget(), work = 0;
	unsigned long type, n = 0, i, id = 0;
	struct mobj_type_count *c = NULL;
	struct mobj_obj *obj;
	struct xarray hist;
	void *entry;
	int rc = 0;

	*objects = 0;
	xa_init(&hist);
	mobj_lock(heap);
	obj = xa_find(&heap->objects, &id, ULONG_MAX, XA_PRESENT);
	while (obj) {
		if (!quota || mobj_obj_charged_to(obj, quota)) {
			entry = xa_load(&hist, obj->type);
			n += !entry;
			entry = xa_mk_value(entry ? xa_to_value(entry) + 1 : 1);
			rc = xa_err(xa_store(&hist, obj->type, entry,
					     GFP_KERNEL_ACCOUNT));
			if (rc)
				break;
			++*objects;
		}
		if (step && ++work == step) {
			mobj_lock_yield(heap);
			work = 0;
		}
		obj = xa_find_after(&heap->objects, &id, ULONG_MAX, XA_PRESENT);
	}
	mobj_unlock(heap);
	if (rc)
		goto out;

	c = kvmalloc_array(n ?: 1, sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c) {
		rc = -ENOMEM;
		goto out;
	}
	i = 0;
	xa_for_each(&hist, type, entry)
		c[i++] = (struct mobj_type_count) {
			.type = type, .count = xa_to_value(entry) };
	sort(c, n, sizeof(*c), mobj_type_count_cmp, NULL);
	*counts = c;
out:
	xa_destroy(&hist);
	return rc ? rc : n;
}

/* objgraph.typestats(): a client counts its own, unless privileged. */
int mobj_ioctl_type_counts(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_type_counts *cmd = ucmd->cmd;
	struct mobj_quota *quota = client->quota;
	struct mobj_type_count *counts = NULL;
	u32 filled;
	long n;
	int rc;

	if (cmd->flags & MOBJ_TYPE_COUNTS_ALL) {
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		quota = NULL;
	}
	n = mobj_type_histogram(client->heap, quota, &counts, &cmd->objects);
	if (n < 0)
		return n;
	filled = min_t(unsigned long, n, cmd->count);
	rc = mobj_respond_array(ucmd, &cmd->count, n, cmd->types, counts,
				filled, sizeof(*counts));
	kvfree(counts);
	return rc;
}
