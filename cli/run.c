/* SPDX-License-Identifier: MIT */
/*
 * mmuscope run: run scenario files, print the trace or JSON events on request, report
 * each failed expectation where it happens and one PASS/FAIL line per file.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

struct run_opts {
	bool trace, json, stats, quiet, audit;
	bool until_given;
	u32 until;
};

struct run_sink {
	const struct scenario *s;
	const struct run_opts *o;
};

typedef int (*event_fmt_fn)(const struct sim_event *ev, char *buf, size_t n);

/* Print one event line made by @fn; long lines get a buffer of their own. */
static void emit(event_fmt_fn fn, const struct sim_event *ev)
{
	char small[1024], *buf = small;
	int len = fn(ev, small, sizeof(small));

	if (len <= 0)
		return;
	if ((size_t)len >= sizeof(small)) {
		buf = malloc((size_t)len + 1);
		if (!buf) {
			fputs("(event line lost: out of memory)\n", stdout);
			return;
		}
		fn(ev, buf, (size_t)len + 1);
	}
	puts(buf);
	if (buf != small)
		free(buf);
}

static void print_failure(const struct scenario *s, const struct sim_event *ev)
{
	const char *op = ev->step < s->nsteps ? scn_op_name(s->steps[ev->step].op) : "?";

	fflush(stdout);
	if (ev->u.fail.pos.line)
		fprintf(stderr, "%s:%u:%u: ", s->file, ev->u.fail.pos.line, ev->u.fail.pos.col);
	else
		fprintf(stderr, "%s: ", s->file);
	fprintf(stderr, "step %u (%s): expected %s = %s, observed %s\n", ev->step, op,
		ev->u.fail.what, ev->u.fail.expected, ev->u.fail.observed);
}

static void run_sink_fn(void *ctx, const struct sim_event *ev)
{
	const struct run_sink *rs = ctx;

	if (rs->o->trace)
		emit(sim_event_format, ev);
	if (rs->o->json)
		emit(sim_event_json, ev);
	if (ev->kind == SIM_EV_EXPECT_FAIL)
		print_failure(rs->s, ev);
	if (ev->kind == SIM_EV_DIVERGENCE && ev->u.divergence.text &&
	    !strncmp(ev->u.divergence.text, "audit: ", 7)) {
		fflush(stdout);
		fprintf(stderr, "%s: step %u: %s\n", rs->s->file, ev->step, ev->u.divergence.text);
	}
}

static void print_state(const struct sim *sim, u32 nsteps)
{
	struct sim_snapshot snap;

	sim_snapshot(sim, &snap);
	printf("state after %u of %u steps:\n", snap.step, nsteps);
	for (u16 i = 0; i < snap.nvcpus; i++)
		cli_print_vcpu(stdout, i, &snap.vcpu[i]);
	printf("counters:\n");
	cli_print_counters(stdout, &snap.counters, "  ");
}

/* Run one file: CLI_OK when every expectation held, CLI_FAIL, or CLI_USAGE if invalid. */
static int run_file(const char *path, const struct run_opts *o)
{
	struct scenario s;
	struct scn_error err;
	struct sim *sim = NULL;
	struct run_sink rs = {.s = &s, .o = o};
	struct sim_snapshot snap;
	u32 failures, done;
	int ret = CLI_USAGE;

	if (cli_load(path, &s))
		return CLI_USAGE;
	memset(&err, 0, sizeof(err));
	if (sim_create(&sim, &s, &err)) {
		cli_print_error(&err);
		goto out;
	}
	if (sim_add_sink(sim, run_sink_fn, &rs)) {
		fflush(stdout);
		fprintf(stderr, "%s: cannot attach the event sink\n", path);
		goto out;
	}
	sim_set_audit(sim, o->audit);
	if (sim_run(sim, o->until_given ? o->until : UINT32_MAX, &err) < 0) {
		cli_print_error(&err);
		goto out;
	}
	if (o->until_given)
		print_state(sim, s.nsteps);
	failures = sim_failures(sim);
	done = sim_steps_done(sim);
	if (failures)
		printf("FAIL %s: %u %s failed in %u %s\n", path, failures,
		       failures == 1 ? "expectation" : "expectations", done,
		       done == 1 ? "step" : "steps");
	else if (!o->quiet)
		printf("PASS %s (%u %s)\n", path, done, done == 1 ? "step" : "steps");
	if (o->stats) {
		sim_snapshot(sim, &snap);
		cli_print_counters(stdout, &snap.counters, "");
	}
	ret = failures ? CLI_FAIL : CLI_OK;
out:
	if (sim)
		sim_destroy(sim);
	scn_free(&s);
	return ret;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: mmuscope run [--trace] [--json] [--stats] [--audit] [--until N] [--quiet] "
		"FILE...\n");
	return CLI_USAGE;
}

int cli_run(int argc, char **argv)
{
	struct run_opts o = {0};
	const char **files = calloc((size_t)argc, sizeof(*files));
	int nfiles = 0, worst = CLI_OK;
	bool opts_done = false;

	if (!files) {
		fprintf(stderr, "mmuscope run: out of memory\n");
		return CLI_FAIL;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-' || !a[1]) {
			files[nfiles++] = a;
		} else if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "--trace")) {
			o.trace = true;
		} else if (!strcmp(a, "--json")) {
			o.json = true;
		} else if (!strcmp(a, "--stats")) {
			o.stats = true;
		} else if (!strcmp(a, "--audit")) {
			o.audit = true;
		} else if (!strcmp(a, "--quiet")) {
			o.quiet = true;
		} else if (!strcmp(a, "--until") || !strncmp(a, "--until=", 8)) {
			const char *v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);

			if (!cli_parse_u32(v, &o.until)) {
				fprintf(stderr,
					"mmuscope run: --until needs a step count, got '%s'\n",
					v ? v : "");
				free(files);
				return usage();
			}
			o.until_given = true;
		} else {
			fprintf(stderr, "mmuscope run: unknown option '%s'\n", a);
			free(files);
			return usage();
		}
	}
	if (!nfiles) {
		free(files);
		return usage();
	}
	for (int i = 0; i < nfiles; i++) {
		int r = run_file(files[i], &o);

		/* 2 (invalid) outranks 1 (failed) outranks 0. */
		if (r > worst)
			worst = r;
	}
	fflush(stdout);
	free(files);
	return worst;
}
