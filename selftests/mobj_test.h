/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the mobj selftests: -errno checks, raw and oddly sized
 * ioctls, counters, snapshots, module parameters and the common fixture
 * teardown.  Included once per test binary, after nothing else.
 */
#ifndef MOBJ_TEST_H
#define MOBJ_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stddef.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mobj.h"

#define MOBJ_PARAM_DIR "/sys/module/mobj/parameters/"

/* The library returns -errno: check for exactly that. */
#define EXPECT_ERRNO(err, call) EXPECT_EQ(-(err), (call))
#define ASSERT_ERRNO(err, call) ASSERT_EQ(-(err), (call))

/*
 * One bad field at a time: set @field of @cmd to @bad, issue @ioctl_num,
 * which must fail with @err, then set @field to @good again.
 */
#define EXPECT_FIELD_ERRNO(err, fd, ioctl_num, cmd, field, bad, good) do { \
	(cmd).field = (bad); \
	EXPECT_ERRNO(err, mobj_raw(fd, ioctl_num, &(cmd))); \
	(cmd).field = (good); \
} while (0)

/*
 * SKIP() from FIXTURE_SETUP: with the 6.1 harness a plain "return" would
 * still run the test body, so jump back to the wrapper, which then skips
 * both the test and the teardown and reports SKIP.
 */
#define SKIP_SETUP(fmt, ...) \
	SKIP(longjmp(_metadata->env, 1), fmt, ##__VA_ARGS__)

#define U32_NONE 0xffffffffU

#ifndef offsetofend
#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))
#endif

/*
 * The commands these tests know: MOBJ_CMD_QUERY .. MOBJ_CMD_TYPE_COUNTS.
 * (The uapi has no "last command": a newer module may have more.)
 */
#define MOBJ_TEST_NR_CMDS (MOBJ_CMD_TYPE_COUNTS + 1)

/* Clients a test may open besides its fixture's own. */
#define MOBJ_EXTRA_FDS 4

static inline int mobj_raw(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/*
 * Issue @cmd with the @len-byte struct at @arg, telling the kernel its
 * size is @usize.  Bytes past @len are zero, except the last one when
 * @dirty.  The first @len bytes are copied back to @arg.
 */
static inline int mobj_sized(int fd, unsigned long cmd, void *arg, size_t len,
			     size_t usize, bool dirty)
{
	__u8 buf[512] __attribute__((aligned(8)));
	__u32 size = usize;
	size_t i;
	int ret;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, arg, len);
	memcpy(buf, &size, sizeof(size));
	if (dirty && usize > len)
		buf[usize - 1] = 0xff;
	ret = mobj_raw(fd, cmd, buf);
	memcpy(arg, buf, len);
	/* Nothing may be written past the kernel's struct but zeroes. */
	for (i = len; i < sizeof(buf); i++)
		if (buf[i] && !(dirty && i == usize - 1))
			return -EILSEQ;
	return ret;
}

/*
 * The struct-length rules of the header, for a command whose struct @cmd
 * is otherwise valid: size 0 and first-size - 1 fail with EINVAL, a
 * non-zero byte past the struct with E2BIG.  ASSERT_LENGTH_OK then issues
 * it with 8 zero bytes more, which must succeed.
 */
#define EXPECT_LENGTH_ERRORS(fd, ioctl_num, cmd) do { \
	EXPECT_ERRNO(EINVAL, mobj_sized(fd, ioctl_num, &(cmd), sizeof(cmd), \
					0, false)); \
	EXPECT_ERRNO(EINVAL, mobj_sized(fd, ioctl_num, &(cmd), sizeof(cmd), \
					sizeof(cmd) - 1, false)); \
	EXPECT_ERRNO(E2BIG, mobj_sized(fd, ioctl_num, &(cmd), sizeof(cmd), \
				       sizeof(cmd) + 8, true)); \
	EXPECT_ERRNO(E2BIG, mobj_sized(fd, ioctl_num, &(cmd), sizeof(cmd), \
				       sizeof(cmd) + 1, true)); \
} while (0)

#define ASSERT_LENGTH_OK(fd, ioctl_num, cmd) \
	ASSERT_EQ(0, mobj_sized(fd, ioctl_num, &(cmd), sizeof(cmd), \
				sizeof(cmd) + 8, false))

static inline bool mobj_has_cmd(int fd, unsigned int nr)
{
	struct mobj_query q;

	return !mobj_query(fd, &q) && (q.commands & (1ULL << nr));
}

/* The device's and this client's counters from MOBJ_QUERY. */
struct mobj_counts {
	__u64 live_objects;
	__u64 live_handles;
	__u64 client_objects;
	__u64 client_handles;
};

static inline int mobj_counts(int fd, struct mobj_counts *c)
{
	struct mobj_query q;
	int ret;

	memset(c, 0xff, sizeof(*c));
	ret = mobj_query(fd, &q);
	if (ret)
		return ret;
	c->live_objects = q.live_objects;
	c->live_handles = q.live_handles;
	c->client_objects = q.client_objects;
	c->client_handles = q.client_handles;
	return 0;
}

#define EXPECT_COUNTS_EQ(a, b) do { \
	EXPECT_EQ((a).live_objects, (b).live_objects); \
	EXPECT_EQ((a).live_handles, (b).live_handles); \
	EXPECT_EQ((a).client_objects, (b).client_objects); \
	EXPECT_EQ((a).client_handles, (b).client_handles); \
} while (0)

/* Single values, ~0 when the command fails. */
static inline __u64 rc_of(int fd, __u32 h)
{
	__u64 rc;

	return mobj_getrefcount(fd, h, &rc) ? ~0ULL : rc;
}

static inline __u64 nslots_of(int fd, __u32 h)
{
	struct mobj_info info;

	return mobj_info(fd, h, &info) ? ~0ULL : info.nslots;
}

static inline __u64 id_of(int fd, __u32 h)
{
	struct mobj_info info;

	return mobj_info(fd, h, &info) ? ~0ULL : info.id;
}

static inline __u64 live_of(int fd)
{
	struct mobj_query q;

	return mobj_query(fd, &q) ? ~0ULL : q.live_objects;
}

/* The id held in slot @i of @h, through SLOT_GET + INFO + CLOSE. */
static inline __u64 slot_id(int fd, __u32 h, __u32 i)
{
	__u64 id;
	__u32 v;

	if (mobj_slot_get(fd, h, i, &v))
		return ~0ULL;
	id = id_of(fd, v);
	if (mobj_handle_close(fd, v))
		return ~0ULL;
	return id;
}

/*
 * Everything a failing command must leave alone: the counters, and for
 * each object its INFO (but the collector's generation), payload and,
 * when MOBJ_REFERENTS exists, its slots.
 */
#define SNAP_OBJS 8
#define SNAP_DATA 64
#define SNAP_SLOTS 16

struct mobj_snap {
	struct mobj_counts c;
	unsigned int n;
	struct {
		int err;
		__u32 type;
		__u64 id;
		__u64 refcount;
		__u32 data_len;
		__u32 nslots;
		__u32 state;
		__u8 data[SNAP_DATA];
		int nrefs;
		__u64 refs[SNAP_SLOTS];
	} o[SNAP_OBJS];
};

static inline void mobj_snap(int fd, const __u32 *h, unsigned int n,
			     struct mobj_snap *s)
{
	bool referents = mobj_has_cmd(fd, MOBJ_CMD_REFERENTS);
	struct mobj_info info;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	mobj_counts(fd, &s->c);
	s->n = n < SNAP_OBJS ? n : SNAP_OBJS;
	for (i = 0; i < s->n; i++) {
		s->o[i].err = mobj_info(fd, h[i], &info);
		if (s->o[i].err)
			continue;
		s->o[i].type = info.type;
		s->o[i].id = info.id;
		s->o[i].refcount = info.refcount;
		s->o[i].data_len = info.data_len;
		s->o[i].nslots = info.nslots;
		s->o[i].state = info.state;
		mobj_data_read(fd, h[i], 0, s->o[i].data, SNAP_DATA, NULL);
		if (referents)
			s->o[i].nrefs = mobj_get_referents(fd, h[i],
							   s->o[i].refs,
							   SNAP_SLOTS);
	}
}

/* Take a snapshot in @after and compare it with @before. */
#define EXPECT_UNCHANGED(_fd, _h, _n, _before) do { \
	struct mobj_snap __after; \
	unsigned int __i; \
	mobj_snap(_fd, _h, _n, &__after); \
	EXPECT_COUNTS_EQ((_before).c, __after.c); \
	for (__i = 0; __i < (_before).n; __i++) { \
		EXPECT_EQ((_before).o[__i].err, __after.o[__i].err); \
		EXPECT_EQ((_before).o[__i].id, __after.o[__i].id); \
		EXPECT_EQ((_before).o[__i].type, __after.o[__i].type); \
		EXPECT_EQ((_before).o[__i].refcount, __after.o[__i].refcount); \
		EXPECT_EQ((_before).o[__i].data_len, __after.o[__i].data_len); \
		EXPECT_EQ((_before).o[__i].nslots, __after.o[__i].nslots); \
		EXPECT_EQ((_before).o[__i].state, __after.o[__i].state); \
		EXPECT_EQ(0, memcmp((_before).o[__i].data, \
				    __after.o[__i].data, SNAP_DATA)); \
		EXPECT_EQ((_before).o[__i].nrefs, __after.o[__i].nrefs); \
		EXPECT_EQ(0, memcmp((_before).o[__i].refs, \
				    __after.o[__i].refs, \
				    sizeof(__after.o[__i].refs))); \
	} \
} while (0)

/*
 * Every command that takes a handle, issued with otherwise valid
 * arguments: @h in the handle field, @v where a second handle goes
 * (APPEND, SET), slot index 0.  A handle the call creates goes to @out.
 */
enum mobj_hcmd {
	HC_DUP,
	HC_CLOSE,
	HC_GETREFCOUNT,
	HC_INFO,
	HC_DATA_READ,
	HC_DATA_WRITE,
	HC_APPEND,
	HC_SET,
	HC_GET,
	HC_POP,
	HC_CORE_NR,
	HC_REFERENTS = HC_CORE_NR,
	HC_REFERRERS,
	HC_WATCH,
	HC_WEAKREF,
	HC_WEAKREF_GET,
	HC_NR,
};

static const char *const mobj_hcmd_name[HC_NR] = {
	"DUP", "CLOSE", "GETREFCOUNT", "INFO", "DATA_READ", "DATA_WRITE",
	"SLOT_APPEND", "SLOT_SET", "SLOT_GET", "SLOT_POP", "REFERENTS",
	"REFERRERS", "WATCH", "WEAKREF", "WEAKREF_GET",
};

static inline int mobj_call_handle(int fd, enum mobj_hcmd c, __u32 h,
				   __u32 v, __u32 *out)
{
	static const char payload[] = "xyz";
	__u64 ids[4];
	char buf[8];

	*out = 0;
	switch (c) {
	case HC_DUP:
		return mobj_dup(fd, h, out);
	case HC_CLOSE:
		return mobj_handle_close(fd, h);
	case HC_GETREFCOUNT: {
		__u64 rc;

		return mobj_getrefcount(fd, h, &rc);
	}
	case HC_INFO: {
		struct mobj_info info;

		return mobj_info(fd, h, &info);
	}
	case HC_DATA_READ: {
		int ret = mobj_data_read(fd, h, 0, buf, sizeof(buf), NULL);

		return ret < 0 ? ret : 0;
	}
	case HC_DATA_WRITE:
		return mobj_data_write(fd, h, payload, 3);
	case HC_APPEND:
		return mobj_slot_append(fd, h, v, NULL);
	case HC_SET:
		return mobj_slot_set(fd, h, 0, v);
	case HC_GET:
		return mobj_slot_get(fd, h, 0, out);
	case HC_POP:
		return mobj_slot_pop(fd, h, 0);
	case HC_REFERENTS: {
		int ret = mobj_get_referents(fd, h, ids, 4);

		return ret < 0 ? ret : 0;
	}
	case HC_REFERRERS: {
		int ret = mobj_get_referrers(fd, h, ids, 4);

		return ret < 0 ? ret : 0;
	}
	case HC_WATCH:
		return mobj_watch(fd, h, 1);
	case HC_WEAKREF:
		return mobj_weakref(fd, h, out);
	case HC_WEAKREF_GET:
		return mobj_weakref_get(fd, h, out);
	default:
		return -EINVAL;
	}
}

static inline bool mobj_hcmd_has_value(enum mobj_hcmd c)
{
	return c == HC_APPEND || c == HC_SET;
}

/*
 * Every command, with a valid struct for it: @ha is an object with at
 * least one slot, @hb another object, @hw a weak handle (for
 * WEAKREF_GET), @buf a writable buffer of @buflen bytes (payloads, ids,
 * handles).  Used to break one thing at a time: flags, reserved fields,
 * sizes and pointers.
 */
union mobj_any_cmd {
	struct {
		__u32 size;
		__u32 flags;
	} hdr;
	struct mobj_query query;
	struct mobj_nop nop;
	struct mobj_new new;
	struct mobj_dup dup;
	struct mobj_close close;
	struct mobj_getrefcount getrefcount;
	struct mobj_info info;
	struct mobj_data_read data_read;
	struct mobj_data_write data_write;
	struct mobj_slot slot;
	struct mobj_gc_collect gc_collect;
	struct mobj_gc_state gc_state;
	struct mobj_gc_set gc_set;
	struct mobj_gc_stats gc_stats;
	struct mobj_gc_freeze gc_freeze;
	struct mobj_gc_garbage gc_garbage;
	struct mobj_refs refs;
	struct mobj_watch watch;
	struct mobj_weakref weakref;
	struct mobj_type_name type_name;
	struct mobj_batch batch;
	struct mobj_export export;
	struct mobj_import import;
	struct mobj_gc_leaks gc_leaks;
	struct mobj_type_counts type_counts;
	__u8 bytes[256];
};

/* Which of the caller's handles mobj_fill_cmd() gives a command. */
enum mobj_cmd_handle {
	MH_NONE,
	MH_A,		/* @ha: an object with slots and payload */
	MH_B,		/* @hb: another one (CLOSE closes it) */
	MH_W,		/* @hw: a weak reference */
};

struct mobj_cmd_desc {
	const char *name;
	unsigned int nr;
	unsigned long ioctl;
	size_t size;
	int reserved;	/* offset of __reserved, or -1 */
	__u32 flags_ok;	/* the flag bits the command knows */
	int handle;	/* offset of the handle it acts on, or -1 */
	enum mobj_cmd_handle which;	/* and the one mobj_fill_cmd() puts */
	/*
	 * The user buffer it takes, or -1: the offsets of its pointer and of
	 * its __u32 length, which counts elements of @unit bytes; a @unit of
	 * MOBJ_PAYLOAD is a payload, of 4 bytes at most.
	 */
	int buf, len;
	unsigned int unit;
};

#define MOBJ_PAYLOAD 0

#define MOBJ_CMD_ROW(_name, _ioctl, _struct, _res, _flags, _hoff, _which, \
		     _buf, _len, _unit) { \
	.name = #_name, \
	.nr = MOBJ_CMD_##_name, \
	.ioctl = _ioctl, \
	.size = sizeof(struct _struct), \
	.reserved = _res, \
	.flags_ok = _flags, \
	.handle = _hoff, \
	.which = _which, \
	.buf = _buf, \
	.len = _len, \
	.unit = _unit, \
}

#define MOBJ_HANDLE(_struct) offsetof(struct _struct, handle)
#define MOBJ_BUF(_struct, _ptr, _len, _unit) \
	offsetof(struct _struct, _ptr), offsetof(struct _struct, _len), _unit

/*
 * A command on no handle; one on handle @_which, in its field "handle";
 * and either, with a buffer: MOBJ_BUF(its struct, pointer, length, unit).
 */
#define MOBJ_CMD(_name, _ioctl, _struct, _res, _flags) \
	MOBJ_CMD_ROW(_name, _ioctl, _struct, _res, _flags, -1, MH_NONE, \
		     -1, -1, 0)
#define MOBJ_CMD_H(_name, _ioctl, _struct, _res, _flags, _which) \
	MOBJ_CMD_ROW(_name, _ioctl, _struct, _res, _flags, \
		     MOBJ_HANDLE(_struct), _which, -1, -1, 0)
#define MOBJ_CMD_B(_name, _ioctl, _struct, _res, _flags, _buf) \
	MOBJ_CMD_ROW(_name, _ioctl, _struct, _res, _flags, -1, MH_NONE, _buf)
#define MOBJ_CMD_HB(_name, _ioctl, _struct, _res, _flags, _which, _buf) \
	MOBJ_CMD_ROW(_name, _ioctl, _struct, _res, _flags, \
		     MOBJ_HANDLE(_struct), _which, _buf)

#define RES(_struct) offsetof(struct _struct, __reserved)

static const struct mobj_cmd_desc mobj_cmds[] = {
	MOBJ_CMD(QUERY, MOBJ_QUERY, mobj_query, RES(mobj_query), 0),
	MOBJ_CMD(NOP, MOBJ_NOP, mobj_nop, -1, 0),
	MOBJ_CMD_B(NEW, MOBJ_NEW, mobj_new, RES(mobj_new), 0,
		   MOBJ_BUF(mobj_new, data, data_len, MOBJ_PAYLOAD)),
	MOBJ_CMD_H(DUP, MOBJ_DUP, mobj_dup, -1, 0, MH_A),
	MOBJ_CMD_H(CLOSE, MOBJ_CLOSE, mobj_close, RES(mobj_close), 0, MH_B),
	MOBJ_CMD_H(GETREFCOUNT, MOBJ_GETREFCOUNT, mobj_getrefcount,
		   RES(mobj_getrefcount), 0, MH_A),
	MOBJ_CMD_H(INFO, MOBJ_INFO, mobj_info, -1, 0, MH_A),
	MOBJ_CMD_HB(DATA_READ, MOBJ_DATA_READ, mobj_data_read, -1, 0, MH_A,
		    MOBJ_BUF(mobj_data_read, data, len, 1)),
	MOBJ_CMD_HB(DATA_WRITE, MOBJ_DATA_WRITE, mobj_data_write, -1, 0, MH_A,
		    MOBJ_BUF(mobj_data_write, data, len, MOBJ_PAYLOAD)),
	MOBJ_CMD_H(SLOT_APPEND, MOBJ_SLOT_APPEND, mobj_slot, RES(mobj_slot), 0,
		   MH_A),
	MOBJ_CMD_H(SLOT_SET, MOBJ_SLOT_SET, mobj_slot, RES(mobj_slot), 0, MH_A),
	MOBJ_CMD_H(SLOT_GET, MOBJ_SLOT_GET, mobj_slot, RES(mobj_slot), 0, MH_A),
	MOBJ_CMD_H(SLOT_POP, MOBJ_SLOT_POP, mobj_slot, RES(mobj_slot), 0, MH_A),
	MOBJ_CMD(GC_COLLECT, MOBJ_GC_COLLECT, mobj_gc_collect,
		 RES(mobj_gc_collect), 0),
	MOBJ_CMD(GC_GET, MOBJ_GC_GET, mobj_gc_state, RES(mobj_gc_state), 0),
	MOBJ_CMD(GC_SET, MOBJ_GC_SET, mobj_gc_set, RES(mobj_gc_set),
		 MOBJ_GC_SET_ENABLED | MOBJ_GC_SET_THRESHOLD |
		 MOBJ_GC_SET_DEBUG),
	MOBJ_CMD(GC_STATS, MOBJ_GC_STATS, mobj_gc_stats, -1, 0),
	MOBJ_CMD(GC_FREEZE, MOBJ_GC_FREEZE, mobj_gc_freeze, -1,
		 MOBJ_GC_UNFREEZE),
	MOBJ_CMD_B(GC_GARBAGE, MOBJ_GC_GARBAGE, mobj_gc_garbage, -1,
		   MOBJ_GC_GARBAGE_CLEAR,
		   MOBJ_BUF(mobj_gc_garbage, handles, count, sizeof(__u32))),
	MOBJ_CMD_HB(REFERENTS, MOBJ_REFERENTS, mobj_refs, -1, 0, MH_A,
		    MOBJ_BUF(mobj_refs, ids, count, sizeof(__u64))),
	MOBJ_CMD_HB(REFERRERS, MOBJ_REFERRERS, mobj_refs, -1, 0, MH_B,
		    MOBJ_BUF(mobj_refs, ids, count, sizeof(__u64))),
	MOBJ_CMD_H(WATCH, MOBJ_WATCH, mobj_watch, RES(mobj_watch),
		   MOBJ_WATCH_CANCEL | MOBJ_WATCH_GC, MH_A),
	MOBJ_CMD_H(WEAKREF, MOBJ_WEAKREF, mobj_weakref, -1, 0, MH_A),
	MOBJ_CMD_H(WEAKREF_GET, MOBJ_WEAKREF_GET, mobj_weakref, -1, 0, MH_W),
	MOBJ_CMD(TYPE_NAME, MOBJ_TYPE_NAME, mobj_type_name,
		 RES(mobj_type_name), MOBJ_TYPE_NAME_GET),
	MOBJ_CMD(BATCH, MOBJ_BATCH, mobj_batch, -1, 0),
	MOBJ_CMD_H(EXPORT, MOBJ_EXPORT, mobj_export, -1, 0, MH_A),
	MOBJ_CMD(IMPORT, MOBJ_IMPORT, mobj_import, -1, 0),
	MOBJ_CMD_B(GC_LEAKS, MOBJ_GC_LEAKS, mobj_gc_leaks,
		   RES(mobj_gc_leaks), 0,
		   MOBJ_BUF(mobj_gc_leaks, ids, count, sizeof(__u64))),
	MOBJ_CMD_B(TYPE_COUNTS, MOBJ_TYPE_COUNTS, mobj_type_counts,
		   RES(mobj_type_counts), MOBJ_TYPE_COUNTS_ALL,
		   MOBJ_BUF(mobj_type_counts, types, count,
			    sizeof(struct mobj_type_count))),
};

_Static_assert(ARRAY_SIZE(mobj_cmds) == MOBJ_TEST_NR_CMDS,
	       "mobj_cmds[] must list every command, in order");

/* mobj_core.c covers these; mobj_gc.c the collector's and the rest. */
static inline bool mobj_cmd_is_core(const struct mobj_cmd_desc *d)
{
	return d->nr <= MOBJ_CMD_SLOT_POP || d->nr == MOBJ_CMD_TYPE_NAME ||
	       d->nr == MOBJ_CMD_BATCH || d->nr == MOBJ_CMD_TYPE_COUNTS;
}

/*
 * Each row @d of mobj_cmds[] whose mobj_cmd_is_core() is @core: the
 * commands mobj_core.c covers (true), the ones mobj_gc.c does (false).
 */
#define for_each_cmd(d, core) \
	for ((d) = mobj_cmds; (d) < mobj_cmds + ARRAY_SIZE(mobj_cmds); (d)++) \
		if (mobj_cmd_is_core(d) != (core)) {} else

/* A type tag the tests name and unname again. */
#define MOBJ_TEST_TYPE 0x6d6f0ff0

static inline void mobj_fill_cmd(const struct mobj_cmd_desc *d,
				 union mobj_any_cmd *u, __u32 ha, __u32 hb,
				 __u32 hw, void *buf, __u32 buflen)
{
	const __u32 handles[] = { [MH_A] = ha, [MH_B] = hb, [MH_W] = hw };
	__u64 p = (__u64)(unsigned long)buf;
	__u32 len;

	memset(u, 0, sizeof(*u));
	u->hdr.size = d->size;
	if (d->handle >= 0)
		memcpy(u->bytes + d->handle, &handles[d->which], sizeof(__u32));
	if (d->buf >= 0) {
		len = d->unit ? buflen / d->unit : buflen < 4 ? buflen : 4;
		memcpy(u->bytes + d->buf, &p, sizeof(p));
		memcpy(u->bytes + d->len, &len, sizeof(len));
	}
	switch (d->nr) {
	case MOBJ_CMD_NEW:
		u->new.type = 7;
		break;
	case MOBJ_CMD_SLOT_APPEND:
	case MOBJ_CMD_SLOT_SET:
		u->slot.value = hb;
		break;
	case MOBJ_CMD_GC_SET:
		u->gc_set.flags = MOBJ_GC_SET_ENABLED;
		u->gc_set.enabled = 0;
		break;
	case MOBJ_CMD_GC_FREEZE:
		u->gc_freeze.flags = MOBJ_GC_UNFREEZE;
		break;
	case MOBJ_CMD_WATCH:
		u->watch.cookie = 1;
		break;
	case MOBJ_CMD_TYPE_NAME:
		u->type_name.flags = MOBJ_TYPE_NAME_GET;
		u->type_name.type = MOBJ_TEST_TYPE;
		break;
	case MOBJ_CMD_BATCH:
		/* One GETREFCOUNT of @ha, in @buf. */
		if (buflen >= sizeof(struct mobj_batch_op)) {
			struct mobj_batch_op *op = buf;

			memset(op, 0, sizeof(*op));
			op->cmd = MOBJ_CMD_GETREFCOUNT;
			op->handle = ha;
			u->batch.count = 1;
			u->batch.ops = p;
		}
		break;
	case MOBJ_CMD_IMPORT:
		/*
		 * No exported descriptor here (the tests that need one make
		 * it): a number no process has open, and not -1, whose bytes
		 * would look like a kernel address to the privilege scan.
		 */
		u->import.fd = INT_MAX;
		break;
	}
}

/* Output and memory shared by the processes of a test binary */

/* A "# " line, written out at once: test processes end with _exit(). */
static inline void __attribute__((format(printf, 1, 2)))
mobj_note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* Zeroed memory that forked test processes share; NULL on failure. */
static inline void *mobj_shared_zalloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Files: debugfs, sysfs, /proc */

#define MOBJ_DEBUGFS	"/sys/kernel/debug/mobj/"
#define MOBJ_NOBODY	65534

/* Read @fd to its end into @buf, NUL-terminated: the length or -errno. */
static inline int mobj_read_fd(int fd, char *buf, size_t len)
{
	ssize_t n, got = 0;

	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0)
			return -errno;
		if (!n)
			break;
		got += n;
	}
	buf[got] = '\0';
	return got;
}

/* Read a whole (small) file into @buf, NUL-terminated: its length or -errno. */
static inline int mobj_read_text(const char *path, char *buf, size_t len)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = mobj_read_fd(fd, buf, len);
	close(fd);
	return ret;
}

/* Write @s to @path in one write(): 0 or -errno. */
static inline int mobj_write_text(const char *path, const char *s)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* "key value" lines (debugfs stats): the value of @key, ~0 when missing. */
static inline __u64 mobj_keyed(const char *text, const char *key)
{
	size_t len = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, len) && p[len] == ' ')
			return strtoull(p + len + 1, NULL, 0);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return ~0ULL;
}

/* One value of the first device's debugfs "stats", ~0 when missing. */
static inline __u64 mobj_stat(const char *key)
{
	char buf[8192];

	if (mobj_read_text(MOBJ_DEBUGFS "stats", buf, sizeof(buf)) < 0)
		return ~0ULL;
	return mobj_keyed(buf, key);
}

/*
 * The consistency checker (debugfs "check") over the whole first device:
 * 0 when it says "ok ...", -EUCLEAN otherwise; its answer is in @buf.
 */
static inline int mobj_check_heap(char *buf, size_t len)
{
	int ret = mobj_read_text(MOBJ_DEBUGFS "check", buf, len);

	if (ret < 0)
		return ret;
	return strncmp(buf, "ok ", 3) ? -EUCLEAN : 0;
}

/* Become uid/gid 65534 with no supplementary groups and no capabilities. */
static inline int mobj_become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(MOBJ_NOBODY, MOBJ_NOBODY,
					    MOBJ_NOBODY) ||
	    setresuid(MOBJ_NOBODY, MOBJ_NOBODY, MOBJ_NOBODY))
		return -errno;
	return geteuid() == MOBJ_NOBODY ? 0 : -EPERM;
}

/* Run @fn in a child as nobody; its exit status, or -1 when it died. */
static inline int mobj_as_nobody(int (*fn)(void *), void *arg)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (mobj_become_nobody())
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Wait for child @pid: it must have exited, with status @code. */
#define ASSERT_CHILD_EXIT(pid, code) do { \
	int __status; \
	ASSERT_EQ(pid, waitpid(pid, &__status, 0)); \
	ASSERT_TRUE(WIFEXITED(__status)); \
	ASSERT_EQ(code, WEXITSTATUS(__status)); \
} while (0)

/* A one-byte message with room for one descriptor (SCM_RIGHTS). */
struct mobj_fd_msg {
	char c;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg;
};

static inline struct msghdr *mobj_fd_msg_init(struct mobj_fd_msg *m, char c)
{
	memset(m, 0, sizeof(*m));
	m->c = c;
	m->iov.iov_base = &m->c;
	m->iov.iov_len = 1;
	m->msg.msg_iov = &m->iov;
	m->msg.msg_iovlen = 1;
	m->msg.msg_control = m->u.buf;
	m->msg.msg_controllen = sizeof(m->u.buf);
	return &m->msg;
}

/* Descriptors over a Unix socket (SCM_RIGHTS): 0 or -errno; the fd. */
static inline int mobj_send_fd(int sock, int fd)
{
	struct mobj_fd_msg m;
	struct msghdr *msg = mobj_fd_msg_init(&m, 'f');
	struct cmsghdr *c0 = CMSG_FIRSTHDR(msg);

	c0->cmsg_level = SOL_SOCKET;
	c0->cmsg_type = SCM_RIGHTS;
	c0->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c0), &fd, sizeof(int));
	return sendmsg(sock, msg, 0) == 1 ? 0 : -errno;
}

static inline int mobj_recv_fd(int sock)
{
	struct mobj_fd_msg m;
	struct msghdr *msg = mobj_fd_msg_init(&m, 0);
	struct cmsghdr *c0;
	int fd;

	if (recvmsg(sock, msg, MSG_CMSG_CLOEXEC) != 1)
		return -errno;
	c0 = CMSG_FIRSTHDR(msg);
	if (!c0 || c0->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(c0), sizeof(int));
	return fd;
}

/* Memory for EFAULT tests: one readable page followed by a hole. */
struct mobj_badmem {
	__u8 *page;	/* read-write */
	__u8 *hole;	/* PROT_NONE */
	size_t pagesz;
};

static inline int mobj_badmem_init(struct mobj_badmem *m)
{
	m->pagesz = sysconf(_SC_PAGESIZE);
	m->page = mmap(NULL, 2 * m->pagesz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->page == MAP_FAILED)
		return -errno;
	m->hole = m->page + m->pagesz;
	if (mprotect(m->hole, m->pagesz, PROT_NONE))
		return -errno;
	return 0;
}

/*
 * Issue @cmd with a copy of the @len-byte struct in a page that is then
 * made read-only: the kernel can read it but not write the result back.
 */
static inline int mobj_readonly_call(int fd, unsigned long cmd,
				     const void *arg, size_t len)
{
	size_t pagesz = sysconf(_SC_PAGESIZE);
	void *p;
	int ret;

	p = mmap(NULL, pagesz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	memcpy(p, arg, len);
	mprotect(p, pagesz, PROT_READ);
	ret = mobj_raw(fd, cmd, p);
	munmap(p, pagesz);
	return ret;
}

/* Module parameters, saved the first time they are set and restored. */
#define MOBJ_PARAMS_MAX 8

struct mobj_params {
	int n;
	struct {
		char name[32];
		char value[64];
	} saved[MOBJ_PARAMS_MAX];
};

static inline int mobj_param_read_str(const char *name, char *buf,
				      size_t len)
{
	char path[128];
	int n;

	snprintf(path, sizeof(path), MOBJ_PARAM_DIR "%s", name);
	n = mobj_read_text(path, buf, len);
	if (n < 0)
		return n;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static inline int mobj_param_write_str(const char *name, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), MOBJ_PARAM_DIR "%s", name);
	return mobj_write_text(path, value);
}

static inline int mobj_param_read(const char *name, unsigned long long *v)
{
	char buf[64];
	int ret;

	ret = mobj_param_read_str(name, buf, sizeof(buf));
	if (ret)
		return ret;
	*v = strtoull(buf, NULL, 0);
	return 0;
}

static inline int mobj_param_set(struct mobj_params *p, const char *name,
				 unsigned long long v)
{
	char value[32];
	int i, ret;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->saved[i].name, name))
			break;
	if (i == p->n) {
		if (p->n == MOBJ_PARAMS_MAX)
			return -ENOSPC;
		ret = mobj_param_read_str(name, p->saved[i].value,
					  sizeof(p->saved[i].value));
		if (ret)
			return ret;
		snprintf(p->saved[i].name, sizeof(p->saved[i].name), "%s",
			 name);
		p->n++;
	}
	snprintf(value, sizeof(value), "%llu", v);
	return mobj_param_write_str(name, value);
}

static inline int mobj_params_restore(struct mobj_params *p)
{
	int ret = 0;

	while (p->n > 0) {
		p->n--;
		if (mobj_param_write_str(p->saved[p->n].name,
					 p->saved[p->n].value))
			ret = -EIO;
	}
	return ret;
}

/* Set a parameter or SKIP the test (not root, or no such parameter). */
#define PARAM_SET_OR_SKIP(params, name, v) do { \
	int __ret = mobj_param_set(params, name, v); \
	if (__ret == -ENOENT || __ret == -EACCES || __ret == -EPERM) \
		SKIP(return, "cannot set module parameter %s: %s", name, \
		     strerror(-__ret)); \
	ASSERT_EQ(0, __ret); \
} while (0)

static inline __u64 mobj_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Open /dev/mobj for a fixture, or SKIP when the module is not loaded. */
#define MOBJ_OPEN_OR_SKIP(fdvar) do { \
	(fdvar) = mobj_dev_open(); \
	if ((fdvar) == -ENOENT || (fdvar) == -ENODEV || (fdvar) == -ENXIO) \
		SKIP_SETUP("%s: %s (mobj.ko not loaded)", MOBJ_DEV_PATH, \
			   strerror(-(fdvar))); \
	ASSERT_LE(0, (fdvar)); \
} while (0)

/* The collector's device-wide settings, all at once. */
static inline int mobj_gc_apply(int fd, __u32 enabled, __u32 debug,
				const __u32 *t)
{
	struct mobj_gc_set set = {
		.flags = MOBJ_GC_SET_ENABLED | MOBJ_GC_SET_DEBUG |
			 MOBJ_GC_SET_THRESHOLD,
		.enabled = enabled,
		.debug = debug,
		.threshold = { t[0], t[1], t[2] },
	};

	return mobj_gc_set(fd, &set);
}

/* Free whatever cycles and saved garbage the device holds. */
static inline int mobj_gc_clean(int fd)
{
	int ret;

	ret = mobj_gc_set_debug(fd, 0);
	if (!ret)
		ret = mobj_gc_garbage(fd, NULL, 0, MOBJ_GC_GARBAGE_CLEAR, NULL);
	if (ret >= 0)
		ret = mobj_gc_collect(fd, 2, NULL);
	return ret < 0 ? ret : 0;
}

/*
 * The collector in a known state: off, no debug flags, thresholds @t0,
 * 10, 10, nothing frozen, no saved garbage, no cycle left.
 */
static inline int mobj_gc_reset(int fd, __u32 t0)
{
	const __u32 t[MOBJ_GC_GENERATIONS] = { t0, 10, 10 };
	int ret;

	ret = mobj_gc_apply(fd, 0, 0, t);
	if (!ret)
		ret = mobj_gc_unfreeze(fd, NULL);
	return ret ? ret : mobj_gc_clean(fd);
}

/*
 * The fixture base of the core, collector and hardening tests: the
 * client under test, up to MOBJ_EXTRA_FDS more (closed by the teardown
 * when the test does not), the counters to come back to and the module
 * parameters to restore.
 */
#define MOBJ_FIXTURE_BASE \
	int fd; \
	int extra[MOBJ_EXTRA_FDS]; \
	struct mobj_counts base; \
	struct mobj_params params

/* Open the client under test, or SKIP; no extra client yet. */
#define MOBJ_FIXTURE_OPEN(self) do { \
	int __i; \
	for (__i = 0; __i < MOBJ_EXTRA_FDS; __i++) \
		(self)->extra[__i] = -1; \
	MOBJ_OPEN_OR_SKIP((self)->fd); \
} while (0)

/* Another client of the fixture's: its fd, or -errno. */
static inline int mobj_extra_open(int *extra)
{
	int i;

	for (i = 0; i < MOBJ_EXTRA_FDS; i++) {
		if (extra[i] < 0) {
			extra[i] = mobj_dev_open();
			return extra[i];
		}
	}
	return -EMFILE;
}

/* Close an extra client before the teardown does. */
static inline int mobj_extra_close(int *extra, int fd)
{
	int i;

	for (i = 0; i < MOBJ_EXTRA_FDS; i++)
		if (extra[i] == fd)
			extra[i] = -1;
	return close(fd) ? -errno : 0;
}

#define extra_open(self) mobj_extra_open((self)->extra)
#define extra_close(self, fd) mobj_extra_close((self)->extra, fd)

/* Shorthands that assert success, with the usual type tags. */
#define T_PLAIN		1
#define T_STR		2
#define T_LIST		3

#define NEW(fd, h) \
	ASSERT_EQ(0, mobj_new(fd, T_PLAIN, NULL, 0, &(h), NULL))
#define NEW_STR(fd, h, s) \
	ASSERT_EQ(0, mobj_new(fd, T_STR, s, strlen(s), &(h), NULL))
#define APPEND(fd, a, b) ASSERT_EQ(0, mobj_slot_append(fd, a, b, NULL))
#define CLOSE(fd, h) ASSERT_EQ(0, mobj_handle_close(fd, h))

/*
 * The scene of the error tests: a = [b], with payloads "aaaa" and "bbbb",
 * b of type @btype; with @weak also w = weakref(a) (else w is 0).  The
 * snapshot covers a and b: what a failing command must leave alone.
 */
struct mobj_scene {
	__u32 a, b, w;
	__u32 h[2];
	struct mobj_snap snap;
};

static inline int mobj_scene_make(int fd, struct mobj_scene *s, __u32 btype,
				  bool weak)
{
	int ret;

	s->w = 0;
	ret = mobj_new(fd, T_LIST, "aaaa", 4, &s->a, NULL);
	if (!ret)
		ret = mobj_new(fd, btype, "bbbb", 4, &s->b, NULL);
	if (!ret)
		ret = mobj_slot_append(fd, s->a, s->b, NULL);
	if (!ret && weak)
		ret = mobj_weakref(fd, s->a, &s->w);
	s->h[0] = s->a;
	s->h[1] = s->b;
	mobj_snap(fd, s->h, 2, &s->snap);
	return ret;
}

#define MOBJ_SCENE(fd, s, btype, weak) \
	ASSERT_EQ(0, mobj_scene_make(fd, &(s), btype, weak))
#define EXPECT_SCENE_UNCHANGED(fd, s) EXPECT_UNCHANGED(fd, (s).h, 2, (s).snap)
#define SCENE_CLOSE(fd, s) do { \
	if ((s).w) \
		CLOSE(fd, (s).w); \
	CLOSE(fd, (s).a); \
	CLOSE(fd, (s).b); \
} while (0)

/*
 * A chain head -> ... -> tail of @n + 1 objects of type @type, made in
 * batches of MOBJ_CHAIN_BATCH objects (NEW, APPEND to the one before,
 * CLOSE of the one before): the caller gets handles to the head and the
 * tail only.  Never inlined: the handles it writes live in the caller's
 * frame across the harness's setjmp() (-Wclobbered otherwise).
 */
#define MOBJ_CHAIN_BATCH 1024

static __attribute__((unused, noinline))
int mobj_chain_make(int fd, __u32 type, unsigned int n, __u32 *head,
		    __u32 *tail)
{
	static struct mobj_batch_op ops[3 * MOBJ_CHAIN_BATCH];
	__u32 prev, prev_ref, last = 0;
	unsigned int i, j, k;
	int ret;

	ret = mobj_new(fd, type, NULL, 0, head, NULL);
	if (ret)
		return ret;
	prev = *head;
	while (n) {
		k = n < MOBJ_CHAIN_BATCH ? n : MOBJ_CHAIN_BATCH;
		memset(ops, 0, sizeof(ops));
		prev_ref = prev;
		for (i = 0, j = 0; j < k; j++) {
			last = i;
			ops[i++] = (struct mobj_batch_op){
				.cmd = MOBJ_CMD_NEW, .handle = type };
			ops[i++] = (struct mobj_batch_op){
				.cmd = MOBJ_CMD_SLOT_APPEND,
				.handle = prev_ref,
				.value = MOBJ_BATCH_RESULT(last) };
			if (prev_ref != *head)
				ops[i++] = (struct mobj_batch_op){
					.cmd = MOBJ_CMD_CLOSE,
					.handle = prev_ref };
			prev_ref = MOBJ_BATCH_RESULT(last);
		}
		ret = mobj_batch(fd, ops, i, NULL);
		if (ret)
			return ret;
		prev = ops[last].result;
		n -= k;
	}
	*tail = prev;
	return 0;
}

/*
 * Checks of every command in one half of mobj_cmds[] (for_each_cmd(d,
 * @core)), each call filled by mobj_fill_cmd() with the handles of scene
 * @s and a buffer of @buflen bytes (64 at most) of 'c'.  The caller then
 * checks that nothing changed.
 */
#define MOBJ_CHECK_BUF 64

static inline void mobj_fill_scene(const struct mobj_cmd_desc *d,
				   union mobj_any_cmd *u,
				   const struct mobj_scene *s, __u64 *buf,
				   size_t buflen)
{
	memset(buf, 'c', buflen);
	mobj_fill_cmd(d, u, s->a, s->b, s->w, buf, buflen);
}

/* Each flag bit a command does not know: EINVAL. */
static inline void mobj_check_unknown_flags(struct __test_metadata *_metadata,
					    int fd, bool core,
					    const struct mobj_scene *s,
					    size_t buflen)
{
	__u64 buf[MOBJ_CHECK_BUF / sizeof(__u64)];
	const struct mobj_cmd_desc *d;
	union mobj_any_cmd u;
	unsigned int bit;

	for_each_cmd(d, core) {
		for (bit = 0; bit < 32; bit++) {
			if (d->flags_ok & (1U << bit))
				continue;
			mobj_fill_scene(d, &u, s, buf, buflen);
			u.hdr.flags = 1U << bit;
			EXPECT_ERRNO(EINVAL, mobj_raw(fd, d->ioctl, &u)) {
				TH_LOG("%s with flag bit %u", d->name, bit);
			}
		}
	}
}

/* Each of the @n @values in a command's __reserved field: EINVAL. */
static inline void mobj_check_reserved(struct __test_metadata *_metadata,
				       int fd, bool core,
				       const struct mobj_scene *s, size_t buflen,
				       const __u32 *values, unsigned int n)
{
	__u64 buf[MOBJ_CHECK_BUF / sizeof(__u64)];
	const struct mobj_cmd_desc *d;
	union mobj_any_cmd u;
	unsigned int v;

	for_each_cmd(d, core) {
		if (d->reserved < 0)
			continue;
		for (v = 0; v < n; v++) {
			mobj_fill_scene(d, &u, s, buf, buflen);
			memcpy(u.bytes + d->reserved, &values[v], 4);
			EXPECT_ERRNO(EINVAL, mobj_raw(fd, d->ioctl, &u)) {
				TH_LOG("%s with __reserved 0x%x", d->name,
				       values[v]);
			}
		}
	}
}

/* A NULL struct, an unmapped one, one across a hole (@m): EFAULT. */
static inline void mobj_check_efault_struct(struct __test_metadata *_metadata,
					    int fd, bool core,
					    const struct mobj_scene *s,
					    size_t buflen,
					    const struct mobj_badmem *m)
{
	__u64 buf[MOBJ_CHECK_BUF / sizeof(__u64)];
	const struct mobj_cmd_desc *d;
	union mobj_any_cmd u;
	void *p;

	for_each_cmd(d, core) {
		EXPECT_ERRNO(EFAULT, mobj_raw(fd, d->ioctl, NULL)) {
			TH_LOG("%s with a NULL struct", d->name);
		}
		EXPECT_ERRNO(EFAULT, mobj_raw(fd, d->ioctl, m->hole)) {
			TH_LOG("%s with an unmapped struct", d->name);
		}
		/* Size readable, the rest of the struct not. */
		mobj_fill_scene(d, &u, s, buf, buflen);
		p = m->hole - 4;
		memcpy(p, &u, 4);
		EXPECT_ERRNO(EFAULT, mobj_raw(fd, d->ioctl, p)) {
			TH_LOG("%s with a struct across a hole", d->name);
		}
	}
}

/*
 * A fixture of just the base: the client under test, opened by the setup,
 * and the teardown's check that the device is as it was.
 */
#define MOBJ_BASE_FIXTURE(name) \
	FIXTURE(name) { \
		MOBJ_FIXTURE_BASE; \
	}; \
	FIXTURE_SETUP(name) \
	{ \
		MOBJ_FIXTURE_OPEN(self); \
		ASSERT_EQ(0, mobj_counts(self->fd, &self->base)); \
	} \
	FIXTURE_TEARDOWN(name) \
	{ \
		mobj_teardown_check(_metadata, self->fd, self->extra, \
				    &self->params, &self->base); \
	}

/* The collector's settings, saved by a setup and put back by a teardown. */
#define MOBJ_GC_SAVE(self) \
	ASSERT_EQ(0, mobj_gc_get((self)->fd, &(self)->saved))
#define MOBJ_GC_RESTORE(self) \
	EXPECT_EQ(0, mobj_gc_apply((self)->fd, (self)->saved.enabled, \
				   (self)->saved.debug, \
				   (self)->saved.threshold))

/* The device's counters before a test, from a client of its own, or SKIP. */
#define MOBJ_BASE_COUNTS_OR_SKIP(base) do { \
	int __fd; \
	MOBJ_OPEN_OR_SKIP(__fd); \
	ASSERT_EQ(0, mobj_counts(__fd, base)); \
	close(__fd); \
} while (0)

/*
 * The end of a teardown: from a client of its own, run @settle (which may
 * be NULL) and check that the device has the objects and handles it had
 * before the test.
 */
static inline void mobj_teardown_base(struct __test_metadata *_metadata,
				      const struct mobj_counts *base,
				      int (*settle)(int fd))
{
	struct mobj_counts now;
	int fd = mobj_dev_open();

	EXPECT_LE(0, fd);
	if (fd < 0)
		return;
	if (settle)
		EXPECT_EQ(0, settle(fd));
	EXPECT_EQ(0, mobj_counts(fd, &now));
	EXPECT_EQ(base->live_objects, now.live_objects);
	EXPECT_EQ(base->live_handles, now.live_handles);
	close(fd);
}

/*
 * The common teardown: close the extra clients, put the parameters back,
 * close the fixture's client and check from a fresh one that every object
 * and handle the test made is gone.  Only EXPECT here: an ASSERT in a 6.1
 * teardown would jump back into the teardown.
 */
static inline void mobj_teardown_check(struct __test_metadata *_metadata,
				       int fd, int *extra,
				       struct mobj_params *params,
				       const struct mobj_counts *base)
{
	struct mobj_counts now;
	int i, check;

	for (i = 0; i < MOBJ_EXTRA_FDS; i++)
		if (extra[i] >= 0)
			close(extra[i]);
	EXPECT_EQ(0, mobj_params_restore(params));
	if (fd >= 0)
		EXPECT_EQ(0, close(fd));
	check = mobj_dev_open();
	EXPECT_LE(0, check);
	if (check < 0)
		return;
	EXPECT_EQ(0, mobj_counts(check, &now));
	EXPECT_EQ(base->live_objects, now.live_objects);
	EXPECT_EQ(base->live_handles, now.live_handles);
	EXPECT_EQ(0, now.client_objects);
	EXPECT_EQ(0, now.client_handles);
	close(check);
}

#endif /* MOBJ_TEST_H */
