// SPDX-License-Identifier: GPL-2.0
/*
 * mobjctl types and growth: live objects per type (objgraph's
 * show_most_common_types and show_growth), through MOBJ_TYPE_COUNTS.
 *
 * Whose objects: a client sees, without privilege, only the objects its
 * own open file made, and mobjctl's own open file has made none.  So:
 *  - with --fd N, the objects of the open file of the device that mobjctl
 *    inherited as descriptor N (the program to look at runs mobjctl with
 *    its descriptor left open: Python's subprocess pass_fds, a shell's
 *    N<&M); no privilege needed;
 *  - without, every client's (MOBJ_TYPE_COUNTS_ALL), which needs
 *    CAP_SYS_ADMIN.  On a module without the command, types falls back
 *    to debugfs "types", root's as before.
 *
 * growth keeps the peak count of each type between runs in a small text
 * file, "TAG PEAK" per line: $XDG_RUNTIME_DIR/mobjctl/, else
 * ~/.cache/mobjctl/, one file per device and per scope (all, or --fd).
 * It prints the types whose count rose above their peak, and saves the
 * new peaks.  --reset forgets them first.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mobjctl.h"

struct type_counts {
	struct mobj_type_count *v;
	int n;
};

/* The counts of descriptor @fd (@all: the whole device); -errno. */
static int counts_get(int fd, bool all, struct type_counts *tc)
{
	__u32 flags = all ? MOBJ_TYPE_COUNTS_ALL : 0;
	struct mobj_type_count *more;
	int n, room = 0;

	tc->v = NULL;
	/* Again with room for all, should types have appeared meanwhile. */
	for (;;) {
		n = mobj_type_counts(fd, tc->v, room, flags, NULL);
		if (n < 0 || n <= room)
			break;
		more = realloc(tc->v, n * sizeof(*more));
		if (!more) {
			n = -ENOMEM;
			break;
		}
		tc->v = more;
		room = n;
	}
	if (n < 0) {
		free(tc->v);
		tc->v = NULL;
		return n;
	}
	tc->n = n;
	return 0;
}

/* Options of types and growth: --fd N, and --reset for growth. */
static void counts_opts(struct mobjctl *ctl, int argc, char **argv,
			int *fdarg, bool *reset)
{
	static const struct option opts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "reset", no_argument, NULL, 'r' },
		COMMON_OPTS
	};
	unsigned int v;
	int c;

	*fdarg = -1;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, opts,
				NULL)) != -1) {
		if (c == 'f') {
			if (parse_u32(optarg, &v) || v > INT_MAX)
				usage_error(argv[0], "--fd '%s' is not a descriptor",
					    optarg);
			*fdarg = v;
		} else if (c == 'r' && reset) {
			*reset = true;
		} else {
			common_opt(ctl, argv[0], c == 'r' ? '?' : c);
		}
	}
	if (optind < argc)
		usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
}

/*
 * The counts asked for: of descriptor @fdarg, or of the whole device.
 * 0, 1 after saying why not, or -ENOTTY (a module without the command).
 */
static int counts_load(struct mobjctl *ctl, const char *cmd, int fdarg,
		       struct type_counts *tc)
{
	int fd = fdarg, ret;

	if (fd < 0) {
		fd = mobj_dev_open_path(ctl->device);
		if (fd == -EACCES || fd == -EPERM)
			return fail("%s: permission denied: every client's types need root; without it, count the objects of an open file of the device with --fd N (mobjctl %s --help)",
				    ctl->device, cmd);
		if (fd < 0)
			return device_error(ctl, -fd);
	}
	ret = counts_get(fd, fdarg < 0, tc);
	if (fdarg < 0)
		close(fd);
	if (ret == -ENOTTY && fdarg < 0)
		return ret;
	if (ret == -EPERM)
		return fail("%s: every client's types need CAP_SYS_ADMIN; without it, count the objects of an open file of the device with --fd N (mobjctl %s --help)",
			    ctl->device, cmd);
	if (ret == -ENOTTY || ret == -EBADF)
		return fail("--fd %d: %s", fdarg, ret == -EBADF ?
			    "not an open descriptor" :
			    "not a mobj device, or a module without MOBJ_TYPE_COUNTS");
	if (ret)
		return fail("%s: MOBJ_TYPE_COUNTS: %s", ctl->device,
			    strerror(-ret));
	return 0;
}

/*
 * A type's name as debugfs prints it: its name, else typeN.  Asked through
 * descriptor @fdarg when there is one: the user may not open the device.
 */
static void type_text(struct mobjctl *ctl, int fdarg, __u32 tag, char *buf,
		      size_t len)
{
	char name[MOBJ_TYPE_NAME_MAX];

	if (fdarg >= 0) {
		if (mobj_type_name_get(fdarg, tag, name, sizeof(name)) < 0)
			name[0] = '\0';
	} else {
		type_name_of(ctl, tag, name);
	}
	if (name[0])
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "type%u", tag);
}

int cmd_types(struct mobjctl *ctl, int argc, char **argv)
{
	static const char *const heads[] = { "TYPE", "TAG", "COUNT" };
	char type[64], tag[16], count[24];
	const char *row[] = { type, tag, count };
	struct type_counts tc;
	struct table t;
	int fdarg, i, rc;

	counts_opts(ctl, argc, argv, &fdarg, NULL);
	rc = counts_load(ctl, "types", fdarg, &tc);
	if (rc == -ENOTTY)
		return types_from_debugfs(ctl);
	if (rc)
		return rc;
	table_init(&t, 3, heads, "lrr");
	if (ctl->json)
		printf("[");
	for (i = 0; i < tc.n; i++) {
		type_text(ctl, fdarg, tc.v[i].type, type, sizeof(type));
		snprintf(tag, sizeof(tag), "%u", tc.v[i].type);
		snprintf(count, sizeof(count), "%llu",
			 (unsigned long long)tc.v[i].count);
		if (ctl->json) {
			printf("%s{\"type\": ", i ? ",\n " : "");
			json_str(stdout, type);
			printf(", \"tag\": %s, \"count\": %s}", tag, count);
		} else if (table_row(&t, row)) {
			rc = fail("out of memory");
			break;
		}
	}
	if (ctl->json)
		printf("]\n");
	else if (!rc)
		table_print(&t, stdout);
	table_free(&t);
	free(tc.v);
	return rc;
}

/* growth's state file for this device and scope, in @path. */
static int growth_path(struct mobjctl *ctl, int fdarg, char *path,
		       size_t len)
{
	const char *base = getenv("XDG_RUNTIME_DIR"), *sub = "mobjctl";
	char dev[MOBJCTL_PATH_MAX], *p;

	if (!base || !*base) {
		base = getenv("HOME");
		sub = ".cache/mobjctl";
	}
	if (!base || !*base)
		return -ENOENT;
	snprintf(dev, sizeof(dev), "%s", ctl->device);
	for (p = dev; *p; p++)
		if (*p == '/')
			*p = '_';
	if (snprintf(path, len, "%s/%s", base, sub) >= (int)len)
		return -ENAMETOOLONG;
	/* Each level, for ~/.cache/mobjctl; only the user may read it. */
	p = path + strlen(base);
	while ((p = strchr(p + 1, '/'))) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	if (snprintf(path + strlen(path), len - strlen(path), "/growth%s.%s",
		     dev, fdarg < 0 ? "all" : "fd") >= (int)(len - strlen(path)))
		return -ENAMETOOLONG;
	return 0;
}

struct growth_row {
	__u32 tag;
	unsigned long long count, delta;
};

static int growth_cmp(const void *a, const void *b)
{
	const struct growth_row *x = a, *y = b;

	if (x->delta != y->delta)
		return x->delta < y->delta ? 1 : -1;
	return x->tag < y->tag ? -1 : x->tag > y->tag;
}

/* The saved peak of @tag in @peaks (n lines of "TAG PEAK"), 0 if none. */
static unsigned long long peak_of(const struct mobj_type_count *peaks, int n,
				  __u32 tag)
{
	int i;

	for (i = 0; i < n; i++)
		if (peaks[i].type == tag)
			return peaks[i].count;
	return 0;
}

static int peaks_load(const char *path, struct mobj_type_count **peaks)
{
	unsigned long long tag, count;
	struct mobj_type_count *more;
	int n = 0, cap = 0;
	FILE *f;

	*peaks = NULL;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fscanf(f, "%llu %llu", &tag, &count) == 2) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			more = realloc(*peaks, cap * sizeof(*more));
			if (!more) {
				fclose(f);
				return -ENOMEM;
			}
			*peaks = more;
		}
		(*peaks)[n].type = tag;
		(*peaks)[n++].count = count;
	}
	fclose(f);
	return n;
}

/* New peaks: the old ones, raised to @tc's counts; written atomically. */
static int peaks_save(const char *path, const struct mobj_type_count *peaks,
		      int npeaks, const struct type_counts *tc)
{
	char tmp[MOBJCTL_PATH_MAX + 8];
	unsigned long long c;
	FILE *f;
	int i;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	for (i = 0; i < tc->n; i++) {
		c = peak_of(peaks, npeaks, tc->v[i].type);
		fprintf(f, "%u %llu\n", tc->v[i].type,
			c > tc->v[i].count ? c : (unsigned long long)tc->v[i].count);
	}
	/* Types with no live object now keep their peak. */
	for (i = 0; i < npeaks; i++) {
		int j;

		for (j = 0; j < tc->n && tc->v[j].type != peaks[i].type; j++)
			;
		if (j == tc->n)
			fprintf(f, "%u %llu\n", peaks[i].type,
				(unsigned long long)peaks[i].count);
	}
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return -errno;
	}
	return 0;
}

int cmd_growth(struct mobjctl *ctl, int argc, char **argv)
{
	static const char *const heads[] = { "TYPE", "TAG", "COUNT", "DELTA" };
	char type[64], tag[16], count[24], delta[24];
	const char *row[] = { type, tag, count, delta };
	struct mobj_type_count *peaks = NULL;
	char path[MOBJCTL_PATH_MAX];
	struct growth_row *rows;
	struct type_counts tc;
	int fdarg, i, n = 0, npeaks, rc;
	bool reset = false;
	struct table t;
	unsigned long long old;

	counts_opts(ctl, argc, argv, &fdarg, &reset);
	rc = growth_path(ctl, fdarg, path, sizeof(path));
	if (rc)
		return fail("growth: no directory for its state ($XDG_RUNTIME_DIR or $HOME/.cache): %s",
			    strerror(-rc));
	if (reset)
		unlink(path);
	rc = counts_load(ctl, "growth", fdarg, &tc);
	if (rc == -ENOTTY)
		return fail("%s: the module has no MOBJ_TYPE_COUNTS",
			    ctl->device);
	if (rc)
		return rc;
	npeaks = peaks_load(path, &peaks);
	if (npeaks < 0) {
		free(tc.v);
		return fail("%s: %s", path, strerror(-npeaks));
	}
	rows = calloc(tc.n ?: 1, sizeof(*rows));
	if (!rows) {
		free(tc.v);
		free(peaks);
		return fail("out of memory");
	}
	for (i = 0; i < tc.n; i++) {
		old = peak_of(peaks, npeaks, tc.v[i].type);
		if (tc.v[i].count > old)
			rows[n++] = (struct growth_row) {
				.tag = tc.v[i].type, .count = tc.v[i].count,
				.delta = tc.v[i].count - old };
	}
	qsort(rows, n, sizeof(*rows), growth_cmp);
	rc = peaks_save(path, peaks, npeaks, &tc);
	if (rc)
		rc = fail("%s: %s", path, strerror(-rc));

	table_init(&t, 4, heads, "lrrr");
	if (ctl->json)
		printf("[");
	for (i = 0; !rc && i < n; i++) {
		type_text(ctl, fdarg, rows[i].tag, type, sizeof(type));
		snprintf(tag, sizeof(tag), "%u", rows[i].tag);
		snprintf(count, sizeof(count), "%llu", rows[i].count);
		snprintf(delta, sizeof(delta), "+%llu", rows[i].delta);
		if (ctl->json) {
			printf("%s{\"type\": ", i ? ",\n " : "");
			json_str(stdout, type);
			printf(", \"tag\": %s, \"count\": %s, \"delta\": %llu}",
			       tag, count, rows[i].delta);
		} else if (table_row(&t, row)) {
			rc = fail("out of memory");
		}
	}
	if (ctl->json)
		printf("]\n");
	else if (!rc && n)
		table_print(&t, stdout);
	table_free(&t);
	free(rows);
	free(peaks);
	free(tc.v);
	return rc;
}
