/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mobj's ioctl layer, private to the module: one call (struct mobj_ucmd),
 * the user-copy helpers, the handle table and every command's handler.
 * The dispatcher and the command table are in mobj_main.c; each handler
 * lives in the file of what it acts on:
 *
 *   mobj_main.c    QUERY, NOP
 *   mobj_handle.c  the handle table; DUP, CLOSE
 *   mobj_obj.c     NEW, GETREFCOUNT, INFO, DATA_READ, DATA_WRITE, SLOT_*
 *   mobj_gc.c      GC_COLLECT, GC_GET, GC_SET, GC_STATS, GC_FREEZE,
 *                  GC_GARBAGE, GC_LEAKS
 *   mobj_ref.c     REFERENTS, REFERRERS, WEAKREF, WEAKREF_GET
 *   mobj_event.c   the death-notice ring, read() and poll(); WATCH
 *   mobj_type.c    TYPE_NAME, TYPE_COUNTS
 *   mobj_batch.c   BATCH
 *   mobj_export.c  EXPORT, IMPORT (objects as file descriptors)
 */
#ifndef _MOBJ_IOCTL_H
#define _MOBJ_IOCTL_H

#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/uaccess.h>

#include <asm/unaligned.h>

#include "mobj.h"

/**
 * struct mobj_ucmd - one ioctl call
 * @client: the caller's open file
 * @ubuffer: the user's struct
 * @user_size: its size as the user gave it
 * @cmd: the kernel's copy, sized for this module's version
 * @size: sizeof the kernel's struct
 * @answer_off: where the fields the command answers in start
 *	(mobj_ucmd_answer())
 * @answer_len: their length; 0: the answer is the whole struct
 */
struct mobj_ucmd {
	struct mobj_client *client;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
	u32 size;
	u16 answer_off;
	u16 answer_len;
};

/*
 * The command answers in the fields @first to @last of its struct @type
 * (the command's min_size covers @last, so the caller's struct holds
 * them): only those are written back, the others would be written as they
 * were read.
 */
#define mobj_ucmd_answer(ucmd, type, first, last)			\
	__mobj_ucmd_answer(ucmd, offsetof(type, first), offsetofend(type, last))

static inline void __mobj_ucmd_answer(struct mobj_ucmd *ucmd, size_t start,
				      size_t end)
{
	ucmd->answer_off = start;
	ucmd->answer_len = end - start;
}

/*
 * User memory is touched only through these, and never with the big lock
 * or gc_mutex held: a copy that faults can wait for as long as user space
 * likes (userfaultfd, FUSE), and every other client would wait with it.
 * The one exception, mobj_ucmd_respond_nofault(), cannot fault.
 */
static inline void mobj_assert_unlocked(struct mobj_heap *heap)
{
	lockdep_assert_not_held(&heap->lock);
	lockdep_assert_not_held(&heap->gc_mutex);
}

static inline int mobj_copy_to_user(struct mobj_heap *heap,
				    void __user *to, const void *from,
				    size_t len)
{
	mobj_assert_unlocked(heap);
	return copy_to_user(to, from, len) ? -EFAULT : 0;
}

void *mobj_memdup_user(struct mobj_heap *heap, u64 uptr, size_t len);
int mobj_probe_user(struct mobj_heap *heap, void __user *uptr,
		    const void *copy, size_t len);

/*
 * Write @len bytes of an answer to @to, a store per word: for the few
 * fields of an answer, several times faster than copy_to_user() where each
 * byte of a string copy is emulated, as in the project's VM.  Faults are
 * handled (-EFAULT); with page faults disabled it cannot sleep.  Inline:
 * the length is most often a constant, and the loops fold away.
 */
static __always_inline int mobj_put_answer(void __user *to, const void *from,
					   size_t len)
{
	const u8 *p = from;

	if (!user_write_access_begin(to, len))
		return -EFAULT;
	/* Words, 8-byte ones where aligned (INFO's answer starts 4 bytes off). */
	if (len >= sizeof(u32) && !IS_ALIGNED((unsigned long)to, sizeof(u64))) {
		unsafe_put_user(get_unaligned((const u32 *)p), (u32 __user *)to,
				efault);
		len -= sizeof(u32);
		p += sizeof(u32);
		to += sizeof(u32);
	}
	for (; len >= sizeof(u64) && IS_ALIGNED((unsigned long)to, sizeof(u64));
	     len -= sizeof(u64)) {
		unsafe_put_user(get_unaligned((const u64 *)p), (u64 __user *)to,
				efault);
		p += sizeof(u64);
		to += sizeof(u64);
	}
	for (; len >= sizeof(u32); len -= sizeof(u32)) {
		unsafe_put_user(get_unaligned((const u32 *)p), (u32 __user *)to,
				efault);
		p += sizeof(u32);
		to += sizeof(u32);
	}
	for (; len; len--) {
		unsafe_put_user(*p, (u8 __user *)to, efault);
		p++;
		to++;
	}
	user_write_access_end();
	return 0;

efault:
	user_write_access_end();
	return -EFAULT;
}

/* The fields named by mobj_ucmd_answer(), a store each. */
static __always_inline int mobj_ucmd_put_answer(struct mobj_ucmd *ucmd)
{
	return mobj_put_answer(ucmd->ubuffer + ucmd->answer_off,
			       ucmd->cmd + ucmd->answer_off, ucmd->answer_len);
}

/* How much of the whole struct an answer without named fields copies. */
static inline u32 mobj_ucmd_len(const struct mobj_ucmd *ucmd)
{
	return min_t(u32, ucmd->user_size, ucmd->size);
}

/*
 * Copy the answer back: the fields named by mobj_ucmd_answer(), or as much
 * of the whole struct as the caller's holds.
 */
static inline int mobj_ucmd_respond(struct mobj_ucmd *ucmd)
{
	mobj_assert_unlocked(ucmd->client->heap);
	if (ucmd->answer_len)
		return mobj_ucmd_put_answer(ucmd);
	return mobj_copy_to_user(ucmd->client->heap, ucmd->ubuffer, ucmd->cmd,
				 mobj_ucmd_len(ucmd));
}

/*
 * mobj_ucmd_respond() with the big lock held: only if the copy cannot
 * fault (see mobj_respond_handle()), -EFAULT otherwise, to be tried again
 * unlocked.
 */
static inline int mobj_ucmd_respond_nofault(struct mobj_ucmd *ucmd)
{
	int rc;

	lockdep_assert_held(&ucmd->client->heap->lock);
	if (!ucmd->answer_len)
		return copy_to_user_nofault(ucmd->ubuffer, ucmd->cmd,
					    mobj_ucmd_len(ucmd));
	pagefault_disable();
	rc = mobj_ucmd_put_answer(ucmd);
	pagefault_enable();
	return rc;
}

int mobj_respond_array(struct mobj_ucmd *ucmd, u32 *count, u32 total,
		       u64 uptr, const void *array, u32 filled, size_t elem);

/*
 * For commands whose effect cannot be undone: write the caller's struct
 * back unchanged before acting, so that a read-only buffer fails with
 * -EFAULT while nothing has happened yet.
 */
static inline int mobj_ucmd_probe(struct mobj_ucmd *ucmd)
{
	return mobj_ucmd_respond(ucmd);
}

/* The handle table (mobj_handle.c) */

void *__mobj_handle_entry(struct mobj_client *client, u32 handle);
struct mobj_obj *__mobj_handle_obj(struct mobj_client *client, u32 handle);
void *mobj_handle_entry(struct mobj_client *client, u32 handle);
struct mobj_obj *mobj_handle_obj(struct mobj_client *client, u32 handle);
int mobj_handle_reserve(struct mobj_client *client, u32 *handle);
void mobj_handle_fill(struct mobj_client *client, u32 handle, void *entry,
		      bool pending);
void mobj_handle_publish(struct mobj_client *client, u32 handle);
void mobj_handle_remove(struct mobj_client *client, u32 handle);
void *mobj_handle_take(struct mobj_client *client, u32 handle);
void mobj_entry_drop(struct mobj_heap *heap, void *entry);
int __mobj_new_strong_handle(struct mobj_client *client, struct mobj_obj *obj,
			     bool pending, u32 *handle);
int mobj_new_strong_handle(struct mobj_client *client, struct mobj_obj *obj,
			   u32 *handle);
int mobj_respond_handle(struct mobj_ucmd *ucmd, u32 handle, void *entry);

/* Lock-free reads that failed this often take the big lock instead. */
#define MOBJ_HANDLE_READ_TRIES 4

/*
 * Read fields of the object behind a strong handle without the big lock:
 * @read(@obj, @arg) runs under rcu_read_lock() and must only load.  An
 * object and its ext are freed after a grace period (call_rcu(),
 * kfree_rcu()), so the loads are safe even when it died meanwhile; they
 * are kept only if no handle of the client was removed during the read:
 * then the handle named @obj throughout and held it alive, and every value
 * read is one the object had while the call ran.  Handles that keep being
 * closed make the reader retry; after MOBJ_HANDLE_READ_TRIES it reads
 * under the lock.
 */
static __always_inline int
mobj_handle_read(struct mobj_client *client, u32 handle,
		 void (*read)(const struct mobj_obj *obj, void *arg),
		 void *arg)
{
	struct mobj_obj *obj;
	unsigned int seq;
	int tries;

	for (tries = 0; tries < MOBJ_HANDLE_READ_TRIES; tries++) {
		seq = read_seqcount_begin(&client->handle_seq);
		rcu_read_lock();
		obj = __mobj_handle_obj(client, handle);
		if (!IS_ERR(obj))
			read(obj, arg);
		rcu_read_unlock();
		if (!read_seqcount_retry(&client->handle_seq, seq))
			return PTR_ERR_OR_ZERO(obj);
	}
	mobj_lock(client->heap);
	obj = mobj_handle_obj(client, handle);
	if (!IS_ERR(obj))
		read(obj, arg);
	mobj_unlock(client->heap);
	return PTR_ERR_OR_ZERO(obj);
}

bool mobj_client_drop_handles(struct mobj_client *client, long *budget);

/* Death notices (mobj_event.c) */

ssize_t mobj_fops_read(struct file *filp, char __user *buf, size_t count,
		       loff_t *ppos);
__poll_t mobj_fops_poll(struct file *filp, poll_table *wait);
bool mobj_client_drop_watches(struct mobj_client *client, long *budget);
void mobj_client_unwatch_gc(struct mobj_client *client);

/* The handlers */

int mobj_ioctl_dup(struct mobj_ucmd *ucmd);
int mobj_ioctl_close(struct mobj_ucmd *ucmd);
int mobj_ioctl_new(struct mobj_ucmd *ucmd);
int mobj_ioctl_getrefcount(struct mobj_ucmd *ucmd);
int mobj_ioctl_info(struct mobj_ucmd *ucmd);
int mobj_ioctl_data_read(struct mobj_ucmd *ucmd);
int mobj_ioctl_data_write(struct mobj_ucmd *ucmd);
int mobj_ioctl_slot_append(struct mobj_ucmd *ucmd);
int mobj_ioctl_slot_set(struct mobj_ucmd *ucmd);
int mobj_ioctl_slot_get(struct mobj_ucmd *ucmd);
int mobj_ioctl_slot_pop(struct mobj_ucmd *ucmd);
int mobj_ioctl_gc_collect(struct mobj_ucmd *ucmd);
int mobj_ioctl_gc_get(struct mobj_ucmd *ucmd);
int mobj_ioctl_gc_set(struct mobj_ucmd *ucmd);
int mobj_ioctl_gc_stats(struct mobj_ucmd *ucmd);
int mobj_ioctl_gc_freeze(struct mobj_ucmd *ucmd);
int mobj_ioctl_gc_garbage(struct mobj_ucmd *ucmd);
int mobj_ioctl_referents(struct mobj_ucmd *ucmd);
int mobj_ioctl_referrers(struct mobj_ucmd *ucmd);
int mobj_ioctl_gc_leaks(struct mobj_ucmd *ucmd);
int mobj_ioctl_weakref(struct mobj_ucmd *ucmd);
int mobj_ioctl_weakref_get(struct mobj_ucmd *ucmd);
int mobj_ioctl_watch(struct mobj_ucmd *ucmd);
int mobj_ioctl_type_name(struct mobj_ucmd *ucmd);
int mobj_ioctl_type_counts(struct mobj_ucmd *ucmd);
int mobj_ioctl_batch(struct mobj_ucmd *ucmd);
int mobj_ioctl_export(struct mobj_ucmd *ucmd);
int mobj_ioctl_import(struct mobj_ucmd *ucmd);

#endif /* _MOBJ_IOCTL_H */
