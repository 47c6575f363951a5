// SPDX-License-Identifier: GPL-2.0
/*
 * mobj type names: a printable name for a user's type tag, per device
 * (MOBJ_TYPE_NAME), shown by debugfs and mobjctl.
 */
#include <linux/ctype.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mobj_ioctl.h"

/* The name of @type, or NULL. */
const char *mobj_type_name(struct mobj_heap *heap, u32 type)
{
	lockdep_assert_held(&heap->lock);

	return xa_load(&heap->type_names, type);
}

/* When the heap goes away. */
void mobj_types_destroy(struct mobj_heap *heap)
{
	unsigned long type;
	char *name;

	lockdep_assert_held(&heap->lock);

	xa_for_each(&heap->type_names, type, name)
		kfree(name);
	xa_destroy(&heap->type_names);
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
	name = xa_load(&heap->type_names, cmd->type);
	if (name)
		strscpy(cmd->name, name, sizeof(cmd->name));
	mobj_unlock(heap);
	return mobj_ucmd_respond(ucmd);
}

int mobj_ioctl_type_name(struct mobj_ucmd *ucmd)
{
	struct mobj_heap *heap = ucmd->client->heap;
	struct mobj_type_name *cmd = ucmd->cmd;
	char *name = NULL, *old;
	size_t len;
	int rc = 0;

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

	mobj_lock(heap);
	old = xa_load(&heap->type_names, cmd->type);
	if (!name) {
		xa_erase(&heap->type_names, cmd->type);
		heap->ntype_names -= !!old;
	} else if (!old && heap->ntype_names >= MOBJ_TYPE_NAMES_MAX) {
		rc = -ENOSPC;
	} else {
		rc = xa_err(xa_store(&heap->type_names, cmd->type, name,
				     GFP_KERNEL_ACCOUNT));
		if (!rc && !old)
			heap->ntype_names++;
	}
	mobj_unlock(heap);
	kfree(rc ? name : old);
	return rc;
}

