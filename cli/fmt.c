/* SPDX-License-Identifier: MIT */
/*
 * mmuscope fmt: rewrite a scenario in canonical form (sim/writer.c) to stdout, to a
 * file or in place. Files are replaced by rename, so an error never leaves half a file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

static int usage(void)
{
	fprintf(stderr, "usage: mmuscope fmt FILE [-o OUT | -i]\n");
	return CLI_USAGE;
}

/* Mode for the new file: the old file's, or what open() would give under the umask. */
static mode_t target_mode(const char *path)
{
	struct stat st;
	mode_t mask;

	if (!stat(path, &st))
		return st.st_mode & 07777;
	mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

/* Write @s to a temporary file beside @path, then rename it over @path. */
static int write_replace(const struct scenario *s, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	FILE *f = NULL;
	int fd, err = 0;

	if (!tmp)
		return ENOMEM;
	snprintf(tmp, n, "%.*s.%s.XXXXXX", (int)dirlen, path, slash ? slash + 1 : path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = errno;
		free(tmp);
		return err;
	}
	if (fchmod(fd, target_mode(path)) || !(f = fdopen(fd, "w"))) {
		err = errno;
		close(fd);
		goto fail;
	}
	errno = 0;
	if (scn_write(s, f) || fflush(f) || fsync(fileno(f)))
		err = errno ? errno : EIO;
	if (fclose(f) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (!err) {
		free(tmp);
		return 0;
	}
fail:
	unlink(tmp);
	free(tmp);
	return err;
}

int cli_fmt(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	bool in_place = false;
	struct scenario s;
	int ret = CLI_OK, err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-i")) {
			in_place = true;
		} else if (!strcmp(argv[i], "-o")) {
			if (i + 1 >= argc)
				return usage();
			out = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "mmuscope fmt: unknown option '%s'\n", argv[i]);
			return usage();
		} else if (!in) {
			in = argv[i];
		} else {
			return usage();
		}
	}
	if (!in || (in_place && out))
		return usage();
	if (cli_load(in, &s))
		return CLI_USAGE;
	if (in_place)
		out = in;
	if (out) {
		err = write_replace(&s, out);
		if (err) {
			fprintf(stderr, "mmuscope fmt: cannot write %s: %s\n", out, strerror(err));
			ret = CLI_FAIL;
		}
	} else if (scn_write(&s, stdout) || fflush(stdout)) {
		fprintf(stderr, "mmuscope fmt: cannot write to stdout\n");
		ret = CLI_FAIL;
	}
	scn_free(&s);
	return ret;
}
