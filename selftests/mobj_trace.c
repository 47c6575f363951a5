// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_trace: the heap seen from outside.
 *
 *  - debugfs (/sys/kernel/debug/mobj/): stats, objects, types, garbage and
 *    check compared with what the test built, field by field;
 *  - the graph file: every answer parsed line by line as the fixed format
 *    kmod/mobj_graph.c writes, any other line an error, and its nodes and
 *    edges compared with the expected graph; depth, max, chain, bad
 *    queries, one query per open file; Graphviz's dot run once, on answers
 *    that hold every form of line;
 *  - a 1,000,000-object heap listed through "objects" in bounded memory;
 *  - the tracepoints of system "mobj", read back from a tracefs instance;
 *  - MOBJ_TYPE_NAME and the names in every output;
 *  - debugfs closed to unprivileged users, and free of kernel addresses.
 *
 * mobj_ctl.c tests the mobjctl tool on top of all this.
 *
 * The collector's settings are device-wide: the fixture saves them, turns
 * automatic collection off and puts them back afterwards.
 */
#include "mobj_test.h"
#include "mobj_trace_util.h"

/* ------------------------------------------------------------------ */
/* debugfs: stats, objects, types, garbage, check */

/* stats agrees with MOBJ_QUERY, MOBJ_GC_GET and MOBJ_GC_STATS. */
TEST_F(trace, stats_match_the_device)
{
	struct mobj_gc_stats gs;
	struct mobj_gc_state st;
	long long acq, untracked;
	struct mobj_query q;
	__u32 a, b, c;
	__u64 idc;
	char *s;
	int i;

	s = dbg_read("stats");
	ASSERT_NE(NULL, s);
	untracked = stat_val(s, "untracked");
	free(s);
	ASSERT_EQ(0, name_type(self, T_OBJ, "trace.Stats"));
	a = TNEW(T_OBJ, "a", NULL);
	b = TNEW(T_OBJ, NULL, NULL);
	c = TNEW(T_OBJ2, "ccc", &idc);
	TAPPEND(a, b);
	self->extra[0] = mobj_dev_open();
	ASSERT_LE(0, self->extra[0]);

	ASSERT_EQ(0, mobj_query(self->fd, &q));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &st));
	ASSERT_EQ(0, mobj_gc_get_stats(self->fd, &gs));
	s = dbg_read("stats");
	ASSERT_NE(NULL, s);
	EXPECT_EQ((long long)q.live_objects, stat_val(s, "live_objects"));
	EXPECT_EQ((long long)q.live_handles, stat_val(s, "live_handles"));
	EXPECT_LE(2, stat_val(s, "clients"));
	EXPECT_EQ((long long)idc + 1, stat_val(s, "next_id"));
	EXPECT_LE(1, stat_val(s, "named_types"));
	EXPECT_EQ(0, stat_val(s, "gc_enabled"));
	EXPECT_EQ(0, stat_val(s, "gc_debug"));
	for (i = 0; i < MOBJ_GC_GENERATIONS; i++) {
		EXPECT_EQ(st.threshold[i], gen_val(s, i, "threshold"));
		EXPECT_EQ((long long)st.count[i], gen_val(s, i, "count"));
		EXPECT_EQ((long long)gs.gen[i].collections,
			  gen_val(s, i, "collections"));
		EXPECT_EQ((long long)gs.gen[i].collected,
			  gen_val(s, i, "collected"));
		EXPECT_EQ(0, gen_val(s, i, "uncollectable"));
		EXPECT_EQ((long long)gs.gen[i].total_ns,
			  gen_val(s, i, "total_ns"));
	}
	/* a has a slot: tracked in generation 0; b and c never had one. */
	EXPECT_LE(1, gen_val(s, 0, "objects"));
	EXPECT_EQ(untracked + 2, stat_val(s, "untracked"));
	EXPECT_EQ((long long)st.freeze_count, stat_val(s, "frozen"));
	EXPECT_EQ((long long)st.garbage_count, stat_val(s, "garbage"));
	EXPECT_LE(0, stat_val(s, "events_dropped"));
	EXPECT_LE(0, stat_val(s, "long_lived_total"));
	EXPECT_LE(0, stat_val(s, "long_lived_pending"));
	acq = stat_val(s, "lock_acquisitions");
	EXPECT_LT(0, acq);
	EXPECT_LE(stat_val(s, "lock_contended"), acq);
	EXPECT_LE(stat_val(s, "lock_wait_max_ns"), stat_val(s, "lock_wait_ns"));
	EXPECT_LE(0, stat_val(s, "lock_hold_max_ns"));
	free(s);

	/* A collection of generation 0 shows in its counters. */
	ASSERT_EQ(0, mobj_gc_collect(self->fd, 0, NULL));
	s = dbg_read("stats");
	ASSERT_NE(NULL, s);
	EXPECT_EQ((long long)gs.gen[0].collections + 1,
		  gen_val(s, 0, "collections"));
	EXPECT_EQ(0, gen_val(s, 0, "objects"));
	EXPECT_LE(1, gen_val(s, 1, "objects"));
	EXPECT_EQ((long long)st.count[1] + 1, gen_val(s, 1, "count"));
	EXPECT_LT(acq, stat_val(s, "lock_acquisitions"));
	free(s);
	EXPECT_EQ(0, mobj_handle_close(self->fd, c));
}

/* One exact line per object, through its life: gens, flags, names. */
TEST_F(trace, objects_lines_are_exact)
{
	__u64 ida, idb, idc;
	__u32 a, b, c;
	char *s, first[128];
	unsigned long long prev = 0, id;
	const char *p;

	ASSERT_EQ(0, name_type(self, T_OBJ, "trace.Node"));
	a = TNEW(T_OBJ, "hello", &ida);
	b = TNEW(T_OBJ2, NULL, &idb);
	c = TNEW(T_OBJ, "xy", &idc);
	TAPPEND(a, b);
	TAPPEND(a, c);
	TAPPEND(c, b);
	ASSERT_EQ(0, mobj_watch(self->fd, b, 42));

	s = dbg_read("objects");
	ASSERT_NE(NULL, s);
	ASSERT_TRUE(find_line(s, "", first, sizeof(first)));
	EXPECT_STREQ("# id type refcount generation slots data_len flags",
		     first);
	EXPECT_TRUE(has_linef(s, "%llu trace.Node 1 0 2 5 t", ida));
	EXPECT_TRUE(has_linef(s, "%llu type%u 3 - 0 0 w", idb, T_OBJ2));
	EXPECT_TRUE(has_linef(s, "%llu trace.Node 2 0 1 2 t", idc));
	/* One line per live object, by increasing id. */
	EXPECT_EQ((int)live_of(self->fd) + 1, count_lines(s));
	for (p = strchr(s, '\n') + 1; *p; p = strchr(p, '\n') + 1) {
		id = strtoull(p, NULL, 10);
		EXPECT_LT(prev, id);
		prev = id;
	}
	free(s);

	/* Survivors move up a generation per collection. */
	ASSERT_EQ(0, mobj_gc_collect(self->fd, 0, NULL));
	s = dbg_read("objects");
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(has_linef(s, "%llu trace.Node 1 1 2 5 t", ida));
	EXPECT_TRUE(has_linef(s, "%llu trace.Node 2 1 1 2 t", idc));
	free(s);
	ASSERT_EQ(0, mobj_gc_collect(self->fd, 1, NULL));
	s = dbg_read("objects");
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(has_linef(s, "%llu trace.Node 1 2 2 5 t", ida));
	free(s);

	/* Frozen, then back. */
	ASSERT_EQ(0, mobj_gc_freeze(self->fd, NULL));
	s = dbg_read("objects");
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(has_linef(s, "%llu trace.Node 1 frozen 2 5 tf", ida));
	EXPECT_TRUE(has_linef(s, "%llu trace.Node 2 frozen 1 2 tf", idc));
	EXPECT_TRUE(has_linef(s, "%llu type%u 3 - 0 0 w", idb, T_OBJ2));
	free(s);
	ASSERT_EQ(0, mobj_gc_unfreeze(self->fd, NULL));

	/* Slots and handles dropped: refcounts follow, the name goes. */
	ASSERT_EQ(0, mobj_slot_pop(self->fd, a, 0));
	ASSERT_EQ(0, mobj_handle_close(self->fd, c));
	ASSERT_EQ(0, type_name_set(self->fd, T_OBJ, ""));
	s = dbg_read("objects");
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(has_linef(s, "%llu type%u 1 2 1 5 t", ida, T_OBJ));
	EXPECT_TRUE(has_linef(s, "%llu type%u 1 2 1 2 t", idc, T_OBJ));
	EXPECT_TRUE(has_linef(s, "%llu type%u 2 - 0 0 w", idb, T_OBJ2));
	free(s);
	EXPECT_EQ(0, mobj_handle_close(self->fd, a));
	EXPECT_EQ(0, mobj_handle_close(self->fd, b));
	s = dbg_read("objects");
	ASSERT_NE(NULL, s);
	EXPECT_FALSE(has_linef(s, "%llu type%u 1 2 1 2 t", idc, T_OBJ));
	free(s);
}

/* types: a histogram, most common first, with names. */
TEST_F(trace, types_histogram)
{
	long long total = 0, prev = -1, n;
	char *s, *line, *save;
	__u32 h[7];
	int i, mine = 0;

	ASSERT_EQ(0, name_type(self, T_HIST1, "trace.Four"));
	ASSERT_EQ(0, name_type(self, T_HIST3, "trace.One"));
	for (i = 0; i < 4; i++)
		h[i] = TNEW(T_HIST1, NULL, NULL);
	h[4] = TNEW(T_HIST2, NULL, NULL);
	h[5] = TNEW(T_HIST2, NULL, NULL);
	h[6] = TNEW(T_HIST3, NULL, NULL);

	s = dbg_read("types");
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(has_line(s, "trace.Four 4"));
	EXPECT_TRUE(has_linef(s, "type%u 2", T_HIST2));
	EXPECT_TRUE(has_line(s, "trace.One 1"));
	EXPECT_EQ(0, strncmp(s, "# type count\n", 13));
	/* Counts never grow down the list, and add up to the live objects. */
	for (line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		n = strtoll(strchr(line, ' ') + 1, NULL, 10);
		if (prev >= 0)
			EXPECT_LE(n, prev);
		prev = n;
		total += n;
		mine += !strncmp(line, "trace.", 6);
	}
	EXPECT_EQ((long long)live_of(self->fd), total);
	EXPECT_EQ(2, mine);
	free(s);

	/* Renamed, then unnamed: the histogram follows. */
	ASSERT_EQ(0, name_type(self, T_HIST2, "trace.Two"));
	ASSERT_EQ(0, type_name_set(self->fd, T_HIST1, ""));
	s = dbg_read("types");
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(has_linef(s, "type%u 4", T_HIST1));
	EXPECT_TRUE(has_line(s, "trace.Two 2"));
	EXPECT_FALSE(has_line(s, "trace.Four 4"));
	free(s);
	for (i = 0; i < 7; i++)
		EXPECT_EQ(0, mobj_handle_close(self->fd, h[i]));
	s = dbg_read("types");
	ASSERT_NE(NULL, s);
	EXPECT_EQ(NULL, strstr(s, "trace.Two"));
	free(s);
}

/* garbage: what DEBUG_SAVEALL keeps, and chain's "gc.garbage" root. */
TEST_F_TIMEOUT(trace, garbage_list_and_chain, SLOW_TEST_TIMEOUT)
{
	struct dgraph g;
	__u64 idx, idy;
	char nx[48], ny[48], q[64];
	__u32 x, y;
	char *s;

	ASSERT_EQ(0, name_type(self, T_OBJ, "trace.Saved"));
	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, MOBJ_GC_DEBUG_SAVEALL));
	x = TNEW(T_OBJ, NULL, &idx);
	y = TNEW(T_OBJ, "yy", &idy);
	TAPPEND(x, y);
	TAPPEND(y, x);
	ASSERT_EQ(0, mobj_handle_close(self->fd, x));
	ASSERT_EQ(0, mobj_handle_close(self->fd, y));
	ASSERT_EQ(2, mobj_gc_collect(self->fd, 2, NULL));

	/* Held by a slot and by the garbage list. */
	s = dbg_read("garbage");
	ASSERT_NE(NULL, s);
	EXPECT_EQ(3, count_lines(s));
	EXPECT_TRUE(has_linef(s, "%llu trace.Saved 2 garbage 1 0 tg", idx));
	EXPECT_TRUE(has_linef(s, "%llu trace.Saved 2 garbage 1 2 tg", idy));
	free(s);
	s = dbg_read("objects");
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(has_linef(s, "%llu trace.Saved 2 garbage 1 0 tg", idx));
	free(s);

	/* Why is y alive?  The garbage list holds it. */
	snprintf(q, sizeof(q), "chain %llu", (unsigned long long)idy);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	node_name(nx, idx);
	node_name(ny, idy);
	EXPECT_NE(NULL, g_node(&g, ny));
	EXPECT_NE(NULL, g_node(&g, "garbage"));
	if (g_node(&g, "garbage"))
		EXPECT_STREQ("gc.garbage", g_node(&g, "garbage")->label);
	EXPECT_NE(NULL, g_edge(&g, "garbage", ny));

	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, 0));
	/* Clearing the list frees the cycle that only it kept. */
	ASSERT_LE(0, mobj_gc_garbage(self->fd, NULL, 0, MOBJ_GC_GARBAGE_CLEAR,
				     NULL));
	EXPECT_EQ(self->base.live_objects, live_of(self->fd));
	s = dbg_read("garbage");
	ASSERT_NE(NULL, s);
	EXPECT_EQ(1, count_lines(s));
	free(s);
}

/* check: "ok objects N handles H edges E", exactly. */
TEST_F(trace, check_reports_ok)
{
	unsigned long long o0, h0, e0, o1, h1, e1;
	__u32 a, b, c, d;
	char *s;

	s = dbg_read("check");
	ASSERT_NE(NULL, s);
	ASSERT_EQ(3, sscanf(s, "ok objects %llu handles %llu edges %llu",
			    &o0, &h0, &e0));
	EXPECT_EQ(1, count_lines(s));
	free(s);
	a = TNEW(T_OBJ, NULL, NULL);
	b = TNEW(T_OBJ, NULL, NULL);
	c = TNEW(T_OBJ, NULL, NULL);
	TAPPEND(a, b);
	TAPPEND(b, c);
	TAPPEND(c, a);
	ASSERT_EQ(0, mobj_dup(self->fd, a, &d));
	s = dbg_read("check");
	ASSERT_NE(NULL, s);
	ASSERT_EQ(3, sscanf(s, "ok objects %llu handles %llu edges %llu",
			    &o1, &h1, &e1));
	EXPECT_EQ(o0 + 3, o1);
	EXPECT_EQ(h0 + 4, h1);
	EXPECT_EQ(e0 + 3, e1);
	EXPECT_EQ(1, count_lines(s));
	free(s);
	EXPECT_EQ(0, mobj_handle_close(self->fd, a));
	EXPECT_EQ(0, mobj_handle_close(self->fd, b));
	EXPECT_EQ(0, mobj_handle_close(self->fd, c));
	EXPECT_EQ(0, mobj_handle_close(self->fd, d));
	EXPECT_EQ(3, mobj_gc_collect(self->fd, 2, NULL));
}

/* refs: what the object refers to, labels and fill by depth. */
TEST_F_TIMEOUT(trace, graph_refs, SLOW_TEST_TIMEOUT)
{
	char q[64], label[96], nodes[2][48];
	struct xedge e[5];
	struct diamond dm;
	struct dgraph g;

	diamond_build(_metadata, self, &dm);
	diamond_edges(&dm, e);
	snprintf(q, sizeof(q), "refs %llu", (unsigned long long)dm.id[0]);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	EXPECT_TRUE(g_equal(&g, dm.n, 4, e, 5, false));

	/* Type name, id, refcount; the queried node highlighted. */
	snprintf(label, sizeof(label), "trace.G\\n#%llu refcount=2",
		 (unsigned long long)dm.id[0]);
	EXPECT_NODE_ATTR(&g, dm.n[0], label, label);
	EXPECT_NODE_ATTR(&g, dm.n[0], pen, "3");
	EXPECT_NODE_ATTR(&g, dm.n[0], fill, "0.080 0.700 1.000");
	EXPECT_NODE_ATTR(&g, dm.n[1], fill, "0.600 0.434 1.000");
	snprintf(label, sizeof(label), "type%u\\n#%llu refcount=3", T_LEAF,
		 (unsigned long long)dm.id[3]);
	EXPECT_NODE_ATTR(&g, dm.n[3], label, label);
	EXPECT_NODE_ATTR(&g, dm.n[3], fill, "0.600 0.267 1.000");

	snprintf(q, sizeof(q), "refs %llu depth=1",
		 (unsigned long long)dm.id[0]);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	EXPECT_TRUE(g_equal(&g, dm.n, 3, e, 2, false));

	snprintf(q, sizeof(q), "refs %llu depth=1",
		 (unsigned long long)dm.id[3]);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	strcpy(nodes[0], dm.n[3]);
	strcpy(nodes[1], dm.n[0]);
	EXPECT_TRUE(g_equal(&g, nodes, 2, &e[4], 1, false));
	diamond_free(_metadata, self, &dm);
}

/* backrefs: what refers to it, and every handle as a root. */
TEST_F_TIMEOUT(trace, graph_backrefs_with_handles, SLOW_TEST_TIMEOUT)
{
	char q[64], hl[16], nodes[1][48], label[64];
	const struct gnode *me, *other;
	struct xedge e[5];
	struct diamond dm;
	struct dgraph g;
	__u32 dup, he;
	__u64 ide;
	int i;

	diamond_build(_metadata, self, &dm);
	diamond_edges(&dm, e);
	ASSERT_EQ(0, mobj_dup(self->fd, dm.h[0], &dup));
	snprintf(q, sizeof(q), "backrefs %llu", (unsigned long long)dm.id[3]);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	EXPECT_TRUE(g_equal(&g, dm.n, 4, e, 5, true));

	/* One client node: this process, with an edge per handle. */
	EXPECT_EQ(1, g_count_clients(&g));
	me = g_my_client(&g);
	ASSERT_NE(NULL, me);
	EXPECT_STREQ("ellipse", me->shape);
	snprintf(label, sizeof(label), "client %s\\npid %d", me->name + 1,
		 getpid());
	EXPECT_STREQ(label, me->label);
	for (i = 0; i < 4; i++) {
		snprintf(hl, sizeof(hl), "h%u", dm.h[i]);
		EXPECT_NE(NULL, g_edge_label(&g, me->name, dm.n[i], hl));
	}
	snprintf(hl, sizeof(hl), "h%u", dup);
	EXPECT_NE(NULL, g_edge_label(&g, me->name, dm.n[0], hl));
	EXPECT_EQ(4 + 1, g.nn);
	EXPECT_EQ(5 + 5, g.ne);

	/* Another open file's handle: another client node. */
	self->extra[0] = mobj_dev_open();
	ASSERT_LE(0, self->extra[0]);
	ASSERT_EQ(0, mobj_new(self->extra[0], T_LEAF, NULL, 0, &he, &ide));
	snprintf(q, sizeof(q), "backrefs %llu", (unsigned long long)ide);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	node_name(nodes[0], ide);
	EXPECT_TRUE(g_equal(&g, nodes, 1, e, 0, true));
	EXPECT_EQ(1, g_count_clients(&g));
	other = g_my_client(&g);
	ASSERT_NE(NULL, other);
	EXPECT_STRNE(me->name, other->name);
	snprintf(hl, sizeof(hl), "h%u", he);
	EXPECT_NE(NULL, g_edge_label(&g, other->name, nodes[0], hl));
	EXPECT_EQ(2, g.nn);
	EXPECT_EQ(1, g.ne);

	EXPECT_EQ(0, mobj_handle_close(self->fd, dup));
	diamond_free(_metadata, self, &dm);
}

/* max: the edges past it become one "N more references" node. */
TEST_F_TIMEOUT(trace, graph_max_more_references, SLOW_TEST_TIMEOUT)
{
	char q[64], nodes[17][48], more[48], label[48], hl[16];
	struct xedge e[16];
	__u32 hub, t, r[12], leaf;
	__u64 idhub, idt, idr[12], idl[15];
	const struct gnode *n;
	const struct gedge *ge;
	struct dgraph g;
	int i;

	hub = TNEW(T_GRAPH, NULL, &idhub);
	for (i = 0; i < 15; i++) {
		leaf = TNEW(T_LEAF, NULL, &idl[i]);
		TAPPEND(hub, leaf);
		ASSERT_EQ(0, mobj_handle_close(self->fd, leaf));
	}
	node_name(nodes[0], idhub);
	for (i = 0; i < 15; i++) {
		node_name(nodes[i + 1], idl[i]);
		xedge_ids(&e[i], idhub, idl[i], i);
	}
	snprintf(more, sizeof(more), "o%llu_more", (unsigned long long)idhub);

	/* max=4: four leaves, and 11 more. */
	snprintf(q, sizeof(q), "refs %llu depth=1 max=4",
		 (unsigned long long)idhub);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	strcpy(nodes[5], more);
	xedge_set(&e[4], nodes[0], more, "");
	EXPECT_TRUE(g_equal(&g, nodes, 6, e, 5, false));
	EXPECT_NODE_ATTR(&g, more, label, "11 more references");
	ge = g_edge(&g, nodes[0], more);
	ASSERT_NE(NULL, ge);
	EXPECT_STREQ("dashed", ge->style);

	/* The default is 10. */
	snprintf(q, sizeof(q), "refs %llu depth=1", (unsigned long long)idhub);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	node_name(nodes[5], idl[4]);
	xedge_ids(&e[4], idhub, idl[4], 4);
	strcpy(nodes[11], more);
	xedge_set(&e[10], nodes[0], more, "");
	EXPECT_TRUE(g_equal(&g, nodes, 12, e, 11, false));
	EXPECT_NODE_ATTR(&g, more, label, "5 more references");

	/* max=15: all of them, no "more" node. */
	snprintf(q, sizeof(q), "refs %llu depth=1 max=15",
		 (unsigned long long)idhub);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	node_name(nodes[11], idl[10]);
	xedge_ids(&e[10], idhub, idl[10], 10);
	EXPECT_TRUE(g_equal(&g, nodes, 16, e, 15, false));
	EXPECT_EQ(NULL, g_node(&g, more));

	/*
	 * backrefs, max=5: five referrers and "7 more", pointing in; the
	 * references made last come first.
	 */
	t = TNEW(T_GRAPH, NULL, &idt);
	node_name(nodes[0], idt);
	for (i = 0; i < 12; i++) {
		r[i] = TNEW(T_LEAF, NULL, &idr[i]);
		TAPPEND(r[i], t);
	}
	for (i = 0; i < 5; i++) {
		node_name(nodes[i + 1], idr[11 - i]);
		xedge_ids(&e[i], idr[11 - i], idt, 0);
	}
	snprintf(more, sizeof(more), "o%llu_more", (unsigned long long)idt);
	strcpy(nodes[6], more);
	xedge_set(&e[5], more, nodes[0], "");
	snprintf(q, sizeof(q), "backrefs %llu depth=1 max=5",
		 (unsigned long long)idt);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	EXPECT_TRUE(g_equal(&g, nodes, 7, e, 6, true));
	snprintf(label, sizeof(label), "7 more references");
	EXPECT_NODE_ATTR(&g, more, label, label);
	/* Handles to the six objects drawn, none to those not drawn. */
	EXPECT_EQ(1, g_count_clients(&g));
	n = g_my_client(&g);
	ASSERT_NE(NULL, n);
	snprintf(hl, sizeof(hl), "h%u", t);
	EXPECT_NE(NULL, g_edge_label(&g, n->name, nodes[0], hl));
	for (i = 0; i < 5; i++) {
		snprintf(hl, sizeof(hl), "h%u", r[11 - i]);
		EXPECT_NE(NULL, g_edge_label(&g, n->name, nodes[i + 1], hl));
	}
	EXPECT_EQ(6 + 6, g.ne);

	for (i = 0; i < 12; i++)
		EXPECT_EQ(0, mobj_handle_close(self->fd, r[i]));
	EXPECT_EQ(0, mobj_handle_close(self->fd, t));
	EXPECT_EQ(0, mobj_handle_close(self->fd, hub));
}

/* depth: a chain of six objects, cut at every depth asked for. */
TEST_F_TIMEOUT(trace, graph_depth_limits, SLOW_TEST_TIMEOUT)
{
	static const int depths[] = { 1, 2, 3, 5, 20 };
	char q[64], nodes[6][48], rn[6][48], hl[16];
	const struct gnode *me;
	struct xedge e[6], be[6];
	__u32 x[6];
	__u64 id[6];
	struct dgraph g;
	int i, d, k;

	for (i = 0; i < 6; i++) {
		x[i] = TNEW(T_GRAPH, NULL, &id[i]);
		node_name(nodes[i], id[i]);
		if (i)
			TAPPEND(x[i - 1], x[i]);
	}
	for (i = 1; i < 6; i++)
		ASSERT_EQ(0, mobj_handle_close(self->fd, x[i]));
	for (i = 0; i < 5; i++)
		xedge_ids(&e[i], id[i], id[i + 1], 0);

	for (k = 0; k < 5; k++) {
		d = depths[k];
		snprintf(q, sizeof(q), "refs %llu depth=%d",
			 (unsigned long long)id[0], d);
		ASSERT_EQ(0, graph_get(q, &g, NULL));
		EXPECT_TRUE(g_equal(&g, nodes, d < 5 ? d + 1 : 6, e,
				    d < 5 ? d : 5, false));
	}
	/* Filled lighter with depth: 600 - 500 * depth / max_depth. */
	snprintf(q, sizeof(q), "refs %llu depth=2", (unsigned long long)id[0]);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	EXPECT_NODE_ATTR(&g, nodes[1], fill, "0.600 0.350 1.000");
	EXPECT_NODE_ATTR(&g, nodes[2], fill, "0.600 0.100 1.000");

	/* Back from the end: no handle within two levels, one within 20. */
	for (i = 0; i < 5; i++)
		be[i] = e[4 - i];
	for (i = 0; i < 6; i++)
		strcpy(rn[i], nodes[5 - i]);
	snprintf(q, sizeof(q), "backrefs %llu depth=2",
		 (unsigned long long)id[5]);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	EXPECT_TRUE(g_equal(&g, rn, 3, be, 2, false));
	snprintf(q, sizeof(q), "backrefs %llu depth=20",
		 (unsigned long long)id[5]);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	EXPECT_TRUE(g_equal(&g, rn, 6, be, 5, true));
	me = g_my_client(&g);
	ASSERT_NE(NULL, me);
	snprintf(hl, sizeof(hl), "h%u", x[0]);
	EXPECT_NE(NULL, g_edge_label(&g, me->name, nodes[0], hl));
	EXPECT_EQ(0, mobj_handle_close(self->fd, x[0]));
}

/* chain: the shortest path from a handle, or why there is none. */
TEST_F_TIMEOUT(trace, graph_chain, SLOW_TEST_TIMEOUT)
{
	char q[64], nodes[4][48], hl[16], label[96];
	__u32 r, dummy, m1, m2, t, p[3];
	__u64 idr, idm1, idm2, idt, idu;
	const struct gnode *me;
	struct xedge e[3];
	struct dgraph g;
	int i;

	r = TNEW(T_GRAPH, NULL, &idr);
	dummy = TNEW(T_LEAF, NULL, NULL);
	m1 = TNEW(T_GRAPH, NULL, &idm1);
	m2 = TNEW(T_GRAPH, NULL, &idm2);
	t = TNEW(T_LEAF, NULL, &idt);
	TAPPEND(r, dummy);
	TAPPEND(r, m1);
	TAPPEND(m1, m2);
	TAPPEND(m2, t);
	/* A longer way round: r -> p0 -> p1 -> p2 -> t. */
	for (i = 0; i < 3; i++) {
		p[i] = TNEW(T_GRAPH, NULL, NULL);
		TAPPEND(i ? p[i - 1] : r, p[i]);
	}
	TAPPEND(p[2], t);
	ASSERT_EQ(0, mobj_handle_close(self->fd, dummy));
	ASSERT_EQ(0, mobj_handle_close(self->fd, m1));
	ASSERT_EQ(0, mobj_handle_close(self->fd, m2));
	ASSERT_EQ(0, mobj_handle_close(self->fd, t));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mobj_handle_close(self->fd, p[i]));

	snprintf(q, sizeof(q), "chain %llu", (unsigned long long)idt);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	node_name(nodes[0], idr);
	node_name(nodes[1], idm1);
	node_name(nodes[2], idm2);
	node_name(nodes[3], idt);
	xedge_ids(&e[0], idr, idm1, 1);
	xedge_ids(&e[1], idm1, idm2, 0);
	xedge_ids(&e[2], idm2, idt, 0);
	EXPECT_TRUE(g_equal(&g, nodes, 4, e, 3, true));
	EXPECT_EQ(1, g_count_clients(&g));
	me = g_my_client(&g);
	ASSERT_NE(NULL, me);
	snprintf(hl, sizeof(hl), "h%u", r);
	EXPECT_NE(NULL, g_edge_label(&g, me->name, nodes[0], hl));
	EXPECT_EQ(4, g.ne);
	EXPECT_NODE_ATTR(&g, nodes[3], pen, "3");

	/* An object with a handle is its own chain. */
	snprintf(q, sizeof(q), "chain %llu", (unsigned long long)idr);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	EXPECT_TRUE(g_equal(&g, nodes, 1, e, 0, true));
	EXPECT_EQ(1, g_count_clients(&g));
	EXPECT_EQ(1, g.ne);

	/* A cycle nothing holds: no chain, it is garbage. */
	lost_cycle(_metadata, self, T_GRAPH, &idu);
	snprintf(q, sizeof(q), "chain %llu", (unsigned long long)idu);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	node_name(nodes[0], idu);
	strcpy(nodes[1], "unreachable");
	EXPECT_TRUE(g_equal(&g, nodes, 2, e, 0, false));
	snprintf(label, sizeof(label), "no handle reaches #%llu: it is garbage",
		 (unsigned long long)idu);
	EXPECT_NODE_ATTR(&g, "unreachable", label, label);
	EXPECT_EQ(2, mobj_gc_collect(self->fd, 2, NULL));
	EXPECT_EQ(0, mobj_handle_close(self->fd, r));
}

/* Bad queries fail with a clear errno and leave the last answer alone. */
TEST_F(trace, graph_bad_queries_change_nothing)
{
	char q[4200], *good, *now;
	__u64 ida, idz, next;
	__u32 a, b, z;
	int gfd, i;
	struct {
		const char *fmt;
		int err;
	} bad[] = {
		{ "frob %llu", EINVAL },
		{ "\n", EINVAL },
		{ "   ", EINVAL },
		{ "refs", EINVAL },
		{ "refs abc", EINVAL },
		{ "refs 0", EINVAL },
		{ "refs -1", EINVAL },
		{ "refs %llux", EINVAL },
		{ "refs 18446744073709551616", EINVAL },
		{ "refs %llu depth=0", EINVAL },
		{ "refs %llu depth=21", EINVAL },
		{ "refs %llu depth=", EINVAL },
		{ "refs %llu depth=x", EINVAL },
		{ "refs %llu max=0", EINVAL },
		{ "refs %llu max=1001", EINVAL },
		{ "refs %llu bogus=1", EINVAL },
		{ "REFS %llu", EINVAL },
		{ "chain %llu depth=0", EINVAL },
		{ "chain %llu depth=1048577", EINVAL },
		{ "chain %llu max=0", EINVAL },
		{ "chain %llu max=1001", EINVAL },
		{ "chain %llu bogus=1", EINVAL },
	};

	a = TNEW(T_GRAPH, NULL, &ida);
	b = TNEW(T_LEAF, NULL, NULL);
	TAPPEND(a, b);
	gfd = graph_open();
	ASSERT_LE(0, gfd);

	/* Before any query: how to write one. */
	EXPECT_ANSWER_PREFIX(gfd, "// write a query: refs ID");

	snprintf(q, sizeof(q), "refs %llu\n", (unsigned long long)ida);
	ASSERT_EQ(0, graph_query(gfd, q));
	good = graph_answer(gfd);
	ASSERT_NE(NULL, good);
	ASSERT_EQ(0, strncmp(good, "digraph mobj {", 14));

	for (i = 0; i < (int)ARRAY_SIZE(bad); i++) {
		snprintf(q, sizeof(q), bad[i].fmt, (unsigned long long)ida);
		EXPECT_EQ(-bad[i].err, graph_query(gfd, q))
			TH_LOG("query '%s'", q);
		EXPECT_ANSWER(gfd, good);
	}

	/* An id that names no object: ENOENT. */
	next = id_of(self->fd, b) + 1000;
	snprintf(q, sizeof(q), "backrefs %llu", (unsigned long long)next);
	EXPECT_EQ(-ENOENT, graph_query(gfd, q));

	/* 128 bytes and more do not fit; 127 do. */
	memset(q, ' ', sizeof(q));
	snprintf(q, sizeof(q), "refs %llu depth=1", (unsigned long long)ida);
	q[strlen(q)] = ' ';
	q[128] = '\0';
	EXPECT_EQ(-EINVAL, graph_query(gfd, q));
	q[4096] = '\0';
	memset(q + 128, ' ', 4096 - 128);
	EXPECT_EQ(-EINVAL, graph_query(gfd, q));
	EXPECT_ANSWER(gfd, good);
	q[127] = '\0';
	EXPECT_EQ(0, graph_query(gfd, q));
	now = graph_answer(gfd);
	ASSERT_NE(NULL, now);
	EXPECT_STRNE(good, now);	/* depth=1 now */
	free(now);

	/* The object asked about dies: reading says so, ENOENT. */
	z = TNEW(T_LEAF, NULL, &idz);
	snprintf(q, sizeof(q), "refs %llu", (unsigned long long)idz);
	ASSERT_EQ(0, graph_query(gfd, q));
	ASSERT_EQ(0, mobj_handle_close(self->fd, z));
	ASSERT_EQ(0, lseek(gfd, 0, SEEK_SET));
	EXPECT_EQ(-1, read(gfd, q, sizeof(q)));
	EXPECT_EQ(ENOENT, errno);
	snprintf(q, sizeof(q), "refs %llu", (unsigned long long)ida);
	ASSERT_EQ(0, graph_query(gfd, q));
	EXPECT_ANSWER(gfd, good);

	free(good);
	close(gfd);
	EXPECT_EQ(0, mobj_handle_close(self->fd, a));
	EXPECT_EQ(0, mobj_handle_close(self->fd, b));
}

/* Each open file has its own query and answer. */
TEST_F_TIMEOUT(trace, graph_open_files_are_separate, SLOW_TEST_TIMEOUT)
{
	char q[64], *a1, *b1, *again;
	struct dgraph g;
	__u64 ida, idb;
	__u32 a, b;
	int g1, g2, g3;

	a = TNEW(T_GRAPH, NULL, &ida);
	b = TNEW(T_LEAF, NULL, &idb);
	TAPPEND(a, b);
	g1 = graph_open();
	g2 = graph_open();
	ASSERT_LE(0, g1);
	ASSERT_LE(0, g2);
	snprintf(q, sizeof(q), "refs %llu depth=1", (unsigned long long)ida);
	ASSERT_EQ(0, graph_query(g1, q));
	snprintf(q, sizeof(q), "backrefs %llu depth=1", (unsigned long long)idb);
	ASSERT_EQ(0, graph_query(g2, q));
	a1 = graph_answer(g1);
	b1 = graph_answer(g2);
	ASSERT_NE(NULL, a1);
	ASSERT_NE(NULL, b1);
	EXPECT_STRNE(a1, b1);

	/* refs a: a and b, no client; backrefs b: a, b and a client. */
	ASSERT_EQ(0, g_parse(a1, &g));
	EXPECT_EQ(2, g.nn);
	EXPECT_EQ(0, g_count_clients(&g));
	ASSERT_EQ(0, g_parse(b1, &g));
	EXPECT_EQ(3, g.nn);
	EXPECT_EQ(1, g_count_clients(&g));

	/* The second query did not change the first file's answer. */
	again = graph_answer(g1);
	ASSERT_NE(NULL, again);
	EXPECT_STREQ(a1, again);
	free(again);

	/* A third open file has no query yet. */
	g3 = graph_open();
	ASSERT_LE(0, g3);
	EXPECT_ANSWER_PREFIX(g3, "// write a query");
	close(g3);

	free(a1);
	free(b1);
	close(g1);
	close(g2);
	EXPECT_EQ(0, mobj_handle_close(self->fd, a));
	EXPECT_EQ(0, mobj_handle_close(self->fd, b));
}

/*
 * Graphviz reads every form of line the kernel writes, all but the search
 * limit and the comments: six answers that hold them, given to one
 * "dot -Tsvg" (one exec: starting dot takes seconds under emulation).
 */
TEST_F_TIMEOUT(trace, graph_dot_reads_every_form, SLOW_TEST_TIMEOUT)
{
	static char *const argv[] = { "dot", "-Tsvg", NULL };
	unsigned int forms = 0, want;
	char q[6][64], *text[6], *all;
	struct proc_out po;
	struct dgraph g;
	__u64 id[4], idu;
	__u32 h[4];
	size_t len = 1;
	int i, svgs;
	const char *p;

	/* hub -> l0, hub -> l1, l1 -> l0, l1 -> l2: a handle to hub only. */
	ASSERT_EQ(0, name_type(self, T_GRAPH, "trace.G"));
	for (i = 0; i < 4; i++)
		h[i] = TNEW(i ? T_LEAF : T_GRAPH, NULL, &id[i]);
	TAPPEND(h[0], h[1]);
	TAPPEND(h[0], h[2]);
	TAPPEND(h[2], h[1]);
	TAPPEND(h[2], h[3]);
	for (i = 1; i < 4; i++)
		ASSERT_EQ(0, mobj_handle_close(self->fd, h[i]));
	lost_cycle(_metadata, self, T_GRAPH, &idu);

	/* More out; more in, client and handles; a cut chain; a chain. */
	snprintf(q[0], 64, "refs %llu max=1", (unsigned long long)id[0]);
	snprintf(q[1], 64, "backrefs %llu max=1", (unsigned long long)id[1]);
	snprintf(q[2], 64, "chain %llu depth=1", (unsigned long long)id[3]);
	snprintf(q[3], 64, "chain %llu", (unsigned long long)id[3]);
	/* The cycle: garbage; then saved in gc.garbage, which holds it. */
	snprintf(q[4], 64, "chain %llu", (unsigned long long)idu);
	strcpy(q[5], q[4]);
	for (i = 0; i < 6; i++) {
		if (i == 5) {
			ASSERT_EQ(0, mobj_gc_set_debug(self->fd,
						       MOBJ_GC_DEBUG_SAVEALL));
			ASSERT_EQ(2, mobj_gc_collect(self->fd, 2, NULL));
		}
		ASSERT_EQ(0, graph_get(q[i], &g, &text[i]));
		forms |= g.forms;
		len += strlen(text[i]);
	}
	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, 0));
	ASSERT_LE(0, mobj_gc_garbage(self->fd, NULL, 0, MOBJ_GC_GARBAGE_CLEAR,
				     NULL));
	EXPECT_EQ(0, mobj_handle_close(self->fd, h[0]));
	want = (1U << G_FORMS) - 1;
	want &= ~(1U << G_UNREACHABLE_LIMIT | 1U << G_STOPPED_NODES |
		  1U << G_STOPPED_EDGES | 1U << G_MORE_HANDLES);
	EXPECT_EQ(want, forms);

	all = calloc(1, len);
	ASSERT_NE(NULL, all);
	for (i = 0; i < 6; i++) {
		strcat(all, text[i]);
		free(text[i]);
	}
	ASSERT_EQ(0, run_prog(argv, all, 0, &po));
	EXPECT_EQ(0, po.status);
	EXPECT_STREQ("", po.err);
	for (svgs = 0, p = po.out; (p = strstr(p, "</svg>")); p++)
		svgs++;
	EXPECT_EQ(6, svgs);
	proc_out_free(&po);
	free(all);
}

/* ------------------------------------------------------------------ */
/* Type names */

TEST_F_TIMEOUT(trace, type_names, SLOW_TEST_TIMEOUT)
{
	struct mobj_type_name cmd;
	char name[MOBJ_TYPE_NAME_MAX], q[64], label[96], nm[48];
	long long named;
	struct dgraph g;
	__u64 id;
	__u32 h;
	char *s;

	ASSERT_TRUE(mobj_has_cmd(self->fd, MOBJ_CMD_TYPE_NAME));
	s = dbg_read("stats");
	ASSERT_NE(NULL, s);
	named = stat_val(s, "named_types");
	free(s);

	/* Set, read back, used by objects, types and graph. */
	ASSERT_EQ(0, name_type(self, T_NAME, "std::vector<int>-1.x_y"));
	ASSERT_EQ(0, type_name_get(self->fd, T_NAME, name));
	EXPECT_STREQ("std::vector<int>-1.x_y", name);
	h = TNEW(T_NAME, NULL, &id);
	s = dbg_read("objects");
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(has_linef(s, "%llu std::vector<int>-1.x_y 1 - 0 0 -", id));
	free(s);
	s = dbg_read("types");
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(has_line(s, "std::vector<int>-1.x_y 1"));
	free(s);
	snprintf(q, sizeof(q), "refs %llu", (unsigned long long)id);
	ASSERT_EQ(0, graph_get(q, &g, NULL));
	node_name(nm, id);
	snprintf(label, sizeof(label), "std::vector<int>-1.x_y\\n#%llu refcount=1",
		 (unsigned long long)id);
	EXPECT_NODE_ATTR(&g, nm, label, label);
	s = dbg_read("stats");
	ASSERT_NE(NULL, s);
	EXPECT_EQ(named + 1, stat_val(s, "named_types"));
	free(s);

	/* 31 characters fit; 32, other characters, junk after the NUL do not. */
	EXPECT_EQ(0, type_name_set(self->fd, T_NAME,
				   "abcdefghijklmnopqrstuvwxyz01234"));
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	cmd.type = T_NAME;
	memset(cmd.name, 'a', sizeof(cmd.name));
	EXPECT_ERRNO(EINVAL, mobj_raw(self->fd, MOBJ_TYPE_NAME, &cmd));
	EXPECT_ERRNO(EINVAL, type_name_set(self->fd, T_NAME, "two words"));
	EXPECT_ERRNO(EINVAL, type_name_set(self->fd, T_NAME, "a/b"));
	EXPECT_ERRNO(EINVAL, type_name_set(self->fd, T_NAME, "quote\""));
	EXPECT_ERRNO(EINVAL, type_name_set(self->fd, T_NAME, "new\nline"));
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	cmd.type = T_NAME;
	strcpy(cmd.name, "ok");
	EXPECT_FIELD_ERRNO(EINVAL, self->fd, MOBJ_TYPE_NAME, cmd, name[5],
			   'x', '\0');
	EXPECT_FIELD_ERRNO(EINVAL, self->fd, MOBJ_TYPE_NAME, cmd, flags, 4, 0);
	EXPECT_FIELD_ERRNO(EINVAL, self->fd, MOBJ_TYPE_NAME, cmd, __reserved,
			   1, 0);
	EXPECT_LENGTH_ERRORS(self->fd, MOBJ_TYPE_NAME, cmd);
	ASSERT_EQ(0, type_name_get(self->fd, T_NAME, name));
	EXPECT_STREQ("abcdefghijklmnopqrstuvwxyz01234", name);

	/* An empty name removes it: typeN again, and the count drops. */
	EXPECT_EQ(0, type_name_set(self->fd, T_NAME, ""));
	ASSERT_EQ(0, type_name_get(self->fd, T_NAME, name));
	EXPECT_STREQ("", name);
	ASSERT_EQ(0, type_name_get(self->fd, T_NAME + 1, name));
	EXPECT_STREQ("", name);
	s = dbg_read("objects");
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(has_linef(s, "%llu type%u 1 - 0 0 -", id, T_NAME));
	free(s);
	s = dbg_read("stats");
	ASSERT_NE(NULL, s);
	EXPECT_EQ(named, stat_val(s, "named_types"));
	free(s);
	EXPECT_EQ(0, mobj_handle_close(self->fd, h));
}

/* ------------------------------------------------------------------ */
/* Tracepoints */

/* obj_new, slot_set, slot_clear, obj_free (refcount), as they happen. */
TEST_F(trace, tracepoints_objects_and_slots)
{
	long p_new, p_set, p_clear, p_set2, p_clear2, p_free;
	__u64 idx, idy, idz;
	__u32 x, y, z;
	char *t;

	ASSERT_EQ(0, trace_begin(&self->tr));
	x = TNEW(T_EV, "abc", &idx);
	y = TNEW(T_EV + 1, NULL, &idy);
	z = TNEW(T_EV + 1, NULL, &idz);
	TAPPEND(x, y);				/* slot_set x[0] = y */
	ASSERT_EQ(0, mobj_slot_set(self->fd, x, 0, z));	/* clear y, set z */
	ASSERT_EQ(0, mobj_handle_close(self->fd, y));	/* y freed: refcount */
	ASSERT_EQ(0, mobj_slot_pop(self->fd, x, 0));	/* slot_clear x[0] = z */
	ASSERT_EQ(0, mobj_handle_close(self->fd, z));
	ASSERT_EQ(0, mobj_handle_close(self->fd, x));

	t = trace_text(&self->tr);
	ASSERT_NE(NULL, t);
	p_new = trace_find(t, "obj_new", "id=%llu type=%u data_len=3",
			   (unsigned long long)idx, T_EV);
	EXPECT_LE(0, p_new);
	EXPECT_LE(0, trace_find(t, "obj_new", "id=%llu type=%u data_len=0",
				(unsigned long long)idy, T_EV + 1));
	p_set = trace_find(t, "slot_set", "owner=%llu index=0 target=%llu",
			   (unsigned long long)idx, (unsigned long long)idy);
	p_clear = trace_find(t, "slot_clear", "owner=%llu index=0 target=%llu",
			     (unsigned long long)idx, (unsigned long long)idy);
	p_set2 = trace_find(t, "slot_set", "owner=%llu index=0 target=%llu",
			    (unsigned long long)idx, (unsigned long long)idz);
	p_clear2 = trace_find(t, "slot_clear", "owner=%llu index=0 target=%llu",
			      (unsigned long long)idx, (unsigned long long)idz);
	p_free = trace_find(t, "obj_free", "id=%llu type=%u reason=refcount",
			    (unsigned long long)idy, T_EV + 1);
	EXPECT_LT(p_new, p_set);
	EXPECT_LT(p_set, p_clear);
	EXPECT_LT(p_clear, p_set2);
	EXPECT_LT(p_set2, p_free);
	EXPECT_LT(p_free, p_clear2);
	EXPECT_LE(0, trace_find(t, "obj_free", "id=%llu type=%u reason=refcount",
				(unsigned long long)idz, T_EV + 1));
	EXPECT_LE(0, trace_find(t, "obj_free", "id=%llu type=%u reason=refcount",
				(unsigned long long)idx, T_EV));
	if (p_free < 0 || p_clear2 < 0)
		fprintf(stderr, "# trace:\n%s", t);
	free(t);
	EXPECT_EQ(0, trace_end(&self->tr));
}

/* gc_start, the cycle's slot_clear and obj_free (cycle), gc_end. */
TEST_F(trace, tracepoints_collector)
{
	long p_start, p_clear, p_free1, p_free2, p_end;
	long long candidates = 0;
	char *t, *s, path[192];
	__u64 idp, idq;
	__u32 p, q;
	int i;

	p = TNEW(T_EV, NULL, &idp);
	q = TNEW(T_EV, NULL, &idq);
	TAPPEND(p, q);
	TAPPEND(q, p);
	ASSERT_EQ(0, mobj_handle_close(self->fd, p));
	ASSERT_EQ(0, mobj_handle_close(self->fd, q));
	s = dbg_read("stats");
	ASSERT_NE(NULL, s);
	for (i = 0; i < MOBJ_GC_GENERATIONS; i++)
		candidates += gen_val(s, i, "objects");
	free(s);

	ASSERT_EQ(0, trace_begin(&self->tr));
	ASSERT_EQ(2, mobj_gc_collect(self->fd, 2, NULL));
	t = trace_text(&self->tr);
	ASSERT_NE(NULL, t);
	p_start = trace_find(t, "gc_start", "generation=2 candidates=%lld",
			     candidates);
	p_clear = trace_find(t, "slot_clear", "owner=%llu index=0 target=%llu",
			     (unsigned long long)idp, (unsigned long long)idq);
	p_free1 = trace_find(t, "obj_free", "id=%llu type=%u reason=cycle",
			     (unsigned long long)idp, T_EV);
	p_free2 = trace_find(t, "obj_free", "id=%llu type=%u reason=cycle",
			     (unsigned long long)idq, T_EV);
	p_end = strstr(t, " gc_end: generation=2 collected=2 uncollectable=0 duration_ns=") ?
		strstr(t, " gc_end: generation=2 collected=2") - t : -1;
	EXPECT_LE(0, p_start);
	EXPECT_LT(p_start, p_clear);
	EXPECT_LE(0, trace_find(t, "slot_clear", "owner=%llu index=0 target=%llu",
				(unsigned long long)idq,
				(unsigned long long)idp));
	EXPECT_LT(p_clear, p_free1);
	EXPECT_LT(p_clear, p_free2);
	EXPECT_LT(p_free1, p_end);
	EXPECT_LT(p_free2, p_end);
	if (p_start < 0 || p_end < 0)
		fprintf(stderr, "# trace:\n%s", t);
	free(t);

	/* Disabled again: nothing more is recorded. */
	EXPECT_EQ(0, trace_end(&self->tr));
	ASSERT_EQ(0, trace_begin(&self->tr));
	snprintf(path, sizeof(path), "%s/events/mobj/enable", self->tr.dir);
	ASSERT_EQ(0, mobj_write_text(path, "0"));
	p = TNEW(T_EV, NULL, &idp);
	ASSERT_EQ(0, mobj_handle_close(self->fd, p));
	t = trace_text(&self->tr);
	ASSERT_NE(NULL, t);
	EXPECT_EQ(NULL, strstr(t, "obj_new:"));
	free(t);
}

/* ------------------------------------------------------------------ */
/* A million objects, listed in bounded memory */

#define BIG_N 1000000
#define BIG_N_DEBUG 200000

/*
 * A million objects on a production kernel.  Under kmemleak and KASAN
 * (the debug kernel) making and freeing one costs 100+ us under
 * emulation: 200,000 there keep the binary within its time limit, and
 * their listing (5 MB) still dwarfs the memory bound.  $MOBJ_TRACE_BIG_N
 * overrides both.
 */
static unsigned long big_n(void)
{
	const char *env = getenv("MOBJ_TRACE_BIG_N");

	if (env && strtoul(env, NULL, 10))
		return strtoul(env, NULL, 10);
	return access("/sys/kernel/debug/kmemleak", F_OK) ? BIG_N : BIG_N_DEBUG;
}

/* Make @n objects of @type in client @fd; MOBJ_BATCH when there is one. */
static int make_objects(int fd, unsigned long n, __u32 type)
{
	static struct mobj_batch_op ops[MOBJ_BATCH_MAX];
	struct mobj_batch b = { .size = sizeof(b), .ops = (__u64)(unsigned long)ops };
	bool batch = mobj_has_cmd(fd, MOBJ_CMD_BATCH);
	unsigned long done = 0, i, k;
	__u32 h;
	int ret;

	while (done < n) {
		k = n - done < MOBJ_BATCH_MAX ? n - done : MOBJ_BATCH_MAX;
		if (!batch) {
			ret = mobj_new(fd, type, NULL, 0, &h, NULL);
			if (ret)
				return ret;
			done++;
			continue;
		}
		memset(ops, 0, k * sizeof(ops[0]));
		for (i = 0; i < k; i++) {
			ops[i].cmd = MOBJ_CMD_NEW;
			ops[i].handle = type;
		}
		b.count = k;
		ret = mobj_raw(fd, MOBJ_BATCH, &b);
		if (ret)
			return ret;
		done += k;
	}
	return 0;
}

struct listing {
	unsigned long lines;
	unsigned long mine;
	unsigned long long bytes;
	unsigned long long first, last;
	bool sorted;
	long long kernel_peak;	/* kB */
	long long rss_peak;	/* kB */
};

/* Read "objects" in 4 KiB chunks, sampling memory as it goes. */
static int list_objects(__u32 type, struct listing *l)
{
	char buf[4096], want[32], tail[160];
	unsigned long long id, prev = 0;
	size_t tl = 0, i;
	unsigned long reads = 0;
	long long k, r;
	ssize_t n;
	int fd;

	memset(l, 0, sizeof(*l));
	l->sorted = true;
	snprintf(want, sizeof(want), " type%u ", type);
	fd = open(DBG_DIR "/objects", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		l->bytes += n;
		for (i = 0; i < (size_t)n; i++) {
			if (buf[i] != '\n') {
				if (tl < sizeof(tail) - 1)
					tail[tl++] = buf[i];
				continue;
			}
			tail[tl] = '\0';
			tl = 0;
			l->lines++;
			if (tail[0] == '#')
				continue;
			id = strtoull(tail, NULL, 10);
			l->sorted &= id > prev;
			prev = id;
			if (!strstr(tail, want))
				continue;
			if (!l->mine++)
				l->first = id;
			l->last = id;
		}
		if (!(reads++ % 64)) {
			k = kernel_kb();
			r = kb_of("/proc/self/status", "VmRSS:");
			l->kernel_peak = k > l->kernel_peak ? k : l->kernel_peak;
			l->rss_peak = r > l->rss_peak ? r : l->rss_peak;
		}
	}
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

TEST_F_TIMEOUT(trace, objects_million_bounded_memory, 240)
{
	long long kernel0, rss0, t0, bound;
	unsigned long n = big_n();
	struct listing l;
	__u64 live0;
	int big;
	char *s;

	live0 = live_of(self->fd);
	big = mobj_dev_open();
	ASSERT_LE(0, big);
	self->extra[0] = big;
	t0 = mobj_now_ms();
	ASSERT_EQ(0, make_objects(big, n, T_BIG));
	TH_LOG("%lu objects made in %lld ms", n, mobj_now_ms() - t0);
	ASSERT_EQ(live0 + n, live_of(self->fd));

	kernel0 = kernel_kb();
	rss0 = kb_of("/proc/self/status", "VmRSS:");
	ASSERT_LT(0, kernel0);
	ASSERT_LT(0, rss0);
	t0 = mobj_now_ms();
	ASSERT_EQ(0, list_objects(T_BIG, &l));
	TH_LOG("listed %lu lines, %llu bytes in %lld ms; kernel +%lld kB, rss +%lld kB",
	       l.lines, l.bytes, mobj_now_ms() - t0, l.kernel_peak - kernel0,
	       l.rss_peak - rss0);
	EXPECT_EQ(live0 + n + 1, l.lines);
	EXPECT_EQ(n, l.mine);
	EXPECT_EQ(n - 1, l.last - l.first);
	EXPECT_TRUE(l.sorted);
	/*
	 * The listing is over 20 bytes an object; buffering it in the
	 * kernel (slab or vmalloc) or in this process would show here.
	 * Half of it, at most 8 MiB, is the slack for whatever else the
	 * kernel does meanwhile.
	 */
	EXPECT_LT(20ULL * n, l.bytes);
	bound = l.bytes / 2048 < 8192 ? l.bytes / 2048 : 8192;
	EXPECT_GT(bound, l.kernel_peak - kernel0);
	EXPECT_GT(2048, l.rss_peak - rss0);

	/* The histogram has them in one line. */
	s = dbg_read("types");
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(has_linef(s, "type%u %lu", T_BIG, n));
	free(s);

	/* Closing the client frees them all. */
	t0 = mobj_now_ms();
	close(big);
	self->extra[0] = -1;
	EXPECT_EQ(live0, live_of(self->fd));
	TH_LOG("freed in %lld ms", mobj_now_ms() - t0);
}

/* ------------------------------------------------------------------ */
/* Who may look, and what they see */

static const char *const dbg_files[] = {
	"stats", "objects", "types", "garbage", "graph", "check",
};

#define N_DBG_FILES ((int)ARRAY_SIZE(dbg_files))

/* In a child that is nobody: every file must refuse with EACCES. */
static int nobody_opens(bool dev_open)
{
	char path[128];
	int i, bad = 0, fd;

	drop_privileges();
	for (i = 0; i < N_DBG_FILES; i++) {
		snprintf(path, sizeof(path), DBG_DIR "/%s", dbg_files[i]);
		fd = open(path, i == 4 ? O_RDWR : O_RDONLY);
		if (fd >= 0 || errno != EACCES) {
			fprintf(stderr, "# nobody opened %s: %s\n", path,
				fd >= 0 ? "success" : strerror(errno));
			bad++;
		}
	}
	/* The device too, unless it was made world-usable (dev_mode). */
	fd = open(MOBJ_DEV_PATH, O_RDWR);
	if (!dev_open && (fd >= 0 || errno != EACCES)) {
		fprintf(stderr, "# nobody opened %s\n", MOBJ_DEV_PATH);
		bad++;
	}
	return bad;
}

TEST_F(trace, debugfs_is_root_only)
{
	char path[128];
	struct stat st;
	int i, status;
	pid_t pid;

	for (i = 0; i < N_DBG_FILES; i++) {
		snprintf(path, sizeof(path), DBG_DIR "/%s", dbg_files[i]);
		ASSERT_EQ(0, stat(path, &st));
		EXPECT_EQ(0, st.st_mode & 0077) TH_LOG("%s mode %o", path,
						       st.st_mode & 07777);
		EXPECT_EQ(0, st.st_uid);
	}
	ASSERT_EQ(0, stat(MOBJ_DEV_PATH, &st));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(nobody_opens(st.st_mode & 0006));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Ids only: no 0xffff..., no run of 16 hex digits anywhere. */
static bool has_kernel_address(const char *text)
{
	const char *p;
	int run = 0;

	if (strcasestr(text, "0xffff") || strcasestr(text, "ffff8") ||
	    strcasestr(text, "ffffc9") || strcasestr(text, "ffffea"))
		return true;
	for (p = text; *p; p++) {
		run = isxdigit((unsigned char)*p) ? run + 1 : 0;
		if (run >= 16)
			return true;
	}
	return false;
}

TEST_F(trace, no_kernel_addresses)
{
	static const char *const queries[] = {
		"refs %llu depth=20", "backrefs %llu depth=20", "chain %llu",
	};
	struct diamond dm;
	char q[64], *s;
	int i, gfd;
	__u32 x, y;

	diamond_build(_metadata, self, &dm);
	ASSERT_EQ(0, mobj_watch(self->fd, dm.h[1], 7));
	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, MOBJ_GC_DEBUG_SAVEALL));
	x = TNEW(T_LEAF, "payload", NULL);
	y = TNEW(T_LEAF, NULL, NULL);
	TAPPEND(x, y);
	TAPPEND(y, x);
	ASSERT_EQ(0, mobj_handle_close(self->fd, x));
	ASSERT_EQ(0, mobj_handle_close(self->fd, y));
	ASSERT_EQ(2, mobj_gc_collect(self->fd, 0, NULL));

	for (i = 0; i < N_DBG_FILES; i++) {
		if (i == 4)
			continue;
		s = dbg_read(dbg_files[i]);
		ASSERT_NE(NULL, s);
		EXPECT_FALSE(has_kernel_address(s)) TH_LOG("%s:\n%s",
							   dbg_files[i], s);
		free(s);
	}
	gfd = graph_open();
	ASSERT_LE(0, gfd);
	s = graph_answer(gfd);
	ASSERT_NE(NULL, s);
	EXPECT_FALSE(has_kernel_address(s));
	free(s);
	for (i = 0; i < 3; i++) {
		snprintf(q, sizeof(q), queries[i], (unsigned long long)dm.id[3]);
		ASSERT_EQ(0, graph_query(gfd, q));
		s = graph_answer(gfd);
		ASSERT_NE(NULL, s);
		EXPECT_FALSE(has_kernel_address(s)) TH_LOG("%s:\n%s", q, s);
		free(s);
	}
	close(gfd);
	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, 0));
	diamond_free(_metadata, self, &dm);
}

TEST_HARNESS_MAIN
