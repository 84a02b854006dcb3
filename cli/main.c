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
		"  run [--trace] [--json] [--stats] [--audit] [--until N] [--quiet] FILE...\n"
		"             run scenarios and check their expectations\n"
		"  explain FILE --step N\n"
		"             the teaching view of one step: registers, walk, fault, TLB\n"
		"  fmt FILE [-o OUT | -i]\n"
		"             print a scenario in canonical form (or write OUT, or in place)\n"
		"  list [--dir DIR]\n"
		"             the scenario library: path, name and description\n"
		"  role compute|decode ...\n"
		"             KVM's CPU and root roles from registers, or a role word decoded\n"
		"  host [--runner qemu-tcg|qemu-kvm|kvm] [--json] [--quiet] [--dry-run] FILE...\n"
		"             run scenarios on a real or emulated CPU, compare with the simulator\n"
		"  diff --random N --seed S [--shard K/M] [--runner R] [--out DIR]\n"
		"             a differential campaign of random scenarios, simulator vs runner\n"
		"  soak --seed S --steps N [--vcpus V]\n"
		"             a random shadow-paging run, audited after every step\n"
#ifdef MSC_HAVE_VIZ
		"  gui FILE [--size WxH]\n"
		"             the SDL2 window: step through a scenario, see the MMU\n"
		"  render FILE --step N -o OUT.png [--size WxH] [--expand-sp HPA] ...\n"
		"             the GUI's view of one step, headless, to a PNG\n"
#endif
		"  tour       walk through every paging mode, faults, nested paging and the TLB\n"
		"  version    print the version\n"
		"  help       this text\n"
		"exit: 0 success, 1 expectations failed, 2 invalid input or usage (host, diff: 77 "
		"runner unavailable)\n");
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} verbs[] = {
	{"run", cli_run},   {"explain", cli_explain}, {"fmt", cli_fmt},
	{"list", cli_list}, {"role", cli_role},	      {"tour", cli_tour},
	{"soak", cli_soak}, {"host", cli_host},	      {"diff", cli_diff},
#ifdef MSC_HAVE_VIZ
	{"gui", cli_gui},   {"render", cli_render},
#endif
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	for (size_t i = 0; i < MSC_ARRAY_SIZE(verbs); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version")) {
		printf("mmuscope %s\n", MSC_VERSION);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return CLI_OK;
	}
	fprintf(stderr, "mmuscope: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return CLI_USAGE;
}
