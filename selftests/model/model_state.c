// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_debug_model: the model of the heap.  Objects with payloads and
 * slots, every client's handle table, refcounts, the collector's
 * generations, weak references and death notices, as the kernel should
 * have them; no I/O here.
 */
#include "model.h"

void *grow(void *p, int *cap, int need, size_t size)
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

int obj_new(struct model *m)
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

struct hent *hent(struct mclient *c, __u32 h)
{
	static struct hent none = { .kind = H_NONE };

	if (h >= c->tabcap || c->tab[h].kind == H_NONE)
		return &none;
	return &c->tab[h];
}

/* What the next handle of @c must be: the lowest free number. */
__u32 handle_lowest_free(struct mclient *c)
{
	__u32 h = 1;

	while (hent(c, h)->kind != H_NONE)
		h++;
	return h;
}

void handle_add(struct model *m, struct mclient *c, __u32 h, int kind,
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
	c->tab[h].kind = kind;
	c->tab[h].obj = obj;
	c->live = realloc(c->live, (c->nlive + 1) * sizeof(*c->live));
	c->tab[h].pos = c->nlive;
	c->live[c->nlive++] = h;
	if (kind == H_WEAK)
		c->nweak++;
	m->handles++;
}

/* A new strong handle @h of @c to object @obj. */
void handle_strong(struct model *m, struct mclient *c, __u32 h, int obj)
{
	handle_add(m, c, h, H_STRONG, obj);
	O(m, obj)->refcount++;
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

void list_set(struct model *m, struct mobject *o, int list)
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
void obj_put(struct model *m, int i)
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

/* Handle @h of @c is closed: a strong one drops its reference. */
void handle_close(struct model *m, struct mclient *c, __u32 h)
{
	struct hent e = c->tab[h];

	handle_del(m, c, h);
	if (e.kind == H_STRONG)
		obj_put(m, e.obj);
}

/* NEW: an untracked object of @type, the one reference @ci's handle @h. */
int obj_create(struct model *m, int ci, __u32 type, __u32 h)
{
	int i = obj_new(m);
	struct mobject *o = O(m, i);

	o->type = type;
	o->refcount = 1;
	o->quota = m->cl[ci].quota;
	o->list = L_UNTRACKED;
	m->list_count[L_UNTRACKED]++;
	m->quota[m->cl[ci].quota]++;
	m->count[0]++;
	handle_add(m, &m->cl[ci], h, H_STRONG, i);
	return i;
}

void slot_append(struct model *m, int a, int b)
{
	struct mobject *o = O(m, a);

	o->slots[o->nslots++] = b;
	O(m, b)->refcount++;
	m->edges++;
	if (o->list == L_UNTRACKED)
		list_set(m, o, L_GEN0);
}

/* Slot @index of @a now holds @b; what it held loses a reference. */
void slot_set(struct model *m, int a, __u32 index, int b)
{
	struct mobject *o = O(m, a);
	int old = o->slots[index];

	O(m, b)->refcount++;
	o->slots[index] = b;
	obj_put(m, old);
}

/* Slot @index of @a is taken out, the ones after it move down. */
void slot_pop(struct model *m, int a, __u32 index)
{
	struct mobject *o = O(m, a);
	int old = o->slots[index];

	memmove(o->slots + index, o->slots + index + 1,
		(o->nslots - index - 1) * sizeof(int));
	o->nslots--;
	m->edges--;
	obj_put(m, old);
}

/* The ids of the objects with a slot that holds @obj, once a slot. */
int model_referrers(struct model *m, int obj, __u64 *ids)
{
	int n = 0, k, j;

	for (k = 0; k < m->nalive; k++) {
		const struct mobject *p = O(m, m->alive[k]);

		for (j = 0; j < p->nslots; j++)
			if (p->slots[j] == obj)
				ids[n++] = p->id;
	}
	return n;
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

void model_collect(struct model *m, int g, __u64 *collected,
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

void model_garbage_clear(struct model *m)
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

void model_release(struct model *m, int ci)
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
	for (k = 0; k < n; k++)
		handle_close(m, c, hs[k]);
	free(hs);
	free(c->tab);
	free(c->live);
	free(c->cand);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void model_open(struct model *m, int ci, int fd)
{
	struct mclient *c = &m->cl[ci];

	memset(c, 0, sizeof(*c));
	c->open = true;
	c->fd = fd;
	m->quota = grow(m->quota, &m->quotacap, m->nquota + 1, sizeof(__u64));
	c->quota = m->nquota++;
}

__u32 model_state(const struct mobject *o)
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

__u32 model_generation(const struct mobject *o)
{
	return o->list <= L_PERM ? o->list : 0;
}

/* The object behind a strong handle, or -ENOENT / -EINVAL. */
int lookup_strong(struct model *m, int ci, __u32 h, int *obj)
{
	struct hent *e = hent(&m->cl[ci], h);

	if (e->kind == H_NONE)
		return -ENOENT;
	if (e->kind == H_WEAK)
		return -EINVAL;
	*obj = e->obj;
	return 0;
}

int reserve_ok(struct model *m, int ci, int n)
{
	return m->cl[ci].nlive + n <= M_CLIENT_HANDLES_MAX ? 0 : -EMFILE;
}
