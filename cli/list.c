/* SPDX-License-Identifier: MIT */
/*
 * mmuscope list: every scenario (*.json, recursively) under a directory, sorted by
 * path, one line each with its name and description; invalid files are flagged.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

struct paths {
	char **v;
	size_t n, cap;
	int err; /* first errno met while scanning */
};

static bool is_json(const char *name)
{
	size_t len = strlen(name);

	return len > 5 && !strcmp(name + len - 5, ".json");
}

static void add_path(struct paths *p, char *path)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		char **v = realloc(p->v, cap * sizeof(*v));

		if (!v) {
			free(path);
			p->err = ENOMEM;
			return;
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = path;
}

/* Collect @root/@rel recursively; hidden entries are skipped, symlinked folders not followed. */
static void scan(const char *root, const char *rel, struct paths *p)
{
	size_t n = strlen(root) + strlen(rel) + 2;
	char *dir = malloc(n);
	struct dirent *d;
	DIR *dh;

	if (!dir) {
		p->err = ENOMEM;
		return;
	}
	snprintf(dir, n, "%s%s%s", root, *rel ? "/" : "", rel);
	dh = opendir(dir);
	if (!dh) {
		p->err = p->err ? p->err : errno;
		free(dir);
		return;
	}
	while ((d = readdir(dh))) {
		size_t m = strlen(rel) + strlen(d->d_name) + 2;
		char *sub, *full;
		struct stat st;

		if (d->d_name[0] == '.')
			continue;
		sub = malloc(m);
		full = malloc(n + m);
		if (!sub || !full) {
			free(sub);
			free(full);
			p->err = ENOMEM;
			break;
		}
		snprintf(sub, m, "%s%s%s", rel, *rel ? "/" : "", d->d_name);
		snprintf(full, n + m, "%s/%s", dir, d->d_name);
		if (!lstat(full, &st) && S_ISDIR(st.st_mode))
			scan(root, sub, p);
		else if (is_json(d->d_name) && !stat(full, &st) && S_ISREG(st.st_mode)) {
			add_path(p, sub);
			sub = NULL;
		}
		free(sub);
		free(full);
	}
	closedir(dh);
	free(dir);
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print @str on one line: control characters (a newline in a name) become spaces. */
static void put_line_text(const char *str)
{
	for (; *str; str++)
		putchar((unsigned char)*str < 0x20 ? ' ' : *str);
}

/* Print one line for @rel; returns true when the file is a valid scenario. */
static bool list_one(const char *root, const char *rel)
{
	size_t n = strlen(root) + strlen(rel) + 2;
	char *full = malloc(n);
	struct scenario s;
	struct scn_error e;
	bool ok;

	if (!full) {
		printf("%s  (invalid: out of memory)\n", rel);
		return false;
	}
	snprintf(full, n, "%s/%s", root, rel);
	memset(&e, 0, sizeof(e));
	ok = scn_load_file(full, &s, &e) == 0;
	free(full);
	printf("%s  ", rel);
	if (!ok) {
		/* The file name is already on the line: print the position and message. */
		printf("(invalid: ");
		if (e.line)
			printf("%u:%u: ", e.line, e.col);
		if (e.path[0])
			printf("%s: ", e.path);
		put_line_text(e.msg[0] ? e.msg : "cannot load");
		printf(")\n");
		return false;
	}
	put_line_text(s.name ? s.name : "");
	if (s.description && s.description[0]) {
		printf(" \xe2\x80\x94 ");
		put_line_text(s.description);
	}
	putchar('\n');
	scn_free(&s);
	return true;
}

/* The title of docs/history/NN-*.md (its "# NN — title" line), or NULL. */
static char *history_title(const char *num)
{
	const char *docs = MSC_SOURCE_DIR "/docs/history";
	char *title = NULL, line[512], path[1024];
	struct dirent *d;
	DIR *dh = opendir(docs);

	if (!dh)
		return NULL;
	while (!title && (d = readdir(dh))) {
		size_t len = strlen(d->d_name);
		FILE *f;

		if (strncmp(d->d_name, num, 2) || d->d_name[2] != '-' || len < 4 ||
		    strcmp(d->d_name + len - 3, ".md"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", docs, d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f) && !strncmp(line, "# ", 2)) {
			const char *t = line + 2;
			const char *dash = "\xe2\x80\x94 ";

			line[strcspn(line, "\n")] = 0;
			/* "# 01 — title": the number is printed apart. */
			if (!strncmp(t, num, 2) && t[2] == ' ' && !strncmp(t + 3, dash, 4))
				t += 3 + 4;
			title = strdup(t);
		}
		fclose(f);
	}
	closedir(dh);
	return title;
}

/*
 * --history: one line per discussion of the history library -- the scenarios
 * history/NN-*.json grouped by NN, titled by docs/history/NN-*.md (or by the
 * first scenario's name). Every file is loaded; an invalid one fails the list.
 */
static int list_history(const char *dir, const struct paths *p)
{
	int ret = CLI_OK;

	for (size_t i = 0; i < p->n;) {
		const char *base = p->v[i] + strlen("history/");
		char num[3] = {0}, *title;
		size_t j;

		if (strncmp(p->v[i], "history/", 8) || strlen(base) < 3 || base[2] != '-') {
			if (!list_one(dir, p->v[i]))
				ret = CLI_FAIL;
			i++;
			continue;
		}
		memcpy(num, base, 2);
		title = history_title(num);
		for (j = i; j < p->n && !strncmp(p->v[j], p->v[i], 8 + 3); j++) {
			size_t n = strlen(dir) + strlen(p->v[j]) + 2;
			char *full = malloc(n);
			struct scenario s;
			struct scn_error e;

			if (!full) {
				free(title);
				return CLI_FAIL;
			}
			snprintf(full, n, "%s/%s", dir, p->v[j]);
			memset(&e, 0, sizeof(e));
			if (scn_load_file(full, &s, &e)) {
				fprintf(stderr, "mmuscope list: %s is invalid: %s\n", p->v[j],
					e.msg);
				ret = CLI_FAIL;
			} else {
				if (!title)
					title = strdup(s.name ? s.name : "");
				scn_free(&s);
			}
			free(full);
		}
		printf("%s  ", num);
		put_line_text(title ? title : "");
		free(title);
		printf(" \xe2\x80\x94");
		for (size_t k = i; k < j; k++)
			printf(" %s", p->v[k]);
		putchar('\n');
		i = j;
	}
	return ret;
}

int cli_list(int argc, char **argv)
{
	const char *dir = getenv("MMUSCOPE_SCENARIOS");
	struct paths p = {0};
	bool history = false;
	int ret = CLI_OK;

	if (!dir || !*dir)
		dir = MSC_SOURCE_DIR "/scenarios";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strncmp(argv[i], "--dir=", 6)) {
			dir = argv[i] + 6;
		} else if (!strcmp(argv[i], "--history")) {
			history = true;
		} else {
			fprintf(stderr, "usage: mmuscope list [--dir DIR] [--history]\n");
			return CLI_USAGE;
		}
	}
	/* --history: only the history library (scenarios/history/, docs/history/). */
	scan(dir, history ? "history" : "", &p);
	if (p.err) {
		fprintf(stderr, "mmuscope list: cannot read %s: %s\n", dir, strerror(p.err));
		ret = CLI_USAGE;
		goto out;
	}
	qsort(p.v, p.n, sizeof(*p.v), cmp_path);
	if (history) {
		ret = list_history(dir, &p);
		goto out;
	}
	for (size_t i = 0; i < p.n; i++)
		if (!list_one(dir, p.v[i]))
			ret = CLI_FAIL;
out:
	for (size_t i = 0; i < p.n; i++)
		free(p.v[i]);
	free(p.v);
	return ret;
}
