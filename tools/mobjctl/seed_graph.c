// SPDX-License-Identifier: GPL-2.0
/*
 * seed_graph: the picture of the demo's seed cycle, before it is freed.
 *
 *	a = list("1"); b = list("2")
 *	a.append(b); b.append(a)
 *	mobjctl graph backrefs a --depth 2 -o FILE	# the picture
 *	del a, b; gc.collect()
 *
 * The handles a and b are this process's, so the picture shows them as
 * the roots of the cycle.  Usage: seed_graph FILE.png|.svg|.dot...
 * (one picture of the same cycle per file), with $MOBJCTL or the mobjctl
 * next to this program.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mobj.h"

#define TYPE_LIST 1	/* seed_cycle's tag for its lists */

static int die(const char *what, int err)
{
	fprintf(stderr, "seed_graph: %s: %s\n", what, strerror(err));
	return 1;
}

/* Name @type, unless it has a name; true when we named it. */
static bool name_if_unnamed(int fd, __u32 type, const char *name)
{
	char old[MOBJ_TYPE_NAME_MAX];

	if (mobj_type_name_get(fd, type, old, sizeof(old)))
		return false;	/* it has one, or the call failed */
	return !mobj_type_name_set(fd, type, name);
}

/* The mobjctl in the directory of this program. */
static void default_mobjctl(char *path, size_t len)
{
	char exe[PATH_MAX - 16], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0) {
		snprintf(path, len, "mobjctl");
		return;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(path, len, "%s/mobjctl", exe);
}

/* mobjctl graph backrefs ID --depth 2 -o FILE, while we hold a and b. */
static int draw(const char *mobjctl, __u64 id, const char *file)
{
	char ids[24];
	int status;
	pid_t pid;

	snprintf(ids, sizeof(ids), "%llu", (unsigned long long)id);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		execl(mobjctl, "mobjctl", "graph", "backrefs", ids, "--depth",
		      "2", "-o", file, (char *)NULL);
		fprintf(stderr, "seed_graph: %s: %s\n", mobjctl,
			strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	char mobjctl[PATH_MAX];
	int fd, ret, i;
	bool named;
	__u32 a, b;
	__u64 id;

	if (argc < 2) {
		fprintf(stderr, "usage: seed_graph FILE.png|.svg|.dot...\n");
		return 2;
	}
	if (getenv("MOBJCTL"))
		snprintf(mobjctl, sizeof(mobjctl), "%s", getenv("MOBJCTL"));
	else
		default_mobjctl(mobjctl, sizeof(mobjctl));
	fd = mobj_dev_open();
	if (fd < 0)
		return die(MOBJ_DEV_PATH " (is mobj.ko loaded?)", -fd);
	named = name_if_unnamed(fd, TYPE_LIST, "list");

	ret = mobj_new(fd, TYPE_LIST, "1", 1, &a, &id);
	if (!ret)
		ret = mobj_new(fd, TYPE_LIST, "2", 1, &b, NULL);
	if (!ret)
		ret = mobj_slot_append(fd, a, b, NULL);
	if (!ret)
		ret = mobj_slot_append(fd, b, a, NULL);
	if (ret)
		return die("building the cycle", -ret);
	for (i = 1; !ret && i < argc; i++)
		ret = draw(mobjctl, id, argv[i]);

	/* del a, b; gc.collect(): leave the heap as we found it. */
	mobj_handle_close(fd, a);
	mobj_handle_close(fd, b);
	mobj_gc_collect(fd, 2, NULL);
	if (named)
		mobj_type_name_set(fd, TYPE_LIST, "");
	mobj_dev_close(fd);
	return ret ? 1 : 0;
}
