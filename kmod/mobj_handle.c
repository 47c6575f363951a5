// SPDX-License-Identifier: GPL-2.0
/*
 * mobj handles: each open file's table of small integers, each holding one
 * strong reference to an object (or a weak one), and the commands that
 * make and drop them without making objects: DUP and CLOSE.
 */
#include <linux/bitmap.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include <kunit/visibility.h>

#include "mobj_ioctl.h"

/*
 * The table is two levels, as an fd table with pages: a directory of
 * 4 KiB pages of entries, and bitmaps of the numbers in use and of the
 * words of that bitmap that are full, so that the lowest free number is
 * found in a few loads.  Every change is made under the big lock; lookups
 * also run under rcu_read_lock() alone (mobj_handle_read()): an entry is
 * stored with its pending tag in one word, a page is zeroed before it is
 * published, and a directory that a larger one replaced is freed after a
 * grace period.  Pages are kept until the file is released.
 */

#define MOBJ_HANDLE_NUMBERS_MAX ((unsigned long)INT_MAX + 1)

static struct mobj_handle_dir *mobj_handle_dir(struct mobj_client *client)
{
	return rcu_dereference_check(client->handles.dir,
				     lockdep_is_held(&client->heap->lock));
}

/*
 * Where the entry of @handle is, NULL when its page does not exist; under
 * rcu_read_lock() or the big lock.
 */
static void __rcu **mobj_handle_slot(struct mobj_client *client, u32 handle)
{
	struct mobj_handle_dir *dir = mobj_handle_dir(client);
	unsigned long index = handle >> MOBJ_HANDLE_PAGE_SHIFT;
	struct mobj_handle_page *page;

	if (!dir || index >= dir->npages)
		return NULL;
	page = rcu_dereference_check(dir->page[index],
				     lockdep_is_held(&client->heap->lock));
	if (!page)
		return NULL;
	return &page->entry[handle & (MOBJ_HANDLES_PER_PAGE - 1)];
}

static void *mobj_handle_slot_load(struct mobj_client *client,
				   void __rcu **slot)
{
	return rcu_dereference_check(*slot,
				     lockdep_is_held(&client->heap->lock));
}

/*
 * What the published handle @handle holds, and where (*@slot): NULL when
 * unknown, reserved or not yet published.  Under rcu_read_lock() or the
 * big lock.
 */
static void *mobj_handle_lookup(struct mobj_client *client, u32 handle,
				void __rcu ***slot)
{
	void *entry;

	*slot = mobj_handle_slot(client, handle);
	if (!*slot)
		return NULL;
	entry = mobj_handle_slot_load(client, *slot);
	if (mobj_entry_is_pending(entry))
		return NULL;
	return entry;
}

void *__mobj_handle_entry(struct mobj_client *client, u32 handle)
{
	void __rcu **slot;

	return mobj_handle_lookup(client, handle, &slot);
}

struct mobj_obj *__mobj_handle_obj(struct mobj_client *client,
				   u32 handle)
{
	void *entry = __mobj_handle_entry(client, handle);

	if (!entry)
		return ERR_PTR(-ENOENT);
	if (mobj_entry_is_weak(entry))
		return ERR_PTR(-EINVAL);
	return entry;
}

void *mobj_handle_entry(struct mobj_client *client, u32 handle)
{
	lockdep_assert_held(&client->heap->lock);

	return __mobj_handle_entry(client, handle);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_handle_entry);

/* The object behind a strong handle. */
struct mobj_obj *mobj_handle_obj(struct mobj_client *client, u32 handle)
{
	lockdep_assert_held(&client->heap->lock);

	return __mobj_handle_obj(client, handle);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_handle_obj);

/*
 * The lowest number in use at or above *@handle, and its entry as stored
 * (reserved, or tagged pending): NULL when there is none.  Under the big
 * lock.
 */
void *mobj_handle_next(struct mobj_client *client, u32 *handle)
{
	struct mobj_handle_table *t = &client->handles;
	unsigned long h = max(*handle, 1U);

	lockdep_assert_held(&client->heap->lock);

	h = find_next_bit(t->used, t->nbits, h);
	if (h >= t->nbits)
		return NULL;
	*handle = h;
	return mobj_handle_slot_load(client, mobj_handle_slot(client, h));
}
EXPORT_SYMBOL_IF_KUNIT(mobj_handle_next);

/* The lowest free number at or above @from. */
static unsigned long mobj_handle_next_free(struct mobj_handle_table *t,
					   unsigned long from)
{
	unsigned long nwords = BITS_TO_LONGS(t->nbits);
	unsigned long word = BIT_WORD(from), bits;

	if (from >= t->nbits)
		return t->nbits;
	bits = ~t->used[word] & BITMAP_FIRST_WORD_MASK(from);
	if (bits)
		return word * BITS_PER_LONG + __ffs(bits);
	word = find_next_zero_bit(t->full, nwords, word + 1);
	if (word >= nwords)
		return t->nbits;
	return word * BITS_PER_LONG + ffz(t->used[word]);
}

/*
 * Make room for number @h: a directory twice as large (or more) and
 * bitmaps to match.  The pages move over as they are; the old directory
 * is freed after a grace period, the old bitmaps at once (only writers
 * read them).
 */
static int mobj_handles_grow(struct mobj_client *client, unsigned long h)
{
	struct mobj_handle_table *t = &client->handles;
	struct mobj_handle_dir *old = mobj_handle_dir(client), *dir;
	unsigned long npages, words, old_words = BIT_WORD(t->nbits);
	unsigned long *used;

	npages = roundup_pow_of_two((h >> MOBJ_HANDLE_PAGE_SHIFT) + 1);
	words = npages * (MOBJ_HANDLES_PER_PAGE / BITS_PER_LONG);
	dir = kvzalloc(struct_size(dir, page, npages), GFP_KERNEL_ACCOUNT);
	used = kvcalloc(words + BITS_TO_LONGS(words), sizeof(*used),
			GFP_KERNEL_ACCOUNT);
	if (!dir || !used) {
		kvfree(dir);
		kvfree(used);
		return -ENOMEM;
	}
	dir->npages = npages;
	if (old) {
		memcpy(dir->page, old->page, old->npages * sizeof(*old->page));
		bitmap_copy(used, t->used, t->nbits);
		bitmap_copy(used + words, t->full, old_words);
	} else {
		__set_bit(0, used);
	}
	rcu_assign_pointer(t->dir, dir);
	if (old)
		kvfree_rcu(old, rcu);
	kvfree(t->used);
	t->used = used;
	t->full = used + words;
	t->nbits = npages * MOBJ_HANDLES_PER_PAGE;
	if (!old)
		t->next = 1;
	return 0;
}

/* At release, with no reader left: free the pages and the directory. */
void mobj_handles_destroy(struct mobj_client *client)
{
	struct mobj_handle_dir *dir;
	unsigned long i;

	dir = rcu_dereference_protected(client->handles.dir, true);
	if (!dir)
		return;
	for (i = 0; i < dir->npages; i++)
		kfree(rcu_dereference_protected(dir->page[i], true));
	kvfree(dir);
	kvfree(client->handles.used);
	memset(&client->handles, 0, sizeof(client->handles));
}
EXPORT_SYMBOL_IF_KUNIT(mobj_handles_destroy);

/* Whether the client holds as many handles as client_handles_max. */
static bool mobj_handles_full(const struct mobj_client *client)
{
	return client->nhandles >= mobj_client_handles_max();
}

/*
 * A number for @entry, stored as it is: the lowest free one, as for file
 * descriptors.  A NULL @entry reserves the number (no lookup finds it).
 * The caller has checked mobj_handles_full().  A failure changes nothing
 * that can be seen (the table may have grown).
 */
static int mobj_handle_alloc(struct mobj_client *client, void *entry,
			     u32 *handle)
{
	struct mobj_handle_table *t = &client->handles;
	unsigned long h = t->next, index;
	struct mobj_handle_page *page;
	struct mobj_handle_dir *dir;
	int rc;

	lockdep_assert_held(&client->heap->lock);

	if (h >= t->nbits) {
		if (h >= MOBJ_HANDLE_NUMBERS_MAX)
			return -EMFILE;
		rc = mobj_handles_grow(client, h);
		if (rc)
			return rc;
		h = t->next;
	}
	dir = mobj_handle_dir(client);
	index = h >> MOBJ_HANDLE_PAGE_SHIFT;
	page = rcu_dereference_protected(dir->page[index],
					 lockdep_is_held(&client->heap->lock));
	if (!page) {
		page = kzalloc(sizeof(*page), GFP_KERNEL_ACCOUNT);
		if (!page)
			return -ENOMEM;
		rcu_assign_pointer(dir->page[index], page);
	}
	rcu_assign_pointer(page->entry[h & (MOBJ_HANDLES_PER_PAGE - 1)],
			   entry ?: MOBJ_HANDLE_RESERVED);
	__set_bit(h, t->used);
	if (t->used[BIT_WORD(h)] == ~0UL)
		__set_bit(BIT_WORD(h), t->full);
	t->next = mobj_handle_next_free(t, h + 1);
	*handle = h;
	client->nhandles++;
	client->heap->live_handles++;
	mobj_handle_trace(client, h);
	return 0;
}

/* Reserve a handle number: an entry that no lookup finds. */
int mobj_handle_reserve(struct mobj_client *client, u32 *handle)
{
	if (mobj_handles_full(client))
		return -EMFILE;
	return mobj_handle_alloc(client, NULL, handle);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_handle_reserve);

/*
 * Store @entry, which holds its reference already, in a reserved handle:
 * usable at once, or (@pending) after mobj_handle_publish().
 */
void mobj_handle_fill(struct mobj_client *client, u32 handle,
		      void *entry, bool pending)
{
	lockdep_assert_held(&client->heap->lock);

	if (pending)
		entry = (void *)((unsigned long)entry | MOBJ_HANDLE_PENDING);
	rcu_assign_pointer(*mobj_handle_slot(client, handle), entry);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_handle_fill);

void mobj_handle_publish(struct mobj_client *client, u32 handle)
{
	void __rcu **slot = mobj_handle_slot(client, handle);
	void *entry;

	lockdep_assert_held(&client->heap->lock);

	entry = mobj_handle_slot_load(client, slot);
	rcu_assign_pointer(*slot, mobj_entry_untag_pending(entry));
}
EXPORT_SYMBOL_IF_KUNIT(mobj_handle_publish);

/*
 * Remove a handle from the table, reserved, pending or published; what it
 * held is the caller's to drop.  Its number may name another object next:
 * lock-free readers learn of the removal from @handle_seq.
 */
static void mobj_handle_clear(struct mobj_client *client, u32 handle,
			      void __rcu **slot)
{
	struct mobj_handle_table *t = &client->handles;

	write_seqcount_begin(&client->handle_seq);
	RCU_INIT_POINTER(*slot, NULL);
	write_seqcount_end(&client->handle_seq);
	__clear_bit(handle, t->used);
	__clear_bit(BIT_WORD(handle), t->full);
	if (handle < t->next)
		t->next = handle;
	mobj_handle_trace_forget(client, handle);
	client->nhandles--;
	client->heap->live_handles--;
}

void mobj_handle_remove(struct mobj_client *client, u32 handle)
{
	lockdep_assert_held(&client->heap->lock);

	mobj_handle_clear(client, handle, mobj_handle_slot(client, handle));
}
EXPORT_SYMBOL_IF_KUNIT(mobj_handle_remove);

/*
 * Remove a published handle and return what it held, the caller's to
 * drop; NULL when @handle names none.
 */
void *mobj_handle_take(struct mobj_client *client, u32 handle)
{
	void __rcu **slot;
	void *entry;

	lockdep_assert_held(&client->heap->lock);

	entry = mobj_handle_lookup(client, handle, &slot);
	if (entry)
		mobj_handle_clear(client, handle, slot);
	return entry;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_handle_take);

/* Drop what a handle held: a strong reference, or a weak one. */
void mobj_entry_drop(struct mobj_heap *heap, void *entry)
{
	struct mobj_observer *ob;

	lockdep_assert_held(&heap->lock);

	if (!mobj_entry_is_weak(entry)) {
		mobj_obj_put(heap, entry);
		return;
	}
	ob = mobj_entry_observer(entry);
	if (ob->obj)
		list_del(&ob->node);
	kfree(ob);
}

/*
 * For a command's answer: the handle is reserved and holds its reference,
 * and mobj_respond_handle() fills it once the answer is out.
 */
int mobj_new_strong_handle(struct mobj_client *client,
			   struct mobj_obj *obj, u32 *handle)
{
	int rc;

	lockdep_assert_held(&client->heap->lock);

	rc = mobj_handle_reserve(client, handle);
	if (!rc)
		mobj_obj_get(client->heap, obj);
	return rc;
}

/*
 * A new strong handle to @obj, filled at once (published, or @pending),
 * for MOBJ_BATCH and GC_GARBAGE.
 */
int __mobj_new_strong_handle(struct mobj_client *client,
			     struct mobj_obj *obj, bool pending,
			     u32 *handle)
{
	struct mobj_heap *heap = client->heap;
	int rc;

	if (pending) {
		rc = mobj_new_strong_handle(client, obj, handle);
		if (!rc)
			mobj_handle_fill(client, *handle, obj, true);
		return rc;
	}
	/*
	 * Usable at once, so stored in one step with its reference already
	 * taken (a lock-free reader that finds the handle finds it counted).
	 * The limit is checked first: only a failed allocation puts back a
	 * reference that was never used.
	 */
	if (mobj_handles_full(client))
		return -EMFILE;
	mobj_obj_get(heap, obj);
	rc = mobj_handle_alloc(client, obj, handle);
	if (rc)
		mobj_obj_put(heap, obj);
	return rc;
}

/*
 * Fill a handle once its number reached the caller, with the big lock held
 * (it is let go): @handle was reserved and @entry holds a reference for it.
 * When the answer cannot be written, the handle and its reference go and
 * nothing changed.  The answer is written under the lock only if that
 * cannot fault (the caller's struct is in a present, writable page, as it
 * nearly always is: it was just read), and the handle is usable at once.
 * Otherwise it is filled but pending (no lookup finds it), the lock is let
 * go for the copy and taken again to publish or undo.
 */
int mobj_respond_handle(struct mobj_ucmd *ucmd, u32 handle, void *entry)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	int rc;

	if (!mobj_ucmd_respond_nofault(ucmd)) {
		mobj_handle_fill(client, handle, entry, false);
		mobj_unlock(heap);
		return 0;
	}
	mobj_handle_fill(client, handle, entry, true);
	mobj_unlock(heap);
	rc = mobj_ucmd_respond(ucmd);
	mobj_lock(heap);
	if (rc) {
		mobj_handle_remove(client, handle);
		mobj_entry_drop(heap, entry);
	} else {
		mobj_handle_publish(client, handle);
	}
	mobj_unlock(heap);
	return rc;
}

int mobj_ioctl_dup(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_dup *cmd = ucmd->cmd;
	struct mobj_obj *obj;
	int rc;

	mobj_lock(heap);
	obj = mobj_handle_obj(client, cmd->handle);
	rc = PTR_ERR_OR_ZERO(obj);
	if (!rc)
		rc = mobj_new_strong_handle(client, obj, &cmd->new_handle);
	if (rc) {
		mobj_unlock(heap);
		return rc;
	}
	mobj_ucmd_answer(ucmd, struct mobj_dup, new_handle, new_handle);
	return mobj_respond_handle(ucmd, cmd->new_handle, obj);
}

int mobj_ioctl_close(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_close *cmd = ucmd->cmd;
	void *entry;
	int rc = 0;

	mobj_lock(heap);
	entry = mobj_handle_take(client, cmd->handle);
	if (!entry)
		rc = -ENOENT;
	else if (mobj_entry_is_weak(entry))
		mobj_entry_drop(heap, entry);
	else
		mobj_obj_put_close(heap, entry);
	mobj_unlock(heap);
	return rc;
}

/*
 * What dropping a handle whose object dies with it costs against the step
 * budget, besides the handle itself: the object leaves the id map and its
 * lists, and its notices are queued, at once (its slots are the drain's).
 */
#define MOBJ_DEATH_COST 4

/*
 * At release: drop handles of @client in handle order, charging *@budget
 * for each (one unit, and MOBJ_DEATH_COST more for a death), while some is
 * left.  Returns true when none is left.
 */
bool mobj_client_drop_handles(struct mobj_client *client, long *budget)
{
	struct mobj_heap *heap = client->heap;
	u32 handle = 1;
	void *entry;

	lockdep_assert_held(&heap->lock);

	while (*budget > 0) {
		entry = mobj_handle_next(client, &handle);
		if (!entry)
			break;
		entry = mobj_entry_untag_pending(entry);
		*budget -= 1;
		mobj_handle_remove(client, handle);
		/* No ioctl is in flight: every handle is filled. */
		if (WARN_ON_ONCE(!entry))
			continue;
		if (!mobj_entry_is_weak(entry) &&
		    ((struct mobj_obj *)entry)->refcount == 1)
			*budget -= MOBJ_DEATH_COST;
		mobj_entry_drop(heap, entry);
	}
	return !client->nhandles;
}
