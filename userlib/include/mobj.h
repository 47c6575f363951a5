/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libmobj: a thin C library over /dev/mobj.
 *
 * One function per operation.  Every function returns 0 or a non-negative
 * value on success and -errno on failure; errno is not part of the
 * interface.  Counts that can exceed INT_MAX are returned through an out
 * pointer, and the int return value is then clamped to INT_MAX.
 *
 * The contract with the kernel is <linux/mobj.h>; see its DOC comments for
 * what each errno means.
 */
#ifndef LIBMOBJ_MOBJ_H
#define LIBMOBJ_MOBJ_H

#include <stddef.h>
#include <linux/mobj.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOBJ_DEV_PATH "/dev/mobj"

/* The device: one open file is one client with its own handle table. */
int mobj_dev_open(void);
int mobj_dev_open_path(const char *path);
int mobj_dev_close(int fd);

/*
 * libmobj's own release, major << 16 | minor << 8 | patch; the module's is
 * in struct mobj_query's version.
 */
int mobj_version(void);

/*
 * Structs that may grow cross into the library at the caller's size:
 * each such function is an inline wrapper that passes sizeof(*struct) to
 * its _sized twin, so that a program built against older headers is never
 * written past its own struct (see libmobj(3)).
 */
int mobj_query_sized(int fd, struct mobj_query *query, size_t size);

static inline int mobj_query(int fd, struct mobj_query *query)
{
	return mobj_query_sized(fd, query, sizeof(*query));
}

int mobj_nop(int fd);

/* Objects and handles. */
int mobj_new(int fd, __u32 type, const void *data, __u32 len,
	     __u32 *handle, __u64 *id);
int mobj_dup(int fd, __u32 handle, __u32 *new_handle);
int mobj_handle_close(int fd, __u32 handle);
int mobj_getrefcount(int fd, __u32 handle, __u64 *refcount);
int mobj_info_sized(int fd, __u32 handle, struct mobj_info *info,
		    size_t size);

static inline int mobj_info(int fd, __u32 handle, struct mobj_info *info)
{
	return mobj_info_sized(fd, handle, info, sizeof(*info));
}

/* Payload.  mobj_data_read() returns the number of bytes copied. */
int mobj_data_read(int fd, __u32 handle, __u32 offset, void *buf, __u32 len,
		   __u32 *data_len);
int mobj_data_write(int fd, __u32 handle, const void *buf, __u32 len);

/* Slots: a.append(b), a[i] = b, h = a[i], del a[i]. */
int mobj_slot_append(int fd, __u32 handle, __u32 value, __u32 *index);
int mobj_slot_set(int fd, __u32 handle, __u32 index, __u32 value);
int mobj_slot_get(int fd, __u32 handle, __u32 index, __u32 *value);
int mobj_slot_pop(int fd, __u32 handle, __u32 index);

/*
 * The cycle collector.  mobj_gc_collect() returns the number of objects
 * collected; @out, when not NULL, gets the whole result.
 */
int mobj_gc_collect_sized(int fd, __u32 generation,
			  struct mobj_gc_collect *out, size_t size);
int mobj_gc_get_sized(int fd, struct mobj_gc_state *state, size_t size);
int mobj_gc_set_sized(int fd, const struct mobj_gc_set *set, size_t size);

static inline int mobj_gc_collect(int fd, __u32 generation,
				  struct mobj_gc_collect *out)
{
	return mobj_gc_collect_sized(fd, generation, out, sizeof(*out));
}

static inline int mobj_gc_get(int fd, struct mobj_gc_state *state)
{
	return mobj_gc_get_sized(fd, state, sizeof(*state));
}

static inline int mobj_gc_set(int fd, const struct mobj_gc_set *set)
{
	return mobj_gc_set_sized(fd, set, sizeof(*set));
}

int mobj_gc_enable(int fd);
int mobj_gc_disable(int fd);
int mobj_gc_isenabled(int fd);
int mobj_gc_get_threshold(int fd, __u32 threshold[MOBJ_GC_GENERATIONS]);
int mobj_gc_set_threshold(int fd, __u32 threshold0, __u32 threshold1,
			  __u32 threshold2);
int mobj_gc_get_count(int fd, __u64 count[MOBJ_GC_GENERATIONS]);
int mobj_gc_get_debug(int fd);
int mobj_gc_set_debug(int fd, __u32 debug);
int mobj_gc_get_stats_sized(int fd, struct mobj_gc_stats *stats,
			    size_t size);

static inline int mobj_gc_get_stats(int fd, struct mobj_gc_stats *stats)
{
	return mobj_gc_get_stats_sized(fd, stats, sizeof(*stats));
}

int mobj_gc_freeze(int fd, __u64 *moved);
int mobj_gc_unfreeze(int fd, __u64 *moved);
int mobj_gc_get_freeze_count(int fd, __u64 *count);
int mobj_gc_is_tracked(int fd, __u32 handle);
int mobj_gc_garbage(int fd, __u32 *handles, __u32 count, __u32 flags,
		    __u32 *filled);

/* gc.get_referents() / gc.get_referrers(): return the total count. */
int mobj_get_referents(int fd, __u32 handle, __u64 *ids, __u32 count);
int mobj_get_referrers(int fd, __u32 handle, __u64 *ids, __u32 count);

/*
 * objgraph.get_leaking_objects(): the ids of the objects a full collection
 * would free now (the caller's own without CAP_SYS_ADMIN), found by one
 * that frees nothing; returns their number, fills the first @count.
 */
int mobj_gc_leaks(int fd, __u64 *ids, __u32 count, __u64 *examined);

/*
 * objgraph.typestats(): live objects per type tag, most first, of the
 * objects created through @fd (flags 0) or, with MOBJ_TYPE_COUNTS_ALL and
 * CAP_SYS_ADMIN, of the whole device; returns the number of distinct
 * types, fills the first @count entries.
 */
int mobj_type_counts(int fd, struct mobj_type_count *types, __u32 count,
		     __u32 flags, __u64 *objects);

/* Death notices: mobj_read_events() returns the number of records read. */
int mobj_watch(int fd, __u32 handle, __u64 cookie);
/* Take back a watch made with @cookie: no notice comes for it. */
int mobj_unwatch(int fd, __u32 handle, __u64 cookie);
int mobj_read_events(int fd, struct mobj_event *events, size_t count);
/*
 * gc.callbacks: MOBJ_EVENT_GC_START and _GC_STOP records, carrying
 * @cookie, for every collection of the device (MOBJ_WATCH_GC), until
 * mobj_gc_unwatch().
 */
int mobj_gc_watch(int fd, __u64 cookie);
int mobj_gc_unwatch(int fd);

/* Weak references. */
int mobj_weakref(int fd, __u32 handle, __u32 *weak);
int mobj_weakref_get(int fd, __u32 weak, __u32 *handle);

/*
 * Type names, for debugfs and tracing.  An empty @name removes the name.
 * mobj_type_name_get() returns the name's length and copies as much of it
 * as fits in @len bytes, NUL-terminated, like snprintf().
 * mobj_type_name_lookup() finds the tag that has @name (-ENOENT: none).
 */
int mobj_type_name_set(int fd, __u32 type, const char *name);
int mobj_type_name_get(int fd, __u32 type, char *name, size_t len);
int mobj_type_name_lookup(int fd, const char *name, __u32 *type);

/*
 * Several operations in one call, in chunks of bounded work (not atomic:
 * other clients may run between chunks).  Returns 0, or the
 * failing entry's -errno; @done (may be NULL) gets the number of entries
 * that completed.
 */
int mobj_batch_sized(int fd, struct mobj_batch_op *ops, __u32 count,
		     size_t op_size, __u32 *done);

static inline int mobj_batch(int fd, struct mobj_batch_op *ops, __u32 count,
			     __u32 *done)
{
	return mobj_batch_sized(fd, ops, count, sizeof(*ops), done);
}

/*
 * Objects as file descriptors, for other processes (SCM_RIGHTS):
 * mobj_export() makes a descriptor (O_CLOEXEC) holding one reference to
 * the object; mobj_import() makes a handle for one, in this open file.
 */
int mobj_export(int fd, __u32 handle, int *objfd);
int mobj_import(int fd, int objfd, __u32 *handle);

#ifdef __cplusplus
}
#endif

#endif /* LIBMOBJ_MOBJ_H */
