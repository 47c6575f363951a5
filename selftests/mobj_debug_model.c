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
 */
#include "mobj_test.h"

#include <sched.h>
#include <stdarg.h>


/* The limits the model runs with: module parameters, restored after. */
#define M_DATA_MAX		256
#define M_SLOTS_MAX		12
#define M_OBJECTS_MAX		300
#define M_CLIENT_OBJECTS_MAX	90
#define M_CLIENT_HANDLES_MAX	120
#define M_EVENTS_MAX		16

#define NCLIENTS	5
#define C_CHILD		4	/* the forked child's own client */
#define NSHARED		2	/* clients 0 and 1 are shared with the child */
#define T_BASE		0x6d0000u
#define NTYPES		6
#define NNAMED		3	/* T_BASE .. T_BASE + 2 get names */
#define WEAK_MAX	8	/* weak handles per client */

enum { L_GEN0, L_GEN1, L_GEN2, L_PERM, L_UNTRACKED, L_GARBAGE, L_NR };

/* Model */

struct mobject {
	__u64 id;
	__u32 type;
	bool alive;
	__u8 list;
	__u8 mark;	/* collector scratch */
	__u64 refcount;
	long gc_refs;
	int nslots;
	int slots[M_SLOTS_MAX];
	__u32 data_len;
	__u8 data[M_DATA_MAX];
	int quota;
	int nwatch;
	int alive_pos;
};

enum { H_NONE, H_STRONG, H_WEAK };

struct hent {
	__u8 kind;
	int obj;	/* weak: -1 once the object died */
	int pos;	/* in mclient.live */
};

struct mevent {
	__u64 cookie, id;
	__u32 type, reason, generation;
};

struct watcher {
	int client;
	int obj;
	__u64 cookie;
};

struct mclient {
	bool open;
	int fd;			/* in this process; -1 for the child's client */
	int quota;
	struct hent *tab;
	__u32 tabcap;
	__u8 *used;		/* every handle number ever given out */
	__u32 usedcap;
	__u32 *live;
	int nlive;
	int nweak;
	__u32 closed[16];	/* recently closed handle numbers */
	int nclosed;
	bool ring;		/* an event ring was allocated (first WATCH) */
	__u32 queued;		/* records in the kernel's queue */
	__u64 lost;
	struct mevent *cand;	/* what may be queued (exact without loss) */
	int ncand, candcap;
	bool posted;		/* events posted this step */
};

struct model {
	struct mobject *obj;
	int nobj, objcap;
	int *freelist;
	int nfree, freecap;
	int *alive;		/* indexes of the live objects */
	int nalive;
	struct mclient cl[NCLIENTS];
	struct watcher *w;
	int nw, wcap;
	__u64 *quota;		/* live objects per quota (client instance) */
	int nquota, quotacap;
	__u64 handles;
	__u32 enabled, debug, threshold[3];
	__u64 count[3];
	__u64 collections[3], collected[3];
	__u64 list_count[L_NR];
	char names[NNAMED][MOBJ_TYPE_NAME_MAX];
	__u64 edges;
};

/* One operation: a kind and the random numbers it is resolved with. */
struct op {
	__u16 kind;
	__u16 exec;
	__u32 r[8];
};

/* Executors: an ioctl or read() issued by a thread or by the child. */

enum { X_IOCTL, X_READ };
enum { M_NORMAL, M_NULL, M_RO };
enum { E_MAIN, E_T1, E_T2, E_CHILD, E_NR };

#define XBUF	4096
#define BAD_PTR	(-1)

struct exec {
	int kind;
	int client;
	int fd;			/* the executor's fd; -1: the child's own */
	unsigned long cmd;
	int mode;
	__u32 arg_len;
	__u8 arg[128] __attribute__((aligned(8)));
	int npatch;
	struct {
		__u16 off;	/* a __u64 pointer field in arg */
		int buf;	/* offset in buf, or BAD_PTR */
	} patch[2];
	__u32 read_len;
	int rc;
	__u8 buf[XBUF] __attribute__((aligned(8)));
};

struct worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct exec *job;
	bool done;
	bool quit;
};

struct run {
	struct __test_metadata *meta;
	struct model m;
	__u64 seed;
	unsigned long step;
	unsigned long nops;
	unsigned long check_every;
	bool verbose;
	bool failed;
	char why[1024];
	unsigned long fail_step;
	/* the device */
	__u64 base_live, base_handles;
	__u64 base_collections[3], base_collected[3];
	bool has_batch;
	/* executors */
	struct worker wk[2];
	pid_t child;
	int to_child, from_child;
	__u8 *ro_page;
	void *bad;
	/* counters */
	unsigned long nexec[E_NR];
	unsigned long nerr;
	unsigned long ncollect;
	unsigned long nforks;
	unsigned long errs[160];
	unsigned long live_sum, handles_sum;
	__u64 kind_ns[32], kind_max[32];
	unsigned long kind_n[32];
};

static struct exec xs;		/* the one exec in flight */

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

static void fail(struct run *R, const char *fmt, ...)
{
	va_list ap;

	if (R->failed)
		return;
	R->failed = true;
	R->fail_step = R->step;
	va_start(ap, fmt);
	vsnprintf(R->why, sizeof(R->why), fmt, ap);
	va_end(ap);
}

#define CHECK(R, cond, fmt, ...) do { \
	if (!(cond)) \
		fail(R, "step %lu: " fmt, (R)->step, ##__VA_ARGS__); \
} while (0)

/* Deterministic randomness: splitmix64 */
static __u64 rng_next(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void *grow(void *p, int *cap, int need, size_t size)
{
	int n = *cap ? *cap : 16;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	p = realloc(p, n * size);
	if (!p)
		abort();
	memset((char *)p + *cap * size, 0, (n - *cap) * size);
	*cap = n;
	return p;
}

/* Model: objects, handles */

static struct mobject *O(struct model *m, int i)
{
	return &m->obj[i];
}

static int obj_new(struct model *m)
{
	int i;

	if (m->nfree) {
		i = m->freelist[--m->nfree];
	} else {
		m->obj = grow(m->obj, &m->objcap, m->nobj + 1, sizeof(*m->obj));
		i = m->nobj++;
	}
	memset(&m->obj[i], 0, sizeof(m->obj[i]));
	m->alive = realloc(m->alive, (m->nalive + 1) * sizeof(int));
	m->obj[i].alive_pos = m->nalive;
	m->alive[m->nalive++] = i;
	m->obj[i].alive = true;
	return i;
}

static struct hent *hent(struct mclient *c, __u32 h)
{
	static struct hent none = { .kind = H_NONE };

	if (h >= c->tabcap || c->tab[h].kind == H_NONE)
		return &none;
	return &c->tab[h];
}

static bool handle_used(struct mclient *c, __u32 h)
{
	return h < c->usedcap * 8 && (c->used[h / 8] & (1 << (h % 8)));
}

static void handle_add(struct model *m, struct mclient *c, __u32 h, int kind,
		       int obj)
{
	if (h >= c->tabcap) {
		__u32 n = c->tabcap ? c->tabcap : 256;

		while (n <= h)
			n *= 2;
		c->tab = realloc(c->tab, n * sizeof(*c->tab));
		memset(c->tab + c->tabcap, 0, (n - c->tabcap) * sizeof(*c->tab));
		c->tabcap = n;
	}
	if (h / 8 >= c->usedcap) {
		__u32 n = c->usedcap ? c->usedcap : 64;

		while (n <= h / 8)
			n *= 2;
		c->used = realloc(c->used, n);
		memset(c->used + c->usedcap, 0, n - c->usedcap);
		c->usedcap = n;
	}
	c->used[h / 8] |= 1 << (h % 8);
	c->tab[h].kind = kind;
	c->tab[h].obj = obj;
	c->live = realloc(c->live, (c->nlive + 1) * sizeof(*c->live));
	c->tab[h].pos = c->nlive;
	c->live[c->nlive++] = h;
	if (kind == H_WEAK)
		c->nweak++;
	m->handles++;
}

static void handle_del(struct model *m, struct mclient *c, __u32 h)
{
	struct hent *e = &c->tab[h];
	__u32 last = c->live[--c->nlive];

	c->live[e->pos] = last;
	c->tab[last].pos = e->pos;
	if (e->kind == H_WEAK)
		c->nweak--;
	e->kind = H_NONE;
	c->closed[c->nclosed++ % 16] = h;
	m->handles--;
}

static void list_set(struct model *m, struct mobject *o, int list)
{
	m->list_count[o->list]--;
	m->list_count[list]++;
	o->list = list;
}

static void post(struct model *m, struct mclient *c, const struct mevent *ev)
{
	/* the ring is full: the notice is counted as lost */
	if (c->queued == M_EVENTS_MAX)
		c->lost++;
	else
		c->queued++;
	c->cand = grow(c->cand, &c->candcap, c->ncand + 1, sizeof(*ev));
	c->cand[c->ncand++] = *ev;
	c->posted = true;
}

/* An object dies: tell its observers, drop it from every list. */
static void obj_destroy(struct model *m, int i, __u32 reason, __u32 gen)
{
	struct mobject *o = O(m, i);
	int k, j;
	__u32 h;

	for (k = 0; k < m->nw; k++) {
		if (m->w[k].obj != i)
			continue;
		post(m, &m->cl[m->w[k].client], &(struct mevent) {
			.cookie = m->w[k].cookie, .id = o->id, .type = o->type,
			.reason = reason, .generation = gen });
		m->w[k--] = m->w[--m->nw];
	}
	for (k = 0; k < NCLIENTS; k++) {
		struct mclient *c = &m->cl[k];

		if (!c->open || !c->nweak)
			continue;
		for (j = 0; j < c->nlive; j++) {
			h = c->live[j];
			if (c->tab[h].kind == H_WEAK && c->tab[h].obj == i)
				c->tab[h].obj = -1;
		}
	}
	m->quota[o->quota]--;
	m->list_count[o->list]--;
	if (m->count[0])
		m->count[0]--;
	o->alive = false;
	k = o->alive_pos;
	m->alive[k] = m->alive[--m->nalive];
	O(m, m->alive[k])->alive_pos = k;
	m->freelist = grow(m->freelist, &m->freecap, m->nfree + 1, sizeof(int));
	m->freelist[m->nfree++] = i;
}

/* Drop a reference; free what dies (mobj_obj_put, mobj_release_dead). */
static void obj_put(struct model *m, int i)
{
	int *stack = NULL, n = 0, cap = 0, t;
	struct mobject *o;

	if (--O(m, i)->refcount)
		return;
	stack = grow(stack, &cap, 1, sizeof(int));
	stack[n++] = i;
	while (n) {
		i = stack[--n];
		o = O(m, i);
		while (o->nslots) {
			t = o->slots[--o->nslots];
			m->edges--;
			if (--O(m, t)->refcount)
				continue;
			stack = grow(stack, &cap, n + 1, sizeof(int));
			stack[n++] = t;
		}
		obj_destroy(m, i, MOBJ_EVENT_REFCOUNT, 0);
	}
	free(stack);
}

static void entry_drop(struct model *m, struct hent *e)
{
	if (e->kind == H_STRONG)
		obj_put(m, e->obj);
}

static void slot_append(struct model *m, int a, int b)
{
	struct mobject *o = O(m, a);

	o->slots[o->nslots++] = b;
	O(m, b)->refcount++;
	m->edges++;
	if (o->list == L_UNTRACKED)
		list_set(m, o, L_GEN0);
}

/*
 * The collector over @young (objects with mark 1): CPython's algorithm.
 * Survivors go to @to (or leave the lists without slots); the garbage is
 * saved or freed.  Returns the number found unreachable.
 */
static __u64 sweep(struct model *m, int to, __u32 generation, bool save)
{
	int *queue, nq = 0, head = 0, i, k, j, t;
	__u64 unreachable = 0;
	struct mobject *o;

	queue = malloc((m->nalive + 1) * sizeof(int));
	for (k = 0; k < m->nalive; k++) {
		o = O(m, m->alive[k]);
		if (o->mark)
			o->gc_refs = o->refcount;
	}
	for (k = 0; k < m->nalive; k++) {
		o = O(m, m->alive[k]);
		if (!o->mark)
			continue;
		for (j = 0; j < o->nslots; j++)
			if (O(m, o->slots[j])->mark)
				O(m, o->slots[j])->gc_refs--;
	}
	/* mark 2: reachable */
	for (k = 0; k < m->nalive; k++) {
		o = O(m, m->alive[k]);
		if (o->mark && o->gc_refs > 0) {
			o->mark = 2;
			queue[nq++] = m->alive[k];
		}
	}
	while (head < nq) {
		o = O(m, queue[head++]);
		for (j = 0; j < o->nslots; j++) {
			t = o->slots[j];
			if (O(m, t)->mark == 1) {
				O(m, t)->mark = 2;
				queue[nq++] = t;
			}
		}
	}
	/* survivors */
	nq = 0;
	for (k = 0; k < m->nalive; k++) {
		i = m->alive[k];
		o = O(m, i);
		if (o->mark == 2) {
			o->mark = 0;
			list_set(m, o, o->nslots ? to : L_UNTRACKED);
		} else if (o->mark == 1) {
			queue[nq++] = i;
			unreachable++;
		}
	}
	if (save) {
		for (k = 0; k < nq; k++) {
			o = O(m, queue[k]);
			o->mark = 0;
			o->refcount++;
			list_set(m, o, L_GARBAGE);
		}
		free(queue);
		return unreachable;
	}
	for (k = 0; k < nq; k++) {
		o = O(m, queue[k]);
		while (o->nslots) {
			t = o->slots[--o->nslots];
			m->edges--;
			if (O(m, t)->mark == 1)
				O(m, t)->refcount--;
			else
				obj_put(m, t);
		}
	}
	for (k = 0; k < nq; k++) {
		O(m, queue[k])->mark = 0;
		obj_destroy(m, queue[k], MOBJ_EVENT_CYCLE, generation);
	}
	free(queue);
	return unreachable;
}

static void model_collect(struct model *m, int g, __u64 *collected,
			  __u64 *examined)
{
	int k, i;

	if (g + 1 < 3)
		m->count[g + 1]++;
	for (i = 0; i <= g; i++)
		m->count[i] = 0;
	*examined = 0;
	for (k = 0; k < m->nalive; k++) {
		struct mobject *o = O(m, m->alive[k]);

		if (o->list <= g) {
			o->mark = 1;
			(*examined)++;
		}
	}
	*collected = sweep(m, g + 1 < 2 ? g + 1 : 2, g,
			   m->debug & MOBJ_GC_DEBUG_SAVEALL);
	m->collections[g]++;
	m->collected[g] += *collected;
}

static void model_garbage_clear(struct model *m)
{
	int k;

	for (k = 0; k < m->nalive; k++) {
		struct mobject *o = O(m, m->alive[k]);

		if (o->list == L_GARBAGE) {
			o->refcount--;
			o->mark = 1;
		}
	}
	sweep(m, L_GEN2, 2, false);
}

/* A client goes away: watches, then every handle in handle order. */
static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static void model_release(struct model *m, int ci)
{
	struct mclient *c = &m->cl[ci];
	__u32 *hs;
	int k, n;

	for (k = 0; k < m->nw; k++) {
		if (m->w[k].client != ci)
			continue;
		O(m, m->w[k].obj)->nwatch--;
		m->w[k--] = m->w[--m->nw];
	}
	n = c->nlive;
	hs = malloc((n + 1) * sizeof(*hs));
	memcpy(hs, c->live, n * sizeof(*hs));
	qsort(hs, n, sizeof(*hs), cmp_u32);
	for (k = 0; k < n; k++) {
		struct hent e = c->tab[hs[k]];

		handle_del(m, c, hs[k]);
		entry_drop(m, &e);
	}
	free(hs);
	free(c->tab);
	free(c->used);
	free(c->live);
	free(c->cand);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void model_open(struct model *m, int ci, int fd)
{
	struct mclient *c = &m->cl[ci];

	memset(c, 0, sizeof(*c));
	c->open = true;
	c->fd = fd;
	m->quota = grow(m->quota, &m->quotacap, m->nquota + 1, sizeof(__u64));
	c->quota = m->nquota++;
}

/* Executors */

static void exec_here(struct exec *x, __u8 *ro_page, void *bad)
{
	void *arg = x->arg;
	int i, fd = x->fd;
	ssize_t n;

	for (i = 0; i < x->npatch; i++) {
		__u64 p = x->patch[i].buf == BAD_PTR ?
			  (__u64)(unsigned long)bad :
			  (__u64)(unsigned long)(x->buf + x->patch[i].buf);

		memcpy(x->arg + x->patch[i].off, &p, sizeof(p));
	}
	if (x->kind == X_READ) {
		n = read(fd, x->buf, x->read_len);
		x->rc = n < 0 ? -errno : (int)n;
		return;
	}
	if (x->mode == M_NULL) {
		arg = NULL;
	} else if (x->mode == M_RO) {
		mprotect(ro_page, 4096, PROT_READ | PROT_WRITE);
		memcpy(ro_page, x->arg, x->arg_len);
		mprotect(ro_page, 4096, PROT_READ);
		arg = ro_page;
	}
	x->rc = ioctl(fd, x->cmd, arg) < 0 ? -errno : 0;
	if (x->mode == M_RO) {
		memcpy(x->arg, ro_page, x->arg_len);
		mprotect(ro_page, 4096, PROT_READ | PROT_WRITE);
	}
}

static void *worker_main(void *p)
{
	struct worker *w = p;
	__u8 *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->job && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->quit)
			break;
		pthread_mutex_unlock(&w->lock);
		exec_here(w->job, ro, bad);
		pthread_mutex_lock(&w->lock);
		w->job = NULL;
		w->done = true;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void worker_run(struct worker *w, struct exec *x)
{
	pthread_mutex_lock(&w->lock);
	w->done = false;
	w->job = x;
	pthread_cond_broadcast(&w->cond);
	while (!w->done)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

/* All of @len bytes through the pipe to or from the child, or -1. */
static int full_io(int fd, void *p, size_t len, bool out)
{
	char *c = p;
	ssize_t n;

	while (len) {
		n = out ? write(fd, c, len) : read(fd, c, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c += n;
		len -= n;
	}
	return 0;
}

static int full_write(int fd, const void *p, size_t len)
{
	return full_io(fd, (void *)p, len, true);
}

static int full_read(int fd, void *p, size_t len)
{
	return full_io(fd, p, len, false);
}

/* Messages to the child */
enum { CM_EXEC = 1, CM_EXIT };

static void child_main(int in, int out, const int *keep, int nkeep)
{
	static struct exec x;
	__u8 *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	int own, msg, fd, k;
	bool mine;

	/* Only the shared clients stay open here. */
	for (fd = 3; fd < 1024; fd++) {
		mine = fd == in || fd == out;
		for (k = 0; k < nkeep; k++)
			mine |= fd == keep[k];
		if (!mine && fcntl(fd, F_GETFD) >= 0) {
			char path[64], target[64] = "";

			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			if (readlink(path, target, sizeof(target) - 1) > 0 &&
			    strstr(target, "mobj"))
				close(fd);
		}
	}
	own = mobj_dev_open();
	if (own >= 0)
		fcntl(own, F_SETFL, O_NONBLOCK);
	if (full_write(out, &own, sizeof(own)))
		_exit(1);
	for (;;) {
		if (full_read(in, &msg, sizeof(msg)))
			_exit(1);
		if (msg == CM_EXIT) {
			close(own);
			k = 0;
			full_write(out, &k, sizeof(k));
			_exit(0);
		}
		if (full_read(in, &x, sizeof(x)))
			_exit(1);
		if (x.fd < 0)
			x.fd = own;
		exec_here(&x, ro, bad);
		if (full_write(out, &x, sizeof(x)))
			_exit(1);
	}
}

static void child_stop(struct run *R)
{
	int msg = CM_EXIT, k;

	if (R->child <= 0)
		return;
	full_write(R->to_child, &msg, sizeof(msg));
	full_read(R->from_child, &k, sizeof(k));
	waitpid(R->child, NULL, 0);
	close(R->to_child);
	close(R->from_child);
	R->child = 0;
	if (R->m.cl[C_CHILD].open)
		model_release(&R->m, C_CHILD);
}

static int child_start(struct run *R)
{
	int down[2], up[2], keep[NSHARED], k, own;

	for (k = 0; k < NSHARED; k++)
		keep[k] = R->m.cl[k].fd;
	if (pipe2(down, O_CLOEXEC) || pipe2(up, O_CLOEXEC))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	R->child = fork();
	if (R->child < 0)
		return -errno;
	if (!R->child) {
		close(down[1]);
		close(up[0]);
		child_main(down[0], up[1], keep, NSHARED);
	}
	close(down[0]);
	close(up[1]);
	R->to_child = down[1];
	R->from_child = up[0];
	if (full_read(R->from_child, &own, sizeof(own)) || own < 0)
		return -EIO;
	model_open(&R->m, C_CHILD, -1);
	R->nforks++;
	return 0;
}

static void run_exec(struct run *R, int executor)
{
	struct exec *x = &xs;
	int msg = CM_EXEC;

	if (x->client == C_CHILD)
		executor = E_CHILD;
	if (executor == E_CHILD && x->client >= NSHARED && x->client != C_CHILD)
		executor = E_MAIN;
	if (executor == E_CHILD && R->child <= 0)
		executor = E_MAIN;
	x->fd = x->client == C_CHILD ? -1 : R->m.cl[x->client].fd;
	R->nexec[executor]++;
	switch (executor) {
	case E_MAIN:
		exec_here(x, R->ro_page, R->bad);
		break;
	case E_T1:
	case E_T2:
		worker_run(&R->wk[executor - E_T1], x);
		break;
	case E_CHILD:
		if (full_write(R->to_child, &msg, sizeof(msg)) ||
		    full_write(R->to_child, x, sizeof(*x)) ||
		    full_read(R->from_child, x, sizeof(*x))) {
			fail(R, "step %lu: the child died", R->step);
			x->rc = -EIO;
		}
		break;
	}
}

/* Building calls */

static void x_init(int client, unsigned long cmd, const void *arg,
		   size_t len)
{
	memset(&xs, 0, offsetof(struct exec, buf));
	xs.kind = X_IOCTL;
	xs.client = client;
	xs.cmd = cmd;
	xs.arg_len = len;
	memcpy(xs.arg, arg, len);
}

static void x_patch(size_t off, int buf)
{
	xs.patch[xs.npatch].off = off;
	xs.patch[xs.npatch].buf = buf;
	xs.npatch++;
}

/*
 * What the dispatcher and the generic checks make of a call, before the
 * command's own checks: a mutation of the size, flags or reserved field,
 * an unknown command, a NULL pointer.  Returns the errno the model expects
 * from the mutation, 0 when the call goes on, or 1 when it goes on with a
 * read-only struct.
 */
enum {
	MUT_NONE, MUT_SMALL, MUT_BIG_DIRTY, MUT_BIG_CLEAN, MUT_FLAGS,
	MUT_RESERVED, MUT_NULL, MUT_RO, MUT_ENOTTY, MUT_NR
};

static const char *const mut_name[MUT_NR] = {
	"", " [size-1]", " [size+8, dirty]", " [size+8]", " [bad flags]",
	" [reserved]", " [NULL]", " [read-only]", " [ENOTTY]",
};

/*
 * The shortest struct a command takes: its size, but QUERY grew (it still
 * takes the struct that ends at __reserved2, and answers that much).
 */
static size_t min_size(unsigned long cmd, size_t size)
{
	if (cmd == MOBJ_QUERY)
		return offsetofend(struct mobj_query, __reserved2);
	return size;
}

static int mutate(int mut, unsigned long cmd, size_t size, int reserved_off,
		  __u32 bad_flag)
{
	__u32 usize;

	switch (mut) {
	case MUT_SMALL:
		usize = min_size(cmd, size) - 1;
		memcpy(xs.arg, &usize, 4);
		return -EINVAL;
	case MUT_BIG_DIRTY:
		usize = size + 8;
		memcpy(xs.arg, &usize, 4);
		xs.arg[size + 5] = 0x5a;
		xs.arg_len = size + 8;
		return -E2BIG;
	case MUT_BIG_CLEAN:
		usize = size + 8;
		memcpy(xs.arg, &usize, 4);
		xs.arg_len = size + 8;
		return 0;
	case MUT_FLAGS:
		memcpy(xs.arg + 4, &bad_flag, 4);
		return -EINVAL;
	case MUT_RESERVED:
		if (reserved_off < 0)
			return 0;
		xs.arg[reserved_off] = 1;
		return -EINVAL;
	case MUT_NULL:
		xs.mode = M_NULL;
		return -EFAULT;
	case MUT_RO:
		xs.mode = M_RO;
		return 1;
	case MUT_ENOTTY:
		xs.cmd = _IOWR(MOBJ_TYPE, _IOC_NR(xs.cmd), __u64);
		return -ENOTTY;
	}
	return 0;
}

/* Tail bytes past a clean larger struct must stay zero. */
static bool tail_clean(size_t size)
{
	size_t i;

	for (i = size; i < xs.arg_len; i++)
		if (xs.arg[i])
			return false;
	return true;
}

/* Resolving random numbers against the model */

/*
 * Who issues the call: mostly the main thread; hand-offs to a thread or to
 * the child cost two context switches each.
 */
static int pick_exec(struct run *R, const struct op *op, int client)
{
	int e = op->exec % 100;

	if (client == C_CHILD)
		return E_CHILD;
	if (e < 91)
		return E_MAIN;
	if (e < 97)
		return E_T1 + (e & 1);
	return client < NSHARED ? E_CHILD : E_MAIN;
}

/* Clients 0 and 1 (shared with the child) 30% each, 2 and 3 18%, 4 4%. */
static int pick_client(struct run *R, __u32 r)
{
	static const int cum[NCLIENTS] = { 30, 60, 78, 96, 100 };
	int c;

	for (c = 0; c < NCLIENTS; c++)
		if ((int)(r % 100) < cum[c])
			break;
	if (!R->m.cl[c].open)
		c = 0;
	return c;
}

/* A handle number for client @c: mostly a live one, sometimes not. */
static __u32 pick_handle(struct run *R, int ci, __u32 r, __u32 r2,
			 bool prefer_strong)
{
	struct mclient *c = &R->m.cl[ci];
	int k, o;
	__u32 h;

	k = r % 100;
	if (k < 90 && c->nlive) {
		h = c->live[r2 % c->nlive];
		if (prefer_strong && c->tab[h].kind == H_WEAK && (r2 & 0x10000))
			h = c->live[(r2 >> 8) % c->nlive];
		return h;
	}
	if (k < 93 && c->nclosed)
		return c->closed[r2 % (c->nclosed < 16 ? c->nclosed : 16)];
	if (k < 96) {
		o = (ci + 1 + r2 % (NCLIENTS - 1)) % NCLIENTS;
		if (R->m.cl[o].open && R->m.cl[o].nlive)
			return R->m.cl[o].live[(r2 >> 4) % R->m.cl[o].nlive];
	}
	switch (r2 % 5) {
	case 0:
		return 0;
	case 1:
		return INT_MAX;
	case 2:
		return 0xffffffffu;
	case 3:
		return MOBJ_BATCH_RESULT(0);
	default:
		return 1 + r2 % 300;
	}
}

/* The object behind a strong handle, or -ENOENT / -EINVAL. */
static int lookup_strong(struct model *m, int ci, __u32 h, int *obj)
{
	struct hent *e = hent(&m->cl[ci], h);

	if (e->kind == H_NONE)
		return -ENOENT;
	if (e->kind == H_WEAK)
		return -EINVAL;
	*obj = e->obj;
	return 0;
}

static int reserve_ok(struct model *m, int ci, int n)
{
	return m->cl[ci].nlive + n <= M_CLIENT_HANDLES_MAX ? 0 : -EMFILE;
}

/* Checks of the answers */

static void check_new_handle(struct run *R, int ci, __u32 h, const char *what)
{
	struct mclient *c = &R->m.cl[ci];

	CHECK(R, h && h <= INT_MAX, "%s: handle %u out of range", what, h);
	CHECK(R, !handle_used(c, h), "%s: handle %u given out before", what,
	      h);
}

static void check_rc(struct run *R, int got, int want, const char *what)
{
	CHECK(R, got == want, "%s: returned %d (%s), the model says %d (%s)",
	      what, got, got < 0 ? strerror(-got) : "ok", want,
	      want < 0 ? strerror(-want) : "ok");
}

static __u32 model_state(const struct mobject *o)
{
	__u32 s = o->nwatch ? MOBJ_STATE_WATCHED : 0;

	switch (o->list) {
	case L_PERM:
		s |= MOBJ_STATE_FROZEN;
		__attribute__((fallthrough));
	case L_GEN0:
	case L_GEN1:
	case L_GEN2:
		s |= MOBJ_STATE_TRACKED;
		break;
	case L_GARBAGE:
		s |= MOBJ_STATE_GARBAGE | MOBJ_STATE_TRACKED;
		break;
	}
	return s;
}

static __u32 model_generation(const struct mobject *o)
{
	return o->list <= L_PERM ? o->list : 0;
}

static void check_info(struct run *R, const struct mobj_info *in, int obj,
		       const char *what)
{
	const struct mobject *o = O(&R->m, obj);

	CHECK(R, in->id == o->id && in->type == o->type &&
	      in->refcount == o->refcount && in->data_len == o->data_len &&
	      in->nslots == (__u32)o->nslots &&
	      in->generation == model_generation(o) &&
	      in->state == model_state(o),
	      "%s: INFO id %llu type %#x refcount %llu len %u slots %u gen %u state %#x, the model says id %llu type %#x refcount %llu len %u slots %d gen %u state %#x",
	      what, in->id, in->type, in->refcount, in->data_len, in->nslots,
	      in->generation, in->state, o->id, o->type, o->refcount,
	      o->data_len, o->nslots, model_generation(o), model_state(o));
}

/* Issue a call and compare the return value */
static int issue(struct run *R, const struct op *op, int client, int want,
		 const char *what)
{
	run_exec(R, pick_exec(R, op, client));
	if (xs.rc)
		R->nerr++;
	if (xs.rc < 0 && xs.rc > -160)
		R->errs[-xs.rc]++;
	check_rc(R, xs.rc, want, what);
	return xs.rc;
}

/* QUERY from client @ci against the model. */
static void check_query(struct run *R, int ci)
{
	struct mobj_query q = { .size = sizeof(q) };
	struct model *m = &R->m;
	struct op none = { 0 };

	x_init(ci, MOBJ_QUERY, &q, sizeof(q));
	run_exec(R, pick_exec(R, &none, ci));
	memcpy(&q, xs.arg, sizeof(q));
	CHECK(R, !xs.rc, "QUERY failed: %d", xs.rc);
	CHECK(R, q.live_objects == R->base_live + m->nalive &&
	      q.live_handles == R->base_handles + m->handles &&
	      q.client_objects == m->quota[m->cl[ci].quota] &&
	      q.client_handles == (__u64)m->cl[ci].nlive,
	      "QUERY of client %d: objects %llu handles %llu client objects %llu handles %llu, the model says %llu %llu %llu %d",
	      ci, q.live_objects, q.live_handles, q.client_objects,
	      q.client_handles, R->base_live + m->nalive,
	      R->base_handles + m->handles, m->quota[m->cl[ci].quota],
	      m->cl[ci].nlive);
}

static int ev_cmp(const void *a, const void *b)
{
	const struct mevent *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->cookie != y->cookie)
		return x->cookie < y->cookie ? -1 : 1;
	if (x->reason != y->reason)
		return x->reason < y->reason ? -1 : 1;
	return (int)x->generation - (int)y->generation;
}

/* Read every queued death notice of client @ci and compare. */
static void drain_events(struct run *R, int ci)
{
	struct mclient *c = &R->m.cl[ci];
	struct mevent *got = NULL;
	int ngot = 0, gotcap = 0, i, j, n;
	__u64 lost = 0;
	struct op none = { 0 };
	struct mobj_event *ev;

	for (;;) {
		memset(&xs, 0, offsetof(struct exec, buf));
		xs.kind = X_READ;
		xs.client = ci;
		xs.read_len = 32 * sizeof(struct mobj_event);
		run_exec(R, pick_exec(R, &none, ci));
		if (xs.rc == -EAGAIN)
			break;
		if (xs.rc < 0 || xs.rc % sizeof(struct mobj_event)) {
			fail(R, "step %lu: read of client %d: %d", R->step, ci,
			     xs.rc);
			return;
		}
		n = xs.rc / sizeof(struct mobj_event);
		ev = (struct mobj_event *)xs.buf;
		for (i = 0; i < n; i++) {
			if (ev[i].reason == MOBJ_EVENT_LOST) {
				CHECK(R, !lost, "two LOST records");
				lost = ev[i].lost;
				continue;
			}
			CHECK(R, !lost, "an event after the LOST record");
			CHECK(R, !ev[i].__reserved && !ev[i].lost,
			      "event with non-zero reserved fields");
			got = grow(got, &gotcap, ngot + 1, sizeof(*got));
			got[ngot++] = (struct mevent) {
				.cookie = ev[i].cookie, .id = ev[i].id,
				.type = ev[i].type, .reason = ev[i].reason,
				.generation = ev[i].generation };
		}
	}
	CHECK(R, (__u64)ngot == c->queued && lost == c->lost,
	      "client %d: %d events and %llu lost read, the model says %u and %llu",
	      ci, ngot, lost, c->queued, c->lost);
	/* What was read is part of what was posted (all of it, if none lost). */
	qsort(got, ngot, sizeof(*got), ev_cmp);
	qsort(c->cand, c->ncand, sizeof(*c->cand), ev_cmp);
	for (i = 0, j = 0; i < ngot && !R->failed; i++) {
		while (j < c->ncand && ev_cmp(&c->cand[j], &got[i]) < 0)
			j++;
		CHECK(R, j < c->ncand && !ev_cmp(&c->cand[j], &got[i]),
		      "client %d: unexpected event id %llu cookie %llu reason %u gen %u",
		      ci, got[i].id, got[i].cookie, got[i].reason,
		      got[i].generation);
		j++;
	}
	free(got);
	c->ncand = 0;
	c->queued = 0;
	c->lost = 0;
	c->posted = false;
}

/* Every weak handle of every client is alive exactly when the model says. */
static void check_weak(struct run *R)
{
	struct model *m = &R->m;
	struct mobj_weakref wr;
	struct mobj_info info;
	struct mobj_close cl;
	struct op none = { 0 };
	int ci, k, want;
	__u32 h;

	for (ci = 0; ci < NCLIENTS && !R->failed; ci++) {
		struct mclient *c = &m->cl[ci];

		if (!c->open || !c->nweak)
			continue;
		for (k = 0; k < c->nlive && !R->failed; k++) {
			h = c->live[k];
			if (c->tab[h].kind != H_WEAK)
				continue;
			wr = (struct mobj_weakref) { .size = sizeof(wr),
						     .handle = h };
			x_init(ci, MOBJ_WEAKREF_GET, &wr, sizeof(wr));
			want = c->tab[h].obj < 0 ? -ESTALE :
			       reserve_ok(m, ci, 1);
			run_exec(R, pick_exec(R, &none, ci));
			check_rc(R, xs.rc, want, "WEAKREF_GET after collect");
			if (xs.rc)
				continue;
			memcpy(&wr, xs.arg, sizeof(wr));
			check_new_handle(R, ci, wr.result, "WEAKREF_GET");
			handle_add(m, c, wr.result, H_STRONG, c->tab[h].obj);
			O(m, c->tab[h].obj)->refcount++;
			info = (struct mobj_info) { .size = sizeof(info),
						    .handle = wr.result };
			x_init(ci, MOBJ_INFO, &info, sizeof(info));
			run_exec(R, pick_exec(R, &none, ci));
			memcpy(&info, xs.arg, sizeof(info));
			CHECK(R, !xs.rc, "INFO after WEAKREF_GET: %d", xs.rc);
			if (!xs.rc)
				check_info(R, &info, c->tab[h].obj,
					   "weak reference after collect");
			cl = (struct mobj_close) { .size = sizeof(cl),
						   .handle = wr.result };
			x_init(ci, MOBJ_CLOSE, &cl, sizeof(cl));
			run_exec(R, pick_exec(R, &none, ci));
			CHECK(R, !xs.rc, "CLOSE after WEAKREF_GET: %d", xs.rc);
			{
				struct hent e = c->tab[wr.result];

				handle_del(m, c, wr.result);
				entry_drop(m, &e);
			}
		}
	}
}

static int u64_cmp(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Everything, for every handle of every client. */
static void full_check(struct run *R)
{
	struct model *m = &R->m;
	struct mobj_gc_state gs;
	struct mobj_gc_stats st;
	struct op none = { 0 };
	unsigned long long objs, hs, edges;
	__u64 want[M_SLOTS_MAX * M_OBJECTS_MAX], *ids;
	char buf[4096];
	int ci, k, j, n, i;
	__u32 h;

	for (ci = 0; ci < NCLIENTS && !R->failed; ci++) {
		struct mclient *c = &m->cl[ci];

		if (!c->open)
			continue;
		check_query(R, ci);
		for (k = 0; k < c->nlive && !R->failed; k++) {
			struct mobj_info info = { .size = sizeof(info) };
			struct mobj_refs refs = { .size = sizeof(refs) };
			struct mobj_data_read dr = { .size = sizeof(dr) };
			const struct mobject *o;

			h = c->live[k];
			info.handle = h;
			x_init(ci, MOBJ_INFO, &info, sizeof(info));
			run_exec(R, pick_exec(R, &none, ci));
			if (c->tab[h].kind == H_WEAK) {
				check_rc(R, xs.rc, -EINVAL, "INFO of a weak handle");
				continue;
			}
			check_rc(R, xs.rc, 0, "INFO (full check)");
			memcpy(&info, xs.arg, sizeof(info));
			check_info(R, &info, c->tab[h].obj, "full check");
			o = O(m, c->tab[h].obj);

			refs.handle = h;
			refs.count = XBUF / 8;
			x_init(ci, MOBJ_REFERENTS, &refs, sizeof(refs));
			x_patch(offsetof(struct mobj_refs, ids), 0);
			run_exec(R, pick_exec(R, &none, ci));
			memcpy(&refs, xs.arg, sizeof(refs));
			ids = (__u64 *)xs.buf;
			CHECK(R, !xs.rc && refs.count == (__u32)o->nslots,
			      "REFERENTS (full check): %d, %u slots, the model says %d",
			      xs.rc, refs.count, o->nslots);
			for (j = 0; j < o->nslots && !R->failed; j++)
				CHECK(R, ids[j] == O(m, o->slots[j])->id,
				      "slot %d of %llu is %llu, the model says %llu",
				      j, o->id, ids[j], O(m, o->slots[j])->id);

			/* referrers, as multisets */
			n = 0;
			for (i = 0; i < m->nalive; i++) {
				const struct mobject *p = O(m, m->alive[i]);

				for (j = 0; j < p->nslots; j++)
					if (p->slots[j] == c->tab[h].obj)
						want[n++] = p->id;
			}
			refs = (struct mobj_refs) { .size = sizeof(refs),
						    .handle = h,
						    .count = XBUF / 8 };
			x_init(ci, MOBJ_REFERRERS, &refs, sizeof(refs));
			x_patch(offsetof(struct mobj_refs, ids), 0);
			run_exec(R, pick_exec(R, &none, ci));
			memcpy(&refs, xs.arg, sizeof(refs));
			CHECK(R, !xs.rc && refs.count == (__u32)n,
			      "REFERRERS of %llu: %d, %u, the model says %d",
			      o->id, xs.rc, refs.count, n);
			if (!R->failed && n) {
				qsort(want, n, 8, u64_cmp);
				qsort(xs.buf, n, 8, u64_cmp);
				CHECK(R, !memcmp(want, xs.buf, n * 8),
				      "REFERRERS of %llu differ", o->id);
			}

			dr.handle = h;
			dr.len = M_DATA_MAX;
			x_init(ci, MOBJ_DATA_READ, &dr, sizeof(dr));
			x_patch(offsetof(struct mobj_data_read, data), 0);
			run_exec(R, pick_exec(R, &none, ci));
			memcpy(&dr, xs.arg, sizeof(dr));
			CHECK(R, !xs.rc && dr.data_len == o->data_len &&
			      dr.len == o->data_len &&
			      !memcmp(xs.buf, o->data, o->data_len),
			      "payload of %llu differs (%d, %u bytes)", o->id,
			      xs.rc, dr.len);
		}
	}
	if (R->failed)
		return;
	/* the collector */
	ci = 0;
	x_init(ci, MOBJ_GC_GET, &(struct mobj_gc_state){ .size = sizeof(gs) },
	       sizeof(gs));
	run_exec(R, E_MAIN);
	memcpy(&gs, xs.arg, sizeof(gs));
	CHECK(R, !xs.rc && gs.enabled == m->enabled && gs.debug == m->debug &&
	      !memcmp(gs.threshold, m->threshold, sizeof(gs.threshold)) &&
	      !memcmp(gs.count, m->count, sizeof(gs.count)) &&
	      gs.freeze_count == m->list_count[L_PERM] &&
	      gs.garbage_count == m->list_count[L_GARBAGE],
	      "GC_GET: enabled %u debug %u count %llu %llu %llu frozen %llu garbage %llu, the model says %u %u %llu %llu %llu %llu %llu",
	      gs.enabled, gs.debug, gs.count[0], gs.count[1], gs.count[2],
	      gs.freeze_count, gs.garbage_count, m->enabled, m->debug,
	      m->count[0], m->count[1], m->count[2], m->list_count[L_PERM],
	      m->list_count[L_GARBAGE]);
	x_init(ci, MOBJ_GC_STATS, &(struct mobj_gc_stats){ .size = sizeof(st) },
	       sizeof(st));
	run_exec(R, E_MAIN);
	memcpy(&st, xs.arg, sizeof(st));
	for (k = 0; k < 3; k++)
		CHECK(R, !xs.rc &&
		      st.gen[k].collections - R->base_collections[k] ==
		      m->collections[k] &&
		      st.gen[k].collected - R->base_collected[k] ==
		      m->collected[k],
		      "GC_STATS gen %d: %llu collections %llu collected, the model says %llu %llu",
		      k, st.gen[k].collections - R->base_collections[k],
		      st.gen[k].collected - R->base_collected[k],
		      m->collections[k], m->collected[k]);
	/* the consistency checker */
	if (mobj_read_text(MOBJ_DEBUGFS "check", buf, sizeof(buf)) > 0) {
		n = sscanf(buf, "ok objects %llu handles %llu edges %llu",
			   &objs, &hs, &edges);
		CHECK(R, n == 3, "checker: %s", buf);
		CHECK(R, n != 3 || (objs == R->base_live + m->nalive &&
				    hs == R->base_handles + m->handles &&
				    edges == m->edges + 0),
		      "checker: %llu objects %llu handles %llu edges, the model says %llu %llu %llu",
		      objs, hs, edges, R->base_live + m->nalive,
		      R->base_handles + m->handles, m->edges);
	}
	for (ci = 0; ci < NCLIENTS && !R->failed; ci++)
		if (m->cl[ci].open && m->cl[ci].ring)
			drain_events(R, ci);
}

/* The operations */

enum {
	OP_NEW, OP_DUP, OP_CLOSE, OP_GETREFCOUNT, OP_INFO, OP_DATA_READ,
	OP_DATA_WRITE, OP_APPEND, OP_SET, OP_GET, OP_POP, OP_COLLECT,
	OP_GC_GET, OP_GC_SET, OP_GC_STATS, OP_FREEZE, OP_GARBAGE,
	OP_REFERENTS, OP_REFERRERS, OP_WATCH, OP_WEAKREF, OP_WEAKREF_GET,
	OP_TYPE_NAME, OP_QUERY, OP_NOP, OP_BATCH, OP_READ, OP_UNKNOWN,
	OP_REOPEN, OP_REFORK, OP_NR
};

static const char *const op_name[OP_NR] = {
	"NEW", "DUP", "CLOSE", "GETREFCOUNT", "INFO", "DATA_READ",
	"DATA_WRITE", "SLOT_APPEND", "SLOT_SET", "SLOT_GET", "SLOT_POP",
	"GC_COLLECT", "GC_GET", "GC_SET", "GC_STATS", "GC_FREEZE",
	"GC_GARBAGE", "REFERENTS", "REFERRERS", "WATCH", "WEAKREF",
	"WEAKREF_GET", "TYPE_NAME", "QUERY", "NOP", "BATCH", "read",
	"unknown ioctl", "reopen", "refork",
};

/* Weights, in ten-thousandths */
static const int op_weight[OP_NR] = {
	[OP_NEW] = 1100, [OP_DUP] = 500, [OP_CLOSE] = 950,
	[OP_GETREFCOUNT] = 350, [OP_INFO] = 400, [OP_DATA_READ] = 300,
	[OP_DATA_WRITE] = 250, [OP_APPEND] = 1100, [OP_SET] = 600,
	[OP_GET] = 450, [OP_POP] = 400, [OP_COLLECT] = 120, [OP_GC_GET] = 80,
	[OP_GC_SET] = 60, [OP_GC_STATS] = 40, [OP_FREEZE] = 40,
	[OP_GARBAGE] = 80, [OP_REFERENTS] = 200, [OP_REFERRERS] = 200,
	[OP_WATCH] = 250, [OP_WEAKREF] = 250, [OP_WEAKREF_GET] = 300,
	[OP_TYPE_NAME] = 100, [OP_QUERY] = 100, [OP_NOP] = 50,
	[OP_BATCH] = 600, [OP_READ] = 50, [OP_UNKNOWN] = 60, [OP_REOPEN] = 5,
	[OP_REFORK] = 3,
};

struct opctx {
	int c;			/* client */
	int mut;		/* mutation */
	int pre;		/* what the mutation makes the model expect */
	bool ro;
	char what[96];
};

/*
 * Set up the generic part: the client, a mutation now and then.  Returns
 * true when the mutation decides the result (then the call was issued and
 * checked already, and nothing changed).
 */
static bool op_begin(struct run *R, const struct op *op, struct opctx *x,
		     unsigned long cmd, void *arg, size_t size, int res_off,
		     __u32 bad_flag, bool writes_back)
{
	x->c = pick_client(R, op->r[0]);
	x->mut = op->r[7] % 100 < 6 ? 1 + (op->r[7] >> 8) % (MUT_NR - 1) :
		 MUT_NONE;
	if (x->mut == MUT_RESERVED && res_off < 0)
		x->mut = MUT_NONE;
	snprintf(x->what, sizeof(x->what), "%s%s", op_name[op->kind],
		 mut_name[x->mut]);
	x_init(x->c, cmd, arg, size);
	x->pre = mutate(x->mut, cmd, size, res_off, bad_flag);
	x->ro = x->pre == 1 && writes_back;
	if (x->pre == 1 || x->pre == 0)
		return false;
	issue(R, op, x->c, x->pre, x->what);
	return true;
}

/* The command's own result, then what a read-only struct does to it. */
static int op_want(const struct opctx *x, int rc)
{
	return !rc && x->ro ? -EFAULT : rc;
}

static bool op_done(struct run *R, const struct opctx *x, int size)
{
	if (x->mut == MUT_BIG_CLEAN)
		CHECK(R, tail_clean(size), "%s: bytes written past the struct",
		      x->what);
	return !xs.rc && !R->failed;
}

/*
 * Issue the call, expecting @rc (before what the mutation does to it);
 * when it worked, copy its answer to @cmd.  True when the answer is there.
 */
static bool op_answer(struct run *R, const struct op *op,
		      const struct opctx *x, int rc, void *cmd, int size)
{
	issue(R, op, x->c, op_want(x, rc), x->what);
	if (!op_done(R, x, size))
		return false;
	memcpy(cmd, xs.arg, size);
	return true;
}

static void do_new(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_new cmd = { .size = sizeof(cmd) };
	struct opctx x;
	int rc = 0, k, o;
	__u32 len;

	cmd.type = T_BASE + op->r[1] % NTYPES;
	k = op->r[2] % 100;
	len = k < 40 ? 0 : k < 90 ? op->r[3] % 40 : k < 95 ? M_DATA_MAX :
	      k < 98 ? M_DATA_MAX + 1 + op->r[3] % 3 : 1 + op->r[3] % 8;
	cmd.data_len = len;
	if (op_begin(R, op, &x, MOBJ_NEW, &cmd, sizeof(cmd),
		     offsetof(struct mobj_new, __reserved), 1, true))
		return;
	for (k = 0; k < (int)len && k < XBUF; k++)
		xs.buf[k] = op->r[4] + k * 7;
	if (len)
		x_patch(offsetof(struct mobj_new, data),
			op->r[2] % 100 >= 98 ? BAD_PTR : 0);
	/* NEW probes its struct before it copies the payload or counts */
	if (len > M_DATA_MAX)
		rc = -EMSGSIZE;
	else if (x.ro)
		rc = -EFAULT;
	else if (len && op->r[2] % 100 >= 98)
		rc = -EFAULT;
	else if (reserve_ok(m, x.c, 1))
		rc = -EMFILE;
	else if (R->base_live + m->nalive >= M_OBJECTS_MAX)
		rc = -ENOSPC;
	else if (m->quota[m->cl[x.c].quota] >= M_CLIENT_OBJECTS_MAX)
		rc = -EDQUOT;
	if (!op_answer(R, op, &x, rc, &cmd, sizeof(cmd)))
		return;
	check_new_handle(R, x.c, cmd.handle, x.what);
	o = obj_new(m);
	O(m, o)->id = cmd.id;
	O(m, o)->type = T_BASE + op->r[1] % NTYPES;
	O(m, o)->refcount = 1;
	O(m, o)->data_len = len;
	memcpy(O(m, o)->data, xs.buf, len);
	O(m, o)->quota = m->cl[x.c].quota;
	O(m, o)->list = L_UNTRACKED;
	m->list_count[L_UNTRACKED]++;
	m->quota[m->cl[x.c].quota]++;
	m->count[0]++;
	handle_add(m, &m->cl[x.c], cmd.handle, H_STRONG, o);
	for (k = 0; k < m->nalive - 1; k++)
		CHECK(R, O(m, m->alive[k])->id != cmd.id, "NEW: id %llu reused",
		      cmd.id);
}

static void do_dup(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_dup cmd = { .size = sizeof(cmd) };
	struct opctx x;
	int rc, obj = -1;

	x.c = pick_client(R, op->r[0]);
	cmd.handle = pick_handle(R, x.c, op->r[1], op->r[2], true);
	if (op_begin(R, op, &x, MOBJ_DUP, &cmd, sizeof(cmd), -1, 1, true))
		return;
	rc = lookup_strong(m, x.c, cmd.handle, &obj);
	if (!rc)
		rc = reserve_ok(m, x.c, 1);
	if (!op_answer(R, op, &x, rc, &cmd, sizeof(cmd)))
		return;
	check_new_handle(R, x.c, cmd.new_handle, x.what);
	handle_add(m, &m->cl[x.c], cmd.new_handle, H_STRONG, obj);
	O(m, obj)->refcount++;
}

static void do_close(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_close cmd = { .size = sizeof(cmd) };
	struct opctx x;
	struct hent e;

	x.c = pick_client(R, op->r[0]);
	cmd.handle = pick_handle(R, x.c, op->r[1], op->r[2], false);
	if (op_begin(R, op, &x, MOBJ_CLOSE, &cmd, sizeof(cmd),
		     offsetof(struct mobj_close, __reserved), 1, false))
		return;
	e = *hent(&m->cl[x.c], cmd.handle);
	issue(R, op, x.c, e.kind == H_NONE ? -ENOENT : 0, x.what);
	if (!op_done(R, &x, sizeof(cmd)))
		return;
	handle_del(m, &m->cl[x.c], cmd.handle);
	entry_drop(m, &e);
}

static void do_getrefcount(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_getrefcount cmd = { .size = sizeof(cmd) };
	struct opctx x;
	int rc, obj = -1;

	x.c = pick_client(R, op->r[0]);
	cmd.handle = pick_handle(R, x.c, op->r[1], op->r[2], true);
	if (op_begin(R, op, &x, MOBJ_GETREFCOUNT, &cmd, sizeof(cmd),
		     offsetof(struct mobj_getrefcount, __reserved), 1, true))
		return;
	rc = lookup_strong(m, x.c, cmd.handle, &obj);
	if (!op_answer(R, op, &x, rc, &cmd, sizeof(cmd)))
		return;
	CHECK(R, cmd.refcount == O(m, obj)->refcount,
	      "GETREFCOUNT of %llu: %llu, the model says %llu", O(m, obj)->id,
	      cmd.refcount, O(m, obj)->refcount);
}

static void do_info(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_info cmd = { .size = sizeof(cmd) };
	struct opctx x;
	int rc, obj = -1;

	x.c = pick_client(R, op->r[0]);
	cmd.handle = pick_handle(R, x.c, op->r[1], op->r[2], true);
	if (op_begin(R, op, &x, MOBJ_INFO, &cmd, sizeof(cmd), -1, 1, true))
		return;
	rc = lookup_strong(m, x.c, cmd.handle, &obj);
	if (!op_answer(R, op, &x, rc, &cmd, sizeof(cmd)))
		return;
	check_info(R, &cmd, obj, x.what);
}

static void do_data_read(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_data_read cmd = { .size = sizeof(cmd) };
	struct opctx x;
	int rc, obj = -1;
	bool bad = op->r[5] % 100 < 3;
	__u32 len = 0;

	x.c = pick_client(R, op->r[0]);
	cmd.handle = pick_handle(R, x.c, op->r[1], op->r[2], true);
	cmd.offset = op->r[3] % 100 < 60 ? 0 : op->r[3] % (M_DATA_MAX + 8);
	cmd.len = op->r[4] % 100 < 50 ? M_DATA_MAX : op->r[4] % 64;
	if (op_begin(R, op, &x, MOBJ_DATA_READ, &cmd, sizeof(cmd), -1, 1,
		     true))
		return;
	x_patch(offsetof(struct mobj_data_read, data), bad ? BAD_PTR : 0);
	rc = lookup_strong(m, x.c, cmd.handle, &obj);
	if (!rc && cmd.offset > O(m, obj)->data_len)
		rc = -ERANGE;
	if (!rc) {
		len = O(m, obj)->data_len - cmd.offset;
		len = cmd.len < len ? cmd.len : len;
		if (len && bad)
			rc = -EFAULT;
	}
	if (!op_answer(R, op, &x, rc, &cmd, sizeof(cmd)))
		return;
	CHECK(R, cmd.len == len && cmd.data_len == O(m, obj)->data_len &&
	      !memcmp(xs.buf, O(m, obj)->data + cmd.offset, len),
	      "DATA_READ of %llu at %u: %u of %u bytes, the model says %u of %u",
	      O(m, obj)->id, cmd.offset, cmd.len, cmd.data_len, len,
	      O(m, obj)->data_len);
}

static void do_data_write(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_data_write cmd = { .size = sizeof(cmd) };
	struct opctx x;
	int rc = 0, obj = -1, k;
	bool bad = op->r[5] % 100 < 3;
	__u32 len;

	x.c = pick_client(R, op->r[0]);
	cmd.handle = pick_handle(R, x.c, op->r[1], op->r[2], true);
	k = op->r[3] % 100;
	len = k < 15 ? 0 : k < 92 ? op->r[4] % 48 : k < 97 ? M_DATA_MAX :
	      M_DATA_MAX + 1;
	cmd.len = len;
	if (op_begin(R, op, &x, MOBJ_DATA_WRITE, &cmd, sizeof(cmd), -1, 1,
		     false))
		return;
	x_patch(offsetof(struct mobj_data_write, data), bad ? BAD_PTR : 0);
	for (k = 0; k < (int)len && k < XBUF; k++)
		xs.buf[k] = op->r[6] + k * 3;
	if (len > M_DATA_MAX)
		rc = -EMSGSIZE;
	else if (len && bad)
		rc = -EFAULT;
	else
		rc = lookup_strong(m, x.c, cmd.handle, &obj);
	issue(R, op, x.c, rc, x.what);
	if (!op_done(R, &x, sizeof(cmd)))
		return;
	O(m, obj)->data_len = len;
	memcpy(O(m, obj)->data, xs.buf, len);
}

static void do_slot(struct run *R, const struct op *op)
{
	static const unsigned long cmds[] = {
		[OP_APPEND] = MOBJ_SLOT_APPEND, [OP_SET] = MOBJ_SLOT_SET,
		[OP_GET] = MOBJ_SLOT_GET, [OP_POP] = MOBJ_SLOT_POP,
	};
	struct model *m = &R->m;
	struct mobj_slot cmd = { .size = sizeof(cmd) };
	int rc, obj = -1, val = -1, k = op->kind;
	bool wrong = op->r[6] % 100 < 3;	/* POP: a value that must be 0 */
	struct opctx x;
	struct mobject *o;

	x.c = pick_client(R, op->r[0]);
	cmd.handle = pick_handle(R, x.c, op->r[1], op->r[2], true);
	if (k == OP_APPEND || k == OP_SET)
		cmd.value = pick_handle(R, x.c, op->r[3], op->r[4], true);
	if (k != OP_APPEND) {
		cmd.index = op->r[5] % 100 < 85 ? op->r[5] % 6 :
			    op->r[5] % 100 < 95 ? op->r[5] % 16 : 0xffffffffu;
	}
	if (k == OP_APPEND && wrong)
		cmd.index = op->r[5];	/* an input APPEND ignores */
	if (wrong && k == OP_POP)
		cmd.value = 1;
	if (op_begin(R, op, &x, cmds[k], &cmd, sizeof(cmd),
		     offsetof(struct mobj_slot, __reserved), 1,
		     k == OP_GET || k == OP_APPEND))
		return;
	rc = k == OP_POP && cmd.value ? -EINVAL : 0;
	/* APPEND probes the struct before anything else */
	if (k == OP_APPEND && x.ro)
		rc = -EFAULT;
	if (!rc)
		rc = lookup_strong(m, x.c, cmd.handle, &obj);
	if (!rc && (k == OP_APPEND || k == OP_SET))
		rc = lookup_strong(m, x.c, cmd.value, &val);
	if (!rc && k == OP_APPEND && O(m, obj)->nslots >= M_SLOTS_MAX)
		rc = -EFBIG;
	if (!rc && k != OP_APPEND && cmd.index >= (__u32)O(m, obj)->nslots)
		rc = -ERANGE;
	if (!rc && k == OP_GET)
		rc = reserve_ok(m, x.c, 1);
	issue(R, op, x.c, op_want(&x, rc), x.what);
	if (!op_done(R, &x, sizeof(cmd)))
		return;
	o = O(m, obj);
	switch (k) {
	case OP_APPEND:
		memcpy(&cmd, xs.arg, sizeof(cmd));
		CHECK(R, cmd.index == (__u32)o->nslots,
		      "SLOT_APPEND: index %u, the model says %d", cmd.index,
		      o->nslots);
		slot_append(m, obj, val);
		break;
	case OP_SET:
		O(m, val)->refcount++;
		k = o->slots[cmd.index];
		o->slots[cmd.index] = val;
		obj_put(m, k);
		break;
	case OP_GET:
		memcpy(&cmd, xs.arg, sizeof(cmd));
		check_new_handle(R, x.c, cmd.value, x.what);
		k = o->slots[cmd.index];
		handle_add(m, &m->cl[x.c], cmd.value, H_STRONG, k);
		O(m, k)->refcount++;
		break;
	case OP_POP:
		k = o->slots[cmd.index];
		memmove(o->slots + cmd.index, o->slots + cmd.index + 1,
			(o->nslots - cmd.index - 1) * sizeof(int));
		o->nslots--;
		m->edges--;
		obj_put(m, k);
		break;
	}
}

static void after_collect(struct run *R)
{
	R->ncollect++;
	check_query(R, 0);
	check_weak(R);
}

static void do_collect(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_gc_collect cmd = { .size = sizeof(cmd) };
	__u64 collected, examined;
	struct opctx x;
	int g = op->r[1] % 100 < 50 ? 0 : op->r[1] % 100 < 75 ? 1 :
		op->r[1] % 100 < 98 ? 2 : 3 + op->r[1] % 5;

	cmd.generation = g;
	if (op_begin(R, op, &x, MOBJ_GC_COLLECT, &cmd, sizeof(cmd),
		     offsetof(struct mobj_gc_collect, __reserved), 1, true))
		return;
	if (!op_answer(R, op, &x, g > 2 ? -EINVAL : 0, &cmd, sizeof(cmd)))
		return;
	model_collect(m, g, &collected, &examined);
	CHECK(R, cmd.collected == collected && !cmd.uncollectable &&
	      (R->base_live || cmd.examined == examined),
	      "GC_COLLECT(%d): collected %llu examined %llu, the model says %llu %llu",
	      g, cmd.collected, cmd.examined, collected, examined);
	after_collect(R);
}

static void do_gc_get(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_gc_state cmd = { .size = sizeof(cmd) };
	struct opctx x;

	if (op_begin(R, op, &x, MOBJ_GC_GET, &cmd, sizeof(cmd),
		     offsetof(struct mobj_gc_state, __reserved), 1, true))
		return;
	if (!op_answer(R, op, &x, 0, &cmd, sizeof(cmd)))
		return;
	CHECK(R, cmd.enabled == m->enabled && cmd.debug == m->debug &&
	      !memcmp(cmd.threshold, m->threshold, sizeof(cmd.threshold)) &&
	      !memcmp(cmd.count, m->count, sizeof(cmd.count)) &&
	      cmd.freeze_count == m->list_count[L_PERM] &&
	      cmd.garbage_count == m->list_count[L_GARBAGE],
	      "GC_GET: count %llu %llu %llu frozen %llu garbage %llu debug %u, the model says %llu %llu %llu %llu %llu %u",
	      cmd.count[0], cmd.count[1], cmd.count[2], cmd.freeze_count,
	      cmd.garbage_count, cmd.debug, m->count[0], m->count[1],
	      m->count[2], m->list_count[L_PERM], m->list_count[L_GARBAGE],
	      m->debug);
}

/*
 * GC_SET never lets automatic collection run (enabled with a non-zero
 * threshold[0]), so that the model stays deterministic.
 */
static void do_gc_set(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_gc_set cmd = { .size = sizeof(cmd) };
	struct opctx x;
	int rc = 0, k = op->r[1] % 10;

	switch (k) {
	case 0:
	case 1:
	case 2:
		cmd.flags = MOBJ_GC_SET_DEBUG;
		cmd.debug = op->r[2] % 2;
		break;
	case 3:
		cmd.flags = MOBJ_GC_SET_ENABLED;
		cmd.enabled = !m->threshold[0] ? op->r[2] % 2 : 0;
		break;
	case 4:
	case 5:
		cmd.flags = MOBJ_GC_SET_THRESHOLD;
		cmd.threshold[0] = m->enabled ? 0 : op->r[2] % 3000;
		cmd.threshold[1] = 1 + op->r[3] % 20;
		cmd.threshold[2] = 1 + op->r[4] % 20;
		break;
	case 6:	/* invalid: enabled > 1 */
		cmd.flags = MOBJ_GC_SET_ENABLED;
		cmd.enabled = 2 + op->r[2] % 5;
		break;
	case 7:	/* invalid: unknown debug bit */
		cmd.flags = MOBJ_GC_SET_DEBUG;
		cmd.debug = 2 << (op->r[2] % 8);
		break;
	case 8:	/* invalid: threshold[1] or [2] zero */
		cmd.flags = MOBJ_GC_SET_THRESHOLD;
		cmd.threshold[1 + op->r[2] % 2] = 0;
		cmd.threshold[2 - op->r[2] % 2] = 3;
		break;
	default:	/* nothing to apply */
		cmd.flags = 0;
		break;
	}
	if (op_begin(R, op, &x, MOBJ_GC_SET, &cmd, sizeof(cmd),
		     offsetof(struct mobj_gc_set, __reserved), 0x80, false))
		return;
	if (k >= 6 && k <= 8)
		rc = -EINVAL;
	issue(R, op, x.c, rc, x.what);
	if (!op_done(R, &x, sizeof(cmd)))
		return;
	if (cmd.flags & MOBJ_GC_SET_ENABLED)
		m->enabled = cmd.enabled;
	if (cmd.flags & MOBJ_GC_SET_DEBUG)
		m->debug = cmd.debug;
	if (cmd.flags & MOBJ_GC_SET_THRESHOLD)
		memcpy(m->threshold, cmd.threshold, sizeof(m->threshold));
}

static void do_gc_stats(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_gc_stats cmd = { .size = sizeof(cmd) };
	struct opctx x;
	int k;

	if (op_begin(R, op, &x, MOBJ_GC_STATS, &cmd, sizeof(cmd), -1, 1,
		     true))
		return;
	if (!op_answer(R, op, &x, 0, &cmd, sizeof(cmd)))
		return;
	for (k = 0; k < 3; k++)
		CHECK(R, cmd.gen[k].collections - R->base_collections[k] ==
		      m->collections[k] &&
		      cmd.gen[k].collected - R->base_collected[k] ==
		      m->collected[k] && !cmd.gen[k].uncollectable,
		      "GC_STATS gen %d differs", k);
}

static void do_freeze(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_gc_freeze cmd = { .size = sizeof(cmd) };
	bool unfreeze = op->r[1] % 2;
	struct opctx x;
	__u64 moved = 0;
	int k;

	cmd.flags = unfreeze ? MOBJ_GC_UNFREEZE : 0;
	if (op_begin(R, op, &x, MOBJ_GC_FREEZE, &cmd, sizeof(cmd), -1, 2,
		     true))
		return;
	if (!op_answer(R, op, &x, 0, &cmd, sizeof(cmd)))
		return;
	for (k = 0; k < m->nalive; k++) {
		struct mobject *o = O(m, m->alive[k]);

		if (unfreeze && o->list == L_PERM) {
			list_set(m, o, L_GEN2);
			moved++;
		} else if (!unfreeze && o->list <= L_GEN2) {
			list_set(m, o, L_PERM);
			moved++;
		}
	}
	if (!unfreeze)
		memset(m->count, 0, sizeof(m->count));
	CHECK(R, cmd.moved == moved, "%s: moved %llu, the model says %llu",
	      x.what, cmd.moved, moved);
}

static void do_garbage(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_gc_garbage cmd = { .size = sizeof(cmd) };
	__u64 glen = m->list_count[L_GARBAGE];
	bool bad = op->r[3] % 100 < 3;
	__u32 n, i, hs[M_OBJECTS_MAX], found;
	struct opctx x;
	int rc = 0, k;

	cmd.flags = op->r[1] % 3 ? MOBJ_GC_GARBAGE_CLEAR : 0;
	/* Either none or all: which ones come first is not modelled. */
	cmd.count = op->r[2] % 4 ? 1024 : 0;
	n = cmd.count < glen ? cmd.count : glen;
	if (op_begin(R, op, &x, MOBJ_GC_GARBAGE, &cmd, sizeof(cmd), -1, 2,
		     true))
		return;
	x_patch(offsetof(struct mobj_gc_garbage, handles), bad ? BAD_PTR : 0);
	if (n)
		rc = reserve_ok(m, x.c, n);
	if (!rc && n && bad)
		rc = -EFAULT;
	if (!op_answer(R, op, &x, rc, &cmd, sizeof(cmd)))
		return;
	CHECK(R, cmd.count == glen && cmd.filled == n,
	      "GC_GARBAGE: count %u filled %u, the model says %llu %u",
	      cmd.count, cmd.filled, glen, n);
	memcpy(hs, xs.buf, n * sizeof(*hs));
	/* Which object each handle names: INFO tells. */
	for (i = 0; i < n && !R->failed; i++) {
		struct mobj_info info = { .size = sizeof(info),
					  .handle = hs[i] };
		struct op none = { 0 };

		check_new_handle(R, x.c, hs[i], "GC_GARBAGE");
		x_init(x.c, MOBJ_INFO, &info, sizeof(info));
		run_exec(R, pick_exec(R, &none, x.c));
		memcpy(&info, xs.arg, sizeof(info));
		CHECK(R, !xs.rc, "INFO of a GC_GARBAGE handle: %d", xs.rc);
		found = 0;
		for (k = 0; k < m->nalive && !R->failed && !found; k++) {
			struct mobject *o = O(m, m->alive[k]);

			if (o->id != info.id)
				continue;
			CHECK(R, o->list == L_GARBAGE,
			      "GC_GARBAGE gave object %llu, not garbage",
			      o->id);
			handle_add(m, &m->cl[x.c], hs[i], H_STRONG,
				   m->alive[k]);
			o->refcount++;
			found = 1;
		}
		CHECK(R, found, "GC_GARBAGE gave unknown id %llu", info.id);
	}
	if (cmd.flags & MOBJ_GC_GARBAGE_CLEAR && !R->failed) {
		model_garbage_clear(m);
		after_collect(R);
	}
}

static void do_refs(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_refs cmd = { .size = sizeof(cmd) };
	bool referrers = op->kind == OP_REFERRERS;
	bool bad = op->r[4] % 100 < 3;
	__u64 want[M_OBJECTS_MAX * M_SLOTS_MAX];
	__u32 total = 0, n;
	int rc, obj = -1, k, j;
	struct opctx x;
	struct mobject *o;

	x.c = pick_client(R, op->r[0]);
	cmd.handle = pick_handle(R, x.c, op->r[1], op->r[2], true);
	cmd.count = op->r[3] % 100 < 50 ? XBUF / 8 : op->r[3] % 6;
	if (op_begin(R, op, &x, referrers ? MOBJ_REFERRERS : MOBJ_REFERENTS,
		     &cmd, sizeof(cmd), -1, 1, true))
		return;
	x_patch(offsetof(struct mobj_refs, ids), bad ? BAD_PTR : 0);
	rc = lookup_strong(m, x.c, cmd.handle, &obj);
	if (!rc) {
		o = O(m, obj);
		if (!referrers) {
			for (k = 0; k < o->nslots; k++)
				want[total++] = O(m, o->slots[k])->id;
		} else {
			for (k = 0; k < m->nalive; k++) {
				struct mobject *p = O(m, m->alive[k]);

				for (j = 0; j < p->nslots; j++)
					if (p->slots[j] == obj)
						want[total++] = p->id;
			}
		}
		n = cmd.count < total ? cmd.count : total;
		if (n && bad)
			rc = -EFAULT;
	}
	issue(R, op, x.c, op_want(&x, rc), x.what);
	if (!op_done(R, &x, sizeof(cmd)))
		return;
	n = cmd.count < total ? cmd.count : total;
	memcpy(&cmd, xs.arg, sizeof(cmd));
	CHECK(R, cmd.count == total, "%s: %u, the model says %u", x.what,
	      cmd.count, total);
	if (referrers) {
		/* a multiset: compare all of it only when all were asked */
		if (n == total) {
			qsort(want, total, 8, u64_cmp);
			qsort(xs.buf, n, 8, u64_cmp);
			CHECK(R, !memcmp(want, xs.buf, n * 8),
			      "REFERRERS differ");
		}
	} else {
		CHECK(R, !memcmp(want, xs.buf, n * 8), "REFERENTS differ");
	}
}

static void do_watch(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_watch cmd = { .size = sizeof(cmd) };
	struct opctx x;
	int rc, obj = -1;

	x.c = pick_client(R, op->r[0]);
	cmd.handle = pick_handle(R, x.c, op->r[1], op->r[2], true);
	cmd.cookie = ((__u64)op->r[3] << 32) | R->step;
	if (op_begin(R, op, &x, MOBJ_WATCH, &cmd, sizeof(cmd),
		     offsetof(struct mobj_watch, __reserved), 1, false))
		return;
	rc = lookup_strong(m, x.c, cmd.handle, &obj);
	issue(R, op, x.c, rc, x.what);
	if (!op_done(R, &x, sizeof(cmd)))
		return;
	m->cl[x.c].ring = true;
	m->w = grow(m->w, &m->wcap, m->nw + 1, sizeof(*m->w));
	m->w[m->nw++] = (struct watcher) { .client = x.c, .obj = obj,
					   .cookie = cmd.cookie };
	O(m, obj)->nwatch++;
}

static void do_weakref(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_weakref cmd = { .size = sizeof(cmd) };
	bool get = op->kind == OP_WEAKREF_GET;
	struct opctx x;
	struct hent e;
	int rc, obj = -1;

	x.c = pick_client(R, op->r[0]);
	cmd.handle = pick_handle(R, x.c, op->r[1], op->r[2], !get);
	if (get && m->cl[x.c].nweak && op->r[3] % 100 < 80) {
		/* mostly a weak one */
		int k, n = m->cl[x.c].nlive;

		for (k = 0; k < n; k++) {
			__u32 h = m->cl[x.c].live[(op->r[4] + k) % n];

			if (m->cl[x.c].tab[h].kind == H_WEAK) {
				cmd.handle = h;
				break;
			}
		}
	}
	if (!get && m->cl[x.c].nweak >= WEAK_MAX)
		cmd.handle = 0;
	if (op_begin(R, op, &x, get ? MOBJ_WEAKREF_GET : MOBJ_WEAKREF, &cmd,
		     sizeof(cmd), -1, 1, true))
		return;
	e = *hent(&m->cl[x.c], cmd.handle);
	if (!get) {
		rc = lookup_strong(m, x.c, cmd.handle, &obj);
	} else {
		rc = e.kind == H_NONE ? -ENOENT : e.kind != H_WEAK ? -EINVAL :
		     e.obj < 0 ? -ESTALE : 0;
		obj = e.obj;
	}
	if (!rc)
		rc = reserve_ok(m, x.c, 1);
	if (!op_answer(R, op, &x, rc, &cmd, sizeof(cmd)))
		return;
	check_new_handle(R, x.c, cmd.result, x.what);
	handle_add(m, &m->cl[x.c], cmd.result, get ? H_STRONG : H_WEAK, obj);
	if (get)
		O(m, obj)->refcount++;
}

static void do_type_name(struct run *R, const struct op *op)
{
	static const char *const names[] = {
		"model.a", "model::B<int>", "x", "bad name", "",
		"0123456789012345678901234567890",
		"01234567890123456789012345678901",
	};
	struct model *m = &R->m;
	struct mobj_type_name cmd = { .size = sizeof(cmd) };
	int t = op->r[1] % (NNAMED + 1), k = op->r[2] % 7, rc = 0, u;
	bool get = op->r[3] % 3 == 0;
	struct opctx x;
	size_t len;

	cmd.type = T_BASE + t;
	cmd.flags = get ? MOBJ_TYPE_NAME_GET : 0;
	len = strlen(names[k]);
	memcpy(cmd.name, names[k], len < 32 ? len : 32);
	if (!get && k == 0 && op->r[3] % 5 == 1)
		cmd.name[20] = 'z';	/* junk after the NUL */
	if (op_begin(R, op, &x, MOBJ_TYPE_NAME, &cmd, sizeof(cmd),
		     offsetof(struct mobj_type_name, __reserved), 2, get))
		return;
	if (!get && (len == 32 || k == 3 || (k == 0 && op->r[3] % 5 == 1)))
		rc = -EINVAL;
	if (!get && t == NNAMED)	/* a type the model does not name */
		rc = rc ? rc : 0;
	/* One name, one tag: a name another tag has is refused. */
	for (u = 0; !rc && !get && len && u < NNAMED; u++)
		if (u != t && !strcmp(m->names[u], names[k]))
			rc = -EEXIST;
	issue(R, op, x.c, op_want(&x, rc), x.what);
	if (!op_done(R, &x, sizeof(cmd)))
		return;
	if (get) {
		memcpy(&cmd, xs.arg, sizeof(cmd));
		CHECK(R, t == NNAMED ||
		      !memcmp(cmd.name, m->names[t], sizeof(cmd.name)),
		      "TYPE_NAME GET of %#x: '%.32s', the model says '%.32s'",
		      cmd.type, cmd.name, t < NNAMED ? m->names[t] : "");
		CHECK(R, t != NNAMED || !cmd.name[0], "TYPE_NAME GET: '%.32s'",
		      cmd.name);
		return;
	}
	if (t < NNAMED) {
		memset(m->names[t], 0, sizeof(m->names[t]));
		memcpy(m->names[t], names[k], len);
	} else {
		/* keep the unnamed type unnamed */
		struct mobj_type_name clr = { .size = sizeof(clr),
					      .type = cmd.type };

		x_init(x.c, MOBJ_TYPE_NAME, &clr, sizeof(clr));
		run_exec(R, E_MAIN);
		CHECK(R, !xs.rc, "clearing a type name: %d", xs.rc);
	}
}

static void do_query(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_query cmd = { .size = sizeof(cmd) };
	struct opctx x;

	if (op_begin(R, op, &x, MOBJ_QUERY, &cmd, sizeof(cmd),
		     offsetof(struct mobj_query, __reserved), 1, true))
		return;
	if (!op_answer(R, op, &x, 0, &cmd, sizeof(cmd)))
		return;
	CHECK(R, cmd.abi_version == MOBJ_ABI_VERSION &&
	      cmd.data_max == M_DATA_MAX && cmd.slots_max == M_SLOTS_MAX &&
	      cmd.objects_max == M_OBJECTS_MAX &&
	      cmd.client_objects_max == M_CLIENT_OBJECTS_MAX &&
	      cmd.client_handles_max == M_CLIENT_HANDLES_MAX &&
	      cmd.live_objects == R->base_live + m->nalive &&
	      cmd.client_handles == (__u64)m->cl[x.c].nlive,
	      "QUERY differs");
}

static void do_nop(struct run *R, const struct op *op)
{
	struct mobj_nop cmd = { .size = sizeof(cmd) };
	struct opctx x;

	if (op_begin(R, op, &x, MOBJ_NOP, &cmd, sizeof(cmd), -1, 1, false))
		return;
	issue(R, op, x.c, 0, x.what);
	op_done(R, &x, sizeof(cmd));
}

/* Unknown commands and unreadable structs. */
static void do_unknown(struct run *R, const struct op *op)
{
	struct mobj_nop cmd = { .size = sizeof(cmd) };
	int c = pick_client(R, op->r[0]), want = -ENOTTY;
	unsigned long ioc;

	switch (op->r[1] % 5) {
	case 0:
		ioc = _IO(MOBJ_TYPE, MOBJ_TEST_NR_CMDS + op->r[2] % 16);
		break;
	case 1:
		ioc = _IO(MOBJ_TYPE + 1, op->r[2] % MOBJ_TEST_NR_CMDS);
		break;
	case 2:
		ioc = _IOR(MOBJ_TYPE, op->r[2] % MOBJ_TEST_NR_CMDS, struct mobj_nop);
		break;
	case 3:	/* the struct is not readable */
		ioc = MOBJ_QUERY;
		want = -EFAULT;
		break;
	default:	/* a command with the wrong direction bits */
		ioc = _IOW(MOBJ_TYPE, MOBJ_CMD_QUERY, struct mobj_query);
		break;
	}
	x_init(c, ioc, &cmd, sizeof(cmd));
	if (op->r[1] % 5 == 3)
		xs.mode = M_NULL;
	issue(R, op, c, want, op_name[op->kind]);
}

/* Batches */

static int batch_operand(const struct mobj_batch_op *ops,
			 const struct mobj_batch_op *got, __u32 i, __u32 in,
			 __u32 *out)
{
	__u32 k = in & ~MOBJ_BATCH_RESULT_FLAG;

	*out = in;
	if (!(in & MOBJ_BATCH_RESULT_FLAG))
		return 0;
	if (k >= i || (ops[k].cmd != MOBJ_CMD_NEW &&
		       ops[k].cmd != MOBJ_CMD_DUP &&
		       ops[k].cmd != MOBJ_CMD_SLOT_GET))
		return -EINVAL;
	*out = got[k].result;
	return 0;
}

/*
 * One entry of a batch that ran in the kernel: the model's error for it,
 * given the handles the kernel made (@got), and the model updated when it
 * succeeded.  @made is set to the object a NEW entry made.
 */
static int batch_entry(struct run *R, int c, const struct mobj_batch_op *ops,
		       const struct mobj_batch_op *got, __u32 i, int *made)
{
	const struct mobj_batch_op *b = &ops[i];
	struct model *m = &R->m;
	int rc, obj = -1, val = -1, k;
	__u32 h, v = 0;
	struct hent e;

	/* The command is checked before its operands. */
	switch (b->cmd) {
	case MOBJ_CMD_NEW:
	case MOBJ_CMD_DUP:
	case MOBJ_CMD_CLOSE:
	case MOBJ_CMD_GETREFCOUNT:
	case MOBJ_CMD_SLOT_APPEND:
	case MOBJ_CMD_SLOT_SET:
	case MOBJ_CMD_SLOT_GET:
	case MOBJ_CMD_SLOT_POP:
		break;
	default:
		return -EINVAL;
	}
	if (b->flags)
		return -EINVAL;
	if (b->cmd == MOBJ_CMD_NEW) {
		if (b->index || b->value)
			return -EINVAL;
		if (reserve_ok(m, c, 1))
			return -EMFILE;
		if (R->base_live + m->nalive >= M_OBJECTS_MAX)
			return -ENOSPC;
		if (m->quota[m->cl[c].quota] >= M_CLIENT_OBJECTS_MAX)
			return -EDQUOT;
		check_new_handle(R, c, got[i].result, "BATCH NEW");
		k = obj_new(m);
		O(m, k)->type = b->handle;
		O(m, k)->refcount = 1;
		O(m, k)->quota = m->cl[c].quota;
		O(m, k)->list = L_UNTRACKED;
		m->list_count[L_UNTRACKED]++;
		m->quota[m->cl[c].quota]++;
		m->count[0]++;
		handle_add(m, &m->cl[c], got[i].result, H_STRONG, k);
		*made = k;
		return 0;
	}
	rc = batch_operand(ops, got, i, b->handle, &h);
	if (!rc && b->value)
		rc = batch_operand(ops, got, i, b->value, &v);
	if (rc)
		return rc;
	if (b->cmd == MOBJ_CMD_CLOSE) {
		e = *hent(&m->cl[c], h);
		if (e.kind == H_NONE)
			return -ENOENT;
		if (b->index || b->value)
			return -EINVAL;
		handle_del(m, &m->cl[c], h);
		entry_drop(m, &e);
		return 0;
	}
	rc = lookup_strong(m, c, h, &obj);
	if (rc)
		return rc;
	if (b->cmd == MOBJ_CMD_SLOT_APPEND || b->cmd == MOBJ_CMD_SLOT_SET)
		rc = lookup_strong(m, c, v, &val);
	else if (b->value)
		rc = -EINVAL;
	if (rc)
		return rc;
	switch (b->cmd) {
	case MOBJ_CMD_GETREFCOUNT:
		if (b->index)
			return -EINVAL;
		CHECK(R, got[i].result == O(m, obj)->refcount,
		      "BATCH GETREFCOUNT entry %u: %llu, the model says %llu",
		      i, got[i].result, O(m, obj)->refcount);
		return 0;
	case MOBJ_CMD_DUP:
		if (b->index)
			return -EINVAL;
		rc = reserve_ok(m, c, 1);
		if (rc)
			return rc;
		break;
	case MOBJ_CMD_SLOT_APPEND:
		if (b->index)
			return -EINVAL;
		if (O(m, obj)->nslots >= M_SLOTS_MAX)
			return -EFBIG;
		slot_append(m, obj, val);
		return 0;
	case MOBJ_CMD_SLOT_SET:
		if (b->index >= (__u32)O(m, obj)->nslots)
			return -ERANGE;
		O(m, val)->refcount++;
		k = O(m, obj)->slots[b->index];
		O(m, obj)->slots[b->index] = val;
		obj_put(m, k);
		return 0;
	case MOBJ_CMD_SLOT_POP:
		if (b->index >= (__u32)O(m, obj)->nslots)
			return -ERANGE;
		k = O(m, obj)->slots[b->index];
		memmove(O(m, obj)->slots + b->index,
			O(m, obj)->slots + b->index + 1,
			(O(m, obj)->nslots - b->index - 1) * sizeof(int));
		O(m, obj)->nslots--;
		m->edges--;
		obj_put(m, k);
		return 0;
	case MOBJ_CMD_SLOT_GET:
		if (b->index >= (__u32)O(m, obj)->nslots)
			return -ERANGE;
		rc = reserve_ok(m, c, 1);
		if (rc)
			return rc;
		obj = O(m, obj)->slots[b->index];
		break;
	default:
		return -EINVAL;
	}
	/* DUP and SLOT_GET: a new strong handle to obj */
	check_new_handle(R, c, got[i].result, "BATCH DUP/SLOT_GET");
	handle_add(m, &m->cl[c], got[i].result, H_STRONG, obj);
	O(m, obj)->refcount++;
	return 0;
}

static void do_batch(struct run *R, const struct op *op)
{
	static const __u32 cmds[] = {
		MOBJ_CMD_NEW, MOBJ_CMD_DUP, MOBJ_CMD_CLOSE,
		MOBJ_CMD_GETREFCOUNT, MOBJ_CMD_SLOT_APPEND, MOBJ_CMD_SLOT_SET,
		MOBJ_CMD_SLOT_GET, MOBJ_CMD_SLOT_POP, MOBJ_CMD_INFO,
	};
	struct model *m = &R->m;
	struct mobj_batch cmd = { .size = sizeof(cmd) };
	struct mobj_batch_op ops[16], got[16];
	__u32 count = 1 + op->r[1] % 12, i, k;
	__u64 s = ((__u64)op->r[2] << 32) | op->r[3];
	bool bad = op->r[5] % 100 < 2;
	int rc = 0, made[16];
	struct opctx x;

	x.c = pick_client(R, op->r[0]);
	if (!R->has_batch) {
		x_init(x.c, MOBJ_BATCH, &cmd, sizeof(cmd));
		issue(R, op, x.c, -ENOTTY, "BATCH (not supported)");
		return;
	}
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < count; i++) {
		__u64 r = rng_next(&s);
		struct mobj_batch_op *b = &ops[i];
		int pick = r % 100;

		b->cmd = cmds[(r >> 8) % (pick < 2 ? 9 : 8)];
		if (b->cmd == MOBJ_CMD_NEW)
			b->handle = T_BASE + (r >> 16) % NTYPES;
		else if ((r >> 20) % 100 < 35 && i)
			b->handle = MOBJ_BATCH_RESULT((r >> 28) % (i + 1));
		else
			b->handle = pick_handle(R, x.c, r >> 32, r >> 40, true);
		/*
		 * A NEW entry's handle is never closed in the batch, so that
		 * INFO can tell the object's id afterwards.
		 */
		k = b->handle & ~MOBJ_BATCH_RESULT_FLAG;
		if (b->cmd == MOBJ_CMD_CLOSE &&
		    b->handle & MOBJ_BATCH_RESULT_FLAG && k < i &&
		    ops[k].cmd == MOBJ_CMD_NEW)
			b->handle = 0;
		/* nor by a number that is not this client's: it may be new */
		if (b->cmd == MOBJ_CMD_CLOSE &&
		    !(b->handle & MOBJ_BATCH_RESULT_FLAG) &&
		    !handle_used(&m->cl[x.c], b->handle))
			b->handle = 0;
		if (b->cmd == MOBJ_CMD_SLOT_APPEND || b->cmd == MOBJ_CMD_SLOT_SET)
			b->value = (r >> 24) % 100 < 35 && i ?
				   MOBJ_BATCH_RESULT((r >> 36) % i) :
				   pick_handle(R, x.c, r >> 44, r >> 12, true);
		if (b->cmd == MOBJ_CMD_SLOT_SET || b->cmd == MOBJ_CMD_SLOT_GET ||
		    b->cmd == MOBJ_CMD_SLOT_POP)
			b->index = (r >> 48) % 5;
		if (pick == 97)
			b->flags = 1;
		if (pick == 98)
			b->index = 1 + (r >> 50) % 3;
		if (pick == 99 && b->cmd != MOBJ_CMD_CLOSE)
			b->value = 1;
		b->result = 0xdeadbeef;
		b->error = 0x5555;
	}
	cmd.count = count;
	if (op->r[4] % 100 < 2)
		cmd.count = op->r[4] % 2 ? 0 : MOBJ_BATCH_MAX + 1;
	if (op_begin(R, op, &x, MOBJ_BATCH, &cmd, sizeof(cmd), -1, 1, true))
		return;
	memcpy(xs.buf, ops, count * sizeof(ops[0]));
	x_patch(offsetof(struct mobj_batch, ops), bad ? BAD_PTR : 0);
	if (!cmd.count || cmd.count > MOBJ_BATCH_MAX) {
		issue(R, op, x.c, -EINVAL, x.what);
		return;
	}
	if (bad || x.ro) {
		issue(R, op, x.c, -EFAULT, x.what);
		return;
	}
	run_exec(R, pick_exec(R, op, x.c));
	memcpy(&cmd, xs.arg, sizeof(cmd));
	memcpy(got, xs.buf, count * sizeof(got[0]));
	if (xs.rc)
		R->nerr++;
	for (i = 0; i < count; i++) {
		made[i] = -1;
		rc = batch_entry(R, x.c, ops, got, i, &made[i]);
		CHECK(R, got[i].error == rc,
		      "BATCH entry %u (cmd %u): error %d, the model says %d",
		      i, ops[i].cmd, got[i].error, rc);
		if (rc || R->failed)
			break;
	}
	CHECK(R, xs.rc == rc && cmd.done == i,
	      "BATCH: returned %d done %u, the model says %d done %u", xs.rc,
	      cmd.done, rc, i);
	for (k = i + 1; k < count; k++)
		CHECK(R, got[k].error == 0x5555 && got[k].result == 0xdeadbeef,
		      "BATCH entry %u after the failed one was written", k);
	if (x.mut == MUT_BIG_CLEAN)
		CHECK(R, tail_clean(sizeof(cmd)),
		      "BATCH: bytes written past the struct");
	/* The ids of the objects the batch made, from their handles. */
	for (k = 0; k < i && !R->failed; k++) {
		struct mobj_info info = { .size = sizeof(info),
					  .handle = got[k].result };

		if (made[k] < 0)
			continue;
		x_init(x.c, MOBJ_INFO, &info, sizeof(info));
		run_exec(R, pick_exec(R, op, x.c));
		memcpy(&info, xs.arg, sizeof(info));
		CHECK(R, !xs.rc, "INFO of a handle a batch made: %d", xs.rc);
		O(m, made[k])->id = info.id;
	}
}

/* read() with odd sizes; the queue itself is drained after every step. */
static void do_read(struct run *R, const struct op *op)
{
	int c = pick_client(R, op->r[0]);

	memset(&xs, 0, offsetof(struct exec, buf));
	xs.kind = X_READ;
	xs.client = c;
	xs.read_len = op->r[1] % sizeof(struct mobj_event);
	issue(R, op, c, -EINVAL, "read (short buffer)");
	drain_events(R, c);
}

static int open_client(struct run *R, int ci)
{
	int fd = mobj_dev_open();

	if (fd < 0)
		return fd;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	model_open(&R->m, ci, fd);
	return 0;
}

/* A parent-only client goes away and comes back empty. */
static void do_reopen(struct run *R, const struct op *op)
{
	int ci = NSHARED + op->r[0] % (C_CHILD - NSHARED);

	close(R->m.cl[ci].fd);
	model_release(&R->m, ci);
	CHECK(R, !open_client(R, ci), "reopening client %d", ci);
}

/* The child goes away (with its own client) and a new one is forked. */
static void do_refork(struct run *R, const struct op *op)
{
	child_stop(R);
	CHECK(R, !child_start(R), "fork");
}

static void do_op(struct run *R, const struct op *op)
{
	switch (op->kind) {
	case OP_NEW:
		do_new(R, op);
		break;
	case OP_DUP:
		do_dup(R, op);
		break;
	case OP_CLOSE:
		do_close(R, op);
		break;
	case OP_GETREFCOUNT:
		do_getrefcount(R, op);
		break;
	case OP_INFO:
		do_info(R, op);
		break;
	case OP_DATA_READ:
		do_data_read(R, op);
		break;
	case OP_DATA_WRITE:
		do_data_write(R, op);
		break;
	case OP_APPEND:
	case OP_SET:
	case OP_GET:
	case OP_POP:
		do_slot(R, op);
		break;
	case OP_COLLECT:
		do_collect(R, op);
		break;
	case OP_GC_GET:
		do_gc_get(R, op);
		break;
	case OP_GC_SET:
		do_gc_set(R, op);
		break;
	case OP_GC_STATS:
		do_gc_stats(R, op);
		break;
	case OP_FREEZE:
		do_freeze(R, op);
		break;
	case OP_GARBAGE:
		do_garbage(R, op);
		break;
	case OP_REFERENTS:
	case OP_REFERRERS:
		do_refs(R, op);
		break;
	case OP_WATCH:
		do_watch(R, op);
		break;
	case OP_WEAKREF:
	case OP_WEAKREF_GET:
		do_weakref(R, op);
		break;
	case OP_TYPE_NAME:
		do_type_name(R, op);
		break;
	case OP_QUERY:
		do_query(R, op);
		break;
	case OP_NOP:
		do_nop(R, op);
		break;
	case OP_BATCH:
		do_batch(R, op);
		break;
	case OP_READ:
		do_read(R, op);
		break;
	case OP_UNKNOWN:
		do_unknown(R, op);
		break;
	case OP_REOPEN:
		do_reopen(R, op);
		break;
	case OP_REFORK:
		do_refork(R, op);
		break;
	}
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

/* Generating operations */

static struct op gen_op(__u64 *s)
{
	static int cum[OP_NR];
	struct op op;
	int k, total = 0;
	__u64 r;

	if (!cum[OP_NR - 1])
		for (k = 0; k < OP_NR; k++)
			cum[k] = (total += op_weight[k]);
	r = rng_next(s);
	total = cum[OP_NR - 1];
	for (k = 0; k < OP_NR; k++)
		if ((int)(r % total) < cum[k])
			break;
	op.kind = k;
	op.exec = (r >> 32) % 1000;
	for (k = 0; k < 8; k += 2) {
		r = rng_next(s);
		op.r[k] = r;
		op.r[k + 1] = r >> 32;
	}
	return op;
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
	R->ro_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	R->bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		      0);
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
