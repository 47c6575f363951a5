// SPDX-License-Identifier: GPL-2.0
/*
 * mobj_bench_mem: kernel memory per object (row 7).
 *
 *   mobj_bench_mem DEV [OBJECTS]
 *
 * Figures:
 *  - the mobj_obj slab cache's bytes per object: the slab's size divided
 *    by the objects it holds (/proc/slabinfo, or /sys/kernel/slab/mobj_obj
 *    when SLUB merged the cache into another);
 *  - the growth of /proc/meminfo's Slab per object when OBJECTS empty
 *    objects (no payload, no slot) are created, each held by a handle:
 *    the object, its id-map entry and its handle-table entry;
 *  - the same for a chain of OBJECTS objects each holding the next in one
 *    slot, held by a single handle: adds the slot array, no handles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static long long sys_slab(const char *attr)
{
	char path[128], buf[64];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/slab/mobj_obj/%s", attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtoll(buf, NULL, 10);
	fclose(f);
	return v;
}

/* Bytes of slab per mobj_obj; *objsize gets the object's own size. */
static double slab_bytes_per_obj(long long *objsize, const char **source)
{
	long long active, num, osize, perslab, pages, order;
	char line[512], name[64];
	FILE *f = fopen("/proc/slabinfo", "r");

	*objsize = -1;
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%63s %lld %lld %lld %lld %lld", name,
				   &active, &num, &osize, &perslab,
				   &pages) != 6 || strcmp(name, "mobj_obj"))
				continue;
			fclose(f);
			*objsize = osize;
			*source = "slabinfo";
			return (double)pages * sysconf(_SC_PAGESIZE) / perslab;
		}
		fclose(f);
	}
	/* Merged with another cache: the alias still has its attributes. */
	order = sys_slab("order");
	perslab = sys_slab("objs_per_slab");
	*objsize = sys_slab("object_size");
	if (order < 0 || perslab <= 0)
		return -1;
	*source = "sysfs-merged";
	return (double)(sysconf(_SC_PAGESIZE) << order) / perslab;
}

static double slab_delta(long long before_kb, unsigned int n)
{
	return (double)(bench_meminfo_kb("Slab") - before_kb) * 1024 / n;
}

int main(int argc, char **argv)
{
	unsigned int dev = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	unsigned int n = argc > 2 ? strtoul(argv[2], NULL, 0) : 100000;
	const char *source = "none";
	long long objsize, before;
	__u32 *hs, head, prev, h;
	char extra[128];
	unsigned int i;
	double per;
	int fd;

	hs = calloc(n, sizeof(*hs));
	if (!hs)
		return 1;
	fd = bench_open(dev);
	bench_gc_off(fd);

	sync();
	before = bench_meminfo_kb("Slab");
	for (i = 0; i < n; i++)
		bench_check(mobj_new(fd, 6, NULL, 0, &hs[i], NULL), "new");
	per = slab_delta(before, n);
	/* Read while the cache is populated: merged caches appear then too. */
	snprintf(extra, sizeof(extra), "\"objects\": %u", n);
	bench_emit("mem", "slab_delta_empty_obj_with_handle", per, "bytes",
		   extra);
	per = slab_bytes_per_obj(&objsize, &source);
	snprintf(extra, sizeof(extra), "\"object_size\": %lld, \"source\": \"%s\"",
		 objsize, source);
	bench_emit("mem", "mobj_obj_slab_bytes", per, "bytes", extra);

	/* The empty objects stay: the chain must not reuse their memory. */
	before = bench_meminfo_kb("Slab");
	bench_check(mobj_new(fd, 6, NULL, 0, &head, NULL), "new");
	prev = head;
	for (i = 1; i < n; i++) {
		bench_check(mobj_new(fd, 6, NULL, 0, &h, NULL), "new");
		bench_check(mobj_slot_append(fd, prev, h, NULL), "append");
		if (prev != head)
			bench_check(mobj_handle_close(fd, prev), "close");
		prev = h;
	}
	bench_check(mobj_handle_close(fd, prev), "close");
	snprintf(extra, sizeof(extra), "\"objects\": %u", n);
	bench_emit("mem", "slab_delta_chain_obj_one_slot",
		   slab_delta(before, n), "bytes", extra);
	bench_check(mobj_handle_close(fd, head), "close");
	for (i = 0; i < n; i++)
		bench_check(mobj_handle_close(fd, hs[i]), "close");
	close(fd);
	free(hs);
	return 0;
}
