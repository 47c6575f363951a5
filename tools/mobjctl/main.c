// SPDX-License-Identifier: GPL-2.0
/*
 * mobjctl: the command table, help and the global options.
 *
 *	mobjctl [--device PATH] [--json] COMMAND [ARGS...]
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mobjctl.h"

const struct mobjctl_cmd mobjctl_cmds[] = {
	{
		.name = "stats",
		.summary = "Counts, collector statistics and the lock's figures",
		.args = "",
		.help = "Counts, collector settings and statistics, and the big lock's\n"
			"figures (acquisitions, contention, waits, longest hold).",
		.json = true,
		.run = cmd_stats,
	}, {
		.name = "clients",
		.summary = "Who holds what: one line per open file of the device",
		.args = "",
		.help = "Who holds what: one line per open file of the device (client,\n"
			"pid, command, handles, live objects it made, queued death notices,\n"
			"watches).  Exported objects show in /proc/PID/fdinfo.",
		.run = cmd_clients,
	}, {
		.name = "collect",
		.summary = "Run the cycle collector (gc.collect) and print what it found",
		.args = "[GEN]",
		.help = "Run the cycle collector on generations 0..GEN (0-2, default 2),\n"
			"like gc.collect(GEN), and print what it found.",
		.json = true,
		.run = cmd_collect,
	}, {
		.name = "leaks",
		.summary = "What the next collection would free, freeing nothing",
		.args = "",
		.help = "The ids of the objects the next full collection would free\n"
			"(kept alive only by reference cycles: objgraph's\n"
			"get_leaking_objects), found by a collection that frees, promotes\n"
			"and counts nothing.  Without CAP_SYS_ADMIN, only the objects\n"
			"made through the caller's own open files (here: none of\n"
			"another process's).",
		.json = true,
		.run = cmd_leaks,
	}, {
		.name = "threshold",
		.summary = "Print or set the collector's thresholds (gc.set_threshold)",
		.args = "[T0 [T1 [T2]]]",
		.help = "Print the collector's thresholds, or set the ones given\n"
			"(gc.set_threshold); T0 = 0 turns automatic collection off.",
		.json = true,
		.run = cmd_threshold,
	}, {
		.name = "types",
		.summary = "Live objects per type, most common first",
		.args = "[--fd N]",
		.help = "Live objects per type, most common first (objgraph's\n"
			"show_most_common_types): every client's, which needs\n"
			"CAP_SYS_ADMIN, or with --fd N those made through the open file\n"
			"of the device inherited as descriptor N, which needs nothing.",
		.json = true,
		.run = cmd_types,
	}, {
		.name = "growth",
		.summary = "Types whose count grew since the last growth (show_growth)",
		.args = "[--fd N] [--reset]",
		.help = "The types whose live objects rose above their peak since the last\n"
			"run, with the increase (objgraph's show_growth); the first run\n"
			"shows every type.  Peaks are kept in $XDG_RUNTIME_DIR/mobjctl/\n"
			"(else ~/.cache/mobjctl/), per device and per scope; --reset\n"
			"forgets them.  --fd N as for types.",
		.json = true,
		.run = cmd_growth,
	}, {
		.name = "objects",
		.summary = "One line per live object, optionally of one type",
		.args = "[--type T]",
		.help = "One line per live object: id, type, refcount, generation, slots,\n"
			"payload length and flags (t tracked, f frozen, g garbage,\n"
			"w watched).  --type T keeps the objects of type T: a name,\n"
			"typeN or a number.",
		.json = true,
		.run = cmd_objects,
	}, {
		.name = "garbage",
		.summary = "The objects on the collector's garbage list",
		.args = "",
		.help = "The objects the collector kept on the garbage list\n"
			"(MOBJ_GC_DEBUG_SAVEALL), in the format of objects.",
		.json = true,
		.run = cmd_garbage,
	}, {
		.name = "check",
		.summary = "Verify the whole heap in the kernel",
		.args = "",
		.help = "Verify the whole heap in the kernel: \"ok ...\" or one line per\n"
			"problem; exits 1 when there is a problem.",
		.json = true,
		.run = cmd_check,
	}, {
		.name = "graph",
		.summary = "The reference graph around an object (Graphviz or JSON)",
		.args = "refs|backrefs ID [--depth N] [--max N] [-o FILE]",
		.help = "The reference graph around object ID as a Graphviz digraph: what\n"
			"it refers to (refs, objgraph's show_refs) or what refers to it\n"
			"(backrefs, show_backrefs, with the clients' handles as roots).\n"
			"--depth: levels (1-20, default 3); --max: edges drawn per node\n"
			"(1-1000, default 10), the rest as an \"N more references\" node.\n"
			"-o FILE.dot writes the digraph, -o FILE.svg|.png|.pdf renders it\n"
			"with Graphviz dot; without -o it goes to standard output.\n"
			"--json: the nodes, edges, clients and handles as JSON instead\n"
			"(to -o FILE, whatever its name, or standard output).",
		.json = true,
		.run = cmd_graph,
	}, {
		.name = "chain",
		.summary = "The shortest path from a handle to an object: why is it alive?",
		.args = "ID [--depth N] [--max N] [-o FILE]",
		.help = "The shortest path from a handle to object ID: why is it alive?\n"
			"(objgraph's find_backref_chain).  --depth bounds the path searched\n"
			"(1-1048576, default: no bound), --max the referrers followed from\n"
			"each object (1-1000, default: all).  -o and --json as for\n"
			"graph.",
		.json = true,
		.run = cmd_chain,
	}, {
		.name = "who",
		.summary = "Every handle to an object, and where each was made",
		.args = "ID",
		.help = "Every handle to object ID in every open file of the device:\n"
			"client, pid, command, handle, strong or weak, and the ioctl that\n"
			"made it, followed by the whole stack of each.  The stacks are\n"
			"kept only while the module parameter handle_traces is on\n"
			"(echo 1 > /sys/module/mobj/parameters/handle_traces); handles\n"
			"made while it was off show \"(not traced)\".",
		.json = true,
		.run = cmd_who,
	}, {
		.name = "trace",
		.summary = "Print the mobj tracepoints' events as they come",
		.args = "[--count N]",
		.help = "Enable the mobj tracepoints and print each event as it comes,\n"
			"until Ctrl-C (or N events), then disable them.  Events of every\n"
			"mobj device; a tracefs instance of its own, so other tracing is\n"
			"left alone.",
		.run = cmd_trace,
	}, {
		.name = "name",
		.summary = "Name a type tag, print its name or remove it",
		.args = "TYPE [NAME]",
		.help = "Give type tag TYPE a name, used by debugfs and mobjctl (1-31\n"
			"characters from A-Za-z0-9_.:<>-); print its name; or remove it\n"
			"with an empty NAME.",
		.run = cmd_name,
	},
	{ }
};

const struct mobjctl_cmd *cmd_find(const char *name)
{
	const struct mobjctl_cmd *cmd;

	for (cmd = mobjctl_cmds; cmd->name; cmd++)
		if (!strcmp(cmd->name, name))
			return cmd;
	return NULL;
}

void cmd_help(const struct mobjctl_cmd *cmd, FILE *f)
{
	fprintf(f, "Usage: mobjctl [--device PATH] %s%s%s%s\n\n%s\n\n", cmd->name,
		*cmd->args ? " " : "", cmd->args,
		cmd->json ? " [--json]" : "", cmd->help);
	fprintf(f, "  --device PATH  the mobj device (default %s)\n",
		MOBJ_DEV_PATH);
	if (cmd->json)
		fprintf(f, "  --json         machine-readable output\n");
	fprintf(f, "  -h, --help     this help\n");
	fprintf(f, "  --version      mobjctl's, libmobj's and the module's release\n");
}

/* The commands, one line each: name and summary in two columns. */
/* The commands, one line each: the name, then what it does. */
static void usage(FILE *f)
{
	const struct mobjctl_cmd *cmd;
	int width = 0;

	fprintf(f, "Usage: mobjctl [--device PATH] [--json] COMMAND [ARGS...]\n\n"
		"Look at and steer a mobj heap (/dev/mobj): its objects, their\n"
		"references and the cycle collector.  Most commands read debugfs\n"
		"and need root.\n\nCommands:\n");
	for (cmd = mobjctl_cmds; cmd->name; cmd++)
		if ((int)strlen(cmd->name) > width)
			width = strlen(cmd->name);
	for (cmd = mobjctl_cmds; cmd->name; cmd++)
		fprintf(f, "  %-*s  %s\n", width, cmd->name, cmd->summary);
	fprintf(f, "\n'mobjctl COMMAND --help' (or 'mobjctl help COMMAND') describes one.\n");
}

static int help(const char *name)
{
	const struct mobjctl_cmd *cmd;

	if (!name) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	cmd = cmd_find(name);
	if (!cmd)
		usage_error(NULL, "unknown command '%s'", name);
	cmd_help(cmd, stdout);
	return EXIT_SUCCESS;
}

static void print_release(const char *what, int code)
{
	printf("%s %d.%d.%d", what, code >> 16, (code >> 8) & 0xff,
	       code & 0xff);
}

/* The loaded module's release, as modinfo has it (readable by all). */
static bool module_version(char *buf, size_t len)
{
	FILE *f = fopen("/sys/module/mobj/version", "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ok && buf[0];
}

/*
 * mobjctl is built with libmobj: one release for both, and the module's.
 * The tool's own release is always printed.  When the device cannot be
 * asked, say why with the error that stopped us (EACCES: "Permission
 * denied", ENOTTY: not a mobj device...): "module not loaded" only when the
 * device is not there and neither is the module.
 */
static void print_version(struct mobjctl *ctl)
{
	struct mobj_query q;
	char ver[32];
	int fd, err;

	print_release("mobjctl", mobj_version());
	print_release(", libmobj", mobj_version());
	fd = mobj_dev_open_path(ctl->device);
	err = fd < 0 ? -fd : -mobj_query(fd, &q);
	if (!err)
		print_release(", module", q.version);
	else if (module_version(ver, sizeof(ver)))
		/* Loaded, but this device may not be asked (by this user). */
		printf(", module %s (%s: %s)", ver, ctl->device, strerror(err));
	else if (err == ENOENT || err == ENODEV || err == ENXIO)
		printf(", module not loaded");
	else
		printf(", module unknown (%s: %s)", ctl->device, strerror(err));
	if (fd >= 0)
		mobj_dev_close(fd);
	printf("\n");
}

/* The options before the command; returns the command's index in argv. */
static int global_opts(struct mobjctl *ctl, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			ctl->json = true;
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			ctl->device = argv[++i];
		} else if (!strncmp(argv[i], "--device=", 9)) {
			ctl->device = argv[i] + 9;
		} else if (!strcmp(argv[i], "--version")) {
			print_version(ctl);
			exit(EXIT_SUCCESS);
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			exit(EXIT_SUCCESS);
		} else {
			usage_error(NULL, "unknown option '%s'", argv[i]);
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	struct mobjctl ctl = { .device = MOBJ_DEV_PATH };
	const struct mobjctl_cmd *cmd;
	int i;

	i = global_opts(&ctl, argc, argv);
	if (i == argc)
		usage_error(NULL, "no command given");
	if (!strcmp(argv[i], "help"))
		return help(i + 1 < argc ? argv[i + 1] : NULL);
	cmd = cmd_find(argv[i]);
	if (!cmd)
		usage_error(NULL, "unknown command '%s'", argv[i]);
	if (ctl.json && !cmd->json)
		usage_error(cmd->name, "--json is not supported here");
	ctl.argv = argv + i;
	opterr = 0;	/* common_opt() says what is wrong, on one line */
	return cmd->run(&ctl, argc - i, argv + i);
}
