// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_hardening: regression tests for the defects an adversarial review
 * found (issue "Hardening").  Each test is named after its defect.  The
 * races are held open on purpose: a command's answer buffer sits on a
 * userfaultfd write-protected page, so the command stops in the middle
 * (handle reserved, gc_mutex released or not, ...) for as long as the
 * test needs; the others run tight loops with a time bound.
 *
 * Run as root (debugfs, module parameters, userfaultfd of kernel faults).
 */
#include <linux/userfaultfd.h>
#include <stdatomic.h>

#include "mobj_test.h"

#define DBG_GRAPH	"/sys/kernel/debug/mobj/graph"

MOBJ_BASE_FIXTURE(hardening);

/* Write a graph query, read the answer from the same file. */
static ssize_t graph_query(const char *query, char *buf, size_t len)
{
	ssize_t ret;
	int fd;

	fd = open(DBG_GRAPH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, query, strlen(query)) < 0)
		ret = -errno;
	else if (lseek(fd, 0, SEEK_SET) < 0)
		ret = -errno;
	else
		ret = mobj_read_fd(fd, buf, len);
	close(fd);
	return ret;
}

/*
 * A page whose writes stop in the kernel until the test lets them go:
 * write-protected through userfaultfd.  Reads go through.
 */
struct uffd_page {
	int uffd;
	__u8 *page;
	size_t pagesz;
};

static int uffd_page_init(struct uffd_page *u)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };

	u->pagesz = sysconf(_SC_PAGESIZE);
	u->uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (u->uffd < 0)
		return -errno;
	if (ioctl(u->uffd, UFFDIO_API, &api))
		return -errno;
	u->page = mmap(NULL, u->pagesz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (u->page == MAP_FAILED)
		return -errno;
	memset(u->page, 0, u->pagesz);	/* present: WP needs a page */
	reg.range.start = (unsigned long)u->page;
	reg.range.len = u->pagesz;
	if (ioctl(u->uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	return 0;
}

static int uffd_page_protect(struct uffd_page *u, bool on)
{
	struct uffdio_writeprotect wp = {
		.range = { (unsigned long)u->page, u->pagesz },
		.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(u->uffd, UFFDIO_WRITEPROTECT, &wp) ? -errno : 0;
}

/* Wait (10 s at most) until a write to the page is stopped. */
static int uffd_page_wait_fault(struct uffd_page *u)
{
	struct pollfd pfd = { .fd = u->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, 10000) != 1)
		return -ETIMEDOUT;
	if (read(u->uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -errno;
	return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : -EPROTO;
}

static void uffd_page_fini(struct uffd_page *u)
{
	if (u->page && u->page != MAP_FAILED)
		munmap(u->page, u->pagesz);
	if (u->uffd >= 0)
		close(u->uffd);
}

/* An ioctl run by a thread, so that the test can watch it stop. */
struct bg_ioctl {
	pthread_t thread;
	int fd;
	unsigned long cmd;
	void *arg;
	int ret;
	atomic_int done;
};

static void *bg_ioctl_fn(void *p)
{
	struct bg_ioctl *b = p;

	b->ret = mobj_raw(b->fd, b->cmd, b->arg);
	atomic_store(&b->done, 1);
	return NULL;
}

static int bg_ioctl_start(struct bg_ioctl *b, int fd, unsigned long cmd,
			  void *arg)
{
	b->fd = fd;
	b->cmd = cmd;
	b->arg = arg;
	b->ret = -EINPROGRESS;
	atomic_store(&b->done, 0);
	return -pthread_create(&b->thread, NULL, bg_ioctl_fn, b);
}

/* Wait up to @ms for it to finish: true when it did. */
static bool bg_ioctl_wait(struct bg_ioctl *b, unsigned int ms)
{
	__u64 end = mobj_now_ms() + ms;

	while (!atomic_load(&b->done) && mobj_now_ms() < end)
		usleep(1000);
	return atomic_load(&b->done);
}

/*
 * Defect 1: a reserved handle was tagged with XArray tag 2, which the
 * XArray takes for an internal node: debugfs "check" and "graph", walking
 * the handle table while a DUP's answer was being written, walked into
 * the object as if it were a node (corrupted payloads, GPFs, soft
 * lockups).  Here the DUP stops on its write-protected answer while the
 * checker and a graph query run, several times over.
 */
TEST_F(hardening, pending_handle_walked_by_check_and_graph)
{
	char buf[16384], q[64];
	struct mobj_dup *cmd;
	struct uffd_page u = { .uffd = -1 };
	struct bg_ioctl bg;
	__u32 h, hh;
	__u64 id;
	int round, ret;

	ret = uffd_page_init(&u);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "no userfaultfd: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, mobj_new(self->fd, 7, "payload", 7, &h, &id));
	ASSERT_EQ(0, mobj_check_heap(buf, sizeof(buf))) TH_LOG("%s", buf);

	for (round = 0; round < 3; round++) {
		cmd = (struct mobj_dup *)u.page;
		*cmd = (struct mobj_dup) { .size = sizeof(*cmd), .handle = h };
		ASSERT_EQ(0, uffd_page_protect(&u, true));
		ASSERT_EQ(0, bg_ioctl_start(&bg, self->fd, MOBJ_DUP, cmd));
		ASSERT_EQ(0, uffd_page_wait_fault(&u));

		/* The new handle is reserved: it holds a reference, unseen. */
		EXPECT_EQ(2, rc_of(self->fd, h));
		EXPECT_EQ(0, mobj_check_heap(buf, sizeof(buf))) TH_LOG("%s", buf);
		snprintf(q, sizeof(q), "backrefs %llu", (unsigned long long)id);
		EXPECT_LT(0, graph_query(q, buf, sizeof(buf)));
		EXPECT_NE(NULL, strstr(buf, "digraph"));
		snprintf(q, sizeof(q), "chain %llu", (unsigned long long)id);
		EXPECT_LT(0, graph_query(q, buf, sizeof(buf)));
		/*
		 * Not usable before the answer is out: h is this file's only
		 * handle, so the new one is h + 1 (the lowest free number)
		 * every round.
		 */
		EXPECT_EQ(~0ULL, rc_of(self->fd, h + 1));
		EXPECT_FALSE(atomic_load(&bg.done));

		ASSERT_EQ(0, uffd_page_protect(&u, false));
		ASSERT_TRUE(bg_ioctl_wait(&bg, 10000));
		pthread_join(bg.thread, NULL);
		ASSERT_EQ(0, bg.ret);
		hh = cmd->new_handle;
		EXPECT_EQ(h + 1, hh);
		EXPECT_EQ(id, id_of(self->fd, hh));
		EXPECT_EQ(2, rc_of(self->fd, h));
		EXPECT_EQ(0, mobj_check_heap(buf, sizeof(buf))) TH_LOG("%s", buf);
		EXPECT_EQ(0, mobj_handle_close(self->fd, hh));
	}
	/* The payload is intact. */
	memset(buf, 0, 8);
	EXPECT_EQ(7, mobj_data_read(self->fd, h, 0, buf, 7, NULL));
	EXPECT_EQ(0, memcmp(buf, "payload", 7));
	EXPECT_EQ(0, mobj_handle_close(self->fd, h));
	uffd_page_fini(&u);
}

/*
 * Defect 1, the way it was first seen: root reads "check" and "graph"
 * while another client loops DUP/CLOSE, for a bounded time.
 */
TEST_F_TIMEOUT(hardening, pending_handle_check_while_dup_close_loops, 120)
{
	char buf[16384], q[64];
	pid_t pid;
	__u64 id, end;
	__u32 h, d;
	int st, n = 0;

	ASSERT_EQ(0, mobj_new(self->fd, 1, NULL, 0, &h, &id));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = mobj_dev_open();

		end = mobj_now_ms() + 2000;
		while (fd >= 0 && mobj_now_ms() < end) {
			if (mobj_dup(self->fd, h, &d) || mobj_handle_close(self->fd, d))
				_exit(1);
		}
		_exit(fd < 0);
	}
	snprintf(q, sizeof(q), "backrefs %llu", (unsigned long long)id);
	end = mobj_now_ms() + 2000;
	while (mobj_now_ms() < end) {
		EXPECT_EQ(0, mobj_check_heap(buf, sizeof(buf))) TH_LOG("%s", buf);
		EXPECT_LT(0, graph_query(q, buf, sizeof(buf)));
		n++;
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st));
	TH_LOG("%d checks", n);
	EXPECT_EQ(1, rc_of(self->fd, h));
	EXPECT_EQ(0, mobj_handle_close(self->fd, h));
}

/*
 * Defect 2: MOBJ_GC_GARBAGE copied the handles to user space holding
 * gc_mutex, so a stalled copy stopped every collection on the device.
 * The copy is held here; another client's collection must still run.
 */
TEST_F(hardening, gc_garbage_copy_blocks_collections)
{
	struct uffd_page u = { .uffd = -1 };
	struct mobj_gc_garbage *cmd;
	struct bg_ioctl gar, col;
	struct mobj_gc_collect cc = { .size = sizeof(cc), .generation = 0 };
	__u32 a, b, *handles;
	int debug, other, ret, i;

	ret = uffd_page_init(&u);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "no userfaultfd: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	debug = mobj_gc_get_debug(self->fd);
	ASSERT_LE(0, debug);
	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, MOBJ_GC_DEBUG_SAVEALL));
	ASSERT_EQ(0, mobj_new(self->fd, 1, NULL, 0, &a, NULL));
	ASSERT_EQ(0, mobj_new(self->fd, 1, NULL, 0, &b, NULL));
	ASSERT_EQ(0, mobj_slot_append(self->fd, a, b, NULL));
	ASSERT_EQ(0, mobj_slot_append(self->fd, b, a, NULL));
	ASSERT_EQ(0, mobj_handle_close(self->fd, a));
	ASSERT_EQ(0, mobj_handle_close(self->fd, b));
	ASSERT_EQ(2, mobj_gc_collect(self->fd, 2, NULL));

	/* The struct is read normally; the handle array's write stops. */
	cmd = calloc(1, sizeof(*cmd));
	ASSERT_NE(NULL, cmd);
	handles = (__u32 *)u.page;
	*cmd = (struct mobj_gc_garbage) {
		.size = sizeof(*cmd), .count = 2,
		.handles = (__u64)(unsigned long)handles,
	};
	ASSERT_EQ(0, uffd_page_protect(&u, true));
	ASSERT_EQ(0, bg_ioctl_start(&gar, self->fd, MOBJ_GC_GARBAGE, cmd));
	ASSERT_EQ(0, uffd_page_wait_fault(&u));

	other = mobj_dev_open();
	ASSERT_LE(0, other);
	ASSERT_EQ(0, bg_ioctl_start(&col, other, MOBJ_GC_COLLECT, &cc));
	EXPECT_TRUE(bg_ioctl_wait(&col, 10000))
		TH_LOG("a collection waited for a stalled GC_GARBAGE copy");
	/* Let the copy go in every case, so that both can finish. */
	ASSERT_EQ(0, uffd_page_protect(&u, false));
	ASSERT_TRUE(bg_ioctl_wait(&gar, 10000));
	ASSERT_TRUE(bg_ioctl_wait(&col, 10000));
	pthread_join(gar.thread, NULL);
	pthread_join(col.thread, NULL);
	EXPECT_EQ(0, col.ret);
	ASSERT_EQ(0, gar.ret);
	ASSERT_EQ(2, cmd->filled);
	for (i = 0; i < 2; i++) {
		/* The handle, the other's slot, the garbage list. */
		EXPECT_EQ(3, rc_of(self->fd, handles[i]));
		EXPECT_EQ(0, mobj_handle_close(self->fd, handles[i]));
	}
	EXPECT_EQ(2, mobj_gc_garbage(self->fd, NULL, 0, MOBJ_GC_GARBAGE_CLEAR,
				     NULL));
	EXPECT_EQ(0, mobj_gc_set_debug(self->fd, debug));
	EXPECT_LE(0, mobj_gc_collect(self->fd, 2, NULL));
	close(other);
	free(cmd);
	uffd_page_fini(&u);
}

/*
 * A reader that watches the handles of the batch under way appear: the
 * batch's entry k makes handle first + k.
 */
struct batch_watch {
	int fd;
	atomic_uint first;
	__u32 per_batch;
	atomic_int stop;
	atomic_int bad;
	int samples;
	char why[128];
	bool dup;		/* DUP of one handle: refcount >= 2 + k */
};

static void *batch_watch_fn(void *p)
{
	struct batch_watch *w = p;
	struct mobj_info info;
	__u32 first, k, h;

	while (!atomic_load(&w->stop)) {
		first = atomic_load(&w->first);
		for (k = 0; k < w->per_batch; k++) {
			h = first + k;
			if (mobj_info(w->fd, h, &info))
				continue;
			w->samples++;
			if (!w->dup && (!info.id ||
					info.state & MOBJ_STATE_TRACKED)) {
				snprintf(w->why, sizeof(w->why),
					 "handle %u: id %llu state %#x", h,
					 (unsigned long long)info.id,
					 info.state);
				atomic_fetch_add(&w->bad, 1);
			}
			if (w->dup && info.refcount < 2 + k) {
				snprintf(w->why, sizeof(w->why),
					 "handle %u (entry %u): refcount %llu",
					 h, k, (unsigned long long)info.refcount);
				atomic_fetch_add(&w->bad, 1);
			}
		}
	}
	return NULL;
}

/*
 * Defect 3: a batch NEW published its handle before the object was in
 * the heap (a lock-free INFO saw id 0, or TRACKED), and batch DUP before
 * taking its reference.  A reader loops INFO on the handles the batch
 * under way makes, for two seconds per kind.
 */
TEST_F_TIMEOUT(hardening, batch_handle_visible_before_complete, 120)
{
	struct mobj_batch_op ops[32];
	struct batch_watch w = { .per_batch = 32 };
	__u32 h0, next, done, i, rounds;
	pthread_t thr;
	__u64 end;
	int dup;

	ASSERT_EQ(0, mobj_new(self->fd, 1, NULL, 0, &h0, NULL));
	for (dup = 0; dup < 2; dup++) {
		/*
		 * The lowest free number comes first, and none above it is
		 * in use: entry k of every batch makes handle next + k.
		 */
		ASSERT_EQ(0, mobj_dup(self->fd, h0, &next));
		ASSERT_EQ(0, mobj_handle_close(self->fd, next));
		atomic_store(&w.first, next);
		w.fd = self->fd;
		w.dup = dup;
		w.samples = 0;
		atomic_store(&w.stop, 0);
		atomic_store(&w.bad, 0);
		ASSERT_EQ(0, pthread_create(&thr, NULL, batch_watch_fn, &w));
		end = mobj_now_ms() + 2000;
		for (rounds = 0; mobj_now_ms() < end && !atomic_load(&w.bad);
		     rounds++) {
			for (i = 0; i < w.per_batch; i++)
				ops[i] = (struct mobj_batch_op) {
					.cmd = dup ? MOBJ_CMD_DUP :
						     MOBJ_CMD_NEW,
					.handle = dup ? h0 : 5,
				};
			atomic_store(&w.first, next);
			ASSERT_EQ(0, mobj_batch(self->fd, ops, w.per_batch,
						&done));
			for (i = 0; i < w.per_batch; i++)
				ASSERT_EQ(next + i, ops[i].result);
			/* Last first: the reader's bound holds meanwhile. */
			for (i = w.per_batch; i--;)
				ASSERT_EQ(0, mobj_handle_close(self->fd,
							ops[i].result));
		}
		atomic_store(&w.stop, 1);
		pthread_join(thr, NULL);
		TH_LOG("%s: %u batches, %d handles seen", dup ? "DUP" : "NEW",
		       rounds, w.samples);
		EXPECT_EQ(0, atomic_load(&w.bad)) TH_LOG("%s", w.why);
	}
	EXPECT_EQ(0, mobj_handle_close(self->fd, h0));
}

/*
 * Defect 4: GC_FREEZE during a stepwise collection moved only the objects
 * not taken by it, and the collection then put the others back unfrozen.
 */
TEST_F_TIMEOUT(hardening, freeze_during_collection_undone, 300)
{
	enum { N = 20000, CHUNK = 2048 };
	struct mobj_batch_op *ops;
	struct mobj_gc_collect cc = { .size = sizeof(cc), .generation = 2 };
	struct bg_ioctl col;
	__u32 holder, *hs, done, i, j, k;
	__u64 frozen, moved, end;
	int enabled;

	PARAM_SET_OR_SKIP(&self->params, "gc_step_budget", 16);
	enabled = mobj_gc_isenabled(self->fd);
	ASSERT_LE(0, enabled);
	ASSERT_EQ(0, mobj_gc_disable(self->fd));
	ASSERT_EQ(0, mobj_gc_get_freeze_count(self->fd, &frozen));
	ASSERT_EQ(0, frozen);

	/* N tracked objects, each with a slot to the holder. */
	hs = calloc(N, sizeof(*hs));
	ops = calloc(CHUNK, sizeof(*ops));
	ASSERT_NE(NULL, hs);
	ASSERT_NE(NULL, ops);
	ASSERT_EQ(0, mobj_new(self->fd, 1, NULL, 0, &holder, NULL));
	for (i = 0; i < N; i += CHUNK / 2) {
		for (j = 0, k = 0; j < CHUNK / 2 && i + j < N; j++) {
			ops[k++] = (struct mobj_batch_op) {
				.cmd = MOBJ_CMD_NEW, .handle = 2 };
			ops[k] = (struct mobj_batch_op) {
				.cmd = MOBJ_CMD_SLOT_APPEND,
				.handle = MOBJ_BATCH_RESULT(k - 1),
				.value = holder };
			k++;
		}
		ASSERT_EQ(0, mobj_batch(self->fd, ops, k, &done));
		for (j = 0; j < k / 2; j++)
			hs[i + j] = ops[2 * j].result;
	}

	ASSERT_EQ(0, bg_ioctl_start(&col, self->fd, MOBJ_GC_COLLECT, &cc));
	/* Freeze once the collection is under way. */
	end = mobj_now_ms() + 5000;
	while ((mobj_stat("gc_phase") == 0 || mobj_stat("gc_phase") == ~0ULL) && !atomic_load(&col.done) &&
	       mobj_now_ms() < end)
		;
	ASSERT_EQ(0, mobj_gc_freeze(self->fd, &moved));
	ASSERT_TRUE(bg_ioctl_wait(&col, 60000));
	pthread_join(col.thread, NULL);
	ASSERT_EQ(0, col.ret);

	ASSERT_EQ(0, mobj_gc_get_freeze_count(self->fd, &frozen));
	EXPECT_EQ(N, frozen) TH_LOG("FREEZE moved %llu", (unsigned long long)moved);
	EXPECT_EQ(1, mobj_gc_is_tracked(self->fd, hs[0]));
	EXPECT_EQ(0, mobj_gc_unfreeze(self->fd, &moved));
	EXPECT_EQ(N, moved);
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, mobj_handle_close(self->fd, hs[i]));
	EXPECT_EQ(0, mobj_handle_close(self->fd, holder));
	if (enabled)
		EXPECT_EQ(0, mobj_gc_enable(self->fd));
	free(ops);
	free(hs);
}

/*
 * Defect 5: a MOBJ_NEW whose answer could not be written (read-only
 * struct) failed with EFAULT but had used an object id.
 */
TEST_F(hardening, new_failed_answer_uses_id)
{
	struct mobj_new cmd = { .size = sizeof(cmd), .type = 3 };
	struct mobj_counts before, after;
	__u64 id1, id2;
	__u32 h1, h2;

	ASSERT_EQ(0, mobj_new(self->fd, 3, NULL, 0, &h1, &id1));
	ASSERT_EQ(0, mobj_counts(self->fd, &before));
	EXPECT_ERRNO(EFAULT, mobj_readonly_call(self->fd, MOBJ_NEW, &cmd,
						sizeof(cmd)));
	cmd.data = (__u64)(unsigned long)"abc";
	cmd.data_len = 3;
	EXPECT_ERRNO(EFAULT, mobj_readonly_call(self->fd, MOBJ_NEW, &cmd,
						sizeof(cmd)));
	ASSERT_EQ(0, mobj_counts(self->fd, &after));
	EXPECT_COUNTS_EQ(before, after);
	ASSERT_EQ(0, mobj_new(self->fd, 3, NULL, 0, &h2, &id2));
	EXPECT_EQ(id1 + 1, id2);
	EXPECT_EQ(0, mobj_handle_close(self->fd, h1));
	EXPECT_EQ(0, mobj_handle_close(self->fd, h2));
}

/*
 * Defect 6: a batch entry naming a command batches do not run failed
 * with ENOENT (its handle was looked up first); the errno table says
 * EINVAL, whatever the handle.
 */
TEST_F(hardening, batch_unsupported_command_enoent)
{
	static const __u32 cmds[] = {
		MOBJ_CMD_INFO, MOBJ_CMD_QUERY, MOBJ_CMD_BATCH, MOBJ_CMD_WATCH,
		MOBJ_CMD_DATA_READ, 0x7f, 0xffffffff,
	};
	struct mobj_batch_op op;
	struct mobj_counts before, after;
	__u32 h, done, i;

	ASSERT_EQ(0, mobj_new(self->fd, 1, NULL, 0, &h, NULL));
	ASSERT_EQ(0, mobj_counts(self->fd, &before));
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		/* An unknown handle, and a good one. */
		op = (struct mobj_batch_op) { .cmd = cmds[i], .handle = 9999 };
		EXPECT_ERRNO(EINVAL, mobj_batch(self->fd, &op, 1, &done));
		EXPECT_EQ(-EINVAL, op.error);
		EXPECT_EQ(0, done);
		op = (struct mobj_batch_op) { .cmd = cmds[i], .handle = h };
		EXPECT_ERRNO(EINVAL, mobj_batch(self->fd, &op, 1, &done));
		EXPECT_EQ(-EINVAL, op.error);
	}
	ASSERT_EQ(0, mobj_counts(self->fd, &after));
	EXPECT_COUNTS_EQ(before, after);
	EXPECT_EQ(0, mobj_handle_close(self->fd, h));
}

/*
 * Defect 7a: when MOBJ_BATCH failed before any entry ran, @done was left
 * as the caller had it.  It is now 0.
 */
TEST_F(hardening, batch_done_unwritten_when_nothing_ran)
{
	struct mobj_batch_op op = { .cmd = MOBJ_CMD_NEW, .handle = 1 };
	struct mobj_batch cmd;
	struct mobj_badmem bad;
	struct mobj_counts before, after;

	ASSERT_EQ(0, mobj_badmem_init(&bad));
	ASSERT_EQ(0, mobj_counts(self->fd, &before));
	/* Unknown flag, no entries, too many, unreadable and unwritable ops */
	cmd = (struct mobj_batch) { .size = sizeof(cmd), .flags = 1,
		.count = 1, .done = 77, .ops = (__u64)(unsigned long)&op };
	EXPECT_ERRNO(EINVAL, mobj_raw(self->fd, MOBJ_BATCH, &cmd));
	EXPECT_EQ(0, cmd.done);
	cmd.flags = 0;
	cmd.count = 0;
	cmd.done = 77;
	EXPECT_ERRNO(EINVAL, mobj_raw(self->fd, MOBJ_BATCH, &cmd));
	EXPECT_EQ(0, cmd.done);
	cmd.count = MOBJ_BATCH_MAX + 1;
	cmd.done = 77;
	EXPECT_ERRNO(EINVAL, mobj_raw(self->fd, MOBJ_BATCH, &cmd));
	EXPECT_EQ(0, cmd.done);
	cmd.count = 1;
	cmd.done = 77;
	cmd.ops = (__u64)(unsigned long)bad.hole;
	EXPECT_ERRNO(EFAULT, mobj_raw(self->fd, MOBJ_BATCH, &cmd));
	EXPECT_EQ(0, cmd.done);
	mprotect(bad.page, bad.pagesz, PROT_READ);
	cmd.ops = (__u64)(unsigned long)bad.page;
	cmd.done = 77;
	EXPECT_ERRNO(EFAULT, mobj_raw(self->fd, MOBJ_BATCH, &cmd));
	EXPECT_EQ(0, cmd.done);
	ASSERT_EQ(0, mobj_counts(self->fd, &after));
	EXPECT_COUNTS_EQ(before, after);
	munmap(bad.page, 2 * bad.pagesz);
}

/*
 * Defect 7b: when the ops array went away after the batch checked it
 * (another thread unmapped it), the entries ran, EFAULT was returned and
 * the handles they made were left open with numbers nobody knew.  Now
 * @done says how many ran, and their handles are closed again.  Entry 5
 * gets the number entry 1 made and entry 4 closed: that handle is closed
 * once, and nothing else.
 */
TEST_F(hardening, batch_ops_unmapped_after_probe)
{
	struct uffd_page u = { .uffd = -1 };
	struct mobj_counts before, after;
	struct mobj_batch_op *ops;
	struct mobj_batch *cmd;
	struct bg_ioctl bg;
	size_t pagesz = sysconf(_SC_PAGESIZE);
	__u32 keep, n0, n1;
	__u64 kept_id;
	int ret;

	ret = uffd_page_init(&u);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "no userfaultfd: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, mobj_new(self->fd, 1, NULL, 0, &keep, &kept_id));
	ASSERT_EQ(0, mobj_counts(self->fd, &before));

	ops = mmap(NULL, pagesz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ops);
	ops[0] = (struct mobj_batch_op) { .cmd = MOBJ_CMD_NEW, .handle = 1 };
	ops[1] = (struct mobj_batch_op) { .cmd = MOBJ_CMD_DUP, .handle = keep };
	ops[2] = (struct mobj_batch_op) { .cmd = MOBJ_CMD_NEW, .handle = 1 };
	ops[3] = (struct mobj_batch_op) { .cmd = MOBJ_CMD_SLOT_APPEND,
		.handle = keep, .value = MOBJ_BATCH_RESULT(2) };
	ops[4] = (struct mobj_batch_op) { .cmd = MOBJ_CMD_CLOSE,
		.handle = MOBJ_BATCH_RESULT(1) };
	ops[5] = (struct mobj_batch_op) { .cmd = MOBJ_CMD_DUP, .handle = keep };
	cmd = (struct mobj_batch *)u.page;
	*cmd = (struct mobj_batch) { .size = sizeof(*cmd), .count = 6,
		.ops = (__u64)(unsigned long)ops };

	/* The batch stops writing its own struct back, after the ops. */
	ASSERT_EQ(0, uffd_page_protect(&u, true));
	ASSERT_EQ(0, bg_ioctl_start(&bg, self->fd, MOBJ_BATCH, cmd));
	ASSERT_EQ(0, uffd_page_wait_fault(&u));
	ASSERT_EQ(0, munmap(ops, pagesz));
	ASSERT_EQ(0, uffd_page_protect(&u, false));
	ASSERT_TRUE(bg_ioctl_wait(&bg, 10000));
	pthread_join(bg.thread, NULL);

	EXPECT_EQ(-EFAULT, bg.ret);
	EXPECT_EQ(6, cmd->done);
	/* The effects stand (the slot), the unknowable handles are gone. */
	ASSERT_EQ(0, mobj_counts(self->fd, &after));
	EXPECT_EQ(before.client_handles, after.client_handles);
	EXPECT_EQ(before.live_handles, after.live_handles);
	EXPECT_EQ(before.live_objects + 1, after.live_objects);
	EXPECT_EQ(1, nslots_of(self->fd, keep));
	EXPECT_EQ(1, rc_of(self->fd, keep));
	ASSERT_EQ(0, mobj_slot_get(self->fd, keep, 0, &n0));
	EXPECT_EQ(2, rc_of(self->fd, n0));
	EXPECT_EQ(0, mobj_handle_close(self->fd, n0));
	ASSERT_EQ(0, mobj_slot_pop(self->fd, keep, 0));
	ASSERT_EQ(0, mobj_counts(self->fd, &after));
	EXPECT_EQ(before.live_objects, after.live_objects);
	/* Handles made later are usable as ever. */
	ASSERT_EQ(0, mobj_dup(self->fd, keep, &n1));
	EXPECT_EQ(kept_id, id_of(self->fd, n1));
	EXPECT_EQ(0, mobj_handle_close(self->fd, n1));
	EXPECT_EQ(0, mobj_handle_close(self->fd, keep));
	uffd_page_fini(&u);
}

/*
 * Defect 9: the README documents "chain ID depth=N max=N", and the graph
 * file refused any option after "chain".  depth bounds the path searched,
 * max the referrers followed from each object.
 */
TEST_F(hardening, graph_chain_documented_syntax_einval)
{
	char buf[16384], q[96];
	__u32 h[6], root;
	__u64 id[6];
	int i;

	/* root -> o0 -> o1 -> ... -> o5: the chain to o5 is 6 edges long. */
	ASSERT_EQ(0, mobj_new(self->fd, 1, NULL, 0, &root, NULL));
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, mobj_new(self->fd, 1, NULL, 0, &h[i], &id[i]));
		ASSERT_EQ(0, mobj_slot_append(self->fd, i ? h[i - 1] : root, h[i],
					 NULL));
	}
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, mobj_handle_close(self->fd, h[i]));

	snprintf(q, sizeof(q), "chain %llu", (unsigned long long)id[5]);
	ASSERT_LT(0, graph_query(q, buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, "no handle reaches")) TH_LOG("%s", buf);
	snprintf(q, sizeof(q), "chain %llu depth=3", (unsigned long long)id[5]);
	ASSERT_LT(0, graph_query(q, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "no handle reaches")) TH_LOG("%s", buf);
	snprintf(q, sizeof(q), "chain %llu depth=6 max=5",
		 (unsigned long long)id[5]);
	ASSERT_LT(0, graph_query(q, buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, "no handle reaches")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "digraph"));
	snprintf(q, sizeof(q), "chain %llu max=1 depth=20",
		 (unsigned long long)id[5]);
	ASSERT_LT(0, graph_query(q, buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, "no handle reaches")) TH_LOG("%s", buf);
	/* Out of range or unknown options are refused. */
	snprintf(q, sizeof(q), "chain %llu depth=0", (unsigned long long)id[5]);
	EXPECT_EQ(-EINVAL, graph_query(q, buf, sizeof(buf)));
	snprintf(q, sizeof(q), "chain %llu max=0", (unsigned long long)id[5]);
	EXPECT_EQ(-EINVAL, graph_query(q, buf, sizeof(buf)));
	snprintf(q, sizeof(q), "chain %llu width=2", (unsigned long long)id[5]);
	EXPECT_EQ(-EINVAL, graph_query(q, buf, sizeof(buf)));
	EXPECT_EQ(0, mobj_handle_close(self->fd, root));
}

TEST_HARNESS_MAIN
