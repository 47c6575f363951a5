// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_debug_race: threads racing on one heap (debug kernel: KASAN,
 * lockdep and kmemleak watch the kernel side).
 *
 *  close_vs_get_dup      CLOSE of a handle against DUP, INFO, GETREFCOUNT
 *                        (lock-free), WEAKREF, WEAKREF_GET, SLOT_GET and
 *                        batches naming it, from other threads
 *  set_vs_collect        SLOT_GET/SET/POP/APPEND on cycles against manual
 *                        collections with tiny collector steps, freezes,
 *                        and the consistency checker
 *  close_vs_auto_collect clients that build cycles and go away, against
 *                        automatic collections (threshold 3) and a thread
 *                        taking the saved garbage of everyone
 *  notices_vs_read       death notices posted against blocking reads and
 *                        polls, with a small queue; a read blocked while
 *                        its file is closed
 *  unload_vs_clients     delete_module(O_NONBLOCK) against clients opening,
 *                        working and closing, and debugfs readers
 *
 * Each runs for MOBJ_RACE_SECONDS (default 5), then checks the heap with
 * the consistency checker and that every object and handle is gone.  The
 * invariants checked while racing: a handle that was not closed always
 * works, INFO through a handle never shows another object, an object a
 * thread holds a strong handle to is never reported dead (death notice,
 * -ESTALE), every notice is delivered once or counted as lost.  The last
 * test prints "# reliability: race_seconds=N".
 *
 * With MOBJ_RACE_UNLOAD=1 and $MOBJ_BUILD/mobj.ko, unload_vs_clients also
 * races open() against a real unload and loads the module again.
 */
#include "mobj_test.h"

#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/stat.h>


struct race_totals {
	unsigned long ms;
	unsigned long ops;
};

static struct race_totals *totals;

static void __attribute__((constructor)) totals_init(void)
{
	totals = mobj_shared_zalloc(sizeof(*totals));
}

/* The state the threads of one race share. */
struct race {
	atomic_int stop;
	atomic_int nerr;
	atomic_ulong ops;
	pthread_mutex_t lock;
	char err[1024];
};

static void race_error(struct race *r, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&r->nerr, 1))
		return;
	pthread_mutex_lock(&r->lock);
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&r->lock);
	atomic_store(&r->stop, 1);
}

#define RCHECK(r, cond, fmt, ...) do { \
	if (!(cond)) \
		race_error(r, "%s:%d: " fmt, __func__, __LINE__, \
			   ##__VA_ARGS__); \
} while (0)

static unsigned int race_seconds(void)
{
	const char *v = getenv("MOBJ_RACE_SECONDS");

	return v && *v ? strtoul(v, NULL, 0) : 5;
}

static __u64 xorshift(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void run_threads(struct race *r, int n, void *(*fn)(void *),
			void **args, unsigned int seconds)
{
	pthread_t t[16];
	__u64 end = mobj_now_ms() + seconds * 1000ULL;
	int i;

	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, args[i]))
			race_error(r, "pthread_create: %s", strerror(errno));
	while (!atomic_load(&r->stop) && mobj_now_ms() < end)
		usleep(20000);
	atomic_store(&r->stop, 1);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static int gc_set(int fd, __u32 flags, __u32 enabled, __u32 debug,
		  __u32 t0, __u32 t1, __u32 t2)
{
	struct mobj_gc_set set = {
		.size = sizeof(set),
		.flags = flags,
		.enabled = enabled,
		.debug = debug,
		.threshold = { t0, t1, t2 },
	};

	return mobj_raw(fd, MOBJ_GC_SET, &set);
}

/* No garbage, nothing frozen, automatic collection back to defaults. */
static int device_settle(int fd)
{
	int ret;

	ret = mobj_gc_reset(fd, 2000);
	if (!ret)
		ret = mobj_gc_enable(fd);
	return ret;
}

FIXTURE(race) {
	struct race r;
	struct mobj_params params;
	struct mobj_counts base;
	unsigned int seconds;
	__u64 start;
	bool ready;
};

FIXTURE_SETUP(race)
{
	int fd;

	memset(&self->r, 0, sizeof(self->r));
	pthread_mutex_init(&self->r.lock, NULL);
	self->ready = false;
	MOBJ_OPEN_OR_SKIP(fd);
	ASSERT_EQ(0, device_settle(fd));
	ASSERT_EQ(0, mobj_counts(fd, &self->base));
	close(fd);
	self->seconds = race_seconds();
	self->start = mobj_now_ms();
	self->ready = true;
}

FIXTURE_TEARDOWN(race)
{
	struct mobj_counts now;
	char buf[4096];
	int fd;

	EXPECT_EQ(0, mobj_params_restore(&self->params));
	if (!self->ready)
		return;
	if (totals) {
		__atomic_add_fetch(&totals->ms, mobj_now_ms() - self->start,
				   __ATOMIC_RELAXED);
		__atomic_add_fetch(&totals->ops, atomic_load(&self->r.ops),
				   __ATOMIC_RELAXED);
	}
	EXPECT_EQ(0, atomic_load(&self->r.nerr)) TH_LOG("%s", self->r.err);
	fd = mobj_dev_open();
	EXPECT_LE(0, fd);
	if (fd < 0)
		return;
	EXPECT_EQ(0, device_settle(fd));
	EXPECT_EQ(0, mobj_check_heap(buf, sizeof(buf))) TH_LOG("checker: %s", buf);
	EXPECT_EQ(0, mobj_counts(fd, &now));
	EXPECT_EQ(self->base.live_objects, now.live_objects);
	EXPECT_EQ(self->base.live_handles, now.live_handles);
	close(fd);
	mobj_note("race: %lu operations\n", atomic_load(&self->r.ops));
	fflush(stdout);
}

/*
 * close_vs_get_dup: one thread makes objects, each with a type tag of its
 * own, publishes (handle, tag), withdraws it and closes the handle again;
 * the others use the published handle.  Handle numbers are reused (lowest
 * first), so a user checks a call only if (handle, tag) was still
 * published after it returned: then the handle named that object
 * throughout, and the call must have worked and be about that object.
 * Otherwise the number may name anything by then (another user's handle,
 * a weak one): any errno of a stale handle is accepted, but an INFO that
 * works must still describe one object: the maker keeps each object's tag
 * by id, and the type INFO gives must be that of the id it gives.
 */
#define CG_IDS 4096
struct cg {
	struct race *r;
	int fd;
	__u32 holder;		/* an object whose slot 0 the maker sets */
	atomic_ullong cur;	/* handle << 32 | tag */
	__u64 seed;
	atomic_ullong idtag[CG_IDS];	/* (__u32)id << 32 | tag, by id */
};

/* The tag of object @id, if the maker still knows it; else ~0u. */
static __u32 cg_tag_of(struct cg *g, __u64 id)
{
	__u64 v = atomic_load(&g->idtag[id % CG_IDS]);

	return (__u32)(v >> 32) == (__u32)id ? (__u32)v : ~0u;
}

static void *cg_maker(void *p)
{
	struct cg *g = p;
	__u32 tag = 0x100, h, nslots = 0;
	__u64 s = g->seed, id;
	int ret;

	while (!atomic_load(&g->r->stop)) {
		ret = mobj_new(g->fd, ++tag, "x", 1, &h, &id);
		RCHECK(g->r, !ret, "NEW: %d", ret);
		if (ret)
			break;
		atomic_store(&g->idtag[id % CG_IDS], id << 32 | tag);
		/* half of them live on in the holder's slot for a while */
		if (xorshift(&s) & 1) {
			if (nslots)
				ret = mobj_slot_set(g->fd, g->holder, 0, h);
			else
				ret = mobj_slot_append(g->fd, g->holder, h, NULL);
			RCHECK(g->r, !ret, "holder: %d", ret);
			nslots = 1;
		}
		atomic_store(&g->cur, (__u64)h << 32 | tag);
		if (xorshift(&s) & 1)
			sched_yield();
		atomic_store(&g->cur, 0);
		ret = mobj_handle_close(g->fd, h);
		RCHECK(g->r, !ret, "CLOSE of the maker's handle: %d", ret);
		if (nslots && !(xorshift(&s) & 3)) {
			ret = mobj_slot_pop(g->fd, g->holder, 0);
			RCHECK(g->r, !ret, "POP: %d", ret);
			nslots = 0;
		}
		atomic_fetch_add(&g->r->ops, 3);
	}
	return NULL;
}

static void cg_check_new(struct cg *g, __u32 h, __u32 tag, const char *what)
{
	struct mobj_info info;
	int ret;

	ret = mobj_info(g->fd, h, &info);
	RCHECK(g->r, !ret, "%s: INFO of the new handle: %d", what, ret);
	RCHECK(g->r, ret || tag == ~0u || info.type == tag,
	       "%s: new handle to type %#x, expected %#x", what, info.type,
	       tag);
	RCHECK(g->r, ret || cg_tag_of(g, info.id) == ~0u ||
	       info.type == cg_tag_of(g, info.id),
	       "%s: new handle to object %llu with type %#x, expected %#x",
	       what, info.id, info.type, cg_tag_of(g, info.id));
	RCHECK(g->r, ret || info.refcount >= 1, "%s: refcount %llu", what,
	       info.refcount);
	ret = mobj_handle_close(g->fd, h);
	RCHECK(g->r, !ret, "%s: CLOSE of the new handle: %d", what, ret);
}

/* A call through a stale number may fail in any way a handle can. */
static bool cg_stale_errno(int ret)
{
	return ret == -ENOENT || ret == -EINVAL || ret == -ESTALE ||
	       ret == -ENOSPC;
}

static void *cg_user(void *p)
{
	struct cg *g = p;
	__u64 s = g->seed + pthread_self();
	struct mobj_info info;
	__u32 h, tag, d, w;
	__u64 cur, rc;
	bool live;
	int ret;

	while (!atomic_load(&g->r->stop)) {
		cur = atomic_load(&g->cur);
		h = cur >> 32;
		tag = cur;
		if (!h) {
			sched_yield();
			continue;
		}
/* After a call through h: was (h, tag) published throughout? */
#define CG_LIVE() (live = atomic_load(&g->cur) == cur)
		switch (xorshift(&s) % 7) {
		case 0:	/* lock-free */
			ret = mobj_info(g->fd, h, &info);
			CG_LIVE();
			RCHECK(g->r, live ? !ret : !ret || cg_stale_errno(ret),
			       "INFO: %d (live %d)", ret, live);
			RCHECK(g->r, ret || !live || (info.type == tag &&
						      info.refcount >= 1 &&
						      info.data_len == 1),
			       "INFO of handle %u: type %#x refcount %llu len %u, expected type %#x",
			       h, info.type, info.refcount, info.data_len, tag);
			/* live or not: one object's id and type */
			RCHECK(g->r, ret || cg_tag_of(g, info.id) == ~0u ||
			       info.type == cg_tag_of(g, info.id),
			       "INFO of handle %u: id %llu with type %#x, object %llu has type %#x",
			       h, info.id, info.type, info.id,
			       cg_tag_of(g, info.id));
			break;
		case 1:	/* lock-free */
			ret = mobj_getrefcount(g->fd, h, &rc);
			CG_LIVE();
			RCHECK(g->r, live ? !ret : !ret || cg_stale_errno(ret),
			       "GETREFCOUNT: %d (live %d)", ret, live);
			RCHECK(g->r, ret || !live || (rc >= 1 && rc < 16),
			       "GETREFCOUNT of handle %u: %llu", h, rc);
			break;
		case 2:
			ret = mobj_dup(g->fd, h, &d);
			CG_LIVE();
			RCHECK(g->r, live ? !ret : !ret || cg_stale_errno(ret),
			       "DUP: %d (live %d)", ret, live);
			if (!ret)
				cg_check_new(g, d, live ? tag : ~0u, "DUP");
			break;
		case 3:
			ret = mobj_weakref(g->fd, h, &w);
			CG_LIVE();
			RCHECK(g->r, live ? !ret : !ret || cg_stale_errno(ret),
			       "WEAKREF: %d (live %d)", ret, live);
			if (ret)
				break;
			ret = mobj_weakref_get(g->fd, w, &d);
			CG_LIVE();
			RCHECK(g->r, live ? !ret : !ret || ret == -ESTALE,
			       "WEAKREF_GET: %d (live %d)", ret, live);
			if (!ret)
				cg_check_new(g, d, live ? tag : ~0u,
					     "WEAKREF_GET");
			ret = mobj_handle_close(g->fd, w);
			RCHECK(g->r, !ret, "CLOSE of a weak handle: %d", ret);
			break;
		case 4:
			ret = mobj_slot_get(g->fd, g->holder, 0, &d);
			RCHECK(g->r, !ret || ret == -ERANGE, "SLOT_GET: %d",
			       ret);
			if (!ret)
				cg_check_new(g, d, ~0u, "SLOT_GET");
			break;
		case 5: {
			struct mobj_batch_op ops[3] = {
				{ .cmd = MOBJ_CMD_DUP, .handle = h },
				{ .cmd = MOBJ_CMD_GETREFCOUNT,
				  .handle = MOBJ_BATCH_RESULT(0) },
				{ .cmd = MOBJ_CMD_CLOSE,
				  .handle = MOBJ_BATCH_RESULT(0) },
			};
			__u32 done = 0;

			ret = mobj_batch(g->fd, ops, ARRAY_SIZE(ops), &done);
			CG_LIVE();
			RCHECK(g->r, (live ? !ret : !ret || (!done &&
							     cg_stale_errno(ret))) ||
			       ret == -ENOTTY, "BATCH: %d done %u (live %d)",
			       ret, done, live);
			RCHECK(g->r, ret || ops[1].result >= 2,
			       "BATCH GETREFCOUNT: %llu", ops[1].result);
			break;
		}
		default:
			ret = mobj_watch(g->fd, h, cur);
			CG_LIVE();
			RCHECK(g->r, live ? !ret : !ret || cg_stale_errno(ret),
			       "WATCH: %d (live %d)", ret, live);
			break;
		}
#undef CG_LIVE
		atomic_fetch_add(&g->r->ops, 1);
	}
	return NULL;
}

/* Death notices of the close_vs_get_dup objects: reasons only. */
static void drain_notices(struct race *r, int fd)
{
	struct mobj_event ev[32];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n, i;

	while (poll(&pfd, 1, 0) == 1) {
		n = mobj_read_events(fd, ev, 32);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			RCHECK(r, ev[i].reason == MOBJ_EVENT_REFCOUNT ||
			       ev[i].reason == MOBJ_EVENT_CYCLE ||
			       ev[i].reason == MOBJ_EVENT_LOST,
			       "event reason %u", ev[i].reason);
	}
}

TEST_F_TIMEOUT(race, close_vs_get_dup, 120)
{
	struct cg g = { .r = &self->r, .seed = 0x1234567 };
	void *args[4] = { &g, &g, &g, &g };
	pthread_t maker;

	g.fd = mobj_dev_open();
	ASSERT_LE(0, g.fd);
	ASSERT_EQ(0, mobj_new(g.fd, 1, NULL, 0, &g.holder, NULL));
	/* one maker, three users */
	ASSERT_EQ(0, pthread_create(&maker, NULL, cg_maker, &g));
	run_threads(&self->r, 3, cg_user, args, self->seconds);
	pthread_join(maker, NULL);
	drain_notices(&self->r, g.fd);
	close(g.fd);
}

/*
 * set_vs_collect: each mutator has its own client with a few roots
 * (objects it holds handles to), whose slots refer to cycles nobody else
 * holds.  It takes an object out of a root (SLOT_GET, then POP: now only
 * its handle and its own cycle hold it), checks it, puts it back; moves
 * objects between roots; drops cycles (garbage); makes new ones.  Another
 * thread collects all the time, in steps of a few objects (gc_step_budget)
 * so that the mutators run between the steps; another freezes and
 * unfreezes; another runs the consistency checker.  An object a mutator
 * holds a strong handle to must never be found dead: not by WEAKREF_GET,
 * not by a death notice, not by INFO.
 */
#define ROOTS 4

struct sc {
	struct race *r;
	int fd;
	__u32 root[ROOTS];
	__u64 seed;
};

static int make_cycle(int fd, __u32 root, __u64 *s)
{
	__u32 a, c;
	int ret;

	ret = mobj_new(fd, 0xc1, "a", 1, &a, NULL);
	if (ret)
		return ret;
	ret = mobj_new(fd, 0xc2, "c", 1, &c, NULL);
	if (!ret)
		ret = mobj_slot_append(fd, a, c, NULL);
	if (!ret)
		ret = mobj_slot_append(fd, c, xorshift(s) & 1 ? a : c, NULL);
	if (!ret)
		ret = mobj_slot_append(fd, root, a, NULL);
	mobj_handle_close(fd, c);
	mobj_handle_close(fd, a);
	return ret == -EFBIG ? 0 : ret;
}

/* Take root[k][i] out, hold it, check it stays alive, put it back. */
static void sc_hold(struct sc *m, __u32 root, __u64 *s)
{
	struct pollfd pfd = { .fd = m->fd, .events = POLLIN };
	struct mobj_info info, root_info;
	struct mobj_event ev[32];
	__u32 h, w, h2, n;
	__u64 id = 0;
	int ret, i;

	ret = mobj_info(m->fd, root, &root_info);
	RCHECK(m->r, !ret, "INFO of a root: %d", ret);
	if (ret || !root_info.nslots)
		return;
	n = xorshift(s) % root_info.nslots;
	ret = mobj_slot_get(m->fd, root, n, &h);
	RCHECK(m->r, !ret, "SLOT_GET: %d", ret);
	if (ret)
		return;
	ret = mobj_weakref(m->fd, h, &w);
	RCHECK(m->r, !ret, "WEAKREF: %d", ret);
	ret = mobj_watch(m->fd, h, h);
	RCHECK(m->r, !ret, "WATCH: %d", ret);
	ret = mobj_info(m->fd, h, &info);
	RCHECK(m->r, !ret, "INFO: %d", ret);
	id = info.id;
	/* now the object is held by our handle and its cycle only */
	ret = mobj_slot_pop(m->fd, root, n);
	RCHECK(m->r, !ret, "POP: %d", ret);
	for (i = 0; i < 4 && !atomic_load(&m->r->stop); i++) {
		ret = mobj_info(m->fd, h, &info);
		RCHECK(m->r, !ret && info.refcount >= 1 &&
		       !(info.state & MOBJ_STATE_GARBAGE) && info.type == 0xc1,
		       "INFO of a held object: %d refcount %llu state %#x type %#x",
		       ret, info.refcount, info.state, info.type);
		ret = mobj_weakref_get(m->fd, w, &h2);
		RCHECK(m->r, !ret,
		       "WEAKREF_GET of an object we hold a handle to: %d",
		       ret);
		if (!ret)
			mobj_handle_close(m->fd, h2);
		sched_yield();
	}
	/* no death notice for it while we held it */
	while (poll(&pfd, 1, 0) == 1) {
		n = mobj_read_events(m->fd, ev, 32);
		if (n <= 0)
			break;
		for (i = 0; i < (int)n; i++)
			RCHECK(m->r, ev[i].id != id,
			       "death notice (reason %u) for object %llu, held by handle %u",
			       ev[i].reason, id, h);
	}
	ret = mobj_slot_append(m->fd, root, h, NULL);
	RCHECK(m->r, !ret || ret == -EFBIG, "APPEND back: %d", ret);
	mobj_handle_close(m->fd, w);
	ret = mobj_handle_close(m->fd, h);
	RCHECK(m->r, !ret, "CLOSE of a held object: %d", ret);
}

static void *sc_mutator(void *p)
{
	struct sc *m = p;
	__u64 s = m->seed;
	__u32 a, b, h;
	int ret;

	while (!atomic_load(&m->r->stop)) {
		a = m->root[xorshift(&s) % ROOTS];
		b = m->root[xorshift(&s) % ROOTS];
		switch (xorshift(&s) % 6) {
		case 0:
		case 1:
			sc_hold(m, a, &s);
			break;
		case 2:	/* move a cycle from one root to another */
			ret = mobj_slot_get(m->fd, a, 0, &h);
			RCHECK(m->r, !ret || ret == -ERANGE, "SLOT_GET: %d",
			       ret);
			if (ret)
				break;
			ret = mobj_slot_pop(m->fd, a, 0);
			RCHECK(m->r, !ret, "POP: %d", ret);
			ret = mobj_slot_set(m->fd, b, 0, h);
			if (ret == -ERANGE)
				ret = mobj_slot_append(m->fd, b, h, NULL);
			RCHECK(m->r, !ret, "SET/APPEND: %d", ret);
			mobj_handle_close(m->fd, h);
			break;
		case 3:	/* drop a cycle: garbage */
			ret = mobj_slot_pop(m->fd, a, 0);
			RCHECK(m->r, !ret || ret == -ERANGE, "POP: %d", ret);
			break;
		case 4:
			ret = make_cycle(m->fd, a, &s);
			RCHECK(m->r, !ret, "making a cycle: %d", ret);
			break;
		default: {	/* the same in a batch */
			struct mobj_batch_op ops[5] = {
				{ .cmd = MOBJ_CMD_NEW, .handle = 0xc1 },
				{ .cmd = MOBJ_CMD_SLOT_APPEND,
				  .handle = MOBJ_BATCH_RESULT(0),
				  .value = MOBJ_BATCH_RESULT(0) },
				{ .cmd = MOBJ_CMD_SLOT_APPEND, .handle = a,
				  .value = MOBJ_BATCH_RESULT(0) },
				{ .cmd = MOBJ_CMD_SLOT_SET, .handle = b,
				  .index = 0, .value = MOBJ_BATCH_RESULT(0) },
				{ .cmd = MOBJ_CMD_CLOSE,
				  .handle = MOBJ_BATCH_RESULT(0) },
			};
			__u32 done = 0;

			ret = mobj_batch(m->fd, ops, ARRAY_SIZE(ops), &done);
			RCHECK(m->r, !ret || ret == -EFBIG || ret == -ERANGE ||
			       ret == -ENOTTY, "BATCH: %d done %u", ret, done);
			if (ret && ret != -ENOTTY && done > 0)
				mobj_handle_close(m->fd, ops[0].result);
			break;
		}
		}
		atomic_fetch_add(&m->r->ops, 1);
	}
	return NULL;
}

static void *sc_collector(void *p)
{
	struct sc *m = p;
	__u64 s = m->seed;
	int ret;

	while (!atomic_load(&m->r->stop)) {
		ret = mobj_gc_collect(m->fd, xorshift(&s) % 3, NULL);
		RCHECK(m->r, ret >= 0, "GC_COLLECT: %d", ret);
		atomic_fetch_add(&m->r->ops, 1);
	}
	return NULL;
}

static void *sc_freezer(void *p)
{
	struct sc *m = p;
	char buf[4096];
	int ret, k = 0;

	while (!atomic_load(&m->r->stop)) {
		if (k++ % 2) {
			ret = mobj_gc_freeze(m->fd, NULL);
			RCHECK(m->r, !ret, "FREEZE: %d", ret);
			usleep(2000);
			ret = mobj_gc_unfreeze(m->fd, NULL);
			RCHECK(m->r, !ret, "UNFREEZE: %d", ret);
		} else {
			ret = mobj_check_heap(buf, sizeof(buf));
			RCHECK(m->r, !ret, "checker while racing: %s", buf);
		}
		usleep(5000);
		atomic_fetch_add(&m->r->ops, 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, set_vs_collect, 120)
{
	static const unsigned int budgets[] = { 1, 5, 64, 0 };
	struct sc m[4], gc;
	pthread_t col, frz;
	void *args[6];
	unsigned int i, k, part;
	int ret;

	memset(m, 0, sizeof(m));
	for (i = 0; i < 3; i++) {
		m[i].r = &self->r;
		m[i].seed = 0x9e3779b9 * (i + 1);
		m[i].fd = mobj_dev_open();
		ASSERT_LE(0, m[i].fd);
		for (k = 0; k < ROOTS; k++) {
			ASSERT_EQ(0, mobj_new(m[i].fd, 0x700 + k, NULL, 0,
					      &m[i].root[k], NULL));
			ASSERT_EQ(0, make_cycle(m[i].fd, m[i].root[k],
						&m[i].seed));
			ASSERT_EQ(0, make_cycle(m[i].fd, m[i].root[k],
						&m[i].seed));
		}
		args[i] = &m[i];
	}
	gc = (struct sc){ .r = &self->r, .seed = 77, .fd = mobj_dev_open() };
	ASSERT_LE(0, gc.fd);
	ASSERT_EQ(0, mobj_gc_disable(gc.fd));
	m[3] = (struct sc){ .r = &self->r, .seed = 5, .fd = mobj_dev_open() };
	ASSERT_LE(0, m[3].fd);
	args[3] = &gc;

	/* each collector step size for a part of the time */
	part = (self->seconds + 3) / 4;
	for (i = 0; i < 4 && !atomic_load(&self->r.nerr); i++) {
		ret = mobj_param_set(&self->params, "gc_step_budget",
				     budgets[i]);
		if (ret == -ENOENT && i)
			break;
		ASSERT_TRUE(!ret || ret == -ENOENT);
		atomic_store(&self->r.stop, 0);
		ASSERT_EQ(0, pthread_create(&col, NULL, sc_collector, &gc));
		ASSERT_EQ(0, pthread_create(&frz, NULL, sc_freezer, &m[3]));
		run_threads(&self->r, 3, sc_mutator, args, part);
		pthread_join(col, NULL);
		pthread_join(frz, NULL);
	}
	for (i = 0; i < 4; i++)
		close(m[i].fd);
	close(gc.fd);
}

/*
 * close_vs_auto_collect: clients come, build cycles through each other's
 * objects, watch some, go away; the collector runs from its work item
 * (threshold 3) in small steps; one thread keeps the garbage
 * (DEBUG_SAVEALL) now and then and takes it (GC_GARBAGE with CLEAR):
 * handles to objects of clients that are gone.
 */
struct ac {
	struct race *r;
	__u64 seed;
};

static void *ac_client(void *p)
{
	struct ac *a = p;
	__u64 s = a->seed + (unsigned long)pthread_self();
	__u32 h[8];
	int fd, i, n, ret;

	while (!atomic_load(&a->r->stop)) {
		fd = mobj_dev_open();
		RCHECK(a->r, fd >= 0, "open: %d", fd);
		if (fd < 0)
			break;
		n = 2 + xorshift(&s) % 6;
		for (i = 0; i < n; i++) {
			ret = mobj_new(fd, 0xac, NULL, 0, &h[i], NULL);
			RCHECK(a->r, !ret, "NEW: %d", ret);
			if (ret)
				break;
			if (i) {
				ret = mobj_slot_append(fd, h[i - 1], h[i], NULL);
				RCHECK(a->r, !ret, "APPEND: %d", ret);
			}
		}
		if (i == n) {
			ret = mobj_slot_append(fd, h[n - 1], h[xorshift(&s) % n],
					  NULL);
			RCHECK(a->r, !ret, "APPEND: %d", ret);
			ret = mobj_watch(fd, h[xorshift(&s) % n], 1);
			RCHECK(a->r, !ret, "WATCH: %d", ret);
			/* some handles closed before the client goes */
			for (i = 0; i < n; i++)
				if (xorshift(&s) & 1)
					mobj_handle_close(fd, h[i]);
		}
		if (xorshift(&s) & 1)
			usleep(xorshift(&s) % 500);
		close(fd);
		atomic_fetch_add(&a->r->ops, n + 2);
	}
	return NULL;
}

static void *ac_garbage(void *p)
{
	struct ac *a = p;
	__u32 hs[64], filled, i;
	struct mobj_info info;
	int fd, ret, k = 0;

	fd = mobj_dev_open();
	RCHECK(a->r, fd >= 0, "open: %d", fd);
	while (fd >= 0 && !atomic_load(&a->r->stop)) {
		ret = mobj_gc_set_debug(fd, k++ % 2 ? MOBJ_GC_DEBUG_SAVEALL : 0);
		RCHECK(a->r, !ret, "GC_SET debug: %d", ret);
		usleep(3000);
		ret = mobj_gc_garbage(fd, hs, 64, MOBJ_GC_GARBAGE_CLEAR,
				      &filled);
		RCHECK(a->r, ret >= 0, "GC_GARBAGE: %d", ret);
		for (i = 0; ret >= 0 && i < filled; i++) {
			ret = mobj_info(fd, hs[i], &info);
			RCHECK(a->r, !ret && info.type == 0xac,
			       "INFO of saved garbage: %d type %#x", ret,
			       info.type);
			ret = mobj_handle_close(fd, hs[i]);
			RCHECK(a->r, !ret, "CLOSE of saved garbage: %d", ret);
		}
		atomic_fetch_add(&a->r->ops, 2 + filled);
	}
	if (fd >= 0) {
		mobj_gc_set_debug(fd, 0);
		close(fd);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, close_vs_auto_collect, 120)
{
	struct ac a = { .r = &self->r, .seed = 99 };
	void *args[3] = { &a, &a, &a };
	pthread_t g;
	int fd, ret;

	fd = mobj_dev_open();
	ASSERT_LE(0, fd);
	ret = mobj_param_set(&self->params, "gc_step_budget", 3);
	ASSERT_TRUE(!ret || ret == -ENOENT);
	ASSERT_EQ(0, gc_set(fd, MOBJ_GC_SET_ENABLED | MOBJ_GC_SET_THRESHOLD,
			    1, 0, 3, 2, 2));
	ASSERT_EQ(0, pthread_create(&g, NULL, ac_garbage, &a));
	run_threads(&self->r, 3, ac_client, args, self->seconds);
	pthread_join(g, NULL);
	ASSERT_EQ(0, device_settle(fd));
	close(fd);
}

/*
 * notices_vs_read: producers make objects, watch them and close them (a
 * notice each, cookies unique); readers block in read() and poll(); the
 * queue holds 8.  Every notice must arrive exactly once or be counted in
 * a LOST record.  Then a reader blocked in read() while its file is
 * closed by another thread, woken by a signal.
 */
#define NOTICES_MAX (1 << 20)

struct nr {
	struct race *r;
	int fd;
	atomic_ulong produced;
	atomic_ulong delivered;
	atomic_ulong lost;
	atomic_int producers;
	atomic_uchar *seen;
	atomic_ulong next_cookie;
};

static void on_signal(int sig)
{
}

static void *nr_producer(void *p)
{
	struct nr *n = p;
	unsigned long c;
	__u32 h;
	int ret;

	while (!atomic_load(&n->r->stop)) {
		c = atomic_fetch_add(&n->next_cookie, 1);
		if (c >= NOTICES_MAX)
			break;
		ret = mobj_new(n->fd, 0xe0, NULL, 0, &h, NULL);
		RCHECK(n->r, !ret, "NEW: %d", ret);
		if (ret)
			break;
		ret = mobj_watch(n->fd, h, c);
		RCHECK(n->r, !ret, "WATCH: %d", ret);
		ret = mobj_handle_close(n->fd, h);
		RCHECK(n->r, !ret, "CLOSE: %d", ret);
		atomic_fetch_add(&n->produced, 1);
		atomic_fetch_add(&n->r->ops, 3);
	}
	atomic_fetch_sub(&n->producers, 1);
	return NULL;
}

static void nr_take(struct nr *n, const struct mobj_event *ev, int cnt)
{
	int i;

	for (i = 0; i < cnt; i++) {
		if (ev[i].reason == MOBJ_EVENT_LOST) {
			atomic_fetch_add(&n->lost, ev[i].lost);
			continue;
		}
		RCHECK(n->r, ev[i].reason == MOBJ_EVENT_REFCOUNT &&
		       ev[i].type == 0xe0 && ev[i].cookie < NOTICES_MAX,
		       "notice reason %u type %#x cookie %llu", ev[i].reason,
		       ev[i].type, ev[i].cookie);
		if (ev[i].cookie < NOTICES_MAX)
			RCHECK(n->r, !atomic_exchange(&n->seen[ev[i].cookie],
						      1),
			       "notice %llu delivered twice", ev[i].cookie);
		atomic_fetch_add(&n->delivered, 1);
	}
}

static void *nr_reader(void *p)
{
	struct nr *n = p;
	struct mobj_event ev[32];
	__u64 s = (unsigned long)pthread_self() | 1;
	int cnt;

	for (;;) {
		cnt = mobj_read_events(n->fd, ev, 1 + xorshift(&s) % 32);
		if (cnt == -EINTR) {
			if (atomic_load(&n->r->stop) &&
			    atomic_load(&n->delivered) +
			    atomic_load(&n->lost) >=
			    atomic_load(&n->produced) &&
			    !atomic_load(&n->producers))
				break;
			continue;
		}
		RCHECK(n->r, cnt > 0, "read: %d", cnt);
		if (cnt <= 0)
			break;
		nr_take(n, ev, cnt);
	}
	return NULL;
}

static void *nr_poller(void *p)
{
	struct nr *n = p;
	struct pollfd pfd = { .fd = n->fd, .events = POLLIN };
	int ret;

	while (!atomic_load(&n->r->stop)) {
		ret = poll(&pfd, 1, 10);
		RCHECK(n->r, ret >= 0, "poll: %d", errno);
	}
	return NULL;
}

static void *blocked_reader(void *p)
{
	int *fd = p;
	struct mobj_event ev;
	ssize_t ret;

	ret = read(*fd, &ev, sizeof(ev));
	*fd = ret < 0 ? -errno : (int)ret;
	return NULL;
}

TEST_F_TIMEOUT(race, notices_vs_read, 120)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct nr n = { .r = &self->r };
	pthread_t prod[2], rd[2], pl;
	__u64 end, deadline;
	int i, fd2, arg;
	__u32 h;

	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: reads end in EINTR */
	PARAM_SET_OR_SKIP(&self->params, "events_max", 8);
	n.seen = calloc(NOTICES_MAX, 1);
	ASSERT_NE(NULL, n.seen);
	n.fd = mobj_dev_open();
	ASSERT_LE(0, n.fd);
	atomic_store(&n.producers, 2);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_create(&prod[i], NULL, nr_producer, &n));
		ASSERT_EQ(0, pthread_create(&rd[i], NULL, nr_reader, &n));
	}
	ASSERT_EQ(0, pthread_create(&pl, NULL, nr_poller, &n));
	end = mobj_now_ms() + self->seconds * 1000ULL;
	while (!atomic_load(&self->r.nerr) && mobj_now_ms() < end)
		usleep(20000);
	atomic_store(&self->r.stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(prod[i], NULL);
	pthread_join(pl, NULL);
	/* everything produced is read or lost; then wake the readers */
	deadline = mobj_now_ms() + 30000;
	while (atomic_load(&n.delivered) + atomic_load(&n.lost) <
	       atomic_load(&n.produced) && mobj_now_ms() < deadline &&
	       !atomic_load(&self->r.nerr))
		usleep(10000);
	for (i = 0; i < 2; i++) {
		while (pthread_tryjoin_np(rd[i], NULL)) {
			pthread_kill(rd[i], SIGUSR1);
			usleep(10000);
		}
	}
	EXPECT_EQ(atomic_load(&n.produced),
		  atomic_load(&n.delivered) + atomic_load(&n.lost));
	mobj_note("race: %lu notices, %lu read, %lu lost\n",
		       atomic_load(&n.produced), atomic_load(&n.delivered),
		       atomic_load(&n.lost));
	close(n.fd);
	free((void *)n.seen);

	/* A reader blocked in read() while another thread closes the file. */
	fd2 = mobj_dev_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, mobj_new(fd2, 0xe1, NULL, 0, &h, NULL));
	ASSERT_EQ(0, mobj_watch(fd2, h, 1));
	arg = fd2;
	ASSERT_EQ(0, pthread_create(&rd[0], NULL, blocked_reader, &arg));
	usleep(100000);
	ASSERT_EQ(0, close(fd2));	/* the read holds the file */
	usleep(50000);
	while (pthread_tryjoin_np(rd[0], NULL)) {
		pthread_kill(rd[0], SIGUSR1);
		usleep(10000);
	}
	EXPECT_EQ(-EINTR, arg);
}

/*
 * unload_vs_clients: while a guard client stays open, delete_module()
 * must fail (EWOULDBLOCK) however clients come and go; the device works
 * throughout and after.
 */
struct ul {
	struct race *r;
	atomic_ulong attempts;
	atomic_ulong unloaded;
	bool guarded;
};

static void *ul_remover(void *p)
{
	struct ul *u = p;
	long ret;

	while (!atomic_load(&u->r->stop)) {
		ret = syscall(SYS_delete_module, "mobj", O_NONBLOCK);
		atomic_fetch_add(&u->attempts, 1);
		if (!ret) {
			atomic_fetch_add(&u->unloaded, 1);
			RCHECK(u->r, !u->guarded,
			       "delete_module succeeded while a client was open");
			break;
		}
		RCHECK(u->r, errno == EWOULDBLOCK || errno == EBUSY ||
		       errno == EAGAIN, "delete_module: %s", strerror(errno));
		usleep(1000);
	}
	return NULL;
}

static void *ul_client(void *p)
{
	struct ul *u = p;
	struct mobj_query q;
	__u32 a, b;
	int fd, ret;

	while (!atomic_load(&u->r->stop)) {
		fd = mobj_dev_open();
		if (!u->guarded && (fd == -ENOENT || fd == -ENODEV ||
				    fd == -ENXIO)) {
			usleep(1000);
			continue;
		}
		RCHECK(u->r, fd >= 0, "open: %d", fd);
		if (fd < 0)
			break;
		ret = mobj_new(fd, 1, NULL, 0, &a, NULL);
		if (!ret)
			ret = mobj_new(fd, 1, NULL, 0, &b, NULL);
		if (!ret)
			ret = mobj_slot_append(fd, a, b, NULL);
		if (!ret)
			ret = mobj_slot_append(fd, b, a, NULL);
		if (!ret)
			ret = mobj_query(fd, &q);
		RCHECK(u->r, !ret, "ops on a fresh client: %d", ret);
		close(fd);
		atomic_fetch_add(&u->r->ops, 6);
	}
	return NULL;
}

static void *ul_debugfs(void *p)
{
	struct ul *u = p;
	char buf[8192];

	while (!atomic_load(&u->r->stop)) {
		mobj_read_text(MOBJ_DEBUGFS "stats", buf, sizeof(buf));
		mobj_read_text(MOBJ_DEBUGFS "objects", buf, sizeof(buf));
		atomic_fetch_add(&u->r->ops, 2);
	}
	return NULL;
}

/* Load mobj.ko again (after an unload the test caused). */
static int reload_module(void)
{
	const char *dir = getenv("MOBJ_BUILD");
	char path[512];
	int fd, ret;

	if (!dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/mobj.ko", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	for (fd = 0; !ret && fd < 100 && access(MOBJ_DEV_PATH, F_OK); fd++)
		usleep(10000);
	return ret;
}

TEST_F_TIMEOUT(race, unload_vs_clients, 120)
{
	struct ul u = { .r = &self->r, .guarded = true };
	void *args[4] = { &u, &u, &u, &u };
	pthread_t rm, dbg;
	int guard, rounds = 0;
	const char *real = getenv("MOBJ_RACE_UNLOAD");

	guard = mobj_dev_open();
	ASSERT_LE(0, guard);
	ASSERT_EQ(0, pthread_create(&rm, NULL, ul_remover, &u));
	ASSERT_EQ(0, pthread_create(&dbg, NULL, ul_debugfs, &u));
	run_threads(&self->r, 2, ul_client, args, self->seconds);
	pthread_join(rm, NULL);
	pthread_join(dbg, NULL);
	mobj_note("race: %lu removal attempts refused\n",
		       atomic_load(&u.attempts));
	EXPECT_EQ(0, atomic_load(&u.unloaded));
	close(guard);

	if (!real || strcmp(real, "1") || !getenv("MOBJ_BUILD") ||
	    atomic_load(&self->r.nerr))
		return;
	/* The real thing: unload against opens, load again, a few rounds. */
	u.guarded = false;
	while (rounds++ < 5 && !atomic_load(&self->r.nerr)) {
		atomic_store(&self->r.stop, 0);
		atomic_store(&u.unloaded, 0);
		ASSERT_EQ(0, pthread_create(&rm, NULL, ul_remover, &u));
		run_threads(&self->r, 2, ul_client, args, 1);
		pthread_join(rm, NULL);
		if (access(MOBJ_DEV_PATH, F_OK))
			ASSERT_EQ(0, reload_module());
	}
	mobj_note("race: unloaded and loaded again %d times\n",
		       rounds - 1);
}

/* Last: the totals, for the runner. */

FIXTURE(summary) {
	int unused;
};

FIXTURE_SETUP(summary)
{
}

FIXTURE_TEARDOWN(summary)
{
}

TEST_F(summary, race_seconds)
{
	ASSERT_NE(NULL, totals);
	mobj_note("race: %lu operations in %lu ms\n", totals->ops,
		       totals->ms);
	mobj_note("reliability: race_seconds=%lu\n",
		       (totals->ms + 500) / 1000);
	fflush(stdout);
}

TEST_HARNESS_MAIN
