// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_tenancy: what one client of a shared device may do to the others.
 * Run as root; the device is made 0666 for the test and the unprivileged
 * side runs as uid/gid 65534 in a child process, against a root client.
 *
 *  - The collector's device-wide settings (GC_SET) and FREEZE/UNFREEZE
 *    need CAP_SYS_ADMIN: without it they fail with EPERM and change
 *    nothing.  GC_GET, GC_STATS and GC_COLLECT stay open to everyone.
 *  - Saved garbage: without privilege, GC_GARBAGE hands out (and CLEAR
 *    clears) only the garbage made through the caller's own open file;
 *    everyone else's stays saved for them.
 *  - MOBJ_GC_LEAKS reports, without privilege, only the caller's own
 *    objects among those a collection would free.
 *  - MOBJ_TYPE_COUNTS counts, without privilege, only the caller's own
 *    objects; MOBJ_TYPE_COUNTS_ALL (the whole device) is root's: EPERM.
 *  - Type names belong to the user that set them: another user's rename
 *    or removal fails with EPERM, one name is never given to two tags
 *    (EEXIST), root may change any.
 */
#include "mobj_test.h"

#include <sys/stat.h>

#define T_ROOT		0x7e01	/* root's objects and name */
#define T_USER		0x7e02	/* the unprivileged client's */

FIXTURE(tenancy) {
	MOBJ_FIXTURE_BASE;
	struct mobj_gc_state saved;
	mode_t mode;
	bool chmodded;
};

FIXTURE_SETUP(tenancy)
{
	struct stat st;

	self->chmodded = false;
	MOBJ_FIXTURE_OPEN(self);
	if (getuid())
		SKIP_SETUP("must run as root, to become uid %d", MOBJ_NOBODY);
	MOBJ_GC_SAVE(self);
	ASSERT_EQ(0, mobj_gc_disable(self->fd));
	ASSERT_EQ(0, mobj_counts(self->fd, &self->base));
	ASSERT_EQ(0, stat(MOBJ_DEV_PATH, &st));
	self->mode = st.st_mode & 07777;
	ASSERT_EQ(0, chmod(MOBJ_DEV_PATH, 0666));
	self->chmodded = true;
}

FIXTURE_TEARDOWN(tenancy)
{
	if (self->chmodded)
		EXPECT_EQ(0, chmod(MOBJ_DEV_PATH, self->mode));
	MOBJ_GC_RESTORE(self);
	mobj_teardown_check(_metadata, self->fd, self->extra, &self->params,
			    &self->base);
}

/* The collector's settings as one comparable value. */
static bool gc_state_same(const struct mobj_gc_state *a,
			  const struct mobj_gc_state *b)
{
	return a->enabled == b->enabled && a->debug == b->debug &&
	       !memcmp(a->threshold, b->threshold, sizeof(a->threshold)) &&
	       a->freeze_count == b->freeze_count;
}

/* As nobody: every setting refused, reading and collecting allowed. */
static int settings_as_user(void *arg)
{
	const struct mobj_gc_state *before = arg;
	struct mobj_gc_set set = { .size = sizeof(set) };
	struct mobj_gc_state now;
	struct mobj_gc_stats stats;
	__u64 moved = 77;
	int fd;

	fd = mobj_dev_open();
	if (fd < 0)
		return 10;
	if (mobj_gc_enable(fd) != -EPERM || mobj_gc_disable(fd) != -EPERM)
		return 11;
	if (mobj_gc_set_threshold(fd, 1, 1, 1) != -EPERM)
		return 12;
	if (mobj_gc_set_debug(fd, MOBJ_GC_DEBUG_SAVEALL) != -EPERM)
		return 13;
	/* Even a set that changes nothing. */
	if (mobj_gc_set(fd, &set) != -EPERM)
		return 14;
	if (mobj_gc_freeze(fd, &moved) != -EPERM || moved != 77)
		return 15;
	if (mobj_gc_unfreeze(fd, &moved) != -EPERM || moved != 77)
		return 16;
	if (mobj_gc_get(fd, &now) || !gc_state_same(before, &now))
		return 17;
	if (mobj_gc_get_stats(fd, &stats))
		return 18;
	if (mobj_gc_collect(fd, 2, NULL) < 0)
		return 19;
	close(fd);
	return 0;
}

TEST_F(tenancy, collector_settings_need_privilege)
{
	struct mobj_gc_state before, after;
	__u32 a;

	/* A frozen object of root's, which UNFREEZE must not move. */
	NEW(self->fd, a);
	APPEND(self->fd, a, a);
	ASSERT_EQ(0, mobj_gc_freeze(self->fd, NULL));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &before));
	ASSERT_LE(1, before.freeze_count);
	EXPECT_EQ(0, mobj_as_nobody(settings_as_user, &before));
	ASSERT_EQ(0, mobj_gc_get(self->fd, &after));
	EXPECT_TRUE(gc_state_same(&before, &after));
	/* Root may. */
	EXPECT_EQ(0, mobj_gc_unfreeze(self->fd, NULL));
	EXPECT_EQ(0, mobj_gc_set_threshold(self->fd, 700, 10, 10));
	ASSERT_EQ(0, mobj_slot_pop(self->fd, a, 0));
	CLOSE(self->fd, a);
}

/* Make a two-object cycle of type @type with @payload and drop it. */
static int drop_cycle(int fd, __u32 type, const char *payload)
{
	__u32 a, b;
	int ret;

	ret = mobj_new(fd, type, payload, strlen(payload), &a, NULL);
	ret = ret ?: mobj_new(fd, type, NULL, 0, &b, NULL);
	ret = ret ?: mobj_slot_append(fd, a, b, NULL);
	ret = ret ?: mobj_slot_append(fd, b, a, NULL);
	ret = ret ?: mobj_handle_close(fd, a);
	return ret ?: mobj_handle_close(fd, b);
}

/*
 * As nobody, with root's secret cycle saved: only its own garbage comes
 * back, and clearing clears only that.
 */
static int garbage_as_user(void *arg)
{
	struct mobj_info info;
	__u32 hs[8], filled, i;
	char data[16];
	int fd, n;

	fd = mobj_dev_open();
	if (fd < 0)
		return 10;
	if (drop_cycle(fd, T_USER, "mine"))
		return 11;
	if (mobj_gc_collect(fd, 2, NULL) < 2)
		return 12;
	n = mobj_gc_garbage(fd, hs, 8, 0, &filled);
	if (n != 2 || filled != 2)
		return 13;
	for (i = 0; i < filled; i++) {
		if (mobj_info(fd, hs[i], &info) || info.type != T_USER)
			return 14;
		if (mobj_data_read(fd, hs[i], 0, data, sizeof(data), NULL) > 0 &&
		    memcmp(data, "mine", 4))
			return 15;
		mobj_handle_close(fd, hs[i]);
	}
	/* Clear: its own two go, root's stay (checked by the parent). */
	n = mobj_gc_garbage(fd, NULL, 0, MOBJ_GC_GARBAGE_CLEAR, NULL);
	if (n != 2)
		return 16;
	if (mobj_gc_garbage(fd, NULL, 0, 0, NULL) != 0)
		return 17;
	close(fd);
	return 0;
}

TEST_F(tenancy, saved_garbage_only_ones_own)
{
	struct mobj_info info;
	__u32 hs[8], filled, i;
	char data[16];
	int n;

	ASSERT_EQ(0, mobj_gc_set_debug(self->fd, MOBJ_GC_DEBUG_SAVEALL));
	ASSERT_EQ(0, drop_cycle(self->fd, T_ROOT, "secret-token-1234"));
	ASSERT_LE(2, mobj_gc_collect(self->fd, 2, NULL));
	EXPECT_EQ(0, mobj_as_nobody(garbage_as_user, NULL));

	/* Root's garbage is all still there, and root sees every client's. */
	n = mobj_gc_garbage(self->fd, hs, 8, MOBJ_GC_GARBAGE_CLEAR, &filled);
	EXPECT_EQ(2, n);
	ASSERT_EQ(2, filled);
	for (i = 0; i < filled; i++) {
		ASSERT_EQ(0, mobj_info(self->fd, hs[i], &info));
		EXPECT_EQ(T_ROOT, info.type);
		if (info.data_len) {
			ASSERT_EQ(16, mobj_data_read(self->fd, hs[i], 0, data,
						     sizeof(data), NULL));
			EXPECT_EQ(0, memcmp(data, "secret-token-1234", 16));
		}
		/* The cycle's other half: break it, or it is garbage again. */
		ASSERT_EQ(0, mobj_slot_pop(self->fd, hs[i], 0));
	}
	for (i = 0; i < filled; i++)
		CLOSE(self->fd, hs[i]);
	EXPECT_EQ(0, mobj_gc_set_debug(self->fd, 0));
}

/*
 * As nobody, with root's leaking cycle there too: MOBJ_GC_LEAKS names only
 * the objects nobody made, though its collection examines the whole heap.
 */
static int leaks_as_user(void *arg)
{
	const __u64 *root_ids = arg;
	__u64 ids[8];
	int fd, n, i;

	fd = mobj_dev_open();
	if (fd < 0)
		return 10;
	if (drop_cycle(fd, T_USER, "mine"))
		return 11;
	n = mobj_gc_leaks(fd, ids, 8, NULL);
	if (n != 2)
		return 12;
	for (i = 0; i < n; i++)
		if (ids[i] == root_ids[0] || ids[i] == root_ids[1])
			return 13;
	close(fd);
	return 0;
}

TEST_F(tenancy, leaks_only_ones_own)
{
	__u64 root_ids[2];

	ASSERT_EQ(0, drop_cycle(self->fd, T_ROOT, "secret-token-1234"));
	ASSERT_EQ(2, mobj_gc_leaks(self->fd, root_ids, 2, NULL));
	EXPECT_EQ(0, mobj_as_nobody(leaks_as_user, root_ids));
	/* Root sees every client's, and nothing was freed. */
	EXPECT_EQ(4, mobj_gc_leaks(self->fd, NULL, 0, NULL));
	EXPECT_EQ(4, mobj_gc_collect(self->fd, 2, NULL));
}

/* As nobody, with root's objects of its own type there too. */
static int type_counts_as_user(void *arg)
{
	struct mobj_type_count tc[4];
	__u64 objects;
	__u32 h[2];
	int fd;

	fd = mobj_dev_open();
	if (fd < 0)
		return 10;
	if (mobj_type_counts(fd, tc, 4, 0, &objects) != 0 || objects)
		return 11;
	if (mobj_new(fd, T_USER, NULL, 0, &h[0], NULL) ||
	    mobj_new(fd, T_USER, NULL, 0, &h[1], NULL))
		return 12;
	if (mobj_type_counts(fd, tc, 4, 0, &objects) != 1 || objects != 2)
		return 13;
	if (tc[0].type != T_USER || tc[0].count != 2)
		return 14;
	if (mobj_type_counts(fd, tc, 4, MOBJ_TYPE_COUNTS_ALL, NULL) != -EPERM)
		return 15;
	close(fd);
	return 0;
}

TEST_F(tenancy, type_counts_only_ones_own)
{
	struct mobj_type_count tc[64];
	__u32 h[3];
	__u64 objects;
	int i, n;
	bool seen = false;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mobj_new(self->fd, T_ROOT, NULL, 0, &h[i], NULL));
	EXPECT_EQ(0, mobj_as_nobody(type_counts_as_user, NULL));
	/* Root's own: only its three. */
	ASSERT_EQ(1, mobj_type_counts(self->fd, tc, 64, 0, &objects));
	EXPECT_EQ(T_ROOT, tc[0].type);
	EXPECT_EQ(3, tc[0].count);
	/* With the flag, root sees every client's (nobody's are closed). */
	n = mobj_type_counts(self->fd, tc, 64, MOBJ_TYPE_COUNTS_ALL, &objects);
	ASSERT_LE(1, n);
	EXPECT_LE(3, objects);
	for (i = 0; i < n && i < 64; i++) {
		EXPECT_NE(T_USER, tc[i].type);
		if (tc[i].type == T_ROOT) {
			EXPECT_EQ(3, tc[i].count);
			seen = true;
		}
	}
	EXPECT_TRUE(seen);
	for (i = 0; i < 3; i++)
		CLOSE(self->fd, h[i]);
}

/*
 * As nobody, holding two objects of its own until told to stop: root's
 * MOBJ_TYPE_COUNTS_ALL counts them, root's flag-less call does not.
 */
static int type_counts_hold(int *up, int *down)
{
	__u32 h[2];
	char c;
	int fd;

	if (mobj_become_nobody())
		return 100;
	fd = mobj_dev_open();
	if (fd < 0)
		return 10;
	if (mobj_new(fd, T_USER, NULL, 0, &h[0], NULL) ||
	    mobj_new(fd, T_USER, NULL, 0, &h[1], NULL))
		return 11;
	if (write(up[1], "r", 1) != 1)
		return 12;
	if (read(down[0], &c, 1) != 1)
		return 13;
	close(fd);
	return 0;
}

TEST_F(tenancy, type_counts_all_is_roots)
{
	struct mobj_type_count tc[64];
	int up[2], down[2], i, n;
	bool seen = false;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(type_counts_hold(up, down));
	ASSERT_EQ(1, read(up[0], &c, 1));
	EXPECT_EQ(0, mobj_type_counts(self->fd, tc, 64, 0, NULL));
	n = mobj_type_counts(self->fd, tc, 64, MOBJ_TYPE_COUNTS_ALL, NULL);
	EXPECT_LE(1, n);
	for (i = 0; i < n && i < 64; i++) {
		if (tc[i].type == T_USER) {
			EXPECT_EQ(2, tc[i].count);
			seen = true;
		}
	}
	EXPECT_TRUE(seen);
	ASSERT_EQ(1, write(down[1], "x", 1));
	ASSERT_CHILD_EXIT(pid, 0);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

/* As nobody: root's name is root's; its own name is its own. */
static int names_as_user(void *arg)
{
	char name[MOBJ_TYPE_NAME_MAX];
	int fd;

	fd = mobj_dev_open();
	if (fd < 0)
		return 10;
	if (mobj_type_name_set(fd, T_ROOT, "hijacked") != -EPERM)
		return 11;
	if (mobj_type_name_set(fd, T_ROOT, "") != -EPERM)
		return 12;
	if (mobj_type_name_get(fd, T_ROOT, name, sizeof(name)) != 9 ||
	    strcmp(name, "root.type"))
		return 13;
	/* Root's name for another tag: taken. */
	if (mobj_type_name_set(fd, T_USER, "root.type") != -EEXIST)
		return 14;
	if (mobj_type_name_set(fd, T_USER, "user.type") ||
	    mobj_type_name_set(fd, T_USER, "user.type2"))
		return 15;
	/* The same name again for the same tag is no conflict. */
	if (mobj_type_name_set(fd, T_USER, "user.type2"))
		return 16;
	close(fd);
	/* The name stays when the file that set it is closed. */
	fd = mobj_dev_open();
	if (fd < 0)
		return 17;
	if (mobj_type_name_get(fd, T_USER, name, sizeof(name)) != 10)
		return 18;
	if (mobj_type_name_set(fd, T_USER, "user.type3"))
		return 19;
	close(fd);
	return 0;
}

TEST_F(tenancy, type_names_owned)
{
	char name[MOBJ_TYPE_NAME_MAX];

	ASSERT_EQ(0, mobj_type_name_set(self->fd, T_ROOT, "root.type"));
	EXPECT_EQ(0, mobj_as_nobody(names_as_user, NULL));
	EXPECT_EQ(9, mobj_type_name_get(self->fd, T_ROOT, name, sizeof(name)));
	EXPECT_STREQ("root.type", name);
	EXPECT_EQ(10, mobj_type_name_get(self->fd, T_USER, name, sizeof(name)));
	EXPECT_STREQ("user.type3", name);
	/* Root may rename and remove anyone's. */
	EXPECT_EQ(0, mobj_type_name_set(self->fd, T_USER, "renamed"));
	EXPECT_ERRNO(EEXIST, mobj_type_name_set(self->fd, T_ROOT, "renamed"));
	EXPECT_EQ(0, mobj_type_name_set(self->fd, T_USER, ""));
	EXPECT_EQ(0, mobj_type_name_set(self->fd, T_ROOT, ""));
	EXPECT_EQ(0, mobj_type_name_get(self->fd, T_ROOT, name, sizeof(name)));
}

TEST_HARNESS_MAIN
