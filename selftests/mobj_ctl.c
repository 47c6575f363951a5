// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_ctl: the mobjctl tool (tools/mobjctl/mobjctl, or $MOBJCTL) run as a
 * user would: every command, its output (text, --json, digraphs parsed
 * as the kernel's fixed format, pictures) checked against the heap the
 * test built, and its errors: exit status 1 (the operation failed) or 2
 * (bad usage), nothing on standard output, one line on standard error.
 */
#include "mobj_test.h"
#include "mobj_trace_util.h"

/* ------------------------------------------------------------------ */
/* mobjctl */

/* tools/mobjctl/mobjctl next to this test's directory, or $MOBJCTL. */
static const char *mobjctl_path(void)
{
	static char path[PATH_MAX + 32];
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (getenv("MOBJCTL"))
		return getenv("MOBJCTL");
	if (path[0])
		return path;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return "mobjctl";
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(path, sizeof(path), "%s/../tools/mobjctl/mobjctl", exe);
	return path;
}

/*
 * The tree may sit where "nobody" cannot reach (a clone under /root): run
 * the unprivileged commands from a copy in /tmp.
 */
static const char *mobjctl_nobody_path(void)
{
	static char path[64];
	char buf[65536];
	ssize_t n;
	int in, out;

	if (path[0])
		return path;
	snprintf(path, sizeof(path), "/tmp/mobjctl-nobody-%d", getpid());
	in = open(mobjctl_path(), O_RDONLY | O_CLOEXEC);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (in < 0 || out < 0)
		goto fail;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			goto fail;
	if (n < 0 || fchmod(out, 0755))
		goto fail;
	close(in);
	close(out);
	return path;
fail:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return mobjctl_path();
}

#define CTL_ARGS 16

/* Run mobjctl with the NULL-terminated arguments, as @uid. */
static int ctl_run(struct proc_out *po, uid_t uid, ...)
{
	char *argv[CTL_ARGS + 2];
	va_list ap;
	int i = 0;

	argv[i++] = (char *)(uid ? mobjctl_nobody_path() : mobjctl_path());
	va_start(ap, uid);
	while (i <= CTL_ARGS && (argv[i] = va_arg(ap, char *)))
		i++;
	va_end(ap);
	argv[i] = NULL;
	return run_prog(argv, NULL, uid, po);
}

#define CTL(po, ...) ASSERT_EQ(0, ctl_run(po, 0, __VA_ARGS__, NULL))
#define CTL_NOBODY(po, ...) \
	ASSERT_EQ(0, ctl_run(po, MOBJ_NOBODY, __VA_ARGS__, NULL))

/* A failure: exit @status, nothing on stdout, one line on stderr. */
#define EXPECT_CTL_ERROR(po, st, text) do { \
	EXPECT_EQ(st, (po)->status); \
	EXPECT_STREQ("", (po)->out); \
	EXPECT_EQ(1, count_lines((po)->err)) TH_LOG("stderr: %s", (po)->err); \
	EXPECT_EQ(0, strncmp((po)->err, "mobjctl: ", 9)); \
	EXPECT_NE(NULL, strstr((po)->err, text)) TH_LOG("stderr: %s", \
							(po)->err); \
	proc_out_free(po); \
} while (0)

#define EXPECT_CTL_OK(po) do { \
	EXPECT_EQ(0, (po)->status) TH_LOG("stderr: %s", (po)->err); \
	EXPECT_STREQ("", (po)->err); \
} while (0)

#define ASSERT_MOBJCTL() \
	ASSERT_EQ(0, access(mobjctl_path(), X_OK)) \
		TH_LOG("%s: %s (build it: make -C tools/mobjctl)", \
		       mobjctl_path(), strerror(errno))

/* @text with every run of spaces one space, none at a line's start. */
static char *squeeze(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *text; text++)
		if (*text != ' ' || (o != out && o[-1] != ' ' && o[-1] != '\n'))
			*o++ = *text;
	*o = '\0';
	return out;
}

/*
 * Is @text a table in aligned columns, @align saying for each column
 * whether it is left ('l': every line's cell starts at the same place) or
 * right ('r': ends at the same place) aligned?  Every line must have one
 * cell per column, none empty.
 */
static bool table_aligned(const char *text, const char *align)
{
	int ncols = strlen(align), col, at[16], pos;
	const char *line = text, *p;
	bool first = true;

	for (; *line; line = p + (*p == '\n'), first = false) {
		p = line;
		for (col = 0; col < ncols; col++) {
			while (*p == ' ')
				p++;
			if (*p == '\n' || !*p)
				return false;
			pos = align[col] == 'l' ? p - line : -1;
			while (*p && *p != ' ' && *p != '\n')
				p++;
			if (pos < 0)
				pos = p - line;
			if (first)
				at[col] = pos;
			else if (at[col] != pos)
				return false;
		}
		if (*p && *p != '\n')
			return false;
	}
	return !first;
}

/* The member @key of @j has JSON type @t. */
static bool jis(const struct jv *j, const char *key, enum jtype t)
{
	const struct jv *v = jget(j, key);

	return v && v->t == t;
}

TEST_F_TIMEOUT(trace, mobjctl_stats_and_check, SLOW_TEST_TIMEOUT)
{
	struct mobj_gc_state st;
	struct proc_out po;
	const struct jv *gens;
	struct jv *j;
	__u64 live;
	char want[64];

	ASSERT_MOBJCTL();
	ASSERT_EQ(0, mobj_gc_get(self->fd, &st));
	live = live_of(self->fd);
	CTL(&po, "stats");
	EXPECT_CTL_OK(&po);
	snprintf(want, sizeof(want), "live_objects %llu",
		 (unsigned long long)live);
	EXPECT_TRUE(has_line(po.out, want));
	EXPECT_TRUE(has_line(po.out, "gc_enabled 0"));
	proc_out_free(&po);

	/* Who holds what: this test's own client is listed, with its pid. */
	CTL(&po, "clients");
	EXPECT_CTL_OK(&po);
	EXPECT_EQ(0, strncmp(po.out, "  CLIENT      PID COMM", 22));
	snprintf(want, sizeof(want), " %d ", getpid());
	EXPECT_NE(NULL, strstr(po.out, want)) TH_LOG("%s", po.out);
	proc_out_free(&po);

	CTL(&po, "--json", "stats");
	EXPECT_CTL_OK(&po);
	j = json_parse(po.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", po.out);
	EXPECT_EQ(live, jnum(j, "live_objects"));
	EXPECT_EQ(0, jnum(j, "gc_enabled"));
	EXPECT_LT(0, jnum(j, "lock_acquisitions"));
	gens = jget(j, "generations");
	ASSERT_NE(NULL, gens);
	ASSERT_EQ(3, gens->n);
	EXPECT_EQ(2, jnum(gens->v[2], "generation"));
	EXPECT_EQ(st.threshold[0], jnum(gens->v[0], "threshold"));
	EXPECT_EQ(st.threshold[2], jnum(gens->v[2], "threshold"));
	jv_free(j);
	proc_out_free(&po);

	CTL(&po, "check");
	EXPECT_CTL_OK(&po);
	EXPECT_EQ(0, strncmp(po.out, "ok objects ", 11));
	proc_out_free(&po);

	CTL(&po, "check", "--json");
	EXPECT_CTL_OK(&po);
	j = json_parse(po.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", po.out);
	EXPECT_TRUE(jis(j, "ok", J_BOOL));
	EXPECT_EQ(1, jnum(j, "ok"));
	EXPECT_TRUE(jis(j, "objects", J_NUM)) TH_LOG("%s", po.out);
	EXPECT_LE(live, jnum(j, "objects"));
	EXPECT_TRUE(jis(j, "handles", J_NUM));
	EXPECT_TRUE(jis(j, "edges", J_NUM));
	ASSERT_TRUE(jis(j, "problems", J_ARR));
	EXPECT_EQ(0, jget(j, "problems")->n);
	jv_free(j);
	proc_out_free(&po);
}

/* leaks: the lost cycle named, nothing freed; then collected, none left. */
TEST_F_TIMEOUT(trace, mobjctl_leaks, SLOW_TEST_TIMEOUT)
{
	struct proc_out po;
	struct jv *j, *ids;
	char want[64];
	__u64 id;

	ASSERT_MOBJCTL();
	lost_cycle(_metadata, self, T_CTL, &id);
	CTL(&po, "leaks", "--json");
	EXPECT_CTL_OK(&po);
	j = json_parse(po.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", po.out);
	EXPECT_EQ(2, jnum(j, "leaks"));
	EXPECT_LE(2, jnum(j, "examined"));
	ids = jget(j, "ids");
	ASSERT_NE(NULL, ids);
	ASSERT_EQ(J_ARR, ids->t);
	ASSERT_EQ(2, ids->n);
	EXPECT_TRUE(ids->v[0]->num == id || ids->v[1]->num == id);
	jv_free(j);
	proc_out_free(&po);
	EXPECT_EQ(self->base.live_objects + 2, live_of(self->fd));

	CTL(&po, "leaks");
	EXPECT_CTL_OK(&po);
	EXPECT_EQ(0, strncmp(po.out, "2 objects the next collection would free (", 42))
		TH_LOG("%s", po.out);
	snprintf(want, sizeof(want), "\n%llu\n", (unsigned long long)id);
	EXPECT_NE(NULL, strstr(po.out, want)) TH_LOG("%s", po.out);
	proc_out_free(&po);
	CTL(&po, "leaks", "x");
	EXPECT_CTL_ERROR(&po, 2, "unexpected argument");

	EXPECT_EQ(2, mobj_gc_collect(self->fd, 2, NULL));
	CTL(&po, "leaks");
	EXPECT_CTL_OK(&po);
	EXPECT_EQ(0, strncmp(po.out, "0 objects the next collection would free (", 42))
		TH_LOG("%s", po.out);
	proc_out_free(&po);
}

TEST_F_TIMEOUT(trace, mobjctl_collect_and_threshold, SLOW_TEST_TIMEOUT)
{
	struct mobj_gc_state st;
	struct proc_out po;
	char want[64];
	struct jv *j;

	ASSERT_MOBJCTL();
	lost_cycle(_metadata, self, T_CTL, NULL);
	CTL(&po, "collect", "--json");
	EXPECT_CTL_OK(&po);
	j = json_parse(po.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", po.out);
	EXPECT_EQ(2, jnum(j, "generation"));
	EXPECT_EQ(2, jnum(j, "collected"));
	EXPECT_EQ(0, jnum(j, "uncollectable"));
	EXPECT_LE(2, jnum(j, "examined"));
	jv_free(j);
	proc_out_free(&po);
	EXPECT_EQ(self->base.live_objects, live_of(self->fd));

	CTL(&po, "collect", "0");
	EXPECT_CTL_OK(&po);
	EXPECT_EQ(0, strncmp(po.out, "generation 0: collected 0,", 26));
	proc_out_free(&po);
	CTL(&po, "collect", "3");
	EXPECT_CTL_ERROR(&po, 2, "0, 1 or 2");
	CTL(&po, "collect", "x");
	EXPECT_CTL_ERROR(&po, 2, "collect");

	ASSERT_EQ(0, mobj_gc_get(self->fd, &st));
	CTL(&po, "threshold");
	EXPECT_CTL_OK(&po);
	snprintf(want, sizeof(want), "%u %u %u\n", st.threshold[0],
		 st.threshold[1], st.threshold[2]);
	EXPECT_STREQ(want, po.out);
	proc_out_free(&po);
	CTL(&po, "threshold", "900", "5");
	EXPECT_CTL_OK(&po);
	snprintf(want, sizeof(want), "900 5 %u\n", st.threshold[2]);
	EXPECT_STREQ(want, po.out);
	proc_out_free(&po);
	ASSERT_EQ(0, mobj_gc_get(self->fd, &st));
	EXPECT_EQ(900, st.threshold[0]);
	EXPECT_EQ(5, st.threshold[1]);
	CTL(&po, "threshold", "900", "0");
	EXPECT_CTL_ERROR(&po, 1, "at least 1");
	CTL(&po, "threshold", "--json");
	EXPECT_CTL_OK(&po);
	snprintf(want, sizeof(want), "{\"threshold\": [900, 5, %u]}\n",
		 st.threshold[2]);
	EXPECT_STREQ(want, po.out);
	proc_out_free(&po);
}

TEST_F_TIMEOUT(trace, mobjctl_types_and_objects, SLOW_TEST_TIMEOUT)
{
	char type[16], other[24], want[256], *s;
	int i, found = 0, found_other = 0;
	const struct jv *o;
	struct proc_out po;
	__u64 ida, idb, idc, idd;
	__u32 a, b, c, d;
	struct jv *j;

	ASSERT_MOBJCTL();
	ASSERT_EQ(0, name_type(self, T_CTL, "trace.Ctl"));
	a = TNEW(T_CTL, NULL, &ida);
	b = TNEW(T_CTL, "xyz", &idb);
	c = TNEW(T_CTL, NULL, &idc);
	d = TNEW(T_CTL + 1, NULL, &idd);
	TAPPEND(a, b);
	snprintf(other, sizeof(other), "type%u", T_CTL + 1);

	/* A numeric tag beside each name, numbers as JSON numbers. */
	CTL(&po, "types", "--json");
	EXPECT_CTL_OK(&po);
	j = json_parse(po.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", po.out);
	ASSERT_EQ(J_ARR, j->t);
	for (i = 0; i < j->n; i++) {
		EXPECT_TRUE(jis(j->v[i], "count", J_NUM)) TH_LOG("%s", po.out);
		if (!strcmp(jstr(j->v[i], "type"), "trace.Ctl")) {
			found = jnum(j->v[i], "count");
			EXPECT_TRUE(jis(j->v[i], "tag", J_NUM));
			EXPECT_EQ(T_CTL, jnum(j->v[i], "tag"));
		}
		if (!strcmp(jstr(j->v[i], "type"), other)) {
			EXPECT_EQ(T_CTL + 1, jnum(j->v[i], "tag"));
			found_other = 1;
		}
	}
	EXPECT_EQ(3, found);
	EXPECT_EQ(1, found_other);
	jv_free(j);
	proc_out_free(&po);

	/* The same as a table: TYPE, TAG and COUNT in aligned columns. */
	CTL(&po, "types");
	EXPECT_CTL_OK(&po);
	EXPECT_TRUE(table_aligned(po.out, "lrr")) TH_LOG("%s", po.out);
	s = squeeze(po.out);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, strncmp(s, "TYPE TAG COUNT\n", 15)) TH_LOG("%s", s);
	EXPECT_TRUE(has_linef(s, "trace.Ctl %u 3", T_CTL)) TH_LOG("%s", s);
	EXPECT_TRUE(has_linef(s, "%s %u 1", other, T_CTL + 1))
		TH_LOG("%s", s);
	free(s);
	proc_out_free(&po);

	/* By name or by number: the same three rows, aligned. */
	snprintf(want, sizeof(want),
		 "ID TYPE REFCOUNT GEN SLOTS DATA_LEN FLAGS\n"
		 "%llu trace.Ctl 1 0 1 0 t\n%llu trace.Ctl 2 - 0 3 -\n"
		 "%llu trace.Ctl 1 - 0 0 -\n", (unsigned long long)ida,
		 (unsigned long long)idb, (unsigned long long)idc);
	CTL(&po, "objects", "--type", "trace.Ctl");
	EXPECT_CTL_OK(&po);
	EXPECT_TRUE(table_aligned(po.out, "rlrrrrl")) TH_LOG("%s", po.out);
	s = squeeze(po.out);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ(want, s);
	free(s);
	proc_out_free(&po);
	snprintf(type, sizeof(type), "%u", T_CTL);
	CTL(&po, "objects", "--type", type);
	EXPECT_CTL_OK(&po);
	s = squeeze(po.out);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ(want, s);
	free(s);
	proc_out_free(&po);

	/* A name no type has: nothing listed, and a warning says so. */
	CTL(&po, "objects", "--type", "trace.NoSuchType");
	EXPECT_EQ(0, po.status);
	EXPECT_STREQ("ID  TYPE  REFCOUNT  GEN  SLOTS  DATA_LEN  FLAGS\n", po.out);
	EXPECT_EQ(1, count_lines(po.err)) TH_LOG("stderr: %s", po.err);
	EXPECT_NE(NULL, strstr(po.err, "warning: no type is named 'trace.NoSuchType'"))
		TH_LOG("stderr: %s", po.err);
	proc_out_free(&po);
	/* A tag needs no name: no warning. */
	snprintf(type, sizeof(type), "type%u", T_CTL + 3);
	CTL(&po, "objects", "--type", type);
	EXPECT_CTL_OK(&po);
	proc_out_free(&po);

	CTL(&po, "objects", "--json", "--type", other);
	EXPECT_CTL_OK(&po);
	j = json_parse(po.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", po.out);
	ASSERT_EQ(J_ARR, j->t);
	ASSERT_EQ(1, j->n);
	o = j->v[0];
	EXPECT_EQ(idd, jnum(o, "id"));
	EXPECT_STREQ(other, jstr(o, "type"));
	EXPECT_TRUE(jis(o, "id", J_NUM));
	EXPECT_EQ(1, jnum(o, "refcount"));
	/* Untracked: no generation. */
	EXPECT_TRUE(jis(o, "generation", J_NULL)) TH_LOG("%s", po.out);
	EXPECT_EQ(0, jnum(o, "tracked"));
	jv_free(j);
	proc_out_free(&po);

	/* Tracked: its generation as a number, not a string. */
	CTL(&po, "objects", "--json", "--type", "trace.Ctl");
	EXPECT_CTL_OK(&po);
	j = json_parse(po.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", po.out);
	ASSERT_EQ(J_ARR, j->t);
	ASSERT_EQ(3, j->n);
	o = j->v[0];
	EXPECT_EQ(ida, jnum(o, "id"));
	EXPECT_TRUE(jis(o, "generation", J_NUM)) TH_LOG("%s", po.out);
	EXPECT_EQ(0, jnum(o, "generation"));
	EXPECT_TRUE(jis(o, "refcount", J_NUM));
	EXPECT_TRUE(jis(o, "slots", J_NUM));
	EXPECT_TRUE(jis(o, "data_len", J_NUM));
	EXPECT_TRUE(jis(o, "tracked", J_BOOL));
	EXPECT_EQ(1, jnum(o, "tracked"));
	EXPECT_TRUE(jis(j->v[1], "generation", J_NULL));
	jv_free(j);
	proc_out_free(&po);

	CTL(&po, "garbage", "--json");
	EXPECT_CTL_OK(&po);
	EXPECT_STREQ("[]\n", po.out);
	proc_out_free(&po);

	EXPECT_EQ(0, mobj_handle_close(self->fd, a));
	EXPECT_EQ(0, mobj_handle_close(self->fd, b));
	EXPECT_EQ(0, mobj_handle_close(self->fd, c));
	EXPECT_EQ(0, mobj_handle_close(self->fd, d));
}

/*
 * Write to @path a fontconfig configuration that reads the system's font
 * configuration but no cache made before: the cache directory it declares
 * instead cannot exist (not even root can make it under /proc), so every
 * font is scanned again and the result must go to the user's own (XDG)
 * cache.  Returns a copy of @path to free, or NULL.
 */
static char *fontconf_without_system_cache(const char *path)
{
	FILE *f;

	f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs("<?xml version=\"1.0\"?>\n"
	      "<!DOCTYPE fontconfig SYSTEM \"urn:fontconfig:fonts.dtd\">\n"
	      "<fontconfig>\n"
	      "  <dir>/usr/share/fonts</dir>\n"
	      "  <include ignore_missing=\"yes\">/etc/fonts/conf.d</include>\n"
	      "  <cachedir>/proc/mobj-no-font-cache</cachedir>\n"
	      "  <cachedir prefix=\"xdg\">fontconfig</cachedir>\n"
	      "</fontconfig>\n", f);
	if (fclose(f))
		return NULL;
	return strdup(path);
}

/*
 * growth: the types that rose above their peak since the last run, peaks
 * kept in $XDG_RUNTIME_DIR/mobjctl/; and types --fd N, an open file's own
 * objects for a user who may not see every client's.
 */
TEST_F_TIMEOUT(trace, mobjctl_growth_and_fd, SLOW_TEST_TIMEOUT)
{
	char dir[] = "/tmp/mobjctl-growth-XXXXXX", fdtext[16], *s;
	struct proc_out po;
	struct jv *j;
	int i, fd, found = 0;

	ASSERT_MOBJCTL();
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, setenv("XDG_RUNTIME_DIR", dir, 1));
	ASSERT_EQ(0, name_type(self, T_CTL, "trace.Ctl"));
	TNEW(T_CTL, NULL, NULL);
	TNEW(T_CTL, NULL, NULL);

	/* The first run: every type, from 0. */
	CTL(&po, "growth", "--reset");
	EXPECT_CTL_OK(&po);
	EXPECT_TRUE(table_aligned(po.out, "lrrr")) TH_LOG("%s", po.out);
	s = squeeze(po.out);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, strncmp(s, "TYPE TAG COUNT DELTA\n", 21)) TH_LOG("%s", s);
	EXPECT_TRUE(has_linef(s, "trace.Ctl %u 2 +2", T_CTL)) TH_LOG("%s", s);
	free(s);
	proc_out_free(&po);
	/* Nothing grew: nothing of ours. */
	CTL(&po, "growth");
	EXPECT_CTL_OK(&po);
	EXPECT_EQ(NULL, strstr(po.out, "trace.Ctl")) TH_LOG("%s", po.out);
	proc_out_free(&po);
	TNEW(T_CTL, NULL, NULL);
	CTL(&po, "growth", "--json");
	EXPECT_CTL_OK(&po);
	j = json_parse(po.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", po.out);
	ASSERT_EQ(J_ARR, j->t);
	for (i = 0; i < j->n; i++) {
		if (strcmp(jstr(j->v[i], "type"), "trace.Ctl"))
			continue;
		EXPECT_EQ(T_CTL, jnum(j->v[i], "tag"));
		EXPECT_EQ(3, jnum(j->v[i], "count"));
		EXPECT_EQ(1, jnum(j->v[i], "delta"));
		EXPECT_TRUE(jis(j->v[i], "delta", J_NUM));
		found++;
	}
	EXPECT_EQ(1, found) TH_LOG("%s", po.out);
	jv_free(j);
	proc_out_free(&po);
	CTL(&po, "growth", "x");
	EXPECT_CTL_ERROR(&po, 2, "unexpected argument");

	/* Not root: every client's types are refused, and say why. */
	CTL_NOBODY(&po, "types");
	EXPECT_CTL_ERROR(&po, 1, "--fd");
	/* An inherited open file: its own objects, by name, no root needed. */
	fd = dup(self->fd);	/* without O_CLOEXEC */
	ASSERT_LE(0, fd);
	snprintf(fdtext, sizeof(fdtext), "%d", fd);
	CTL_NOBODY(&po, "types", "--fd", fdtext);
	EXPECT_CTL_OK(&po);
	EXPECT_TRUE(table_aligned(po.out, "lrr")) TH_LOG("%s", po.out);
	s = squeeze(po.out);
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(has_linef(s, "trace.Ctl %u 3", T_CTL)) TH_LOG("%s", s);
	free(s);
	proc_out_free(&po);
	CTL(&po, "types", "--fd", "999");
	EXPECT_CTL_ERROR(&po, 1, "not an open descriptor");
	close(fd);

	unsetenv("XDG_RUNTIME_DIR");
	ASSERT_EQ(0, system("rm -rf /tmp/mobjctl-growth-*"));
}

TEST_F_TIMEOUT(trace, mobjctl_graph_files, SLOW_TEST_TIMEOUT)
{
	const struct jv *nodes, *edges, *clients;
	char id0[24], id3[24], file[128], *s;
	struct proc_out po;
	struct diamond dm;
	int i, mine;
	struct jv *j;
	struct xedge e[5];
	struct dgraph g;

	ASSERT_MOBJCTL();
	diamond_build(_metadata, self, &dm);
	diamond_edges(&dm, e);
	snprintf(id0, sizeof(id0), "%llu", (unsigned long long)dm.id[0]);
	snprintf(id3, sizeof(id3), "%llu", (unsigned long long)dm.id[3]);

	/* .dot: the digraph itself, as the kernel wrote it. */
	snprintf(file, sizeof(file), "%s/refs.dot", self->tmp);
	CTL(&po, "graph", "refs", id0, "-o", file);
	EXPECT_CTL_OK(&po);
	EXPECT_NE(NULL, strstr(po.out, file));
	proc_out_free(&po);
	s = slurp(file);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, g_parse(s, &g));
	EXPECT_TRUE(g_equal(&g, dm.n, 4, e, 5, false));
	free(s);

	/* .png: rendered by dot. */
	snprintf(file, sizeof(file), "%s/backrefs.png", self->tmp);
	CTL(&po, "graph", "backrefs", id3, "--depth", "2", "-o", file);
	EXPECT_CTL_OK(&po);
	proc_out_free(&po);
	s = slurp(file);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, memcmp(s, "\x89PNG\r\n", 6));
	free(s);

	/*
	 * .png with no usable system font cache, as on a machine whose fonts
	 * were installed a minute ago: fontconfig must find a writable
	 * cache directory of its own (the VM gives every test one), or dot
	 * prints "Fontconfig error: No writable cache directories".
	 */
	snprintf(file, sizeof(file), "%s/fonts.conf", self->tmp);
	s = fontconf_without_system_cache(file);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, setenv("FONTCONFIG_FILE", file, 1));
	snprintf(file, sizeof(file), "%s/cold-cache.png", self->tmp);
	CTL(&po, "graph", "backrefs", id3, "-o", file);
	unsetenv("FONTCONFIG_FILE");
	EXPECT_CTL_OK(&po);
	proc_out_free(&po);
	free(s);
	s = slurp(file);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, memcmp(s, "\x89PNG\r\n", 6));
	free(s);

	/* Standard output, with --max and --depth. */
	CTL(&po, "graph", "refs", id0, "--depth", "1", "--max", "1");
	EXPECT_CTL_OK(&po);
	ASSERT_EQ(0, g_parse(po.out, &g));
	EXPECT_EQ(3, g.nn);
	EXPECT_NE(NULL, strstr(po.out, "1 more references"));
	proc_out_free(&po);

	CTL(&po, "chain", id3);
	EXPECT_CTL_OK(&po);
	ASSERT_EQ(0, g_parse(po.out, &g));
	EXPECT_NE(NULL, g_node(&g, dm.n[3]));
	EXPECT_NE(NULL, g_my_client(&g));
	proc_out_free(&po);

	/* --json: the same graph as the digraph, in numbers. */
	CTL(&po, "graph", "refs", id0, "--json");
	EXPECT_CTL_OK(&po);
	j = json_parse(po.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", po.out);
	EXPECT_STREQ("refs", jstr(j, "graph"));
	EXPECT_EQ(dm.id[0], jnum(j, "id"));
	ASSERT_TRUE(jis(j, "nodes", J_ARR));
	ASSERT_TRUE(jis(j, "edges", J_ARR));
	nodes = jget(j, "nodes");
	edges = jget(j, "edges");
	EXPECT_EQ(4, nodes->n);
	EXPECT_EQ(5, edges->n);
	for (i = 0; i < nodes->n; i++) {
		EXPECT_TRUE(jis(nodes->v[i], "id", J_NUM));
		EXPECT_TRUE(jis(nodes->v[i], "refcount", J_NUM));
		if (jnum(nodes->v[i], "id") == dm.id[0]) {
			EXPECT_EQ(1, jnum(nodes->v[i], "queried"));
			EXPECT_STREQ("trace.G", jstr(nodes->v[i], "type"));
		}
	}
	for (i = 0; i < edges->n; i++)
		if (jnum(edges->v[i], "from") == dm.id[0] &&
		    jnum(edges->v[i], "slot") == 1)
			EXPECT_EQ(dm.id[2], jnum(edges->v[i], "to"));
	jv_free(j);
	proc_out_free(&po);

	/* chain --json to a file: the path and this test's handle. */
	snprintf(file, sizeof(file), "%s/chain.json", self->tmp);
	CTL(&po, "chain", id3, "--json", "-o", file);
	EXPECT_CTL_OK(&po);
	proc_out_free(&po);
	s = slurp(file);
	ASSERT_NE(NULL, s);
	j = json_parse(s);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", s);
	free(s);
	EXPECT_STREQ("chain", jstr(j, "graph"));
	ASSERT_TRUE(jis(j, "nodes", J_ARR));
	EXPECT_LE(1, jget(j, "nodes")->n);
	ASSERT_TRUE(jis(j, "clients", J_ARR));
	clients = jget(j, "clients");
	for (i = 0, mine = 0; i < clients->n; i++)
		mine += jnum(clients->v[i], "pid") == getpid();
	EXPECT_EQ(1, mine);
	ASSERT_TRUE(jis(j, "handles", J_ARR));
	EXPECT_LE(1, jget(j, "handles")->n);
	jv_free(j);
	diamond_free(_metadata, self, &dm);
}

TEST_F_TIMEOUT(trace, mobjctl_errors, SLOW_TEST_TIMEOUT)
{
	static const char *const cmds[] = {
		"stats", "clients", "collect", "threshold", "types",
		"growth", "objects", "garbage", "check", "graph", "chain", "who",
		"trace", "name",
	};
	char id[24], nx[24];
	struct proc_out po;
	struct stat st;
	int i, col;
	__u64 ida;
	__u32 a;

	ASSERT_MOBJCTL();
	a = TNEW(T_CTL, NULL, &ida);
	snprintf(id, sizeof(id), "%llu", (unsigned long long)ida);
	snprintf(nx, sizeof(nx), "%llu", (unsigned long long)ida + 100000);

	CTL(&po, "graph", "refs", nx);
	EXPECT_CTL_ERROR(&po, 1, "no object with id");
	CTL(&po, "graph", "refs", id, "--depth", "30");
	EXPECT_CTL_ERROR(&po, 1, "bad graph query");
	CTL(&po, "graph", "frob", id);
	EXPECT_CTL_ERROR(&po, 2, "refs or backrefs");
	CTL(&po, "graph", "refs");
	EXPECT_CTL_ERROR(&po, 2, "graph");
	CTL(&po, "graph", "refs", id, "-o", "x.jpg");
	EXPECT_CTL_ERROR(&po, 2, ".png");
	CTL(&po, "chain", id, "--depth", "0");
	EXPECT_CTL_ERROR(&po, 1, "bad graph query");
	CTL(&po, "chain", id, "--depth", "2", "--max", "3");
	EXPECT_CTL_OK(&po);
	CTL(&po, "who", nx);
	EXPECT_CTL_ERROR(&po, 1, "no object");
	CTL(&po, "who");
	EXPECT_CTL_ERROR(&po, 2, "expected ID");
	CTL(&po, "who", "x1");
	EXPECT_CTL_ERROR(&po, 2, "not a number");
	CTL(&po, "frob");
	EXPECT_CTL_ERROR(&po, 2, "unknown command");
	CTL(&po, "--frob");
	EXPECT_CTL_ERROR(&po, 2, "unknown option");
	ASSERT_EQ(0, ctl_run(&po, 0, NULL));
	EXPECT_CTL_ERROR(&po, 2, "no command");
	CTL(&po, "stats", "extra");
	EXPECT_CTL_ERROR(&po, 2, "unexpected argument");
	CTL(&po, "objects", "--type");
	EXPECT_CTL_ERROR(&po, 2, "--type");
	CTL(&po, "clients", "--json");
	EXPECT_CTL_ERROR(&po, 2, "--json");
	CTL(&po, "--json", "name", "1");
	EXPECT_CTL_ERROR(&po, 2, "--json");

	/* Devices that are not there, or not mobj. */
	CTL(&po, "--device", "/dev/mobj7", "collect");
	EXPECT_CTL_ERROR(&po, 1, "no such device");
	CTL(&po, "--device", "/dev/mobj7", "stats");
	EXPECT_CTL_ERROR(&po, 1, "/sys/kernel/debug/mobj/mobj7");
	CTL(&po, "stats", "--device", "/dev/null");
	EXPECT_CTL_ERROR(&po, 1, "not a mobj device");
	/* --version names the error, not a made-up EIO. */
	CTL(&po, "--device", "/dev/null", "--version");
	EXPECT_EQ(0, po.status);
	EXPECT_EQ(0, strncmp(po.out, "mobjctl ", 8)) TH_LOG("%s", po.out);
	EXPECT_EQ(NULL, strstr(po.out, "Input/output error"))
		TH_LOG("%s", po.out);
	EXPECT_NE(NULL, strstr(po.out, strerror(ENOTTY))) TH_LOG("%s", po.out);
	proc_out_free(&po);

	/* Not root. */
	CTL_NOBODY(&po, "stats");
	EXPECT_CTL_ERROR(&po, 1, "root");
	CTL_NOBODY(&po, "graph", "refs", id);
	EXPECT_CTL_ERROR(&po, 1, "root");
	CTL_NOBODY(&po, "trace");
	EXPECT_CTL_ERROR(&po, 1, "root");
	ASSERT_EQ(0, stat(MOBJ_DEV_PATH, &st));
	if (!(st.st_mode & 0006)) {
		CTL_NOBODY(&po, "collect");
		EXPECT_CTL_ERROR(&po, 1, "root");
		/* The module is loaded: say so, and why it cannot be asked. */
		CTL_NOBODY(&po, "--version");
		EXPECT_EQ(0, po.status);
		EXPECT_EQ(NULL, strstr(po.out, "not loaded")) TH_LOG("%s", po.out);
		EXPECT_NE(NULL, strstr(po.out, "Permission denied"))
			TH_LOG("%s", po.out);
		EXPECT_EQ(0, strncmp(po.out, "mobjctl ", 8)) TH_LOG("%s", po.out);
		proc_out_free(&po);
	}
	if (!strncmp(mobjctl_nobody_path(), "/tmp/", 5))
		unlink(mobjctl_nobody_path());

	/* --help everywhere. */
	for (i = 0; i < (int)ARRAY_SIZE(cmds); i++) {
		CTL(&po, cmds[i], "--help");
		EXPECT_EQ(0, po.status);
		EXPECT_EQ(0, strncmp(po.out, "Usage: mobjctl", 14));
		EXPECT_NE(NULL, strstr(po.out, cmds[i]));
		proc_out_free(&po);
	}
	CTL(&po, "help", "graph");
	EXPECT_EQ(0, po.status);
	EXPECT_EQ(0, strncmp(po.out, "Usage: mobjctl", 14));
	proc_out_free(&po);
	CTL(&po, "--help");
	EXPECT_EQ(0, po.status);
	EXPECT_NE(NULL, strstr(po.out, "Commands:"));
	/* One line per command: its name, then what it does, aligned. */
	for (i = 0, col = -1; i < (int)ARRAY_SIZE(cmds); i++) {
		char want[32];
		const char *p, *desc;

		snprintf(want, sizeof(want), "\n  %s ", cmds[i]);
		p = strstr(po.out, want);
		ASSERT_NE(NULL, p) TH_LOG("no line for %s: %s", cmds[i], po.out);
		p++;
		desc = p + strlen(want) - 1;
		while (*desc == ' ')
			desc++;
		EXPECT_TRUE(*desc >= 'A' && *desc <= 'Z')
			TH_LOG("%s: no description", cmds[i]);
		EXPECT_LT(10, strcspn(desc, "\n")) TH_LOG("%s", cmds[i]);
		if (col < 0)
			col = desc - p;
		EXPECT_EQ(col, desc - p) TH_LOG("%s: not aligned", cmds[i]);
	}
	proc_out_free(&po);
	EXPECT_EQ(0, mobj_handle_close(self->fd, a));
}

/* who: the holders in aligned columns with the ioctl that made each. */
TEST_F_TIMEOUT(trace, mobjctl_who, SLOW_TEST_TIMEOUT)
{
	const struct jv *hs, *h;
	char id[24], line[128];
	int i, me = getpid();
	struct proc_out po;
	__u32 a, d, n;
	struct jv *j;
	__u64 ida;

	ASSERT_MOBJCTL();
	PARAM_SET_OR_SKIP(&self->params, "handle_traces", 0);
	a = TNEW(T_CTL, NULL, &ida);
	PARAM_SET_OR_SKIP(&self->params, "handle_traces", 1);
	ASSERT_EQ(0, mobj_dup(self->fd, a, &d));
	snprintf(id, sizeof(id), "%llu", (unsigned long long)ida);

	CTL(&po, "who", id);
	EXPECT_CTL_OK(&po);
	EXPECT_NE(NULL, strstr(po.out, "CLIENT")) TH_LOG("%s", po.out);
	EXPECT_NE(NULL, strstr(po.out, "MADE BY")) TH_LOG("%s", po.out);
	/* a's row says not traced, d's names DUP's handler; then d's stack. */
	n = 0;
	for (i = 0; po.out[i]; i++)
		n += po.out[i] == '\n';
	EXPECT_LE(4, n) TH_LOG("%s", po.out);
	snprintf(line, sizeof(line), " %d ", me);
	EXPECT_NE(NULL, strstr(po.out, line)) TH_LOG("%s", po.out);
	EXPECT_NE(NULL, strstr(po.out, "(not traced)")) TH_LOG("%s", po.out);
	EXPECT_NE(NULL, strstr(po.out, " mobj_ioctl_dup\n")) TH_LOG("%s", po.out);
	snprintf(line, sizeof(line), "handle %u was made at:\n    ", d);
	EXPECT_NE(NULL, strstr(po.out, line)) TH_LOG("%s", po.out);
	proc_out_free(&po);

	CTL(&po, "who", id, "--json");
	EXPECT_CTL_OK(&po);
	j = json_parse(po.out);
	ASSERT_NE(NULL, j) TH_LOG("%s", po.out);
	EXPECT_EQ(ida, (__u64)jnum(j, "id"));
	hs = jget(j, "holders");
	ASSERT_NE(NULL, hs);
	ASSERT_EQ(2, hs->n) TH_LOG("%s", po.out);
	for (i = 0; i < 2; i++) {
		h = hs->v[i];
		EXPECT_EQ(me, (int)jnum(h, "pid"));
		EXPECT_STREQ("strong", jstr(h, "kind"));
		if ((__u32)jnum(h, "handle") == a) {
			EXPECT_TRUE(jis(h, "made_by", J_NULL))
				TH_LOG("%s", po.out);
			EXPECT_TRUE(jis(h, "stack", J_NULL));
		} else {
			EXPECT_EQ(d, (__u32)jnum(h, "handle"));
			EXPECT_STREQ("mobj_ioctl_dup", jstr(h, "made_by"));
			EXPECT_TRUE(jis(h, "stack", J_ARR));
		}
	}
	jv_free(j);
	proc_out_free(&po);
	EXPECT_EQ(0, mobj_handle_close(self->fd, d));
	EXPECT_EQ(0, mobj_handle_close(self->fd, a));
}

TEST_F_TIMEOUT(trace, mobjctl_name, SLOW_TEST_TIMEOUT)
{
	char type[16], name[MOBJ_TYPE_NAME_MAX];
	struct proc_out po;

	ASSERT_MOBJCTL();
	self->named[self->nnamed++] = T_CTL + 2;
	snprintf(type, sizeof(type), "%u", T_CTL + 2);
	CTL(&po, "name", type, "trace.Named");
	EXPECT_CTL_OK(&po);
	proc_out_free(&po);
	ASSERT_EQ(0, type_name_get(self->fd, T_CTL + 2, name));
	EXPECT_STREQ("trace.Named", name);
	CTL(&po, "name", type);
	EXPECT_CTL_OK(&po);
	EXPECT_STREQ("trace.Named\n", po.out);
	proc_out_free(&po);
	CTL(&po, "name", type, "bad name");
	EXPECT_CTL_ERROR(&po, 1, "invalid type name");
	CTL(&po, "name", type, "0123456789012345678901234567890123");
	EXPECT_CTL_ERROR(&po, 1, "invalid type name");
	CTL(&po, "name", "x", "y");
	EXPECT_CTL_ERROR(&po, 2, "not a number");
	CTL(&po, "name", type, "");
	EXPECT_CTL_OK(&po);
	proc_out_free(&po);
	ASSERT_EQ(0, type_name_get(self->fd, T_CTL + 2, name));
	EXPECT_STREQ("", name);
}

/* Wait up to @ms for a line containing @text on @fd; false on timeout. */
static bool wait_for_text(int fd, const char *text, int ms, char *buf,
			  size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	__u64 end = mobj_now_ms() + ms;
	size_t have = strlen(buf);
	ssize_t n;

	while (!strstr(buf, text)) {
		if (mobj_now_ms() > end || have + 1 >= len)
			return false;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(fd, buf + have, len - have - 1);
		if (n <= 0)
			return false;
		have += n;
		buf[have] = '\0';
	}
	return true;
}

/* mobjctl trace: events as they come, until SIGINT; then cleaned up. */
TEST_F_TIMEOUT(trace, mobjctl_trace, SLOW_TEST_TIMEOUT)
{
	char out[16384] = "", err[1024] = "", want[96], inst[128];
	int po[2], pe[2], status;
	__u64 idx, idy;
	__u32 x, y;
	pid_t pid;

	ASSERT_MOBJCTL();
	ASSERT_EQ(0, tracefs_ready());
	ASSERT_EQ(0, name_type(self, T_CTL, "trace.Ctl"));
	ASSERT_EQ(0, pipe(po));
	ASSERT_EQ(0, pipe(pe));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execl(mobjctl_path(), "mobjctl", "trace", (char *)NULL);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	EXPECT_TRUE(wait_for_text(pe[0], "(Ctrl-C to stop)\n", 60000, err,
				  sizeof(err))) TH_LOG("stderr: %s", err);
	snprintf(inst, sizeof(inst), TRACEFS_DIR "/instances/mobjctl-%d", pid);
	EXPECT_EQ(0, access(inst, F_OK));

	/* A named type shows its name after the tag, another its tag. */
	y = TNEW(T_CTL + 1, NULL, &idy);
	x = TNEW(T_CTL, "ab", &idx);
	ASSERT_EQ(0, mobj_handle_close(self->fd, x));
	ASSERT_EQ(0, mobj_handle_close(self->fd, y));
	snprintf(want, sizeof(want), "obj_free: id=%llu type=%u reason=refcount\n",
		 (unsigned long long)idy, T_CTL + 1);
	EXPECT_TRUE(wait_for_text(po[0], want, 60000, out, sizeof(out)))
		TH_LOG("stdout: %s", out);
	snprintf(want, sizeof(want), "obj_new: id=%llu type=%u(trace.Ctl) data_len=2\n",
		 (unsigned long long)idx, T_CTL);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("stdout: %s", out);
	snprintf(want, sizeof(want), "obj_free: id=%llu type=%u(trace.Ctl) reason=refcount\n",
		 (unsigned long long)idx, T_CTL);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("stdout: %s", out);
	snprintf(want, sizeof(want), "obj_new: id=%llu type=%u data_len=0\n",
		 (unsigned long long)idy, T_CTL + 1);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("stdout: %s", out);

	kill(pid, SIGINT);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(-1, access(inst, F_OK));
	close(po[0]);
	close(pe[0]);
}

TEST_HARNESS_MAIN
