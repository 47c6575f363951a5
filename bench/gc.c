// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_bench_gc: the cycle collector, get_referrers and lock waits.
 *
 *   mobj_bench_gc rings DEV [RINGS LINKS REPS]
 *	row 3a: RINGS rings of LINKS + 1 objects, each with a next and a
 *	prev slot (pyperformance's gc_collect), every handle closed, then
 *	one full collection; the cost per collected object.
 *   mobj_bench_gc heap DEV [OBJECTS REPS]
 *	row 3b: a chain of OBJECTS objects, each with a slot to the next,
 *	held by one handle; full collections that examine all of them;
 *	row 4: MOBJ_REFERRERS on an object in its middle;
 *	row 5: a second client issuing operations while a full collection
 *	runs: its longest wait, and the device's lock figures in debugfs.
 *   mobj_bench_gc scale DEV REPS OBJECTS...
 *	row 10: how a full collection's cost grows with the heap: for each
 *	size in turn, a chain built as for "heap" (growth of /proc/meminfo's
 *	Slab per object while it is built: row 7's heap figure), collected
 *	once, then REPS timed full collections, each followed by CPython's
 *	over a chain of as many lists; then both are freed before the next
 *	size (CPython is left out of a size when MemAvailable cannot hold
 *	its chain next to mobj's).
 *
 * DEV is the device index (0 is /dev/mobj); automatic collection is
 * switched off on it so that only the measured collections run.
 *
 * CPython's side runs at the same time: py_baseline.py (next to this
 * program) in "serve" mode holds the equivalent graph, and each repetition
 * measures mobj, then CPython, so that both see the same machine (a shared
 * host's speed drifts by several times within minutes).  "ratio" is the
 * median of the per-repetition ratios.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MAX_REPS 32

static unsigned int dev_index;

static const char *stats_path(void)
{
	static char path[64];

	if (dev_index)
		snprintf(path, sizeof(path),
			 "/sys/kernel/debug/mobj/mobj%u/stats", dev_index);
	else
		snprintf(path, sizeof(path), "/sys/kernel/debug/mobj/stats");
	return path;
}

/* CPython in "serve" mode on the other end of two pipes. */
struct py {
	FILE *to;
	FILE *from;
	pid_t pid;
};

static bool py_start(struct py *py)
{
	char exe[PATH_MAX], script[PATH_MAX + 32], *slash;
	int in[2], out[2];
	ssize_t len;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return false;
	exe[len] = 0;
	slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(script, sizeof(script), "%s/py_baseline.py", exe);
	if (pipe(in) || pipe(out))
		return false;
	py->pid = fork();
	if (py->pid < 0)
		return false;
	if (!py->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl("/usr/bin/python3", "python3", script, "serve",
		      (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	py->to = fdopen(in[1], "w");
	py->from = fdopen(out[0], "r");
	return py->to && py->from;
}

/* Send @cmd; the reply's two numbers go to *a and *b.  False on failure. */
static bool py_cmd(struct py *py, const char *cmd, double *a, double *b)
{
	char line[256], word[64];

	if (!py->to || fprintf(py->to, "%s\n", cmd) < 0 || fflush(py->to))
		return false;
	if (!fgets(line, sizeof(line), py->from))
		return false;
	if (sscanf(line, "%lf %lf", a, b) == 2)
		return true;
	/* "ok N" */
	if (sscanf(line, "%63s %lf", word, b) == 2 && !strcmp(word, "ok")) {
		*a = 0;
		return true;
	}
	fprintf(stderr, "bench: python answered '%s' to '%s'\n", line, cmd);
	return false;
}

static void py_stop(struct py *py)
{
	if (py->to)
		fclose(py->to);
	if (py->from)
		fclose(py->from);
	if (py->pid > 0)
		waitpid(py->pid, NULL, 0);
	memset(py, 0, sizeof(*py));
}

/*
 * A figure of mobj's beside CPython's, medians of @reps runs: @name, of
 * @mobj, with @extra and then @key, of @ratio; and @pyname, of @py, with
 * the members @pyfmt formats.  Without python3 (!@have_py) @name says
 * "no_python" instead of @key, and there is no @pyname.
 */
static void __attribute__((format(printf, 11, 12)))
emit_vs_python(bool have_py, unsigned int reps, const char *row,
	       const char *name, double *mobj, const char *extra,
	       const char *key, double *ratio, const char *pyname, double *py,
	       const char *pyfmt, ...)
{
	char all[320];
	va_list ap;

	snprintf(all, sizeof(all), "%s, \"%s\": %.6g", extra,
		 have_py ? key : "no_python",
		 have_py ? bench_median(ratio, reps) : 1);
	bench_emit(row, name, bench_median(mobj, reps), "ns", all);
	if (!have_py)
		return;
	va_start(ap, pyfmt);
	vsnprintf(all, sizeof(all), pyfmt, ap);
	va_end(ap);
	bench_emit(row, pyname, bench_median(py, reps), "ns", all);
}

static void run_rings(int fd, unsigned int rings, unsigned int links,
		      unsigned int reps)
{
	unsigned int per_ring = links + 1, r, k, i, n = rings * per_ring;
	double dur[MAX_REPS], wall[MAX_REPS], py[MAX_REPS], ratio[MAX_REPS];
	double pyc = 0, ns;
	struct mobj_gc_collect res;
	__u32 *h = calloc(per_ring, sizeof(*h));
	unsigned long long collected = 0;
	bool have_py = true;
	char extra[192], cmd[64];
	struct py p = { 0 };
	uint64_t t0;

	if (!h)
		exit(1);
	have_py = py_start(&p);
	snprintf(cmd, sizeof(cmd), "rings %u %u", rings, links);
	bench_check(mobj_gc_collect(fd, 2, NULL), "collect");
	for (r = 0; r < reps; r++) {
		for (k = 0; k < rings; k++) {
			for (i = 0; i < per_ring; i++)
				bench_check(mobj_new(fd, 2, NULL, 0, &h[i],
						     NULL), "new");
			for (i = 0; i < per_ring; i++) {
				__u32 next = h[(i + 1) % per_ring];
				__u32 prev = h[(i + per_ring - 1) % per_ring];

				/* slot 0: next, slot 1: prev */
				bench_check(mobj_slot_append(fd, h[i], next, NULL),
					    "append");
				bench_check(mobj_slot_append(fd, h[i], prev, NULL),
					    "append");
			}
			for (i = 0; i < per_ring; i++)
				bench_check(mobj_handle_close(fd, h[i]), "close");
		}
		t0 = bench_now_ns();
		bench_check(mobj_gc_collect(fd, 2, &res), "collect");
		wall[r] = (double)(bench_now_ns() - t0) / n;
		dur[r] = (double)res.duration_ns / n;
		collected = res.collected;
		if (have_py)
			have_py = py_cmd(&p, cmd, &ns, &pyc);
		py[r] = have_py ? ns : 0;
		ratio[r] = have_py ? dur[r] / ns : 0;
	}
	py_stop(&p);
	snprintf(extra, sizeof(extra),
		 "\"objects\": %u, \"collected\": %llu, \"reps\": %u, \"wall_ns\": %.6g",
		 n, collected, reps, bench_median(wall, reps));
	emit_vs_python(have_py, reps, "gc_rings", "duration_per_obj", dur, extra,
		       "ratio", ratio, "cpython_per_obj", py,
		       "\"objects\": %u, \"collected\": %.0f, \"reps\": %u",
		       n, pyc, reps);
	free(h);
}

/*
 * The second client of row 5.  An operation counts as "during" the
 * collection when it ends after the collection started and starts before
 * it ended (gc_start and gc_end are set by the main thread around
 * MOBJ_GC_COLLECT), so one that was already waiting is counted; "idle"
 * ones ended before it started.  Every latency is kept for percentiles.
 */
#define LAT_MAX (1u << 20)

enum { IDLE, DURING, AFTER, NR_BUCKETS };

struct lat {
	double *v;
	unsigned int n;
	unsigned int over_1ms;
	double max;
};

struct waiter {
	unsigned int dev;
	_Atomic uint64_t gc_start;	/* 0 until the collection starts */
	_Atomic uint64_t gc_end;	/* 0 until it is over */
	atomic_int stop;
	atomic_int ready;
	struct lat lock[NR_BUCKETS];	/* DUP and CLOSE: take the big lock */
	struct lat read[NR_BUCKETS];	/* GETREFCOUNT */
};

static void lat_note(struct lat *l, struct waiter *w, uint64_t t0,
		     uint64_t t1)
{
	uint64_t gs = atomic_load(&w->gc_start), ge = atomic_load(&w->gc_end);
	int b = !gs || t1 < gs ? IDLE : ge && t0 > ge ? AFTER : DURING;
	double d = (double)(t1 - t0);

	l += b;
	if (!l->v)
		l->v = calloc(LAT_MAX, sizeof(*l->v));
	if (l->v && l->n < LAT_MAX)
		l->v[l->n++] = d;
	if (d > l->max)
		l->max = d;
	if (d > 1e6)
		l->over_1ms++;
}

/* The @pct percentile (0-100) of what was noted; sorts. */
static double lat_pct(struct lat *l, double pct)
{
	unsigned int i;

	if (!l->n)
		return 0;
	bench_median(l->v, l->n);	/* sorts */
	i = (unsigned int)(pct / 100 * (l->n - 1) + 0.5);
	return l->v[i];
}

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	int fd = bench_open(w->dev);
	uint64_t t0, t1, t2, t3;
	__u32 k, x;
	__u64 rc;

	bench_check(mobj_new(fd, 3, NULL, 0, &k, NULL), "new");
	atomic_store(&w->ready, 1);
	while (!atomic_load(&w->stop)) {
		t0 = bench_now_ns();
		bench_check(mobj_getrefcount(fd, k, &rc), "getrefcount");
		t1 = bench_now_ns();
		bench_check(mobj_dup(fd, k, &x), "dup");
		t2 = bench_now_ns();
		bench_check(mobj_handle_close(fd, x), "close");
		t3 = bench_now_ns();
		lat_note(w->read, w, t0, t1);
		lat_note(w->lock, w, t1, t2);
		lat_note(w->lock, w, t2, t3);
	}
	close(fd);
	return NULL;
}

static void emit_lock_stats(const char *mode)
{
	char name[64];

	snprintf(name, sizeof(name), "debugfs_lock_wait_max_%s", mode);
	bench_emit("lockwait", name,
		   bench_read_key(stats_path(), "lock_wait_max_ns"), "ns", NULL);
	snprintf(name, sizeof(name), "debugfs_lock_hold_max_%s", mode);
	bench_emit("lockwait", name,
		   bench_read_key(stats_path(), "lock_hold_max_ns"), "ns", NULL);
}

static void emit_lat(const char *what, const char *when, const char *mode,
		     struct lat *l)
{
	char name[96], extra[160];

	snprintf(extra, sizeof(extra),
		 "\"ops\": %u, \"over_1ms\": %u, \"p50_ns\": %.6g, \"p99_ns\": %.6g",
		 l->n, l->over_1ms, lat_pct(l, 50), lat_pct(l, 99));
	snprintf(name, sizeof(name), "client_max_%s_%s_%s", what, when, mode);
	bench_emit("lockwait", name, l->max, "ns", extra);
}

/*
 * One full collection of the heap with a second client working; @mode
 * names the collector's setting in the records.
 */
static void run_lockwait(int fd, const char *mode)
{
	struct waiter w = { .dev = dev_index };
	struct mobj_gc_collect res;
	char name[64];
	unsigned int b;
	pthread_t th;
	uint64_t t0, wall;

	if (pthread_create(&th, NULL, waiter_main, &w))
		exit(1);
	while (!atomic_load(&w.ready))
		usleep(1000);
	usleep(300000);		/* the client's latency without a collection */
	t0 = bench_now_ns();
	atomic_store(&w.gc_start, t0);
	bench_check(mobj_gc_collect(fd, 2, &res), "collect");
	atomic_store(&w.gc_end, bench_now_ns());
	wall = bench_now_ns() - t0;
	usleep(20000);
	atomic_store(&w.stop, 1);
	pthread_join(th, NULL);

	emit_lat("lock_op", "idle", mode, &w.lock[IDLE]);
	emit_lat("getrefcount", "idle", mode, &w.read[IDLE]);
	emit_lat("lock_op", "during_gc", mode, &w.lock[DURING]);
	emit_lat("getrefcount", "during_gc", mode, &w.read[DURING]);
	snprintf(name, sizeof(name), "gc_duration_%s", mode);
	bench_emit("lockwait", name, res.duration_ns, "ns", NULL);
	snprintf(name, sizeof(name), "gc_wall_%s", mode);
	bench_emit("lockwait", name, wall, "ns", NULL);
	emit_lock_stats(mode);
	for (b = 0; b < NR_BUCKETS; b++) {
		free(w.lock[b].v);
		free(w.read[b].v);
	}
}

#define STEP_BUDGET "/sys/module/mobj/parameters/gc_step_budget"

#define CLIENT_OBJECTS_MAX "/sys/module/mobj/parameters/client_objects_max"

static long long read_param(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static bool write_param(const char *path, long long v)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fprintf(f, "%lld\n", v) > 0;
	return fclose(f) == 0 && ok;
}

/*
 * Row 5, with the collector's default step budget (bounded pauses) and,
 * when the module has the knob, with gc_step_budget=0 (one stop-the-world
 * pass), in that order: debugfs keeps the longest wait since the device
 * was created, so the bounded figures must come first.
 */
static void run_lockwaits(int fd)
{
	long long budget = read_param(STEP_BUDGET);
	char mode[32];

	emit_lock_stats("before");
	if (budget < 0) {
		run_lockwait(fd, "current");
		return;
	}
	snprintf(mode, sizeof(mode), "budget%lld", budget);
	run_lockwait(fd, budget ? mode : "budget0");
	if (!budget || !write_param(STEP_BUDGET, 0))
		return;
	run_lockwait(fd, "budget0");
	write_param(STEP_BUDGET, budget);
}

/*
 * Add objects @from..@to - 1 to the chain whose last object is *tail,
 * with MOBJ_BATCH: NEW, APPEND(tail, it), CLOSE(tail) for each, in batches
 * of up to 1365 objects.  Object n / 2 keeps its handle (*mid).  Returns
 * false, having changed nothing, when the first entry of the first batch
 * fails (a module without MOBJ_BATCH, say).
 */
static bool chain_batch(int fd, unsigned int from, unsigned int to,
			__u32 head, __u32 *tail, __u32 *mid, unsigned int n)
{
	static struct mobj_batch_op ops[MOBJ_BATCH_MAX];
	unsigned int per = MOBJ_BATCH_MAX / 3, i, j, k, cnt, last = 0;
	struct mobj_batch b = { .size = sizeof(b) };

	for (i = from; i < to; i += cnt) {
		cnt = to - i < per ? to - i : per;
		memset(ops, 0, sizeof(ops));
		for (j = 0, k = 0; j < cnt; j++) {
			/* The previous object: made by this batch, or not. */
			__u32 prev = j ? MOBJ_BATCH_RESULT(last) : *tail;

			last = k;
			ops[k].cmd = MOBJ_CMD_NEW;
			ops[k++].handle = 4;	/* the type tag */
			ops[k].cmd = MOBJ_CMD_SLOT_APPEND;
			ops[k].handle = prev;
			ops[k++].value = MOBJ_BATCH_RESULT(last);
			/* The head and the middle object keep their handle. */
			if (prev != head && i + j - 1 != n / 2) {
				ops[k].cmd = MOBJ_CMD_CLOSE;
				ops[k++].handle = prev;
			}
		}
		b.count = k;
		b.ops = (__u64)(unsigned long)ops;
		if (ioctl(fd, MOBJ_BATCH, &b) < 0) {
			if (i == from && !b.done)
				return false;
			fprintf(stderr, "bench: MOBJ_BATCH failed at %u: %s\n",
				b.done, strerror(errno));
			exit(1);
		}
		for (j = 0; j < k; j++) {
			if (ops[j].cmd != MOBJ_CMD_NEW)
				continue;
			*tail = (__u32)ops[j].result;
		}
		if (i <= n / 2 && n / 2 < i + cnt) {
			unsigned int want = n / 2 - i, seen = 0;

			for (j = 0; j < k; j++)
				if (ops[j].cmd == MOBJ_CMD_NEW &&
				    seen++ == want)
					*mid = (__u32)ops[j].result;
		}
	}
	return true;
}

/* A chain of @n objects, each with a slot to the next; *mid is kept. */
static __u32 build_chain(int fd, unsigned int n, __u32 *mid)
{
	__u32 head, prev, h;
	unsigned int i = 1;

	bench_check(mobj_new(fd, 4, NULL, 0, &head, NULL), "new");
	prev = head;
	if (bench_has_command(fd, MOBJ_CMD_BATCH) &&
	    chain_batch(fd, 1, n, head, &prev, mid, n))
		i = n;
	for (; i < n; i++) {
		bench_check(mobj_new(fd, 4, NULL, 0, &h, NULL), "new");
		bench_check(mobj_slot_append(fd, prev, h, NULL), "append");
		if (prev != head && i - 1 != n / 2)
			bench_check(mobj_handle_close(fd, prev), "close");
		else if (i - 1 == n / 2)
			*mid = prev;
		prev = h;
	}
	bench_check(mobj_handle_close(fd, prev), "close");
	return head;
}

/* What time_collections() measured, per object. */
struct timed {
	double dur[MAX_REPS];	/* mobj's own duration_ns */
	double py[MAX_REPS];	/* CPython's gc.collect(), 0 without it */
	double ratio[MAX_REPS];	/* dur / py */
	char extra[256];	/* the JSON fields of the mobj row */
};

/*
 * @reps full collections of the device's @n-object heap, each followed by
 * a gc.collect() of CPython's copy while @p answers.  Returns whether it
 * still does.
 */
static bool time_collections(int fd, unsigned int n, unsigned int reps,
			     struct py *p, bool have_py, struct timed *t)
{
	struct mobj_gc_collect res = { 0 };
	double wall[MAX_REPS], a, b;
	unsigned int r;
	uint64_t t0;

	for (r = 0; r < reps; r++) {
		t0 = bench_now_ns();
		bench_check(mobj_gc_collect(fd, 2, &res), "collect");
		wall[r] = (double)(bench_now_ns() - t0) / n;
		t->dur[r] = (double)res.duration_ns / n;
		if (have_py)
			have_py = py_cmd(p, "collect", &a, &b);
		t->py[r] = have_py ? a / n : 0;
		t->ratio[r] = have_py ? t->dur[r] / t->py[r] : 0;
	}
	snprintf(t->extra, sizeof(t->extra),
		 "\"objects\": %u, \"examined\": %llu, \"collected\": %llu, \"reps\": %u, \"wall_ns\": %.6g",
		 n, (unsigned long long)res.examined,
		 (unsigned long long)res.collected, reps,
		 bench_median(wall, reps));
	return have_py;
}

static void run_heap(int fd, unsigned int n, unsigned int reps)
{
	double refs[MAX_REPS], pyrefs[MAX_REPS], refratio[MAX_REPS];
	double a, b, tracked = 0, found = 0;
	unsigned int r, i, calls = 2000;
	struct timed t;
	__u32 head, mid = 0;
	struct py p = { 0 };
	bool have_py;
	char extra[256], cmd[64];
	uint64_t t0;
	__u64 ids[16];
	int total = 0;

	t0 = bench_now_ns();
	head = build_chain(fd, n, &mid);
	bench_emit("gc_heap", "build_per_obj",
		   (double)(bench_now_ns() - t0) / n, "ns", NULL);
	/* Everything to generation 2; the last object leaves the lists. */
	bench_check(mobj_gc_collect(fd, 2, NULL), "collect");

	have_py = py_start(&p);
	snprintf(cmd, sizeof(cmd), "heap %u", n);
	if (have_py)
		have_py = py_cmd(&p, cmd, &a, &tracked);

	have_py = time_collections(fd, n, reps, &p, have_py, &t);
	emit_vs_python(have_py, reps, "gc_heap", "duration_per_obj", t.dur,
		       t.extra, "ratio", t.ratio, "cpython_per_obj", t.py,
		       "\"objects\": %u, \"tracked\": %.0f, \"reps\": %u",
		       n, tracked, reps);

	for (r = 0; r < reps; r++) {
		t0 = bench_now_ns();
		for (i = 0; i < calls; i++)
			total = mobj_get_referrers(fd, mid, ids, 16);
		refs[r] = (double)(bench_now_ns() - t0) / calls;
		bench_check(total, "referrers");
		if (have_py)
			have_py = py_cmd(&p, "referrers", &a, &found);
		pyrefs[r] = have_py ? a : 0;
		refratio[r] = have_py ? a / refs[r] : 0;
	}
	snprintf(extra, sizeof(extra),
		 "\"objects\": %u, \"referrers\": %d, \"calls\": %u, \"reps\": %u",
		 n, total, calls, reps);
	emit_vs_python(have_py, reps, "referrers", "mobj_referrers", refs, extra,
		       "speedup", refratio, "cpython_get_referrers", pyrefs,
		       "\"objects\": %u, \"referrers\": %.0f, \"calls\": %u",
		       n, found, reps);
	if (have_py)
		py_cmd(&p, "drop", &a, &b);
	py_stop(&p);

	run_lockwaits(fd);
	bench_check(mobj_handle_close(fd, mid), "close");
	bench_check(mobj_handle_close(fd, head), "close");
}

/*
 * /proc/meminfo's Slab once it stops falling: what a CLOSE released goes
 * back through RCU and the collector's deferred frees.  At most ~5 s.
 */
static long long slab_settle(void)
{
	long long prev, cur;
	int i, still = 0;

	sync();
	prev = bench_meminfo_kb("Slab");
	for (i = 0; i < 50 && still < 2; i++) {
		usleep(100000);
		cur = bench_meminfo_kb("Slab");
		still = cur >= prev ? still + 1 : 0;
		prev = cur;
	}
	return prev;
}

/* CPython's chain of @n lists: ~64 + 8 bytes each, plus gc.get_objects(). */
#define PY_BYTES_PER_OBJ 200

static void run_scale_one(int fd, unsigned int n, unsigned int reps)
{
	double a, b, tracked = 0, build, slab;
	long long before, avail;
	struct timed t;
	char extra[256], cmd[64], name[64];
	__u32 head, mid = 0;
	struct py p = { 0 };
	bool have_py = false;
	uint64_t t0;

	before = slab_settle();
	t0 = bench_now_ns();
	head = build_chain(fd, n, &mid);
	build = (double)(bench_now_ns() - t0) / n;
	slab = (double)(bench_meminfo_kb("Slab") - before) * 1024 / n;
	snprintf(extra, sizeof(extra), "\"objects\": %u, \"build_ns\": %.6g",
		 n, build);
	snprintf(name, sizeof(name), "slab_delta_chain_%u", n);
	bench_emit("gc_scale", name, slab, "bytes", extra);
	bench_check(mobj_gc_collect(fd, 2, NULL), "collect");

	avail = bench_meminfo_kb("MemAvailable");
	if (avail >= 0 && (double)avail * 1024 < (double)n * PY_BYTES_PER_OBJ) {
		fprintf(stderr, "bench: scale %u: %lld kB available, CPython left out\n",
			n, avail);
		snprintf(name, sizeof(name), "cpython_skipped_%u", n);
		bench_emit("gc_scale", name, (double)avail * 1024, "bytes",
			   "\"why\": \"MemAvailable\"");
	} else {
		have_py = py_start(&p);
		snprintf(cmd, sizeof(cmd), "heap %u", n);
		if (have_py)
			have_py = py_cmd(&p, cmd, &a, &tracked);
	}
	have_py = time_collections(fd, n, reps, &p, have_py, &t);
	if (p.pid) {
		if (have_py)
			py_cmd(&p, "drop", &a, &b);
		py_stop(&p);
	}
	snprintf(name, sizeof(name), "duration_per_obj_%u", n);
	snprintf(cmd, sizeof(cmd), "cpython_per_obj_%u", n);
	emit_vs_python(have_py, reps, "gc_scale", name, t.dur, t.extra,
		       "ratio", t.ratio, cmd, t.py,
		       "\"objects\": %u, \"tracked\": %.0f, \"reps\": %u",
		       n, tracked, reps);
	bench_check(mobj_handle_close(fd, mid), "close");
	bench_check(mobj_handle_close(fd, head), "close");
}

/* Row 10: one chain after another, each freed before the next is built. */
static void run_scale(int fd, unsigned int reps, int nsizes, char **sizes)
{
	long long limit = read_param(CLIENT_OBJECTS_MAX), most = 0;
	int i;

	for (i = 0; i < nsizes; i++)
		if ((long long)strtoul(sizes[i], NULL, 0) > most)
			most = strtoul(sizes[i], NULL, 0);
	/* One open file makes the whole chain: room for it, with a margin. */
	if (limit >= 0 && limit < most + most / 4)
		write_param(CLIENT_OBJECTS_MAX, most + most / 4);
	for (i = 0; i < nsizes; i++) {
		unsigned int n = strtoul(sizes[i], NULL, 0);

		if (n >= 4)
			run_scale_one(fd, n, reps);
	}
	slab_settle();
	if (limit >= 0 && limit < most + most / 4)
		write_param(CLIENT_OBJECTS_MAX, limit);
	bench_emit_str("gc_scale", "status", "ok");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	unsigned int reps;
	int fd;

	signal(SIGPIPE, SIG_IGN);	/* a dead python3 is an error, not a kill */
	dev_index = bench_arg(argc, argv, 2, 0);
	fd = bench_open(dev_index);
	bench_gc_off(fd);
	if (!strcmp(mode, "rings")) {
		reps = bench_arg(argc, argv, 5, 10);
		run_rings(fd, bench_arg(argc, argv, 3, 100), bench_arg(argc, argv, 4, 20),
			  reps > MAX_REPS ? MAX_REPS : reps);
	} else if (!strcmp(mode, "heap")) {
		reps = bench_arg(argc, argv, 4, 5);
		run_heap(fd, bench_arg(argc, argv, 3, 1000000),
			 reps > MAX_REPS ? MAX_REPS : reps);
	} else if (!strcmp(mode, "scale") && argc > 4) {
		reps = bench_arg(argc, argv, 3, 3);
		reps = reps < 1 ? 1 : reps;
		run_scale(fd, reps > MAX_REPS ? MAX_REPS : reps, argc - 4,
			  argv + 4);
	} else {
		fprintf(stderr, "usage: %s rings|heap|scale DEV [...]\n", argv[0]);
		return 2;
	}
	return 0;
}
