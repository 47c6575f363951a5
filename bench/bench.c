// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the mobj benchmarks (see bench.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_check(int rc, const char *what)
{
	if (rc >= 0)
		return;
	fprintf(stderr, "bench: %s: %s\n", what, strerror(-rc));
	exit(1);
}

int bench_open(unsigned int index)
{
	char path[32];
	int fd;

	if (index)
		snprintf(path, sizeof(path), "/dev/mobj%u", index);
	else
		snprintf(path, sizeof(path), "/dev/mobj");
	fd = mobj_dev_open_path(path);
	if (fd < 0) {
		fprintf(stderr, "bench: open %s: %s\n", path, strerror(-fd));
		exit(1);
	}
	return fd;
}

bool bench_has_command(int fd, unsigned int cmd)
{
	struct mobj_query q;

	if (mobj_query(fd, &q) < 0)
		return false;
	return cmd < 64 && (q.commands >> cmd) & 1;
}

void bench_gc_off(int fd)
{
	bench_check(mobj_gc_disable(fd), "gc disable");
}

void bench_emit(const char *row, const char *name, double value,
		const char *unit, const char *extra)
{
	printf("{\"row\": \"%s\", \"name\": \"%s\", \"value\": %.6g, \"unit\": \"%s\"%s%s}\n",
	       row, name, value, unit, extra ? ", " : "", extra ? extra : "");
	fflush(stdout);
}

void bench_emit_str(const char *row, const char *name, const char *value)
{
	printf("{\"row\": \"%s\", \"name\": \"%s\", \"value\": \"%s\"}\n",
	       row, name, value);
	fflush(stdout);
}

long long bench_meminfo_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

long long bench_read_key(const char *path, const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long long v = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			v = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

unsigned int bench_arg(int argc, char **argv, int i, unsigned int def)
{
	return argc > i ? (unsigned int)strtoul(argv[i], NULL, 0) : def;
}
