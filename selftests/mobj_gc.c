// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_gc: the cycle collector (MOBJ_GC_*), MOBJ_REFERENTS/REFERRERS,
 * death notices (MOBJ_WATCH, read(), poll()) and weak references.
 *
 * The collector's settings are device-wide.  The fixture saves them,
 * turns automatic collection off so that only the test decides when a
 * collection runs, and puts them back afterwards; tests that need the
 * automatic collector turn it on themselves.
 */
#include "mobj_test.h"

FIXTURE(gc) {
	MOBJ_FIXTURE_BASE;
	struct mobj_gc_state saved;
};

FIXTURE_SETUP(gc)
{
	MOBJ_FIXTURE_OPEN(self);
	ASSERT_EQ(0, mobj_gc_get(self->fd, &self->saved));
	ASSERT_EQ(0, mobj_gc_disable(self->fd));
	ASSERT_EQ(0, mobj_gc_clean(self->fd));
	ASSERT_EQ(0, mobj_counts(self->fd, &self->base));
}

FIXTURE_TEARDOWN(gc)
{
	struct mobj_counts now;
	__u64 frozen;
	int i, check;

	for (i = 0; i < MOBJ_EXTRA_FDS; i++)
		if (self->extra[i] >= 0)
			close(self->extra[i]);
	EXPECT_EQ(0, mobj_params_restore(&self->params));
	EXPECT_EQ(0, close(self->fd));
	check = mobj_dev_open();
	EXPECT_LE(0, check);
	if (check < 0)
		return;
	/* Every test frees its own cycles: nothing may be left. */
	EXPECT_EQ(0, mobj_counts(check, &now));
	EXPECT_EQ(self->base.live_objects, now.live_objects);
	EXPECT_EQ(self->base.live_handles, now.live_handles);
	/* Then clean up for the next test anyway, and restore the settings. */
	if (!mobj_gc_get_freeze_count(check, &frozen) &&
	    frozen > self->saved.freeze_count)
		mobj_gc_unfreeze(check, NULL);
	EXPECT_EQ(0, mobj_gc_clean(check));
	EXPECT_EQ(0, mobj_gc_apply(check, self->saved.enabled, self->saved.debug,
			      self->saved.threshold));
	close(check);
}

#define COLLECT(fd, gen) mobj_gc_collect(fd, gen, NULL)
#define LIVE(self) (live_of((self)->fd) - (self)->base.live_objects)

/* @count objects on the garbage list, @live of the test's objects alive. */
#define EXPECT_GARBAGE_LIVE(self, count, live) do { \
	struct mobj_gc_state __st; \
	ASSERT_EQ(0, mobj_gc_get((self)->fd, &__st)); \
	EXPECT_EQ(count, __st.garbage_count); \
	EXPECT_EQ(live, LIVE(self)); \
} while (0)

/* Ids no object has, in each of @n entries: what a command leaves stays. */
static void poison_ids(__u64 *ids, unsigned int n)
{
	while (n--)
		ids[n] = 0xdeadbeef;
}

/* a.append(b); b.append(a), both handles kept. */
#define CYCLE2(fd, a, b) do { \
	NEW(fd, a); \
	NEW(fd, b); \
	APPEND(fd, a, b); \
	APPEND(fd, b, a); \
} while (0)

/* Up to @n events, waiting at most @ms for the first. */
static int events_wait(int fd, struct mobj_event *ev, size_t n, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret;

	ret = poll(&p, 1, ms);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return 0;
	return mobj_read_events(fd, ev, n);
}

static int events_pending(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0);
}

/* Wait up to @ms for the device's live objects to reach @want. */
static __u64 live_wait(int fd, __u64 want, unsigned int ms)
{
	__u64 end = mobj_now_ms() + ms, live;

	for (;;) {
		live = live_of(fd);
		if (live == want || mobj_now_ms() > end)
			return live;
		usleep(10000);
	}
}

TEST_F(gc, query_commands)
{
	struct mobj_query q;
	unsigned int nr;

	ASSERT_EQ(0, mobj_query(self->fd, &q));
	for (nr = 0; nr < MOBJ_TEST_NR_CMDS; nr++) {
		EXPECT_TRUE(q.commands & (1ULL << nr)) {
			TH_LOG("command %u missing from the bitmap", nr);
		}
	}
	EXPECT_EQ((1ULL << MOBJ_TEST_NR_CMDS) - 1, q.commands);
}

/* MOBJ_GC_COLLECT: which shapes are garbage */

TEST_F(gc, collect_self_list)
{
	__u32 a;

	NEW(self->fd, a);
	APPEND(self->fd, a, a);
	EXPECT_EQ(2, rc_of(self->fd, a));
	CLOSE(self->fd, a);
	EXPECT_EQ(1, LIVE(self));
	EXPECT_EQ(1, COLLECT(self->fd, 0));
	EXPECT_EQ(0, LIVE(self));
	EXPECT_EQ(0, COLLECT(self->fd, 2));
}

TEST_F(gc, collect_pair)
{
	__u32 a, b;

	CYCLE2(self->fd, a, b);
	EXPECT_EQ(2, rc_of(self->fd, a));
	EXPECT_EQ(2, rc_of(self->fd, b));
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	EXPECT_EQ(2, LIVE(self));
	EXPECT_EQ(2, COLLECT(self->fd, 0));
	EXPECT_EQ(0, LIVE(self));
}

TEST_F(gc, collect_held_cycle)
{
	__u32 a, b;

	CYCLE2(self->fd, a, b);
	CLOSE(self->fd, b);
	/* a's handle keeps both alive. */
	EXPECT_EQ(0, COLLECT(self->fd, 0));
	EXPECT_EQ(0, COLLECT(self->fd, 2));
	EXPECT_EQ(2, LIVE(self));
	EXPECT_EQ(2, rc_of(self->fd, a));
	EXPECT_EQ(1, nslots_of(self->fd, a));
	CLOSE(self->fd, a);
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	EXPECT_EQ(0, LIVE(self));
}

TEST_F(gc, collect_frees_what_only_garbage_holds)
{
	__u32 a, b, leaf, list, kept;

	CYCLE2(self->fd, a, b);
	NEW(self->fd, leaf);		/* no slots: never tracked */
	NEW(self->fd, list);
	NEW(self->fd, kept);
	APPEND(self->fd, list, kept);	/* tracked, not in a cycle */
	APPEND(self->fd, a, leaf);
	APPEND(self->fd, b, list);
	CLOSE(self->fd, leaf);
	CLOSE(self->fd, list);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	EXPECT_EQ(5, LIVE(self));
	EXPECT_EQ(2, rc_of(self->fd, kept));
	/*
	 * a, b and list are tracked and unreachable; leaf is untracked and
	 * goes when a's slots are dropped; kept keeps its handle.
	 */
	EXPECT_EQ(3, COLLECT(self->fd, 0));
	EXPECT_EQ(1, LIVE(self));
	EXPECT_EQ(1, rc_of(self->fd, kept));
	CLOSE(self->fd, kept);
	EXPECT_EQ(0, LIVE(self));
}

/*
 * A graph: @n objects with the slot edges @e; handles to those in @held (a
 * bit mask) are kept.  collect(2) must find @garbage and leave @survivors.
 */
struct shape {
	const char *name;
	unsigned int n;
	unsigned int nedges;
	unsigned char e[16][2];
	unsigned int held;
	int garbage;		/* what collect(2) returns */
	int survivors;		/* live objects after it */
};

static void run_shape(struct __test_metadata *_metadata, int fd,
		      const struct shape *s, __u64 base)
{
	__u32 h[16];
	unsigned int i;

	for (i = 0; i < s->n; i++)
		ASSERT_EQ(0, mobj_new(fd, T_LIST, NULL, 0, &h[i], NULL));
	for (i = 0; i < s->nedges; i++)
		ASSERT_EQ(0, mobj_slot_append(fd, h[s->e[i][0]], h[s->e[i][1]],
					 NULL));
	for (i = 0; i < s->n; i++)
		if (!(s->held & (1U << i)))
			ASSERT_EQ(0, mobj_handle_close(fd, h[i]));
	EXPECT_EQ(s->garbage, mobj_gc_collect(fd, 2, NULL)) {
		TH_LOG("shape %s", s->name);
	}
	EXPECT_EQ(base + s->survivors, live_of(fd)) {
		TH_LOG("shape %s", s->name);
	}
	for (i = 0; i < s->n; i++)
		if (s->held & (1U << i))
			ASSERT_EQ(0, mobj_handle_close(fd, h[i]));
	/* Whatever was held may now be garbage too. */
	mobj_gc_collect(fd, 2, NULL);
	EXPECT_EQ(base, live_of(fd)) {
		TH_LOG("shape %s", s->name);
	}
}

TEST_F(gc, collect_shapes)
{
	static const struct shape shapes[] = {
		{ "triangle", 3, 3, { {0, 1}, {1, 2}, {2, 0} }, 0, 3, 0 },
		{ "figure eight", 3, 4, { {0, 1}, {1, 0}, {1, 2}, {2, 1} },
		  0, 3, 0 },
		{ "cross edge", 4, 5,
		  { {0, 1}, {1, 2}, {2, 0}, {0, 3}, {3, 1} }, 0, 4, 0 },
		{ "two cycles, one held", 4, 4,
		  { {0, 1}, {1, 0}, {2, 3}, {3, 2} }, 1U << 0, 2, 2 },
		{ "held object into a cycle", 3, 3,
		  { {0, 1}, {1, 2}, {2, 1} }, 1U << 0, 0, 3 },
		{ "cycle into a held object", 3, 3,
		  { {0, 1}, {1, 0}, {1, 2} }, 1U << 2, 2, 1 },
		{ "backtrack into an SCC", 5, 6,
		  { {0, 1}, {1, 2}, {2, 0}, {2, 3}, {3, 4}, {4, 2} }, 0, 5, 0 },
		{ "mixed lowpoint", 6, 8,
		  { {0, 1}, {1, 2}, {2, 0}, {1, 3}, {3, 4}, {4, 5}, {5, 3},
		    {4, 1} }, 0, 6, 0 },
		{ "held inside a big cycle", 8, 8,
		  { {0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 7},
		    {7, 0} }, 1U << 5, 0, 8 },
		{ "parallel slots", 2, 4, { {0, 1}, {0, 1}, {1, 0}, {1, 1} },
		  0, 2, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(shapes); i++)
		run_shape(_metadata, self->fd, &shapes[i],
			  self->base.live_objects);
}

TEST_F(gc, collect_big_ring)
{
	__u32 first, prev, h;
	int i;

	NEW(self->fd, first);
	prev = first;
	for (i = 1; i < 1000; i++) {
		NEW(self->fd, h);
		APPEND(self->fd, prev, h);
		if (prev != first)
			CLOSE(self->fd, prev);
		prev = h;
	}
	APPEND(self->fd, prev, first);
	CLOSE(self->fd, prev);
	EXPECT_EQ(0, COLLECT(self->fd, 2));
	CLOSE(self->fd, first);
	EXPECT_EQ(1000, LIVE(self));
	EXPECT_EQ(1000, COLLECT(self->fd, 2));
	EXPECT_EQ(0, LIVE(self));
}

TEST_F(gc, collect_result_fields)
{
	struct mobj_gc_collect r = { .size = sizeof(r), .generation = 2 };
	__u32 a, b, c;

	CYCLE2(self->fd, a, b);
	NEW(self->fd, c);
	APPEND(self->fd, c, c);	/* held: examined, not collected */
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	ASSERT_EQ(0, mobj_raw(self->fd, MOBJ_GC_COLLECT, &r));
	/* What went in comes back as it was. */
	EXPECT_EQ(sizeof(r), r.size);
	EXPECT_EQ(0, r.flags);
	EXPECT_EQ(2, r.generation);
	EXPECT_EQ(0, r.__reserved);
	EXPECT_EQ(2, r.collected);
	EXPECT_EQ(0, r.uncollectable);
	EXPECT_LE(3, r.examined);
	EXPECT_EQ(1, LIVE(self));
	EXPECT_EQ(0, mobj_slot_pop(self->fd, c, 0));
	CLOSE(self->fd, c);
}

TEST_F(gc, collect_generation_invalid)
{
	struct mobj_gc_stats before, after;
	__u32 a, b;

	CYCLE2(self->fd, a, b);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	ASSERT_EQ(0, mobj_gc_get_stats(self->fd, &before));
	EXPECT_ERRNO(EINVAL, COLLECT(self->fd, MOBJ_GC_GENERATIONS));
	EXPECT_ERRNO(EINVAL, COLLECT(self->fd, 0xffffffff));
	ASSERT_EQ(0, mobj_gc_get_stats(self->fd, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	EXPECT_EQ(2, LIVE(self));
	EXPECT_EQ(2, COLLECT(self->fd, 2));
}

/* Automatic collection */

/* @n two-object cycles, unreachable. */
static int make_garbage_pairs(int fd, int n)
{
	__u32 a, b;
	int i, ret = 0;

	for (i = 0; i < n && !ret; i++) {
		ret = mobj_new(fd, T_LIST, NULL, 0, &a, NULL);
		if (!ret)
			ret = mobj_new(fd, T_LIST, NULL, 0, &b, NULL);
		if (!ret)
			ret = mobj_slot_append(fd, a, b, NULL);
		if (!ret)
			ret = mobj_slot_append(fd, b, a, NULL);
		if (!ret)
			ret = mobj_handle_close(fd, a);
		if (!ret)
			ret = mobj_handle_close(fd, b);
	}
	return ret;
}

#define TRIGGERS 200

/* @n tracked, reachable objects (each holds @leaf), to raise count[0]. */
static int make_triggers(int fd, __u32 leaf, __u32 *h, int n)
{
	int i, ret = 0;

	for (i = 0; i < n && !ret; i++) {
		ret = mobj_new(fd, T_LIST, NULL, 0, &h[i], NULL);
		if (!ret)
			ret = mobj_slot_append(fd, h[i], leaf, NULL);
	}
	return ret;
}

static int close_all(int fd, __u32 *h, int n)
{
	int i, ret = 0;

	for (i = 0; i < n && !ret; i++)
		ret = mobj_handle_close(fd, h[i]);
	return ret;
}

TEST_F_TIMEOUT(gc, auto_collect_threshold, 60)
{
	__u32 leaf, trig[TRIGGERS];

	/* 40 garbage objects in generation 0, while nothing runs. */
	ASSERT_EQ(0, make_garbage_pairs(self->fd, 20));
	EXPECT_EQ(40, LIVE(self));
	NEW(self->fd, leaf);

	ASSERT_EQ(0, mobj_gc_set_threshold(self->fd, 50,
					   self->saved.threshold[1],
					   self->saved.threshold[2]));
	ASSERT_EQ(0, mobj_gc_enable(self->fd));
	ASSERT_EQ(0, make_triggers(self->fd, leaf, trig, TRIGGERS));
	/* No explicit collect: the work item must find the garbage. */
	EXPECT_EQ(self->base.live_objects + 1 + TRIGGERS,
		  live_wait(self->fd, self->base.live_objects + 1 + TRIGGERS,
			    10000));
	ASSERT_EQ(0, mobj_gc_disable(self->fd));
	ASSERT_EQ(0, close_all(self->fd, trig, TRIGGERS));
	CLOSE(self->fd, leaf);
	EXPECT_EQ(0, LIVE(self));
}

static void no_auto_collection(struct __test_metadata *_metadata,
			       FIXTURE_DATA(gc) *self)
{
	__u32 leaf, trig[TRIGGERS];

	ASSERT_EQ(0, make_garbage_pairs(self->fd, 20));
	NEW(self->fd, leaf);
	ASSERT_EQ(0, make_triggers(self->fd, leaf, trig, TRIGGERS));
	usleep(1000 * 1000);
	EXPECT_EQ(40 + 1 + TRIGGERS, LIVE(self));
	/* An explicit collection still works, and finds exactly those. */
	EXPECT_EQ(40, COLLECT(self->fd, 2));
	EXPECT_EQ(1 + TRIGGERS, LIVE(self));
	ASSERT_EQ(0, close_all(self->fd, trig, TRIGGERS));
	CLOSE(self->fd, leaf);
	EXPECT_EQ(0, LIVE(self));
}

TEST_F(gc, auto_collect_disabled)
{
	ASSERT_EQ(0, mobj_gc_set_threshold(self->fd, 50,
					   self->saved.threshold[1],
					   self->saved.threshold[2]));
	ASSERT_EQ(0, mobj_gc_disable(self->fd));
	EXPECT_EQ(0, mobj_gc_isenabled(self->fd));
	no_auto_collection(_metadata, self);
}

TEST_F(gc, auto_collect_threshold0_zero)
{
	/* threshold[0] == 0 turns automatic collection off as well. */
	ASSERT_EQ(0, mobj_gc_set_threshold(self->fd, 0,
					   self->saved.threshold[1],
					   self->saved.threshold[2]));
	ASSERT_EQ(0, mobj_gc_enable(self->fd));
	no_auto_collection(_metadata, self);
}

/* MOBJ_GC_GET / MOBJ_GC_SET */

TEST_F(gc, threshold_roundtrip)
{
	__u32 t[MOBJ_GC_GENERATIONS];
	struct mobj_gc_state st;

	ASSERT_EQ(0, mobj_gc_set_threshold(self->fd, 700, 7, 3));
	ASSERT_EQ(0, mobj_gc_get_threshold(self->fd, t));
	EXPECT_EQ(700, t[0]);
	EXPECT_EQ(7, t[1]);
	EXPECT_EQ(3, t[2]);
	ASSERT_EQ(0, mobj_gc_set_threshold(self->fd, 0, 1, 1));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &st));
	EXPECT_EQ(0, st.threshold[0]);
	EXPECT_EQ(1, st.threshold[1]);
	EXPECT_EQ(1, st.threshold[2]);
	EXPECT_EQ(0, st.flags);
	EXPECT_EQ(0, st.__reserved);
	ASSERT_EQ(0, mobj_gc_set_threshold(self->fd, 0xffffffff, 0xffffffff,
					   0xffffffff));
	ASSERT_EQ(0, mobj_gc_get_threshold(self->fd, t));
	EXPECT_EQ(0xffffffff, t[0]);
	EXPECT_EQ(0xffffffff, t[1]);
	EXPECT_EQ(0xffffffff, t[2]);
}

TEST_F(gc, threshold_invalid)
{
	struct mobj_gc_state before, after;

	ASSERT_EQ(0, mobj_gc_set_threshold(self->fd, 500, 5, 5));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &before));
	EXPECT_ERRNO(EINVAL, mobj_gc_set_threshold(self->fd, 100, 0, 5));
	EXPECT_ERRNO(EINVAL, mobj_gc_set_threshold(self->fd, 100, 5, 0));
	EXPECT_ERRNO(EINVAL, mobj_gc_set_threshold(self->fd, 100, 0, 0));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &after));
	EXPECT_EQ(0, memcmp(before.threshold, after.threshold,
			    sizeof(before.threshold)));
	EXPECT_EQ(before.enabled, after.enabled);
	EXPECT_EQ(before.debug, after.debug);
}

TEST_F(gc, enable_disable_isenabled)
{
	struct mobj_gc_state st;
	int fd2;

	ASSERT_EQ(0, mobj_gc_enable(self->fd));
	EXPECT_EQ(1, mobj_gc_isenabled(self->fd));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &st));
	EXPECT_EQ(1, st.enabled);
	ASSERT_EQ(0, mobj_gc_disable(self->fd));
	EXPECT_EQ(0, mobj_gc_isenabled(self->fd));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &st));
	EXPECT_EQ(0, st.enabled);
	/* The setting is the device's: another client sees it. */
	fd2 = extra_open(self);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, mobj_gc_isenabled(fd2));
	ASSERT_EQ(0, mobj_gc_enable(fd2));
	EXPECT_EQ(1, mobj_gc_isenabled(self->fd));
	ASSERT_EQ(0, mobj_gc_disable(fd2));
}

TEST_F(gc, set_applies_only_named_fields)
{
	struct mobj_gc_set set = {
		.enabled = 1,
		.debug = MOBJ_GC_DEBUG_SAVEALL,
		.threshold = { 11, 12, 13 },
	};
	struct mobj_gc_state st;

	ASSERT_EQ(0, mobj_gc_set_threshold(self->fd, 500, 5, 6));
	set.flags = 0;
	ASSERT_EQ(0, mobj_gc_set(self->fd, &set));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &st));
	EXPECT_EQ(0, st.enabled);
	EXPECT_EQ(0, st.debug);
	EXPECT_EQ(500, st.threshold[0]);

	set.flags = MOBJ_GC_SET_DEBUG;
	ASSERT_EQ(0, mobj_gc_set(self->fd, &set));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &st));
	EXPECT_EQ(0, st.enabled);
	EXPECT_EQ(MOBJ_GC_DEBUG_SAVEALL, st.debug);
	EXPECT_EQ(MOBJ_GC_DEBUG_SAVEALL, mobj_gc_get_debug(self->fd));
	EXPECT_EQ(500, st.threshold[0]);

	set.flags = MOBJ_GC_SET_THRESHOLD;
	ASSERT_EQ(0, mobj_gc_set(self->fd, &set));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &st));
	EXPECT_EQ(0, st.enabled);
	EXPECT_EQ(11, st.threshold[0]);
	EXPECT_EQ(12, st.threshold[1]);
	EXPECT_EQ(13, st.threshold[2]);
	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, 0));
	EXPECT_EQ(0, mobj_gc_get_debug(self->fd));
}

TEST_F(gc, set_invalid_values)
{
	struct mobj_gc_state before, after;
	struct mobj_gc_set set = {};

	ASSERT_EQ(0, mobj_gc_get(self->fd, &before));
	set.flags = MOBJ_GC_SET_ENABLED;
	set.enabled = 2;
	EXPECT_ERRNO(EINVAL, mobj_gc_set(self->fd, &set));
	set.enabled = 0xffffffff;
	EXPECT_ERRNO(EINVAL, mobj_gc_set(self->fd, &set));
	set.flags = MOBJ_GC_SET_DEBUG;
	set.debug = MOBJ_GC_DEBUG_SAVEALL << 1;
	EXPECT_ERRNO(EINVAL, mobj_gc_set(self->fd, &set));
	set.debug = 0x80000000 | MOBJ_GC_DEBUG_SAVEALL;
	EXPECT_ERRNO(EINVAL, mobj_gc_set(self->fd, &set));
	/* One bad field spoils the whole call. */
	set.flags = MOBJ_GC_SET_ENABLED | MOBJ_GC_SET_DEBUG;
	set.enabled = 1;
	set.debug = 0x100;
	EXPECT_ERRNO(EINVAL, mobj_gc_set(self->fd, &set));
	set.flags = MOBJ_GC_SET_ENABLED | MOBJ_GC_SET_THRESHOLD;
	set.threshold[0] = 1;
	set.threshold[1] = 0;
	set.threshold[2] = 1;
	EXPECT_ERRNO(EINVAL, mobj_gc_set(self->fd, &set));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &after));
	EXPECT_EQ(before.enabled, after.enabled);
	EXPECT_EQ(before.debug, after.debug);
	EXPECT_EQ(0, memcmp(before.threshold, after.threshold,
			    sizeof(before.threshold)));
}

/* MOBJ_GC_FREEZE */

TEST_F(gc, freeze_unfreeze)
{
	__u64 frozen0, moved = 0, moved_back = 0, count = 0;
	struct mobj_info info;
	__u32 a, b;

	ASSERT_EQ(0, mobj_gc_get_freeze_count(self->fd, &frozen0));
	CYCLE2(self->fd, a, b);
	ASSERT_EQ(0, mobj_gc_freeze(self->fd, &moved));
	EXPECT_LE(2, moved);
	ASSERT_EQ(0, mobj_gc_get_freeze_count(self->fd, &count));
	EXPECT_EQ(frozen0 + moved, count);
	ASSERT_EQ(0, mobj_info(self->fd, a, &info));
	EXPECT_EQ(3, info.generation);
	EXPECT_EQ(MOBJ_STATE_FROZEN | MOBJ_STATE_TRACKED,
		  info.state & (MOBJ_STATE_FROZEN | MOBJ_STATE_TRACKED));

	/* Frozen garbage is never collected... */
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	EXPECT_EQ(0, COLLECT(self->fd, 0));
	EXPECT_EQ(0, COLLECT(self->fd, 2));
	EXPECT_EQ(2, LIVE(self));

	/* ... until it is unfrozen, into generation 2. */
	ASSERT_EQ(0, mobj_gc_unfreeze(self->fd, &moved_back));
	EXPECT_EQ(count, moved_back);
	ASSERT_EQ(0, mobj_gc_get_freeze_count(self->fd, &count));
	EXPECT_EQ(0, count);
	EXPECT_EQ(0, COLLECT(self->fd, 1));
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	EXPECT_EQ(0, LIVE(self));
}

TEST_F(gc, freeze_only_tracked)
{
	__u64 moved = 0, count = 0, before = 0;
	struct mobj_info info;
	__u32 plain, list;

	ASSERT_EQ(0, mobj_gc_get_freeze_count(self->fd, &before));
	NEW(self->fd, plain);
	NEW(self->fd, list);
	APPEND(self->fd, list, plain);
	ASSERT_EQ(0, mobj_gc_freeze(self->fd, &moved));
	ASSERT_EQ(0, mobj_gc_get_freeze_count(self->fd, &count));
	EXPECT_EQ(before + moved, count);
	ASSERT_EQ(0, mobj_info(self->fd, plain, &info));
	EXPECT_EQ(0, info.state & (MOBJ_STATE_FROZEN | MOBJ_STATE_TRACKED));
	ASSERT_EQ(0, mobj_info(self->fd, list, &info));
	EXPECT_TRUE(info.state & MOBJ_STATE_FROZEN);
	/* Freezing again moves nothing new. */
	ASSERT_EQ(0, mobj_gc_freeze(self->fd, &moved));
	EXPECT_EQ(0, moved);
	ASSERT_EQ(0, mobj_gc_unfreeze(self->fd, &moved));
	EXPECT_EQ(count, moved);
	ASSERT_EQ(0, mobj_info(self->fd, list, &info));
	EXPECT_EQ(2, info.generation);
	EXPECT_EQ(0, info.state & MOBJ_STATE_FROZEN);
	CLOSE(self->fd, list);
	CLOSE(self->fd, plain);
}

/* MOBJ_GC_STATS */

TEST_F(gc, stats_arithmetic)
{
	struct mobj_gc_stats s0, s1, s2, s3;
	struct mobj_gc_collect r;
	__u32 a, b, c;
	int g;

	ASSERT_EQ(0, mobj_gc_get_stats(self->fd, &s0));
	CYCLE2(self->fd, a, b);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	ASSERT_EQ(2, mobj_gc_collect(self->fd, 0, &r));
	ASSERT_EQ(0, mobj_gc_get_stats(self->fd, &s1));
	EXPECT_EQ(s0.gen[0].collections + 1, s1.gen[0].collections);
	EXPECT_EQ(s0.gen[0].collected + r.collected, s1.gen[0].collected);
	EXPECT_LE(s0.gen[0].total_ns + r.duration_ns, s1.gen[0].total_ns);
	for (g = 1; g < MOBJ_GC_GENERATIONS; g++) {
		EXPECT_EQ(s0.gen[g].collections, s1.gen[g].collections);
		EXPECT_EQ(s0.gen[g].collected, s1.gen[g].collected);
	}

	/* A triangle, collected by a full collection. */
	NEW(self->fd, a);
	NEW(self->fd, b);
	NEW(self->fd, c);
	APPEND(self->fd, a, b);
	APPEND(self->fd, b, c);
	APPEND(self->fd, c, a);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	CLOSE(self->fd, c);
	ASSERT_EQ(3, mobj_gc_collect(self->fd, 2, &r));
	ASSERT_EQ(0, mobj_gc_get_stats(self->fd, &s2));
	EXPECT_EQ(s1.gen[2].collections + 1, s2.gen[2].collections);
	EXPECT_EQ(s1.gen[2].collected + 3, s2.gen[2].collected);
	EXPECT_EQ(s1.gen[0].collections, s2.gen[0].collections);
	EXPECT_EQ(s1.gen[1].collections, s2.gen[1].collections);

	/* An empty generation-1 collection counts, and collects nothing. */
	ASSERT_EQ(0, mobj_gc_collect(self->fd, 1, &r));
	ASSERT_EQ(0, mobj_gc_get_stats(self->fd, &s3));
	EXPECT_EQ(s2.gen[1].collections + 1, s3.gen[1].collections);
	EXPECT_EQ(s2.gen[1].collected, s3.gen[1].collected);
	for (g = 0; g < MOBJ_GC_GENERATIONS; g++) {
		EXPECT_EQ(0, s3.gen[g].uncollectable - s0.gen[g].uncollectable);
		EXPECT_EQ(0, s3.gen[g].uncollectable);
	}
	/* Totals: what collect returned, per generation. */
	EXPECT_EQ(5, (s3.gen[0].collected + s3.gen[1].collected +
		      s3.gen[2].collected) -
		     (s0.gen[0].collected + s0.gen[1].collected +
		      s0.gen[2].collected));
	EXPECT_EQ(3, (s3.gen[0].collections + s3.gen[1].collections +
		      s3.gen[2].collections) -
		     (s0.gen[0].collections + s0.gen[1].collections +
		      s0.gen[2].collections));
}

/*
 * candidates: a collection of generation 0 with N tracked objects there
 * examines N; a full one examines every generation's.  A caller with the
 * first version's size gets the same gen[] and nothing past it.
 */
TEST_F(gc, stats_candidates)
{
	const size_t first = offsetofend(struct mobj_gc_stats, gen);
	struct mobj_gc_stats s0, s1, s2, old;
	struct mobj_gc_collect r;
	__u32 h[5];
	int i;

	ASSERT_EQ(0, mobj_gc_collect(self->fd, 0, &r));
	for (i = 0; i < 5; i++) {
		NEW(self->fd, h[i]);
		APPEND(self->fd, h[i], h[i]);	/* tracked: it has a slot */
	}
	ASSERT_EQ(0, mobj_gc_get_stats(self->fd, &s0));
	ASSERT_EQ(0, mobj_gc_collect(self->fd, 0, &r));
	ASSERT_EQ(0, mobj_gc_get_stats(self->fd, &s1));
	EXPECT_EQ(s0.candidates[0] + 5, s1.candidates[0]);
	EXPECT_EQ(5, r.examined);
	EXPECT_EQ(s0.candidates[1], s1.candidates[1]);
	EXPECT_EQ(s0.candidates[2], s1.candidates[2]);

	/* Generation 0 is empty now: a collection of it examines nothing. */
	ASSERT_EQ(0, mobj_gc_collect(self->fd, 0, &r));
	ASSERT_EQ(0, mobj_gc_get_stats(self->fd, &s2));
	EXPECT_EQ(s1.candidates[0], s2.candidates[0]);
	EXPECT_EQ(s1.gen[0].collections + 1, s2.gen[0].collections);

	/* Generation 1 holds the five: collecting it counts them there. */
	ASSERT_EQ(0, mobj_gc_collect(self->fd, 1, &r));
	ASSERT_EQ(0, mobj_gc_get_stats(self->fd, &s1));
	EXPECT_EQ(s2.candidates[1] + 5, s1.candidates[1]);
	EXPECT_EQ(s2.candidates[0], s1.candidates[0]);

	for (i = 0; i < 5; i++)
		CLOSE(self->fd, h[i]);
	ASSERT_EQ(5, mobj_gc_collect(self->fd, 2, &r));
	ASSERT_EQ(0, mobj_gc_get_stats(self->fd, &s2));
	EXPECT_LE(s1.candidates[2] + 5, s2.candidates[2]);
	EXPECT_EQ(s1.candidates[2] + r.examined, s2.candidates[2]);

	/* The first version's size: gen[] as before, the rest untouched. */
	memset(&old, 0xa5, sizeof(old));
	old.size = first;
	old.flags = 0;
	ASSERT_EQ(0, ioctl(self->fd, MOBJ_GC_STATS, &old));
	EXPECT_EQ(s2.gen[2].collections, old.gen[2].collections);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, old.candidates[0]);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, old.candidates[2]);
}

/* MOBJ_INFO: generation and state */

TEST_F(gc, info_generation)
{
	/* collect(gen) moves a survivor to gen + 1, at most 2 */
	static const int steps[][2] = { { 0, 1 }, { 0, 1 }, { 1, 2 },
					{ 2, 2 } };
	struct mobj_info info;
	unsigned int i;
	__u32 a, b;

	NEW(self->fd, a);
	NEW(self->fd, b);
	APPEND(self->fd, a, b);
	ASSERT_EQ(0, mobj_info(self->fd, a, &info));
	EXPECT_EQ(0, info.generation);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		EXPECT_EQ(0, COLLECT(self->fd, steps[i][0]));
		ASSERT_EQ(0, mobj_info(self->fd, a, &info));
		EXPECT_EQ(steps[i][1], info.generation);
	}
	EXPECT_TRUE(info.state & MOBJ_STATE_TRACKED);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
}

TEST_F(gc, info_tracked_once_it_has_slots)
{
	struct mobj_info info;
	__u32 a, b;

	NEW(self->fd, a);
	NEW(self->fd, b);
	EXPECT_EQ(0, mobj_gc_is_tracked(self->fd, a));
	ASSERT_EQ(0, mobj_info(self->fd, a, &info));
	EXPECT_EQ(0, info.state);
	APPEND(self->fd, a, b);
	EXPECT_EQ(1, mobj_gc_is_tracked(self->fd, a));
	EXPECT_EQ(0, mobj_gc_is_tracked(self->fd, b));
	ASSERT_EQ(0, mobj_info(self->fd, a, &info));
	EXPECT_EQ(MOBJ_STATE_TRACKED, info.state);
	EXPECT_EQ(0, info.generation);
	EXPECT_ERRNO(ENOENT, mobj_gc_is_tracked(self->fd, 0));
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
}

/* MOBJ_REFERENTS / MOBJ_REFERRERS */

TEST_F(gc, referents_in_slot_order)
{
	__u64 ids[8], idb, idc;
	__u32 a, b, c, e;

	NEW(self->fd, a);
	ASSERT_EQ(0, mobj_new(self->fd, T_PLAIN, NULL, 0, &b, &idb));
	ASSERT_EQ(0, mobj_new(self->fd, T_PLAIN, NULL, 0, &c, &idc));
	NEW(self->fd, e);
	APPEND(self->fd, a, b);
	APPEND(self->fd, a, c);
	APPEND(self->fd, a, b);
	APPEND(self->fd, a, a);

	poison_ids(ids, 8);
	EXPECT_EQ(4, mobj_get_referents(self->fd, a, ids, 8));
	EXPECT_EQ(idb, ids[0]);
	EXPECT_EQ(idc, ids[1]);
	EXPECT_EQ(idb, ids[2]);
	EXPECT_EQ(id_of(self->fd, a), ids[3]);
	EXPECT_EQ(0xdeadbeef, ids[4]);

	/* A short array gets the first entries and the total. */
	poison_ids(ids, 8);
	EXPECT_EQ(4, mobj_get_referents(self->fd, a, ids, 2));
	EXPECT_EQ(idb, ids[0]);
	EXPECT_EQ(idc, ids[1]);
	EXPECT_EQ(0xdeadbeef, ids[2]);
	EXPECT_EQ(4, mobj_get_referents(self->fd, a, NULL, 0));

	EXPECT_EQ(0, mobj_get_referents(self->fd, e, ids, 8));
	EXPECT_EQ(0xdeadbeef, ids[2]);

	/* After a pop the order follows the slots. */
	ASSERT_EQ(0, mobj_slot_pop(self->fd, a, 0));
	EXPECT_EQ(3, mobj_get_referents(self->fd, a, ids, 8));
	EXPECT_EQ(idc, ids[0]);
	EXPECT_EQ(idb, ids[1]);
	ASSERT_EQ(0, mobj_slot_pop(self->fd, a, 2));	/* the self reference */
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	CLOSE(self->fd, c);
	CLOSE(self->fd, e);
}

static int cmp_u64(const void *x, const void *y)
{
	__u64 a = *(const __u64 *)x, b = *(const __u64 *)y;

	return a < b ? -1 : a > b;
}


TEST_F(gc, referrers_one_per_slot)
{
	__u64 ids[8], ida, idc;
	__u32 a, c, x, x2;

	ASSERT_EQ(0, mobj_new(self->fd, T_LIST, NULL, 0, &a, &ida));
	ASSERT_EQ(0, mobj_new(self->fd, T_LIST, NULL, 0, &c, &idc));
	NEW(self->fd, x);
	/* Handles are not objects: none of these is listed. */
	ASSERT_EQ(0, mobj_dup(self->fd, x, &x2));
	EXPECT_EQ(0, mobj_get_referrers(self->fd, x, ids, 8));

	APPEND(self->fd, a, x);
	APPEND(self->fd, c, x);
	APPEND(self->fd, a, x);
	poison_ids(ids, 8);
	EXPECT_EQ(3, mobj_get_referrers(self->fd, x, ids, 8));
	EXPECT_EQ(0xdeadbeef, ids[3]);
	qsort(ids, 3, sizeof(ids[0]), cmp_u64);
	EXPECT_EQ(ida, ids[0]);
	EXPECT_EQ(ida, ids[1]);
	EXPECT_EQ(idc, ids[2]);
	EXPECT_EQ(5, rc_of(self->fd, x));

	poison_ids(ids, 8);
	EXPECT_EQ(3, mobj_get_referrers(self->fd, x, ids, 1));
	EXPECT_TRUE(ids[0] == ida || ids[0] == idc);
	EXPECT_EQ(0xdeadbeef, ids[1]);
	EXPECT_EQ(3, mobj_get_referrers(self->fd, x, NULL, 0));

	/* Replacing and popping slots remove their entries. */
	ASSERT_EQ(0, mobj_slot_set(self->fd, a, 0, c));
	ASSERT_EQ(0, mobj_slot_pop(self->fd, c, 0));
	EXPECT_EQ(1, mobj_get_referrers(self->fd, x, ids, 8));
	EXPECT_EQ(ida, ids[0]);
	EXPECT_EQ(1, mobj_get_referrers(self->fd, c, ids, 8));
	EXPECT_EQ(ida, ids[0]);
	CLOSE(self->fd, a);
	EXPECT_EQ(0, mobj_get_referrers(self->fd, x, ids, 8));
	CLOSE(self->fd, c);
	CLOSE(self->fd, x);
	CLOSE(self->fd, x2);
}

/* Death notices: MOBJ_WATCH, read(2), poll(2) */

TEST_F(gc, watch_refcount_event)
{
	struct mobj_event ev[4];
	struct mobj_info info;
	__u64 id;
	__u32 a, a2;

	ASSERT_EQ(0, mobj_new(self->fd, 0x1234, "x", 1, &a, &id));
	ASSERT_EQ(0, mobj_watch(self->fd, a, 0xc0ffee));
	ASSERT_EQ(0, mobj_info(self->fd, a, &info));
	EXPECT_TRUE(info.state & MOBJ_STATE_WATCHED);
	ASSERT_EQ(0, mobj_dup(self->fd, a, &a2));
	CLOSE(self->fd, a);
	EXPECT_EQ(0, events_pending(self->fd));
	CLOSE(self->fd, a2);

	memset(ev, 0xff, sizeof(ev));
	ASSERT_EQ(1, events_wait(self->fd, ev, 4, 1000));
	EXPECT_EQ(0xc0ffee, ev[0].cookie);
	EXPECT_EQ(id, ev[0].id);
	EXPECT_EQ(0x1234, ev[0].type);
	EXPECT_EQ(MOBJ_EVENT_REFCOUNT, ev[0].reason);
	EXPECT_EQ(0, ev[0].__reserved);
	EXPECT_EQ(0, ev[0].lost);
	EXPECT_EQ(0, events_pending(self->fd));
}

TEST_F(gc, watch_death_through_slot)
{
	struct mobj_event ev[2];
	__u32 a, b;
	__u64 idb;

	NEW(self->fd, a);
	ASSERT_EQ(0, mobj_new(self->fd, T_PLAIN, NULL, 0, &b, &idb));
	APPEND(self->fd, a, b);
	ASSERT_EQ(0, mobj_watch(self->fd, b, 7));
	CLOSE(self->fd, b);
	EXPECT_EQ(0, events_pending(self->fd));
	/* b dies when its last slot goes, in a's close. */
	CLOSE(self->fd, a);
	ASSERT_EQ(1, events_wait(self->fd, ev, 2, 1000));
	EXPECT_EQ(7, ev[0].cookie);
	EXPECT_EQ(idb, ev[0].id);
	EXPECT_EQ(MOBJ_EVENT_REFCOUNT, ev[0].reason);
}

TEST_F(gc, watch_cycle_event)
{
	struct mobj_event ev[4];
	__u64 ida, idb;
	__u32 a, b;
	int i, n;

	CYCLE2(self->fd, a, b);
	ida = id_of(self->fd, a);
	idb = id_of(self->fd, b);
	ASSERT_EQ(0, mobj_watch(self->fd, a, 1));
	ASSERT_EQ(0, mobj_watch(self->fd, b, 2));
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	EXPECT_EQ(0, events_pending(self->fd));
	ASSERT_EQ(2, COLLECT(self->fd, 0));

	n = events_wait(self->fd, ev, 4, 1000);
	ASSERT_EQ(2, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(MOBJ_EVENT_CYCLE, ev[i].reason);
		EXPECT_EQ(0, ev[i].generation);
		EXPECT_EQ(T_PLAIN, ev[i].type);
		EXPECT_EQ(ev[i].cookie == 1 ? ida : idb, ev[i].id);
	}
	EXPECT_NE(ev[0].cookie, ev[1].cookie);
}

TEST_F(gc, watch_cycle_event_generation)
{
	struct mobj_event ev[2];
	__u32 a;

	NEW(self->fd, a);
	APPEND(self->fd, a, a);
	ASSERT_EQ(0, mobj_watch(self->fd, a, 9));
	/* Survives a generation-0 collection: now in generation 1. */
	EXPECT_EQ(0, COLLECT(self->fd, 0));
	CLOSE(self->fd, a);
	EXPECT_EQ(0, COLLECT(self->fd, 0));
	EXPECT_EQ(1, COLLECT(self->fd, 1));
	ASSERT_EQ(1, events_wait(self->fd, ev, 2, 1000));
	EXPECT_EQ(9, ev[0].cookie);
	EXPECT_EQ(MOBJ_EVENT_CYCLE, ev[0].reason);
	EXPECT_EQ(1, ev[0].generation);
}

/* gc.callbacks: MOBJ_WATCH_GC */

/* Expect one collection's records: start, @deaths notices, stop. */
static void expect_gc_records(struct __test_metadata *_metadata,
			      const struct mobj_event *ev, int n,
			      __u64 cookie, __u32 gen, int deaths,
			      __u64 collected)
{
	int i;

	ASSERT_EQ(deaths + 2, n);
	EXPECT_EQ(MOBJ_EVENT_GC_START, ev[0].reason);
	EXPECT_EQ(cookie, ev[0].cookie);
	EXPECT_EQ(gen, ev[0].generation);
	EXPECT_EQ(0, ev[0].id);
	EXPECT_EQ(0, ev[0].lost);
	for (i = 1; i <= deaths; i++)
		EXPECT_EQ(MOBJ_EVENT_CYCLE, ev[i].reason);
	EXPECT_EQ(MOBJ_EVENT_GC_STOP, ev[n - 1].reason);
	EXPECT_EQ(cookie, ev[n - 1].cookie);
	EXPECT_EQ(gen, ev[n - 1].generation);
	EXPECT_EQ(collected, ev[n - 1].id);
	EXPECT_EQ(0, ev[n - 1].lost);
	EXPECT_EQ(0, ev[n - 1].type);
	EXPECT_EQ(0, ev[n - 1].__reserved);
}

TEST_F(gc, gc_watch_start_stop)
{
	struct mobj_event ev[8];
	__u32 a, b;
	int fd2;

	ASSERT_EQ(0, mobj_gc_watch(self->fd, 0xabc));
	EXPECT_EQ(0, events_pending(self->fd));

	/* start, the death notice of a (watched), stop with 2 collected */
	CYCLE2(self->fd, a, b);
	ASSERT_EQ(0, mobj_watch(self->fd, a, 1));
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	ASSERT_EQ(2, COLLECT(self->fd, 0));
	expect_gc_records(_metadata, ev, events_wait(self->fd, ev, 8, 1000),
			  0xabc, 0, 1, 2);
	EXPECT_EQ(1, ev[1].cookie);

	/* An empty collection of generation 1, asked for by another client. */
	fd2 = extra_open(self);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, COLLECT(fd2, 1));
	expect_gc_records(_metadata, ev, events_wait(self->fd, ev, 8, 1000),
			  0xabc, 1, 0, 0);
	EXPECT_EQ(0, events_pending(fd2));	/* it did not ask */

	/* Asking again changes the cookie. */
	ASSERT_EQ(0, mobj_gc_watch(self->fd, 0xdef));
	ASSERT_EQ(0, COLLECT(self->fd, 2));
	expect_gc_records(_metadata, ev, events_wait(self->fd, ev, 8, 1000),
			  0xdef, 2, 0, 0);

	/* The dry run of GC_LEAKS is not a collection: nothing. */
	ASSERT_EQ(0, mobj_gc_leaks(self->fd, NULL, 0, NULL));
	EXPECT_EQ(0, events_pending(self->fd));

	/* Cancelled: no more records, and a second cancel finds none. */
	ASSERT_EQ(0, mobj_gc_unwatch(self->fd));
	ASSERT_EQ(0, COLLECT(self->fd, 0));
	EXPECT_EQ(0, events_pending(self->fd));
	EXPECT_EQ(-ENOENT, mobj_gc_unwatch(self->fd));
	EXPECT_EQ(-ENOENT, mobj_gc_unwatch(fd2));
}

TEST_F(gc, gc_watch_bad_args)
{
	struct mobj_watch cmd = { .size = sizeof(cmd) };
	__u32 a;

	NEW(self->fd, a);
	/* An unknown flag bit, alone or with the known ones. */
	cmd.handle = a;
	cmd.flags = 1 << 2;
	EXPECT_ERRNO(EINVAL, mobj_raw(self->fd, MOBJ_WATCH, &cmd));
	cmd.handle = 0;
	cmd.flags = MOBJ_WATCH_GC | 1 << 2;
	EXPECT_ERRNO(EINVAL, mobj_raw(self->fd, MOBJ_WATCH, &cmd));
	/* MOBJ_WATCH_GC names no object. */
	cmd.handle = a;
	cmd.flags = MOBJ_WATCH_GC;
	EXPECT_ERRNO(EINVAL, mobj_raw(self->fd, MOBJ_WATCH, &cmd));
	cmd.flags = MOBJ_WATCH_GC | MOBJ_WATCH_CANCEL;
	EXPECT_ERRNO(EINVAL, mobj_raw(self->fd, MOBJ_WATCH, &cmd));
	cmd.handle = 0;
	cmd.__reserved = 1;
	cmd.flags = MOBJ_WATCH_GC;
	EXPECT_ERRNO(EINVAL, mobj_raw(self->fd, MOBJ_WATCH, &cmd));
	/* None of these subscribed. */
	EXPECT_EQ(-ENOENT, mobj_gc_unwatch(self->fd));
	ASSERT_EQ(0, COLLECT(self->fd, 0));
	EXPECT_EQ(0, events_pending(self->fd));
	CLOSE(self->fd, a);
}

/* A full queue drops the records and says how many in one LOST record. */
TEST_F(gc, gc_watch_lost)
{
	unsigned long long max;
	struct mobj_event ev[32];
	__u64 got = 0, lost = 0;
	int i, n, runs;

	ASSERT_EQ(0, mobj_param_read("events_max", &max));
	ASSERT_EQ(0, mobj_gc_watch(self->fd, 5));
	runs = max / 2 + 10;
	for (i = 0; i < runs; i++)
		ASSERT_EQ(0, COLLECT(self->fd, 0));
	while (events_pending(self->fd) > 0) {
		n = mobj_read_events(self->fd, ev, 32);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			if (ev[i].reason == MOBJ_EVENT_LOST) {
				lost += ev[i].lost;
				continue;
			}
			EXPECT_EQ(got % 2 ? MOBJ_EVENT_GC_STOP :
				  MOBJ_EVENT_GC_START, ev[i].reason);
			got++;
		}
	}
	EXPECT_EQ(max, got);
	EXPECT_EQ(2 * runs - max, lost);
	ASSERT_EQ(0, mobj_gc_unwatch(self->fd));
}

TEST_F(gc, poll_readiness)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	struct mobj_event ev;
	__u32 a;

	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, poll(&p, 1, 50));
	NEW(self->fd, a);
	ASSERT_EQ(0, mobj_watch(self->fd, a, 1));
	EXPECT_EQ(0, poll(&p, 1, 0));
	CLOSE(self->fd, a);
	ASSERT_EQ(1, poll(&p, 1, 1000));
	EXPECT_TRUE(p.revents & POLLIN);
	/* Still ready until read. */
	ASSERT_EQ(1, poll(&p, 1, 0));
	ASSERT_EQ(1, mobj_read_events(self->fd, &ev, 1));
	p.revents = 0;
	EXPECT_EQ(0, poll(&p, 1, 0));
}

static void *close_later(void *arg)
{
	__u32 *h = arg;

	usleep(200 * 1000);
	mobj_handle_close((int)h[0], h[1]);
	return NULL;
}

TEST_F(gc, poll_wakes_up)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	struct mobj_event ev;
	pthread_t t;
	__u32 arg[2];

	arg[0] = self->fd;
	NEW(self->fd, arg[1]);
	ASSERT_EQ(0, mobj_watch(self->fd, arg[1], 5));
	ASSERT_EQ(0, pthread_create(&t, NULL, close_later, arg));
	EXPECT_EQ(1, poll(&p, 1, 5000));
	ASSERT_EQ(0, pthread_join(t, NULL));
	/* A blocking read returns the event. */
	ASSERT_EQ(1, mobj_read_events(self->fd, &ev, 1));
	EXPECT_EQ(5, ev.cookie);
}

TEST_F(gc, read_too_small)
{
	struct mobj_event ev[2];
	char buf[sizeof(struct mobj_event) * 2 - 1];
	__u32 a;

	NEW(self->fd, a);
	ASSERT_EQ(0, mobj_watch(self->fd, a, 3));
	CLOSE(self->fd, a);
	ASSERT_EQ(1, events_pending(self->fd));
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(struct mobj_event) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, read(self->fd, buf, 1));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing was consumed; a buffer of 1.99 records gets one. */
	ASSERT_EQ(1, events_pending(self->fd));
	EXPECT_EQ(sizeof(struct mobj_event), read(self->fd, buf, sizeof(buf)));
	memcpy(ev, buf, sizeof(ev[0]));
	EXPECT_EQ(3, ev[0].cookie);
	EXPECT_EQ(0, events_pending(self->fd));
}

TEST_F(gc, read_nonblocking_empty)
{
	struct mobj_event ev;
	int fl;

	fl = fcntl(self->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_ERRNO(EAGAIN, mobj_read_events(self->fd, &ev, 1));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl));
}

#define LOST_QUEUE 4
#define LOST_WATCHED 10

TEST_F(gc, events_lost)
{
	struct mobj_event ev[LOST_WATCHED + 2];
	__u32 h[LOST_WATCHED];
	unsigned int seen = 0;
	int fd2, i, n, nlost = 0, got = 0;
	__u64 lost = 0;

	PARAM_SET_OR_SKIP(&self->params, "events_max", LOST_QUEUE);
	/* A new client, so that its queue is sized after the change. */
	fd2 = extra_open(self);
	ASSERT_LE(0, fd2);
	for (i = 0; i < LOST_WATCHED; i++) {
		ASSERT_EQ(0, mobj_new(fd2, T_PLAIN, NULL, 0, &h[i], NULL));
		ASSERT_EQ(0, mobj_watch(fd2, h[i], 100 + i));
	}
	for (i = 0; i < LOST_WATCHED; i++)
		CLOSE(fd2, h[i]);

	while ((n = events_wait(fd2, ev, ARRAY_SIZE(ev), 0)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].reason == MOBJ_EVENT_LOST) {
				nlost++;
				lost += ev[i].lost;
				continue;
			}
			EXPECT_EQ(MOBJ_EVENT_REFCOUNT, ev[i].reason);
			ASSERT_LE(100, ev[i].cookie);
			ASSERT_GT(100 + LOST_WATCHED, ev[i].cookie);
			EXPECT_FALSE(seen & (1U << (ev[i].cookie - 100)));
			seen |= 1U << (ev[i].cookie - 100);
			got++;
		}
	}
	EXPECT_LE(0, n);
	EXPECT_EQ(1, nlost);
	EXPECT_LE(1, got);
	EXPECT_GE(LOST_QUEUE, got);
	EXPECT_EQ(LOST_WATCHED, got + lost);

	/* After the loss is reported, the queue works again. */
	ASSERT_EQ(0, mobj_new(fd2, T_PLAIN, NULL, 0, &h[0], NULL));
	ASSERT_EQ(0, mobj_watch(fd2, h[0], 42));
	CLOSE(fd2, h[0]);
	ASSERT_EQ(1, events_wait(fd2, ev, ARRAY_SIZE(ev), 1000));
	EXPECT_EQ(42, ev[0].cookie);
	EXPECT_EQ(MOBJ_EVENT_REFCOUNT, ev[0].reason);
}

TEST_F(gc, events_are_per_client)
{
	struct mobj_event ev;
	__u32 a, b;
	int fd2;

	fd2 = extra_open(self);
	ASSERT_LE(0, fd2);
	NEW(self->fd, a);
	NEW(fd2, b);
	ASSERT_EQ(0, mobj_watch(fd2, b, 2));
	CLOSE(self->fd, a);
	CLOSE(fd2, b);
	EXPECT_EQ(0, events_pending(self->fd));
	ASSERT_EQ(1, events_wait(fd2, &ev, 1, 1000));
	EXPECT_EQ(2, ev.cookie);
}

/* Weak references */

TEST_F(gc, weakref_alive)
{
	struct mobj_counts before, after;
	__u32 a, w, s;
	__u64 id;

	ASSERT_EQ(0, mobj_new(self->fd, T_PLAIN, NULL, 0, &a, &id));
	ASSERT_EQ(0, mobj_counts(self->fd, &before));
	ASSERT_EQ(0, mobj_weakref(self->fd, a, &w));
	EXPECT_NE(0, w);
	EXPECT_NE(a, w);
	/* A weak handle is a handle, but not a reference. */
	EXPECT_EQ(1, rc_of(self->fd, a));
	ASSERT_EQ(0, mobj_counts(self->fd, &after));
	EXPECT_EQ(before.client_handles + 1, after.client_handles);
	EXPECT_EQ(before.live_handles + 1, after.live_handles);
	EXPECT_EQ(before.live_objects, after.live_objects);

	ASSERT_EQ(0, mobj_weakref_get(self->fd, w, &s));
	EXPECT_NE(a, s);
	EXPECT_NE(w, s);
	EXPECT_EQ(id, id_of(self->fd, s));
	EXPECT_EQ(2, rc_of(self->fd, a));
	CLOSE(self->fd, s);
	CLOSE(self->fd, w);
	EXPECT_EQ(1, rc_of(self->fd, a));
	CLOSE(self->fd, a);
}

TEST_F(gc, weakref_dead_estale)
{
	__u32 a, w, w2, s;

	NEW(self->fd, a);
	ASSERT_EQ(0, mobj_weakref(self->fd, a, &w));
	ASSERT_EQ(0, mobj_weakref(self->fd, a, &w2));
	CLOSE(self->fd, a);
	EXPECT_EQ(0, LIVE(self));
	EXPECT_ERRNO(ESTALE, mobj_weakref_get(self->fd, w, &s));
	EXPECT_ERRNO(ESTALE, mobj_weakref_get(self->fd, w2, &s));
	/* The dead weak handle is still a handle, until closed. */
	CLOSE(self->fd, w);
	EXPECT_ERRNO(ENOENT, mobj_weakref_get(self->fd, w, &s));
	CLOSE(self->fd, w2);
}

TEST_F(gc, weakref_to_collected_cycle)
{
	__u32 a, b, w, s;

	CYCLE2(self->fd, a, b);
	ASSERT_EQ(0, mobj_weakref(self->fd, a, &w));
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	/* Garbage, but not yet collected: still reachable weakly. */
	ASSERT_EQ(0, mobj_weakref_get(self->fd, w, &s));
	CLOSE(self->fd, s);
	EXPECT_EQ(2, COLLECT(self->fd, 0));
	EXPECT_ERRNO(ESTALE, mobj_weakref_get(self->fd, w, &s));
	CLOSE(self->fd, w);
}

TEST_F(gc, weak_handle_where_strong_needed)
{
	struct mobj_snap snap;
	__u32 a, b, w, h[2], out;
	enum mobj_hcmd c;

	NEW(self->fd, a);
	NEW(self->fd, b);
	APPEND(self->fd, a, b);
	ASSERT_EQ(0, mobj_weakref(self->fd, a, &w));
	h[0] = a;
	h[1] = b;
	mobj_snap(self->fd, h, 2, &snap);
	for (c = 0; c < HC_NR; c++) {
		if (c == HC_CLOSE || c == HC_WEAKREF_GET)
			continue;
		EXPECT_ERRNO(EINVAL,
			     mobj_call_handle(self->fd, c, w, b, &out)) {
			TH_LOG("%s with a weak handle", mobj_hcmd_name[c]);
		}
		if (!mobj_hcmd_has_value(c))
			continue;
		EXPECT_ERRNO(EINVAL,
			     mobj_call_handle(self->fd, c, a, w, &out)) {
			TH_LOG("%s with a weak value", mobj_hcmd_name[c]);
		}
	}
	/* And the other way round: WEAKREF_GET wants a weak handle. */
	EXPECT_ERRNO(EINVAL, mobj_weakref_get(self->fd, a, &out));
	EXPECT_UNCHANGED(self->fd, h, 2, snap);
	CLOSE(self->fd, w);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
}

/* DEBUG_SAVEALL and MOBJ_GC_GARBAGE */

TEST_F(gc, saveall_keeps_garbage)
{
	__u32 a, b, g[4] = { 0, 0, 0, 0 }, filled = 99;
	struct mobj_gc_state st;
	struct mobj_info info;
	__u64 ida, idb;
	int i;

	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, MOBJ_GC_DEBUG_SAVEALL));
	CYCLE2(self->fd, a, b);
	ida = id_of(self->fd, a);
	idb = id_of(self->fd, b);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	EXPECT_EQ(2, COLLECT(self->fd, 0));
	EXPECT_EQ(2, LIVE(self));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &st));
	EXPECT_EQ(2, st.garbage_count);
	/* Saved, not collected again. */
	EXPECT_EQ(0, COLLECT(self->fd, 2));

	EXPECT_EQ(2, mobj_gc_garbage(self->fd, g, 4, 0, &filled));
	EXPECT_EQ(2, filled);
	EXPECT_EQ(0, g[2]);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, mobj_info(self->fd, g[i], &info));
		EXPECT_TRUE(info.state & MOBJ_STATE_GARBAGE);
		EXPECT_EQ(1, info.nslots);
		EXPECT_TRUE(info.id == ida || info.id == idb);
	}
	EXPECT_NE(id_of(self->fd, g[0]), id_of(self->fd, g[1]));
	CLOSE(self->fd, g[0]);
	CLOSE(self->fd, g[1]);
	EXPECT_GARBAGE_LIVE(self, 2, 2);

	/* del gc.garbage[:] frees what nobody holds. */
	EXPECT_EQ(2, mobj_gc_garbage(self->fd, NULL, 0, MOBJ_GC_GARBAGE_CLEAR,
				     &filled));
	EXPECT_EQ(0, filled);
	EXPECT_GARBAGE_LIVE(self, 0, 0);
	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, 0));
}

TEST_F(gc, garbage_clear_keeps_taken)
{
	__u32 a, b, g[2], filled = 0;
	struct mobj_info info;

	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, MOBJ_GC_DEBUG_SAVEALL));
	CYCLE2(self->fd, a, b);
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, 0));

	/* Take both and clear the list in one call. */
	EXPECT_EQ(2, mobj_gc_garbage(self->fd, g, 2, MOBJ_GC_GARBAGE_CLEAR,
				     &filled));
	EXPECT_EQ(2, filled);
	EXPECT_GARBAGE_LIVE(self, 0, 2);
	ASSERT_EQ(0, mobj_info(self->fd, g[0], &info));
	EXPECT_EQ(0, info.state & MOBJ_STATE_GARBAGE);
	EXPECT_EQ(2, info.refcount);	/* our handle + b's slot */

	/* Break the cycle: plain refcounting frees both. */
	ASSERT_EQ(0, mobj_slot_pop(self->fd, g[0], 0));
	CLOSE(self->fd, g[0]);
	CLOSE(self->fd, g[1]);
	EXPECT_EQ(0, LIVE(self));
}

TEST_F(gc, garbage_short_array)
{
	__u32 g[3] = { 0, 0, 0 }, filled = 0;
	struct mobj_counts before, after;
	int i;

	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, MOBJ_GC_DEBUG_SAVEALL));
	ASSERT_EQ(0, make_garbage_pairs(self->fd, 2));
	EXPECT_EQ(4, COLLECT(self->fd, 0));
	ASSERT_EQ(0, mobj_counts(self->fd, &before));
	EXPECT_EQ(4, mobj_gc_garbage(self->fd, g, 1, 0, &filled));
	EXPECT_EQ(1, filled);
	EXPECT_NE(0, g[0]);
	EXPECT_EQ(0, g[1]);
	ASSERT_EQ(0, mobj_counts(self->fd, &after));
	EXPECT_EQ(before.client_handles + 1, after.client_handles);
	CLOSE(self->fd, g[0]);
	/* Without an array: only the count. */
	EXPECT_EQ(4, mobj_gc_garbage(self->fd, NULL, 0, 0, &filled));
	EXPECT_EQ(0, filled);
	EXPECT_EQ(4, mobj_gc_garbage(self->fd, NULL, 0, MOBJ_GC_GARBAGE_CLEAR,
				     NULL));
	EXPECT_EQ(0, LIVE(self));
	memset(g, 0, sizeof(g));
	EXPECT_EQ(0, mobj_gc_garbage(self->fd, g, 3, 0, &filled));
	EXPECT_EQ(0, filled);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, g[i]);
	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, 0));
}

TEST_F(gc, garbage_outlives_its_client)
{
	__u32 x, y, g[2], filled = 0, box;
	int fd2;

	/* Client 2 leaks a cycle, which is saved as garbage. */
	fd2 = extra_open(self);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, MOBJ_GC_DEBUG_SAVEALL));
	CYCLE2(fd2, x, y);
	CLOSE(fd2, x);
	CLOSE(fd2, y);
	EXPECT_EQ(2, COLLECT(self->fd, 0));
	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, 0));

	/* Client 1 takes it and stores it in one of its own objects. */
	EXPECT_EQ(2, mobj_gc_garbage(self->fd, g, 2, MOBJ_GC_GARBAGE_CLEAR,
				     &filled));
	ASSERT_EQ(2, filled);
	NEW(self->fd, box);
	APPEND(self->fd, box, g[0]);
	CLOSE(self->fd, g[0]);
	CLOSE(self->fd, g[1]);

	/* Client 2 goes away: its objects survive, box holds them. */
	ASSERT_EQ(0, extra_close(self, fd2));
	EXPECT_EQ(3, LIVE(self));
	EXPECT_EQ(0, COLLECT(self->fd, 2));
	EXPECT_EQ(3, LIVE(self));

	/* Let go: the cycle is garbage again, and freed this time. */
	CLOSE(self->fd, box);
	EXPECT_EQ(2, LIVE(self));
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	EXPECT_EQ(0, LIVE(self));
}

/* Struct lengths: mobj_length.c, one row per command. */

/* Rejecting what is not understood, for the collector's commands */

/* Collector state that a failing command must not change either. */
struct gc_snap {
	struct mobj_gc_state st;
	struct mobj_gc_stats stats;
};

static void gc_snap(int fd, struct gc_snap *s)
{
	memset(s, 0, sizeof(*s));
	mobj_gc_get(fd, &s->st);
	mobj_gc_get_stats(fd, &s->stats);
}

#define EXPECT_GC_UNCHANGED(fd, before) do { \
	struct gc_snap __now; \
	gc_snap(fd, &__now); \
	EXPECT_EQ((before).st.enabled, __now.st.enabled); \
	EXPECT_EQ((before).st.debug, __now.st.debug); \
	EXPECT_EQ(0, memcmp((before).st.threshold, __now.st.threshold, \
			    sizeof(__now.st.threshold))); \
	EXPECT_EQ((before).st.freeze_count, __now.st.freeze_count); \
	EXPECT_EQ((before).st.garbage_count, __now.st.garbage_count); \
	EXPECT_EQ(0, memcmp(&(before).stats, &__now.stats, \
			    sizeof(__now.stats))); \
} while (0)

TEST_F(gc, unknown_flags)
{
	struct gc_snap gs;
	struct mobj_scene s;

	MOBJ_SCENE(self->fd, s, T_PLAIN, true);
	gc_snap(self->fd, &gs);
	mobj_check_unknown_flags(_metadata, self->fd, false, &s, 32);
	EXPECT_SCENE_UNCHANGED(self->fd, s);
	EXPECT_GC_UNCHANGED(self->fd, gs);
	EXPECT_EQ(0, events_pending(self->fd));
	SCENE_CLOSE(self->fd, s);
	EXPECT_EQ(0, events_pending(self->fd));
}

TEST_F(gc, reserved_nonzero)
{
	static const __u32 one[] = { 1 };
	struct gc_snap gs;
	struct mobj_scene s;

	MOBJ_SCENE(self->fd, s, T_PLAIN, true);
	gc_snap(self->fd, &gs);
	mobj_check_reserved(_metadata, self->fd, false, &s, 32, one, 1);
	EXPECT_SCENE_UNCHANGED(self->fd, s);
	EXPECT_GC_UNCHANGED(self->fd, gs);
	SCENE_CLOSE(self->fd, s);
	/* The WATCH above must not have been set up. */
	EXPECT_EQ(0, events_pending(self->fd));
}

TEST_F(gc, handle_enoent)
{
	struct mobj_scene s;
	__u32 bad[4], x, out;
	enum mobj_hcmd c;
	int fd2, i;

	MOBJ_SCENE(self->fd, s, T_PLAIN, true);
	NEW(self->fd, x);
	CLOSE(self->fd, x);
	fd2 = extra_open(self);
	ASSERT_LE(0, fd2);
	for (i = 0; i < 8; i++) {
		NEW(fd2, bad[3]);
		if (bad[3] != s.a && bad[3] != s.b && bad[3] != s.w)
			break;
	}
	ASSERT_GT(8, i);
	bad[0] = 0;
	bad[1] = 0xffffffff;
	bad[2] = x;	/* closed */
	/* fd2's objects count in the device's totals too. */
	mobj_snap(self->fd, s.h, 2, &s.snap);
	for (i = 0; i < 4; i++) {
		for (c = HC_CORE_NR; c < HC_NR; c++) {
			EXPECT_ERRNO(ENOENT, mobj_call_handle(self->fd, c,
							      bad[i], 0,
							      &out)) {
				TH_LOG("%s with handle %u", mobj_hcmd_name[c],
				       bad[i]);
			}
		}
	}
	EXPECT_SCENE_UNCHANGED(self->fd, s);
	SCENE_CLOSE(self->fd, s);
	EXPECT_EQ(0, events_pending(self->fd));
}

TEST_F(gc, efault_pointers)
{
	struct mobj_counts before, after;
	struct mobj_badmem m;
	struct gc_snap gs;
	struct mobj_scene s;

	ASSERT_EQ(0, mobj_badmem_init(&m));
	MOBJ_SCENE(self->fd, s, T_PLAIN, true);
	gc_snap(self->fd, &gs);
	mobj_check_efault_struct(_metadata, self->fd, false, &s, 32, &m);
	/* The arrays. */
	EXPECT_ERRNO(EFAULT, mobj_get_referents(self->fd, s.a,
						(__u64 *)m.hole, 1));
	EXPECT_ERRNO(EFAULT, mobj_get_referents(self->fd, s.a, NULL, 1));
	EXPECT_ERRNO(EFAULT, mobj_get_referrers(self->fd, s.b,
						(__u64 *)m.hole, 1));
	EXPECT_SCENE_UNCHANGED(self->fd, s);
	EXPECT_GC_UNCHANGED(self->fd, gs);

	/* GC_GARBAGE: no handle made, nothing cleared. */
	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, MOBJ_GC_DEBUG_SAVEALL));
	ASSERT_EQ(0, make_garbage_pairs(self->fd, 1));
	EXPECT_EQ(2, COLLECT(self->fd, 0));
	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, 0));
	ASSERT_EQ(0, mobj_counts(self->fd, &before));
	EXPECT_ERRNO(EFAULT, mobj_gc_garbage(self->fd, (__u32 *)m.hole, 2,
					     MOBJ_GC_GARBAGE_CLEAR, NULL));
	EXPECT_ERRNO(EFAULT, mobj_gc_garbage(self->fd,
					     (__u32 *)(m.hole - 4), 2,
					     MOBJ_GC_GARBAGE_CLEAR, NULL));
	ASSERT_EQ(0, mobj_counts(self->fd, &after));
	EXPECT_COUNTS_EQ(before, after);
	EXPECT_EQ(2, mobj_gc_garbage(self->fd, NULL, 0, MOBJ_GC_GARBAGE_CLEAR,
				     NULL));
	EXPECT_EQ(2, LIVE(self));

	/* read(2) into a bad buffer. */
	ASSERT_EQ(0, mobj_watch(self->fd, s.b, 1));
	SCENE_CLOSE(self->fd, s);
	ASSERT_EQ(1, events_pending(self->fd));
	EXPECT_EQ(-1, read(self->fd, m.hole, sizeof(struct mobj_event)));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(gc, efault_result_rolls_back)
{
	const struct mobj_cmd_desc *d;
	union mobj_any_cmd u;
	struct gc_snap gs;
	struct mobj_scene s;
	__u64 buf[4];
	__u32 a;

	/* A cycle that a collection would free, and a frozen-able object. */
	NEW(self->fd, a);
	APPEND(self->fd, a, a);
	CLOSE(self->fd, a);
	MOBJ_SCENE(self->fd, s, T_PLAIN, true);
	gc_snap(self->fd, &gs);
	for_each_cmd(d, false) {
		if (d->nr == MOBJ_CMD_GC_SET || d->nr == MOBJ_CMD_WATCH)
			continue;	/* no output */
		if (d->nr == MOBJ_CMD_IMPORT)
			continue;	/* needs an exported fd: mobj_share */
		mobj_fill_cmd(d, &u, s.a, s.b, s.w, buf, sizeof(buf));
		if (d->nr == MOBJ_CMD_GC_FREEZE)
			u.gc_freeze.flags = 0;	/* freeze */
		EXPECT_ERRNO(EFAULT, mobj_readonly_call(self->fd, d->ioctl, &u,
							d->size)) {
			TH_LOG("%s with a read-only struct", d->name);
		}
	}
	EXPECT_SCENE_UNCHANGED(self->fd, s);
	EXPECT_GC_UNCHANGED(self->fd, gs);
	EXPECT_EQ(3, LIVE(self));
	EXPECT_EQ(1, COLLECT(self->fd, 2));
	SCENE_CLOSE(self->fd, s);
}

/*
 * MOBJ_GC_LEAKS (objgraph.get_leaking_objects): the objects a collection
 * would free, found by one that changes nothing: the same answer twice,
 * the objects alive in their generations, no statistic moved; the next
 * real collection frees exactly those.
 */
TEST_F(gc, leaks_dry_run)
{
	struct mobj_info before, after;
	struct gc_snap gs;
	__u32 a, b, held, tail, weak, h;
	__u64 ids[4], ida, idb, examined;

	ASSERT_EQ(0, mobj_new(self->fd, T_LIST, NULL, 0, &a, &ida));
	ASSERT_EQ(0, mobj_new(self->fd, T_LIST, NULL, 0, &b, &idb));
	APPEND(self->fd, a, b);
	APPEND(self->fd, b, a);
	ASSERT_EQ(0, mobj_weakref(self->fd, a, &weak));
	/* A held cycle and what it holds are no leak. */
	NEW(self->fd, held);
	NEW(self->fd, tail);
	APPEND(self->fd, held, held);
	APPEND(self->fd, held, tail);
	CLOSE(self->fd, tail);
	ASSERT_EQ(0, COLLECT(self->fd, 0));
	CLOSE(self->fd, a);
	CLOSE(self->fd, b);
	ASSERT_EQ(0, mobj_info(self->fd, held, &before));
	EXPECT_EQ(1, before.generation);
	gc_snap(self->fd, &gs);

	poison_ids(ids, 4);
	EXPECT_EQ(2, mobj_gc_leaks(self->fd, ids, 4, &examined));
	EXPECT_LE(3, examined);
	qsort(ids, 2, sizeof(ids[0]), cmp_u64);
	EXPECT_EQ(ida < idb ? ida : idb, ids[0]);
	EXPECT_EQ(ida < idb ? idb : ida, ids[1]);
	EXPECT_EQ(0xdeadbeef, ids[2]);
	/* Room for one: the total, one id, nothing past it. */
	poison_ids(ids, 4);
	EXPECT_EQ(2, mobj_gc_leaks(self->fd, ids, 1, NULL));
	EXPECT_TRUE(ids[0] == ida || ids[0] == idb);
	EXPECT_EQ(0xdeadbeef, ids[1]);
	EXPECT_EQ(2, mobj_gc_leaks(self->fd, NULL, 0, NULL));

	/* Nothing changed: alive, reachable by weak handle, same generation. */
	EXPECT_EQ(4, LIVE(self));
	EXPECT_GC_UNCHANGED(self->fd, gs);
	ASSERT_EQ(0, mobj_info(self->fd, held, &after));
	EXPECT_EQ(before.generation, after.generation);
	EXPECT_EQ(before.refcount, after.refcount);
	ASSERT_EQ(0, mobj_weakref_get(self->fd, weak, &h));
	EXPECT_EQ(2, rc_of(self->fd, h));
	CLOSE(self->fd, h);

	/* The collection frees what the dry run named, and no more. */
	EXPECT_EQ(2, COLLECT(self->fd, 2));
	EXPECT_EQ(0, mobj_gc_leaks(self->fd, ids, 4, NULL));
	EXPECT_ERRNO(ESTALE, mobj_weakref_get(self->fd, weak, &h));
	CLOSE(self->fd, weak);
	CLOSE(self->fd, held);
	/* tail has no slot: untracked, freed with held's slots, not found. */
	EXPECT_EQ(1, mobj_gc_leaks(self->fd, NULL, 0, NULL));
	EXPECT_EQ(1, COLLECT(self->fd, 2));
	EXPECT_EQ(0, LIVE(self));
}

/*
 * MOBJ_WATCH_CANCEL (unwatch): takes back one watch of this open file on
 * the object, the first with that cookie; no notice comes for it.  No
 * such watch, a weak or stale handle, another client's watch: an error,
 * and nothing changes.
 */
TEST_F(gc, unwatch)
{
	struct mobj_event ev[4];
	struct mobj_info info;
	__u32 a, weak;
	int fd2;

	NEW(self->fd, a);
	ASSERT_EQ(0, mobj_weakref(self->fd, a, &weak));
	ASSERT_EQ(0, mobj_watch(self->fd, a, 7));
	ASSERT_EQ(0, mobj_watch(self->fd, a, 7));
	ASSERT_EQ(0, mobj_watch(self->fd, a, 8));
	fd2 = mobj_extra_open(self->extra);
	ASSERT_LE(0, fd2);
	EXPECT_ERRNO(ENOENT, mobj_unwatch(self->fd, a, 9));
	EXPECT_ERRNO(EINVAL, mobj_unwatch(self->fd, weak, 7));
	EXPECT_ERRNO(ENOENT, mobj_unwatch(fd2, a, 7));
	EXPECT_ERRNO(ENOENT, mobj_unwatch(self->fd, 0x7fffffff, 7));
	/* One of the two 7s, then the other; 8 stays. */
	ASSERT_EQ(0, mobj_unwatch(self->fd, a, 7));
	ASSERT_EQ(0, mobj_unwatch(self->fd, a, 7));
	EXPECT_ERRNO(ENOENT, mobj_unwatch(self->fd, a, 7));
	ASSERT_EQ(0, mobj_info(self->fd, a, &info));
	EXPECT_EQ(MOBJ_STATE_WATCHED, info.state & MOBJ_STATE_WATCHED);
	CLOSE(self->fd, a);
	ASSERT_EQ(1, mobj_read_events(self->fd, ev, 4));
	EXPECT_EQ(8, ev[0].cookie);
	EXPECT_EQ(0, events_pending(self->fd));
	/* Its handle closed: no such handle any more. */
	EXPECT_ERRNO(ENOENT, mobj_unwatch(self->fd, a, 8));
	CLOSE(self->fd, weak);
}

TEST_HARNESS_MAIN
