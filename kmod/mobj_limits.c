// SPDX-License-Identifier: GPL-2.0
/*
 * mobj limits: module parameters, root-writable at any time, read on
 * every operation that they bound.  Each has a range; a write outside it
 * fails with EINVAL and changes nothing.
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/sysfs.h>

#include <kunit/visibility.h>

#include "mobj.h"

struct mobj_limit {
	unsigned int val;
	unsigned int min;
	unsigned int max;
};

static int mobj_limit_set(const char *buf, const struct kernel_param *kp)
{
	struct mobj_limit *limit = kp->arg;
	unsigned int val;
	int rc;

	rc = kstrtouint(buf, 0, &val);
	if (rc)
		return rc;
	if (val < limit->min || val > limit->max)
		return -EINVAL;
	WRITE_ONCE(limit->val, val);
	return 0;
}

static int mobj_limit_get(char *buf, const struct kernel_param *kp)
{
	struct mobj_limit *limit = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(limit->val));
}

static const struct kernel_param_ops mobj_limit_ops = {
	.set = mobj_limit_set,
	.get = mobj_limit_get,
};

static struct mobj_limit mobj_limits[MOBJ_NR_LIMITS] = {
	[MOBJ_LIMIT_DATA_MAX] = { 4096, 0, SZ_1M },
	[MOBJ_LIMIT_SLOTS_MAX] = { 65536, 1, 1U << 20 },
	[MOBJ_LIMIT_OBJECTS_MAX] = { 1U << 24, 1, UINT_MAX },
	[MOBJ_LIMIT_CLIENT_OBJECTS_MAX] = { 1U << 22, 1, UINT_MAX },
	[MOBJ_LIMIT_CLIENT_HANDLES_MAX] = { 1U << 22, 1, INT_MAX },
	[MOBJ_LIMIT_EVENTS_MAX] = { 1024, 1, 65536 },
	[MOBJ_LIMIT_GC_STEP_BUDGET] = { 1024, 0, UINT_MAX },
	[MOBJ_LIMIT_CLIENT_WATCHES_MAX] = { 65536, 1, 1U << 24 },
	[MOBJ_LIMIT_GC_WATCHERS_MAX] = { 1024, 1, 65536 },
};

module_param_cb(data_max, &mobj_limit_ops,
		&mobj_limits[MOBJ_LIMIT_DATA_MAX], 0644);
MODULE_PARM_DESC(data_max,
		 "Largest payload in bytes (default 4096, at most 1 MiB)");
module_param_cb(slots_max, &mobj_limit_ops,
		&mobj_limits[MOBJ_LIMIT_SLOTS_MAX], 0644);
MODULE_PARM_DESC(slots_max, "Most slots per object (default 65536)");
module_param_cb(objects_max, &mobj_limit_ops,
		&mobj_limits[MOBJ_LIMIT_OBJECTS_MAX], 0644);
MODULE_PARM_DESC(objects_max, "Most live objects per device (default 16M)");
module_param_cb(client_objects_max, &mobj_limit_ops,
		&mobj_limits[MOBJ_LIMIT_CLIENT_OBJECTS_MAX], 0644);
MODULE_PARM_DESC(client_objects_max,
		 "Most live objects created by one open file (default 4M)");
module_param_cb(client_handles_max, &mobj_limit_ops,
		&mobj_limits[MOBJ_LIMIT_CLIENT_HANDLES_MAX], 0644);
MODULE_PARM_DESC(client_handles_max,
		 "Most handles held by one open file (default 4M)");
module_param_cb(events_max, &mobj_limit_ops,
		&mobj_limits[MOBJ_LIMIT_EVENTS_MAX], 0644);
MODULE_PARM_DESC(events_max,
		 "Death notices queued per open file before they are dropped (default 1024)");
module_param_cb(gc_step_budget, &mobj_limit_ops,
		&mobj_limits[MOBJ_LIMIT_GC_STEP_BUDGET], 0644);
MODULE_PARM_DESC(gc_step_budget,
		 "Work (objects and slots visited) done under the lock before waiting clients have it (default 1024, 0: no pauses)");
module_param_cb(client_watches_max, &mobj_limit_ops,
		&mobj_limits[MOBJ_LIMIT_CLIENT_WATCHES_MAX], 0644);
MODULE_PARM_DESC(client_watches_max,
		 "Most death notices one open file may ask for (default 65536)");
module_param_cb(gc_watchers_max, &mobj_limit_ops,
		&mobj_limits[MOBJ_LIMIT_GC_WATCHERS_MAX], 0644);
MODULE_PARM_DESC(gc_watchers_max,
		 "Most open files of a device watching its collections (default 1024)");

/* The current value of a limit. */
unsigned int mobj_limit(enum mobj_limit_id id)
{
	return READ_ONCE(mobj_limits[id].val);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_limit);
