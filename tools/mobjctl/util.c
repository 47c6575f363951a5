// SPDX-License-Identifier: GPL-2.0
/*
 * mobjctl helpers: one-line errors that say what to do, the device and its
 * debugfs directory, option and number parsing, JSON strings.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "mobjctl.h"

#define DEBUGFS_MAGIC	0x64626720

/* Print "mobjctl: <message>" on one line; return the failure exit code. */
int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("mobjctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

void usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("mobjctl: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try 'mobjctl %s%s--help')\n", cmd ? cmd : "",
		cmd ? " " : "");
	exit(EXIT_USAGE);
}

/* --json, --device, --help and getopt's complaints, for every command. */
void common_opt(struct mobjctl *ctl, const char *name, int c)
{
	const struct mobjctl_cmd *cmd = cmd_find(name);

	switch (c) {
	case 'j':
		if (!cmd->json)
			usage_error(name, "--json is not supported here");
		ctl->json = true;
		return;
	case 'D':
		ctl->device = optarg;
		ctl->debugfs[0] = '\0';
		return;
	case 'h':
		cmd_help(cmd, stdout);
		exit(EXIT_SUCCESS);
	default:
		usage_error(name, "option '%s' is unknown or needs a value",
			    ctl->argv[optind - 1]);
	}
}

bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* A decimal number from 0 to @max; -EINVAL otherwise. */
int parse_u64(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (!is_number(s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end || *v > max)
		return -EINVAL;
	return 0;
}

int parse_u32(const char *s, unsigned int *v)
{
	unsigned long long n;
	int ret = parse_u64(s, UINT_MAX, &n);

	if (!ret)
		*v = n;
	return ret;
}

bool module_loaded(void)
{
	return !access("/sys/module/mobj", F_OK);
}

int device_error(struct mobjctl *ctl, int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		if (!module_loaded())
			return fail("%s: no such device: the mobj module is not loaded (insmod mobj.ko, or modprobe mobj)",
				    ctl->device);
		return fail("%s: no such device (mobj is loaded; /dev/mobjN exists when it is loaded with devices=N+1)",
			    ctl->device);
	case EACCES:
	case EPERM:
		return fail("%s: permission denied: run as root (the device is mode 0600 unless mobj is loaded with dev_mode=0666)",
			    ctl->device);
	default:
		return fail("%s: %s", ctl->device, strerror(err));
	}
}

/* Open the device; on failure say why and return -1. */
int device_open(struct mobjctl *ctl)
{
	int fd = mobj_dev_open_path(ctl->device);

	if (fd < 0) {
		device_error(ctl, -fd);
		return -1;
	}
	return fd;
}

/*
 * /dev/mobj's files are in /sys/kernel/debug/mobj/, those of /dev/mobjN in
 * /sys/kernel/debug/mobj/mobjN/.
 */
static int debugfs_path(struct mobjctl *ctl)
{
	char real[PATH_MAX], *name;
	const char *p = ctl->device;

	if (realpath(ctl->device, real))
		p = real;
	strncpy(real, p, sizeof(real) - 1);
	real[sizeof(real) - 1] = '\0';
	name = basename(real);
	if (!strcmp(name, "mobj")) {
		snprintf(ctl->debugfs, sizeof(ctl->debugfs), "%s/mobj",
			 DEBUGFS_DIR);
		return 0;
	}
	if (strncmp(name, "mobj", 4) || !is_number(name + 4))
		return fail("%s: not a mobj device name (/dev/mobj or /dev/mobjN)",
			    ctl->device);
	snprintf(ctl->debugfs, sizeof(ctl->debugfs), "%s/mobj/%s",
		 DEBUGFS_DIR, name);
	return 0;
}

int debugfs_error(struct mobjctl *ctl, const char *file, int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return fail("%s/%s: permission denied: debugfs is for root only (run mobjctl as root)",
			    ctl->debugfs, file);
	case ENOENT:
		if (!module_loaded())
			return fail("%s: missing: the mobj module is not loaded (insmod mobj.ko, or modprobe mobj)",
				    ctl->debugfs);
		return fail("%s/%s: missing (is %s a device of this mobj module?)",
			    ctl->debugfs, file, ctl->device);
	default:
		return fail("%s/%s: %s", ctl->debugfs, file, strerror(err));
	}
}

/* Find the device's debugfs directory; on failure say why, return 1. */
int debugfs_dir(struct mobjctl *ctl)
{
	struct statfs sfs;

	if (ctl->debugfs[0])
		return 0;
	if (statfs(DEBUGFS_DIR, &sfs) || sfs.f_type != DEBUGFS_MAGIC)
		return fail("debugfs is not mounted on %s: mount -t debugfs none %s",
			    DEBUGFS_DIR, DEBUGFS_DIR);
	return debugfs_path(ctl);
}

/* Open one of the device's debugfs files; -1 after saying why not. */
int debugfs_open(struct mobjctl *ctl, const char *file, int flags)
{
	char path[MOBJCTL_PATH_MAX + 32];
	int fd;

	if (debugfs_dir(ctl))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", ctl->debugfs, file);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0) {
		debugfs_error(ctl, file, errno);
		return -1;
	}
	return fd;
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* ------------------------------------------------------------------ */
/* Tables: rows kept until all are in, then printed in aligned columns. */

void table_init(struct table *t, unsigned int ncols,
		const char *const *heads, const char *align)
{
	*t = (struct table) { .ncols = ncols, .heads = heads, .align = align };
}

/* Copy a row of t->ncols cells; -ENOMEM when out of memory. */
int table_row(struct table *t, const char *const *cells)
{
	unsigned int i;
	char **v;

	if (t->rows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		v = realloc(t->cells, t->cap * t->ncols * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->cells = v;
	}
	v = t->cells + t->rows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		v[i] = strdup(cells[i]);
		if (!v[i]) {
			while (i--)
				free(v[i]);
			return -ENOMEM;
		}
	}
	t->rows++;
	return 0;
}

static void table_line(const struct table *t, const char *const *cells,
		       const size_t *width, FILE *f)
{
	unsigned int i;

	for (i = 0; i < t->ncols; i++) {
		bool last = i + 1 == t->ncols;

		if (t->align[i] == 'r')
			fprintf(f, "%*s", (int)width[i], cells[i]);
		else
			fprintf(f, "%-*s", last ? 0 : (int)width[i], cells[i]);
		fputs(last ? "\n" : "  ", f);
	}
}

/* The heads, then the rows: every column as wide as its widest cell. */
void table_print(const struct table *t, FILE *f)
{
	size_t width[TABLE_COLS_MAX] = { 0 }, r;
	unsigned int i;

	for (i = 0; i < t->ncols && i < TABLE_COLS_MAX; i++) {
		width[i] = strlen(t->heads[i]);
		for (r = 0; r < t->rows; r++)
			if (strlen(t->cells[r * t->ncols + i]) > width[i])
				width[i] = strlen(t->cells[r * t->ncols + i]);
	}
	table_line(t, t->heads, width, f);
	for (r = 0; r < t->rows; r++)
		table_line(t, (const char *const *)t->cells + r * t->ncols,
			   width, f);
}

void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->rows = 0;
	t->cap = 0;
}

/* ------------------------------------------------------------------ */
/*
 * Type names.  The device maps a tag to its name (MOBJ_TYPE_NAME_GET) and
 * a name to its tag (MOBJ_TYPE_NAME_LOOKUP).  A module older than LOOKUP
 * is asked about the tags in turn, from 0 up to TYPE_SCAN_MAX, until every
 * named type of the device (debugfs stats' named_types, when it can be
 * read) has been seen.  What was seen is kept for the next question.
 */
static struct {
	int fd;			/* the device, -1 before the first question */
	bool opened;
	__u32 next;		/* the next tag to ask about */
	bool counted;
	unsigned long named;	/* named types on the device, or ULONG_MAX */
	unsigned long n;
	struct type_entry {
		__u32 tag;
		char name[MOBJ_TYPE_NAME_MAX];
	} *v;
} names = { .fd = -1 };

static int names_fd(struct mobjctl *ctl)
{
	if (!names.opened) {
		names.opened = true;
		names.fd = mobj_dev_open_path(ctl->device);
		if (names.fd < 0)
			names.fd = -1;
	}
	return names.fd;
}

/* The name of @tag now, "" when it has none or cannot be asked. */
const char *type_name_of(struct mobjctl *ctl, __u32 tag, char *name)
{
	int fd = names_fd(ctl);

	name[0] = '\0';
	if (fd >= 0 && mobj_type_name_get(fd, tag, name, MOBJ_TYPE_NAME_MAX) < 0)
		name[0] = '\0';
	return name;
}

/* debugfs stats' named_types, ULONG_MAX when it cannot be read. */
static unsigned long named_types(struct mobjctl *ctl)
{
	char line[MOBJCTL_PATH_MAX + 32];
	unsigned long n = ULONG_MAX;
	FILE *f;
	int fd;

	if (debugfs_dir(ctl))
		return n;
	snprintf(line, sizeof(line), "%s/stats", ctl->debugfs);
	fd = open(line, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return n;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return n;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "named_types %lu", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* Could @name be a type's name (the device's rules)? */
static bool type_name_valid(const char *name)
{
	size_t len = strlen(name);

	return len && len < MOBJ_TYPE_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:<>-") == len;
}

/* A module without MOBJ_TYPE_NAME_LOOKUP: ask the tags in turn. */
static int type_tag_scan(int fd, struct mobjctl *ctl, const char *name,
			 __u32 *tag, bool *complete)
{
	char buf[MOBJ_TYPE_NAME_MAX];
	struct type_entry *v;
	unsigned long i;
	int ret;
	__u32 t;

	if (!names.counted) {
		names.named = named_types(ctl);
		names.counted = true;
	}
	for (i = 0; i < names.n; i++) {
		if (!strcmp(names.v[i].name, name)) {
			*tag = names.v[i].tag;
			return 0;
		}
	}
	while (names.next < TYPE_SCAN_MAX && names.n < names.named) {
		t = names.next++;
		ret = mobj_type_name_get(fd, t, buf, sizeof(buf));
		if (ret < 0)
			return ret;
		if (!buf[0])
			continue;
		v = realloc(names.v, (names.n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		names.v = v;
		v[names.n].tag = t;
		memcpy(v[names.n].name, buf, sizeof(buf));
		names.n++;
		if (!strcmp(buf, name)) {
			*tag = t;
			return 0;
		}
	}
	*complete = names.n >= names.named;
	return -ENOENT;
}

/*
 * The tag named @name: 0 and *@tag, -ENOENT when no tag asked has that
 * name (*@complete: every named type was seen, so none has it), another
 * -errno when the device cannot be asked.
 */
int type_tag_of(struct mobjctl *ctl, const char *name, __u32 *tag,
		bool *complete)
{
	int fd = names_fd(ctl), ret;

	*complete = false;
	if (fd < 0)
		return -ENODEV;
	if (!type_name_valid(name)) {
		*complete = true;
		return -ENOENT;
	}
	ret = mobj_type_name_lookup(fd, name, tag);
	if (ret != -EINVAL) {
		*complete = ret == -ENOENT;
		return ret;
	}
	return type_tag_scan(fd, ctl, name, tag, complete);
}

/*
 * The tag of a type as debugfs prints it: "typeN" is tag N unless N has
 * a name, any other text the tag of that name.  -ENOENT when not found.
 */
int type_tag_parse(struct mobjctl *ctl, const char *type, __u32 *tag)
{
	char name[MOBJ_TYPE_NAME_MAX];
	bool complete;

	if (!strncmp(type, "type", 4) && !parse_u32(type + 4, tag) &&
	    !type_name_of(ctl, *tag, name)[0])
		return 0;
	return type_tag_of(ctl, type, tag, &complete);
}
