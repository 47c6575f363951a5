// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_bench_threads: throughput of 1, 2 and 4 threads (row 6).
 *
 *   mobj_bench_threads [MILLISECONDS REPS]
 *
 * Each thread opens its own file and creates its own object, then issues
 * writes (DUP + CLOSE, two operations) or reads (GETREFCOUNT) as fast as it
 * can.  "shared": every thread on /dev/mobj, so they share one heap and
 * its big lock; "perdev": thread i on device i (load the module with
 * devices=4).  The figure is operations per second, all threads together,
 * median of REPS runs of MILLISECONDS each.
 *
 * "spin" threads do no system call at all (a few arithmetic operations per
 * count): their scaling is what the (virtual) machine gives two or four
 * threads at that moment, the ceiling the mobj figures are compared with.
 * On a host shared with other guests it is often well below 2x.  "nop"
 * threads issue MOBJ_NOP, which takes no lock: their scaling is the
 * ceiling for anything that enters the kernel at that rate.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define MAX_THREADS 4
#define MAX_REPS 16

enum workload { WRITES, READS, SPIN, NOPS, NR_WORKLOADS };

static const char *const workload_names[NR_WORKLOADS] = {
	"write", "read", "spin", "nop",
};

struct run {
	enum workload what;
	bool perdev;
	atomic_int started;
	atomic_int go;
	atomic_int stop;
	unsigned long ops[MAX_THREADS];
	uint64_t seed_sink;
};

struct worker {
	struct run *run;
	unsigned int index;
};

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct run *run = wk->run;
	int fd = bench_open(run->perdev ? wk->index : 0);
	unsigned long n = 0;
	uint64_t seed = wk->index + 1;
	__u32 k, x;
	__u64 rc;

	bench_check(mobj_new(fd, 5, NULL, 0, &k, NULL), "new");
	atomic_fetch_add(&run->started, 1);
	while (!atomic_load(&run->go))
		;
	if (run->what == SPIN) {
		while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
			unsigned int i;

			/* xorshift: work the compiler cannot remove */
			for (i = 0; i < 64; i++) {
				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
			}
			n++;
		}
		run->seed_sink = seed;
	} else if (run->what == NOPS) {
		while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
			bench_check(mobj_nop(fd), "nop");
			n++;
		}
	} else if (run->what == READS) {
		while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
			bench_check(mobj_getrefcount(fd, k, &rc), "getrefcount");
			n++;
		}
	} else {
		while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
			bench_check(mobj_dup(fd, k, &x), "dup");
			bench_check(mobj_handle_close(fd, x), "close");
			n += 2;
		}
	}
	run->ops[wk->index] = n;
	close(fd);
	return NULL;
}

static double run_once(unsigned int threads, enum workload what, bool perdev,
		       unsigned int ms)
{
	struct run run = { .what = what, .perdev = perdev };
	struct worker wk[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	unsigned long total = 0;
	unsigned int i;
	uint64_t t0, t1;

	for (i = 0; i < threads; i++) {
		wk[i] = (struct worker){ .run = &run, .index = i };
		if (pthread_create(&th[i], NULL, worker_main, &wk[i]))
			exit(1);
	}
	while (atomic_load(&run.started) < (int)threads)
		usleep(1000);
	t0 = bench_now_ns();
	atomic_store(&run.go, 1);
	usleep(ms * 1000);
	atomic_store(&run.stop, 1);
	t1 = bench_now_ns();
	for (i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		total += run.ops[i];
	}
	/* Threads finish the operation in flight after stop: a few ops. */
	return total / ((t1 - t0) / 1e9);
}

int main(int argc, char **argv)
{
	static const unsigned int counts[] = { 1, 2, 4 };
	unsigned int ms = argc > 1 ? strtoul(argv[1], NULL, 0) : 400;
	unsigned int reps = argc > 2 ? strtoul(argv[2], NULL, 0) : 3;
	static double v[NR_WORKLOADS][2][3][MAX_REPS];
	unsigned int c, r, p, w;
	char name[64], extra[64];

	if (reps > MAX_REPS)
		reps = MAX_REPS;
	close(bench_open(MAX_THREADS - 1));	/* devices=4 is loaded */
	/* Repetitions outermost: each figure samples the whole run. */
	for (r = 0; r < reps; r++)
		for (w = 0; w < NR_WORKLOADS; w++)
			for (p = 0; p < 2; p++) {
				/* These do not use the heap. */
				if ((w == SPIN || w == NOPS) && p)
					continue;
				for (c = 0; c < 3; c++)
					v[w][p][c][r] = run_once(counts[c], w,
								 p, ms);
			}
	snprintf(extra, sizeof(extra), "\"ms\": %u, \"reps\": %u", ms, reps);
	for (w = 0; w < NR_WORKLOADS; w++)
		for (p = 0; p < 2; p++)
			for (c = 0; c < 3; c++) {
				if ((w == SPIN || w == NOPS) && p)
					continue;
				snprintf(name, sizeof(name), "%s_%s_%u",
					 workload_names[w],
					 p ? "perdev" : "shared", counts[c]);
				bench_emit("threads", name,
					   bench_median(v[w][p][c], reps),
					   "ops/s", extra);
			}
	return 0;
}
