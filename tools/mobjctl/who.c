// SPDX-License-Identifier: GPL-2.0
/*
 * mobjctl who: every handle to an object, in every open file of the
 * device, and where each was made.  Writes the id to the device's debugfs
 * "who" file and reads the answer back from the same open file; the stacks
 * are there when the module parameter handle_traces was on as the handle
 * was made.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mobjctl.h"

#define WHO_QUERY_MAX	32
#define WHO_HOLDERS_MAX	(1 << 20)

/* One handle: its line of the answer, and its stack lines after it. */
struct who_holder {
	unsigned long long client;
	int pid;
	char comm[64];
	unsigned long long handle;
	char kind[8];
	char **frames;		/* NULL: not traced */
	unsigned int nframes;
};

/* "CLIENT PID COMM HANDLE KIND": the command name may hold spaces. */
static int who_parse_holder(char *line, struct who_holder *h)
{
	char *last, *prev;
	int n = 0;

	memset(h, 0, sizeof(*h));
	last = strrchr(line, ' ');
	if (!last)
		return -1;
	*last = '\0';
	prev = strrchr(line, ' ');
	if (!prev || sscanf(last + 1, "%7s", h->kind) != 1 ||
	    sscanf(prev + 1, "%llu", &h->handle) != 1)
		return -1;
	*prev = '\0';
	if (sscanf(line, "%llu %d %n", &h->client, &h->pid, &n) != 2 || !n)
		return -1;
	snprintf(h->comm, sizeof(h->comm), "%s", line + n);
	return 0;
}

static int who_add_frame(struct who_holder *h, const char *frame)
{
	char **more;

	more = realloc(h->frames, (h->nframes + 1) * sizeof(*more));
	if (!more)
		return -1;
	h->frames = more;
	h->frames[h->nframes] = strdup(frame);
	if (!h->frames[h->nframes])
		return -1;
	h->nframes++;
	return 0;
}

/* The ioctl handler in the stack: the command that made the handle. */
static const char *who_made_by(const struct who_holder *h, char *buf,
			       size_t len)
{
	unsigned int i;

	if (!h->frames)
		return "(not traced)";
	for (i = 0; i < h->nframes; i++)
		if (!strncmp(h->frames[i], "mobj_ioctl_", 11) &&
		    strncmp(h->frames[i], "mobj_ioctl+", 11)) {
			snprintf(buf, len, "%.*s", (int)strcspn(h->frames[i],
								"+ "),
				 h->frames[i]);
			return buf;
		}
	return "?";
}

static void who_free(struct who_holder *hs, size_t n)
{
	unsigned int i;
	size_t k;

	for (k = 0; k < n; k++) {
		for (i = 0; i < hs[k].nframes; i++)
			free(hs[k].frames[i]);
		free(hs[k].frames);
	}
	free(hs);
}

/* Parse the answer in @f; the holders in *@hsp, their number returned. */
static long who_read(FILE *f, struct who_holder **hsp, bool *died)
{
	struct who_holder *hs = NULL, *more, *cur = NULL;
	char *line = NULL, *p;
	size_t len = 0, n = 0;
	ssize_t got;

	while ((got = getline(&line, &len, f)) > 0) {
		if (line[got - 1] == '\n')
			line[got - 1] = '\0';
		if (line[0] == '#') {
			if (strstr(line, "died"))
				*died = true;
			continue;
		}
		if (line[0] == ' ') {
			for (p = line; *p == ' '; p++)
				;
			if (!cur || !strcmp(p, "(not traced)"))
				continue;
			if (who_add_frame(cur, p))
				goto err;
			continue;
		}
		if (n == WHO_HOLDERS_MAX)
			break;
		more = realloc(hs, (n + 1) * sizeof(*hs));
		if (!more)
			goto err;
		hs = more;
		cur = &hs[n];
		if (who_parse_holder(line, cur)) {
			cur = NULL;
			continue;
		}
		n++;
	}
	free(line);
	*hsp = hs;
	return n;
err:
	free(line);
	who_free(hs, n);
	return -1;
}

static void who_json(const struct who_holder *hs, size_t n,
		     unsigned long long id)
{
	char made[64];
	unsigned int i;
	size_t k;

	printf("{\"id\": %llu, \"holders\": [", id);
	for (k = 0; k < n; k++) {
		const struct who_holder *h = &hs[k];

		printf("%s{\"client\": %llu, \"pid\": %d, \"comm\": ",
		       k ? ",\n  " : "\n  ", h->client, h->pid);
		json_str(stdout, h->comm);
		printf(", \"handle\": %llu, \"kind\": ", h->handle);
		json_str(stdout, h->kind);
		if (!h->frames) {
			printf(", \"made_by\": null, \"stack\": null}");
			continue;
		}
		printf(", \"made_by\": ");
		json_str(stdout, who_made_by(h, made, sizeof(made)));
		printf(", \"stack\": [");
		for (i = 0; i < h->nframes; i++) {
			printf("%s", i ? ", " : "");
			json_str(stdout, h->frames[i]);
		}
		printf("]}");
	}
	printf("%s]}\n", n ? "\n" : "");
}

static int who_text(const struct who_holder *hs, size_t n)
{
	static const char *const heads[] = {
		"CLIENT", "PID", "COMM", "HANDLE", "KIND", "MADE BY",
	};
	char client[24], pid[16], handle[24], made[64];
	const char *row[] = { client, pid, NULL, handle, NULL, NULL };
	struct table t;
	unsigned int i;
	size_t k;

	table_init(&t, 6, heads, "rrlrll");
	for (k = 0; k < n; k++) {
		snprintf(client, sizeof(client), "%llu", hs[k].client);
		snprintf(pid, sizeof(pid), "%d", hs[k].pid);
		snprintf(handle, sizeof(handle), "%llu", hs[k].handle);
		row[2] = hs[k].comm;
		row[4] = hs[k].kind;
		row[5] = who_made_by(&hs[k], made, sizeof(made));
		if (table_row(&t, row)) {
			table_free(&t);
			return fail("out of memory");
		}
	}
	table_print(&t, stdout);
	table_free(&t);
	for (k = 0; k < n; k++) {
		if (!hs[k].frames)
			continue;
		printf("\nclient %llu handle %llu was made at:\n",
		       hs[k].client, hs[k].handle);
		for (i = 0; i < hs[k].nframes; i++)
			printf("    %s\n", hs[k].frames[i]);
	}
	return 0;
}

int cmd_who(struct mobjctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = { COMMON_OPTS };
	struct who_holder *hs = NULL;
	char query[WHO_QUERY_MAX];
	unsigned long long id;
	bool died = false;
	int c, fd, rc;
	long n;
	FILE *f;

	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, opts,
				NULL)) != -1)
		common_opt(ctl, argv[0], c);
	if (argc - optind != 1)
		usage_error(argv[0], "expected ID");
	if (parse_u64(argv[optind], ~0ULL, &id) || !id)
		usage_error(argv[0], "object id '%s' is not a number",
			    argv[optind]);

	fd = debugfs_open(ctl, "who", O_RDWR);
	if (fd < 0)
		return EXIT_FAILURE;
	snprintf(query, sizeof(query), "%llu\n", id);
	if (write(fd, query, strlen(query)) < 0) {
		rc = errno;
		close(fd);
		if (rc == ENOENT)
			return fail("no object %llu", id);
		return debugfs_error(ctl, "who", rc);
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return fail("%s/who: %s", ctl->debugfs, strerror(errno));
	}
	errno = 0;
	n = who_read(f, &hs, &died);
	rc = ferror(f) ? errno : 0;
	fclose(f);
	if (n < 0)
		return fail("out of memory");
	if (rc) {
		who_free(hs, n);
		if (rc == ENOENT)
			return fail("object %llu was freed before the answer was read",
				    id);
		return debugfs_error(ctl, "who", rc);
	}
	if (died)
		fprintf(stderr, "mobjctl: object %llu was freed during the walk: the list may be incomplete\n",
			id);
	if (ctl->json)
		who_json(hs, n, id);
	else
		rc = who_text(hs, n);
	who_free(hs, n);
	return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}
