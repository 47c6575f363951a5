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
