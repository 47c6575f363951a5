// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libmobj: one function per /dev/mobj command.
 *
 * Every command struct is zero-initialised with a designated initialiser
 * and carries .size = sizeof(struct), so a binary built against this
 * header keeps working on a newer module.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mobj.h"

static int mobj_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static int clamp_int(__u64 v)
{
	return v > INT_MAX ? INT_MAX : (int)v;
}

int mobj_dev_open_path(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int mobj_dev_open(void)
{
	return mobj_dev_open_path(MOBJ_DEV_PATH);
}

int mobj_dev_close(int fd)
{
	return close(fd) < 0 ? -errno : 0;
}

/*
 * The caller's structs cross into the library at the caller's size, which
 * the inline wrappers in <mobj.h> pass in: a program built against older
 * headers gets, and gives, the part of a struct it knows, never more.
 * Output: the library's struct is filled, then copied out up to @size,
 * zeros past the library's end.  Input: the caller's bytes past the
 * library's end must be zero (-E2BIG), as the kernel does it.
 */
static void mobj_out(void *dst, size_t size, const void *src, size_t len)
{
	memcpy(dst, src, size < len ? size : len);
	if (size > len)
		memset((char *)dst + len, 0, size - len);
}

static int mobj_in(void *dst, size_t len, const void *src, size_t size)
{
	const char *tail = (const char *)src + len;

	memset(dst, 0, len);
	memcpy(dst, src, size < len ? size : len);
	for (; size > len; size--)
		if (tail[size - len - 1])
			return -E2BIG;
	return 0;
}

/* A struct out to a caller: its part, and its own size in @size. */
static void mobj_out_struct(void *dst, size_t size, const void *src,
			    size_t len)
{
	mobj_out(dst, size, src, len);
	*(__u32 *)dst = size;
}

/* The size of @type's first version, which ended with @member. */
#define MOBJ_MIN_SIZE(type, member) \
	(offsetof(struct type, member) + sizeof(((struct type *)0)->member))

int mobj_query_sized(int fd, struct mobj_query *query, size_t size)
{
	struct mobj_query q = { .size = sizeof(q) };
	int ret;

	if (size < MOBJ_MIN_SIZE(mobj_query, __reserved2))
		return -EINVAL;
	ret = mobj_ioctl(fd, MOBJ_QUERY, &q);
	if (!ret)
		mobj_out_struct(query, size, &q, sizeof(q));
	return ret;
}

int mobj_version(void)
{
	return LIBMOBJ_VERSION_CODE;
}

int mobj_nop(int fd)
{
	struct mobj_nop cmd = { .size = sizeof(cmd) };

	return mobj_ioctl(fd, MOBJ_NOP, &cmd);
}

int mobj_new(int fd, __u32 type, const void *data, __u32 len,
	     __u32 *handle, __u64 *id)
{
	struct mobj_new cmd = {
		.size = sizeof(cmd),
		.type = type,
		.data_len = len,
		.data = (__u64)(unsigned long)data,
	};
	int ret;

	ret = mobj_ioctl(fd, MOBJ_NEW, &cmd);
	if (ret)
		return ret;
	*handle = cmd.handle;
	if (id)
		*id = cmd.id;
	return 0;
}

int mobj_dup(int fd, __u32 handle, __u32 *new_handle)
{
	struct mobj_dup cmd = { .size = sizeof(cmd), .handle = handle };
	int ret;

	ret = mobj_ioctl(fd, MOBJ_DUP, &cmd);
	if (ret)
		return ret;
	*new_handle = cmd.new_handle;
	return 0;
}

int mobj_handle_close(int fd, __u32 handle)
{
	struct mobj_close cmd = { .size = sizeof(cmd), .handle = handle };

	return mobj_ioctl(fd, MOBJ_CLOSE, &cmd);
}

int mobj_getrefcount(int fd, __u32 handle, __u64 *refcount)
{
	struct mobj_getrefcount cmd = { .size = sizeof(cmd), .handle = handle };
	int ret;

	ret = mobj_ioctl(fd, MOBJ_GETREFCOUNT, &cmd);
	if (ret)
		return ret;
	*refcount = cmd.refcount;
	return 0;
}

int mobj_info_sized(int fd, __u32 handle, struct mobj_info *info,
		    size_t size)
{
	struct mobj_info in = { .size = sizeof(in), .handle = handle };
	int ret;

	if (size < MOBJ_MIN_SIZE(mobj_info, state))
		return -EINVAL;
	ret = mobj_ioctl(fd, MOBJ_INFO, &in);
	if (!ret)
		mobj_out_struct(info, size, &in, sizeof(in));
	return ret;
}

int mobj_data_read(int fd, __u32 handle, __u32 offset, void *buf, __u32 len,
		   __u32 *data_len)
{
	struct mobj_data_read cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.offset = offset,
		.len = len,
		.data = (__u64)(unsigned long)buf,
	};
	int ret;

	ret = mobj_ioctl(fd, MOBJ_DATA_READ, &cmd);
	if (ret)
		return ret;
	if (data_len)
		*data_len = cmd.data_len;
	return clamp_int(cmd.len);
}

int mobj_data_write(int fd, __u32 handle, const void *buf, __u32 len)
{
	struct mobj_data_write cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.len = len,
		.data = (__u64)(unsigned long)buf,
	};

	return mobj_ioctl(fd, MOBJ_DATA_WRITE, &cmd);
}

int mobj_slot_append(int fd, __u32 handle, __u32 value, __u32 *index)
{
	struct mobj_slot cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.value = value,
	};
	int ret;

	ret = mobj_ioctl(fd, MOBJ_SLOT_APPEND, &cmd);
	if (ret)
		return ret;
	if (index)
		*index = cmd.index;
	return 0;
}

int mobj_slot_set(int fd, __u32 handle, __u32 index, __u32 value)
{
	struct mobj_slot cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.index = index,
		.value = value,
	};

	return mobj_ioctl(fd, MOBJ_SLOT_SET, &cmd);
}

int mobj_slot_get(int fd, __u32 handle, __u32 index, __u32 *value)
{
	struct mobj_slot cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.index = index,
	};
	int ret;

	ret = mobj_ioctl(fd, MOBJ_SLOT_GET, &cmd);
	if (ret)
		return ret;
	*value = cmd.value;
	return 0;
}

int mobj_slot_pop(int fd, __u32 handle, __u32 index)
{
	struct mobj_slot cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.index = index,
	};

	return mobj_ioctl(fd, MOBJ_SLOT_POP, &cmd);
}

int mobj_gc_collect_sized(int fd, __u32 generation,
			  struct mobj_gc_collect *out, size_t size)
{
	struct mobj_gc_collect cmd = {
		.size = sizeof(cmd),
		.generation = generation,
	};
	int ret;

	if (out && size < MOBJ_MIN_SIZE(mobj_gc_collect, duration_ns))
		return -EINVAL;
	ret = mobj_ioctl(fd, MOBJ_GC_COLLECT, &cmd);
	if (ret)
		return ret;
	if (out)
		mobj_out_struct(out, size, &cmd, sizeof(cmd));
	return clamp_int(cmd.collected);
}

int mobj_gc_get_sized(int fd, struct mobj_gc_state *state, size_t size)
{
	struct mobj_gc_state st = { .size = sizeof(st) };
	int ret;

	if (size < MOBJ_MIN_SIZE(mobj_gc_state, garbage_count))
		return -EINVAL;
	ret = mobj_ioctl(fd, MOBJ_GC_GET, &st);
	if (!ret)
		mobj_out_struct(state, size, &st, sizeof(st));
	return ret;
}

int mobj_gc_set_sized(int fd, const struct mobj_gc_set *set, size_t size)
{
	struct mobj_gc_set cmd;
	int ret;

	if (size < MOBJ_MIN_SIZE(mobj_gc_set, __reserved))
		return -EINVAL;
	ret = mobj_in(&cmd, sizeof(cmd), set, size);
	if (ret)
		return ret;
	cmd.size = sizeof(cmd);
	return mobj_ioctl(fd, MOBJ_GC_SET, &cmd);
}

static int mobj_gc_set_enabled(int fd, __u32 enabled)
{
	struct mobj_gc_set cmd = {
		.size = sizeof(cmd),
		.flags = MOBJ_GC_SET_ENABLED,
		.enabled = enabled,
	};

	return mobj_ioctl(fd, MOBJ_GC_SET, &cmd);
}

int mobj_gc_enable(int fd)
{
	return mobj_gc_set_enabled(fd, 1);
}

int mobj_gc_disable(int fd)
{
	return mobj_gc_set_enabled(fd, 0);
}

int mobj_gc_isenabled(int fd)
{
	struct mobj_gc_state state;
	int ret;

	ret = mobj_gc_get(fd, &state);
	if (ret)
		return ret;
	return state.enabled ? 1 : 0;
}

int mobj_gc_get_threshold(int fd, __u32 threshold[MOBJ_GC_GENERATIONS])
{
	struct mobj_gc_state state;
	int ret;

	ret = mobj_gc_get(fd, &state);
	if (ret)
		return ret;
	memcpy(threshold, state.threshold, sizeof(state.threshold));
	return 0;
}

int mobj_gc_set_threshold(int fd, __u32 threshold0, __u32 threshold1,
			  __u32 threshold2)
{
	struct mobj_gc_set cmd = {
		.size = sizeof(cmd),
		.flags = MOBJ_GC_SET_THRESHOLD,
		.threshold = { threshold0, threshold1, threshold2 },
	};

	return mobj_ioctl(fd, MOBJ_GC_SET, &cmd);
}

int mobj_gc_get_count(int fd, __u64 count[MOBJ_GC_GENERATIONS])
{
	struct mobj_gc_state state;
	int ret;

	ret = mobj_gc_get(fd, &state);
	if (ret)
		return ret;
	memcpy(count, state.count, sizeof(state.count));
	return 0;
}

int mobj_gc_get_debug(int fd)
{
	struct mobj_gc_state state;
	int ret;

	ret = mobj_gc_get(fd, &state);
	if (ret)
		return ret;
	return clamp_int(state.debug);
}

int mobj_gc_set_debug(int fd, __u32 debug)
{
	struct mobj_gc_set cmd = {
		.size = sizeof(cmd),
		.flags = MOBJ_GC_SET_DEBUG,
		.debug = debug,
	};

	return mobj_ioctl(fd, MOBJ_GC_SET, &cmd);
}

int mobj_gc_get_stats_sized(int fd, struct mobj_gc_stats *stats,
			    size_t size)
{
	struct mobj_gc_stats st = { .size = sizeof(st) };
	int ret;

	if (size < MOBJ_MIN_SIZE(mobj_gc_stats, gen))
		return -EINVAL;
	ret = mobj_ioctl(fd, MOBJ_GC_STATS, &st);
	if (!ret)
		mobj_out_struct(stats, size, &st, sizeof(st));
	return ret;
}

static int mobj_gc_freeze_flags(int fd, __u32 flags, __u64 *moved)
{
	struct mobj_gc_freeze cmd = { .size = sizeof(cmd), .flags = flags };
	int ret;

	ret = mobj_ioctl(fd, MOBJ_GC_FREEZE, &cmd);
	if (ret)
		return ret;
	if (moved)
		*moved = cmd.moved;
	return 0;
}

int mobj_gc_freeze(int fd, __u64 *moved)
{
	return mobj_gc_freeze_flags(fd, 0, moved);
}

int mobj_gc_unfreeze(int fd, __u64 *moved)
{
	return mobj_gc_freeze_flags(fd, MOBJ_GC_UNFREEZE, moved);
}

int mobj_gc_get_freeze_count(int fd, __u64 *count)
{
	struct mobj_gc_state state;
	int ret;

	ret = mobj_gc_get(fd, &state);
	if (ret)
		return ret;
	*count = state.freeze_count;
	return 0;
}

int mobj_gc_is_tracked(int fd, __u32 handle)
{
	struct mobj_info info;
	int ret;

	ret = mobj_info(fd, handle, &info);
	if (ret)
		return ret;
	return (info.state & MOBJ_STATE_TRACKED) ? 1 : 0;
}

int mobj_gc_garbage(int fd, __u32 *handles, __u32 count, __u32 flags,
		    __u32 *filled)
{
	struct mobj_gc_garbage cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.count = count,
		.handles = (__u64)(unsigned long)handles,
	};
	int ret;

	ret = mobj_ioctl(fd, MOBJ_GC_GARBAGE, &cmd);
	if (ret)
		return ret;
	if (filled)
		*filled = cmd.filled;
	return clamp_int(cmd.count);
}

static int mobj_refs(int fd, unsigned long ioctl_num, __u32 handle,
		     __u64 *ids, __u32 count)
{
	struct mobj_refs cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.count = count,
		.ids = (__u64)(unsigned long)ids,
	};
	int ret;

	ret = mobj_ioctl(fd, ioctl_num, &cmd);
	if (ret)
		return ret;
	return clamp_int(cmd.count);
}

int mobj_get_referents(int fd, __u32 handle, __u64 *ids, __u32 count)
{
	return mobj_refs(fd, MOBJ_REFERENTS, handle, ids, count);
}

int mobj_get_referrers(int fd, __u32 handle, __u64 *ids, __u32 count)
{
	return mobj_refs(fd, MOBJ_REFERRERS, handle, ids, count);
}

int mobj_gc_leaks(int fd, __u64 *ids, __u32 count, __u64 *examined)
{
	struct mobj_gc_leaks cmd = {
		.size = sizeof(cmd),
		.count = count,
		.ids = (__u64)(unsigned long)ids,
	};
	int ret;

	ret = mobj_ioctl(fd, MOBJ_GC_LEAKS, &cmd);
	if (ret)
		return ret;
	if (examined)
		*examined = cmd.examined;
	return clamp_int(cmd.count);
}

int mobj_type_counts(int fd, struct mobj_type_count *types, __u32 count,
		     __u32 flags, __u64 *objects)
{
	struct mobj_type_counts cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.count = count,
		.types = (__u64)(unsigned long)types,
	};
	int ret;

	ret = mobj_ioctl(fd, MOBJ_TYPE_COUNTS, &cmd);
	if (ret)
		return ret;
	if (objects)
		*objects = cmd.objects;
	return clamp_int(cmd.count);
}

int mobj_watch(int fd, __u32 handle, __u64 cookie)
{
	struct mobj_watch cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.cookie = cookie,
	};

	return mobj_ioctl(fd, MOBJ_WATCH, &cmd);
}

int mobj_unwatch(int fd, __u32 handle, __u64 cookie)
{
	struct mobj_watch cmd = {
		.size = sizeof(cmd),
		.flags = MOBJ_WATCH_CANCEL,
		.handle = handle,
		.cookie = cookie,
	};

	return mobj_ioctl(fd, MOBJ_WATCH, &cmd);
}

int mobj_gc_watch(int fd, __u64 cookie)
{
	struct mobj_watch cmd = {
		.size = sizeof(cmd),
		.flags = MOBJ_WATCH_GC,
		.cookie = cookie,
	};

	return mobj_ioctl(fd, MOBJ_WATCH, &cmd);
}

int mobj_gc_unwatch(int fd)
{
	struct mobj_watch cmd = {
		.size = sizeof(cmd),
		.flags = MOBJ_WATCH_GC | MOBJ_WATCH_CANCEL,
	};

	return mobj_ioctl(fd, MOBJ_WATCH, &cmd);
}

int mobj_read_events(int fd, struct mobj_event *events, size_t count)
{
	ssize_t ret;

	if (count > INT_MAX / sizeof(*events))
		count = INT_MAX / sizeof(*events);
	ret = read(fd, events, count * sizeof(*events));
	if (ret < 0)
		return -errno;
	return (int)(ret / sizeof(*events));
}

int mobj_weakref(int fd, __u32 handle, __u32 *weak)
{
	struct mobj_weakref cmd = { .size = sizeof(cmd), .handle = handle };
	int ret;

	ret = mobj_ioctl(fd, MOBJ_WEAKREF, &cmd);
	if (ret)
		return ret;
	*weak = cmd.result;
	return 0;
}

int mobj_weakref_get(int fd, __u32 weak, __u32 *handle)
{
	struct mobj_weakref cmd = { .size = sizeof(cmd), .handle = weak };
	int ret;

	ret = mobj_ioctl(fd, MOBJ_WEAKREF_GET, &cmd);
	if (ret)
		return ret;
	*handle = cmd.result;
	return 0;
}

/* SET and LOOKUP: @name into @cmd, which holds a name and its NUL. */
static int mobj_type_name_put(struct mobj_type_name *cmd, const char *name)
{
	size_t len = strlen(name);

	if (len >= sizeof(cmd->name))
		return -EINVAL;
	memcpy(cmd->name, name, len);
	return 0;
}

int mobj_type_name_set(int fd, __u32 type, const char *name)
{
	struct mobj_type_name cmd = { .size = sizeof(cmd), .type = type };
	int ret = mobj_type_name_put(&cmd, name);

	return ret ? ret : mobj_ioctl(fd, MOBJ_TYPE_NAME, &cmd);
}

int mobj_type_name_get(int fd, __u32 type, char *name, size_t len)
{
	struct mobj_type_name cmd = {
		.size = sizeof(cmd),
		.flags = MOBJ_TYPE_NAME_GET,
		.type = type,
	};
	size_t n;
	int ret;

	ret = mobj_ioctl(fd, MOBJ_TYPE_NAME, &cmd);
	if (ret)
		return ret;
	n = strnlen(cmd.name, sizeof(cmd.name) - 1);
	if (len) {
		size_t copy = n < len - 1 ? n : len - 1;

		memcpy(name, cmd.name, copy);
		name[copy] = '\0';
	}
	return (int)n;
}

int mobj_type_name_lookup(int fd, const char *name, __u32 *type)
{
	struct mobj_type_name cmd = {
		.size = sizeof(cmd),
		.flags = MOBJ_TYPE_NAME_LOOKUP,
	};
	int ret = mobj_type_name_put(&cmd, name);

	if (!ret)
		ret = mobj_ioctl(fd, MOBJ_TYPE_NAME, &cmd);
	if (ret)
		return ret;
	*type = cmd.type;
	return 0;
}

static int mobj_batch_run(int fd, struct mobj_batch_op *ops, __u32 count,
			  __u32 *done)
{
	struct mobj_batch cmd = {
		.size = sizeof(cmd),
		.count = count,
		.ops = (__u64)(unsigned long)ops,
	};
	int ret;

	/* The kernel writes @done back whenever the struct is writable. */
	ret = mobj_ioctl(fd, MOBJ_BATCH, &cmd);
	if (done)
		*done = cmd.done;
	return ret;
}

/*
 * @ops is an array of @op_size-byte entries, the caller's sizeof(struct
 * mobj_batch_op); when that is not the library's, the entries are
 * converted through a copy of the library's size.
 */
int mobj_batch_sized(int fd, struct mobj_batch_op *ops, __u32 count,
		     size_t op_size, __u32 *done)
{
	const size_t ours = sizeof(struct mobj_batch_op);
	struct mobj_batch_op *copy;
	char *p = (char *)ops;
	__u32 i;
	int ret;

	if (op_size == ours)
		return mobj_batch_run(fd, ops, count, done);
	if (op_size < MOBJ_MIN_SIZE(mobj_batch_op, result))
		return -EINVAL;
	if (count > MOBJ_BATCH_MAX)
		return mobj_batch_run(fd, NULL, count, done);
	copy = calloc(count ? count : 1, ours);
	if (!copy)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		ret = mobj_in(&copy[i], ours, p + i * op_size, op_size);
		if (ret)
			goto out;
	}
	ret = mobj_batch_run(fd, copy, count, done);
	for (i = 0; i < count; i++)
		memcpy(p + i * op_size, &copy[i],
		       op_size < ours ? op_size : ours);
out:
	free(copy);
	return ret;
}

int mobj_export(int fd, __u32 handle, int *objfd)
{
	struct mobj_export cmd = { .size = sizeof(cmd), .handle = handle };
	int ret;

	ret = mobj_ioctl(fd, MOBJ_EXPORT, &cmd);
	if (ret)
		return ret;
	if (objfd)
		*objfd = cmd.fd;
	return 0;
}

int mobj_import(int fd, int objfd, __u32 *handle)
{
	struct mobj_import cmd = { .size = sizeof(cmd), .fd = objfd };
	int ret;

	ret = mobj_ioctl(fd, MOBJ_IMPORT, &cmd);
	if (ret)
		return ret;
	if (handle)
		*handle = cmd.handle;
	return 0;
}

/*
 * LIBMOBJ_1.0 took these structs at the library's size.  Programs linked
 * against it keep working: their calls arrive here, with the sizes the
 * structs had in 1.0.
 */
#define MOBJ_COMPAT_1_0(name) \
	__asm__(".symver " #name "_1_0, " #name "@LIBMOBJ_1.0")

int mobj_query_1_0(int fd, struct mobj_query *query);
int mobj_query_1_0(int fd, struct mobj_query *query)
{
	return mobj_query_sized(fd, query,
				MOBJ_MIN_SIZE(mobj_query, __reserved2));
}
MOBJ_COMPAT_1_0(mobj_query);

int mobj_info_1_0(int fd, __u32 handle, struct mobj_info *info);
int mobj_info_1_0(int fd, __u32 handle, struct mobj_info *info)
{
	return mobj_info_sized(fd, handle, info,
			       MOBJ_MIN_SIZE(mobj_info, state));
}
MOBJ_COMPAT_1_0(mobj_info);

int mobj_gc_collect_1_0(int fd, __u32 generation,
			struct mobj_gc_collect *out);
int mobj_gc_collect_1_0(int fd, __u32 generation,
			struct mobj_gc_collect *out)
{
	return mobj_gc_collect_sized(fd, generation, out,
				     MOBJ_MIN_SIZE(mobj_gc_collect,
						   duration_ns));
}
MOBJ_COMPAT_1_0(mobj_gc_collect);

int mobj_gc_get_1_0(int fd, struct mobj_gc_state *state);
int mobj_gc_get_1_0(int fd, struct mobj_gc_state *state)
{
	return mobj_gc_get_sized(fd, state,
				 MOBJ_MIN_SIZE(mobj_gc_state, garbage_count));
}
MOBJ_COMPAT_1_0(mobj_gc_get);

int mobj_gc_set_1_0(int fd, const struct mobj_gc_set *set);
int mobj_gc_set_1_0(int fd, const struct mobj_gc_set *set)
{
	return mobj_gc_set_sized(fd, set,
				 MOBJ_MIN_SIZE(mobj_gc_set, __reserved));
}
MOBJ_COMPAT_1_0(mobj_gc_set);

int mobj_gc_get_stats_1_0(int fd, struct mobj_gc_stats *stats);
int mobj_gc_get_stats_1_0(int fd, struct mobj_gc_stats *stats)
{
	return mobj_gc_get_stats_sized(fd, stats,
				       MOBJ_MIN_SIZE(mobj_gc_stats, gen));
}
MOBJ_COMPAT_1_0(mobj_gc_get_stats);

int mobj_batch_1_0(int fd, struct mobj_batch_op *ops, __u32 count,
		   __u32 *done);
int mobj_batch_1_0(int fd, struct mobj_batch_op *ops, __u32 count,
		   __u32 *done)
{
	return mobj_batch_sized(fd, ops, count,
				MOBJ_MIN_SIZE(mobj_batch_op, result), done);
}
MOBJ_COMPAT_1_0(mobj_batch);

/*
 * LIBMOBJ_1.0's names, which read wrong (mobj_close closed a handle, not
 * what mobj_open opened): programs linked against them keep working.
 */
#define MOBJ_RENAMED_1_0(old, type, new, params, args)			\
	type old##_1_0 params;						\
	type old##_1_0 params						\
	{								\
		return new args;					\
	}								\
	MOBJ_COMPAT_1_0(old)

MOBJ_RENAMED_1_0(mobj_open, int, mobj_dev_open, (void), ());
MOBJ_RENAMED_1_0(mobj_open_path, int, mobj_dev_open_path,
		 (const char *path), (path));
MOBJ_RENAMED_1_0(mobj_close_dev, int, mobj_dev_close, (int fd), (fd));
MOBJ_RENAMED_1_0(mobj_close, int, mobj_handle_close,
		 (int fd, __u32 handle), (fd, handle));
MOBJ_RENAMED_1_0(mobj_append, int, mobj_slot_append,
		 (int fd, __u32 handle, __u32 value, __u32 *index),
		 (fd, handle, value, index));
MOBJ_RENAMED_1_0(mobj_set, int, mobj_slot_set,
		 (int fd, __u32 handle, __u32 index, __u32 value),
		 (fd, handle, index, value));
MOBJ_RENAMED_1_0(mobj_get, int, mobj_slot_get,
		 (int fd, __u32 handle, __u32 index, __u32 *value),
		 (fd, handle, index, value));
MOBJ_RENAMED_1_0(mobj_pop, int, mobj_slot_pop,
		 (int fd, __u32 handle, __u32 index), (fd, handle, index));
