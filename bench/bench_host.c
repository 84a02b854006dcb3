/* SPDX-License-Identifier: MIT */
/*
 * Probes per second through the host backend and through the simulator on the
 * same batch (docs/host.md, "Performance"): a campaign of random scenarios
 * (host/campaign.c) is lowered -- the simulator runs every scenario to the end,
 * which is what predicting the batch costs -- and then run on a runner as one
 * batch (start-up included, as a user pays it). The ratio of the two rates is
 * measured in the same run; medians over rounds. Without QEMU the runner part
 * is reported as skipped.
 *
 *   bench_host [--smoke] [--scenarios N] [--rounds R] [--runner qemu-tcg|qemu-kvm|kvm]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_common.h"
#include "host/campaign.h"
#include "sim/loader.h"

static int lower_all(u32 n, struct lower_result *lr)
{
	for (u32 i = 0; i < n; i++) {
		struct camp_scenario cs;
		struct scenario s;
		struct scn_error e;
		char *json;
		int r;

		if (camp_generate(1, i, 40, NULL, false, &cs))
			return -1;
		json = camp_json(&cs, NULL);
		camp_free(&cs);
		if (!json)
			return -1;
		r = scn_load_buffer("bench.json", json, strlen(json), &s, &e);
		free(json);
		if (r)
			return -1;
		r = host_lower(&s, i, &lr[i], &e);
		scn_free(&s);
		if (r)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	u32 n = 500, rounds = 5;
	const char *runner_name = "qemu-tcg";
	const struct host_runner *runner;
	double t_sim[MAX_ROUNDS], t_run[MAX_ROUNDS];
	u64 probes = 0;
	const char *why;
	void *image = NULL;
	char err[512];
	int nrun = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			n = 20;
			rounds = 1;
		} else if (!strcmp(argv[i], "--scenarios") && i + 1 < argc) {
			n = (u32)strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = (u32)strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--runner") && i + 1 < argc) {
			runner_name = argv[++i];
		} else {
			fprintf(stderr, "usage: bench_host [--smoke] [--scenarios N] [--rounds R] "
					"[--runner R]\n");
			return 2;
		}
	}
	if (!n || n > 5000 || !rounds || rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench_host: --scenarios 1..5000, --rounds 1..%d\n", MAX_ROUNDS);
		return 2;
	}
	runner = host_runner_find(runner_name);
	if (!runner) {
		fprintf(stderr, "bench_host: unknown runner %s\n", runner_name);
		return 2;
	}
	why = runner->available();
	if (!why) {
		image = host_probe_image(err, sizeof(err));
		if (!image)
			why = err;
	}
	for (u32 r = 0; r < rounds; r++) {
		struct lower_result *lr = calloc(n, sizeof(*lr));
		double t0 = now_ns();

		if (!lr || lower_all(n, lr)) {
			fprintf(stderr, "bench_host: lowering failed\n");
			return 1;
		}
		t_sim[r] = now_ns() - t0;
		probes = 0;
		for (u32 i = 0; i < n; i++)
			probes += lr[i].accesses;
		if (!why) {
			struct camp_tally total = {0};

			t0 = now_ns();
			if (camp_run_batch(runner, image, lr, n, NULL, &total, err, sizeof(err))) {
				fprintf(stderr, "bench_host: runner %s: %s\n", runner->name, err);
				return 1;
			}
			t_run[nrun++] = now_ns() - t0;
			bench_check("bench_host", total.sum.unexplained == 0,
				    "unexplained divergences", 0, total.sum.unexplained);
		}
		for (u32 i = 0; i < n; i++)
			host_lower_free(&lr[i]);
		free(lr);
	}
	{
		double sim = median(t_sim, (int)rounds);

		printf("bench_host: %u scenarios, %llu probes (accesses), median of %u rounds\n", n,
		       (unsigned long long)probes, rounds);
		printf("  simulator (run + lower):  %10.0f probes/s  (%.1f ms)\n",
		       (double)probes / (sim / 1e9), sim / 1e6);
		if (why) {
			printf("  runner %s: skipped: %s\n", runner->name, why);
		} else {
			double run = median(t_run, nrun);

			printf("  runner %-9s (1 boot): %10.0f probes/s  (%.1f ms)\n", runner->name,
			       (double)probes / (run / 1e9), run / 1e6);
			printf("  ratio runner / simulator time: %.2f\n", run / sim);
		}
	}
	free(image);
	return bench_violations ? 1 : 0;
}
