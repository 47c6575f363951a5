// SPDX-License-Identifier: GPL-2.0
/*
 * mobjctl trace: the mobj tracepoints, live.
 *
 * A tracefs instance of our own (instances/mobjctl-PID) gets the events
 * of system "mobj" enabled, its trace_pipe is printed line by line until
 * SIGINT or SIGTERM (or --count events), then the events are disabled and
 * the instance removed.  The global trace buffer and whoever uses it are
 * left alone.  Types are shown with their names on the --device given:
 * "type=7(list)".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "mobjctl.h"

#define TRACEFS_MAGIC	0x74726163

static const char *const tracefs_dirs[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
	NULL,
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The mounted tracefs, or NULL after saying how to mount it. */
static const char *tracefs_find(void)
{
	struct statfs sfs;
	int i;

	for (i = 0; tracefs_dirs[i]; i++)
		if (!statfs(tracefs_dirs[i], &sfs) &&
		    sfs.f_type == TRACEFS_MAGIC)
			return tracefs_dirs[i];
	fail("tracefs is not mounted: mount -t tracefs nodev /sys/kernel/tracing");
	return NULL;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

struct trace_ctx {
	struct mobjctl *ctl;	/* the device whose type names are shown */
	char inst[PATH_MAX];	/* the instance's directory */
	char path[PATH_MAX + 64];
	unsigned long long count;	/* stop after this many, 0: never */
	unsigned long long seen;
};

static int trace_start(struct trace_ctx *t, const char *tracefs)
{
	struct stat st;
	int err;

	snprintf(t->path, sizeof(t->path), "%s/events/mobj", tracefs);
	if (stat(t->path, &st)) {
		if (errno == EACCES || errno == EPERM)
			return fail("%s: permission denied: tracing is for root only (run mobjctl as root)",
				    tracefs);
		if (!module_loaded())
			return fail("%s: missing: the mobj module is not loaded (insmod mobj.ko, or modprobe mobj)",
				    t->path);
		return fail("%s: %s", t->path, strerror(errno));
	}
	snprintf(t->inst, sizeof(t->inst), "%s/instances/mobjctl-%d",
		 tracefs, (int)getpid());
	if (mkdir(t->inst, 0700))
		return fail("%s: %s", t->inst, strerror(errno));
	snprintf(t->path, sizeof(t->path), "%s/events/mobj/enable", t->inst);
	err = write_file(t->path, "1");
	if (err) {
		fail("%s: %s", t->path, strerror(-err));
		rmdir(t->inst);
		return EXIT_FAILURE;
	}
	return 0;
}

static void trace_stop(struct trace_ctx *t)
{
	snprintf(t->path, sizeof(t->path), "%s/events/mobj/enable", t->inst);
	write_file(t->path, "0");
	if (rmdir(t->inst))
		fail("%s: %s (remove it with rmdir)", t->inst, strerror(errno));
}

/*
 * Print one event line, "type=N" of obj_new and obj_free followed by the
 * tag's name on the device, as "type=N(NAME)", when it has one.
 */
static void trace_line(struct trace_ctx *t, const char *p, size_t len)
{
	char line[1024], name[MOBJ_TYPE_NAME_MAX], *ev, *type, *end;
	unsigned long tag;

	if (len >= sizeof(line))
		goto raw;
	memcpy(line, p, len);
	line[len] = '\0';
	ev = strstr(line, " obj_new: ");
	if (!ev)
		ev = strstr(line, " obj_free: ");
	type = ev ? strstr(ev, " type=") : NULL;
	if (!type)
		goto raw;
	type += 6;
	errno = 0;
	tag = strtoul(type, &end, 10);
	if (end == type || errno || tag > UINT_MAX ||
	    !type_name_of(t->ctl, tag, name)[0])
		goto raw;
	fprintf(stdout, "%.*s(%s)%s", (int)(end - line), line, name, end);
	return;
raw:
	fwrite(p, 1, len, stdout);
}

/* Print the complete lines of @buf; returns how many bytes were used. */
static size_t trace_lines(struct trace_ctx *t, char *buf, size_t len)
{
	char *p = buf, *nl;

	while (!stop && (nl = memchr(p, '\n', buf + len - p))) {
		trace_line(t, p, nl + 1 - p);
		if (fflush(stdout))
			stop = 1;	/* the reader went away */
		p = nl + 1;
		if (t->count && ++t->seen >= t->count)
			stop = 1;
	}
	return p - buf;
}

/* Read trace_pipe until a signal, --count lines or an error. */
static int trace_pump(struct trace_ctx *t, int fd, const sigset_t *waitmask)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[8192];
	size_t have = 0, used;
	ssize_t n;

	while (!stop) {
		if (ppoll(&pfd, 1, NULL, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			return fail("poll: %s", strerror(errno));
		}
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return n ? fail("trace_pipe: %s", strerror(errno)) : 0;
		have += n;
		used = trace_lines(t, buf, have);
		if (!used && have == sizeof(buf))
			used = have;	/* a line longer than the buffer */
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	return 0;
}

static int trace_run(struct trace_ctx *t)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, waitmask;
	int fd, rc;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	snprintf(t->path, sizeof(t->path), "%s/trace_pipe", t->inst);
	fd = open(t->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fail("%s: %s", t->path, strerror(errno));
	fprintf(stderr, "mobjctl: tracing mobj events in %s (Ctrl-C to stop)\n",
		t->inst);
	rc = trace_pump(t, fd, &waitmask);
	close(fd);
	return rc;
}

int cmd_trace(struct mobjctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		COMMON_OPTS
	};
	struct trace_ctx t = { .ctl = ctl };
	char name[MOBJ_TYPE_NAME_MAX];
	const char *tracefs;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:" COMMON_SHORTOPTS, opts,
				NULL)) != -1) {
		if (c != 'c')
			common_opt(ctl, argv[0], c);
		else if (parse_u64(optarg, ULLONG_MAX, &t.count) || !t.count)
			usage_error(argv[0], "--count '%s' is not a positive number",
				    optarg);
	}
	if (optind < argc)
		usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	tracefs = tracefs_find();
	if (!tracefs)
		return EXIT_FAILURE;
	rc = trace_start(&t, tracefs);
	if (rc)
		return rc;
	/* Open the device for the type names now, not at the first event. */
	type_name_of(ctl, 0, name);
	rc = trace_run(&t);
	trace_stop(&t);
	return rc;
}
