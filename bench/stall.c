// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_bench_stall: how long can one client keep the others waiting?
 *
 *   mobj_bench_stall DEV [OBJECTS]
 *
 * A second client (a thread with its own open file) loops on DUP + CLOSE,
 * which take the big lock, and times each call.  Its idle floor is
 * measured first, with nothing else running; then the first client does,
 * one after the other, each of the long operations below, and for each
 * one the second client's longest call, p99 and p99.9 while it ran are
 * printed next to the floor, with the device's lock_hold_max_ns over the
 * scenario (debugfs stats, started afresh by writing 0 to it).
 *
 * OBJECTS (default 1M) sizes the chains, handle tables and saved garbage.
 * Automatic collection is off on DEV: only the measured work runs.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define LAT_MAX (1u << 21)
#define SCENARIOS 32

static unsigned int dev_index;
static char stats_file[64];

/* The second client's calls: when each started and how long it took. */
struct waiter {
	atomic_int stop;
	atomic_int ready;
	uint64_t *start;
	double *v;
	_Atomic unsigned int n;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	int fd = bench_open(dev_index);
	uint64_t t0, t1;
	unsigned int n;
	__u32 k, x;

	bench_check(mobj_new(fd, 3, NULL, 0, &k, NULL), "new");
	atomic_store(&w->ready, 1);
	while (!atomic_load(&w->stop)) {
		t0 = bench_now_ns();
		bench_check(mobj_dup(fd, k, &x), "dup");
		bench_check(mobj_handle_close(fd, x), "close");
		t1 = bench_now_ns();
		n = atomic_load(&w->n);
		if (n < LAT_MAX) {
			w->start[n] = t0;
			w->v[n] = (double)(t1 - t0);
			atomic_store(&w->n, n + 1);
		}
	}
	close(fd);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sort @v and report its max, p99 and p99.9 with the floor's. */
static void emit_lat(const char *name, double *v, unsigned int n,
		     double hold, const double *floor)
{
	char extra[320];
	double p99 = 0, p999 = 0, max = 0;

	if (n) {
		qsort(v, n, sizeof(*v), cmp_double);
		p99 = v[(unsigned int)(0.99 * (n - 1) + 0.5)];
		p999 = v[(unsigned int)(0.999 * (n - 1) + 0.5)];
		max = v[n - 1];
	}
	snprintf(extra, sizeof(extra),
		 "\"calls\": %u, \"p99_ns\": %.6g, \"p999_ns\": %.6g, \"lock_hold_max_ns\": %.6g, \"floor_max_ns\": %.6g, \"floor_p99_ns\": %.6g, \"floor_p999_ns\": %.6g",
		 n, p99, p999, hold, floor ? floor[0] : max,
		 floor ? floor[1] : p99, floor ? floor[2] : p999);
	bench_emit("stall", name, max, "ns", extra);
}

static struct waiter w;
static double floor_figs[3];
static uint64_t scenario_t0;

/* The calls in flight at some point between @from and @to, copied out. */
static unsigned int calls_between(uint64_t from, uint64_t to, double *out)
{
	unsigned int i, n = 0, end = atomic_load(&w.n);

	for (i = 0; i < end; i++)
		if (w.start[i] <= to && w.start[i] + (uint64_t)w.v[i] >= from)
			out[n++] = w.v[i];
	return n;
}

static void stats_reset(void)
{
	FILE *f = fopen(stats_file, "w");

	if (f) {
		fputs("0\n", f);
		fclose(f);
	}
}

/*
 * The calls of the scenario before start afresh, so that a long run never
 * fills the arrays (a call in flight now is recorded when it ends).
 */
static void scenario_begin(void)
{
	stats_reset();
	atomic_store(&w.n, 0);
	scenario_t0 = bench_now_ns();
}

/*
 * Every call of the second client that overlapped the scenario counts,
 * also one that started before it and waited through all of it.
 */
static void scenario_end(const char *name)
{
	uint64_t t1 = bench_now_ns();
	double hold, *v;
	unsigned int n;

	hold = (double)bench_read_key(stats_file, "lock_hold_max_ns");
	/* Let the call in flight finish. */
	while (atomic_load(&w.n) < LAT_MAX &&
	       (!atomic_load(&w.n) ||
		w.start[atomic_load(&w.n) - 1] < t1))
		usleep(1000);
	v = malloc(sizeof(*v) * LAT_MAX);
	if (!v)
		exit(1);
	n = calls_between(scenario_t0, t1, v);
	emit_lat(name, v, n, hold, floor_figs);
	free(v);
}

static void batch(int fd, struct mobj_batch_op *ops, unsigned int k)
{
	__u32 done = 0;
	int rc = mobj_batch(fd, ops, k, &done);

	if (rc) {
		fprintf(stderr, "stall: batch failed at %u: %s\n", done,
			strerror(-rc));
		exit(1);
	}
}

/*
 * A chain of @n objects held by the returned handle to its head; with
 * @target, each object also has a slot referring to it.
 */
static __u32 chain(int fd, unsigned int n, __u32 target)
{
	static struct mobj_batch_op ops[MOBJ_BATCH_MAX];
	unsigned int i, j, k, cnt, last = 0, per = MOBJ_BATCH_MAX / 4;
	__u32 head, tail;

	bench_check(mobj_new(fd, 4, NULL, 0, &head, NULL), "new");
	tail = head;
	for (i = 1; i < n; i += cnt) {
		cnt = n - i < per ? n - i : per;
		memset(ops, 0, sizeof(ops));
		for (j = 0, k = 0; j < cnt; j++) {
			__u32 prev = j ? MOBJ_BATCH_RESULT(last) : tail;

			last = k;
			ops[k].cmd = MOBJ_CMD_NEW;
			ops[k++].handle = 4;
			if (target) {
				ops[k].cmd = MOBJ_CMD_SLOT_APPEND;
				ops[k].handle = MOBJ_BATCH_RESULT(last);
				ops[k++].value = target;
			}
			ops[k].cmd = MOBJ_CMD_SLOT_APPEND;
			ops[k].handle = prev;
			ops[k++].value = MOBJ_BATCH_RESULT(last);
			if (prev != head) {
				ops[k].cmd = MOBJ_CMD_CLOSE;
				ops[k++].handle = prev;
			}
		}
		batch(fd, ops, k);
		tail = (__u32)ops[last].result;
	}
	if (tail != head)
		bench_check(mobj_handle_close(fd, tail), "close");
	return head;
}

/* @n objects, each with a handle of this client's: NEW in batches. */
static void many_handles(int fd, unsigned int n)
{
	static struct mobj_batch_op ops[MOBJ_BATCH_MAX];
	unsigned int i, k;

	for (i = 0; i < n; i += k) {
		k = n - i < MOBJ_BATCH_MAX ? n - i : MOBJ_BATCH_MAX;
		memset(ops, 0, k * sizeof(ops[0]));
		for (unsigned int j = 0; j < k; j++) {
			ops[j].cmd = MOBJ_CMD_NEW;
			ops[j].handle = 5;
		}
		batch(fd, ops, k);
	}
}

/* The last close of a file holding @n handles, in a child process. */
static void exit_with_handles(unsigned int n)
{
	int go[2], ready[2], status;
	char c = 0;
	pid_t pid;

	if (pipe(go) || pipe(ready))
		exit(1);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (!pid) {
		int fd = bench_open(dev_index);

		many_handles(fd, n);
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	if (read(ready[0], &c, 1) != 1)
		exit(1);
	scenario_begin();
	if (write(go[1], &c, 1) != 1)
		exit(1);
	waitpid(pid, &status, 0);
	scenario_end("exit_with_handles");
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
}

/* 4096-entry batches of NEW + CLOSE(RESULT), @reps of them. */
static void batches_new_close(int fd, unsigned int reps)
{
	static struct mobj_batch_op ops[MOBJ_BATCH_MAX];
	unsigned int r, i;

	scenario_begin();
	for (r = 0; r < reps; r++) {
		memset(ops, 0, sizeof(ops));
		for (i = 0; i < MOBJ_BATCH_MAX; i += 2) {
			ops[i].cmd = MOBJ_CMD_NEW;
			ops[i].handle = 6;
			ops[i + 1].cmd = MOBJ_CMD_CLOSE;
			ops[i + 1].handle = MOBJ_BATCH_RESULT(i);
		}
		batch(fd, ops, MOBJ_BATCH_MAX);
	}
	scenario_end("batches_new_close");
}

/* One batch of 4096 SLOT_POP(0) on an object with 65536 slots. */
static void batch_pop_front(int fd)
{
	static struct mobj_batch_op ops[MOBJ_BATCH_MAX];
	unsigned int i, j;
	__u32 list, item;

	bench_check(mobj_new(fd, 7, NULL, 0, &list, NULL), "new");
	bench_check(mobj_new(fd, 7, NULL, 0, &item, NULL), "new");
	for (i = 0; i < 65536; i += MOBJ_BATCH_MAX) {
		memset(ops, 0, sizeof(ops));
		for (j = 0; j < MOBJ_BATCH_MAX; j++) {
			ops[j].cmd = MOBJ_CMD_SLOT_APPEND;
			ops[j].handle = list;
			ops[j].value = item;
		}
		batch(fd, ops, MOBJ_BATCH_MAX);
	}
	memset(ops, 0, sizeof(ops));
	for (j = 0; j < MOBJ_BATCH_MAX; j++) {
		ops[j].cmd = MOBJ_CMD_SLOT_POP;
		ops[j].handle = list;
	}
	scenario_begin();
	batch(fd, ops, MOBJ_BATCH_MAX);
	scenario_end("batch_pop_front_65536");
	bench_check(mobj_handle_close(fd, list), "close");
	bench_check(mobj_handle_close(fd, item), "close");
}

/* @n / 2 two-object cycles saved by DEBUG_SAVEALL, then cleared. */
static void garbage_clear(int fd, unsigned int n)
{
	static struct mobj_batch_op ops[MOBJ_BATCH_MAX];
	unsigned int i, k, pairs = n / 2, per = MOBJ_BATCH_MAX / 6;

	bench_check(mobj_gc_set_debug(fd, MOBJ_GC_DEBUG_SAVEALL), "debug");
	for (i = 0; i < pairs; i += per) {
		unsigned int cnt = pairs - i < per ? pairs - i : per, j;

		memset(ops, 0, sizeof(ops));
		for (j = 0, k = 0; j < cnt; j++, k += 6) {
			ops[k].cmd = MOBJ_CMD_NEW;
			ops[k].handle = 8;
			ops[k + 1].cmd = MOBJ_CMD_NEW;
			ops[k + 1].handle = 8;
			ops[k + 2].cmd = MOBJ_CMD_SLOT_APPEND;
			ops[k + 2].handle = MOBJ_BATCH_RESULT(k);
			ops[k + 2].value = MOBJ_BATCH_RESULT(k + 1);
			ops[k + 3].cmd = MOBJ_CMD_SLOT_APPEND;
			ops[k + 3].handle = MOBJ_BATCH_RESULT(k + 1);
			ops[k + 3].value = MOBJ_BATCH_RESULT(k);
			ops[k + 4].cmd = MOBJ_CMD_CLOSE;
			ops[k + 4].handle = MOBJ_BATCH_RESULT(k);
			ops[k + 5].cmd = MOBJ_CMD_CLOSE;
			ops[k + 5].handle = MOBJ_BATCH_RESULT(k + 1);
		}
		batch(fd, ops, k);
	}
	bench_check(mobj_gc_collect(fd, 2, NULL), "collect");
	bench_check(mobj_gc_set_debug(fd, 0), "debug");
	scenario_begin();
	bench_check(mobj_gc_garbage(fd, NULL, 0, MOBJ_GC_GARBAGE_CLEAR, NULL),
		    "garbage clear");
	scenario_end("gc_garbage_clear");
}

/* An object with @n watches of this client's, then closed. */
static void close_watched(int fd, unsigned int n)
{
	unsigned int i;
	__u32 h;

	bench_check(mobj_new(fd, 9, NULL, 0, &h, NULL), "new");
	for (i = 0; i < n; i++)
		if (mobj_watch(fd, h, i) < 0)
			break;
	scenario_begin();
	bench_check(mobj_handle_close(fd, h), "close");
	scenario_end("close_watched");
}

int main(int argc, char **argv)
{
	unsigned int n = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 0) :
			 1000000;
	__u32 head, target;
	__u64 ids[16];
	pthread_t th;
	double *v;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	dev_index = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 0) : 0;
	if (dev_index)
		snprintf(stats_file, sizeof(stats_file),
			 "/sys/kernel/debug/mobj/mobj%u/stats", dev_index);
	else
		snprintf(stats_file, sizeof(stats_file),
			 "/sys/kernel/debug/mobj/stats");
	fd = bench_open(dev_index);
	bench_gc_off(fd);
	w.v = calloc(LAT_MAX, sizeof(*w.v));
	w.start = calloc(LAT_MAX, sizeof(*w.start));
	v = malloc(sizeof(*v) * LAT_MAX);
	if (!w.v || !w.start || !v)
		return 1;
	if (pthread_create(&th, NULL, waiter_main, &w))
		return 1;
	while (!atomic_load(&w.ready))
		usleep(1000);

	/* The floor: the second client alone for a second. */
	scenario_begin();
	sleep(1);
	{
		uint64_t t1 = bench_now_ns();
		double hold = (double)bench_read_key(stats_file,
						     "lock_hold_max_ns");
		unsigned int m = calls_between(scenario_t0, t1, v);

		emit_lat("idle_floor", v, m, hold, NULL);
		if (m) {
			floor_figs[0] = v[m - 1];
			floor_figs[1] = v[(unsigned int)(0.99 * (m - 1) + 0.5)];
			floor_figs[2] = v[(unsigned int)(0.999 * (m - 1) + 0.5)];
		}
	}

	head = chain(fd, n, 0);
	scenario_begin();
	bench_check(mobj_handle_close(fd, head), "close");
	scenario_end("close_chain");

	head = chain(fd, n, 0);
	bench_check(mobj_gc_collect(fd, 2, NULL), "collect");
	scenario_begin();
	bench_check(mobj_gc_collect(fd, 2, NULL), "collect");
	scenario_end("full_collection");
	scenario_begin();
	bench_check(mobj_gc_freeze(fd, NULL), "freeze");
	scenario_end("gc_freeze");
	scenario_begin();
	bench_check(mobj_gc_unfreeze(fd, NULL), "unfreeze");
	scenario_end("gc_unfreeze");
	scenario_begin();
	bench_check(mobj_handle_close(fd, head), "close");
	scenario_end("close_chain_gen2");

	exit_with_handles(n);
	batches_new_close(fd, 50);
	batch_pop_front(fd);
	garbage_clear(fd, n);
	close_watched(fd, 65536);

	/* In-degree @n: REFERRERS walks every referrer to count them. */
	bench_check(mobj_new(fd, 10, NULL, 0, &target, NULL), "new");
	head = chain(fd, n, target);
	scenario_begin();
	bench_check(mobj_get_referrers(fd, target, ids, 16), "referrers");
	scenario_end("referrers_in_degree");
	bench_check(mobj_handle_close(fd, head), "close");
	bench_check(mobj_handle_close(fd, target), "close");

	atomic_store(&w.stop, 1);
	pthread_join(th, NULL);
	bench_emit("stall", "objects", n, "", NULL);
	free(v);
	return 0;
}
