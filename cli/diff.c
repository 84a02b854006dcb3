/* SPDX-License-Identifier: MIT */
/*
 * mmuscope diff --random N --seed S [--shard K/M]: a differential campaign
 * (docs/host.md, "mmuscope diff"). Random scenarios (host/campaign.c) are
 * lowered and run many per probe batch on a runner; each scenario with an
 * unexplained divergence is shrunk (ddmin over its steps, the mode set-up
 * kept) and written out as a minimal scenario file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cpu/err.h"
#include "host/campaign.h"

#define CLI_SKIP 77
#define DIFF_MAX_SHRINK_RUNS 200u

struct diff_opts {
	u32 n, steps, batch, shard_k, shard_m;
	u64 seed;
	const char *runner, *machine, *out;
	bool quiet, no_shrink, stale;
};

static int diff_usage(void)
{
	fprintf(stderr, "usage: mmuscope diff --random N --seed S [--shard K/M] [--runner R]\n"
			"                     [--steps N] [--machine npt|ept|shadow] [--batch B]\n"
			"                     [--out DIR] [--stale] [--no-shrink] [--quiet]\n");
	return CLI_USAGE;
}

static bool parse_u64(const char *s, u64 *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return !errno && !*end;
}

/* Lower campaign scenario @i (all its steps, or those in @keep). */
static int lower_one(const struct diff_opts *o, const struct camp_scenario *cs, u32 i,
		     const bool *keep, struct lower_result *lr, char *why, size_t n)
{
	struct scenario s;
	struct scn_error e;
	char *json = camp_json(cs, keep);
	char name[64];
	int r;

	memset(lr, 0, sizeof(*lr));
	if (!json)
		return MSC_ENOMEM;
	snprintf(name, sizeof(name), "diff-%llu-%u.json", (unsigned long long)o->seed, i);
	r = scn_load_buffer(name, json, strlen(json), &s, &e);
	free(json);
	if (r) {
		scn_error_format(&e, why, n);
		return r;
	}
	r = host_lower(&s, i, lr, &e);
	if (r)
		scn_error_format(&e, why, n);
	scn_free(&s);
	return r;
}

/* Does scenario @i with the steps in @keep still diverge unexplained? */
static bool still_diverges(const struct diff_opts *o, const struct host_runner *runner,
			   const void *image, const struct camp_scenario *cs, u32 i,
			   const bool *keep)
{
	struct lower_result lr;
	struct camp_tally t = {0};
	struct cmp_summary s = {0};
	char why[512];
	bool yes = false;

	if (!lower_one(o, cs, i, keep, &lr, why, sizeof(why)) && !lr.skipped &&
	    !camp_run_batch(runner, image, &lr, 1, &s, &t, why, sizeof(why)))
		yes = s.unexplained > 0;
	host_lower_free(&lr);
	return yes;
}

/*
 * ddmin over the steps after the fixed set-up: drop chunks of steps while the
 * scenario keeps an unexplained divergence, halving the chunk size; at most
 * DIFF_MAX_SHRINK_RUNS runs. @keep ends with the minimal set.
 */
static u32 shrink(const struct diff_opts *o, const struct host_runner *runner, const void *image,
		  const struct camp_scenario *cs, u32 i, bool *keep)
{
	u32 runs = 0, chunk = (cs->nsteps - cs->nfixed + 1) / 2;

	for (u32 k = 0; k < cs->nsteps; k++)
		keep[k] = true;
	while (chunk >= 1 && runs < DIFF_MAX_SHRINK_RUNS) {
		bool progress = false;

		for (u32 start = cs->nfixed; start < cs->nsteps && runs < DIFF_MAX_SHRINK_RUNS;
		     start += chunk) {
			bool saved[CAMP_MAX_STEPS], any = false;

			memcpy(saved, keep, sizeof(saved));
			for (u32 k = start; k < start + chunk && k < cs->nsteps; k++) {
				any |= keep[k];
				keep[k] = false;
			}
			if (!any)
				continue;
			runs++;
			if (still_diverges(o, runner, image, cs, i, keep))
				progress = true;
			else
				memcpy(keep, saved, sizeof(saved));
		}
		if (!progress)
			chunk /= 2;
	}
	return runs;
}

static int write_file(const char *dir, u64 seed, u32 i, const char *json, char *path, size_t n)
{
	FILE *f;

	snprintf(path, n, "%s/diff-%llu-%u.json", dir, (unsigned long long)seed, i);
	if (mkdir(dir, 0777) && errno != EEXIST)
		return MSC_EIO;
	f = fopen(path, "w");
	if (!f)
		return MSC_EIO;
	fputs(json, f);
	return fclose(f) ? MSC_EIO : 0;
}

/* Run scenarios [first .. first + n) of the shard (lowered in @lr) as one batch. */
static int run_group(const struct diff_opts *o, const struct host_runner *runner, const void *image,
		     struct camp_scenario *cs, struct lower_result *lr, const u32 *index, u32 n,
		     struct camp_tally *total, u32 *written)
{
	struct cmp_summary per[256];
	char err[512];
	int r;

	r = camp_run_batch(runner, image, lr, n, per, total, err, sizeof(err));
	if (r) {
		fprintf(stderr, "mmuscope diff: runner %s failed: %s\n", runner->name, err);
		return r;
	}
	for (u32 j = 0; j < n; j++) {
		bool keep[CAMP_MAX_STEPS];
		char path[512], *json;
		u32 runs = 0, kept = 0;

		if (!per[j].unexplained)
			continue;
		if (!o->no_shrink)
			runs = shrink(o, runner, image, &cs[j], index[j], keep);
		json = camp_json(&cs[j], o->no_shrink ? NULL : keep);
		for (u32 k = 0; k < cs[j].nsteps; k++)
			kept += o->no_shrink || keep[k];
		if (!json || write_file(o->out, o->seed, index[j], json, path, sizeof(path))) {
			fprintf(stderr, "mmuscope diff: cannot write %s/diff-%llu-%u.json\n",
				o->out, (unsigned long long)o->seed, index[j]);
			free(json);
			return MSC_EIO;
		}
		free(json);
		(*written)++;
		printf("diff: scenario %u: %u unexplained; %s (%u of %u steps, %u shrink runs)\n",
		       index[j], per[j].unexplained, path, kept, cs[j].nsteps, runs);
	}
	return 0;
}

int cli_diff(int argc, char **argv)
{
	struct diff_opts o = {.steps = 40,
			      .batch = 64,
			      .shard_k = 1,
			      .shard_m = 1,
			      .runner = "qemu-tcg",
			      .out = "diff-out"};
	bool have_n = false, have_seed = false;
	const struct host_runner *runner;
	struct camp_tally total = {0};
	struct camp_scenario *cs = NULL;
	struct lower_result *lr = NULL;
	u32 *index = NULL, ng = 0, written = 0, failed = 0;
	void *image = NULL;
	const char *why;
	char err[512];
	int ret = CLI_OK;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		u64 x;

		if (!strcmp(a, "--random") && parse_u64(v, &x) && x <= 10000000) {
			o.n = (u32)x, have_n = true, i++;
		} else if (!strcmp(a, "--seed") && parse_u64(v, &x)) {
			o.seed = x, have_seed = true, i++;
		} else if (!strcmp(a, "--steps") && parse_u64(v, &x) && x >= 8 &&
			   x <= CAMP_MAX_STEPS - 16) {
			o.steps = (u32)x, i++;
		} else if (!strcmp(a, "--batch") && parse_u64(v, &x) && x >= 1 && x <= 256) {
			o.batch = (u32)x, i++;
		} else if (!strcmp(a, "--shard") && v) {
			unsigned k, m;
			char tail;

			if (sscanf(v, "%u/%u%c", &k, &m, &tail) != 2 || !m || !k || k > m)
				return diff_usage();
			o.shard_k = k, o.shard_m = m, i++;
		} else if (!strcmp(a, "--runner") && v) {
			o.runner = v, i++;
		} else if (!strcmp(a, "--machine") && v &&
			   (!strcmp(v, "npt") || !strcmp(v, "ept") || !strcmp(v, "shadow"))) {
			o.machine = !strcmp(v, "shadow") ? "none" : v, i++;
		} else if (!strcmp(a, "--out") && v) {
			o.out = v, i++;
		} else if (!strcmp(a, "--stale")) {
			o.stale = true;
		} else if (!strcmp(a, "--no-shrink")) {
			o.no_shrink = true;
		} else if (!strcmp(a, "--quiet")) {
			o.quiet = true;
		} else {
			return diff_usage();
		}
	}
	if (!have_n || !have_seed)
		return diff_usage();
	runner = host_runner_find(o.runner);
	if (!runner) {
		fprintf(stderr, "mmuscope diff: unknown runner \"%s\"\n", o.runner);
		return CLI_USAGE;
	}
	why = runner->available();
	if (why) {
		fprintf(stderr, "mmuscope diff: runner %s unavailable: %s\n", runner->name, why);
		return CLI_SKIP;
	}
	image = host_probe_image(err, sizeof(err));
	if (!image) {
		fprintf(stderr, "mmuscope diff: %s\n", err);
		return CLI_SKIP;
	}
	cs = calloc(o.batch, sizeof(*cs));
	lr = calloc(o.batch, sizeof(*lr));
	index = calloc(o.batch, sizeof(*index));
	if (!cs || !lr || !index) {
		ret = CLI_FAIL;
		goto out;
	}
	for (u32 i = 0; i <= o.n; i++) {
		bool last = i == o.n;

		if (!last && camp_in_shard(i, o.shard_k, o.shard_m)) {
			char lwhy[600];

			if (camp_generate(o.seed, i, o.steps, o.machine, o.stale, &cs[ng])) {
				ret = CLI_FAIL;
				goto out;
			}
			if (lower_one(&o, &cs[ng], i, NULL, &lr[ng], lwhy, sizeof(lwhy))) {
				/* The generator made a scenario the simulator refuses: a bug. */
				fprintf(stderr, "mmuscope diff: scenario %u does not run: %s\n", i,
					lwhy);
				host_lower_free(&lr[ng]);
				camp_free(&cs[ng]);
				failed++;
				continue;
			}
			if (getenv("MSCOPE_DIFF_DUMP")) {
				/* Debugging: every generated scenario as a file. */
				char *json = camp_json(&cs[ng], NULL);
				char path[512];

				if (json && write_file(getenv("MSCOPE_DIFF_DUMP"), o.seed, i, json,
						       path, sizeof(path)))
					fprintf(stderr, "mmuscope diff: cannot write %s\n", path);
				free(json);
			}
			index[ng++] = i;
		}
		if (ng && (ng == o.batch || last)) {
			int r = run_group(&o, runner, image, cs, lr, index, ng, &total, &written);

			for (u32 j = 0; j < ng; j++) {
				host_lower_free(&lr[j]);
				camp_free(&cs[j]);
			}
			ng = 0;
			if (r) {
				ret = CLI_FAIL;
				goto out;
			}
		}
	}
	printf("diff: seed %llu shard %u/%u: %u scenarios (%u skipped whole), %u probes, "
	       "%u records: %u match, %u explained, %u unexplained, %u skipped; runner %s\n",
	       (unsigned long long)o.seed, o.shard_k, o.shard_m, total.scenarios,
	       total.skipped_scenarios, total.probes,
	       total.sum.match + total.sum.explained + total.sum.unexplained + total.sum.skipped,
	       total.sum.match, total.sum.explained, total.sum.unexplained, total.sum.skipped,
	       runner->name);
	for (u32 w = 0; w < CAMP_SKIP_REASONS && total.skip_n[w]; w++)
		printf("diff: skipped %u: %s\n", total.skip_n[w], total.skip_why[w]);
	if (written || failed)
		ret = CLI_FAIL;
out:
	for (u32 j = 0; j < ng; j++) {
		host_lower_free(&lr[j]);
		camp_free(&cs[j]);
	}
	free(cs);
	free(lr);
	free(index);
	free(image);
	return ret;
}
