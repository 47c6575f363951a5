// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_debug_model: the executors.  Every call is issued synchronously by
 * the main thread, one of two worker threads or the forked child (which
 * also has a client of its own), into the one struct exec in flight, xs;
 * x_init() and friends build it.
 */
#include "model.h"

struct exec xs;		/* the one exec in flight */

/* Executors */

/* A page an executor makes read-only for M_RO, and one never readable. */
void exec_pages(__u8 **ro_page, void **bad)
{
	*ro_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void exec_here(struct exec *x, __u8 *ro_page, void *bad)
{
	void *arg = x->arg;
	int i, fd = x->fd;
	ssize_t n;

	for (i = 0; i < x->npatch; i++) {
		__u64 p = x->patch[i].buf == BAD_PTR ?
			  (__u64)(unsigned long)bad :
			  (__u64)(unsigned long)(x->buf + x->patch[i].buf);

		memcpy(x->arg + x->patch[i].off, &p, sizeof(p));
	}
	if (x->kind == X_READ) {
		n = read(fd, x->buf, x->read_len);
		x->rc = n < 0 ? -errno : (int)n;
		return;
	}
	if (x->mode == M_NULL) {
		arg = NULL;
	} else if (x->mode == M_RO) {
		mprotect(ro_page, 4096, PROT_READ | PROT_WRITE);
		memcpy(ro_page, x->arg, x->arg_len);
		mprotect(ro_page, 4096, PROT_READ);
		arg = ro_page;
	}
	x->rc = ioctl(fd, x->cmd, arg) < 0 ? -errno : 0;
	if (x->mode == M_RO) {
		memcpy(x->arg, ro_page, x->arg_len);
		mprotect(ro_page, 4096, PROT_READ | PROT_WRITE);
	}
}

void *worker_main(void *p)
{
	struct worker *w = p;
	__u8 *ro;
	void *bad;

	exec_pages(&ro, &bad);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->job && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->quit)
			break;
		pthread_mutex_unlock(&w->lock);
		exec_here(w->job, ro, bad);
		pthread_mutex_lock(&w->lock);
		w->job = NULL;
		w->done = true;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void worker_run(struct worker *w, struct exec *x)
{
	pthread_mutex_lock(&w->lock);
	w->done = false;
	w->job = x;
	pthread_cond_broadcast(&w->cond);
	while (!w->done)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

/* All of @len bytes through the pipe to or from the child, or -1. */
static int full_io(int fd, void *p, size_t len, bool out)
{
	char *c = p;
	ssize_t n;

	while (len) {
		n = out ? write(fd, c, len) : read(fd, c, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c += n;
		len -= n;
	}
	return 0;
}

static int full_write(int fd, const void *p, size_t len)
{
	return full_io(fd, (void *)p, len, true);
}

static int full_read(int fd, void *p, size_t len)
{
	return full_io(fd, p, len, false);
}

/* Messages to the child */
enum { CM_EXEC = 1, CM_EXIT };

static void child_main(int in, int out, const int *keep, int nkeep)
{
	static struct exec x;
	__u8 *ro;
	void *bad;
	int own, msg, fd, k;
	bool mine;

	exec_pages(&ro, &bad);
	/* Only the shared clients stay open here. */
	for (fd = 3; fd < 1024; fd++) {
		mine = fd == in || fd == out;
		for (k = 0; k < nkeep; k++)
			mine |= fd == keep[k];
		if (!mine && fcntl(fd, F_GETFD) >= 0) {
			char path[64], target[64] = "";

			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			if (readlink(path, target, sizeof(target) - 1) > 0 &&
			    strstr(target, "mobj"))
				close(fd);
		}
	}
	own = mobj_dev_open();
	if (own >= 0)
		fcntl(own, F_SETFL, O_NONBLOCK);
	if (full_write(out, &own, sizeof(own)))
		_exit(1);
	for (;;) {
		if (full_read(in, &msg, sizeof(msg)))
			_exit(1);
		if (msg == CM_EXIT) {
			close(own);
			k = 0;
			full_write(out, &k, sizeof(k));
			_exit(0);
		}
		if (full_read(in, &x, sizeof(x)))
			_exit(1);
		if (x.fd < 0)
			x.fd = own;
		exec_here(&x, ro, bad);
		if (full_write(out, &x, sizeof(x)))
			_exit(1);
	}
}

void child_stop(struct run *R)
{
	int msg = CM_EXIT, k;

	if (R->child <= 0)
		return;
	full_write(R->to_child, &msg, sizeof(msg));
	full_read(R->from_child, &k, sizeof(k));
	waitpid(R->child, NULL, 0);
	close(R->to_child);
	close(R->from_child);
	R->child = 0;
	if (R->m.cl[C_CHILD].open)
		model_release(&R->m, C_CHILD);
}

int child_start(struct run *R)
{
	int down[2], up[2], keep[NSHARED], k, own;

	for (k = 0; k < NSHARED; k++)
		keep[k] = R->m.cl[k].fd;
	if (pipe2(down, O_CLOEXEC) || pipe2(up, O_CLOEXEC))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	R->child = fork();
	if (R->child < 0)
		return -errno;
	if (!R->child) {
		close(down[1]);
		close(up[0]);
		child_main(down[0], up[1], keep, NSHARED);
	}
	close(down[0]);
	close(up[1]);
	R->to_child = down[1];
	R->from_child = up[0];
	if (full_read(R->from_child, &own, sizeof(own)) || own < 0)
		return -EIO;
	model_open(&R->m, C_CHILD, -1);
	R->nforks++;
	return 0;
}

void run_exec(struct run *R, int executor)
{
	struct exec *x = &xs;
	int msg = CM_EXEC;

	if (x->client == C_CHILD)
		executor = E_CHILD;
	if (executor == E_CHILD && x->client >= NSHARED && x->client != C_CHILD)
		executor = E_MAIN;
	if (executor == E_CHILD && R->child <= 0)
		executor = E_MAIN;
	x->fd = x->client == C_CHILD ? -1 : R->m.cl[x->client].fd;
	R->nexec[executor]++;
	switch (executor) {
	case E_MAIN:
		exec_here(x, R->ro_page, R->bad);
		break;
	case E_T1:
	case E_T2:
		worker_run(&R->wk[executor - E_T1], x);
		break;
	case E_CHILD:
		if (full_write(R->to_child, &msg, sizeof(msg)) ||
		    full_write(R->to_child, x, sizeof(*x)) ||
		    full_read(R->from_child, x, sizeof(*x))) {
			fail(R, "step %lu: the child died", R->step);
			x->rc = -EIO;
		}
		break;
	}
}

/* Building calls */

void x_init(int client, unsigned long cmd, const void *arg, size_t len)
{
	memset(&xs, 0, offsetof(struct exec, buf));
	xs.kind = X_IOCTL;
	xs.client = client;
	xs.cmd = cmd;
	xs.arg_len = len;
	memcpy(xs.arg, arg, len);
}

void x_patch(size_t off, int buf)
{
	xs.patch[xs.npatch].off = off;
	xs.patch[xs.npatch].buf = buf;
	xs.npatch++;
}

/* A read() of @len bytes by @client. */
void x_read(int client, __u32 len)
{
	memset(&xs, 0, offsetof(struct exec, buf));
	xs.kind = X_READ;
	xs.client = client;
	xs.read_len = len;
}

/* INFO of @client's handle @h by @executor into @info: xs.rc. */
int x_info(struct run *R, int client, int executor, __u32 h,
	   struct mobj_info *info)
{
	*info = (struct mobj_info) { .size = sizeof(*info), .handle = h };
	x_init(client, MOBJ_INFO, info, sizeof(*info));
	run_exec(R, executor);
	memcpy(info, xs.arg, sizeof(*info));
	return xs.rc;
}

/*
 * Who issues the call: mostly the main thread; hand-offs to a thread or to
 * the child cost two context switches each.
 */
int pick_exec(struct run *R, const struct op *op, int client)
{
	int e = op->exec % 100;

	if (client == C_CHILD)
		return E_CHILD;
	if (e < 91)
		return E_MAIN;
	if (e < 97)
		return E_T1 + (e & 1);
	return client < NSHARED ? E_CHILD : E_MAIN;
}

/* Who issues a call of the step's own, not an operation's: no thread. */
int pick_exec_plain(struct run *R, int client)
{
	static const struct op none;

	return pick_exec(R, &none, client);
}

/* Client @ci (not the child's) opens the device afresh. */
int open_client(struct run *R, int ci)
{
	int fd = mobj_dev_open();

	if (fd < 0)
		return fd;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	model_open(&R->m, ci, fd);
	return 0;
}
