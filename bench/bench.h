/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the mobj benchmarks: a clock, medians, the device's
 * capabilities and one JSON line per figure on stdout.
 *
 * Every program prints records like
 *   {"row": "ops", "name": "dup", "value": 812.5, "unit": "ns", ...}
 * one per line; bench/report.py turns them into the table.  Nothing here
 * asserts on a time: these are benchmarks, not tests.
 */
#ifndef MOBJ_BENCH_H
#define MOBJ_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mobj.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Median of @n values; sorts @v in place. */
double bench_median(double *v, size_t n);

/* Exit with a message when @rc (a libmobj return value) is negative. */
void bench_check(int rc, const char *what);

/* Open a device (/dev/mobj, /dev/mobj1, ...) or exit. */
int bench_open(unsigned int index);

/* Does the module know command @cmd (MOBJ_CMD_*)?  From MOBJ_QUERY. */
bool bench_has_command(int fd, unsigned int cmd);

/* Turn automatic collection off on @fd's device (explicit collects only). */
void bench_gc_off(int fd);

/*
 * One record.  @extra is either NULL or more JSON members without the
 * leading comma, e.g. "\"reps\": 5".
 */
void bench_emit(const char *row, const char *name, double value,
		const char *unit, const char *extra);

/* A string record (e.g. "not available"). */
void bench_emit_str(const char *row, const char *name, const char *value);

/* argv[@i] as a number (decimal, 0x hex or 0 octal), @def when not given. */
unsigned int bench_arg(int argc, char **argv, int i, unsigned int def);

/* A /proc/meminfo field ("Slab", "MemAvailable"), in kB; -1 when absent. */
long long bench_meminfo_kb(const char *key);

/* Read one "key value" line of a debugfs-style file; -1 when absent. */
long long bench_read_key(const char *path, const char *key);

#endif /* MOBJ_BENCH_H */
