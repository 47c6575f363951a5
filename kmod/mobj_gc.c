// SPDX-License-Identifier: GPL-2.0
/*
 * The mobj cycle collector: CPython's generational gc, per device.
 *
 * Reference counting frees an object as soon as nothing refers to it, but a
 * cycle (a.append(b); b.append(a)) keeps itself alive.  The collector finds
 * such garbage among the tracked objects (those that have had a slot):
 *
 *  1. the lists of the generations collected are spliced into one set;
 *  2. one pass over the set counts: each object's refcount is copied into
 *     gc_refs when the pass first meets it, as itself or as the target of
 *     a slot, and every reference that comes from a slot of an object in
 *     the set is subtracted: what is left counts references from outside
 *     (handles, older generations, handles being created);
 *  3. objects tracked while it ran, which are not in the set, join
 *     generation 0;
 *  4. one scan, CPython's move_unreachable(): objects left above zero are
 *     reachable, and so is everything they reach through slots; the rest
 *     moves to the unreachable list, and back if a reachable object met
 *     later refers to it;
 *  5. the survivors are spliced onto the next generation, the garbage drops
 *     its slots, then it is freed.
 *
 * Objects are marked in place and lists are spliced whole: only garbage
 * moves, and the few objects found reachable after the scan passed them.
 * No recursion and nothing allocated: the lists and the scratch count live
 * in the objects (freeing what died meanwhile may take a page for a batch
 * of frees, without sleeping, or do without).  Automatic collections run
 * from a work item, never in the ioctl that crossed the threshold.
 *
 * Bounded pauses: a collection is a sequence of steps of at most
 * gc_step_budget units of work (objects and slots visited), and the big lock
 * is dropped between steps, so clients wait for it a bounded time whatever
 * the heap size.  Clients may then change the set while it is examined.
 * Every refcount change of an object in the set "touches" it (see
 * mobj_refcount_inc()), and a touched object is live for this collection;
 * one found unreachable so far goes back to the set's list, where the scan
 * meets it again, and what it refers to with it.  An object whose refcount
 * and slots did not change keeps a valid gc_refs; one whose slots changed
 * touched their targets.  The count copies a refcount lazily, so an object
 * counts as changed only from the moment its copy is taken: the first
 * subtraction from it takes the copy first.  So what is still unreachable
 * at the end of the scan is garbage, exactly as a stop-the-world
 * collection at that moment would find, minus objects touched during the
 * collection, which the next one collects.  From then on nothing can reach
 * the garbage (MOBJ_WEAKREF_GET says -ESTALE), and it is freed over further
 * steps.
 */
#include <linux/capability.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/wait_bit.h>

#include <kunit/visibility.h>

#include "mobj_ioctl.h"
#include "mobj_trace.h"

/* Work between two cond_resched() of a collection that keeps the lock. */
#define MOBJ_GC_RESCHED_BUDGET 1024
/* Generation 0 this many times over its threshold: allocations wait. */
#define MOBJ_GC_THROTTLE 8

static struct workqueue_struct *mobj_gc_wq;

static void mobj_gc_work(struct work_struct *work)
{
	struct mobj_heap *heap = container_of(work, struct mobj_heap, gc_work);

	/*
	 * What a killed client left to release (mobj_heap_drain()), without
	 * gc_mutex: collections and the checker need not wait for it.
	 */
	mobj_lock(heap);
	heap->drain_owed = !list_empty(&heap->dying);
	mobj_unlock(heap);

	mutex_lock(&heap->gc_mutex);
	mobj_lock_timed(heap);
	if (heap->gc_enabled && heap->gen[0].threshold &&
	    heap->gen[0].count > heap->gen[0].threshold)
		mobj_gc_collect_generations(heap, true);
	mobj_unlock(heap);
	mutex_unlock(&heap->gc_mutex);
}

/*
 * Backpressure, as wait_for_unix_gc() does it: a client that allocates so
 * much faster than collections run that generation 0 holds many times its
 * threshold waits for the collection queued for it, so that the young
 * generation, and the next collection's pause, cannot grow without bound.
 * Called without the big lock, before an allocation.
 */
void mobj_gc_throttle(struct mobj_heap *heap)
{
	unsigned int threshold = READ_ONCE(heap->gen[0].threshold);

	if (READ_ONCE(heap->gc_enabled) && threshold &&
	    READ_ONCE(heap->gen[0].count) >
	    (unsigned long)threshold * MOBJ_GC_THROTTLE)
		flush_work(&heap->gc_work);
}

/* Dead objects are left to release: the work item does it. */
void mobj_gc_queue_drain(struct mobj_heap *heap)
{
	queue_work(mobj_gc_wq, &heap->gc_work);
}

void mobj_gc_init(struct mobj_heap *heap)
{
	static const unsigned int thresholds[] = { 2000, 10, 10 };
	unsigned int i;

	for (i = 0; i < MOBJ_GC_GENERATIONS; i++)
		heap->gen[i].threshold = thresholds[i];
	heap->gc_enabled = true;
	INIT_WORK(&heap->gc_work, mobj_gc_work);
	mutex_init(&heap->gc_mutex);
	INIT_LIST_HEAD(&heap->cycle.young);
	INIT_LIST_HEAD(&heap->cycle.arrived);
	INIT_LIST_HEAD(&heap->cycle.unreachable);
	INIT_LIST_HEAD(&heap->cycle.cursor);
	INIT_LIST_HEAD(&heap->cycle.others);
}

int mobj_gc_wq_init(void)
{
	mobj_gc_wq = alloc_workqueue("mobj_gc", WQ_UNBOUND, 0);
	return mobj_gc_wq ? 0 : -ENOMEM;
}

void mobj_gc_wq_destroy(void)
{
	destroy_workqueue(mobj_gc_wq);
}

/* Called on every allocation: queue a collection once gen 0 is full. */
void mobj_gc_maybe_queue(struct mobj_heap *heap)
{
	lockdep_assert_held(&heap->lock);

	if (heap->gc_enabled && heap->gen[0].threshold &&
	    heap->gen[0].count > heap->gen[0].threshold)
		queue_work(mobj_gc_wq, &heap->gc_work);
}

/* A client changed @obj's refcount while a collection examines it. */
void mobj_gc_touch(struct mobj_heap *heap, struct mobj_obj *obj)
{
	struct mobj_gc_cycle *c = &heap->cycle;

	lockdep_assert_held(&heap->lock);

	if (c->phase > MOBJ_GC_PHASE_SCAN)
		return;
	switch (obj->gc_state) {
	case MOBJ_GC_IN_SET:
		obj->gc_state = MOBJ_GC_TOUCHED;
		break;
	case MOBJ_GC_UNREACHABLE:
		obj->gc_state = MOBJ_GC_REACHABLE;
		list_move_tail(&obj->gc_node, &c->young);
		c->res.collected--;
		break;
	}
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_touch);

/*
 * @obj gets its first slot and joins generation 0.  While the set is being
 * counted, whether an object not met yet belongs to it is told by its
 * generation (mobj_gc_subtract()), so one tracked meanwhile waits aside,
 * marked, until the count is over (mobj_gc_admit()).
 */
void mobj_gc_track(struct mobj_heap *heap, struct mobj_obj *obj)
{
	struct mobj_gc_cycle *c = &heap->cycle;

	lockdep_assert_held(&heap->lock);

	mobj_list_move(heap, obj, MOBJ_GEN0);
	if (c->phase == MOBJ_GC_PHASE_SUBTRACT) {
		obj->gc_state = MOBJ_GC_OUTSIDE;
		list_move_tail(&obj->gc_node, &c->arrived);
	}
}

/*
 * A pass walks its list from the cursor with a plain pointer, and parks the
 * cursor only where a step ends (before @pos, where the next step resumes):
 * visiting an object writes nothing but the object.
 */
static bool mobj_gc_pause(struct mobj_gc_cycle *c, struct list_head *pos)
{
	list_move_tail(&c->cursor, pos);
	return false;
}

static void mobj_gc_next_phase(struct mobj_gc_cycle *c, struct list_head *head)
{
	c->phase++;
	list_move(&c->cursor, head);
}

/*
 * Pass 1: the generations collected join the set, each list spliced whole.
 * A clear of the saved garbage for one client takes that client's objects
 * one at a time and moves the others aside.
 */
static bool mobj_gc_take(struct mobj_heap *heap, long *budget)
{
	struct mobj_gc_cycle *c = &heap->cycle;
	struct list_head *from;
	struct mobj_obj *obj;

	while (c->nfrom) {
		from = &heap->lists[c->from[0]];
		if (!c->quota) {
			--*budget;
			c->candidates += heap->list_count[c->from[0]];
			list_splice_tail_init(from, &c->young);
		}
		while (c->take && !list_empty(from)) {
			if (--*budget < 0)
				return false;
			obj = list_first_entry(from, struct mobj_obj, gc_node);
			c->take--;
			if (!mobj_obj_charged_to(obj, c->quota)) {
				list_move_tail(&obj->gc_node, &c->others);
				continue;
			}
			c->candidates++;
			list_move_tail(&obj->gc_node, &c->young);
		}
		c->nfrom--;
		memmove(c->from, c->from + 1, c->nfrom * sizeof(c->from[0]));
		if (c->nfrom)
			c->take = heap->list_count[c->from[0]];
	}
	mobj_gc_next_phase(c, &c->young);
	return true;
}

/*
 * The passes below keep the budget and their counts in locals: the objects'
 * byte-sized fields may alias anything, so a count kept in memory would be
 * loaded and stored again for every object.
 */

/*
 * @obj joins the count: gc_refs = refcount.  A saturated refcount (a bug
 * was reported, the object must never die) counts as the most references
 * an object can have, which no subtraction brings to zero.
 */
static __always_inline void mobj_gc_count(struct mobj_obj *obj)
{
	obj->gc_refs = min_t(u32, obj->refcount, MOBJ_REFCOUNT_MAX);
	obj->gc_state = MOBJ_GC_IN_SET;
}

/*
 * Pass 2, for the saved garbage only: each object taken loses the list's
 * reference, and its gc_refs is set (so the count takes no copy: an object
 * not met yet is not in this set, whatever its generation).
 */
static bool mobj_gc_update(struct mobj_heap *heap, long *budget)
{
	struct mobj_gc_cycle *c = &heap->cycle;
	long left = *budget;
	struct list_head *pos;
	struct mobj_obj *obj;
	bool done = true;

	if (!c->unsave) {
		mobj_gc_next_phase(c, &c->young);
		return true;
	}
	for (pos = c->cursor.next; pos != &c->young; pos = pos->next) {
		if (--left < 0) {
			done = false;
			break;
		}
		obj = list_entry(pos, struct mobj_obj, gc_node);
		WRITE_ONCE(obj->refcount, obj->refcount - 1);
		mobj_gc_count(obj);
	}
	*budget = left;
	if (!done)
		return mobj_gc_pause(c, pos);
	mobj_gc_next_phase(c, &c->young);
	return true;
}

/*
 * Pass 3, CPython's update_refs() and subtract_refs() in one walk: an
 * object joins the count (gc_refs = refcount) when first met, as itself or
 * as a slot's target, then every reference from a slot of an object in the
 * set is subtracted.  A target not met yet is in the set if it is in a
 * generation collected (@limit): objects tracked since the take wait
 * aside, marked (mobj_gc_track()), and the saved garbage was counted
 * whole before.  From its copy on, a refcount change touches the object.
 */
static bool mobj_gc_subtract(struct mobj_heap *heap, long *budget)
{
	struct mobj_gc_cycle *c = &heap->cycle;
	unsigned int limit = c->unsave ? 0 : c->generation + 1;
	struct mobj_ref *slot, *end;
	long left = *budget;
	struct list_head *pos;
	struct mobj_obj *obj, *t;
	u64 examined = 0;
	bool done = true;
	u32 n;

	for (pos = c->cursor.next; pos != &c->young; pos = pos->next) {
		if (left <= 0) {
			done = false;
			break;
		}
		obj = list_entry(pos, struct mobj_obj, gc_node);
		if (obj->gc_state == MOBJ_GC_IDLE)
			mobj_gc_count(obj);
		examined++;
		n = obj->nslots;
		left -= 1 + n;
		for (slot = obj->slots, end = slot + n; slot < end; slot++) {
			t = slot->target;
			switch (t->gc_state) {
			case MOBJ_GC_IDLE:
				if (t->gen >= limit)
					break;
				mobj_gc_count(t);
				fallthrough;
			case MOBJ_GC_IN_SET:
			case MOBJ_GC_TOUCHED:
				t->gc_refs--;
				break;
			}
		}
	}
	*budget = left;
	c->res.examined += examined;
	if (!done)
		return mobj_gc_pause(c, pos);
	mobj_gc_next_phase(c, &c->young);
	return true;
}

/* Pass 3b: what was tracked during the count joins generation 0. */
static bool mobj_gc_admit(struct mobj_heap *heap, long *budget)
{
	struct mobj_gc_cycle *c = &heap->cycle;
	struct mobj_obj *obj;

	while (!list_empty(&c->arrived)) {
		if (--*budget < 0)
			return false;
		obj = list_first_entry(&c->arrived, struct mobj_obj, gc_node);
		obj->gc_state = MOBJ_GC_IDLE;
		list_move_tail(&obj->gc_node, &heap->lists[MOBJ_GEN0]);
	}
	c->phase++;
	return true;
}

/*
 * A target the scan found unreachable so far is reachable after all: back
 * to the tail of the set, where the scan meets it again.  Out of line, as
 * mobj_gc_settle(): the scan's loop keeps its registers for the common
 * case.
 */
static noinline void mobj_gc_back(struct mobj_gc_cycle *c, struct mobj_obj *t)
{
	t->gc_state = MOBJ_GC_REACHABLE;
	list_move_tail(&t->gc_node, &c->young);
}

/*
 * What a reachable object refers to is reachable: one not scanned yet will
 * be scanned as such, one the scan found unreachable so far goes back.
 * Returns how many went back.
 */
static __always_inline u32 mobj_gc_reach(struct mobj_gc_cycle *c,
					 struct mobj_obj *obj, u32 n)
{
	struct mobj_ref *slot, *end;
	struct mobj_obj *t;
	u32 back = 0;

	for (slot = obj->slots, end = slot + n; slot < end; slot++) {
		t = slot->target;
		if (t->gc_state == MOBJ_GC_IN_SET) {
			t->gc_state = MOBJ_GC_REACHABLE;
		} else if (unlikely(t->gc_state == MOBJ_GC_UNREACHABLE)) {
			mobj_gc_back(c, t);
			back++;
		}
	}
	return back;
}

/*
 * A scanned reachable object is done with: it belongs to the next
 * generation now, though it stays on the set's list until the promotion
 * splices the list (or leaves the collector's lists at once when it has no
 * slot: it can never be in a cycle again until it gets one, like an
 * untracked tuple in CPython).  Most of a full collection is generation 2
 * already and stays on the list as it is: mobj_gc_survive() does that
 * inline, and calls this for the rest.  Returns whether it stays on the
 * set's list as a survivor.
 */
static noinline bool mobj_gc_settle(struct mobj_heap *heap,
				    struct mobj_obj *obj)
{
	unsigned int to = heap->cycle.to;

	if (heap->cycle.dry) {
		list_move_tail(&obj->gc_node, &heap->lists[obj->gen]);
		return false;
	}
	if (!obj->nslots) {
		to = MOBJ_GEN_UNTRACKED;
		list_move_tail(&obj->gc_node, &heap->lists[to]);
	}
	if (obj->gen != to) {
		heap->list_count[obj->gen]--;
		heap->list_count[to]++;
		WRITE_ONCE(obj->gen, to);
	}
	return to != MOBJ_GEN_UNTRACKED;
}

/* @stay: the generation of the survivors that stay as they are, if any. */
static __always_inline bool mobj_gc_survive(struct mobj_heap *heap,
					    struct mobj_obj *obj, u32 n,
					    unsigned int stay)
{
	obj->gc_state = MOBJ_GC_IDLE;
	if (likely(n && obj->gen == stay))
		return true;
	return mobj_gc_settle(heap, obj);
}

/*
 * Pass 4, CPython's move_unreachable(): an object with references from
 * outside the set (or touched) is reachable, and so is what it refers to;
 * one with none is garbage unless a reachable object met later refers to
 * it.  Only the latter moves, to @unreachable and maybe back.  The pass
 * ends when no object that died meanwhile holds anything: a dead object's
 * references into the set were not subtracted, and releasing one touches
 * its target.
 */
static bool mobj_gc_scan(struct mobj_heap *heap, long *budget)
{
	struct mobj_gc_cycle *c = &heap->cycle;
	struct list_head *pos = c->cursor.next;
	/* A dry run leaves every survivor where it was: none stays. */
	unsigned int stay = c->dry ? MOBJ_NR_LISTS : c->to;
	unsigned long survivors = 0;
	long left = *budget;
	long collected = 0;
	struct mobj_obj *obj;
	bool done = false;
	LIST_HEAD(reap);
	u32 n;

	for (;;) {
		if (left <= 0)
			break;
		if (pos == &c->young) {
			if (list_empty(&heap->dying)) {
				done = true;
				break;
			}
			mobj_gc_pause(c, pos);
			mobj_heap_drain_step(heap, &left, &reap);
			mobj_heap_reap(&reap);
			pos = c->cursor.next;
			continue;
		}
		obj = list_entry(pos, struct mobj_obj, gc_node);
		if (obj->gc_state == MOBJ_GC_IN_SET && obj->gc_refs <= 0) {
			WARN_ON_ONCE(obj->gc_refs < 0);
			left--;
			pos = pos->next;
			obj->gc_state = MOBJ_GC_UNREACHABLE;
			list_move_tail(&obj->gc_node, &c->unreachable);
			collected++;
			continue;
		}
		n = obj->nslots;
		left -= 1 + n;
		collected -= mobj_gc_reach(c, obj, n);
		pos = pos->next;
		survivors += mobj_gc_survive(heap, obj, n, stay);
	}
	*budget = left;
	c->res.collected += collected;
	c->survivors += survivors;
	if (!done)
		return mobj_gc_pause(c, pos);
	mobj_gc_next_phase(c, &c->young);
	return true;
}

/* Pass 5: the survivors join the next generation, in one splice. */
static bool mobj_gc_promote(struct mobj_heap *heap, long *budget)
{
	struct mobj_gc_cycle *c = &heap->cycle;

	list_del(&c->cursor);
	list_splice_tail_init(&c->young, &heap->lists[c->to]);
	list_add(&c->cursor, &c->unreachable);
	c->phase++;
	return true;
}

/* A dry run's garbage: reported, and back where it was, untouched. */
static void mobj_gc_report(struct mobj_heap *heap, struct mobj_obj *obj)
{
	struct mobj_gc_cycle *c = &heap->cycle;

	obj->gc_state = MOBJ_GC_IDLE;
	list_move_tail(&obj->gc_node, &heap->lists[obj->gen]);
	if (c->leaks_quota && !mobj_obj_charged_to(obj, c->leaks_quota))
		return;
	if (c->leaks_found < c->leaks_room)
		c->leaks[c->leaks_found] = obj->id;
	c->leaks_found++;
}

/*
 * Pass 6: the garbage drops its slots.  References between garbage objects
 * only lower counts; a reference to an object outside is a normal put,
 * which frees what only the garbage held (never garbage: anything that
 * refers to garbage is garbage).  With DEBUG_SAVEALL the garbage is kept
 * instead, on the garbage list, which holds a reference to each object.  A
 * dry run only reports it.
 */
static bool mobj_gc_clear(struct mobj_heap *heap, long *budget)
{
	struct mobj_gc_cycle *c = &heap->cycle;
	struct list_head *pos, *next;
	struct mobj_obj *obj, *t;
	struct mobj_ref *ref;

	for (pos = c->cursor.next; pos != &c->unreachable; pos = next) {
		if (*budget <= 0)
			return mobj_gc_pause(c, pos);
		next = pos->next;
		obj = list_entry(pos, struct mobj_obj, gc_node);
		*budget -= 1 + obj->nslots;
		if (c->dry) {
			mobj_gc_report(heap, obj);
			continue;
		}
		if (c->save) {
			obj->gc_state = MOBJ_GC_IDLE;
			WRITE_ONCE(obj->refcount, obj->refcount + 1);
			mobj_list_move(heap, obj, MOBJ_GEN_GARBAGE);
			continue;
		}
		while (obj->nslots) {
			ref = &obj->slots[--obj->nslots];
			t = ref->target;
			trace_slot_clear(obj->id, obj->nslots, t->id);
			hlist_del(&ref->backref);
			if (t->gc_state == MOBJ_GC_UNREACHABLE)
				WRITE_ONCE(t->refcount, t->refcount - 1);
			else
				mobj_obj_put(heap, t);
		}
	}
	mobj_gc_next_phase(c, &c->unreachable);
	return true;
}

static void mobj_gc_cycle_end(struct mobj_heap *heap)
{
	struct mobj_gc_cycle *c = &heap->cycle;
	struct mobj_gc_gen_stats *stats = &heap->gen[c->generation].stats;

	list_del_init(&c->cursor);
	list_splice_tail_init(&c->others, &heap->lists[MOBJ_GEN_GARBAGE]);
	c->phase = MOBJ_GC_PHASE_IDLE;
	c->res.duration_ns = ktime_get_ns() - c->start_ns;
	trace_gc_end(c->generation, c->res.collected, c->res.uncollectable,
		     c->res.duration_ns);
	if (!c->stats)
		return;
	mobj_gc_notify(heap, MOBJ_EVENT_GC_STOP, c->generation,
		       c->res.collected, c->res.uncollectable);
	stats->collections++;
	stats->collected += c->res.collected;
	stats->total_ns += c->res.duration_ns;
	heap->gen[c->generation].candidates += c->candidates;
	if (c->generation == MOBJ_GEN1)
		heap->long_lived_pending += c->survivors;
	if (c->generation == MOBJ_GEN2) {
		heap->long_lived_pending = 0;
		heap->long_lived_total = c->survivors;
	}
}

/*
 * Pass 7: every garbage object is at zero now; it dies, and what the step
 * killed joins the queue of the dead in one splice (the cursor stays
 * first: what is before @pos is what this step killed).
 */
static bool mobj_gc_destroy(struct mobj_heap *heap, long *budget)
{
	struct mobj_gc_cycle *c = &heap->cycle;
	struct list_head *pos;
	struct mobj_obj *obj;
	unsigned long n = 0;
	bool done = true;
	LIST_HEAD(dead);

	for (pos = c->cursor.next; pos != &c->unreachable; pos = pos->next) {
		if (--*budget < 0) {
			done = false;
			break;
		}
		obj = list_entry(pos, struct mobj_obj, gc_node);
		heap->list_count[obj->gen]--;
		mobj_obj_die(heap, obj, MOBJ_EVENT_CYCLE, c->generation);
		n++;
	}
	list_cut_before(&dead, &c->cursor, pos);
	mobj_obj_queue_dead(heap, &dead, n);
	if (!done)
		return false;
	mobj_gc_cycle_end(heap);
	return true;
}

static void mobj_gc_cycle_init(struct mobj_heap *heap, const unsigned int *from,
			       unsigned int nfrom, unsigned int to,
			       unsigned int generation, bool stats)
{
	struct mobj_gc_cycle *c = &heap->cycle;
	unsigned long candidates = 0;
	unsigned int i;

	lockdep_assert_held(&heap->lock);
	WARN_ON_ONCE(c->phase != MOBJ_GC_PHASE_IDLE);

	c->phase = MOBJ_GC_PHASE_TAKE;
	c->generation = generation;
	c->to = to;
	c->save = stats && heap->gc_debug & MOBJ_GC_DEBUG_SAVEALL;
	c->stats = stats;
	c->unsave = false;
	c->dry = false;
	c->quota = NULL;
	memcpy(c->from, from, nfrom * sizeof(*from));
	c->nfrom = nfrom;
	c->take = heap->list_count[from[0]];
	c->survivors = 0;
	c->candidates = 0;
	memset(&c->res, 0, sizeof(c->res));
	c->start_ns = ktime_get_ns();
	list_add(&c->cursor, &c->young);
	for (i = 0; i < nfrom; i++)
		candidates += heap->list_count[from[i]];
	trace_gc_start(generation, candidates);
	if (stats)
		mobj_gc_notify(heap, MOBJ_EVENT_GC_START, generation, 0, 0);
}

/* Start collecting generations 0..@generation. */
void mobj_gc_cycle_begin(struct mobj_heap *heap, unsigned int generation)
{
	static const unsigned int gens[] = { MOBJ_GEN0, MOBJ_GEN1, MOBJ_GEN2 };
	unsigned int i;

	lockdep_assert_held(&heap->lock);

	if (generation + 1 < MOBJ_GC_GENERATIONS)
		heap->gen[generation + 1].count++;
	for (i = 0; i <= generation; i++)
		heap->gen[i].count = 0;
	mobj_gc_cycle_init(heap, gens, generation + 1,
			   min_t(unsigned int, generation + 1, MOBJ_GEN2),
			   generation, true);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_cycle_begin);

/*
 * Do up to @budget units of the collection under way; true when it is
 * finished.
 */
bool mobj_gc_cycle_step(struct mobj_heap *heap, unsigned long budget)
{
	static bool (*const passes[])(struct mobj_heap *heap, long *budget) = {
		[MOBJ_GC_PHASE_TAKE] = mobj_gc_take,
		[MOBJ_GC_PHASE_UPDATE] = mobj_gc_update,
		[MOBJ_GC_PHASE_SUBTRACT] = mobj_gc_subtract,
		[MOBJ_GC_PHASE_ADMIT] = mobj_gc_admit,
		[MOBJ_GC_PHASE_SCAN] = mobj_gc_scan,
		[MOBJ_GC_PHASE_PROMOTE] = mobj_gc_promote,
		[MOBJ_GC_PHASE_CLEAR] = mobj_gc_clear,
		[MOBJ_GC_PHASE_DESTROY] = mobj_gc_destroy,
	};
	struct mobj_gc_cycle *c = &heap->cycle;
	long left = min_t(unsigned long, budget, LONG_MAX);

	lockdep_assert_held(&heap->lock);

	while (c->phase != MOBJ_GC_PHASE_IDLE)
		if (!passes[c->phase](heap, &left))
			return false;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_cycle_step);

/*
 * Run the collection under way to its end.  Incremental runs drop the big
 * lock between steps; the others only yield the CPU (a mutex may be held
 * across cond_resched()).
 */
static void mobj_gc_run(struct mobj_heap *heap, bool incremental,
			struct mobj_gc_collect *res)
{
	unsigned long budget = incremental ? mobj_gc_step_budget() : 0;

	if (!budget) {
		incremental = false;
		budget = MOBJ_GC_RESCHED_BUDGET;
	}
	while (!mobj_gc_cycle_step(heap, budget)) {
		if (!incremental) {
			cond_resched();
			continue;
		}
		mobj_lock_yield(heap);
	}
	if (res)
		*res = heap->cycle.res;
}

/**
 * mobj_gc_collect - gc.collect(generation), without dropping the lock
 * @heap: the device
 * @generation: collect generations 0..@generation
 * @res: filled with the results when not NULL
 *
 * Returns the number of objects found unreachable.
 */
unsigned long mobj_gc_collect(struct mobj_heap *heap, unsigned int generation,
			      struct mobj_gc_collect *res)
{
	lockdep_assert_held(&heap->lock);

	mobj_gc_cycle_begin(heap, generation);
	mobj_gc_run(heap, false, res);
	mobj_heap_drain_locked(heap);
	return heap->cycle.res.collected;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_collect);

/*
 * The same in steps of gc_step_budget, dropping the big lock in between;
 * the caller holds gc_mutex and the big lock.
 */
void mobj_gc_collect_incremental(struct mobj_heap *heap, unsigned int generation,
				 struct mobj_gc_collect *res)
{
	lockdep_assert_held(&heap->gc_mutex);
	lockdep_assert_held(&heap->lock);

	mobj_gc_cycle_begin(heap, generation);
	mobj_gc_run(heap, true, res);
}

/*
 * The automatic collection: the oldest generation whose count exceeds its
 * threshold, except that a full collection also waits until the objects
 * awaiting one exceed 25% of those that survived the last one.
 */
void mobj_gc_collect_generations(struct mobj_heap *heap, bool incremental)
{
	int i;

	lockdep_assert_held(&heap->lock);

	for (i = MOBJ_GC_GENERATIONS - 1; i >= 0; i--) {
		if (heap->gen[i].count <= heap->gen[i].threshold)
			continue;
		if (i == MOBJ_GEN2 &&
		    heap->long_lived_pending < heap->long_lived_total / 4)
			continue;
		if (incremental)
			mobj_gc_collect_incremental(heap, i, NULL);
		else
			mobj_gc_collect(heap, i, NULL);
		break;
	}
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_collect_generations);

/**
 * mobj_gc_leaks - what a full collection would free now, freeing nothing
 * @heap: the device; the caller holds gc_mutex and the big lock
 * @quota: count and report only the objects of this client's (NULL: all)
 * @ids: filled with the first @room ids found
 * @room: room in @ids
 * @res: filled with the collection's figures
 *
 * A collection of every generation, in steps like any other, whose
 * survivors stay in their generations and whose garbage goes back there
 * too: nothing is freed, promoted or counted in the statistics.  Returns
 * how many objects it found unreachable (of @quota's).
 */
u32 mobj_gc_leaks(struct mobj_heap *heap, struct mobj_quota *quota, u64 *ids,
		  u32 room, struct mobj_gc_collect *res)
{
	static const unsigned int gens[] = { MOBJ_GEN0, MOBJ_GEN1, MOBJ_GEN2 };
	struct mobj_gc_cycle *c = &heap->cycle;

	lockdep_assert_held(&heap->gc_mutex);
	lockdep_assert_held(&heap->lock);

	mobj_gc_cycle_init(heap, gens, ARRAY_SIZE(gens), MOBJ_GEN2, MOBJ_GEN2,
			   false);
	c->dry = true;
	c->leaks = ids;
	c->leaks_room = room;
	c->leaks_found = 0;
	c->leaks_quota = quota;
	mobj_gc_run(heap, true, res);
	c->leaks = NULL;
	return c->leaks_found;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_leaks);

/*
 * Move the objects on list @from to list @to: as many as it held when
 * called (objects tracked meanwhile may or may not move).  @incremental:
 * gc_step_budget at a time, the lock dropped between steps.
 */
static unsigned long mobj_gc_move_all(struct mobj_heap *heap,
				      unsigned int from, unsigned int to,
				      bool incremental)
{
	unsigned long n = heap->list_count[from], moved = 0;
	unsigned int step = incremental ? mobj_gc_step_budget() : 0;
	struct mobj_obj *obj;
	unsigned int work = 0;

	while (moved < n && !list_empty(&heap->lists[from])) {
		if (step && ++work > step) {
			mobj_lock_yield(heap);
			work = 0;
			continue;
		}
		obj = list_first_entry(&heap->lists[from], struct mobj_obj,
				       gc_node);
		mobj_list_move(heap, obj, to);
		moved++;
	}
	return moved;
}

/*
 * gc.freeze(): every tracked object moves to the permanent generation.
 * The caller holds gc_mutex: no collection has objects on its own lists.
 */
unsigned long mobj_gc_freeze(struct mobj_heap *heap, bool incremental)
{
	unsigned long n = 0;
	unsigned int i;

	lockdep_assert_held(&heap->lock);

	for (i = 0; i < MOBJ_GC_GENERATIONS; i++) {
		n += mobj_gc_move_all(heap, i, MOBJ_GEN_PERMANENT, incremental);
		heap->gen[i].count = 0;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_freeze);

/* gc.unfreeze(): the permanent generation joins the oldest one. */
unsigned long mobj_gc_unfreeze(struct mobj_heap *heap, bool incremental)
{
	lockdep_assert_held(&heap->lock);

	return mobj_gc_move_all(heap, MOBJ_GEN_PERMANENT, MOBJ_GEN2,
				incremental);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_unfreeze);

/*
 * del gc.garbage[:]: the list drops its references.  Objects nobody took a
 * handle to are unreachable again and are freed now, by a collection of
 * the garbage list alone; the others join generation 2.  With @quota, only
 * the objects made through that client.  No other collection may be under
 * way (the caller holds gc_mutex, or owns the heap).  The take pass drops
 * the list's references one object at a time, and moves the other
 * clients' objects aside until the end.  @incremental: in steps, the lock
 * dropped between them, like any collection; the objects the list let go
 * of are then alive at refcount zero, which only a weak handle could see
 * (MOBJ_WEAKREF_GET says -ESTALE).
 */
void mobj_gc_garbage_clear(struct mobj_heap *heap, struct mobj_quota *quota,
			   bool incremental)
{
	static const unsigned int garbage[] = { MOBJ_GEN_GARBAGE };

	lockdep_assert_held(&heap->lock);

	mobj_gc_cycle_init(heap, garbage, 1, MOBJ_GEN2, MOBJ_GEN2, false);
	heap->cycle.unsave = true;
	heap->cycle.quota = quota;
	mobj_gc_run(heap, incremental, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_gc_garbage_clear);

/* The collector's commands */

int mobj_ioctl_gc_collect(struct mobj_ucmd *ucmd)
{
	struct mobj_gc_collect *cmd = ucmd->cmd, res;
	struct mobj_heap *heap = ucmd->client->heap;
	int rc;

	if (cmd->generation >= MOBJ_GC_GENERATIONS)
		return -EINVAL;
	rc = mobj_ucmd_probe(ucmd);
	if (rc)
		return rc;

	mutex_lock(&heap->gc_mutex);
	mobj_lock_timed(heap);
	mobj_gc_collect_incremental(heap, cmd->generation, &res);
	mobj_unlock(heap);
	mutex_unlock(&heap->gc_mutex);

	cmd->collected = res.collected;
	cmd->uncollectable = res.uncollectable;
	cmd->examined = res.examined;
	cmd->duration_ns = res.duration_ns;
	return mobj_ucmd_respond(ucmd);
}

/* objgraph.get_leaking_objects(): a client sees its own, unless privileged. */
int mobj_ioctl_gc_leaks(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_gc_leaks *cmd = ucmd->cmd;
	struct mobj_heap *heap = client->heap;
	struct mobj_quota *quota = NULL;
	struct mobj_gc_collect res;
	u64 *ids = NULL;
	u32 room, found;
	int rc;

	rc = mobj_ucmd_probe(ucmd);
	if (rc)
		return rc;
	if (!capable(CAP_SYS_ADMIN))
		quota = client->quota;
	/* No more than there are objects: @count may say 4G. */
	room = min_t(unsigned long, cmd->count, READ_ONCE(heap->live_objects));
	if (room) {
		ids = kvmalloc_array(room, sizeof(*ids), GFP_KERNEL_ACCOUNT);
		if (!ids)
			return -ENOMEM;
	}

	mutex_lock(&heap->gc_mutex);
	mobj_lock(heap);
	found = mobj_gc_leaks(heap, quota, ids, room, &res);
	mobj_unlock(heap);
	mutex_unlock(&heap->gc_mutex);

	cmd->examined = res.examined;
	rc = mobj_respond_array(ucmd, &cmd->count, found, cmd->ids, ids,
				min(found, room), sizeof(*ids));
	kvfree(ids);
	return rc;
}

int mobj_ioctl_gc_get(struct mobj_ucmd *ucmd)
{
	struct mobj_heap *heap = ucmd->client->heap;
	struct mobj_gc_state *cmd = ucmd->cmd;
	unsigned int i;

	mobj_lock(heap);
	cmd->enabled = heap->gc_enabled;
	cmd->debug = heap->gc_debug;
	for (i = 0; i < MOBJ_GC_GENERATIONS; i++) {
		cmd->threshold[i] = heap->gen[i].threshold;
		cmd->count[i] = heap->gen[i].count;
	}
	cmd->freeze_count = heap->list_count[MOBJ_GEN_PERMANENT];
	cmd->garbage_count = heap->list_count[MOBJ_GEN_GARBAGE];
	mobj_unlock(heap);
	return mobj_ucmd_respond(ucmd);
}

int mobj_ioctl_gc_set(struct mobj_ucmd *ucmd)
{
	struct mobj_heap *heap = ucmd->client->heap;
	struct mobj_gc_set *cmd = ucmd->cmd;
	unsigned int i;

	if (cmd->flags & MOBJ_GC_SET_ENABLED && cmd->enabled > 1)
		return -EINVAL;
	if (cmd->flags & MOBJ_GC_SET_DEBUG &&
	    cmd->debug & ~MOBJ_GC_DEBUG_SAVEALL)
		return -EINVAL;
	if (cmd->flags & MOBJ_GC_SET_THRESHOLD &&
	    (!cmd->threshold[1] || !cmd->threshold[2]))
		return -EINVAL;

	mobj_lock(heap);
	if (cmd->flags & MOBJ_GC_SET_ENABLED)
		heap->gc_enabled = cmd->enabled;
	if (cmd->flags & MOBJ_GC_SET_DEBUG)
		heap->gc_debug = cmd->debug;
	if (cmd->flags & MOBJ_GC_SET_THRESHOLD)
		for (i = 0; i < MOBJ_GC_GENERATIONS; i++)
			heap->gen[i].threshold = cmd->threshold[i];
	mobj_gc_maybe_queue(heap);
	mobj_unlock(heap);
	return 0;
}

int mobj_ioctl_gc_stats(struct mobj_ucmd *ucmd)
{
	struct mobj_heap *heap = ucmd->client->heap;
	struct mobj_gc_stats *cmd = ucmd->cmd;
	unsigned int i;

	mobj_lock(heap);
	for (i = 0; i < MOBJ_GC_GENERATIONS; i++) {
		cmd->gen[i] = heap->gen[i].stats;
		cmd->candidates[i] = heap->gen[i].candidates;
	}
	mobj_unlock(heap);
	return mobj_ucmd_respond(ucmd);
}

int mobj_ioctl_gc_freeze(struct mobj_ucmd *ucmd)
{
	struct mobj_heap *heap = ucmd->client->heap;
	struct mobj_gc_freeze *cmd = ucmd->cmd;
	int rc;

	rc = mobj_ucmd_probe(ucmd);
	if (rc)
		return rc;

	/*
	 * Not while a collection is under way: between its steps the objects
	 * it took are on its own lists, and it would put them back unfrozen.
	 */
	mutex_lock(&heap->gc_mutex);
	mobj_lock(heap);
	if (cmd->flags & MOBJ_GC_UNFREEZE)
		cmd->moved = mobj_gc_unfreeze(heap, true);
	else
		cmd->moved = mobj_gc_freeze(heap, true);
	mobj_unlock(heap);
	mutex_unlock(&heap->gc_mutex);
	return mobj_ucmd_respond(ucmd);
}

/*
 * gc.garbage: new handles to the first saved objects, made as a batch with
 * reserve-then-publish; the list is cleared only once they are published.
 * gc_mutex is held while the handles are made (no collection changes the
 * list meanwhile) and again to publish and clear, never across the copy to
 * user space: a stalled copy must not hold up every collection.
 */
/* Saved garbage made through @quota's client (all of it with NULL). */
static unsigned long mobj_gc_garbage_count(struct mobj_heap *heap,
					   struct mobj_quota *quota)
{
	unsigned long n = 0;
	struct mobj_obj *obj;

	lockdep_assert_held(&heap->lock);

	if (!quota)
		return heap->list_count[MOBJ_GEN_GARBAGE];
	list_for_each_entry(obj, &heap->lists[MOBJ_GEN_GARBAGE], gc_node)
		n += mobj_obj_charged_to(obj, quota);
	return n;
}

int mobj_ioctl_gc_garbage(struct mobj_ucmd *ucmd)
{
	struct mobj_client *client = ucmd->client;
	struct mobj_gc_garbage *cmd = ucmd->cmd;
	struct mobj_heap *heap = client->heap;
	struct mobj_obj **objs = NULL, *obj;
	struct mobj_quota *quota = NULL;
	unsigned long total;
	u32 *handles = NULL;
	unsigned int i, n = 0;
	int rc = 0;

	/* A client sees the garbage it made; with privilege, all of it. */
	if (!capable(CAP_SYS_ADMIN))
		quota = client->quota;

	mutex_lock(&heap->gc_mutex);
	mobj_lock(heap);
	total = mobj_gc_garbage_count(heap, quota);
	n = min_t(unsigned long, cmd->count, total);
	cmd->count = min_t(unsigned long, total, U32_MAX);
	if (n) {
		objs = kvmalloc_array(n, sizeof(*objs), GFP_KERNEL_ACCOUNT);
		handles = kvmalloc_array(n, sizeof(*handles),
					 GFP_KERNEL_ACCOUNT);
		if (!objs || !handles) {
			rc = -ENOMEM;
			n = 0;
		}
	}
	i = 0;
	list_for_each_entry(obj, &heap->lists[MOBJ_GEN_GARBAGE], gc_node) {
		if (i == n)
			break;
		if (quota && !mobj_obj_charged_to(obj, quota))
			continue;
		rc = __mobj_new_strong_handle(client, obj, true, &handles[i]);
		if (rc)
			break;
		objs[i++] = obj;
	}
	mobj_unlock(heap);
	mutex_unlock(&heap->gc_mutex);

	cmd->filled = i;
	if (!rc && i)
		rc = mobj_copy_to_user(heap, u64_to_user_ptr(cmd->handles),
				       handles, i * sizeof(*handles));
	if (!rc)
		rc = mobj_ucmd_respond(ucmd);

	/* Clearing runs a collection of the garbage list: none may be under way. */
	mutex_lock(&heap->gc_mutex);
	mobj_lock(heap);
	while (i--) {
		if (rc) {
			mobj_handle_remove(client, handles[i]);
			mobj_obj_put(heap, objs[i]);
		} else {
			mobj_handle_publish(client, handles[i]);
		}
	}
	if (!rc && cmd->flags & MOBJ_GC_GARBAGE_CLEAR)
		mobj_gc_garbage_clear(heap, quota, true);
	mobj_unlock(heap);
	mutex_unlock(&heap->gc_mutex);
	kvfree(handles);
	kvfree(objs);
	return rc;
}
