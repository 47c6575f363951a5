// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_debug_limits: memory pressure and limits (debug kernel).
 *
 *  memcg_enomem     a child process in a cgroup v2 child with a small
 *                   memory.max creates objects with 4 KiB payloads until
 *                   the kernel refuses with ENOMEM, which must come before
 *                   the payloads alone pass memory.max (everything is
 *                   charged to the caller); nobody is OOM-killed (the child
 *                   sets its oom_score_adj to -1000, so the memcg OOM
 *                   killer finds no victim and the charge fails); the
 *                   device still works in the cgroup once objects are
 *                   freed; nothing leaks.
 *  client_limits    concurrent clients create objects and handles (single
 *                   commands and batches) until the limits stop them:
 *                   client_objects_max per client, objects_max for the
 *                   device, client_handles_max per client, each reached
 *                   exactly and never passed.
 *  lock_hold        how long one client can hold the big lock for
 *                   everyone: a collection of a large heap of cycles (in
 *                   bounded steps: another client must never wait for a
 *                   whole collection), freeing a long chain with one CLOSE
 *                   and releasing a client with many handles (reported);
 *                   another client measures how long its calls wait.
 *
 * The memcg OOM report the kernel prints for the first test (a stack
 * trace) is expected; it is bracketed in the kernel log by
 * "mobj_debug_limits: expected memcg OOM report begin/end" lines.  The
 * last test prints "# reliability: lock_hold_max_ns=N", the longest hold
 * of the big lock (debugfs stats) at the end of the run.
 */
#include "mobj_test.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <sys/stat.h>

#define CGROOT		"/sys/fs/cgroup"

static void kmsg(const char *msg)
{
	mobj_write_text("/dev/kmsg", msg);
}

FIXTURE(limits) {
	struct mobj_params params;
	struct mobj_counts base;
	char cgroup[128];
	bool ready;
};

FIXTURE_SETUP(limits)
{
	self->ready = false;
	self->cgroup[0] = '\0';
	MOBJ_BASE_COUNTS_OR_SKIP(&self->base);
	self->ready = true;
}

FIXTURE_TEARDOWN(limits)
{
	char buf[4096];

	if (self->cgroup[0])
		rmdir(self->cgroup);
	EXPECT_EQ(0, mobj_params_restore(&self->params));
	if (!self->ready)
		return;
	EXPECT_EQ(0, mobj_check_heap(buf, sizeof(buf))) TH_LOG("checker: %s", buf);
	mobj_teardown_base(_metadata, &self->base, NULL);
}

/* What the child in the cgroup reports through shared memory. */
struct memcg_report {
	int stage;
	int err;		/* the errno that stopped it */
	unsigned long made;	/* objects made before that */
	unsigned long again;	/* objects made after freeing some */
	int after;		/* errors after the first ENOMEM */
};

#define PAYLOAD 4096

/*
 * In the cgroup: nothing of this process may fault in from now on (a page
 * fault at the limit would loop), and nothing may be written to a pipe or
 * a file (pipe buffers are charged too).  Everything it needs is mapped
 * and touched before it joins.
 */
static void memcg_child(const char *cgroup, struct memcg_report *rep,
			__u32 *handles, unsigned long max)
{
	static __u8 payload[PAYLOAD];
	char procs[192];
	unsigned long i, n;
	int fd, ret;
	__u32 h;

	memset(payload, 'm', sizeof(payload));
	fd = mobj_dev_open();
	if (fd < 0)
		_exit(10);
	if (mobj_write_text("/proc/self/oom_score_adj", "-1000"))
		_exit(11);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		_exit(12);
	rep->stage = 1;
	if (mobj_write_text(procs, "0"))
		_exit(13);
	rep->stage = 2;
	for (i = 0; i < max; i++) {
		ret = mobj_new(fd, 0x11, payload, PAYLOAD, &handles[i], NULL);
		if (ret) {
			rep->err = -ret;
			break;
		}
	}
	rep->made = i;
	rep->stage = 3;
	/* it keeps failing while the memory is used */
	for (n = 0; n < 2; n++)
		rep->after += mobj_new(fd, 0x11, payload, PAYLOAD, &h, NULL) ==
			      -ENOMEM;
	/* free half, and there is room again */
	for (n = 0; n < i / 2; n++)
		mobj_handle_close(fd, handles[n]);
	for (n = 0; n < 16; n++)
		if (!mobj_new(fd, 0x11, payload, PAYLOAD, &h, NULL))
			rep->again++;
	rep->stage = 4;
	close(fd);
	_exit(0);
}

TEST_F_TIMEOUT(limits, memcg_enomem, 180)
{
	const unsigned long max = 1 << 16;
	struct memcg_report *rep;
	char buf[4096], path[256];
	__u64 oom_kill_before, oom_kill_after;
	__u32 *handles;
	pid_t pid;
	int status, i;

	if (access(CGROOT "/cgroup.controllers", R_OK))
		SKIP(return, "no cgroup2 at " CGROOT);
	ASSERT_LT(0, mobj_read_text(CGROOT "/cgroup.controllers", buf,
			       sizeof(buf)));
	if (!strstr(buf, "memory"))
		SKIP(return, "no memory controller: %.64s", buf);
	/* the memory controller for the children of the root */
	ASSERT_EQ(0, mobj_write_text(CGROOT "/cgroup.subtree_control", "+memory"));
	snprintf(self->cgroup, sizeof(self->cgroup), CGROOT "/mobj-limits-%d",
		 getpid());
	ASSERT_EQ(0, mkdir(self->cgroup, 0755));
	snprintf(path, sizeof(path), "%s/memory.max", self->cgroup);
	ASSERT_EQ(0, mobj_write_text(path, "8M"));
	snprintf(path, sizeof(path), "%s/memory.swap.max", self->cgroup);
	mobj_write_text(path, "0");

	rep = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	handles = mmap(NULL, max * sizeof(*handles), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	ASSERT_NE(MAP_FAILED, handles);
	memset(rep, 0, sizeof(*rep));
	memset(handles, 0, max * sizeof(*handles));
	ASSERT_LT(0, mobj_read_text("/proc/vmstat", buf, sizeof(buf)));
	oom_kill_before = mobj_keyed(buf, "oom_kill");

	kmsg("mobj_debug_limits: expected memcg OOM report begin\n");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		memcg_child(self->cgroup, rep, handles, max);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	kmsg("mobj_debug_limits: expected memcg OOM report end\n");

	mobj_note("limits: memcg: %lu objects of %d bytes, then %s; %d more refused, %lu made after freeing half\n",
		       rep->made, PAYLOAD, strerror(rep->err), rep->after,
		       rep->again);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("the child was killed: %d",
					      WTERMSIG(status));
	EXPECT_EQ(0, WIFEXITED(status) ? WEXITSTATUS(status) : -1)
		TH_LOG("stage %d", rep->stage);
	EXPECT_EQ(ENOMEM, rep->err);
	EXPECT_LT(0, rep->made);
	EXPECT_GT(max, rep->made);
	/*
	 * Everything an object costs is charged to the cgroup, its payload
	 * too: the 8 MiB hold fewer than 2048 payloads of 4 KiB.
	 */
	EXPECT_GT(8 << 20, rep->made * PAYLOAD)
		TH_LOG("%lu payloads of %d bytes in a cgroup of 8 MiB: payloads are not charged to it",
		       rep->made, PAYLOAD);
	EXPECT_EQ(2, rep->after);
	EXPECT_EQ(16, rep->again);

	/* nobody was killed, here or anywhere */
	snprintf(path, sizeof(path), "%s/memory.events", self->cgroup);
	ASSERT_LT(0, mobj_read_text(path, buf, sizeof(buf)));
	EXPECT_EQ(0, mobj_keyed(buf, "oom_kill"));
	EXPECT_LT(0, mobj_keyed(buf, "max"));
	for (i = 0; buf[i]; i++)
		if (buf[i] == '\n')
			buf[i] = buf[i + 1] ? ',' : '\0';
	mobj_note("limits: memory.events: %s\n", buf);
	ASSERT_LT(0, mobj_read_text("/proc/vmstat", buf, sizeof(buf)));
	oom_kill_after = mobj_keyed(buf, "oom_kill");
	EXPECT_EQ(oom_kill_before, oom_kill_after);

	/* the child's client is gone, and with it every object */
	EXPECT_EQ(0, rmdir(self->cgroup));
	if (!_metadata->passed)
		return;
	self->cgroup[0] = '\0';
	munmap(handles, max * sizeof(*handles));
	munmap(rep, 4096);
}

/* Concurrent clients against the limits */

#define CLIENTS		6
#define C_OBJECTS	50
#define D_OBJECTS	180
#define C_HANDLES	70

struct lim {
	int fd;
	bool batch;
	unsigned long made;
	unsigned long handles;
	int new_err;
	int dup_err;
	pthread_barrier_t *go;
};

static int batch_new(int fd, __u32 *h)
{
	struct mobj_batch_op op = { .cmd = MOBJ_CMD_NEW, .handle = 0x22 };
	struct mobj_batch b = {
		.size = sizeof(b), .count = 1,
		.ops = (__u64)(unsigned long)&op,
	};
	int ret = mobj_raw(fd, MOBJ_BATCH, &b);

	*h = op.result;
	return ret;
}

static void *lim_client(void *p)
{
	struct lim *l = p;
	__u32 h, first = 0, d;
	int ret;

	/*
	 * Each client's first object is made before the race: a client that
	 * lost every round of it would have no handle to DUP below.
	 */
	ret = mobj_new(l->fd, 0x22, NULL, 0, &first, NULL);
	if (!ret)
		l->made++;
	pthread_barrier_wait(l->go);
	while (!ret) {
		ret = l->batch && l->made % 2 ? batch_new(l->fd, &h) :
		      mobj_new(l->fd, 0x22, NULL, 0, &h, NULL);
		if (!ret)
			l->made++;
	}
	l->new_err = -ret;
	pthread_barrier_wait(l->go);
	/* then handles, until this client has as many as it may */
	for (;;) {
		ret = mobj_dup(l->fd, first, &d);
		if (ret)
			break;
	}
	l->dup_err = -ret;
	return NULL;
}

TEST_F_TIMEOUT(limits, client_limits, 180)
{
	pthread_barrier_t go;
	struct lim l[CLIENTS];
	pthread_t t[CLIENTS];
	unsigned long total = 0;
	struct mobj_counts c;
	char buf[4096];
	int i;

	PARAM_SET_OR_SKIP(&self->params, "client_objects_max", C_OBJECTS);
	PARAM_SET_OR_SKIP(&self->params, "objects_max",
			  self->base.live_objects + D_OBJECTS);
	PARAM_SET_OR_SKIP(&self->params, "client_handles_max", C_HANDLES);
	pthread_barrier_init(&go, NULL, CLIENTS);
	for (i = 0; i < CLIENTS; i++) {
		l[i] = (struct lim){ .go = &go, .batch = i % 2 };
		l[i].fd = mobj_dev_open();
		ASSERT_LE(0, l[i].fd);
		ASSERT_EQ(0, pthread_create(&t[i], NULL, lim_client, &l[i]));
	}
	for (i = 0; i < CLIENTS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < CLIENTS; i++) {
		ASSERT_EQ(0, mobj_counts(l[i].fd, &c));
		mobj_note("limits: client %d: %lu objects (then %s), %llu handles (then %s)\n",
			       i, l[i].made, strerror(l[i].new_err),
			       c.client_handles, strerror(l[i].dup_err));
		EXPECT_GE(C_OBJECTS, l[i].made);
		EXPECT_EQ(l[i].made, c.client_objects);
		/* ENOSPC is checked first: a full client may see either */
		EXPECT_TRUE(l[i].new_err == EDQUOT || l[i].new_err == ENOSPC);
		if (l[i].new_err == EDQUOT)
			EXPECT_EQ(C_OBJECTS, l[i].made);
		EXPECT_EQ(EMFILE, l[i].dup_err);
		EXPECT_EQ(C_HANDLES, c.client_handles);
		total += l[i].made;
	}
	ASSERT_EQ(0, mobj_counts(l[0].fd, &c));
	EXPECT_EQ(D_OBJECTS, total);
	EXPECT_EQ(self->base.live_objects + D_OBJECTS, c.live_objects);
	EXPECT_EQ(0, mobj_check_heap(buf, sizeof(buf))) TH_LOG("%s", buf);
	for (i = 0; i < CLIENTS; i++)
		close(l[i].fd);
	pthread_barrier_destroy(&go);
}

/* How long the big lock is held, and how long others wait */

struct waiter {
	int fd;
	atomic_int stop;
	__u64 max_ns;
	unsigned long calls;
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *waiter_main(void *p)
{
	struct waiter *w = p;
	struct mobj_query q;
	__u64 t, d;

	while (!atomic_load(&w->stop)) {
		t = now_ns();
		mobj_query(w->fd, &q);	/* takes the big lock */
		d = now_ns() - t;
		if (d > w->max_ns)
			w->max_ns = d;
		w->calls++;
		usleep(200);
	}
	return NULL;
}

/*
 * Run @what while a second client times its calls; @took and @waited get
 * how long @what took and the longest the other client waited.
 */
#define TIMED(label, what) do { \
	struct waiter w = { .fd = mobj_dev_open() }; \
	__u64 before = mobj_stat("lock_hold_max_ns"), t0; \
	pthread_t wt; \
	ASSERT_LE(0, w.fd); \
	ASSERT_EQ(0, pthread_create(&wt, NULL, waiter_main, &w)); \
	usleep(20000); \
	t0 = now_ns(); \
	what; \
	took = now_ns() - t0; \
	usleep(20000); \
	atomic_store(&w.stop, 1); \
	pthread_join(wt, NULL); \
	close(w.fd); \
	waited = w.max_ns; \
	mobj_note("limits: %-34s %8llu us; another client waited at most %llu us (%lu calls); lock_hold_max_ns %llu -> %llu\n", \
		       label, took / 1000, w.max_ns / 1000, w.calls, before, \
		       mobj_stat("lock_hold_max_ns")); \
} while (0)

#define HEAP 20000

TEST_F_TIMEOUT(limits, lock_hold, 300)
{
	struct mobj_batch_op *ops;
	struct mobj_batch b = { .size = sizeof(b) };
	unsigned int i, k, n;
	__u32 first = 0, prev = 0;
	__u64 took, waited;
	char buf[4096];
	int fd, fd2, ret;

	if (access(MOBJ_DEBUGFS "stats", R_OK))
		SKIP(return, "no debugfs stats");
	fd = mobj_dev_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mobj_gc_disable(fd));
	ops = calloc(MOBJ_BATCH_MAX, sizeof(*ops));
	ASSERT_NE(NULL, ops);

	/*
	 * A heap of HEAP objects in pairs of cycles a <-> b, then one ring
	 * through all of them, all garbage once the handles go.  Built with
	 * batches: NEW a, NEW b, a.append(b), b.append(a), CLOSE b.
	 */
	for (i = 0; i < HEAP / 2;) {
		n = 0;
		for (k = 0; k < MOBJ_BATCH_MAX / 5 && i < HEAP / 2; k++, i++) {
			ops[n] = (struct mobj_batch_op){ .cmd = MOBJ_CMD_NEW,
							 .handle = 0x33 };
			ops[n + 1] = (struct mobj_batch_op){ .cmd = MOBJ_CMD_NEW,
							     .handle = 0x34 };
			ops[n + 2] = (struct mobj_batch_op){
				.cmd = MOBJ_CMD_SLOT_APPEND,
				.handle = MOBJ_BATCH_RESULT(n),
				.value = MOBJ_BATCH_RESULT(n + 1) };
			ops[n + 3] = (struct mobj_batch_op){
				.cmd = MOBJ_CMD_SLOT_APPEND,
				.handle = MOBJ_BATCH_RESULT(n + 1),
				.value = MOBJ_BATCH_RESULT(n) };
			ops[n + 4] = (struct mobj_batch_op){
				.cmd = MOBJ_CMD_CLOSE,
				.handle = MOBJ_BATCH_RESULT(n + 1) };
			n += 5;
		}
		b.count = n;
		b.ops = (__u64)(unsigned long)ops;
		ret = mobj_raw(fd, MOBJ_BATCH, &b);
		if (ret == -ENOTTY)
			SKIP(return, "no MOBJ_BATCH");
		ASSERT_EQ(0, ret) TH_LOG("batch: entry %u: %d", b.done,
					 ops[b.done].error);
		for (k = 0; k < n; k += 5) {
			if (!prev)
				first = ops[k].result;
			else
				ASSERT_EQ(0, mobj_slot_append(fd, prev,
							 ops[k].result, NULL));
			prev = ops[k].result;
		}
	}
	ASSERT_EQ(0, mobj_slot_append(fd, prev, first, NULL));
	/* a second client with many handles to the heap */
	fd2 = mobj_dev_open();
	ASSERT_LE(0, fd2);
	for (i = 0; i < HEAP / 2;) {
		for (n = 0; n < MOBJ_BATCH_MAX && i < HEAP / 2; n++, i++)
			ops[n] = (struct mobj_batch_op){ .cmd = MOBJ_CMD_NEW,
							 .handle = 0x35 };
		b.count = n;
		ASSERT_EQ(0, mobj_raw(fd2, MOBJ_BATCH, &b));
	}
	ASSERT_LE(0, mobj_gc_collect(fd, 2, NULL));

	/* The handles go: HEAP objects of garbage, in cycles. */
	TIMED("closing the heap's handles", close(fd));
	fd = mobj_dev_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mobj_gc_disable(fd));
	TIMED("collecting 20000 objects of cycles",
	      ret = mobj_gc_collect(fd, 2, NULL));
	ASSERT_LE(HEAP, ret);
	/*
	 * The collector works in bounded steps and lets others in between:
	 * nobody waits for a whole collection (a quarter of it is plenty
	 * of slack under an emulator).
	 */
	if (took > 200 * 1000 * 1000ULL)
		EXPECT_GT(took / 4, waited)
			TH_LOG("another client waited %llu us during a collection of %llu us",
			       waited / 1000, took / 1000);

	/*
	 * A chain of HEAP objects, each holding the one made before, only
	 * the last one with a handle: NEW x, x.append(prev), CLOSE prev.
	 */
	prev = 0;
	for (i = 0; i < HEAP;) {
		n = 0;
		for (k = 0; k < MOBJ_BATCH_MAX / 3 && i < HEAP; k++, i++) {
			__u32 p = n ? MOBJ_BATCH_RESULT(n - 3) : prev;

			ops[n] = (struct mobj_batch_op){ .cmd = MOBJ_CMD_NEW,
							 .handle = 0x36 };
			if (!p) {
				/* the first link: nothing to hold yet */
				ops[n + 1] = (struct mobj_batch_op){
					.cmd = MOBJ_CMD_GETREFCOUNT,
					.handle = MOBJ_BATCH_RESULT(n) };
				ops[n + 2] = ops[n + 1];
			} else {
				ops[n + 1] = (struct mobj_batch_op){
					.cmd = MOBJ_CMD_SLOT_APPEND,
					.handle = MOBJ_BATCH_RESULT(n),
					.value = p };
				ops[n + 2] = (struct mobj_batch_op){
					.cmd = MOBJ_CMD_CLOSE, .handle = p };
			}
			n += 3;
		}
		b.count = n;
		ASSERT_EQ(0, mobj_raw(fd, MOBJ_BATCH, &b))
			TH_LOG("batch: entry %u: %d", b.done,
			       ops[b.done].error);
		prev = ops[n - 3].result;
	}
	/* A death releases what it held in bounded steps too. */
	TIMED("freeing a chain of 20000 with CLOSE",
	      ASSERT_EQ(0, mobj_handle_close(fd, prev)));
	if (took > 200 * 1000 * 1000ULL)
		EXPECT_GT(took / 4, waited)
			TH_LOG("another client waited %llu us during a CLOSE of %llu us",
			       waited / 1000, took / 1000);
	TIMED("releasing a client of 10000 handles", close(fd2));
	if (took > 200 * 1000 * 1000ULL)
		EXPECT_GT(took / 4, waited)
			TH_LOG("another client waited %llu us during a release of %llu us",
			       waited / 1000, took / 1000);

	ASSERT_EQ(0, mobj_check_heap(buf, sizeof(buf))) TH_LOG("%s", buf);
	ASSERT_EQ(0, mobj_gc_enable(fd));
	close(fd);
	free(ops);
	mobj_note("limits: lock_wait_max_ns %llu, gc_step_budget %s\n",
		       mobj_stat("lock_wait_max_ns"),
		       access(MOBJ_PARAM_DIR "gc_step_budget", R_OK) ? "none" :
		       "set");
	mobj_note("reliability: lock_hold_max_ns=%llu\n",
		       mobj_stat("lock_hold_max_ns"));
	fflush(stdout);
}

TEST_HARNESS_MAIN
