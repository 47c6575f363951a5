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
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/slab.h>
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
