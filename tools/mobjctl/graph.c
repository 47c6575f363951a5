// SPDX-License-Identifier: GPL-2.0
/*
 * mobjctl graph and chain: write a query to the device's debugfs "graph"
 * file and read the Graphviz digraph back from the same open file (each
 * open file has its own query), to standard output, a .dot file, or
 * through Graphviz dot to a picture; or, with --json, as JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mobjctl.h"

#define GRAPH_QUERY_MAX 128

/* Where the digraph goes: a file descriptor, and dot when rendering. */
struct graph_out {
	const char *path;	/* NULL: standard output */
	const char *format;	/* dot's -T format, NULL: the text itself */
	int fd;
	pid_t dot;
};

/* Is @prog an executable file in $PATH? */
static bool in_path(const char *prog)
{
	const char *path = getenv("PATH"), *p, *end;
	char file[MOBJCTL_PATH_MAX];

	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		snprintf(file, sizeof(file), "%.*s/%s", (int)(end - p), p,
			 prog);
		if (!access(file, X_OK))
			return true;
	}
	return false;
}

/* -o FILE: .dot/.gv as text, .svg/.png/.pdf rendered by dot. */
static void graph_out_format(const char *cmd, struct graph_out *out)
{
	static const char *const render[] = { "svg", "png", "pdf", NULL };
	const char *ext = strrchr(out->path, '.');
	int i;

	out->format = NULL;
	if (ext && (!strcmp(ext, ".dot") || !strcmp(ext, ".gv")))
		return;
	for (i = 0; ext && render[i]; i++) {
		if (!strcmp(ext + 1, render[i])) {
			out->format = render[i];
			return;
		}
	}
	usage_error(cmd, "cannot tell the format of '%s': name it .dot, .gv, .svg, .png or .pdf",
		    out->path);
}

/* Start "dot -T<format> -o <path>" reading the digraph from a pipe. */
static int graph_out_dot(struct graph_out *out)
{
	char fmt[16];
	int pipefd[2];

	if (!in_path("dot"))
		return fail("cannot write %s: Graphviz 'dot' is not installed (apt install graphviz, or dnf install graphviz); or use -o FILE.dot",
			    out->path);
	if (pipe2(pipefd, O_CLOEXEC))
		return fail("pipe: %s", strerror(errno));
	snprintf(fmt, sizeof(fmt), "-T%s", out->format);
	/* A dot that dies early makes write() fail, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	out->dot = fork();
	if (out->dot < 0)
		return fail("fork: %s", strerror(errno));
	if (!out->dot) {
		dup2(pipefd[0], STDIN_FILENO);
		execlp("dot", "dot", fmt, "-o", out->path, (char *)NULL);
		fprintf(stderr, "mobjctl: dot: %s\n", strerror(errno));
		_exit(127);
	}
	close(pipefd[0]);
	out->fd = pipefd[1];
	return 0;
}

static int graph_out_open(struct graph_out *out)
{
	out->dot = -1;
	if (!out->path) {
		out->fd = STDOUT_FILENO;
		return 0;
	}
	if (out->format)
		return graph_out_dot(out);
	out->fd = open(out->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		       0644);
	if (out->fd < 0)
		return fail("%s: %s", out->path, strerror(errno));
	return 0;
}

/* Finish the output; @ok false throws a half-written file away. */
static int graph_out_close(struct graph_out *out, bool ok)
{
	int status;

	if (!out->path)
		return ok ? 0 : 1;
	close(out->fd);
	if (out->dot > 0) {
		if (waitpid(out->dot, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			if (ok)
				fail("dot could not render %s", out->path);
			ok = false;
		}
	}
	if (!ok) {
		unlink(out->path);
		return 1;
	}
	printf("wrote %s\n", out->path);
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Copy the answer from the graph file to @out as it is read. */
static int graph_copy(struct mobjctl *ctl, int gfd, struct graph_out *out)
{
	char buf[4096];
	ssize_t n;
	int err;

	while ((n = read(gfd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOENT)
			return fail("the object was freed before the graph was read");
		if (n < 0)
			return debugfs_error(ctl, "graph", errno);
		err = write_all(out->fd, buf, n);
		if (err)
			return fail("%s: %s", out->path ? out->path : "stdout",
				    strerror(-err));
	}
	return 0;
}

static int query_error(const char *query, const char *id, int err)
{
	if (err == ENOENT)
		return fail("no object with id %s", id);
	if (err == EINVAL)
		return fail("bad graph query '%s' (depth is 1-20, max 1-1000)",
			    query);
	return fail("graph query '%s': %s", query, strerror(err));
}

/* The whole answer, NUL-terminated, in *@text; 0 or after saying why not. */
static int graph_slurp(struct mobjctl *ctl, int gfd, char **text)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *more;
	ssize_t n;

	for (;;) {
		if (cap - len < 4097) {
			cap = cap ? 2 * cap : 65536;
			more = realloc(buf, cap);
			if (!more) {
				free(buf);
				return fail("out of memory");
			}
			buf = more;
		}
		n = read(gfd, buf + len, cap - len - 1);
		if (!n)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			if (errno == ENOENT)
				return fail("the object was freed before the graph was read");
			return debugfs_error(ctl, "graph", errno);
		}
		len += n;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}

/* One section of the JSON answer: a member per kind of digraph line. */
enum graph_sect { G_NODES, G_EDGES, G_MORE, G_CLIENTS, G_HANDLES, G_GARBAGE,
		  G_NOTES, G_NSECT };

static const char *const graph_sect_name[G_NSECT] = {
	"nodes", "edges", "more", "clients", "handles", "garbage", "notes",
};

/* Print @line as an element of section @sect, if it is one; true if so. */
static bool graph_json_line(FILE *f, enum graph_sect sect, const char *line,
			    bool first)
{
	unsigned long long a, b, c;
	char type[64], text[256];
	const char *sep = first ? "" : ", ";
	unsigned int slot;
	int pid;

	switch (sect) {
	case G_NODES:
		if (sscanf(line, "  o%llu [label=\"%63[^\\]\\n#%llu refcount=%llu\"",
			   &a, type, &b, &c) != 4)
			return false;
		fprintf(f, "%s{\"id\": %llu, \"type\": ", sep, a);
		json_str(f, type);
		fprintf(f, ", \"refcount\": %llu, \"queried\": %s}", c,
			strstr(line, "penwidth=3") ? "true" : "false");
		return true;
	case G_EDGES:
		if (sscanf(line, "  o%llu -> o%llu [label=\"[%u]\"", &a, &b,
			   &slot) != 3)
			return false;
		fprintf(f, "%s{\"from\": %llu, \"to\": %llu, \"slot\": %u}",
			sep, a, b, slot);
		return true;
	case G_MORE:
		if (sscanf(line, "  o%llu_more [label=\"%llu more", &a, &b) != 2)
			return false;
		fprintf(f, "%s{\"id\": %llu, \"count\": %llu}", sep, a, b);
		return true;
	case G_CLIENTS:
		if (sscanf(line, "  c%llu [label=\"client %llu\\npid %d\"", &a,
			   &b, &pid) != 3)
			return false;
		fprintf(f, "%s{\"client\": %llu, \"pid\": %d}", sep, a, pid);
		return true;
	case G_HANDLES:
		if (sscanf(line, "  c%llu -> o%llu [label=\"h%llu\"", &a, &b,
			   &c) != 3)
			return false;
		fprintf(f, "%s{\"client\": %llu, \"handle\": %llu, \"id\": %llu}",
			sep, a, c, b);
		return true;
	case G_GARBAGE:
		if (sscanf(line, "  garbage -> o%llu;", &a) != 1)
			return false;
		fprintf(f, "%s%llu", sep, a);
		return true;
	case G_NOTES:
		if (sscanf(line, "  // %255[^\n]", text) != 1 &&
		    sscanf(line, "  unreachable [label=\"%255[^\"]", text) != 1)
			return false;
		fputs(sep, f);
		json_str(f, text);
		return true;
	default:
		return false;
	}
}

/*
 * The digraph as JSON: {"graph": VERB, "id": ID, "nodes": [...],
 * "edges": [...], "more": [...], "clients": [...], "handles": [...],
 * "garbage": [...], "notes": [...]}, from the kernel's fixed line format.
 */
static void graph_json(FILE *f, const char *verb, const char *id, char *text)
{
	char *line, *save;
	unsigned int s;
	bool first;
	char *copy;

	fprintf(f, "{\"graph\": ");
	json_str(f, verb);
	fprintf(f, ", \"id\": %s", id);
	for (s = 0; s < G_NSECT; s++) {
		fprintf(f, ", \"%s\": [", graph_sect_name[s]);
		copy = strdup(text);
		first = true;
		for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save))
			if (graph_json_line(f, s, line, first))
				first = false;
		free(copy);
		fprintf(f, "]");
	}
	fprintf(f, "}\n");
}

/* --json: the answer read whole, then written as JSON to @out. */
static int graph_copy_json(struct mobjctl *ctl, int gfd, const char *verb,
			   const char *id, struct graph_out *out)
{
	char *text = NULL, *json = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (graph_slurp(ctl, gfd, &text))
		return 1;
	f = open_memstream(&json, &len);
	if (!f) {
		free(text);
		return fail("out of memory");
	}
	graph_json(f, verb, id, text);
	free(text);
	if (fclose(f))
		return fail("out of memory");
	err = write_all(out->fd, json, len);
	free(json);
	if (err)
		return fail("%s: %s", out->path ? out->path : "stdout",
			    strerror(-err));
	return 0;
}

/* Send @query, copy the answer; the same open file for both. */
static int graph_run(struct mobjctl *ctl, const char *query, const char *verb,
		     const char *id, struct graph_out *out)
{
	int gfd, rc;

	gfd = debugfs_open(ctl, "graph", O_RDWR);
	if (gfd < 0)
		return EXIT_FAILURE;
	if (write(gfd, query, strlen(query)) < 0) {
		rc = query_error(query, id, errno);
		close(gfd);
		return rc;
	}
	if (graph_out_open(out)) {
		close(gfd);
		return EXIT_FAILURE;
	}
	if (ctl->json)
		rc = graph_copy_json(ctl, gfd, verb, id, out);
	else
		rc = graph_copy(ctl, gfd, out);
	close(gfd);
	return graph_out_close(out, !rc);
}

struct graph_args {
	const char *verb;
	const char *id;
	const char *depth;
	const char *max;
	struct graph_out out;
};

static void graph_opts(struct mobjctl *ctl, int argc, char **argv,
		       struct graph_args *a)
{
	static const struct option opts[] = {
		{ "depth", required_argument, NULL, 'd' },
		{ "max", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		COMMON_OPTS
	};
	int c;

	while ((c = getopt_long(argc, argv, "d:m:o:" COMMON_SHORTOPTS, opts,
				NULL)) != -1) {
		if (c == 'd')
			a->depth = optarg;
		else if (c == 'm')
			a->max = optarg;
		else if (c == 'o')
			a->out.path = optarg;
		else
			common_opt(ctl, argv[0], c);
	}
}

static void graph_check_number(const char *cmd, const char *what,
			       const char *val)
{
	unsigned long long v;

	if (val && parse_u64(val, ~0ULL, &v))
		usage_error(cmd, "%s '%s' is not a number", what, val);
}

static int graph_main(struct mobjctl *ctl, struct graph_args *a,
		      const char *cmd)
{
	char query[GRAPH_QUERY_MAX];

	graph_check_number(cmd, "object id", a->id);
	graph_check_number(cmd, "--depth", a->depth);
	graph_check_number(cmd, "--max", a->max);
	if (a->out.path && !ctl->json)
		graph_out_format(cmd, &a->out);
	snprintf(query, sizeof(query), "%s %s%s%s%s%s", a->verb, a->id,
		 a->depth ? " depth=" : "", a->depth ? a->depth : "",
		 a->max ? " max=" : "", a->max ? a->max : "");
	return graph_run(ctl, query, a->verb, a->id, &a->out);
}

int cmd_graph(struct mobjctl *ctl, int argc, char **argv)
{
	struct graph_args a = { NULL };

	graph_opts(ctl, argc, argv, &a);
	if (argc - optind != 2)
		usage_error(argv[0], "expected refs|backrefs ID");
	a.verb = argv[optind];
	a.id = argv[optind + 1];
	if (strcmp(a.verb, "refs") && strcmp(a.verb, "backrefs") &&
	    strcmp(a.verb, "chain"))
		usage_error(argv[0], "unknown graph '%s': refs or backrefs",
			    a.verb);
	return graph_main(ctl, &a, argv[0]);
}

int cmd_chain(struct mobjctl *ctl, int argc, char **argv)
{
	struct graph_args a = { .verb = "chain" };

	graph_opts(ctl, argc, argv, &a);
	if (argc - optind != 1)
		usage_error(argv[0], "expected ID");
	a.id = argv[optind];
	return graph_main(ctl, &a, argv[0]);
}
