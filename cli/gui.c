/* SPDX-License-Identifier: MIT */
/* mmuscope gui FILE [--size WxH]: the interactive window (viz/gui.c). */
#include "cli/cli.h"

#ifdef MSC_HAVE_VIZ

#include <string.h>

#include "cpu/err.h"
#include "viz/gui.h"

int cli_gui(int argc, char **argv)
{
	struct viz_session *vs = NULL;
	struct scn_error err = {0};
	const char *file = NULL;
	unsigned w = 1600, h = 1000;
	char why[512], tail;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			if (sscanf(argv[++i], "%ux%u%c", &w, &h, &tail) != 2 || w < 320 ||
			    h < 200 || w > 8192 || h > 8192) {
				fprintf(stderr, "mmuscope gui: --size: expected WxH, got '%s'\n",
					argv[i]);
				return CLI_USAGE;
			}
		} else if (argv[i][0] == '-' || file) {
			fprintf(stderr,
				"mmuscope gui: unexpected '%s'\n"
				"usage: mmuscope gui FILE [--size WxH]\n",
				argv[i]);
			return CLI_USAGE;
		} else {
			file = argv[i];
		}
	}
	if (!file) {
		fprintf(stderr, "usage: mmuscope gui FILE [--size WxH]\n");
		return CLI_USAGE;
	}
	ret = viz_session_open(&vs, file, &err);
	if (ret) {
		if (err.msg[0])
			cli_print_error(&err);
		else
			fprintf(stderr, "%s: %s\n", file, msc_strerror(ret));
		return CLI_USAGE;
	}
	ret = viz_gui_run(vs, (s32)w, (s32)h, why, sizeof(why));
	viz_session_destroy(vs);
	if (ret) {
		fprintf(stderr, "mmuscope gui: %s\n", why);
		return CLI_USAGE;
	}
	return CLI_OK;
}

#else
/* Built without viz/ (viz/viz.cmake not included): the verb is absent. */
typedef int msc_cli_gui_unused;
#endif
