// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_debug_fault: systematic fault injection, after iommufd_fail_nth.c.
 * Debug kernel only (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS).
 *
 * For every command, for opening and releasing a client, for a collection
 * of a graph with cycles, for read() of death notices and for MOBJ_BATCH:
 * build a scene on a fresh open file, then for N = 1, 2, 3, ... write N to
 * /proc/thread-self/fail-nth, so that the Nth slab or page allocation of
 * this thread fails, and issue the call once.  Until a call completes without a
 * fault being injected, every call must either fail with ENOMEM and leave
 * the heap exactly as it was (the consistency checker, every object's
 * refcount, generation, slots and flags as debugfs lists them, the slots'
 * targets, the handles' INFO and payloads, the QUERY counters, the
 * collector's state and statistics, queued events, type names), or
 * succeed (the fault was absorbed, e.g. by a vmalloc fallback), after
 * which the scene is built again.  Before each call the clients' pools of
 * objects are emptied (pools_drop()), so that making an object allocates.  A batch that fails at entry K must
 * leave exactly what its first K entries make on a fresh scene.
 *
 * failslab and fail_page_alloc are set up so that every allocation can
 * fail (ignore-gfp-wait N; pages of any order and zone) and quietly
 * (verbose 0); fail-nth takes precedence over probability,
 * interval and times, so those are left alone.  The fault points each call
 * went through are counted and printed; the last test prints
 * "# reliability: fault_points=N".
 */
#include "mobj_test.h"

#include <stdarg.h>

#include <sys/stat.h>

#define DEBUGFS		"/sys/kernel/debug/"
#define FAILSLAB	DEBUGFS "failslab/"
#define FAIL_PAGE_ALLOC	DEBUGFS "fail_page_alloc/"
#define NTH_MAX		4000

/* Type tags of the scene's objects: unique, so they name the objects. */
#define T_A	0x7a0001
#define T_B	0x7a0002
#define T_C	0x7a0003
#define T_D	0x7a0004
#define T_G	0x7a0005
#define T_X	0x7a0006	/* garbage and dying objects */
#define T_Y	0x7a0007
#define T_NEW	0x7a0100	/* made by the calls under test */

/* Totals across the test processes, printed by the last test. */
struct fault_totals {
	unsigned long points;
	unsigned long calls;
	unsigned int cases;
};

static struct fault_totals *totals;

static void __attribute__((constructor)) totals_init(void)
{
	totals = mobj_shared_zalloc(sizeof(*totals));
}

/* Files */

/* snprintf(dst, len, "%s", src) without -Wformat-truncation */
static void str_copy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* fail-nth */

/*
 * What fail-nth may fail: every slab allocation and every page allocation
 * (any order, also those that may sleep), quietly.  Saved and restored.
 */
static const struct {
	const char *path;
	const char *value;
} nth_knobs[] = {
	{ FAILSLAB "ignore-gfp-wait", "N" },
	{ FAILSLAB "verbose", "0" },
	{ FAIL_PAGE_ALLOC "ignore-gfp-wait", "N" },
	{ FAIL_PAGE_ALLOC "ignore-gfp-highmem", "N" },
	{ FAIL_PAGE_ALLOC "min-order", "0" },
	{ FAIL_PAGE_ALLOC "verbose", "0" },
};

#define NTH_KNOBS (sizeof(nth_knobs) / sizeof(nth_knobs[0]))

struct nth {
	int fd;
	char saved[NTH_KNOBS][16];
};

static void nth_restore(struct nth *n);

static int nth_setup(struct nth *n)
{
	unsigned int i;
	int ret;

	n->fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (n->fd < 0)
		return -errno;
	for (i = 0; i < NTH_KNOBS; i++) {
		ret = mobj_read_text(nth_knobs[i].path, n->saved[i],
				sizeof(n->saved[i]));
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < NTH_KNOBS; i++) {
		ret = mobj_write_text(nth_knobs[i].path, nth_knobs[i].value);
		if (ret) {
			nth_restore(n);
			return ret;
		}
	}
	return 0;
}

static void nth_restore(struct nth *n)
{
	unsigned int i;

	if (n->fd < 0)
		return;
	close(n->fd);
	n->fd = -1;
	for (i = 0; i < NTH_KNOBS; i++)
		mobj_write_text(nth_knobs[i].path, n->saved[i]);
}

/*
 * Empty every client's pools of objects and one-slot arrays (the module's
 * shrinker, through drop_caches: 2 frees slab objects, 4 once first keeps
 * it from logging each time), so that a call that makes an object or a
 * first slot array takes it from the slab: a fault point, where a pooled
 * one would need no allocation.
 */
static void pools_drop(void)
{
	static bool quiet;

	if (!quiet && mobj_write_text("/proc/sys/vm/drop_caches", "4"))
		abort();
	quiet = true;
	if (mobj_write_text("/proc/sys/vm/drop_caches", "2"))
		abort();
}

/* Neither of these allocates: safe right before and after the call. */
static void nth_arm(struct nth *n, int nth)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", nth);

	if (pwrite(n->fd, buf, len, 0) != len)
		abort();
}

/* Disarm; true when the armed fault was injected. */
static bool nth_disarm(struct nth *n)
{
	char buf[16] = "";

	if (pread(n->fd, buf, sizeof(buf) - 1, 0) <= 0)
		abort();
	if (pwrite(n->fd, "0", 1, 0) != 1)
		abort();
	return atoi(buf) == 0;
}

/* The scene: one open file with a few objects (scene_build()) */

#define SCENE_HANDLES 96

struct scene {
	int fd;
	__u64 base_collections[3], base_collected[3];
	__u32 a, b, c, d, g, w;	/* see scene_build() */
	__u32 x, y;		/* case-specific */
	__u32 probe[SCENE_HANDLES];
	int nprobe;
	int extra_fd;
};

/* The heap's signature: everything a failed call must leave alone. */

#define SIG_OBJS	48
#define SIG_SLOTS	24
#define SIG_HANDLES	48
#define SIG_DATA	128
#define SIG_TYPES	4

struct sig_obj {
	char type[40];
	__u64 refcount;
	char gen[12];
	__u32 nslots;
	__u32 data_len;
	char flags[8];
	int nrefs;
	char refs[SIG_SLOTS][40];
};

struct sig_handle {
	__u32 h;
	int info_rc;
	char type[40];
	__u64 refcount;
	__u32 data_len;
	__u32 nslots;
	__u32 generation;
	__u32 state;
	int data_rc;
	__u8 data[SIG_DATA];
	int weak_rc;		/* WEAKREF_GET, for weak handles */
	char weak_type[40];
};

struct sig {
	__u64 check_objects, check_handles, check_edges;
	int nobj;
	struct sig_obj obj[SIG_OBJS];
	struct mobj_counts counts;
	__u32 gc_enabled, gc_debug, threshold[3];
	__u64 gc_count[3], freeze_count, garbage_count;
	__u64 collections[3], collected[3];
	__u64 events_dropped, clients, named_types;
	int readable;
	int nh;
	struct sig_handle h[SIG_HANDLES];
	char names[SIG_TYPES][MOBJ_TYPE_NAME_MAX];
};

static const __u32 named_types[SIG_TYPES] = { T_A, T_B, T_NEW, T_NEW + 1 };

/* "ok objects N handles N edges N", or the FAIL lines in @why. */
static int checker(__u64 *objects, __u64 *handles, __u64 *edges, char *why,
		   size_t len)
{
	char buf[4096];
	int ret;

	ret = mobj_read_text(MOBJ_DEBUGFS "check", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	if (sscanf(buf, "ok objects %llu handles %llu edges %llu",
		   (unsigned long long *)objects, (unsigned long long *)handles,
		   (unsigned long long *)edges) == 3)
		return 0;
	str_copy(why, len, buf);
	return -EUCLEAN;
}

/* id -> type string, from the objects listing */
struct idmap {
	int n;
	__u64 id[SIG_OBJS];
	char type[SIG_OBJS][40];
};

static const char *idmap_type(const struct idmap *m, __u64 id)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->id[i] == id)
			return m->type[i];
	return "?";
}

static int obj_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sig_obj *)a)->type,
		      ((const struct sig_obj *)b)->type);
}

/* The slots of object @id, as type strings, from debugfs "graph". */
static int graph_refs(int gfd, __u64 id, const struct idmap *m,
		      struct sig_obj *o)
{
	static char buf[65536];
	unsigned long long from, to;
	char q[64], *line, *save;
	unsigned int slot;
	ssize_t n;
	int len;

	len = snprintf(q, sizeof(q), "refs %llu depth=1 max=1000",
		       (unsigned long long)id);
	if (write(gfd, q, len) != len)
		return -errno;
	if (lseek(gfd, 0, SEEK_SET) < 0)
		return -errno;
	n = read(gfd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	o->nrefs = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, " o%llu -> o%llu [label=\"[%u]\"]", &from, &to,
			   &slot) != 3 || from != id)
			continue;
		if (o->nrefs < SIG_SLOTS)
			str_copy(o->refs[o->nrefs], sizeof(o->refs[0]), idmap_type(m, to));
		o->nrefs++;
	}
	return 0;
}

static int sig_objects(struct sig *s, struct idmap *m)
{
	static char buf[65536];
	unsigned long long id, rc;
	char *line, *save;
	struct sig_obj *o;
	int ret, gfd, i;
	unsigned int nslots, dlen;

	ret = mobj_read_text(MOBJ_DEBUGFS "objects", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	m->n = 0;
	s->nobj = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		if (s->nobj == SIG_OBJS)
			return -E2BIG;
		o = &s->obj[s->nobj];
		if (sscanf(line, "%llu %39s %llu %11s %u %u %7s", &id, o->type,
			   &rc, o->gen, &nslots, &dlen, o->flags) != 7)
			return -EPROTO;
		o->refcount = rc;
		o->nslots = nslots;
		o->data_len = dlen;
		m->id[m->n] = id;
		str_copy(m->type[m->n], sizeof(m->type[0]), o->type);
		m->n++;
		s->nobj++;
	}
	gfd = open(MOBJ_DEBUGFS "graph", O_RDWR | O_CLOEXEC);
	if (gfd < 0)
		return -errno;
	for (i = 0; i < s->nobj; i++) {
		ret = graph_refs(gfd, m->id[i], m, &s->obj[i]);
		if (ret)
			break;
	}
	close(gfd);
	qsort(s->obj, s->nobj, sizeof(s->obj[0]), obj_cmp);
	return ret;
}

static void sig_handle(int fd, __u32 h, const struct idmap *m,
		       struct sig_handle *sh)
{
	struct mobj_info info;
	__u32 strong;
	int ret;

	memset(sh, 0, sizeof(*sh));
	sh->h = h;
	sh->info_rc = mobj_info(fd, h, &info);
	if (!sh->info_rc) {
		str_copy(sh->type, sizeof(sh->type), idmap_type(m, info.id));
		sh->refcount = info.refcount;
		sh->data_len = info.data_len;
		sh->nslots = info.nslots;
		sh->generation = info.generation;
		sh->state = info.state;
		ret = mobj_data_read(fd, h, 0, sh->data, SIG_DATA, NULL);
		sh->data_rc = ret < 0 ? ret : 0;
		return;
	}
	if (sh->info_rc != -EINVAL)
		return;
	/* A weak handle: is its object alive, and which one is it? */
	sh->weak_rc = mobj_weakref_get(fd, h, &strong);
	if (sh->weak_rc)
		return;
	if (!mobj_info(fd, strong, &info))
		str_copy(sh->weak_type, sizeof(sh->weak_type), idmap_type(m, info.id));
	mobj_handle_close(fd, strong);
}

static int sig_take(const struct scene *sc, struct sig *s)
{
	const __u32 *h = sc->probe;
	int nh = sc->nprobe;
	int fd = sc->fd;
	struct mobj_gc_state gs;
	struct mobj_gc_stats st;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	static char stats[8192];
	char why[512];
	struct idmap m;
	int ret, i;

	memset(s, 0, sizeof(*s));
	ret = checker(&s->check_objects, &s->check_handles, &s->check_edges,
		      why, sizeof(why));
	if (ret)
		return ret;
	ret = sig_objects(s, &m);
	if (ret)
		return ret;
	ret = mobj_counts(fd, &s->counts);
	if (ret)
		return ret;
	ret = mobj_gc_get(fd, &gs);
	if (ret)
		return ret;
	s->gc_enabled = gs.enabled;
	s->gc_debug = gs.debug;
	memcpy(s->threshold, gs.threshold, sizeof(s->threshold));
	memcpy(s->gc_count, gs.count, sizeof(s->gc_count));
	s->freeze_count = gs.freeze_count;
	s->garbage_count = gs.garbage_count;
	ret = mobj_gc_get_stats(fd, &st);
	if (ret)
		return ret;
	for (i = 0; i < 3; i++) {
		s->collections[i] = st.gen[i].collections -
				    sc->base_collections[i];
		s->collected[i] = st.gen[i].collected - sc->base_collected[i];
	}
	ret = mobj_read_text(MOBJ_DEBUGFS "stats", stats, sizeof(stats));
	if (ret < 0)
		return ret;
	s->events_dropped = mobj_keyed(stats, "events_dropped");
	s->clients = mobj_keyed(stats, "clients");
	s->named_types = mobj_keyed(stats, "named_types");
	s->readable = poll(&pfd, 1, 0);
	for (i = 0; i < SIG_TYPES; i++) {
		struct mobj_type_name tn = {
			.size = sizeof(tn),
			.flags = MOBJ_TYPE_NAME_GET,
			.type = named_types[i],
		};

		ret = mobj_raw(fd, MOBJ_TYPE_NAME, &tn);
		if (ret)
			return ret;
		memcpy(s->names[i], tn.name, sizeof(tn.name));
	}
	s->nh = nh < SIG_HANDLES ? nh : SIG_HANDLES;
	for (i = 0; i < s->nh; i++)
		sig_handle(fd, h[i], &m, &s->h[i]);
	return 0;
}

#define SIG_EQ(field, fmt) do { \
	if (a->field != b->field) { \
		TH_LOG("%s: " #field " was " fmt ", now " fmt, what, \
		       a->field, b->field); \
		return false; \
	} \
} while (0)
#define SIG_STR(field) do { \
	if (strcmp(a->field, b->field)) { \
		TH_LOG("%s: " #field " was '%s', now '%s'", what, a->field, \
		       b->field); \
		return false; \
	} \
} while (0)

static bool sig_same(struct __test_metadata *_metadata, const char *what,
		     const struct sig *a, const struct sig *b)
{
	int i, j;

	SIG_EQ(check_objects, "%llu");
	SIG_EQ(check_handles, "%llu");
	SIG_EQ(check_edges, "%llu");
	SIG_EQ(nobj, "%d");
	for (i = 0; i < a->nobj; i++) {
		const struct sig_obj *x = &a->obj[i], *y = &b->obj[i];

		if (strcmp(x->type, y->type) || x->refcount != y->refcount ||
		    strcmp(x->gen, y->gen) || x->nslots != y->nslots ||
		    x->data_len != y->data_len || strcmp(x->flags, y->flags) ||
		    x->nrefs != y->nrefs) {
			TH_LOG("%s: object was %s rc %llu gen %s slots %u len %u %s, now %s rc %llu gen %s slots %u len %u %s",
			       what, x->type, x->refcount, x->gen, x->nslots,
			       x->data_len, x->flags, y->type, y->refcount,
			       y->gen, y->nslots, y->data_len, y->flags);
			return false;
		}
		for (j = 0; j < x->nrefs && j < SIG_SLOTS; j++) {
			if (strcmp(x->refs[j], y->refs[j])) {
				TH_LOG("%s: %s slot %d was %s, now %s", what,
				       x->type, j, x->refs[j], y->refs[j]);
				return false;
			}
		}
	}
	SIG_EQ(counts.live_objects, "%llu");
	SIG_EQ(counts.live_handles, "%llu");
	SIG_EQ(counts.client_objects, "%llu");
	SIG_EQ(counts.client_handles, "%llu");
	SIG_EQ(gc_enabled, "%u");
	SIG_EQ(gc_debug, "%u");
	for (i = 0; i < 3; i++) {
		SIG_EQ(threshold[i], "%u");
		SIG_EQ(gc_count[i], "%llu");
		SIG_EQ(collections[i], "%llu");
		SIG_EQ(collected[i], "%llu");
	}
	SIG_EQ(freeze_count, "%llu");
	SIG_EQ(garbage_count, "%llu");
	SIG_EQ(events_dropped, "%llu");
	SIG_EQ(clients, "%llu");
	SIG_EQ(named_types, "%llu");
	SIG_EQ(readable, "%d");
	for (i = 0; i < SIG_TYPES; i++)
		SIG_STR(names[i]);
	SIG_EQ(nh, "%d");
	for (i = 0; i < a->nh; i++) {
		const struct sig_handle *x = &a->h[i], *y = &b->h[i];

		if (x->h != y->h || x->info_rc != y->info_rc ||
		    strcmp(x->type, y->type) || x->refcount != y->refcount ||
		    x->data_len != y->data_len || x->nslots != y->nslots ||
		    x->generation != y->generation || x->state != y->state ||
		    x->data_rc != y->data_rc ||
		    memcmp(x->data, y->data, SIG_DATA) ||
		    x->weak_rc != y->weak_rc ||
		    strcmp(x->weak_type, y->weak_type)) {
			TH_LOG("%s: handle %u was rc %d %s refcount %llu len %u slots %u gen %u state %#x weak %d %s, now %u rc %d %s refcount %llu len %u slots %u gen %u state %#x weak %d %s",
			       what, x->h, x->info_rc, x->type, x->refcount,
			       x->data_len, x->nslots, x->generation, x->state,
			       x->weak_rc, x->weak_type, y->h, y->info_rc,
			       y->type, y->refcount, y->data_len, y->nslots,
			       y->generation, y->state, y->weak_rc,
			       y->weak_type);
			return false;
		}
	}
	return true;
}

/* A case: how to finish the scene, and the call under test */

struct fault_case {
	const char *name;
	/*
	 * extra handles (DUPs of c) so the next one needs a new table page;
	 * such a scene has no weak handle w, so that taking the signature
	 * (WEAKREF_GET of w) makes no handle of its own that would reach the
	 * page first (pages are kept until the file is closed)
	 */
	unsigned int fill;
	bool no_watch;		/* the client has no event ring yet */
	int (*prep)(struct scene *s);
	int (*run)(struct scene *s);
};

static void probe_add(struct scene *s, __u32 h)
{
	if (s->nprobe < SCENE_HANDLES)
		s->probe[s->nprobe++] = h;
}

/* The device as every scene starts: no garbage, nothing frozen, gc off. */
static int device_reset(int fd)
{
	return mobj_gc_reset(fd, 2000);
}

/* Statistics are counted from the start of each scene. */
static int scene_stats(struct scene *s)
{
	struct mobj_gc_stats st;
	int i, ret;

	ret = mobj_gc_get_stats(s->fd, &st);
	for (i = 0; !ret && i < 3; i++) {
		s->base_collections[i] = st.gen[i].collections;
		s->base_collected[i] = st.gen[i].collected;
	}
	return ret;
}

static const char payload_b[100] =
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/*
 * a = [b, c] "aaaa", b = [a] (a cycle with a), c untracked and empty,
 * d = [d] watched, g = [c, c, c, c] (slot array full), w weak to c,
 * then @fill DUPs of c (and then no w).
 */
static int scene_build(struct scene *s, const struct fault_case *fc)
{
	unsigned int i;
	__u32 h;
	int ret;

	memset(s, 0, sizeof(*s));
	s->extra_fd = -1;
	s->fd = mobj_dev_open();
	if (s->fd < 0)
		return s->fd;
	ret = device_reset(s->fd);
	if (!ret)
		ret = scene_stats(s);
#define TRY(call) do { if (!ret) ret = (call); } while (0)
	TRY(mobj_new(s->fd, T_A, "aaaa", 4, &s->a, NULL));
	TRY(mobj_new(s->fd, T_B, payload_b, sizeof(payload_b), &s->b, NULL));
	TRY(mobj_new(s->fd, T_C, NULL, 0, &s->c, NULL));
	TRY(mobj_new(s->fd, T_D, "d", 1, &s->d, NULL));
	TRY(mobj_new(s->fd, T_G, NULL, 0, &s->g, NULL));
	TRY(mobj_slot_append(s->fd, s->a, s->b, NULL));
	TRY(mobj_slot_append(s->fd, s->a, s->c, NULL));
	TRY(mobj_slot_append(s->fd, s->b, s->a, NULL));
	TRY(mobj_slot_append(s->fd, s->d, s->d, NULL));
	for (i = 0; i < 4; i++)
		TRY(mobj_slot_append(s->fd, s->g, s->c, NULL));
	if (!fc->no_watch)
		TRY(mobj_watch(s->fd, s->d, 1));
	if (!fc->fill)
		TRY(mobj_weakref(s->fd, s->c, &s->w));
	if (ret)
		return ret;
	probe_add(s, s->a);
	probe_add(s, s->b);
	probe_add(s, s->c);
	probe_add(s, s->d);
	probe_add(s, s->g);
	if (!fc->fill)
		probe_add(s, s->w);
	for (i = 0; i < fc->fill && !ret; i++) {
		ret = mobj_dup(s->fd, s->c, &h);
		if (!i || i + 1 == fc->fill)
			probe_add(s, h);
	}
	if (!ret && fc->prep)
		ret = fc->prep(s);
	return ret;
#undef TRY
}

static void scene_destroy(struct scene *s)
{
	if (s->extra_fd >= 0)
		close(s->extra_fd);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->extra_fd = -1;
}

/* The cases: prep() finishes the scene, run() is the call under test. */

static int run_query(struct scene *s)
{
	struct mobj_query q;

	return mobj_query(s->fd, &q);
}

static int run_nop(struct scene *s)
{
	return mobj_nop(s->fd);
}

static int run_new(struct scene *s)
{
	__u32 h;

	return mobj_new(s->fd, T_NEW, NULL, 0, &h, NULL);
}

static int run_new_data(struct scene *s)
{
	__u32 h;

	return mobj_new(s->fd, T_NEW, payload_b, sizeof(payload_b), &h, NULL);
}

static __u8 big[65536];

static int run_new_page(struct scene *s)
{
	__u32 h;

	return mobj_new(s->fd, T_NEW, big, 4096, &h, NULL);
}

static int run_new_big(struct scene *s)
{
	__u32 h;

	return mobj_new(s->fd, T_NEW, big, sizeof(big), &h, NULL);
}

static int run_dup(struct scene *s)
{
	__u32 h;

	return mobj_dup(s->fd, s->a, &h);
}

/* x: the only handle to a watched object: closing it frees it. */
static int prep_dying(struct scene *s)
{
	int ret;

	ret = mobj_new(s->fd, T_X, "x", 1, &s->x, NULL);
	if (!ret)
		ret = mobj_slot_append(s->fd, s->x, s->c, NULL);
	if (!ret && mobj_has_cmd(s->fd, MOBJ_CMD_WATCH))
		ret = mobj_watch(s->fd, s->x, 7);
	probe_add(s, s->x);
	return ret;
}

static int run_close(struct scene *s)
{
	return mobj_handle_close(s->fd, s->x);
}

static int run_close_weak(struct scene *s)
{
	return mobj_handle_close(s->fd, s->w);
}

static int run_getrefcount(struct scene *s)
{
	__u64 rc;

	return mobj_getrefcount(s->fd, s->a, &rc);
}

static int run_info(struct scene *s)
{
	struct mobj_info info;

	return mobj_info(s->fd, s->b, &info);
}

static int run_data_read(struct scene *s)
{
	static char buf[256];
	int ret = mobj_data_read(s->fd, s->b, 0, buf, sizeof(buf), NULL);

	return ret < 0 ? ret : 0;
}

static int run_data_write(struct scene *s)
{
	return mobj_data_write(s->fd, s->b, "new payload", 11);
}

static int run_append(struct scene *s)
{
	return mobj_slot_append(s->fd, s->a, s->d, NULL);
}

static int run_append_grow(struct scene *s)
{
	return mobj_slot_append(s->fd, s->g, s->a, NULL);
}

static int run_set(struct scene *s)
{
	return mobj_slot_set(s->fd, s->a, 1, s->d);
}

static int run_get(struct scene *s)
{
	__u32 h;

	return mobj_slot_get(s->fd, s->a, 0, &h);
}

static int run_pop(struct scene *s)
{
	return mobj_slot_pop(s->fd, s->b, 0);
}

/* Two unreachable cycles, one watched, one holding an outside object. */
static int prep_cycles(struct scene *s)
{
	__u32 x, y, z;
	int ret;

	ret = mobj_new(s->fd, T_X, NULL, 0, &x, NULL);
	if (!ret)
		ret = mobj_new(s->fd, T_Y, NULL, 0, &y, NULL);
	if (!ret)
		ret = mobj_new(s->fd, T_X + 0x10, NULL, 0, &z, NULL);
	if (!ret)
		ret = mobj_slot_append(s->fd, x, y, NULL);
	if (!ret)
		ret = mobj_slot_append(s->fd, y, x, NULL);
	if (!ret)
		ret = mobj_slot_append(s->fd, y, s->c, NULL);
	if (!ret)
		ret = mobj_slot_append(s->fd, z, z, NULL);
	if (!ret && mobj_has_cmd(s->fd, MOBJ_CMD_WATCH))
		ret = mobj_watch(s->fd, x, 11);
	if (!ret)
		ret = mobj_handle_close(s->fd, x);
	if (!ret)
		ret = mobj_handle_close(s->fd, y);
	if (!ret)
		ret = mobj_handle_close(s->fd, z);
	return ret;
}

static int run_collect(struct scene *s)
{
	int ret = mobj_gc_collect(s->fd, 2, NULL);

	return ret < 0 ? ret : 0;
}

static int run_gc_get(struct scene *s)
{
	struct mobj_gc_state st;

	return mobj_gc_get(s->fd, &st);
}

static int run_gc_set(struct scene *s)
{
	return mobj_gc_set_threshold(s->fd, 0, 5, 5);
}

static int run_gc_stats(struct scene *s)
{
	struct mobj_gc_stats st;

	return mobj_gc_get_stats(s->fd, &st);
}

static int run_freeze(struct scene *s)
{
	return mobj_gc_freeze(s->fd, NULL);
}

static int prep_frozen(struct scene *s)
{
	return mobj_gc_freeze(s->fd, NULL);
}

static int run_unfreeze(struct scene *s)
{
	return mobj_gc_unfreeze(s->fd, NULL);
}

/* Saved garbage: the cycles of prep_cycles(), kept by SAVEALL. */
static int prep_garbage(struct scene *s)
{
	int ret = mobj_gc_set_debug(s->fd, MOBJ_GC_DEBUG_SAVEALL);

	if (!ret)
		ret = prep_cycles(s);
	if (!ret) {
		ret = mobj_gc_collect(s->fd, 2, NULL);
		ret = ret < 0 ? ret : 0;
	}
	return ret;
}

static int run_garbage(struct scene *s)
{
	__u32 handles[16];
	int ret;

	ret = mobj_gc_garbage(s->fd, handles, 16, 0, NULL);
	return ret < 0 ? ret : 0;
}

static int run_garbage_clear(struct scene *s)
{
	__u32 handles[1];
	int ret;

	ret = mobj_gc_garbage(s->fd, handles, 1, MOBJ_GC_GARBAGE_CLEAR, NULL);
	return ret < 0 ? ret : 0;
}

static int run_referents(struct scene *s)
{
	__u64 ids[8];
	int ret = mobj_get_referents(s->fd, s->g, ids, 8);

	return ret < 0 ? ret : 0;
}

static int run_referrers(struct scene *s)
{
	__u64 ids[8];
	int ret = mobj_get_referrers(s->fd, s->c, ids, 8);

	return ret < 0 ? ret : 0;
}

static int run_watch(struct scene *s)
{
	return mobj_watch(s->fd, s->a, 3);
}

static int run_weakref(struct scene *s)
{
	__u32 h;

	return mobj_weakref(s->fd, s->a, &h);
}

static int run_weakref_get(struct scene *s)
{
	__u32 h;

	return mobj_weakref_get(s->fd, s->w, &h);
}

static int type_name(int fd, __u32 type, const char *name, __u32 flags)
{
	struct mobj_type_name tn = {
		.size = sizeof(tn),
		.flags = flags,
		.type = type,
	};

	str_copy(tn.name, sizeof(tn.name), name);
	return mobj_raw(fd, MOBJ_TYPE_NAME, &tn);
}

static int prep_names(struct scene *s)
{
	int ret = type_name(s->fd, T_NEW, "", 0);

	if (!ret)
		ret = type_name(s->fd, T_NEW + 1, "", 0);
	if (!ret)
		ret = type_name(s->fd, T_A, "fault.A", 0);
	return ret;
}

static int run_name_new(struct scene *s)
{
	return type_name(s->fd, T_NEW, "fault.new", 0);
}

static int run_name_replace(struct scene *s)
{
	return type_name(s->fd, T_A, "fault.A2", 0);
}

static int run_name_remove(struct scene *s)
{
	return type_name(s->fd, T_A, "", 0);
}

static int run_name_get(struct scene *s)
{
	return type_name(s->fd, T_A, "", MOBJ_TYPE_NAME_GET);
}

/* Death notices queued: x dies. */
static int prep_events(struct scene *s)
{
	int ret = prep_dying(s);

	if (!ret)
		ret = mobj_handle_close(s->fd, s->x);
	return ret;
}

static int run_read(struct scene *s)
{
	struct mobj_event ev[4];
	int ret;

	ret = mobj_read_events(s->fd, ev, 4);
	return ret < 0 ? ret : 0;
}

static int run_open_close(struct scene *s)
{
	int fd = open(MOBJ_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The release of a client with handles, watches, weak handles, events. */
static int run_release(struct scene *s)
{
	int ret = close(s->fd) ? -errno : 0;

	s->fd = -1;
	return ret;
}

/* A second client with a cycle through the first client's objects. */
static int prep_second_client(struct scene *s)
{
	__u32 x, y;
	int ret;

	s->extra_fd = mobj_dev_open();
	if (s->extra_fd < 0)
		return s->extra_fd;
	ret = mobj_new(s->extra_fd, T_X, NULL, 0, &x, NULL);
	if (!ret)
		ret = mobj_new(s->extra_fd, T_Y, NULL, 0, &y, NULL);
	if (!ret)
		ret = mobj_slot_append(s->extra_fd, x, y, NULL);
	if (!ret)
		ret = mobj_slot_append(s->extra_fd, y, x, NULL);
	if (!ret)
		ret = mobj_watch(s->extra_fd, x, 5);
	return ret;
}

static int run_release_second(struct scene *s)
{
	int ret = close(s->extra_fd) ? -errno : 0;

	s->extra_fd = -1;
	return ret;
}

static const struct fault_case cases[] = {
	{ "QUERY", 0, false, NULL, run_query },
	{ "NOP", 0, false, NULL, run_nop },
	{ "NEW", 0, false, NULL, run_new },
	{ "NEW(512 handles)", 511 - 5, false, NULL, run_new },
	{ "NEW(payload)", 0, false, NULL, run_new_data },
	{ "NEW(4 KiB payload)", 0, false, NULL, run_new_page },
	{ "NEW(64 KiB payload)", 0, false, NULL, run_new_big },
	{ "DUP", 0, false, NULL, run_dup },
	{ "DUP(512 handles)", 511 - 5, false, NULL, run_dup },
	{ "CLOSE(frees, notifies)", 0, false, prep_dying, run_close },
	{ "CLOSE(weak)", 0, false, NULL, run_close_weak },
	{ "GETREFCOUNT", 0, false, NULL, run_getrefcount },
	{ "INFO", 0, false, NULL, run_info },
	{ "DATA_READ", 0, false, NULL, run_data_read },
	{ "DATA_WRITE", 0, false, NULL, run_data_write },
	{ "SLOT_APPEND", 0, false, NULL, run_append },
	{ "SLOT_APPEND(grow)", 0, false, NULL, run_append_grow },
	{ "SLOT_SET", 0, false, NULL, run_set },
	{ "SLOT_GET", 0, false, NULL, run_get },
	{ "SLOT_GET(512 handles)", 511 - 5, false, NULL, run_get },
	{ "SLOT_POP", 0, false, NULL, run_pop },
	{ "GC_COLLECT(cycles)", 0, false, prep_cycles, run_collect },
	{ "GC_GET", 0, false, NULL, run_gc_get },
	{ "GC_SET", 0, false, NULL, run_gc_set },
	{ "GC_STATS", 0, false, NULL, run_gc_stats },
	{ "GC_FREEZE", 0, false, NULL, run_freeze },
	{ "GC_FREEZE(unfreeze)", 0, false, prep_frozen, run_unfreeze },
	{ "GC_GARBAGE", 0, false, prep_garbage, run_garbage },
	{ "GC_GARBAGE(clear)", 0, false, prep_garbage, run_garbage_clear },
	{ "REFERENTS", 0, false, NULL, run_referents },
	{ "REFERRERS", 0, false, NULL, run_referrers },
	{ "WATCH(first)", 0, true, NULL, run_watch },
	{ "WATCH", 0, false, NULL, run_watch },
	{ "WEAKREF", 0, false, NULL, run_weakref },
	{ "WEAKREF(512 handles)", 511 - 5, false, NULL, run_weakref },
	{ "WEAKREF_GET", 0, false, NULL, run_weakref_get },
	{ "TYPE_NAME(new)", 0, false, prep_names, run_name_new },
	{ "TYPE_NAME(replace)", 0, false, prep_names, run_name_replace },
	{ "TYPE_NAME(remove)", 0, false, prep_names, run_name_remove },
	{ "TYPE_NAME(get)", 0, false, prep_names, run_name_get },
	{ "read(events)", 0, false, prep_events, run_read },
	{ "open+close", 0, false, NULL, run_open_close },
	{ "release", 0, false, prep_dying, run_release },
	{ "release(other client)", 0, false, prep_second_client,
	  run_release_second },
};

#define NCASES (ARRAY_SIZE(cases))

/* The fixtures: one per group of cases, one for MOBJ_BATCH */

struct fault_env {
	struct nth nth;
	struct mobj_params params;
	struct mobj_counts base;
	bool ready;
};

static void env_setup(struct __test_metadata *_metadata, struct fault_env *e)
{
	e->nth.fd = -1;
	e->ready = false;
	MOBJ_BASE_COUNTS_OR_SKIP(&e->base);
	if (access(FAILSLAB "ignore-gfp-wait", W_OK) ||
	    access(FAIL_PAGE_ALLOC "ignore-gfp-wait", W_OK) ||
	    access("/proc/thread-self/fail-nth", W_OK))
		SKIP_SETUP("no failslab, fail_page_alloc or fail-nth: not the debug kernel");
	if (access(MOBJ_DEBUGFS "check", R_OK))
		SKIP_SETUP("no %scheck: debugfs not mounted?", MOBJ_DEBUGFS);
	ASSERT_EQ(0, nth_setup(&e->nth));
	memset(big, 'z', sizeof(big));
	e->ready = true;
}

/* After the scenes: gc reset, no type name left. */
static int device_unname(int fd)
{
	int ret = device_reset(fd);

	if (!ret)
		ret = type_name(fd, T_A, "", 0);
	return ret ? ret : type_name(fd, T_NEW, "", 0);
}

static void env_teardown(struct __test_metadata *_metadata,
			 struct fault_env *e)
{
	nth_restore(&e->nth);
	EXPECT_EQ(0, mobj_params_restore(&e->params));
	if (!e->ready)
		return;
	mobj_teardown_base(_metadata, &e->base, device_unname);
}

FIXTURE(fault) {
	struct fault_env env;
};

FIXTURE_VARIANT(fault) {
	int first;	/* cases [first, last) */
	int last;
};

FIXTURE_SETUP(fault)
{
	env_setup(_metadata, &self->env);
}

FIXTURE_TEARDOWN(fault)
{
	env_teardown(_metadata, &self->env);
}

static void count_points(const char *name, unsigned long points,
			 unsigned long calls)
{
	mobj_note("fault: %-24s %4lu fault points (%lu calls)\n", name,
		       points, calls);
	fflush(stdout);
	if (totals) {
		__atomic_add_fetch(&totals->points, points, __ATOMIC_RELAXED);
		__atomic_add_fetch(&totals->calls, calls, __ATOMIC_RELAXED);
		__atomic_add_fetch(&totals->cases, 1, __ATOMIC_RELAXED);
	}
}

/*
 * Walk fail-nth over one case.  Returns the number of fault points the
 * call went through (every N at which a fault was injected).
 */
static void walk_case(struct __test_metadata *_metadata, struct nth *nth,
		      const struct fault_case *fc)
{
	struct sig *before, *after;
	unsigned long points = 0, calls = 0;
	struct scene s;
	char what[96], why[512];
	bool injected;
	int n, ret;

	before = calloc(1, sizeof(*before));
	after = calloc(1, sizeof(*after));
	ASSERT_NE(NULL, before);
	ASSERT_NE(NULL, after);

	/* Without faults first: the call must work. */
	ASSERT_EQ(0, scene_build(&s, fc)) TH_LOG("%s: scene", fc->name);
	ASSERT_EQ(0, fc->run(&s)) TH_LOG("%s without faults", fc->name);
	scene_destroy(&s);

	ASSERT_EQ(0, scene_build(&s, fc)) TH_LOG("%s: scene", fc->name);
	ASSERT_EQ(0, sig_take(&s, before))
		TH_LOG("%s: signature", fc->name);
	for (n = 1; n <= NTH_MAX; n++) {
		pools_drop();
		nth_arm(nth, n);
		ret = fc->run(&s);
		injected = nth_disarm(nth);
		calls++;
		if (!injected) {
			ASSERT_EQ(0, ret)
				TH_LOG("%s: fail-nth %d, no fault injected", fc->name, n);
			break;
		}
		points++;
		snprintf(what, sizeof(what), "%s, fault %d", fc->name, n);
		if (ret == -ENOMEM) {
			ASSERT_EQ(0, sig_take(&s, after))
				TH_LOG("%s: signature", what);
			ASSERT_TRUE(sig_same(_metadata, what, before, after));
			continue;
		}
		/* Only ENOMEM, or a fault the kernel absorbed. */
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", what, strerror(-ret));
		ASSERT_EQ(0, checker(&after->check_objects,
				     &after->check_handles, &after->check_edges,
				     why, sizeof(why)))
			TH_LOG("%s, absorbed: checker: %s", what, why);
		scene_destroy(&s);
		ASSERT_EQ(0, scene_build(&s, fc)) TH_LOG("%s: scene", what);
		ASSERT_EQ(0, sig_take(&s, before))
			TH_LOG("%s: signature", what);
	}
	ASSERT_GE(NTH_MAX, n) TH_LOG("%s: still faulting after %d", fc->name,
				     NTH_MAX);
	scene_destroy(&s);
	/* After the call that went through, the heap is still consistent. */
	ASSERT_EQ(0, checker(&after->check_objects, &after->check_handles,
			     &after->check_edges, what, sizeof(what)))
		TH_LOG("%s: checker after the call: %s", fc->name, what);
	count_points(fc->name, points, calls);
	free(before);
	free(after);
}

/* Groups of cases, each in its own test process and under its own timeout. */
FIXTURE_VARIANT_ADD(fault, new_dup) { .first = 0, .last = 9 };
FIXTURE_VARIANT_ADD(fault, handles_slots) { .first = 9, .last = 21 };
FIXTURE_VARIANT_ADD(fault, collector) { .first = 21, .last = 31 };
FIXTURE_VARIANT_ADD(fault, observers_names) { .first = 31, .last = 41 };
FIXTURE_VARIANT_ADD(fault, clients) { .first = 41, .last = (int)NCASES };

TEST_F_TIMEOUT(fault, fail_nth, 300)
{
	int i;

	for (i = variant->first; i < variant->last; i++) {
		if (strstr(cases[i].name, "64 KiB"))
			PARAM_SET_OR_SKIP(&self->env.params, "data_max",
					  65536);
		walk_case(_metadata, &self->env.nth, &cases[i]);
		if (!_metadata->passed)
			return;
	}
}

/* MOBJ_BATCH: a failed entry K leaves what entries 0..K-1 make. */

#define R(i) MOBJ_BATCH_RESULT(i)

static void batch_ops(const struct scene *s, struct mobj_batch_op *ops,
		      unsigned int *count)
{
	const struct mobj_batch_op tmpl[] = {
		{ .cmd = MOBJ_CMD_NEW, .handle = T_NEW },
		{ .cmd = MOBJ_CMD_NEW, .handle = T_NEW + 1 },
		{ .cmd = MOBJ_CMD_SLOT_APPEND, .handle = R(0), .value = R(1) },
		{ .cmd = MOBJ_CMD_SLOT_APPEND, .handle = R(1), .value = R(0) },
		{ .cmd = MOBJ_CMD_DUP, .handle = R(0) },
		{ .cmd = MOBJ_CMD_SLOT_GET, .handle = s->a, .index = 0 },
		{ .cmd = MOBJ_CMD_GETREFCOUNT, .handle = R(1) },
		{ .cmd = MOBJ_CMD_SLOT_SET, .handle = s->a, .index = 1,
		  .value = R(0) },
		{ .cmd = MOBJ_CMD_SLOT_APPEND, .handle = s->g, .value = R(1) },
		{ .cmd = MOBJ_CMD_SLOT_POP, .handle = s->b, .index = 0 },
		{ .cmd = MOBJ_CMD_CLOSE, .handle = R(4) },
		{ .cmd = MOBJ_CMD_NEW, .handle = T_NEW + 2 },
		{ .cmd = MOBJ_CMD_SLOT_APPEND, .handle = R(11),
		  .value = R(11) },
		{ .cmd = MOBJ_CMD_DUP, .handle = s->c },
		{ .cmd = MOBJ_CMD_CLOSE, .handle = R(0) },
		{ .cmd = MOBJ_CMD_CLOSE, .handle = s->d },
	};

	memcpy(ops, tmpl, sizeof(tmpl));
	*count = ARRAY_SIZE(tmpl);
}

static int batch_run(int fd, struct mobj_batch_op *ops, unsigned int count,
		     __u32 *done)
{
	struct mobj_batch b = {
		.size = sizeof(b),
		.count = count,
		.done = U32_NONE,
		.ops = (__u64)(unsigned long)ops,
	};
	int ret;

	ret = mobj_raw(fd, MOBJ_BATCH, &b);
	*done = b.done;
	return ret;
}

/* Probe the scene's handles and those the first @k entries made. */
static void batch_probe(struct scene *s, const struct mobj_batch_op *ops,
			unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++)
		if (ops[i].cmd == MOBJ_CMD_NEW || ops[i].cmd == MOBJ_CMD_DUP ||
		    ops[i].cmd == MOBJ_CMD_SLOT_GET)
			probe_add(s, ops[i].result);
}

/* The heap after the first @k entries ran on a fresh scene. */
static int batch_expected(const struct fault_case *fc, unsigned int k,
			  struct sig *sig)
{
	struct mobj_batch_op ops[32];
	unsigned int count;
	struct scene s;
	__u32 done;
	int ret;

	ret = scene_build(&s, fc);
	if (ret)
		return ret;
	batch_ops(&s, ops, &count);
	if (k) {
		ret = batch_run(s.fd, ops, k, &done);
		if (!ret && done != k)
			ret = -EPROTO;
	}
	if (!ret) {
		batch_probe(&s, ops, k);
		ret = sig_take(&s, sig);
	}
	scene_destroy(&s);
	return ret;
}

FIXTURE(fault_batch) {
	struct fault_env env;
};

FIXTURE_SETUP(fault_batch)
{
	env_setup(_metadata, &self->env);
}

FIXTURE_TEARDOWN(fault_batch)
{
	env_teardown(_metadata, &self->env);
}

TEST_F_TIMEOUT(fault_batch, fail_nth, 300)
{
	static const struct fault_case fc = { "BATCH", 511 - 5, false, NULL,
					      NULL };
	unsigned long points = 0, calls = 0;
	struct mobj_batch_op ops[32];
	struct sig *expect, *got;
	unsigned int count, k;
	struct scene s;
	char what[64];
	bool injected;
	__u32 done;
	int n, ret;

	ASSERT_EQ(0, scene_build(&s, &fc));
	if (!mobj_has_cmd(s.fd, MOBJ_CMD_BATCH)) {
		scene_destroy(&s);
		SKIP(return, "the module has no MOBJ_BATCH");
	}
	scene_destroy(&s);
	expect = calloc(1, sizeof(*expect));
	got = calloc(1, sizeof(*got));
	ASSERT_NE(NULL, expect);
	ASSERT_NE(NULL, got);

	for (n = 1; n <= NTH_MAX; n++) {
		ASSERT_EQ(0, scene_build(&s, &fc));
		batch_ops(&s, ops, &count);
		pools_drop();
		nth_arm(&self->env.nth, n);
		ret = batch_run(s.fd, ops, count, &done);
		injected = nth_disarm(&self->env.nth);
		calls++;
		snprintf(what, sizeof(what), "BATCH, fault %d", n);
		if (!injected) {
			ASSERT_EQ(0, ret) TH_LOG("%s: no fault injected", what);
			ASSERT_EQ(count, done);
			scene_destroy(&s);
			break;
		}
		points++;
		if (ret) {
			ASSERT_EQ(-ENOMEM, ret) TH_LOG("%s: %s", what,
						       strerror(-ret));
			/*
			 * @done is always written: the entries that ran.  When
			 * nothing ran (the ops array could not be copied in),
			 * it is 0 and no entry's error is written.
			 */
			ASSERT_NE(U32_NONE, done) TH_LOG("%s: done unwritten", what);
			k = done;
			ASSERT_GT(count, k) TH_LOG("%s: done %u", what, done);
			if (k || ops[k].error)
				ASSERT_EQ(-ENOMEM, ops[k].error)
					TH_LOG("%s: entry %u", what, k);
		} else {
			k = count;	/* absorbed */
			ASSERT_EQ(count, done);
		}
		batch_probe(&s, ops, k);
		ASSERT_EQ(0, sig_take(&s, got));
		scene_destroy(&s);
		ASSERT_EQ(0, batch_expected(&fc, k, expect))
			TH_LOG("%s: expected state after %u entries", what, k);
		snprintf(what, sizeof(what), "BATCH, fault %d, %u done", n, k);
		ASSERT_TRUE(sig_same(_metadata, what, expect, got));
	}
	ASSERT_GE(NTH_MAX, n);
	count_points("BATCH", points, calls);
	free(expect);
	free(got);
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

TEST_F(summary, fault_points)
{
	ASSERT_NE(NULL, totals);
	mobj_note("fault: %u cases, %lu calls, %lu fault points\n",
		       totals->cases, totals->calls, totals->points);
	mobj_note("reliability: fault_points=%lu\n", totals->points);
	fflush(stdout);
}

TEST_HARNESS_MAIN
