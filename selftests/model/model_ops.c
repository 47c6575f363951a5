// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_debug_model: the operations.  gen_op() draws an operation's kind
 * and random numbers from the seed; do_op() resolves them against the
 * model (client, handles, sizes, a mutation now and then), issues the
 * call, compares the answer with what the model expects and updates the
 * model.
 */
#include "model.h"

/* Deterministic randomness: splitmix64 */
static __u64 rng_next(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
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
 * takes the struct that ends at __reserved2, and answers that much), and
 * so did GC_STATS (its first struct ends at @gen).
 */
static size_t min_size(unsigned long cmd, size_t size)
{
	if (cmd == MOBJ_QUERY)
		return model_query_min_size;
	if (cmd == MOBJ_GC_STATS)	/* grew by @candidates */
		return offsetof(struct mobj_gc_stats, candidates);
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

/* Clients 0 and 1 (shared with the child) 30% each, 2 and 3 18%, 4 4%. */
int pick_client(struct run *R, __u32 r)
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

/* The operations */

const char *const op_name[OP_NR] = {
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
	o = obj_create(m, x.c, T_BASE + op->r[1] % NTYPES, cmd.handle);
	O(m, o)->id = cmd.id;
	O(m, o)->data_len = len;
	memcpy(O(m, o)->data, xs.buf, len);
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
	handle_strong(m, &m->cl[x.c], cmd.new_handle, obj);
}

static void do_close(struct run *R, const struct op *op)
{
	struct model *m = &R->m;
	struct mobj_close cmd = { .size = sizeof(cmd) };
	struct opctx x;
	int rc;

	x.c = pick_client(R, op->r[0]);
	cmd.handle = pick_handle(R, x.c, op->r[1], op->r[2], false);
	if (op_begin(R, op, &x, MOBJ_CLOSE, &cmd, sizeof(cmd),
		     offsetof(struct mobj_close, __reserved), 1, false))
		return;
	rc = hent(&m->cl[x.c], cmd.handle)->kind == H_NONE ? -ENOENT : 0;
	issue(R, op, x.c, rc, x.what);
	if (!op_done(R, &x, sizeof(cmd)))
		return;
	handle_close(m, &m->cl[x.c], cmd.handle);
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
		slot_set(m, obj, cmd.index, val);
		break;
	case OP_GET:
		memcpy(&cmd, xs.arg, sizeof(cmd));
		check_new_handle(R, x.c, cmd.value, x.what);
		handle_strong(m, &m->cl[x.c], cmd.value, o->slots[cmd.index]);
		break;
	case OP_POP:
		slot_pop(m, obj, cmd.index);
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
	CHECK(R, gc_state_matches(m, &cmd),
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
	struct mobj_gc_stats cmd = { .size = sizeof(cmd) };
	struct opctx x;
	int k;

	if (op_begin(R, op, &x, MOBJ_GC_STATS, &cmd, sizeof(cmd), -1, 1,
		     true))
		return;
	if (!op_answer(R, op, &x, 0, &cmd, sizeof(cmd)))
		return;
	for (k = 0; k < 3; k++)
		CHECK(R, gc_gen_matches(R, &cmd, k) &&
		      !cmd.gen[k].uncollectable,
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
		struct mobj_info info;

		check_new_handle(R, x.c, hs[i], "GC_GARBAGE");
		rc = x_info(R, x.c, pick_exec_plain(R, x.c), hs[i], &info);
		CHECK(R, !rc, "INFO of a GC_GARBAGE handle: %d", rc);
		found = 0;
		for (k = 0; k < m->nalive && !R->failed && !found; k++) {
			struct mobject *o = O(m, m->alive[k]);

			if (o->id != info.id)
				continue;
			CHECK(R, o->list == L_GARBAGE,
			      "GC_GARBAGE gave object %llu, not garbage",
			      o->id);
			handle_strong(m, &m->cl[x.c], hs[i], m->alive[k]);
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
	int rc, obj = -1, k;
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
			total = model_referrers(m, obj, want);
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
	/* Bad flag: bit 2; bits 0 and 1 are MOBJ_WATCH_CANCEL and _GC. */
	if (op_begin(R, op, &x, MOBJ_WATCH, &cmd, sizeof(cmd),
		     offsetof(struct mobj_watch, __reserved), 4, false))
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
	if (get)
		handle_strong(m, &m->cl[x.c], cmd.result, obj);
	else
		handle_add(m, &m->cl[x.c], cmd.result, H_WEAK, obj);
}

static const char *const type_names[] = {
	"model.a", "model::B<int>", "x", "bad name", "",
	"0123456789012345678901234567890",
	"01234567890123456789012345678901",
};

/*
 * LOOKUP of name @k: the model's tag that has it; EINVAL for a name no
 * tag could have; ENOENT for a "model" name the model does not give (a
 * short name no tag of the model has may be another test's).
 */
static void do_type_lookup(struct run *R, const struct op *op, int k)
{
	struct mobj_type_name cmd = { .size = sizeof(cmd),
				      .flags = MOBJ_TYPE_NAME_LOOKUP };
	size_t len = strlen(type_names[k]);
	struct model *m = &R->m;
	int rc = -ENOENT, u, t = -1;
	struct opctx x;

	for (u = 0; len && u < NNAMED; u++)
		if (!strcmp(m->names[u], type_names[k]))
			t = u;
	if (!len || len == 32 || k == 3)
		rc = -EINVAL;
	else if (t >= 0)
		rc = 0;
	else if (strncmp(type_names[k], "model", 5))
		return;
	cmd.type = op->r[1];	/* ignored */
	memcpy(cmd.name, type_names[k], len < 32 ? len : 32);
	if (op_begin(R, op, &x, MOBJ_TYPE_NAME, &cmd, sizeof(cmd),
		     offsetof(struct mobj_type_name, __reserved), 4, true))
		return;
	if (!op_answer(R, op, &x, rc, &cmd, sizeof(cmd)))
		return;
	CHECK(R, cmd.type == T_BASE + (__u32)t,
	      "TYPE_NAME LOOKUP of '%s': %#x, the model says %#x",
	      type_names[k], cmd.type, T_BASE + t);
}

static void do_type_name(struct run *R, const struct op *op)
{
	const char *const *names = type_names;
	struct model *m = &R->m;
	struct mobj_type_name cmd = { .size = sizeof(cmd) };
	int t = op->r[1] % (NNAMED + 1), k = op->r[2] % 7, rc = 0, u;
	bool get = op->r[3] % 3 == 0;
	struct opctx x;
	size_t len;

	if (op->r[3] % 3 == 1 && op->r[5] % 4 == 0) {
		do_type_lookup(R, op, k);
		return;
	}

	cmd.type = T_BASE + t;
	cmd.flags = get ? MOBJ_TYPE_NAME_GET : 0;
	len = strlen(names[k]);
	memcpy(cmd.name, names[k], len < 32 ? len : 32);
	if (!get && k == 0 && op->r[3] % 5 == 1)
		cmd.name[20] = 'z';	/* junk after the NUL */
	if (op_begin(R, op, &x, MOBJ_TYPE_NAME, &cmd, sizeof(cmd),
		     offsetof(struct mobj_type_name, __reserved), 4, get))
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
		ioc = _IO(MOBJ_TYPE, model_nr_cmds + op->r[2] % 16);
		break;
	case 1:
		ioc = _IO(MOBJ_TYPE + 1, op->r[2] % model_nr_cmds);
		break;
	case 2:
		ioc = _IOR(MOBJ_TYPE, op->r[2] % model_nr_cmds, struct mobj_nop);
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

/* The batch rules on commands, as sets of MOBJ_CMD_* bits. */
#define CMD_BIT(c) (1ULL << MOBJ_CMD_##c)
/* What a batch entry may ask for. */
#define BATCH_CMDS (CMD_BIT(NEW) | CMD_BIT(DUP) | CMD_BIT(CLOSE) | \
		    CMD_BIT(GETREFCOUNT) | CMD_BIT(SLOT_APPEND) | \
		    CMD_BIT(SLOT_SET) | CMD_BIT(SLOT_GET) | CMD_BIT(SLOT_POP))
/* The entries that make a handle, which MOBJ_BATCH_RESULT() may name. */
#define BATCH_MAKES_HANDLE (CMD_BIT(NEW) | CMD_BIT(DUP) | CMD_BIT(SLOT_GET))

static bool cmd_in(__u32 cmd, __u64 set)
{
	return cmd < 64 && (set >> cmd & 1);
}

/*
 * A batch under way: what the kernel answered, and which entries' handles
 * a later entry closed (MOBJ_BATCH_RESULT of those fails with -ENOENT).
 */
struct bstate {
	const struct mobj_batch_op *ops, *got;
	bool closed[16];
};

static int batch_operand(const struct bstate *bs, __u32 i, __u32 in,
			 __u32 *out)
{
	__u32 k = in & ~MOBJ_BATCH_RESULT_FLAG;

	*out = in;
	if (!(in & MOBJ_BATCH_RESULT_FLAG))
		return 0;
	if (k >= i || !cmd_in(bs->ops[k].cmd, BATCH_MAKES_HANDLE))
		return -EINVAL;
	if (bs->closed[k])
		return -ENOENT;
	*out = bs->got[k].result;
	return 0;
}

/* Entry @i closed handle @h: the latest entry before it that made h. */
static void batch_closed(struct bstate *bs, __u32 i, __u32 h)
{
	while (i--) {
		if (cmd_in(bs->ops[i].cmd, BATCH_MAKES_HANDLE) &&
		    !bs->closed[i] && bs->got[i].result == h) {
			bs->closed[i] = true;
			return;
		}
	}
}

/*
 * One entry of a batch that ran in the kernel: the model's error for it,
 * given the handles the kernel made (@got), and the model updated when it
 * succeeded.  @made is set to the object a NEW entry made.
 */
static int batch_entry(struct run *R, int c, struct bstate *bs, __u32 i,
		       int *made)
{
	const struct mobj_batch_op *ops = bs->ops, *got = bs->got;
	const struct mobj_batch_op *b = &ops[i];
	struct model *m = &R->m;
	int rc, obj = -1, val = -1;
	__u32 h, v = 0;

	/* The command is checked before its operands. */
	if (!cmd_in(b->cmd, BATCH_CMDS))
		return -EINVAL;
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
		*made = obj_create(m, c, b->handle, got[i].result);
		return 0;
	}
	rc = batch_operand(bs, i, b->handle, &h);
	if (!rc && b->value)
		rc = batch_operand(bs, i, b->value, &v);
	if (rc)
		return rc;
	if (b->cmd == MOBJ_CMD_CLOSE) {
		if (hent(&m->cl[c], h)->kind == H_NONE)
			return -ENOENT;
		if (b->index || b->value)
			return -EINVAL;
		handle_close(m, &m->cl[c], h);
		batch_closed(bs, i, h);
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
		slot_set(m, obj, b->index, val);
		return 0;
	case MOBJ_CMD_SLOT_POP:
		if (b->index >= (__u32)O(m, obj)->nslots)
			return -ERANGE;
		slot_pop(m, obj, b->index);
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
	handle_strong(m, &m->cl[c], got[i].result, obj);
	return 0;
}

/* Whether entry @i of a batch may CLOSE handle number @h (see below). */
static bool batch_close_safe(struct mclient *c,
			     const struct mobj_batch_op *ops, __u32 i, __u32 h)
{
	bool held = hent(c, h)->kind != H_NONE;
	__u32 k;

	for (k = 0; k < i; k++) {
		if (held && ops[k].cmd == MOBJ_CMD_CLOSE && ops[k].handle == h)
			return false;
		if (!held && cmd_in(ops[k].cmd, BATCH_MAKES_HANDLE))
			return false;
	}
	return true;
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
	struct bstate bs = { .ops = ops, .got = got };
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
		/*
		 * nor by a number: numbers are reused, lowest first, so one
		 * may name a handle an earlier entry made.  A number held
		 * before the batch still names that handle unless an earlier
		 * entry closed it; a free one stays free until an entry
		 * makes a handle.
		 */
		if (b->cmd == MOBJ_CMD_CLOSE &&
		    !(b->handle & MOBJ_BATCH_RESULT_FLAG) &&
		    !batch_close_safe(&m->cl[x.c], ops, i, b->handle))
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
		rc = batch_entry(R, x.c, &bs, i, &made[i]);
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
		struct mobj_info info;

		if (made[k] < 0)
			continue;
		rc = x_info(R, x.c, pick_exec(R, op, x.c), got[k].result,
			    &info);
		CHECK(R, !rc, "INFO of a handle a batch made: %d", rc);
		O(m, made[k])->id = info.id;
	}
}

/* read() with odd sizes; the queue itself is drained after every step. */
static void do_read(struct run *R, const struct op *op)
{
	int c = pick_client(R, op->r[0]);

	x_read(c, op->r[1] % sizeof(struct mobj_event));
	issue(R, op, c, -EINVAL, "read (short buffer)");
	drain_events(R, c);
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

void do_op(struct run *R, const struct op *op)
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

/* Generating operations */

struct op gen_op(__u64 *s)
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
