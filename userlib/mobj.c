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

int mobj_open_path(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int mobj_open(void)
{
	return mobj_open_path(MOBJ_DEV_PATH);
}

int mobj_close_dev(int fd)
{
	return close(fd) < 0 ? -errno : 0;
}

int mobj_query(int fd, struct mobj_query *query)
{
	memset(query, 0, sizeof(*query));
	query->size = sizeof(*query);
	return mobj_ioctl(fd, MOBJ_QUERY, query);
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

int mobj_close(int fd, __u32 handle)
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

int mobj_info(int fd, __u32 handle, struct mobj_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->handle = handle;
	return mobj_ioctl(fd, MOBJ_INFO, info);
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

int mobj_append(int fd, __u32 handle, __u32 value, __u32 *index)
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

int mobj_set(int fd, __u32 handle, __u32 index, __u32 value)
{
	struct mobj_slot cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.index = index,
		.value = value,
	};

	return mobj_ioctl(fd, MOBJ_SLOT_SET, &cmd);
}

int mobj_get(int fd, __u32 handle, __u32 index, __u32 *value)
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

int mobj_pop(int fd, __u32 handle, __u32 index)
{
	struct mobj_slot cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.index = index,
	};

	return mobj_ioctl(fd, MOBJ_SLOT_POP, &cmd);
}

int mobj_gc_collect(int fd, __u32 generation, struct mobj_gc_collect *out)
{
	struct mobj_gc_collect cmd = {
		.size = sizeof(cmd),
		.generation = generation,
	};
	int ret;

	ret = mobj_ioctl(fd, MOBJ_GC_COLLECT, &cmd);
	if (ret)
		return ret;
	if (out)
		*out = cmd;
	return clamp_int(cmd.collected);
}

int mobj_gc_get(int fd, struct mobj_gc_state *state)
{
	memset(state, 0, sizeof(*state));
	state->size = sizeof(*state);
	return mobj_ioctl(fd, MOBJ_GC_GET, state);
}

int mobj_gc_set(int fd, const struct mobj_gc_set *set)
{
	struct mobj_gc_set cmd = *set;

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

int mobj_gc_get_stats(int fd, struct mobj_gc_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->size = sizeof(*stats);
	return mobj_ioctl(fd, MOBJ_GC_STATS, stats);
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

int mobj_watch(int fd, __u32 handle, __u64 cookie)
{
	struct mobj_watch cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.cookie = cookie,
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

int mobj_type_name_set(int fd, __u32 type, const char *name)
{
	struct mobj_type_name cmd = { .size = sizeof(cmd), .type = type };
	size_t len = strlen(name);

	if (len >= sizeof(cmd.name))
		return -EINVAL;
	memcpy(cmd.name, name, len);
	return mobj_ioctl(fd, MOBJ_TYPE_NAME, &cmd);
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

int mobj_batch(int fd, struct mobj_batch_op *ops, __u32 count, __u32 *done)
{
	struct mobj_batch cmd = {
		.size = sizeof(cmd),
		.count = count,
		.ops = (__u64)(unsigned long)ops,
	};
	int ret;

	/* The kernel writes @done back whenever entries ran; 0 otherwise. */
	ret = mobj_ioctl(fd, MOBJ_BATCH, &cmd);
	if (done)
		*done = cmd.done;
	return ret;
}
