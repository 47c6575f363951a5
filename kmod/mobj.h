/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mobj internals: the heap, its objects, clients and the cycle collector.
 */
#ifndef _MOBJ_H
#define _MOBJ_H

#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/seqlock.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <linux/mobj.h>

/*
 * Where an object's gc_node is linked: one of the three generations, the
 * permanent generation (frozen), the list of objects that never had a slot
 * (untracked: they cannot be part of a cycle), or the saved garbage list.
 */
enum mobj_gen_index {
	MOBJ_GEN0,
	MOBJ_GEN1,
	MOBJ_GEN2,
	MOBJ_GEN_PERMANENT,
	MOBJ_GEN_UNTRACKED,
	MOBJ_GEN_GARBAGE,
	MOBJ_NR_LISTS,
};

/* obj->gc_state: where an object stands in the collection under way */
enum mobj_gc_mark {
	MOBJ_GC_IDLE,		/* not in the set, not counted yet, or reachable */
	MOBJ_GC_IN_SET,		/* in the set, gc_refs being computed */
	MOBJ_GC_TOUCHED,	/* in the set, changed since: live this time */
	MOBJ_GC_REACHABLE,	/* in the set, reachable, not scanned yet */
	MOBJ_GC_UNREACHABLE,	/* in the set, garbage so far (or for good) */
	MOBJ_GC_DEAD,		/* dead, its slots being released */
	MOBJ_GC_OUTSIDE,	/* tracked while the set is counted: not in it */
};

struct mobj_obj;

/**
 * struct mobj_ref - one slot: a strong reference from @owner to @target
 * @target: the object referred to
 * @owner: the object whose slot this is
 * @backref: entry in @target->referrers (reverse edge)
 */
struct mobj_ref {
	struct mobj_obj *target;
	struct mobj_obj *owner;
	struct hlist_node backref;
};

/**
 * struct mobj_quota - live objects created by one client
 * @objects: how many are alive
 * @id: its index in heap->quotas, which is what an object keeps
 * @orphan: the client is gone; free this when @objects reaches zero
 *
 * Objects outlive the client that created them; the charge stays with the
 * quota until they die.
 */
struct mobj_quota {
	unsigned long objects;
	u32 id;
	bool orphan;
};

/* Quota ids fit the 24 bits an object has for one (mobj_obj.quota). */
#define MOBJ_QUOTA_ID_MAX	((1U << 24) - 1)

/**
 * struct mobj_obj_ext - what only some objects have: a payload, weak
 *	references, death watches
 * @data: payload
 * @data_len: payload length
 * @nwatchers: struct mobj_watcher entries on @observers
 * @observers: weak references and death watches (struct mobj_observer),
 *	in the order they were made: the order of the death notices
 * @rcu: frees it once MOBJ_INFO's lock-free readers are done with it
 *
 * Allocated by the first command that needs it (NEW or DATA_WRITE with a
 * payload, WEAKREF, WATCH) and kept until the object is freed.
 */
struct mobj_obj_ext {
	void *data;
	u32 data_len;
	u32 nwatchers;
	struct list_head observers;
	struct rcu_head rcu;
};

/**
 * struct mobj_obj - a managed object
 * @gc_node: entry on a generation list, or on the heap's dying list
 * @rcu: over @gc_node once the object is off every list: frees it after
 *	the lock-free readers that may still see it (mobj_obj_free())
 * @refcount: handles + slots referring to it (+ handles being created)
 * @gc_refs: the collector's scratch count; once dead, why it died (for
 *	the death notices still to send)
 * @nslots: slots in use
 * @gen: which list @gc_node is on (enum mobj_gen_index)
 * @gc_state: enum mobj_gc_mark
 * @front: unused slots allocated before @slots (a POP near the front
 *	moves the slots before it up and starts the array one later)
 * @slots: the first slot in use
 * @id: unique id, never reused while the module is loaded
 * @type: the user's type tag
 * @quota: id of the creating client's charge (struct mobj_quota, found
 *	in heap->quotas when the object dies)
 * @cap_order: when @slots is not NULL, 1 << @cap_order slots are
 *	allocated from @slots - @front (mobj_slots_cap())
 * @referrers: the mobj_ref entries, in other objects, that refer to it
 *	(in no particular order)
 * @ext: payload, weak references and watches; NULL until it has any
 *	(mobj_obj_ext())
 *
 * The collector's passes read the first 40 bytes of each object they visit
 * and of the objects its slots refer to, nothing else: they come first.
 * 72 bytes in all: what most objects never use is in @ext, the charge is
 * an id and the capacity a power of two.
 *
 * Everything here is protected by the device's big lock.  MOBJ_GETREFCOUNT
 * and MOBJ_INFO read @refcount, @nslots, @gen and, through @ext, data_len
 * and nwatchers without it, under RCU (an object is freed by call_rcu(),
 * an ext by kfree_rcu()): writers use WRITE_ONCE() for those, and
 * readers check afterwards that no handle of their client was removed
 * meanwhile (mobj_handle_read()).
 */
struct mobj_obj {
	union {
		struct list_head gc_node;
		struct rcu_head rcu;
	};
	u32 refcount;
	s32 gc_refs;
	u32 nslots;
	u8 gen;
	u8 gc_state;
	u16 front;
	struct mobj_ref *slots;
	u64 id;
	u32 type;
	u32 quota : 24;
	u32 cap_order : 8;
	struct hlist_head referrers;
	struct mobj_obj_ext *ext;
};

/* Slots allocated for @obj, from @obj->slots - @obj->front. */
static inline u32 mobj_slots_cap(const struct mobj_obj *obj)
{
	return obj->slots ? 1U << obj->cap_order : 0;
}

static inline bool mobj_obj_charged_to(const struct mobj_obj *obj,
				       const struct mobj_quota *quota)
{
	return obj->quota == quota->id;
}

static inline u32 mobj_obj_data_len(const struct mobj_obj *obj)
{
	return obj->ext ? obj->ext->data_len : 0;
}

static inline u32 mobj_obj_nwatchers(const struct mobj_obj *obj)
{
	return obj->ext ? obj->ext->nwatchers : 0;
}

/* Whether weak references or watches are still to be told of its death. */
static inline bool mobj_obj_observed(const struct mobj_obj *obj)
{
	return obj->ext && !list_empty(&obj->ext->observers);
}

struct mobj_obj_ext *mobj_obj_ext(struct mobj_obj *obj);

/*
 * Entries of a referrers list that views of the graph (REFERRERS, debugfs
 * graph) leave out: a slot of a dead object whose references are still
 * being released (its target's refcount counts it until then), and the
 * place of a REFERRERS walk paused with the lock dropped (no owner).
 */
static inline bool mobj_ref_is_marker(const struct mobj_ref *ref)
{
	return !ref->owner;
}

static inline bool mobj_ref_hidden(const struct mobj_ref *ref)
{
	return !ref->owner || ref->owner->gc_state == MOBJ_GC_DEAD;
}

enum mobj_observer_kind {
	MOBJ_OBSERVER_WEAK,
	MOBJ_OBSERVER_WATCH,
};

/**
 * struct mobj_observer - something that wants to know when an object dies
 * @node: entry in obj->ext->observers
 * @obj: the object, or NULL once it died (weak references)
 * @kind: enum mobj_observer_kind
 */
struct mobj_observer {
	struct list_head node;
	struct mobj_obj *obj;
	unsigned int kind;
};

/**
 * struct mobj_watcher - a death notice requested with MOBJ_WATCH
 * @observer: on the object's observers list
 * @client_node: entry in client->watches
 * @client: who gets the event
 * @cookie: the user's cookie
 */
struct mobj_watcher {
	struct mobj_observer observer;
	struct list_head client_node;
	struct mobj_client *client;
	u64 cookie;
};

/**
 * struct mobj_gc_gen - one generation's collector settings and statistics
 * @count: gen 0: allocations minus deallocations since its last
 *	collection; gen 1 and 2: collections of the younger generation since
 *	their own last collection
 * @threshold: collect when @count exceeds it
 * @stats: collections, collected, uncollectable, time
 * @candidates: objects the collections of this generation examined
 */
struct mobj_gc_gen {
	unsigned long count;
	unsigned int threshold;
	struct mobj_gc_gen_stats stats;
	u64 candidates;
};

/* The passes of a collection, in order (mobj_gc.c). */
enum mobj_gc_phase {
	MOBJ_GC_PHASE_IDLE,
	MOBJ_GC_PHASE_TAKE,		/* the generations join the set */
	MOBJ_GC_PHASE_UPDATE,		/* the saved garbage: gc_refs = refcount */
	MOBJ_GC_PHASE_SUBTRACT,		/* internal references subtracted */
	MOBJ_GC_PHASE_ADMIT,		/* objects tracked meanwhile to gen 0 */
	MOBJ_GC_PHASE_SCAN,		/* reachable or (so far) garbage */
	MOBJ_GC_PHASE_PROMOTE,		/* survivors to the next generation */
	MOBJ_GC_PHASE_CLEAR,		/* garbage drops its slots, or is saved */
	MOBJ_GC_PHASE_DESTROY,		/* garbage freed */
};

/**
 * struct mobj_gc_cycle - a collection under way
 * @phase: enum mobj_gc_phase (mobj_gc.c)
 * @generation: the generation collected, reported in death notices
 * @to: the list survivors move to
 * @save: MOBJ_GC_DEBUG_SAVEALL: keep the garbage
 * @unsave: a collection of the saved garbage (del gc.garbage[:]): each
 *	object taken loses the list's reference
 * @quota: with @unsave, only the objects of this client's (NULL: all)
 * @others: with @quota, the other clients' saved objects met by the take,
 *	put back on the garbage list at the end
 * @stats: whether the generation's statistics count this cycle
 * @dry: MOBJ_GC_LEAKS: the garbage is reported, and every object left
 *	where it was
 * @leaks: with @dry, the ids reported (NULL: only counted)
 * @leaks_room: with @dry, room in @leaks
 * @leaks_found: with @dry, how many objects of @leaks_quota the collection
 *	would free
 * @leaks_quota: with @dry, report only the objects of this client's (NULL:
 *	all)
 * @from: the lists the set is taken from, one after the other
 * @nfrom: how many
 * @take: with @quota, objects still to take from @from[0]
 * @young: the set; survivors at the end
 * @arrived: objects tracked while the set was being counted (not in it),
 *	on their way to generation 0
 * @unreachable: garbage so far
 * @cursor: where the current pass resumes, a marker on @young or
 *	@unreachable, moved only where a step ends
 * @survivors: objects that stayed tracked
 * @candidates: objects taken into the set (gc.get_stats()'s "candidates")
 * @res: what is reported
 * @start_ns: when it started
 *
 * The collector works in steps of bounded size and the big lock is dropped
 * between them (see mobj_gc.c).
 */
struct mobj_gc_cycle {
	unsigned int phase;
	unsigned int generation;
	unsigned int to;
	bool save;
	bool stats;
	bool unsave;
	bool dry;
	struct mobj_quota *quota;
	u64 *leaks;
	u32 leaks_room;
	u32 leaks_found;
	struct mobj_quota *leaks_quota;
	struct list_head others;
	unsigned int from[MOBJ_GC_GENERATIONS];
	unsigned int nfrom;
	unsigned long take;
	struct list_head young;
	struct list_head arrived;
	struct list_head unreachable;
	struct list_head cursor;
	unsigned long survivors;
	unsigned long candidates;
	struct mobj_gc_collect res;
	u64 start_ns;
};

/* Buckets of the lock-wait histogram: [2^(i+9), 2^(i+10)) ns, i.e. 1 us up */
#define MOBJ_LOCK_WAIT_BUCKETS	24
#define MOBJ_LOCK_WAIT_SHIFT	10

/**
 * struct mobj_lock_stats - the big lock's figures (debugfs "stats")
 * @acquisitions: times it was taken
 * @contended: times a taker had to wait
 * @wait_ns: total time spent waiting
 * @wait_max_ns: longest wait
 * @hold_max_ns: longest hold
 * @hold_start: when the current holder took it, in ns; 0 when the
 *	acquisition was not timed
 * @hold_start_jiffies: the same, in jiffies, always
 * @hold_max_ip: where the longest hold ended (debugfs shows the function;
 *	the lock helpers are always inlined so that it is the caller's)
 * @wait_hist: contended waits by length: bucket 0 is below 1024 ns, bucket
 *	i counts waits in [2^(i+9), 2^(i+10)) ns, the last one everything
 *	longer
 *
 * Updated by the holder, under the lock.  An uncontended acquisition by a
 * single command reads no clock: its hold is measured in jiffies, and
 * only one that spans more than a tick counts (as the whole ticks it is
 * sure to have lasted).  A contended acquisition, and every step of a long
 * job (mobj_lock_timed()), is timed to the nanosecond by local_clock().
 */
struct mobj_lock_stats {
	u64 acquisitions;
	u64 contended;
	u64 wait_ns;
	u64 wait_max_ns;
	u64 hold_max_ns;
	u64 hold_start;
	unsigned long hold_start_jiffies;
	unsigned long hold_max_ip;
	u64 wait_hist[MOBJ_LOCK_WAIT_BUCKETS];
};

/**
 * struct mobj_heap - one heap: its objects, clients and collector
 * @lock: the big lock (see below)
 * @next_id: id of the next object
 * @live_objects: objects alive
 * @live_handles: strong and weak handles open, all clients
 * @lists: the generation lists, indexed by enum mobj_gen_index
 * @list_count: objects on each list
 * @gen: collector settings and statistics of generations 0-2
 * @gc_enabled: automatic collection on (gc.enable)
 * @gc_debug: MOBJ_GC_DEBUG_* bits
 * @long_lived_total: objects that survived the last full collection
 * @long_lived_pending: objects that have since reached generation 2
 * @clients: the open files
 * @gc_watchers: the clients told of every collection's start and stop
 *	(MOBJ_WATCH_GC), by their @gc_node
 * @ngc_watchers: entries on @gc_watchers (at most gc_watchers_max, so
 *	that telling them all is a bounded step)
 * @exports: the files made by MOBJ_EXPORT (struct mobj_export_ref)
 * @name: the device's name, for fdinfo
 * @next_client_id: id of the next client, for tracing
 * @objects: id -> struct mobj_obj *, every live object
 * @quotas: id -> struct mobj_quota *, every client's and every orphaned
 *	one that objects still count against; open() adds to it under the
 *	XArray's own lock only, before the client is on @clients
 * @quota_hint: the quota an object that died last was charged to (deaths
 *	come in runs of one client's objects), or NULL
 * @type_names: type tag -> its name and owner (mobj_type.c)
 * @type_by_name: the same entries, hashed by name (one name, one tag)
 * @ntype_names: entries in @type_names
 * @events_dropped: death notices dropped because a queue was full
 * @refcount_errors: refcounts that would have wrapped (saturated instead)
 * @dying: objects dead by refcount (or collected) whose slots and memory
 *	are still to be released, oldest first (see mobj_heap_drain())
 * @ndying: entries on @dying
 * @drain_owed: the current holder of the big lock put objects on @dying:
 *	mobj_unlock() releases them, in steps, before it returns
 * @step_spent: units of gc_step_budget a long job (a batch, the release
 *	of an open file) spent in the current hold of the lock: the release
 *	that mobj_unlock() then does counts them against its first step
 * @lockstat: the big lock's figures
 * @lock_waiters: tasks blocked on the big lock; the collector lets them
 *	have it between its steps
 * @debugfs: the device's debugfs directory
 * @gc_work: automatic collection, queued when gen 0's count crosses its
 *	threshold
 * @gc_mutex: held for a whole collection, taken before the big lock;
 *	also by what must not run while one is under way (the checker,
 *	MOBJ_GC_GARBAGE)
 * @cycle: the collection under way, protected by the big lock
 *
 * The big lock, like CPython's GIL, serialises every change to the heap:
 * every field of this struct, of every object (refcounts, slots, reverse
 * edges, payloads, observers, generation lists), of every client (handle
 * tables, quotas, watches, event queues) is read and written under it.
 * Each path that raises a refcount holds it, so the collector, which runs
 * with it held throughout, sees a graph that cannot change under it.  It is
 * a mutex: allocations (GFP_KERNEL) may sleep under it, user memory is never
 * touched under it (a faulting copy would stall every client).
 */
struct mobj_heap {
	struct mutex lock;		/* the big lock, see above */
	u64 next_id;
	unsigned long live_objects;
	unsigned long live_handles;
	struct list_head lists[MOBJ_NR_LISTS];
	unsigned long list_count[MOBJ_NR_LISTS];
	struct mobj_gc_gen gen[MOBJ_GC_GENERATIONS];
	bool gc_enabled;
	u32 gc_debug;
	unsigned long long_lived_total;
	unsigned long long_lived_pending;
	struct list_head clients;
	struct list_head gc_watchers;
	unsigned int ngc_watchers;
	struct list_head exports;
	const char *name;
	u64 next_client_id;
	struct xarray objects;
	struct xarray quotas;
	struct mobj_quota *quota_hint;
	struct xarray type_names;
	DECLARE_HASHTABLE(type_by_name, 8);
	unsigned int ntype_names;
	u64 events_dropped;
	u64 refcount_errors;
	struct list_head dying;
	unsigned long ndying;
	bool drain_owed;
	long step_spent;
	struct mobj_lock_stats lockstat;
	atomic_t lock_waiters;
	struct dentry *debugfs;
	struct work_struct gc_work;
	struct mutex gc_mutex;		/* one collection at a time */
	struct mobj_gc_cycle cycle;
};

/**
 * struct mobj_export_ref - an object held by an exported file descriptor
 * @heap: the object's heap
 * @obj: the object, which this holds one reference to
 * @node: entry in heap->exports
 */
struct mobj_export_ref {
	struct mobj_heap *heap;
	struct mobj_obj *obj;
	struct list_head node;
};

/* Handle numbers per page of a client's handle table (4 KiB on 64-bit). */
#define MOBJ_HANDLE_PAGE_SHIFT 9
#define MOBJ_HANDLES_PER_PAGE BIT(MOBJ_HANDLE_PAGE_SHIFT)

struct mobj_handle_page {
	void __rcu *entry[MOBJ_HANDLES_PER_PAGE];
};

/**
 * struct mobj_handle_dir - the pages of a client's handle table
 * @rcu: frees a directory that a larger one replaced, after lock-free
 *	readers are done with it
 * @npages: room in @page, a power of two
 * @page: handle h is entry h % MOBJ_HANDLES_PER_PAGE of page
 *	h / MOBJ_HANDLES_PER_PAGE; pages are allocated as the lowest free
 *	number reaches them, and kept until the file is released
 */
struct mobj_handle_dir {
	struct rcu_head rcu;
	unsigned long npages;
	struct mobj_handle_page __rcu *page[];
};

/**
 * struct mobj_handle_table - a client's handles, as the fd table keeps
 *	file descriptors: numbers are reused, lowest free first
 * @dir: the pages, replaced by a larger copy when the table grows;
 *	lock-free readers load it under rcu_read_lock()
 * @used: a bit per number @dir has room for, set while it is reserved,
 *	pending or published (bit 0 is always set: 0 names no handle)
 * @full: a bit per word of @used, set while that word is all ones
 * @nbits: numbers @dir has room for
 * @next: the lowest free number (@nbits when there is none)
 *
 * Only @dir and the pages are read without the big lock.
 */
struct mobj_handle_table {
	struct mobj_handle_dir __rcu *dir;
	unsigned long *used;
	unsigned long *full;
	unsigned long nbits;
	unsigned long next;
};

/* Objects a pool holds at most (mobj_pool.c). */
#define MOBJ_POOL_MAX 64

/**
 * struct mobj_pool - objects of one slab cache, handed out in address order
 * @lock: guards the rest
 * @cache: where the objects come from and go back to
 * @n: how many @free holds
 * @refill: how many the next refill asks for
 * @refilling: a thread of the client is filling @free, without @lock
 * @free: the objects, highest address first: the next one is @free[@n - 1]
 * @node: entry in the list of every pool (the shrinker's)
 */
struct mobj_pool {
	spinlock_t lock;	/* a client's threads allocate without the big lock */
	struct kmem_cache *cache;
	unsigned int n;
	unsigned int refill;
	bool refilling;
	void *free[MOBJ_POOL_MAX];
	struct list_head node;
};

/**
 * struct mobj_client - one open file of the device
 * @heap: the device
 * @id: unique among the device's clients, for tracing
 * @pid: the thread group that opened it
 * @handles: handle -> struct mobj_obj * (strong) or tagged
 *	struct mobj_observer * (weak, MOBJ_WEAK_TAG), in mobj_handle.c
 * @handle_seq: bumped around every removal from @handles, so that a
 *	lock-free reader knows the handle it looked up still named the same
 *	object when it finished (handle numbers are reused, lowest first)
 * @nhandles: handles held
 * @traces: handle -> xa_mk_value(stack depot handle) of where it was made,
 *	with the handle_traces parameter on (mobj_who.c); empty otherwise
 * @quota: objects created by this client
 * @watches: its struct mobj_watcher entries
 * @nwatches: entries on @watches
 * @comm: the command name of the task that opened it
 * @wait: readers of the event queue
 * @events: the event ring, @events_max records, allocated on first WATCH
 * @events_head: first queued record
 * @events_count: records queued
 * @events_max: ring size
 * @events_lost: records dropped since the last read
 * @gc_node: entry in heap->gc_watchers while it watches the collector
 *	(MOBJ_WATCH_GC), else empty
 * @gc_cookie: the cookie its MOBJ_EVENT_GC_START and _STOP records carry
 * @batch_mutex: taken (never waited for) by the MOBJ_BATCH that uses
 *	@batch_ops
 * @batch_ops: room for MOBJ_BATCH_KEEP entries, kept between batches of
 *	up to that many (allocated by the first)
 * @node: entry in heap->clients
 * @obj_pool: where its objects come from, in address order
 * @slot_pool: where its one-slot arrays come from, in address order
 */
struct mobj_client {
	struct mobj_heap *heap;
	u64 id;
	pid_t pid;
	struct mobj_handle_table handles;
	seqcount_mutex_t handle_seq;
	unsigned long nhandles;
	struct xarray traces;
	struct mobj_quota *quota;
	struct list_head watches;
	unsigned long nwatches;
	char comm[TASK_COMM_LEN];
	wait_queue_head_t wait;
	struct mobj_event *events;
	unsigned int events_head;
	unsigned int events_count;
	unsigned int events_max;
	u64 events_lost;
	struct list_head gc_node;
	u64 gc_cookie;
	struct mutex batch_mutex;	/* guards @batch_ops */
	struct mobj_batch_op *batch_ops;
	struct list_head node;
	struct mobj_pool obj_pool;
	struct mobj_pool slot_pool;
};

/*
 * Handle table entries: a strong handle is a plain struct mobj_obj
 * pointer, a weak one a struct mobj_observer pointer tagged with
 * MOBJ_WEAK_TAG.  A handle is made in three steps: reserved
 * (MOBJ_HANDLE_RESERVED: nobody sees it), filled (the entry holds its
 * reference, so the consistency checker accounts for it, but it is still
 * tagged MOBJ_HANDLE_PENDING and lookups do not find it) and published
 * (the tag cleared).  The tag is stored with the pointer, so a lock-free
 * reader sees both or neither.
 */
#define MOBJ_WEAK_TAG 1UL
#define MOBJ_HANDLE_PENDING 2UL
#define MOBJ_HANDLE_RESERVED ((void *)MOBJ_HANDLE_PENDING)
#define MOBJ_TYPE_NAMES_MAX 4096

/* Take the big lock, keeping its figures for debugfs. */
static __always_inline void __mobj_lock(struct mobj_heap *heap, bool timed)
{
	struct mobj_lock_stats *st = &heap->lockstat;
	u64 start, now, wait;

	if (mutex_trylock(&heap->lock)) {
		st->hold_start = timed ? local_clock() : 0;
	} else {
		atomic_inc(&heap->lock_waiters);
		start = local_clock();
		mutex_lock(&heap->lock);
		now = local_clock();
		if (atomic_dec_and_test(&heap->lock_waiters))
			wake_up_var(&heap->lock_waiters);
		wait = now > start ? now - start : 0;
		st->contended++;
		st->wait_ns += wait;
		st->wait_max_ns = max(st->wait_max_ns, wait);
		st->wait_hist[min_t(unsigned int,
				    wait >> MOBJ_LOCK_WAIT_SHIFT ?
				    fls64(wait >> MOBJ_LOCK_WAIT_SHIFT) : 0,
				    MOBJ_LOCK_WAIT_BUCKETS - 1)]++;
		st->hold_start = now;
	}
	st->hold_start_jiffies = jiffies;
	st->acquisitions++;
	heap->drain_owed = false;
	heap->step_spent = 0;
}

/* For one command: costs no clock read unless another task holds it. */
static __always_inline void mobj_lock(struct mobj_heap *heap)
{
	__mobj_lock(heap, false);
}

/* For the steps of a long job: the hold is timed to the nanosecond. */
static __always_inline void mobj_lock_timed(struct mobj_heap *heap)
{
	__mobj_lock(heap, true);
}

/* Let go of the big lock, as it is. */
static __always_inline void __mobj_unlock(struct mobj_heap *heap)
{
	struct mobj_lock_stats *st = &heap->lockstat;
	unsigned long ticks = jiffies - st->hold_start_jiffies;
	u64 now, hold = 0;

	if (st->hold_start) {
		now = local_clock();
		hold = now > st->hold_start ? now - st->hold_start : 0;
	} else if (ticks > 1) {
		hold = jiffies_to_nsecs(ticks - 1);
	}
	if (unlikely(hold > st->hold_max_ns)) {
		st->hold_max_ns = hold;
		st->hold_max_ip = _THIS_IP_;
	}
	mutex_unlock(&heap->lock);
}

void mobj_heap_drain(struct mobj_heap *heap);

/*
 * Let go of the big lock.  If this holder made objects die, what they held
 * is released first, in steps, the lock being handed to waiting clients
 * between them (mobj_heap_drain()): the caller's call returns once the
 * deaths it caused are complete, and nobody else waits long meanwhile.
 */
static __always_inline void mobj_unlock(struct mobj_heap *heap)
{
	if (unlikely(heap->drain_owed))
		mobj_heap_drain(heap);
	else
		__mobj_unlock(heap);
}

/*
 * Between two steps of a long job, with the big lock dropped: a mutex may
 * go straight back to its last holder, so let the clients that waited
 * during the step have it first (for at most @MOBJ_LOCK_YIELD_JIFFIES).
 */
#define MOBJ_LOCK_YIELD_JIFFIES 2

static inline void mobj_lock_handoff(struct mobj_heap *heap)
{
	wait_var_event_timeout(&heap->lock_waiters,
			       !atomic_read(&heap->lock_waiters),
			       MOBJ_LOCK_YIELD_JIFFIES);
	cond_resched();
}

/*
 * A long job's step of @step units (gc_step_budget, 0: unbounded) ends
 * with @budget of them left: the release of what it made die, when the
 * lock is let go, is counted in the same step.
 */
static inline void mobj_step_spent(struct mobj_heap *heap, unsigned int step,
				   long budget)
{
	long s = step;

	heap->step_spent = s && budget < s ? s - budget : 0;
}

/*
 * The boundary between two steps of a long job: let go of the lock (what
 * the step made die is released first), let the waiting clients have it,
 * take it again.
 */
static __always_inline void mobj_lock_yield(struct mobj_heap *heap)
{
	mobj_unlock(heap);
	mobj_lock_handoff(heap);
	mobj_lock_timed(heap);
}

void mobj_gc_touch(struct mobj_heap *heap, struct mobj_obj *obj);
void mobj_gc_track(struct mobj_heap *heap, struct mobj_obj *obj);
u32 mobj_gc_leaks(struct mobj_heap *heap, struct mobj_quota *quota, u64 *ids,
		  u32 room, struct mobj_gc_collect *res);

/* Found garbage by the collection under way: dead to everyone else. */
static inline bool mobj_gc_doomed(struct mobj_heap *heap, struct mobj_obj *obj)
{
	return obj->gc_state == MOBJ_GC_UNREACHABLE &&
	       heap->cycle.phase > MOBJ_GC_PHASE_SCAN && !heap->cycle.save &&
	       !heap->cycle.dry;
}

/*
 * The most references an object can have.  A count that would go past it,
 * or below zero, is a bug: it is reported once per heap and the count
 * saturates, as refcount_t does, so the object leaks instead of being
 * freed while still referenced.
 */
#define MOBJ_REFCOUNT_MAX	((u32)INT_MAX)
#define MOBJ_REFCOUNT_SATURATED	(MOBJ_REFCOUNT_MAX + 1 + (MOBJ_REFCOUNT_MAX >> 1))

void mobj_refcount_bad(struct mobj_heap *heap, struct mobj_obj *obj,
		       const char *what);

/*
 * Every change of a refcount outside the collector goes through these: an
 * object changed while a collection is under way is live for that one.
 */
static inline void mobj_refcount_inc(struct mobj_heap *heap,
				     struct mobj_obj *obj)
{
	u32 old = obj->refcount;

	if (unlikely(!old || old >= MOBJ_REFCOUNT_MAX)) {
		/* Once saturated, a count stays so without a new report. */
		if (old <= MOBJ_REFCOUNT_MAX)
			mobj_refcount_bad(heap, obj, old ? "overflow" :
					  "increment of a dead object");
		return;
	}
	WRITE_ONCE(obj->refcount, old + 1);
	if (unlikely(obj->gc_state != MOBJ_GC_IDLE))
		mobj_gc_touch(heap, obj);
}

/* Returns the new count; a saturated count never reaches zero. */
static inline u32 mobj_refcount_dec(struct mobj_heap *heap,
				    struct mobj_obj *obj)
{
	u32 old = obj->refcount;

	if (unlikely(!old || old > MOBJ_REFCOUNT_MAX)) {
		if (!old)
			mobj_refcount_bad(heap, obj, "underflow");
		return obj->refcount;
	}
	WRITE_ONCE(obj->refcount, old - 1);
	if (unlikely(obj->gc_state != MOBJ_GC_IDLE))
		mobj_gc_touch(heap, obj);
	return old - 1;
}

/* Limits, module parameters of the same names (mobj_limits.c). */
enum mobj_limit_id {
	MOBJ_LIMIT_DATA_MAX,
	MOBJ_LIMIT_SLOTS_MAX,
	MOBJ_LIMIT_OBJECTS_MAX,
	MOBJ_LIMIT_CLIENT_OBJECTS_MAX,
	MOBJ_LIMIT_CLIENT_HANDLES_MAX,
	MOBJ_LIMIT_EVENTS_MAX,
	MOBJ_LIMIT_GC_STEP_BUDGET,
	MOBJ_LIMIT_CLIENT_WATCHES_MAX,
	MOBJ_LIMIT_GC_WATCHERS_MAX,
	MOBJ_NR_LIMITS,
};

unsigned int mobj_limit(enum mobj_limit_id id);

#define mobj_data_max()			mobj_limit(MOBJ_LIMIT_DATA_MAX)
#define mobj_slots_max()		mobj_limit(MOBJ_LIMIT_SLOTS_MAX)
#define mobj_objects_max()		mobj_limit(MOBJ_LIMIT_OBJECTS_MAX)
#define mobj_client_objects_max()	mobj_limit(MOBJ_LIMIT_CLIENT_OBJECTS_MAX)
#define mobj_client_handles_max()	mobj_limit(MOBJ_LIMIT_CLIENT_HANDLES_MAX)
#define mobj_events_max()		mobj_limit(MOBJ_LIMIT_EVENTS_MAX)
#define mobj_gc_step_budget()		mobj_limit(MOBJ_LIMIT_GC_STEP_BUDGET)
#define mobj_client_watches_max()	mobj_limit(MOBJ_LIMIT_CLIENT_WATCHES_MAX)
#define mobj_gc_watchers_max()		mobj_limit(MOBJ_LIMIT_GC_WATCHERS_MAX)

/* Pools of objects in address order (mobj_pool.c). */
void mobj_pool_init(struct mobj_pool *pool, struct kmem_cache *cache);
void *mobj_pool_alloc(struct mobj_pool *pool, gfp_t gfp);
void mobj_pool_destroy(struct mobj_pool *pool);
unsigned long mobj_pools_shrink(unsigned long nr);
int mobj_pools_init(void);
void mobj_pools_exit(void);

/* The heap (mobj_obj.c). */
void mobj_heap_init(struct mobj_heap *heap);
void mobj_heap_destroy(struct mobj_heap *heap);
int mobj_obj_cache_init(void);
void mobj_obj_cache_destroy(void);
void mobj_client_pools_init(struct mobj_client *client);
void mobj_client_pools_destroy(struct mobj_client *client);
struct mobj_obj *mobj_obj_alloc(struct mobj_pool *pool, u32 type, void *data,
				u32 data_len);
void mobj_obj_free_unpublished(struct mobj_obj *obj);
int mobj_obj_insert(struct mobj_heap *heap, struct mobj_obj *obj,
		    struct mobj_quota *quota);
void mobj_obj_get(struct mobj_heap *heap, struct mobj_obj *obj);
void mobj_obj_put(struct mobj_heap *heap, struct mobj_obj *obj);
void mobj_obj_put_close(struct mobj_heap *heap, struct mobj_obj *obj);
void mobj_obj_die(struct mobj_heap *heap, struct mobj_obj *obj, u32 reason,
		  u32 generation);
bool mobj_heap_drain_step(struct mobj_heap *heap, long *budget,
			  struct list_head *reap);
void mobj_heap_reap(struct list_head *reap);
void mobj_obj_free(struct mobj_obj *obj);
void mobj_heap_drain_locked(struct mobj_heap *heap);
void mobj_obj_queue_dead(struct mobj_heap *heap, struct list_head *dead,
			 unsigned long n);
int mobj_slot_append(struct mobj_heap *heap, struct mobj_pool *pool,
		     struct mobj_obj *obj, struct mobj_obj *target, u32 *index);
int mobj_slot_set(struct mobj_heap *heap, struct mobj_obj *obj, u32 index,
		  struct mobj_obj *target);
int mobj_slot_pop(struct mobj_heap *heap, struct mobj_obj *obj, u32 index);
u32 mobj_slot_pop_moves(const struct mobj_obj *obj, u32 index);
u32 mobj_slot_append_moves(const struct mobj_obj *obj);
void mobj_list_move(struct mobj_heap *heap, struct mobj_obj *obj,
		    unsigned int to);
void mobj_list_del(struct mobj_heap *heap, struct mobj_obj *obj);
struct mobj_quota *mobj_quota_alloc(struct mobj_heap *heap);
void mobj_quota_put(struct mobj_heap *heap, struct mobj_quota *quota);

/**
 * struct mobj_check - one run of the consistency checker (mobj_check.c)
 * @report: called with each problem found, one line without newline
 * @held: optional; adds the caller's own references to each object's
 *	gc_refs (the KUnit suites hold objects without handles)
 * @errors: problems found
 * @objects: objects checked
 * @edges: slots checked
 */
struct mobj_check {
	void (*report)(struct mobj_check *chk, const char *msg);
	void (*held)(struct mobj_check *chk, struct mobj_heap *heap);
	unsigned long errors;
	unsigned long objects;
	unsigned long edges;
};

unsigned long mobj_heap_check(struct mobj_heap *heap, struct mobj_check *chk);

/* debugfs (mobj_debugfs.c). */
void mobj_debugfs_init(struct mobj_heap *heap, const char *name);
void mobj_debugfs_exit(struct mobj_heap *heap);
struct seq_file;
void mobj_client_show(struct seq_file *m, struct mobj_client *client,
		      bool fdinfo);

/**
 * struct mobj_debugfs_query - the head of a query file's per-open state
 * @heap: the device
 * @lock: serialises the writer of a query and the reader of its answer
 *
 * "graph" and "who" are written a query, then read the answer; each open
 * file keeps its own query in a struct that starts with this one.
 */
struct mobj_debugfs_query {
	struct mobj_heap *heap;
	struct mutex lock;	/* the query and its answer */
};

int mobj_debugfs_query_open(struct inode *inode, struct file *file,
			    size_t size, int (*show)(struct seq_file *, void *));
int mobj_debugfs_query_release(struct inode *inode, struct file *file);
int mobj_debugfs_query_find(struct mobj_debugfs_query *q, u64 id);
void mobj_graph_debugfs_init(struct mobj_heap *heap, struct dentry *dir);

/* Walking and freeing a client's handle table (mobj_handle.c). */
void *mobj_handle_next(struct mobj_client *client, u32 *handle);
void mobj_handles_destroy(struct mobj_client *client);

static inline bool mobj_entry_is_weak(void *entry)
{
	return (unsigned long)entry & MOBJ_WEAK_TAG;
}

/* The entry of a weak handle to @ob, and back. */
static inline void *mobj_entry_weak(struct mobj_observer *ob)
{
	return (void *)((unsigned long)ob | MOBJ_WEAK_TAG);
}

static inline struct mobj_observer *mobj_entry_observer(void *entry)
{
	return (void *)((unsigned long)entry & ~MOBJ_WEAK_TAG);
}

/* An entry as mobj_handle_next() finds it: filled but not published. */
static inline bool mobj_entry_is_pending(void *entry)
{
	return (unsigned long)entry & MOBJ_HANDLE_PENDING;
}

static inline void *mobj_entry_untag_pending(void *entry)
{
	return (void *)((unsigned long)entry & ~MOBJ_HANDLE_PENDING);
}

/* Handle traces and debugfs "who" (mobj_who.c). */
DECLARE_STATIC_KEY_FALSE(mobj_handle_traces_key);
void mobj_handle_trace_record(struct mobj_client *client, u32 handle);
void mobj_who_debugfs_init(struct mobj_heap *heap, struct dentry *dir);

/* With handle_traces off, a static branch: nothing is done. */
static inline void mobj_handle_trace(struct mobj_client *client, u32 handle)
{
	if (static_branch_unlikely(&mobj_handle_traces_key))
		mobj_handle_trace_record(client, handle);
}

static inline void mobj_handle_trace_forget(struct mobj_client *client,
					    u32 handle)
{
	if (!xa_empty(&client->traces))
		xa_erase(&client->traces, handle);
}

/* Type names (mobj_type.c). */
const char *mobj_type_name(struct mobj_heap *heap, u32 type);
void mobj_types_destroy(struct mobj_heap *heap);
long mobj_type_histogram(struct mobj_heap *heap, struct mobj_quota *quota,
			 struct mobj_type_count **counts, u64 *objects);

/* Events (mobj_event.c). */
void mobj_client_post(struct mobj_client *client, const struct mobj_event *ev);
void mobj_gc_notify(struct mobj_heap *heap, u32 reason, u32 generation,
		    u64 collected, u64 uncollectable);

/* The cycle collector (mobj_gc.c). */
int mobj_gc_wq_init(void);
void mobj_gc_wq_destroy(void);
void mobj_gc_init(struct mobj_heap *heap);
void mobj_gc_maybe_queue(struct mobj_heap *heap);
void mobj_gc_queue_drain(struct mobj_heap *heap);
void mobj_gc_throttle(struct mobj_heap *heap);
unsigned long mobj_gc_collect(struct mobj_heap *heap, unsigned int generation,
			      struct mobj_gc_collect *res);
void mobj_gc_collect_incremental(struct mobj_heap *heap, unsigned int generation,
				 struct mobj_gc_collect *res);
void mobj_gc_collect_generations(struct mobj_heap *heap, bool incremental);
void mobj_gc_cycle_begin(struct mobj_heap *heap, unsigned int generation);
bool mobj_gc_cycle_step(struct mobj_heap *heap, unsigned long budget);
unsigned long mobj_gc_freeze(struct mobj_heap *heap, bool incremental);
unsigned long mobj_gc_unfreeze(struct mobj_heap *heap, bool incremental);
void mobj_gc_garbage_clear(struct mobj_heap *heap, struct mobj_quota *quota,
			   bool incremental);

#endif /* _MOBJ_H */
