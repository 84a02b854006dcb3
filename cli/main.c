/* SPDX-License-Identifier: MIT */
/* mmuscope command-line front end: parses the verb and hands over. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmuscope <verb> [args]\n"
		"verbs:\n"
		"  tour       walk through every paging mode, faults, nested paging and the TLB\n"
		"  version    print the version\n"
		"  help       this text\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "tour"))
		return cli_tour(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version")) {
		printf("mmuscope %s\n", MSC_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "mmuscope: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
