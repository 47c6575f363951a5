// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_libabi: the boundary between programs and libmobj.so, where structs
 * that may grow cross by pointer.  Linked dynamically against the
 * library in the tree (the others are static).
 *
 *  - A program built against libmobj 1.0 calls the LIBMOBJ_1.0 symbols
 *    with the 1.0 sizes of the structs: the library must never write (or
 *    read) past them, whatever it and the module know now.  The calls are
 *    bound to those versioned symbols here with .symver, as the 1.0
 *    program's link did.
 *  - The _sized functions (behind the inline wrappers of <mobj.h>) take
 *    the caller's size: smaller than the library's gets its part, larger
 *    gets zeros past the library's end, and input bytes past it must be
 *    zero (E2BIG); smaller than the first version fails with EINVAL.
 */
#include "mobj_test.h"

/* libmobj 1.0's entry points, as a program linked against 1.0 has them. */
int mobj_query_v1_0(int fd, void *query);
int mobj_info_v1_0(int fd, __u32 handle, void *info);
int mobj_gc_get_v1_0(int fd, void *state);
int mobj_gc_set_v1_0(int fd, const void *set);
int mobj_gc_get_stats_v1_0(int fd, void *stats);
int mobj_gc_collect_v1_0(int fd, __u32 generation, void *out);
int mobj_batch_v1_0(int fd, void *ops, __u32 count, __u32 *done);
__asm__(".symver mobj_query_v1_0, mobj_query@LIBMOBJ_1.0");
__asm__(".symver mobj_info_v1_0, mobj_info@LIBMOBJ_1.0");
__asm__(".symver mobj_gc_get_v1_0, mobj_gc_get@LIBMOBJ_1.0");
__asm__(".symver mobj_gc_set_v1_0, mobj_gc_set@LIBMOBJ_1.0");
__asm__(".symver mobj_gc_get_stats_v1_0, mobj_gc_get_stats@LIBMOBJ_1.0");
__asm__(".symver mobj_gc_collect_v1_0, mobj_gc_collect@LIBMOBJ_1.0");
__asm__(".symver mobj_batch_v1_0, mobj_batch@LIBMOBJ_1.0");

/* The sizes the structs had in libmobj 1.0 (and the module's ABI 1). */
#define QUERY_1_0	offsetofend(struct mobj_query, __reserved2)
#define INFO_1_0	offsetofend(struct mobj_info, state)
#define GC_STATE_1_0	offsetofend(struct mobj_gc_state, garbage_count)
#define GC_SET_1_0	offsetofend(struct mobj_gc_set, __reserved)
#define GC_STATS_1_0	offsetofend(struct mobj_gc_stats, gen)
#define GC_COLLECT_1_0	offsetofend(struct mobj_gc_collect, duration_ns)
#define BATCH_OP_1_0	offsetofend(struct mobj_batch_op, result)

#define GUARD	0xee

/*
 * A struct of @size bytes at the end of a page, the next page
 * inaccessible: a write or read past @size faults, and the bytes before
 * the struct are a guard too.
 */
struct edge {
	__u8 *page;
	size_t pagesz;
};

static void *edge_get(struct edge *e, size_t size)
{
	e->pagesz = sysconf(_SC_PAGESIZE);
	e->page = mmap(NULL, 2 * e->pagesz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (e->page == MAP_FAILED)
		return NULL;
	memset(e->page, GUARD, e->pagesz);
	if (mprotect(e->page + e->pagesz, e->pagesz, PROT_NONE))
		return NULL;
	return e->page + e->pagesz - size;
}

static void edge_put(struct edge *e)
{
	munmap(e->page, 2 * e->pagesz);
}

static bool all_guard(const void *p, size_t len)
{
	const __u8 *b = p;

	while (len--)
		if (*b++ != GUARD)
			return false;
	return true;
}

FIXTURE(libabi) {
	MOBJ_FIXTURE_BASE;
	struct mobj_gc_state saved;
};

FIXTURE_SETUP(libabi)
{
	MOBJ_FIXTURE_OPEN(self);
	MOBJ_GC_SAVE(self);
	ASSERT_EQ(0, mobj_counts(self->fd, &self->base));
}

FIXTURE_TEARDOWN(libabi)
{
	MOBJ_GC_RESTORE(self);
	mobj_teardown_check(_metadata, self->fd, self->extra, &self->params,
			    &self->base);
}

/* A 1.0 program's QUERY: its 112 bytes filled, nothing past them. */
TEST_F(libabi, query_1_0_at_its_size)
{
	struct mobj_query *q;
	struct edge e;

	q = edge_get(&e, QUERY_1_0);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(0, mobj_query_v1_0(self->fd, q));
	EXPECT_EQ(QUERY_1_0, q->size);
	EXPECT_EQ(MOBJ_ABI_VERSION, q->abi_version);
	EXPECT_EQ(self->base.live_objects, q->live_objects);
	EXPECT_TRUE(all_guard(e.page, e.pagesz - QUERY_1_0));
	edge_put(&e);
}

/* The other 1.0 entry points, each at its 1.0 size. */
TEST_F(libabi, others_1_0_at_their_sizes)
{
	struct mobj_batch_op *ops;
	struct mobj_gc_collect *gc;
	struct mobj_gc_stats *st;
	struct mobj_gc_state *gs;
	struct mobj_gc_set *set;
	struct mobj_info *info;
	struct edge e;
	__u32 h, done;
	__u64 id;

	ASSERT_EQ(0, mobj_new(self->fd, T_STR, "abc", 3, &h, &id));
	info = edge_get(&e, INFO_1_0);
	ASSERT_NE(NULL, info);
	ASSERT_EQ(0, mobj_info_v1_0(self->fd, h, info));
	EXPECT_EQ(id, info->id);
	EXPECT_EQ(3, info->data_len);
	EXPECT_TRUE(all_guard(e.page, e.pagesz - INFO_1_0));
	edge_put(&e);

	gs = edge_get(&e, GC_STATE_1_0);
	ASSERT_NE(NULL, gs);
	ASSERT_EQ(0, mobj_gc_get_v1_0(self->fd, gs));
	EXPECT_EQ(self->saved.threshold[0], gs->threshold[0]);
	EXPECT_TRUE(all_guard(e.page, e.pagesz - GC_STATE_1_0));
	edge_put(&e);

	/* Input: read up to its size only (the next page faults). */
	set = edge_get(&e, GC_SET_1_0);
	ASSERT_NE(NULL, set);
	memset(set, 0, GC_SET_1_0);
	set->flags = MOBJ_GC_SET_ENABLED;
	set->enabled = 0;
	ASSERT_EQ(0, mobj_gc_set_v1_0(self->fd, set));
	EXPECT_EQ(0, mobj_gc_isenabled(self->fd));
	edge_put(&e);

	st = edge_get(&e, GC_STATS_1_0);
	ASSERT_NE(NULL, st);
	ASSERT_EQ(0, mobj_gc_get_stats_v1_0(self->fd, st));
	EXPECT_TRUE(all_guard(e.page, e.pagesz - GC_STATS_1_0));
	edge_put(&e);

	gc = edge_get(&e, GC_COLLECT_1_0);
	ASSERT_NE(NULL, gc);
	EXPECT_LE(0, mobj_gc_collect_v1_0(self->fd, 0, gc));
	EXPECT_EQ(0, gc->generation);
	EXPECT_TRUE(all_guard(e.page, e.pagesz - GC_COLLECT_1_0));
	edge_put(&e);

	ops = edge_get(&e, 2 * BATCH_OP_1_0);
	ASSERT_NE(NULL, ops);
	memset(ops, 0, 2 * BATCH_OP_1_0);
	ops[0].cmd = MOBJ_CMD_DUP;
	ops[0].handle = h;
	ops[1].cmd = MOBJ_CMD_GETREFCOUNT;
	ops[1].handle = MOBJ_BATCH_RESULT(0);
	ASSERT_EQ(0, mobj_batch_v1_0(self->fd, ops, 2, &done));
	EXPECT_EQ(2, done);
	EXPECT_EQ(2, ops[1].result);
	EXPECT_EQ(0, mobj_handle_close(self->fd, ops[0].result));
	edge_put(&e);
	EXPECT_EQ(0, mobj_handle_close(self->fd, h));
}

/* The caller's size, smaller, larger or too small. */
TEST_F(libabi, sized_smaller_larger_too_small)
{
	__u8 buf[sizeof(struct mobj_query) + 32];
	struct mobj_query *q = (struct mobj_query *)buf;
	struct mobj_gc_set set[2];

	memset(buf, GUARD, sizeof(buf));
	ASSERT_EQ(0, mobj_query_sized(self->fd, q, QUERY_1_0));
	EXPECT_EQ(QUERY_1_0, q->size);
	EXPECT_TRUE(all_guard(buf + QUERY_1_0, sizeof(buf) - QUERY_1_0));

	memset(buf, GUARD, sizeof(buf));
	ASSERT_EQ(0, mobj_query_sized(self->fd, q, sizeof(buf)));
	EXPECT_EQ(sizeof(buf), q->size);
	EXPECT_EQ(sizeof(struct mobj_event), q->event_size);
	/* What a newer caller knows and the library does not: zero. */
	EXPECT_EQ(0, memcmp(buf + sizeof(*q), (__u8[32]){ 0 }, 32));

	EXPECT_ERRNO(EINVAL, mobj_query_sized(self->fd, q, QUERY_1_0 - 1));
	EXPECT_ERRNO(EINVAL, mobj_info_sized(self->fd, 1,
					     (struct mobj_info *)buf, 8));

	/* Input from a newer caller: zero past the library's end, or E2BIG. */
	memset(set, 0, sizeof(set));
	set[0].flags = MOBJ_GC_SET_ENABLED;
	set[0].enabled = 1;
	ASSERT_EQ(0, mobj_gc_set_sized(self->fd, set, sizeof(set)));
	EXPECT_EQ(1, mobj_gc_isenabled(self->fd));
	set[0].enabled = 0;
	((__u8 *)&set[1])[5] = 1;
	EXPECT_ERRNO(E2BIG, mobj_gc_set_sized(self->fd, set, sizeof(set)));
	EXPECT_EQ(1, mobj_gc_isenabled(self->fd));
	ASSERT_EQ(0, mobj_gc_disable(self->fd));
}

/* A batch whose entries are larger than the library's: converted. */
TEST_F(libabi, batch_other_stride)
{
	struct wide_op {
		struct mobj_batch_op op;
		__u64 more[2];
	} wide[3];
	__u32 h, done;

	ASSERT_EQ(0, mobj_new(self->fd, T_PLAIN, NULL, 0, &h, NULL));
	memset(wide, 0, sizeof(wide));
	wide[0].op = (struct mobj_batch_op) { .cmd = MOBJ_CMD_DUP, .handle = h };
	wide[1].op = (struct mobj_batch_op) { .cmd = MOBJ_CMD_GETREFCOUNT,
					      .handle = h };
	wide[2].op = (struct mobj_batch_op) { .cmd = MOBJ_CMD_CLOSE,
					      .handle = MOBJ_BATCH_RESULT(0) };
	ASSERT_EQ(0, mobj_batch_sized(self->fd, &wide[0].op, 3, sizeof(wide[0]),
				      &done));
	EXPECT_EQ(3, done);
	EXPECT_NE(0, wide[0].op.result);
	EXPECT_EQ(2, wide[1].op.result);
	EXPECT_EQ(0, wide[2].op.error);
	EXPECT_EQ(1, rc_of(self->fd, h));
	/* A non-zero byte the library does not know: refused, nothing ran. */
	wide[1].more[1] = 1;
	EXPECT_ERRNO(E2BIG, mobj_batch_sized(self->fd, &wide[0].op, 3,
					     sizeof(wide[0]), &done));
	EXPECT_EQ(1, rc_of(self->fd, h));
	EXPECT_EQ(0, mobj_handle_close(self->fd, h));
}

TEST_HARNESS_MAIN
