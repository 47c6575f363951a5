// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_length: the struct-length rules of every command, from one table
 * (after iommufd's TEST_LENGTH).  For each command, on a valid call:
 *
 *   - size 0 and the first version's size - 1 fail with EINVAL, a
 *     non-zero byte past the kernel's struct with E2BIG, and none of these
 *     changes anything (counters, objects, payloads, slots, the buffers
 *     the call names);
 *   - the same call with 8 zero bytes more succeeds and does what the
 *     command does.
 *
 * Adding a command is one row: how to prepare a valid call, and what it
 * must have done.  The collector's settings are saved and restored, with
 * automatic collection off meanwhile.
 */
#include "mobj_test.h"

FIXTURE(length) {
	MOBJ_FIXTURE_BASE;
	struct mobj_gc_state saved;
};

/* What a row works on: @fd, and its own objects and buffers. */
struct len_ctx {
	int fd;
	__u64 live;		/* the fixture's live objects before the row */
	struct mobj_gc_state *saved;
	__u32 a, b, weak;
	__u32 handles[2];
	__u64 ids[2];
	char buf[8];
	struct mobj_batch_op ops[1];
};

struct len_row {
	const char *name;
	unsigned long ioctl;
	size_t size;
	size_t first;		/* the size of its first version */
	/* Make a valid call in @u, with what it needs. */
	void (*prepare)(struct __test_metadata *_metadata, struct len_ctx *x,
			union mobj_any_cmd *u);
	/* After the refused sizes: what the command would have changed. */
	void (*unchanged)(struct __test_metadata *_metadata,
			  struct len_ctx *x, union mobj_any_cmd *u);
	/* After the oversized call worked: its effect; clean up. */
	void (*after)(struct __test_metadata *_metadata, struct len_ctx *x,
		      union mobj_any_cmd *u);
};

#define LIVE(x) (live_of((x)->fd) - (x)->live)
#define TN_TYPE MOBJ_TEST_TYPE

static struct mobj_info info_of(int fd, __u32 h)
{
	struct mobj_info info;

	if (mobj_info(fd, h, &info))
		memset(&info, 0xff, sizeof(info));
	return info;
}

/* QUERY, NOP */

static void query_after(struct __test_metadata *_metadata, struct len_ctx *x,
			union mobj_any_cmd *u)
{
	EXPECT_EQ(MOBJ_ABI_VERSION, u->query.abi_version);
}

/* NEW */

static void new_prepare(struct __test_metadata *_metadata, struct len_ctx *x,
			union mobj_any_cmd *u)
{
	u->new.type = T_STR;
	u->new.data_len = 2;
	u->new.data = (__u64)(unsigned long)"hi";
}

static void new_unchanged(struct __test_metadata *_metadata,
			  struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(0, LIVE(x));
}

static void new_after(struct __test_metadata *_metadata, struct len_ctx *x,
		      union mobj_any_cmd *u)
{
	EXPECT_NE(0, u->new.handle);
	EXPECT_EQ(u->new.id, id_of(x->fd, u->new.handle));
	CLOSE(x->fd, u->new.handle);
}

/* DUP, CLOSE, GETREFCOUNT, INFO */

static void dup_prepare(struct __test_metadata *_metadata, struct len_ctx *x,
			union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	u->dup.handle = x->a;
}

static void rc_a_is_1(struct __test_metadata *_metadata, struct len_ctx *x,
		      union mobj_any_cmd *u)
{
	EXPECT_EQ(1, rc_of(x->fd, x->a));
}

static void dup_after(struct __test_metadata *_metadata, struct len_ctx *x,
		      union mobj_any_cmd *u)
{
	EXPECT_EQ(2, rc_of(x->fd, x->a));
	CLOSE(x->fd, u->dup.new_handle);
	CLOSE(x->fd, x->a);
}

static void close_prepare(struct __test_metadata *_metadata,
			  struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	u->close.handle = x->a;
}

static void close_after(struct __test_metadata *_metadata, struct len_ctx *x,
			union mobj_any_cmd *u)
{
	EXPECT_EQ(0, LIVE(x));
}

static void getrefcount_prepare(struct __test_metadata *_metadata,
				struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	u->getrefcount.handle = x->a;
}

static void getrefcount_after(struct __test_metadata *_metadata,
			      struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(1, u->getrefcount.refcount);
	CLOSE(x->fd, x->a);
}

static void info_prepare(struct __test_metadata *_metadata, struct len_ctx *x,
			 union mobj_any_cmd *u)
{
	NEW_STR(x->fd, x->a, "abc");
	u->info.handle = x->a;
}

static void info_after(struct __test_metadata *_metadata, struct len_ctx *x,
		       union mobj_any_cmd *u)
{
	EXPECT_EQ(3, u->info.data_len);
	EXPECT_EQ(T_STR, u->info.type);
	CLOSE(x->fd, x->a);
}

/* DATA_READ, DATA_WRITE */

static void data_read_prepare(struct __test_metadata *_metadata,
			      struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW_STR(x->fd, x->a, "abc");
	u->data_read.handle = x->a;
	u->data_read.len = sizeof(x->buf);
	u->data_read.data = (__u64)(unsigned long)x->buf;
}

static void data_read_unchanged(struct __test_metadata *_metadata,
				struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(0, x->buf[0]);
}

static void data_read_after(struct __test_metadata *_metadata,
			    struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(3, u->data_read.len);
	EXPECT_EQ(3, u->data_read.data_len);
	EXPECT_EQ(0, memcmp(x->buf, "abc", 3));
	CLOSE(x->fd, x->a);
}

static void data_write_prepare(struct __test_metadata *_metadata,
			       struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW_STR(x->fd, x->a, "abc");
	u->data_write.handle = x->a;
	u->data_write.len = 5;
	u->data_write.data = (__u64)(unsigned long)"12345";
}

static void data_write_unchanged(struct __test_metadata *_metadata,
				 struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(3, info_of(x->fd, x->a).data_len);
}

static void data_write_after(struct __test_metadata *_metadata,
			     struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(5, info_of(x->fd, x->a).data_len);
	CLOSE(x->fd, x->a);
}

/* SLOT_APPEND, SLOT_SET, SLOT_GET, SLOT_POP */

static void slot_append_prepare(struct __test_metadata *_metadata,
				struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	NEW(x->fd, x->b);
	u->slot.handle = x->a;
	u->slot.value = x->b;
}

static void slot_append_unchanged(struct __test_metadata *_metadata,
				  struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(0, nslots_of(x->fd, x->a));
	EXPECT_EQ(1, rc_of(x->fd, x->b));
}

static void slot_append_after(struct __test_metadata *_metadata,
			      struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(1, nslots_of(x->fd, x->a));
	EXPECT_EQ(2, rc_of(x->fd, x->b));
	CLOSE(x->fd, x->a);
	CLOSE(x->fd, x->b);
}

/* a = [b], and (SET) a third object for slot 0: its handle in @weak. */
static void slot_set_prepare(struct __test_metadata *_metadata,
			     struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	NEW(x->fd, x->b);
	NEW(x->fd, x->weak);
	APPEND(x->fd, x->a, x->b);
	u->slot.handle = x->a;
	u->slot.index = 0;
	u->slot.value = x->weak;
}

static void slot_set_unchanged(struct __test_metadata *_metadata,
			       struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(2, rc_of(x->fd, x->b));
	EXPECT_EQ(1, rc_of(x->fd, x->weak));
}

static void slot_set_after(struct __test_metadata *_metadata,
			   struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(1, rc_of(x->fd, x->b));
	EXPECT_EQ(2, rc_of(x->fd, x->weak));
	CLOSE(x->fd, x->a);
	CLOSE(x->fd, x->b);
	CLOSE(x->fd, x->weak);
}

static void slot_one_prepare(struct __test_metadata *_metadata,
			     struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	NEW(x->fd, x->b);
	APPEND(x->fd, x->a, x->b);
	u->slot.handle = x->a;
}

static void slot_get_unchanged(struct __test_metadata *_metadata,
			       struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(2, rc_of(x->fd, x->b));
}

static void slot_get_after(struct __test_metadata *_metadata,
			   struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(3, rc_of(x->fd, x->b));
	EXPECT_EQ(id_of(x->fd, x->b), id_of(x->fd, u->slot.value));
	CLOSE(x->fd, u->slot.value);
	CLOSE(x->fd, x->a);
	CLOSE(x->fd, x->b);
}

static void slot_pop_unchanged(struct __test_metadata *_metadata,
			       struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(1, nslots_of(x->fd, x->a));
}

static void slot_pop_after(struct __test_metadata *_metadata,
			   struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(0, nslots_of(x->fd, x->a));
	EXPECT_EQ(1, rc_of(x->fd, x->b));
	CLOSE(x->fd, x->a);
	CLOSE(x->fd, x->b);
}

/* GC_COLLECT, GC_GET, GC_SET, GC_STATS, GC_FREEZE, GC_GARBAGE */

static void gc_collect_prepare(struct __test_metadata *_metadata,
			       struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	APPEND(x->fd, x->a, x->a);
	CLOSE(x->fd, x->a);
	u->gc_collect.generation = 0;
}

static void gc_collect_unchanged(struct __test_metadata *_metadata,
				 struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(1, LIVE(x));
}

static void gc_collect_after(struct __test_metadata *_metadata,
			     struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(1, u->gc_collect.collected);
	EXPECT_EQ(0, LIVE(x));
}

static void gc_get_after(struct __test_metadata *_metadata, struct len_ctx *x,
			 union mobj_any_cmd *u)
{
	EXPECT_EQ(0, u->gc_state.enabled);
	EXPECT_EQ(x->saved->threshold[1], u->gc_state.threshold[1]);
}

static void gc_set_prepare(struct __test_metadata *_metadata,
			   struct len_ctx *x, union mobj_any_cmd *u)
{
	u->gc_set.flags = MOBJ_GC_SET_ENABLED;
	u->gc_set.enabled = 1;
}

static void gc_set_unchanged(struct __test_metadata *_metadata,
			     struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(0, mobj_gc_isenabled(x->fd));
}

static void gc_set_after(struct __test_metadata *_metadata, struct len_ctx *x,
			 union mobj_any_cmd *u)
{
	EXPECT_EQ(1, mobj_gc_isenabled(x->fd));
	ASSERT_EQ(0, mobj_gc_disable(x->fd));
}

static void gc_stats_after(struct __test_metadata *_metadata,
			   struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(0, u->gc_stats.gen[0].uncollectable);
}

static void gc_freeze_prepare(struct __test_metadata *_metadata,
			      struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	APPEND(x->fd, x->a, x->a);
}

static void gc_freeze_unchanged(struct __test_metadata *_metadata,
				struct len_ctx *x, union mobj_any_cmd *u)
{
	__u64 count = ~0ULL;

	ASSERT_EQ(0, mobj_gc_get_freeze_count(x->fd, &count));
	EXPECT_EQ(x->saved->freeze_count, count);
}

/* Frozen: now UNFREEZE, by the same rules. */
static void gc_freeze_after(struct __test_metadata *_metadata,
			    struct len_ctx *x, union mobj_any_cmd *u)
{
	struct mobj_gc_freeze fr = { .flags = MOBJ_GC_UNFREEZE };
	__u64 count = ~0ULL;

	EXPECT_LE(1, u->gc_freeze.moved);
	EXPECT_LENGTH_ERRORS(x->fd, MOBJ_GC_FREEZE, fr);
	ASSERT_LENGTH_OK(x->fd, MOBJ_GC_FREEZE, fr);
	EXPECT_LE(1, fr.moved);
	ASSERT_EQ(0, mobj_gc_get_freeze_count(x->fd, &count));
	EXPECT_EQ(0, count);
	ASSERT_EQ(0, mobj_slot_pop(x->fd, x->a, 0));
	CLOSE(x->fd, x->a);
}

/* Two objects saved by DEBUG_SAVEALL. */
static void gc_garbage_prepare(struct __test_metadata *_metadata,
			       struct len_ctx *x, union mobj_any_cmd *u)
{
	ASSERT_EQ(0, mobj_gc_set_debug(x->fd, MOBJ_GC_DEBUG_SAVEALL));
	NEW(x->fd, x->a);
	NEW(x->fd, x->b);
	APPEND(x->fd, x->a, x->b);
	APPEND(x->fd, x->b, x->a);
	CLOSE(x->fd, x->a);
	CLOSE(x->fd, x->b);
	EXPECT_EQ(2, mobj_gc_collect(x->fd, 0, NULL));
	ASSERT_EQ(0, mobj_gc_set_debug(x->fd, 0));
	u->gc_garbage.count = 2;
	u->gc_garbage.handles = (__u64)(unsigned long)x->handles;
	u->gc_garbage.flags = MOBJ_GC_GARBAGE_CLEAR;
}

static void gc_garbage_unchanged(struct __test_metadata *_metadata,
				 struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(2, mobj_gc_garbage(x->fd, NULL, 0, 0, NULL));
}

static void gc_garbage_after(struct __test_metadata *_metadata,
			     struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(2, u->gc_garbage.count);
	EXPECT_EQ(2, u->gc_garbage.filled);
	ASSERT_EQ(0, mobj_slot_pop(x->fd, x->handles[0], 0));
	CLOSE(x->fd, x->handles[0]);
	CLOSE(x->fd, x->handles[1]);
}

/* REFERENTS, REFERRERS: a = [a] */

static void refs_prepare(struct __test_metadata *_metadata, struct len_ctx *x,
			 union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	APPEND(x->fd, x->a, x->a);
	u->refs.handle = x->a;
	u->refs.count = 2;
	u->refs.ids = (__u64)(unsigned long)x->ids;
}

static void refs_unchanged(struct __test_metadata *_metadata,
			   struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(0, x->ids[0]);
}

static void refs_after(struct __test_metadata *_metadata, struct len_ctx *x,
		       union mobj_any_cmd *u)
{
	EXPECT_EQ(1, u->refs.count);
	EXPECT_EQ(id_of(x->fd, x->a), x->ids[0]);
	ASSERT_EQ(0, mobj_slot_pop(x->fd, x->a, 0));
	CLOSE(x->fd, x->a);
}

/* WATCH, WEAKREF, WEAKREF_GET */

static void watch_prepare(struct __test_metadata *_metadata,
			  struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	u->watch.handle = x->a;
	u->watch.cookie = 77;
}

/* Exactly one watch was set up. */
static void watch_after(struct __test_metadata *_metadata, struct len_ctx *x,
			union mobj_any_cmd *u)
{
	struct pollfd p = { .fd = x->fd, .events = POLLIN };
	struct mobj_event ev[2];

	CLOSE(x->fd, x->a);
	ASSERT_EQ(1, poll(&p, 1, 1000));
	ASSERT_EQ(1, mobj_read_events(x->fd, ev, 2));
	EXPECT_EQ(77, ev[0].cookie);
	p.revents = 0;
	EXPECT_EQ(0, poll(&p, 1, 0));
}

static void weakref_prepare(struct __test_metadata *_metadata,
			    struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	u->weakref.handle = x->a;
}

static void weakref_after(struct __test_metadata *_metadata,
			  struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_NE(0, u->weakref.result);
	CLOSE(x->fd, u->weakref.result);
	CLOSE(x->fd, x->a);
}

static void weakref_get_prepare(struct __test_metadata *_metadata,
				struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	ASSERT_EQ(0, mobj_weakref(x->fd, x->a, &x->weak));
	u->weakref.handle = x->weak;
}

static void weakref_get_after(struct __test_metadata *_metadata,
			      struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(2, rc_of(x->fd, x->a));
	CLOSE(x->fd, u->weakref.result);
	CLOSE(x->fd, x->weak);
	CLOSE(x->fd, x->a);
}

/* TYPE_NAME: set, then (GET) read back by the same rules */

static void type_name_prepare(struct __test_metadata *_metadata,
			      struct len_ctx *x, union mobj_any_cmd *u)
{
	u->type_name.type = TN_TYPE;
	memcpy(u->type_name.name, "len", 3);
}

static void type_name_unchanged(struct __test_metadata *_metadata,
				struct len_ctx *x, union mobj_any_cmd *u)
{
	char name[MOBJ_TYPE_NAME_MAX];

	EXPECT_EQ(0, mobj_type_name_get(x->fd, TN_TYPE, name, sizeof(name)));
}

static void type_name_after(struct __test_metadata *_metadata,
			    struct len_ctx *x, union mobj_any_cmd *u)
{
	struct mobj_type_name tn = { .type = TN_TYPE,
				     .flags = MOBJ_TYPE_NAME_GET };
	char name[MOBJ_TYPE_NAME_MAX];

	EXPECT_EQ(3, mobj_type_name_get(x->fd, TN_TYPE, name, sizeof(name)));
	EXPECT_LENGTH_ERRORS(x->fd, MOBJ_TYPE_NAME, tn);
	ASSERT_LENGTH_OK(x->fd, MOBJ_TYPE_NAME, tn);
	EXPECT_STREQ("len", tn.name);
	ASSERT_EQ(0, mobj_type_name_set(x->fd, TN_TYPE, ""));
}

/* BATCH: one NEW */

static void batch_prepare(struct __test_metadata *_metadata,
			  struct len_ctx *x, union mobj_any_cmd *u)
{
	x->ops[0] = (struct mobj_batch_op) { .cmd = MOBJ_CMD_NEW, .handle = 1 };
	u->batch.count = 1;
	u->batch.ops = (__u64)(unsigned long)x->ops;
}

static void batch_after(struct __test_metadata *_metadata, struct len_ctx *x,
			union mobj_any_cmd *u)
{
	EXPECT_EQ(1, u->batch.done);
	EXPECT_EQ(0, x->ops[0].error);
	CLOSE(x->fd, x->ops[0].result);
}

/* GC_LEAKS: a = [a], its handle closed: found, and left alive */

static void gc_leaks_prepare(struct __test_metadata *_metadata,
			     struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	APPEND(x->fd, x->a, x->a);
	ASSERT_EQ(0, mobj_weakref(x->fd, x->a, &x->weak));
	CLOSE(x->fd, x->a);
	u->gc_leaks.count = 2;
	u->gc_leaks.ids = (__u64)(unsigned long)x->ids;
}

static void gc_leaks_unchanged(struct __test_metadata *_metadata,
			       struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(0, x->ids[0]);
	EXPECT_EQ(1, LIVE(x));
}

static void gc_leaks_after(struct __test_metadata *_metadata,
			   struct len_ctx *x, union mobj_any_cmd *u)
{
	__u32 h;

	EXPECT_EQ(1, u->gc_leaks.count);
	EXPECT_EQ(1, LIVE(x));
	ASSERT_EQ(0, mobj_weakref_get(x->fd, x->weak, &h));
	EXPECT_EQ(id_of(x->fd, h), x->ids[0]);
	ASSERT_EQ(0, mobj_slot_pop(x->fd, h, 0));
	CLOSE(x->fd, h);
	CLOSE(x->fd, x->weak);
	EXPECT_EQ(0, LIVE(x));
}

/* TYPE_COUNTS: three objects of one type lead the caller's counts */

#define TC_TYPE 0x6c656e33

static void type_counts_prepare(struct __test_metadata *_metadata,
				struct len_ctx *x, union mobj_any_cmd *u)
{
	ASSERT_EQ(0, mobj_new(x->fd, TC_TYPE, NULL, 0, &x->a, NULL));
	ASSERT_EQ(0, mobj_new(x->fd, TC_TYPE, NULL, 0, &x->b, NULL));
	ASSERT_EQ(0, mobj_new(x->fd, TC_TYPE, NULL, 0, &x->handles[0], NULL));
	u->type_counts.count = 1;
	u->type_counts.types = (__u64)(unsigned long)x->ids;
}

static void type_counts_unchanged(struct __test_metadata *_metadata,
				  struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(0, x->ids[0]);
	EXPECT_EQ(0, x->ids[1]);
	EXPECT_EQ(3, LIVE(x));
}

static void type_counts_after(struct __test_metadata *_metadata,
			      struct len_ctx *x, union mobj_any_cmd *u)
{
	struct mobj_type_count tc;

	memcpy(&tc, x->ids, sizeof(tc));
	EXPECT_LE(1, u->type_counts.count);
	EXPECT_LE(3, u->type_counts.objects);
	EXPECT_EQ(TC_TYPE, tc.type);
	EXPECT_EQ(3, tc.count);
	EXPECT_EQ(3, LIVE(x));
	CLOSE(x->fd, x->a);
	CLOSE(x->fd, x->b);
	CLOSE(x->fd, x->handles[0]);
}

/* EXPORT, IMPORT: the descriptor holds a reference of its own */

static void export_prepare(struct __test_metadata *_metadata,
			   struct len_ctx *x, union mobj_any_cmd *u)
{
	NEW(x->fd, x->a);
	u->export.handle = x->a;
}

static void export_after(struct __test_metadata *_metadata,
			 struct len_ctx *x, union mobj_any_cmd *u)
{
	ASSERT_LE(0, u->export.fd);
	EXPECT_EQ(2, rc_of(x->fd, x->a));
	EXPECT_EQ(0, close(u->export.fd));
	EXPECT_EQ(1, rc_of(x->fd, x->a));
	CLOSE(x->fd, x->a);
}

static void import_prepare(struct __test_metadata *_metadata,
			   struct len_ctx *x, union mobj_any_cmd *u)
{
	int objfd;

	NEW(x->fd, x->a);
	ASSERT_EQ(0, mobj_export(x->fd, x->a, &objfd));
	x->weak = objfd;
	u->import.fd = objfd;
}

static void rc_a_is_2(struct __test_metadata *_metadata, struct len_ctx *x,
		      union mobj_any_cmd *u)
{
	EXPECT_EQ(2, rc_of(x->fd, x->a));
}

static void import_after(struct __test_metadata *_metadata,
			 struct len_ctx *x, union mobj_any_cmd *u)
{
	EXPECT_EQ(3, rc_of(x->fd, x->a));
	EXPECT_EQ(id_of(x->fd, x->a), id_of(x->fd, u->import.handle));
	CLOSE(x->fd, u->import.handle);
	EXPECT_EQ(0, close(x->weak));
	CLOSE(x->fd, x->a);
}

#define __ROW(_cmd, _struct, _first, _prepare, _unchanged, _after)	\
	FIXTURE_VARIANT_ADD(length, _cmd) {				\
		.row = {						\
			.name = #_cmd,					\
			.ioctl = MOBJ_##_cmd,				\
			.size = sizeof(struct _struct),			\
			.first = _first,				\
			.prepare = _prepare,				\
			.unchanged = _unchanged,			\
			.after = _after,				\
		},							\
	}

/* A command whose struct has not grown since its first version. */
#define ROW(_cmd, _struct, _prepare, _unchanged, _after)		\
	__ROW(_cmd, _struct, sizeof(struct _struct), _prepare, _unchanged, \
	      _after)

/* One whose first version ended with @_last. */
#define ROW_GREW(_cmd, _struct, _last, _prepare, _unchanged, _after)	\
	__ROW(_cmd, _struct, offsetofend(struct _struct, _last), _prepare, \
	      _unchanged, _after)

FIXTURE_VARIANT(length) {
	struct len_row row;
};

ROW_GREW(QUERY, mobj_query, __reserved2, NULL, NULL, query_after);
ROW(NOP, mobj_nop, NULL, NULL, NULL);
ROW(NEW, mobj_new, new_prepare, new_unchanged, new_after);
ROW(DUP, mobj_dup, dup_prepare, rc_a_is_1, dup_after);
ROW(CLOSE, mobj_close, close_prepare, rc_a_is_1, close_after);
ROW(GETREFCOUNT, mobj_getrefcount, getrefcount_prepare, NULL,
    getrefcount_after);
ROW(INFO, mobj_info, info_prepare, NULL, info_after);
ROW(DATA_READ, mobj_data_read, data_read_prepare, data_read_unchanged,
    data_read_after);
ROW(DATA_WRITE, mobj_data_write, data_write_prepare, data_write_unchanged,
    data_write_after);
ROW(SLOT_APPEND, mobj_slot, slot_append_prepare, slot_append_unchanged,
    slot_append_after);
ROW(SLOT_SET, mobj_slot, slot_set_prepare, slot_set_unchanged,
    slot_set_after);
ROW(SLOT_GET, mobj_slot, slot_one_prepare, slot_get_unchanged,
    slot_get_after);
ROW(SLOT_POP, mobj_slot, slot_one_prepare, slot_pop_unchanged,
    slot_pop_after);
ROW(GC_COLLECT, mobj_gc_collect, gc_collect_prepare, gc_collect_unchanged,
    gc_collect_after);
ROW(GC_GET, mobj_gc_state, NULL, NULL, gc_get_after);
ROW(GC_SET, mobj_gc_set, gc_set_prepare, gc_set_unchanged, gc_set_after);
ROW_GREW(GC_STATS, mobj_gc_stats, gen, NULL, NULL, gc_stats_after);
ROW(GC_FREEZE, mobj_gc_freeze, gc_freeze_prepare, gc_freeze_unchanged,
    gc_freeze_after);
ROW(GC_GARBAGE, mobj_gc_garbage, gc_garbage_prepare, gc_garbage_unchanged,
    gc_garbage_after);
ROW(REFERENTS, mobj_refs, refs_prepare, refs_unchanged, refs_after);
ROW(REFERRERS, mobj_refs, refs_prepare, refs_unchanged, refs_after);
ROW(WATCH, mobj_watch, watch_prepare, NULL, watch_after);
ROW(WEAKREF, mobj_weakref, weakref_prepare, NULL, weakref_after);
ROW(WEAKREF_GET, mobj_weakref, weakref_get_prepare, rc_a_is_1,
    weakref_get_after);
ROW(TYPE_NAME, mobj_type_name, type_name_prepare, type_name_unchanged,
    type_name_after);
ROW(BATCH, mobj_batch, batch_prepare, NULL, batch_after);
ROW(EXPORT, mobj_export, export_prepare, rc_a_is_1, export_after);
ROW(IMPORT, mobj_import, import_prepare, rc_a_is_2, import_after);
ROW(GC_LEAKS, mobj_gc_leaks, gc_leaks_prepare, gc_leaks_unchanged,
    gc_leaks_after);
ROW(TYPE_COUNTS, mobj_type_counts, type_counts_prepare,
    type_counts_unchanged, type_counts_after);

FIXTURE_SETUP(length)
{
	MOBJ_FIXTURE_OPEN(self);
	MOBJ_GC_SAVE(self);
	ASSERT_EQ(0, mobj_gc_disable(self->fd));
	ASSERT_EQ(0, mobj_counts(self->fd, &self->base));
}

FIXTURE_TEARDOWN(length)
{
	MOBJ_GC_RESTORE(self);
	mobj_teardown_check(_metadata, self->fd, self->extra, &self->params,
			    &self->base);
}

/* The row of @ioctl in the table; NULL if it has none. */
static const struct len_row *len_row_of(unsigned long ioctl)
{
	struct __fixture_variant_metadata *v;
	const struct len_row *row;

	for (v = _length_fixture_object.variant; v; v = v->next) {
		row = v->data;
		if (row->ioctl == ioctl)
			return row;
	}
	return NULL;
}

/* Every command's table row is a test of its own. */
TEST_F(length, sizes)
{
	const struct len_row *row = &variant->row;
	struct len_ctx x = {
		.fd = self->fd,
		.live = self->base.live_objects,
		.saved = &self->saved,
	};
	struct mobj_counts before, after;
	union mobj_any_cmd u;
	size_t i;

	/* One row per command that mobj_cmds[] in mobj_test.h knows. */
	for (i = 0; i < ARRAY_SIZE(mobj_cmds); i++)
		EXPECT_NE(NULL, len_row_of(mobj_cmds[i].ioctl))
			TH_LOG("no length row for command %zu", i);
	for (i = 0; i < ARRAY_SIZE(mobj_cmds); i++)
		if (mobj_cmds[i].ioctl == row->ioctl)
			break;
	ASSERT_LT(i, ARRAY_SIZE(mobj_cmds)) TH_LOG("ioctl %#lx: unknown", row->ioctl);
	ASSERT_EQ(mobj_cmds[i].size, row->size);

	memset(&u, 0, sizeof(u));
	if (row->prepare)
		row->prepare(_metadata, &x, &u);
	ASSERT_EQ(0, mobj_counts(self->fd, &before));
	EXPECT_ERRNO(EINVAL, mobj_sized(self->fd, row->ioctl, &u, row->size, 0,
					false));
	EXPECT_ERRNO(EINVAL, mobj_sized(self->fd, row->ioctl, &u, row->size,
					row->first - 1, false));
	EXPECT_ERRNO(E2BIG, mobj_sized(self->fd, row->ioctl, &u, row->size,
				       row->size + 8, true));
	EXPECT_ERRNO(E2BIG, mobj_sized(self->fd, row->ioctl, &u, row->size,
				       row->size + 1, true));
	ASSERT_EQ(0, mobj_counts(self->fd, &after));
	EXPECT_COUNTS_EQ(before, after);
	if (row->unchanged)
		row->unchanged(_metadata, &x, &u);
	/* A struct that grew still takes its first version (QUERY only). */
	if (row->first != row->size)
		ASSERT_EQ(0, mobj_sized(self->fd, row->ioctl, &u, row->size,
					row->first, false));
	ASSERT_EQ(0, mobj_sized(self->fd, row->ioctl, &u, row->size,
				row->size + 8, false));
	if (row->after)
		row->after(_metadata, &x, &u);
}

TEST_HARNESS_MAIN
