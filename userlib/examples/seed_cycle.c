// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * seed_cycle: the classic Python leak, on /dev/mobj.
 *
 *	a = ["1"]; b = ["2"]
 *	a.append(b); b.append(a)
 *	del a, b		# refcounts never reach 0: a leak
 *	gc.collect()		# the cycle collector frees both
 *
 * Exits 0 when everything happens as described, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mobj.h"

#define TYPE_STR 1	/* our type tag for "a list with a string payload" */

static int fd = -1;
static int reenable_gc;	/* automatic collection was on: turn it back on */

static void fail(const char *what, int err)
{
	fprintf(stderr, "seed_cycle: %s: %s\n", what, strerror(-err));
	if (reenable_gc)
		mobj_gc_enable(fd);
	exit(1);
}

static __u64 live_objects(void)
{
	struct mobj_query q;
	int ret = mobj_query(fd, &q);

	if (ret)
		fail("MOBJ_QUERY", ret);
	return q.live_objects;
}

static __u64 refcount(__u32 h)
{
	__u64 rc;
	int ret = mobj_getrefcount(fd, h, &rc);

	if (ret)
		fail("MOBJ_GETREFCOUNT", ret);
	return rc;
}

int main(void)
{
	__u64 start, rc_a, rc_b, live;
	struct mobj_query q;
	__u32 a, b;
	int ret, have_collect, have_settings, ok = 1;

	fd = mobj_dev_open();
	if (fd < 0)
		fail("open " MOBJ_DEV_PATH " (is mobj.ko loaded?)", fd);
	ret = mobj_query(fd, &q);
	if (ret)
		fail("MOBJ_QUERY", ret);
	have_collect = !!(q.commands & (1ULL << MOBJ_CMD_GC_COLLECT));
	have_settings = (q.commands & (1ULL << MOBJ_CMD_GC_GET)) &&
			(q.commands & (1ULL << MOBJ_CMD_GC_SET));

	printf("# mobj seed_cycle: a reference cycle leaks until the cycle collector runs\n");
	if (have_settings) {
		/* Keep the automatic collector from freeing the cycle early. */
		ret = mobj_gc_isenabled(fd);
		if (ret < 0)
			fail("MOBJ_GC_GET", ret);
		if (ret) {
			ret = mobj_gc_disable(fd);
			if (ret)
				fail("MOBJ_GC_SET", ret);
			reenable_gc = 1;
		}
		printf(">>> gc.disable()          # no automatic collection while we watch\n");
	}
	start = live_objects();
	printf("# %llu live objects on the device to start with\n",
	       (unsigned long long)start);

	ret = mobj_new(fd, TYPE_STR, "1", 1, &a, NULL);
	if (ret)
		fail("MOBJ_NEW", ret);
	printf(">>> a = mobj(\"1\")          # MOBJ_NEW: handle %u, refcount 1\n", a);
	ret = mobj_new(fd, TYPE_STR, "2", 1, &b, NULL);
	if (ret)
		fail("MOBJ_NEW", ret);
	printf(">>> b = mobj(\"2\")          # MOBJ_NEW: handle %u, refcount 1\n", b);

	ret = mobj_slot_append(fd, a, b, NULL);
	if (ret)
		fail("MOBJ_SLOT_APPEND", ret);
	printf(">>> a.append(b)           # a's slot 0 now holds a reference to b\n");
	ret = mobj_slot_append(fd, b, a, NULL);
	if (ret)
		fail("MOBJ_SLOT_APPEND", ret);
	printf(">>> b.append(a)           # and b's slot 0 one to a: a cycle\n");

	rc_a = refcount(a);
	rc_b = refcount(b);
	printf(">>> sys.getrefcount(a), sys.getrefcount(b)\n");
	printf("(%llu, %llu)                    # each: one handle + one slot\n",
	       (unsigned long long)rc_a, (unsigned long long)rc_b);
	if (rc_a != 2 || rc_b != 2) {
		fprintf(stderr, "seed_cycle: expected refcounts (2, 2)\n");
		ok = 0;
	}

	ret = mobj_handle_close(fd, a);
	if (ret)
		fail("MOBJ_CLOSE", ret);
	ret = mobj_handle_close(fd, b);
	if (ret)
		fail("MOBJ_CLOSE", ret);
	printf(">>> del a, b              # MOBJ_CLOSE both handles: refcounts drop to 1\n");

	live = live_objects();
	printf("# %llu live objects: still %+lld -- each keeps the other alive, no handle reaches them\n",
	       (unsigned long long)live, (long long)(live - start));
	if (live != start + 2) {
		fprintf(stderr, "seed_cycle: expected %llu live objects\n",
			(unsigned long long)start + 2);
		ok = 0;
	}
	live = live_objects();
	printf("# %llu live objects when asked again: the leak stays\n",
	       (unsigned long long)live);
	if (live != start + 2)
		ok = 0;

	if (!have_collect) {
		printf("# this mobj module has no cycle collector (MOBJ_GC_COLLECT): the leak stays until close()\n");
		mobj_dev_close(fd);
		return ok ? 0 : 1;
	}

	ret = mobj_gc_collect(fd, 2, NULL);
	if (ret < 0)
		fail("MOBJ_GC_COLLECT", ret);
	printf(">>> gc.collect(2)         # MOBJ_GC_COLLECT: find and free unreachable cycles\n");
	printf("collected %d\n", ret);
	if (ret != 2) {
		fprintf(stderr, "seed_cycle: expected to collect 2\n");
		ok = 0;
	}
	live = live_objects();
	printf("# %llu live objects: back where we started\n",
	       (unsigned long long)live);
	if (live != start)
		ok = 0;

	if (reenable_gc) {
		reenable_gc = 0;
		ret = mobj_gc_enable(fd);
		if (ret)
			fail("MOBJ_GC_SET", ret);
		printf(">>> gc.enable()           # automatic collection back on\n");
	}
	mobj_dev_close(fd);
	if (!ok)
		fprintf(stderr, "seed_cycle: FAILED\n");
	return ok ? 0 : 1;
}
