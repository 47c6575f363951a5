// SPDX-License-Identifier: GPL-2.0
/*
 * The big lock is held for bounded steps: what the refcount semantics look
 * like while a large release drains, releases of a whole open file, batches
 * cut into chunks, the per-client watch limit and the lock-wait histogram.
 * Nothing here is timed: the figures are make bench's.
 */
#include "mobj_test.h"

#include <pthread.h>
#include <sys/wait.h>

/*
 * Objects in the chains freed here: long enough for hundreds of drain
 * steps.  A fifth of MOBJ_CHAIN_LEN when scripts/run-tests.sh shortens the
 * long chains (the KASAN kernel under emulation).
 */
#define CHAIN_LEN 100000

static unsigned int chain_len(void)
{
	const char *env = getenv("MOBJ_CHAIN_LEN");
	unsigned long len = env && *env ? strtoul(env, NULL, 0) / 5 : 0;

	return len ? len : CHAIN_LEN;
}

MOBJ_BASE_FIXTURE(bounded);

struct observer {
	int fd;
	__u32 held;			/* refcount 1 or 2, never up */
	volatile int stop;
	unsigned long samples;
	__u64 before;			/* live objects before the release */
	__u64 after;			/* and once it is complete */
	unsigned long between;		/* samples strictly in between */
	int bad;
	char why[128];
};

/*
 * Another thread watches a release: the live count never goes up, and
 * @held, referred to by a handle and perhaps by one object of the chain,
 * never has an impossible refcount.
 */
static void *observe(void *arg)
{
	struct observer *o = arg;
	__u64 live, prev_live = ~0ULL, rc = 0, prev_rc = 2;
	int ret;

	while (!o->stop) {
		live = live_of(o->fd);
		ret = mobj_getrefcount(o->fd, o->held, &rc);
		if (ret || rc < 1 || rc > prev_rc) {
			o->bad = 1;
			snprintf(o->why, sizeof(o->why),
				 "refcount %llu after %llu (%d)",
				 (unsigned long long)rc,
				 (unsigned long long)prev_rc, ret);
			break;
		}
		prev_rc = rc;
		if (live > prev_live) {
			o->bad = 1;
			snprintf(o->why, sizeof(o->why),
				 "live objects went up: %llu -> %llu",
				 (unsigned long long)prev_live,
				 (unsigned long long)live);
			break;
		}
		if (live < o->before && live > o->after)
			o->between++;
		prev_live = live;
		o->samples++;
	}
	return NULL;
}

static void observe_start(struct observer *o, pthread_t *thr)
{
	pthread_create(thr, NULL, observe, o);
	while (o->samples < 10 && !o->bad)
		usleep(1000);
}

/*
 * Closing the only handle to the head of a long chain: the call returns
 * once every object died, in chain order, each with its notice, the head
 * first; another thread of the client sees the live count fall and never
 * an impossible refcount of the tail meanwhile.
 */
TEST_F_TIMEOUT(bounded, chain_release_semantics, 300)
{
	struct observer o = { .fd = self->fd };
	__u32 head, tail, next, h, obj;
	unsigned int len = chain_len();
	struct mobj_event ev[8];
	__u64 ids[2];
	pthread_t thr;
	int i;

	PARAM_SET_OR_SKIP(&self->params, "gc_step_budget", 64);
	ASSERT_EQ(0, mobj_chain_make(self->fd, T_LIST, len, &head, &tail));
	ASSERT_EQ(2, rc_of(self->fd, tail));
	ASSERT_EQ(0, mobj_weakref(self->fd, head, &h));
	/* Watch the head and the object two links down. */
	ASSERT_EQ(0, mobj_watch(self->fd, head, 0));
	ids[0] = id_of(self->fd, head);
	ASSERT_EQ(0, mobj_slot_get(self->fd, head, 0, &next));
	ASSERT_EQ(0, mobj_slot_get(self->fd, next, 0, &obj));
	CLOSE(self->fd, next);
	ids[1] = id_of(self->fd, obj);
	ASSERT_EQ(0, mobj_watch(self->fd, obj, 1));
	CLOSE(self->fd, obj);

	o.held = tail;
	o.before = live_of(self->fd);
	o.after = o.before - len;
	observe_start(&o, &thr);
	CLOSE(self->fd, head);
	/* Complete when CLOSE returns: only the tail is left. */
	EXPECT_EQ(o.after, live_of(self->fd));
	EXPECT_EQ(1, rc_of(self->fd, tail));
	EXPECT_EQ(-ESTALE, mobj_weakref_get(self->fd, h, &obj));
	o.stop = 1;
	pthread_join(thr, NULL);
	EXPECT_EQ(0, o.bad) TH_LOG("%s", o.why);
	TH_LOG("%lu samples, %lu during the release", o.samples, o.between);

	/* The notices, in the order the objects died. */
	ASSERT_EQ(2, mobj_read_events(self->fd, ev, 8));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(ids[i], ev[i].id);
		EXPECT_EQ(i, ev[i].cookie);
		EXPECT_EQ(MOBJ_EVENT_REFCOUNT, ev[i].reason);
	}
	EXPECT_EQ(0, mobj_stat("dying"));
	CLOSE(self->fd, h);
	CLOSE(self->fd, tail);
}

/*
 * Another client loops on a locked command while the chain drains in
 * steps of 64: it gets the lock between steps, so it sees the release
 * half done.
 */
TEST_F_TIMEOUT(bounded, release_hands_lock_over, 300)
{
	unsigned int len = chain_len();
	struct observer o;
	__u32 head, tail;
	pthread_t thr;
	int other;

	PARAM_SET_OR_SKIP(&self->params, "gc_step_budget", 64);
	other = extra_open(self);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, mobj_chain_make(self->fd, T_LIST, len, &head, &tail));
	CLOSE(self->fd, tail);

	memset(&o, 0, sizeof(o));
	o.fd = other;
	NEW(other, o.held);
	o.before = live_of(self->fd);
	o.after = o.before - len - 1;
	observe_start(&o, &thr);
	CLOSE(self->fd, head);
	EXPECT_EQ(o.after, live_of(self->fd));
	o.stop = 1;
	pthread_join(thr, NULL);
	EXPECT_EQ(0, o.bad) TH_LOG("%s", o.why);
	EXPECT_LT(0, o.between) TH_LOG("%lu samples, none during the release",
				       o.samples);
	EXPECT_EQ(0, mobj_stat("dying"));
	CLOSE(other, o.held);
	EXPECT_EQ(0, extra_close(self, other));
}

/* @n holders, each with a slot to @target, kept alive by a chain from *head. */
static int build_holders(int fd, unsigned int n, __u32 target, __u32 *head,
			 __u64 *ids)
{
	__u32 prev, h;
	unsigned int i;
	int ret;

	ret = mobj_new(fd, T_LIST, NULL, 0, head, NULL);
	prev = *head;
	for (i = 0; !ret && i < n; i++) {
		ret = mobj_new(fd, T_LIST, NULL, 0, &h, NULL);
		if (!ret)
			ret = mobj_slot_append(fd, h, target, NULL);
		if (!ret)
			ret = mobj_slot_append(fd, prev, h, NULL);
		if (!ret && ids)
			ids[i] = id_of(fd, h);
		if (!ret && prev != *head)
			ret = mobj_handle_close(fd, prev);
		prev = h;
	}
	if (!ret && prev != *head)
		ret = mobj_handle_close(fd, prev);
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * REFERRERS walks a long list in steps (here of 4 entries): every
 * referrer is found once, and a smaller buffer gets the first ones with
 * the total.
 */
TEST_F(bounded, referrers_in_steps)
{
	__u64 want[300], got[300];
	__u32 target, head;
	int i;

	PARAM_SET_OR_SKIP(&self->params, "gc_step_budget", 4);
	NEW(self->fd, target);
	ASSERT_EQ(0, build_holders(self->fd, 300, target, &head, want));
	ASSERT_EQ(300, mobj_get_referrers(self->fd, target, got, 300));
	qsort(want, 300, sizeof(want[0]), cmp_u64);
	qsort(got, 300, sizeof(got[0]), cmp_u64);
	for (i = 0; i < 300; i++)
		ASSERT_EQ(want[i], got[i]) TH_LOG("referrer %d", i);
	memset(got, 0, sizeof(got));
	ASSERT_EQ(300, mobj_get_referrers(self->fd, target, got, 7));
	for (i = 0; i < 7; i++)
		EXPECT_NE(0, got[i]);
	EXPECT_EQ(0, got[7]);
	CLOSE(self->fd, head);
	EXPECT_EQ(0, mobj_get_referrers(self->fd, target, got, 300));
	CLOSE(self->fd, target);
}

struct killer {
	int fd;
	__u32 head;
	__u32 target;
	volatile int go;
};

static void *kill_target(void *arg)
{
	struct killer *k = arg;

	while (!k->go)
		;
	mobj_handle_close(k->fd, k->head);
	mobj_handle_close(k->fd, k->target);
	return NULL;
}

/*
 * The object whose referrers are being walked dies during the walk: the
 * walk ends, nothing is used after it was freed (KASAN), and the heap
 * checks out.
 */
TEST_F_TIMEOUT(bounded, referrers_target_dies, 300)
{
	static __u64 got[4096];
	struct killer k = { .fd = self->fd };
	unsigned int n = chain_len() / 10;
	char buf[256];
	pthread_t thr;
	int i, ret;

	PARAM_SET_OR_SKIP(&self->params, "gc_step_budget", 1);
	for (i = 0; i < 3; i++) {
		k.go = 0;
		NEW(self->fd, k.target);
		ASSERT_EQ(0, build_holders(self->fd, n, k.target, &k.head,
					   NULL));
		ASSERT_EQ(0, pthread_create(&thr, NULL, kill_target, &k));
		k.go = 1;
		ret = mobj_get_referrers(self->fd, k.target, got, 4096);
		pthread_join(thr, NULL);
		EXPECT_TRUE(ret == -ENOENT || (ret >= 0 && ret <= (int)n))
			TH_LOG("REFERRERS said %d of %u", ret, n);
		ASSERT_EQ(0, mobj_check_heap(buf, sizeof(buf))) TH_LOG("%s", buf);
	}
	EXPECT_EQ(0, mobj_stat("dying"));
}

/* A client's exit drops its handles in steps: all of them, exactly. */
TEST_F_TIMEOUT(bounded, release_of_many_handles, 300)
{
	struct mobj_counts before, after;
	__u64 base_handles;
	__u32 h, head, tail;
	pid_t pid;

	PARAM_SET_OR_SKIP(&self->params, "gc_step_budget", 16);
	NEW(self->fd, h);
	ASSERT_EQ(0, mobj_counts(self->fd, &before));
	base_handles = before.live_handles;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct mobj_batch_op ops[MOBJ_BATCH_MAX];
		int fd = mobj_dev_open(), i, j;

		if (fd < 0)
			_exit(1);
		/* Objects, each with a handle, and a chain. */
		for (j = 0; j < 10 * chain_len() / CHAIN_LEN; j++) {
			memset(ops, 0, sizeof(ops));
			for (i = 0; i < MOBJ_BATCH_MAX; i++) {
				ops[i].cmd = MOBJ_CMD_NEW;
				ops[i].handle = T_PLAIN;
			}
			if (mobj_batch(fd, ops, MOBJ_BATCH_MAX, NULL))
				_exit(2);
		}
		if (mobj_chain_make(fd, T_LIST, chain_len() / 5, &head, &tail))
			_exit(3);
		_exit(0);	/* the file goes with the process */
	}
	ASSERT_CHILD_EXIT(pid, 0);
	ASSERT_EQ(0, mobj_counts(self->fd, &after));
	EXPECT_EQ(before.live_objects, after.live_objects);
	EXPECT_EQ(base_handles, after.live_handles);
	EXPECT_EQ(0, mobj_stat("dying"));
	CLOSE(self->fd, h);
}

/*
 * A batch cut into chunks of one entry does what one chunk does: results
 * refer across chunks, a failing entry stops it with @done.
 */
TEST_F(bounded, batch_in_chunks)
{
	static struct mobj_batch_op ops[MOBJ_BATCH_MAX];
	__u64 live = live_of(self->fd);
	unsigned int i;
	__u32 done;

	PARAM_SET_OR_SKIP(&self->params, "gc_step_budget", 1);
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < MOBJ_BATCH_MAX; i += 2) {
		ops[i].cmd = MOBJ_CMD_NEW;
		ops[i].handle = T_PLAIN;
		ops[i + 1].cmd = MOBJ_CMD_CLOSE;
		ops[i + 1].handle = MOBJ_BATCH_RESULT(i);
	}
	ASSERT_EQ(0, mobj_batch(self->fd, ops, MOBJ_BATCH_MAX, &done));
	EXPECT_EQ(MOBJ_BATCH_MAX, done);
	EXPECT_EQ(live, live_of(self->fd));

	/* Entry 2 closes the handle entry 0 made; entry 3 uses it: ENOENT. */
	memset(ops, 0, 4 * sizeof(ops[0]));
	ops[0].cmd = MOBJ_CMD_NEW;
	ops[0].handle = T_PLAIN;
	ops[1].cmd = MOBJ_CMD_GETREFCOUNT;
	ops[1].handle = MOBJ_BATCH_RESULT(0);
	ops[2].cmd = MOBJ_CMD_CLOSE;
	ops[2].handle = MOBJ_BATCH_RESULT(0);
	ops[3].cmd = MOBJ_CMD_DUP;
	ops[3].handle = MOBJ_BATCH_RESULT(0);
	EXPECT_EQ(-ENOENT, mobj_batch(self->fd, ops, 4, &done));
	EXPECT_EQ(3, done);
	EXPECT_EQ(1, ops[1].result);
	EXPECT_EQ(-ENOENT, ops[3].error);
	EXPECT_EQ(live, live_of(self->fd));
}

/*
 * A SLOT_APPEND to an array at slots_max whose front a POP(0) emptied
 * slides every slot into that room: a batch charges those moves against
 * gc_step_budget, as it does a POP's, so POP(0), APPEND pairs at the limit
 * let the lock go after every APPEND (each a chunk of its own: debugfs
 * lock_acquisitions counts them), not after eight pairs as their flat
 * cost alone would.
 */
TEST_F(bounded, batch_append_at_limit_in_chunks)
{
	enum { SLOTS = 4096, PAIRS = 16 };
	static struct mobj_batch_op ops[2 * PAIRS];
	__u64 before, after, n = 0;
	__u32 a, b, done;
	unsigned int i;

	PARAM_SET_OR_SKIP(&self->params, "slots_max", SLOTS);
	PARAM_SET_OR_SKIP(&self->params, "gc_step_budget", 1024);
	ASSERT_EQ(0, mobj_new(self->fd, T_PLAIN, NULL, 0, &a, NULL));
	ASSERT_EQ(0, mobj_new(self->fd, T_PLAIN, NULL, 0, &b, NULL));
	for (i = 0; i < SLOTS; i++)
		ASSERT_EQ(0, mobj_slot_append(self->fd, a, b, NULL));
	EXPECT_ERRNO(EFBIG, mobj_slot_append(self->fd, a, b, NULL));

	memset(ops, 0, sizeof(ops));
	for (i = 0; i < 2 * PAIRS; i += 2) {
		ops[i].cmd = MOBJ_CMD_SLOT_POP;
		ops[i].handle = a;
		ops[i + 1].cmd = MOBJ_CMD_SLOT_APPEND;
		ops[i + 1].handle = a;
		ops[i + 1].value = b;
	}
	before = mobj_stat("lock_acquisitions");
	ASSERT_EQ(0, mobj_batch(self->fd, ops, 2 * PAIRS, &done));
	after = mobj_stat("lock_acquisitions");
	EXPECT_EQ(2 * PAIRS, done);
	ASSERT_NE(~0ULL, before);
	ASSERT_NE(~0ULL, after);
	/* One chunk per APPEND (flat costs alone would make two). */
	EXPECT_LE(before + PAIRS, after)
		TH_LOG("%llu acquisitions for %d POP(0), APPEND pairs",
		       (unsigned long long)(after - before), PAIRS);
	ASSERT_EQ(0, mobj_getrefcount(self->fd, b, &n));
	EXPECT_EQ(SLOTS + 1, n);
	EXPECT_EQ(0, mobj_handle_close(self->fd, a));
	EXPECT_EQ(0, mobj_handle_close(self->fd, b));
}

/*
 * gc_watchers_max: one more open file watching the collector fails with
 * ENOSPC; a watcher that stops, or goes away, frees its place, and one
 * already watching may change its cookie.
 */
TEST_F(bounded, gc_watchers_limit)
{
	struct mobj_gc_state saved;
	struct mobj_event ev[4];
	struct pollfd pfd;
	int a, b;

	PARAM_SET_OR_SKIP(&self->params, "gc_watchers_max", 1);
	/* No automatic collection may add records; none is under way. */
	ASSERT_EQ(0, mobj_gc_get(self->fd, &saved));
	ASSERT_EQ(0, mobj_gc_disable(self->fd));
	ASSERT_LE(0, mobj_gc_collect(self->fd, 0, NULL));
	a = extra_open(self);
	b = extra_open(self);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_EQ(0, mobj_gc_watch(a, 1));
	EXPECT_EQ(-ENOSPC, mobj_gc_watch(b, 2));
	EXPECT_EQ(0, mobj_gc_watch(a, 3));
	/* b watches nothing: a collection tells only a */
	EXPECT_LE(0, mobj_gc_collect(self->fd, 0, NULL));
	pfd = (struct pollfd) { .fd = b, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(2, mobj_read_events(a, ev, 4));
	EXPECT_EQ(MOBJ_EVENT_GC_START, ev[0].reason);
	EXPECT_EQ(MOBJ_EVENT_GC_STOP, ev[1].reason);
	EXPECT_EQ(3, ev[1].cookie);
	EXPECT_EQ(0, mobj_gc_unwatch(a));
	EXPECT_EQ(0, mobj_gc_watch(b, 4));
	EXPECT_EQ(-ENOSPC, mobj_gc_watch(a, 5));
	/* the release of a watching file frees its place */
	extra_close(self, b);
	EXPECT_EQ(0, mobj_gc_watch(a, 6));
	EXPECT_EQ(0, mobj_gc_apply(self->fd, saved.enabled, saved.debug,
				   saved.threshold));
}

/* client_watches_max: one watch more fails with ENOSPC, nothing changed. */
TEST_F(bounded, watch_limit)
{
	struct mobj_info info;
	struct mobj_event ev[4];
	__u32 a, b;

	PARAM_SET_OR_SKIP(&self->params, "client_watches_max", 2);
	NEW(self->fd, a);
	NEW(self->fd, b);
	ASSERT_EQ(0, mobj_watch(self->fd, a, 1));
	ASSERT_EQ(0, mobj_watch(self->fd, a, 2));
	EXPECT_EQ(-ENOSPC, mobj_watch(self->fd, b, 3));
	ASSERT_EQ(0, mobj_info(self->fd, b, &info));
	EXPECT_EQ(0, info.state & MOBJ_STATE_WATCHED);
	/* A watch taken back frees its place, and sends no notice. */
	ASSERT_EQ(0, mobj_unwatch(self->fd, a, 1));
	EXPECT_EQ(0, mobj_watch(self->fd, b, 3));
	EXPECT_EQ(-ENOSPC, mobj_watch(self->fd, b, 4));
	EXPECT_EQ(0, mobj_unwatch(self->fd, b, 3));
	/* A notice delivered frees its place. */
	CLOSE(self->fd, a);
	ASSERT_EQ(1, mobj_read_events(self->fd, ev, 4));
	EXPECT_EQ(2, ev[0].cookie);
	EXPECT_EQ(0, mobj_watch(self->fd, b, 3));
	CLOSE(self->fd, b);
	ASSERT_EQ(1, mobj_read_events(self->fd, ev, 4));
	EXPECT_EQ(3, ev[0].cookie);
}

/* The lock-wait histogram in debugfs stats adds up to the contended count. */
TEST_F(bounded, lock_wait_histogram)
{
	char buf[8192], key[64], *line;
	unsigned long long sum = 0, v, contended = 0;
	int buckets = 0;

	ASSERT_LT(0, mobj_read_text(MOBJ_DEBUGFS "stats", buf,
				    sizeof(buf)));
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "%63s %llu", key, &v) != 2)
			continue;
		if (!strcmp(key, "lock_contended"))
			contended = v;
		if (!strncmp(key, "lock_wait_lt_", 13) ||
		    !strncmp(key, "lock_wait_ge_", 13)) {
			sum += v;
			buckets++;
		}
	}
	EXPECT_EQ(24, buckets);
	/* The read's own acquisition may have waited after the copy. */
	EXPECT_TRUE(sum == contended || sum + 1 == contended)
		TH_LOG("histogram %llu, contended %llu", sum, contended);
}

TEST_HARNESS_MAIN
