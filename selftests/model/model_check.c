// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_debug_model: the comparisons.  What the kernel answers (return
 * values, INFO, REFERENTS, REFERRERS, payloads, QUERY's counters, the
 * death notices read back, weak references after a collection, the
 * collector's state and statistics, the debugfs consistency checker)
 * against what the model says.  A mismatch is recorded by fail(), for
 * the test to report.
 */
#include <stdarg.h>

#include "model.h"

void fail(struct run *R, const char *fmt, ...)
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

/* Checks of the answers */

void check_new_handle(struct run *R, int ci, __u32 h, const char *what)
{
	__u32 want = handle_lowest_free(&R->m.cl[ci]);

	CHECK(R, h == want, "%s: handle %u, the lowest free number is %u",
	      what, h, want);
}

void check_rc(struct run *R, int got, int want, const char *what)
{
	CHECK(R, got == want, "%s: returned %d (%s), the model says %d (%s)",
	      what, got, got < 0 ? strerror(-got) : "ok", want,
	      want < 0 ? strerror(-want) : "ok");
}

void check_info(struct run *R, const struct mobj_info *in, int obj,
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

/* QUERY from client @ci against the model. */
void check_query(struct run *R, int ci)
{
	struct mobj_query q = { .size = sizeof(q) };
	struct model *m = &R->m;

	x_init(ci, MOBJ_QUERY, &q, sizeof(q));
	run_exec(R, pick_exec_plain(R, ci));
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
void drain_events(struct run *R, int ci)
{
	struct mclient *c = &R->m.cl[ci];
	struct mevent *got = NULL;
	int ngot = 0, gotcap = 0, i, j, n;
	__u64 lost = 0;
	struct mobj_event *ev;

	for (;;) {
		x_read(ci, 32 * sizeof(struct mobj_event));
		run_exec(R, pick_exec_plain(R, ci));
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
void check_weak(struct run *R)
{
	struct model *m = &R->m;
	struct mobj_weakref wr;
	struct mobj_info info;
	struct mobj_close cl;
	int ci, k, want, rc;
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
			run_exec(R, pick_exec_plain(R, ci));
			check_rc(R, xs.rc, want, "WEAKREF_GET after collect");
			if (xs.rc)
				continue;
			memcpy(&wr, xs.arg, sizeof(wr));
			check_new_handle(R, ci, wr.result, "WEAKREF_GET");
			handle_strong(m, c, wr.result, c->tab[h].obj);
			rc = x_info(R, ci, pick_exec_plain(R, ci), wr.result,
				    &info);
			CHECK(R, !rc, "INFO after WEAKREF_GET: %d", rc);
			if (!rc)
				check_info(R, &info, c->tab[h].obj,
					   "weak reference after collect");
			cl = (struct mobj_close) { .size = sizeof(cl),
						   .handle = wr.result };
			x_init(ci, MOBJ_CLOSE, &cl, sizeof(cl));
			run_exec(R, pick_exec_plain(R, ci));
			CHECK(R, !xs.rc, "CLOSE after WEAKREF_GET: %d", xs.rc);
			handle_close(m, c, wr.result);
		}
	}
}

int u64_cmp(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* GC_GET's answer is the model's collector. */
bool gc_state_matches(const struct model *m, const struct mobj_gc_state *gs)
{
	return gs->enabled == m->enabled && gs->debug == m->debug &&
	       !memcmp(gs->threshold, m->threshold, sizeof(gs->threshold)) &&
	       !memcmp(gs->count, m->count, sizeof(gs->count)) &&
	       gs->freeze_count == m->list_count[L_PERM] &&
	       gs->garbage_count == m->list_count[L_GARBAGE];
}

/* GC_STATS of generation @k: the model's collections since the start. */
bool gc_gen_matches(const struct run *R, const struct mobj_gc_stats *st,
		    int k)
{
	return st->gen[k].collections - R->base_collections[k] ==
	       R->m.collections[k] &&
	       st->gen[k].collected - R->base_collected[k] ==
	       R->m.collected[k];
}

/* Everything, for every handle of every client. */
void full_check(struct run *R)
{
	struct model *m = &R->m;
	struct mobj_gc_state gs;
	struct mobj_gc_stats st;
	unsigned long long objs, hs, edges;
	__u64 want[M_SLOTS_MAX * M_OBJECTS_MAX], *ids;
	char buf[4096];
	int ci, k, j, n, rc;
	__u32 h;

	for (ci = 0; ci < NCLIENTS && !R->failed; ci++) {
		struct mclient *c = &m->cl[ci];

		if (!c->open)
			continue;
		check_query(R, ci);
		for (k = 0; k < c->nlive && !R->failed; k++) {
			struct mobj_refs refs = { .size = sizeof(refs) };
			struct mobj_data_read dr = { .size = sizeof(dr) };
			const struct mobject *o;
			struct mobj_info info;

			h = c->live[k];
			rc = x_info(R, ci, pick_exec_plain(R, ci), h, &info);
			if (c->tab[h].kind == H_WEAK) {
				check_rc(R, rc, -EINVAL, "INFO of a weak handle");
				continue;
			}
			check_rc(R, rc, 0, "INFO (full check)");
			check_info(R, &info, c->tab[h].obj, "full check");
			o = O(m, c->tab[h].obj);

			refs.handle = h;
			refs.count = XBUF / 8;
			x_init(ci, MOBJ_REFERENTS, &refs, sizeof(refs));
			x_patch(offsetof(struct mobj_refs, ids), 0);
			run_exec(R, pick_exec_plain(R, ci));
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
			n = model_referrers(m, c->tab[h].obj, want);
			refs = (struct mobj_refs) { .size = sizeof(refs),
						    .handle = h,
						    .count = XBUF / 8 };
			x_init(ci, MOBJ_REFERRERS, &refs, sizeof(refs));
			x_patch(offsetof(struct mobj_refs, ids), 0);
			run_exec(R, pick_exec_plain(R, ci));
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
			run_exec(R, pick_exec_plain(R, ci));
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
	CHECK(R, !xs.rc && gc_state_matches(m, &gs),
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
		CHECK(R, !xs.rc && gc_gen_matches(R, &st, k),
		      "GC_STATS gen %d: %llu collections %llu collected, the model says %llu %llu",
		      k, st.gen[k].collections - R->base_collections[k],
		      st.gen[k].collected - R->base_collected[k],
		      m->collections[k], m->collected[k]);
	/* the consistency checker */
	if (model_read_checker(buf, sizeof(buf)) > 0) {
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
