// SPDX-License-Identifier: GPL-2.0
/*
 * mobjctl commands about the heap as a whole: stats, collect, threshold,
 * types, objects, garbage, check and name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mobjctl.h"

static const struct option common_opts[] = { COMMON_OPTS };

/* Commands without options of their own; returns the first argument. */
static int plain_opts(struct mobjctl *ctl, int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, common_opts,
				NULL)) != -1)
		common_opt(ctl, argv[0], c);
	return optind;
}

static void no_args(int argc, char **argv)
{
	int first = optind;

	if (first < argc)
		usage_error(argv[0], "unexpected argument '%s'", argv[first]);
}

/* A debugfs file as a stdio stream, NULL after saying why not. */
static FILE *debugfs_fopen(struct mobjctl *ctl, const char *file)
{
	int fd = debugfs_open(ctl, file, O_RDONLY);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (!f) {
		fail("%s/%s: %s", ctl->debugfs, file, strerror(errno));
		close(fd);
	}
	return f;
}

/* A command without options or arguments that reads debugfs @file. */
static FILE *plain_fopen(struct mobjctl *ctl, int argc, char **argv,
			 const char *file)
{
	plain_opts(ctl, argc, argv);
	no_args(argc, argv);
	return debugfs_fopen(ctl, file);
}

/* Close a stream read to its end; 1 after saying why it failed. */
static int debugfs_fclose(struct mobjctl *ctl, const char *file, FILE *f)
{
	int err = ferror(f) ? errno : 0;

	fclose(f);
	if (err)
		return debugfs_error(ctl, file, err);
	return 0;
}

/* "key value" as a JSON member, the value a number when it is one. */
static void json_member(const char *key, const char *val, bool *first)
{
	printf("%s", *first ? "" : ", ");
	*first = false;
	json_str(stdout, key);
	printf(": ");
	if (is_number(val))
		printf("%s", val);
	else
		json_str(stdout, val);
}

/* "gen0 objects 1 count 2 ..." -> {"generation": 0, "objects": 1, ...} */
static void stats_json_gen(char *line)
{
	char *save, *key, *val;
	bool first = false;

	strtok_r(line, "\t\n ", &save);
	printf("{\"generation\": %s", line + 3);
	while ((key = strtok_r(NULL, "\t\n ", &save)) &&
	       (val = strtok_r(NULL, "\t\n ", &save)))
		json_member(key, val, &first);
	printf("}");
}

static int stats_json(FILE *f)
{
	char *line = NULL, *gens[4] = { NULL }, key[64], val[64];
	unsigned int ngens = 0, i;
	bool first = true;
	size_t len = 0;

	printf("{");
	while (getline(&line, &len, f) > 0) {
		if (!strncmp(line, "gen", 3) && line[3] >= '0' &&
		    line[3] <= '9' && line[4] == ' ') {
			if (ngens < 4)
				gens[ngens++] = strdup(line);
			continue;
		}
		if (sscanf(line, "%63s %63s", key, val) == 2)
			json_member(key, val, &first);
	}
	printf("%s\"generations\": [", first ? "" : ", ");
	for (i = 0; i < ngens; i++) {
		printf("%s", i ? ", " : "");
		if (gens[i])
			stats_json_gen(gens[i]);
		free(gens[i]);
	}
	printf("]}\n");
	free(line);
	return 0;
}

/* Copy a stream to standard output. */
static void cat(FILE *f)
{
	char buf[4096];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), f)))
		fwrite(buf, 1, n, stdout);
}

int cmd_stats(struct mobjctl *ctl, int argc, char **argv)
{
	FILE *f;

	f = plain_fopen(ctl, argc, argv, "stats");
	if (!f)
		return EXIT_FAILURE;
	if (ctl->json)
		stats_json(f);
	else
		cat(f);
	return debugfs_fclose(ctl, "stats", f);
}

/* debugfs "clients", in aligned columns. */
int cmd_clients(struct mobjctl *ctl, int argc, char **argv)
{
	unsigned long long id, handles, objects, events, watches;
	char line[512], comm[64];
	int pid;
	FILE *f;

	f = plain_fopen(ctl, argc, argv, "clients");
	if (!f)
		return EXIT_FAILURE;
	printf("%8s %8s %-16s %10s %10s %8s %8s\n", "CLIENT", "PID", "COMM",
	       "HANDLES", "OBJECTS", "EVENTS", "WATCHES");
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%llu %d %63s %llu %llu %llu %llu", &id, &pid,
			   comm, &handles, &objects, &events, &watches) != 7)
			continue;
		printf("%8llu %8d %-16s %10llu %10llu %8llu %8llu\n", id, pid,
		       comm, handles, objects, events, watches);
	}
	return debugfs_fclose(ctl, "clients", f);
}

int cmd_collect(struct mobjctl *ctl, int argc, char **argv)
{
	struct mobj_gc_collect res;
	unsigned int gen = MOBJ_GC_GENERATIONS - 1;
	int first, fd, ret;

	first = plain_opts(ctl, argc, argv);
	if (first < argc && (parse_u32(argv[first], &gen) ||
			     gen >= MOBJ_GC_GENERATIONS))
		usage_error(argv[0], "generation '%s' is not 0, 1 or 2",
			    argv[first]);
	if (first + 1 < argc)
		usage_error(argv[0], "unexpected argument '%s'", argv[first + 1]);
	fd = device_open(ctl);
	if (fd < 0)
		return EXIT_FAILURE;
	ret = mobj_gc_collect(fd, gen, &res);
	close(fd);
	if (ret < 0)
		return fail("%s: MOBJ_GC_COLLECT: %s", ctl->device,
			    strerror(-ret));
	if (ctl->json)
		printf("{\"generation\": %u, \"collected\": %llu, \"uncollectable\": %llu, \"examined\": %llu, \"duration_ns\": %llu}\n",
		       gen, (unsigned long long)res.collected,
		       (unsigned long long)res.uncollectable,
		       (unsigned long long)res.examined,
		       (unsigned long long)res.duration_ns);
	else
		printf("generation %u: collected %llu, uncollectable %llu, examined %llu, %llu ns\n",
		       gen, (unsigned long long)res.collected,
		       (unsigned long long)res.uncollectable,
		       (unsigned long long)res.examined,
		       (unsigned long long)res.duration_ns);
	return EXIT_SUCCESS;
}

int cmd_leaks(struct mobjctl *ctl, int argc, char **argv)
{
	unsigned long long examined;
	__u64 *ids = NULL, *more;
	int first, fd, n, room = 0;

	first = plain_opts(ctl, argc, argv);
	if (first < argc)
		usage_error(argv[0], "unexpected argument '%s'", argv[first]);
	fd = device_open(ctl);
	if (fd < 0)
		return EXIT_FAILURE;
	/* Again with room for all, should more have leaked meanwhile. */
	for (;;) {
		n = mobj_gc_leaks(fd, ids, room, (__u64 *)&examined);
		if (n <= room || n < 0)
			break;
		more = realloc(ids, n * sizeof(*ids));
		if (!more) {
			n = -ENOMEM;
			break;
		}
		ids = more;
		room = n;
	}
	close(fd);
	if (n < 0) {
		free(ids);
		return fail("%s: MOBJ_GC_LEAKS: %s", ctl->device, strerror(-n));
	}
	if (ctl->json) {
		printf("{\"leaks\": %d, \"examined\": %llu, \"ids\": [", n,
		       examined);
		for (first = 0; first < n; first++)
			printf("%s%llu", first ? ", " : "",
			       (unsigned long long)ids[first]);
		printf("]}\n");
	} else {
		printf("%d object%s the next collection would free (%llu examined)%s\n",
		       n, n == 1 ? "" : "s", examined, n ? ":" : "");
		for (first = 0; first < n; first++)
			printf("%llu\n", (unsigned long long)ids[first]);
	}
	free(ids);
	return EXIT_SUCCESS;
}

int cmd_threshold(struct mobjctl *ctl, int argc, char **argv)
{
	__u32 t[MOBJ_GC_GENERATIONS];
	int first, fd, ret, i;

	first = plain_opts(ctl, argc, argv);
	if (argc - first > MOBJ_GC_GENERATIONS)
		usage_error(argv[0], "at most %d thresholds",
			    MOBJ_GC_GENERATIONS);
	fd = device_open(ctl);
	if (fd < 0)
		return EXIT_FAILURE;
	ret = mobj_gc_get_threshold(fd, t);
	for (i = 0; !ret && first + i < argc; i++)
		if (parse_u32(argv[first + i], &t[i]))
			usage_error(argv[0], "threshold '%s' is not a number",
				    argv[first + i]);
	if (!ret && first < argc)
		ret = mobj_gc_set_threshold(fd, t[0], t[1], t[2]);
	close(fd);
	if (ret == -EINVAL)
		return fail("%s: thresholds %u %u %u refused: T1 and T2 must be at least 1",
			    ctl->device, t[0], t[1], t[2]);
	if (ret)
		return fail("%s: %s: %s", ctl->device,
			    first < argc ? "MOBJ_GC_SET" : "MOBJ_GC_GET",
			    strerror(-ret));
	if (ctl->json)
		printf("{\"threshold\": [%u, %u, %u]}\n", t[0], t[1], t[2]);
	else
		printf("%u %u %u\n", t[0], t[1], t[2]);
	return EXIT_SUCCESS;
}

/* "tag" of a types row: the number, "-" when the name's tag is not found. */
static void type_tag_text(struct mobjctl *ctl, const char *type, char *buf,
			  size_t len)
{
	__u32 tag;

	if (type_tag_parse(ctl, type, &tag))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%u", tag);
}

/*
 * mobjctl types on a module without MOBJ_TYPE_COUNTS: debugfs "types"
 * (root's).  The options are already parsed.
 */
int types_from_debugfs(struct mobjctl *ctl)
{
	static const char *const heads[] = { "TYPE", "TAG", "COUNT" };
	char *line = NULL, type[64], tag[16], count[24];
	const char *row[] = { type, tag, count };
	unsigned long long n;
	struct table t;
	bool first = true;
	size_t len = 0;
	FILE *f;
	int rc;

	f = debugfs_fopen(ctl, "types");
	if (!f)
		return EXIT_FAILURE;
	table_init(&t, 3, heads, "lrr");
	if (ctl->json)
		printf("[");
	while (getline(&line, &len, f) > 0) {
		if (line[0] == '#' || sscanf(line, "%63s %llu", type, &n) != 2)
			continue;
		type_tag_text(ctl, type, tag, sizeof(tag));
		snprintf(count, sizeof(count), "%llu", n);
		if (!ctl->json) {
			if (table_row(&t, row))
				return fail("out of memory");
			continue;
		}
		printf("%s{\"type\": ", first ? "" : ",\n ");
		json_str(stdout, type);
		printf(", \"tag\": %s, \"count\": %llu}",
		       strcmp(tag, "-") ? tag : "null", n);
		first = false;
	}
	free(line);
	rc = debugfs_fclose(ctl, "types", f);
	if (ctl->json)
		printf("]\n");
	else if (!rc)
		table_print(&t, stdout);
	table_free(&t);
	return rc;
}

/* The name of type tag @type, "" when it has none or on any error. */
static void type_name_get(struct mobjctl *ctl, __u32 type, char *name)
{
	int fd = mobj_dev_open_path(ctl->device);

	name[0] = '\0';
	if (fd < 0)
		return;
	if (mobj_type_name_get(fd, type, name, MOBJ_TYPE_NAME_MAX) < 0)
		name[0] = '\0';
	close(fd);
}

/*
 * --type T: T as debugfs prints it (a name or typeN), or a number, which
 * matches typeN and the name N has now.
 */
struct type_filter {
	char text[64];
	char name[MOBJ_TYPE_NAME_MAX];
	bool by_name;		/* T is neither a number nor typeN */
	unsigned long matched;	/* objects listed */
};

static void type_filter_init(struct mobjctl *ctl, const char *t,
			     struct type_filter *tf)
{
	const char *num = !strncmp(t, "type", 4) ? t + 4 : t;
	unsigned int type;

	tf->name[0] = '\0';
	tf->matched = 0;
	tf->by_name = parse_u32(num, &type);
	if (tf->by_name) {
		snprintf(tf->text, sizeof(tf->text), "%s", t);
		return;
	}
	snprintf(tf->text, sizeof(tf->text), "type%u", type);
	type_name_get(ctl, type, tf->name);
}

static bool type_filter_match(const struct type_filter *tf, const char *type)
{
	return !strcmp(type, tf->text) || (tf->name[0] &&
					    !strcmp(type, tf->name));
}

/*
 * Nothing listed for --type NAME, and no type has that name (among the
 * tags up to TYPE_SCAN_MAX, or all of them when named_types was read):
 * most likely a typo, say so on standard error.
 */
static void type_filter_warn(struct mobjctl *ctl, const struct type_filter *tf)
{
	bool complete;
	__u32 tag;

	if (!tf->by_name || tf->matched ||
	    type_tag_of(ctl, tf->text, &tag, &complete) != -ENOENT)
		return;
	fprintf(stderr, "mobjctl: objects: warning: no type is named '%s'%s (see mobjctl types; a number or typeN names a tag)\n",
		tf->text, complete ? "" : " among tags 0-" TYPE_SCAN_LAST);
}

static void object_json(const char *type, unsigned long long id,
			unsigned long long refs, const char *gen,
			unsigned int slots, unsigned int len,
			const char *flags, bool first)
{
	printf("%s{\"id\": %llu, \"type\": ", first ? "" : ",\n ", id);
	json_str(stdout, type);
	/* 0, 1 or 2; null when untracked, frozen or garbage (see flags). */
	printf(", \"refcount\": %llu, \"generation\": %s, \"slots\": %u, \"data_len\": %u, \"flags\": \"%s\", ",
	       refs, is_number(gen) ? gen : "null", slots, len, flags);
	printf("\"tracked\": %s, \"frozen\": %s, \"garbage\": %s, \"watched\": %s}",
	       strchr(flags, 't') ? "true" : "false",
	       strchr(flags, 'f') ? "true" : "false",
	       strchr(flags, 'g') ? "true" : "false",
	       strchr(flags, 'w') ? "true" : "false");
}

/* objects and garbage: the same line format; a table or JSON. */
static int list_objects(struct mobjctl *ctl, const char *file,
			struct type_filter *tf)
{
	static const char *const heads[] = {
		"ID", "TYPE", "REFCOUNT", "GEN", "SLOTS", "DATA_LEN", "FLAGS"
	};
	char *line = NULL, type[64], gen[16], flags[8], num[4][24];
	const char *row[] = { num[0], type, num[1], gen, num[2], num[3],
			      flags };
	unsigned long long id, refs;
	unsigned int slots, dlen;
	bool first = true;
	struct table t;
	size_t len = 0;
	FILE *f;
	int rc;

	f = debugfs_fopen(ctl, file);
	if (!f)
		return EXIT_FAILURE;
	table_init(&t, 7, heads, "rlrrrrl");
	if (ctl->json)
		printf("[");
	while (getline(&line, &len, f) > 0) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%llu %63s %llu %15s %u %u %7s", &id, type,
			   &refs, gen, &slots, &dlen, flags) != 7)
			continue;
		if (tf && !type_filter_match(tf, type))
			continue;
		if (tf)
			tf->matched++;
		if (ctl->json) {
			object_json(type, id, refs, gen, slots, dlen, flags,
				    first);
		} else {
			snprintf(num[0], sizeof(num[0]), "%llu", id);
			snprintf(num[1], sizeof(num[1]), "%llu", refs);
			snprintf(num[2], sizeof(num[2]), "%u", slots);
			snprintf(num[3], sizeof(num[3]), "%u", dlen);
			if (table_row(&t, row))
				return fail("out of memory");
		}
		first = false;
	}
	free(line);
	rc = debugfs_fclose(ctl, file, f);
	if (ctl->json)
		printf("]\n");
	else if (!rc)
		table_print(&t, stdout);
	table_free(&t);
	return rc;
}

int cmd_objects(struct mobjctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		COMMON_OPTS
	};
	struct type_filter tf;
	const char *type = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "t:" COMMON_SHORTOPTS, opts,
				NULL)) != -1) {
		if (c == 't')
			type = optarg;
		else
			common_opt(ctl, argv[0], c);
	}
	no_args(argc, argv);
	if (type)
		type_filter_init(ctl, type, &tf);
	rc = list_objects(ctl, "objects", type ? &tf : NULL);
	if (!rc && type)
		type_filter_warn(ctl, &tf);
	return rc;
}

int cmd_garbage(struct mobjctl *ctl, int argc, char **argv)
{
	plain_opts(ctl, argc, argv);
	no_args(argc, argv);
	return list_objects(ctl, "garbage", NULL);
}

/*
 * check --json: {"ok": true, "objects": N, "handles": N, "edges": N,
 * "problems": []}, or "ok": false and one string per problem.
 */
static void check_json(char **lines, size_t n)
{
	char *save, *key, *val, *msg;
	bool ok = false, first = false;
	size_t i, np = 0;

	for (i = 0; i < n; i++)
		ok |= !strncmp(lines[i], "ok ", 3);
	printf("{\"ok\": %s", ok ? "true" : "false");
	for (i = 0; ok && i < n; i++) {
		if (strncmp(lines[i], "ok ", 3))
			continue;
		strtok_r(lines[i], "\t\n ", &save);
		while ((key = strtok_r(NULL, "\t\n ", &save)) &&
		       (val = strtok_r(NULL, "\t\n ", &save)))
			json_member(key, val, &first);
		break;
	}
	printf(", \"problems\": [");
	for (i = 0; !ok && i < n; i++) {
		lines[i][strcspn(lines[i], "\n")] = '\0';
		msg = lines[i];
		if (!strncmp(msg, "FAIL ", 5))
			msg += 5;
		printf("%s", np++ ? ", " : "");
		json_str(stdout, msg);
	}
	printf("]}\n");
}

int cmd_check(struct mobjctl *ctl, int argc, char **argv)
{
	char *line = NULL, **lines = NULL, **more;
	size_t len = 0, n = 0, i;
	bool ok = false;
	FILE *f;

	f = plain_fopen(ctl, argc, argv, "check");
	if (!f)
		return EXIT_FAILURE;
	while (getline(&line, &len, f) > 0) {
		ok |= !strncmp(line, "ok ", 3);
		if (!ctl->json) {
			fputs(line, stdout);
			continue;
		}
		more = realloc(lines, (n + 1) * sizeof(*lines));
		if (!more)
			return fail("out of memory");
		lines = more;
		lines[n] = strdup(line);
		if (!lines[n])
			return fail("out of memory");
		n++;
	}
	free(line);
	if (debugfs_fclose(ctl, "check", f))
		return EXIT_FAILURE;
	if (ctl->json)
		check_json(lines, n);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int name_error(struct mobjctl *ctl, int err, const char *name)
{
	switch (err) {
	case EINVAL:
		return fail("invalid type name '%s': 1-%d characters from A-Za-z0-9_.:<>-",
			    name, MOBJ_TYPE_NAME_MAX - 1);
	case ENOSPC:
		return fail("%s: too many named types (at most 4096)",
			    ctl->device);
	case ENOTTY:
		return fail("%s: this mobj module has no MOBJ_TYPE_NAME",
			    ctl->device);
	default:
		return fail("%s: MOBJ_TYPE_NAME: %s", ctl->device,
			    strerror(err));
	}
}

int cmd_name(struct mobjctl *ctl, int argc, char **argv)
{
	char name[MOBJ_TYPE_NAME_MAX] = "";
	const char *set = NULL;
	int first, fd, ret;
	__u32 type;

	first = plain_opts(ctl, argc, argv);
	if (first >= argc || argc - first > 2)
		usage_error(argv[0], "expected TYPE [NAME]");
	if (parse_u32(argv[first], &type))
		usage_error(argv[0], "type '%s' is not a number", argv[first]);
	if (first + 1 < argc) {
		set = argv[first + 1];
		if (strlen(set) >= MOBJ_TYPE_NAME_MAX)
			return name_error(ctl, EINVAL, set);
	}
	fd = device_open(ctl);
	if (fd < 0)
		return EXIT_FAILURE;
	if (set)
		ret = mobj_type_name_set(fd, type, set);
	else
		ret = mobj_type_name_get(fd, type, name, sizeof(name));
	close(fd);
	if (ret < 0)
		return name_error(ctl, -ret, set ? set : name);
	if (!set)
		printf("%s\n", name[0] ? name : "(no name)");
	return EXIT_SUCCESS;
}
