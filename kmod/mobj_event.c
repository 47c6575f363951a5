// SPDX-License-Identifier: GPL-2.0
/*
 * mobj death notices: the per-client ring of struct mobj_event records,
 * read() and poll() on the open file, and MOBJ_WATCH, which asks for one.
 * MOBJ_WATCH_GC asks for the collector's start and stop records instead
 * (gc.callbacks), on the same ring.  The ring is allocated by the first
 * WATCH, before the big lock is taken.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "mobj_ioctl.h"

void mobj_client_post(struct mobj_client *client, const struct mobj_event *ev)
{
	unsigned int tail;

	lockdep_assert_held(&client->heap->lock);

	if (client->events_count == client->events_max) {
		client->events_lost++;
		client->heap->events_dropped++;
	} else {
		tail = (client->events_head + client->events_count) %
		       client->events_max;
		client->events[tail] = *ev;
		WRITE_ONCE(client->events_count, client->events_count + 1);
	}
	wake_up_interruptible_poll(&client->wait, EPOLLIN | EPOLLRDNORM);
}

/*
 * gc.callbacks: tell every client watching the collector that a collection
 * of @generation started (MOBJ_EVENT_GC_START) or ended (_GC_STOP, with
 * what it found).  One record each, dropped and counted as lost when its
 * queue is full, like any other: a copy and a wake-up per watcher, never
 * an allocation (each has its ring since it asked).
 */
void mobj_gc_notify(struct mobj_heap *heap, u32 reason, u32 generation,
		    u64 collected, u64 uncollectable)
{
	struct mobj_event ev = {
		.id = collected,
		.reason = reason,
		.generation = generation,
		.lost = uncollectable,
	};
	struct mobj_client *client;

	lockdep_assert_held(&heap->lock);

	list_for_each_entry(client, &heap->gc_watchers, gc_node) {
		ev.cookie = client->gc_cookie;
		mobj_client_post(client, &ev);
	}
}

static bool mobj_client_readable(struct mobj_client *client)
{
	return READ_ONCE(client->events_count) || READ_ONCE(client->events_lost);
}

/* Move up to @max records into @out; a LOST record follows the queue. */
static unsigned int mobj_client_take_events(struct mobj_client *client,
					    struct mobj_event *out,
					    unsigned int max)
{
	unsigned int n = 0;

	lockdep_assert_held(&client->heap->lock);

	while (n < max && client->events_count) {
		out[n++] = client->events[client->events_head];
		client->events_head = (client->events_head + 1) %
				      client->events_max;
		WRITE_ONCE(client->events_count, client->events_count - 1);
	}
	if (n < max && !client->events_count && client->events_lost) {
		out[n++] = (struct mobj_event) {
			.reason = MOBJ_EVENT_LOST,
			.lost = client->events_lost,
		};
		WRITE_ONCE(client->events_lost, 0);
	}
	return n;
}

#define MOBJ_READ_BATCH 32

ssize_t mobj_fops_read(struct file *filp, char __user *buf,
		       size_t count, loff_t *ppos)
{
	struct mobj_client *client = filp->private_data;
	struct mobj_heap *heap = client->heap;
	struct mobj_event *events;
	unsigned int n;
	int rc;

	if (count < sizeof(*events))
		return -EINVAL;
	count = min_t(size_t, count / sizeof(*events), MOBJ_READ_BATCH);

	events = kmalloc_array(count, sizeof(*events), GFP_KERNEL);
	if (!events)
		return -ENOMEM;
	for (;;) {
		mobj_lock(heap);
		n = mobj_client_take_events(client, events, count);
		mobj_unlock(heap);
		if (n)
			break;
		rc = -EAGAIN;
		if (filp->f_flags & O_NONBLOCK)
			goto out_free;
		rc = wait_event_interruptible(client->wait,
					      mobj_client_readable(client));
		if (rc)
			goto out_free;
	}
	/*
	 * The records have left the queue: a fault here loses them, as a
	 * read(2) into a bad buffer loses data on a pipe.
	 */
	rc = mobj_copy_to_user(heap, buf, events, n * sizeof(*events));
out_free:
	kfree(events);
	return rc ? rc : n * sizeof(*events);
}

__poll_t mobj_fops_poll(struct file *filp, poll_table *wait)
{
	struct mobj_client *client = filp->private_data;

	poll_wait(filp, &client->wait, wait);
	return mobj_client_readable(client) ? EPOLLIN | EPOLLRDNORM : 0;
}

/*
 * MOBJ_WATCH_CANCEL: forget one of @client's watches on the object, the
 * first made with that cookie.  The client's own list is walked: it holds
 * at most client_watches_max entries, an object's observers any number.
 */
static int mobj_watch_cancel(struct mobj_client *client,
			     const struct mobj_watch *cmd)
{
	struct mobj_heap *heap = client->heap;
	struct mobj_watcher *watch, *found = NULL;
	struct mobj_obj *obj;
	int rc;

	mobj_lock(heap);
	obj = mobj_handle_obj(client, cmd->handle);
	rc = PTR_ERR_OR_ZERO(obj);
	if (!rc) {
		rc = -ENOENT;
		list_for_each_entry(watch, &client->watches, client_node) {
			if (watch->observer.obj != obj ||
			    watch->cookie != cmd->cookie)
				continue;
			list_del(&watch->observer.node);
			list_del(&watch->client_node);
			client->nwatches--;
			WRITE_ONCE(obj->ext->nwatchers,
				   obj->ext->nwatchers - 1);
			found = watch;
			rc = 0;
			break;
		}
	}
	mobj_unlock(heap);
	kfree(found);
	return rc;
}

/*
 * The first watch allocates the ring, before the lock is taken: *@ring is
 * left NULL when @client has one already.
 */
static int mobj_client_ring_alloc(struct mobj_client *client,
				  struct mobj_event **ring,
				  unsigned int *ring_max)
{
	*ring = NULL;
	*ring_max = 0;
	if (READ_ONCE(client->events))
		return 0;
	*ring_max = mobj_events_max();
	*ring = kvmalloc_array(*ring_max, sizeof(**ring), GFP_KERNEL_ACCOUNT);
	return *ring ? 0 : -ENOMEM;
}

/*
 * Under the lock: @client takes the ring allocated, unless another WATCH
 * won (set once, kept until release); *@ring is NULL when it was taken.
 */
static void mobj_client_ring_install(struct mobj_client *client,
				     struct mobj_event **ring,
				     unsigned int ring_max)
{
	lockdep_assert_held(&client->heap->lock);

	if (client->events)
		return;
	client->events_max = ring_max;
	WRITE_ONCE(client->events, *ring);
	*ring = NULL;
}

/* The client stops watching the collector (it was watching). */
void mobj_client_unwatch_gc(struct mobj_client *client)
{
	lockdep_assert_held(&client->heap->lock);

	list_del_init(&client->gc_node);
	client->heap->ngc_watchers--;
}

/*
 * MOBJ_WATCH_GC: start or (with MOBJ_WATCH_CANCEL) stop watching every
 * collection of the device.  Asking again only changes the cookie; at most
 * gc_watchers_max open files of a device watch it (-ENOSPC), so telling
 * them all at a collection's start and stop is a bounded step.
 */
static int mobj_watch_gc(struct mobj_client *client,
			 const struct mobj_watch *cmd)
{
	struct mobj_heap *heap = client->heap;
	struct mobj_event *ring = NULL;
	unsigned int ring_max = 0;
	int rc = 0;

	if (cmd->handle)
		return -EINVAL;
	if (!(cmd->flags & MOBJ_WATCH_CANCEL)) {
		rc = mobj_client_ring_alloc(client, &ring, &ring_max);
		if (rc)
			return rc;
	}

	mobj_lock(heap);
	if (cmd->flags & MOBJ_WATCH_CANCEL) {
		if (list_empty(&client->gc_node))
			rc = -ENOENT;
		else
			mobj_client_unwatch_gc(client);
	} else if (list_empty(&client->gc_node) &&
		   heap->ngc_watchers >= mobj_gc_watchers_max()) {
		rc = -ENOSPC;
	} else {
		mobj_client_ring_install(client, &ring, ring_max);
		client->gc_cookie = cmd->cookie;
		if (list_empty(&client->gc_node)) {
			list_add_tail(&client->gc_node, &heap->gc_watchers);
			heap->ngc_watchers++;
		}
	}
	mobj_unlock(heap);
	kvfree(ring);
	return rc;
}

int mobj_ioctl_watch(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_heap *heap = client->heap;
	struct mobj_watch *cmd = ucmd->cmd;
	struct mobj_event *ring = NULL;
	struct mobj_watcher *watcher;
	unsigned int ring_max = 0;
	struct mobj_obj *obj;
	int rc = -ENOMEM;

	if (cmd->flags & MOBJ_WATCH_GC)
		return mobj_watch_gc(client, cmd);
	if (cmd->flags & MOBJ_WATCH_CANCEL)
		return mobj_watch_cancel(client, cmd);

	watcher = kzalloc(sizeof(*watcher), GFP_KERNEL_ACCOUNT);
	if (!watcher)
		goto out_free;
	rc = mobj_client_ring_alloc(client, &ring, &ring_max);
	if (rc)
		goto out_free;

	mobj_lock(heap);
	obj = mobj_handle_obj(client, cmd->handle);
	rc = PTR_ERR_OR_ZERO(obj);
	/* Bounded: an object's death tells all its watchers at once. */
	if (!rc && client->nwatches >= mobj_client_watches_max())
		rc = -ENOSPC;
	if (!rc && !mobj_obj_ext(obj))
		rc = -ENOMEM;
	if (!rc) {
		mobj_client_ring_install(client, &ring, ring_max);
		watcher->observer.kind = MOBJ_OBSERVER_WATCH;
		watcher->observer.obj = obj;
		watcher->client = client;
		watcher->cookie = cmd->cookie;
		list_add_tail(&watcher->observer.node, &obj->ext->observers);
		list_add_tail(&watcher->client_node, &client->watches);
		client->nwatches++;
		WRITE_ONCE(obj->ext->nwatchers, obj->ext->nwatchers + 1);
		watcher = NULL;
	}
	mobj_unlock(heap);
out_free:
	kvfree(ring);
	kfree(watcher);
	return rc;
}

/*
 * At release: forget the death notices @client asked for, one unit of
 * *@budget each, while some is left.  Returns true when none is left.
 */
bool mobj_client_drop_watches(struct mobj_client *client, long *budget)
{
	struct mobj_watcher *watch, *next;
	struct mobj_obj_ext *ext;

	lockdep_assert_held(&client->heap->lock);

	list_for_each_entry_safe(watch, next, &client->watches, client_node) {
		if (*budget <= 0)
			return false;
		--*budget;
		ext = watch->observer.obj->ext;
		WRITE_ONCE(ext->nwatchers, ext->nwatchers - 1);
		list_del(&watch->observer.node);
		list_del(&watch->client_node);
		client->nwatches--;
		kfree(watch);
	}
	return true;
}
