// SPDX-License-Identifier: GPL-2.0
/*
 * mobj exports: an object as a file descriptor, the way the kernel shares
 * buffers and fences (dma-buf, sync_file).  MOBJ_EXPORT makes a new file
 * (its own anonymous inode, O_CLOEXEC) that holds one strong reference to
 * the object; the descriptor travels as descriptors do (fork, SCM_RIGHTS);
 * MOBJ_IMPORT makes a handle for it in another open file of the same
 * device.  The last close of the file drops the reference.
 *
 * The heap keeps a list of its exports, under the big lock, so that the
 * consistency checker can account for their references; the collector
 * needs nothing: an export's reference comes from outside the heap, like
 * a handle's.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "mobj_ioctl.h"

static int mobj_export_release(struct inode *inode, struct file *file)
{
	struct mobj_export_ref *ex = file->private_data;
	struct mobj_heap *heap = ex->heap;

	mobj_lock(heap);
	list_del(&ex->node);
	mobj_obj_put(heap, ex->obj);
	mobj_unlock(heap);
	kfree(ex);
	return 0;
}

/* /proc/PID/fdinfo: the object is alive as long as the file is. */
static void mobj_export_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct mobj_export_ref *ex = file->private_data;

	seq_printf(m, "mobj-device:\t%s\n", ex->heap->name);
	seq_printf(m, "mobj-id:\t%llu\n", ex->obj->id);
	seq_printf(m, "mobj-type:\t%u\n", ex->obj->type);
	seq_printf(m, "mobj-refcount:\t%u\n", READ_ONCE(ex->obj->refcount));
}

static const struct file_operations mobj_export_fops = {
	.owner = THIS_MODULE,
	.release = mobj_export_release,
	.show_fdinfo = mobj_export_show_fdinfo,
	.llseek = no_llseek,
};

/*
 * Reserve the descriptor, take the reference, make the file, answer, and
 * only then install the descriptor: nothing half made is ever visible, and
 * a failure drops what was taken.
 */
int mobj_ioctl_export(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_export *cmd = ucmd->cmd;
	struct mobj_export_ref *ex;
	struct mobj_obj *obj;
	struct file *file;
	int fd, rc;

	ex = kzalloc(sizeof(*ex), GFP_KERNEL_ACCOUNT);
	if (!ex)
		return -ENOMEM;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto err_free;
	}

	mobj_lock(heap);
	obj = mobj_handle_obj(client, cmd->handle);
	rc = PTR_ERR_OR_ZERO(obj);
	if (!rc) {
		mobj_obj_get(heap, obj);
		ex->heap = heap;
		ex->obj = obj;
		list_add_tail(&ex->node, &heap->exports);
	}
	mobj_unlock(heap);
	if (rc)
		goto err_put_fd;

	file = anon_inode_getfile("[mobj]", &mobj_export_fops, ex, O_RDONLY);
	if (IS_ERR(file)) {
		rc = PTR_ERR(file);
		goto err_unexport;
	}
	cmd->fd = fd;
	rc = mobj_ucmd_respond(ucmd);
	if (rc) {
		/* The release drops the reference (before we return). */
		fput(file);
		put_unused_fd(fd);
		return rc;
	}
	fd_install(fd, file);
	return 0;

err_unexport:
	mobj_lock(heap);
	list_del(&ex->node);
	mobj_obj_put(heap, obj);
	mobj_unlock(heap);
err_put_fd:
	put_unused_fd(fd);
err_free:
	kfree(ex);
	return rc;
}

int mobj_ioctl_import(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_import *cmd = ucmd->cmd;
	struct mobj_export_ref *ex;
	struct fd f;
	int rc;

	f = fdget(cmd->fd);
	if (!f.file)
		return -EBADF;
	rc = -EINVAL;
	if (f.file->f_op != &mobj_export_fops)
		goto out_fdput;
	ex = f.file->private_data;
	rc = -EXDEV;
	if (ex->heap != heap)
		goto out_fdput;

	/* The file keeps the object alive while the handle is made. */
	mobj_lock(heap);
	rc = mobj_new_strong_handle(client, ex->obj, &cmd->handle);
	if (rc)
		mobj_unlock(heap);
	else
		rc = mobj_respond_handle(ucmd, cmd->handle, ex->obj);
out_fdput:
	fdput(f);
	return rc;
}
