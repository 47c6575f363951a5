// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_bench_ops: the cost of each operation next to the null ioctl.
 *
 *   mobj_bench_ops ops   [ITERS REPS]   row 1: every single operation
 *   mobj_bench_ops batch [OPS REPS]     row 2: MOBJ_BATCH at 1, 8, 64, 256
 *   mobj_bench_ops trace TAG [ITERS REPS]
 *                                       row 8: NEW+CLOSE and APPEND+POP
 *                                       pairs, labelled TAG (the caller
 *                                       switches events/mobj on and off)
 *
 * Every figure is the median over REPS repetitions of (time of ITERS calls
 * / ITERS), all on one open file of /dev/mobj.  ITERS null ioctls are timed
 * just before each figure of each repetition; "ratio" is the median of the
 * per-repetition ratios, so that a host whose speed drifts (other guests,
 * other users) moves both sides of each ratio together.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "bench.h"

#define MAX_REPS 64

/* Each measured operation: its enum op and the name of its record. */
#define BENCH_OPS(X) \
	X(NOP, "nop") \
	X(NEW, "new") \
	X(CLOSE_FREE, "close_free") \
	X(DUP, "dup") \
	X(CLOSE, "close") \
	X(GETREFCOUNT, "getrefcount") \
	X(INFO, "info") \
	X(DATA_WRITE, "data_write_16") \
	X(DATA_READ, "data_read_16") \
	X(APPEND, "append") \
	X(POP, "pop") \
	X(SET, "set") \
	X(GET, "get") \
	X(PAIR_DUP, "pair_dup_close") \
	X(PAIR_NEW, "pair_new_close")

#define OP_ENUM(_id, _name) OP_##_id,
#define OP_NAME(_id, _name) [OP_##_id] = _name,

enum op {
	BENCH_OPS(OP_ENUM)
	NR_OPS,
};

static const char *const op_names[NR_OPS] = {
	BENCH_OPS(OP_NAME)
};

static int fd;
static __u32 *hs;

static double per_op(uint64_t t0, uint64_t t1, unsigned int n)
{
	return (double)(t1 - t0) / n;
}

static double time_nop(unsigned int n)
{
	uint64_t t0 = bench_now_ns();
	unsigned int i;

	for (i = 0; i < n; i++)
		bench_check(mobj_nop(fd), "nop");
	return per_op(t0, bench_now_ns(), n);
}

static __u32 new_obj(void)
{
	__u32 h;

	bench_check(mobj_new(fd, 1, NULL, 0, &h, NULL), "new");
	return h;
}

/*
 * One figure: the operation and, just before it, the null ioctl, so that
 * their ratio is taken at the same moment of a machine whose speed drifts
 * (a shared host).
 */
struct sample {
	double op[MAX_REPS];
	double nop[MAX_REPS];
	double ratio[MAX_REPS];
};

static void sample_emit(const char *row, const char *name, struct sample *s,
			unsigned int reps, const char *params)
{
	char extra[256];
	double lo = s->op[0];
	unsigned int r;

	for (r = 1; r < reps; r++)
		lo = s->op[r] < lo ? s->op[r] : lo;
	snprintf(extra, sizeof(extra),
		 "\"nop_ns\": %.6g, \"ratio\": %.6g, \"min_ns\": %.6g, %s",
		 bench_median(s->nop, reps), bench_median(s->ratio, reps), lo,
		 params);
	bench_emit(row, name, bench_median(s->op, reps), "ns", extra);
}

/* Time @body, run @n times with i counting, after @n null ioctls. */
#define MEASURE(s, r, n, body)						\
	do {								\
		unsigned int i;						\
		uint64_t t0;						\
									\
		(s)->nop[r] = time_nop(n);				\
		t0 = bench_now_ns();					\
		for (i = 0; i < (n); i++) {				\
			body;						\
		}							\
		(s)->op[r] = per_op(t0, bench_now_ns(), n);		\
		(s)->ratio[r] = (s)->op[r] / (s)->nop[r];		\
	} while (0)

static struct sample samples[NR_OPS];

/* One repetition of every operation. */
static void ops_rep(unsigned int n, unsigned int r)
{
	__u32 h = new_obj(), a = new_obj(), b = new_obj(), c = new_obj();
	char buf[16] = "0123456789abcdef";
	struct sample *s = samples;
	struct mobj_info info;
	unsigned int i;
	__u64 rc;

	bench_check(mobj_data_write(fd, h, buf, sizeof(buf)), "data_write");
	bench_check(mobj_slot_append(fd, a, b, NULL), "append");

	MEASURE(&s[OP_NOP], r, n, bench_check(mobj_nop(fd), "nop"));
	MEASURE(&s[OP_NEW], r, n,
		bench_check(mobj_new(fd, 1, NULL, 0, &hs[i], NULL), "new"));
	MEASURE(&s[OP_CLOSE_FREE], r, n,
		bench_check(mobj_handle_close(fd, hs[i]), "close"));
	MEASURE(&s[OP_DUP], r, n, bench_check(mobj_dup(fd, h, &hs[i]), "dup"));
	MEASURE(&s[OP_CLOSE], r, n,
		bench_check(mobj_handle_close(fd, hs[i]), "close"));
	MEASURE(&s[OP_GETREFCOUNT], r, n,
		bench_check(mobj_getrefcount(fd, h, &rc), "getrefcount"));
	MEASURE(&s[OP_INFO], r, n, bench_check(mobj_info(fd, h, &info), "info"));
	MEASURE(&s[OP_DATA_WRITE], r, n,
		bench_check(mobj_data_write(fd, h, buf, sizeof(buf)),
			    "data_write"));
	MEASURE(&s[OP_DATA_READ], r, n,
		bench_check(mobj_data_read(fd, h, 0, buf, sizeof(buf), NULL),
			    "data_read"));
	/* c grows to n slots (amortised reallocation), then shrinks. */
	MEASURE(&s[OP_APPEND], r, n,
		bench_check(mobj_slot_append(fd, c, b, NULL), "append"));
	MEASURE(&s[OP_POP], r, n,
		bench_check(mobj_slot_pop(fd, c, n - 1 - i), "pop"));
	MEASURE(&s[OP_SET], r, n, bench_check(mobj_slot_set(fd, a, 0, b), "set"));
	MEASURE(&s[OP_GET], r, n,
		bench_check(mobj_slot_get(fd, a, 0, &hs[i]), "get"));
	for (i = 0; i < n; i++)
		bench_check(mobj_handle_close(fd, hs[i]), "close");
	/*
	 * The same operations as pairs on one handle (x = dup(h); close(x)),
	 * per operation: each new handle number lands alone in the table.
	 */
	MEASURE(&s[OP_PAIR_DUP], r, n, {
		bench_check(mobj_dup(fd, h, &hs[0]), "dup");
		bench_check(mobj_handle_close(fd, hs[0]), "close");
	});
	s[OP_PAIR_DUP].op[r] /= 2;
	s[OP_PAIR_DUP].ratio[r] /= 2;
	MEASURE(&s[OP_PAIR_NEW], r, n, {
		bench_check(mobj_new(fd, 1, NULL, 0, &hs[0], NULL), "new");
		bench_check(mobj_handle_close(fd, hs[0]), "close");
	});
	s[OP_PAIR_NEW].op[r] /= 2;
	s[OP_PAIR_NEW].ratio[r] /= 2;

	bench_check(mobj_handle_close(fd, h), "close");
	bench_check(mobj_handle_close(fd, a), "close");
	bench_check(mobj_handle_close(fd, b), "close");
	bench_check(mobj_handle_close(fd, c), "close");
}

static void run_ops(unsigned int n, unsigned int reps)
{
	char params[64];
	unsigned int r, o;

	for (r = 0; r < reps; r++)
		ops_rep(n, r);
	snprintf(params, sizeof(params), "\"iters\": %u, \"reps\": %u", n,
		 reps);
	for (o = 0; o < NR_OPS; o++)
		sample_emit("ops", op_names[o], &samples[o], reps, params);
}

/* One MOBJ_BATCH call over @ops; 0 or -errno.  Outputs are cleared first. */
static int batch_call(struct mobj_batch_op *ops, unsigned int count)
{
	struct mobj_batch b = {
		.size = sizeof(b),
		.count = count,
		.ops = (__u64)(unsigned long)ops,
	};
	unsigned int i;

	for (i = 0; i < count; i++) {
		ops[i].error = 0;
		ops[i].result = 0;
	}
	if (ioctl(fd, MOBJ_BATCH, &b) < 0) {
		fprintf(stderr, "bench: MOBJ_BATCH of %u: %s (done %u)\n",
			count, strerror(errno), b.done);
		return -errno;
	}
	return 0;
}

/*
 * The batch workloads, per operation:
 *  - "dup_close": half the entries DUP h, half CLOSE the handles the
 *    previous batch made (a batch of one alternates a DUP and a CLOSE), so
 *    handles live one batch long;
 *  - "getrefcount": every entry GETREFCOUNT h;
 *  - "pairs": DUP h, CLOSE RESULT(i - 1) pairs inside each batch.
 */
enum { W_DUP_CLOSE, W_GETREFCOUNT, W_PAIRS, NR_WORKLOADS };

static const char *const workload_names[NR_WORKLOADS] = {
	"dup_close", "getrefcount", "pairs",
};

static void batch_fill(struct mobj_batch_op *ops, unsigned int size, __u32 h,
		       int w)
{
	unsigned int i;

	memset(ops, 0, size * sizeof(*ops));
	for (i = 0; i < size; i++) {
		ops[i].handle = h;
		if (w == W_GETREFCOUNT) {
			ops[i].cmd = MOBJ_CMD_GETREFCOUNT;
		} else if (w == W_DUP_CLOSE) {
			/* The CLOSE handles are filled in per batch. */
			ops[i].cmd = i < (size + 1) / 2 ? MOBJ_CMD_DUP :
							  MOBJ_CMD_CLOSE;
		} else if (i % 2 == 0) {
			ops[i].cmd = MOBJ_CMD_DUP;
		} else {
			ops[i].cmd = MOBJ_CMD_CLOSE;
			ops[i].handle = MOBJ_BATCH_RESULT(i - 1);
		}
	}
}

/*
 * Per-operation time of @total operations in batches of @size, after as
 * many null ioctls as there are batches.
 */
static void batch_time(struct sample *s, unsigned int r, unsigned int size,
		       unsigned int total, __u32 h, int w, int *err)
{
	static struct mobj_batch_op ops[MOBJ_BATCH_MAX];
	static __u32 prev[MOBJ_BATCH_MAX];
	unsigned int calls = total / size, half = (size + 1) / 2, i, j;
	struct mobj_batch_op one = { 0 };
	uint64_t t0;

	batch_fill(ops, size, h, w);
	/* Handles for the first batch's CLOSEs. */
	for (j = 0; w == W_DUP_CLOSE && j < half; j++)
		bench_check(mobj_dup(fd, h, &prev[j]), "dup");
	s->nop[r] = time_nop(calls < 256 ? 256 : calls);
	t0 = bench_now_ns();
	for (i = 0; i < calls; i++) {
		if (w == W_DUP_CLOSE && size == 1) {
			/* DUP, then CLOSE the previous DUP's handle. */
			one = (struct mobj_batch_op){
				.cmd = i % 2 ? MOBJ_CMD_CLOSE : MOBJ_CMD_DUP,
				.handle = i % 2 ? prev[0] : h,
			};
			*err = batch_call(&one, 1);
			if (i % 2 == 0)
				prev[1] = (__u32)one.result;
			else
				prev[0] = prev[1];
		} else if (w == W_DUP_CLOSE) {
			for (j = half; j < size; j++)
				ops[j].handle = prev[j - half];
			*err = batch_call(ops, size);
			for (j = 0; j < half; j++)
				prev[j] = (__u32)ops[j].result;
		} else {
			*err = batch_call(ops, size);
		}
		if (*err)
			return;
	}
	s->op[r] = per_op(t0, bench_now_ns(), calls * size);
	s->ratio[r] = s->op[r] / s->nop[r];
	/* What the last batch made and nobody closed. */
	if (w == W_DUP_CLOSE && size == 1 && calls % 2)
		bench_check(mobj_handle_close(fd, prev[1]), "close");
	for (j = 0; w == W_DUP_CLOSE && size == 1 && j < 1; j++)
		bench_check(mobj_handle_close(fd, prev[0]), "close");
	for (j = 0; w == W_DUP_CLOSE && size > 1 && j < half; j++)
		bench_check(mobj_handle_close(fd, prev[j]), "close");
}

static void run_batch(unsigned int total, unsigned int reps)
{
	static const unsigned int sizes[] = { 1, 8, 64, 256 };
	static struct sample t[NR_WORKLOADS][4];
	char name[64], params[64];
	unsigned int r, s, w;
	int err = 0;
	__u32 h;

	if (!bench_has_command(fd, MOBJ_CMD_BATCH)) {
		bench_emit_str("batch", "status", "not available");
		return;
	}
	h = new_obj();
	for (r = 0; r < reps; r++)
		for (w = 0; w < NR_WORKLOADS; w++)
			for (s = 0; s < 4; s++) {
				/* Pairs: only batch 64, for comparison. */
				if (w == W_PAIRS && sizes[s] != 64)
					continue;
				batch_time(&t[w][s], r, sizes[s], total, h, w,
					   &err);
				if (err) {
					snprintf(name, sizeof(name),
						 "failed: %s", strerror(-err));
					bench_emit_str("batch", "status", name);
					return;
				}
			}
	bench_emit_str("batch", "status", "ok");
	snprintf(params, sizeof(params), "\"ops\": %u, \"reps\": %u", total,
		 reps);
	for (w = 0; w < NR_WORKLOADS; w++)
		for (s = 0; s < 4; s++) {
			if (w == W_PAIRS && sizes[s] != 64)
				continue;
			snprintf(name, sizeof(name), "%s_%u",
				 workload_names[w], sizes[s]);
			sample_emit("batch", name, &t[w][s], reps, params);
		}
	bench_check(mobj_handle_close(fd, h), "close");
}

/* NEW+CLOSE and APPEND+POP pairs: obj_new/obj_free, slot_set/slot_clear. */
static void run_trace(const char *tag, unsigned int n, unsigned int reps)
{
	static struct sample newclose, appendpop;
	char name[64], params[64];
	unsigned int r;
	__u32 a = new_obj(), b = new_obj(), h, prev = new_obj();

	for (r = 0; r < reps; r++) {
		/* Close the previous object: no handle lands alone. */
		MEASURE(&newclose, r, n, {
			bench_check(mobj_new(fd, 1, NULL, 0, &h, NULL), "new");
			bench_check(mobj_handle_close(fd, prev), "close");
			prev = h;
		});
		MEASURE(&appendpop, r, n, {
			bench_check(mobj_slot_append(fd, a, b, NULL), "append");
			bench_check(mobj_slot_pop(fd, a, 0), "pop");
		});
	}
	snprintf(params, sizeof(params), "\"iters\": %u, \"reps\": %u", n,
		 reps);
	snprintf(name, sizeof(name), "new_close_%s", tag);
	sample_emit("trace", name, &newclose, reps, params);
	snprintf(name, sizeof(name), "append_pop_%s", tag);
	sample_emit("trace", name, &appendpop, reps, params);
	bench_check(mobj_handle_close(fd, prev), "close");
	bench_check(mobj_handle_close(fd, a), "close");
	bench_check(mobj_handle_close(fd, b), "close");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "ops";
	unsigned int n, reps;

	fd = bench_open(0);
	bench_gc_off(fd);
	if (!strcmp(mode, "ops")) {
		n = bench_arg(argc, argv, 2, 1000);
		reps = bench_arg(argc, argv, 3, 15);
		hs = calloc(n, sizeof(*hs));
		if (!hs)
			return 1;
		run_ops(n, reps > MAX_REPS ? MAX_REPS : reps);
	} else if (!strcmp(mode, "batch")) {
		n = bench_arg(argc, argv, 2, 4096);
		reps = bench_arg(argc, argv, 3, 11);
		run_batch(n - n % 256, reps > MAX_REPS ? MAX_REPS : reps);
	} else if (!strcmp(mode, "trace") && argc > 2) {
		n = bench_arg(argc, argv, 3, 1000);
		reps = bench_arg(argc, argv, 4, 15);
		run_trace(argv[2], n, reps > MAX_REPS ? MAX_REPS : reps);
	} else {
		fprintf(stderr, "usage: %s ops|batch|trace TAG [ITERS REPS]\n",
			argv[0]);
		return 2;
	}
	return 0;
}
