// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_debug_model: a model-checked random workload (debug kernel).
 *
 * A user-space model of the heap (objects with payloads and slots, the
 * handles of every client, refcounts, the collector's generations, weak
 * references, death notices, type names, the limits) drives a seeded
 * random sequence of every command across several clients: four open
 * files of this process, two of them shared with a forked child, which
 * also has a client of its own, and the child is forked again from time
 * to time.  Each operation is issued by the main thread, one of two worker
 * threads or the child.  Invalid operations are mixed in: closed handles,
 * another client's handle numbers, 0 and huge handles, weak handles where a
 * strong one is needed, bad slot indexes and payload offsets, payloads over
 * the limit, too small and too large struct sizes, unknown flags, non-zero
 * reserved fields, unknown commands, NULL and unreadable pointers,
 * read-only structs, and batches that stop half way.
 *
 * After every operation its return value, errno and every output field
 * must be what the model says, and so must the client's QUERY counters and
 * the death notices read back.  After every collection, every weak handle
 * must be dead exactly when the model says its object is.  Every
 * MOBJ_MODEL_CHECK_EVERY operations (and at the end) everything is
 * compared: each handle's INFO, slots (REFERENTS), referrers, payload, the
 * collector's state and statistics, and the debugfs consistency checker's
 * object, handle and edge counts.
 *
 * On a mismatch the seed and the step are printed, then the shortest
 * failing prefix is searched for by replaying prefixes on fresh clients
 * (a prefix fails when its replay, followed by the full comparison,
 * fails), and the prefix is shrunk further by dropping chunks of
 * operations (delta debugging) within MOBJ_MODEL_MIN_SECONDS.  Replay with
 * MOBJ_MODEL_SEED=S MOBJ_MODEL_OPS=N.
 *
 * Environment: MOBJ_MODEL_OPS (default 200000), MOBJ_MODEL_SEED (default:
 * from the clock), MOBJ_MODEL_CHECK_EVERY (default 5000),
 * MOBJ_MODEL_MIN_SECONDS (default 60), MOBJ_MODEL_VERBOSE=1 (print each
 * operation), MOBJ_MODEL_ANY_CPU=1 (do not pin the test to one CPU: by
 * default it is, so that the synchronous hand-offs to the threads and the
 * child are plain context switches).  The last line before the totals is
 * "# reliability: model_ops=N".
 *
 * This file is the test: the fixture, the seed and the environment, the
 * run, replaying and minimising.  The model checker itself is under
 * model/ (see model/model.h): the model's state, the executors, the
 * operations and the comparisons.
 */
#include "mobj_test.h"

#include <sched.h>

#include "model/model.h"

/*
 * What the files under model/ take from mobj_test.h: they cannot include
 * it (kselftest_harness.h defines functions), so it comes from here.
 */
const unsigned int model_nr_cmds = MOBJ_TEST_NR_CMDS;
const size_t model_query_min_size = offsetofend(struct mobj_query,
						__reserved2);

int model_read_checker(char *buf, size_t len)
{
	return mobj_read_text(MOBJ_DEBUGFS "check", buf, len);
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

/* One step: the operation, then what every step checks. */
static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void step(struct run *R, const struct op *op)
{
	__u64 t0 = now_ns();
	int ci;

	if (R->verbose)
		fprintf(stderr, "# step %lu: %s\n", R->step, op_name[op->kind]);
	do_op(R, op);
	if (R->failed)
		return;
	check_query(R, pick_client(R, op->r[0]));
	for (ci = 0; ci < NCLIENTS && !R->failed; ci++)
		if (R->m.cl[ci].open && R->m.cl[ci].posted)
			drain_events(R, ci);
	R->live_sum += R->m.nalive;
	R->handles_sum += R->m.handles;
	t0 = now_ns() - t0;
	R->kind_ns[op->kind] += t0;
	if (t0 > R->kind_max[op->kind])
		R->kind_max[op->kind] = t0;
	R->kind_n[op->kind]++;
}

/* Setting up and tearing down a run */

static int device_quiesce(int fd)
{
	int ret, k;

	ret = mobj_gc_reset(fd, 0);
	for (k = 0; !ret && k <= NNAMED; k++) {
		struct mobj_type_name tn = { .size = sizeof(tn),
					     .type = T_BASE + k };

		ret = mobj_raw(fd, MOBJ_TYPE_NAME, &tn);
	}
	return ret;
}

static void run_free(struct run *R)
{
	int ci, k;

	child_stop(R);
	for (ci = 0; ci < NCLIENTS; ci++) {
		if (!R->m.cl[ci].open)
			continue;
		if (R->m.cl[ci].fd >= 0)
			close(R->m.cl[ci].fd);
		model_release(&R->m, ci);
	}
	for (k = 0; k < 2; k++) {
		if (!R->wk[k].thread)
			continue;
		pthread_mutex_lock(&R->wk[k].lock);
		R->wk[k].quit = true;
		pthread_cond_broadcast(&R->wk[k].cond);
		pthread_mutex_unlock(&R->wk[k].lock);
		pthread_join(R->wk[k].thread, NULL);
		R->wk[k].thread = 0;
	}
	free(R->m.obj);
	free(R->m.freelist);
	free(R->m.alive);
	free(R->m.w);
	free(R->m.quota);
	memset(&R->m, 0, sizeof(R->m));
}

static int run_init(struct run *R)
{
	struct mobj_query q;
	struct mobj_gc_stats st;
	int ci, k, fd, ret;

	memset(&R->m, 0, sizeof(R->m));
	R->failed = false;
	R->step = 0;
	R->child = 0;
	for (ci = 0; ci < NCLIENTS; ci++)
		R->m.cl[ci].fd = -1;
	fd = mobj_dev_open();
	if (fd < 0)
		return fd;
	ret = device_quiesce(fd);
	if (!ret)
		ret = mobj_query(fd, &q);
	if (!ret)
		ret = mobj_gc_get_stats(fd, &st);
	if (ret) {
		close(fd);
		return ret;
	}
	R->has_batch = q.commands & (1ULL << MOBJ_CMD_BATCH);
	R->base_live = q.live_objects;
	R->base_handles = q.live_handles;
	for (k = 0; k < 3; k++) {
		R->base_collections[k] = st.gen[k].collections;
		R->base_collected[k] = st.gen[k].collected;
	}
	close(fd);
	R->m.threshold[0] = 0;
	R->m.threshold[1] = 10;
	R->m.threshold[2] = 10;
	for (ci = 0; ci < C_CHILD; ci++) {
		ret = open_client(R, ci);
		if (ret)
			return ret;
	}
	for (k = 0; k < 2; k++) {
		pthread_mutex_init(&R->wk[k].lock, NULL);
		pthread_cond_init(&R->wk[k].cond, NULL);
		R->wk[k].job = NULL;
		R->wk[k].quit = false;
		if (pthread_create(&R->wk[k].thread, NULL, worker_main,
				   &R->wk[k]))
			return -EAGAIN;
	}
	return child_start(R);
}

/*
 * Run @n operations (@ops, or generated from the seed when NULL; then
 * recorded in @rec when not NULL).  With @final, the full comparison at
 * the end too.  Returns true when everything matched.
 */
static bool run_ops(struct run *R, const struct op *ops, unsigned long n,
		    struct op *rec, bool final)
{
	__u64 s = R->seed;
	unsigned long i;
	struct op op;
	int ret;

	ret = run_init(R);
	if (ret) {
		fail(R, "setting up: %s", strerror(-ret));
		run_free(R);
		return false;
	}
	for (i = 0; i < n && !R->failed; i++) {
		op = ops ? ops[i] : gen_op(&s);
		if (rec)
			rec[i] = op;
		R->step = i;
		step(R, &op);
		if (!R->failed && R->check_every &&
		    (i + 1) % R->check_every == 0) {
			__u64 t0 = now_ns();

			full_check(R);
			R->kind_ns[OP_NR] += now_ns() - t0;
			R->kind_n[OP_NR]++;
		}
	}
	if (!R->failed && final) {
		R->step = n;
		full_check(R);
	}
	run_free(R);
	return !R->failed;
}

static void print_op(struct run *R, unsigned long i, const struct op *op)
{
	mobj_note("  %6lu: %-13s client %u exec %u r %08x %08x %08x %08x %08x %08x %08x %08x\n",
		       i, op_name[op->kind], op->r[0] % NCLIENTS, op->exec % 10,
		       op->r[0], op->r[1], op->r[2], op->r[3], op->r[4],
		       op->r[5], op->r[6], op->r[7]);
}

/*
 * The failure happened at step F, its cause somewhere after the last full
 * comparison that passed.  Find the shortest prefix whose replay fails,
 * then drop chunks of it while the replay still fails, within the time
 * budget.
 */
static void minimise(struct run *R, const struct op *rec, unsigned long f,
		     unsigned long lo)
{
	unsigned long hi = f + 1, mid, n, chunk, start, k;
	__u64 deadline = mobj_now_ms() +
			 1000 * env_ul("MOBJ_MODEL_MIN_SECONDS", 60);
	struct op *cur, *try;
	unsigned long replays = 0;
	char why[sizeof(R->why)];

	memcpy(why, R->why, sizeof(why));
	/* Does the whole prefix fail again on fresh clients? */
	if (run_ops(R, rec, hi, NULL, true)) {
		mobj_note("model: the failing prefix of %lu operations passes on replay: not reproducible\n",
			       hi);
		memcpy(R->why, why, sizeof(why));
		R->failed = true;
		return;
	}
	replays++;
	/* The shortest failing prefix, between the last good check and F. */
	while (lo + 1 < hi && mobj_now_ms() < deadline) {
		mid = lo + (hi - lo) / 2;
		if (run_ops(R, rec, mid, NULL, true))
			lo = mid;
		else
			hi = mid;
		replays++;
	}
	mobj_note("model: shortest failing prefix: %lu operations (seed %llu): replay with MOBJ_MODEL_SEED=%llu MOBJ_MODEL_OPS=%lu\n",
		       hi, (unsigned long long)R->seed,
		       (unsigned long long)R->seed, hi);
	/* Delta debugging: drop chunks, halving their size. */
	n = hi;
	cur = malloc(n * sizeof(*cur));
	try = malloc(n * sizeof(*try));
	memcpy(cur, rec, n * sizeof(*cur));
	for (chunk = n / 2; chunk >= 1 && mobj_now_ms() < deadline;
	     chunk /= 2) {
		for (start = 0; start + chunk <= n - 1 &&
		     mobj_now_ms() < deadline;) {
			/* never drop the last (failing) operation */
			memcpy(try, cur, start * sizeof(*try));
			memcpy(try + start, cur + start + chunk,
			       (n - start - chunk) * sizeof(*try));
			replays++;
			if (!run_ops(R, try, n - chunk, NULL, true)) {
				n -= chunk;
				memcpy(cur, try, n * sizeof(*cur));
			} else {
				start += chunk;
			}
		}
	}
	run_ops(R, cur, n, NULL, true);
	mobj_note("model: minimised to %lu operations (%lu replays); they fail with: %s\n",
		       n, replays, R->why);
	if (n <= 200)
		for (k = 0; k < n; k++)
			print_op(R, k, &cur[k]);
	free(cur);
	free(try);
	memcpy(R->why, why, sizeof(why));
	R->failed = true;
}

/* The fixture */

FIXTURE(model) {
	struct mobj_params params;
	struct mobj_counts base;
	bool ready;
};

FIXTURE_SETUP(model)
{
	self->ready = false;
	MOBJ_BASE_COUNTS_OR_SKIP(&self->base);
	self->ready = true;
}

/* After a run: the collector as the other tests expect it. */
static int device_restore(int fd)
{
	int ret = device_quiesce(fd);

	if (!ret)
		ret = mobj_gc_set_threshold(fd, 2000, 10, 10);
	return ret ? ret : mobj_gc_enable(fd);
}

FIXTURE_TEARDOWN(model)
{
	EXPECT_EQ(0, mobj_params_restore(&self->params));
	if (!self->ready)
		return;
	mobj_teardown_base(_metadata, &self->base, device_restore);
}

TEST_F_TIMEOUT(model, random_workload, 900)
{
	struct run *R = calloc(1, sizeof(*R));
	unsigned long n, k;
	struct op *rec;
	__u64 t0;

	ASSERT_NE(NULL, R);
	R->meta = _metadata;
	R->nops = env_ul("MOBJ_MODEL_OPS", 200000);
	R->seed = env_ul("MOBJ_MODEL_SEED", 0);
	if (!R->seed)
		R->seed = (mobj_now_ms() * 2654435761ULL) ^ getpid();
	R->check_every = env_ul("MOBJ_MODEL_CHECK_EVERY", 5000);
	R->verbose = env_ul("MOBJ_MODEL_VERBOSE", 0);
	exec_pages(&R->ro_page, &R->bad);
	ASSERT_NE(MAP_FAILED, R->ro_page);
	ASSERT_NE(MAP_FAILED, R->bad);
	/*
	 * The hand-offs to the threads and the child are synchronous: on one
	 * CPU each is a plain context switch, not a cross-CPU wake-up (slow
	 * under TCG).
	 */
	if (!env_ul("MOBJ_MODEL_ANY_CPU", 0)) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
		sched_setaffinity(0, sizeof(one), &one);
	}

	PARAM_SET_OR_SKIP(&self->params, "data_max", M_DATA_MAX);
	PARAM_SET_OR_SKIP(&self->params, "slots_max", M_SLOTS_MAX);
	PARAM_SET_OR_SKIP(&self->params, "objects_max", M_OBJECTS_MAX);
	PARAM_SET_OR_SKIP(&self->params, "client_objects_max",
			  M_CLIENT_OBJECTS_MAX);
	PARAM_SET_OR_SKIP(&self->params, "client_handles_max",
			  M_CLIENT_HANDLES_MAX);
	PARAM_SET_OR_SKIP(&self->params, "events_max", M_EVENTS_MAX);

	mobj_note("model: seed %llu, %lu operations, full comparison every %lu\n",
		       (unsigned long long)R->seed, R->nops, R->check_every);
	fflush(stdout);
	rec = malloc((R->nops + 1) * sizeof(*rec));
	ASSERT_NE(NULL, rec);
	t0 = mobj_now_ms();
	if (!run_ops(R, NULL, R->nops, rec, true)) {
		char why[sizeof(R->why)];
		unsigned long f = R->fail_step < R->nops ? R->fail_step :
				  R->nops - 1;

		memcpy(why, R->why, sizeof(why));
		mobj_note("model: FAILED at operation %lu of seed %llu: %s\n",
			       R->fail_step, (unsigned long long)R->seed, why);
		for (k = f > 5 ? f - 5 : 0; k <= f; k++)
			print_op(R, k, &rec[k]);
		fflush(stdout);
		n = R->check_every ? f / R->check_every * R->check_every : 0;
		minimise(R, rec, f, n);
		fflush(stdout);
		ASSERT_TRUE(false) TH_LOG("seed %llu, operation %lu: %s",
					  (unsigned long long)R->seed,
					  R->fail_step, why);
	}
	mobj_note("model: %lu operations in %llu ms: %lu errors expected and seen, %lu collections, %lu forks; issued by main %lu, threads %lu, child %lu\n",
		       R->nops, (unsigned long long)(mobj_now_ms() - t0),
		       R->nerr, R->ncollect, R->nforks, R->nexec[E_MAIN],
		       R->nexec[E_T1] + R->nexec[E_T2], R->nexec[E_CHILD]);
	mobj_note("model: on average %lu objects and %lu handles alive\n",
		       R->live_sum / R->nops, R->handles_sum / R->nops);
	for (k = 0; k < 160; k++)
		if (R->errs[k])
			mobj_note("model: %-8s %lu\n", strerrorname_np(k),
				       R->errs[k]);
	for (k = 0; k <= OP_NR; k++)
		if (R->kind_n[k])
			mobj_note("model: %-14s %7lu x %6llu us, at most %llu us\n",
				       k < OP_NR ? op_name[k] : "(full check)",
				       R->kind_n[k],
				       (unsigned long long)(R->kind_ns[k] /
							    R->kind_n[k] / 1000),
				       (unsigned long long)(R->kind_max[k] / 1000));
	mobj_note("reliability: model_ops=%lu\n", R->nops);
	fflush(stdout);
	free(rec);
}

/* More operations (make stress): a longer timeout. */
static void __attribute__((constructor)) model_timeout(void)
{
	unsigned long ops = env_ul("MOBJ_MODEL_OPS", 200000);

	if (ops > 200000)
		_model_random_workload_object.timeout = 900 * (ops / 200000 + 1);
}

TEST_HARNESS_MAIN
