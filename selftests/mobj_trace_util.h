/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by mobj_trace.c and mobj_ctl.c: files, a small JSON
 * reader, running programs, a parser of the graph file's dot, graph
 * queries, tracefs instances and the common fixture.  Included once per test
 * binary, right after mobj_test.h.
 */
#ifndef MOBJ_TRACE_UTIL_H
#define MOBJ_TRACE_UTIL_H

#include <ctype.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#define DBG_DIR		"/sys/kernel/debug/mobj"
#define TRACEFS_DIR	"/sys/kernel/tracing"
#define TRACEFS_MAGIC	0x74726163

/*
 * Tests that start programs (dot, mobjctl): under emulation, with other
 * VMs on the host, one exec of a dynamically linked program can take
 * seconds.
 */
#define SLOW_TEST_TIMEOUT 240

/* Type tags, one range per test so that names never collide. */
#define T_OBJ		0x5a01
#define T_OBJ2		0x5a02
#define T_HIST1		0x5b01
#define T_HIST2		0x5b02
#define T_HIST3		0x5b03
#define T_GRAPH		0x5c01
#define T_LEAF		0x5c02
#define T_EV		0x5d01
#define T_BIG		0x5e01
#define T_NAME		0x5f01
#define T_CTL		0x6001

/* ------------------------------------------------------------------ */
/* Files */

/* Everything left to read from @fd, NUL-terminated; NULL with errno set. */
static inline char *read_all(int fd, size_t *lenp)
{
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap), *nb;
	ssize_t n;
	int err;

	while (buf) {
		if (len + 4096 + 1 > cap) {
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		n = read(fd, buf + len, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			free(buf);
			errno = err;
			return NULL;
		}
		if (!n) {
			buf[len] = '\0';
			if (lenp)
				*lenp = len;
			return buf;
		}
		len += n;
	}
	free(buf);
	errno = ENOMEM;
	return NULL;
}

static inline char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *s;
	int err;

	if (fd < 0)
		return NULL;
	s = read_all(fd, NULL);
	err = errno;
	close(fd);
	errno = err;
	return s;
}

static inline char *dbg_read(const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), DBG_DIR "/%s", file);
	return slurp(path);
}

/* Does @text hold @line as a whole line? */
static inline bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') &&
		    (p[len] == '\n' || p[len] == '\0'))
			return true;
		p++;
	}
	return false;
}

static inline bool has_linef(const char *text, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return has_line(text, line);
}

/* The first line of @text starting with @prefix, copied to @out. */
static inline bool find_line(const char *text, const char *prefix, char *out,
			     size_t outlen)
{
	size_t len = strlen(prefix);
	const char *p = text, *end;

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, prefix, len))
			continue;
		end = strchrnul(p, '\n');
		snprintf(out, outlen, "%.*s", (int)(end - p), p);
		return true;
	}
	return false;
}

static inline int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* "key value" in debugfs stats; -1 when missing. */
static inline long long stat_val(const char *stats, const char *key)
{
	__u64 v = mobj_keyed(stats, key);

	return v == ~0ULL ? -1 : (long long)v;
}

/* "genN ... key value ..." in debugfs stats; -1 when missing. */
static inline long long gen_val(const char *stats, int gen, const char *key)
{
	char prefix[16], line[512], pat[64], *p;

	snprintf(prefix, sizeof(prefix), "gen%d ", gen);
	if (!find_line(stats, prefix, line, sizeof(line)))
		return -1;
	snprintf(pat, sizeof(pat), " %s ", key);
	p = strstr(line, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* /proc/meminfo's @key in kB, or the calling process's /proc/self/status. */
static inline long long kb_of(const char *path, const char *key)
{
	char *text = slurp(path), line[128];
	long long v = -1;

	if (text && find_line(text, key, line, sizeof(line)))
		v = strtoll(line + strlen(key), NULL, 10);
	free(text);
	return v;
}

static inline long long kernel_kb(void)
{
	return kb_of("/proc/meminfo", "Slab:") +
	       kb_of("/proc/meminfo", "VmallocUsed:");
}

/* ------------------------------------------------------------------ */
/* A small JSON reader, for mobjctl --json */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	double num;
	char *str;
	int n;
	struct jv **v;
	char **k;
};

static inline void jv_free(struct jv *j)
{
	int i;

	if (!j)
		return;
	for (i = 0; i < j->n; i++) {
		jv_free(j->v[i]);
		if (j->k)
			free(j->k[i]);
	}
	free(j->v);
	free(j->k);
	free(j->str);
	free(j);
}

static inline void j_ws(const char **p)
{
	while (isspace((unsigned char)**p))
		(*p)++;
}

/* The character a backslash and @c stand for in a JSON string. */
static inline char j_unescape(char c)
{
	static const char esc[][2] = {
		{ 'n', '\n' }, { 't', '\t' }, { 'r', '\r' },
		{ 'b', '\b' }, { 'f', '\f' },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(esc); i++)
		if (esc[i][0] == c)
			return esc[i][1];
	return c;	/* \" \\ \/ stand for themselves */
}

static inline char *j_string(const char **p)
{
	size_t cap = strlen(*p) + 1, n = 0;
	char *s = malloc(cap);
	unsigned int u;

	if (!s || **p != '"')
		goto err;
	for ((*p)++; **p && **p != '"'; (*p)++) {
		if (**p != '\\') {
			s[n++] = **p;
			continue;
		}
		(*p)++;
		if (!**p)
			goto err;
		if (**p != 'u') {
			s[n++] = j_unescape(**p);
			continue;
		}
		if (sscanf(*p + 1, "%4x", &u) != 1)
			goto err;
		s[n++] = u < 0x80 ? (char)u : '?';
		*p += 4;
	}
	if (**p != '"')
		goto err;
	(*p)++;
	s[n] = '\0';
	return s;
err:
	free(s);
	return NULL;
}

static inline struct jv *j_value(const char **p, int depth);

static inline int j_push(struct jv *j, struct jv *v, char *key)
{
	struct jv **nv = realloc(j->v, (j->n + 1) * sizeof(*nv));
	char **nk;

	if (!nv)
		return -1;
	j->v = nv;
	if (j->t == J_OBJ) {
		nk = realloc(j->k, (j->n + 1) * sizeof(*nk));
		if (!nk)
			return -1;
		j->k = nk;
		j->k[j->n] = key;
	}
	j->v[j->n++] = v;
	return 0;
}

/* An array or an object, after its opening bracket. */
static inline int j_items(struct jv *j, const char **p, int depth)
{
	char close = j->t == J_ARR ? ']' : '}';
	struct jv *v;
	char *key = NULL;

	j_ws(p);
	if (**p == close) {
		(*p)++;
		return 0;
	}
	for (;;) {
		j_ws(p);
		if (j->t == J_OBJ) {
			key = j_string(p);
			j_ws(p);
			if (!key || *(*p)++ != ':')
				goto err;
		}
		v = j_value(p, depth + 1);
		if (!v || j_push(j, v, key)) {
			jv_free(v);
			goto err;
		}
		key = NULL;
		j_ws(p);
		if (**p == ',') {
			(*p)++;
			continue;
		}
		if (*(*p)++ == close)
			return 0;
		return -1;
	}
err:
	free(key);
	return -1;
}

static inline struct jv *j_value(const char **p, int depth)
{
	struct jv *j = calloc(1, sizeof(*j));
	char *end;

	if (!j || depth > 64)
		goto err;
	j_ws(p);
	if (**p == '{' || **p == '[') {
		j->t = *(*p)++ == '{' ? J_OBJ : J_ARR;
		if (j_items(j, p, depth))
			goto err;
	} else if (**p == '"') {
		j->t = J_STR;
		j->str = j_string(p);
		if (!j->str)
			goto err;
	} else if (!strncmp(*p, "true", 4) || !strncmp(*p, "false", 5)) {
		j->t = J_BOOL;
		j->num = **p == 't';
		*p += **p == 't' ? 4 : 5;
	} else if (!strncmp(*p, "null", 4)) {
		*p += 4;
	} else {
		j->t = J_NUM;
		j->num = strtod(*p, &end);
		if (end == *p)
			goto err;
		*p = end;
	}
	return j;
err:
	jv_free(j);
	return NULL;
}

static inline struct jv *json_parse(const char *text)
{
	const char *p = text;
	struct jv *j = j_value(&p, 0);

	j_ws(&p);
	if (j && *p) {
		jv_free(j);
		return NULL;
	}
	return j;
}

static inline struct jv *jget(const struct jv *j, const char *key)
{
	int i;

	for (i = 0; j && j->t == J_OBJ && i < j->n; i++)
		if (!strcmp(j->k[i], key))
			return j->v[i];
	return NULL;
}

static inline const char *jstr(const struct jv *j, const char *key)
{
	const struct jv *v = jget(j, key);

	return v && v->t == J_STR ? v->str : "";
}

static inline double jnum(const struct jv *j, const char *key)
{
	const struct jv *v = jget(j, key);

	return v && (v->t == J_NUM || v->t == J_BOOL) ? v->num : -1;
}

/* ------------------------------------------------------------------ */
/* Running programs: dot, mobjctl */

struct proc_out {
	int status;	/* exit code, or 128 + signal */
	char *out;
	char *err;
};

static inline void proc_out_free(struct proc_out *po)
{
	free(po->out);
	free(po->err);
	po->out = NULL;
	po->err = NULL;
}

static inline void drop_privileges(void)
{
	if (mobj_become_nobody())
		_exit(126);
}

/*
 * Run @argv with @in on standard input; standard output and error are
 * caught in memory files, so no pipe can fill up.  @uid MOBJ_NOBODY runs it
 * unprivileged.
 */
static inline int run_prog(char *const argv[], const char *in, uid_t uid,
			   struct proc_out *po)
{
	int fds[3], i, status;
	pid_t pid;

	memset(po, 0, sizeof(*po));
	for (i = 0; i < 3; i++) {
		fds[i] = memfd_create("mobj_trace", MFD_CLOEXEC);
		if (fds[i] < 0)
			return -errno;
	}
	if (in && write(fds[0], in, strlen(in)) != (ssize_t)strlen(in))
		return -EIO;
	lseek(fds[0], 0, SEEK_SET);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		if (uid == MOBJ_NOBODY)
			drop_privileges();
		for (i = 0; i < 3; i++)
			dup2(fds[i], i);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	po->status = WIFEXITED(status) ? WEXITSTATUS(status) :
					 128 + WTERMSIG(status);
	lseek(fds[1], 0, SEEK_SET);
	lseek(fds[2], 0, SEEK_SET);
	po->out = read_all(fds[1], NULL);
	po->err = read_all(fds[2], NULL);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	return po->out && po->err ? 0 : -ENOMEM;
}

/* ------------------------------------------------------------------ */
/* Graphs, in the fixed dot format of kmod/mobj_graph.c */

#define G_NODES 64
#define G_EDGES 128

struct gnode {
	char name[48];
	char label[96];
	char fill[32];
	char pen[8];
	char shape[16];
};

struct gedge {
	char tail[48];
	char head[48];
	char label[24];
	char style[16];
};

struct dgraph {
	int nn, ne;
	unsigned int forms;	/* a bit per enum g_form read */
	struct gnode n[G_NODES];
	struct gedge e[G_EDGES];
};

/* The first lines of every answer, in this order. */
static const char *const g_header[] = {
	"digraph mobj {",
	"  node [shape=box, style=filled, fillcolor=white, fontname=\"Helvetica\"];",
	"  edge [fontname=\"Helvetica\"];",
};

/*
 * The lines mobj_graph.c writes between the header and the closing "}",
 * as its seq_printf() formats write them: "%u" is a number as printf
 * writes one, "%03u" one of exactly three digits and "%s" a type name as
 * MOBJ_TYPE_NAME allows (or "type%u").
 */
enum g_form {
	G_OBJ_QUERIED,
	G_OBJ,
	G_REF,
	G_MORE,
	G_MORE_IN,
	G_MORE_OUT,
	G_CLIENT,
	G_HANDLE,
	G_UNREACHABLE_LIMIT,
	G_UNREACHABLE_CUT,
	G_UNREACHABLE_GARBAGE,
	G_GARBAGE,
	G_GARBAGE_REF,
	G_STOPPED_NODES,
	G_STOPPED_EDGES,
	G_MORE_HANDLES,
	G_FORMS
};

static const struct {
	const char *pat;
	bool same;	/* its first two numbers are one id */
} g_forms[G_FORMS] = {
	[G_OBJ_QUERIED] = { "  o%u [label=\"%s\\n#%u refcount=%u\", fillcolor=\"0.080 0.700 1.000\", penwidth=3];", true },
	[G_OBJ] = { "  o%u [label=\"%s\\n#%u refcount=%u\", fillcolor=\"0.600 0.%03u 1.000\"];", true },
	[G_REF] = { "  o%u -> o%u [label=\"[%u]\"];" },
	[G_MORE] = { "  o%u_more [label=\"%u more references\", shape=plaintext, style=\"\"];" },
	[G_MORE_IN] = { "  o%u_more -> o%u [style=dashed];", true },
	[G_MORE_OUT] = { "  o%u -> o%u_more [style=dashed];", true },
	[G_CLIENT] = { "  c%u [label=\"client %u\\npid %u\", shape=ellipse, fillcolor=\"0.330 0.300 1.000\"];", true },
	[G_HANDLE] = { "  c%u -> o%u [label=\"h%u\", style=bold];" },
	[G_UNREACHABLE_LIMIT] = { "  unreachable [label=\"no handle reaches #%u (search limit)\", shape=plaintext, style=\"\"];" },
	[G_UNREACHABLE_CUT] = { "  unreachable [label=\"no handle reaches #%u within the depth and max given\", shape=plaintext, style=\"\"];" },
	[G_UNREACHABLE_GARBAGE] = { "  unreachable [label=\"no handle reaches #%u: it is garbage\", shape=plaintext, style=\"\"];" },
	[G_GARBAGE] = { "  garbage [label=\"gc.garbage\", shape=ellipse];" },
	[G_GARBAGE_REF] = { "  garbage -> o%u;" },
	[G_STOPPED_NODES] = { "  // stopped at %u nodes" },
	[G_STOPPED_EDGES] = { "  // stopped at %u edges" },
	[G_MORE_HANDLES] = { "  // more handles not shown" },
};

#define G_TYPE_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
		     "0123456789_.:<>-"

/*
 * Does all of @line match @pat, one of g_forms?  Its numbers go to @num, at
 * most @max of them; a number printf would not write (a sign, a leading
 * zero, too big) does not match.
 */
static inline bool g_match(const char *line, const char *pat,
			   unsigned long long *num, int max)
{
	size_t len, width;
	char *end;
	int n = 0;

	while (*pat) {
		if (!strncmp(pat, "%s", 2)) {
			len = strspn(line, G_TYPE_CHARS);
			if (!len || len >= MOBJ_TYPE_NAME_MAX)
				return false;
			line += len;
			pat += 2;
		} else if (!strncmp(pat, "%u", 2) || !strncmp(pat, "%03u", 4)) {
			width = pat[1] == '0' ? 3 : 0;
			len = strspn(line, "0123456789");
			if (n == max || !len || (width && len != width) ||
			    (!width && len > 1 && *line == '0'))
				return false;
			errno = 0;
			num[n++] = strtoull(line, &end, 10);
			if (errno)
				return false;
			line = end;
			pat += width ? 4 : 2;
		} else if (*line++ != *pat++) {
			return false;
		}
	}
	return !*line;
}

/* Attribute @key of the "[...]" list of @line into @val, if it is there. */
static inline void g_attr(const char *line, const char *key, char *val,
			  size_t size)
{
	const char *p, *end;
	size_t len = strlen(key);

	for (p = strchr(line, '['); p; p = strstr(p, ", ")) {
		p += *p == '[' ? 1 : 2;
		if (strncmp(p, key, len) || p[len] != '=')
			continue;
		p += len + 1;
		end = *p == '"' ? strchr(++p, '"') : p + strcspn(p, ",]");
		snprintf(val, size, "%.*s", (int)(end - p), p);
		return;
	}
}

static inline const struct gnode *g_node(const struct dgraph *g, const char *name)
{
	int i;

	for (i = 0; i < g->nn; i++)
		if (!strcmp(g->n[i].name, name))
			return &g->n[i];
	return NULL;
}

/* Node @name of @g must be there, its @field (label, pen, fill) @want. */
#define EXPECT_NODE_ATTR(g, name, field, want) do { \
	const struct gnode *__n = g_node(g, name); \
	ASSERT_NE(NULL, __n); \
	EXPECT_STREQ(want, __n->field); \
} while (0)

/* One line between the header and the "}": 0 or -errno. */
static inline int g_line(struct dgraph *g, const char *line)
{
	char tail[48], head[48];
	unsigned long long num[4];
	struct gnode *n;
	struct gedge *e;
	int f;

	for (f = 0; f < G_FORMS; f++)
		if (g_match(line, g_forms[f].pat, num, 4))
			break;
	if (f == G_FORMS || (g_forms[f].same && num[0] != num[1]))
		return -EBADMSG;
	g->forms |= 1U << f;
	if (!strncmp(line, "  //", 4))
		return 0;
	if (sscanf(line, "%47s -> %47[^ ;]", tail, head) == 2) {
		if (g->ne == G_EDGES)
			return -E2BIG;
		e = &g->e[g->ne++];
		strcpy(e->tail, tail);
		strcpy(e->head, head);
		g_attr(line, "label", e->label, sizeof(e->label));
		g_attr(line, "style", e->style, sizeof(e->style));
		return 0;
	}
	if (g_node(g, tail))
		return -EBADMSG;	/* dot would merge the two */
	if (g->nn == G_NODES)
		return -E2BIG;
	n = &g->n[g->nn++];
	/* The header's defaults, then the node's own attributes. */
	*n = (struct gnode){ .fill = "white", .shape = "box" };
	strcpy(n->name, tail);
	g_attr(line, "label", n->label, sizeof(n->label));
	g_attr(line, "fillcolor", n->fill, sizeof(n->fill));
	g_attr(line, "penwidth", n->pen, sizeof(n->pen));
	g_attr(line, "shape", n->shape, sizeof(n->shape));
	return 0;
}

/*
 * Parse @text, an answer of the graph file, into @g: 0, or -EBADMSG when
 * it is not exactly what mobj_graph.c writes: the header, lines of
 * g_forms, "}" and nothing after; every node drawn once and every edge
 * between nodes drawn.  -E2BIG past G_NODES or G_EDGES.
 */
static inline int g_parse(const char *text, struct dgraph *g)
{
	int i, nh = ARRAY_SIZE(g_header), ret = 0, lineno = 0;
	const char *p = text, *end = NULL;
	bool closed = false;
	char line[256];

	memset(g, 0, sizeof(*g));
	for (; *p; p = end + 1, lineno++) {
		end = strchr(p, '\n');
		if (closed || !end || end - p >= (long)sizeof(line)) {
			ret = -EBADMSG;
			break;
		}
		snprintf(line, sizeof(line), "%.*s", (int)(end - p), p);
		if (lineno < nh)
			ret = strcmp(line, g_header[lineno]) ? -EBADMSG : 0;
		else if (!strcmp(line, "}"))
			closed = true;
		else
			ret = g_line(g, line);
		if (ret)
			break;
	}
	if (ret) {
		fprintf(stderr, "# graph line %d: %s: %.*s\n", lineno + 1,
			strerror(-ret), (int)strcspn(p, "\n"), p);
		return ret;
	}
	if (!closed) {
		fprintf(stderr, "# graph: no closing \"}\" after line %d\n",
			lineno);
		return -EBADMSG;
	}
	for (i = 0; i < g->ne; i++) {
		if (!g_node(g, g->e[i].tail) || !g_node(g, g->e[i].head)) {
			fprintf(stderr, "# edge %s -> %s to a node not drawn\n",
				g->e[i].tail, g->e[i].head);
			return -EBADMSG;
		}
	}
	return 0;
}

static inline const struct gedge *g_edge(const struct dgraph *g, const char *tail,
					 const char *head)
{
	int i;

	for (i = 0; i < g->ne; i++)
		if (!strcmp(g->e[i].tail, tail) && !strcmp(g->e[i].head, head))
			return &g->e[i];
	return NULL;
}

static inline void g_dump(const struct dgraph *g)
{
	int i;

	for (i = 0; i < g->nn; i++)
		fprintf(stderr, "#   node %s [%s]\n", g->n[i].name,
			g->n[i].label);
	for (i = 0; i < g->ne; i++)
		fprintf(stderr, "#   edge %s -> %s [%s]\n", g->e[i].tail,
			g->e[i].head, g->e[i].label);
}

/* An expected edge: "oA oB [0]" style strings are built by the tests. */
struct xedge {
	char tail[48];
	char head[48];
	char label[24];
};

/*
 * @g has exactly the nodes @nodes (names) and the edges @edges, labels
 * included.  Client nodes and handle edges are left to the caller when
 * @skip_clients: nodes "c<N>" and their edges are then not counted.
 */
static inline bool g_equal(const struct dgraph *g, char (*nodes)[48], int nn,
			   const struct xedge *edges, int ne, bool skip_clients)
{
	const struct gedge *e;
	int i, gn = 0, ge = 0;
	bool ok = true;

	for (i = 0; i < g->nn; i++)
		gn += !(skip_clients && g->n[i].name[0] == 'c');
	for (i = 0; i < g->ne; i++)
		ge += !(skip_clients && g->e[i].tail[0] == 'c');
	if (gn != nn || ge != ne) {
		fprintf(stderr, "# graph has %d nodes and %d edges, expected %d and %d\n",
			gn, ge, nn, ne);
		ok = false;
	}
	for (i = 0; i < nn; i++) {
		if (!g_node(g, nodes[i])) {
			fprintf(stderr, "# node %s missing\n", nodes[i]);
			ok = false;
		}
	}
	for (i = 0; i < ne; i++) {
		e = g_edge(g, edges[i].tail, edges[i].head);
		if (!e || strcmp(e->label, edges[i].label)) {
			fprintf(stderr, "# edge %s -> %s [%s] missing (%s)\n",
				edges[i].tail, edges[i].head, edges[i].label,
				e ? e->label : "none");
			ok = false;
		}
	}
	if (!ok)
		g_dump(g);
	return ok;
}

/* The graph file: one open file, one query. */
static inline int graph_open(void)
{
	return open(DBG_DIR "/graph", O_RDWR | O_CLOEXEC);
}

/* Write @query; 0 or -errno. */
static inline int graph_query(int gfd, const char *query)
{
	ssize_t n = write(gfd, query, strlen(query));

	if (n < 0)
		return -errno;
	return n == (ssize_t)strlen(query) ? 0 : -EIO;
}

/* The answer to the file's current query, from the start. */
static inline char *graph_answer(int gfd)
{
	if (lseek(gfd, 0, SEEK_SET) < 0)
		return NULL;
	return read_all(gfd, NULL);
}

/* The answer @gfd gives now must start with @prefix (all of it: @prefix). */
#define EXPECT_ANSWER_PREFIX(gfd, prefix) do { \
	char *__ans = graph_answer(gfd); \
	ASSERT_NE(NULL, __ans); \
	EXPECT_EQ(0, strncmp(__ans, prefix, strlen(prefix))); \
	free(__ans); \
} while (0)

#define EXPECT_ANSWER(gfd, want) do { \
	char *__ans = graph_answer(gfd); \
	ASSERT_NE(NULL, __ans); \
	EXPECT_STREQ(want, __ans); \
	free(__ans); \
} while (0)

/* Query, read and parse; 0 or -errno. */
static inline int graph_get(const char *query, struct dgraph *g, char **textp)
{
	int gfd = graph_open(), ret;
	char *text = NULL;

	if (gfd < 0)
		return -errno;
	ret = graph_query(gfd, query);
	if (!ret) {
		text = graph_answer(gfd);
		ret = text ? g_parse(text, g) : -errno;
	}
	close(gfd);
	if (textp)
		*textp = text;
	else
		free(text);
	return ret;
}

static inline void node_name(char *buf, __u64 id)
{
	snprintf(buf, 48, "o%llu", (unsigned long long)id);
}

static inline void xedge_set(struct xedge *e, const char *tail, const char *head,
			     const char *label)
{
	snprintf(e->tail, sizeof(e->tail), "%s", tail);
	snprintf(e->head, sizeof(e->head), "%s", head);
	snprintf(e->label, sizeof(e->label), "%s", label);
}

static inline void xedge_ids(struct xedge *e, __u64 from, __u64 to, unsigned int slot)
{
	snprintf(e->tail, sizeof(e->tail), "o%llu", (unsigned long long)from);
	snprintf(e->head, sizeof(e->head), "o%llu", (unsigned long long)to);
	snprintf(e->label, sizeof(e->label), "[%u]", slot);
}

/* This process's client node in a backrefs or chain graph: "c<N>". */
static inline const struct gnode *g_my_client(const struct dgraph *g)
{
	char pid[32];
	int i;

	snprintf(pid, sizeof(pid), "\\npid %d", getpid());
	for (i = 0; i < g->nn; i++)
		if (g->n[i].name[0] == 'c' && strstr(g->n[i].label, pid))
			return &g->n[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* tracefs */

struct tinst {
	char dir[128];
};

static inline int tracefs_ready(void)
{
	struct statfs sfs;

	if (!statfs(TRACEFS_DIR, &sfs) && sfs.f_type == TRACEFS_MAGIC)
		return 0;
	if (mount("tracefs", TRACEFS_DIR, "tracefs", 0, NULL))
		return -errno;
	return 0;
}

/* A tracefs instance of our own with the mobj events on. */
static inline int trace_begin(struct tinst *t)
{
	char path[192];
	int ret;

	ret = tracefs_ready();
	if (ret)
		return ret;
	snprintf(t->dir, sizeof(t->dir), TRACEFS_DIR "/instances/mobj_trace_%d",
		 getpid());
	if (mkdir(t->dir, 0700))
		return -errno;
	snprintf(path, sizeof(path), "%s/events/mobj/enable", t->dir);
	return mobj_write_text(path, "1");
}

static inline char *trace_text(struct tinst *t)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/trace", t->dir);
	return slurp(path);
}

static inline int trace_end(struct tinst *t)
{
	char path[192];

	if (!t->dir[0])
		return 0;
	snprintf(path, sizeof(path), "%s/events/mobj/enable", t->dir);
	mobj_write_text(path, "0");
	if (rmdir(t->dir))
		return -errno;
	t->dir[0] = '\0';
	return 0;
}

/* Position of event "@name: @fields" ending a line of @text, or -1. */
static inline long trace_find(const char *text, const char *name,
			      const char *fmt, ...)
{
	char want[256];
	const char *p;
	size_t len;
	int n;
	va_list ap;

	n = snprintf(want, sizeof(want), " %s: ", name);
	va_start(ap, fmt);
	vsnprintf(want + n, sizeof(want) - n, fmt, ap);
	va_end(ap);
	len = strlen(want);
	for (p = text; (p = strstr(p, want)); p++)
		if (p[len] == '\n' || p[len] == '\0')
			return p - text;
	return -1;
}

/* ------------------------------------------------------------------ */
/* The fixture */

#define NAMED_MAX 8

FIXTURE(trace) {
	int fd;
	int extra[MOBJ_EXTRA_FDS];
	struct mobj_counts base;
	struct mobj_params params;
	struct mobj_gc_state saved;
	__u32 named[NAMED_MAX];
	int nnamed;
	struct tinst tr;
	char tmp[64];
};

/* MOBJ_TYPE_NAME through libmobj: 0 or -errno. */
static inline int type_name_set(int fd, __u32 type, const char *name)
{
	return mobj_type_name_set(fd, type, name);
}

static inline int type_name_get(int fd, __u32 type, char *name)
{
	int ret = mobj_type_name_get(fd, type, name, MOBJ_TYPE_NAME_MAX);

	return ret < 0 ? ret : 0;
}

/* Name a type for this test; the teardown removes the name. */
static inline int name_type(FIXTURE_DATA(trace) *self, __u32 type,
			    const char *name)
{
	if (self->nnamed < NAMED_MAX)
		self->named[self->nnamed++] = type;
	return type_name_set(self->fd, type, name);
}

FIXTURE_SETUP(trace)
{
	struct statfs sfs;
	int i;

	for (i = 0; i < MOBJ_EXTRA_FDS; i++)
		self->extra[i] = -1;
	MOBJ_OPEN_OR_SKIP(self->fd);
	if (statfs("/sys/kernel/debug", &sfs) || sfs.f_type != 0x64626720)
		SKIP_SETUP("debugfs is not mounted: mount -t debugfs none /sys/kernel/debug");
	if (access(DBG_DIR "/stats", R_OK))
		SKIP_SETUP(DBG_DIR "/stats: %s (not root?)", strerror(errno));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &self->saved));
	ASSERT_EQ(0, mobj_gc_disable(self->fd));
	ASSERT_EQ(0, mobj_gc_clean(self->fd));
	ASSERT_EQ(0, mobj_counts(self->fd, &self->base));
	snprintf(self->tmp, sizeof(self->tmp), "/tmp/mobj_trace.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->tmp));
}

static inline void rm_tmp(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (dir[0] && system(cmd))
		fprintf(stderr, "# could not remove %s\n", dir);
}

FIXTURE_TEARDOWN(trace)
{
	struct mobj_gc_state now;
	int i;

	EXPECT_EQ(0, trace_end(&self->tr));
	for (i = 0; i < self->nnamed; i++)
		EXPECT_EQ(0, type_name_set(self->fd, self->named[i], ""));
	for (i = 0; i < MOBJ_EXTRA_FDS; i++) {
		if (self->extra[i] >= 0)
			close(self->extra[i]);
		self->extra[i] = -1;
	}
	EXPECT_EQ(0, mobj_gc_get(self->fd, &now));
	if (now.freeze_count)
		EXPECT_EQ(0, mobj_gc_unfreeze(self->fd, NULL));
	EXPECT_EQ(0, mobj_gc_clean(self->fd));
	EXPECT_EQ(0, mobj_gc_apply(self->fd, self->saved.enabled, self->saved.debug,
			      self->saved.threshold));
	rm_tmp(self->tmp);
	mobj_teardown_check(_metadata, self->fd, self->extra, &self->params,
			    &self->base);
}

static inline __u32 new_obj(struct __test_metadata *_metadata, int fd, __u32 type,
			    const char *data, __u64 *id)
{
	__u32 h;

	ASSERT_EQ(0, mobj_new(fd, type, data, data ? strlen(data) : 0, &h, id));
	return h;
}

/* The trace fixture's shorthands, on self->fd. */
#define TNEW(type, data, idp) new_obj(_metadata, self->fd, type, data, idp)
#define TAPPEND(a, b) ASSERT_EQ(0, mobj_slot_append(self->fd, a, b, NULL))

/* ------------------------------------------------------------------ */
/* graph: every answer parsed as the kernel's fixed format */

static inline const struct gedge *g_edge_label(const struct dgraph *g,
					       const char *tail, const char *head,
					       const char *label)
{
	int i;

	for (i = 0; i < g->ne; i++)
		if (!strcmp(g->e[i].tail, tail) &&
		    !strcmp(g->e[i].head, head) &&
		    !strcmp(g->e[i].label, label))
			return &g->e[i];
	return NULL;
}

static inline int g_count_clients(const struct dgraph *g)
{
	int i, n = 0;

	for (i = 0; i < g->nn; i++)
		n += g->n[i].name[0] == 'c';
	return n;
}

/* The diamond with a back edge: a -> b, a -> c, b -> d, c -> d, d -> a. */
struct diamond {
	__u32 h[4];
	__u64 id[4];
	char n[4][48];
};

static inline void diamond_build(struct __test_metadata *_metadata,
				 FIXTURE_DATA(trace) *self, struct diamond *dm)
{
	int i;

	ASSERT_EQ(0, name_type(self, T_GRAPH, "trace.G"));
	for (i = 0; i < 4; i++) {
		dm->h[i] = TNEW(i == 3 ? T_LEAF : T_GRAPH, NULL, &dm->id[i]);
		node_name(dm->n[i], dm->id[i]);
	}
	TAPPEND(dm->h[0], dm->h[1]);
	TAPPEND(dm->h[0], dm->h[2]);
	TAPPEND(dm->h[1], dm->h[3]);
	TAPPEND(dm->h[2], dm->h[3]);
	TAPPEND(dm->h[3], dm->h[0]);
}

static inline void diamond_free(struct __test_metadata *_metadata,
				FIXTURE_DATA(trace) *self, struct diamond *dm)
{
	int i;

	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, mobj_handle_close(self->fd, dm->h[i]));
	EXPECT_EQ(4, mobj_gc_collect(self->fd, 2, NULL));
}

/* Two objects of @type that refer to each other and nothing else holds. */
static inline void lost_cycle(struct __test_metadata *_metadata,
			      FIXTURE_DATA(trace) *self, __u32 type, __u64 *id)
{
	__u32 u, v;

	u = TNEW(type, NULL, id);
	v = TNEW(type, NULL, NULL);
	TAPPEND(u, v);
	TAPPEND(v, u);
	ASSERT_EQ(0, mobj_handle_close(self->fd, u));
	ASSERT_EQ(0, mobj_handle_close(self->fd, v));
}

static inline void diamond_edges(const struct diamond *dm, struct xedge *e)
{
	xedge_ids(&e[0], dm->id[0], dm->id[1], 0);
	xedge_ids(&e[1], dm->id[0], dm->id[2], 1);
	xedge_ids(&e[2], dm->id[1], dm->id[3], 0);
	xedge_ids(&e[3], dm->id[2], dm->id[3], 0);
	xedge_ids(&e[4], dm->id[3], dm->id[0], 0);
}

#endif /* MOBJ_TRACE_UTIL_H */
