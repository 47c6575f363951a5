// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_who: the debugfs "who" file and the module parameter handle_traces.
 *
 * Every handle to an object, in two processes, made by NEW, DUP, SLOT_GET,
 * WEAKREF, WEAKREF_GET, IMPORT and BATCH, with the stack that made it
 * (naming the ioctl's handler) when handle_traces was on and
 * "(not traced)" when it was off; closed handles and files leave the
 * answer; queries that are not a live object's id change nothing.
 *
 * Its own binary, next to mobj_trace (whose fixture it shares), so that it
 * runs on its own in a few seconds.  The fixture restores handle_traces.
 */
#include "mobj_test.h"
#include "mobj_trace_util.h"

#include <sys/wait.h>

/* who: every handle to an object, and where it was made */

/* The who file's answer about @id; NULL (errno set) on error. */
static char *who_read(__u64 id)
{
	char q[32], *s = NULL;
	int fd, ret;

	fd = open(DBG_DIR "/who", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	snprintf(q, sizeof(q), "%llu\n", (unsigned long long)id);
	ret = graph_query(fd, q);
	if (!ret)
		s = graph_answer(fd);
	else
		errno = -ret;
	close(fd);
	return s;
}

/*
 * The stack under the entry "CLIENT @pid COMM @h @kind" of a who answer
 * (its indented lines, joined), or NULL when there is no such entry.
 */
static char *who_entry(const char *text, int pid, __u32 h, const char *kind)
{
	const char *line = text, *end, *stack;
	unsigned long long client;
	char comm[32], k[16];
	unsigned int hh;
	int p;

	for (; *line; line = end + (*end == '\n')) {
		end = strchrnul(line, '\n');
		if (*line == '#' || *line == ' ')
			continue;
		if (sscanf(line, "%llu %d %31s %u %15s", &client, &p, comm, &hh,
			   k) != 5 || p != pid || hh != h || strcmp(k, kind))
			continue;
		stack = end + (*end == '\n');
		for (end = stack; !strncmp(end, "    ", 4);)
			end = strchrnul(end, '\n') + 1;
		return strndup(stack, end - stack);
	}
	return NULL;
}

/* The entry must be there, its stack naming @fn ("": not traced). */
#define EXPECT_WHO(text, pid, h, kind, fn) do { \
	const char *__fn = (fn); \
	char *__st = who_entry(text, pid, h, kind); \
	EXPECT_NE(NULL, __st) TH_LOG("no %s handle %u of pid %d in:\n%s", \
				     kind, h, pid, text); \
	if (__st && *__fn) \
		EXPECT_NE(NULL, strstr(__st, __fn)) \
			TH_LOG("handle %u: no %s in\n%s", h, __fn, __st); \
	if (__st && !*__fn) \
		EXPECT_STREQ("    (not traced)\n", __st); \
	free(__st); \
} while (0)

/* A second process: imports @objfd, says which handle, waits for EOF. */
static pid_t who_child(int objfd, int *report, int *release)
{
	int up[2], down[2];
	__u32 h = 0;
	pid_t pid;
	char c;
	int fd;

	if (pipe(up) || pipe(down))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(up[0]);
		close(down[1]);
		fd = mobj_dev_open();
		if (fd < 0 || mobj_import(fd, objfd, &h))
			_exit(1);
		if (write(up[1], &h, sizeof(h)) != sizeof(h))
			_exit(1);
		while (read(down[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	*report = up[0];
	*release = down[1];
	return pid;
}

TEST_F_TIMEOUT(trace, who_traces_every_way_of_making_a_handle,
	       SLOW_TEST_TIMEOUT)
{
	struct mobj_batch_op op = {
		.cmd = MOBJ_CMD_DUP,
	};
	__u32 a, b, d, s, w, wg, ch;
	int objfd, report, release;
	int me = getpid(), status;
	pid_t child;
	__u64 id;
	char *t;

	PARAM_SET_OR_SKIP(&self->params, "handle_traces", 1);
	a = TNEW(T_OBJ, "who", &id);
	b = TNEW(T_OBJ, NULL, NULL);
	TAPPEND(b, a);
	ASSERT_EQ(0, mobj_dup(self->fd, a, &d));
	ASSERT_EQ(0, mobj_slot_get(self->fd, b, 0, &s));
	ASSERT_EQ(0, mobj_weakref(self->fd, a, &w));
	ASSERT_EQ(0, mobj_weakref_get(self->fd, w, &wg));
	op.handle = a;
	ASSERT_EQ(0, mobj_batch(self->fd, &op, 1, NULL));
	ASSERT_EQ(0, mobj_export(self->fd, a, &objfd));
	child = who_child(objfd, &report, &release);
	ASSERT_LT(0, child);
	close(objfd);
	ASSERT_EQ(sizeof(ch), read(report, &ch, sizeof(ch)));

	t = who_read(id);
	ASSERT_NE(NULL, t);
	EXPECT_NE(NULL, strstr(t, "# client pid comm handle kind\n"));
	EXPECT_WHO(t, me, a, "strong", "mobj_ioctl_new");
	EXPECT_WHO(t, me, d, "strong", "mobj_ioctl_dup");
	EXPECT_WHO(t, me, s, "strong", "mobj_ioctl_slot_get");
	EXPECT_WHO(t, me, w, "weak", "mobj_ioctl_weakref");
	EXPECT_WHO(t, me, wg, "strong", "mobj_ioctl_weakref_get");
	EXPECT_WHO(t, me, (__u32)op.result, "strong", "mobj_ioctl_batch");
	EXPECT_WHO(t, child, ch, "strong", "mobj_ioctl_import");
	/* The handles to b are not a's. */
	EXPECT_EQ(NULL, who_entry(t, me, b, "strong"));
	free(t);

	/* A closed handle and a closed file are gone from the answer. */
	close(release);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_EQ(0, status);
	close(report);
	ASSERT_EQ(0, mobj_handle_close(self->fd, d));
	t = who_read(id);
	ASSERT_NE(NULL, t);
	EXPECT_EQ(NULL, who_entry(t, me, d, "strong"));
	EXPECT_EQ(NULL, who_entry(t, child, ch, "strong"));
	EXPECT_WHO(t, me, a, "strong", "mobj_ioctl_new");
	free(t);

	ASSERT_EQ(0, mobj_handle_close(self->fd, (__u32)op.result));
	ASSERT_EQ(0, mobj_handle_close(self->fd, wg));
	ASSERT_EQ(0, mobj_handle_close(self->fd, w));
	ASSERT_EQ(0, mobj_handle_close(self->fd, s));
	ASSERT_EQ(0, mobj_handle_close(self->fd, b));
	ASSERT_EQ(0, mobj_handle_close(self->fd, a));
	errno = 0;
	EXPECT_EQ(NULL, who_read(id));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(trace, who_says_not_traced_when_off)
{
	__u32 a, d, d2;
	int me = getpid(), fd;
	__u64 id;
	char *t;

	PARAM_SET_OR_SKIP(&self->params, "handle_traces", 0);
	a = TNEW(T_OBJ, NULL, &id);
	PARAM_SET_OR_SKIP(&self->params, "handle_traces", 1);
	ASSERT_EQ(0, mobj_dup(self->fd, a, &d));
	PARAM_SET_OR_SKIP(&self->params, "handle_traces", 0);
	ASSERT_EQ(0, mobj_dup(self->fd, a, &d2));

	/* Made while on: still traced once the mode is off. */
	t = who_read(id);
	ASSERT_NE(NULL, t);
	EXPECT_WHO(t, me, a, "strong", "");
	EXPECT_WHO(t, me, d, "strong", "mobj_ioctl_dup");
	EXPECT_WHO(t, me, d2, "strong", "");
	free(t);

	/* Queries that are not an object's id change nothing. */
	fd = open(DBG_DIR "/who", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	t = graph_answer(fd);
	ASSERT_NE(NULL, t);
	EXPECT_STREQ("# write an object id\n", t);
	free(t);
	EXPECT_EQ(-EINVAL, graph_query(fd, "0"));
	EXPECT_EQ(-EINVAL, graph_query(fd, "x"));
	EXPECT_EQ(-ENOENT, graph_query(fd, "999999999999"));
	t = graph_answer(fd);
	ASSERT_NE(NULL, t);
	EXPECT_STREQ("# write an object id\n", t);
	free(t);
	close(fd);

	ASSERT_EQ(0, mobj_handle_close(self->fd, d2));
	ASSERT_EQ(0, mobj_handle_close(self->fd, d));
	ASSERT_EQ(0, mobj_handle_close(self->fd, a));
}

TEST_HARNESS_MAIN
