/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mobj: managed objects with reference counting and a cycle collector.
 *
 * This header is the whole contract between the mobj module and user space.
 */
#ifndef _UAPI_LINUX_MOBJ_H
#define _UAPI_LINUX_MOBJ_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * The ioctl type, free in Documentation/userspace-api/ioctl/ioctl-number.rst
 * (0xCF is cifs', 0xDB mwave's; nothing between).  The first ABI used
 * 0xB8, which the kernel has since given to mshv and Marvell's CN10K DPI.
 */
#define MOBJ_TYPE 0xD6

/* Bumped when a command or a field is added; old callers keep working. */
#define MOBJ_ABI_VERSION 1

/**
 * DOC: General ioctl format
 *
 * Every command takes a pointer to a struct whose first member is
 * "__u32 size", the size of the struct as the caller knows it, and which
 * carries "__u32 flags".  The kernel accepts any size between the command's
 * first version and any later one:
 *
 *  - a size smaller than the command's first version:             -EINVAL
 *  - a larger size whose bytes past the kernel's struct are not 0: -E2BIG
 *  - a bad pointer to the struct or to a buffer it names:         -EFAULT
 *
 * Output fields are written back only up to the caller's size.
 *
 * Errors shared by all commands:
 *
 *  ======== ===============================================================
 *  ENOTTY   unknown command
 *  EINVAL   unknown flag bit, non-zero reserved field, bad value
 *  ENOENT   no handle of that number in this open file (never existed,
 *           already closed, or belongs to another open file)
 *  ERANGE   slot index or payload offset out of range
 *  EMSGSIZE payload longer than the data_max limit
 *  EFBIG    an object would have more than slots_max slots
 *  EDQUOT   this open file already owns client_objects_max live objects
 *  ENOSPC   the device already has objects_max live objects, 4096
 *           named types (MOBJ_TYPE_NAME), or gc_watchers_max open
 *           files watching its collector (MOBJ_WATCH_GC); or this open
 *           file already has client_watches_max death notices asked for
 *           (MOBJ_WATCH); open() of the device when 16777215 open
 *           files, and closed ones whose objects still live, are
 *           charged for objects
 *  EMFILE   this open file already has client_handles_max handles
 *  ESTALE   a weak handle whose object has died
 *  EPERM    a command that changes the heap for every client (GC_SET,
 *           GC_FREEZE) without CAP_SYS_ADMIN; another user's type name;
 *           MOBJ_TYPE_COUNTS_ALL without CAP_SYS_ADMIN
 *  EEXIST   a type name that another tag has
 *  EXDEV    MOBJ_IMPORT of an object of another device
 *  EBADF    MOBJ_IMPORT of a descriptor that is not open
 *  ENOMEM   out of memory, or the memory cgroup limit was hit
 *  EFAULT   bad user pointer
 *  ======== ===============================================================
 *
 * A command that fails changes nothing: refcounts, slots, handles, payloads
 * and the device's counters are exactly as before the call.
 */

/**
 * DOC: Tenancy
 *
 * A device is one heap that many clients (open files, of many users when
 * its mode allows) share.  Objects are reached only through handles, and
 * a handle exists only in the open file that made it: no client can name,
 * read or change another's objects unless they were handed to it (a
 * shared open file, or a slot of an object it can reach).  What acts on
 * the whole heap is split so:
 *
 *  - GC_SET (enable, thresholds, debug flags) and GC_FREEZE/UNFREEZE change
 *    the collector for every client: they need CAP_SYS_ADMIN (-EPERM
 *    otherwise, nothing changed).
 *  - GC_GET, GC_STATS and GC_COLLECT are open to everyone.  A collection
 *    frees only objects that nothing outside the collected set refers to,
 *    so no client loses an object it can reach: it only makes garbage die
 *    sooner (at the latest it would at the next automatic collection),
 *    and it runs in bounded steps that let other clients have the lock.
 *  - GC_GARBAGE hands out, and CLEAR clears, only the saved garbage made
 *    through the caller's own open file; with CAP_SYS_ADMIN, all of it.
 *    Everyone else's stays saved for them.
 *  - A type name belongs to the user (effective uid) that set it; only
 *    that user or CAP_SYS_ADMIN may rename or remove it (-EPERM), and a
 *    name is never given to two tags (-EEXIST).  The name stays when the
 *    open file that set it is closed.
 *  - TYPE_COUNTS counts, without CAP_SYS_ADMIN, only the objects the
 *    caller's open file created; MOBJ_TYPE_COUNTS_ALL (the whole device)
 *    needs CAP_SYS_ADMIN (-EPERM).
 *  - debugfs and the module parameters are root's.
 */

/**
 * DOC: Objects, handles and references
 *
 * An object has a unique 64-bit id (never reused while the module is
 * loaded), a type tag, an opaque payload and an ordered list of slots, each
 * a strong reference to an object.  A handle is a small non-zero integer
 * naming an object in one open file (a "client"); each handle owns one
 * strong reference.  Like file descriptors, a new handle gets the lowest
 * number not in use, so the number of a closed handle soon names another
 * object: a call through a stale number may act on it.  An object's
 * refcount is the number of handles, in all clients, plus the number of
 * slots, in all objects, that refer to it.  It is freed when that number
 * reaches zero.  Reference cycles are freed by the cycle collector
 * (MOBJ_GC_*).
 *
 * Handles belong to the open file, not to the process: a forked child, or a
 * process that received the file descriptor over a Unix socket, uses the
 * same handles.  A handle number means nothing in another open file.
 */

enum {
	MOBJ_CMD_BASE = 0x00,
	MOBJ_CMD_QUERY = MOBJ_CMD_BASE,
	MOBJ_CMD_NOP,
	MOBJ_CMD_NEW,
	MOBJ_CMD_DUP,
	MOBJ_CMD_CLOSE,
	MOBJ_CMD_GETREFCOUNT,
	MOBJ_CMD_INFO,
	MOBJ_CMD_DATA_READ,
	MOBJ_CMD_DATA_WRITE,
	MOBJ_CMD_SLOT_APPEND,
	MOBJ_CMD_SLOT_SET,
	MOBJ_CMD_SLOT_GET,
	MOBJ_CMD_SLOT_POP,
	MOBJ_CMD_GC_COLLECT,
	MOBJ_CMD_GC_GET,
	MOBJ_CMD_GC_SET,
	MOBJ_CMD_GC_STATS,
	MOBJ_CMD_GC_FREEZE,
	MOBJ_CMD_GC_GARBAGE,
	MOBJ_CMD_REFERENTS,
	MOBJ_CMD_REFERRERS,
	MOBJ_CMD_WATCH,
	MOBJ_CMD_WEAKREF,
	MOBJ_CMD_WEAKREF_GET,
	MOBJ_CMD_TYPE_NAME,
	MOBJ_CMD_BATCH,
	MOBJ_CMD_EXPORT,
	MOBJ_CMD_IMPORT,
	MOBJ_CMD_GC_LEAKS,
	MOBJ_CMD_TYPE_COUNTS,
};

/**
 * struct mobj_query - MOBJ_QUERY: the ABI, the limits and the counters
 * @size: sizeof(struct mobj_query)
 * @flags: must be 0
 * @abi_version: out, MOBJ_ABI_VERSION of the module
 * @__reserved: must be 0
 * @commands: out, bit N set when command number N is supported
 * @data_max: out, largest payload in bytes
 * @slots_max: out, most slots one object may have
 * @objects_max: out, most live objects on the device
 * @client_objects_max: out, most live objects one client may have created
 * @client_handles_max: out, most handles one client may hold
 * @live_objects: out, objects alive on the device (all clients)
 * @live_handles: out, handles open on the device (all clients)
 * @client_objects: out, live objects created by this client
 * @client_handles: out, handles held by this client
 * @version: out, the module's release, major << 16 | minor << 8 | patch
 * @__reserved2: must be 0
 * @event_size: out, sizeof(struct mobj_event) in this module: read()
 *	returns whole records of this size (later modules may grow them)
 * @batch_op_size: out, sizeof(struct mobj_batch_op) in this module, the
 *	stride of MOBJ_BATCH's array
 */
struct mobj_query {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 __reserved;
	__aligned_u64 commands;
	__u32 data_max;
	__u32 slots_max;
	__aligned_u64 objects_max;
	__aligned_u64 client_objects_max;
	__aligned_u64 client_handles_max;
	__aligned_u64 live_objects;
	__aligned_u64 live_handles;
	__aligned_u64 client_objects;
	__aligned_u64 client_handles;
	__u32 version;
	__u32 __reserved2;
	__u32 event_size;
	__u32 batch_op_size;
};

#define MOBJ_QUERY _IO(MOBJ_TYPE, MOBJ_CMD_QUERY)

/**
 * struct mobj_nop - MOBJ_NOP: do nothing (the cost of the ioctl path)
 * @size: sizeof(struct mobj_nop)
 * @flags: must be 0
 */
struct mobj_nop {
	__u32 size;
	__u32 flags;
};

#define MOBJ_NOP _IO(MOBJ_TYPE, MOBJ_CMD_NOP)

/**
 * struct mobj_new - MOBJ_NEW: create an object
 * @size: sizeof(struct mobj_new)
 * @flags: must be 0
 * @type: the user's type tag, any value
 * @data_len: payload length in bytes, at most data_max
 * @data: pointer to the payload (ignored when @data_len is 0)
 * @handle: out, a new handle owning the object's only reference
 * @__reserved: must be 0
 * @id: out, the object's id
 */
struct mobj_new {
	__u32 size;
	__u32 flags;
	__u32 type;
	__u32 data_len;
	__aligned_u64 data;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 id;
};

#define MOBJ_NEW _IO(MOBJ_TYPE, MOBJ_CMD_NEW)

/**
 * struct mobj_dup - MOBJ_DUP: a second handle to the same object (INCREF)
 * @size: sizeof(struct mobj_dup)
 * @flags: must be 0
 * @handle: the handle to duplicate
 * @new_handle: out, the new handle
 */
struct mobj_dup {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 new_handle;
};

#define MOBJ_DUP _IO(MOBJ_TYPE, MOBJ_CMD_DUP)

/**
 * struct mobj_close - MOBJ_CLOSE: drop a handle and its reference (DECREF)
 * @size: sizeof(struct mobj_close)
 * @flags: must be 0
 * @handle: a strong or weak handle
 * @__reserved: must be 0
 *
 * An object whose refcount reaches zero dies at that moment: its id is
 * gone, it no longer counts as live, its death notices are queued and weak
 * handles to it report -ESTALE.  What it held is released in order, slot
 * after slot, and whatever dies of that dies in turn.  A long cascade (the
 * head of a million-object chain) is released in bounded steps, the
 * device's lock going to other clients between them; they see the objects
 * die one after the other.  The call that started it returns once it is
 * complete.  The same holds for every command and for close() of the
 * file.
 */
struct mobj_close {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
};

#define MOBJ_CLOSE _IO(MOBJ_TYPE, MOBJ_CMD_CLOSE)

/**
 * struct mobj_getrefcount - MOBJ_GETREFCOUNT: an object's refcount
 * @size: sizeof(struct mobj_getrefcount)
 * @flags: must be 0
 * @handle: the object
 * @__reserved: must be 0
 * @refcount: out, handles in all clients plus slots referring to it
 */
struct mobj_getrefcount {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 refcount;
};

#define MOBJ_GETREFCOUNT _IO(MOBJ_TYPE, MOBJ_CMD_GETREFCOUNT)

/* mobj_info.state bits */
enum mobj_state_flags {
	MOBJ_STATE_TRACKED = 1 << 0,	/* seen by the collector */
	MOBJ_STATE_FROZEN = 1 << 1,	/* in the permanent generation */
	MOBJ_STATE_GARBAGE = 1 << 2,	/* kept by MOBJ_GC_DEBUG_SAVEALL */
	MOBJ_STATE_WATCHED = 1 << 3,	/* a client asked for its death */
};

/**
 * struct mobj_info - MOBJ_INFO: everything about one object
 * @size: sizeof(struct mobj_info)
 * @flags: must be 0
 * @handle: the object
 * @type: out, its type tag
 * @id: out, its id
 * @refcount: out, as MOBJ_GETREFCOUNT
 * @data_len: out, payload length
 * @nslots: out, number of slots
 * @generation: out, collector generation 0-2, or 3 when frozen
 * @state: out, MOBJ_STATE_* bits
 */
struct mobj_info {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 type;
	__aligned_u64 id;
	__aligned_u64 refcount;
	__u32 data_len;
	__u32 nslots;
	__u32 generation;
	__u32 state;
};

#define MOBJ_INFO _IO(MOBJ_TYPE, MOBJ_CMD_INFO)

/**
 * struct mobj_data_read - MOBJ_DATA_READ: copy out part of a payload
 * @size: sizeof(struct mobj_data_read)
 * @flags: must be 0
 * @handle: the object
 * @offset: first byte to read; at most the payload length (-ERANGE)
 * @len: in, the buffer's size; out, bytes copied
 * @data_len: out, the payload's whole length
 * @data: pointer to the buffer
 */
struct mobj_data_read {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 offset;
	__u32 len;
	__u32 data_len;
	__aligned_u64 data;
};

#define MOBJ_DATA_READ _IO(MOBJ_TYPE, MOBJ_CMD_DATA_READ)

/**
 * struct mobj_data_write - MOBJ_DATA_WRITE: replace a payload
 * @size: sizeof(struct mobj_data_write)
 * @flags: must be 0
 * @handle: the object
 * @len: new payload length, at most data_max
 * @data: pointer to the new payload
 */
struct mobj_data_write {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 len;
	__aligned_u64 data;
};

#define MOBJ_DATA_WRITE _IO(MOBJ_TYPE, MOBJ_CMD_DATA_WRITE)

/**
 * struct mobj_slot - the slot commands, one struct for all four
 * @size: sizeof(struct mobj_slot)
 * @flags: must be 0
 * @handle: the object whose slots are used
 * @index: the slot (SET, GET, POP); out, the new slot's index (APPEND)
 * @value: the object to store (APPEND, SET); out, a new handle (GET);
 *	must be 0 for POP
 * @__reserved: must be 0
 *
 * MOBJ_SLOT_APPEND(handle, value): a.append(b); value's refcount + 1.
 * MOBJ_SLOT_SET(handle, index, value): a[i] = b; drops the old reference.
 * MOBJ_SLOT_GET(handle, index): a new handle to a[i].
 * MOBJ_SLOT_POP(handle, index): del a[i]; later slots move down by one
 *   (the kernel moves the shorter side: popping either end costs O(1),
 *   amortized).
 */
struct mobj_slot {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 index;
	__u32 value;
	__u32 __reserved;
};

#define MOBJ_SLOT_APPEND _IO(MOBJ_TYPE, MOBJ_CMD_SLOT_APPEND)
#define MOBJ_SLOT_SET _IO(MOBJ_TYPE, MOBJ_CMD_SLOT_SET)
#define MOBJ_SLOT_GET _IO(MOBJ_TYPE, MOBJ_CMD_SLOT_GET)
#define MOBJ_SLOT_POP _IO(MOBJ_TYPE, MOBJ_CMD_SLOT_POP)

/**
 * DOC: The cycle collector
 *
 * Python's gc module, per device: objects with slots are tracked in three
 * generations plus a permanent (frozen) one.  count[0] is allocations minus
 * deallocations since the last generation-0 collection; when it exceeds
 * threshold[0] a collection is queued on a workqueue.  Generation 1 is
 * collected every threshold[1] generation-0 collections, generation 2 every
 * threshold[2] generation-1 collections once the objects awaiting their
 * first full collection exceed 25% of the long-lived ones.
 */
#define MOBJ_GC_GENERATIONS 3

/**
 * struct mobj_gc_collect - MOBJ_GC_COLLECT: gc.collect(generation)
 * @size: sizeof(struct mobj_gc_collect)
 * @flags: must be 0
 * @generation: collect generations 0..@generation (0-2)
 * @__reserved: must be 0
 * @collected: out, objects found unreachable and freed (or saved)
 * @uncollectable: out, always 0: mobj objects have no finalizers
 * @examined: out, tracked objects examined
 * @duration_ns: out, time the collection took
 */
struct mobj_gc_collect {
	__u32 size;
	__u32 flags;
	__u32 generation;
	__u32 __reserved;
	__aligned_u64 collected;
	__aligned_u64 uncollectable;
	__aligned_u64 examined;
	__aligned_u64 duration_ns;
};

#define MOBJ_GC_COLLECT _IO(MOBJ_TYPE, MOBJ_CMD_GC_COLLECT)

/* mobj_gc_state.debug bits */
enum mobj_gc_debug_flags {
	MOBJ_GC_DEBUG_SAVEALL = 1 << 0,	/* keep garbage, do not free */
};

/**
 * struct mobj_gc_state - MOBJ_GC_GET: the collector's settings and counts
 * @size: sizeof(struct mobj_gc_state)
 * @flags: must be 0
 * @enabled: out, 1 when automatic collection is enabled (gc.isenabled)
 * @debug: out, MOBJ_GC_DEBUG_* bits
 * @threshold: out, gc.get_threshold()
 * @__reserved: must be 0
 * @count: out, gc.get_count()
 * @freeze_count: out, objects in the permanent generation
 * @garbage_count: out, objects on the saved garbage list
 */
struct mobj_gc_state {
	__u32 size;
	__u32 flags;
	__u32 enabled;
	__u32 debug;
	__u32 threshold[MOBJ_GC_GENERATIONS];
	__u32 __reserved;
	__aligned_u64 count[MOBJ_GC_GENERATIONS];
	__aligned_u64 freeze_count;
	__aligned_u64 garbage_count;
};

#define MOBJ_GC_GET _IO(MOBJ_TYPE, MOBJ_CMD_GC_GET)

/* mobj_gc_set.flags: which fields to apply */
enum mobj_gc_set_flags {
	MOBJ_GC_SET_ENABLED = 1 << 0,
	MOBJ_GC_SET_THRESHOLD = 1 << 1,
	MOBJ_GC_SET_DEBUG = 1 << 2,
};

/**
 * struct mobj_gc_set - MOBJ_GC_SET: enable, disable, thresholds, debug
 * @size: sizeof(struct mobj_gc_set)
 * @flags: MOBJ_GC_SET_* bits naming the fields to apply
 * @enabled: 0 or 1 (gc.disable / gc.enable)
 * @debug: MOBJ_GC_DEBUG_* bits (gc.set_debug)
 * @threshold: gc.set_threshold(); threshold[0] = 0 disables automatic
 *	collection, threshold[1] and threshold[2] must be at least 1
 * @__reserved: must be 0
 *
 * Needs CAP_SYS_ADMIN: the settings are the device's, for every client.
 */
struct mobj_gc_set {
	__u32 size;
	__u32 flags;
	__u32 enabled;
	__u32 debug;
	__u32 threshold[MOBJ_GC_GENERATIONS];
	__u32 __reserved;
};

#define MOBJ_GC_SET _IO(MOBJ_TYPE, MOBJ_CMD_GC_SET)

/**
 * struct mobj_gc_gen_stats - one generation's statistics (gc.get_stats)
 * @collections: collections of this generation
 * @collected: objects it freed (or saved)
 * @uncollectable: always 0
 * @total_ns: time spent collecting it (gc.get_stats()'s "duration", in
 *	seconds)
 */
struct mobj_gc_gen_stats {
	__aligned_u64 collections;
	__aligned_u64 collected;
	__aligned_u64 uncollectable;
	__aligned_u64 total_ns;
};

/**
 * struct mobj_gc_stats - MOBJ_GC_STATS: gc.get_stats()
 * @size: sizeof(struct mobj_gc_stats)
 * @flags: must be 0
 * @gen: out, one entry per generation
 * @candidates: out, per generation: the objects the collections of that
 *	generation examined, summed over them (CPython 3.14's "candidates"):
 *	every object on the lists of the generations collected, counted
 *	when they join the set.  Added after the first version, which ended
 *	at @gen: a caller with that size gets no @candidates.
 */
struct mobj_gc_stats {
	__u32 size;
	__u32 flags;
	struct mobj_gc_gen_stats gen[MOBJ_GC_GENERATIONS];
	__aligned_u64 candidates[MOBJ_GC_GENERATIONS];
};

#define MOBJ_GC_STATS _IO(MOBJ_TYPE, MOBJ_CMD_GC_STATS)

/* mobj_gc_freeze.flags */
enum mobj_gc_freeze_flags {
	MOBJ_GC_UNFREEZE = 1 << 0,
};

/**
 * struct mobj_gc_freeze - MOBJ_GC_FREEZE: gc.freeze() / gc.unfreeze()
 * @size: sizeof(struct mobj_gc_freeze)
 * @flags: 0 to freeze, MOBJ_GC_UNFREEZE to unfreeze
 * @moved: out, objects moved into (or out of) the permanent generation
 *
 * Freeze moves every tracked object into the permanent generation, which
 * is never collected; unfreeze moves them back into generation 2.  Needs
 * CAP_SYS_ADMIN: it moves every client's objects.
 */
struct mobj_gc_freeze {
	__u32 size;
	__u32 flags;
	__aligned_u64 moved;
};

#define MOBJ_GC_FREEZE _IO(MOBJ_TYPE, MOBJ_CMD_GC_FREEZE)

/* mobj_gc_garbage.flags */
enum mobj_gc_garbage_flags {
	MOBJ_GC_GARBAGE_CLEAR = 1 << 0,	/* del gc.garbage[:] */
};

/**
 * struct mobj_gc_garbage - MOBJ_GC_GARBAGE: gc.garbage
 * @size: sizeof(struct mobj_gc_garbage)
 * @flags: MOBJ_GC_GARBAGE_* bits
 * @count: in, room in @handles; out, objects on the garbage list that the
 *	caller may have (see below)
 * @filled: out, new handles written to @handles
 * @handles: pointer to an array of __u32, filled with new handles to the
 *	first min(@count, garbage length) saved objects
 *
 * With MOBJ_GC_GARBAGE_CLEAR the list's references are dropped after the
 * handles are made, so garbage nobody took a handle to is freed.  Like
 * gc.garbage, the list holds a reference to each saved object: it counts
 * in the object's refcount.  Without CAP_SYS_ADMIN a client sees, and
 * clears, only the garbage made through its own open file.
 */
struct mobj_gc_garbage {
	__u32 size;
	__u32 flags;
	__u32 count;
	__u32 filled;
	__aligned_u64 handles;
};

#define MOBJ_GC_GARBAGE _IO(MOBJ_TYPE, MOBJ_CMD_GC_GARBAGE)

/**
 * struct mobj_refs - MOBJ_REFERENTS and MOBJ_REFERRERS
 * @size: sizeof(struct mobj_refs)
 * @flags: must be 0
 * @handle: the object
 * @count: in, room in @ids; out, how many there are in all
 * @ids: pointer to an array of __u64, filled with the first min(@count,
 *	total) ids
 *
 * MOBJ_REFERENTS: the ids in the object's slots, in slot order
 * (gc.get_referents).  MOBJ_REFERRERS: the ids of the objects with a slot
 * referring to it, one entry per such slot (gc.get_referrers), found
 * through reverse edges in time proportional to the in-degree.  Handles
 * are not objects and are not listed.  A long list is walked in bounded
 * steps, other clients running between them: it is then what the walk
 * found as it went, not a snapshot.
 */
struct mobj_refs {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 count;
	__aligned_u64 ids;
};

#define MOBJ_REFERENTS _IO(MOBJ_TYPE, MOBJ_CMD_REFERENTS)
#define MOBJ_REFERRERS _IO(MOBJ_TYPE, MOBJ_CMD_REFERRERS)

/**
 * struct mobj_gc_leaks - MOBJ_GC_LEAKS: what a collection would free now
 * @size: sizeof(struct mobj_gc_leaks)
 * @flags: must be 0
 * @count: in, room in @ids; out, how many objects the collection would
 *	free (of those the caller may see)
 * @__reserved: must be 0
 * @ids: pointer to an array of __u64, filled with the first min(@count,
 *	total) ids
 * @examined: out, objects the collection examined (all tracked objects)
 *
 * objgraph.get_leaking_objects(): a collection of every generation that
 * frees nothing, promotes nothing and counts in no statistics: the objects
 * it finds unreachable (kept alive only by reference cycles) are reported
 * and left as they were; the next real collection frees them unless
 * something refers to them by then.  Without CAP_SYS_ADMIN a client sees
 * only the objects it created; the collection itself examines the whole
 * heap, in bounded steps like any other.
 */
struct mobj_gc_leaks {
	__u32 size;
	__u32 flags;
	__u32 count;
	__u32 __reserved;
	__aligned_u64 ids;
	__aligned_u64 examined;
};

#define MOBJ_GC_LEAKS _IO(MOBJ_TYPE, MOBJ_CMD_GC_LEAKS)

/**
 * struct mobj_type_count - one entry of MOBJ_TYPE_COUNTS' array
 * @type: a type tag
 * @__reserved: 0
 * @count: live objects of that type
 */
struct mobj_type_count {
	__u32 type;
	__u32 __reserved;
	__aligned_u64 count;
};

/* mobj_type_counts.flags */
enum mobj_type_counts_flags {
	MOBJ_TYPE_COUNTS_ALL = 1 << 0,	/* every client's objects (admin) */
};

/**
 * struct mobj_type_counts - MOBJ_TYPE_COUNTS: live objects per type tag
 * @size: sizeof(struct mobj_type_counts)
 * @flags: 0 for the objects this open file created (alive, wherever
 *	they are referred to from), MOBJ_TYPE_COUNTS_ALL for every live
 *	object of the device, which needs CAP_SYS_ADMIN (-EPERM)
 * @count: in, room in @types; out, how many distinct types there are
 * @__reserved: must be 0
 * @types: pointer to an array of struct mobj_type_count, filled with the
 *	first min(@count, types) entries, most objects first, ties by tag
 * @objects: out, objects counted (the sum over all types)
 *
 * objgraph.typestats() for one client, without debugfs: the device's
 * objects are walked in id order, the lock handed to other clients every
 * gc_step_budget objects (module parameter), so on a changing heap the
 * counts are what the walk found as it went, not a snapshot.  The walk
 * costs time in the device's objects, memory in the distinct types.
 */
struct mobj_type_counts {
	__u32 size;
	__u32 flags;
	__u32 count;
	__u32 __reserved;
	__aligned_u64 types;
	__aligned_u64 objects;
};

#define MOBJ_TYPE_COUNTS _IO(MOBJ_TYPE, MOBJ_CMD_TYPE_COUNTS)

/* mobj_watch.flags */
enum mobj_watch_flags {
	MOBJ_WATCH_CANCEL = 1 << 0,	/* take back a watch (unwatch) */
	MOBJ_WATCH_GC = 1 << 1,		/* the collector's start and stop */
};

/**
 * struct mobj_watch - MOBJ_WATCH: ask for a death notice, or take it back
 * @size: sizeof(struct mobj_watch)
 * @flags: 0, MOBJ_WATCH_CANCEL, MOBJ_WATCH_GC, or both of these
 * @handle: the object to watch; with MOBJ_WATCH_GC, must be 0
 * @__reserved: must be 0
 * @cookie: returned in the event
 *
 * When the object dies a struct mobj_event can be read() from this file;
 * poll() reports EPOLLIN while events are queued.  An open file has at
 * most client_watches_max watches pending (module parameter, default
 * 65536): one more fails with -ENOSPC.  With MOBJ_WATCH_CANCEL, one watch
 * this open file has on the object with this cookie is removed (-ENOENT
 * when there is none): no notice will come for it, and it no longer
 * counts against client_watches_max.
 *
 * With MOBJ_WATCH_GC the open file watches the cycle collector instead,
 * CPython's gc.callbacks: every collection of the device that counts in
 * MOBJ_GC_STATS (GC_COLLECT by any client, and the automatic ones; not
 * MOBJ_GC_LEAKS's dry run nor the clearing of the saved garbage) queues a
 * MOBJ_EVENT_GC_START record when it starts and a MOBJ_EVENT_GC_STOP
 * record when it ends, after the death notices of its garbage.  They
 * reveal only counts, never which objects, so every client may watch
 * every collection.  They share the queue of death notices: when it is
 * full they are dropped and counted in a MOBJ_EVENT_LOST record.  Asking
 * again only changes the cookie; it does not count against
 * client_watches_max.  At most gc_watchers_max open files of a device
 * (module parameter, default 1024) watch its collector: one more fails
 * with -ENOSPC.  MOBJ_WATCH_GC | MOBJ_WATCH_CANCEL stops it (-ENOENT when
 * the file was not watching); records already queued stay.
 */
struct mobj_watch {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 cookie;
};

#define MOBJ_WATCH _IO(MOBJ_TYPE, MOBJ_CMD_WATCH)

/* mobj_event.reason */
#define MOBJ_EVENT_REFCOUNT	1	/* its refcount reached zero */
#define MOBJ_EVENT_CYCLE	2	/* the cycle collector freed it */
#define MOBJ_EVENT_LOST		3	/* @lost events were dropped */
#define MOBJ_EVENT_GC_START	4	/* a collection started */
#define MOBJ_EVENT_GC_STOP	5	/* it ended (@id, @lost: its counts) */

/**
 * struct mobj_event - one record read() from /dev/mobj
 * @cookie: the cookie given to MOBJ_WATCH
 * @id: the object's id; MOBJ_EVENT_GC_STOP: the objects the collection
 *	found unreachable (gc.callbacks' "collected"); MOBJ_EVENT_GC_START: 0
 * @type: the object's type tag; 0 for MOBJ_EVENT_GC_*
 * @reason: MOBJ_EVENT_*
 * @generation: the generation it died in (MOBJ_EVENT_CYCLE); the oldest
 *	generation collected (MOBJ_EVENT_GC_START and _STOP)
 * @__reserved: 0
 * @lost: MOBJ_EVENT_LOST: events dropped because the queue was full;
 *	MOBJ_EVENT_GC_STOP: uncollectable objects ("uncollectable", always
 *	0 today); MOBJ_EVENT_GC_START: 0
 *
 * MOBJ_EVENT_GC_START and _STOP come to a file that asked with
 * MOBJ_WATCH_GC; a collection's records arrive in order: its start, the
 * MOBJ_EVENT_CYCLE notices of the garbage it found, its stop.  (Objects
 * that die because the garbage let go of them are told afterwards, with
 * MOBJ_EVENT_REFCOUNT, and so are an object's watchers past the first 64.)
 */
struct mobj_event {
	__aligned_u64 cookie;
	__aligned_u64 id;
	__u32 type;
	__u32 reason;
	__u32 generation;
	__u32 __reserved;
	__aligned_u64 lost;
};

/**
 * struct mobj_weakref - MOBJ_WEAKREF and MOBJ_WEAKREF_GET
 * @size: sizeof(struct mobj_weakref)
 * @flags: must be 0
 * @handle: MOBJ_WEAKREF: a strong handle; MOBJ_WEAKREF_GET: a weak one
 * @result: out, MOBJ_WEAKREF: a new weak handle; MOBJ_WEAKREF_GET: a new
 *	strong handle, or -ESTALE once the object is dead
 *
 * A weak handle does not count in the refcount; close it with MOBJ_CLOSE.
 * Other commands given a weak handle fail with -EINVAL.
 */
struct mobj_weakref {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 result;
};

#define MOBJ_WEAKREF _IO(MOBJ_TYPE, MOBJ_CMD_WEAKREF)
#define MOBJ_WEAKREF_GET _IO(MOBJ_TYPE, MOBJ_CMD_WEAKREF_GET)

#define MOBJ_TYPE_NAME_MAX 32

/* mobj_type_name.flags */
enum mobj_type_name_flags {
	MOBJ_TYPE_NAME_GET = 1 << 0,	/* read the name instead of setting it */
	MOBJ_TYPE_NAME_LOOKUP = 1 << 1,	/* find the tag that has the name */
};

/**
 * struct mobj_type_name - MOBJ_TYPE_NAME: name a type tag for tracing
 * @size: sizeof(struct mobj_type_name)
 * @flags: 0 to set the name, MOBJ_TYPE_NAME_GET to read it,
 *	MOBJ_TYPE_NAME_LOOKUP to find the tag that has @name (-ENOENT when
 *	no tag has it; both flags together: -EINVAL)
 * @type: the type tag; out with MOBJ_TYPE_NAME_LOOKUP (ignored in)
 * @__reserved: must be 0
 * @name: 1 to 31 characters from [A-Za-z0-9_.:<>-], NUL-terminated, the
 *	rest of the array zero; an empty string removes the name.  Out with
 *	MOBJ_TYPE_NAME_GET (empty when the type has none); in with
 *	MOBJ_TYPE_NAME_LOOKUP, by the same rules, not empty.
 *
 * Names belong to the device, are shared by all clients and appear in
 * debugfs and in tracing.  At most 4096 types have a name (-ENOSPC).  A
 * name belongs to the user that set it: another user's rename or removal
 * fails with -EPERM (CAP_SYS_ADMIN may); a name another tag has, -EEXIST.
 */
struct mobj_type_name {
	__u32 size;
	__u32 flags;
	__u32 type;
	__u32 __reserved;
	char name[MOBJ_TYPE_NAME_MAX];
};

#define MOBJ_TYPE_NAME _IO(MOBJ_TYPE, MOBJ_CMD_TYPE_NAME)

/**
 * DOC: Batches
 *
 * MOBJ_BATCH runs an array of operations in order, like binder's write
 * buffer, without a system call per entry.  It is not atomic: entries run
 * in chunks of bounded work (gc_step_budget, module parameter), each under
 * one acquisition of the device's lock, and other clients may run between
 * two chunks; handles made by an entry are usable by other threads of the
 * caller at once.  Each entry names a
 * command (NEW without payload, DUP, CLOSE, GETREFCOUNT, SLOT_APPEND,
 * SLOT_SET, SLOT_GET, SLOT_POP) and its operands; a handle operand may be
 * MOBJ_BATCH_RESULT(i), the handle made by entry i (< this entry) of the
 * same batch, as long as it is open: once an entry of the batch closed it,
 * MOBJ_BATCH_RESULT(i) fails with -ENOENT (its number may name another
 * handle by then).  An entry naming any other command fails with -EINVAL,
 * whatever its operands.  Execution stops at the first entry that fails:
 * that entry changes nothing, every entry before it is done.  The ioctl
 * then returns that entry's error, with @done set to its index; @done ==
 * @count and 0 when every entry succeeded.
 *
 * @done is written back whenever struct mobj_batch itself is writable:
 *  - 0 when the call failed before the first entry ran (unknown flags, a
 *    @count of 0 or above MOBJ_BATCH_MAX: -EINVAL; an @ops array that
 *    cannot be read and written: -EFAULT).  Nothing ran, nothing changed.
 *  - if the results cannot be written back to @ops after the entries ran
 *    (another thread unmapped or write-protected the array meanwhile), the
 *    ioctl fails with -EFAULT and @done still says how many entries ran.
 *    Their effects stand, except that the handles they made (NEW, DUP,
 *    SLOT_GET results) and did not close are closed again: the caller
 *    could not learn their numbers.  (A number the batch closed may be
 *    taken by another thread of the caller meanwhile; a thread that closes
 *    a number the batch made, without knowing it, may see that number
 *    closed again.)
 */
#define MOBJ_BATCH_MAX 4096
#define MOBJ_BATCH_RESULT_FLAG 0x80000000u
#define MOBJ_BATCH_RESULT(i) (MOBJ_BATCH_RESULT_FLAG | (__u32)(i))

/**
 * struct mobj_batch_op - one operation of a batch
 * @cmd: MOBJ_CMD_NEW, _DUP, _CLOSE, _GETREFCOUNT, _SLOT_APPEND, _SLOT_SET,
 *	_SLOT_GET or _SLOT_POP
 * @flags: must be 0
 * @handle: the object operated on (NEW: the type tag)
 * @index: slot index (SET, GET, POP), otherwise 0
 * @value: the object stored (APPEND, SET), otherwise 0
 * @error: out, 0 or the entry's negative errno (only the failing entry
 *	and those before it are written)
 * @result: out, NEW, DUP, SLOT_GET: the new handle; GETREFCOUNT: the
 *	refcount
 */
struct mobj_batch_op {
	__u32 cmd;
	__u32 flags;
	__u32 handle;
	__u32 index;
	__u32 value;
	__s32 error;
	__aligned_u64 result;
};

/**
 * struct mobj_batch - MOBJ_BATCH: several operations, one lock acquisition
 * @size: sizeof(struct mobj_batch)
 * @flags: must be 0
 * @count: entries in @ops, 1 to MOBJ_BATCH_MAX
 * @done: out, entries completed
 * @ops: pointer to an array of struct mobj_batch_op; of its entries, only
 *	@error and @result are written (those of the entries that ran and of
 *	the failing one)
 */
struct mobj_batch {
	__u32 size;
	__u32 flags;
	__u32 count;
	__u32 done;
	__aligned_u64 ops;
};

#define MOBJ_BATCH _IO(MOBJ_TYPE, MOBJ_CMD_BATCH)

/**
 * DOC: Sharing objects between processes
 *
 * Handles mean nothing outside their open file.  To give one object to
 * another process, as the kernel shares buffers (dma-buf) and fences
 * (sync_file): MOBJ_EXPORT turns a handle into a new file descriptor that
 * holds one strong reference to the object (it counts in GETREFCOUNT);
 * the descriptor travels like any other (fork, SCM_RIGHTS over a Unix
 * socket); MOBJ_IMPORT turns it into a new handle in the caller's open
 * file.  Closing the descriptor (its last copy, including any in flight
 * in a socket) drops its reference.  /proc/PID/fdinfo of it shows the
 * device, the object's id, type and refcount.
 */

/**
 * struct mobj_export - MOBJ_EXPORT: a file descriptor for an object
 * @size: sizeof(struct mobj_export)
 * @flags: must be 0 (the descriptor is always O_CLOEXEC)
 * @handle: a strong handle
 * @fd: out, the new file descriptor
 */
struct mobj_export {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__s32 fd;
};

#define MOBJ_EXPORT _IO(MOBJ_TYPE, MOBJ_CMD_EXPORT)

/**
 * struct mobj_import - MOBJ_IMPORT: a handle for an exported object
 * @size: sizeof(struct mobj_import)
 * @flags: must be 0
 * @fd: a descriptor made by MOBJ_EXPORT: -EBADF when @fd is not open,
 *	-EINVAL when it is not an exported mobj object, -EXDEV when the
 *	object is another device's
 * @handle: out, a new strong handle in the caller's open file
 */
struct mobj_import {
	__u32 size;
	__u32 flags;
	__s32 fd;
	__u32 handle;
};

#define MOBJ_IMPORT _IO(MOBJ_TYPE, MOBJ_CMD_IMPORT)

#endif /* _UAPI_LINUX_MOBJ_H */
