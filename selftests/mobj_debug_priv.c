// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_debug_priv: privilege and isolation (debug kernel; run as root, it
 * switches to uid/gid 65534 in child processes).
 *
 * Who may open the device: /dev/mobj has the mode of the dev_mode module
 * parameter (default 0600, root only; "modprobe mobj dev_mode=0666" lets
 * everyone in).  An unprivileged process cannot open it under 0600
 * (EACCES), can once it is 0666 (the test chmods it and puts the mode back)
 * and can then use every command.  debugfs (/sys/kernel/debug/mobj/) and
 * the module parameters stay root's.
 *
 * What a handle means: a handle number names an object in one open file.
 * A process that shares the open file, a forked child or a process that
 * received the file descriptor over a Unix socket (SCM_RIGHTS), even one
 * that could not open the device itself, sees the same handles; a
 * separately opened file does not: there the number is unknown (ENOENT)
 * or names that file's own object.
 *
 * No output carries a kernel address: every ioctl's result struct, every
 * death notice, every debugfs file, the module parameters, the fdinfo and
 * the mobj trace events are scanned for 64-bit values in the kernel's half
 * of the address space (written in hex or in decimal).
 */
#include "mobj_test.h"

#include <stdarg.h>

#include <ctype.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define TRACING		"/sys/kernel/tracing/"

/* Kernel addresses */

static bool kernel_value(__u64 v)
{
	return v >= 0xffff800000000000ULL && v != ~0ULL;
}

/* Every 8-byte window at a 4-byte step of @p. */
static int scan_binary(const void *p, size_t len, const char *what)
{
	const __u8 *b = p;
	size_t i;
	__u64 v;

	for (i = 0; i + 8 <= len; i += 4) {
		memcpy(&v, b + i, 8);
		if (kernel_value(v)) {
			mobj_note("priv: %s: %#llx at offset %zu\n", what,
				       (unsigned long long)v, i);
			return 1;
		}
	}
	return 0;
}

/* Hex numbers of 12 or more digits and decimal numbers, in text. */
static int scan_text(const char *t, const char *what)
{
	const char *p = t;
	char *end;
	__u64 v;
	int hits = 0;

	while (*p) {
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			v = strtoull(p + 2, &end, 16);
			if (kernel_value(v)) {
				mobj_note("priv: %s: %.40s\n", what, p);
				hits++;
			}
			p = end > p + 2 ? end : p + 2;
			continue;
		}
		if (isxdigit((unsigned char)*p)) {
			const char *s = p;
			bool hex = false;

			while (isxdigit((unsigned char)*p)) {
				hex |= !isdigit((unsigned char)*p);
				p++;
			}
			if (p - s >= 12 && p - s <= 16) {
				char num[17] = "";

				memcpy(num, s, p - s);
				v = strtoull(num, NULL, 16);
				if (kernel_value(v)) {
					mobj_note("priv: %s: hex %s\n",
						       what, num);
					hits++;
				}
			}
			if (!hex && p - s >= 19) {
				v = strtoull(s, NULL, 10);
				if (kernel_value(v)) {
					mobj_note("priv: %s: decimal %.20s\n",
						       what, s);
					hits++;
				}
			}
			continue;
		}
		p++;
	}
	return hits;
}

FIXTURE(priv) {
	struct mobj_counts base;
	mode_t mode;
	bool ready;
	bool chmodded;
};

FIXTURE_SETUP(priv)
{
	struct stat st;

	self->ready = false;
	self->chmodded = false;
	MOBJ_BASE_COUNTS_OR_SKIP(&self->base);
	if (getuid())
		SKIP_SETUP("must run as root, to become uid %d", MOBJ_NOBODY);
	ASSERT_EQ(0, stat(MOBJ_DEV_PATH, &st));
	self->mode = st.st_mode & 07777;
	self->ready = true;
}

/* The peers' cycles are collected before the counts are compared. */
static int collect_all(int fd)
{
	int ret = mobj_gc_collect(fd, 2, NULL);

	return ret < 0 ? ret : 0;
}

FIXTURE_TEARDOWN(priv)
{
	if (self->chmodded)
		EXPECT_EQ(0, chmod(MOBJ_DEV_PATH, self->mode));
	if (!self->ready)
		return;
	mobj_teardown_base(_metadata, &self->base, collect_all);
}

/* The device node has the mode dev_mode says, root's by default. */
TEST_F(priv, dev_mode)
{
	unsigned long long mode;
	struct stat st;

	ASSERT_EQ(0, mobj_param_read("dev_mode", &mode));
	ASSERT_EQ(0, stat(MOBJ_DEV_PATH, &st));
	mobj_note("priv: dev_mode %#llo, %s is %#o uid %u gid %u\n",
		       mode, MOBJ_DEV_PATH, st.st_mode & 07777, st.st_uid,
		       st.st_gid);
	EXPECT_EQ(mode, st.st_mode & 0777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	/* it is read-only: the mode is chosen at load time */
	EXPECT_NE(0, mobj_param_write_str("dev_mode", "0666"));
}

static int open_errno(void *arg)
{
	int fd = open(MOBJ_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno;
}

/* The whole core of the interface, as an unprivileged user. */
static int unprivileged_work(void *arg)
{
	struct mobj_event ev[4];
	struct mobj_info info;
	__u32 a, b, d, w, h;
	int fd, ret;

	fd = mobj_dev_open();
	if (fd < 0)
		return 10;
	ret = mobj_new(fd, 1, "user", 4, &a, NULL);
	ret = ret ?: mobj_new(fd, 2, NULL, 0, &b, NULL);
	ret = ret ?: mobj_slot_append(fd, a, b, NULL);
	ret = ret ?: mobj_slot_append(fd, b, a, NULL);
	ret = ret ?: mobj_dup(fd, a, &d);
	ret = ret ?: mobj_info(fd, d, &info);
	ret = ret ?: mobj_weakref(fd, a, &w);
	ret = ret ?: mobj_watch(fd, a, 42);
	ret = ret ?: mobj_handle_close(fd, a);
	ret = ret ?: mobj_handle_close(fd, b);
	ret = ret ?: mobj_handle_close(fd, d);
	if (ret)
		return 11;
	if (mobj_gc_collect(fd, 2, NULL) < 2)
		return 12;
	if (mobj_weakref_get(fd, w, &h) != -ESTALE)
		return 13;
	if (mobj_read_events(fd, ev, 4) != 1 || ev[0].cookie != 42 ||
	    ev[0].reason != MOBJ_EVENT_CYCLE)
		return 14;
	close(fd);
	return 0;
}

TEST_F(priv, unprivileged_open)
{
	/* 0600 root: no */
	ASSERT_EQ(0, chmod(MOBJ_DEV_PATH, 0600));
	self->chmodded = true;
	EXPECT_EQ(EACCES, mobj_as_nobody(open_errno, NULL));
	/* 0666: yes, and everything works */
	ASSERT_EQ(0, chmod(MOBJ_DEV_PATH, 0666));
	EXPECT_EQ(0, mobj_as_nobody(open_errno, NULL));
	EXPECT_EQ(0, mobj_as_nobody(unprivileged_work, NULL));
	/* and back to the module's mode: no again */
	ASSERT_EQ(0, chmod(MOBJ_DEV_PATH, self->mode));
	self->chmodded = false;
	if (!(self->mode & 06))
		EXPECT_EQ(EACCES, mobj_as_nobody(open_errno, NULL));
}

static int debugfs_denied(void *arg)
{
	static const char *const files[] = {
		MOBJ_DEBUGFS "stats", MOBJ_DEBUGFS "objects", MOBJ_DEBUGFS "types",
		MOBJ_DEBUGFS "garbage", MOBJ_DEBUGFS "check", MOBJ_DEBUGFS "graph",
	};
	char buf[64];
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		fd = open(files[i], O_RDONLY);
		if (fd >= 0 || errno != EACCES)
			return 20 + i;
	}
	fd = open(MOBJ_DEBUGFS "graph", O_WRONLY);
	if (fd >= 0 || errno != EACCES)
		return 30;
	/* nor the module parameters */
	if (mobj_write_text(MOBJ_PARAM_DIR "objects_max", "1") != -EACCES)
		return 31;
	if (mobj_read_text(MOBJ_PARAM_DIR "objects_max", buf, sizeof(buf)) < 0)
		return 32;	/* reading them is fine (0644) */
	/* nor unloading the module */
	if (!syscall(SYS_delete_module, "mobj", O_NONBLOCK) || errno != EPERM)
		return 33;
	return 0;
}

TEST_F(priv, debugfs_and_params_denied)
{
	if (access(MOBJ_DEBUGFS "stats", R_OK))
		SKIP(return, "no %s", MOBJ_DEBUGFS);
	EXPECT_EQ(0, mobj_as_nobody(debugfs_denied, NULL));
}

/* Handles across clients, fork and SCM_RIGHTS */

/* What the receiver of the fd found, for the parent to check. */
struct peer_report {
	int open_own;		/* its own open() of the device (errno) */
	int info_rc;		/* INFO(h) through the received fd */
	__u64 id;		/* ... the object's id */
	__u8 data[8];		/* ... its payload */
	__u32 made;		/* a handle it made through the received fd */
	int own_info_rc;	/* INFO(h) through its own open file */
	__u64 own_id;
};

struct peer {
	int sock;
	__u32 h;
	struct peer_report *rep;
};

/* The receiver: forked before the device was opened, runs as nobody. */
static int peer_main(void *arg)
{
	struct peer *p = arg;
	struct peer_report *r = p->rep;
	struct mobj_info info;
	int fd, own;

	fd = mobj_recv_fd(p->sock);
	if (fd < 0)
		return 40;
	r->info_rc = mobj_info(fd, p->h, &info);
	r->id = info.id;
	mobj_data_read(fd, p->h, 0, r->data, sizeof(r->data), NULL);
	if (mobj_new(fd, 0x77, NULL, 0, &r->made, NULL))
		return 41;
	own = mobj_dev_open();
	r->open_own = own < 0 ? -own : 0;
	if (own >= 0) {
		r->own_info_rc = mobj_info(own, p->h, &info);
		r->own_id = info.id;
		close(own);
	}
	close(fd);
	return 0;
}

/*
 * Fork the peer: as nobody, it reads the handle number from its end of
 * @sv, then runs peer_main().  Returns its pid, or -1.
 */
static pid_t peer_fork(struct peer *p, int sv[2])
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid)
		return pid < 0 ? -1 : pid;
	close(sv[0]);
	if (mobj_become_nobody())
		_exit(100);
	if (read(sv[1], &p->h, sizeof(p->h)) != sizeof(p->h))
		_exit(101);
	_exit(peer_main(p));
}

TEST_F_TIMEOUT(priv, handles_per_open_file, 120)
{
	struct peer_report *rep;
	struct mobj_info ia, ib, ic;
	struct peer p;
	int sv[2], fd_a, fd_b, status;
	__u32 h, hb, hc;
	pid_t pid;

	rep = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	memset(rep, 0, sizeof(*rep));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));

	/* The receiver exists before the device is opened: it inherits no fd. */
	ASSERT_EQ(0, chmod(MOBJ_DEV_PATH, 0600));
	self->chmodded = true;
	p = (struct peer){ .sock = sv[1], .rep = rep };
	pid = peer_fork(&p, sv);
	ASSERT_LE(0, pid);
	close(sv[1]);

	fd_a = mobj_dev_open();
	ASSERT_LE(0, fd_a);
	ASSERT_EQ(0, mobj_new(fd_a, 0x71, "secret", 6, &h, NULL));
	ASSERT_EQ(0, mobj_info(fd_a, h, &ia));

	/* a separately opened file: the number means nothing, or another */
	fd_b = mobj_dev_open();
	ASSERT_LE(0, fd_b);
	EXPECT_ERRNO(ENOENT, mobj_info(fd_b, h, &ib));
	ASSERT_EQ(0, mobj_new(fd_b, 0x72, NULL, 0, &hb, NULL));
	if (hb == h) {
		ASSERT_EQ(0, mobj_info(fd_b, h, &ib));
		EXPECT_NE(ia.id, ib.id);
		EXPECT_EQ(0x72, ib.type);
	}
	EXPECT_ERRNO(ENOENT, mobj_handle_close(fd_b, h + 1000));
	ASSERT_EQ(0, mobj_info(fd_a, h, &ic));
	EXPECT_EQ(1, ic.refcount);

	/* a forked child: the same open file, the same handles */
	fflush(stdout);
	pid_t child = fork();

	ASSERT_LE(0, child);
	if (!child) {
		struct mobj_info ci;
		__u32 made;

		if (mobj_info(fd_a, h, &ci) || ci.id != ia.id)
			_exit(250);
		if (mobj_new(fd_a, 0x73, NULL, 0, &made, NULL))
			_exit(251);
		_exit(made < 250 ? made : 252);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	hc = WEXITSTATUS(status);
	ASSERT_GT(250, hc) TH_LOG("the child failed: %u", hc);
	ASSERT_EQ(0, mobj_info(fd_a, hc, &ic));
	EXPECT_EQ(0x73, ic.type);	/* made by the child, seen here */

	/* SCM_RIGHTS: the same open file, the same handles */
	ASSERT_EQ(sizeof(h), write(sv[0], &h, sizeof(h)));
	ASSERT_EQ(0, mobj_send_fd(sv[0], fd_a));
	ASSERT_CHILD_EXIT(pid, 0);
	EXPECT_EQ(0, rep->info_rc);
	EXPECT_EQ(ia.id, rep->id);
	EXPECT_EQ(0, memcmp(rep->data, "secret", 6));
	/* it could not open the device itself, but used the passed file */
	EXPECT_EQ(EACCES, rep->open_own);
	ASSERT_EQ(0, mobj_info(fd_a, rep->made, &ic));
	EXPECT_EQ(0x77, ic.type);

	/* and with the device open to it, its own file is another client */
	ASSERT_EQ(0, chmod(MOBJ_DEV_PATH, 0666));
	memset(rep, 0, sizeof(*rep));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	p.sock = sv[1];
	pid = peer_fork(&p, sv);
	ASSERT_LE(0, pid);
	close(sv[1]);
	ASSERT_EQ(sizeof(h), write(sv[0], &h, sizeof(h)));
	ASSERT_EQ(0, mobj_send_fd(sv[0], fd_a));
	ASSERT_CHILD_EXIT(pid, 0);
	EXPECT_EQ(0, rep->open_own);
	EXPECT_EQ(ia.id, rep->id);
	EXPECT_TRUE(rep->own_info_rc == -ENOENT || rep->own_id != ia.id);
	close(sv[0]);
	close(fd_b);
	close(fd_a);
	munmap(rep, 4096);
}

/*
 * Saved garbage is one list per device: MOBJ_GC_GARBAGE hands any client
 * handles to any client's garbage.  Reported, not failed: it is the
 * semantics of gc.garbage, and the header does not promise otherwise.
 */
TEST_F(priv, saved_garbage_crosses_clients)
{
	struct mobj_info info;
	__u32 a, b, hs[8], filled, i;
	int fd_a, fd_b, n;
	char data[8] = "";
	bool seen = false;

	fd_a = mobj_dev_open();
	fd_b = mobj_dev_open();
	ASSERT_LE(0, fd_a);
	ASSERT_LE(0, fd_b);
	ASSERT_EQ(0, mobj_gc_set_debug(fd_a, MOBJ_GC_DEBUG_SAVEALL));
	ASSERT_EQ(0, mobj_new(fd_a, 0x81, "private", 7, &a, NULL));
	ASSERT_EQ(0, mobj_new(fd_a, 0x82, NULL, 0, &b, NULL));
	ASSERT_EQ(0, mobj_slot_append(fd_a, a, b, NULL));
	ASSERT_EQ(0, mobj_slot_append(fd_a, b, a, NULL));
	ASSERT_EQ(0, mobj_handle_close(fd_a, a));
	ASSERT_EQ(0, mobj_handle_close(fd_a, b));
	ASSERT_LE(2, mobj_gc_collect(fd_a, 2, NULL));
	n = mobj_gc_garbage(fd_b, hs, 8, MOBJ_GC_GARBAGE_CLEAR, &filled);
	ASSERT_LE(0, n);
	for (i = 0; i < filled; i++) {
		if (!mobj_info(fd_b, hs[i], &info) && info.type == 0x81 &&
		    mobj_data_read(fd_b, hs[i], 0, data, 7, NULL) == 7 &&
		    !memcmp(data, "private", 7))
			seen = true;
		mobj_handle_close(fd_b, hs[i]);
	}
	/*
	 * Root sees every client's saved garbage; without privilege a client
	 * sees only its own (mobj_tenancy).
	 */
	EXPECT_TRUE(seen);
	EXPECT_EQ(0, mobj_gc_set_debug(fd_a, 0));
	close(fd_a);
	close(fd_b);
}

/* Kernel addresses: in every output there is */

static int type_name(int fd, __u32 type, const char *name)
{
	struct mobj_type_name tn = { .size = sizeof(tn), .type = type };

	strncpy(tn.name, name, sizeof(tn.name) - 1);
	return mobj_raw(fd, MOBJ_TYPE_NAME, &tn);
}

static int scan_file(const char *path)
{
	static char buf[1 << 16];
	int n = mobj_read_text(path, buf, sizeof(buf));

	if (n < 0)
		return 0;
	return scan_text(buf, path);
}

TEST_F_TIMEOUT(priv, no_kernel_addresses, 120)
{
	static const char *const dbg[] = {
		"stats", "objects", "types", "garbage", "check",
	};
	union mobj_any_cmd u;
	struct mobj_event ev[8];
	__u8 buf[512] __attribute__((aligned(8)));
	char path[256], text[4096];
	__u32 a, b, w, x, hs[8];
	unsigned int i;
	int fd, gfd, hits = 0, n, trace = 0, notices = 0;

	fd = mobj_dev_open();
	ASSERT_LE(0, fd);
	if (!access(TRACING "events/mobj/enable", W_OK) &&
	    !mobj_write_text(TRACING "events/mobj/enable", "1")) {
		mobj_write_text(TRACING "trace", "");
		trace = 1;
	}
	ASSERT_EQ(0, mobj_new(fd, 0x91, "data", 4, &a, NULL));
	ASSERT_EQ(0, mobj_new(fd, 0x92, NULL, 0, &b, NULL));
	ASSERT_EQ(0, mobj_slot_append(fd, a, b, NULL));
	ASSERT_EQ(0, mobj_slot_append(fd, b, a, NULL));
	ASSERT_EQ(0, mobj_weakref(fd, a, &w));
	ASSERT_EQ(0, mobj_watch(fd, b, 5));
	ASSERT_EQ(0, type_name(fd, 0x91, "priv.scan"));
	/* one death notice for sure */
	ASSERT_EQ(0, mobj_new(fd, 0x95, NULL, 0, &x, NULL));
	ASSERT_EQ(0, mobj_watch(fd, x, 6));
	ASSERT_EQ(0, mobj_handle_close(fd, x));

	/* every command's answer */
	for (i = 0; i < ARRAY_SIZE(mobj_cmds); i++) {
		const struct mobj_cmd_desc *d = &mobj_cmds[i];

		if (d->nr == MOBJ_CMD_CLOSE || d->nr == MOBJ_CMD_GC_SET ||
		    d->nr == MOBJ_CMD_GC_FREEZE)
			continue;
		memset(buf, 0, sizeof(buf));
		mobj_fill_cmd(d, &u, a, b, w, buf, 64);
		if (!mobj_raw(fd, d->ioctl, &u) && d->nr == MOBJ_CMD_EXPORT)
			close(u.export.fd);
		hits += scan_binary(&u, d->size, d->name);
		hits += scan_binary(buf, 64, d->name);
	}
	{
		struct mobj_batch_op ops[3] = {
			{ .cmd = MOBJ_CMD_DUP, .handle = a },
			{ .cmd = MOBJ_CMD_GETREFCOUNT,
			  .handle = MOBJ_BATCH_RESULT(0) },
			{ .cmd = MOBJ_CMD_SLOT_GET, .handle = a },
		};
		struct mobj_batch bt = { .size = sizeof(bt), .count = 3,
					 .ops = (__u64)(unsigned long)ops };

		mobj_raw(fd, MOBJ_BATCH, &bt);
		hits += scan_binary(&bt, sizeof(bt), "BATCH");
		hits += scan_binary(ops, sizeof(ops), "BATCH entries");
	}
	{
		struct mobj_type_name tn = { .size = sizeof(tn), .type = 0x91,
					     .flags = MOBJ_TYPE_NAME_GET };

		mobj_raw(fd, MOBJ_TYPE_NAME, &tn);
		hits += scan_binary(&tn, sizeof(tn), "TYPE_NAME");
	}
	/* garbage and death notices */
	ASSERT_EQ(0, mobj_gc_set_debug(fd, MOBJ_GC_DEBUG_SAVEALL));
	ASSERT_EQ(0, mobj_handle_close(fd, a));
	ASSERT_EQ(0, mobj_handle_close(fd, b));
	mobj_gc_collect(fd, 2, NULL);
	n = mobj_gc_garbage(fd, hs, 8, 0, NULL);
	hits += scan_binary(hs, sizeof(hs), "GC_GARBAGE handles");
	for (i = 0; n > 0 && i < (unsigned int)n && i < 8; i++)
		mobj_handle_close(fd, hs[i]);
	ASSERT_EQ(0, mobj_gc_set_debug(fd, 0));
	mobj_gc_garbage(fd, NULL, 0, MOBJ_GC_GARBAGE_CLEAR, NULL);
	/* (no blocking read: handles the commands made may keep them alive) */
	while (poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 0) == 1) {
		n = mobj_read_events(fd, ev, 8);
		if (n <= 0)
			break;
		hits += scan_binary(ev, n * sizeof(ev[0]), "death notices");
		notices += n;
	}

	/* debugfs, parameters, fdinfo, tracing */
	for (i = 0; i < ARRAY_SIZE(dbg); i++) {
		snprintf(path, sizeof(path), MOBJ_DEBUGFS "%s", dbg[i]);
		hits += scan_file(path);
	}
	gfd = open(MOBJ_DEBUGFS "graph", O_RDWR | O_CLOEXEC);
	if (gfd >= 0) {
		__u32 y;
		__u64 id;
		static const char *const q[] = { "refs", "backrefs", "chain" };

		ASSERT_EQ(0, mobj_new(fd, 0x93, NULL, 0, &x, &id));
		ASSERT_EQ(0, mobj_new(fd, 0x94, NULL, 0, &y, NULL));
		ASSERT_EQ(0, mobj_slot_append(fd, y, x, NULL));
		for (i = 0; i < 3; i++) {
			n = snprintf(text, sizeof(text), "%s %llu", q[i],
				     (unsigned long long)id);
			if (write(gfd, text, n) != n)
				continue;
			lseek(gfd, 0, SEEK_SET);
			n = read(gfd, text, sizeof(text) - 1);
			if (n > 0) {
				text[n] = '\0';
				hits += scan_text(text, "graph");
			}
		}
		close(gfd);
		mobj_handle_close(fd, x);
		mobj_handle_close(fd, y);
	}
	for (i = 0; i < 7; i++) {
		static const char *const params[] = {
			"data_max", "slots_max", "objects_max",
			"client_objects_max", "client_handles_max",
			"events_max", "dev_mode",
		};

		snprintf(path, sizeof(path), MOBJ_PARAM_DIR "%s", params[i]);
		hits += scan_file(path);
	}
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	hits += scan_file(path);
	if (trace) {
		static char tbuf[1 << 16];
		char *line, *save;

		mobj_write_text(TRACING "events/mobj/enable", "0");
		if (mobj_read_text(TRACING "trace", tbuf, sizeof(tbuf)) > 0)
			for (line = strtok_r(tbuf, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				if (line[0] != '#')
					hits += scan_text(strstr(line, ": ") ?: line,
							  "trace");
		mobj_write_text(TRACING "trace", "");
	}
	mobj_note("priv: scanned %zu commands, %d death notices, %zu debugfs files, parameters, fdinfo%s\n",
		       ARRAY_SIZE(mobj_cmds) + 1, notices,
		       ARRAY_SIZE(dbg) + 1,
		       trace ? ", trace events" : "");
	EXPECT_EQ(0, hits);
	EXPECT_EQ(0, type_name(fd, 0x91, ""));
	close(fd);
}

TEST_HARNESS_MAIN
