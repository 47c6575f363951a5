/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mobjctl: look at and steer a mobj heap from the command line.
 *
 * Device commands go through libmobj (and a raw ioctl where libmobj has no
 * wrapper yet); the views of the heap come from the device's debugfs
 * directory, the events from tracefs.
 */
#ifndef MOBJCTL_H
#define MOBJCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "mobj.h"

#define DEBUGFS_DIR	"/sys/kernel/debug"
#define MOBJCTL_PATH_MAX 512

/* Exit codes: 0 success, 1 the operation failed, 2 bad usage. */
#define EXIT_USAGE 2

struct mobjctl {
	const char *device;		/* --device, default /dev/mobj */
	bool json;			/* --json */
	char debugfs[MOBJCTL_PATH_MAX];	/* the device's debugfs directory */
	char **argv;			/* the command's arguments */
};

/* A command: its exit code (0, EXIT_FAILURE or EXIT_USAGE). */
typedef int mobjctl_run(struct mobjctl *ctl, int argc, char **argv);

struct mobjctl_cmd {
	const char *name;
	const char *args;		/* synopsis after the name */
	const char *summary;		/* one line, for mobjctl --help */
	const char *help;		/* what it does, several lines */
	bool json;			/* takes --json */
	mobjctl_run *run;
};

extern const struct mobjctl_cmd mobjctl_cmds[];

/* util.c: one-line errors, paths, numbers, JSON strings. */
int __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...);
void __attribute__((format(printf, 2, 3), noreturn))
usage_error(const char *cmd, const char *fmt, ...);
int parse_u64(const char *s, unsigned long long max, unsigned long long *v);
int parse_u32(const char *s, unsigned int *v);
int device_open(struct mobjctl *ctl);
int device_error(struct mobjctl *ctl, int err);
int debugfs_dir(struct mobjctl *ctl);
int debugfs_open(struct mobjctl *ctl, const char *file, int flags);
int debugfs_error(struct mobjctl *ctl, const char *file, int err);
bool module_loaded(void);
void json_str(FILE *f, const char *s);
bool is_number(const char *s);
void common_opt(struct mobjctl *ctl, const char *cmd, int c);
void cmd_help(const struct mobjctl_cmd *cmd, FILE *f);
const struct mobjctl_cmd *cmd_find(const char *name);

/* util.c: tables printed in aligned columns. */
#define TABLE_COLS_MAX 8
struct table {
	unsigned int ncols;
	const char *const *heads;
	const char *align;		/* 'l' or 'r' for each column */
	char **cells;			/* rows * ncols copies */
	size_t rows, cap;
};

void table_init(struct table *t, unsigned int ncols,
		const char *const *heads, const char *align);
int table_row(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

/* util.c: type names and tags (tags up to TYPE_SCAN_MAX for a name). */
#define TYPE_SCAN_MAX 65536
#define TYPE_SCAN_LAST "65535"
const char *type_name_of(struct mobjctl *ctl, __u32 tag, char *name);
int type_tag_of(struct mobjctl *ctl, const char *name, __u32 *tag,
		bool *complete);
int type_tag_parse(struct mobjctl *ctl, const char *type, __u32 *tag);

/* The options every command takes; its own come first in its table. */
#define COMMON_OPTS \
	{ "json", no_argument, NULL, 'j' }, \
	{ "device", required_argument, NULL, 'D' }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ NULL, 0, NULL, 0 }
#define COMMON_SHORTOPTS "hD:"

/* heap.c */
mobjctl_run cmd_stats, cmd_clients, cmd_collect, cmd_leaks, cmd_threshold,
	cmd_objects, cmd_garbage, cmd_check, cmd_name;
int types_from_debugfs(struct mobjctl *ctl);

/* types.c */
mobjctl_run cmd_types, cmd_growth;

/* graph.c */
mobjctl_run cmd_graph, cmd_chain;

/* trace.c */
mobjctl_run cmd_trace;

/* who.c */
mobjctl_run cmd_who;

#endif /* MOBJCTL_H */
