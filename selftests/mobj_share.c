// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_share: objects that cross processes as file descriptors
 * (MOBJ_EXPORT / MOBJ_IMPORT, dma-buf's model), and who holds what
 * (fdinfo of both kinds of descriptor, debugfs "clients").
 *
 * The runner loads mobj.ko with devices=2, so that importing another
 * device's object can be tried (EXDEV).
 */
#include "mobj_test.h"

MOBJ_BASE_FIXTURE(share);

/* "key:\tvalue" of /proc/self/fdinfo/@fd; ~0 when missing. */
static __u64 fdinfo_value(int fd, const char *key)
{
	char path[64], buf[1024], *p;
	size_t len = strlen(key);

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (mobj_read_text(path, buf, sizeof(buf)) < 0)
		return ~0ULL;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, len) && p[len] == ':')
			return strtoull(p + len + 1, NULL, 0);
	return ~0ULL;
}

TEST_F(share, export_import_refcounts_fdinfo)
{
	__u32 h, h2;
	__u64 id;
	char buf[8];
	int objfd, other;

	ASSERT_EQ(0, mobj_new(self->fd, 0x51, "shared", 6, &h, &id));
	ASSERT_EQ(0, mobj_export(self->fd, h, &objfd));
	EXPECT_EQ(FD_CLOEXEC, fcntl(objfd, F_GETFD) & FD_CLOEXEC);
	/* The descriptor's reference counts. */
	EXPECT_EQ(2, rc_of(self->fd, h));
	EXPECT_EQ(id, fdinfo_value(objfd, "mobj-id"));
	EXPECT_EQ(0x51, fdinfo_value(objfd, "mobj-type"));
	EXPECT_EQ(2, fdinfo_value(objfd, "mobj-refcount"));

	/* Another open file (another client) imports it. */
	other = extra_open(self);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, mobj_import(other, objfd, &h2));
	EXPECT_EQ(3, rc_of(other, h2));
	EXPECT_EQ(id, id_of(other, h2));
	EXPECT_EQ(6, mobj_data_read(other, h2, 0, buf, sizeof(buf), NULL));
	EXPECT_EQ(0, memcmp(buf, "shared", 6));
	EXPECT_EQ(3, fdinfo_value(objfd, "mobj-refcount"));
	/* Closing the descriptor drops its reference. */
	EXPECT_EQ(0, close(objfd));
	EXPECT_EQ(2, rc_of(self->fd, h));
	EXPECT_EQ(0, mobj_handle_close(self->fd, h));
	EXPECT_EQ(1, rc_of(other, h2));
	EXPECT_EQ(0, mobj_handle_close(other, h2));
	EXPECT_EQ(self->base.live_objects, live_of(self->fd));
}

TEST_F(share, export_import_errors_change_nothing)
{
	struct mobj_export ex = { .size = sizeof(ex) };
	struct mobj_import im = { .size = sizeof(im) };
	struct mobj_counts before, after;
	__u32 h, w, out;
	int objfd, nul;

	ASSERT_EQ(0, mobj_new(self->fd, 1, NULL, 0, &h, NULL));
	ASSERT_EQ(0, mobj_weakref(self->fd, h, &w));
	ASSERT_EQ(0, mobj_counts(self->fd, &before));
	EXPECT_ERRNO(ENOENT, mobj_export(self->fd, 12345, &objfd));
	EXPECT_ERRNO(EINVAL, mobj_export(self->fd, w, &objfd));
	ex.handle = h;
	ex.flags = 1;
	EXPECT_ERRNO(EINVAL, mobj_raw(self->fd, MOBJ_EXPORT, &ex));
	/* An answer that cannot be written: no descriptor, no reference. */
	ex.flags = 0;
	EXPECT_ERRNO(EFAULT, mobj_readonly_call(self->fd, MOBJ_EXPORT, &ex,
						sizeof(ex)));
	EXPECT_EQ(1, rc_of(self->fd, h));
	EXPECT_ERRNO(EBADF, mobj_import(self->fd, -1, &out));
	EXPECT_ERRNO(EBADF, mobj_import(self->fd, 1000000, &out));
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, nul);
	EXPECT_ERRNO(EINVAL, mobj_import(self->fd, nul, &out));
	EXPECT_ERRNO(EINVAL, mobj_import(self->fd, self->fd, &out));
	close(nul);
	ASSERT_EQ(0, mobj_counts(self->fd, &after));
	EXPECT_COUNTS_EQ(before, after);

	/* An import whose answer cannot be written makes no handle. */
	ASSERT_EQ(0, mobj_export(self->fd, h, &objfd));
	im.fd = objfd;
	EXPECT_ERRNO(EFAULT, mobj_readonly_call(self->fd, MOBJ_IMPORT, &im,
						sizeof(im)));
	EXPECT_EQ(2, rc_of(self->fd, h));
	EXPECT_EQ(0, close(objfd));
	EXPECT_EQ(1, rc_of(self->fd, h));
	EXPECT_EQ(0, mobj_handle_close(self->fd, w));
	EXPECT_EQ(0, mobj_handle_close(self->fd, h));
}

/*
 * Two processes: the child exports its object, sends the descriptor over
 * a socket pair and exits; the object lives on in the descriptor, and the
 * parent imports and uses it.
 */
TEST_F(share, exporter_exits_object_lives)
{
	int sv[2], objfd, st;
	char buf[8];
	pid_t pid;
	__u32 h;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = mobj_dev_open(), efd;
		__u32 c;

		if (fd < 0 || mobj_new(fd, 0x52, "child", 5, &c, NULL) ||
		    mobj_export(fd, c, &efd) || mobj_send_fd(sv[1], efd))
			_exit(1);
		_exit(0);	/* its handle and descriptor go with it */
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st));
	objfd = mobj_recv_fd(sv[0]);
	ASSERT_LE(0, objfd);
	ASSERT_EQ(0, mobj_import(self->fd, objfd, &h));
	EXPECT_EQ(2, rc_of(self->fd, h));
	EXPECT_EQ(5, mobj_data_read(self->fd, h, 0, buf, sizeof(buf), NULL));
	EXPECT_EQ(0, memcmp(buf, "child", 5));
	EXPECT_EQ(0, close(objfd));
	EXPECT_EQ(1, rc_of(self->fd, h));
	EXPECT_EQ(0, mobj_handle_close(self->fd, h));
	close(sv[0]);
	close(sv[1]);
}

/*
 * An object kept alive only by its descriptor in flight in a Unix socket
 * dies when the socket is closed.
 */
TEST_F(share, in_flight_fd_freed_with_socket)
{
	int sv[2], objfd;
	__u64 end;
	__u32 h;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, mobj_new(self->fd, 0x53, NULL, 0, &h, NULL));
	ASSERT_EQ(0, mobj_export(self->fd, h, &objfd));
	ASSERT_EQ(0, mobj_send_fd(sv[1], objfd));
	EXPECT_EQ(0, close(objfd));
	EXPECT_EQ(2, rc_of(self->fd, h));
	EXPECT_EQ(0, mobj_handle_close(self->fd, h));
	/* Only the descriptor in flight holds it now. */
	EXPECT_EQ(self->base.live_objects + 1, live_of(self->fd));
	close(sv[0]);
	close(sv[1]);
	/* The socket's release may be deferred: give it a moment. */
	end = mobj_now_ms() + 5000;
	while (live_of(self->fd) != self->base.live_objects &&
	       mobj_now_ms() < end)
		usleep(10000);
	EXPECT_EQ(self->base.live_objects, live_of(self->fd));
}

/* Another device's object cannot become a handle here. */
TEST_F(share, import_other_device_exdev)
{
	int fd1, objfd;
	__u32 h, out;

	fd1 = mobj_dev_open_path("/dev/mobj1");
	if (fd1 == -ENOENT)
		SKIP(return, "no /dev/mobj1 (load mobj.ko with devices=2)");
	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, mobj_new(fd1, 1, NULL, 0, &h, NULL));
	ASSERT_EQ(0, mobj_export(fd1, h, &objfd));
	EXPECT_ERRNO(EXDEV, mobj_import(self->fd, objfd, &out));
	EXPECT_EQ(0, self->base.client_handles);
	EXPECT_EQ(0, mobj_import(fd1, objfd, &out));
	EXPECT_EQ(0, close(objfd));
	EXPECT_EQ(0, mobj_handle_close(fd1, out));
	EXPECT_EQ(0, mobj_handle_close(fd1, h));
	close(fd1);
}

/* Who holds what: the device descriptor's fdinfo and debugfs "clients". */
TEST_F(share, clients_fdinfo_and_debugfs)
{
	char buf[16384], line[64];
	__u32 a, b;

	ASSERT_EQ(0, mobj_new(self->fd, 1, NULL, 0, &a, NULL));
	ASSERT_EQ(0, mobj_dup(self->fd, a, &b));
	ASSERT_EQ(0, mobj_watch(self->fd, a, 7));
	EXPECT_EQ(2, fdinfo_value(self->fd, "mobj-handles"));
	EXPECT_EQ(1, fdinfo_value(self->fd, "mobj-objects"));
	EXPECT_EQ(1, fdinfo_value(self->fd, "mobj-watches"));
	EXPECT_EQ(0, fdinfo_value(self->fd, "mobj-events"));
	EXPECT_EQ(getpid(), fdinfo_value(self->fd, "mobj-pid"));
	ASSERT_LT(0, mobj_read_text(MOBJ_DEBUGFS "clients", buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "# client pid comm handles objects", 33));
	snprintf(line, sizeof(line), " %d ", getpid());
	EXPECT_NE(NULL, strstr(buf, line)) TH_LOG("%s", buf);
	EXPECT_EQ(0, mobj_handle_close(self->fd, b));
	EXPECT_EQ(0, mobj_handle_close(self->fd, a));
	/* The watch fired: its notice is queued, the watch gone. */
	EXPECT_EQ(1, fdinfo_value(self->fd, "mobj-events"));
	EXPECT_EQ(0, fdinfo_value(self->fd, "mobj-watches"));
}

TEST_HARNESS_MAIN
