/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The model checker of mobj_debug_model, by concern:
 *
 *   model_state.c  the model of the heap and its bookkeeping: objects,
 *                  handle tables, refcounts, the collector, death notices
 *   model_exec.c   the executors (main thread, two workers, a forked
 *                  child) and the building of the calls they issue
 *   model_ops.c    the operations: one generator and executor a command
 *   model_check.c  what the kernel says (QUERY, INFO, REFERENTS,
 *                  REFERRERS, death notices, debugfs) against the model
 *
 * The test itself (fixture, seeds, environment, replay and minimising) is
 * ../mobj_debug_model.c, the only file that includes mobj_test.h:
 * kselftest_harness.h defines functions, so the files here do without
 * it and report through fail() and CHECK() instead of the harness.
 */
#ifndef MOBJ_MODEL_H
#define MOBJ_MODEL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mobj.h"

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

enum {
	OP_NEW, OP_DUP, OP_CLOSE, OP_GETREFCOUNT, OP_INFO, OP_DATA_READ,
	OP_DATA_WRITE, OP_APPEND, OP_SET, OP_GET, OP_POP, OP_COLLECT,
	OP_GC_GET, OP_GC_SET, OP_GC_STATS, OP_FREEZE, OP_GARBAGE,
	OP_REFERENTS, OP_REFERRERS, OP_WATCH, OP_WEAKREF, OP_WEAKREF_GET,
	OP_TYPE_NAME, OP_QUERY, OP_NOP, OP_BATCH, OP_READ, OP_UNKNOWN,
	OP_REOPEN, OP_REFORK, OP_NR
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

/* A mismatch: the first one is kept, with its step. */
void fail(struct run *R, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define CHECK(R, cond, fmt, ...) do { \
	if (!(cond)) \
		fail(R, "step %lu: " fmt, (R)->step, ##__VA_ARGS__); \
} while (0)

/* From the test file, which alone includes mobj_test.h */
extern const unsigned int model_nr_cmds;	/* MOBJ_TEST_NR_CMDS */
extern const size_t model_query_min_size;	/* QUERY's first struct */
int model_read_checker(char *buf, size_t len);	/* debugfs "check" */

/* model_state.c */
static inline struct mobject *O(struct model *m, int i)
{
	return &m->obj[i];
}

void *grow(void *p, int *cap, int need, size_t size);
int obj_new(struct model *m);
int obj_create(struct model *m, int ci, __u32 type, __u32 h);
struct hent *hent(struct mclient *c, __u32 h);
__u32 handle_lowest_free(struct mclient *c);
void handle_add(struct model *m, struct mclient *c, __u32 h, int kind,
		int obj);
void handle_strong(struct model *m, struct mclient *c, __u32 h, int obj);
void handle_close(struct model *m, struct mclient *c, __u32 h);
void list_set(struct model *m, struct mobject *o, int list);
void obj_put(struct model *m, int i);
void slot_append(struct model *m, int a, int b);
void slot_set(struct model *m, int a, __u32 index, int b);
void slot_pop(struct model *m, int a, __u32 index);
int model_referrers(struct model *m, int obj, __u64 *ids);
void model_collect(struct model *m, int g, __u64 *collected,
		   __u64 *examined);
void model_garbage_clear(struct model *m);
void model_release(struct model *m, int ci);
void model_open(struct model *m, int ci, int fd);
__u32 model_state(const struct mobject *o);
__u32 model_generation(const struct mobject *o);
int lookup_strong(struct model *m, int ci, __u32 h, int *obj);
int reserve_ok(struct model *m, int ci, int n);

/* model_exec.c */
extern struct exec xs;		/* the one exec in flight */

void exec_pages(__u8 **ro_page, void **bad);
void *worker_main(void *p);
int child_start(struct run *R);
void child_stop(struct run *R);
int open_client(struct run *R, int ci);
int pick_exec(struct run *R, const struct op *op, int client);
int pick_exec_plain(struct run *R, int client);
void run_exec(struct run *R, int executor);
void x_init(int client, unsigned long cmd, const void *arg, size_t len);
void x_patch(size_t off, int buf);
void x_read(int client, __u32 len);
int x_info(struct run *R, int client, int executor, __u32 h,
	   struct mobj_info *info);

/* model_ops.c */
extern const char *const op_name[OP_NR];

int pick_client(struct run *R, __u32 r);
struct op gen_op(__u64 *s);
void do_op(struct run *R, const struct op *op);

/* model_check.c */
int u64_cmp(const void *a, const void *b);
void check_rc(struct run *R, int got, int want, const char *what);
void check_new_handle(struct run *R, int ci, __u32 h, const char *what);
void check_info(struct run *R, const struct mobj_info *in, int obj,
		const char *what);
bool gc_state_matches(const struct model *m, const struct mobj_gc_state *gs);
bool gc_gen_matches(const struct run *R, const struct mobj_gc_stats *st,
		    int k);
void check_query(struct run *R, int ci);
void drain_events(struct run *R, int ci);
void check_weak(struct run *R);
void full_check(struct run *R);

#endif /* MOBJ_MODEL_H */
